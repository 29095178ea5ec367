//! `suture pr`, the scheduled fix-PR job: fixes found on the default branch become one pull request per
//! pattern, kept up to date run after run, never duplicated, and reverted when they break the build.
//!
//! Choices:
//! - **GitHub is the source of truth.** A scheduled runner starts with an empty store, so the job reads its
//!   own open PRs back from GitHub every run (head branch `suture/…` plus the hidden body marker, see
//!   [`body::Marker`]) and only caches them in the store. With a persistent store (`DATABASE_URL`, shared
//!   with `suture serve`) it also remembers what GitHub's open list cannot say: PRs that were merged or
//!   closed, ignored fingerprints, and acceptance rates.
//! - **One PR per pattern, identified by a fingerprint** of the pattern id and the sorted (file, before,
//!   after) triples. Same fingerprint: nothing to do. New findings for a pattern with an open PR: its branch
//!   is rebuilt from the default branch and its body rewritten, so reviewers never see two PRs for one fix.
//! - **A human push wins.** Suture's commits carry a `Suture-Fingerprint:` trailer and a bot identity; a
//!   branch whose head is anything else has been touched by a person, and suture stops updating it.
//! - **Only first-round fixes.** A fix nested inside another fix's replacement has positions in patched
//!   text; it is left for the run after the outer fix is merged, and counted.
//! - **Sequential and blocking where it must be.** Scanning and `cargo check` are blocking calls made
//!   between requests (never during one), which keeps the job a plain sequence that is easy to audit.
//! - **Dry run means no write request**: only GETs reach GitHub and nothing is written to the store.

pub mod body;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use engine::Probability;
use github::{Commit, FileChange, GitHub, NewPullRequest, PullRequest, RepoId};
use pattern::{LibraryPattern, Origin};
use pipeline::{Fix, FixConfig, FixReport, Library};
use serde::Serialize;
use store::server::{FixKind, FixPr, FixRecord, PatternStats, PrState, ServerStore};

use body::Marker;

/// What a `suture pr` run needs. `token` is a secret: this type has no `Debug` and nothing prints it.
pub struct PrOptions {
    /// The local checkout of the default branch (where CI runs the job).
    pub root: PathBuf,
    pub repo: RepoId,
    /// `https://api.github.com`, a GitHub Enterprise API, or a fake server in tests.
    pub api_url: String,
    pub token: String,
    /// `postgres://…`, `sqlite://PATH` or a file path; `None` is `ROOT/.suture/server.db`.
    pub database_url: Option<String>,
    /// Open suture PRs allowed at once (fix and revert PRs alike).
    pub max_open: usize,
    /// New PRs this run may open.
    pub max_per_run: usize,
    /// Fixes below this probability (after the pattern's PR record) are not proposed.
    pub min_confidence: f64,
    /// The confidence model (the binary passes the shipped calibration and parameters).
    pub model: engine::ConfidenceModel,
    pub dry_run: bool,
    pub validation: Validation,
}

/// The default `--min-confidence` of `suture pr`: a probability, higher than `suture fix`'s because nobody
/// asked for these pull requests.
pub const DEFAULT_MIN_PROBABILITY: f64 = 0.09;

/// How a new fix group is validated before its PR is opened.
#[derive(Debug, Clone)]
pub enum Validation {
    /// `--no-validate`: PRs are opened unvalidated and their body says so.
    Off,
    /// `cargo check --workspace --all-targets` in a scratch worktree with the group's changes, when the
    /// checkout has a `Cargo.toml`.
    CargoCheck {
        timeout: Duration,
        /// Shared by every group of a run, so that each check after the first is incremental.
        target_dir: PathBuf,
    },
}

/// What happened to one fix group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A new PR was opened (or, in a dry run, would be).
    Opened,
    /// The group's open PR got a new commit and body (or would).
    Updated,
    /// The open PR already carries this exact group.
    UpToDate,
    /// A person pushed to the PR's branch; suture leaves it alone.
    HumanEdited,
    /// The fingerprint was ignored with `@suture ignore`.
    Ignored,
    /// Not proposed: over a cap, under the confidence threshold, or closed unmerged before.
    Skipped,
    /// `cargo check` failed with the group's changes; no PR.
    ValidationFailed,
    /// A request or a local step failed; see `reason`.
    Failed,
}

/// One fix group (all first-round fixes of one pattern) and what the run did with it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub pattern: String,
    pub fingerprint: String,
    pub branch: String,
    pub fixes: usize,
    pub files: Vec<String>,
    /// The best fix's confidence, ranked by the pattern's acceptance when the store has a record.
    pub confidence: f64,
    pub action: Action,
    pub pr: Option<u64>,
    pub url: Option<String>,
    /// Why, in words.
    pub reason: String,
    /// The validation run, in words, when one ran.
    pub validation: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevertAction {
    /// A revert PR was opened (or would be, in a dry run).
    Opened,
    /// A revert PR for this merge exists already.
    AlreadyOpened,
    Failed,
}

/// A merged suture PR whose merge commit's checks failed.
#[derive(Debug, Clone, Serialize)]
pub struct RevertReport {
    /// The merged suture PR.
    pub of: u64,
    pub merge_sha: String,
    pub action: RevertAction,
    /// The revert PR.
    pub pr: Option<u64>,
    pub reason: String,
}

