#!/usr/bin/env bash
# `make test`: every check CI runs, in CI's order.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export KAM_HOME="${KAM_TEST_HOME:-$(mktemp -d)}"

step() { printf '\n== %s\n' "$*"; }

step "format"; $BIN/ruff format --check .
step "lint"; $BIN/ruff check .
step "types"; $BIN/mypy
step "import contracts"; $BIN/lint-imports
step "migrations"; $BIN/python manage.py makemigrations --check --dry-run

pg_root=$(mktemp -d)
stop_pg() { bash scripts/pg.sh stop "$pg_root/pg"; rm -rf "$pg_root"; }
trap stop_pg EXIT
step "throwaway PostgreSQL"
eval "$(bash scripts/pg.sh start "$pg_root/pg")"
echo "running on ${KAM_TEST_POSTGRES_URL}"

step "tests on SQLite (ledger on DuckDB; engine parity against PostgreSQL)"
$BIN/pytest -m "not browser" -q -p no:cacheprovider -n 2

step "tests on PostgreSQL (operational store and ledger)"
DATABASE_URL="$KAM_TEST_POSTGRES_URL" KAM_TEST_LEDGER=postgres \
  $BIN/pytest -m "not browser" -q -p no:cacheprovider -n 2

step "browser tests (Playwright + Chromium)"
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "could not install chromium"
fi
$BIN/pytest -m browser -q -p no:cacheprovider
