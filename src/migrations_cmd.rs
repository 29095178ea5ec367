//! `suture migrations`: the migrations a repository's history shows, with their progress, and how many of
//! their remaining sites compile once changed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use pattern::{Migration, MigrationStatus};
use pipeline::{FixConfig, Library};

pub(crate) const EXAMPLES: &str = "Examples:
  suture migrations                     the migrations of the repository here, with their progress
  suture migrations ../app --format json
  suture migrations --validate none     count the remaining sites without compiling the fixes
  suture fix --apply                    finish them (migrations rank first among the fixes)

A migration is a change the history makes again and again, commit after commit, while sites of the
old form remain: its fixes are learned from the repository's own history (incrementally, as `suture
fix` does). A change a later commit undid is not one. Remaining sites are the old form's matches
now; each is changed in a scratch worktree and checked with `cargo check`.";

#[derive(clap::Args)]
pub(crate) struct MigrationsArgs {
    /// The repository (default: the current directory).
    path: Option<PathBuf>,
    /// How the remaining sites are checked once changed: `check` (cargo check in a scratch worktree) or
    /// `none` (only counted).
    #[arg(long, value_enum, default_value_t = Validate::Check)]
    validate: Validate,
    /// Seconds each cargo run of the check may take.
    #[arg(long, default_value_t = 900)]
    validate_timeout: u64,
    /// List finished migrations one by one too (text output counts them; JSON always lists all).
    #[arg(long)]
    all: bool,
    /// Output: text, or versioned JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Validate {
    None,
    Check,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// One migration as reported.
#[derive(serde::Serialize)]
struct Row {
    pattern: String,
    before: String,
    after: String,
    #[serde(flatten)]
    record: Migration,
    /// Sites of the old form in the tree now.
    remaining_now: usize,
    /// Of those, the ones whose fix compiles (`null` without a check).
    compiling: Option<usize>,
    progress: String,
}

pub(crate) fn run(args: MigrationsArgs) -> Result<ExitCode> {
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if !root.is_dir() {
        bail!("`{}` is not a directory", root.display());
    }
    let say = crate::fix_cmd::progress_notes(args.format == Format::Json);
    let history = crate::fix_cmd::History {
        learn: Some(&say),
        all: false,
    };
    let all = crate::fix_cmd::load_library_with(&root, &[], history)?;
    let mut library = Library::default();
    for (pattern, file) in all.patterns.into_iter().zip(all.files) {
        if pattern.migration.is_some() {
            library.add(pattern, file)?;
        }
    }
    let config = FixConfig {
        min_confidence: engine::Probability::new(0.0),
        max_rounds: 1,
        ..FixConfig::default()
    };
    let mut report = pipeline::propose_fixes(&root, &library, &config)?;
    // The old form's sites now, by pattern: every match before the check backs any out.
    let found: Vec<String> = report.fixes().map(|f| f.pattern.clone()).collect();
    let checked = args.validate == Validate::Check && !found.is_empty();
    if checked {
        let options = pipeline::CheckOptions {
            mode: pipeline::ValidateMode::Check,
            timeout: std::time::Duration::from_secs(args.validate_timeout),
            target_dir: std::fs::canonicalize(&root)
                .unwrap_or_else(|_| root.clone())
                .join("target/suture"),
            max_passes: 1,
            max_runs: 40,
        };
        pipeline::check_fixes(&root, &library, &config, &mut report, &options, &mut |w| {
            say(w)
        })?;
    }
    let compiled: Vec<&str> = report.fixes().map(|f| f.pattern.as_str()).collect();
    let mut rows: Vec<Row> = library
        .patterns
        .iter()
        .filter_map(|p| {
            let record = p.migration.clone()?;
            let remaining_now = found.iter().filter(|id| **id == p.id).count();
            let compiling = compiled.iter().filter(|id| **id == p.id).count();
            Some(Row {
                pattern: p.id.clone(),
                before: p.source.before.clone(),
                after: p.source.after.clone(),
                progress: pipeline::migration_progress(&record, remaining_now as u32),
                record,
                remaining_now,
                compiling: checked.then_some(compiling),
            })
        })
        .collect();
    // Going on first, then by how far along they are.
    rows.sort_by_key(|r| {
        (
            r.record.status != MigrationStatus::InProgress,
            r.remaining_now == 0,
        )
    });
    match args.format {
        Format::Json => {
            let json = serde_json::json!({ "version": 1, "migrations": rows });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        Format::Text => {
            if rows.is_empty() {
                println!("no migration in this repository's history");
            }
            let done = rows.iter().filter(|r| r.remaining_now == 0).count();
            for r in rows.iter().filter(|r| args.all || r.remaining_now > 0) {
                let status = if r.remaining_now == 0 {
                    "done"
                } else {
                    "in progress"
                };
                println!(
                    "{}  {}  =>  {}  [{}, {status}]",
                    r.pattern,
                    crate::one_line(&r.before, 50),
                    crate::one_line(&r.after, 50),
                    r.progress
                );
                let compiling = match r.compiling {
                    _ if r.remaining_now == 0 => String::new(),
                    Some(n) => format!("; {n} of them compile with the fix"),
                    None => "; not compile-checked (--validate none)".to_owned(),
                };
                println!("  {} sites left{compiling}", r.remaining_now);
                if !r.record.started_by.is_empty() {
                    let short: Vec<&str> = r
                        .record
                        .started_by
                        .iter()
                        .map(|c| &c[..c.len().min(10)])
                        .collect();
                    println!(
                        "  started by {}; authors: {}",
                        short.join(", "),
                        r.record.authors.join(", ")
                    );
                }
                if !r.record.deprecated.is_empty() {
                    println!("  deprecated: {}", r.record.deprecated.join(", "));
                }
            }
            if done > 0 && !args.all {
                println!(
                    "{done} finished migrations with no site left (--all lists them; a new use of the old form is still fixed)"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
