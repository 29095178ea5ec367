#!/usr/bin/env python3
"""Harvested panic-fix benchmark for `suture heal` (driver of benches/heal_harvest.sh).

Stages, each reading the previous one's file under the work directory:

  mine     git only: commits whose message speaks of a panic (panic, overflow, out of bounds, unwrap, out of
           range) and that add a `#[test]` together with a small change to non-test code. Writes
           candidates.tsv (repo, commit, test name, test file).
  confirm  checks out the commit's parent in one fixed checkout per repository, applies only the test part of
           the commit (test files whole; in a source file, the hunks after its `#[cfg(test)] mod … {`; non-Rust
           files under a test directory, such as a fuzzer's input), runs the new
           test, and keeps the case when it panics (a compile error or a pass drops it). Writes cases.tsv,
           the benchmark's case list (repo, commit, test, package, target), which benches/heal_cases.tsv keeps.
  heal     for each case: the same checkout, then `suture heal --format json` on the failing test, scored
           against the human's fix: located (the landed fix changes a line within 2 lines of a line the
           human changed), plausible (it passed every validation step: the check, the failing test, the
           whole suite), human-equivalent (the file after the fix equals the human's, whitespace aside, and
           the human changed no other non-test file). Writes results-LABEL.tsv.
  report   counts per label.

Nothing fetched is written into the repository: only repository names, commit ids and test names.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

MESSAGE = re.compile(r"panic|overflow|underflow|out of bounds|out-of-bounds|unwrap|out of range|index|crash|"
                     r"divide by zero|division by zero|attempt to (add|subtract|multiply|shift)", re.I)
HELD_OUT = {
    "rust-lang/rust-clippy", "rust-lang/rust-analyzer", "sharkdp/bat", "tokio-rs/axum",
    "eza-community/eza", "helix-editor/helix", "cardigan1008/panic4r",
}
MAX_FIX_LINES = 30


def sh(args, cwd=None, env=None, timeout=None, check=True):
    r = subprocess.run(args, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True,
                       errors="replace")
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr[-2000:]}")
    return r


def mirror(repo):
    return f"/work/.mirror/{repo.replace('/', '+')}/repo"


def is_test_file(path):
    parts = path.split("/")
    return "tests" in parts or parts[-1] in ("tests.rs", "test.rs") or "benches" in parts


def changed_files(git, commit):
    out = sh(["git", f"--git-dir={git}", "diff", "--numstat", f"{commit}^", commit]).stdout
    files = []
    for line in out.splitlines():
        added, removed, path = line.split("\t", 2)
        if added == "-":
            continue
        files.append((path, int(added), int(removed)))
    return files


TEST_DATA_DIR = {"tests", "test", "testdata", "test-data", "test_data", "fixtures", "regression", "regressions",
                 "fuzz", "corpus", "benches"}


def test_data(git, commit):
    """The non-Rust files the commit adds or changes under a test directory (inputs a new test reads, such as
    a fuzzer's crash file or an `include_bytes!`): {path: bytes after}."""
    out = sh(["git", f"--git-dir={git}", "diff", "--name-status", "--no-renames", f"{commit}^", commit]).stdout
    data = {}
    for line in out.splitlines():
        status, path = line.split("\t", 1)
        if (status[0] not in "AM" or path.endswith(".rs") or path.split("/")[-1] in ("Cargo.toml", "Cargo.lock")
                or not TEST_DATA_DIR & set(path.split("/")[:-1])):  # a manifest is not test data
            continue
        r = subprocess.run(["git", f"--git-dir={git}", "show", f"{commit}:{path}"], capture_output=True)
        if r.returncode == 0:
            data[path] = r.stdout
    return data


def hunks(git, commit, path):
    """The -U0 hunks of one file: (old_start, old_len, new_start, new_len, removed, added)."""
    out = sh(["git", f"--git-dir={git}", "diff", "-U0", f"{commit}^", commit, "--", path]).stdout
    result = []
    cur = None
    for line in out.splitlines():
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", line)
        if m:
            cur = [int(m[1]), int(m[2] or 1), int(m[3]), int(m[4] or 1), [], []]
            result.append(cur)
        elif cur is not None and line.startswith("-") and not line.startswith("---"):
            cur[4].append(line[1:])
        elif cur is not None and line.startswith("+") and not line.startswith("+++"):
            cur[5].append(line[1:])
    return result


def show(git, rev, path):
    r = sh(["git", f"--git-dir={git}", "show", f"{rev}:{path}"], check=False)
    return r.stdout if r.returncode == 0 else None


def test_start(text):
    """The line (1-based) of the first `#[cfg(test)]` on an inline module (`mod tests {`), or a huge number.
    A `#[cfg(test)]` on an out-of-line `mod tests;`, a `use` or a helper does not start the test part."""
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        if not line.strip().startswith("#[cfg(test)]"):
            continue
        for nxt in lines[i:i + 4]:
            t = nxt.strip()
            if t.startswith("#[") or t.startswith("//") or not t:
                continue
            if re.match(r"(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", t):
                return i
            break
    return 1 << 30


def split_commit(git, commit):
    """(test part: {path: text after}, fix files: [path], test names: [(name, path)]) or None."""
    tests, fix_files, names = {}, [], []
    fix_lines = 0
    for path, added, removed in changed_files(git, commit):
        if not path.endswith(".rs"):
            continue
        after = show(git, commit, path)
        if after is None:
            # A deleted file is part of the fix.
            fix_files.append(path)
            fix_lines += removed
            continue
        hs = hunks(git, commit, path)
        if is_test_file(path):
            tests[path] = after
            test_hunks = hs
        else:
            start = test_start(after)
            test_hunks = [h for h in hs if h[2] >= start]
            fix_hunks = [h for h in hs if h[2] < start]
            if fix_hunks:
                fix_files.append(path)
                fix_lines += sum(len(h[4]) + len(h[5]) for h in fix_hunks)
            if test_hunks:
                before = show(git, f"{commit}^", path) or ""
                tests[path] = apply_hunks(before, test_hunks)
        for h in test_hunks:
            added_lines = h[5]
            for i, line in enumerate(added_lines):
                if line.strip() == "#[test]":
                    for nxt in added_lines[i + 1:i + 4]:
                        m = re.match(r"\s*(?:pub\s+)?(?:async\s+)?fn\s+(\w+)", nxt)
                        if m:
                            names.append((m[1], path))
                            break
    if not fix_files or not names or fix_lines > MAX_FIX_LINES:
        return None
    return tests, fix_files, names


def apply_hunks(before, hs):
    lines = before.splitlines(keepends=True)
    out, at = [], 0
    for old_start, old_len, _ns, _nl, _removed, added in hs:
        # -U0: an insertion's old_start is the line after which it goes; a change's is its first line.
        first = old_start if old_len == 0 else old_start - 1
        out.extend(lines[at:first])
        out.extend(a + "\n" for a in added)
        at = first + old_len
    out.extend(lines[at:])
    return "".join(out)


def mine(work, repos, per_repo):
    rows = []
    for repo in repos:
        if repo in HELD_OUT:
            continue
        git = mirror(repo)
        if not os.path.isdir(git):
            print(f"mine: {repo}: no mirror at {git}", file=sys.stderr)
            continue
        log = sh(["git", f"--git-dir={git}", "log", "--no-merges", "--format=%H %P%x00%B%x01", "HEAD"]).stdout
        n = 0
        for entry in log.split("\x01"):
            if "\x00" not in entry:
                continue
            ids, body = entry.strip("\n").split("\x00", 1)
            ids = ids.split()
            if len(ids) != 2 or not MESSAGE.search(body):
                continue
            commit = ids[0]
            try:
                split = split_commit(git, commit)
            except RuntimeError:  # a blob the snapshot lacks (files of 4 MiB and more)
                continue
            if split is None:
                continue
            _tests, _fix, names = split
            for name, path in names[:1]:
                rows.append((repo, commit, name, path))
                n += 1
            if n >= per_repo:
                break
        print(f"mine: {repo}: {n} candidates", file=sys.stderr)
    # Merged with an earlier run's candidates (those first, in their order), so that mining more repositories
    # keeps what `confirm` has already decided or has still to do.
    path = f"{work}/candidates.tsv"
    old = [l.rstrip("\n").split("\t") for l in open(path)] if os.path.exists(path) else []
    seen = {r[1] for r in old}
    with open(path, "w") as f:
        for r in old + [r for r in rows if r[1] not in seen]:
            f.write("\t".join(r) + "\n")


def checkout(work, repo, commit):
    """The one checkout of `repo`, at the parent of `commit` with the test part applied."""
    co = f"{work}/co/{repo.replace('/', '+')}"
    git = mirror(repo)
    if not os.path.isdir(co):
        sh(["git", "clone", "-q", "--no-checkout", git, co])
    missing = []
    while True:
        r = sh(["git", "checkout", "-q", "-f", f"{commit}^"], cwd=co, check=False)
        lacking = re.findall(r"unable to read sha1 file of (\S+)", r.stderr)
        if r.returncode == 0 or not lacking or len(missing) > 20:
            break
        # The snapshot lacks files of 4 MiB and more (test assets, say): check out the rest.
        missing += ["!/" + p for p in lacking]
        sh(["git", "sparse-checkout", "set", "--no-cone", "/*", *missing], cwd=co, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"git checkout {commit}^: {r.stderr[-300:]}")
    sh(["git", "clean", "-q", "-fdx", "-e", "target"], cwd=co)
    split = split_commit(git, commit)
    if split is None:
        raise RuntimeError("no longer a candidate (split_commit finds no test with a small fix)")
    tests, fix_files, _names = split
    for path, text in tests.items():
        os.makedirs(os.path.dirname(f"{co}/{path}") or co, exist_ok=True)
        with open(f"{co}/{path}", "w") as f:
            f.write(text)
    for path, data in test_data(git, commit).items():
        os.makedirs(os.path.dirname(f"{co}/{path}") or co, exist_ok=True)
        with open(f"{co}/{path}", "wb") as f:
            f.write(data)
    return co, fix_files


def package_of(co, path):
    d = os.path.dirname(path)
    while True:
        manifest = os.path.join(co, d, "Cargo.toml")
        if os.path.exists(manifest):
            text = open(manifest).read()
            m = re.search(r'^\[package\][^\[]*?^name\s*=\s*"([^"]+)"', text, re.M | re.S)
            if m:
                return m[1], d
        if not d:
            return None, ""
        d = os.path.dirname(d)


def test_target(pkg_dir, parts):
    """The integration-test target that holds tests/…: a `[[test]]` of the manifest whose path is the file or
    the directory's main.rs or the file declaring its module, else the file's (or directory's) own name."""
    try:
        manifest = open(os.path.join(pkg_dir, "Cargo.toml")).read()
    except OSError:
        manifest = ""
    declared = {}
    for block in re.findall(r"^\[\[test\]\](.*?)(?=^\[|\Z)", manifest, re.M | re.S):
        n = re.search(r'^name\s*=\s*"([^"]+)"', block, re.M)
        p = re.search(r'^path\s*=\s*"([^"]+)"', block, re.M)
        if n and p:
            declared[os.path.normpath(p[1])] = n[1]
    rel = "/".join(parts)
    if rel in declared:
        return declared[rel]
    sub = parts[1][:-3] if len(parts) == 2 else parts[1]
    for cand in (f"tests/{sub}/main.rs", f"tests/{sub}/mod.rs"):
        if cand in declared:
            return declared[cand]
    if len(parts) > 2 and os.path.exists(os.path.join(pkg_dir, "tests", sub, "main.rs")):
        return sub
    # A top-level tests/X.rs (or a declared one) that has `mod SUB;`.
    files = [f"tests/{f}" for f in sorted(os.listdir(os.path.join(pkg_dir, "tests"))) if f.endswith(".rs")]
    for f in list(declared) + files:
        try:
            text = open(os.path.join(pkg_dir, f)).read()
        except OSError:
            continue
        if f != rel and re.search(rf"^\s*(pub\s+)?mod\s+{re.escape(sub)}\s*;", text, re.M):
            return declared.get(f, os.path.basename(f)[:-3])
    return sub


def test_command(co, name, path):
    pkg, root = package_of(co, path)
    rel = os.path.relpath(path, root) if root else path
    parts = rel.split("/")
    args = ["cargo", "test"]
    # The package at the root is the default one; `-p` for it is ambiguous when a dev-dependency pulls in a
    # published version of the same crate.
    if pkg and root:
        args += ["-p", pkg]
    if parts[0] == "tests":
        args += ["--test", test_target(os.path.join(co, root), parts)]
    else:
        args += ["--lib"]
    return args + ["--", name]


def env_for(work, repo):
    env = dict(os.environ)
    env["CARGO_TARGET_DIR"] = f"{work}/target/{repo.replace('/', '+')}"
    env["CARGO_TERM_COLOR"] = "never"
    env["RUST_BACKTRACE"] = "1"
    # Old commits `#![deny(warnings)]`, and today's compiler warns about more: lints must not decide a case.
    env["RUSTFLAGS"] = "--cap-lints=warn"
    return env


def run(cmd, cwd, env, timeout):
    """`cmd` in its own process group, all of which is killed on a timeout (cargo's rustc or test children
    too); (returncode, output) or None on a timeout."""
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         errors="replace", start_new_session=True)
    try:
        text, _ = p.communicate(timeout=timeout)
        return p.returncode, text
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        return None


