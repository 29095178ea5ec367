#!/usr/bin/env bash
# Starts a throwaway local PostgreSQL for suture's store and queue tests, and prints its URL.
#
#   export SUTURE_TEST_DATABASE_URL=$(bash scripts/postgres.sh)
#   bash scripts/postgres.sh stop     # stops the cluster in SUTURE_PG_DIR, if it runs
#
# Idempotent: installs the server binaries only when they are missing, creates the cluster only
# when it does not exist, starts it only when it is not running, and creates the database only
# when it is absent. The only line on stdout is the URL; every diagnostic goes to stderr.
#
# SUTURE_PG_DIR   data directory (default /tmp/suture-pg; scripts/test.sh uses a private one); the unix
#                 socket lives in it too
# SUTURE_PG_PORT  TCP port on 127.0.0.1 (default 55432)
#
# The cluster trusts every connection from loopback and runs with fsync off: it holds test data
# only and must never hold anything else.
set -euo pipefail

dir=${SUTURE_PG_DIR:-/tmp/suture-pg}
port=${SUTURE_PG_PORT:-55432}
db=suture_test

log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
    # The newest installed major version.
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

bindir=$(find_bindir)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    log "postgresql server binaries are missing: installing the postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    # Root on CI machines; elsewhere (a GitHub runner) through sudo.
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" apt-get install -y postgresql >&2
    bindir=$(find_bindir)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        log "installing postgresql did not provide /usr/lib/postgresql/*/bin/initdb"
        exit 1
    fi
fi

# initdb and the server refuse to run as root, so as root everything runs as `postgres`.
if [ "$(id -u)" = 0 ]; then
    as_owner() { runuser -u postgres -- "$@"; }
else
    as_owner() { "$@"; }
fi

if [ "${1:-}" = stop ]; then
    if [ -f "$dir/postmaster.pid" ]; then
        log "stopping the cluster in $dir"
        as_owner "$bindir/pg_ctl" -D "$dir" -m fast -w -t 60 stop >&2
    fi
    exit 0
fi

if [ ! -s "$dir/PG_VERSION" ]; then
    log "creating a cluster in $dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$dir"
    fi
    chmod 700 "$dir"
    as_owner "$bindir/initdb" -D "$dir" -U postgres --auth-local=trust --auth-host=trust \
        -E UTF8 --no-locale >&2
    cat >>"$dir/postgresql.conf" <<CONF

# Written by suture's scripts/postgres.sh: loopback only, socket in the data directory, and no
# durability (a test cluster).
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
fi

# Whether the postmaster named in the lock file is alive. `pg_ctl status` only asks whether the pid
# exists, and a killed postmaster can linger as a zombie when nothing reaps it (containers whose
# init does not): that counts as dead here, and its stale lock file would stop a new server.
server_running() {
    local pid state
    [ -f "$dir/postmaster.pid" ] || return 1
    pid=$(head -n 1 "$dir/postmaster.pid")
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d ' ' -f 1)
    [ -n "$state" ] && [ "$state" != Z ]
}

if server_running; then
    log "the cluster in $dir is already running"
else
    if [ -f "$dir/postmaster.pid" ]; then
        log "removing the stale lock files of a postmaster that is gone"
        rm -f "$dir/postmaster.pid" "$dir"/.s.PGSQL.*.lock
    fi
    log "starting the cluster in $dir on 127.0.0.1:$port"
    # -o repeats the port so that a changed SUTURE_PG_PORT takes effect on an existing cluster.
    as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir" start >&2
fi

psql=("$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres)
if ! "${psql[@]}" -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
    log "the cluster in $dir runs but does not answer on 127.0.0.1:$port (is it configured for another port?)"
    exit 1
fi
if [ "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
    log "creating database $db"
    "${psql[@]}" -d postgres -c "CREATE DATABASE $db" >&2
fi

echo "postgres://postgres@127.0.0.1:$port/$db"
