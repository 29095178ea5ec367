#!/usr/bin/env bash
# The README's test command: every test of the workspace, with what they need started first.
#
# - PostgreSQL (Debian's package, installed when missing): a throwaway cluster (scripts/postgres.sh) in a
#   private temporary directory, on a free loopback port, stopped and removed when this script ends however
#   it ends; the store, queue and two-server tests run against it as well as SQLite. (A cluster of your own
#   stays yours: set SUTURE_TEST_DATABASE_URL and run `cargo test` directly.)
# - GitHub's published shapes from npm (@octokit/webhooks-examples, @octokit/openapi), installed when
#   missing (scripts/npm-fixtures.sh): webhook payloads and the REST description requests are checked on.
# - git, for the tests that build repositories and worktrees.
# Extra arguments go to `cargo test` (e.g. scripts/test.sh -p store).
set -euo pipefail
cd "$(dirname "$0")/.."

# Root on CI machines; elsewhere (a GitHub runner) through sudo.
if [ "$(id -u)" = 0 ]; then as_root() { "$@"; }; else as_root() { sudo "$@"; }; fi
if ! command -v git >/dev/null; then
  as_root apt-get update -qq && as_root apt-get install -y -qq git
fi
if ! command -v npm >/dev/null; then
  as_root apt-get update -qq && as_root apt-get install -y -qq npm
fi
SUTURE_NPM_DIR="${SUTURE_NPM_DIR:-$HOME/.cache/suture-npm}"
bash scripts/npm-fixtures.sh >/dev/null
export SUTURE_NPM_DIR
# A free port: one nothing answers on, picked at random above the usual service ranges.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "scripts/test.sh: no free port found" >&2
  return 1
}
pg_root="$(mktemp -d "${TMPDIR:-/tmp}/suture-test-pg.XXXXXX")"
# The server runs as `postgres` when we are root: it must be able to reach its data directory.
chmod 711 "$pg_root"
export SUTURE_PG_DIR="$pg_root/data"
SUTURE_PG_PORT="$(free_port)"
export SUTURE_PG_PORT
stop_postgres() {
  bash scripts/postgres.sh stop || true
  rm -rf "$pg_root"
}
trap stop_postgres EXIT
SUTURE_TEST_DATABASE_URL="$(bash scripts/postgres.sh)"
export SUTURE_TEST_DATABASE_URL
# PostgreSQL is there: a test that cannot reach it fails instead of skipping.
export SUTURE_REQUIRE_POSTGRES=1

# Every platform's dependencies, as `cargo metadata --offline` (the purity test) reads them; a build only
# downloads this platform's.
cargo fetch --locked --quiet
cargo test --workspace --locked "$@"
