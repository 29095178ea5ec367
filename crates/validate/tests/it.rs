//! Integration tests for validation: real git repositories and real cargo runs on tiny crates,
//! all in temp dirs. The crates have no dependencies outside themselves, so nothing needs the
//! network. The cargo test shares one target dir across runs
//! (`$TMPDIR/suture-validate-tests-target`) so that only the first run compiles from scratch.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use validate::{
    OUTPUT_CAP, Outcome, Step, StepResult, Timeouts, all_passed, cargo_steps, create_worktree,
    kill_running_steps, run_step, run_steps,
};

// ---------------------------------------------------------------------------------------------
// Worktrees

/// Runs git in `dir` with a fixed identity and no signing, and returns its stdout.
#[track_caller]
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=suture test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// A repository with committed files, then uncommitted changes of every kind.
fn user_repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    git(root, &["init", "--quiet"]);
    write(&root.join("committed.txt"), "committed\n");
    write(&root.join("modified.txt"), "as committed\n");
    write(&root.join("deleted.txt"), "to be deleted\n");
    write(&root.join(".gitignore"), "*.log\n");
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "initial"]);

    write(&root.join("modified.txt"), "modified by the user\n");
    std::fs::remove_file(root.join("deleted.txt")).unwrap();
    write(&root.join("staged.txt"), "staged\n");
    git(root, &["add", "staged.txt"]);
    write(&root.join("new/untracked.txt"), "untracked\n");
    write(&root.join("build.log"), "ignored\n");
    repo
}

fn worktree_list(repo: &Path) -> String {
    git(repo, &["worktree", "list", "--porcelain"])
}

#[test]
fn worktree_holds_head_plus_the_users_uncommitted_changes() {
    let repo = user_repo();
    let tree = create_worktree(repo.path()).unwrap();
    let at = |p: &str| tree.path.join(p);

    assert_eq!(read(&at("committed.txt")), "committed\n");
    assert_eq!(read(&at("modified.txt")), "modified by the user\n");
    assert_eq!(read(&at("staged.txt")), "staged\n");
    assert_eq!(read(&at("new/untracked.txt")), "untracked\n");
    assert!(!at("deleted.txt").exists(), "a deletion is copied too");
    assert!(!at("build.log").exists(), "ignored files stay behind");
    assert_ne!(tree.path, repo.path());
}

#[test]
fn candidates_are_written_and_reset_in_the_worktree_only() {
    let repo = user_repo();
    let user_status = git(repo.path(), &["status", "--porcelain", "--ignored"]);
    let mut tree = create_worktree(repo.path()).unwrap();

    tree.write_files(&[
        ("modified.txt".to_string(), "candidate 1\n".to_string()),
        (
            "src/deep/added.rs".to_string(),
            "fn added() {}\n".to_string(),
        ),
    ])
    .unwrap();
    // A second write before a reset must still restore the user's version, not candidate 1.
    tree.write_files(&[("modified.txt".to_string(), "candidate 2\n".to_string())])
        .unwrap();
    assert_eq!(read(&tree.path.join("modified.txt")), "candidate 2\n");
    assert_eq!(
        read(&tree.path.join("src/deep/added.rs")),
        "fn added() {}\n"
    );
    assert_eq!(
        read(&repo.path().join("modified.txt")),
        "modified by the user\n"
    );
    assert!(!repo.path().join("src").exists());

    tree.reset().unwrap();
    assert_eq!(
        read(&tree.path.join("modified.txt")),
        "modified by the user\n"
    );
    assert!(
        !tree.path.join("src").exists(),
        "created directories go too"
    );
    assert_eq!(
        git(repo.path(), &["status", "--porcelain", "--ignored"]),
        user_status
    );
}

#[test]
fn writes_cannot_escape_the_worktree() {
    let repo = user_repo();
    let root = repo.path();
    // A committed symlink into the user's tree: the checkout has the same absolute link.
    std::os::unix::fs::symlink(root, root.join("link")).unwrap();
    git(root, &["add", "link"]);
    git(root, &["commit", "--quiet", "-m", "link"]);
    let mut tree = create_worktree(root).unwrap();

    for path in [
        "../outside.txt",
        "/tmp/outside.txt",
        "link/committed.txt",
        "link/new.txt",
        "",
    ] {
        let error = tree
            .write_files(&[(path.to_string(), "escaped\n".to_string())])
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("`{path}` is not a path inside the worktree")),
            "{message}"
        );
    }
    assert_eq!(read(&root.join("committed.txt")), "committed\n");
    assert!(!root.join("new.txt").exists());
}

