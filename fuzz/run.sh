#!/usr/bin/env bash
# One libFuzzer target for a while on its committed corpus: fuzz/run.sh TARGET_BINARY NAME [ARGS...]
# (NAME is settings, migration_file or masking; ARGS go to libFuzzer). The ctest entries fuzz.NAME
# and scripts/fuzz run this.
#
# New inputs go to a temporary directory listed first: libFuzzer writes into its first corpus
# directory, and a CI run must not add files to fuzz/corpus/NAME.
#
#   FUZZ_SECONDS    how long (default 20)
#   FUZZ_ARTIFACTS  where a crashing input is kept, as NAME-crash-<sha1> (default ./fuzz-artifacts)
#   FUZZ_LOG_DIR    where libFuzzer's output goes, as NAME.log, and the summary line, as NAME.summary
#                   (default: a temporary directory)
#
# Prints libFuzzer's output when the target fails, and always ends with one line:
#   fuzz NAME: 412345 executions in 21 s (19635/s), coverage 1234 edges, corpus 210, crashes 0
set -euo pipefail

target=$1
name=$2
shift 2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
corpus="$here/corpus/$name"
artifacts=${FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
mkdir -p "$artifacts"

scratch=$(mktemp -d -t "schemagate-fuzz-$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
if [[ -n ${FUZZ_LOG_DIR:-} ]]; then
  mkdir -p "$FUZZ_LOG_DIR"
  log="$FUZZ_LOG_DIR/$name.log"
else
  log="$scratch/$name.log"
fi
mkdir "$scratch/corpus"

dict=()
if [[ -f $here/$name.dict ]]; then dict=(-dict="$here/$name.dict"); fi

status=0
started=$SECONDS
"$target" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$name-" "${dict[@]}" "$@" "$scratch/corpus" "$corpus" >"$log" 2>&1 ||
  status=$?
if ((status != 0)); then cat "$log"; fi

# The "#N DONE cov: C ft: F corp: K/Sb ..." line and -print_final_stats' stat:: lines.
summary=$(awk -v name="$name" -v status="$status" -v secs=$((SECONDS - started)) '
  /^#[0-9]+[ \t]/ { for (i = 1; i <= NF; i++) { if ($i == "cov:") cov = $(i + 1); if ($i == "corp:") corp = $(i + 1) } }
  /^stat::number_of_executed_units:/ { execs = $2 }
  /^stat::average_exec_per_sec:/ { rate = $2 }
  /^==[0-9]+== ?ERROR|^SUMMARY: |INVARIANT VIOLATED/ { crashed = 1 }
  END {
    sub(/\/.*/, "", corp)
    printf "fuzz %s: %s executions in %s s (%s/s), coverage %s edges, corpus %s, crashes %d%s\n",
           name, execs == "" ? "?" : execs, secs, rate == "" ? "?" : rate,
           cov == "" ? "?" : cov, corp == "" ? "?" : corp, crashed || status != 0,
           status != 0 ? " (exit " status ", input kept in the artifacts directory)" : ""
  }' "$log")
echo "$summary"
if [[ -n ${FUZZ_LOG_DIR:-} ]]; then echo "$summary" >"$FUZZ_LOG_DIR/$name.summary"; fi
exit "$status"
