//! `suture pr`: flags and environment → `app::pr` options → one run of the scheduled fix-PR job → text or
//! JSON report and exit code.
//!
//! The token comes from `--token` or `GITHUB_TOKEN` and is only ever handed to the GitHub client: it is not
//! part of any message, report or error (clap's `env` feature is not used, so `--help` cannot show its
//! value either). Exit codes: 0 the run finished (PRs opened, updated or nothing to do), 2 an error, including
//! a run that finished but failed for some groups.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use app::pr::{Action, PrOptions, PrReport, RevertAction, Validation};
use clap::ValueEnum;

pub(crate) const EXAMPLES: &str = "Examples:
  suture pr --repo acme/widgets                  open or update one fix PR per pattern (GITHUB_TOKEN)
  suture pr --dry-run                            say what it would do; only GET requests are sent
  suture pr --max-open 3 --max-per-run 1         at most 3 suture PRs open, at most 1 new one per run
  suture pr --database-url postgres://suture@db/suture   share the store with `suture serve`
  suture pr --no-validate --format json          skip `cargo check`, machine-readable report

Environment: GITHUB_REPOSITORY (for --repo), GITHUB_TOKEN (or --token-file; never printed), GITHUB_API_URL
(for --api-url), DATABASE_URL (for --database-url). In a workflow these are set for you; see
docs/github.md and .github/workflows/suture-pr.yml. Exit codes: 0 done, 2 error.";

