#!/usr/bin/env bash
# Runs the `read` fuzz target for SECONDS (default 60) and prints how many inputs it executed.
#
# cargo-fuzz passes `-Z` flags (sanitizer, coverage passes) that only nightly rustc accepts;
# RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them, so no nightly is needed. The fixtures under
# ../test_data seed the corpus. FUZZ_SANITIZER=none skips AddressSanitizer (faster; the crate has no
# unsafe code, so ASan mostly costs speed).
set -euo pipefail

seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-address}"
cd "$(dirname "$0")"

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

mkdir -p corpus/read
log="$(mktemp)"
if ! RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer "$sanitizer" read corpus/read ../test_data -- \
    -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzzing failed; full log: $log" >&2
    exit 1
fi
grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || true
executions="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')"
echo "executions: ${executions:-unknown} in ${seconds} s (sanitizer: $sanitizer)"
rm -f "$log"
