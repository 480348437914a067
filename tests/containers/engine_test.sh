#!/usr/bin/env bash
# The project's container files on a real engine (tests/containers/engine.sh: rootful podman with
# runc, docker-compose 1.29 on podman's Docker API), used as a user would use them:
#   image       the Dockerfile unchanged: a scratch image, the binary plus at most 0.5 MiB, user
#               65532, --version answers; the build stage's size is reported
#   compose     compose/docker-compose.yml unchanged: db healthy, migrate exits 0, the app answers;
#               up again applies nothing; each migration recorded once
#   replicas    compose/docker-compose.entrypoint.yml with 3 app replicas: exactly one applies, all
#               three exec the app; each migration recorded once
#   stop        docker stop reaches the app as PID 1 (SIGTERM, 143, well before the stop timeout);
#               docker stop while schemagate waits for an unreachable database: 143 within 2 s
#   skip        SCHEMAGATE_SKIP=true with the database stopped starts the app
#   kube        docker/kubernetes/deployment.yaml's pod template through podman kube play: the
#               initContainer migrates before the app starts; two pods together apply each once
# Usage: engine_test.sh [SCENARIO...] (default: all). Exit 77 (skipped, one loud line) only when
# the engine cannot start on this machine; everything started is removed on exit.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
source tests/containers/engine.sh

skip() {
  echo "!!!!!!!! containers.engine SKIPPED, NOT PASSED: no container engine on this machine: $* !!!!!!!!"
  exit 77
}
why=$(engine_unavailable)
[[ -z $why ]] || skip "$why"

run_id=$$
label=schemagate-test=$run_id
failures=0
projects=()
kube_volumes=""
suite_start=$(date +%s)

fail() {
  echo "FAIL [$scenario] $*"
  failures=$((failures + 1))
}
pass() { echo "ok   [$scenario] $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; return 1; fi
}

