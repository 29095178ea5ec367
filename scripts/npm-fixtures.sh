#!/usr/bin/env bash
# Installs GitHub's own published shapes for the tests: the webhook example payloads
# (@octokit/webhooks-examples) and the REST API description (@octokit/openapi), at pinned versions,
# into ${SUTURE_NPM_DIR:-$HOME/.cache/suture-npm}. Idempotent: does nothing when both are present.
# Prints the node_modules directory on stdout (everything else goes to stderr).
set -euo pipefail

WEBHOOKS_EXAMPLES_VERSION=7.6.1
OPENAPI_VERSION=23.0.2

dir="${SUTURE_NPM_DIR:-$HOME/.cache/suture-npm}"
modules="$dir/node_modules"
examples="$modules/@octokit/webhooks-examples/package.json"
openapi="$modules/@octokit/openapi/package.json"

installed_version() {
    # Prints the "version" field of a package.json, or nothing when the file is absent.
    [ -f "$1" ] && sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1" | head -n 1
}

if [ "$(installed_version "$examples")" != "$WEBHOOKS_EXAMPLES_VERSION" ] ||
    [ "$(installed_version "$openapi")" != "$OPENAPI_VERSION" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm-fixtures.sh: npm is not installed; install Node.js (npm) to fetch the test fixtures" >&2
        exit 1
    fi
    mkdir -p "$dir"
    # A package.json of its own keeps npm from walking up into an unrelated project.
    [ -f "$dir/package.json" ] || echo '{"name": "suture-npm-fixtures", "private": true}' >"$dir/package.json"
    npm install --no-save --no-audit --no-fund --ignore-scripts --prefix "$dir" \
        "@octokit/webhooks-examples@$WEBHOOKS_EXAMPLES_VERSION" \
        "@octokit/openapi@$OPENAPI_VERSION" >&2
fi

echo "$modules"
