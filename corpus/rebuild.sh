#!/usr/bin/env bash
# Rebuilds patterns/mined/ from the repositories pinned in corpus/manifest.toml, in three steps:
#   1. mine the candidates from every history (support: 3 commits from at least 2 repositories);
#   2. measure each candidate on the corpus repositories that did *not* support it, at their pins and at the
#      older revisions listed as [[measure]] (where the idioms were still common), and on the measure-only
#      repositories listed there: apply it wherever it
#      matches (at most 5 sites per checkout), compile-check every application there (`cargo check`, and
#      `cargo test` with SUTURE_MEASURE_VALIDATE=test), smallest repository first, dropping a candidate once
#      its failures rule it out;
#   3. ship the candidates with at least 10 applications and a Wilson 95% lower bound of 0.9, each with its
#      `measured` record (the confidence model's base rate); remove from patterns/mined/ every other mined
#      pattern (ruled out, measured too little, or no longer learned); and write the table to
#      corpus/precision.md.
#
# Usage: corpus/rebuild.sh CLONES_DIR [WORK_DIR]
#   CLONES_DIR holds one clone (bare or not) per manifest entry, at CLONES_DIR/<owner>+<name> or
#   CLONES_DIR/<owner>+<name>/repo (for example made with `git clone --bare <url> CLONES_DIR/tokio-rs+tokio`).
#   WORK_DIR (default: a new temporary directory) receives a checkout of each pin and its build directory;
#   reusing it makes a second run rebuild only what the fixes touch.
# Needs crates.io (the checkouts' dependencies are fetched by cargo). Takes about an hour on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
clones="${1:?usage: corpus/rebuild.sh CLONES_DIR [WORK_DIR]}"
work="${2:-$(mktemp -d)}"
validate="${SUTURE_MEASURE_VALIDATE:-check}"
cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin suture
suture="${CARGO_TARGET_DIR:-$here/target}/release/suture"

# The values of KEY... of every entry of one section of the manifest, one entry a line.
manifest() {
  python3 -c '
import sys, tomllib
for r in tomllib.load(open(sys.argv[1], "rb")).get(sys.argv[2], []):
    print(*(r[k] for k in sys.argv[3:]))' "$here/corpus/manifest.toml" "$@"
}

# The `name commit` entries of one section, each checked against its clone, with the clone's directory.
entries() {
  local name commit dir
  while read -r name commit; do
    dir="$clones/${name/\//+}"
    [ -d "$dir/repo" ] && dir="$dir/repo"
    [ -d "$dir" ] || { echo "error: no clone of $name at $dir" >&2; exit 2; }
    git -C "$dir" cat-file -e "$commit^{commit}" 2>/dev/null || { echo "error: $name clone lacks commit $commit" >&2; exit 2; }
    echo "$name $commit $dir"
  done < <(manifest "$1" name commit)
}

# The pins are mined and measured on; the [[measure]] checkouts (older revisions of corpus repositories or of
# others, where the idioms were still common) are only measured on. They share the clones directory.
mkdir -p "$work"
entries repo >"$work/repos.txt"
entries measure >"$work/measure.txt"
repos=(); names=(); pins=()
while read -r name commit dir; do
  repos+=("$dir"); names+=("$name"); pins+=("$commit")
done <"$work/repos.txt"

# `--range` applies to every repository, so each is mined up to HEAD; check that HEAD is the pin.
mine_args=()
for i in "${!repos[@]}"; do
  head=$(git -C "${repos[$i]}" rev-parse HEAD)
  [ "$head" = "${pins[$i]}" ] || { echo "error: ${repos[$i]} is at $head, not the pinned ${pins[$i]}" >&2; exit 2; }
  mine_args+=("${repos[$i]}" --name "${names[$i]}")
done

candidates="$work/candidates"
rm -rf "$candidates"
"$suture" mine "${mine_args[@]}" \
  --min-support 3 --min-commits 3 --min-repos 2 --min-holes 1 --db "$work/corpus.db" --out "$candidates"

# Candidates that compiling cannot judge are refused by name, with the reason, before anything is measured
# ([[refused]] in the manifest): a template whose two sides compile alike and still behave differently.
while read -r id; do
  rm -f "$candidates/$id.toml"
done < <(manifest refused id)

# A checkout of each pin (the measurement compiles it), smallest first: a candidate that fails on the small
# ones is not applied on the large ones.
# A checkout that cannot be made (an object the clone lacks) is said and left out.
measure_args=()
while read -r _ name dir; do
  measure_args+=("$dir" --name "$name")
done < <(cat "$work/repos.txt" "$work/measure.txt" | while read -r name commit clone; do
  dir="$work/checkouts/${name/\//+}@${commit:0:10}"
  if [ ! -d "$dir/.git" ]; then
    git clone --quiet --no-checkout "$clone" "$dir"
  fi
  git -C "$dir" checkout --quiet --force "$commit" || {
    echo "warning: cannot check out $name at $commit; not measured there" >&2
    continue
  }
  size=$(git -C "$dir" ls-files -z '*.rs' | (cd "$dir" && xargs -0 cat) | wc -c)
  echo "$size $name $dir"
done | sort -n)

# The counts are kept after each repository in a state file named by the candidates' content: an interrupted
# run, started again with the same WORK_DIR, resumes where it stopped; other candidates start afresh.
state="$work/state-$(cat "$candidates"/*.toml | sha256sum | cut -c1-16)-$validate.json"
"$suture" patterns measure --patterns "$candidates" --validate "$validate" --write \
  --state "$state" --ship-to "$here/patterns/mined" "${measure_args[@]}" | tee "$work/precision.md"
{
  echo "# Measured precision of the mined candidates"
  echo
  echo "Written by corpus/rebuild.sh ($validate, $(date -u +%Y-%m-%d)). A candidate is measured on the checkouts"
  echo "of corpus/manifest.toml whose repository did not support it; it ships with at least 10 applications and a"
  echo "Wilson 95% lower bound of at least 0.9, and nothing else ships. \"stopped\": its failures ruled it out, so"
  echo "it was not applied on larger checkouts."
  echo
  cat "$work/precision.md"
} > "$here/corpus/precision.md"
