#!/bin/sh
# Make sure a PostGIS database is reachable and print its URL on stdout.
#
# With DATABASE_URL set, that database is created if missing. Without it, a
# project-local PostgreSQL cluster is created under .pgdata/ and started on
# 127.0.0.1:${GEOSALUD_PGPORT:-55432}. initdb refuses to run as root, so as
# root the cluster belongs to the system user "geosalud".
set -eu

PROJECT_DIR=$(cd "$(dirname "$0")/.." && pwd)
PGDATA_DIR="$PROJECT_DIR/.pgdata"
PORT="${GEOSALUD_PGPORT:-55432}"
DB_USER="geosalud"
DB_NAME="geosalud"

log() { echo "$*" >&2; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$DB_USER" -- "$@"
    else
        "$@"
    fi
}

if [ -n "${DATABASE_URL:-}" ]; then
    libpq_url=$(echo "$DATABASE_URL" | sed -e 's#^postgis://#postgresql://#' -e 's#^postgres://#postgresql://#')
    db_name=$(echo "$libpq_url" | sed -e 's#.*/##' -e 's#?.*##')
    admin_url=$(echo "$libpq_url" | sed -e "s#/$db_name\(?.*\)\{0,1\}\$#/postgres#")
    if ! psql "$libpq_url" -Atqc "select 1" >/dev/null 2>&1; then
        log "Creating database $db_name"
        psql "$admin_url" -qc "CREATE DATABASE \"$db_name\""
    fi
    echo "$DATABASE_URL"
    exit 0
fi

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PG_BIN" ]; then
    log "PostgreSQL server binaries not found under /usr/lib/postgresql. Run scripts/setup_system.sh first."
    exit 1
fi

if [ "$(id -u)" -eq 0 ] && ! id "$DB_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$DB_USER"
fi

if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    log "Creating a PostgreSQL cluster in $PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    [ "$(id -u)" -eq 0 ] && chown "$DB_USER" "$PGDATA_DIR"
    chmod 700 "$PGDATA_DIR"
    as_owner "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$DB_USER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi

if ! as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    log "Starting PostgreSQL on 127.0.0.1:$PORT"
    if ! as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -w -l "$PGDATA_DIR/server.log" \
            -o "-p $PORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1" start >/dev/null; then
        # pg_ctl prints only "Examine the log output", so print the log's path and its last lines.
        echo "PostgreSQL did not start on 127.0.0.1:$PORT. Last lines of $PGDATA_DIR/server.log:" >&2
        tail -n 5 "$PGDATA_DIR/server.log" >&2
        echo "If the port is taken, free it or pick another with GEOSALUD_PGPORT=<port>, then run make again." >&2
        exit 1
    fi
fi

if ! psql -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres -Atqc \
        "select 1 from pg_database where datname = '$DB_NAME'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres -qc "CREATE DATABASE $DB_NAME"
fi

echo "postgis://$DB_USER@127.0.0.1:$PORT/$DB_NAME"