#[test]
fn dropping_the_worktree_removes_it() {
    let repo = user_repo();
    let tree = create_worktree(repo.path()).unwrap();
    let path = tree.path.clone();
    let listed = |list: &str| {
        list.lines()
            .any(|l| l.strip_prefix("worktree ").map(PathBuf::from) == Some(path.clone()))
    };
    assert!(path.exists());
    assert!(listed(&worktree_list(repo.path())));

    drop(tree);
    assert!(!path.exists());
    assert!(!listed(&worktree_list(repo.path())));
    assert_eq!(worktree_list(repo.path()).matches("\nworktree ").count(), 0);
}

#[test]
fn a_worktree_of_a_subdirectory_points_at_that_subdirectory() {
    let repo = user_repo();
    let tree = create_worktree(&repo.path().join("new")).unwrap();
    assert!(tree.path.ends_with("new"));
    assert_eq!(read(&tree.path.join("untracked.txt")), "untracked\n");
    tree.remove().unwrap();
}

#[test]
fn a_directory_outside_git_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let message = create_worktree(dir.path()).unwrap_err().to_string();
    let expected = format!("`{}` is not inside a git work tree: ", dir.path().display());
    assert!(message.starts_with(&expected), "{message}");
}

#[test]
fn a_repository_without_commits_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "--quiet"]);
    let message = create_worktree(dir.path()).unwrap_err().to_string();
    let expected = format!(
        "`{}` has no commit to check out (HEAD is unborn)",
        dir.path().display()
    );
    assert_eq!(message, expected);
}

// ---------------------------------------------------------------------------------------------
// Running steps

/// Tests that run steps hold this for reading; the test of `kill_running_steps`, which kills
/// every step of the process, holds it for writing so that it runs alone.
static STEPS: RwLock<()> = RwLock::new(());

fn steps_may_run() -> RwLockReadGuard<'static, ()> {
    STEPS.read().unwrap_or_else(PoisonError::into_inner)
}

/// Waits up to a second for the killed members of group `pgid` to finish dying: SIGKILL is
/// delivered asynchronously, and a process closes its pipes just before it becomes a zombie.
fn live_members_after_kill(pgid: i32) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let live = live_members(pgid);
        if live.is_empty() || Instant::now() > deadline {
            return live;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn sh(script: &str, timeout: Duration) -> Step {
    Step {
        name: "sh".to_string(),
        program: "sh".to_string(),
        args: vec!["-c".to_string(), script.to_string()],
        timeout,
        env: vec![("SUTURE_TEST_VAR".to_string(), "from the step".to_string())],
        must_pass: Vec::new(),
    }
}

fn run_sh(script: &str) -> StepResult {
    run_step(Path::new("/"), &sh(script, Duration::from_secs(20)))
}

#[test]
fn a_passing_step_reports_its_output() {
    let _steps = steps_may_run();
    let result = run_sh("pwd; echo \"$SUTURE_TEST_VAR\"");
    assert_eq!(result.outcome, Outcome::Passed);
    assert_eq!(result.stdout, "/\nfrom the step\n");
    assert_eq!(result.stderr, "");
    assert_eq!(result.name, "sh");
}

#[test]
fn a_failing_step_reports_its_exit_code_and_output() {
    let _steps = steps_may_run();
    let result = run_sh("echo out; echo err >&2; exit 3");
    assert_eq!(result.outcome, Outcome::Failed { code: Some(3) });
    assert_eq!(result.stdout, "out\n");
    assert_eq!(result.stderr, "err\n");
    assert_eq!(
        serde_json::to_string(&result.outcome).unwrap(),
        r#"{"kind":"failed","code":3}"#
    );
}

#[test]
fn a_missing_program_is_not_started_with_the_os_error() {
    let _steps = steps_may_run();
    let step = Step {
        program: "suture-no-such-program".to_string(),
        ..sh("", Duration::from_secs(5))
    };
    let result = run_step(Path::new("/"), &step);
    let Outcome::NotStarted { error } = &result.outcome else {
        panic!("{result:?}");
    };
    assert_eq!(
        error,
        "could not start `suture-no-such-program` in `/`: No such file or directory (os error 2)"
    );
}

/// The processes whose process group is `pgid` and that are not zombies. (Zombies count as
/// dead: in a container whose pid 1 does not reap orphans, killed grandchildren stay zombies, so
/// `kill(-pgid, 0)` alone would still succeed.)
fn live_members(pgid: i32) -> Vec<String> {
    let mut live = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …; comm may hold spaces, so split after the last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2) == Some(&pgid.to_string().as_str()) && fields[0] != "Z" {
            live.push(format!("{head}) {}", fields[0]));
        }
    }
    live
}

