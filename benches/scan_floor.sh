#!/usr/bin/env bash
# A scan against its parse floor: `suture fix CODEBASE --patterns LIBRARY --no-history --validate none` (the
# whole scan: walk, parse, match, build and re-parse the fixes, rank; no compile check) beside the parse floor
# (crates/pipeline/benches/parse_floor.rs: the same walk, read and tree-sitter parse of every file on the same
# thread pool, nothing else), interleaved, in the same run. Target (Few-shot issue): a library of ~400 patterns
# mined from a history of >= 500k lines of Rust, scanning that codebase, <= 1.5x the parse floor; peak <= 200 MB.
#
# Usage: benches/scan_floor.sh CODEBASE LIBRARY [RUNS]
#   CODEBASE  a directory of Rust code; only read (suture fix runs without --apply)
#   LIBRARY   a pattern library directory, e.g. from `suture mine REPO --out LIBRARY`
#   RUNS      repetitions of each measurement, interleaved (default 3); medians are reported
# Exit codes: 0 done, 2 error.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
codebase="${1:?usage: benches/scan_floor.sh CODEBASE LIBRARY [RUNS]}"
library="${2:?usage: benches/scan_floor.sh CODEBASE LIBRARY [RUNS]}"
runs="${3:-3}"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }
[ -d "$library" ] || { echo "scan_floor.sh: no library directory '$library'" >&2; exit 2; }

# SUTURE and FLOOR: binaries to measure instead of building this repository's suture and parse_floor bench.
if [ -n "${SUTURE:-}" ]; then
  suture="$SUTURE"
else
  cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin suture
  suture="${CARGO_TARGET_DIR:-$here/target}/release/suture"
fi
floor="${FLOOR:-$(cargo bench --manifest-path "$here/Cargo.toml" -p pipeline --bench parse_floor --no-run 2>&1 |
  sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)}"
[ -x "$floor" ] || { echo "scan_floor.sh: could not build the parse_floor bench" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
f_wall=(); f_cpu=(); s_wall=(); s_cpu=(); s_rss=()
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$floor" "$codebase" >"$work/floor.out"
  read -r wall user sys _ < <(tail -1 "$work/t")
  f_wall+=("$wall"); f_cpu+=("$(echo "$user + $sys" | bc -l)")
  status=0
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$suture" fix "$codebase" --patterns "$library" --no-history \
    --validate none --format json >"$work/scan.json" 2>"$work/scan.err" || status=$?
  # 1 means fixes were found; anything else is an error.
  [ "$status" -le 1 ] || { cat "$work/scan.err" >&2; exit 2; }
  read -r wall user sys kb < <(tail -1 "$work/t")
  s_wall+=("$wall"); s_cpu+=("$(echo "$user + $sys" | bc -l)"); s_rss+=("$kb")
done
fw=$(printf '%s\n' "${f_wall[@]}" | median); fc=$(printf '%s\n' "${f_cpu[@]}" | median)
sw=$(printf '%s\n' "${s_wall[@]}" | median); sc=$(printf '%s\n' "${s_cpu[@]}" | median)
peak=$(printf '%s\n' "${s_rss[@]}" | sort -g | tail -1)
patterns=$(find "$library" -name '*.toml' | wc -l)
summary=$(python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
print(f\"{r['files_scanned']} files scanned, {len(r['fixes'])} fixes proposed, {len(r['skipped'])} candidates skipped\")
" "$work/scan.json")
echo "codebase: $codebase; library: $library ($patterns pattern files)"
echo "$(cat "$work/floor.out")"
echo "parse floor:  median wall ${fw}s, CPU ${fc}s over $runs runs"
echo "suture fix:   median wall ${sw}s, CPU ${sc}s; $summary"
awk -v sw="$sw" -v fw="$fw" -v sc="$sc" -v fc="$fc" -v p="$peak" 'BEGIN {
  printf "ratio scan / parse floor: wall %.2fx, CPU %.2fx (target <= 1.5x); peak RSS %.1f MiB (target <= 200)\n",
    sw/fw, sc/fc, p/1024 }'
