//! Fuzzes the Rust syntax conversion (`syntax::parse`) with arbitrary and with deliberately deep text.
//!
//! The invariants are the crate's promises: parsing never fails nor panics; the tree is in preorder with
//! consistent sizes and parents; no tree is deeper than `syntax::MAX_DEPTH` (a deeper text is a one-node
//! tree with `too_deep` set); and a text within the budget can go through syn's strict re-parse without
//! overflowing the stack of a `syntax::STACK_BYTES` thread. The first input byte, when it is a digit,
//! repeats the rest that many hundred times, so that the fuzzer reaches pathological nesting
//! (`Some(` × 3,000, `1 + ` × 20,000) from short inputs.

#![no_main]

use libfuzzer_sys::fuzz_target;

fn check(text: String) {
    let parse = syntax::parse(&text);
    let tree = &parse.tree;
    assert!(!tree.is_empty());
    let mut depth = vec![0u32; tree.len()];
    for id in 0..tree.len() {
        let node = &tree.nodes[id];
        assert!(id as u32 + node.size <= tree.len() as u32, "subtree beyond the tree");
        if let Some(p) = node.parent {
            assert!((p as usize) < id, "a parent comes before its children");
            depth[id] = depth[p as usize] + 1;
        }
        assert!(node.span.start <= node.span.end && node.span.end as usize <= text.len());
    }
    let deepest = depth.iter().copied().max().unwrap_or(0) + 1;
    assert!(deepest <= syntax::MAX_DEPTH, "a tree of depth {deepest}");
    if parse.too_deep.is_some() {
        assert_eq!(tree.len(), 1);
    } else if parse.errors.is_empty() {
        let _ = syntax::strict_reparse(&text);
    }
}

fuzz_target!(|data: &[u8]| {
    let (times, rest) = match data.split_first() {
        Some((&d, rest)) if d.is_ascii_digit() => (usize::from(d - b'0') * 100, rest),
        _ => (1, data),
    };
    let piece = String::from_utf8_lossy(rest);
    let text = if times > 1 {
        // Open the repeated piece, then close what it opened, so that deep shapes are well formed.
        let closers: String = piece
            .chars()
            .rev()
            .filter_map(|c| match c {
                '(' => Some(')'),
                '[' => Some(']'),
                '{' => Some('}'),
                '<' => Some('>'),
                _ => None,
            })
            .collect();
        format!(
            "fn f() {{ let _ = {}1{}; }}",
            piece.repeat(times),
            closers.repeat(times)
        )
    } else {
        piece.into_owned()
    };
    let result = std::thread::Builder::new()
        .stack_size(syntax::STACK_BYTES)
        .spawn(move || check(text))
        .expect("a thread")
        .join();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
});
