#!/usr/bin/env bash
# Mining benchmark: `suture mine` on a whole history against `git log -p --no-renames -- '*.rs'` on the same
# repository, measured in the same run. Prints medians, their ratio (target: <= 3x), commits/s and peak memory.
#
# Usage: benches/mine.sh [REPO] [RUNS]
#   REPO  a git repository (bare or not); default: this repository's own history
#   RUNS  repetitions of each measurement (default 5); medians are reported
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="${1:-$here}"
runs="${2:-5}"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
suture="$here/target/release/suture"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

git_times=(); mine_times=(); rss=()
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e" -o "$work/t" git -C "$repo" log -p --no-renames -- '*.rs' >/dev/null
  git_times+=("$(cat "$work/t")")
  rm -rf "$work/db" "$work/lib"
  /usr/bin/time -f "%e %M" -o "$work/t" "$suture" mine "$repo" --db "$work/db/suture.db" --out "$work/lib" --format json >"$work/report.json"
  read -r secs kb <"$work/t"
  mine_times+=("$secs"); rss+=("$kb")
done

commits=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(x['mined_now'] for x in r['report']['repos']))" "$work/report.json")
edits=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['report']['edits'], r['report']['patterns'])" "$work/report.json")
g=$(printf '%s\n' "${git_times[@]}" | median)
m=$(printf '%s\n' "${mine_times[@]}" | median)
peak=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
echo "repo: $repo ($(git -C "$repo" rev-parse HEAD))"
echo "git log -p --no-renames -- '*.rs': median ${g}s over $runs runs"
echo "suture mine (fresh store):         median ${m}s over $runs runs; $commits commits, edits/patterns: $edits"
awk -v m="$m" -v g="$g" -v c="$commits" -v p="$peak" 'BEGIN {
  printf "ratio mine/git-log: %.2fx (target <= 3x); %.0f commits/s; peak RSS %.1f MiB\n", m/g, c/m, p/1024 }'
