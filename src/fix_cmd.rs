//! `suture fix`: flags → locations and library → the pipeline's fix engine → output and exit code.
//!
//! Exit codes follow clippy-style tools that report findings: 0 nothing found, 1 fixes found (or applied),
//! 2 error. Nothing is written without `--apply` (or `--interactive`), and then only to a clean git tree
//! unless `--allow-dirty`, one atomic write per file.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use pipeline::{FixConfig, FixReport, Library};

pub(crate) const EXAMPLES: &str = "Examples:
  suture fix                                   dry run on the current directory: diffs of every fix
  suture fix src --at src/lib.rs:42            rank fixes at or near line 42 first
  cargo clippy --message-format=json | suture fix --diagnostics -
  suture fix --apply                           write the fixes (needs a clean git tree)
  suture fix --interactive                     ask y/n/a/q for each fix
  suture fix --format sarif > suture.sarif     for GitHub code scanning

Without --patterns, suture first learns this repository's own history (incrementally: a re-run mines
only new commits; the store and library live in REPO/.suture/) and finishes the migrations the team
started (see `suture migrations`) before applying the library shipped inside it. --all-learned also
proposes the history's other, unmeasured patterns; --no-history uses the shipped library alone. A
library you mined yourself (`suture mine` into REPO/.suture/patterns) is used as it is.

Suppress a fix with `// suture-ignore` or `// suture-ignore: <pattern id>` on the line or the line
above. Exit codes: 0 nothing found, 1 fixes found or applied, 2 error.";

