//! Fuzzes the pattern-file parser: TOML text → `SerializablePattern` → `LibraryPattern` (templates parsed as
//! Rust fragments with holes, guards, examples), the path every `--patterns` directory and the shipped
//! library take. The invariant: a bad file is an error, never a panic; a good one's templates render.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pattern::{LibraryPattern, SerializablePattern};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(file) = toml::from_str::<SerializablePattern>(&text) else {
        return;
    };
    if let Ok(p) = LibraryPattern::try_from(file) {
        let _ = p.pattern.before.render();
        let _ = p.pattern.after.render();
        let _ = p.pattern.is_applicable();
    }
});
