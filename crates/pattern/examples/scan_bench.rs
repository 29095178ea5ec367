//! Times the textual scans of `suture fix`'s hot path over a corpus of Rust files held in memory: squeezing
//! (`pattern::squeeze`), the index's needle pass (`Index::possible_with_hits`, which squeezes every file) and
//! the bracket scan (`syntax::scan::Punctuation`). Run by `benches/lexer.sh`.
//!
//! Why an example and not criterion: the workspace has no criterion, and these scans only need a median of
//! whole-corpus passes, which a loop and `Instant` measure well. It uses only public API that predates the
//! shared tokenizer, so the same file measures the code before and after a change. The checksums it prints
//! (bytes squeezed, hits, brackets) let two builds be compared for behaviour as well as speed.
//!
//! Usage: `cargo run --release -p pattern --example scan_bench -- RUNS PATH...` (directories are walked for
//! `.rs` files).

use std::path::Path;
use std::time::Instant;

use pattern::{Index, Pattern, squeeze};
use syntax::scan::Punctuation;

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .and_then(|r| r.parse().ok())
        .expect("usage: scan_bench RUNS PATH...");
    let mut files = Vec::new();
    for path in args {
        collect(Path::new(&path), &mut files);
    }
    let bytes: usize = files.iter().map(String::len).sum();
    println!(
        "corpus: {} .rs files, {:.1} MB",
        files.len(),
        bytes as f64 / 1e6
    );

    let patterns: Vec<Pattern> = [
        ("$A.clone().into()", "$A.into()"),
        ("$A.iter().count()", "$A.len()"),
        ("$A.len() == 0", "$A.is_empty()"),
        ("$A.unwrap_or(String::new())", "$A.unwrap_or_default()"),
        ("$A.map(|x| x).collect()", "$A.collect()"),
    ]
    .iter()
    .map(|(before, after)| Pattern::parse(before, after, (None, None)).expect("pattern parses"))
    .collect();
    let index = Index::new(patterns.iter().collect());

    measure("squeeze", runs, bytes, || {
        files.iter().map(|f| squeeze(f).len()).sum()
    });
    measure("index (possible_with_hits)", runs, bytes, || {
        files
            .iter()
            .map(|f| {
                let (possible, hits) = index.possible_with_hits(f);
                possible.len() + hits.map_or(0, |h| h.len())
            })
            .sum()
    });
    measure("punctuation", runs, bytes, || {
        files.iter().map(|f| Punctuation::new(f, 0).count()).sum()
    });
}

fn collect(path: &Path, files: &mut Vec<String>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .expect("readable directory")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for entry in entries {
            if entry
                .file_name()
                .is_some_and(|n| n != "target" && n != ".git")
            {
                collect(&entry, files);
            }
        }
    } else if path.extension().is_some_and(|e| e == "rs")
        && let Ok(text) = std::fs::read_to_string(path)
    {
        files.push(text);
    }
}

/// Runs `pass` once untimed, then `runs` times, and prints the median and range with the pass's checksum.
fn measure(name: &str, runs: usize, bytes: usize, mut pass: impl FnMut() -> usize) {
    let checksum = pass();
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(pass());
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{name:<28} median {:8.2} ms ({:.2}-{:.2}), {:7.1} MB/s, checksum {checksum}",
        median * 1e3,
        times[0] * 1e3,
        times[times.len() - 1] * 1e3,
        bytes as f64 / 1e6 / median
    );
}