#[derive(clap::Args)]
pub(crate) struct FixArgs {
    /// A directory or file to fix (default: the current directory).
    path: Option<PathBuf>,
    /// Pattern library directories to use instead of the defaults (repeatable).
    #[arg(long = "patterns", value_name = "DIR")]
    patterns: Vec<PathBuf>,
    /// Do not learn from this repository's history: use the shipped library (and REPO/.suture/patterns).
    #[arg(long)]
    no_history: bool,
    /// Propose every pattern learned from the history, not only its migrations. They are unmeasured: read
    /// each fix before you take it.
    #[arg(long, conflicts_with = "no_history")]
    all_learned: bool,
    /// A location to focus on, FILE:LINE relative to PATH (repeatable).
    #[arg(long = "at", value_name = "FILE:LINE")]
    at: Vec<String>,
    /// A saved failure output (panics, backtraces, libtest/nextest output); its workspace frames are
    /// locations and its panic kinds bring in the matching remedies; `-` reads stdin.
    #[arg(long, value_name = "FILE|-")]
    trace: Option<String>,
    /// rustc/clippy JSON diagnostics (`--message-format=json`) whose spans are locations; `-` reads stdin.
    #[arg(long, value_name = "FILE|-")]
    diagnostics: Option<String>,
    /// Files larger than this many bytes are skipped with the reason (generated code, vendored blobs).
    #[arg(long, default_value_t = 1 << 20)]
    max_file_bytes: usize,
    /// Write the fixes to the files.
    #[arg(long)]
    apply: bool,
    /// Write even when PATH is not in a git repository (nothing could undo the fixes).
    #[arg(long)]
    allow_no_vcs: bool,
    /// Write even when the git tree has uncommitted changes.
    #[arg(long)]
    allow_dirty: bool,
    /// Ask before each fix: y(es), n(o), a(ll remaining), q(uit).
    #[arg(long)]
    interactive: bool,
    /// Propose only fixes at least this likely to be right (0 to 1); the rest are counted, not listed. The
    /// probability comes from the confidence model: calibrated for mined patterns, measured or
    /// "unmeasured" for hand-written ones.
    #[arg(long, default_value_t = engine::DEFAULT_MIN_PROBABILITY)]
    min_confidence: f64,
    #[command(flatten)]
    calibration: crate::calibrate_cmd::CalibrationArg,
    /// List every skipped candidate in text output, not only a count per reason.
    #[arg(long, short)]
    verbose: bool,
    /// Output: text (diffs and reasons), a unified diff alone, versioned JSON, or SARIF 2.1.0.
    #[arg(long, value_enum, default_value_t = FixFormat::Text)]
    format: FixFormat,
    /// How fixes are checked before they are shown: `check` runs `cargo check --workspace --all-targets` in
    /// a scratch git worktree and backs out every fix that adds an error or a warning; `test` also runs
    /// `cargo test --workspace`; `none` only re-parses (each fix then says it was not compile-checked).
    #[arg(long, value_enum, default_value_t = ValidateArg::Check)]
    validate: ValidateArg,
    /// Seconds each cargo run of the check may take.
    #[arg(long, default_value_t = 900)]
    validate_timeout: u64,
    /// Most cargo runs the check may make (bisection included); a check that does not settle within them
    /// shows none of the fixes it could not settle, each skipped with this reason.
    #[arg(long, default_value_t = 40)]
    validate_max_runs: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ValidateArg {
    None,
    Check,
    Test,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FixFormat {
    /// Explanations and diffs for people.
    Text,
    /// One unified diff of all fixes, for `git apply`.
    Diff,
    /// The versioned JSON report (see README, "JSON output").
    Json,
    /// SARIF 2.1.0 with fixes, for GitHub code scanning.
    Sarif,
}

pub(crate) fn run(args: FixArgs) -> Result<ExitCode> {
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    pipeline::existing(&root)?;
    let say = progress_notes(args.format != FixFormat::Text);
    let history = History {
        learn: (args.patterns.is_empty() && !args.no_history).then_some(&say as &dyn Fn(&str)),
        all: args.all_learned,
    };
    let library = load_library_with(&root, &args.patterns, history)?;
    if !(0.0..=1.0).contains(&args.min_confidence) {
        bail!("--min-confidence {} is outside [0, 1]", args.min_confidence);
    }
    let mut config = FixConfig {
        min_confidence: engine::Probability::new(args.min_confidence),
        model: args.calibration.model()?,
        max_file_bytes: args.max_file_bytes,
        ..FixConfig::default()
    };
    for at in &args.at {
        config.locations.push(pipeline::parse_at(&root, at)?);
    }
    if let Some(source) = &args.diagnostics {
        let (text, name) = if source == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .context("cannot read diagnostics from stdin")?;
            (text, "stdin".to_owned())
        } else {
            let text = std::fs::read_to_string(source)
                .with_context(|| format!("cannot read `{source}`"))?;
            (text, source.clone())
        };
        config
            .locations
            .extend(pipeline::parse_diagnostics(&root, &text, &name)?);
    }
    if let Some(source) = &args.trace {
        let text = read_source(source)?;
        let root_abs = std::fs::canonicalize(&root)?;
        let base = if root_abs.is_file() {
            root_abs.parent().unwrap_or(&root_abs).to_path_buf()
        } else {
            root_abs
        };
        let files = pipeline::workspace_files(&base)?;
        let (failures, locations, kinds) = pipeline::locate(&text, &base, &files, true);
        if locations.is_empty() {
            bail!(
                "{}: no location in this workspace ({} failures read, none with a frame under `{}`)",
                if source == "-" { "stdin" } else { source },
                failures.len(),
                base.display()
            );
        }
        config.locations.extend(locations);
        config.panic_kinds = kinds;
    }
    let mode = match args.validate {
        ValidateArg::None => pipeline::ValidateMode::None,
        ValidateArg::Check => pipeline::ValidateMode::Check,
        ValidateArg::Test => pipeline::ValidateMode::Test,
    };
    if mode != pipeline::ValidateMode::None && pipeline::cannot_check(&root).is_none() {
        // Nested fixes are found again after the check, in passes, so that each pass is checked.
        config.max_rounds = 1;
    }
    let mut report = pipeline::propose_fixes(&root, &library, &config)?;
    let options = pipeline::CheckOptions {
        mode,
        timeout: std::time::Duration::from_secs(args.validate_timeout),
        target_dir: std::fs::canonicalize(&root)
            .unwrap_or_else(|_| root.clone())
            .join("target/suture"),
        max_passes: 3,
        max_runs: args.validate_max_runs,
    };
    pipeline::check_fixes(
        &root,
        &library,
        &config,
        &mut report,
        &options,
        &mut |what| say(what),
    )?;
    let write = args.apply || args.interactive;
    if write && report.fixes().next().is_some() {
        refuse_unsafe_write(&root, args.allow_dirty, args.allow_no_vcs)?;
    }
    let applied = if write {
        apply(&report, args.interactive)?
    } else {
        Vec::new()
    };
    print_report(&report, args.format, write, &applied, args.verbose)?;
    Ok(if report.fixes().next().is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What a long job says as it goes (`suture: …` on stderr): always for text output, and for machine-readable
/// output only when stderr is a terminal, so that a pipeline's logs stay clean.
pub(crate) fn progress_notes(machine_readable: bool) -> impl Fn(&str) {
    move |what: &str| {
        if !machine_readable || std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprintln!("suture: {what}");
        }
    }
}

/// How the default library uses the repository's own history.
pub(crate) struct History<'a> {
    /// Mine what is new in the history first, saying what was learned through the closure; `None` uses the
    /// library as the last run left it.
    pub(crate) learn: Option<&'a dyn Fn(&str)>,
    /// Use every pattern learned from the history. By default only its migrations are used: what the team
    /// is moving off its own items is knowledge no other library has, with the team's own commits as
    /// evidence, while the history's other patterns are unmeasured guesses (measured on chrono's history:
    /// most compiled, few were fixes its maintainers would merge), and general idioms come from the
    /// shipped, measured library.
    pub(crate) all: bool,
}

impl History<'static> {
    /// Read what the last run learned; migrations only.
    pub(crate) const READ: History<'static> = History {
        learn: None,
        all: false,
    };
}

