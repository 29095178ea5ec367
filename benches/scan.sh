#!/usr/bin/env bash
# Scan benchmark: `suture fix` with 20, 200 and 2,000 patterns against the ast-grep CLI with the same patterns as
# rules, on the same codebase, in the same run. Prints the median wall time of each measurement, the matches each
# tool found, and the ratios: suture/ast-grep at each size (targets: <= 0.5x at 20 patterns, <= 0.2x at 200)
# and the cost of 100x more patterns, suture(2000)/suture(20) (target: < 2x), next to ast-grep's.
#
# Usage: benches/scan.sh [CODEBASE] [RUNS]
#   CODEBASE  a directory of Rust code (default: this repository)
#   RUNS      repetitions of each measurement, interleaved (default 5); medians are reported
# Environment:
#   SIZES     pattern counts to measure (default "20 200 2000"); the first and last give the scaling ratios
#   SUTURE    a suture binary to measure instead of building this repository's (cargo build --release)
#   AST_GREP  an ast-grep binary to use instead of the one this script installs from npm (@ast-grep/cli,
#             version $AST_GREP_VERSION, default 0.51.1) into ${XDG_CACHE_HOME:-~/.cache}/suture-bench
#
# The patterns are made by benches/scan_patterns.py: the same id, before template (ast-grep `rule.pattern`) and
# after template (ast-grep `fix`) in both tools. Both tools only report: suture runs without --apply, and
# ast-grep scan without --update-all or --interactive, so neither writes to CODEBASE. Exit codes: 0 done, 2 error.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
codebase="$(cd "${1:-$here}" && pwd)"
runs="${2:-5}"
read -r -a sizes <<<"${SIZES:-20 200 2000}"
die() { echo "scan.sh: $*" >&2; exit 2; }
[[ -n "${EPOCHREALTIME:-}" ]] || die "needs bash 5 (EPOCHREALTIME) for wall times"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, not '$runs'"

if [[ -n "${SUTURE:-}" ]]; then
  suture="$SUTURE"
else
  cargo build --release --quiet --manifest-path "$here/Cargo.toml"
  suture="$here/target/release/suture"
fi
"$suture" fix --help >/dev/null 2>&1 || die "$suture has no 'fix' command"

# ast-grep from npm, kept outside the repository. (/usr/bin/sg on Debian is not ast-grep.)
is_ast_grep() { [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -q '^ast-grep '; }
if [[ -n "${AST_GREP:-}" ]]; then
  ast_grep="$AST_GREP"
  is_ast_grep "$ast_grep" || die "AST_GREP=$ast_grep is not an ast-grep binary"
else
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/suture-bench"
  find_ast_grep() {
    for b in "$cache/node_modules/.bin/ast-grep" "$cache"/node_modules/@ast-grep/cli-*/ast-grep; do
      if is_ast_grep "$b"; then echo "$b"; return 0; fi
    done
    return 1
  }
  if ! ast_grep="$(find_ast_grep)"; then
    command -v npm >/dev/null || die "needs npm to install @ast-grep/cli (or set AST_GREP)"
    mkdir -p "$cache"
    echo "installing @ast-grep/cli@${AST_GREP_VERSION:-0.51.1} into $cache" >&2
    npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "@ast-grep/cli@${AST_GREP_VERSION:-0.51.1}" >&2 \
      || die "npm install @ast-grep/cli failed"
    ast_grep="$(find_ast_grep)" || die "no working ast-grep binary after npm install in $cache"
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for n in "${sizes[@]}"; do
  python3 "$here/benches/scan_patterns.py" "$n" "$work/p$n"
done

# One measurement: wall seconds appended to $work/times.TOOL.N, the report kept in $work/out.TOOL.N.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", b - a }'; }
run_suture() {
  local n=$1 rc=0 t0=$EPOCHREALTIME
  "$suture" fix "$codebase" --patterns "$work/p$n/suture" --format json \
    >"$work/out.suture.$n" 2>"$work/err.suture.$n" || rc=$?
  # 0: nothing found, 1: fixes found, anything else is an error.
  local t1=$EPOCHREALTIME
  if ((rc > 1)); then cat "$work/err.suture.$n" >&2; die "suture fix exited $rc with $n patterns"; fi
  elapsed "$t0" "$t1" >>"$work/times.suture.$n"
}
run_ast_grep() {
  local n=$1 rc=0 t0=$EPOCHREALTIME
  "$ast_grep" scan -c "$work/p$n/astgrep/sgconfig.yml" --json=stream "$codebase" \
    >"$work/out.astgrep.$n" 2>"$work/err.astgrep.$n" || rc=$?
  local t1=$EPOCHREALTIME
  if ((rc != 0)); then cat "$work/err.astgrep.$n" >&2; die "ast-grep scan exited $rc with $n patterns"; fi
  elapsed "$t0" "$t1" >>"$work/times.astgrep.$n"
}

# Warm the page cache and check that both tools run, untimed.
run_suture "${sizes[0]}"; run_ast_grep "${sizes[0]}"
rm -f "$work"/times.*
for i in $(seq "$runs"); do
  for n in "${sizes[@]}"; do
    run_suture "$n"
    run_ast_grep "$n"
  done
  echo "run $i/$runs done" >&2
done

if git -C "$codebase" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  revision="git $(git -C "$codebase" rev-parse --short=12 HEAD 2>/dev/null || echo '(no commit)')"
else
  revision="not a git work tree"
fi
if [[ -n "${SUTURE:-}" ]]; then built="$suture"; else built="built from $(git -C "$here" describe --always --dirty 2>/dev/null || echo '?')"; fi
echo "suture: $("$suture" --version), $built"
python3 - "$work" "$codebase" "$revision" "$runs" "$("$ast_grep" --version)" "${sizes[@]}" <<'EOF'
import collections, json, os, statistics, sys

work, codebase, revision, runs, ag_version = sys.argv[1:6]
sizes = [int(n) for n in sys.argv[6:]]

def rust_files(root):
    count = size = 0
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x not in (".git", "target", "node_modules")]
        for f in files:
            if f.endswith(".rs"):
                count += 1
                size += os.path.getsize(os.path.join(d, f))
    return count, size

