//! Classifying a panic message into a [`PanicKind`].
//!
//! The message decides first, because the standard library's messages are fixed strings that have not
//! changed across the Rust versions we accept. Only `expect` needs the backtrace: its message is the
//! caller's own text, so without `expect` frames it cannot be told from `panic!("…")` and is classified as
//! [`PanicKind::ExplicitPanic`], which is the honest answer.

use crate::text::without_generics;
use crate::{ArithOp, PanicKind};

/// `functions` are the names of every printed backtrace frame, located or not.
pub(crate) fn classify(message: &str, functions: &[String]) -> PanicKind {
    let first = message.lines().next().unwrap_or("").trim();
    if first.is_empty() {
        return PanicKind::Other;
    }
    if let Some(op) = overflow(first) {
        return PanicKind::Overflow(op);
    }
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| first.starts_with(p));
    if first.starts_with("attempt to divide by zero") {
        return PanicKind::DivideByZero;
    }
    if first.starts_with("attempt to calculate the remainder with a divisor of zero") {
        return PanicKind::RemainderByZero;
    }
    if starts(&[
        "index out of bounds:",
        "Out of bounds access",
        "insertion index (is ",
        "removal index (is ",
        "swap_remove index (is ",
    ]) {
        return PanicKind::IndexOutOfBounds;
    }
    if first.contains("is not a char boundary") {
        return PanicKind::CharBoundary;
    }
    if starts(&[
        "range end index ",
        "range start index ",
        "slice index starts at ",
        "byte index ",
        "begin <= end (",
        "end byte index ",
        "start byte index ",
        "mid > len",
    ]) && (first.contains("out of range")
        || first.contains("out of bounds")
        || first.contains("but ends at")
        || first.contains("when slicing")
        || first.starts_with("mid > len"))
    {
        return PanicKind::SliceRange;
    }
    if first.starts_with("called `Option::unwrap()` on a `None` value") {
        return PanicKind::UnwrapNone;
    }
    if first.starts_with("called `Result::unwrap()` on an `Err` value") {
        return PanicKind::UnwrapErr;
    }
    if first.starts_with("internal error: entered unreachable code") {
        return PanicKind::Unreachable;
    }
    if first == "not yet implemented"
        || first.starts_with("not yet implemented: ")
        || first == "not implemented"
        || first.starts_with("not implemented: ")
    {
        return PanicKind::Todo;
    }
    if starts(&["assertion failed: ", "assertion `left "]) {
        return PanicKind::AssertionFailed;
    }
    if starts(&[
        "attempt to divide with overflow",
        "attempt to calculate the remainder with overflow",
        "called `Result::unwrap_err()` on an `Ok` value",
        "already borrowed",
        "already mutably borrowed",
        "capacity overflow",
    ]) {
        return PanicKind::Other;
    }
    if functions.iter().any(|f| is_expect_frame(f)) {
        return PanicKind::Expect;
    }
    PanicKind::ExplicitPanic
}

fn overflow(first: &str) -> Option<ArithOp> {
    let op = first
        .strip_prefix("attempt to ")?
        .strip_suffix(" with overflow")?;
    Some(match op {
        "add" => ArithOp::Add,
        "subtract" => ArithOp::Sub,
        "multiply" => ArithOp::Mul,
        "negate" => ArithOp::Neg,
        "shift left" => ArithOp::Shl,
        "shift right" => ArithOp::Shr,
        _ => return None,
    })
}

/// `core::option::expect_failed`, `core::option::Option<T>::expect`, `core::result::Result<T,E>::expect`
/// and `core::result::unwrap_failed` (which `Result::expect` calls; a plain `unwrap` was recognised by its
/// message before this is asked).
fn is_expect_frame(function: &str) -> bool {
    let f = without_generics(function);
    [
        "option::expect_failed",
        "Option::expect",
        "Result::expect",
        "Result::expect_err",
        "result::unwrap_failed",
    ]
    .iter()
    .any(|suffix| f.ends_with(suffix))
}