def panic_message(text):
    """The first `panicked at` line and the line after it (the message), squeezed onto one line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "panicked at" in line:
            msg = line.strip() + " " + (lines[i + 1].strip() if i + 1 < len(lines) else "")
            return re.sub(r"\s+", " ", msg)[:200]
    return ""


def attempt(cmd, co, env, build_timeout, timeout):
    """Build, then run, one test command: (verdict, message, output)."""
    sep = cmd.index("--")
    built = run(cmd[:sep] + ["--no-run"], co, env, build_timeout)
    needs = re.search(r"requires the features: (.*)", built[1]) if built and built[0] else None
    if needs:  # a test target with `required-features`: build it with them
        features = ",".join(re.findall(r"`([^`]+)`", needs[1]))
        cmd[sep:sep] = ["--features", features]
        sep = cmd.index("--")
        built = run(cmd[:sep] + ["--no-run"], co, env, build_timeout)
    if built is None:
        return "build-timeout", "", ""
    if built[0] != 0:
        text = built[1]
        verdict = "does-not-compile" if "error[E" in text or "could not compile" in text else f"build-failed({built[0]})"
        message = next((re.sub(r"\s+", " ", l)[:200] for l in text.splitlines() if l.startswith("error")), "")
        return verdict, message, text
    ran = run(cmd, co, env, timeout)
    if ran is None:
        return "timeout", "", ""
    code, text = ran
    if code != 0 and "panicked at" in text and "error[E" not in text:
        return "panics", panic_message(text), text
    if code == 0:
        return ("passes" if re.search(r"running [1-9]", text) else "passes(no test ran)"), "", text
    if "error[E" in text or "could not compile" in text:
        return "does-not-compile", "", text
    return f"fails-without-panic({code})", "", text


def confirm(work, timeout, only=()):
    """TIMEOUT bounds the test's run; the build before it (`cargo test --no-run`, a cold build of the crate at
    an old commit) has $HEAL_BUILD_TIMEOUT seconds (default 600). Candidates already in confirmed.log are
    skipped (but see $HEAL_RETRY), so that a stopped run resumes; ONLY, when given, limits the run to those repositories."""
    build_timeout = int(os.environ.get("HEAL_BUILD_TIMEOUT", "600"))
    out = open(f"{work}/cases.tsv", "a")
    done = set()
    if os.path.exists(f"{work}/confirmed.log"):
        # The last verdict of a commit counts; $HEAL_RETRY (a regex) names verdicts (or their messages) to run again, such as a
        # checkout that failed before the sparse fallback: `HEAL_RETRY='^error: git checkout'`.
        last = {}
        for l in open(f"{work}/confirmed.log"):
            f = l.rstrip("\n").split("\t")
            last[f[1]] = "\t".join(f[3:4] + f[5:6])  # the verdict and its message
        retry = re.compile(os.environ["HEAL_RETRY"]) if os.environ.get("HEAL_RETRY") else None
        done = {c for c, v in last.items() if not (retry and retry.search(v))}
    # A case already kept (cases.tsv seeded from benches/heal_cases.tsv, say) is not run again.
    done |= {l.split("\t")[1] for l in open(f"{work}/cases.tsv") if "\t" in l}
    log = open(f"{work}/confirmed.log", "a")
    for line in open(f"{work}/candidates.tsv"):
        repo, commit, name, path = line.rstrip("\n").split("\t")
        if commit in done or (only and repo not in only):
            continue
        message = output = ""
        start = time.time()
        try:
            co, _ = checkout(work, repo, commit)
            cmd = test_command(co, name, path)
            env = env_for(work, repo)
            verdict, message, output = attempt(cmd, co, env, build_timeout, timeout)
            if verdict == "passes(no test ran)":
                # The new test is behind a feature: once more with all of them.
                sep = cmd.index("--")
                again = cmd[:sep] + ["--all-features"] + cmd[sep:]
                v2, m2, o2 = attempt(again, co, env, build_timeout, timeout)
                if v2 == "panics":
                    cmd, verdict, message, output = again, v2, m2, o2
                else:
                    message = f"with --all-features: {v2} {m2}"[:200]
            if verdict == "panics":
                out.write("\t".join([repo, commit, name, " ".join(cmd)]) + "\n")
                out.flush()
        except Exception as e:  # a checkout or patch that does not apply
            verdict = "error: " + re.sub(r"\s+", " ", str(e))[:120]
        secs = time.time() - start
        if output:  # the build's or the test's output, for a look at why a candidate was dropped
            os.makedirs(f"{work}/logs", exist_ok=True)
            with open(f"{work}/logs/{commit}.txt", "w") as f:
                f.write(output)
        log.write(f"{repo}\t{commit}\t{name}\t{verdict}\t{secs:.0f}\t{message}\n")
        log.flush()
        print(f"confirm: {repo} {commit[:10]} {name}: {verdict} ({secs:.0f} s) {message}", file=sys.stderr)


def human_lines(before, after):
    """Lines of `before` (1-based) that the human's change touches, from a -U0 diff of the two texts."""
    import difflib
    a, b = before.splitlines(), after.splitlines()
    lines = set()
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:
            lines.add(i1)  # an insertion after line i1
            lines.add(i1 + 1)
        lines.update(range(i1 + 1, i2 + 1))
    return lines