def suture_counts(path):
    """Per pattern: fixes reported, and matches skipped (overlaps, conflicts), from suture's JSON report."""
    fixes, skipped = collections.Counter(), collections.Counter()
    def walk(v, key=None):
        if isinstance(v, dict):
            if "pattern" in v and isinstance(v["pattern"], str) and key in ("fixes", "skipped"):
                (fixes if key == "fixes" else skipped)[v["pattern"]] += 1
                return
            for k, x in v.items():
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)
    with open(path) as f:
        text = f.read()
    report = json.loads(text) if text.strip() else {}
    if isinstance(report, dict) and report.get("applied"):
        sys.exit(f"suture reports that it applied fixes to {codebase}: it must only report")
    walk(report)
    return fixes, skipped

def ast_grep_counts(path):
    c = collections.Counter()
    with open(path) as f:
        for line in f:
            if line.strip():
                c[json.loads(line)["ruleId"]] += 1
    return c

def times(tool, n):
    with open(os.path.join(work, f"times.{tool}.{n}")) as f:
        return [float(x) for x in f if x.strip()]

files, size = rust_files(codebase)
print(f"codebase: {codebase} ({revision}; {files} .rs files, {size / 1e6:.1f} MB)")
print(f"ast-grep: {ag_version}; wall time, median (min-max) of {runs} interleaved runs")
med = {}
counts = {}
for n in sizes:
    ts, ta = times("suture", n), times("astgrep", n)
    s, a = statistics.median(ts), statistics.median(ta)
    med[n] = (s, a)
    fixes, skipped = suture_counts(os.path.join(work, f"out.suture.{n}"))
    ag = ast_grep_counts(os.path.join(work, f"out.astgrep.{n}"))
    counts[n] = (fixes, skipped, ag)
    sf, ss, am = sum(fixes.values()), sum(skipped.values()), sum(ag.values())
    ratio = f"{s / a:.3f}x" if a > 0 else "n/a"
    print(f"{n:>5} patterns: suture {s:7.3f}s ({min(ts):.2f}-{max(ts):.2f})  "
          f"ast-grep {a:7.3f}s ({min(ta):.2f}-{max(ta):.2f})  suture/ast-grep {ratio:>7}  "
          f"matches: suture {sf + ss} ({sf} fixes + {ss} skipped), ast-grep {am}")
    if (sf + ss == 0) != (am == 0):
        print(f"      warning: only one tool found anything with {n} patterns; check the other's output")
targets = {20: 0.5, 200: 0.2}
for n in sizes:
    if n in targets and med[n][1] > 0:
        r = med[n][0] / med[n][1]
        print(f"target suture/ast-grep at {n} patterns <= {targets[n]}x: {r:.3f}x {'met' if r <= targets[n] else 'NOT met'}")
lo, hi = sizes[0], sizes[-1]
if hi != lo:
    rs = med[hi][0] / med[lo][0] if med[lo][0] > 0 else float("inf")
    ra = med[hi][1] / med[lo][1] if med[lo][1] > 0 else float("inf")
    print(f"scaling {lo} -> {hi} patterns: suture {rs:.2f}x (target < 2x: {'met' if rs < 2 else 'NOT met'}), "
          f"ast-grep {ra:.2f}x")

# Agreement per pattern at the largest size (the smaller sets are its prefixes).
fixes, skipped, ag = counts[hi]
ids = sorted(set(fixes) | set(skipped) | set(ag))
su = {i: fixes[i] + skipped[i] for i in ids}
same = sum(1 for i in ids if su[i] == ag[i])
only_s = [i for i in ids if su[i] and not ag[i]]
only_a = [i for i in ids if ag[i] and not su[i]]
print(f"per pattern at {hi}: {len(ids)} patterns matched by either tool; same count {same}, "
      f"different {len(ids) - same} (found only by suture: {len(only_s)}, only by ast-grep: {len(only_a)})")
if same != len(ids):
    def before(i):
        # The generator writes `before = <JSON string>` on one line.
        try:
            with open(os.path.join(work, f"p{hi}", "suture", i + ".toml")) as f:
                for line in f:
                    if line.startswith("before = "):
                        return json.loads(line[len("before = "):])
        except (OSError, ValueError):
            pass
        return "?"
    worst = sorted(ids, key=lambda i: (-abs(su[i] - ag[i]), i))[:10]
    print("largest differences (suture fixes+skipped / ast-grep matches):")
    for i in worst:
        if su[i] != ag[i]:
            print(f"  {i} {su[i]:>6} / {ag[i]:<6} {before(i)}")
EOF
