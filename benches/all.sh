#!/usr/bin/env bash
# Every benchmark, each figure against its baseline measured in the same run.
#
# Usage: benches/all.sh [REPO] [CODEBASE] [RUNS]
#   REPO      a git history to mine (default: this repository's own history)
#   CODEBASE  a source tree to scan against ast-grep (default: this repository)
#   RUNS      repetitions per measurement (default 3); medians are reported
# `suture eval` on real histories has its own script (benches/eval.sh), and the calibration fit another
# (benches/calibrate.sh): they take minutes per repository.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="${1:-$here/..}"
codebase="${2:-$here/..}"
runs="${3:-3}"
echo "## mining vs git log -p"
"$here/mine.sh" "$repo" "$runs"
echo "## clustering 1k / 10k / 100k edits"
cargo bench --quiet --manifest-path "$here/../Cargo.toml" -p mine --bench cluster
echo "## scanning vs the ast-grep CLI at 20 / 200 / 2,000 patterns"
"$here/scan.sh" "$codebase" "$runs"
echo "## heal overhead"
"$here/heal.sh" "$runs"
echo "## the price of library size alone (same matches)"
"$here/scan_library_size.sh" "$codebase" "$runs"
echo "## webhook → posted review for a 500-line PR diff, against the fake GitHub API (target 2 s)"
cargo bench --quiet --manifest-path "$here/../Cargo.toml" -p app --bench review
