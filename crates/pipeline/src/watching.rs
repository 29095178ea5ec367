//! `suture watch`: production logs → panic groups with a status → (with `heal`) a regression test and a
//! validated fix for each new or escalating group.
//!
//! The pure work (reading lines, fingerprints, the escalation rule) is `watch`'s; this module does the IO
//! around it: it reads log files (from where the last run stopped, so re-running on a growing log does not
//! count an event twice) or stdin in bounded memory, maps frames onto the workspace files at the deployed
//! revision (`--rev`, read from git, not from the working tree), keeps hourly counts in the store, and
//! records every step in the audit trail. Healing is in [`regression`].

pub(crate) mod regression;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;
use store::{NewAudit, Store, WatchGroup, WatchSource};
use watch::{Event, Fingerprinter, InAppFrame, Rule, Signature, Status, Workspace};

use crate::healing::HealOptions;
use crate::library::Library;
use crate::mining::Progress;

pub use regression::{HealGroup, HealGroupOutcome};

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogInput {
    /// A file: read from where the last run stopped (while its first bytes are unchanged).
    File(PathBuf),
    /// Standard input, read to its end; nothing is remembered about it.
    Stdin,
}

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The revision the logs' binary was built from (default `HEAD`).
    pub rev: String,
    /// "Now", seconds since the epoch; default: the newest event read (so replaying a log gives the same
    /// answer whenever it is run), or the clock when no event has a time.
    pub now: Option<i64>,
    pub rule: Rule,
    /// Read every file from its start, ignoring the offsets of earlier runs.
    pub from_start: bool,
    /// Heal new and escalating groups: regression test, then `heal` with it.
    pub heal: Option<WatchHeal>,
}

#[derive(Debug, Clone)]
pub struct WatchHeal {
    /// The options `heal` runs with; `command` is replaced by the regression test's.
    pub options: HealOptions,
    /// Most groups healed in one run.
    pub max_groups: usize,
    /// Most argument combinations tried to reproduce one panic.
    pub max_probes: usize,
}

/// One group as the report (and `--format json`) shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub fingerprint: String,
    pub kind: String,
    pub message: String,
    /// Events of the group in the store, this run's included.
    pub count: u64,
    /// RFC 3339.
    pub first_seen: String,
    pub last_seen: String,
    pub status: Status,
    pub frames: Vec<InAppFrame>,
    /// Not part of the JSON shape: the rule's numbers, for the text report and the audit trail.
    #[serde(skip)]
    pub baseline: watch::Baseline,
    /// This run's events of the group.
    #[serde(skip)]
    pub read: u64,
    /// The last complete event of the group read in this run (for healing).
    #[serde(skip)]
    pub example: Option<Event>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchReport {
    pub run: String,
    /// Groups seen in this run, most urgent first (regressed, new, escalating, steady; then by count).
    pub groups: Vec<GroupReport>,
    pub events: u64,
    pub partial_events: u64,
    pub bytes: u64,
    /// The "now" the statuses were computed at.
    pub now: i64,
    pub healed: Vec<HealGroup>,
}