/// Everything one run did, for text and JSON output.
#[derive(Debug, Clone, Serialize)]
pub struct PrReport {
    pub repo: String,
    pub default_branch: String,
    /// The default branch's head on GitHub: the parent of every fix commit.
    pub base_sha: String,
    /// The local checkout's commit, where the fixes were found. When it differs from `base_sha`, every file
    /// a fix changes is compared with its text at `base_sha` first, and a group whose files differ is
    /// skipped (its fix would undo someone's change).
    pub checkout_sha: String,
    pub dry_run: bool,
    pub files_scanned: usize,
    pub fixes_found: usize,
    /// Fixes nested inside another fix's replacement, left for a later run.
    pub nested_left: usize,
    /// First-round fixes under `--min-confidence` after ranking, not proposed.
    pub below_threshold: usize,
    /// First-round fixes ignored with `@suture ignore` in a review, not proposed.
    pub ignored_fixes: usize,
    pub groups: Vec<GroupReport>,
    pub reverts: Vec<RevertReport>,
    /// Things a user should know that are not errors.
    pub notes: Vec<String>,
    /// Failures; any makes the command exit 2.
    pub errors: Vec<String>,
}

/// Runs the job once; see the module documentation. Per-group failures are reported, not fatal; what
/// makes the whole run impossible (no repository, no GitHub, no store) is an error.
pub async fn run(options: &PrOptions, library: &Library) -> Result<PrReport> {
    if !(0.0..=1.0).contains(&options.min_confidence) {
        bail!(
            "--min-confidence {} is outside [0, 1]",
            options.min_confidence
        );
    }
    // The repository handle is dropped before the first request, so that the run's future is `Send`.
    let (checkout_sha, prefix) = {
        let local = git::discover(&options.root).with_context(|| {
            format!("`{}` is not inside a git checkout", options.root.display())
        })?;
        (local.head()?, repo_prefix(&options.root, local.path())?)
    };
    let github = GitHub::with_token(&options.api_url, &options.token)?;
    let mut memory = Memory::open(options)?;
    let repo_name = options.repo.to_string();

    let repository = github.repository(&options.repo).await?;
    let default_branch = repository.default_branch;
    let Some(head) = github.branch_head(&options.repo, &default_branch).await? else {
        bail!("{repo_name} has no branch `{default_branch}` (its default branch) on GitHub");
    };
    let base_sha = head.sha;
    let mut report = PrReport {
        repo: repo_name.clone(),
        default_branch: default_branch.clone(),
        base_sha: base_sha.clone(),
        checkout_sha: checkout_sha.clone(),
        dry_run: options.dry_run,
        files_scanned: 0,
        fixes_found: 0,
        nested_left: 0,
        below_threshold: 0,
        ignored_fixes: 0,
        groups: Vec::new(),
        reverts: Vec::new(),
        notes: Vec::new(),
        errors: Vec::new(),
    };
    if checkout_sha != base_sha {
        report.notes.push(format!(
            "the checkout is at {} but {default_branch} is at {} on GitHub; each changed file is compared with GitHub's before a PR is opened or updated",
            short(&checkout_sha),
            short(&base_sha)
        ));
    }

    // Scan. Each pattern's merge record is evidence for the confidence model, so the threshold applies to a
    // probability that includes it: a pattern whose PRs keep being merged may clear the bar.
    let records = memory.pattern_stats()?;
    let config = FixConfig {
        min_confidence: Probability::new(options.min_confidence),
        model: options.model.clone(),
        outcomes: crate::ranking::outcomes(&records),
        ..FixConfig::default()
    };
    let fixes = pipeline::propose_fixes(&options.root, library, &config)?;
    let stats: HashMap<String, PatternStats> = records
        .into_iter()
        .map(|s| (s.pattern.clone(), s))
        .collect();
    // A fix someone ignored with `@suture ignore` in a review (the App's per-fix fingerprint) is not
    // proposed here either.
    let mut ignored = BTreeSet::new();
    for fix in fixes.fixes().filter(|f| f.round == 1) {
        let fingerprint = crate::review::fingerprint(
            &repo_name,
            &format!("{prefix}{}", fix.file),
            &fix.pattern,
            &fix.before,
        );
        if memory.is_ignored(&fingerprint)? {
            ignored.insert((fix.file.as_str(), fix.start.byte));
        }
    }
    report.ignored_fixes = ignored.len();
    let groups = group_fixes(&fixes, library, &prefix, &stats, &ignored);
    report.files_scanned = fixes.files_scanned;
    report.nested_left = fixes.fixes().filter(|f| f.round > 1).count();
    report.below_threshold = fixes.below_threshold;
    report.fixes_found = groups.iter().map(|g| g.fixes.len()).sum();

    // What GitHub says is open, cached in the store.
    let open = github.open_pull_requests(&options.repo).await?;
    let mut open_fix: HashMap<String, (PullRequest, String)> = HashMap::new();
    let mut open_reverts: BTreeSet<u64> = BTreeSet::new();
    let mut open_count = 0usize;
    for pr in open {
        if !pr.head_ref.starts_with(body::BRANCH_PREFIX) {
            continue;
        }
        match Marker::parse(&pr.body) {
            Some(Marker::Fix {
                fingerprint,
                pattern,
                ..
            }) => {
                open_count += 1;
                open_fix.insert(pattern, (pr, fingerprint));
            }
            Some(Marker::Revert { of }) => {
                open_count += 1;
                open_reverts.insert(of);
            }
            None => {}
        }
    }
    for (pattern, (pr, fingerprint)) in &open_fix {
        if let Some(known) = memory.get(fingerprint).cloned() {
            // Someone reopened a PR suture remembered as closed.
            if known.state == PrState::Closed {
                memory.put(FixPr {
                    state: PrState::Open,
                    updated_at: now(),
                    ..known
                })?;
            }
            continue;
        }
        // Learned from GitHub: the head is not known to be suture's own commit, so it is left empty.
        memory.put(FixPr {
            repo: repo_name.clone(),
            fingerprint: fingerprint.clone(),
            pattern: pattern.clone(),
            number: pr.number,
            branch: pr.head_ref.clone(),
            head_sha: String::new(),
            state: PrState::Open,
            merge_sha: None,
            updated_at: now(),
        })?;
    }
    learn_closed(&github, options, &mut memory).await?;
    let ctx = Ctx {
        github: &github,
        options,
        base_sha: &base_sha,
        checkout_is_base: checkout_sha == base_sha,
        checkout_sha: &checkout_sha,
        remote_texts: Mutex::new(HashMap::new()),
        default_branch: &default_branch,
        repo_name: &repo_name,
    };
    let still_open: BTreeSet<u64> = open_fix.values().map(|(pr, _)| pr.number).collect();
    sync_closed(&ctx, &mut memory, &still_open).await?;

    // Fix groups.
    let mut opened = 0usize;
    let mut validator = Validator::new(&options.root, &prefix, &options.validation);
    for group in &groups {
        let outcome = handle_group(
            &ctx,
            &mut memory,
            group,
            open_fix.get(&group.pattern),
            &mut open_count,
            &mut opened,
            &mut validator,
        )
        .await;
        let outcome = outcome.unwrap_or_else(|e| {
            let mut failed = group.report(Action::Failed, format!("{e:#}"));
            failed.pr = open_fix.get(&group.pattern).map(|(pr, _)| pr.number);
            failed
        });
        if outcome.action == Action::Failed {
            report
                .errors
                .push(format!("pattern {}: {}", outcome.pattern, outcome.reason));
        }
        report.groups.push(outcome);
    }
    validator.finish(&mut report.notes);
    let with_findings: BTreeSet<&str> = groups.iter().map(|g| g.pattern.as_str()).collect();
    let mut without: Vec<(u64, &str)> = open_fix
        .iter()
        .filter(|(pattern, _)| !with_findings.contains(pattern.as_str()))
        .map(|(pattern, (pr, _))| (pr.number, pattern.as_str()))
        .collect();
    without.sort();
    for (number, pattern) in without {
        report.notes.push(format!(
            "PR #{number} ({pattern}) has no findings on the checkout any more (fixed by hand, ignored, or under the threshold); close it if it is obsolete"
        ));
    }

    // Merged suture PRs that broke the default branch.
    reverts(
        &ctx,
        &mut memory,
        &open_reverts,
        &mut open_count,
        &mut report,
    )
    .await?;
    Ok(report)
}

