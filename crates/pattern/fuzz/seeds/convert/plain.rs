//! Fuzz seed: a small well-formed file, so the conversion starts from ordinary code.
fn f(v: &[u8]) -> bool { v.len() == 0 }
