#!/usr/bin/env bash
# The main job's first step, learning the repository's own history, against `git log -p` on the same history,
# measured in the same run. The budget (issue #14, and the figure for clap in shared/STYLE.md) is the first run
# <= 3x `git log -p`: the whole patch of every commit. Also timed and reported, as a stricter reference:
# `git log -p --no-renames -- '*.rs'`, only the Rust files suture reads. Also times a re-run with nothing new
# (the library on disk is current) and a re-run after one new commit (only it is mined).
# `suture migrations --validate none` is the job: it learns exactly as `suture fix` does, then only counts.
#
# BASELINE=BIN also times another suture binary's first run, alternating with this one's in every repetition,
# and reports its median and the median of the paired ratios (this machine's speed drifts between runs).
#
# Usage: benches/own_history.sh REPO [RUNS]
#   REPO  a git repository with a work tree or bare; it is cloned into a temporary directory, never touched
#   RUNS  repetitions of each measurement (default 3); medians are reported
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="${1:?usage: benches/own_history.sh REPO [RUNS]}"
runs="${2:-3}"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }

# SUTURE: a suture binary to measure instead of building this repository's.
if [ -n "${SUTURE:-}" ]; then
  suture="$SUTURE"
else
  cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin suture
  suture="${CARGO_TARGET_DIR:-$here/target}/release/suture"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/repo"
git -C "$work/repo" config user.name bench
git -C "$work/repo" config user.email bench@example.com

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
timed() { /usr/bin/time -f "%e %M" -o "$work/t" "$@" >"$work/out" 2>"$work/err"; cat "$work/t"; }

git_t=(); rs_t=(); first_t=(); again_t=(); next_t=(); rss=(); base_t=(); pair=()
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e" -o "$work/t" git -C "$work/repo" log -p >/dev/null
  git_t+=("$(cat "$work/t")")
  /usr/bin/time -f "%e" -o "$work/t" git -C "$work/repo" log -p --no-renames -- '*.rs' >/dev/null
  rs_t+=("$(cat "$work/t")")
  # The baseline first, so that the re-runs below start from this binary's store.
  if [ -n "${BASELINE:-}" ]; then
    rm -rf "$work/repo/.suture"
    read -r base _ < <(timed "$BASELINE" migrations "$work/repo" --validate none --format json)
    base_t+=("$base")
  fi
  rm -rf "$work/repo/.suture"
  read -r secs kb < <(timed "$suture" migrations "$work/repo" --validate none --format json)
  first_t+=("$secs"); rss+=("$kb")
  cp "$work/out" "$work/first.json"
  if [ -n "${BASELINE:-}" ]; then pair+=("$(awk -v f="$secs" -v b="$base" 'BEGIN {print f / b}')"); fi
  read -r secs _ < <(timed "$suture" migrations "$work/repo" --validate none --format json)
  again_t+=("$secs")
  # One more commit: only it is mined, and the library is rebuilt from the stored edits.
  f="$(git -C "$work/repo" ls-files '*.rs' | awk 'NR == 1')"
  printf '\n// bench %s\n' "$i" >>"$work/repo/$f"
  git -C "$work/repo" commit --quiet -am "bench $i"
  read -r secs _ < <(timed "$suture" migrations "$work/repo" --validate none --format json)
  next_t+=("$secs")
  git -C "$work/repo" reset --quiet --hard HEAD~1
done

g=$(printf '%s\n' "${git_t[@]}" | median)
r=$(printf '%s\n' "${rs_t[@]}" | median)
f=$(printf '%s\n' "${first_t[@]}" | median)
a=$(printf '%s\n' "${again_t[@]}" | median)
n=$(printf '%s\n' "${next_t[@]}" | median)
peak=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
commits=$(git -C "$work/repo" rev-list --count HEAD)
migrations=$(python3 -c "import json,sys; m=json.load(open(sys.argv[1]))['migrations']; print(len(m), sum(1 for x in m if x['remaining_now']))" "$work/first.json")
echo "repo: $repo ($(git -C "$work/repo" rev-parse HEAD), $commits commits)"
echo "git log -p:                          median ${g}s over $runs runs"
echo "git log -p --no-renames -- '*.rs':   median ${r}s over $runs runs"
echo "first run (fresh store):            median ${f}s; migrations recorded / with sites left: $migrations"
echo "re-run, nothing new:                median ${a}s"
echo "re-run after one new commit:        median ${n}s"
if [ -n "${BASELINE:-}" ]; then
  echo "baseline $BASELINE first run:      median $(printf '%s\n' "${base_t[@]}" | median)s"
  echo "first run / baseline, paired:       median $(printf '%s\n' "${pair[@]}" | median) over $runs pairs"
fi
awk -v f="$f" -v g="$g" -v r="$r" -v p="$peak" 'BEGIN {
  printf "ratio first run / git log -p: %.2fx (budget <= 3x); / the Rust-only log: %.2fx; peak RSS %.1f MiB\n",
    f/g, f/r, p/1024 }'