/// The repository's own library (as the last run learned or `suture mine` wrote it) before the shipped one,
/// or exactly the given directories.
pub(crate) fn load_library(root: &Path, dirs: &[PathBuf]) -> Result<Library> {
    load_library_with(root, dirs, History::READ)
}

/// [`load_library`], learning the history first when asked.
pub(crate) fn load_library_with(
    root: &Path,
    dirs: &[PathBuf],
    history: History<'_>,
) -> Result<Library> {
    let mut library = Library::default();
    if !dirs.is_empty() {
        for dir in dirs {
            if !dir.is_dir() {
                bail!("pattern library `{}` is not a directory", dir.display());
            }
            library.extend(pipeline::read_library(dir)?)?;
        }
        return Ok(library);
    }
    let start = if root.is_file() {
        root.parent().unwrap_or(Path::new("."))
    } else {
        root
    };
    // (directory, whether it was learned rather than mined on purpose)
    let own = match history.learn {
        Some(say) => {
            let progress = crate::progress::Bars::default();
            match pipeline::learn_own_history(start, &progress)? {
                pipeline::OwnLibrary::Learned {
                    dir,
                    report,
                    written,
                } => {
                    say(&learned_summary(
                        report.as_deref(),
                        written.as_ref(),
                        history.all,
                    ));
                    Some((dir, true))
                }
                pipeline::OwnLibrary::Mined(dir) => {
                    say(&format!(
                        "using the library mined into `{}` as it is (delete it to learn the history again)",
                        dir.display()
                    ));
                    Some((dir, false))
                }
                pipeline::OwnLibrary::None(why) => {
                    say(&format!("{why}: using the shipped library only"));
                    None
                }
            }
        }
        None => git::discover(start).and_then(|repo| {
            [(".suture/patterns", false), (".suture/learned", true)]
                .iter()
                .map(|(d, learned)| (repo.path().join(d), *learned))
                .find(|(d, _)| d.is_dir())
        }),
    };
    if let Some((dir, learned)) = own {
        let mut own = pipeline::read_library(&dir)?;
        if learned && !history.all {
            own.retain(|p| p.migration.is_some());
        }
        library.extend(own)?;
    }
    library.extend_new(pipeline::library_from_texts(crate::SHIPPED)?);
    Ok(library)
}

