# Sourced by scripts/demo and bench/*: a throwaway PostgreSQL 15 cluster on 127.0.0.1.
#   pg_start            sets $pg_tmp, $pg_port; local socket in $pg_tmp trusts us, TCP needs a password
#                       ($PG_EXTRA_CONF, when set, is appended to postgresql.conf, and the command
#                       $PG_BEFORE_START runs once the data directory exists)
#   pg_psql ARGS...     psql as the superuser over the private socket
#   pg_stop             stops the server and removes $pg_tmp (safe to call twice)
# The caller sets `trap pg_stop EXIT`.
pg_bin=/usr/lib/postgresql/15/bin
pg_tmp=""
pg_port=""

# initdb and postgres refuse to run as root, so the server side runs as the postgres user.
# The subshell's cd keeps initdb/pg_ctl from tripping over a cwd postgres may not enter.
pg_as_server() {
  if ((EUID == 0)); then
    (cd "$pg_tmp" && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_start() {
  pg_tmp=$(mktemp -d -t schemagate-pg.XXXXXX)
  if ((EUID == 0)); then chown postgres: "$pg_tmp"; fi
  if ! pg_as_server "$pg_bin/initdb" -D "$pg_tmp/data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 --no-sync >"$pg_tmp/initdb.log" 2>&1; then
    cat "$pg_tmp/initdb.log" >&2
    return 1
  fi
  # Something listening answers a connect; the first port nothing answers on is ours.
  for candidate in $(seq 54330 54429); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      pg_port=$candidate
      break
    fi
  done
  if [[ -z $pg_port ]]; then
    echo "no free port in 54330-54429 on 127.0.0.1" >&2
    return 1
  fi
  cat >>"$pg_tmp/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_tmp'
fsync = off  # throwaway data: durability would only cost time
${PG_EXTRA_CONF:-}
CONF
  if [[ -n ${PG_BEFORE_START:-} ]]; then "$PG_BEFORE_START"; fi
  if ! pg_as_server "$pg_bin/pg_ctl" start -D "$pg_tmp/data" -l "$pg_tmp/server.log" -w >/dev/null; then
    cat "$pg_tmp/server.log" >&2
    return 1
  fi
}

pg_psql() {
  "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_tmp" -p "$pg_port" -U postgres "$@"
}

pg_stop() {
  if [[ -n $pg_tmp && -f $pg_tmp/data/postmaster.pid ]]; then
    pg_as_server "$pg_bin/pg_ctl" stop -D "$pg_tmp/data" -m fast -w >/dev/null || true
  fi
  if [[ -n $pg_tmp ]]; then rm -rf "$pg_tmp"; fi
  pg_tmp=""
}
