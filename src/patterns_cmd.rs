//! `suture patterns list|show|test|measure|measure-remedies|schema`: inspecting, testing and measuring pattern libraries.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use pattern::LibraryPattern;

use crate::Format;

/// The examples of `suture patterns --help`.
pub(crate) const EXAMPLES: &str = "Examples:
  suture patterns list                          the shipped library and this repository's, best first
  suture patterns list --patterns lib | head    the best of a library of your own
  suture patterns show m-ed4235fb1c             one pattern: templates, scores, provenance, examples
  suture patterns test --patterns patterns      check every pattern's examples (exit 1 on a failure)
  suture patterns schema > pattern.schema.json  the JSON schema of a pattern file, for editors
  suture patterns measure-remedies --fixes fixes.db --history panic-fixes --patterns patterns/hand-written
                                                how often maintainers wrote each panic remedy where it applies";

#[derive(Subcommand)]
pub(crate) enum PatternsCommand {
    /// List the patterns of a library, best score first.
    #[command(
        after_help = "Example:\n  suture patterns list --patterns .suture/patterns --format json"
    )]
    List {
        /// Library directories (default: the shipped library plus REPO/.suture/patterns).
        #[arg(long = "patterns", value_name = "DIR")]
        patterns: Vec<PathBuf>,
        /// Output: one line per pattern, or JSON.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show one pattern's file: templates, scores, provenance and examples.
    #[command(after_help = "Example:\n  suture patterns show h-saturating-add")]
    Show {
        /// The pattern's id, as `suture patterns list` shows it.
        id: String,
        /// Library directories (default: the shipped library plus REPO/.suture/patterns).
        #[arg(long = "patterns", value_name = "DIR")]
        patterns: Vec<PathBuf>,
    },
    /// Check every pattern's examples (like `sg test`); exit 1 when one fails.
    #[command(after_help = "Example:\n  suture patterns test --patterns patterns/hand-written")]
    Test {
        /// Library directories (default: the shipped library plus REPO/.suture/patterns).
        #[arg(long = "patterns", value_name = "DIR")]
        patterns: Vec<PathBuf>,
    },
    /// Print the JSON schema of a pattern file.
    #[command(after_help = "Example:\n  suture patterns schema > pattern.schema.json")]
    Schema,
    /// Measure each pattern's precision where it was not learned: apply it at every match (any confidence,
    /// at most --max-per-repo per repository) in checkouts of other repositories, compile-check every
    /// application there, and count the ones that compile with no new error or warning (and pass the tests,
    /// with --validate test). A pattern is not measured on a repository its provenance names.
    #[command(after_help = "Examples:
  # Measure a freshly mined library on two checkouts, and write the counts into its files:
  suture patterns measure --patterns /tmp/mined --write /tmp/src/serde --name serde-rs/serde /tmp/src/fd --name sharkdp/fd
  # Ship only what clears the bar (Wilson lower bound >= 0.9 over >= 10 applications):
  suture patterns measure --patterns /tmp/mined --ship-to patterns/mined /tmp/src/serde --name serde-rs/serde")]
    Measure(MeasureArgs),
    /// Measure each panic remedy (a pattern with `panics`) on human panic fixes: the edits `suture mine --db`
    /// recorded from a history made of panic fixes. At every edit whose before side a remedy matches, it is
    /// right when it writes what the human wrote (whitespace aside), so another fix the maintainers chose
    /// there counts against it. A mined remedy is not measured on the commits it was learned from (its
    /// provenance must name them as `suture mine` wrote them from this store, not renamed); a guard
    /// remedy (a statement inserted before the site) is not measured here. The counts are the remedy's base
    /// rate in the confidence model, `(right + 1) / (matched + 2)`, in place of an unmeasured ½.
    #[command(after_help = "Examples:
  # A history of panic fixes (benches/heal_harvest.sh remedies builds one), mined into a store:
  suture mine /tmp/panic-fixes --db /tmp/fixes.db --out /tmp/remedies --min-commits 2 --min-holes 1
  # Measure the hand-written remedies and the mined ones on it, without writing anything:
  suture patterns measure-remedies --fixes /tmp/fixes.db --history /tmp/panic-fixes \\
      --patterns patterns/hand-written --patterns /tmp/remedies
  # Write the records, and ship the mined remedies that reproduced a fix they were not learned from:
  suture patterns measure-remedies --fixes /tmp/fixes.db --history /tmp/panic-fixes \\
      --patterns patterns/hand-written --patterns /tmp/remedies --write --ship-to patterns/remedies --on \"411 panic fixes of 24 repositories\"")]
    MeasureRemedies(MeasureRemediesArgs),
}

