#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster owned by this run:
# initdb in a temporary folder, start on a free loopback port, export DATABASE_URL,
# run the command, then stop the server and delete the folder whatever happened.
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$bindir/initdb" ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
workdir=$(mktemp -d /tmp/chorus-pg.XXXXXX)
chmod 755 "$workdir"
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$workdir"
  as_owner=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap stop EXIT
"${as_owner[@]}" "$bindir/initdb" -D "$workdir/data" -U chorus -A trust -E UTF8 --no-sync >/dev/null
# In the cluster's own configuration, so a restart (tests/reliability) keeps them.
cat >>"$workdir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$workdir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
"${as_owner[@]}" "$bindir/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w start >/dev/null
"${as_owner[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U chorus chorus
export DATABASE_URL="postgres://chorus@127.0.0.1:$port/chorus"
# For the tests that restart the database under load (tests/reliability).
export CHORUS_TEST_PGDATA="$workdir/data" CHORUS_TEST_PG_CTL="$bindir/pg_ctl" CHORUS_TEST_PG_LOG="$workdir/server.log"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
"$@"