def squash(text):
    return re.sub(r"\s+", "", text)


def heal(work, suture, label, timeout, max_candidates, only):
    results = f"{work}/results-{label}.tsv"
    done = set()
    if os.path.exists(results):
        done = {l.split("\t")[1] for l in open(results)}
    out = open(results, "a")
    for line in open(f"{work}/cases.tsv"):
        repo, commit, name, cmd = line.rstrip("\n").split("\t")
        if commit in done or (only and repo not in only):
            continue
        git = mirror(repo)
        co, fix_files = checkout(work, repo, commit)
        # The user's state: parent + the test, committed so that heal's worktree holds it whatever it copies.
        sh(["git", "add", "-A"], cwd=co)
        sh(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q",
            "--allow-empty", "-m", "the test alone"], cwd=co, check=False)
        start = time.time()
        # HEAL_SUTURE_ARGS: extra flags, e.g. `--patterns DIR` for another pattern library.
        extra = os.environ.get("HEAL_SUTURE_ARGS", "").split()
        args = [suture, "heal", *extra, "--repo", co, "--env", "staging", "--format", "json",
                "--timeout", str(timeout), "--max-candidates", str(max_candidates), "--"] + cmd.split(" ")
        try:
            r = sh(args, cwd=co, env=env_for(work, repo), timeout=timeout * (3 * max_candidates + 3),
                   check=False)
            os.makedirs(f"{work}/reports", exist_ok=True)
            with open(f"{work}/reports/{label}-{commit}.json", "w") as f:
                f.write(r.stdout or r.stderr)
            report = json.loads(r.stdout)["report"] if r.stdout.strip().startswith("{") else None
        except subprocess.TimeoutExpired:
            report = None
        except json.JSONDecodeError:
            report = None
        secs = time.time() - start
        outcome = report["outcome"] if report else "error"
        landed = next((a for a in (report or {}).get("attempts", []) if a["passed"]), None)
        located = plausible = equivalent = False
        pattern = ""
        if landed:
            fix = landed["fix"]
            pattern = fix["pattern"]
            plausible = True
            path = fix["file"]
            with open(f"{co}/{path}") as f:
                current = f.read()
            human_after = show(git, commit, path)
            if human_after is not None and path in fix_files:
                touched = human_lines(current, human_after)
                first, last = fix["start"]["line"], fix["end"]["line"]
                located = any(first - 2 <= l <= last + 2 for l in touched)
                b = current.encode()
                patched = (b[:fix["start"]["byte"]] + fix["after"].encode() + b[fix["end"]["byte"]:]).decode()
                equivalent = squash(patched) == squash(human_after) and set(fix_files) == {path}
        # Also: whether any validated-or-not candidate was near the human's lines (where heal looked).
        near = False
        for a in (report or {}).get("attempts", []):
            f = a["fix"]
            human_after = show(git, commit, f["file"])
            if human_after is None or f["file"] not in fix_files:
                continue
            with open(f"{co}/{f['file']}") as fh:
                touched = human_lines(fh.read(), human_after)
            near = near or any(f["start"]["line"] - 2 <= l <= f["end"]["line"] + 2 for l in touched)
        attempts = len((report or {}).get("attempts", []))
        out.write("\t".join([repo, commit, name, outcome, pattern, str(located), str(plausible),
                             str(equivalent), f"{secs:.0f}", str(attempts), str(near)]) + "\n")
        out.flush()
        print(f"heal[{label}]: {repo} {commit[:10]} {name}: {outcome} {pattern} located={located} "
              f"plausible={plausible} equivalent={equivalent} ({secs:.0f} s)", file=sys.stderr)


