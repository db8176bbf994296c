#!/usr/bin/env bash
# Whole-process benchmarks of the release binary: wall time (hyperfine) and peak RSS (GNU time)
# of `isoguard inventory` on the ThinkPad T61 fixture tree and on this machine, and of a signed
# `isoguard scan` on the T61 tree, against the targets of issues 2 and 3.
#
# A measurement, not a test: it exits 0 when a target is missed (and prints MISSED), and
# non-zero only when it could not measure (a tool missing, a build or a command failing).
# It sends no network traffic: the scan uses the bundled `classified` policy, which has no
# probe targets, and an empty config file so /etc/isoguard/config.toml is not read.
#
# Needs: cargo, hyperfine, GNU time at /usr/bin/time (Debian: apt-get install hyperfine time).
# Knobs: BENCH_RUNS (30), BENCH_WARMUP (3), BENCH_RSS_RUNS (10), CARGO_TARGET_DIR.
# See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-3}
RSS_RUNS=${BENCH_RSS_RUNS:-10}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$TARGET_DIR/release/isoguard
WORK=$TARGET_DIR/bench-run
FIXTURE=tests/fixtures/thinkpad-t61

die() {
  echo "bench.sh: $*" >&2
  exit 2
}

command -v hyperfine >/dev/null || die "hyperfine not found (Debian: apt-get install hyperfine)"
if ! { [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; }; then
  die "GNU time not found at /usr/bin/time (Debian: apt-get install time)"
fi

echo "== cargo build --release"
cargo build --release
[ -x "$BIN" ] || die "$BIN was not built"

echo "== preparing $WORK"
rm -rf "$WORK"
mkdir -p "$WORK/results"
T61=$WORK/t61
KEY=$WORK/key
SPOOL=$WORK/spool
STATE=$WORK/state
CONFIG=$WORK/empty-config.toml
"$BIN" fixture build "$FIXTURE" --out "$T61" >/dev/null
"$BIN" keygen --out "$KEY" >/dev/null
: >"$CONFIG"

# `--policy classified` prefers a site copy over the bundled text; a site copy could carry
# probe targets, so fall back to the repository's file (the text that is bundled) then.
POLICY=classified
for dir in /etc/isoguard/policies /usr/share/isoguard/policies; do
  if [ -e "$dir/classified.toml" ]; then
    echo "note: $dir/classified.toml exists; using policies/classified.toml to stay offline"
    POLICY=policies/classified.toml
  fi
done
# Every `probes =` in it must be an empty list (a multi-line list starts with `probes = [`).
if grep -E '^[[:space:]]*probes[[:space:]]*=' policies/classified.toml |
  grep -Evq '^[[:space:]]*probes[[:space:]]*=[[:space:]]*\[[[:space:]]*\][[:space:]]*(#.*)?$'; then
  die "policies/classified.toml has probe targets; this script must not send traffic"
fi

# Each scan starts from an empty spool and chain state, so every run does the same work
# (a first finding of a new chain: sign, write durably, commit the state).
RESET_SCAN="sh -c 'rm -rf $SPOOL $STATE && mkdir -p $SPOOL $STATE'"
reset_scan() { rm -rf "$SPOOL" "$STATE" && mkdir -p "$SPOOL" "$STATE"; }

INV_T61=("$BIN" inventory --root "$T61" --format json)
INV_LIVE=("$BIN" inventory --format json)
SCAN_T61=("$BIN" scan --root "$T61" --policy "$POLICY" --format json --key "$KEY"
  --spool "$SPOOL" --state "$STATE" --config "$CONFIG")

# Runs a command once and checks it did its job: an exit code the command documents for a
# completed run (0 clean; 1 violations; 3 something unreadable) and a JSON document on stdout.
# hyperfine runs with --ignore-failure because of 1 and 3, so a usage error must be caught here.
check() {
  local name=$1
  shift
  local out=$WORK/results/$name.out rc=0
  "$@" >"$out" 2>"$WORK/results/$name.err" || rc=$?
  case $rc in
  0 | 1 | 3) ;;
  *)
    cat "$WORK/results/$name.err" >&2
    die "$name: exit code $rc"
    ;;
  esac
  [ "$(head -c1 "$out")" = "{" ] || die "$name: stdout is not a JSON object"
  echo "$name: exit $rc, $(wc -c <"$out") bytes of JSON"
}

