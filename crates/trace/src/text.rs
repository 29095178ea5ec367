//! Small string helpers shared by the readers: cleaning a log line, `FILE:LINE:COL`, function names.
//!
//! Everything here works on `&str` by hand rather than with regexes: the shapes are simple, it keeps the
//! crate free of a regex dependency, and it makes the worst case plainly linear, which matters because
//! `parse` is fuzzed with arbitrary text.

use std::borrow::Cow;

/// Removes what terminals and CI add around a line: ANSI escape sequences (coloured cargo / nextest
/// output), a trailing `\r`, and a leading GitHub Actions timestamp (`2024-05-01T10:00:00.1234567Z `).
pub(crate) fn clean_line(raw: &str) -> Cow<'_, str> {
    let line = raw.strip_suffix('\r').unwrap_or(raw);
    let line = strip_timestamp(line);
    if !line.contains('\u{1b}') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        // CSI: ESC [ parameters… final byte in @..~; anything else after ESC is dropped with it.
        if chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    Cow::Owned(out)
}

fn strip_timestamp(line: &str) -> &str {
    let b = line.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let shaped = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':');
    if !shaped {
        return line;
    }
    match line.find("Z ") {
        Some(end) if end < 40 => &line[end + 2..],
        _ => line,
    }
}

/// Splits `FILE:LINE:COL` or `FILE:LINE` (numbers taken from the right, so `C:\x.rs:3:4` works).
pub(crate) fn location(s: &str) -> Option<(&str, u32, Option<u32>)> {
    let s = s.trim();
    let (rest, last) = s.rsplit_once(':')?;
    let last: u32 = number(last)?;
    if let Some((file, line)) = rest.rsplit_once(':')
        && let Some(line) = number(line)
        && !file.is_empty()
    {
        return Some((file, line, Some(last)));
    }
    (!rest.is_empty()).then_some((rest, last, None))
}

fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The width of a line's leading whitespace, in bytes.
pub(crate) fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Removes symbol hashes: a trailing `::h0123456789abcdef` (legacy mangling) and crate disambiguators
/// such as `std[e28293b1aa0f68bd]::` (v0 mangling, printed by `RUST_BACKTRACE=full`).
pub(crate) fn normalize_function(name: &str) -> String {
    let mut name = name.trim();
    if let Some((head, hash)) = name.rsplit_once("::h")
        && hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
    {
        name = head;
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let hex_len = after
            .bytes()
            .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .count();
        let after_ident = rest[..open]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if after_ident && hex_len > 0 && after.as_bytes().get(hex_len) == Some(&b']') {
            out.push_str(&rest[..open]);
            rest = &after[hex_len + 1..];
        } else {
            out.push_str(&rest[..open + 1]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The crate a function belongs to: `ledger` for `ledger::tests::oversold` and for
/// `<ledger::Ledger as core::fmt::Display>::fmt`.
pub(crate) fn crate_of(function: &str) -> Option<&str> {
    let s = function.trim_start_matches(['<', '&']);
    let s = s.strip_prefix("mut ").unwrap_or(s);
    let s = s.strip_prefix("dyn ").unwrap_or(s);
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (end > 0 && s[end..].starts_with("::")).then_some(&s[..end])
}

/// `core::option::Option<T>::expect` → `core::option::Option::expect`: generic arguments removed.
pub(crate) fn without_generics(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Decodes the five XML entities and numeric character references.
pub(crate) fn xml_unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &after[..end];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let code = if let Some(hex) = entity.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(dec) = entity.strip_prefix('#') {
                        dec.parse().ok()
                    } else {
                        None
                    };
                    code.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}
