//! Failure text → where it failed: panics, backtraces, libtest / nextest output, JUnit XML and compiler
//! diagnostics, read into plain values, and the *failing path* through the workspace.
//!
//! Why one auto-detecting [`parse`] instead of one parser per format: real logs are mixed. A CI log holds
//! cargo's JSON diagnostics, libtest sections, nextest status lines and raw panics from a binary, often
//! indented, coloured or prefixed with timestamps, sometimes cut off. So the reader works line by line and
//! recognises each line on its own (a panic header, a backtrace frame, a test status, a JSON object), with
//! just enough state to attach messages and frames to the panic they belong to. Anything it does not
//! recognise is skipped: parsing never fails, and garbage yields an empty [`Trace`].
//!
//! The crate is pure: text in, values out. The caller lists the workspace files; [`failing_path`] only
//! compares strings.

mod json;
mod junit;
mod kind;
mod lines;
mod path;
mod text;

use serde::Serialize;

pub use path::{Location, failing_path, workspace_path};

/// A source position as printed: a panic site (`panicked at FILE:LINE:COL`) or a backtrace frame with its
/// `at FILE:LINE:COL` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// The frame's function with mangling hashes (`::h0123…`, `std[0123…]`) removed; `None` for a site.
    pub function: Option<String>,
    /// The path exactly as printed: relative (`src/lib.rs`, `./src/lib.rs`) or absolute.
    pub file: String,
    pub line: u32,
    pub column: Option<u32>,
}

/// The operator of an `attempt to … with overflow` panic.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Neg,
    Shl,
    Shr,
}

/// What kind of panic a message is, as far as the text (and, for `expect`, the backtrace) tells.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub enum PanicKind {
    /// `attempt to add with overflow` and its siblings.
    Overflow(ArithOp),
    /// `attempt to divide by zero`.
    DivideByZero,
    /// `attempt to calculate the remainder with a divisor of zero`.
    RemainderByZero,
    /// `index out of bounds: the len is 3 but the index is 5`, and the `Vec`/`VecDeque` index messages.
    IndexOutOfBounds,
    /// `range end index 10 out of range for slice of length 3`, `slice index starts at 2 but ends at 1`,
    /// `byte index 10 is out of bounds of …`.
    SliceRange,
    /// `byte index 2 is not a char boundary; it is inside 'é' …`.
    CharBoundary,
    /// ``called `Option::unwrap()` on a `None` value``.
    UnwrapNone,
    /// ``called `Result::unwrap()` on an `Err` value: …``.
    UnwrapErr,
    /// A message from `.expect("…")`, told apart from `panic!("…")` only by `expect` frames in the backtrace.
    Expect,
    /// `panic!("…")`, an `assert!` with a custom message, or anything else not recognised.
    ExplicitPanic,
    /// `internal error: entered unreachable code`.
    Unreachable,
    /// `not yet implemented` (`todo!`) and `not implemented` (`unimplemented!`).
    Todo,
    /// `assertion failed: …`, ``assertion `left == right` failed`` and the old ``assertion failed: `(left == right)` ``.
    AssertionFailed,
    /// A known standard-library panic without a kind of its own (`attempt to divide with overflow`,
    /// `already borrowed`, …), or an empty message.
    Other,
}

impl PanicKind {
    /// The kind's name as pattern files (`panics = [...]`), `suture heal` and `suture watch` write it:
    /// `divide-by-zero`, `overflow-add`, `index-out-of-bounds`, ….
    pub fn name(&self) -> &'static str {
        match self {
            PanicKind::Overflow(ArithOp::Add) => "overflow-add",
            PanicKind::Overflow(ArithOp::Sub) => "overflow-sub",
            PanicKind::Overflow(ArithOp::Mul) => "overflow-mul",
            PanicKind::Overflow(ArithOp::Neg) => "overflow-neg",
            PanicKind::Overflow(ArithOp::Shl) => "overflow-shl",
            PanicKind::Overflow(ArithOp::Shr) => "overflow-shr",
            PanicKind::DivideByZero => "divide-by-zero",
            PanicKind::RemainderByZero => "remainder-by-zero",
            PanicKind::IndexOutOfBounds => "index-out-of-bounds",
            PanicKind::SliceRange => "slice-range",
            PanicKind::CharBoundary => "char-boundary",
            PanicKind::UnwrapNone => "unwrap-none",
            PanicKind::UnwrapErr => "unwrap-err",
            PanicKind::Expect => "expect",
            PanicKind::ExplicitPanic => "explicit-panic",
            PanicKind::Unreachable => "unreachable",
            PanicKind::Todo => "todo",
            PanicKind::AssertionFailed => "assertion-failed",
            PanicKind::Other => "other",
        }
    }
}

/// One panic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The libtest / nextest test it happened in, e.g. `tests::oversold`.
    pub test: Option<String>,
    /// The thread name as printed (`main`, `tests::oversold`, `<unnamed>`).
    pub thread: Option<String>,
    /// The panic message; multi-line for assertions (`left:` / `right:` lines).
    pub message: String,
    pub kind: PanicKind,
    /// The `panicked at FILE:LINE:COL` location; `None` when it was cut off.
    pub site: Option<Frame>,
    /// Backtrace frames that printed a location, innermost first; empty without `RUST_BACKTRACE`.
    /// Frames without an `at` line (inlined or without debug info) are left out: they cannot be located,
    /// though their function names still count when telling `expect` from `panic!`.
    pub frames: Vec<Frame>,
}

/// A compiler (rustc / clippy) diagnostic at its primary span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// `error`, `warning`, …, as rustc prints it.
    pub level: String,
    /// `E0308`, `clippy::len_zero`, `unused_variables`, …
    pub code: Option<String>,
    pub message: String,
    /// The path as printed (relative to the workspace root for workspace members).
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The last line of the primary span (the same as `line` where the text format gives only one).
    pub end_line: u32,
}

/// Everything found in one text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub failures: Vec<Failure>,
    pub diagnostics: Vec<Diagnostic>,
    /// Tests reported as failed (libtest `failures:` list and `... FAILED` lines, nextest `FAIL` lines,
    /// JUnit `<failure>`), even when their panic output is missing; first mention first, no duplicates.
    pub failed_tests: Vec<String>,
}

/// Reads any mix of the supported formats. Never fails: what is not recognised is skipped.
pub fn parse(text: &str) -> Trace {
    let mut parser = lines::Parser::default();
    let mut from = 0;
    for region in junit::regions(text) {
        parser.text(&text[from..region.start]);
        for case in junit::failed_cases(&text[region.clone()]) {
            parser.junit_case(case);
        }
        from = region.end;
    }
    parser.text(&text[from..]);
    parser.finish()
}