/// One line on what learning the history did.
fn learned_summary(
    report: Option<&pipeline::MineReport>,
    written: Option<&pipeline::WriteReport>,
    all: bool,
) -> String {
    let Some(report) = report else {
        return "this repository's history is learned up to HEAD already".to_owned();
    };
    let rest = if all {
        ""
    } else {
        "; only migrations are proposed (--all-learned: every learned pattern)"
    };
    let repo = report.repos.first();
    let commits = repo.map_or(0, |r| r.commits);
    let new = repo.map_or(0, |r| r.mined_now);
    let m = &report.migrations;
    let migrations = match m.in_progress {
        0 => String::new(),
        1 => "; 1 migration in progress".to_owned(),
        n => format!("; {n} migrations in progress"),
    };
    format!(
        "learned {} patterns from this repository's history ({commits} commits, {new} mined now{}){migrations}{rest}",
        report.patterns,
        written.map_or(String::new(), |w| format!(
            "; {} written, {} unchanged, {} removed",
            w.written, w.unchanged, w.removed
        ))
    )
}

/// Writing is refused where it could not be undone: outside version control unless `--allow-no-vcs` (as
/// `cargo fix` does), over uncommitted changes unless `--allow-dirty`. Temporary files of an interrupted
/// `--apply` are not changes: stale ones are removed, those of a running suture left alone.
fn refuse_unsafe_write(root: &Path, allow_dirty: bool, allow_no_vcs: bool) -> Result<()> {
    let start = if root.is_file() {
        root.parent().unwrap_or(Path::new("."))
    } else {
        root
    };
    let Some(repo) = git::discover(start) else {
        if allow_no_vcs {
            return Ok(());
        }
        bail!(
            "`{}` is not in a git repository, so the fixes could not be undone; commit it to git first, or pass --allow-no-vcs",
            root.display()
        );
    };
    if allow_dirty {
        return Ok(());
    }
    let mut dirty = repo.dirty_files()?;
    dirty.retain(|file| {
        let path = repo.path().join(file);
        match pipeline::stale_temp_file(&path) {
            None => true,
            Some(stale) => {
                if stale {
                    let _ = std::fs::remove_file(&path);
                }
                false
            }
        }
    });
    if !dirty.is_empty() {
        let shown: Vec<&str> = dirty.iter().take(5).map(String::as_str).collect();
        let more = if dirty.len() > 5 {
            format!(" and {} more", dirty.len() - 5)
        } else {
            String::new()
        };
        bail!(
            "the git tree has uncommitted changes ({}{more}); commit or stash them, or pass --allow-dirty",
            shown.join(", ")
        );
    }
    Ok(())
}