/// The request context shared by every step of a run.
struct Ctx<'a> {
    github: &'a GitHub,
    options: &'a PrOptions,
    base_sha: &'a str,
    /// Whether the checkout is at `base_sha`, so that its files are GitHub's.
    checkout_is_base: bool,
    /// The checkout's commit, where the fixes were found.
    checkout_sha: &'a str,
    /// Files read from GitHub at `base_sha` (`None`: no such file), when the checkout is elsewhere.
    remote_texts: Mutex<HashMap<String, Option<String>>>,
    default_branch: &'a str,
    repo_name: &'a str,
}

/// One pattern's first-round fixes, with the files they change.
struct Group<'a> {
    pattern: String,
    library_pattern: Option<&'a LibraryPattern>,
    fingerprint: String,
    fixes: Vec<&'a Fix>,
    /// Repository-relative path → (original, patched) content (only this group's fixes applied).
    files: BTreeMap<String, (String, String)>,
    confidence: f64,
    confidence_note: String,
    /// Where the checkout is in its repository (`""` or `dir/`); fix paths are relative to the checkout.
    prefix: String,
}

impl Group<'_> {
    fn branch(&self) -> String {
        body::branch_for(&self.pattern)
    }

    fn report(&self, action: Action, reason: String) -> GroupReport {
        GroupReport {
            pattern: self.pattern.clone(),
            fingerprint: self.fingerprint.clone(),
            branch: self.branch(),
            fixes: self.fixes.len(),
            files: self.files.keys().cloned().collect(),
            confidence: round2(self.confidence),
            action,
            pr: None,
            url: None,
            reason,
            validation: None,
        }
    }

    fn title(&self) -> String {
        let lp = self.library_pattern;
        body::title(
            &self.pattern,
            lp.and_then(|p| p.description.as_deref()),
            lp.filter(|p| p.migration.is_some())
                .map(|p| (p.source.before.as_str(), p.source.after.as_str())),
            self.fixes.len(),
        )
    }

    fn commit_message(&self) -> String {
        body::commit_message(
            &self.title(),
            &self.pattern,
            &self.fingerprint,
            self.fixes.len(),
        )
    }

    fn changes(&self) -> Vec<FileChange> {
        self.files
            .iter()
            .map(|(path, (_, patched))| FileChange {
                path: path.clone(),
                content: patched.clone(),
            })
            .collect()
    }

    fn body(&self, ctx: &Ctx<'_>, validation: &str) -> String {
        let base_sha = ctx.base_sha;
        let prefix = &self.prefix;
        let lp = self.library_pattern;
        let locations: Vec<(String, u32, &str, &str)> = self
            .fixes
            .iter()
            .map(|f| {
                (
                    format!("{prefix}{}", f.file),
                    f.start.line,
                    f.reason.as_str(),
                    f.diff.as_str(),
                )
            })
            .collect();
        body::fix_body(&body::FixBody {
            pattern: &self.pattern,
            fingerprint: &self.fingerprint,
            origin: match lp.map(|p| p.origin) {
                Some(Origin::HandWritten) => "hand-written",
                Some(Origin::Mined) => "mined",
                None => "unknown origin",
            },
            description: lp.and_then(|p| p.description.as_deref()),
            effect: lp.and_then(|p| p.effect).map(|e| e.label()),
            before_template: lp.map_or("", |p| p.source.before.as_str()),
            after_template: lp.map_or("", |p| p.source.after.as_str()),
            examples: lp
                .map(|p| {
                    p.provenance
                        .iter()
                        .map(|e| (e.repo.as_str(), e.commit.as_str(), e.path.as_str(), e.line))
                        .collect()
                })
                .unwrap_or_default(),
            support: lp.map_or(0, |p| p.support),
            confidence: self.confidence,
            confidence_note: self.confidence_note.clone(),
            validation: validation.to_owned(),
            locations: locations
                .iter()
                .map(|(file, line, why, diff)| (file.as_str(), *line, *why, *diff))
                .collect(),
            base_sha,
            branch: ctx.default_branch,
            scanned_sha: ctx.checkout_sha,
            migration: lp
                .and_then(|p| p.migration.as_ref())
                .map(|m| body::MigrationNote {
                    progress: pipeline::migration_progress(m, locations.len() as u32),
                    started_by: &m.started_by,
                    authors: &m.authors,
                    deprecated: &m.deprecated,
                }),
        })
    }
}