def function_span(lines, line):
    """The 1-based lines of the `fn` around `line`, by the nearest `fn` header above and the next below: an
    approximation (no parser here) that is good enough to say which frame a human's change is in."""
    header = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s")
    start = next((i for i in range(line, 0, -1) if header.match(lines[i - 1])), 1)
    end = next((i - 1 for i in range(line + 1, len(lines) + 1) if header.match(lines[i - 1])), len(lines))
    return start, end


def fix_positions(work, label):
    """Where on the failing path each human fix is: per case with a saved report of LABEL, (repo, commit, panic
    kind of the first failure, frame position whose function holds the human's change, or None when no
    workspace frame's function does (the innermost such frame counts), the candidates heal found on the path
    as (frame position or None, whether it substitutes a default): the tried ones and the `not_tried`)."""
    out = []
    for line in open(f"{work}/cases.tsv"):
        repo, commit = line.split("\t")[:2]
        path = f"{work}/reports/{label}-{commit}.json"
        if not os.path.exists(path):
            continue
        try:
            report = json.load(open(path))["report"]
        except (json.JSONDecodeError, KeyError):
            continue
        if not report.get("failures"):
            continue
        git = mirror(repo)
        tests, fix_files, _ = split_commit(git, commit)
        failure = report["failures"][0]
        found = None
        for loc in failure["path"]:
            f = loc["file"]
            if f not in fix_files:
                continue
            before = tests.get(f) or show(git, f"{commit}^", f) or ""
            after = show(git, commit, f) or ""
            lines = before.splitlines()
            if not lines:
                continue
            lo, hi = function_span(lines, min(loc["line"], len(lines)))
            if any(lo <= l <= hi for l in human_lines(before, after)):
                found = loc["step"]["position"] if loc.get("step") else None
                break
        found_fixes = [a["fix"] for a in report.get("attempts", [])] + report.get("not_tried", [])
        candidates = [((f.get("step") or {}).get("position"), f.get("effect") == "substitutes-default")
                      for f in found_fixes]
        out.append((repo, commit, failure.get("kind") or "unknown", found, candidates))
    return out


