#!/usr/bin/env bash
# The README's test command: every test of the workspace, with what they need started first.
#
# - PostgreSQL (Debian's package, installed when missing) on 127.0.0.1:55432 with a throwaway cluster
#   (scripts/postgres.sh): the store, queue and two-server tests run against it as well as SQLite.
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
SUTURE_TEST_DATABASE_URL="$(bash scripts/postgres.sh)"
export SUTURE_TEST_DATABASE_URL
# PostgreSQL is there: a test that cannot reach it fails instead of skipping.
export SUTURE_REQUIRE_POSTGRES=1

cargo test --workspace --locked "$@"