#[test]
fn a_hung_step_is_killed_with_its_whole_process_group() {
    let _steps = steps_may_run();
    let start = Instant::now();
    let result = run_step(
        Path::new("/"),
        &sh("echo $$; sleep 100 & sleep 100", Duration::from_secs(1)),
    );
    let elapsed = start.elapsed();
    assert_eq!(result.outcome, Outcome::TimedOut);
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(
        result.seconds >= 1.0 && result.seconds < 2.0,
        "{}",
        result.seconds
    );

    // The shell led the group, so its pid is the group id.
    let pgid: i32 = result.stdout.trim().parse().unwrap();
    assert_eq!(live_members_after_kill(pgid), Vec::<String>::new());
}

#[test]
fn a_background_straggler_does_not_hold_a_finished_step() {
    let _steps = steps_may_run();
    let start = Instant::now();
    let result = run_sh("echo $$; sleep 100 & echo done");
    assert_eq!(result.outcome, Outcome::Passed);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let pgid: i32 = result.stdout.lines().next().unwrap().parse().unwrap();
    assert_eq!(live_members_after_kill(pgid), Vec::<String>::new());
}

#[test]
fn a_chatty_step_keeps_only_the_end_of_its_output() {
    let _steps = steps_may_run();
    // Both streams at once, far beyond a pipe buffer: this also shows that reading them
    // concurrently cannot deadlock.
    let result =
        run_sh("i=0; while [ $i -lt 20000 ]; do echo line $i; echo err $i >&2; i=$((i+1)); done");
    assert_eq!(result.outcome, Outcome::Passed);
    for text in [&result.stdout, &result.stderr] {
        assert!(text.starts_with("[… "), "{}", &text[..40]);
        assert!(text.len() <= OUTPUT_CAP + 60, "{}", text.len());
    }
    assert!(result.stdout.ends_with("line 19999\n"));
    assert!(result.stderr.ends_with("err 19999\n"));
}

#[test]
fn a_step_passes_only_if_its_named_tests_reported_ok() {
    let _steps = steps_may_run();
    let script =
        "echo 'test a::b ... ok'; echo 'test c - should panic ... ok'; echo 'test d ... FAILED'";
    let step = |must_pass: &[&str]| Step {
        must_pass: must_pass.iter().map(|s| s.to_string()).collect(),
        ..sh(script, Duration::from_secs(5))
    };
    let outcome = |must_pass| run_step(Path::new("/"), &step(must_pass)).outcome;
    assert_eq!(outcome(&["a::b", "c"]), Outcome::Passed);
    assert_eq!(
        outcome(&["a::b", "a", "d", "e"]),
        Outcome::TestsMissing {
            tests: vec!["a".to_string(), "d".to_string(), "e".to_string()]
        }
    );
}