# Peak RSS in KiB: the largest of RSS_RUNS runs under GNU time.
peak_rss() {
  local reset=$1
  shift
  local max=0 kib i
  for ((i = 0; i < RSS_RUNS; i++)); do
    [ "$reset" = reset ] && reset_scan
    # -o keeps the figure apart from the command's stderr; GNU time writes "Command exited
    # with non-zero status N" before it when N != 0 (1 and 3 are normal here), hence tail.
    /usr/bin/time -f %M -o "$WORK/results/time.txt" "$@" >/dev/null 2>&1 || true
    kib=$(tail -n1 "$WORK/results/time.txt")
    [ "$kib" -gt "$max" ] && max=$kib
  done
  echo "$max"
}

ROWS=()
MISSED=0
# measure NAME TARGET_MS TARGET_KIB RESET(reset|-) CMD...
measure() {
  local name=$1 target_ms=$2 target_kib=$3 reset=$4
  shift 4
  local prepare=()
  [ "$reset" = reset ] && prepare=(--prepare "$RESET_SCAN") && reset_scan
  check "$name" "$@"
  echo "== $name: hyperfine --warmup $WARMUP --runs $RUNS"
  hyperfine -N --ignore-failure --output=pipe --style basic \
    --warmup "$WARMUP" --runs "$RUNS" "${prepare[@]}" \
    --export-json "$WORK/results/$name.json" --export-csv "$WORK/results/$name.csv" \
    -n "$name" "$(printf '%q ' "$@")"
  echo "== $name: peak RSS over $RSS_RUNS runs"
  local kib
  kib=$(peak_rss "$reset" "$@")
  # CSV: command,mean,stddev,median,user,system,min,max (seconds)
  local row
  row=$(awk -F, -v name="$name" -v kib="$kib" -v tms="$target_ms" -v tkib="$target_kib" '
    NR == 2 {
      mean = $2 * 1000; sd = $3 * 1000; min = $7 * 1000
      ok = (mean < tms && kib < tkib)
      printf "%-16s %8.2f ± %5.2f %8.2f %10d   < %2d ms, < %5d KiB   %s\n",
        name, mean, sd, min, kib, tms, tkib, ok ? "PASS" : "FAIL (MISSED)"
    }' "$WORK/results/$name.csv")
  ROWS+=("$row")
  case $row in *MISSED*) MISSED=$((MISSED + 1)) ;; esac
}

# Targets: issue 2 (inventory: 20 ms, 10 MiB), issue 3 (signed scan: 25 ms, 12 MiB).
measure inventory-t61 20 10240 - "${INV_T61[@]}"
measure inventory-live 20 10240 - "${INV_LIVE[@]}"
measure scan-t61-signed 25 12288 reset "${SCAN_T61[@]}"

echo
echo "isoguard $("$BIN" --version | awk '{print $2}'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-16s %16s %8s %10s   %-24s %s\n' measurement "mean ± sd ms" "min ms" "RSS KiB" target result
for row in "${ROWS[@]}"; do
  echo "$row"
done
echo "(mean and min: hyperfine, $RUNS runs after $WARMUP warm-up; RSS: max of $RSS_RUNS runs of /usr/bin/time -f %M)"
echo "(raw results: $WORK/results/*.json)"
if [ "$MISSED" -gt 0 ]; then
  echo "MISSED: $MISSED of ${#ROWS[@]} targets (a measurement, not a test: exit 0)"
else
  echo "all ${#ROWS[@]} targets met"
fi
exit 0
