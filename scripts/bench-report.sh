#!/usr/bin/env bash
# The collector's report at province scale (issue 16): HOSTS hosts (100,000) with
# FINDINGS_PER_HOST findings each (10, so 1,000,000), then `isoguard-collector report` in each
# of FORMATS (html json csv), each timed by /usr/bin/time -v (wall time, max RSS).
# The findings are real: the recorded machines scanned once each by the real agent, then
# given each host's identity, time and chain and signed with its own key by
# examples/report_db.rs, which writes them straight through the store's batch API (see
# there for the sizes). The database is kept between runs (REBUILD=1 makes it again); it
# takes about 9 GB. Sends no network traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-100000}
PER_HOST=${FINDINGS_PER_HOST:-10}
FORMATS=${FORMATS:-html json csv}
cargo build --release --features collector,fixture --bins --example report_db >/dev/null 2>&1
bin=$PWD/target/release
work=$PWD/target/bench-report
db=$work/findings-$HOSTS-$PER_HOST.db
mkdir -p "$work"

if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$db" ]; then
  rm -rf "$work"/{trees,real,root,key*} "$db" "$db"-*
  mkdir -p "$work"/{trees,real,root/etc}
  echo ws-template > "$work/root/etc/hostname"
  printf '%032x\n' 0 > "$work/root/etc/machine-id"
  : > "$work/empty-config.toml"
  "$bin/isoguard" keygen --out "$work/key" >/dev/null
  for f in thinkpad-t61 hp-elitebook-835-g10 lenovo-t430s usb-headset; do
    "$bin/isoguard" fixture build "tests/fixtures/$f" --out "$work/trees/$f" >/dev/null
    for d in sys proc run; do ln -sfn "$work/trees/$f/$d" "$work/root/$d"; done
    "$bin/isoguard" scan --config "$work/empty-config.toml" --policy classified \
      --root "$work/root" --key "$work/key" --spool "$work/real" \
      --state "$work/root/state-$f" >/dev/null || true
  done
  start=$(date +%s%N)
  "$bin/examples/report_db" "$db" "$HOSTS" "$PER_HOST" "$work"/real/*.finding.json
  echo "built $db ($(du -b "$db" | cut -f1) bytes) in $(( ($(date +%s%N) - start) / 1000000 )) ms"
fi

for format in $FORMATS; do
  out=$work/report.$format
  sync
  /usr/bin/time -v "$bin/isoguard-collector" report --db "$db" --format "$format" --out "$out" \
    2> "$work/time.$format"
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.$format")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.$format")
  echo "report $format: wall $wall, max RSS $(( rss / 1024 )) MB, $(du -b "$out" | cut -f1) bytes"
done
