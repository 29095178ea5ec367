#!/usr/bin/env bash
# Fuzzes the trace parser (target `parse`, seeded with ../test_data) for SECONDS (default 60) and prints its
# executions and crashes. The mechanics are scripts/fuzz.sh's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../../../scripts/fuzz.sh" "$here" "${1:-60}" parse=../test_data
