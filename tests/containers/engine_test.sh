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
#   pgbouncer   compose/docker-compose.pgbouncer.yml with 3 app replicas behind PgBouncer in
#               transaction mode: each waits through the pooler (its DATABASE_URL), the one that
#               applies connects directly (MIGRATIONS_DATABASE_URL); all exec the app; each
#               migration recorded once; no lease row left
#   pgbouncer-pooled  the same app service without MIGRATIONS_DATABASE_URL_FILE, 3 runners on a
#               fresh database: everything through the pooler (at least one reports the
#               transaction-mode pooler), the lease as the lock; each migration recorded once; no
#               lease row left
#   kube-pgbouncer  docker/kubernetes/deployment-pgbouncer.yaml's pod template behind a PgBouncer
#               run as pgbouncer.yaml's Deployment gives it: two pods' initContainers wait through
#               the pooler, migrate directly and exit 0 before the apps start; each recorded once
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
    docker-compose -p "$p" -f "$root/compose/docker-compose.pgbouncer.yml" down -v --remove-orphans -t 2 \
      >/dev/null 2>&1
    podman network rm -f "${p}_default" >/dev/null 2>&1
    podman rmi "docker.io/library/${p}_app" >/dev/null 2>&1  # built by the entrypoint projects
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

# psql in the database container (DATABASE defaults to app): rows as text.
db_query() { podman exec "$1" psql -U app -d "${3:-app}" -Atc "$2"; }
# Each example migration recorded exactly once, and nothing else: recorded_once CONTAINER [DATABASE]
recorded_once() {
  local got
  got=$(db_query "$1" "select version || ':' || count(*) from schema_migrations group by version order by version" "${2:-app}")
  local want_rows
  want_rows=$(ls examples/migrations | sed -n 's/^\([0-9]*\)_.*/\1:1/p' | sort -u)
  [[ $got == "$want_rows" ]] || { echo "    tracking table: $(tr '\n' ' ' <<<"$got") expected $(tr '\n' ' ' <<<"$want_rows")"; return 1; }
}
answers() { podman exec "$1" python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/').read()"; }
container_of() { podman ps -aq --filter "label=com.docker.compose.project=$1" --filter "label=com.docker.compose.service=$2"; }
state_of() { podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1"; }
# The lease table left empty: every runner gave the lease back.
no_lease_row() { test "$(db_query "$1" "select count(*) from schema_migrations_lock" "${2:-app}")" = 0; }
# No advisory lock left on a server session the pooler keeps: no_advisory_lock CONTAINER [DATABASE]
no_advisory_lock() {
  test "$(db_query "$1" "select count(*) from pg_locks where locktype = 'advisory'" "${2:-app}")" = 0
}

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
if wanted pgbouncer || wanted pgbouncer-pooled; then
  scenario=pgbouncer
  wanted pgbouncer || scenario=pgbouncer-pooled
  p=sgp$run_id
  projects+=("$p")
  dp() { docker-compose -p "$p" -f compose/docker-compose.pgbouncer.yml "$@"; }
  t0=$(date +%s)
  if ! dp build >"$engine_dir/pgbouncer-build.log" 2>&1; then
    tail -n 30 "$engine_dir/pgbouncer-build.log"
    fail "docker-compose build (app-example)"
  fi
  # pgbouncer-pooled alone needs the project's network, PgBouncer and database, not its replicas.
  replicas=3
  wanted pgbouncer || replicas=0
  out=$(dp up -d --no-build --scale app=$replicas 2>&1)
  check "docker-compose up -d --scale app=$replicas exits 0" test $? -eq 0 || echo "$out"
  db=$(container_of "$p" db)
  bouncer=$(container_of "$p" pgbouncer)
  apps=($(container_of "$p" app))
  check "PgBouncer is running" test "$(state_of "$bouncer")" = "running 0"
  check "PgBouncer pools by transaction" grep -qx 'pool_mode = transaction' <<<"$(podman logs "$bouncer" 2>&1)"
  started() { podman logs "$1" 2>&1 | grep -q 'starting app'; }
  if wanted pgbouncer; then
    check "three app replicas" test "${#apps[@]}" -eq 3
    for a in "${apps[@]}"; do
      eventually 90 started "$a" || fail "replica $a never started its app: $(podman logs "$a" 2>&1 | tail -n 3)"
    done
    echo "     [pgbouncer] up until every replica exec'd its app: $(($(date +%s) - t0)) s"
    applier=""
    for a in "${apps[@]}"; do
      log=$(podman logs "$a" 2>&1)
      n=$(grep -c ' applied 2' <<<"$log")
      ((n == 3)) && applier=$a
      ((n != 0 && n != 3)) && fail "replica $a applied $n of 3"
      check "replica ${a:0:12} waited through PgBouncer (its DATABASE_URL)" \
        grep -q 'database ready db=app@pgbouncer:6432/app ' <<<"$(grep -m1 'database ready' <<<"$log")"
      check "replica ${a:0:12} is running its app as PID 1" \
        test "$(podman exec "$a" cat /proc/1/cmdline | tr '\0' ' ')" = "python3 -m http.server 8000 "
    done
    check "exactly one replica applied the migrations" test "$(for a in "${apps[@]}"; do
      podman logs "$a" 2>&1 | grep -c ' applied 2'; done | sort | tr '\n' ' ')" = "0 0 3 "
    if [[ -n $applier ]]; then
      log=$(podman logs "$applier" 2>&1)
      check "the applier connected for migrations with MIGRATIONS_DATABASE_URL" \
        grep -q 'connecting for migrations (MIGRATIONS_DATABASE_URL)' <<<"$log"
      check "the applier's migrations connection reached PostgreSQL directly" \
        grep -q 'database ready db=app@db:5432/app ' <<<"$log"
      check "the applier saw no pooler on it" test "$(grep -c 'connected through a' <<<"$log")" -eq 0
    fi
    logins=$(podman logs "$bouncer" 2>&1 | grep -c 'login attempt: db=app user=app')
    check "PgBouncer logged the replicas' logins ($logins)" test "$logins" -ge 3
    check "replica ${apps[0]:0:12} answers" eventually 30 answers "${apps[0]}"
    check "each migration recorded once" recorded_once "$db"
    check "no lease row left (schema_migrations_lock)" no_lease_row "$db"
  fi

  if wanted pgbouncer-pooled; then
    scenario=pgbouncer-pooled
    # The app service as the Compose file runs it, less MIGRATIONS_DATABASE_URL_FILE, on a database
    # of its own: what a deployment with only the pooled URL at hand does.
    db_query "$db" "create database app2" >/dev/null
    printf 'postgresql://app:%s@pgbouncer:6432/app2\n' "$(<compose/secrets/postgres_password)" >"$engine_dir/pooled_url"
    run_args=()
    while IFS= read -r -d '' arg; do run_args+=("$arg"); done < <(python3 - "$p" "$engine_dir/pooled_url" <<'PY'
import json, sys, yaml
app = yaml.safe_load(open("compose/docker-compose.pgbouncer.yml"))["services"]["app"]
env = dict(app["environment"])
del env["MIGRATIONS_DATABASE_URL_FILE"]
args = ["--network", sys.argv[1] + "_default", "--entrypoint", json.dumps(app["entrypoint"]),
        "-v", sys.argv[2] + ":" + env["DATABASE_URL_FILE"] + ":ro"]
for k, v in env.items():
    args += ["-e", f"{k}={v}"]
sys.stdout.write("".join(a + "\0" for a in args))
PY
    )
    runners=()
    for i in 1 2 3; do
      podman run -d --pull=never --label "$label" --name "sgpp$i-$run_id" "${run_args[@]}" "docker.io/library/${p}_app" \
        python3 -c 'import os; print("app started", os.environ["SCHEMAGATE_STATUS"])' >/dev/null &&
        runners+=("sgpp$i-$run_id")
    done
    check "three runners started" test "${#runners[@]}" -eq 3
    exited() { [[ $(state_of "$1") == exited* ]]; }
    for r in "${runners[@]}"; do
      eventually 90 exited "$r"
      log=$(podman logs "$r" 2>&1)
      check "runner $r exec'd the app, which exited 0 ($(state_of "$r"))" test "$(state_of "$r")" = "exited 0"
      check "runner $r: the app ran with SCHEMAGATE_STATUS=ok" grep -qx 'app started ok' <<<"$log"
      check "runner $r opened no direct connection" test "$(grep -c 'connecting for migrations' <<<"$log")" -eq 0
    done
    check "exactly one runner applied the migrations" test "$(for r in "${runners[@]}"; do
      podman logs "$r" 2>&1 | grep -c ' applied 2'; done | sort | tr '\n' ' ')" = "0 0 3 "
    detected=$(for r in "${runners[@]}"; do podman logs "$r" 2>&1; done |
      grep -c 'connected through a transaction-mode pooler')
    check "runners reported the transaction-mode pooler ($detected of 3)" test "$detected" -ge 1
    check "each migration recorded once" recorded_once "$db" app2
    check "no lease row left (schema_migrations_lock)" no_lease_row "$db" app2
    check "no advisory lock left behind the pooler" no_advisory_lock "$db" app2
  fi
  dp down -v -t 2 >/dev/null 2>&1
