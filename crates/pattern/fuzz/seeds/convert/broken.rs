//! Fuzz seed: a file with a syntax error, so the conversion starts from error recovery.
fn f() { let x = (1 + ; }
