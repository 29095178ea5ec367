#!/usr/bin/env bash
# What a larger library costs by itself: `suture fix` with the same 20 realistic patterns, then with those 20
# plus 1,980 patterns that match nothing in the codebase. The matches (and so the fixes to build) are the
# same, so the ratio is the price of the library's size alone. Target: < 2x from 20 to 2,000 patterns.
#
# Usage: benches/scan_library_size.sh [CODEBASE] [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
codebase="${1:-$here}"
runs="${2:-5}"
suture="${SUTURE:-$here/target/release/suture}"
[ -n "${SUTURE:-}" ] || cargo build --release --quiet --manifest-path "$here/Cargo.toml"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$here/benches/scan_patterns.py" 20 "$work/p20" >/dev/null
mkdir -p "$work/p2000"
cp "$work/p20/suture/"*.toml "$work/p2000/"
python3 - "$work/p2000" <<'PY'
import sys
for i in range(1980):
    with open(f"{sys.argv[1]}/x-{i:04d}.toml", "w") as f:
        f.write(f'id = "x-{i:04d}"\norigin = "hand-written"\nscore = 1.0\n'
                f'before = "$A.zq_method_{i}($B)"\nafter = "$A.zq_other_{i}($B)"\n')
PY
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure() {
  for _ in $(seq "$runs"); do
    start=$EPOCHREALTIME
    "$suture" fix "$codebase" --patterns "$1" --format json >/dev/null || [ $? -eq 1 ]
    echo "$EPOCHREALTIME - $start" | bc -l
  done | median
}
t20=$(measure "$work/p20/suture")
t2000=$(measure "$work/p2000")
awk -v a="$t20" -v b="$t2000" 'BEGIN { printf "20 patterns: %.3f s; 20 + 1,980 non-matching: %.3f s; ratio %.2fx (target < 2x)\n", a, b, b/a }'
