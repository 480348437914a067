#!/usr/bin/env python3
"""Exercises the container files as far as a machine without a container engine allows.

For every place compose/, docker/kubernetes/ and the Dockerfile run schemagate: the YAML parses,
and `schemagate config` accepts the environment and the command-line flags given there (exit 0).
Secret files they name are stood in for by a temporary file holding a URL. Usage:
    check_files.py PATH/TO/schemagate
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMANDS = {"run", "wait", "up", "down", "status", "verify", "new", "repair", "config"}
failures = []
checked = 0


def check_invocation(binary, where, argv, env):
    """argv is what the file runs, starting with the schemagate binary."""
    global checked
    flags = list(argv[1:])
    if "--" in flags:
        flags = flags[: flags.index("--")]
    if flags and flags[0] in COMMANDS:
        flags = flags[1:]
    # Command flags belong to their command; `config` takes the setting flags.
    flags = [f for f in flags if f not in ("--dry-run", "--json")]
    with tempfile.TemporaryDirectory() as tmp:
        run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp}
        for name, value in env.items():
            if name.endswith("_FILE"):
                stand_in = os.path.join(tmp, name.lower())
                with open(stand_in, "w") as f:
                    f.write("postgresql://app:secret@db:5432/app\n")
                value = stand_in
            run_env[name] = str(value)
        result = subprocess.run([binary, "config", *flags], env=run_env, cwd=tmp,
                                capture_output=True, text=True, timeout=30)
    checked += 1
    if result.returncode != 0:
        failures.append(f"{where}: `schemagate config {' '.join(flags)}` with {sorted(env)} "
                        f"exited {result.returncode}: {result.stderr.strip()}")


def is_schemagate(words):
    return bool(words) and os.path.basename(str(words[0])) in ("schemagate", "/schemagate")


def check_compose(binary, path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    for name, service in (doc.get("services") or {}).items():
        entrypoint = service.get("entrypoint")
        command = service.get("command") or []
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        if entrypoint and is_schemagate(entrypoint):
            argv = list(entrypoint) + list(command)
        elif service.get("image") == "schemagate":
            argv = ["/schemagate"] + list(command)  # the image's ENTRYPOINT
        else:
            continue
        check_invocation(binary, f"{os.path.relpath(path, ROOT)} service {name}", argv, env)


def check_kubernetes(binary, path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for doc in docs:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for kind in ("initContainers", "containers"):
            for c in pod.get(kind) or []:
                command = c.get("command")
                if command and is_schemagate(command):
                    argv = list(command) + list(c.get("args") or [])
                elif "schemagate" in c.get("image", "") and not command:
                    argv = ["/schemagate"] + list(c.get("args") or [])
                else:
                    continue
                env = {e["name"]: e.get("value", "") for e in c.get("env") or []}
                check_invocation(binary, f"{os.path.relpath(path, ROOT)} {doc['kind']} {c['name']}", argv, env)


def check_dockerfile(binary):
    path = os.path.join(ROOT, "Dockerfile")
    text = open(path).read()
    for needed, why in [
        (r"^FROM debian:bookworm AS build$", "the build stage is debian:bookworm"),
        (r"^RUN .*\./scripts/build-static", "the build stage runs scripts/build-static, as the tests do"),
        (r"^FROM scratch AS schemagate$", "the final image is FROM scratch"),
        (r"^USER 65532:65532$", "the scratch image runs as a non-root user"),
        (r'^ENTRYPOINT \["/schemagate"\]$', "the scratch image's ENTRYPOINT is /schemagate"),
        (r"^COPY --from=schemagate /schemagate ", "an app image can take the binary with COPY --from"),
    ]:
        if not re.search(needed, text, re.MULTILINE):
            failures.append(f"Dockerfile: expected {why}")
    for line in text.splitlines():
        if line.startswith("ENTRYPOINT [\"schemagate\""):
            argv = yaml.safe_load(line[len("ENTRYPOINT "):])
            check_invocation(binary, "Dockerfile app-example ENTRYPOINT", argv, {})
    for src in re.findall(r"^COPY (?!--from)(\S+) ", text, re.MULTILINE):
        if src != "." and not os.path.exists(os.path.join(ROOT, src)):
            failures.append(f"Dockerfile: COPY source {src} does not exist")


def main():
    binary = os.path.abspath(sys.argv[1])
    for directory, check in (("compose", check_compose), ("docker/kubernetes", check_kubernetes)):
        for name in sorted(os.listdir(os.path.join(ROOT, directory))):
            if name.endswith((".yml", ".yaml")):
                try:
                    check(binary, os.path.join(ROOT, directory, name))
                except yaml.YAMLError as e:
                    failures.append(f"{directory}/{name}: does not parse: {e}")
    check_dockerfile(binary)
    for failure in failures:
        print("FAIL " + failure)
    print(f"{checked} schemagate invocations checked in the container files")
    if checked < 6:
        print("FAIL fewer schemagate invocations found than the files hold")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