/// Reads the logs, groups, counts, decides statuses and, with `heal`, heals; one audit row per step.
pub fn watch(
    root: &Path,
    inputs: &[LogInput],
    library: &Library,
    store: &mut Store,
    options: &WatchOptions,
    progress: &dyn Progress,
) -> Result<WatchReport> {
    let root =
        std::fs::canonicalize(root).with_context(|| format!("cannot read `{}`", root.display()))?;
    let repo = git::open(&root)?;
    let commit = repo.resolve(&options.rev)?;
    let mut audit = Audit {
        run: run_id(),
        commit: Some(commit.clone()),
    };
    let mut grouper = Grouper::new(&root, &repo, &commit)?;
    let mut sources = Vec::new();
    let total: u64 = inputs
        .iter()
        .map(|i| match i {
            LogInput::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            LogInput::Stdin => 0,
        })
        .sum();
    progress.phase("reading logs", total);
    for input in inputs {
        match input {
            LogInput::File(path) => {
                let from = if options.from_start {
                    None
                } else {
                    store.watch_source(&source_key(path))?
                };
                let source = read_file(path, from.as_ref(), &mut grouper, progress)?;
                audit.record(
                    store,
                    "read",
                    &path.display().to_string(),
                    &format!(
                        "read bytes {}..{} of the log",
                        source.record.offset - source.read,
                        source.record.offset
                    ),
                    &serde_json::json!({"from": source.record.offset - source.read, "to": source.record.offset}),
                )?;
                sources.push(source.record);
            }
            LogInput::Stdin => {
                let stdin = std::io::stdin();
                let read = read_stream(stdin.lock(), &mut grouper, progress, None)
                    .context("cannot read standard input")?;
                audit.record(
                    store,
                    "read",
                    "stdin",
                    &format!("read {read} bytes of standard input"),
                    &serde_json::json!({ "bytes": read }),
                )?;
            }
        }
    }
    progress.finish();
    let mut report = grouper.finish(store, &sources, options, &audit.run)?;
    for group in &report.groups {
        audit.record(
            store,
            "detected",
            &group.fingerprint,
            &format!(
                "{}: {} in this run, {} in all, {} events in the window (limit {:.1} over {} h: mean {:.2}, σ {:.2}); {} {}",
                group.status.name(),
                group.read,
                group.count,
                group.baseline.window,
                group.baseline.limit,
                group.baseline.hours,
                group.baseline.mean,
                group.baseline.std,
                group.kind,
                group.message
            ),
            group,
        )?;
    }
    if let Some(heal) = &options.heal {
        report.healed = regression::heal_groups(
            &root,
            &report.groups,
            library,
            store,
            heal,
            &mut |store: &mut Store,
                  step: &str,
                  subject: &str,
                  reason: &str,
                  data: &dyn erased::Json| {
                audit.record(store, step, subject, reason, data)
            },
        )?;
    }
    Ok(report)
}

/// Follows files as they grow (`tail -f`): after the first read, polls every `interval` and reports the
/// groups that new events touched through `on_update`, until `until` (forever without one).
#[allow(clippy::too_many_arguments)]
pub fn follow(
    root: &Path,
    files: &[PathBuf],
    store: &mut Store,
    options: &WatchOptions,
    interval: Duration,
    until: Option<std::time::Instant>,
    on_update: &mut dyn FnMut(&WatchReport) -> Result<()>,
) -> Result<()> {
    let root =
        std::fs::canonicalize(root).with_context(|| format!("cannot read `{}`", root.display()))?;
    let repo = git::open(&root)?;
    let commit = repo.resolve(&options.rev)?;
    let run = run_id();
    let mut positions: Vec<Option<WatchSource>> = files
        .iter()
        .map(|p| store.watch_source(&source_key(p)))
        .collect::<Result<_, _>>()?;
    let mut grouper = Grouper::new(&root, &repo, &commit)?;
    loop {
        let mut sources = Vec::new();
        for (path, position) in files.iter().zip(positions.iter_mut()) {
            if !path.exists() {
                continue;
            }
            let source = read_file(path, position.as_ref(), &mut grouper, &crate::NoProgress)?;
            *position = Some(source.record.clone());
            sources.push(source.record);
        }
        let report = grouper.finish(store, &sources, options, &run)?;
        if !report.groups.is_empty() {
            for group in &report.groups {
                store.record_audit(&NewAudit {
                    run: run.clone(),
                    at: unix_now(),
                    step: "detected".to_owned(),
                    actor: "suture".to_owned(),
                    subject: group.fingerprint.clone(),
                    reason: format!("{}: {} new events", group.status.name(), group.read),
                    commit: Some(commit.clone()),
                    data: serde_json::to_string(group)?,
                })?;
            }
            on_update(&report)?;
        }
        if until.is_some_and(|u| std::time::Instant::now() >= u) {
            return Ok(());
        }
        std::thread::sleep(interval);
    }
}