def frame_statistics(work, label):
    """Per frame position, the cases whose human fix is in that frame's function; and the cases where it is in
    none."""
    counts, none = {}, 0
    for _repo, _commit, _kind, found, _candidates in fix_positions(work, label):
        if found is None:
            none += 1
        else:
            counts[found] = counts.get(found, 0) + 1
    return counts, none


# Positions 0 (the panic site), 1, 2, and 3 for every deeper frame: the buckets of corpus/frame-prior.toml.
PRIOR_BUCKETS = 4
# A panic kind gets its own ratios only from this many located human fixes; the rest share `default`.
PRIOR_MIN_KIND = 8


def bucket_shares(candidate_lists):
    """Per frame bucket, the share of the candidates heal found there, averaged over the cases (each case
    weighs one, as each human fix does), add-one smoothed; candidates off the path (no position) count at no
    bucket. Returns (shares, cases counted)."""
    sums, cases = [0.0] * PRIOR_BUCKETS, 0
    for candidates in candidate_lists:
        on_path = [p for p, _ in candidates if p is not None]
        if not on_path:
            continue
        cases += 1
        for p in on_path:
            sums[min(p, PRIOR_BUCKETS - 1)] += 1 / len(on_path)
    return [(x + 1) / (cases + PRIOR_BUCKETS) for x in sums], cases


def ratios(positions, candidate_lists):
    """Likelihood ratios by frame bucket: each bucket's share of the human fixes (add-one smoothed) over its
    share of the candidates heal finds (bucket_shares), P(position | right) / P(position | candidate), so that
    a bucket where suture finds most of its candidates is not favoured for that alone."""
    n = [0] * PRIOR_BUCKETS
    for p in positions:
        n[min(p, PRIOR_BUCKETS - 1)] += 1
    total = sum(n) + PRIOR_BUCKETS
    q, _ = bucket_shares(candidate_lists)
    return [round(((c + 1) / total) / q[b], 3) for b, c in enumerate(n)], n


