//! Orchestration: the jobs users run, as free functions over the core and the adapters.
//!
//! The pure core (syntax, treediff, pattern, mine) knows nothing of files, git or databases; the adapters
//! (git, store) know nothing of patterns. This crate is where they meet: it reads history through `git`,
//! turns changes into edits with the core, remembers progress in `store`, and reads and writes pattern
//! libraries. It uses `anyhow` with context, because its errors go straight to a person.

pub mod extract;
pub mod library;
pub mod mining;

pub use extract::{ExtractConfig, ExtractedEdit, FileEdits, extract_file_edits};
pub use library::{
    Library, WriteReport, json_schema, read_library, read_pattern_file, write_atomic, write_library,
};
pub use mining::{
    MineOptions, MineReport, NoProgress, Progress, RepoReport, RepoSpec, mine_repos, pattern_id,
};