/// Groups first-round fixes by pattern, best group first. Each group's files hold the original text with
/// only that group's fixes spliced in, so that one PR never carries another pattern's change.
fn group_fixes<'a>(
    report: &'a FixReport,
    library: &'a Library,
    prefix: &str,
    stats: &HashMap<String, PatternStats>,
    ignored: &BTreeSet<(&str, usize)>,
) -> Vec<Group<'a>> {
    let mut by_pattern: BTreeMap<&str, Vec<(&'a pipeline::FileFixes, &'a Fix)>> = BTreeMap::new();
    for file in &report.files {
        for fix in file.fixes.iter().filter(|f| f.round == 1) {
            if ignored.contains(&(fix.file.as_str(), fix.start.byte)) {
                continue;
            }
            by_pattern
                .entry(fix.pattern.as_str())
                .or_default()
                .push((file, fix));
        }
    }
    let mut groups: Vec<Group<'a>> = by_pattern
        .into_iter()
        .map(|(pattern, fixes)| {
            let mut edits: BTreeMap<&str, (&str, Vec<patch::TextEdit>)> = BTreeMap::new();
            for (file, fix) in &fixes {
                edits
                    .entry(file.file.as_str())
                    .or_insert_with(|| (file.original.as_str(), Vec::new()))
                    .1
                    .push(patch::TextEdit {
                        range: fix.start.byte..fix.end.byte,
                        replacement: fix.after.clone(),
                    });
            }
            let files = edits
                .into_iter()
                .map(|(file, (original, edits))| {
                    (
                        format!("{prefix}{file}"),
                        (original.to_owned(), patch::apply(original, &edits)),
                    )
                })
                .collect();
            let triples: Vec<(&str, &str, &str)> = fixes
                .iter()
                .map(|(_, f)| (f.file.as_str(), f.before.as_str(), f.after.as_str()))
                .collect();
            let best = fixes
                .iter()
                .map(|(_, f)| *f)
                .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
                .expect("a group has a fix");
            let confidence = best.confidence.get();
            let confidence_note = match stats.get(pattern) {
                Some(s) if s.merged + s.closed > 0 => format!(
                    "the best fix's probability ({}), with this pattern's record as evidence: {} merged, {} closed",
                    best.basis, s.merged, s.closed
                ),
                _ => format!(
                    "the best fix's probability ({}); no merge record for this pattern yet",
                    best.basis
                ),
            };
            Group {
                pattern: pattern.to_owned(),
                library_pattern: library.patterns.iter().find(|p| p.id == pattern),
                fingerprint: body::fingerprint(pattern, &triples),
                fixes: fixes.iter().map(|(_, f)| *f).collect(),
                files,
                confidence,
                confidence_note,
                prefix: prefix.to_owned(),
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| a.pattern.cmp(&b.pattern))
    });
    groups
}

