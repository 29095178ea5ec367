//! `suture eval REPO --split REV`: learn up to REV, try to reproduce every later small fix, report the rates.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use pipeline::{EvalOptions, EvalReport, MineOptions};

use crate::{Bars, Format};

pub(crate) const EXAMPLES: &str = "Examples:
  suture eval ~/src/fd --split v8.0.0            learn up to v8.0.0, reproduce the small fixes after it
  suture eval . --split HEAD~200 --max-lines 2 --format json

A hunk is reproduced when a candidate, applied to the file before the commit, makes the hunk's lines
read as the human wrote them (whitespace aside). Figures are given over all small hunks, and over the
recurring ones: hunks whose edit anti-unifies with edits of at least two commits before the split
into a pattern the miner could learn. `--format json` also lists every top-1 candidate's raw score
and outcome: `suture calibrate` fits confidence on those samples.";

#[derive(clap::Args)]
pub(crate) struct EvalArgs {
    /// The repository to evaluate on.
    repo: PathBuf,
    /// The last commit to learn from; every later commit is a test.
    #[arg(long, required_unless_present = "commit_split")]
    split: Option<String>,
    /// Instead of a split in time: learn from half of the sites of every commit that makes one change at
    /// --min-sites sites or more (and from the rest of the history), and fix the other half.
    #[arg(long, conflicts_with = "split")]
    commit_split: bool,
    /// Fewest sites of one change in one commit for --commit-split to test it.
    #[arg(long, default_value_t = 4, requires = "commit_split")]
    min_sites: usize,
    /// Hunks changing more lines than this on either side are not evaluated.
    #[arg(long, default_value_t = 3)]
    max_lines: u32,
    /// Fewest weighted fix sites a learned pattern needs, as for `suture mine`.
    #[arg(long, default_value_t = 2.0)]
    min_support: f64,
    /// Fewest distinct fixing commits a learned pattern needs (2 was the rule before sites were counted).
    #[arg(long, default_value_t = 1)]
    min_commits: u32,
    #[command(flatten)]
    calibration: crate::calibrate_cmd::CalibrationArg,
    /// The SQLite store that caches the mining (default: REPO/.suture/suture.db).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Output: a text summary, or JSON (the input of `suture calibrate`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(args: EvalArgs) -> Result<ExitCode> {
    let repo = git::open(&args.repo)?;
    let db = args
        .db
        .unwrap_or_else(|| repo.path().join(".suture/suture.db"));
    let mut store = store::open(&db)?;
    let mut mine = MineOptions::default();
    mine.score.min_support = args.min_support;
    mine.score.min_commits = args.min_commits;
    if args.commit_split {
        let options = pipeline::SplitOptions {
            mine,
            min_sites: args.min_sites,
        };
        let r = pipeline::commit_split(&args.repo, &mut store, &options, &Bars::default())?;
        match args.format {
            Format::Json => println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "report": r }))?
            ),
            Format::Text => println!(
                "{} changes at >= {} sites in {} commits: learned {} patterns from the history minus \
                 {} held-out sites ({} training sites of those changes); fixed {} of {} ({:.1}%), \
                 {} false edits",
                r.changes,
                args.min_sites,
                r.commits,
                r.patterns,
                r.held_out,
                r.training_sites,
                r.fixed,
                r.held_out,
                100.0 * pipeline::eval::Rates::rate(r.fixed, r.held_out),
                r.false_edits
            ),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let options = EvalOptions {
        split: args.split.unwrap_or_default(),
        max_lines: args.max_lines,
        mine,
        top: 5,
        calibration: args.calibration.load()?,
    };
    let report = pipeline::evaluate(&args.repo, &mut store, &options, &Bars::default())?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "report": report }))?
        ),
        Format::Text => print_report(&report),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &EvalReport) {
    println!(
        "learned {} patterns from {} commits up to {}; evaluated {} later commits",
        r.patterns,
        r.training_commits,
        &r.split[..12.min(r.split.len())],
        r.test_commits
    );
    println!(
        "{:<10} {:>6} {:>14} {:>14} {:>12} {:>10}",
        "subset", "hunks", "top-1", "top-5", "no cand.", "precision"
    );
    for (name, rates) in [("all", &r.all), ("recurring", &r.recurring)] {
        let pct = |n: usize| {
            format!(
                "{n} ({:.1}%)",
                100.0 * pipeline::eval::Rates::rate(n, rates.hunks)
            )
        };
        println!(
            "{:<10} {:>6} {:>14} {:>14} {:>12} {:>9.1}%",
            name,
            rates.hunks,
            pct(rates.top1),
            pct(rates.top5),
            rates.no_candidate,
            100.0 * pipeline::eval::Rates::rate(rates.top1, rates.proposed)
        );
    }
    let c = &r.case_seconds;
    println!(
        "time per case ({} cases, after learning): median {:.3} s, p90 {:.3} s, max {:.3} s",
        c.cases, c.median, c.p90, c.max
    );
    if !r.misses.is_empty() {
        println!(
            "a sample of misses (recurring first; `--format json` has {}):",
            r.misses.len()
        );
        for m in r.misses.iter().take(10) {
            let best = m
                .best
                .as_deref()
                .map(|t| crate::one_line(t, 60))
                .unwrap_or_else(|| "(no candidate)".to_owned());
            let commit = &m.commit[..10.min(m.commit.len())];
            println!(
                "  {commit} {}:{}: human `{}`, best `{best}`",
                m.file,
                m.line,
                crate::one_line(&m.human, 60)
            );
        }
    }
    println!(
        "calibration of top-1 candidates (expected calibration error {:.3}; raw score {:.3}):",
        r.ece, r.ece_raw
    );
    for b in r.calibration.iter().filter(|b| b.n > 0) {
        println!(
            "  [{:.1}, {:.1})  n={:<5} mean confidence {:.2}  accuracy {:.2}",
            b.low, b.high, b.n, b.mean_confidence, b.accuracy
        );
    }
}
