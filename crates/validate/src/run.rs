//! Runs one command of a validation with a timeout, and reports what happened as a value.
//!
//! A build that hangs must not hang suture, and killing it must kill everything it started: cargo
//! runs rustc and test binaries, and a test may start processes of its own. So every step runs in
//! its own process group, and on timeout the whole group gets SIGKILL (`kill(-pgid)`), not just
//! the direct child.
//!
//! Choices:
//! - The group is killed after *every* step, also one that exited by itself. A straggler left in
//!   the background (a test's server, `cmd &`) would otherwise keep the output pipes open, and the
//!   step would never finish. To make that safe the exit is observed with `waitid(WNOWAIT)`, which
//!   leaves the child a zombie: its pid, which is the group's id, cannot be reused by an unrelated
//!   process until the child is reaped, after the kill.
//! - stdout and stderr are read by two threads while the child runs, so a chatty child can never
//!   block on a full pipe. Each keeps only the last [`OUTPUT_CAP`] bytes (the end of a cargo run
//!   holds the errors and the test summary); the rest is counted and noted, so a build printing
//!   gigabytes cannot eat memory. If a process escaped the group (`setsid`) and still holds a
//!   pipe, the output is taken as it is after a short grace period instead of waiting forever.
//! - Failures are outcomes, not errors: a program that cannot start is [`Outcome::NotStarted`]
//!   with the OS error, so a validation always produces a result that can be reported.
//! - A step can name tests that must report `ok` ([`Step::must_pass`]). A libtest filter that
//!   matches nothing passes with zero tests, so without this a renamed or misspelt failing test
//!   would look fixed.
//! - A step's process group is not in suture's foreground group, so a Ctrl-C on the terminal does
//!   not reach it. [`kill_running_steps`] is for the binary's signal handler.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

/// How many bytes of each output stream a [`StepResult`] keeps: the last 64 KiB.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// How long to wait for the output pipes to close after the process group was killed. Only a
/// process that left the group can hold them open that long.
const OUTPUT_GRACE: Duration = Duration::from_secs(2);

/// One command of a validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// A short label for reports, such as `cargo check`.
    pub name: String,
    pub program: String,
    pub args: Vec<String>,
    /// After this long the whole process group is killed and the step is [`Outcome::TimedOut`].
    pub timeout: Duration,
    /// Set on top of the inherited environment.
    pub env: Vec<(String, String)>,
    /// libtest test names that must be reported `test NAME ... ok` on stdout for the step to
    /// pass, even if the command exits 0. Empty for steps that are not test runs.
    pub must_pass: Vec<String>,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    /// A non-zero exit; `code` is `None` if a signal ended the process.
    Failed {
        code: Option<i32>,
    },
    /// The command exited 0 but these tests from [`Step::must_pass`] never reported `ok`: they do
    /// not exist under that name, were filtered out, or were ignored.
    TestsMissing {
        tests: Vec<String>,
    },
    /// The timeout passed; the process group was killed.
    TimedOut,
    /// The program could not be started (not found, not executable, no such directory).
    NotStarted {
        error: String,
    },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// What one step did. `stdout` and `stderr` are the last [`OUTPUT_CAP`] bytes of each stream,
/// decoded lossily; if more was written, they start with a line saying how much was dropped.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepResult {
    pub name: String,
    pub outcome: Outcome,
    /// Wall time from start to the end of the process group.
    pub seconds: f64,
    pub stdout: String,
    pub stderr: String,
    /// The libtest names reported `test NAME ... FAILED` on stdout, sorted, read as the output streamed (so
    /// none is lost to the cap on `stdout`).
    #[serde(default)]
    pub failed_tests: Vec<String>,
}

/// Runs steps in order in `dir`, stopping at the first that does not pass.
pub fn run_steps(dir: &Path, steps: &[Step]) -> Vec<StepResult> {
    let mut results = Vec::with_capacity(steps.len());
    for step in steps {
        let result = run_step(dir, step);
        let passed = result.outcome.passed();
        results.push(result);
        if !passed {
            break;
        }
    }
    results
}

/// Whether [`run_steps`] ran every one of `steps` and each passed.
pub fn all_passed(steps: &[Step], results: &[StepResult]) -> bool {
    results.len() == steps.len() && results.iter().all(|r| r.outcome.passed())
}

