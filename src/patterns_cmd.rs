//! `suture patterns list|show|test|schema`: inspecting and testing pattern libraries.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;
use pattern::LibraryPattern;

use crate::Format;

/// The examples of `suture patterns --help`.
pub(crate) const EXAMPLES: &str = "Examples:
  suture patterns list                          the shipped library and this repository's, best first
  suture patterns list --patterns lib | head    the best of a library of your own
  suture patterns show m-ed4235fb1c             one pattern: templates, scores, provenance, examples
  suture patterns test --patterns patterns      check every pattern's examples (exit 1 on a failure)
  suture patterns schema > pattern.schema.json  the JSON schema of a pattern file, for editors";

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
        PatternsCommand::Schema => {
            print!("{}", pipeline::json_schema());
            Ok(ExitCode::SUCCESS)
        }
    }
}
