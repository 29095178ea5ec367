#!/usr/bin/env bash
# Runs the cargo-fuzz targets of one fuzz package for SECONDS each and prints, per target, how many inputs it
# executed and whether it crashed. Every crates/*/fuzz/run.sh calls this with its own targets and seeds.
#
#   bash scripts/fuzz.sh FUZZ_DIR SECONDS TARGET=SEEDS[:SEEDS…] …
#
# SEEDS are directories relative to FUZZ_DIR; the corpus grows in FUZZ_DIR/corpus/TARGET. cargo-fuzz passes
# `-Z` flags (sanitizer, coverage passes) that only nightly rustc accepts; RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them, so no nightly is needed. FUZZ_SANITIZER=none skips AddressSanitizer (faster; the
# fuzzed crates have no unsafe code of their own, so ASan mostly costs speed). A crash fails the script
# after every target has run, and its log is kept (the path is printed).
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 FUZZ_DIR SECONDS TARGET=SEEDS[:SEEDS…] …" >&2
    exit 2
fi
dir="$1"
seconds="$2"
shift 2
sanitizer="${FUZZ_SANITIZER:-address}"
cd "$dir"

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

status=0
for spec in "$@"; do
    target="${spec%%=*}"
    IFS=: read -r -a seeds <<<"${spec#*=}"
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