fi

# ---------------------------------------------------------------------------------------------
# Plays OUT.POD.yaml for each POD at once, as the kube scenario does, and checks that each
# initContainer exited 0 before its app started and that DATABASE holds each migration once.
#   kube_play OUT DATABASE POD...
kube_play() {
  local out=$1 database=$2 pod status=0 t0
  shift 2
  local pods=("$@")
  t0=$(date +%s)
  for pod in "${pods[@]}"; do
    podman kube play --network "$net" --configmap "$out.secret.yaml,$out.migrations.yaml" \
      "$out.$pod.yaml" >"$engine_dir/play-$pod.log" 2>&1 &
  done
  for pod in "${pods[@]}"; do
    wait -n
    status=$?
    check "a podman kube play of the ${#pods[@]} started together exits 0" test $status -eq 0 || break
  done
  ((status == 0)) || for pod in "${pods[@]}"; do grep -v '^time=' "$engine_dir/play-$pod.log"; done
  echo "     [$scenario] podman kube play of the ${#pods[@]} pods took $(($(date +%s) - t0)) s"
  for pod in "${pods[@]}"; do
    app_state=$(state_of "$pod-app" 2>/dev/null)
    check "pod $pod: the app container is running ($app_state)" test "$app_state" = "running 0"
    # The init container is gone once it succeeded; its start and exit are in the engine's events.
    app_started=$(podman inspect --format '{{.State.StartedAt.Unix}}' "$pod-app" 2>/dev/null)
    last_applied=$(db_query "$kdb" "select floor(extract(epoch from max(applied_at)))::bigint from schema_migrations" "$database")
    check "pod $pod: the app started after the migrations were applied" test "${app_started:-0}" -ge "${last_applied:-9999999999}"
  done
  died=$(podman events --stream=false --since "${t0}" --filter event=died --format '{{.Name}} {{.ContainerExitCode}}' 2>/dev/null |
    grep -E "^($(IFS='|'; echo "${pods[*]}"))-schemagate " | sort)
  check "the init containers ran schemagate up and exited 0" \
    test "$died" = "$(printf '%s-schemagate 0\n' "${pods[@]}" | sort)"
  [[ $died == "$(printf '%s-schemagate 0\n' "${pods[@]}" | sort)" ]] || echo "    events: $died"
  check "each migration recorded once" recorded_once "$kdb" "$database"
}