#[derive(clap::Args)]
pub(crate) struct MeasureRemediesArgs {
    /// The libraries whose remedies to measure (directories of pattern files).
    #[arg(long = "patterns", value_name = "DIR", required = true)]
    patterns: Vec<PathBuf>,
    /// The store `suture mine --db FILE` wrote while mining a history of panic fixes.
    #[arg(long, value_name = "FILE")]
    fixes: PathBuf,
    /// The git repository the store was mined from. With it, a remedy that asks for a return type
    /// (`returns = "result"`, …) is measured only on the edits whose function returned that before the fix,
    /// since it never applies elsewhere; without it, on every edit of its shape (and the records say so).
    #[arg(long, value_name = "REPO")]
    history: Option<PathBuf>,
    /// Where the fixes come from, for the records (repeatable).
    #[arg(long, value_name = "TEXT")]
    on: Vec<String>,
    /// Write each remedy's `measured` record into its file (atomically; nothing else in the file changes).
    /// A remedy that matched no fix loses an old record.
    #[arg(long)]
    write: bool,
    /// Make this directory exactly the mined remedies that wrote at least one fix as the human did among the
    /// fixes they were not learned from, each with its record (and not already a hand-written remedy of the
    /// libraries measured); other mined files there are removed, hand-written ones never touched.
    #[arg(long, value_name = "DIR")]
    ship_to: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum MeasureValidate {
    Check,
    Test,
}

pub(crate) fn run(command: PatternsCommand) -> Result<ExitCode> {
    let root = PathBuf::from(".");
    match command {
        PatternsCommand::List { patterns, format } => {
            let library = crate::fix_cmd::load_library(&root, &patterns)?;
            let mut sorted: Vec<(&LibraryPattern, &PathBuf)> =
                library.patterns.iter().zip(&library.files).collect();
            sorted.sort_by(|a, b| {
                b.0.score
                    .total_cmp(&a.0.score)
                    .then_with(|| a.0.id.cmp(&b.0.id))
            });
            if format == Format::Json {
                let list: Vec<_> = sorted
                    .iter()
                    .map(|(p, file)| serde_json::json!({ "file": file, "pattern": p.source }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for (p, _) in &sorted {
                    let origin = match p.origin {
                        pattern::Origin::Mined => "mined",
                        pattern::Origin::HandWritten => "hand-written",
                    };
                    println!(
                        "{:.3}  {:<14} {:<12} support {:>3}  {}  =>  {}",
                        p.score,
                        p.id,
                        origin,
                        p.support,
                        crate::one_line(&p.source.before, 50),
                        crate::one_line(&p.source.after, 50)
                    );
                }
                println!("{} patterns", sorted.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        PatternsCommand::Show { id, patterns } => {
            let library = crate::fix_cmd::load_library(&root, &patterns)?;
            let Some(i) = library.patterns.iter().position(|p| p.id == id) else {
                bail!(
                    "no pattern `{id}` in the library ({} patterns)",
                    library.patterns.len()
                );
            };
            println!("# {}", library.files[i].display());
            let source = &library.patterns[i].source;
            let any = engine::RustVersion { major: 1, minor: 0 };
            if let Some(needs) = engine::msrv::needs_newer(&source.before, &source.after, any) {
                // A comment, so that the output stays the file's TOML.
                println!(
                    "# needs Rust {} or newer: the after side brings in {}; skipped in crates whose MSRV is older",
                    needs.since,
                    engine::msrv::describe(needs.item)
                );
            }
            print!(
                "{}",
                pipeline::library::to_toml(&library.patterns[i].source)?
            );
            Ok(ExitCode::SUCCESS)
        }
        PatternsCommand::Test { patterns } => {
            let library = crate::fix_cmd::load_library(&root, &patterns)?;
            let all: Vec<&LibraryPattern> = library.patterns.iter().collect();
            let results = pipeline::test_examples(&all);
            let failed: Vec<_> = results.iter().filter(|r| r.failure.is_some()).collect();
            for r in &failed {
                println!(
                    "FAIL {} example {}: {}",
                    r.pattern,
                    r.example,
                    r.failure.as_deref().unwrap_or("")
                );
            }
            let without = all.iter().filter(|p| p.examples.is_empty()).count();
            println!(
                "{} passed, {} failed ({} examples of {} patterns; {} patterns have no examples)",
                results.len() - failed.len(),
                failed.len(),
                results.len(),
                all.len(),
                without
            );
            Ok(if failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        PatternsCommand::Measure(args) => measure(args),
        PatternsCommand::MeasureRemedies(args) => measure_remedies(args),
        PatternsCommand::Schema => {
            print!("{}", pipeline::json_schema());
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(clap::Args)]
pub(crate) struct MeasureArgs {
    /// The library to measure (a directory of pattern files).
    #[arg(long = "patterns", value_name = "DIR", required = true)]
    patterns: Vec<PathBuf>,
    /// Checkouts (work trees) to measure on.
    #[arg(required = true, value_name = "CHECKOUT")]
    repos: Vec<PathBuf>,
    /// The `owner/name` of each checkout, in order, as pattern provenance names it (default: the
    /// checkout's directory name).
    #[arg(long = "name", value_name = "OWNER/NAME")]
    names: Vec<String>,
    /// `check`: cargo check; `test`: cargo check, then cargo test.
    #[arg(long, value_enum, default_value_t = MeasureValidate::Check)]
    validate: MeasureValidate,
    /// Applications of one pattern measured per repository at most (the first in path order).
    #[arg(long, default_value_t = 5)]
    max_per_repo: usize,
    /// Seconds each cargo run may take.
    #[arg(long, default_value_t = 900)]
    validate_timeout: u64,
    /// Most cargo runs per repository (bisection included).
    #[arg(long, default_value_t = 200)]
    validate_max_runs: usize,
    /// Write each pattern's `measured` record into its file (atomically).
    #[arg(long)]
    write: bool,
    /// Make this library directory's mined part exactly the patterns that clear the bar, each with its record:
    /// a mined file already there that does not clear it (ruled out, measured too little, or no longer mined)
    /// is removed. Hand-written files are never touched.
    #[arg(long, value_name = "DIR")]
    ship_to: Option<PathBuf>,
    /// The bar: applications at least.
    #[arg(long, default_value_t = 10)]
    min_applications: u32,
    /// The bar: the Wilson 95% lower bound of right / applications at least.
    #[arg(long, default_value_t = 0.9)]
    min_lower_bound: f64,
    /// Measure every pattern on every checkout, even one that can no longer clear the bar (by default a
    /// pattern stops being applied once its failures rule it out).
    #[arg(long)]
    keep_going: bool,
    /// Keep the counts in FILE after each checkout, and resume from it: checkouts already in it (same
    /// name and commit) are not measured again.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn measure(args: MeasureArgs) -> Result<ExitCode> {
    if !args.names.is_empty() && args.names.len() != args.repos.len() {
        bail!(
            "{} checkouts but {} --name values: give one name per checkout, or none",
            args.repos.len(),
            args.names.len()
        );
    }
    if !(0.0..=1.0).contains(&args.min_lower_bound) {
        bail!(
            "--min-lower-bound {} is outside [0, 1]",
            args.min_lower_bound
        );
    }
    let library = crate::fix_cmd::load_library(Path::new("."), &args.patterns)?;
    let mut repos = Vec::new();
    for (i, path) in args.repos.iter().enumerate() {
        if !pipeline::measuring::is_checkout(path) {
            bail!(
                "`{}` is not a checkout of a Cargo project (no Cargo.toml)",
                path.display()
            );
        }
        let name = args.names.get(i).cloned().unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let commit = git::discover(path).and_then(|r| r.head().ok());
        repos.push(pipeline::MeasureRepo {
            path: path.clone(),
            name,
            commit,
        });
    }
    let mode = match args.validate {
        MeasureValidate::Check => pipeline::ValidateMode::Check,
        MeasureValidate::Test => pipeline::ValidateMode::Test,
    };
    // The most applications a pattern can have here; past the failures that such a record allows, it cannot
    // clear the bar, and is not applied on the repositories that follow (the small ones come first).
    let most = u32::try_from(args.max_per_repo.saturating_mul(repos.len())).unwrap_or(u32::MAX);
    let options = pipeline::MeasureOptions {
        mode,
        max_per_repo: args.max_per_repo,
        timeout: std::time::Duration::from_secs(args.validate_timeout),
        max_runs: args.validate_max_runs,
        stop_after_failures: if args.keep_going {
            None
        } else {
            Some(
                pipeline::measuring::failures_allowed(most, args.min_lower_bound, 1.96)
                    .unwrap_or(0),
            )
        },
        state: args.state.clone(),
    };
    let report = pipeline::measure_library(&library, &repos, &options, &mut |what| {
        eprintln!("suture: {what}");
    })?;
    let mut rows = Vec::new();
    let mut shipped = Vec::new();
    for (pattern, file) in library.patterns.iter().zip(&library.files) {
        let counts = report
            .patterns
            .get(&pattern.id)
            .cloned()
            .unwrap_or_default();
        let bound = pipeline::wilson_lower_bound(counts.right, counts.proposed, 1.96);
        let ships = counts.proposed >= args.min_applications && bound >= args.min_lower_bound;
        let mut source = pattern.source.clone();
        source.measured = (counts.proposed > 0).then(|| pattern::Measured {
            right: counts.right,
            proposed: counts.proposed,
            on: pipeline::measuring::measured_on(&counts, &report.repos, mode),
            by: Some(match mode {
                pipeline::ValidateMode::Test => pattern::MeasuredBy::Test,
                _ => pattern::MeasuredBy::Check,
            }),
        });
        if args.write {
            pipeline::write_atomic(file, pipeline::library::to_toml(&source)?.as_bytes())?;
        }
        if ships {
            shipped.push(source.clone());
        }
        rows.push((pattern, counts, bound, ships));
    }
    if let Some(dir) = &args.ship_to {
        // Only evidence ships: what clears the bar is written (with its record), and every other mined file
        // there is removed, whether the measurement ruled it out, measured it too little to tell, or the miner
        // no longer learns it; hand-written files are never touched.
        let mut removed = 0;
        if dir.is_dir() {
            let there = pipeline::read_library(dir)?;
            for (pattern, file) in there.patterns.iter().zip(&there.files) {
                if pattern.origin != pattern::Origin::Mined
                    || shipped.iter().any(|s| s.id == pattern.id)
                {
                    continue;
                }
                std::fs::remove_file(file)
                    .with_context(|| format!("cannot remove `{}`", file.display()))?;
                removed += 1;
            }
        } else {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        for p in &shipped {
            pipeline::write_atomic(
                &dir.join(pipeline::library::file_name(&p.id)),
                pipeline::library::to_toml(p)?.as_bytes(),
            )?;
        }
        eprintln!(
            "suture: {} patterns shipped to {} with their records; {removed} removed (below the bar, measured \
             too little, or no longer mined)",
            shipped.len(),
            dir.display(),
        );
    }
    rows.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.id.cmp(&b.0.id)));
    if args.format == Format::Json {
        let list: Vec<_> = rows
            .iter()
            .map(|(p, c, bound, ships)| {
                serde_json::json!({
                    "pattern": p.id,
                    "before": p.source.before,
                    "after": p.source.after,
                    "right": c.right,
                    "proposed": c.proposed,
                    "unjudged": c.unjudged,
                    "by_repo": c.by_repo,
                    "stopped_after": c.stopped_after,
                    "wilson_lower_bound": (bound * 1e4).round() / 1e4,
                    "ships": ships,
                })
            })
            .collect();
        let out = serde_json::json!({ "version": 1, "patterns": list, "repos": report.repos });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for r in &report.repos {
            println!(
                "# {}{}: {} applications, {} patterns not measured (learned here); {}",
                r.name,
                r.commit
                    .as_deref()
                    .map(|c| format!(" @{}", &c[..c.len().min(10)]))
                    .unwrap_or_default(),
                r.applications,
                r.excluded,
                r.validation
            );
        }
        println!();
        println!(
            "| pattern | before → after | compiled / applied | Wilson 95% low | unjudged | ships |"
        );
        println!("|---|---|---|---|---|---|");
        for (p, c, bound, ships) in &rows {
            println!(
                "| {} | `{}` → `{}` | {} / {} | {:.2} | {} | {} |",
                p.id,
                crate::one_line(&p.source.before, 40).replace('|', "\\|"),
                crate::one_line(&p.source.after, 40).replace('|', "\\|"),
                c.right,
                c.proposed,
                bound,
                c.unjudged,
                match (*ships, &c.stopped_after) {
                    (true, _) => "yes".to_owned(),
                    (false, Some(repo)) => format!("no (stopped after {repo})"),
                    (false, None) => "no".to_owned(),
                }
            );
        }
        println!(
            "{} of {} patterns clear the bar (>= {} applications, Wilson 95% lower bound >= {})",
            shipped.len(),
            rows.len(),
            args.min_applications,
            args.min_lower_bound
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn measure_remedies(args: MeasureRemediesArgs) -> Result<ExitCode> {
    if !args.fixes.is_file() {
        bail!(
            "no store at `{}`: give the file `suture mine --db FILE` wrote",
            args.fixes.display()
        );
    }
    let library = crate::fix_cmd::load_library(Path::new("."), &args.patterns)?;
    let store = store::open(&args.fixes)
        .with_context(|| format!("cannot open the store `{}`", args.fixes.display()))?;
    let history = match &args.history {
        Some(path) => Some(
            git::open(path)
                .with_context(|| format!("`{}` is not a git repository", path.display()))?,
        ),
        None => None,
    };
    let fixes = pipeline::measuring::recorded_fixes(&store, history.as_ref())?;
    if fixes.is_empty() {
        bail!(
            "the store `{}` holds no edits: mine a history of panic fixes into it first",
            args.fixes.display()
        );
    }
    let commits = fixes
        .iter()
        .map(|f| f.commit.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let measures = pipeline::measuring::measure_remedies(&library, &fixes, history.is_some());
    let mut on = args.on.clone();
    on.push(format!(
        "suture patterns measure-remedies: {} human edits of {commits} panic-fixing commits, counted by commit; \
         right = wrote the human's edit at every matched site (whitespace and a made-up message aside); {}",
        fixes.len(),
        if history.is_some() {
            "a remedy asking for a return type only where the function returned it before the fix"
        } else {
            "return types not read (no --history)"
        }
    ));
    let by_id = |id: &str| library.patterns.iter().position(|p| p.id == id);
    let hand_written = |p: &LibraryPattern| {
        library.patterns.iter().any(|h| {
            h.origin == pattern::Origin::HandWritten
                && h.source.before == p.source.before
                && h.source.after == p.source.after
        })
    };
    let mut shipped = Vec::new();
    for m in &measures {
        let Some(i) = by_id(&m.id) else { continue };
        let (p, file) = (&library.patterns[i], &library.files[i]);
        let record = (m.commits > 0).then(|| pattern::Measured {
            right: m.right,
            proposed: m.commits,
            on: on.clone(),
            by: None,
        });
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read `{}`", file.display()))?;
        let written = pipeline::library::with_measured(&text, record.as_ref())?;
        if args.write && written != text {
            pipeline::write_atomic(file, written.as_bytes())?;
        }
        if p.origin == pattern::Origin::Mined && m.right > 0 && !hand_written(p) {
            shipped.push((p.id.clone(), written));
        }
    }
    if let Some(dir) = &args.ship_to {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        let there = pipeline::read_library(dir)?;
        let mut removed = 0;
        for (p, file) in there.patterns.iter().zip(&there.files) {
            if p.origin == pattern::Origin::Mined && !shipped.iter().any(|(id, _)| id == &p.id) {
                std::fs::remove_file(file)
                    .with_context(|| format!("cannot remove `{}`", file.display()))?;
                removed += 1;
            }
        }
        for (id, text) in &shipped {
            pipeline::write_atomic(&dir.join(pipeline::library::file_name(id)), text.as_bytes())?;
        }
        eprintln!(
            "suture: {} mined remedies shipped to {} with their records; {removed} removed",
            shipped.len(),
            dir.display()
        );
    }
    let rate =
        |m: &pipeline::measuring::RemedyMeasure| f64::from(m.right + 1) / f64::from(m.commits + 2);
    if args.format == Format::Json {
        let list: Vec<_> = measures
            .iter()
            .filter_map(|m| by_id(&m.id).map(|i| (m, &library.patterns[i])))
            .map(|(m, p)| {
                serde_json::json!({
                    "pattern": m.id,
                    "origin": p.origin,
                    "before": p.source.before,
                    "after": p.source.after,
                    "commits": m.commits,
                    "right": m.right,
                    "sites": m.sites,
                    "right_sites": m.right_sites,
                    "left_out": m.left_out,
                    "base_rate": (rate(m) * 1e4).round() / 1e4,
                    "ships": shipped.iter().any(|(id, _)| id == &m.id),
                })
            })
            .collect();
        let out = serde_json::json!({ "version": 1, "edits": fixes.len(), "commits": commits, "remedies": list });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} human edits of {commits} panic-fixing commits in {}",
            fixes.len(),
            args.fixes.display()
        );
        println!(
            "| remedy | origin | before → after | right / commits | sites | base rate | own commits left out |"
        );
        println!("|---|---|---|---|---|---|---|");
        for m in &measures {
            let Some(i) = by_id(&m.id) else { continue };
            let p = &library.patterns[i];
            println!(
                "| {} | {} | `{}` → `{}` | {} / {} | {} / {} | {:.2} | {} |",
                m.id,
                match p.origin {
                    pattern::Origin::Mined => "mined",
                    pattern::Origin::HandWritten => "hand-written",
                },
                crate::one_line(&p.source.before, 40).replace('|', "\\|"),
                crate::one_line(&p.source.after, 40).replace('|', "\\|"),
                m.right,
                m.commits,
                m.right_sites,
                m.sites,
                rate(m),
                m.left_out
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
