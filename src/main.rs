//! The `suture` command line: argument parsing, output formats and exit codes, nothing else.
//!
//! Every job lives in the `pipeline` crate; this file turns flags into options, draws progress bars on
//! stderr (only when it is a terminal), prints results on stdout as text or JSON, and maps failures to exit
//! code 2 with a one-line message that names the file, the line or the revision at fault.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use pipeline::{MineOptions, RepoSpec};

include!(concat!(env!("OUT_DIR"), "/shipped.rs"));

mod calibrate_cmd;
mod eval_cmd;
mod fix_cmd;
mod heal_cmd;
mod jobs_cmd;
mod migrations_cmd;
mod patterns_cmd;
mod pr_cmd;
mod progress;
mod serve_cmd;
mod watch_cmd;

use progress::Bars;

#[derive(Parser)]
#[command(
    name = "suture",
    version,
    about = "Learns how a team fixes Rust code from its git history, and applies the same fixes again",
    after_help = "Examples:\n  suture fix                            dry run: learns this history, then shows fixes as diffs\n  suture fix --apply                    write them (refuses a dirty git tree without --allow-dirty)
  suture migrations                     the migrations this repository's history started\n  suture mine .                         learn patterns from this repository's history\n  suture mine ../tokio --range v1.0.0..HEAD --out patterns/mined\n  suture patterns schema > pattern.schema.json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Learn fix patterns from git history and write a pattern library.
    #[command(
        after_help = "Examples:\n  suture mine                                  mine the repository in the current directory\n  suture mine ~/src/fd --range v8.0.0..v9.0.0  mine part of a history\n  suture mine a b c --min-repos 2 --out lib    one library from three repositories\n  suture mine . --format json                  machine-readable report\n\nMining is incremental: commits already mined (remembered in the SQLite store) are skipped, and the\nlibrary is rebuilt from every stored edit in range. Each skipped hunk is recorded with its reason."
    )]
    Mine(MineArgs),
    /// Find fixes in Rust code with a pattern library; a dry run unless --apply.
    #[command(after_help = fix_cmd::EXAMPLES)]
    Fix(fix_cmd::FixArgs),
    /// Run a failing command, fix what fails, validate each fix by re-running it, and report.
    #[command(after_help = heal_cmd::EXAMPLES)]
    Heal(heal_cmd::HealArgs),
    /// Measure like the paper: learn up to a commit, reproduce the later small fixes.
    #[command(after_help = eval_cmd::EXAMPLES)]
    Eval(eval_cmd::EvalArgs),
    /// Run the GitHub App: verify webhooks, queue them durably, review pull requests.
    #[command(after_help = serve_cmd::EXAMPLES)]
    Serve(serve_cmd::ServeArgs),
    /// Scheduled job: find fixes on the default branch and open or update one fix PR per pattern.
    #[command(after_help = pr_cmd::EXAMPLES)]
    Pr(pr_cmd::PrArgs),
    /// Fit the score → confidence map on `suture eval` runs and check it on others.
    #[command(after_help = calibrate_cmd::EXAMPLES)]
    Calibrate(calibrate_cmd::CalibrateArgs),
    /// Show the audit trail of suture's runs.
    #[command(after_help = heal_cmd::LOG_EXAMPLES)]
    Log(heal_cmd::LogArgs),
    /// Group production panics from logs; heal new or escalating groups with a regression test.
    #[command(after_help = watch_cmd::EXAMPLES)]
    Watch(watch_cmd::WatchArgs),
    /// The server's job queue: list jobs, retry dead ones, purge finished ones.
    #[command(subcommand, after_help = jobs_cmd::EXAMPLES)]
    Jobs(jobs_cmd::JobsCommand),
    /// The migrations this repository's history started, their progress, and what is left.
    #[command(after_help = migrations_cmd::EXAMPLES)]
    Migrations(migrations_cmd::MigrationsArgs),
    /// Inspect and test pattern libraries.
    #[command(subcommand, after_help = patterns_cmd::EXAMPLES)]
    Patterns(patterns_cmd::PatternsCommand),
}