if wanted kube || wanted kube-pgbouncer; then
  scenario=kube
  wanted kube || scenario=kube-pgbouncer
  net=sgk$run_id
  podman network create --label "$label" "$net" >/dev/null
  password=kube-secret-$run_id
  # Connections logged: kube-pgbouncer tells the pods' direct connections from PgBouncer's by them.
  podman run -d --pull=never --label "$label" --name "sgkdb$run_id" --network "$net" --network-alias db \
    -e POSTGRES_USER=app -e POSTGRES_DB=app -e POSTGRES_PASSWORD="$password" \
    --health-cmd 'pg_isready -U app -d app' --health-interval 1s docker.io/library/postgres:15 \
    postgres -c log_connections=on >/dev/null
  kdb=sgkdb$run_id
  healthy() { [[ $(podman inspect --format '{{.State.Health.Status}}' "$1") == healthy ]]; }
  check "the database is healthy" eventually 120 healthy "$kdb" ||
    echo "    health: $(podman inspect --format '{{.State.Health.Status}}' "$kdb"); $(podman logs "$kdb" 2>&1 | tail -n 3)"
  # The app container's image: a server on 8000 (the manifests' ghcr.io images are not here).
  printf 'FROM docker.io/library/python:3.12-slim\nCMD ["python3", "-m", "http.server", "8000"]\n' |
    podman build --pull=never -t localhost/schemagate-test-app -f - "$engine_dir" >/dev/null 2>&1
  images=(--image ghcr.io/example/schemagate:latest=localhost/schemagate
    --image ghcr.io/example/app:latest=localhost/schemagate-test-app)

  if wanted kube; then
    python3 tests/containers/kube_pods.py docker/kubernetes/deployment.yaml docker/kubernetes/secret.yaml \
      --url "postgresql://app:$password@db:5432/app" --migrations examples/migrations "${images[@]}" \
      --pods "sgk1-$run_id,sgk2-$run_id" --label "$label" --out "$engine_dir/kube" ||
      fail "could not derive the pods from deployment.yaml"
    kube_volumes="app-database app-migrations"
    kube_play "$engine_dir/kube" app "sgk1-$run_id" "sgk2-$run_id"
    for pod in "sgk1-$run_id" "sgk2-$run_id"; do podman kube down "$engine_dir/kube.$pod.yaml" >/dev/null 2>&1; done
    # kube play keeps the ConfigMap as a volume; the next play makes its own.
    podman volume rm -f app-migrations >/dev/null 2>&1
  fi

  if wanted kube-pgbouncer; then
    scenario=kube-pgbouncer
    db_query "$kdb" "create database apppool" >/dev/null
    # PgBouncer as pgbouncer.yaml's Deployment runs it (image, environment, the userlist Secret at
    # its mountPath), reachable by its Service's name; only DB_HOST and the password are the test's.
    mkdir -p "$engine_dir/pgbouncer-secret"
    bouncer_args=()
    while IFS= read -r -d '' arg; do bouncer_args+=("$arg"); done < <(python3 - "$engine_dir/pgbouncer-secret" "$password" <<'PY'
import re, sys, yaml
out, password = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open("docker/kubernetes/pgbouncer.yaml")) if d]
kinds = {d["kind"]: d for d in docs}
pod = kinds["Deployment"]["spec"]["template"]["spec"]
(container,) = pod["containers"]
secret = kinds["Secret"]
args = ["--network-alias", kinds["Service"]["metadata"]["name"]]
for e in container["env"]:
    args += ["-e", f"{e['name']}={'db' if e['name'] == 'DB_HOST' else e['value']}"]
