fn f(v: &[u8]) -> bool { v.len() == 0 }