#[derive(clap::Args)]
pub(crate) struct PrArgs {
    /// The local checkout of the default branch (default: the current directory).
    path: Option<PathBuf>,
    /// The GitHub repository, OWNER/NAME (default: $GITHUB_REPOSITORY).
    #[arg(long, value_name = "OWNER/NAME")]
    repo: Option<String>,
    /// A file holding the token (allowed to write contents and pull requests); default: $GITHUB_TOKEN.
    /// Never printed.
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    token_file: Option<PathBuf>,
    /// The token itself. Discouraged: a command line is visible to every user of the machine (`ps`) and
    /// lands in shell history; prefer $GITHUB_TOKEN or --token-file. Kept so that existing scripts work.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// The REST API root (default: $GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Most suture PRs open at once; new groups beyond it are skipped and reported.
    #[arg(long, default_value_t = 5)]
    max_open: usize,
    /// Most new PRs one run opens.
    #[arg(long, default_value_t = 2)]
    max_per_run: usize,
    /// Propose only fixes at least this likely to be right (0 to 1), the pattern's merge record counted as
    /// evidence. Higher than `suture fix`'s default: nobody asked for these pull requests.
    #[arg(long, default_value_t = app::pr::DEFAULT_MIN_PROBABILITY)]
    min_confidence: f64,
    #[command(flatten)]
    calibration: crate::calibrate_cmd::CalibrationArg,
    /// Pattern library directories to use instead of the defaults: the checkout's history learned first
    /// (as `suture fix` does; a migration becomes one PR), then the shipped library.
    #[arg(long = "patterns", value_name = "DIR")]
    patterns: Vec<PathBuf>,
    /// Do not learn from the checkout's history (a shallow checkout has little to learn from).
    #[arg(long)]
    no_history: bool,
    /// The store: postgres://…, sqlite://PATH or a path (default: $DATABASE_URL, else PATH/.suture/server.db).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Print what would happen; send no write request to GitHub and write nothing to the store.
    #[arg(long)]
    dry_run: bool,
    /// Open PRs without running `cargo check` on each group first.
    #[arg(long)]
    no_validate: bool,
    /// Seconds `cargo check` may take per group.
    #[arg(long, default_value_t = 600)]
    validate_timeout: u64,
    /// Output: text or JSON.
    #[arg(long, value_enum, default_value_t = PrFormat::Text)]
    format: PrFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PrFormat {
    Text,
    Json,
}

pub(crate) fn run(args: PrArgs) -> Result<ExitCode> {
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if !root.is_dir() {
        bail!("`{}` is not a directory", root.display());
    }
    let repo = match args.repo.clone().or_else(|| env("GITHUB_REPOSITORY")) {
        Some(repo) => repo
            .parse()
            .with_context(|| format!("--repo {repo:?} (or GITHUB_REPOSITORY)"))?,
        None => bail!("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY"),
    };
    let from_file = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --token-file `{}`", path.display()))?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let Some(token) = from_file
        .or_else(|| args.token.clone())
        .or_else(|| env("GITHUB_TOKEN"))
        .filter(|t| !t.is_empty())
    else {
        bail!(
            "no token: set GITHUB_TOKEN or pass --token-file FILE (it needs contents and pull-requests write)"
        );
    };
    let api_url = args
        .api_url
        .clone()
        .or_else(|| env("GITHUB_API_URL"))
        .unwrap_or_else(|| "https://api.github.com".to_owned());
    let say = |what: &str| eprintln!("suture: {what}");
    let history = crate::fix_cmd::History {
        learn: (args.patterns.is_empty() && !args.no_history).then_some(&say as &dyn Fn(&str)),
        all: false,
    };
    let library = crate::fix_cmd::load_library_with(&root, &args.patterns, history)?;
    let options = PrOptions {
        validation: if args.no_validate {
            Validation::Off
        } else {
            Validation::CargoCheck {
                timeout: Duration::from_secs(args.validate_timeout),
                target_dir: root.join("target/suture"),
            }
        },
        root,
        repo,
        api_url,
        token,
        database_url: args.database_url.clone().or_else(|| env("DATABASE_URL")),
        max_open: args.max_open,
        max_per_run: args.max_per_run,
        min_confidence: args.min_confidence,
        model: args.calibration.model()?,
        dry_run: args.dry_run,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(app::pr::run(&options, &library))?;
    match args.format {
        PrFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        PrFormat::Text => print_text(&report),
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// A set, non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn print_text(report: &PrReport) {
    let (open, update) = if report.dry_run {
        ("would open", "would update")
    } else {
        ("opened", "updated")
    };
    let at = if report.checkout_sha == report.base_sha {
        format!(
            "{} ({})",
            short(&report.checkout_sha),
            report.default_branch
        )
    } else {
        format!(
            "{} ({} is at {} on GitHub)",
            short(&report.checkout_sha),
            report.default_branch,
            short(&report.base_sha)
        )
    };
    println!(
        "{}: {} in {} scanned at {at}{}",
        report.repo,
        count(report.fixes_found, "fix", "fixes"),
        count(report.files_scanned, "file", "files"),
        if report.dry_run {
            "; dry run, nothing written"
        } else {
            ""
        }
    );
    for group in &report.groups {
        let what = match group.action {
            Action::Opened => open.to_owned(),
            Action::Updated => update.to_owned(),
            Action::UpToDate => "up to date".to_owned(),
            Action::HumanEdited => "left alone (human push)".to_owned(),
            Action::Ignored => "ignored".to_owned(),
            Action::Skipped => "skipped".to_owned(),
            Action::ValidationFailed => "not opened (validation failed)".to_owned(),
            Action::Failed => "FAILED".to_owned(),
        };
        let pr = group
            .url
            .clone()
            .or_else(|| group.pr.map(|n| format!("#{n}")))
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        println!(
            "[{}] {} in {}, confidence {:.2}: {what}{pr}: {}",
            group.pattern,
            count(group.fixes, "fix", "fixes"),
            count(group.files.len(), "file", "files"),
            group.confidence,
            group.reason
        );
        if let Some(validation) = &group.validation {
            println!("  validation: {validation}");
        }
    }
    for revert in &report.reverts {
        let what = match revert.action {
            RevertAction::Opened => format!("revert {open}"),
            RevertAction::AlreadyOpened => "revert already open".to_owned(),
            RevertAction::Failed => "revert FAILED".to_owned(),
        };
        let pr = revert.pr.map(|n| format!(" #{n}")).unwrap_or_default();
        println!("[#{}] {what}{pr}: {}", revert.of, revert.reason);
    }
    if report.ignored_fixes > 0 {
        println!(
            "{} fixes were ignored with `@suture ignore`",
            report.ignored_fixes
        );
    }
    if report.below_threshold > 0 {
        println!(
            "{} fixes below --min-confidence were not proposed",
            report.below_threshold
        );
    }
    if report.nested_left > 0 {
        println!(
            "{} nested fixes are left for a later run (they apply inside another fix)",
            report.nested_left
        );
    }
    for note in &report.notes {
        println!("note: {note}");
    }
    for error in &report.errors {
        eprintln!("error: {error}");
    }
    if report.groups.is_empty() && report.reverts.is_empty() {
        println!("nothing to do");
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
