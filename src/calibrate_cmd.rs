//! `suture calibrate`: fit the score → confidence map on some `suture eval` runs, check it on others.
//!
//! The shipped map lives in `corpus/calibration.toml` and is compiled into the binary; `suture fix`,
//! `heal` and `eval` use it unless told otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use mine::calibrate::{Calibration, Sample, fit, reliability};

pub(crate) const EXAMPLES: &str = "Examples:
  suture eval ~/src/tokio --split HEAD~1156 --format json > tokio.json
  suture eval ~/src/clap --split HEAD~2269 --format json > clap.json
  suture eval ~/src/serde --split HEAD~1089 --format json > serde.json
  suture calibrate --train tokio.json --train clap.json --check serde.json
  suture calibrate --train tokio.json --train clap.json --check serde.json --out corpus/calibration.toml

Fits Platt scaling on the log score over the training runs' top-1 candidates, then reports the
expected calibration error (ECE) of the raw score and of the fitted map, on the training runs and on
the held-out run. --out writes the map atomically, with its provenance.";

/// The shipped map, fitted by `benches/calibrate.sh`.
const SHIPPED: &str = include_str!("../corpus/calibration.toml");

#[derive(clap::Args)]
pub(crate) struct CalibrateArgs {
    /// `suture eval --format json` output to fit on (repeatable).
    #[arg(long, required = true)]
    train: Vec<PathBuf>,
    /// `suture eval --format json` output of another repository, to check the fit on (repeatable).
    #[arg(long)]
    check: Vec<PathBuf>,
    /// Write the fitted map here (TOML), e.g. corpus/calibration.toml.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `--calibration FILE|none`, shared by every command that shows or gates confidence.
#[derive(clap::Args)]
pub(crate) struct CalibrationArg {
    /// The score → confidence map for mined patterns: a TOML file from `suture calibrate --out`, or
    /// `none` for raw scores (default: the shipped corpus/calibration.toml).
    #[arg(long, value_name = "FILE|none")]
    calibration: Option<String>,
}

impl CalibrationArg {
    pub(crate) fn load(&self) -> Result<Option<Calibration>> {
        load(self.calibration.as_deref())
    }

    /// The confidence model with this map and the shipped parameters (`corpus/confidence.toml`).
    pub(crate) fn model(&self) -> Result<engine::ConfidenceModel> {
        model(self.calibration.as_deref())
    }
}

/// The confidence model with the map named on the command line (see [`load`]).
pub(crate) fn model(arg: Option<&str>) -> Result<engine::ConfidenceModel> {
    Ok(engine::ConfidenceModel::with_calibration(load(arg)?))
}

/// The map named on the command line: a file, `none` (raw scores), or by default the shipped one.
pub(crate) fn load(arg: Option<&str>) -> Result<Option<Calibration>> {
    match arg {
        Some("none") => Ok(None),
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            parse(&text, path).map(Some)
        }
        None => parse(SHIPPED, "corpus/calibration.toml (shipped)").map(Some),
    }
}

fn parse(text: &str, name: &str) -> Result<Calibration> {
    let c: Calibration =
        toml::from_str(text).with_context(|| format!("{name}: not a calibration map"))?;
    if !(c.a.is_finite() && c.b.is_finite() && c.a > 0.0) {
        bail!(
            "{name}: a calibration map needs finite a > 0 and b (got a = {}, b = {})",
            c.a,
            c.b
        );
    }
    Ok(c)
}

struct Run {
    name: String,
    samples: Vec<Sample>,
}

fn read_run(path: &Path) -> Result<Run> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not JSON from `suture eval --format json`",
            path.display()
        )
    })?;
    let report = &json["report"];
    let samples: Vec<Sample> =
        serde_json::from_value(report["samples"].clone()).with_context(|| {
            format!(
                "{}: no report.samples (is this `suture eval --format json` output?)",
                path.display()
            )
        })?;
    // The file's stem names the run (benches/eval.sh writes OWNER+NAME.json); the report's own repo name is
    // only the directory's, which for a fetched mirror is just `repo`.
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = format!(
        "{} split {} ({} samples, {} right)",
        stem.as_deref().or(report["repo"].as_str()).unwrap_or("?"),
        report["split"]
            .as_str()
            .map_or("?", |s| &s[..12.min(s.len())]),
        samples.len(),
        samples.iter().filter(|s| s.correct).count()
    );
    Ok(Run { name, samples })
}

pub(crate) fn run(args: CalibrateArgs) -> Result<ExitCode> {
    let train: Vec<Run> = args
        .train
        .iter()
        .map(|p| read_run(p))
        .collect::<Result<_>>()?;
    let check: Vec<Run> = args
        .check
        .iter()
        .map(|p| read_run(p))
        .collect::<Result<_>>()?;
    let pooled: Vec<Sample> = train
        .iter()
        .flat_map(|r| r.samples.iter().copied())
        .collect();
    let Some(mut fitted) = fit(&pooled) else {
        bail!("the training runs hold no samples (no top-1 candidate at all): nothing to fit");
    };
    fitted.fitted_on = train.iter().map(|r| r.name.clone()).collect();
    println!(
        "fitted on {} samples: confidence = 1 / (1 + exp(-({:.4} ln score + {:.4})))",
        pooled.len(),
        fitted.a,
        fitted.b
    );
    println!(
        "{:<8} {:<60} {:>9} {:>9}",
        "set", "run", "ECE raw", "ECE fit"
    );
    for (set, runs) in [("train", &train), ("check", &check)] {
        for r in runs {
            let raw = reliability(&r.samples, |s| s).1;
            let fit = reliability(&r.samples, |s| fitted.apply(s)).1;
            println!(
                "{set:<8} {:<60} {raw:>9.4} {fit:>9.4}",
                crate::one_line(&r.name, 60)
            );
        }
    }
    for s in [0.1, 0.3, 0.5, 0.7, 0.9, 1.0] {
        println!("  score {s:.1} → confidence {:.3}", fitted.apply(s));
    }
    if let Some(out) = args.out {
        let text = format!(
            "# The score → confidence map, fitted by `suture calibrate` (see benches/calibrate.sh).\n{}",
            toml::to_string(&fitted)?
        );
        pipeline::write_atomic(&out, text.as_bytes())?;
        println!("wrote {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