#[test]
fn kill_running_steps_kills_the_groups_of_running_steps() {
    let _alone = STEPS.write().unwrap_or_else(PoisonError::into_inner);
    let start = Instant::now();
    let running = std::thread::spawn(|| {
        run_step(
            Path::new("/"),
            &sh("echo $$; sleep 100 & sleep 100", Duration::from_secs(60)),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    kill_running_steps();
    let result = running.join().unwrap();
    // Killed by a signal, not by its own timeout.
    assert_eq!(result.outcome, Outcome::Failed { code: None });
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let pgid: i32 = result.stdout.trim().parse().unwrap();
    assert_eq!(live_members_after_kill(pgid), Vec::<String>::new());
}

#[test]
fn run_steps_stops_at_the_first_step_that_does_not_pass() {
    let _steps = steps_may_run();
    let steps = [
        sh("true", Duration::from_secs(5)),
        sh("exit 1", Duration::from_secs(5)),
        sh("true", Duration::from_secs(5)),
    ];
    let results = run_steps(Path::new("/"), &steps);
    let outcomes: Vec<_> = results.iter().map(|r| r.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        [Outcome::Passed, Outcome::Failed { code: Some(1) }]
    );
    assert!(!all_passed(&steps, &results));
    assert!(all_passed(&steps[..1], &results[..1]));
}

// ---------------------------------------------------------------------------------------------
// Cargo

const CARGO_TOML: &str = r#"[package]
name = "calc"
version = "0.1.0"
edition = "2021"

[dependencies]
helper = { path = "helper" }

[workspace]
"#;

const HELPER_TOML: &str = r#"[package]
name = "helper"
version = "0.1.0"
edition = "2021"
"#;

const HELPER_LIB: &str = r#"
pub fn twice(x: i64) -> i64 {
    x * 2
}

#[test]
fn twice_doubles() {
    assert_eq!(twice(3), 6);
}
"#;

/// Filler for the helper crate, so that checking it from scratch takes measurably longer than
/// re-checking `calc` alone, and the timings show the difference.
fn helper_filler(n_fns: usize) -> String {
    (0..n_fns)
        .map(|i| {
            format!(
                "pub fn filler_{i}(v: &[i64]) -> Vec<String> {{\n    \
                 v.iter().filter(|x| **x % {m} == 0).map(|x| format!(\"{{x}}-{i}\")).collect()\n}}\n",
                m = i % 7 + 2
            )
        })
        .collect()
}

/// `add` has the bug that `tests::adds` catches; `double` is correct and tested by
/// `tests::doubles`.
const LIB_BUGGY: &str = r#"
pub fn add(a: i64, b: i64) -> i64 {
    a - b
}

pub fn double(x: i64) -> i64 {
    helper::twice(x)
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(super::add(2, 3), 5);
    }

    #[test]
    fn doubles() {
        assert_eq!(super::double(4), 8);
    }
}
"#;

fn tests_target_dir() -> PathBuf {
    std::env::temp_dir().join("suture-validate-tests-target")
}

fn outcomes(results: &[StepResult]) -> Vec<(String, Outcome)> {
    results
        .iter()
        .map(|r| (r.name.clone(), r.outcome.clone()))
        .collect()
}

fn step_outcome(name: &str, outcome: Outcome) -> (String, Outcome) {
    (name.to_string(), outcome)
}

#[test]
fn cargo_steps_validate_candidates_in_one_worktree() {
    let _steps = steps_may_run();
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(&root.join("Cargo.toml"), CARGO_TOML);
    write(&root.join("src/lib.rs"), LIB_BUGGY);
    write(&root.join("helper/Cargo.toml"), HELPER_TOML);
    write(
        &root.join("helper/src/lib.rs"),
        &(HELPER_LIB.to_string() + &helper_filler(300)),
    );
    write(&root.join(".gitignore"), "/target\n");
    git(root, &["init", "--quiet"]);
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "calc"]);

    let mut tree = create_worktree(root).unwrap();
    let steps = cargo_steps(
        &["tests::adds".to_string()],
        &tests_target_dir(),
        &Timeouts::default(),
    );
    let names: Vec<_> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["cargo check", "test tests::adds", "cargo test"]);
    assert_eq!(
        steps[1].args,
        [
            "test",
            "--workspace",
            "--tests",
            "--",
            "--exact",
            "tests::adds"
        ]
    );

    // The unpatched candidate: it compiles, and the failing test still fails.
    let unpatched = run_steps(&tree.path, &steps);
    let failed = Outcome::Failed { code: Some(101) };
    assert_eq!(
        outcomes(&unpatched),
        [
            step_outcome("cargo check", Outcome::Passed),
            step_outcome("test tests::adds", failed.clone()),
        ]
    );
    assert!(unpatched[1].stdout.contains("test tests::adds ... FAILED"));
    assert!(!all_passed(&steps, &unpatched));

    // The right fix passes every step.
    let fixed = LIB_BUGGY.replace("a - b", "a + b");
    tree.write_files(&[("src/lib.rs".to_string(), fixed.clone())])
        .unwrap();
    let patched = run_steps(&tree.path, &steps);
    assert!(all_passed(&steps, &patched), "{patched:#?}");
    assert!(patched[2].stdout.contains("test tests::doubles ... ok"));
    assert!(patched[2].stdout.contains("test twice_doubles ... ok"));

    // A failing test that no longer exists under its name is not taken as fixed.
    let gone = cargo_steps(
        &["tests::gone".to_string()],
        &tests_target_dir(),
        &Timeouts::default(),
    );
    let result = run_step(&tree.path, &gone[1]);
    assert_eq!(
        result.outcome,
        Outcome::TestsMissing {
            tests: vec!["tests::gone".to_string()]
        }
    );

    // A fix that repairs `add` but breaks `double` fails only the full suite.
    tree.reset().unwrap();
    let breaking = fixed.replace("helper::twice(x)", "helper::twice(x) + 1");
    tree.write_files(&[("src/lib.rs".to_string(), breaking)])
        .unwrap();
    let broken = run_steps(&tree.path, &steps);
    assert_eq!(
        outcomes(&broken),
        [
            step_outcome("cargo check", Outcome::Passed),
            step_outcome("test tests::adds", Outcome::Passed),
            step_outcome("cargo test", failed),
        ]
    );
    assert!(broken[2].stdout.contains("test tests::doubles ... FAILED"));

    // The second candidate's check reused the first one's build: only the changed crate was
    // checked again, and the unchanged path dependency was fresh.
    eprintln!(
        "cargo check wall time: first candidate {:.2} s, second candidate {:.2} s",
        unpatched[0].seconds, patched[0].seconds
    );
    assert!(
        patched[0].stderr.contains("Checking calc"),
        "{}",
        patched[0].stderr
    );
    assert!(
        !patched[0].stderr.contains("Checking helper"),
        "{}",
        patched[0].stderr
    );
    tree.remove().unwrap();
}

