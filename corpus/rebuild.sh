#!/usr/bin/env bash
# Rebuilds patterns/mined/ from the repositories pinned in corpus/manifest.toml.
#
# Usage: corpus/rebuild.sh CLONES_DIR
#   CLONES_DIR holds one clone (bare or not) per manifest entry, at CLONES_DIR/<owner>+<name> or
#   CLONES_DIR/<owner>+<name>/repo (for example made with `git clone --bare <url> CLONES_DIR/tokio-rs+tokio`).
# Each clone must contain the pinned commit; the history mined is everything reachable from it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
clones="${1:?usage: corpus/rebuild.sh CLONES_DIR}"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"

repos=(); names=(); pins=()
while read -r name commit; do
  dir="$clones/${name/\//+}"
  [ -d "$dir/repo" ] && dir="$dir/repo"
  [ -d "$dir" ] || { echo "error: no clone of $name at $dir" >&2; exit 2; }
  git -C "$dir" cat-file -e "$commit^{commit}" 2>/dev/null || { echo "error: $name clone lacks pinned commit $commit" >&2; exit 2; }
  repos+=("$dir"); names+=(--name "$name"); pins+=("$commit")
done < <(python3 -c '
import sys, tomllib
for r in tomllib.load(open(sys.argv[1], "rb"))["repo"]:
    print(r["name"], r["commit"])' "$here/corpus/manifest.toml")

# `--range` applies to every repository, so each is mined up to HEAD; check that HEAD is the pin.
for i in "${!repos[@]}"; do
  head=$(git -C "${repos[$i]}" rev-parse HEAD)
  [ "$head" = "${pins[$i]}" ] || { echo "error: ${repos[$i]} is at $head, not the pinned ${pins[$i]}" >&2; exit 2; }
done

db="$(mktemp -d)/corpus.db"
"$here/target/release/suture" mine "${repos[@]}" "${names[@]}" \
  --min-support 3 --min-commits 3 --min-repos 2 --min-holes 1 --db "$db" --out "$here/patterns/mined"