async fn handle_group(
    ctx: &Ctx<'_>,
    memory: &mut Memory,
    group: &Group<'_>,
    open: Option<&(PullRequest, String)>,
    open_count: &mut usize,
    opened: &mut usize,
    validator: &mut Validator,
) -> Result<GroupReport> {
    let options = ctx.options;
    let repo = &options.repo;
    if memory.is_ignored(&group.fingerprint)? {
        return Ok(group.report(Action::Ignored, "ignored with `@suture ignore`".to_owned()));
    }

    if let Some((pr, fingerprint)) = open {
        let mut report = group.report(Action::UpToDate, String::new());
        report.pr = Some(pr.number);
        report.url = Some(pr.html_url.clone());
        report.branch = pr.head_ref.clone();
        let head = ctx.github.branch_head(repo, &pr.head_ref).await?;
        let known_head = memory
            .get(fingerprint)
            .map(|k| k.head_sha.clone())
            .filter(|sha| !sha.is_empty());
        let ours = head
            .as_ref()
            .is_some_and(|c| is_suture_commit(c, known_head.as_deref()));
        if !ours {
            report.action = Action::HumanEdited;
            report.reason = match &head {
                Some(c) => format!(
                    "the head of `{}` ({}) is not a suture commit: someone pushed to it, so suture leaves this PR alone",
                    pr.head_ref,
                    short(&c.sha)
                ),
                None => format!(
                    "branch `{}` is gone; suture leaves this PR alone",
                    pr.head_ref
                ),
            };
            memory.put(FixPr {
                repo: ctx.repo_name.to_owned(),
                fingerprint: fingerprint.clone(),
                pattern: group.pattern.clone(),
                number: pr.number,
                branch: pr.head_ref.clone(),
                head_sha: known_head.unwrap_or_default(),
                state: PrState::HumanEdited,
                merge_sha: None,
                updated_at: now(),
            })?;
            return Ok(report);
        }
        if *fingerprint == group.fingerprint {
            report.reason = "the open PR already carries these fixes".to_owned();
            return Ok(report);
        }
        if let Some(skip) = stale(ctx, group).await? {
            report.action = Action::Skipped;
            report.reason = skip;
            return Ok(report);
        }
        let (passed, validation) = validator.validate(&group.files)?;
        report.validation = Some(validation.clone());
        if !passed {
            report.action = Action::ValidationFailed;
            report.reason = format!("the PR is left as it was: {validation}");
            return Ok(report);
        }
        report.action = Action::Updated;
        report.reason = format!(
            "new findings: branch rebuilt from {} and body rewritten",
            short(ctx.base_sha)
        );
        if options.dry_run {
            return Ok(report);
        }
        let validation = validation.as_str();
        let head_sha = ctx
            .github
            .commit_files(
                repo,
                &pr.head_ref,
                ctx.base_sha,
                &group.commit_message(),
                &group.changes(),
            )
            .await?;
        ctx.github
            .update_pull_request(
                repo,
                pr.number,
                &group.title(),
                &group.body(ctx, validation),
            )
            .await?;
        remember_open(memory, ctx, group, pr.number, pr.head_ref.clone(), head_sha)?;
        return Ok(report);
    }

    // A new group.
    if let Some(known) = memory.get(&group.fingerprint).cloned()
        && matches!(known.state, PrState::Closed | PrState::Reverted)
    {
        let mut report = group.report(
            Action::Skipped,
            format!(
                "PR #{} with these exact fixes was {} before",
                known.number,
                if known.state == PrState::Closed {
                    "closed without merging"
                } else {
                    "reverted"
                }
            ),
        );
        report.pr = Some(known.number);
        return Ok(report);
    }
    if *open_count >= options.max_open {
        return Ok(group.report(
            Action::Skipped,
            format!(
                "{} suture PRs are open, --max-open is {}",
                open_count, options.max_open
            ),
        ));
    }
    if *opened >= options.max_per_run {
        return Ok(group.report(
            Action::Skipped,
            format!(
                "this run opened {opened} PRs, --max-per-run is {}",
                options.max_per_run
            ),
        ));
    }
    if let Some(skip) = stale(ctx, group).await? {
        return Ok(group.report(Action::Skipped, skip));
    }
    let (passed, validation) = validator.validate(&group.files)?;
    if !passed {
        let mut report = group.report(Action::ValidationFailed, validation.clone());
        report.validation = Some(validation);
        return Ok(report);
    }
    let branch = group.branch();
    let mut report = group.report(Action::Opened, format!("new PR on `{branch}`"));
    report.validation = Some(validation.clone());
    *open_count += 1;
    *opened += 1;
    if options.dry_run {
        return Ok(report);
    }
    let (head_sha, pr) = commit_and_open(
        ctx,
        &branch,
        &group.commit_message(),
        &group.changes(),
        group.title(),
        group.body(ctx, &validation),
    )
    .await?;
    report.pr = Some(pr.number);
    report.url = Some(pr.html_url.clone());
    remember_open(memory, ctx, group, pr.number, branch, head_sha)?;
    Ok(report)
}

/// Commits `files` on `branch` from the default branch's head (Git Data API, no push) and opens a PR from it.
/// Returns the new head sha and the PR.
async fn commit_and_open(
    ctx: &Ctx<'_>,
    branch: &str,
    message: &str,
    files: &[FileChange],
    title: String,
    body: String,
) -> Result<(String, PullRequest)> {
    let repo = &ctx.options.repo;
    let head_sha = ctx
        .github
        .commit_files(repo, branch, ctx.base_sha, message, files)
        .await?;
    let pr = ctx
        .github
        .create_pull_request(
            repo,
            &NewPullRequest {
                title,
                head: branch.to_owned(),
                base: ctx.default_branch.to_owned(),
                body,
            },
        )
        .await?;
    Ok((head_sha, pr))
}

/// Remembers a group's open fix PR (in memory and the store) and the fix it proposes.
fn remember_open(
    memory: &mut Memory,
    ctx: &Ctx<'_>,
    group: &Group<'_>,
    number: u64,
    branch: String,
    head_sha: String,
) -> Result<()> {
    memory.put(FixPr {
        repo: ctx.repo_name.to_owned(),
        fingerprint: group.fingerprint.clone(),
        pattern: group.pattern.clone(),
        number,
        branch,
        head_sha,
        state: PrState::Open,
        merge_sha: None,
        updated_at: now(),
    })?;
    memory.record_fix(&FixRecord {
        repo: ctx.repo_name.to_owned(),
        pr: number,
        fingerprint: group.fingerprint.clone(),
        pattern: group.pattern.clone(),
        kind: FixKind::FixPr,
    })?;
    Ok(())
}

/// When the checkout is not at the default branch's head on GitHub, a group may only be built on that head
/// if each file it changes reads the same there; otherwise the reason it is skipped.
async fn stale(ctx: &Ctx<'_>, group: &Group<'_>) -> Result<Option<String>> {
    if ctx.checkout_is_base {
        return Ok(None);
    }
    for (path, (original, _)) in &group.files {
        // Each file is read from GitHub at most once per run, however many groups change it; the first
        // file that differs decides.
        let cached = ctx
            .remote_texts
            .lock()
            .expect("not poisoned")
            .get(path)
            .cloned();
        let remote = match cached {
            Some(remote) => remote,
            None => {
                let remote = ctx
                    .github
                    .file_text(&ctx.options.repo, path, ctx.base_sha)
                    .await?;
                ctx.remote_texts
                    .lock()
                    .expect("not poisoned")
                    .insert(path.clone(), remote.clone());
                remote
            }
        };
        if remote.as_deref() != Some(original.as_str()) {
            return Ok(Some(format!(
                "{path} differs between the checkout and {} on GitHub; run again on a fresh checkout",
                short(ctx.base_sha)
            )));
        }
    }
    Ok(None)
}

