#!/usr/bin/env python3
"""The module rules of STYLE.md §1 and the README's "How the code is laid out", checked on src/.

Each rule says which files may include what; a broken rule prints the file, the include and the
rule, and the check fails. Run by ctest as `layout`.
"""
import pathlib
import re
import sys

MAX_LINES = 450  # a file past this is doing more than one thing (issue: "no file in src/ over about 450 lines")

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
include = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
modules = {d.name for d in src.iterdir() if d.is_dir()}


def is_project(included):
    return included.split("/")[0] in modules


# (who, what it must not include, why)
RULES = [
    (lambda f: f.startswith("wait/"), lambda i: i.startswith(("migrate/", "verify/")),
     "wait, migrate and verify never include each other"),
    (lambda f: f.startswith("migrate/"), lambda i: i.startswith(("wait/", "verify/")),
     "wait, migrate and verify never include each other"),
    (lambda f: f.startswith("verify/"), lambda i: i.startswith(("wait/", "migrate/")),
     "wait, migrate and verify never include each other"),
    (lambda f: f.startswith("config/"), lambda i: i.startswith("db/"), "config does not include db"),
    (lambda f: f.startswith("db/"), lambda i: i.startswith(("config/", "migrate/", "commands/", "cli/")),
     "db knows nothing of settings or migrations"),
    (lambda f: f.startswith("util/"), lambda i: is_project(i) and not i.startswith("util/"),
     "util has no project includes"),
    (lambda f: not (f.startswith("db/") and f.endswith((".cpp", ".c"))), lambda i: i == "libpq-fe.h",
     "only db/*.cpp includes libpq"),
    (lambda f: f != "config/toml.cpp", lambda i: i.startswith("toml++"), "only config/toml.cpp includes toml++"),
    (lambda f: f != "log/log.cpp", lambda i: i.startswith(("spdlog", "fmt/")), "only log/log.cpp includes spdlog"),
    (lambda f: not (f.startswith("sql/") and f.endswith(".cpp")), lambda i: i == "pg_query.h",
     "only sql/*.cpp includes pg_query.h"),
]

problems = []
for path in sorted(src.rglob("*")):
    if path.suffix not in (".h", ".cpp", ".c"):
        continue
    name = path.relative_to(src).as_posix()
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.count("\n")
    if lines > MAX_LINES:
        problems.append(f"src/{name}: {lines} lines (at most {MAX_LINES})")
    for included in include.findall(text):
        for who, forbidden, why in RULES:
            if who(name) and forbidden(included):
                problems.append(f"src/{name}: includes {included}: {why}")

for p in problems:
    print(p)
print(f"layout: {len(problems)} problem(s) in {src}")
sys.exit(1 if problems else 0)