fn apply(report: &FixReport, interactive: bool) -> Result<Vec<(String, usize)>> {
    if !interactive {
        return pipeline::apply_fixes(report, |_| Ok(true));
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut all = false;
    let mut quit = false;
    pipeline::apply_fixes(report, |fix| {
        if quit {
            return Ok(false);
        }
        if all {
            return Ok(true);
        }
        eprint!(
            "{}:{}: [{}] confidence {:.2}\n{}apply this fix? [y]es/[n]o/[a]ll/[q]uit ",
            fix.file, fix.start.line, fix.pattern, fix.confidence, fix.diff
        );
        std::io::stderr().flush().ok();
        let answer = match lines.next() {
            Some(line) => line.context("cannot read the answer")?,
            None => "q".to_owned(),
        };
        match answer.trim() {
            "y" | "yes" => Ok(true),
            "a" | "all" => {
                all = true;
                Ok(true)
            }
            "q" | "quit" => {
                quit = true;
                Ok(false)
            }
            _ => Ok(false),
        }
    })
}

fn print_report(
    report: &FixReport,
    format: FixFormat,
    write: bool,
    applied: &[(String, usize)],
    verbose: bool,
) -> Result<()> {
    match format {
        FixFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&pipeline::to_json(report, !applied.is_empty()))?
        ),
        FixFormat::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&pipeline::to_sarif(report))?
        ),
        FixFormat::Diff => {
            for file in &report.files {
                print!(
                    "{}",
                    patch::unified_diff(&file.file, &file.original, &file.patched)
                );
            }
        }
        FixFormat::Text => {
            let mut fixes: Vec<_> = report.fixes().collect();
            fixes.sort_by_key(|f| f.rank);
            for fix in &fixes {
                println!(
                    "{}:{}:{}: fix #{} [{}] confidence {} ({}, {}, score {:.2}){}",
                    fix.file,
                    fix.start.line,
                    fix.start.column,
                    fix.rank,
                    fix.pattern,
                    fix.confidence,
                    fix.basis,
                    fix.validation.describe(),
                    fix.score.get(),
                    if fix.round > 1 {
                        " (nested, found after an earlier fix)"
                    } else {
                        ""
                    }
                );
                println!("  why: {}", fix.reason);
                print!("{}", fix.diff);
            }
            if verbose {
                for s in &report.skipped {
                    println!(
                        "skipped {}:{} [{}]: {}",
                        s.file, s.line, s.pattern, s.reason
                    );
                }
            } else {
                let mut kinds: std::collections::BTreeMap<&str, usize> =
                    std::collections::BTreeMap::new();
                for s in &report.skipped {
                    *kinds.entry(s.reason.summary()).or_default() += 1;
                }
                for (reason, n) in kinds {
                    println!("skipped {n} candidates: {reason} (--verbose lists them)");
                }
            }
            if report.below_threshold > 0 {
                println!(
                    "{} candidates below --min-confidence were not proposed",
                    report.below_threshold
                );
            }
            for s in &report.skipped_files {
                println!("skipped file {}: {}", s.file, s.reason);
            }
            for s in report
                .skipped
                .iter()
                .filter(|s| s.reason.code() == "does-not-compile")
                .filter(|_| !verbose)
            {
                println!(
                    "backed out {}:{} [{}]: {}",
                    s.file, s.line, s.pattern, s.reason
                );
            }
            if let Some(v) = &report.validation {
                if v.checked {
                    println!(
                        "checked with `cargo check{}`: {} runs in {:.1} s ({:.1} s for the tree without fixes); {} fixes backed out{}",
                        if v.mode == pipeline::ValidateMode::Test {
                            "` and `cargo test"
                        } else {
                            ""
                        },
                        v.runs,
                        v.seconds,
                        v.baseline_seconds,
                        v.backed_out,
                        if v.formatted.is_empty() {
                            String::new()
                        } else {
                            format!("; rustfmt formatted {}", v.formatted.join(", "))
                        }
                    );
                } else if let Some(reason) = &v.reason {
                    println!("{reason}");
                }
                for note in &v.notes {
                    println!("note: {note}");
                }
            }
            let n_files = report.files.len();
            let summary = format!(
                "{} fixes in {} files ({} files scanned, {} patterns, {} candidates skipped)",
                fixes.len(),
                n_files,
                report.files_scanned,
                report.patterns,
                report.skipped.len()
            );
            if write {
                let n: usize = applied.iter().map(|(_, n)| n).sum();
                println!("{summary}; applied {n} fixes to {} files", applied.len());
            } else if fixes.is_empty() {
                println!("{summary}");
            } else {
                println!("{summary}; dry run, nothing written (use --apply)");
            }
        }
    }
    Ok(())
}

/// Reads a file, or stdin for `-`.
fn read_source(source: &str) -> Result<String> {
    if source == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .context("cannot read stdin")?;
        Ok(text)
    } else {
        let bytes = std::fs::read(source).with_context(|| format!("cannot read `{source}`"))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
