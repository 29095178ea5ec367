//! `suture heal -- CMD…` and `suture log`: the self-healing loop and its audit trail.
//!
//! Exit codes of `heal`: 0 nothing to heal, or a validated fix was applied; 1 the failure remains (fixes may
//! be proposed); 2 error (the command cannot run, bad configuration, …).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use pipeline::{HealOptions, HealOutcome, HealReport};

use crate::Format;

pub(crate) const EXAMPLES: &str = "Examples:
  suture heal -- cargo test                      run the tests, fix what panics, validate, report
  suture heal --env staging --apply -- cargo test   apply a validated fix the staging policy allows
  suture heal --format json -- cargo nextest run
  suture heal -- cargo run -- input.txt          a program that panics: a regression test is written
                                                 for the panic (a call that reproduces it) and run too

The command runs once in your tree (with RUST_BACKTRACE=1); each candidate fix is validated by
re-running it in a scratch git worktree, never in your tree. The policy comes from suture.toml
([policy], or policy_json = \"policy.json\" in the seed's shape); the defaults are the seed's.
Every step is recorded in the audit trail: `suture log`.";

#[derive(clap::Args)]
pub(crate) struct HealArgs {
    /// The repository to heal (default: the current directory).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// The policy environment (default: `env` in suture.toml, else `local`, a developer's own tree).
    #[arg(long)]
    env: Option<String>,
    /// Write a validated fix when the policy allows applying it.
    #[arg(long)]
    apply: bool,
    /// Pattern library directories instead of the defaults (repeatable).
    #[arg(long = "patterns", value_name = "DIR")]
    patterns: Vec<PathBuf>,
    /// Seconds each run of the command may take before its process group is killed.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Most candidate fixes to validate.
    #[arg(long, default_value_t = 5)]
    max_candidates: usize,
    /// Output: text or versioned JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The command to run and re-run, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

pub(crate) fn run(args: HealArgs) -> Result<ExitCode> {
    let root = std::fs::canonicalize(&args.repo)
        .with_context(|| format!("`{}` does not exist", args.repo.display()))?;
    let library = crate::fix_cmd::load_library(&root, &args.patterns)?;
    let settings = pipeline::load_settings(&root)?;
    let env = args.env.unwrap_or(settings.env);
    let policy = settings.policy;
    policy.thresholds_for(&env, "")?;
    let mut store = store::open(&root.join(".suture/suture.db"))?;
    pipeline::ignore_dir(&root.join(".suture"));
    let options = HealOptions {
        command: args.command,
        env,
        policy,
        apply: args.apply,
        timeout: Duration::from_secs(args.timeout),
        max_candidates: args.max_candidates,
        target_dir: root.join("target/suture"),
        model: crate::calibrate_cmd::model(None)?,
    };
    let report = pipeline::heal(&root, &library, &mut store, &options)?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "report": report }))?
        ),
        Format::Text => print_report(&report),
    }
    Ok(match report.outcome {
        HealOutcome::NothingToHeal | HealOutcome::Applied => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

fn print_report(report: &HealReport) {
    let run = &report.first_run;
    let status = if run.passed {
        format!("passed in {:.1} s", run.seconds)
    } else if run.timed_out {
        format!("timed out after {:.1} s", run.seconds)
    } else {
        format!(
            "failed (exit code {}) in {:.1} s",
            run.exit_code.map_or("none".to_owned(), |c| c.to_string()),
            run.seconds
        )
    };
    println!("ran `{}`: {status}", report.command.join(" "));
    for (i, f) in report.failures.iter().enumerate() {
        let test = f.test.as_deref().unwrap_or("(no test name)");
        println!(
            "failure {}: {test}: {} [{}]",
            i + 1,
            f.message.lines().next().unwrap_or(""),
            f.kind
        );
        for l in &f.path {
            println!("  at {}:{} ({})", l.file, l.line, l.source);
        }
        if f.path.is_empty() {
            println!("  no frame in this workspace");
        }
    }
    if let Some(t) = &report.regression_test {
        println!(
            "regression test written for the panic (the command is not a test): {} in {}, calling `{}` (found among {} probe calls); with --apply it is written beside the fix:",
            t.name, t.file, t.call, t.probes
        );
        for line in t.text.trim_start_matches('\n').lines() {
            println!("     + {line}");
        }
    }
    if !report.attempts.is_empty() {
        println!("candidates validated by re-running the command in a scratch worktree:");
    }
    for (i, a) in report.attempts.iter().enumerate() {
        let verdict = if a.passed {
            format!(
                "passed; confidence {} after validation ({})",
                a.confidence, a.fix.basis
            )
        } else if a.run.timed_out {
            "backed out: timed out".to_owned()
        } else {
            format!(
                "backed out: validation failed (exit code {})",
                a.run.exit_code.map_or("none".to_owned(), |c| c.to_string())
            )
        };
        let frame = frame_of(&a.fix);
        println!(
            "  {}. {}:{}{frame} [{}] confidence {:.2}: {verdict}",
            i + 1,
            a.fix.file,
            a.fix.start.line,
            a.fix.pattern,
            a.fix.confidence
        );
        if let Some(effect) = a.fix.effect {
            println!("     effect: {}", effect.label());
        }
        for step in &a.steps {
            println!("     - {step}");
        }
        println!("     validation {}", a.checks.summary);
        for line in a.fix.diff.lines() {
            println!("     {line}");
        }
        if !a.passed {
            for line in a
                .output_tail
                .lines()
                .rev()
                .take(6)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                println!("     | {line}");
            }
        }
    }
    if !report.not_tried.is_empty() {
        println!(
            "not tried ({} more candidates, ranked below the first --max-candidates):",
            report.not_tried.len()
        );
    }
    for fix in &report.not_tried {
        println!(
            "  {}:{}{} [{}] confidence {:.2}",
            fix.file,
            fix.start.line,
            frame_of(fix),
            fix.pattern,
            fix.confidence
        );
    }
    if let Some(d) = report.decision {
        println!("decision: {d:?}");
    }
    println!("outcome: {:?}: {}", report.outcome, report.explanation);
    println!("audit trail: suture log --run {}", report.run);
}

/// The examples of `suture log --help`.
pub(crate) const LOG_EXAMPLES: &str = "Examples:
  suture log                        the most recent run of `suture heal` here: every step, in order
  suture log --all 50               the last 50 rows over all runs
  suture log --run RUN --format json  one run, machine-readable (the run ids are in the text output)

The audit trail lives in REPO/.suture/suture.db, written by `suture heal`.";

#[derive(clap::Args)]
pub(crate) struct LogArgs {
    /// The repository whose store to read (default: the current directory).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// One run's rows (default: the most recent run).
    #[arg(long)]
    run: Option<String>,
    /// Rows of every run, most recent last, at most this many.
    #[arg(long)]
    all: Option<usize>,
    /// Output: text or versioned JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn log(args: LogArgs) -> Result<ExitCode> {
    let db = args.repo.join(".suture/suture.db");
    if !db.exists() {
        anyhow::bail!(
            "no audit trail: `{}` does not exist (run `suture heal` first)",
            db.display()
        );
    }
    let store = store::open(&db)?;
    let rows = match (&args.all, &args.run) {
        (Some(n), _) => store.audit(None, *n)?,
        (None, Some(run)) => store.audit(Some(run), usize::MAX >> 1)?,
        (None, None) => match store.last_run()? {
            Some(run) => store.audit(Some(&run), usize::MAX >> 1)?,
            None => Vec::new(),
        },
    };
    match args.format {
        Format::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "run": r.entry.run, "at": r.entry.at, "step": r.entry.step,
                        "actor": r.entry.actor, "subject": r.entry.subject, "reason": r.entry.reason,
                        "commit": r.entry.commit,
                        "data": serde_json::from_str::<serde_json::Value>(&r.entry.data).unwrap_or_default(),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "rows": list }))?
            );
        }
        Format::Text => {
            for r in &rows {
                println!(
                    "{:>5} {} {:<10} {:<40} {}",
                    r.id, r.entry.run, r.entry.step, r.entry.subject, r.entry.reason
                );
            }
            if rows.is_empty() {
                println!("the audit trail is empty");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where on the failing path a fix is, as the text output says it.
fn frame_of(fix: &pipeline::Fix) -> String {
    match &fix.step {
        Some(s) if s.position == 0 => " at the panic site".to_owned(),
        Some(s) => format!(" at caller #{}", s.position),
        None => String::new(),
    }
}
