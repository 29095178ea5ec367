#!/usr/bin/env bash
# Harvested panic-fix benchmark: reproducible panics from public histories, healed by `suture heal` and
# scored against the maintainers' fixes. Stages (benches/heal_harvest.py says what each does):
#
#   benches/heal_harvest.sh mine [PER_REPO] [REPO…]     candidates from the mirrors in /work/.mirror (git only),
#                                                       merged into the earlier run's; REPO… defaults to $repos
#   benches/heal_harvest.sh confirm [TIMEOUT] [REPO…]   keep the cases whose new test panics at the parent;
#                                                       resumes (skips candidates already decided)
#   benches/heal_harvest.sh heal SUTURE LABEL [TIMEOUT] [MAX_CANDIDATES] [REPO…]
#   benches/heal_harvest.sh report                      located / plausible / human-equivalent per LABEL
#   benches/heal_harvest.sh remedies SUTURE OUT [EXCLUDED_REPO…]  panic remedies mined from the human fixes
#                                                       alone (a history of them, under the work directory),
#                                                       and every remedy measured on them; SHIP=1 writes the
#                                                       records into patterns/hand-written and ships the
#                                                       mined remedies that clear it to patterns/remedies
#   benches/heal_harvest.sh prior OUT LABEL [LABEL…]      the frame prior learned from LABELs' saved reports:
#                                                       where the human fixes lie on the failing path
#
# Work files go to $HEAL_BENCH_DIR (default /tmp/heal-bench): one fixed checkout and one CARGO_TARGET_DIR per
# repository, so that no two checkout paths share a target directory. `heal --env staging` is used so that the
# gate does not hide what was validated; scoring reads the first validated attempt of the JSON report.
# The confirmed cases are merged into benches/heal_cases.tsv (repository, commit, test, command): the cases
# already there are kept, a commit appears once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
stage="${1:?stage: mine, confirm, heal or report}"
shift
repos=(tokio-rs/bytes hyperium/http rust-itertools/itertools servo/rust-url serde-rs/json chronotope/chrono
  crossbeam-rs/crossbeam rust-random/rand rayon-rs/rayon rust-lang/regex uuid-rs/uuid rust-lang/log
  dtolnay/semver dtolnay/itoa dtolnay/ryu unicode-rs/unicode-width unicode-rs/unicode-segmentation
  indexmap-rs/indexmap rust-lang/hashbrown BurntSushi/bstr BurntSushi/memchr petgraph/petgraph
  bitflags/bitflags Geal/nom time-rs/time mitsuhiko/similar rust-num/num-bigint rust-num/num-traits
  toml-rs/toml servo/rust-smallvec bluss/arrayvec marshallpierce/rust-base64)
work="${HEAL_BENCH_DIR:-/tmp/heal-bench}"
case "$stage" in
  mine)
    per="${1:-12}"
    (($# > 1)) && repos=("${@:2}")
    python3 "$here/heal_harvest.py" mine "$per" "${repos[@]}" ;;
  confirm)
    python3 "$here/heal_harvest.py" confirm "${1:-240}" "${@:2}"
    touch "$work/cases.tsv"
    cat "$here/heal_cases.tsv" "$work/cases.tsv" | awk -F'\t' 'NF >= 4 && !seen[$2]++' >"$work/cases.merged"
    mv "$work/cases.merged" "$here/heal_cases.tsv" ;;
  heal) python3 "$here/heal_harvest.py" heal "$1" "$2" "${3:-240}" "${4:-3}" "${@:5}" ;;
  report) python3 "$here/heal_harvest.py" report ;;
  remedies) python3 "$here/heal_harvest.py" remedies "${1:?usage: remedies SUTURE OUT [EXCLUDED_REPO...]}" "${2:?OUT}" "${@:3}" ;;
  prior) python3 "$here/heal_harvest.py" prior "${1:?usage: prior OUT LABEL...}" "${@:2}" ;;
  *) echo "unknown stage $stage" >&2; exit 2 ;;
esac
