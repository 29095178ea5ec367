//! Orchestration: the jobs users run, as free functions over the core and the adapters.
//!
//! The pure core (syntax, treediff, pattern, mine) knows nothing of files, git or databases; the adapters
//! (git, store) know nothing of patterns. This crate is where they meet: it reads history through `git`,
//! turns changes into edits with the core, remembers progress in `store`, and reads and writes pattern
//! libraries. It uses `anyhow` with context, because its errors go straight to a person.

pub mod checking;
pub mod config;
pub mod eval;
pub mod examples;
pub mod extract;
pub mod fixing;
pub mod healing;
pub mod library;
pub mod locate;
pub mod measuring;
pub mod mining;
pub mod msrv;
pub mod output;
pub mod own_history;
pub mod split;
pub mod watching;

pub use checking::{CheckOptions, CheckReport, ValidateMode, cannot_check, check_fixes};
pub use config::{Settings, load_settings};
pub use eval::{EvalOptions, EvalReport, evaluate};
pub use examples::{ExampleResult, synthesize_examples, test_examples};
pub use extract::{ExtractConfig, ExtractedEdit, FileEdits, extract_file_edits};
pub use fixing::{
    Engine, FileFixes, Fix, FixConfig, FixReport, Location, Position, Proximity, SkipReason,
    Skipped, SkippedFile, apply_fixes, existing, fix_text, propose_fixes, rust_files,
    workspace_files,
};
pub use healing::{HealOptions, HealOutcome, HealReport, heal, locate};
pub use library::{
    Library, WriteReport, json_schema, library_from_texts, parse_pattern_text, read_library,
    read_pattern_file, remove_stale_temp_files, stale_temp_file, write_atomic, write_library,
};
pub use locate::{parse_at, parse_diagnostics};
pub use measuring::{
    MeasureOptions, MeasureRepo, MeasureReport, measure_library, wilson_lower_bound,
};
pub use mining::{
    MigrationCounts, MineOptions, MineReport, NoProgress, Progress, RepoReport, RepoSpec,
    mine_repos, pattern_id,
};
pub use output::{JSON_VERSION, to_json, to_sarif};
pub use own_history::{
    OwnLibrary, ignore_dir, learn_own_history, migration_progress, own_history_options,
};
pub use split::{SplitOptions, SplitReport, commit_split};
pub use watching::{
    GroupReport, HealGroup, HealGroupOutcome, LogInput, WatchHeal, WatchOptions, WatchReport,
    follow, watch,
};

/// Rounds a score to 4 decimals, as every report writes scores (stable output, readable diffs).
pub(crate) fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
