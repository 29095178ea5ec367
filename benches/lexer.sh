#!/usr/bin/env bash
# Lexer benchmark: the textual scans that `suture fix` runs over every file (squeezing for the index's needle
# pass, and the bracket scan behind `enclosing_function`), timed in memory over a corpus of Rust sources by
# crates/pattern/examples/scan_bench.rs. Prints the median of RUNS passes per scan, throughput and checksums.
#
# Usage: benches/lexer.sh [RUNS] [PATH...]
#   RUNS  whole-corpus passes per scan (default 9); the median is reported
#   PATH  directories of Rust code (default: this workspace's crates plus the syn, regex-syntax, tokio and
#         clap_builder sources under ~/.cargo/registry/src, whichever versions are there)
# Compare two revisions by running it in each checkout: the checksums should agree except where one of them
# lexes something wrongly.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-9}"
shift || true
if (($# == 0)); then
  set -- "$here/crates" "$here/src"
  for name in syn regex-syntax tokio clap_builder; do
    for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name"-[0-9]*; do
      [[ -d "$dir" ]] && set -- "$@" "$dir"
    done
  done
fi
cargo run --release --quiet --manifest-path "$here/Cargo.toml" -p pattern --example scan_bench -- "$runs" "$@"
