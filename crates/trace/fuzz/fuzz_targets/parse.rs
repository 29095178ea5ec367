//! Fuzzes `trace::parse` and `trace::failing_path` with arbitrary text.
//!
//! The invariant is the crate's promise: parsing never panics, whatever the text, and mapping what it
//! found onto a workspace never panics either. Bytes are decoded lossily rather than rejected when they are
//! not UTF-8, so that every input the fuzzer tries reaches the parser.

#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let trace = trace::parse(&text);
    // Several `src/lib.rs` so that relative frames exercise the crate-name tie-break.
    let files: HashSet<String> = [
        "src/lib.rs",
        "src/main.rs",
        "crates/core/src/lib.rs",
        "crates/ledger/src/lib.rs",
        "crates/ledger/tests/api.rs",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for failure in &trace.failures {
        let path = trace::failing_path(failure, "/tmp/ws", &files);
        assert!(
            path.iter()
                .enumerate()
                .all(|(i, l)| l.rank == i && files.contains(&l.file))
        );
    }
    for diagnostic in &trace.diagnostics {
        let _ = trace::workspace_path(&diagnostic.file, "/tmp/ws", &files);
    }
});
