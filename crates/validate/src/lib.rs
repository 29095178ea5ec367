//! Validation of candidate fixes: before a fix is offered it is built and tested away from the
//! user's files, in a scratch git worktree, with a timeout on every command.
//!
//! This is an adapter: it runs `git` and `cargo` as processes and returns plain data
//! ([`StepResult`]). It depends on no other workspace crate. The orchestration (which candidates to
//! try, what a result means for the confidence gate) lives in the pipeline.
//!
//! Choices:
//! - Three small modules instead of one type: [`worktree`] owns the scratch copy, [`run`] runs any
//!   command with a timeout, and [`cargo`] only *describes* the cargo sequence as [`Step`] values.
//!   A caller with its own validate command (from `suture.toml`) builds its own steps and reuses
//!   the same runner.
//! - Unix only. Killing a build on timeout must kill its whole process tree (cargo → rustc → test
//!   binaries), and process groups are the tool for that.
//!
//! A typical use, one worktree for all candidates so that they share one incremental build:
//!
//! ```no_run
//! # fn main() -> Result<(), validate::Error> {
//! let mut tree = validate::create_worktree(std::path::Path::new("."))?;
//! let steps = validate::cargo_steps(
//!     &["tests::adds".to_string()],
//!     std::path::Path::new("/tmp/suture-target"),
//!     &validate::Timeouts::default(),
//! );
//! tree.write_files(&[("src/lib.rs".to_string(), "pub fn add() {}\n".to_string())])?;
//! let results = validate::run_steps(&tree.path, &steps);
//! let validated = validate::all_passed(&steps, &results);
//! tree.reset()?;
//! # let _ = validated;
//! # Ok(())
//! # }
//! ```

pub mod cargo;
pub mod run;
pub mod worktree;

pub use cargo::{Timeouts, cargo_steps};
pub use run::{
    OUTPUT_CAP, Outcome, Step, StepResult, all_passed, kill_running_steps, run_step, run_steps,
};
pub use worktree::{Error, Worktree, create_worktree, create_worktree_in, persistent_worktree};
