#!/usr/bin/env bash
# Export and import throughput with findings the real agent writes: runs
# scripts/bench-ingest-real.sh (HOSTS, FINDINGS_PER_HOST, BACKENDS as there) to make and
# collect them into a unit's SQLite store, then times one `export` of everything into a bundle and one
# `import` of it into a fresh province store (BACKENDS="sqlite postgresql" imports into each;
# postgresql is a private server on a unix socket, as in bench-ingest-real.sh), and the
# second import of the same bundle (recognised, nothing stored).
# Sends no network traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS=${BACKENDS:-sqlite}
# The unit's store is the SQLite one; collect is timed on every backend asked for.
case " $BACKENDS " in *" sqlite "*) ;; *) echo "BACKENDS must include sqlite" >&2; exit 2 ;; esac
BACKENDS=$BACKENDS scripts/bench-ingest-real.sh
bin=$PWD/target/release
work=$PWD/target/bench-ingest-real
bundles=$work/bundles
rm -rf "$bundles"
mkdir -p "$bundles/units"
"$bin/isoguard-collector" keygen --out "$bundles/unit.key" >/dev/null
"$bin/isoguard-collector" enroll --trust "$bundles/units" unit-bench "$bundles/unit.key.pub" >/dev/null

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

start=$(date +%s%N)
"$bin/isoguard-collector" export --db "$work/findings.db" --trust "$work/trust" \
  --key "$bundles/unit.key" --unit unit-bench --out "$bundles/all.bundle" >/dev/null
ms=$(ms_since "$start")
count=$(( $(wc -l < "$bundles/all.bundle") - 1 - $(ls "$work/trust" | wc -l) - 1 ))
echo "export (sqlite): $count findings in $ms ms = $(( count * 1000 / ms )) findings/s, $(du -b "$bundles/all.bundle" | cut -f1) bytes"

source scripts/lib-pg.sh
for backend in $BACKENDS; do
  case $backend in
    sqlite) db=$bundles/province.db ;;
    postgresql) pg_start "$bundles"; db=$pg_url ;;
    *) echo "unknown backend $backend (sqlite, postgresql)" >&2; exit 2 ;;
  esac
  sync
  start=$(date +%s%N)
  "$bin/isoguard-collector" import --db "$db" --trust "$work/trust" --units "$bundles/units" \
    "$bundles/all.bundle" >/dev/null
  ms=$(ms_since "$start")
  echo "import ($backend): $count findings in $ms ms = $(( count * 1000 / ms )) findings/s"
  start=$(date +%s%N)
  "$bin/isoguard-collector" import --db "$db" --trust "$work/trust" --units "$bundles/units" \
    "$bundles/all.bundle" >/dev/null
  echo "import again ($backend): $(ms_since "$start") ms (recognised, nothing stored)"
done