#[derive(clap::Args)]
struct MineArgs {
    /// Repositories to mine (default: the current directory). Several repositories make one library.
    repos: Vec<PathBuf>,
    /// Commits to mine: `A..B`, or one revision meaning its whole history (default: HEAD).
    #[arg(long)]
    range: Option<String>,
    /// Where to write the library (default: REPO/.suture/patterns).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Fewest fix sites a pattern needs. Sites are weighted: within one commit, a site in a new file counts
    /// 1, a further site in the same file 1/2, and one commit at most --max-per-commit.
    #[arg(long, default_value_t = 2.0)]
    min_support: f64,
    /// Fewest distinct fixing commits a pattern needs (the shipped library asks for 3).
    #[arg(long, default_value_t = 1)]
    min_commits: u32,
    /// Most weight one commit's sites can add up to (a sweeping mechanical commit is capped).
    #[arg(long, default_value_t = 3.0)]
    max_per_commit: f64,
    /// Fewest distinct repositories a pattern's fixes must come from.
    #[arg(long, default_value_t = 1)]
    min_repos: u32,
    /// Fewest holes a pattern needs (1 keeps only general templates, as in the shipped library).
    #[arg(long, default_value_t = 0)]
    min_holes: u32,
    /// Keep every pattern whose after side introduces a name of the training code (renames). Off by
    /// default: several repositories make a cross-project library, where renames are refused; one
    /// repository's history keeps a rename only while it is a migration (`suture migrations`).
    #[arg(long)]
    keep_renames: bool,
    /// Name of each repository in provenance, in the order of REPOS (default: the directory name).
    #[arg(long = "name")]
    names: Vec<String>,
    /// The SQLite store (default: REPO/.suture/suture.db of the first repository).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Follow only first parents.
    #[arg(long)]
    first_parent: bool,
    /// Hunks changing more lines than this are not learned from.
    #[arg(long, default_value_t = 6)]
    max_hunk_lines: u32,
    /// Commits modifying more Rust files than this are sweeping changes, not fixes, and are skipped.
    #[arg(long, default_value_t = 10)]
    max_files: usize,
    /// Files larger than this many bytes (on either side of a change) are skipped with the reason.
    #[arg(long, default_value_t = 1 << 20)]
    max_file_bytes: usize,
    /// Output: a text summary, or JSON with the report and the library.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    // Every thread that parses, fixes or mines gets the stack the depth budget is sized for
    // (`syntax::STACK_BYTES`): this work thread instead of the 8 MiB main thread, rayon's pool, and the
    // server's runtime (`serve_cmd`).
    rayon::ThreadPoolBuilder::new()
        .stack_size(syntax::STACK_BYTES)
        .build_global()
        .expect("the global thread pool is built once, before any parallel work");
    std::thread::Builder::new()
        .name("suture".to_owned())
        .stack_size(syntax::STACK_BYTES)
        .spawn(run)
        .expect("cannot start the work thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn run() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        quiet_broken_pipe();
    }
    let result = match cli.command {
        Command::Mine(args) => mine(args),
        Command::Fix(args) => fix_cmd::run(args),
        Command::Heal(args) => heal_cmd::run(args),
        Command::Log(args) => heal_cmd::log(args),
        Command::Watch(args) => watch_cmd::run(args),
        Command::Eval(args) => eval_cmd::run(args),
        Command::Calibrate(args) => calibrate_cmd::run(args),
        Command::Patterns(command) => patterns_cmd::run(command),
        Command::Jobs(command) => jobs_cmd::run(command),
        Command::Migrations(args) => migrations_cmd::run(args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Pr(args) => pr_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader that goes away (`suture patterns list | head`) ends a command quietly, as it does `ls` or
/// `grep`: the default action of SIGPIPE, instead of Rust's ignoring it and `println!` panicking on the
/// broken pipe. Not for `serve`, whose sockets must never kill the process (they do not raise SIGPIPE anyway:
/// std and tokio send with MSG_NOSIGNAL).
fn quiet_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition, before any other thread of ours writes anything.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn mine(args: MineArgs) -> Result<ExitCode> {
    let repos = if args.repos.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.repos
    };
    if !args.names.is_empty() && args.names.len() != repos.len() {
        anyhow::bail!(
            "{} --name values given for {} repositories",
            args.names.len(),
            repos.len()
        );
    }
    let specs: Vec<RepoSpec> = repos
        .iter()
        .enumerate()
        .map(|(i, path)| RepoSpec {
            path: path.clone(),
            name: args.names.get(i).cloned(),
        })
        .collect();
    // Open the first repository before creating anything in it, so a wrong path creates no `.suture/`.
    let first = git::open(&repos[0])?;
    let suture_dir = first.path().join(".suture");
    // A store named on the command line goes where it says: a directory that does not exist is a typo to
    // report, not a tree to create (only the default `.suture/` is created).
    if let Some(dir) = args.db.as_deref().and_then(Path::parent)
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        anyhow::bail!(
            "the directory of --db `{}` does not exist; create it first",
            args.db.as_deref().unwrap_or(dir).display()
        );
    }
    let db = args.db.unwrap_or_else(|| suture_dir.join("suture.db"));
    let out = args.out.unwrap_or_else(|| suture_dir.join("patterns"));
    let mut store = store::open(&db)?;
    pipeline::ignore_dir(&suture_dir);
    let mut options = MineOptions {
        range: args.range,
        first_parent: args.first_parent,
        // A team's own history (one repository) is read for migrations; a cross-project library is not.
        migrations: (specs.len() == 1).then(mine::migration::MigrationConfig::default),
        ..MineOptions::default()
    };
    options.score.min_support = args.min_support;
    options.score.min_commits = args.min_commits;
    options.score.max_per_commit = args.max_per_commit;
    options.score.min_repos = args.min_repos;
    options.score.min_holes = args.min_holes;
    options.refuse.renames = !args.keep_renames;
    options.extract.max_hunk_lines = args.max_hunk_lines;
    options.limits.max_files = args.max_files;
    options.limits.max_file_bytes = args.max_file_bytes;
    let progress = Bars::default();
    let (library, report) = pipeline::mine_repos(&specs, &mut store, &options, &progress)?;
    let written = pipeline::write_library(&out, &library)
        .with_context(|| format!("cannot write the library to `{}`", out.display()))?;
    match args.format {
        Format::Json => {
            let json = serde_json::json!({
                "version": 1,
                "out": out,
                "db": db,
                "report": report,
                "written": written.written,
                "unchanged": written.unchanged,
                "removed": written.removed,
                "patterns": library,
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        Format::Text => {
            for r in &report.repos {
                if r.shallow {
                    eprintln!(
                        "warning: `{}` is a shallow clone: history before its shallow boundary is not mined (`git fetch --unshallow` fetches it)",
                        r.path.display()
                    );
                }
                println!(
                    "{}: {} commits in range, {} already mined, {} mined now: {} edits, {} hunks skipped",
                    r.name, r.commits, r.already_mined, r.mined_now, r.edits_now, r.skipped_now
                );
                for (reason, n) in r.skip_reasons.iter().take(5) {
                    println!("  skipped {n:>6}× {reason}");
                }
            }
            println!(
                "library: {} patterns from {} edits ({} clusters) -> {} ({} written, {} unchanged, {} removed)",
                report.patterns,
                report.edits,
                report.clusters,
                out.display(),
                written.written,
                written.unchanged,
                written.removed
            );
            for (reason, n) in &report.refused {
                println!("  refused {n:>6}× {reason}");
            }
            let m = &report.migrations;
            if m.in_progress + m.done + m.stalled > 0 {
                println!(
                    "  migrations: {} in progress, {} done, {} stalled (`suture migrations` lists them)",
                    m.in_progress, m.done, m.stalled
                );
            }
            if report.less_precise_levels > 0 {
                println!(
                    "  {} refinements not written: the level above them was as precise with one commit held out",
                    report.less_precise_levels
                );
            }
            for p in library.iter().take(10) {
                println!(
                    "  {:.3}  {}  {}  =>  {}  (support {})",
                    p.score,
                    p.id,
                    one_line(&p.before, 60),
                    one_line(&p.after, 60),
                    p.support
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A text on one line, cut to `max` characters with an ellipsis, for summaries.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > max {
        line.chars().take(max.saturating_sub(3)).collect::<String>() + "..."
    } else {
        line
    }
}
