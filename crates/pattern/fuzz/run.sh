#!/usr/bin/env bash
# Runs the two fuzz targets for SECONDS each (default 60) and prints, per target, how many inputs it executed
# and whether it crashed: `convert` (the Rust syntax conversion, with deep and pathological code) and
# `pattern_file` (the pattern-file parser).
#
# Like crates/trace/fuzz/run.sh: RUSTC_BOOTSTRAP=1 lets the stable toolchain accept cargo-fuzz's `-Z` flags;
# FUZZ_SANITIZER=none skips AddressSanitizer. Seeds: seeds/convert (small Rust texts, some starting with a
# repeat digit, see the target) and the shipped library's pattern files.
set -euo pipefail

seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-address}"
cd "$(dirname "$0")"

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

status=0
for target in convert pattern_file; do
    case $target in
        convert) seeds=(seeds/convert) ;;
        pattern_file) seeds=(../../../patterns/hand-written ../../../patterns/mined) ;;
    esac
    mkdir -p "corpus/$target"
    log="$(mktemp)"
    if RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1; then
        crashes=0
    else
        crashes=1
        status=1
        tail -n 60 "$log"
        echo "fuzzing $target failed; full log: $log" >&2
    fi
    executions="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)"
    echo "$target: executions: ${executions:-unknown} in ${seconds} s, crashes: $crashes (sanitizer: $sanitizer)"
    [ "$crashes" = 1 ] || rm -f "$log"
done
exit "$status"