cleanup() {
  local p ids
  # Containers of our own first: one still attached to a Compose network keeps it from going.
  ids=$(podman pod ps -q --filter "label=$label" 2>/dev/null)
  [[ -n $ids ]] && podman pod rm -f $ids >/dev/null 2>&1
  ids=$(podman ps -aq --filter "label=$label" 2>/dev/null)
  [[ -n $ids ]] && podman rm -f -t 0 $ids >/dev/null 2>&1
  for p in "${projects[@]}"; do
    docker-compose -p "$p" -f "$root/compose/docker-compose.yml" down -v --remove-orphans -t 2 >/dev/null 2>&1
    docker-compose -p "$p" -f "$root/compose/docker-compose.entrypoint.yml" down -v --remove-orphans -t 2 \
      >/dev/null 2>&1
    podman network rm -f "${p}_default" >/dev/null 2>&1
    podman rmi "docker.io/library/${p}_app" >/dev/null 2>&1  # built by the entrypoint project
  done
  ids=$(podman network ls -q --filter "label=$label" 2>/dev/null)
  [[ -n $ids ]] && podman network rm -f $ids >/dev/null 2>&1
  ids=$(podman volume ls -q --filter "label=$label" 2>/dev/null)
  [[ -n $ids ]] && podman volume rm -f $ids >/dev/null 2>&1
  # kube play keeps each ConfigMap volume as a named volume.
  [[ -n $kube_volumes ]] && podman volume rm -f $kube_volumes >/dev/null 2>&1
  engine_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scenario=engine
if ! engine_start; then
  skip "the engine or its base images could not be set up (see above)"
fi
# The engine starts: from here on a problem is a failure, never a skip.
probe=$(podman run --rm --pull=never docker.io/library/debian:bookworm echo started 2>&1)
[[ $probe == started ]] || skip "podman run fails: $(tail -n1 <<<"$probe")"
echo "engine ready after $(($(date +%s) - suite_start)) s (podman $(podman version --format '{{.Client.Version}}'), runc)"

want() {
  local s
  (($# == 0)) && return 0
  for s in "${selected[@]}"; do [[ $s == "$1" ]] && return 0; done
  return 1
}
selected=("$@")
wanted() { ((${#selected[@]} == 0)) || want "$1"; }

# Polls COMMAND up to N times, a second apart, until it succeeds (a state to reach, not a delay).
eventually() {
  local n=$1 i
  shift
  for ((i = 0; i < n; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}

# psql in the database container: rows as text.
db_query() { podman exec "$1" psql -U app -d app -Atc "$2"; }
# Each example migration recorded exactly once, and nothing else.
recorded_once() {
  local got
  got=$(db_query "$1" "select version || ':' || count(*) from schema_migrations group by version order by version")
  local want_rows
  want_rows=$(ls examples/migrations | sed -n 's/^\([0-9]*\)_.*/\1:1/p' | sort -u)
  [[ $got == "$want_rows" ]] || { echo "    tracking table: $(tr '\n' ' ' <<<"$got") expected $(tr '\n' ' ' <<<"$want_rows")"; return 1; }
}
answers() { podman exec "$1" python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/').read()"; }
container_of() { podman ps -aq --filter "label=com.docker.compose.project=$1" --filter "label=com.docker.compose.service=$2"; }
state_of() { podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1"; }

# ---------------------------------------------------------------------------------------------
scenario=image
t0=$(date +%s)
if ! podman build --pull=never -t schemagate . >"$engine_dir/image.log" 2>&1; then
  tail -n 40 "$engine_dir/image.log"
  fail "docker build -t schemagate . failed"
  exit 1
fi
echo "     [image] docker build -t schemagate . took $(($(date +%s) - t0)) s"
podman build --pull=never --target build -t localhost/schemagate-build-stage . >/dev/null 2>&1
build_stage=$(podman image inspect --format '{{.Size}}' localhost/schemagate-build-stage 2>/dev/null)
base=$(podman image inspect --format '{{.Size}}' docker.io/library/debian:bookworm)
echo "     [image] build stage: $((build_stage / 1024 / 1024)) MiB ($(((build_stage - base) / 1024 / 1024)) MiB over debian:bookworm)"
# Kept tagged: removing it would remove the build stage's layers, the next run's cache.
if wanted image; then
  mnt=$(podman image mount localhost/schemagate)
  files=$(cd "$mnt" && find . -type f -o -type l | sort | tr '\n' ' ')
  binary=$(stat -c %s "$mnt/schemagate")
  podman image unmount localhost/schemagate >/dev/null
  size=$(podman image inspect --format '{{.Size}}' localhost/schemagate)
  layers=$(podman image inspect --format '{{len .RootFS.Layers}}' localhost/schemagate)
  echo "     [image] final image: $size bytes, binary $binary bytes, files: $files"
  check "the final image holds only the binary, the CA bundle, passwd and group (scratch)" \
    test "$files" = "./etc/group ./etc/passwd ./etc/ssl/certs/ca-certificates.crt ./schemagate "
  check "the final image is at most the binary plus 0.5 MiB ($size bytes)" test "$size" -le $((binary + 512 * 1024))
  check "the final image has its own 4 layers only, nothing from a base image" test "$layers" -eq 4
  check "the image runs as 65532:65532" \
    test "$(podman image inspect --format '{{.Config.User}}' localhost/schemagate)" = 65532:65532
  version=$(podman run --rm --pull=never --label "$label" schemagate --version 2>&1)
  check "docker run schemagate --version answers ($version)" grep -q '^schemagate [0-9]' <<<"$version"
fi

# ---------------------------------------------------------------------------------------------
if wanted compose; then
  scenario=compose
  p=sgc$run_id
  projects+=("$p")
  dc() { docker-compose -p "$p" -f compose/docker-compose.yml "$@"; }
  t0=$(date +%s)
  if ! dc build >"$engine_dir/compose-build.log" 2>&1; then
    tail -n 30 "$engine_dir/compose-build.log"
    fail "docker-compose build"
  fi
  out=$(dc up -d --no-build 2>&1)
  status=$?
  echo "     [compose] first up took $(($(date +%s) - t0)) s"
  check "docker-compose up -d exits 0" test $status -eq 0 || echo "$out"
  db=$(container_of "$p" db)
  migrate=$(container_of "$p" migrate)
  app=$(container_of "$p" app)
  check "db became healthy" test "$(podman inspect --format '{{.State.Health.Status}}' "$db")" = healthy
  check "migrate exited 0" test "$(state_of "$migrate")" = "exited 0"
  applied=$(podman logs "$migrate" 2>&1 | grep -c '"msg":"applied ' || true)
  check "migrate applied the 3 example migrations ($applied)" test "$applied" -eq 3
  check "the app is running" test "$(state_of "$app")" = "running 0"
  check "the app answers" eventually 30 answers "$app"
  check "each migration recorded once" recorded_once "$db"
  # A restart: the whole project stopped and brought up again.
  dc stop -t 5 >/dev/null 2>&1
  out=$(dc up -d --no-build 2>&1)
  check "docker-compose up again exits 0" test $? -eq 0 || echo "$out"
  check "migrate exited 0 again" test "$(state_of "$migrate")" = "exited 0"
  logs=$(podman logs "$migrate" 2>&1)
  check "the second migrate applied nothing" test "$(grep -c '"msg":"applied ' <<<"$logs")" -eq 3
  check "the second migrate found the database up to date" grep -q '"msg":"database is up to date"' <<<"$logs"
  check "the app answers after the restart" eventually 30 answers "$app"
  check "each migration still recorded once" recorded_once "$db"
  dc down -v -t 2 >/dev/null 2>&1
fi

# ---------------------------------------------------------------------------------------------
if wanted replicas || wanted stop || wanted skip; then
  scenario=replicas
  p=sge$run_id
  projects+=("$p")
  de() { docker-compose -p "$p" -f compose/docker-compose.entrypoint.yml "$@"; }
  t0=$(date +%s)
  if ! de build >"$engine_dir/entrypoint-build.log" 2>&1; then
    tail -n 30 "$engine_dir/entrypoint-build.log"
    fail "docker-compose build (app-example)"
  fi
  out=$(de up -d --no-build --scale app=3 2>&1)
  check "docker-compose up -d --scale app=3 exits 0" test $? -eq 0 || echo "$out"
  db=$(container_of "$p" db)
  apps=($(container_of "$p" app))
  check "three app replicas" test "${#apps[@]}" -eq 3
  started() { podman logs "$1" 2>&1 | grep -q 'starting app'; }
  for a in "${apps[@]}"; do
    eventually 90 started "$a" || fail "replica $a never started its app: $(podman logs "$a" 2>&1 | tail -n 3)"
  done
  echo "     [replicas] up until every replica exec'd its app: $(($(date +%s) - t0)) s"
  appliers=0
  for a in "${apps[@]}"; do
    n=$(podman logs "$a" 2>&1 | grep -c ' applied 2' || true)
    ((n == 3)) && appliers=$((appliers + 1))
    ((n != 0 && n != 3)) && fail "replica $a applied $n of 3"
  done
  check "exactly one replica applied the migrations ($appliers)" test "$appliers" -eq 1
  for a in "${apps[@]}"; do
    check "replica ${a:0:12} is running its app as PID 1" \
      test "$(podman exec "$a" cat /proc/1/cmdline | tr '\0' ' ')" = "python3 -m http.server 8000 "
    check "replica ${a:0:12} answers" eventually 30 answers "$a"
  done
  check "each migration recorded once" recorded_once "$db"

  # The app service as the Compose file runs it (entrypoint, environment, secret, network), with
  # another command: `docker-compose run` itself fails on podman ("link is not supported").
  app_args=()
  while IFS= read -r -d '' arg; do app_args+=("$arg"); done < <(python3 - "$p" <<'PY'
import json, sys, yaml
app = yaml.safe_load(open("compose/docker-compose.entrypoint.yml"))["services"]["app"]
args = ["--network", sys.argv[1] + "_default", "--entrypoint", json.dumps(app["entrypoint"]),
        "-v", "compose/secrets/database_url:/run/secrets/database_url:ro"]
for k, v in app["environment"].items():
    args += ["-e", f"{k}={v}"]
sys.stdout.write("".join(a + "\0" for a in args))
PY
  )
  app_args=("${app_args[@]/#compose\/secrets/$root/compose/secrets}")
  app_image=docker.io/library/${p}_app
  app_run() { podman run --pull=never --label "$label" "${app_args[@]}" "$@"; }

  if wanted stop; then
    scenario=stop
    # An app that says which pid got SIGTERM. (python3 -m http.server, the file's own command,
    # installs no handler: as PID 1 the kernel drops SIGTERM for it, and docker stop waits for
    # its timeout, then SIGKILL, as with Docker.)
    a=sgs$run_id
    app_run -d --name "$a" "$app_image" python3 -c 'import os, signal, sys
def stop(*_):
    print(f"pid {os.getpid()} got SIGTERM", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("serving", flush=True)
signal.pause()' >/dev/null
    serving() { podman logs "$a" 2>&1 | grep -qx serving; }
    check "the app started through schemagate" eventually 60 serving
    t0=$(date +%s%N)
    podman stop -t 30 "$a" >/dev/null 2>&1
    ms=$((($(date +%s%N) - t0) / 1000000))
    check "docker stop: the app, PID 1, got SIGTERM and exited 0 ($(state_of "$a"))" \
      test "$(state_of "$a")" = "exited 0"
    check "docker stop: SIGTERM reached pid 1" grep -qx 'pid 1 got SIGTERM' <<<"$(podman logs "$a" 2>&1)"
    check "docker stop took ${ms} ms, well before the 30 s timeout" test "$ms" -lt 5000
    # schemagate itself as PID 1, waiting for a database nothing answers for.
    w=sgw$run_id
    podman run -d --pull=never --label "$label" --name "$w" --network none \
      -e DATABASE_URL=postgresql://app:secret@127.0.0.1:5432/app -e DB_MAX_RETRIES=600 -e DB_RETRY_INTERVAL=1 \
      schemagate >/dev/null
    waiting() { podman logs "$w" 2>&1 | grep -q 'attempt 1/600 failed'; }
    if eventually 30 waiting; then
      t0=$(date +%s%N)
      podman stop -t 10 "$w" >/dev/null 2>&1
      ms=$((($(date +%s%N) - t0) / 1000000))
      check "docker stop while waiting: exit 143 ($(state_of "$w"))" test "$(state_of "$w")" = "exited 143"
      check "docker stop while waiting took ${ms} ms, within 2 s" test "$ms" -lt 2000
    else
      fail "schemagate never logged its wait: $(podman logs "$w" 2>&1 | tail -n 3)"
    fi
  fi

  if wanted skip; then
    scenario=skip
    de stop -t 5 db >/dev/null 2>&1
    check "the database is stopped" test "$(state_of "$db" | cut -d' ' -f1)" = exited
    out=$(app_run --rm -e SCHEMAGATE_SKIP=true "$app_image" \
      python3 -c 'import os; print("app started", os.environ["SCHEMAGATE_STATUS"])' 2>&1)
    status=$?
    check "SCHEMAGATE_SKIP=true with the database stopped starts the app (exit $status)" test $status -eq 0
    check "the app sees SCHEMAGATE_STATUS=skipped" grep -qx 'app started skipped' <<<"$out"
    check "schemagate warns that it skipped" grep -q 'skip requested' <<<"$out"
    [[ $status -eq 0 ]] || echo "$out"
  fi
  de down -v -t 2 >/dev/null 2>&1
fi

# ---------------------------------------------------------------------------------------------
if wanted kube; then
  scenario=kube
  net=sgk$run_id
  podman network create --label "$label" "$net" >/dev/null
  password=kube-secret-$run_id
  podman run -d --pull=never --label "$label" --name "sgkdb$run_id" --network "$net" --network-alias db \
    -e POSTGRES_USER=app -e POSTGRES_DB=app -e POSTGRES_PASSWORD="$password" \
    --health-cmd 'pg_isready -U app -d app' --health-interval 1s docker.io/library/postgres:15 >/dev/null
  kdb=sgkdb$run_id
  healthy() { [[ $(podman inspect --format '{{.State.Health.Status}}' "$1") == healthy ]]; }
  check "the database is healthy" eventually 120 healthy "$kdb" ||
    echo "    health: $(podman inspect --format '{{.State.Health.Status}}' "$kdb"); $(podman logs "$kdb" 2>&1 | tail -n 3)"
  # The app container's image: a server on 8000 (the manifests' ghcr.io images are not here).
  printf 'FROM docker.io/library/python:3.12-slim\nCMD ["python3", "-m", "http.server", "8000"]\n' |
    podman build --pull=never -t localhost/schemagate-test-app -f - "$engine_dir" >/dev/null 2>&1
  python3 tests/containers/kube_pods.py docker/kubernetes/deployment.yaml docker/kubernetes/secret.yaml \
    --url "postgresql://app:$password@db:5432/app" --migrations examples/migrations \
    --image ghcr.io/example/schemagate:latest=localhost/schemagate \
    --image ghcr.io/example/app:latest=localhost/schemagate-test-app \
    --pods "sgk1-$run_id,sgk2-$run_id" --label "$label" --out "$engine_dir/kube" ||
    fail "could not derive the pods from deployment.yaml"
  kube_volumes="app-database app-migrations"
  t0=$(date +%s)
  for pod in "sgk1-$run_id" "sgk2-$run_id"; do
    podman kube play --network "$net" --configmap "$engine_dir/kube.secret.yaml,$engine_dir/kube.migrations.yaml" \
      "$engine_dir/kube.$pod.yaml" >"$engine_dir/play-$pod.log" 2>&1 &
  done
  for pod in "sgk1-$run_id" "sgk2-$run_id"; do
    wait -n
    status=$?
    check "a podman kube play of the two started together exits 0" test $status -eq 0 || break
  done
  ((status == 0)) || grep -hv '^time=' "$engine_dir"/play-*.log
  echo "     [kube] podman kube play of both pods took $(($(date +%s) - t0)) s"
  for pod in "sgk1-$run_id" "sgk2-$run_id"; do
    app_state=$(state_of "$pod-app" 2>/dev/null)
    check "pod $pod: the app container is running ($app_state)" test "$app_state" = "running 0"
    # The init container is gone once it succeeded; its start and exit are in the engine's events.
    app_started=$(podman inspect --format '{{.State.StartedAt.Unix}}' "$pod-app" 2>/dev/null)
    last_applied=$(db_query "$kdb" "select floor(extract(epoch from max(applied_at)))::bigint from schema_migrations")
    check "pod $pod: the app started after the migrations were applied" test "${app_started:-0}" -ge "${last_applied:-9999999999}"
  done
  died=$(podman events --stream=false --since "${t0}" --filter event=died --format '{{.Name}} {{.ContainerExitCode}}' 2>/dev/null |
    grep -E "^sgk[12]-$run_id-schemagate " | sort)
  check "both init containers ran schemagate up and exited 0" \
    test "$died" = "$(printf 'sgk1-%s-schemagate 0\nsgk2-%s-schemagate 0' "$run_id" "$run_id")"
  [[ $died == *" 0"*" 0" ]] || echo "    events: $died"
  check "each migration recorded once" recorded_once "$kdb"
  for pod in "sgk1-$run_id" "sgk2-$run_id"; do podman kube down "$engine_dir/kube.$pod.yaml" >/dev/null 2>&1; done
fi

echo "containers.engine: $failures failure(s), $(($(date +%s) - suite_start)) s in all"
((failures == 0))
