#!/usr/bin/env bash
# `suture watch` throughput: a generated production log of SIZE MB (default 100) read, parsed, fingerprinted
# and counted end to end by the release binary (file read, store write and git included), pinned to one
# core when taskset exists. Prints the median of RUNS runs (default 5) as MB/s and events/s; the target is
# ≥ 50 MB/s on one core.
#
# The log is mostly ordinary timestamped log lines, with a panic every 40 lines on average, cycling through
# the real panic output in crates/watch/test_data (plain, RUST_BACKTRACE=1 and =full backtraces, tracing JSON
# lines), each line prefixed with an RFC 3339 timestamp as `docker logs -t` prints it. The repository the
# frames map onto is the capture crate those fixtures came from (src/lib.rs: ratio, pick).
#
# Usage: benches/watch.sh [SIZE_MB] [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mb="${1:-100}"
runs="${2:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin suture
target="${CARGO_TARGET_DIR:-$here/target}"
suture="$target/release/suture"

repo="$work/capture"
mkdir -p "$repo/src"
printf 'pub fn ratio(a: u32, b: u32) -> u32 {\n    a / b\n}\n\npub fn pick(v: &[u32], i: usize) -> u32 {\n    v[i]\n}\n' >"$repo/src/lib.rs"
printf 'fn main() {}\n' >"$repo/src/main.rs"
git -C "$repo" init --quiet
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit --quiet -m capture

python3 - "$here/crates/watch/test_data" "$work/app.log" "$size_mb" <<'EOF'
import os, sys
data, out, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
panics = []
for name in sorted(os.listdir(data)):
    if name.endswith((".txt", ".jsonl")):
        with open(os.path.join(data, name)) as f:
            text = f.read()
        if name.endswith(".jsonl"):
            panics.extend([l] for l in text.splitlines() if "panic" in l)
        else:
            panics.append(text.splitlines())
ordinary = [
    "INFO shop::http: request served method=GET path=/api/v1/orders/{n} status=200 elapsed_ms={ms}",
    "DEBUG shop::db: query finished rows={n} elapsed_ms={ms} statement=\"SELECT * FROM orders WHERE id = $1\"",
    "WARN shop::cache: miss key=order:{n} backend=redis retries=0",
]
target = size_mb * 1024 * 1024
t0 = 1796119200  # 2026-12-01T10:00:00Z
written = events = i = 0
with open(out, "w") as f:
    while written < target:
        t = t0 + i // 50
        stamp = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ " % (2026, 12, 1 + t // 86400 % 28, t // 3600 % 24, t // 60 % 60, t % 60, i % 1000000)
        if i % 40 == 39:
            lines = panics[(i // 40) % len(panics)]
            events += 1
        else:
            lines = [ordinary[i % 3].format(n=i, ms=i % 97)]
        chunk = "".join(stamp + l + "\n" for l in lines)
        f.write(chunk)
        written += len(chunk)
        i += 1
print(f"generated {written / 1048576:.1f} MB, {i} records, {events} panic records", file=sys.stderr)
EOF

pin=()
if command -v taskset >/dev/null; then
  pin=(taskset -c 0)
fi
bytes="$(stat -c %s "$work/app.log")"
times=()
for _ in $(seq "$runs"); do
  rm -rf "$repo/.suture"
  start="$(date +%s.%N)"
  # Exit code 1 means some group needs attention, which a generated log always has.
  code=0
  "${pin[@]}" "$suture" watch "$work/app.log" --repo "$repo" --format json >"$work/out.json" || code=$?
  end="$(date +%s.%N)"
  if ((code > 1)); then
    echo "suture watch failed with exit code $code" >&2
    exit 1
  fi
  times+=("$(echo "$end - $start" | bc -l)")
done
median="$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
events="$(python3 -c 'import json,sys; print(sum(g["count"] for g in json.load(open(sys.argv[1]))["groups"]))' "$work/out.json")"
groups="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["groups"]))' "$work/out.json")"
echo "log: $(echo "$bytes / 1048576" | bc -l | xargs printf '%.1f') MB, $events panic events in $groups groups"
echo "runs (s): ${times[*]}"
echo "median: $(printf '%.3f' "$median") s = $(echo "$bytes / 1048576 / $median" | bc -l | xargs printf '%.1f') MB/s, $(echo "$events / $median" | bc -l | xargs printf '%.0f') events/s (one core: ${pin[*]:-not pinned})"
