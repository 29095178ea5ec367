#!/usr/bin/env bash
# Heal overhead benchmark: everything `suture heal` does besides running cargo — reading a failure output
# with 100 failing tests, mapping their backtraces to the workspace, matching and ranking fixes on the failing
# paths — measured as `suture fix --trace` (the same code path without running or validating anything) on a
# generated crate of 100 modules. Target: <= 1 s. Prints the median of RUNS runs.
#
# Usage: benches/heal.sh [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-5}"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
suture="$here/target/release/suture"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import os, sys
root = sys.argv[1]
os.makedirs(f"{root}/src", exist_ok=True)
open(f"{root}/Cargo.toml", "w").write('[package]\nname = "big"\nversion = "0.1.0"\nedition = "2021"\n')
lib = []
out = ["running 200 tests"]
fails = []
for i in range(100):
    lib.append(f"pub mod m{i};")
    body = "\n".join(f"pub fn f{j}(a: u32, b: u32) -> u32 {{\n    let c = a * 2;\n    c - b\n}}\n" for j in range(30))
    body += f"\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn t{i}() {{\n        assert_eq!(super::f7(1, 5), 0);\n    }}\n}}\n"
    open(f"{root}/src/m{i}.rs", "w").write(body)
    lines = body.split("\n")
    site = [n for n, l in enumerate(lines) if l.startswith("pub fn f7(")][0] + 3
    caller = [n for n, l in enumerate(lines) if "super::f7(1, 5)" in l][0] + 1
    out.append(f"test m{i}::tests::t{i} ... FAILED")
    fails.append(f"---- m{i}::tests::t{i} stdout ----\n\nthread 'm{i}::tests::t{i}' ({1000+i}) panicked at src/m{i}.rs:{site}:5:\nattempt to subtract with overflow\nstack backtrace:\n   0: __rustc::rust_begin_unwind\n             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:689:5\n   1: core::panicking::panic_const::panic_const_sub_overflow\n             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panicking.rs:175:17\n   2: big::m{i}::f7\n             at ./src/m{i}.rs:{site}:5\n   3: big::m{i}::tests::t{i}\n             at ./src/m{i}.rs:{caller}:20\n")
open(f"{root}/src/lib.rs", "w").write("\n".join(lib) + "\n")
out.append("\nfailures:\n")
out.extend(fails)
out.append("failures:\n" + "\n".join(f"    m{i}::tests::t{i}" for i in range(100)))
out.append("\ntest result: FAILED. 100 passed; 100 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.05s\n")
open(f"{root}/trace.txt", "w").write("\n".join(out))
PY

times=()
for _ in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$suture" fix "$work" --trace "$work/trace.txt" --format json >"$work/out.json" || [ $? -eq 1 ]
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc -l)")
done
fixes=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['fixes']))" "$work/out.json")
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
printf 'heal overhead on a trace with 100 failures (100 modules, 3,000 functions): median %.3f s over %d runs (target <= 1 s); %d fixes proposed on the failing paths\n' "$median" "$runs" "$fixes"