/// Whether a branch head is a commit suture made: it carries the fingerprint trailer and is authored by a
/// bot (the workflow token's `github-actions[bot]` or an App), or it is the very commit the store
/// remembers suture creating (a run with a personal token commits as that person).
fn is_suture_commit(commit: &Commit, known_head: Option<&str>) -> bool {
    if !body::has_fingerprint_trailer(&commit.message) {
        return false;
    }
    let bot = commit
        .author_login
        .as_deref()
        .is_some_and(|login| login.ends_with("[bot]"))
        || commit.author_email.contains("[bot]@");
    bot || known_head == Some(commit.sha.as_str())
}

/// How long after suture learns that a fix PR was merged it keeps watching the merge commit's checks.
const REVERT_WINDOW_SECS: i64 = 7 * 24 * 3600;

/// What suture remembers about its fix PRs in this repository: the store's rows, kept in memory too so that
/// a dry run (which writes nothing) and a run without a store decide exactly as a real run would.
struct Memory {
    store: Option<Box<dyn ServerStore>>,
    repo: String,
    dry_run: bool,
    /// By fingerprint (`revert-N` for revert PRs).
    known: BTreeMap<String, FixPr>,
}

impl Memory {
    fn open(options: &PrOptions) -> Result<Memory> {
        let repo = options.repo.to_string();
        let mut store = open_store(options)?;
        let known = match store.as_mut() {
            Some(store) => store
                .fix_prs(&repo)?
                .into_iter()
                .map(|k| (k.fingerprint.clone(), k))
                .collect(),
            None => BTreeMap::new(),
        };
        Ok(Memory {
            store,
            repo,
            dry_run: options.dry_run,
            known,
        })
    }

    fn get(&self, fingerprint: &str) -> Option<&FixPr> {
        self.known.get(fingerprint)
    }

    fn put(&mut self, pr: FixPr) -> Result<()> {
        if let (Some(store), false) = (self.store.as_mut(), self.dry_run) {
            store.upsert_fix_pr(&pr)?;
        }
        self.known.insert(pr.fingerprint.clone(), pr);
        Ok(())
    }

    fn record_fix(&mut self, record: &FixRecord) -> Result<()> {
        if let (Some(store), false) = (self.store.as_mut(), self.dry_run) {
            store.record_fix(record)?;
        }
        Ok(())
    }

    fn record_outcome(&mut self, number: u64, merged: bool) -> Result<()> {
        if let (Some(store), false) = (self.store.as_mut(), self.dry_run) {
            store.record_outcome(&self.repo, number, merged)?;
        }
        Ok(())
    }

    fn is_ignored(&mut self, fingerprint: &str) -> Result<bool> {
        Ok(match self.store.as_mut() {
            Some(store) => store.is_ignored(&self.repo, fingerprint)?,
            None => false,
        })
    }

    fn pattern_stats(&mut self) -> Result<Vec<PatternStats>> {
        Ok(match self.store.as_mut() {
            Some(store) => store.pattern_stats()?,
            None => Vec::new(),
        })
    }
}

/// Learns suture's recently closed PRs from GitHub, for a runner whose store starts empty (a scheduled job
/// on a fresh machine): merged fix PRs, whose checks may call for a revert; fix PRs closed unmerged, not to
/// be opened again; and revert PRs, not to be opened twice. What the store already knows is kept.
async fn learn_closed(github: &GitHub, options: &PrOptions, memory: &mut Memory) -> Result<()> {
    let repo = options.repo.to_string();
    for pr in github.recently_closed_pull_requests(&options.repo).await? {
        if !pr.head_ref.starts_with(body::BRANCH_PREFIX) {
            continue;
        }
        let (fingerprint, pattern) = match Marker::parse(&pr.body) {
            Some(Marker::Fix {
                fingerprint,
                pattern,
                ..
            }) => (fingerprint, pattern),
            Some(Marker::Revert { of }) => (format!("revert-{of}"), String::new()),
            None => continue,
        };
        if memory.get(&fingerprint).is_some() {
            continue;
        }
        memory.put(FixPr {
            repo: repo.clone(),
            fingerprint: fingerprint.clone(),
            pattern: pattern.clone(),
            number: pr.number,
            branch: pr.head_ref.clone(),
            head_sha: pr.head_sha.clone(),
            state: if pr.merged {
                PrState::Merged
            } else {
                PrState::Closed
            },
            merge_sha: pr.merge_commit_sha.clone().filter(|_| pr.merged),
            // The revert window counts from the merge, not from when this run learned of it.
            updated_at: pr.closed_at.unwrap_or_else(now),
        })?;
        if !fingerprint.starts_with("revert-") {
            memory.record_fix(&FixRecord {
                repo: repo.clone(),
                pr: pr.number,
                fingerprint,
                pattern,
                kind: FixKind::FixPr,
            })?;
            memory.record_outcome(pr.number, pr.merged)?;
        }
    }
    Ok(())
}

/// Fix PRs remembered as open that GitHub no longer lists as open were merged or closed since the last run:
/// ask GitHub which, remember it, and count it for the pattern's acceptance rate. This runs before the
/// groups, so that a PR a person closed is not opened again right away.
async fn sync_closed(ctx: &Ctx<'_>, memory: &mut Memory, still_open: &BTreeSet<u64>) -> Result<()> {
    let stale: Vec<u64> = memory
        .known
        .values()
        .filter(|k| {
            !k.fingerprint.starts_with("revert-")
                && matches!(k.state, PrState::Open | PrState::HumanEdited)
                && !still_open.contains(&k.number)
        })
        .map(|k| k.number)
        .collect::<BTreeSet<u64>>()
        .into_iter()
        .collect();
    for number in stale {
        let pr = ctx.github.pull_request(&ctx.options.repo, number).await?;
        if pr.state == "open" {
            continue;
        }
        let rows: Vec<FixPr> = memory
            .known
            .values()
            .filter(|k| k.number == number && !k.fingerprint.starts_with("revert-"))
            .cloned()
            .collect();
        for row in rows {
            memory.put(FixPr {
                state: if pr.merged {
                    PrState::Merged
                } else {
                    PrState::Closed
                },
                merge_sha: pr.merge_commit_sha.clone().filter(|_| pr.merged),
                updated_at: now(),
                ..row
            })?;
        }
        memory.record_outcome(number, pr.merged)?;
    }
    Ok(())
}

