//! The pure core of fixing: match → instantiate → guard → score → choose → plan the checks.
//!
//! Why a crate of its own: every job that proposes fixes (`suture fix`, `heal`, `eval`, the App's reviews,
//! the scheduled fix PRs) runs the same engine and the same [`ConfidenceModel`], and only does IO around
//! them. Values in, values out: no files, no processes, no network, no async (a test in the workspace fails
//! if this crate gains such a dependency).

pub mod check;
pub mod confidence;
mod fix;
mod lift;
pub mod msrv;
mod skip;

pub use confidence::{
    Assessment, Basis, ConfidenceModel, Evidence, FramePrior, Outcomes, Parameters, PathStep,
    RawScore, Validation,
};
pub use fix::{
    Engine, FileFixes, FileOutcome, Fix, FixConfig, Location, Position, Proximity, Skipped, Unit,
    fix_text, function_returns, rank, returns_at_edit, units,
};
pub use lift::{Frame, guards_on_path};
pub use msrv::{Msrv, RustVersion};
pub use policy::Probability;
pub use skip::SkipReason;

/// The lowest probability `suture fix` and the App's reviews show by default: candidates under it are
/// counted, not listed. A probability, not a score: it means the same under any calibration map.
pub const DEFAULT_MIN_PROBABILITY: f64 = 0.07;
