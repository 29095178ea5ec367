//! The log reader on real panic output of this toolchain (`test_data/`, see its README), the shapes
//! production adds around it (timestamps, JSON lines, other log lines, interleaving, truncation), the
//! fingerprint and the escalation rule.

use std::collections::HashSet;
use std::fmt::Write as _;

use expect_test::{Expect, expect};
use watch::{Event, Fingerprinter, Rule, Status, Workspace};

fn data(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn render(events: &[Event]) -> String {
    let mut out = String::new();
    for e in events {
        let at = e.at.map_or("-".to_owned(), watch::time::format);
        let site = e
            .failure
            .site
            .as_ref()
            .map_or("-".to_owned(), |s| format!("{}:{}", s.file, s.line));
        let frames: Vec<String> = e
            .failure
            .frames
            .iter()
            .filter(|f| !f.file.starts_with("/rustc/"))
            .map(|f| format!("{}@{}", f.function.as_deref().unwrap_or("?"), f.line))
            .collect();
        writeln!(
            out,
            "{at} {} {site} {:?} line={}{}{} [{}]",
            e.failure.kind.name(),
            e.failure.message.lines().next().unwrap_or(""),
            e.origin.line,
            if e.origin.json { " json" } else { "" },
            if e.partial { " partial" } else { "" },
            frames.join(" ")
        )
        .unwrap();
    }
    out
}

#[track_caller]
fn check(text: &str, expect: Expect) {
    expect.assert_eq(&render(&watch::read(text)));
}

#[test]
fn plain_panics_of_this_toolchain() {
    check(
        &data("div_plain.txt"),
        expect![[r#"
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=2 []
        "#]],
    );
    check(
        &data("index_plain.txt"),
        expect![[r#"
            - index-out-of-bounds src/lib.rs:6 "index out of bounds: the len is 3 but the index is 5" line=2 []
        "#]],
    );
    check(
        &data("assert_plain.txt"),
        expect![[r#"
            - assertion-failed src/main.rs:10 "assertion `left == right` failed: counts differ" line=2 []
        "#]],
    );
    check(
        &data("threads_plain.txt"),
        expect![[r#"
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=2 []
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=6 []
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=9 []
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=12 []
        "#]],
    );
}

#[test]
fn backtraces_short_and_full() {
    check(
        &data("div_backtrace.txt"),
        expect![[r#"
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=2 [capture::ratio@2 capture::main@7]
        "#]],
    );
    check(
        &data("div_backtrace_full.txt"),
        expect![[r#"
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=2 [capture::ratio@2 capture::main@7 __libc_start_call_main@58 __libc_start_main_impl@360]
        "#]],
    );
    check(
        &data("unwrap_backtrace.txt"),
        expect![[r#"
            - unwrap-none src/main.rs:9 "called `Option::unwrap()` on a `None` value" line=2 [capture::main@9]
        "#]],
    );
}

#[test]
fn tracing_json_lines() {
    check(
        &data("tracing_message.jsonl"),
        expect![[r#"
            2026-12-02T01:20:16Z divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=2 json []
        "#]],
    );
    check(
        &data("tracing_fields_payload.jsonl"),
        expect![[r#"
            2026-12-02T01:20:16Z divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=1 json []
        "#]],
    );
    check(
        &data("tracing_flat_fields.jsonl"),
        expect![[r#"
            2026-12-02T01:20:16Z index-out-of-bounds src/lib.rs:6 "index out of bounds: the len is 3 but the index is 5" line=1 json [capture::main::{{closure}}@31 capture::pick@6 capture::main@34 __libc_start_call_main@58 __libc_start_main_impl@360]
        "#]],
    );
}

/// Every line prefixed with an RFC 3339 timestamp, as `docker logs -t` and journald exports print, between
/// ordinary log lines.
#[test]
fn timestamped_lines_among_other_log_lines() {
    let mut log = String::new();
    log.push_str("2026-12-01T09:59:58.100Z  INFO shop: request served path=/ratio\n");
    for line in data("div_plain.txt").lines() {
        writeln!(log, "2026-12-01T10:00:00.250000Z {line}").unwrap();
    }
    log.push_str("2026-12-01T11:00:01+01:00 INFO shop: restarted\n");
    // A panic without a timestamp of its own takes the stream's clock (the line before it).
    log.push_str(&data("index_plain.txt"));
    log.push_str("[2026-12-01T10:05:00Z] thread 'worker' (7) panicked at src/lib.rs:6:5:\n");
    log.push_str("[2026-12-01T10:05:00Z] index out of bounds: the len is 3 but the index is 9\n");
    log.push_str("2026-12-01T10:05:01Z  INFO shop: request served path=/pick\n");
    check(
        &log,
        expect![[r#"
            2026-12-01T10:00:00Z divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=3 []
            2026-12-01T10:00:01Z index-out-of-bounds src/lib.rs:6 "index out of bounds: the len is 3 but the index is 5" line=8 []
            2026-12-01T10:05:00Z index-out-of-bounds src/lib.rs:6 "index out of bounds: the len is 3 but the index is 9" line=11 []
        "#]],
    );
}

/// Two processes' panics interleaved line by line, one cut off after its header, one cut off in
/// its backtrace: every header is an event, the damaged ones partial, and nothing panics.
#[test]
fn interleaved_and_truncated_events_degrade_to_partial_events() {
    let log = "\
thread 'a' (1) panicked at src/lib.rs:2:5:
thread 'b' (2) panicked at src/lib.rs:6:5:
attempt to divide by zero
index out of bounds: the len is 3 but the index is 5
INFO unrelated
thread 'c' (3) panicked at src/lib.rs:2:5:
";
    check(
        log,
        expect![[r#"
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=1 []
            - index-out-of-bounds src/lib.rs:6 "index out of bounds: the len is 3 but the index is 5" line=2 []
            - other src/lib.rs:2 "" line=6 partial []
        "#]],
    );
    let backtrace = data("div_backtrace.txt");
    let cut = &backtrace[..backtrace.find("   4:").unwrap()];
    check(
        cut,
        expect![[r#"
            - divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=2 [capture::ratio@2]
        "#]],
    );
    let torn = format!(
        "{}\u{0}\u{1b}[31m{{\"fields\":{{\"message\":\"panicked",
        &backtrace[..60]
    );
    check(
        &torn,
        expect![[r#"
            - explicit-panic src/lib.rs:2 "attempt t\0{\"fields\":{\"message\":\"panicked" line=2 []
        "#]],
    );
}

/// Found by the fuzzer: escape codes inside `panicked at` hid a header from this reader but not from
/// `trace`, and the extra event got line 0. Escapes are now removed first (coloured logs); a panic inside
/// a libtest JSON event is read by `trace` as one of the chunk's, and the header cut off before it is a
/// partial event.
#[test]
fn coloured_lines_and_headers_only_trace_sees() {
    let log = "\u{1b}[2m2026-12-01T10:00:00Z\u{1b}[0m thread 'a' (1) panicked at src/lib.rs:2:5:\n\
               2026-12-01T10:00:01Z thread 'b' (2) \u{1b}[31mpanicked\u{1b}[0m at src/lib.rs:6:5:\n\
               2026-12-01T10:00:01Z attempt to divide by zero\n\
               2026-12-01T10:00:01Z index out of bounds: the len is 3 but the index is 5\n";
    check(
        log,
        expect![[r#"
            2026-12-01T10:00:00Z divide-by-zero src/lib.rs:2 "attempt to divide by zero" line=1 []
            2026-12-01T10:00:01Z index-out-of-bounds src/lib.rs:6 "index out of bounds: the len is 3 but the index is 5" line=2 []
        "#]],
    );
    let embedded = "thread 'main' (1) panicked at src/lib.rs:2:5:\n\
                    {\"type\":\"test\",\"event\":\"failed\",\"name\":\"t\",\"stdout\":\"thread 't' panicked at src/lib.rs:6:5:\\nboom\\n\"}\n";
    check(
        embedded,
        expect![[r#"
            - other src/lib.rs:2 "" line=1 partial []
            - explicit-panic src/lib.rs:6 "boom" line=2 partial []
        "#]],
    );
}

/// A chunk that never ends (a header followed by endless frames) is closed by the limit: bounded memory,
/// a partial event, and the reader goes on.
#[test]
fn chunks_are_bounded() {
    let mut reader = watch::Reader::new();
    let mut out = Vec::new();
    reader.line("thread 'main' (1) panicked at src/lib.rs:2:5:", &mut out);
    reader.line("attempt to divide by zero", &mut out);
    reader.line("stack backtrace:", &mut out);
    for i in 0..watch::MAX_CHUNK_LINES + 10 {
        reader.line(&format!("  {i}: capture::deep"), &mut out);
    }
    reader.line("thread 'main' (1) panicked at src/lib.rs:6:5:", &mut out);
    reader.line(
        "index out of bounds: the len is 3 but the index is 5",
        &mut out,
    );
    reader.finish(&mut out);
    let summary: Vec<(&str, bool)> = out
        .iter()
        .map(|e| (e.failure.kind.name(), e.partial))
        .collect();
    assert_eq!(
        summary,
        [("divide-by-zero", true), ("index-out-of-bounds", false)]
    );
}

fn workspace() -> Workspace {
    Workspace {
        root: "/srv/shop".to_owned(),
        files: ["src/lib.rs", "src/main.rs"]
            .into_iter()
            .map(String::from)
            .collect::<HashSet<_>>(),
    }
}

const LIB: &str = "pub fn ratio(a: u32, b: u32) -> u32 {\n    a / b\n}\n\npub fn pick(v: &[u32], i: usize) -> u32 {\n    v[i]\n}\n";

/// The same panic without and with a short backtrace (their in-app frames differ), after an unrelated
/// edit moved it down two lines, and another panic: fingerprints follow functions, not lines.
#[test]
fn fingerprints_follow_functions_not_lines() {
    let moved = format!("// a comment\n// and another\n{LIB}");
    let mut at_rev = Fingerprinter::new(workspace(), |f: &str| {
        (f == "src/lib.rs").then(|| LIB.to_owned())
    });
    let mut later = Fingerprinter::new(workspace(), move |f: &str| {
        (f == "src/lib.rs").then(|| moved.clone())
    });
    let plain = &watch::read(&data("div_plain.txt"))[0].failure;
    let moved_text = data("div_plain.txt").replace("src/lib.rs:2:5", "src/lib.rs:4:5");
    let moved_event = &watch::read(&moved_text)[0].failure;
    let index = &watch::read(&data("index_plain.txt"))[0].failure;
    let a = at_rev.signature(plain);
    let b = later.signature(moved_event);
    let c = at_rev.signature(index);
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_ne!(a.fingerprint, c.fingerprint);
    assert_eq!(a.frames[0].function.as_deref(), Some("ratio"));
    assert_eq!(c.frames[0].function.as_deref(), Some("pick"));
    // Stable across runs and builds: the value is part of the store and of PR bodies.
    expect!["0465a59a8210e167"].assert_eq(&a.fingerprint);
}

fn hours(list: &[(i64, u64)]) -> Vec<(i64, u64)> {
    list.to_vec()
}

#[test]
fn escalation_rule() {
    let rule = Rule::default();
    let now = 1_000 * 3600 + 1800;
    // A quiet week (one event every six hours) and 12 in the last hour: over the floor of 10.
    let mut counts: Vec<(i64, u64)> = (1..=28).map(|i| (1_000 - 6 * i, 1)).collect();
    counts.push((1_000, 12));
    let first = (1_000 - 6 * 28) * 3600;
    let (status, baseline) = watch::status(&rule, &counts, first, now, None, now);
    assert_eq!(status, Status::Escalating, "{baseline:?}");
    assert_eq!(baseline.limit, 10.0);
    // The same week and 10 in the last hour: not over the floor.
    counts.last_mut().unwrap().1 = 10;
    assert_eq!(
        watch::status(&rule, &counts, first, now, None, now).0,
        Status::Steady
    );
    // A busy group, about 100 an hour: 300 is under the lower bound 5 × mean (a regular group's σ is
    // small, so mean + 5σ alone would flag any wobble), steady; 600 is over it.
    let mut busy: Vec<(i64, u64)> = (1..=168)
        .map(|i| (1_000 - i, 95 + (i as u64 % 10)))
        .collect();
    busy.push((1_000, 300));
    let first = (1_000 - 168) * 3600;
    let (status, baseline) = watch::status(&rule, &busy, first, now, None, now);
    assert_eq!(status, Status::Steady, "{baseline:?}");
    busy.last_mut().unwrap().1 = 600;
    assert_eq!(
        watch::status(&rule, &busy, first, now, None, now).0,
        Status::Escalating
    );
    // First seen inside the window: new, whatever its count; seen after a recorded fix: regressed.
    assert_eq!(
        watch::status(&rule, &hours(&[(1_000, 50)]), now - 60, now, None, now).0,
        Status::New
    );
    assert_eq!(
        watch::status(&rule, &counts, first, now, Some(now - 100), now).0,
        Status::Regressed
    );
    assert_eq!(
        watch::status(&rule, &counts, first, now - 200, Some(now - 100), now).0,
        Status::Steady
    );
}
