# Sourced by the bench scripts: pg_start DIR starts a private PostgreSQL server in DIR/pg,
# reached only through its socket there (no TCP), creates database isoguard, sets pg_url,
# and stops the server when the script exits. As root the server runs as user postgres.
pg_start() {
  local dir=$1/pg
  pg_user=()
  pg_bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$pg_bindir/initdb" ] || { echo "no PostgreSQL server: apt-get install postgresql" >&2; exit 1; }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    pg_user=(runuser -u postgres --)
  fi
  "${pg_user[@]}" "$pg_bindir/initdb" --auth=trust --encoding=UTF8 --locale=C --username=isoguard \
    --pgdata "$dir/data" >/dev/null
  "${pg_user[@]}" "$pg_bindir/pg_ctl" --wait --pgdata "$dir/data" --log "$dir/server.log" \
    --options "-c listen_addresses='' -c unix_socket_directories='$dir'" start >/dev/null
  pg_dir=$dir
  pg_stop() { "${pg_user[@]}" "$pg_bindir/pg_ctl" --wait --pgdata "$pg_dir/data" stop >/dev/null; }
  trap pg_stop EXIT
  "$pg_bindir/psql" -X -q -d "postgresql:///postgres?host=$dir&user=isoguard" \
    -c "CREATE DATABASE isoguard ENCODING 'UTF8' TEMPLATE template0"
  pg_url="postgresql:///isoguard?host=$dir&user=isoguard"
}
