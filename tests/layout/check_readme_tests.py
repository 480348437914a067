#!/usr/bin/env python3
"""Every test the README names as the proof of a promise exists under that name.

The Guarantees tables say `file_test.cpp`: "test name", ...; a test renamed or deleted would
leave the README pointing at nothing. Usage: check_readme_tests.py README.md tests/"""
import pathlib
import re
import sys


def main(readme: str, tests: str) -> int:
    cases: dict[str, set[str]] = {}
    for path in pathlib.Path(tests).rglob("*_test.cpp"):
        text = path.read_text(encoding="utf-8")
        # TEST_CASE("a" "b") and TEST_CASE(\n "a") both: join adjacent string literals.
        names = set()
        for m in re.finditer(r'TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', text):
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
            names.add("".join(parts).replace('\\"', '"').replace("\\\\", "\\"))
        # bad_input's catalogue: each case a {.name = "..."} rather than a TEST_CASE.
        names.update(re.findall(r'\.name = "((?:[^"\\]|\\.)*)"', text))
        cases.setdefault(path.name, set()).update(names)
    missing = []
    for number, line in enumerate(pathlib.Path(readme).read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("|"):
            continue
        # `x_test.cpp`: "name", "name"; `y_test.cpp`: ...
        for m in re.finditer(r'`([a-z_]+_test\.cpp)`((?::?\s*"[^"]*",?)*)', line):
            file = m.group(1)
            for name in re.findall(r'"([^"]*)"', m.group(2)):
                if file not in cases:
                    missing.append(f"{readme}:{number}: no test file {file}")
                elif name.endswith("...") and any(c.startswith(name[:-3]) for c in cases[file]):
                    continue  # "a common beginning: ..." names a family of tests
                elif name not in cases[file]:
                    missing.append(f'{readme}:{number}: {file} has no test "{name}"')
    for problem in missing:
        print(problem)
    named = sum(len(v) for v in cases.values())
    print(f"checked the README's test names against {named} tests: {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