SURFACES = re.compile(r"\?|\b(?:Err|None)\b")
SUBSTITUTES = re.compile(r"\.(?:saturating_\w+|wrapping_\w+|unwrap_or\w*|min|max|clamp)\(")


def fix_hunks(git, commit):
    """The human fix of COMMIT without its tests: {path: -U0 hunks} of the Rust files it changes outside test
    files and before a file's inline test module (deleted files left out)."""
    out = {}
    for path, _a, _r in changed_files(git, commit):
        after = show(git, commit, path)
        if not path.endswith(".rs") or is_test_file(path) or after is None:
            continue
        start = test_start(after)
        found = [h for h in hunks(git, commit, path) if h[2] < start]
        if found:
            out[path] = found
    return out


def substitutes(git, commit):
    """Whether the human fix of COMMIT substitutes a default, by the rule mine::remedy applies to a learned
    edit, on the text of its non-test hunks: it adds no `?`/`Err`/`None` and adds a saturating, wrapping,
    `unwrap_or*`, `min`, `max` or `clamp` call (a `?` in a string or comment counts too: text, not a tree)."""
    added, removed = [], []
    for found in fix_hunks(git, commit).values():
        for h in found:
            removed += h[4]
            added += h[5]
    more = lambda pattern: (sum(len(pattern.findall(l)) for l in added)
                            > sum(len(pattern.findall(l)) for l in removed))
    return not more(SURFACES) and more(SUBSTITUTES)


def substitutes_ratio(cases):
    """The odds multiplier of a remedy that substitutes a default, relative to one that does not (whose own
    multiplier is 1): over the cases where heal found candidates, the odds that the human fix substitutes over
    the odds that a candidate does (each case's share, averaged over the cases; both add-one smoothed). The
    two shares' ratios, p/q for a substituting remedy and (1-p)/(1-q) for the others, divided. Returns
    (multiplier, cases used, human fixes that substitute, candidate share)."""
    used, human, pool = 0, 0, 0.0
    for repo, commit, _kind, _position, candidates in cases:
        if not candidates:
            continue
        used += 1
        human += substitutes(mirror(repo), commit)
        pool += sum(sub for _, sub in candidates) / len(candidates)
    if not used:
        sys.exit("prior: no saved report lists a candidate")
    p, q = (human + 1) / (used + 2), (pool + 1) / (used + 2)
    return round((p / (1 - p)) / (q / (1 - q)), 3), used, human, round(q, 3)


def prior(work, labels, out_path):
    """Writes the frame prior learned from the saved heal reports of LABELS (one case counted once, from the
    first label that has its report) to OUT_PATH, as corpus/frame-prior.toml reads it."""
    seen, cases = set(), []
    for label in labels:
        for case in fix_positions(work, label):
            if case[1] not in seen:
                seen.add(case[1])
                cases.append(case)
    write_prior(cases, labels, out_path)


def write_prior(cases, labels, out_path):
    """Writes the frame prior of CASES (fix_positions' tuples) to OUT_PATH."""
    located = [c for c in cases if c[3] is not None]
    if not located:
        sys.exit("prior: no saved report locates a human fix on its failing path")
    default, counts = ratios([c[3] for c in located], [c[4] for c in cases])
    _, with_candidates = bucket_shares([c[4] for c in cases])
    by_kind = {}
    for c in located:
        by_kind.setdefault(c[2], []).append(c[3])
    kinds = {k: ratios(v, [c[4] for c in cases if c[2] == k]) for k, v in sorted(by_kind.items())
             if len(v) >= PRIOR_MIN_KIND}
    repos = sorted({c[0] for c in cases})
    subst, used, human, share = substitutes_ratio(cases)
    lines = [
        "# MINED from harvested panic fixes by `benches/heal_harvest.sh prior` (do not edit by hand; rerun it).",
        "# Where on a panic's failing path the maintainers fixed it, as likelihood ratios (odds multipliers) of the",
        "# confidence model, read by crates/engine/src/confidence.rs. A remedy at frame position p (0 = the panic",
        "# site, 1 = its caller, ...; the last number holds for every deeper frame) has its odds multiplied by the",
        "# number at p for the reported panic kind, `default` for kinds with too few fixes to have their own.",
        "# Each number is its bucket's share of the located fixes over its share of the candidates heal found",
        "# in the same cases (both add-one smoothed): P(position | human fix) / P(position | candidate).",
        'origin = "mined"',
        "",
        f"# {len(located)} located fixes: {counts[0]} at the panic site, {counts[1]} in its caller, {counts[2]} two",
        f"# frames up, {counts[3]} deeper.",
        f"default = {default}",
        "",
        "# A `substitutes-default` remedy (unwrap_or_default, saturating, get(..).unwrap_or(0), ...), relative to one",
        f"# that does not: the odds that a human fix substitutes ({human} of {used}, add-one smoothed) over the odds",
        f"# that a candidate heal found for the same case does (share {share}).",
        f"substitutes_default = {subst}",
        "",
        "provenance = [",
        f'  "default and kinds: {len(cases)} harvested cases (benches/heal_cases.tsv) from {len(repos)} repositories '
        f'with a saved heal report ({", ".join(labels)}); the human fix lies in a workspace frame\'s function in '
        f'{len(located)}, in none in {len(cases) - len(located)}; heal found candidates on the path in '
        f'{with_candidates}, whose shares by position are the denominators; a kind has its own ratios from '
        f'{PRIOR_MIN_KIND} located fixes",',
        f'  "repositories: {", ".join(repos)}",',
        f'  "cases (commit: kind @ position): {"; ".join(f"{c[1][:10]}: {c[2]} @ {c[3]}" for c in cases)}",',
        f'  "substitutes_default: mined: of the {used} cases where heal found candidates, the human fix '
        f"substituted a default in {human} (by its non-test hunks: no ?/Err/None added, a saturating/wrapping/"
        f"unwrap_or/min/max/clamp call added); the candidates substitute in a share of {share} on average; the "
        f'odds ratio of p = ({human} + 1) / ({used} + 2) over q",',
        "]",
    ]
    if kinds:
        lines += ["", "[kinds]"]
        for k, (r, n) in kinds.items():
            lines.append(f"# {sum(n)} located fixes: {n}")
            lines.append(f'"{k}" = {r}')
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, out_path)
    print(f"prior: {len(located)} located of {len(cases)} cases; default {default} (counts {counts}); "
          f"kinds with their own ratios: {sorted(kinds) or 'none'}; wrote {out_path}", file=sys.stderr)


