//! The deepest tree among the Rust files named on stdin (one path a line): what the depth budget must allow.
use std::io::BufRead;

fn main() {
    let mut deepest = (0u32, String::new());
    let mut files = 0;
    let mut over = Vec::new();
    for path in std::io::stdin().lock().lines() {
        let path = path.expect("stdin is text");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        files += 1;
        let parse = syntax::parse(&text);
        if parse.too_deep.is_some() {
            over.push(path);
            continue;
        }
        let tree = &parse.tree;
        let mut depth = vec![0u32; tree.len()];
        for id in 0..tree.len() {
            depth[id] = tree.nodes[id].parent.map_or(1, |p| depth[p as usize] + 1);
        }
        let d = depth.iter().copied().max().unwrap_or(0);
        if d > deepest.0 {
            deepest = (d, path);
        }
    }
    println!(
        "{files} files; deepest {} in {}; over the budget: {over:?}",
        deepest.0, deepest.1
    );
}
