//! Fuzzes the streaming reader and the fingerprint with arbitrary log text.
//!
//! The invariants are the crate's promises: reading never panics, whatever the lines; every event points
//! at a line that was read; and every event gets a 16-hex-digit fingerprint whose frames are workspace
//! files. Bytes are decoded lossily, so every input reaches the reader.

#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;

const LIB: &str = "pub fn ratio(a: u32, b: u32) -> u32 {\n    a / b\n}\n\npub fn pick(v: &[u32], i: usize) -> u32 {\n    v[i]\n}\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut reader = watch::Reader::new();
    let mut events = Vec::new();
    let mut lines = 0u64;
    for line in text.split('\n') {
        lines += 1;
        let _ = watch::time::parse_prefix(line);
        reader.line(line, &mut events);
    }
    reader.finish(&mut events);
    let files: HashSet<String> = ["src/lib.rs", "src/main.rs"]
        .into_iter()
        .map(String::from)
        .collect();
    let workspace = watch::Workspace {
        root: "/srv/shop".to_owned(),
        files: files.clone(),
    };
    let mut fingerprinter = watch::Fingerprinter::new(workspace, |f: &str| {
        (f == "src/lib.rs").then(|| LIB.to_owned())
    });
    for event in &events {
        assert!(event.origin.line >= 1 && event.origin.line <= lines);
        let signature = fingerprinter.signature(&event.failure);
        assert_eq!(signature.fingerprint.len(), 16);
        assert!(signature.frames.iter().all(|f| files.contains(&f.file)));
    }
});
