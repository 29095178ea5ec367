//! The parse floor of a scan: walk a codebase as `suture fix` does (`pipeline::rust_files`, `.gitignore`
//! respected), read every Rust file and parse it with tree-sitter into suture's tree, on the same rayon pool,
//! and nothing else. A scan cannot cost less than this; `benches/scan_floor.sh` runs it beside `suture fix`
//! in the same run and reports the ratio.
//!
//! `cargo bench -p pipeline --bench parse_floor -- DIR` prints files, lines, bytes and the wall time.

use std::time::Instant;

use rayon::prelude::*;

fn main() {
    let Some(dir) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: parse_floor DIR");
        std::process::exit(2);
    };
    let start = Instant::now();
    let files = match pipeline::rust_files(std::path::Path::new(&dir)) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("parse_floor: {e:#}");
            std::process::exit(2);
        }
    };
    let (lines, bytes, nodes) = files
        .par_iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        // As `suture fix` at its default --max-file-bytes: larger files are skipped unparsed.
        .filter(|text| text.len() <= 1 << 20)
        .map(|text| {
            let tree = syntax::parse(&text).tree;
            (text.lines().count(), text.len(), tree.nodes.len())
        })
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    println!(
        "parse floor: {} files, {lines} lines, {bytes} bytes, {nodes} nodes parsed in {:.3} s",
        files.len(),
        start.elapsed().as_secs_f64()
    );
}
