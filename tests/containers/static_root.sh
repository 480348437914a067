#!/usr/bin/env bash
# The static binary where containers put it: an empty root holding only the binary, /etc/hosts,
# /etc/resolv.conf and a CA bundle. There it reaches PostgreSQL by host name with
# sslmode=verify-full against a server whose certificate a test CA signed, applies migrations and
# verifies tables; a certificate for another name is refused. Needs root (chroot). Usage:
#   static_root.sh PATH/TO/static/schemagate
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
binary=$(realpath "$1")
if ((EUID != 0)); then
  echo "static_root: needs root for chroot; skipped"
  exit 77
fi
fail() { echo "FAIL $*"; exit 1; }

file "$binary" | grep -q "statically linked" || fail "$binary is not statically linked: $(file "$binary")"
size=$(stat -c %s "$binary")
((size <= 8 * 1024 * 1024)) || fail "$binary is $size bytes, over 8 MiB"
echo "static binary: $size bytes, statically linked"

source scripts/lib/throwaway-pg.sh
work=$(mktemp -d -t schemagate-root.XXXXXX)
cleanup() { pg_stop; rm -rf "$work"; }
trap cleanup EXIT

# A test CA and a server certificate for pg.schemagate.test, signed by it.
host=pg.schemagate.test
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=schemagate test CA" \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$host" -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s\n' "$host" >"$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/san.ext" -out "$work/server.crt" 2>/dev/null

# The server reads its key from the data directory, owned by the server's user, mode 0600.
pg_tmp_ssl_setup() {
  cp "$work/server.crt" "$work/server.key" "$pg_tmp/data/"
  chmod 600 "$pg_tmp/data/server.key"
  if ((EUID == 0)); then chown postgres: "$pg_tmp/data/server.crt" "$pg_tmp/data/server.key"; fi
}
PG_EXTRA_CONF="ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
log_connections = on"
PG_BEFORE_START=pg_tmp_ssl_setup pg_start
password=root-$RANDOM$RANDOM
pg_psql -d postgres -v password="$password" >/dev/null <<'SQL'
CREATE ROLE gate LOGIN PASSWORD :'password';
CREATE DATABASE gate OWNER gate;
SQL

# The empty root.
root=$work/root
mkdir -p "$root/etc/ssl/certs" "$root/migrations" "$root/tmp"
cp "$binary" "$root/schemagate"
cp "$work/ca.crt" "$root/etc/ssl/certs/ca-certificates.crt"
printf '127.0.0.1 %s\n127.0.0.1 wrong.schemagate.test\n' "$host" >"$root/etc/hosts"
printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"
cp examples/migrations/* "$root/migrations/"

chroot=$(command -v chroot)
# Runs ARGS in the empty root with only the given VAR=value settings in its environment.
in_root() {  # in_root [VAR=value...] -- ARGS...
  local vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  env -i HOME=/tmp "${vars[@]}" "$chroot" "$root" "$@"
}
url() { echo "postgresql://gate:$password@$1:$pg_port/gate?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt"; }

out=$(in_root -- /schemagate --version)
[[ $out == "schemagate "* ]] || fail "--version in the empty root printed: $out"

rc=0
out=$(in_root DATABASE_URL="$(url $host)" MIGRATIONS_DIR=/migrations CRITICAL_TABLES=users,orders -- /schemagate 2>&1) || rc=$?
echo "$out"
((rc == 0)) || fail "the gate in the empty root exited $rc"
grep -q "database ready db=gate@$host:$pg_port/gate" <<<"$out" || fail "the log does not name $host"
grep -q "migrations done applied=3" <<<"$out" || fail "the example migrations were not applied"
grep -q "critical tables present" <<<"$out" || fail "the critical tables were not verified"
if grep -qF "$password" <<<"$out"; then fail "the password appears in the output"; fi

# TLS really on: the server logged schemagate's session as encrypted.
grep -q "application_name=schemagate SSL enabled" "$pg_tmp/server.log" ||
  fail "the server did not log schemagate's session as SSL enabled"

rc=0
out=$(in_root DATABASE_URL="$(url wrong.schemagate.test)" DB_MAX_RETRIES=1 -- /schemagate wait 2>&1) || rc=$?
echo "$out"
((rc == 69)) || fail "a certificate for another host name gave exit $rc, not 69"
grep -q "does not match host name" <<<"$out" || fail "the refusal does not say why"
if grep -qF "$password" <<<"$out"; then fail "the password appears in the refusal"; fi
echo "static_root: ok"
