#!/usr/bin/env bash
# A PostgreSQL for the hub's tests and benchmark, from Debian's packages. Idempotent: installs
# `postgresql` if missing, starts the default cluster (creating one if there is none), creates
# the role and database if missing, and prints the URL on standard output:
#
#   export FIELDSCREEN_PG_URL="$(bash scripts/postgres.sh)"
#
# TLS is on, with a certificate for 127.0.0.1 and localhost issued by a test CA this script makes
# (once) in $FIELDSCREEN_PG_TLS_DIR (default /var/lib/postgresql/fieldscreen-tls): `ca.pem` is
# what a client pins (the hub's `[postgres] ca`); `bash scripts/postgres.sh --ca` prints its path
# instead of the URL. The hub's TLS test reads it from FIELDSCREEN_PG_CA or that default path.
#
# The role and password are for a throwaway test database on 127.0.0.1 only.
set -euo pipefail

PRINT=url
if [ "${1:-}" = "--ca" ]; then PRINT=ca; fi
TLS_DIR="${FIELDSCREEN_PG_TLS_DIR:-/var/lib/postgresql/fieldscreen-tls}"

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

# A test CA and a server certificate it signs, made once; PostgreSQL reloads them (no restart).
if [ ! -s "$TLS_DIR/ca.pem" ] || [ ! -s "$TLS_DIR/server.pem" ] || [ ! -s "$TLS_DIR/server.key" ]; then
    log "making a test CA and server certificate in $TLS_DIR"
    as_root install -d -m 0755 -o postgres -g postgres "$TLS_DIR"
    tmp="$(mktemp -d)"
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 3650 \
        -subj "/CN=Fieldscreen test PostgreSQL CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/CN=127.0.0.1" \
        -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > "$tmp/ext"
    openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
        -days 3650 -extfile "$tmp/ext" -out "$tmp/server.pem" 2>/dev/null
    as_root install -m 0600 -o postgres -g postgres "$tmp/ca.key" "$TLS_DIR/ca.key"
    as_root install -m 0600 -o postgres -g postgres "$tmp/server.key" "$TLS_DIR/server.key"
    as_root install -m 0644 -o postgres -g postgres "$tmp/server.pem" "$TLS_DIR/server.pem"
    as_root install -m 0644 -o postgres -g postgres "$tmp/ca.pem" "$TLS_DIR/ca.pem"
    rm -rf "$tmp"
    RELOAD=1
fi
if [ "$(psql_admin -c "SHOW ssl")" != "on" ] || [ "$(psql_admin -c "SHOW ssl_cert_file")" != "$TLS_DIR/server.pem" ] || [ "${RELOAD:-0}" = 1 ]; then
    log "turning TLS on with the certificate in $TLS_DIR"
    psql_admin -c "ALTER SYSTEM SET ssl = on" >&2
    psql_admin -c "ALTER SYSTEM SET ssl_cert_file = '$TLS_DIR/server.pem'" >&2
    psql_admin -c "ALTER SYSTEM SET ssl_key_file = '$TLS_DIR/server.key'" >&2
    psql_admin -c "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 1 50); do
        [ "$(psql_admin -c "SHOW ssl_cert_file")" = "$TLS_DIR/server.pem" ] && break
        sleep 0.1
    done
fi

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
    log "creating role $ROLE"
    psql_admin -c "CREATE ROLE \"$ROLE\" LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
    log "creating database $DB"
    psql_admin -c "CREATE DATABASE \"$DB\" OWNER \"$ROLE\"" >&2
fi

if [ "$PRINT" = ca ]; then
    echo "$TLS_DIR/ca.pem"
else
    echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
fi
