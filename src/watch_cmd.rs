//! `suture watch LOG…`: production panics grouped into incidents, and with `--heal` a regression test and a
//! validated fix for each new or escalating one.
//!
//! Exit codes: 0 no group needs attention (all steady, or every one that did was fixed with `--apply`); 1 a
//! group is new, escalating or regressed and was not fixed; 2 error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pipeline::{
    GroupReport, HealGroupOutcome, HealOptions, LogInput, WatchHeal, WatchOptions, WatchReport,
};
use watch::Status;

use crate::Format;

pub(crate) const EXAMPLES: &str = "Examples:
  suture watch /var/log/shop.log               group the panics, mark new / escalating / regressed
  kubectl logs deploy/shop | suture watch -    read standard input
  suture watch shop.log --rev v1.4.2           map frames onto the sources the binary was built from
  suture watch shop.log --follow               keep reading as the file grows (tail -f)
  suture watch shop.log --heal                 write a regression test per new or escalating group,
                                               heal with it, show the fix and the test
  suture watch shop.log --heal --apply         ... and write both when validated and allowed
  suture watch shop.log --format json

Logs: plain stderr (with or without an RFC 3339 timestamp per line), RUST_BACKTRACE=1/full
backtraces, and JSON lines (tracing's JSON format, the panic in `message` or `panic.*` fields).
A group is the panic kind plus the in-app frames (files of the repository at --rev), each named by its
enclosing function, so edits above a panic do not split its group. Counts are kept per hour in
.suture/suture.db; a group escalates when this hour's count beats its own baseline (mean + 5σ of
the hourly counts of the week before, between 5× and 8× the mean, at least 10; see README).
Files are read from where the last run stopped (--from-start reads them again).
Every step is recorded in the audit trail: `suture log`.";