#[test]
fn cargo_steps_run_doctests_with_doc_and_share_the_target_dir() {
    let doc = cargo_steps(
        &["src/lib.rs - add (line 3)".to_string()],
        Path::new("/t"),
        &Timeouts::default(),
    );
    assert_eq!(
        doc[1].args,
        [
            "test",
            "--workspace",
            "--doc",
            "--",
            "--exact",
            "src/lib.rs - add (line 3)"
        ]
    );
    assert!(doc.iter().all(|s| {
        s.env
            .contains(&("CARGO_TARGET_DIR".to_string(), "/t".to_string()))
    }));
}

#[test]
fn a_persistent_worktree_follows_the_user_and_keeps_unchanged_files_untouched() {
    let repo = user_repo();
    let scratch = tempfile::tempdir().unwrap();
    let at = scratch.path().join("kept/tree");
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    {
        let mut tree = validate::persistent_worktree(repo.path(), &at).unwrap();
        assert_eq!(
            read(&tree.path.join("modified.txt")),
            "modified by the user\n"
        );
        assert!(!tree.path.join("deleted.txt").exists());
        tree.write_files(&[("committed.txt".to_owned(), "candidate\n".to_owned())])
            .unwrap();
        tree.reset().unwrap();
    }
    // Dropped, and still there.
    assert!(at.join("committed.txt").exists());
    let kept = mtime(&at.join("new/untracked.txt"));
    std::thread::sleep(std::time::Duration::from_millis(20));

    // The user commits one change and edits another file.
    write(&repo.path().join("committed.txt"), "committed again\n");
    git(repo.path(), &["commit", "--quiet", "-am", "second"]);
    write(&repo.path().join("staged.txt"), "edited after commit\n");
    let tree = validate::persistent_worktree(repo.path(), &at).unwrap();
    assert_eq!(read(&tree.path.join("committed.txt")), "committed again\n");
    assert_eq!(read(&tree.path.join("staged.txt")), "edited after commit\n");
    assert_eq!(read(&tree.path.join("new/untracked.txt")), "untracked\n");
    assert_eq!(
        mtime(&at.join("new/untracked.txt")),
        kept,
        "an unchanged file is not rewritten"
    );

    // A deleted directory is made again.
    drop(tree);
    std::fs::remove_dir_all(&at).unwrap();
    let tree = validate::persistent_worktree(repo.path(), &at).unwrap();
    assert_eq!(
        read(&tree.path.join("modified.txt")),
        "modified by the user\n"
    );
}

#[test]
fn failed_tests_are_named_even_past_the_output_cap() {
    let _steps = steps_may_run();
    // The first failure scrolls out of the kept tail of stdout; its name is read as the output streams.
    let result = run_sh(
        "echo 'test a::first ... FAILED'; head -c 200000 /dev/zero | tr '\\0' 'x'; echo; \
         echo 'test b::second - should panic ... FAILED'; echo 'test c::third ... ok'; \
         printf 'test d::last ... FAILED'; exit 101",
    );
    assert_eq!(result.outcome, Outcome::Failed { code: Some(101) });
    assert!(!result.stdout.contains("a::first"));
    assert_eq!(result.failed_tests, ["a::first", "b::second", "d::last"]);
}
