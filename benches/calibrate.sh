#!/usr/bin/env bash
# Fits the score → confidence map on some repositories' `suture eval` runs and checks it on others.
#
# Usage: benches/calibrate.sh EVAL_DIR [--out corpus/calibration.toml]
#   EVAL_DIR  the OUT_DIR of benches/eval.sh, holding tokio-rs+tokio.json, clap-rs+clap.json,
#             serde-rs+serde.json (training) and sharkdp+fd.json, BurntSushi+ripgrep.json (held out)
# Override the sets with TRAIN="a b c" CHECK="d e" (names of JSON files in EVAL_DIR, without .json).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: benches/calibrate.sh EVAL_DIR [--out FILE]}"
shift
suture="${SUTURE:-$here/../target/release/suture}"
if [ -z "${SUTURE:-}" ]; then
  cargo build --release --quiet --manifest-path "$here/../Cargo.toml" --bin suture
fi
args=()
for name in ${TRAIN:-tokio-rs+tokio clap-rs+clap serde-rs+serde}; do args+=(--train "$dir/$name.json"); done
for name in ${CHECK:-sharkdp+fd BurntSushi+ripgrep}; do args+=(--check "$dir/$name.json"); done
"$suture" calibrate "${args[@]}" "$@"
