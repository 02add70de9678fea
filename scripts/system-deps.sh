#!/usr/bin/env bash
# Installs and starts what the test-suite needs outside Python: PostgreSQL on loopback for
# the registry suite, Debian's chromium for the browser tests. Idempotent; writes the
# connection settings the tests read into .driftline-test.env.
set -euo pipefail
cd "$(dirname "$0")/.."
: > .driftline-test.env
for part in scripts/system-deps.d/*.sh; do
  [ -e "$part" ] || continue
  bash "$part"
done
