//! Why a candidate fix was not proposed, as a value.
//!
//! Why an enum and not a sentence: summaries count reasons, JSON readers branch on them, and the server
//! explains them; each used to parse the prose back (`split(" by ")`). The sentence is rendered at the edge
//! from the value ([`std::fmt::Display`]), and [`SkipReason::code`] is the stable name machines read.

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// `// suture-ignore` (or `// suture-ignore: <id>`) on the line or the line above.
    Suppressed,
    /// The match lies in code a syntax error makes untrustworthy.
    SyntaxErrorAround,
    /// The after side could not be built from the bindings.
    Instantiate(String),
    /// The replacement would lose a comment inside the matched code.
    DropsComment,
    /// A better candidate overlaps this one; looked for again once that fix is applied.
    Overlaps {
        winner: String,
        line: u32,
        /// The two had the same probability; specificity, then the id decided.
        tie: bool,
    },
    /// The patched code does not parse strictly (the message is syn's).
    DoesNotParse(String),
    /// The original had syntax errors, and the patched code has more.
    MoreSyntaxErrors,
    /// Each fix of the file parses alone, together they do not.
    TogetherDoNotParse(Box<SkipReason>),
    /// The fix would make the function call itself (`self.len() == 0` → `self.is_empty()` inside
    /// `fn is_empty`).
    SelfRecursion { function: String },
    /// A migration's site in a function that uses the old form on purpose: one named after the old item or
    /// whose attributes name it (a test of the old API, `#[should_panic(expected = "…old…")]`), or one that
    /// allows `deprecated`.
    OldFormOnPurpose { function: String },
    /// The replacement brings in a std item (`item`, a key of [`crate::msrv::STABLE_SINCE`]) stabilised in
    /// `since`, newer than the MSRV of the file's crate: it would compile here and break the project's MSRV
    /// build.
    NeedsNewerRust {
        item: &'static str,
        since: crate::RustVersion,
        msrv: crate::Msrv,
    },
    /// A migration's site where the old name is the standard library's item (`core::time::Duration`, or a
    /// file that imports it from `std`/`core`/`alloc`), not the repository's.
    StdItem { name: String, evidence: String },
    /// The compiler reported new errors or warnings on the patched code; the fix was backed out.
    DoesNotCompile(Vec<String>),
    /// The check does not compile the file (a feature or `cfg` leaves it out), so it cannot vouch for the
    /// fix.
    NotCompiled,
    /// The check did not settle within its budget of compiler runs, so no fix of the pass is shown.
    CheckBudget { runs: usize },
    /// The check was asked for, the tree is a Cargo workspace, and the baseline `cargo check` could not run
    /// (say, the toolchain the project pins is not installed): no fix is shown unchecked.
    CheckDidNotRun(String),
    /// The code the pattern could match nests deeper than the depth budget ([`syntax::MAX_DEPTH`]), so it was
    /// not searched: one such skip per pattern that could have matched there.
    TooDeep(syntax::TooDeep),
}

