# Sourced by tests/containers/engine_test.sh: a real container engine on this machine.
# Debian's podman 4.3 with runc, rootful, plus docker-compose 1.29 talking to podman's Docker API.
#   engine_start          containers.conf, the API service, the healthcheck loop; base images built
#                         when missing (debootstrap from apt's mirror, then podman import)
#   engine_stop           ends everything engine_start started (safe to call twice)
# Sets $engine_dir (scratch for this run), CONTAINERS_CONF and DOCKER_HOST.
# Images kept between runs (the only state left behind): docker.io/library/debian:bookworm,
# docker.io/library/postgres:15, docker.io/library/python:3.12-slim and
# docker.io/edoburu/pgbouncer:latest (stand-ins built here),
# plus the images the suite builds from the project's Dockerfile: localhost/schemagate and
# localhost/schemagate-build-stage, whose layers are the cache that makes the next run's build quick,
# and localhost/schemagate-test-app, the Kubernetes pods' app.
engine_dir=""
engine_api_pid=""
engine_health_pid=""
engine_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

engine_log() { echo "engine: $*" >&2; }

# Why the engine cannot run here, or nothing when it can.
engine_unavailable() {
  ((EUID == 0)) || { echo "needs root (rootful podman)"; return; }
  local tool
  for tool in podman runc debootstrap docker-compose; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/install-deps)"; return; }
  done
  local out
  if ! out=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>&1); then
    echo "podman info fails: $(tail -n1 <<<"$out")"
    return
  fi
}

engine_write_conf() {
  local nofile nproc
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  [[ $nofile == unlimited ]] && nofile=1048576
  [[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
  ((nofile > 1048576)) && nofile=1048576
  # The defaults (nofile 1048576) fail with "setrlimit RLIMIT_NOFILE: Operation not permitted"
  # above the machine's hard limits; crun refuses the hybrid cgroup layout, runc does not; no
  # registry is reachable, so nothing is ever pulled; no systemd, so cgroupfs and a file event log.
  cat >"$engine_dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
pull_policy = "never"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
CONF
  export CONTAINERS_CONF=$engine_dir/containers.conf
}

# The mirror apt on this machine is configured with, as apt itself reports it.
engine_mirror() {
  apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(SUITE)' 2>/dev/null |
    awk '$2 == "bookworm" && $3 !~ /-/ { print $1; exit }'
}

engine_base_image() {
  local tag=docker.io/library/debian:bookworm
  podman image exists "$tag" && return 0
  local mirror root
  mirror=$(engine_mirror)
  [[ -n $mirror ]] || { engine_log "no bookworm mirror in apt's sources"; return 1; }
  root=$engine_dir/rootfs
  engine_log "building $tag: debootstrap --variant=minbase bookworm from $mirror"
  if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$engine_dir/debootstrap.log" 2>&1; then
    tail -n 20 "$engine_dir/debootstrap.log" >&2
    return 1
  fi
  # Lean as Docker's own debian image: no apt lists, no caches.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  tar -C "$root" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$tag" >/dev/null
  rm -rf "$root"
}

# Stand-ins for the Docker Hub images the project's files name, built from debian:bookworm.
engine_stand_in() {
  local tag=$1 dir=$2
  podman image exists "$tag" && return 0
  engine_log "building stand-in $tag"
  podman build --pull=never -t "$tag" "$dir" >"$engine_dir/build-$(basename "$dir").log" 2>&1 || {
    tail -n 30 "$engine_dir/build-$(basename "$dir").log" >&2
    return 1
  }
}

# Without systemd nothing runs healthchecks: run each starting container's check once a second.
engine_health_loop() {
  while :; do
    local id
    for id in $(podman ps -q --filter health=starting 2>/dev/null); do
      podman healthcheck run "$id" >/dev/null 2>&1 || true
    done
    sleep 1
  done
}

engine_start() {
  engine_dir=$(mktemp -d -t schemagate-engine.XXXXXX)
  engine_write_conf
  engine_base_image || return 1
  engine_stand_in docker.io/library/postgres:15 "$engine_here/images/postgres" || return 1
  engine_stand_in docker.io/library/python:3.12-slim "$engine_here/images/python" || return 1
  engine_stand_in docker.io/edoburu/pgbouncer:latest "$engine_here/images/pgbouncer" || return 1
  podman system service --time=0 "unix://$engine_dir/podman.sock" >"$engine_dir/api.log" 2>&1 &
  engine_api_pid=$!
  export DOCKER_HOST=unix://$engine_dir/podman.sock
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -S $engine_dir/podman.sock ]] && curl -sf --unix-socket "$engine_dir/podman.sock" \
      http://d/_ping >/dev/null 2>&1 && break
    kill -0 "$engine_api_pid" 2>/dev/null || { cat "$engine_dir/api.log" >&2; return 1; }
    sleep 0.1
  done
  engine_health_loop &
  engine_health_pid=$!
}

engine_stop() {
  [[ -n $engine_health_pid ]] && kill "$engine_health_pid" 2>/dev/null && wait "$engine_health_pid" 2>/dev/null
  engine_health_pid=""
  [[ -n $engine_api_pid ]] && kill "$engine_api_pid" 2>/dev/null && wait "$engine_api_pid" 2>/dev/null
  engine_api_pid=""
  [[ -n $engine_dir ]] && rm -rf "$engine_dir"
  engine_dir=""
}
