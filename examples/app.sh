#!/bin/sh
# Stand-in for a real service started by `schemagate -- examples/app.sh ...`: it shows what
# schemagate handed over. Its PID equals schemagate's because schemagate exec's it (SPEC §1.8).
echo "app: pid $$"
i=0
for arg in "$0" "$@"; do
  printf 'app: argv[%d] = %s\n' "$i" "$arg"
  i=$((i + 1))
done
echo "app: SCHEMAGATE_STATUS=${SCHEMAGATE_STATUS:-<unset>}"
# The URL carries the password, so only say whether it arrived.
if [ -n "${DATABASE_URL:-}" ]; then
  echo "app: DATABASE_URL is set"
else
  echo "app: DATABASE_URL is not set"
fi