/// Runs one step in `dir`, in its own process group, with stdin closed. On timeout it kills the
/// whole group (so that grandchildren die too) and reports [`Outcome::TimedOut`].
pub fn run_step(dir: &Path, step: &Step) -> StepResult {
    use std::os::unix::process::CommandExt;

    let start = Instant::now();
    let finish = |outcome, stdout, stderr, failed_tests| StepResult {
        name: step.name.clone(),
        outcome,
        seconds: start.elapsed().as_secs_f64(),
        stdout,
        stderr,
        failed_tests,
    };
    let mut command = Command::new(&step.program);
    command
        .args(&step.args)
        .current_dir(dir)
        .envs(step.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let error = format!(
                "could not start `{}` in `{}`: {error}",
                step.program,
                dir.display()
            );
            return finish(
                Outcome::NotStarted { error },
                String::new(),
                String::new(),
                Vec::new(),
            );
        }
    };
    // With `process_group(0)` the child leads a new group whose id is its pid.
    let pgid = child.id() as libc::pid_t;
    register(pgid);

    let (done_tx, done_rx) = mpsc::channel();
    let stdout = child
        .stdout
        .take()
        .map(|pipe| spawn_reader(pipe, step.must_pass.clone(), done_tx.clone()));
    let stderr = child
        .stderr
        .take()
        .map(|pipe| spawn_reader(pipe, Vec::new(), done_tx));
    let (Some(Ok(stdout)), Some(Ok(stderr))) = (stdout, stderr) else {
        kill_group(pgid);
        unregister(pgid);
        let _ = child.wait();
        let error = "could not start a thread to read its output".to_string();
        return finish(
            Outcome::NotStarted { error },
            String::new(),
            String::new(),
            Vec::new(),
        );
    };

    // A timeout too large to add is no timeout.
    let timed_out = !wait_for_exit(pgid, start.checked_add(step.timeout));
    kill_group(pgid);
    unregister(pgid);
    let status = child.wait();

    let grace_end = Instant::now() + OUTPUT_GRACE;
    for _ in 0..2 {
        let left = grace_end.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    let (stdout, passed, failed) = take(&stdout);
    let (stderr, _, _) = take(&stderr);

    let outcome = match status {
        _ if timed_out => Outcome::TimedOut,
        Ok(status) if status.success() => {
            let tests: Vec<String> = step
                .must_pass
                .iter()
                .filter(|name| !passed.contains(*name))
                .cloned()
                .collect();
            if tests.is_empty() {
                Outcome::Passed
            } else {
                Outcome::TestsMissing { tests }
            }
        }
        Ok(status) => Outcome::Failed {
            code: status.code(),
        },
        Err(error) => Outcome::NotStarted {
            error: format!("could not wait for `{}`: {error}", step.program),
        },
    };
    finish(outcome, stdout, stderr, failed)
}

/// Sends SIGKILL to the process group of every step running right now, in any thread. For a
/// signal handler: the groups do not get the terminal's Ctrl-C themselves.
pub fn kill_running_steps() {
    let running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    for &pgid in running.iter() {
        kill_group(pgid);
    }
}

/// Process groups of the steps now running.
static RUNNING: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

fn register(pgid: libc::pid_t) {
    RUNNING
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(pgid);
}

fn unregister(pgid: libc::pid_t) {
    RUNNING
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|&p| p != pgid);
}