#[derive(clap::Args)]
pub(crate) struct WatchArgs {
    /// Log files to read; `-` is standard input.
    #[arg(value_name = "LOG|-", required = true)]
    logs: Vec<String>,
    /// The repository the logged binary was built from (default: the current directory).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// The revision the binary was built from: frames are mapped onto its files.
    #[arg(long, default_value = "HEAD")]
    rev: String,
    /// Keep reading the files as they grow, reporting the groups new events touch.
    #[arg(long)]
    follow: bool,
    /// With --follow: stop after this many seconds (default: run until interrupted).
    #[arg(long, value_name = "SECS", requires = "follow")]
    follow_for: Option<u64>,
    /// "Now" for the statuses, RFC 3339 (default: the newest event read).
    #[arg(long)]
    now: Option<String>,
    /// Read every file from its start, ignoring where earlier runs stopped (their events count again).
    #[arg(long)]
    from_start: bool,
    /// Write a regression test for each new or escalating group and heal with it.
    #[arg(long)]
    heal: bool,
    /// With --heal: write the validated fix and its test when the policy allows applying it.
    #[arg(long, requires = "heal")]
    apply: bool,
    /// The policy environment (default: `env` in suture.toml, else `local`).
    #[arg(long)]
    env: Option<String>,
    /// Pattern library directories instead of the defaults (repeatable).
    #[arg(long = "patterns", value_name = "DIR")]
    patterns: Vec<PathBuf>,
    /// Seconds each cargo run may take.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Most groups healed in one run.
    #[arg(long, default_value_t = 5)]
    max_groups: usize,
    /// Most argument combinations tried to reproduce one panic.
    #[arg(long, default_value_t = 128)]
    max_probes: usize,
    /// Most candidate fixes validated per group.
    #[arg(long, default_value_t = 5)]
    max_candidates: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(args: WatchArgs) -> Result<ExitCode> {
    let root = std::fs::canonicalize(&args.repo)
        .with_context(|| format!("`{}` does not exist", args.repo.display()))?;
    let inputs: Vec<LogInput> = args
        .logs
        .iter()
        .map(|l| {
            if l == "-" {
                LogInput::Stdin
            } else {
                LogInput::File(PathBuf::from(l))
            }
        })
        .collect();
    if inputs.iter().filter(|i| **i == LogInput::Stdin).count() > 1 {
        bail!("`-` (standard input) can be given once");
    }
    for input in &inputs {
        if let LogInput::File(path) = input
            && !path.is_file()
        {
            bail!("log `{}` is not a file", path.display());
        }
    }
    let now = match &args.now {
        Some(text) => Some(
            watch::time::parse_prefix(text.trim())
                .filter(|(_, len)| *len == text.trim().len())
                .map(|(t, _)| t)
                .with_context(|| {
                    format!("--now `{text}` is not an RFC 3339 time (2026-12-01T10:00:00Z)")
                })?,
        ),
        None => None,
    };
    let library = crate::fix_cmd::load_library(&root, &args.patterns)?;
    let mut store = store::open(&root.join(".suture/suture.db"))?;
    pipeline::ignore_dir(&root.join(".suture"));
    let heal = if args.heal {
        let settings = pipeline::load_settings(&root)?;
        let env = args.env.clone().unwrap_or(settings.env);
        settings.policy.thresholds_for(&env, "")?;
        Some(WatchHeal {
            options: HealOptions {
                command: Vec::new(),
                env,
                policy: settings.policy,
                apply: args.apply,
                timeout: Duration::from_secs(args.timeout),
                max_candidates: args.max_candidates,
                target_dir: root.join("target/suture"),
                model: crate::calibrate_cmd::model(None)?,
            },
            max_groups: args.max_groups,
            max_probes: args.max_probes,
        })
    } else {
        None
    };
    let options = WatchOptions {
        rev: args.rev.clone(),
        now,
        rule: watch::Rule::default(),
        from_start: args.from_start,
        heal,
    };
    if args.follow {
        if args.heal {
            bail!(
                "--follow and --heal do not combine yet: run `suture watch LOG --heal` on a schedule"
            );
        }
        let files: Vec<PathBuf> = inputs
            .iter()
            .map(|i| match i {
                LogInput::File(p) => Ok(p.clone()),
                LogInput::Stdin => {
                    bail!("--follow reads files; standard input is read to its end without it")
                }
            })
            .collect::<Result<_>>()?;
        let until = args
            .follow_for
            .map(|s| Instant::now() + Duration::from_secs(s));
        let format = args.format;
        pipeline::follow(
            &root,
            &files,
            &mut store,
            &options,
            Duration::from_millis(500),
            until,
            &mut |report| {
                match format {
                    Format::Json => println!("{}", serde_json::to_string(&json(report, false))?),
                    Format::Text => print_groups(report),
                }
                Ok(())
            },
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let bars = crate::Bars::default();
    let report = pipeline::watch(&root, &inputs, &library, &mut store, &options, &bars)?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json(&report, args.heal))?
        ),
        Format::Text => print_report(&report),
    }
    let open = report.groups.iter().any(|g| {
        g.status != Status::Steady
            && !report
                .healed
                .iter()
                .any(|h| h.fingerprint == g.fingerprint && h.outcome == HealGroupOutcome::Applied)
    });
    Ok(if open {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn json(report: &WatchReport, healed: bool) -> serde_json::Value {
    let mut value = serde_json::json!({ "version": 1, "groups": report.groups });
    if healed {
        value["healed"] = serde_json::to_value(&report.healed).unwrap_or_default();
    }
    value
}

fn print_groups(report: &WatchReport) {
    for g in &report.groups {
        print_group(g);
    }
}

fn print_group(g: &GroupReport) {
    println!(
        "{:<10} {} {} ×{} ({} this hour, limit {:.1} over {} h; {} read in this run) first {} last {}",
        g.status.name(),
        g.fingerprint,
        g.kind,
        g.count,
        g.baseline.window,
        g.baseline.limit,
        g.baseline.hours,
        g.read,
        g.first_seen,
        g.last_seen
    );
    println!("           {}", g.message);
    for f in &g.frames {
        println!(
            "           at {}:{} in {}",
            f.file,
            f.line,
            f.function.as_deref().unwrap_or("?")
        );
    }
    if g.frames.is_empty() {
        println!("           no frame in this workspace");
    }
}

fn print_report(report: &WatchReport) {
    println!(
        "read {} panics ({} partial) in {} bytes; now {}",
        report.events,
        report.partial_events,
        report.bytes,
        watch::time::format(report.now)
    );
    print_groups(report);
    for h in &report.healed {
        println!("heal {}: {:?}: {}", h.fingerprint, h.outcome, h.why);
        if let Some(t) = &h.test {
            println!(
                "  regression test {} in {} (reproduced by `{}`, {} probes):",
                t.name, t.file, t.call, t.probes
            );
            for line in t.text.trim_start_matches('\n').lines() {
                println!("  | {line}");
            }
        }
        if let Some(heal) = &h.heal
            && let Some(a) = heal.attempts.iter().find(|a| a.passed)
        {
            println!(
                "  fix {}:{} [{}] confidence {:.2}:",
                a.fix.file, a.fix.start.line, a.fix.pattern, a.confidence
            );
            for line in a.fix.diff.lines() {
                println!("  {line}");
            }
        }
        for file in &h.written {
            println!("  wrote {file}");
        }
        if let Some(heal) = &h.heal {
            println!("  heal's audit trail: suture log --run {}", heal.run);
        }
    }
    println!("audit trail: suture log --run {}", report.run);
}
