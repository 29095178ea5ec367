#!/usr/bin/env bash
# The few-shot benchmark (`suture eval --commit-split`) on real histories: commits that make one change at
# four sites or more are split, half of each change's sites are learned from (with the rest of the history),
# and the other half must be fixed. Each repository is run twice on the same mining store: with the
# defaults (support counted by weighted fix sites) and with the earlier support rule (two distinct commits,
# `--min-commits 2`), so the two rows differ only in how support is counted.
#
# Usage: benches/commit_split.sh OUT_DIR REPO [REPO...]
#   REPO     a git repository (a bare mirror is fine); its whole history up to HEAD is used
#   OUT_DIR  where each run's JSON and mining store go
# Prints one Markdown table row per repository and rule.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: benches/commit_split.sh OUT_DIR REPO [REPO...]}"
shift
[ $# -ge 1 ] || { echo "usage: benches/commit_split.sh OUT_DIR REPO [REPO...]" >&2; exit 2; }
mkdir -p "$out"
suture="${SUTURE:-$here/../target/release/suture}"
if [ -z "${SUTURE:-}" ]; then
  cargo build --release --quiet --manifest-path "$here/../Cargo.toml" --bin suture
fi
echo "| repository @ HEAD | support rule | changes (commits) | training / held-out sites | patterns | fixed | false edits | time |"
echo "|---|---|---|---|---|---|---|---|"
for repo in "$@"; do
  top="$(cd "$repo" && pwd)"
  name="$(basename "$top")"
  if [ "$name" = repo ]; then name="$(basename "$(dirname "$top")")"; fi
  head="$(git -C "$repo" rev-parse --short=7 HEAD)"
  for rule in sites commits; do
    flags=()
    [ "$rule" = commits ] && flags=(--min-commits 2)
    /usr/bin/time -f '%e %M' -o "$out/$name.$rule.time" \
      "$suture" eval "$repo" --commit-split "${flags[@]}" --db "$out/$name.db" --format json \
      >"$out/$name.$rule.json" 2>"$out/$name.$rule.err"
    read -r secs _ <"$out/$name.$rule.time"
    python3 - "$out/$name.$rule.json" "$name" "$head" "$rule" "$secs" <<'PY'
import json, sys
path, name, head, rule, secs = sys.argv[1:]
r = json.load(open(path))["report"]
rule = "weighted sites >= 2" if rule == "sites" else "2 distinct commits"
pct = f"{100.0 * r['fixed'] / r['held_out']:.1f}%" if r["held_out"] else "—"
print(f"| {name} @ {head} | {rule} | {r['changes']} ({r['commits']}) | {r['training_sites']} / {r['held_out']} "
      f"| {r['patterns']} | {r['fixed']} ({pct}) | {r['false_edits']} | {float(secs):.0f} s |")
PY
  done
done
