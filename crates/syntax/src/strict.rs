//! Strict re-parse of generated code with syn.
//!
//! tree-sitter accepts almost anything and marks errors in the tree; that is right for reading user code, but
//! a patch that suture writes must be real Rust. syn is the reference that rustc's own proc-macro ecosystem
//! agrees on, so a patched file must pass `syn::parse_file` before it is offered.

/// Why a text is not a valid Rust file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictError {
    /// 1-based line and column.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for StrictError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for StrictError {}

/// Checks that `text` is a complete, valid Rust file.
pub fn strict_reparse(text: &str) -> Result<(), StrictError> {
    syn::parse_file(text).map(drop).map_err(|e| {
        let start = e.span().start();
        StrictError {
            line: start.line as u32,
            column: start.column as u32 + 1,
            message: e.to_string(),
        }
    })
}