/// The store key of a log file: its absolute path.
fn source_key(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// Bytes of a file's start whose hash identifies it across runs (a rotated file starts differently).
const HEAD_BYTES: usize = 4096;

struct ReadSource {
    record: WatchSource,
    read: u64,
}

fn read_file(
    path: &Path,
    from: Option<&WatchSource>,
    grouper: &mut Grouper,
    progress: &dyn Progress,
) -> Result<ReadSource> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let len = file.metadata().map_or(0, |m| m.len());
    let mut head = vec![0; HEAD_BYTES];
    let mut n = 0;
    while n < head.len() {
        let got = file
            .read(&mut head[n..])
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        if got == 0 {
            break;
        }
        n += got;
    }
    head.truncate(n);
    // Identify the file by its first line (complete lines never change; a file rotated or truncated
    // starts with another one).
    let first_line = head
        .iter()
        .position(|&b| b == b'\n')
        .map_or(&head[..], |end| &head[..=end]);
    let head_hash = format!("{:016x}", watch::fnv1a(first_line));
    let start = match from {
        Some(s) if s.head == head_hash && s.offset <= len && first_line.ends_with(b"\n") => {
            s.offset
        }
        _ => 0,
    };
    progress.inc(start);
    file.seek(SeekFrom::Start(start))
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let read = read_stream(
        BufReader::with_capacity(1 << 20, file),
        grouper,
        progress,
        Some(len),
    )
    .with_context(|| format!("cannot read `{}`", path.display()))?;
    Ok(ReadSource {
        record: WatchSource {
            path: source_key(path),
            head: head_hash,
            offset: start + read,
        },
        read,
    })
}

/// Reads complete lines (a last line without `\n` is left for the next run when the stream is a file
/// that may still be written); returns the bytes consumed.
fn read_stream(
    mut input: impl BufRead,
    grouper: &mut Grouper,
    progress: &dyn Progress,
    file_len: Option<u64>,
) -> std::io::Result<u64> {
    let mut line = Vec::with_capacity(256);
    let mut consumed = 0u64;
    let mut since_tick = 0u64;
    let mut reader = watch::Reader::new();
    loop {
        line.clear();
        let n = (&mut input)
            .take(watch::MAX_LINE_BYTES as u64 * 16)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let complete = line.last() == Some(&b'\n');
        if !complete && file_len.is_some() && n < watch::MAX_LINE_BYTES * 16 {
            // The writer is mid-line: leave it for the next run.
            break;
        }
        consumed += n as u64;
        since_tick += n as u64;
        grouper.bytes += n as u64;
        if since_tick >= 1 << 20 {
            progress.inc(since_tick);
            since_tick = 0;
        }
        let text = String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(&line));
        reader.line(&text, &mut grouper.pending);
        grouper.drain();
    }
    reader.finish(&mut grouper.pending);
    grouper.drain();
    progress.inc(since_tick);
    Ok(consumed)
}

/// Sources at the revision: the texts of the workspace's `.rs` files.
struct RevSources(HashMap<String, String>);

impl watch::Sources for RevSources {
    fn text(&mut self, file: &str) -> Option<String> {
        self.0.get(file).cloned()
    }
}

struct Aggregate {
    signature: Signature,
    message: String,
    first: Option<i64>,
    last: Option<i64>,
    count: u64,
    /// Events without a time of their own or of their stream: counted at "now".
    untimed: u64,
    hours: BTreeMap<i64, u64>,
    example: Option<Event>,
}

struct Grouper {
    fingerprinter: Fingerprinter<RevSources>,
    pending: Vec<Event>,
    groups: HashMap<String, Aggregate>,
    events: u64,
    partial: u64,
    bytes: u64,
}

impl Grouper {
    fn new(root: &Path, repo: &git::Repo, commit: &str) -> Result<Grouper> {
        let mut texts = HashMap::new();
        for (path, blob) in repo.rust_files_at(commit, &git::Limits::default())? {
            if let Some(text) = blob.text() {
                texts.insert(path, text.to_owned());
            }
        }
        let workspace = Workspace {
            root: root.display().to_string(),
            files: texts.keys().cloned().collect(),
        };
        Ok(Grouper {
            fingerprinter: Fingerprinter::new(workspace, RevSources(texts)),
            pending: Vec::new(),
            groups: HashMap::new(),
            events: 0,
            partial: 0,
            bytes: 0,
        })
    }

    fn drain(&mut self) {
        for event in std::mem::take(&mut self.pending) {
            self.events += 1;
            self.partial += u64::from(event.partial);
            let signature = self.fingerprinter.signature(&event.failure);
            let group = self
                .groups
                .entry(signature.fingerprint.clone())
                .or_insert_with(|| Aggregate {
                    signature: signature.clone(),
                    message: String::new(),
                    first: None,
                    last: None,
                    count: 0,
                    untimed: 0,
                    hours: BTreeMap::new(),
                    example: None,
                });
            group.count += 1;
            match event.at {
                Some(at) => {
                    group.first = Some(group.first.map_or(at, |f| f.min(at)));
                    group.last = Some(group.last.map_or(at, |l| l.max(at)));
                    *group.hours.entry(at.div_euclid(watch::HOUR)).or_default() += 1;
                }
                None => group.untimed += 1,
            }
            let message = event.failure.message.lines().next().unwrap_or("");
            if !message.is_empty() {
                group.message = message.to_owned();
                group.signature.frames = signature.frames;
            }
            if !event.partial || group.example.is_none() {
                group.example = Some(event);
            }
        }
    }

