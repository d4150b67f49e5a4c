#!/usr/bin/env bash
# A private PostgreSQL server for the tests, never the system's cluster: its own data directory under DIR,
# a free port on 127.0.0.1, its socket in DIR, fsync off (test data is thrown away), a superuser `wharf`
# with a random password (scram-sha-256 over TCP, so the tests log in with a password as production does).
#
#   scripts/postgres-test-server.sh start DIR   initdb + start; prints one line for eval:
#                                               export WHARF_TEST_POSTGRES='postgres://wharf:PASSWORD@127.0.0.1:PORT/postgres'
#   scripts/postgres-test-server.sh stop DIR    stops the server (immediate) and removes DIR
#
# Needs Debian's `postgresql` package (initdb and pg_ctl from /usr/lib/postgresql/*/bin). PostgreSQL refuses
# to run as root, so as root the server runs as the `postgres` user (created by the package) through runuser.
set -euo pipefail

action="${1:-}"
dir="${2:-}"
[[ -n "$action" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

as_server_user=()
if [[ "$(id -u)" -eq 0 ]]; then as_server_user=(runuser -u postgres --); fi

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"

case "$action" in
  start)
    [[ -x "$bin/initdb" && -x "$bin/pg_ctl" ]] || { echo "error: no initdb/pg_ctl in /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2; exit 1; }
    mkdir -p "$dir"
    password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$password" >"$dir/pwfile"
    if ((${#as_server_user[@]})); then chown -R postgres: "$dir"; fi
    chmod 700 "$dir"
    "${as_server_user[@]}" "$bin/initdb" -D "$dir/pgdata" -U wharf --pwfile="$dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "${as_server_user[@]}" "$bin/pg_ctl" -D "$dir/pgdata" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export WHARF_TEST_POSTGRES='postgres://wharf:$password@127.0.0.1:$port/postgres'"
    ;;
  stop)
    if [[ -f "$dir/pgdata/postmaster.pid" && -x "$bin/pg_ctl" ]]; then
      "${as_server_user[@]}" "$bin/pg_ctl" -D "$dir/pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