volumes = {v["name"]: v for v in pod["volumes"]}
for mount in container["volumeMounts"]:
    if volumes[mount["name"]]["secret"]["secretName"] != secret["metadata"]["name"]:
        sys.exit("pgbouncer.yaml mounts a Secret it does not define")
    for key, text in secret["stringData"].items():
        with open(f"{out}/{key}", "w") as f:
            f.write(re.sub(r'^("[^"]+") "[^"]*"$', lambda m: f'{m.group(1)} "{password}"', text, flags=re.M))
    args += ["-v", f"{out}:{mount['mountPath']}:ro"]
image = container["image"]
args.append(image if "." in image.split("/")[0] else "docker.io/" + image)
sys.stdout.write("".join(a + "\0" for a in args))
PY
    )
    bouncer=sgkpgb$run_id
    podman run -d --pull=never --label "$label" --name "$bouncer" --network "$net" "${bouncer_args[@]}" >/dev/null
    bouncer_up() { podman logs "$bouncer" 2>&1 | grep -q 'process up'; }
    check "PgBouncer started" eventually 30 bouncer_up || podman logs "$bouncer" 2>&1 | tail -n 5
    check "PgBouncer pools by transaction" grep -qx 'pool_mode = transaction' <<<"$(podman logs "$bouncer" 2>&1)"
    port=$(python3 -c 'import yaml; print([d for d in yaml.safe_load_all(open("docker/kubernetes/pgbouncer.yaml")) if d["kind"] == "Service"][0]["spec"]["ports"][0]["port"])')
    python3 tests/containers/kube_pods.py docker/kubernetes/deployment-pgbouncer.yaml docker/kubernetes/secret-pgbouncer.yaml \
      --url "postgresql://app:$password@pgbouncer:$port/apppool" \
      --secret-value "migrations-url=postgresql://app:$password@db:5432/apppool" \
      --migrations examples/migrations "${images[@]}" \
      --pods "sgkp1-$run_id,sgkp2-$run_id" --label "$label" --out "$engine_dir/kubep" ||
      fail "could not derive the pods from deployment-pgbouncer.yaml"
    kube_volumes="$kube_volumes app-database-pgbouncer app-migrations"
    kube_play "$engine_dir/kubep" apppool "sgkp1-$run_id" "sgkp2-$run_id"
    bouncer_log=$(podman logs "$bouncer" 2>&1)
    db_log=$(podman logs "$kdb" 2>&1)
    direct=0
    for pod in "sgkp1-$run_id" "sgkp2-$run_id"; do
      infra=$(podman pod inspect --format '{{.InfraContainerID}}' "$pod" 2>/dev/null)
      ip=$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$infra" 2>/dev/null)
      check "pod $pod ($ip) waited through PgBouncer (its DATABASE_URL)" \
        grep -qE "@${ip//./\\.}:[0-9]+ login attempt: db=apppool user=app" <<<"$bouncer_log"
      grep -qE "connection received: host=${ip//./\\.} " <<<"$db_log" && direct=$((direct + 1))
    done
    # A pod that finds nothing pending never opens MIGRATIONS_DATABASE_URL, so at least one did.
    check "the migrations reached PostgreSQL directly from the pods ($direct of 2; MIGRATIONS_DATABASE_URL)" \
      test "$direct" -ge 1
    check "no lease row left (schema_migrations_lock)" no_lease_row "$kdb" apppool
    for pod in "sgkp1-$run_id" "sgkp2-$run_id"; do podman kube down "$engine_dir/kubep.$pod.yaml" >/dev/null 2>&1; done
  fi
fi

echo "containers.engine: $failures failure(s), $(($(date +%s) - suite_start)) s in all"
((failures == 0))
