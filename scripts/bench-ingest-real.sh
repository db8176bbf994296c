#!/usr/bin/env bash
# Ingest throughput with findings the real agent writes (benches/ingest.rs uses smaller
# synthetic ones): HOSTS hosts, each with its own key, identity and chain, FINDINGS_PER_HOST
# signed scans of recorded machines (T61, HP EliteBook, T430s, USB headset in turn), then one
# timed `isoguard-collector collect` into a fresh database and one timed HTML report.
# BACKENDS="sqlite postgresql" times each on its own copy of the same inbox; postgresql is a
# private server started here (Debian's postgresql package, unix socket only, fsync on, as
# the postgres user when run as root) and stopped at the end.
# Sends no network traffic (bundled classified policy, no probe targets, no TCP listener).
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-1000}
PER_HOST=${FINDINGS_PER_HOST:-10}
BACKENDS=${BACKENDS:-sqlite}
# fixture: `isoguard fixture build` makes the recorded machines' trees
cargo build --release --features collector,fixture --bins >/dev/null 2>&1
bin=$PWD/target/release
work=$PWD/target/bench-ingest-real
rm -rf "$work"
mkdir -p "$work"/{keys,trust,inbox,trees,hosts}
fixtures="thinkpad-t61 hp-elitebook-835-g10 lenovo-t430s usb-headset"
for f in $fixtures; do
  "$bin/isoguard" fixture build "tests/fixtures/$f" --out "$work/trees/$f" >/dev/null
done
: > "$work/empty-config.toml"

# One host: its own root (etc/ of its own, sys/proc/run linked to a recorded machine), key,
# enrolment under its machine id, and PER_HOST scans into the shared inbox.
gen_host() {
  local n=$1 name id root i f
  name=$(printf 'ws%05d' "$n")
  id=$(printf '%032x' "$n")
  root="$work/hosts/$name"
  mkdir -p "$root/etc"
  echo "$name" > "$root/etc/hostname"
  echo "$id" > "$root/etc/machine-id"
  "$bin/isoguard" keygen --out "$work/keys/$name.key" >/dev/null
  "$bin/isoguard-collector" enroll --trust "$work/trust" "$id" "$work/keys/$name.key.pub" >/dev/null
  set -- $fixtures
  for ((i = 0; i < PER_HOST; i++)); do
    shift_by=$(( (n + i) % $# + 1 ))
    f=${!shift_by}
    for d in sys proc run; do ln -sfn "$work/trees/$f/$d" "$root/$d"; done
    "$bin/isoguard" scan --config "$work/empty-config.toml" --policy classified --root "$root" \
      --key "$work/keys/$name.key" --spool "$work/inbox" --state "$root/state" >/dev/null || true
  done
}
export -f gen_host
export bin work PER_HOST fixtures

start=$(date +%s%N)
seq 1 "$HOSTS" | xargs -P 2 -I{} bash -c 'gen_host {}'
count=$(find "$work/inbox" -name '*.finding.json' | wc -l)
bytes=$(du -sb "$work/inbox" | cut -f1)
echo "generated $count findings from $HOSTS hosts, $((bytes / count)) bytes each on average, in $(( ($(date +%s%N) - start) / 1000000 )) ms"

source scripts/lib-pg.sh

for backend in $BACKENDS; do
  case $backend in
    sqlite) db=$work/findings.db ;;
    postgresql) pg_start "$work"; db=$pg_url ;;
    *) echo "unknown backend $backend (sqlite, postgresql)" >&2; exit 2 ;;
  esac
  inbox=$work/inbox-$backend
  cp -a "$work/inbox" "$inbox"
  sync
  start=$(date +%s%N)
  "$bin/isoguard-collector" collect --inbox "$inbox" --trust "$work/trust" --db "$db"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "collect ($backend): $count findings in $ms ms = $(( count * 1000 / ms )) findings/s"

  start=$(date +%s%N)
  "$bin/isoguard-collector" report --db "$db" --format html --out "$work/report-$backend.html"
  echo "report html ($backend): $(( ($(date +%s%N) - start) / 1000000 )) ms, $(du -b "$work/report-$backend.html" | cut -f1) bytes"
done