def remedy_history(work, exclude):
    """A git history of human panic fixes alone, for `suture mine` to learn panic remedies from: the confirmed
    cases, and every other commit of the same mirrors whose message says it fixes a panic (MESSAGE) and that
    changes at most MAX_FIX_LINES non-test lines, in repositories not in EXCLUDE. Per fix: one commit adds its
    non-test files as they were at the parent, under cases/COMMIT/ (a pure addition teaches the miner
    nothing), then one commit, whose message names the source commit, applies the human's non-test hunks (the
    test part left out). Returns the history's path and the fixes in it, as (repo, commit, confirmed)."""
    hist = f"{work}/remedy-history"
    sh(["rm", "-rf", hist])
    os.makedirs(hist)
    sh(["git", "init", "-q", "-b", "main"], cwd=hist)
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    confirmed = {}
    for line in open(f"{work}/cases.tsv"):
        repo, commit = line.split("\t")[:2]
        confirmed.setdefault(repo, []).append(commit)
    sources = []
    for repo in sorted(confirmed):
        git = mirror(repo)
        if repo in exclude or repo in HELD_OUT:
            continue
        if not os.path.isdir(git):
            print(f"remedies: {repo}: no mirror at {git}", file=sys.stderr)
            continue
        said = sh(["git", f"--git-dir={git}", "log", "--no-merges", "-E", "-i", f"--grep={MESSAGE.pattern}",
                   "--format=%H"]).stdout.split()
        sources += [(repo, c, True) for c in confirmed[repo]]
        sources += [(repo, c, False) for c in said if c not in confirmed[repo]]
    cases = []
    for repo, commit, is_case in sources:
        git = mirror(repo)
        fixes, lines = {}, 0
        for path, found in fix_hunks(git, commit).items():
            before = show(git, f"{commit}^", path)
            if before is None:
                continue
            lines += sum(len(h[4]) + len(h[5]) for h in found)
            fixes[path] = (before, apply_hunks(before, found))
        if not fixes or lines > MAX_FIX_LINES:
            continue
        for side, message in ((0, f"{repo} {commit[:10]}: the parent"), (1, f"fix: {repo} {commit}")):
            for path, texts in fixes.items():
                dest = f"{hist}/cases/{commit[:10]}/{path}"
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "w") as f:
                    f.write(texts[side])
            sh(["git", "add", "-A"], cwd=hist)
            sh(["git", *ident, "commit", "-q", "--allow-empty", "-m", message], cwd=hist)
        cases.append((repo, commit, is_case))
    return hist, cases