    /// Records what was read since the last call and reports its groups; the grouper is ready for more.
    fn finish(
        &mut self,
        store: &mut Store,
        sources: &[WatchSource],
        options: &WatchOptions,
        run: &str,
    ) -> Result<WatchReport> {
        self.drain();
        let now = options
            .now
            .or_else(|| self.groups.values().filter_map(|g| g.last).max())
            .unwrap_or_else(unix_now);
        let mut observations = Vec::new();
        for group in self.groups.values_mut() {
            if group.untimed > 0 {
                *group.hours.entry(now.div_euclid(watch::HOUR)).or_default() += group.untimed;
                group.first = Some(group.first.map_or(now, |f| f.min(now)));
                group.last = Some(group.last.map_or(now, |l| l.max(now)));
            }
            observations.push((
                WatchGroup {
                    fingerprint: group.signature.fingerprint.clone(),
                    kind: group.signature.kind.name().to_owned(),
                    message: group.message.clone(),
                    frames: serde_json::to_string(&group.signature.frames)?,
                    first_seen: group.first.unwrap_or(now),
                    last_seen: group.last.unwrap_or(now),
                    count: group.count,
                },
                group.hours.iter().map(|(&h, &c)| (h, c)).collect(),
            ));
        }
        store.record_watch(&observations, sources)?;
        let mut groups = Vec::new();
        for (fingerprint, group) in std::mem::take(&mut self.groups) {
            let stored = store
                .watch_group(&fingerprint)?
                .context("a recorded group is in the store")?;
            let from = now.div_euclid(watch::HOUR) - options.rule.baseline_hours - 1;
            let counts = store.watch_counts(&fingerprint, from)?;
            let last_fix = store.watch_last_fix(&fingerprint)?;
            let (status, baseline) = watch::status(
                &options.rule,
                &counts,
                stored.first_seen,
                stored.last_seen,
                last_fix,
                now,
            );
            groups.push(GroupReport {
                fingerprint,
                kind: stored.kind,
                message: stored.message,
                count: stored.count,
                first_seen: watch::time::format(stored.first_seen),
                last_seen: watch::time::format(stored.last_seen),
                status,
                frames: group.signature.frames,
                baseline,
                read: group.count,
                example: group.example,
            });
        }
        let urgency = |s: Status| match s {
            Status::Regressed => 0,
            Status::New => 1,
            Status::Escalating => 2,
            Status::Steady => 3,
        };
        groups.sort_by(|a, b| {
            urgency(a.status)
                .cmp(&urgency(b.status))
                .then(b.count.cmp(&a.count))
                .then(a.fingerprint.cmp(&b.fingerprint))
        });
        let report = WatchReport {
            run: run.to_owned(),
            groups,
            events: self.events,
            partial_events: self.partial,
            bytes: self.bytes,
            now,
            healed: Vec::new(),
        };
        (self.events, self.partial, self.bytes) = (0, 0, 0);
        Ok(report)
    }
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("watch-{}-{}", now.as_millis(), std::process::id())
}

/// The audit rows of one watch run (the store is passed in, so that healing can borrow it in between).
struct Audit {
    run: String,
    commit: Option<String>,
}

impl Audit {
    fn record(
        &mut self,
        store: &mut Store,
        step: &str,
        subject: &str,
        reason: &str,
        data: &dyn erased::Json,
    ) -> Result<()> {
        store.record_audit(&NewAudit {
            run: self.run.clone(),
            at: unix_now(),
            step: step.to_owned(),
            actor: "suture".to_owned(),
            subject: subject.to_owned(),
            reason: reason.to_owned(),
            commit: self.commit.clone(),
            data: data.json()?,
        })?;
        Ok(())
    }
}

/// `&dyn` serialisation for audit data (serde's `Serialize` is not object safe).
pub(crate) mod erased {
    pub(crate) trait Json {
        fn json(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> serde_json::Result<String> {
            serde_json::to_string(self)
        }
    }
}