fn kill_group(pgid: libc::pid_t) {
    // SAFETY: kill has no memory-safety preconditions. A negative pid addresses the group; the
    // group leader is our unreaped child, so the id still names that group.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// Waits until the child `pid` has exited, without reaping it, or until `deadline` (if any).
/// Returns whether it exited.
fn wait_for_exit(pid: libc::pid_t, deadline: Option<Instant>) -> bool {
    let mut pause = Duration::from_millis(1);
    loop {
        // SAFETY: `info` is a plain C struct that waitid fills; zeroed is a valid value, and
        // `si_pid` stays 0 if no child changed state.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            // SAFETY: waitid succeeded, so the fields for SIGCHLD are initialised (or zero).
            if unsafe { info.si_pid() } != 0 {
                return true;
            }
        } else if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // Not our child any more (it cannot happen while we hold it): nothing to wait for.
            return true;
        }
        let now = Instant::now();
        if deadline.is_some_and(|deadline| now >= deadline) {
            return false;
        }
        let left = deadline.map_or(pause, |deadline| deadline - now);
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// The part of one output stream that is kept.
#[derive(Default)]
struct Capture {
    tail: Vec<u8>,
    dropped: u64,
    /// Names from `must_pass` seen as `test NAME ... ok`.
    passed: HashSet<String>,
    /// Names seen as `test NAME ... FAILED`.
    failed: std::collections::BTreeSet<String>,
}

impl Capture {
    fn push(&mut self, bytes: &[u8]) {
        self.tail.extend_from_slice(bytes);
        // Trim in batches, so that a long stream costs amortised O(1) per byte.
        if self.tail.len() > 2 * OUTPUT_CAP {
            self.trim();
        }
    }

    fn trim(&mut self) {
        if self.tail.len() > OUTPUT_CAP {
            let excess = self.tail.len() - OUTPUT_CAP;
            self.tail.drain(..excess);
            self.dropped += excess as u64;
        }
    }
}

/// Reads `pipe` to its end on a new thread into a shared [`Capture`], and sends on `done` when
/// the pipe is closed.
fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    must_pass: Vec<String>,
    done: mpsc::Sender<()>,
) -> io::Result<Arc<Mutex<Capture>>> {
    let capture = Arc::new(Mutex::new(Capture::default()));
    let shared = Arc::clone(&capture);
    std::thread::Builder::new()
        .name("validate-output".to_string())
        .spawn(move || {
            let mut buf = [0u8; 8192];
            // The current line, cut at 4 KiB, far longer than any `test NAME ... ok` line.
            let mut line = Vec::new();
            loop {
                let n = match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                let (mut found, mut failed) = (Vec::new(), Vec::new());
                for &byte in &buf[..n] {
                    if byte == b'\n' {
                        if let Some(name) = passed_test(&line, &must_pass) {
                            found.push(name.to_string());
                        }
                        failed.extend(failed_test(&line));
                        line.clear();
                    } else if line.len() < 4096 {
                        line.push(byte);
                    }
                }
                let mut capture = shared.lock().unwrap_or_else(PoisonError::into_inner);
                capture.push(&buf[..n]);
                capture.passed.extend(found);
                capture.failed.extend(failed);
            }
            let mut capture = shared.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(name) = passed_test(&line, &must_pass) {
                capture.passed.insert(name.to_string());
            }
            capture.failed.extend(failed_test(&line));
            drop(capture);
            let _ = done.send(());
        })?;
    Ok(capture)
}

/// The name from `must_pass` that this libtest line reports as passed, if any. libtest writes
/// `test NAME ... ok`, or `test NAME - should panic ... ok`.
fn passed_test<'a>(line: &[u8], must_pass: &'a [String]) -> Option<&'a str> {
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let rest = line.strip_prefix("test ")?;
    must_pass.iter().map(String::as_str).find(|name| {
        rest.strip_prefix(name)
            .is_some_and(|after| after == " ... ok" || after == " - should panic ... ok")
    })
}

/// The test name a libtest line reports as failed (`test NAME ... FAILED`, `test NAME - should panic ...
/// FAILED`), if it is one.
fn failed_test(line: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let name = line.strip_prefix("test ")?.strip_suffix(" ... FAILED")?;
    Some(name.trim_end_matches(" - should panic").to_owned())
}

/// The text of a capture (what a reader thread still holding it has so far), the test names it saw
/// pass, and those it saw fail.
fn take(capture: &Mutex<Capture>) -> (String, HashSet<String>, Vec<String>) {
    let mut capture = capture.lock().unwrap_or_else(PoisonError::into_inner);
    capture.trim();
    let mut bytes = capture.tail.as_slice();
    let mut text = String::new();
    if capture.dropped > 0 {
        // The cut may have split a UTF-8 sequence: skip its continuation bytes.
        while let [first, rest @ ..] = bytes
            && first & 0b1100_0000 == 0b1000_0000
        {
            bytes = rest;
        }
        let dropped = capture.dropped + (capture.tail.len() - bytes.len()) as u64;
        text.push_str(&format!("[… {dropped} earlier bytes dropped …]\n"));
    }
    text.push_str(&String::from_utf8_lossy(bytes));
    let failed = std::mem::take(&mut capture.failed).into_iter().collect();
    (text, std::mem::take(&mut capture.passed), failed)
}