/// Merged suture PRs whose merge commit's checks failed get one revert PR each. GitHub's open-PR list
/// cannot name merged PRs, so the candidates are the fix PRs suture remembers (reverts need a store that
/// outlives the runner: a cached SQLite file or PostgreSQL).
async fn reverts(
    ctx: &Ctx<'_>,
    memory: &mut Memory,
    open_reverts: &BTreeSet<u64>,
    open_count: &mut usize,
    report: &mut PrReport,
) -> Result<()> {
    let repo = &ctx.options.repo;
    let reverted: BTreeSet<u64> = memory
        .known
        .values()
        .filter(|k| k.state == PrState::Reverted)
        .map(|k| k.number)
        .chain(
            memory
                .known
                .keys()
                .filter_map(|fp| fp.strip_prefix("revert-")?.parse().ok()),
        )
        .chain(open_reverts.iter().copied())
        .collect();
    let merged: BTreeMap<u64, FixPr> = memory
        .known
        .values()
        .filter(|k| {
            k.state == PrState::Merged
                && !k.fingerprint.starts_with("revert-")
                && !reverted.contains(&k.number)
                && now() - k.updated_at <= REVERT_WINDOW_SECS
        })
        .map(|k| (k.number, k.clone()))
        .collect();
    for (number, fix_pr) in merged {
        let Some(merge_sha) = fix_pr.merge_sha.clone() else {
            continue;
        };
        let conclusions = ctx.github.check_conclusions(repo, &merge_sha).await?;
        if !conclusions.iter().any(|c| c == "failure") {
            continue;
        }
        let entry = open_revert(ctx, memory, &fix_pr, &merge_sha, open_count)
            .await
            .unwrap_or_else(|e| RevertReport {
                of: number,
                merge_sha: merge_sha.clone(),
                action: RevertAction::Failed,
                pr: None,
                reason: format!("{e:#}"),
            });
        if entry.action == RevertAction::Failed {
            report
                .errors
                .push(format!("revert of #{}: {}", entry.of, entry.reason));
        }
        report.reverts.push(entry);
    }
    for of in open_reverts {
        report.reverts.push(RevertReport {
            of: *of,
            merge_sha: String::new(),
            action: RevertAction::AlreadyOpened,
            pr: None,
            reason: "its revert PR is open".to_owned(),
        });
    }
    Ok(())
}

/// Opens the revert PR of merged fix PR `fix_pr`: each file it changed gets back its text at the commit the
/// fix was built on (the `base` of its marker). Refused when a file changed on the default branch since the
/// merge, or is not a plain modification: a blind restore would undo someone else's work.
async fn open_revert(
    ctx: &Ctx<'_>,
    memory: &mut Memory,
    fix_pr: &FixPr,
    merge_sha: &str,
    open_count: &mut usize,
) -> Result<RevertReport> {
    let repo = &ctx.options.repo;
    let number = fix_pr.number;
    let pr = ctx.github.pull_request(repo, number).await?;
    let Some(Marker::Fix {
        base: Some(base), ..
    }) = Marker::parse(&pr.body)
    else {
        bail!(
            "the body of #{number} has no suture marker naming its base commit; revert it by hand"
        );
    };
    let changed = ctx.github.pull_request_files(repo, number).await?;
    if changed.is_empty() {
        bail!("GitHub lists no changed files for #{number}");
    }
    let mut files = Vec::new();
    for file in &changed {
        let path = &file.filename;
        if file.status != "modified" {
            bail!(
                "#{number} {} `{path}`; suture only reverts modified files",
                file.status
            );
        }
        let merged = ctx.github.file_text(repo, path, &pr.head_sha).await?;
        let current = ctx.github.file_text(repo, path, ctx.base_sha).await?;
        if merged != current {
            bail!(
                "`{path}` changed on {} since #{number} was merged; revert it by hand",
                ctx.default_branch
            );
        }
        let Some(before) = ctx.github.file_text(repo, path, &base).await? else {
            bail!(
                "`{path}` does not exist at {}, the base of #{number}",
                short(&base)
            );
        };
        files.push(FileChange {
            path: path.clone(),
            content: before,
        });
    }
    let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let branch = body::revert_branch(number);
    let mut report = RevertReport {
        of: number,
        merge_sha: merge_sha.to_owned(),
        action: RevertAction::Opened,
        pr: None,
        reason: format!(
            "checks failed on merge commit {}; restoring {} to {}",
            short(merge_sha),
            paths.join(", "),
            short(&base)
        ),
    };
    *open_count += 1;
    if ctx.options.dry_run {
        return Ok(report);
    }
    let (head_sha, revert) = commit_and_open(
        ctx,
        &branch,
        &body::revert_message(number, &pr.title, merge_sha),
        &files,
        format!("Revert suture PR #{number}"),
        body::revert_body(number, &pr.title, merge_sha, &base, &paths),
    )
    .await?;
    report.pr = Some(revert.number);
    memory.put(FixPr {
        repo: ctx.repo_name.to_owned(),
        fingerprint: format!("revert-{number}"),
        pattern: fix_pr.pattern.clone(),
        number: revert.number,
        branch,
        head_sha,
        state: PrState::Open,
        merge_sha: None,
        updated_at: now(),
    })?;
    let rows: Vec<FixPr> = memory
        .known
        .values()
        .filter(|k| k.number == number && !k.fingerprint.starts_with("revert-"))
        .cloned()
        .collect();
    for row in rows {
        memory.put(FixPr {
            state: PrState::Reverted,
            updated_at: now(),
            ..row
        })?;
    }
    Ok(report)
}

