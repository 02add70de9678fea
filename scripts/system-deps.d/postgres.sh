#!/usr/bin/env bash
# PostgreSQL for the registry test-suite: installed from Debian's packages when missing, one
# cluster started on 127.0.0.1 only, a role and a database for the tests, and the URL the
# tests read appended to .driftline-test.env. Idempotent and quick when already done.
# Runs as root (it is called by scripts/system-deps.sh from `make test` and CI).
set -euo pipefail
cd "$(dirname "$0")/../.."

ROLE=driftline
DB=driftline_test
# A fixed test password: the server listens on loopback only and holds nothing but test data.
PASSWORD=driftline-test

if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" > /dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
CLUSTER=main
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c' | grep -q .; then
  pg_createcluster "$VERSION" "$CLUSTER" > /dev/null
fi
CONF_DIR=/etc/postgresql/$VERSION/$CLUSTER
# Loopback only: never reachable from another machine.
if ! grep -q "^listen_addresses = '127.0.0.1'" "$CONF_DIR/postgresql.conf"; then
  echo "listen_addresses = '127.0.0.1'" >> "$CONF_DIR/postgresql.conf"
  pg_ctlcluster "$VERSION" "$CLUSTER" stop > /dev/null 2>&1 || true
fi
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')
STATUS=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}')
if [ "$STATUS" != "online" ]; then
  pg_ctlcluster "$VERSION" "$CLUSTER" start
fi

psql_as_postgres() {
  runuser -u postgres -- psql -p "$PORT" -v ON_ERROR_STOP=1 -qAtX "$@"
}
for _ in $(seq 1 50); do
  psql_as_postgres -c 'SELECT 1' > /dev/null 2>&1 && break
  sleep 0.2
done
if [ "$(psql_as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  psql_as_postgres -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [ "$(psql_as_postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  psql_as_postgres -c "CREATE DATABASE $DB OWNER $ROLE"
fi

echo "DRIFTLINE_TEST_POSTGRES_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB" \
  >> .driftline-test.env
