#!/usr/bin/env bash
# Fuzzes, for SECONDS each (default 60), `convert` (the Rust syntax conversion, with deep and pathological
# code; seeds/convert holds small Rust texts, some starting with a repeat digit, see the target) and
# `pattern_file` (the pattern-file parser, seeded with the shipped library), and prints each one's
# executions and crashes. The mechanics are scripts/fuzz.sh's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../../../scripts/fuzz.sh" "$here" "${1:-60}" \
    convert=seeds/convert \
    pattern_file=../../../patterns/hand-written:../../../patterns/mined