/// Runs `cargo check` on a group's files in one scratch worktree per run.
struct Validator {
    root: PathBuf,
    /// The checkout's place in its repository; group files are repository-relative, the worktree's
    /// paths are relative to the checkout.
    prefix: String,
    mode: Validation,
    has_manifest: bool,
    worktree: Option<validate::Worktree>,
}

impl Validator {
    fn new(root: &Path, prefix: &str, mode: &Validation) -> Validator {
        Validator {
            root: root.to_path_buf(),
            prefix: prefix.to_owned(),
            mode: mode.clone(),
            has_manifest: root.join("Cargo.toml").is_file(),
            worktree: None,
        }
    }

    /// (passed, what happened in words).
    fn validate(&mut self, files: &BTreeMap<String, (String, String)>) -> Result<(bool, String)> {
        let (timeout, target_dir) = match &self.mode {
            Validation::Off => return Ok((true, "not validated (--no-validate)".to_owned())),
            Validation::CargoCheck {
                timeout,
                target_dir,
            } => (*timeout, target_dir.clone()),
        };
        if !self.has_manifest {
            return Ok((
                true,
                "not validated: the checkout has no Cargo.toml".to_owned(),
            ));
        }
        if self.worktree.is_none() {
            self.worktree = Some(validate::create_worktree(&self.root)?);
        }
        let worktree = self.worktree.as_mut().expect("created above");
        let timeouts = validate::Timeouts {
            check: timeout,
            test: timeout,
        };
        let steps: Vec<validate::Step> = validate::cargo_steps(&[], &target_dir, &timeouts)
            .into_iter()
            .take(1)
            .collect();
        let writes: Vec<(String, String)> = files
            .iter()
            .map(|(p, (_, patched))| {
                let p = p.strip_prefix(self.prefix.as_str()).unwrap_or(p);
                (p.to_owned(), patched.clone())
            })
            .collect();
        worktree.write_files(&writes)?;
        let results = validate::run_steps(&worktree.path, &steps);
        worktree.reset()?;
        let passed = validate::all_passed(&steps, &results);
        let result = results.first().context("the validation ran no step")?;
        let what = match &result.outcome {
            validate::Outcome::Passed => "passed".to_owned(),
            validate::Outcome::Failed { code } => format!(
                "failed (exit {}): {}",
                code.map_or("by signal".to_owned(), |c| c.to_string()),
                first_error(&result.stderr)
            ),
            validate::Outcome::TimedOut => format!("timed out after {} s", timeout.as_secs()),
            validate::Outcome::NotStarted { error } => format!("could not start: {error}"),
            validate::Outcome::TestsMissing { tests } => {
                format!("tests missing: {}", tests.join(", "))
            }
        };
        Ok((
            passed,
            format!(
                "`cargo check --workspace --all-targets` {what} in {:.1} s",
                result.seconds
            ),
        ))
    }

    fn finish(self, notes: &mut Vec<String>) {
        if let Some(worktree) = self.worktree
            && let Err(e) = worktree.remove()
        {
            notes.push(format!("could not remove the scratch worktree: {e}"));
        }
    }
}

/// The first `error` line of cargo's output, for a one-line reason.
fn first_error(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or("see the CI logs")
        .chars()
        .take(200)
        .collect()
}

/// Where `root` is inside its repository (`""` at the top, else `sub/dir/`), so that file paths sent to
/// GitHub are repository-relative.
fn repo_prefix(root: &Path, top: &Path) -> Result<String> {
    let root = std::fs::canonicalize(root)
        .with_context(|| format!("cannot resolve `{}`", root.display()))?;
    let top = std::fs::canonicalize(top)
        .with_context(|| format!("cannot resolve `{}`", top.display()))?;
    let rel = root.strip_prefix(&top).unwrap_or(Path::new(""));
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok(if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    })
}

fn open_store(options: &PrOptions) -> Result<Option<Box<dyn ServerStore>>> {
    let default = options.root.join(".suture/server.db");
    let url = match &options.database_url {
        Some(url) => url.clone(),
        // A dry run must not leave a new file in the checkout; it reads an existing store only.
        None if options.dry_run && !default.exists() => return Ok(None),
        None => default.to_string_lossy().into_owned(),
    };
    let store = store::server::connect(&url)
        .with_context(|| format!("cannot open the store `{}`", redact_url(&url)))?;
    Ok(Some(store))
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(message: &str, login: Option<&str>, email: &str) -> Commit {
        Commit {
            sha: "abc".into(),
            author_login: login.map(str::to_owned),
            committer_login: None,
            author_email: email.into(),
            committer_email: email.into(),
            message: message.into(),
        }
    }

    #[test]
    fn only_bot_commits_with_the_trailer_are_suture_commits() {
        let msg = body::commit_message("t", "p", "f", 1);
        assert!(is_suture_commit(
            &commit(&msg, Some("github-actions[bot]"), "x@y"),
            None
        ));
        assert!(!is_suture_commit(
            &commit("wip", Some("github-actions[bot]"), "x@y"),
            None
        ));
        assert!(!is_suture_commit(&commit(&msg, Some("alice"), "a@b"), None));
        assert!(is_suture_commit(
            &commit(&msg, Some("alice"), "a@b"),
            Some("abc")
        ));
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("/tmp/x.db"), "/tmp/x.db");
    }
}