impl SkipReason {
    /// What all reasons with this code have in common, for a count per reason.
    pub fn summary(&self) -> &'static str {
        match self {
            SkipReason::Suppressed => "suppressed by a `// suture-ignore` comment",
            SkipReason::SyntaxErrorAround => "the code around it has a syntax error",
            SkipReason::Instantiate(_) => "the fix could not be built from the match",
            SkipReason::DropsComment => "the fix would drop a comment inside the matched code",
            SkipReason::Overlaps { .. } => "overlaps a higher-ranked fix",
            SkipReason::DoesNotParse(_) => "the patched file does not parse",
            SkipReason::MoreSyntaxErrors => "the patched file has more syntax errors than before",
            SkipReason::TogetherDoNotParse(_) => "the fixes of a file together do not parse",
            SkipReason::SelfRecursion { .. } => "the fix would make a function call itself",
            SkipReason::OldFormOnPurpose { .. } => {
                "a migration's site in a function that uses the old form on purpose"
            }
            SkipReason::NeedsNewerRust { .. } => "the fix needs a newer Rust than the crate's MSRV",
            SkipReason::StdItem { .. } => {
                "a migration's site that names the standard library's item of the same name"
            }
            SkipReason::DoesNotCompile(_) => {
                "backed out: the compiler reports new errors or warnings"
            }
            SkipReason::NotCompiled => {
                "the check does not compile its file, so it cannot be checked"
            }
            SkipReason::CheckBudget { .. } => "not checked: the check ran out of compiler runs",
            SkipReason::CheckDidNotRun(_) => "not checked: the baseline `cargo check` did not run",
            SkipReason::TooDeep(_) => "the code is nested too deep to search",
        }
    }

    /// A stable kebab-case name, for counting and for JSON.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::Suppressed => "suppressed",
            SkipReason::SyntaxErrorAround => "syntax-error-around",
            SkipReason::Instantiate(_) => "cannot-instantiate",
            SkipReason::DropsComment => "drops-comment",
            SkipReason::Overlaps { .. } => "overlaps",
            SkipReason::DoesNotParse(_) => "does-not-parse",
            SkipReason::MoreSyntaxErrors => "more-syntax-errors",
            SkipReason::TogetherDoNotParse(_) => "together-do-not-parse",
            SkipReason::SelfRecursion { .. } => "self-recursion",
            SkipReason::OldFormOnPurpose { .. } => "old-form-on-purpose",
            SkipReason::NeedsNewerRust { .. } => "needs-newer-rust",
            SkipReason::StdItem { .. } => "std-item",
            SkipReason::DoesNotCompile(_) => "does-not-compile",
            SkipReason::NotCompiled => "not-compiled",
            SkipReason::CheckBudget { .. } => "check-budget",
            SkipReason::CheckDidNotRun(_) => "check-did-not-run",
            SkipReason::TooDeep(_) => "too-deep",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Suppressed => write!(f, "suppressed by a `// suture-ignore` comment"),
            SkipReason::SyntaxErrorAround => write!(f, "the code around it has a syntax error"),
            SkipReason::Instantiate(e) => write!(f, "{e}"),
            SkipReason::DropsComment => {
                write!(f, "the fix would drop a comment inside the matched code")
            }
            SkipReason::Overlaps { winner, line, tie } => {
                write!(
                    f,
                    "overlaps the higher-ranked fix by {winner} at line {line}"
                )?;
                if *tie {
                    write!(f, " (a tie on confidence, broken by specificity, then id)")?;
                }
                write!(f, "; looked for again once that fix is applied")
            }
            SkipReason::DoesNotParse(e) => write!(f, "the patched file does not parse: {e}"),
            SkipReason::MoreSyntaxErrors => {
                write!(f, "the patched file has more syntax errors than before")
            }
            SkipReason::TogetherDoNotParse(r) => {
                write!(f, "the fixes of this file together do not parse: {r}")
            }
            SkipReason::SelfRecursion { function } => {
                write!(f, "the fix would make `{function}` call itself")
            }
            SkipReason::OldFormOnPurpose { function } => write!(
                f,
                "`{function}` uses the old form on purpose (it is named after it, its attributes name it, or it allows `deprecated`), so the migration leaves it"
            ),
            SkipReason::NeedsNewerRust { item, since, msrv } => write!(
                f,
                "the fix uses {} (stable since Rust {since}), newer than the crate's MSRV {} ({})",
                crate::msrv::describe(item),
                msrv.version,
                msrv.source
            ),
            SkipReason::StdItem { name, evidence } => write!(
                f,
                "`{name}` here is the standard library's (`{evidence}`), not the item the migration moves off"
            ),
            SkipReason::DoesNotCompile(messages) if messages.is_empty() => write!(
                f,
                "the check fails with it (found by bisection), with no message on its lines"
            ),
            SkipReason::DoesNotCompile(messages) => {
                write!(f, "new with it: {}", messages.join("; "))
            }
            SkipReason::CheckBudget { runs } => write!(
                f,
                "not checked: the check did not settle within {runs} compiler runs (narrow PATH or raise --min-confidence)"
            ),
            SkipReason::CheckDidNotRun(why) => write!(
                f,
                "not checked: the baseline `cargo check` did not run: {why} (`--validate none` shows the fixes unchecked)"
            ),
            SkipReason::TooDeep(too_deep) => write!(f, "not searched: {too_deep}"),
            SkipReason::NotCompiled => write!(
                f,
                "`cargo check --workspace --all-targets` does not compile this file (a feature or cfg leaves it out), so the fix cannot be checked"
            ),
        }
    }
}

/// Serialised as its sentence, so that the JSON `reason` field reads as before; `code` is written beside it.
impl Serialize for SkipReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