def remedies(work, suture, out, exclude):
    """Mines panic remedies from the harvested human fixes (remedy_history), into OUT, with the miner's
    defaults for several sources: two fixing commits at least. Then measures every remedy, hand-written and
    mined, on the same fixes (`suture patterns measure-remedies`: in how many of the commits whose edits it
    matches it writes the human's edit; a mined one not on the commits it was learned from; one that asks for a
    return type only where the function returned it), and writes the records into OUT. With SHIP=1 in the environment the records also go into patterns/hand-written, and the
    mined remedies that reproduced a fix they were not learned from are shipped to patterns/remedies;
    otherwise the hand-written remedies are measured on a copy under the work directory."""
    hist, cases = remedy_history(work, exclude)
    repos = sorted({c[0] for c in cases})
    print(f"remedies: {len(cases)} human fixes ({sum(c[2] for c in cases)} confirmed cases) from {len(repos)} "
          f"repositories in {hist}", file=sys.stderr)
    db = f"{work}/remedy-history.db"
    # A store of an earlier history would add its edits (under other commit ids) to this one's.
    for stale in (db, db + "-wal", db + "-shm"):
        if os.path.exists(stale):
            os.remove(stale)
    r = sh([suture, "mine", hist, "--out", out, "--min-commits", "2", "--min-holes", "1", "--db", db],
           check=False)
    sys.stderr.write(r.stdout[-4000:] + r.stderr[-4000:])
    if r.returncode != 0:
        sys.exit(f"remedies: suture mine failed ({r.returncode})")
    ship = os.environ.get("SHIP") == "1"
    hand_dir = "patterns/hand-written"
    if not ship:
        hand_dir = f"{work}/hand-written"
        sh(["rm", "-rf", hand_dir])
        shutil.copytree("patterns/hand-written", hand_dir)
    on = (f"{len(cases)} commits that fix a panic ({sum(c[2] for c in cases)} of them confirmed by their test) "
          f"in {len(repos)} public repositories, not the 12 held out from the heal bench "
          f"(benches/heal_harvest.sh remedies)")
    measure = [suture, "patterns", "measure-remedies", "--fixes", db, "--history", hist, "--patterns", hand_dir,
               "--patterns", out, "--write", "--on", on]
    if ship:
        measure += ["--ship-to", "patterns/remedies"]
    r = sh(measure, check=False)
    sys.stderr.write(r.stderr[-4000:])
    if r.returncode != 0:
        sys.exit(f"remedies: suture patterns measure-remedies failed ({r.returncode})")
    print(r.stdout)
    # Provenance names the public fix (repository, commit, path), not the history built here.
    source = {}
    for line in sh(["git", "log", "--format=%H %s"], cwd=hist).stdout.splitlines():
        sha, subject = line.split(" ", 1)
        if subject.startswith("fix: "):
            source[sha] = subject[5:].split(" ")
    block = re.compile(r'repo = "remedy-history"\ncommit = "([0-9a-f]{40})"\npath = "cases/[0-9a-f]{10}/([^"]*)"')
    import tomllib
    hand = {}
    for name in os.listdir("patterns/hand-written"):
        t = tomllib.load(open(f"patterns/hand-written/{name}", "rb"))
        hand[(t["before"], t["after"])] = t["id"]
    rows = []
    dirs = [out] + (["patterns/remedies"] if ship and os.path.isdir("patterns/remedies") else [])
    for d in dirs:
        for name in sorted(os.listdir(d)):
            path = f"{d}/{name}"
            text = block.sub(lambda m: f'repo = "{source[m[1]][0]}"\ncommit = "{source[m[1]][1]}"\npath = "{m[2]}"',
                             open(path).read())
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, path)
            if d != out:
                continue
            t = tomllib.loads(text)
            repos_of = sorted({p["repo"] for p in t.get("provenance", [])})
            rows.append((t["support"], t["id"], t["before"], t["after"], ",".join(t.get("panics", [])) or "-",
                         t.get("effect", "-"), len(repos_of), hand.get((t["before"], t["after"]), "-")))
    print("| pattern | before => after | panics (only for reported) | effect | commits | repositories | "
          "same template as |")
    print("|---|---|---|---|---|---|---|")
    for support, pid, before, after, panics, effect, nrepos, same in sorted(rows, reverse=True):
        print(f"| {pid} | `{before}` => `{after}` | {panics} | {effect} | {support} | {nrepos} | {same} |")


def report(work):
    for name in sorted(os.listdir(work)):
        if not name.startswith("results-"):
            continue
        label = name[8:-4]
        rows = [l.rstrip("\n").split("\t") for l in open(f"{work}/{name}")]
        repos = {r[0] for r in rows}
        c = lambda i: sum(len(r) > i and r[i] == "True" for r in rows)
        outcomes = {}
        for r in rows:
            outcomes[r[3]] = outcomes.get(r[3], 0) + 1
        measured = sum(len(r) > 10 for r in rows)
        print(f"{label}: {len(rows)} cases from {len(repos)} repositories: located {c(5)}, "
              f"plausible {c(6)}, human-equivalent {c(7)}; some candidate near the human's lines {c(10)} "
              f"(of {measured} with a saved report); outcomes {dict(sorted(outcomes.items()))}")
        counts, none = frame_statistics(work, label)
        if counts or none:
            print(f"  the human's fix on the failing path, by frame position (0 = panic site): "
                  f"{dict(sorted(counts.items()))}, not in a workspace frame's function: {none}")


def main():
    work = os.environ.get("HEAL_BENCH_DIR", "/tmp/heal-bench")
    os.makedirs(work, exist_ok=True)
    stage = sys.argv[1]
    if stage == "mine":
        mine(work, sys.argv[3:], int(sys.argv[2]))
    elif stage == "confirm":
        confirm(work, int(sys.argv[2]), set(sys.argv[3:]))
    elif stage == "heal":
        suture, label, timeout, maxc = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        heal(work, suture, label, timeout, maxc, set(sys.argv[6:]))
    elif stage == "report":
        report(work)
    elif stage == "prior":
        prior(work, sys.argv[3:], sys.argv[2])
    elif stage == "remedies":
        remedies(work, sys.argv[2], sys.argv[3], set(sys.argv[4:]))
    else:
        sys.exit(f"unknown stage `{stage}` (mine, confirm, heal, report, prior, remedies)")


if __name__ == "__main__":
    main()
