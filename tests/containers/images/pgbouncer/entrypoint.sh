#!/bin/bash
# The variables of edoburu/pgbouncer's entrypoint that compose/docker-compose.pgbouncer.yml and
# docker/kubernetes/pgbouncer.yaml set, with that image's defaults: DB_HOST (required), DB_PORT
# (5432), DB_NAME (* : every database), DB_USER, AUTH_TYPE (md5), AUTH_FILE
# (/etc/pgbouncer/userlist.txt), POOL_MODE (PgBouncer's own default, session), LISTEN_ADDR
# (0.0.0.0), LISTEN_PORT (5432). The image's other variables likeliest to be added (listed below)
# are refused rather than ignored, so a file that starts relying on one fails the suite instead of
# passing with a setting the stand-in never applied.
set -euo pipefail
for name in DATABASE_URL DATABASE_URLS DB_PASSWORD AUTH_USER AUTH_QUERY AUTH_HBA_FILE MAX_CLIENT_CONN \
  DEFAULT_POOL_SIZE MIN_POOL_SIZE RESERVE_POOL_SIZE ADMIN_USERS STATS_USERS SERVER_RESET_QUERY \
  CLIENT_TLS_SSLMODE SERVER_TLS_SSLMODE IGNORE_STARTUP_PARAMETERS; do
  if [[ -n ${!name+x} ]]; then
    echo "pgbouncer stand-in: $name is not honoured by this stand-in" >&2
    exit 1
  fi
done
config=/etc/pgbouncer/pgbouncer.ini
auth_file=${AUTH_FILE:-/etc/pgbouncer/userlist.txt}
[[ -e $auth_file ]] || touch "$auth_file"
cat >"$config" <<INI
[databases]
${DB_NAME:-*} = host=${DB_HOST:?the DB_HOST variable is required} port=${DB_PORT:-5432} auth_user=${DB_USER:-postgres}

[pgbouncer]
listen_addr = ${LISTEN_ADDR:-0.0.0.0}
listen_port = ${LISTEN_PORT:-5432}
unix_socket_dir =
user = postgres
auth_file = $auth_file
auth_type = ${AUTH_TYPE:-md5}
${POOL_MODE:+pool_mode = $POOL_MODE}
ignore_startup_parameters = extra_float_digits
admin_users = postgres
INI
# The configuration holds no password (that stays in the auth file), so it can be shown.
cat "$config"
echo "Starting $*..."
exec "$@"
