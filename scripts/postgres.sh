#!/usr/bin/env bash
# A PostgreSQL for the hub's tests and benchmark, from Debian's packages. Idempotent: installs
# `postgresql` if missing, starts the default cluster (creating one if there is none), creates
# the role and database if missing, and prints the URL on standard output:
#
#   export FIELDSCREEN_PG_URL="$(bash scripts/postgres.sh)"
#
# The role and password are for a throwaway test database on 127.0.0.1 only.
set -euo pipefail

ROLE="${FIELDSCREEN_PG_ROLE:-fieldscreen}"
PASSWORD="${FIELDSCREEN_PG_PASSWORD:-fieldscreen-test}"
DB="${FIELDSCREEN_PG_DB:-fieldscreen_test}"

log() { echo "postgres.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
    log "installing postgresql (Debian package)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$VERSION main$"; then
    log "creating cluster $VERSION/main"
    as_root pg_createcluster "$VERSION" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting cluster $VERSION/main"
    as_root pg_ctlcluster "$VERSION" main start >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $3}')"

psql_admin() {
    as_root runuser -u postgres -- psql -p "$PORT" -v ON_ERROR_STOP=1 -qtA "$@"
}

for _ in $(seq 1 50); do
    psql_admin -c "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.2
done

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
    log "creating role $ROLE"
    psql_admin -c "CREATE ROLE \"$ROLE\" LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
    log "creating database $DB"
    psql_admin -c "CREATE DATABASE \"$DB\" OWNER \"$ROLE\"" >&2
fi

echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
