#!/usr/bin/env bash
# `suture eval` on real histories, split at a quarter of each history before HEAD, as in the README table.
#
# Usage: benches/eval.sh OUT_DIR REPO [REPO...]
#   REPO     a git repository (a bare mirror is fine); its HEAD is the end of the history evaluated
#   OUT_DIR  where each run's JSON (`suture eval --format json`) and mining store go
# Prints one Markdown table row per repository. Fit and check the confidence map on the JSON files with
# benches/calibrate.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: benches/eval.sh OUT_DIR REPO [REPO...]}"
shift
[ $# -ge 1 ] || { echo "usage: benches/eval.sh OUT_DIR REPO [REPO...]" >&2; exit 2; }
mkdir -p "$out"
suture="${SUTURE:-$here/../target/release/suture}"
if [ -z "${SUTURE:-}" ]; then
  cargo build --release --quiet --manifest-path "$here/../Cargo.toml" --bin suture
fi
echo "| repository @ HEAD, split | hunks (all) | top-1 / top-5 (all) | hunks (recurring) | top-1 / top-5 (recurring) | precision | ECE raw / calibrated | time, peak memory |"
echo "|---|---|---|---|---|---|---|---|"
for repo in "$@"; do
  top="$(cd "$repo" && pwd)"
  name="$(basename "$top")"
  # A fetched mirror is OWNER+NAME/repo: name it by its parent.
  if [ "$name" = repo ]; then name="$(basename "$(dirname "$top")")"; fi
  count="$(git -C "$repo" rev-list --count HEAD)"
  n=$((count / 4))
  head="$(git -C "$repo" rev-parse --short=7 HEAD)"
  split="$(git -C "$repo" rev-parse --short=7 "HEAD~$n")"
  /usr/bin/time -f '%e %M' -o "$out/$name.time" \
    "$suture" eval "$repo" --split "HEAD~$n" --db "$out/$name.db" --format json >"$out/$name.json" 2>"$out/$name.err"
  read -r secs kib <"$out/$name.time"
  python3 - "$out/$name.json" "$name" "$head" "$split" "$n" "$secs" "$kib" <<'PY'
import json, sys
path, name, head, split, n, secs, kib = sys.argv[1:]
r = json.load(open(path))["report"]
def pct(k, of): return f"{100.0 * k / of:.1f}%" if of else "—"
a, c = r["all"], r["recurring"]
prec = pct(a["top1"], a["proposed"])
print(f"| {name} @ {head}, split {split} (HEAD~{n}) | {a['hunks']:,} | {pct(a['top1'], a['hunks'])} / {pct(a['top5'], a['hunks'])} "
      f"| {c['hunks']:,} | {pct(c['top1'], c['hunks'])} / {pct(c['top5'], c['hunks'])} | {prec} "
      f"| {r['ece_raw']:.3f} / {r['ece']:.3f} | {float(secs):.0f} s, {int(kib) // 1024} MiB |")
PY
done
