//! Tests of reading failure output and mapping it onto the workspace.
//!
//! Most inputs are files under `test_data/`, captured from real runs (see `test_data/README.md`); their
//! name prefix says which workspace they came from, and `check` maps their frames onto that workspace's
//! files. Inline inputs use a small made-up workspace rooted at `/work/app`.

use std::collections::HashSet;
use std::fmt::Write;

use expect_test::{Expect, expect};
use trace::{Failure, PanicKind, Trace, failing_path, parse, workspace_path};

struct Workspace {
    root: &'static str,
    files: &'static [&'static str],
}

const INLINE: Workspace = Workspace {
    root: "/work/app",
    files: &[
        "src/lib.rs",
        "src/main.rs",
        "src/stock.rs",
        "crates/core/src/lib.rs",
        "crates/ledger/src/lib.rs",
        "tests/api.rs",
    ],
};

fn workspace(name: &str) -> Workspace {
    match name.split('_').next().unwrap_or("") {
        "shop" => Workspace {
            root: "/tmp/shop",
            files: &["src/lib.rs", "src/stock.rs", "src/bin/tool.rs"],
        },
        "ws" => Workspace {
            root: "/tmp/ws",
            files: &[
                "crates/core/src/lib.rs",
                "crates/ledger/src/lib.rs",
                "crates/ledger/tests/api.rs",
            ],
        },
        "inter" => Workspace {
            root: "/tmp/inter",
            files: &["src/lib.rs"],
        },
        "broken" => Workspace {
            root: "/tmp/broken",
            files: &["src/lib.rs"],
        },
        _ => INLINE,
    }
}

fn is_fixture(input: &str) -> bool {
    !input.contains('\n') && [".txt", ".xml", ".json"].iter().any(|e| input.ends_with(e))
}

fn fixture(name: &str) -> String {
    let path = format!("{}/test_data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The input text and its workspace: a fixture by name, or inline text.
fn input(input: &str) -> (String, Workspace) {
    if is_fixture(input) {
        (fixture(input), workspace(input))
    } else {
        (input.to_owned(), INLINE)
    }
}

fn render(trace: &Trace, ws: &Workspace) -> String {
    let files: HashSet<String> = ws.files.iter().map(|f| f.to_string()).collect();
    let mut out = String::new();
    for failure in &trace.failures {
        render_failure(&mut out, failure, ws.root, &files);
    }
    for d in &trace.diagnostics {
        let code = d
            .code
            .as_ref()
            .map(|c| format!("[{c}]"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}{code} {}:{}:{} {}",
            d.level, d.file, d.line, d.column, d.message
        )
        .unwrap();
    }
    if !trace.failed_tests.is_empty() {
        writeln!(out, "failed: {}", trace.failed_tests.join(", ")).unwrap();
    }
    if out.is_empty() {
        out.push_str("nothing\n");
    }
    out
}

fn render_failure(out: &mut String, failure: &Failure, root: &str, files: &HashSet<String>) {
    let test = failure.test.as_deref().unwrap_or("-");
    let site = failure
        .site
        .as_ref()
        .map(|s| format!("{}:{}{}", s.file, s.line, column(s.column)))
        .unwrap_or_else(|| "?".into());
    write!(out, "{test} {:?} at {site}", failure.kind).unwrap();
    if failure.thread.as_deref() != failure.test.as_deref() {
        write!(out, " thread={}", failure.thread.as_deref().unwrap_or("-")).unwrap();
    }
    if !failure.frames.is_empty() {
        write!(out, " frames={}", failure.frames.len()).unwrap();
    }
    out.push('\n');
    for line in failure.message.lines() {
        writeln!(out, "  > {line}").unwrap();
    }
    for l in failing_path(failure, root, files) {
        let function = l.function.as_deref().unwrap_or("-");
        writeln!(
            out,
            "  #{} {}:{}{} {function}",
            l.rank,
            l.file,
            l.line,
            column(l.column)
        )
        .unwrap();
    }
}

fn column(column: Option<u32>) -> String {
    column.map(|c| format!(":{c}")).unwrap_or_default()
}

#[track_caller]
fn check(name_or_text: &str, expect: Expect) {
    let (text, ws) = input(name_or_text);
    expect.assert_eq(&render(&parse(&text), &ws));
}

/// Every frame of every failure, as parsed (before workspace mapping).
#[track_caller]
fn check_frames(name_or_text: &str, expect: Expect) {
    let (text, _) = input(name_or_text);
    let mut out = String::new();
    for failure in parse(&text).failures {
        for f in &failure.frames {
            let function = f.function.as_deref().unwrap_or("-");
            writeln!(
                out,
                "{function} @ {}:{}{}",
                f.file,
                f.line,
                column(f.column)
            )
            .unwrap();
        }
    }
    expect.assert_eq(&out);
}

#[track_caller]
fn check_kinds(messages: &[&str], expect: Expect) {
    let mut out = String::new();
    for message in messages {
        let text = format!("thread 'main' (1) panicked at src/lib.rs:1:1:\n{message}\n");
        let kinds: Vec<PanicKind> = parse(&text).failures.iter().map(|f| f.kind).collect();
        writeln!(out, "{kinds:?} <- {}", message.lines().next().unwrap_or("")).unwrap();
    }
    expect.assert_eq(&out);
}

#[test]
fn libtest_output_without_backtraces_covers_every_panic_kind() {
    check(
        "shop_libtest_kinds.txt",
        expect![[r#"
            tests::assert_eq_message AssertionFailed at src/lib.rs:139:9
              > assertion `left == right` failed: lines differ for x
              >   left: "a\nb"
              >  right: "a\nc"
              #0 src/lib.rs:139:9 -
            tests::add Overflow(Add) at src/lib.rs:67:17
              > attempt to add with overflow
              #0 src/lib.rs:67:17 -
            tests::assert_message ExplicitPanic at src/lib.rs:131:9
              > stock 1 too low
              #0 src/lib.rs:131:9 -
            tests::assert_ne_fails AssertionFailed at src/lib.rs:135:9
              > assertion `left != right` failed
              >   left: 1
              >  right: 1
              #0 src/lib.rs:135:9 -
            tests::assert_plain AssertionFailed at src/lib.rs:127:9
              > assertion failed: black_box(1) > 2
              #0 src/lib.rs:127:9 -
            tests::char_boundary CharBoundary at src/lib.rs:99:19
              > end byte index 2 is not a char boundary; it is inside 'é' (bytes 1..3) of `héllo`
              #0 src/lib.rs:99:19 -
            tests::divide DivideByZero at src/lib.rs:55:17
              > attempt to divide by zero
              #0 src/lib.rs:55:17 -
            tests::expect_err ExplicitPanic at src/lib.rs:51:29
              > price must be a number: ParseIntError { kind: InvalidDigit }
              #0 src/lib.rs:51:29 -
            tests::expect_none ExplicitPanic at src/lib.rs:47:19
              > stock must not be empty
              #0 src/lib.rs:47:19 -
            tests::explicit ExplicitPanic at src/lib.rs:143:9
              > boom: 42
              > second line
              #0 src/lib.rs:143:9 -
            tests::lazy_registry IndexOutOfBounds at src/lib.rs:14:11
              > index out of bounds: the len is 0 but the index is 2
              #0 src/lib.rs:14:11 -
            tests::multiply Overflow(Mul) at src/lib.rs:63:17
              > attempt to multiply with overflow
              #0 src/lib.rs:63:17 -
            tests::out_of_range IndexOutOfBounds at src/stock.rs:6:5
              > index out of bounds: the len is 3 but the index is 5
              #0 src/stock.rs:6:5 -
            tests::negate Overflow(Neg) at src/lib.rs:71:17
              > attempt to negate with overflow
              #0 src/lib.rs:71:17 -
            tests::oversold Overflow(Sub) at src/stock.rs:2:5
              > attempt to subtract with overflow
              #0 src/stock.rs:2:5 -
            tests::rayon_pool UnwrapNone at src/lib.rs:19:43
              > called `Option::unwrap()` on a `None` value
              #0 src/lib.rs:19:43 -
            tests::remainder RemainderByZero at src/lib.rs:59:17
              > attempt to calculate the remainder with a divisor of zero
              #0 src/lib.rs:59:17 -
            tests::shift_left Overflow(Shl) at src/lib.rs:75:17
              > attempt to shift left with overflow
              #0 src/lib.rs:75:17 -
            tests::shift_right Overflow(Shr) at src/lib.rs:79:17
              > attempt to shift right with overflow
              #0 src/lib.rs:79:17 -
            tests::slice_end SliceRange at src/lib.rs:84:19
              > range end index 10 out of range for slice of length 3
              #0 src/lib.rs:84:19 -
            tests::slice_order SliceRange at src/lib.rs:89:19
              > slice index starts at 2 but ends at 1
              #0 src/lib.rs:89:19 -
            tests::slice_start SliceRange at src/lib.rs:94:19
              > range start index 5 out of range for slice of length 3
              #0 src/lib.rs:94:19 -
            tests::str_range SliceRange at src/lib.rs:104:19
              > end byte index 10 is out of bounds of `abc`
              #0 src/lib.rs:104:19 -
            tests::todo_later Todo at src/lib.rs:119:9
              > not yet implemented
              #0 src/lib.rs:119:9 -
            tests::unimplemented_later Todo at src/lib.rs:123:9
              > not implemented
              #0 src/lib.rs:123:9 -
            tests::unreachable_arm Unreachable at src/lib.rs:110:18
              > internal error: entered unreachable code
              #0 src/lib.rs:110:18 -
            tests::unreachable_msg Unreachable at src/lib.rs:115:9
              > internal error: entered unreachable code: state 7
              #0 src/lib.rs:115:9 -
            tests::unwrap_err UnwrapErr at src/lib.rs:42:29
              > called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }
              #0 src/lib.rs:42:29 -
            tests::unwrap_none UnwrapNone at src/lib.rs:38:19
              > called `Option::unwrap()` on a `None` value
              #0 src/lib.rs:38:19 -
            tests::wrong_should_panic ExplicitPanic at src/lib.rs:158:9
              > other
              #0 src/lib.rs:158:9 -
            failed: tests::assert_eq_message, tests::add, tests::assert_message, tests::assert_ne_fails, tests::assert_plain, tests::char_boundary, tests::divide, tests::expect_err, tests::expect_none, tests::explicit, tests::lazy_registry, tests::multiply, tests::out_of_range, tests::negate, tests::oversold, tests::rayon_pool, tests::remainder, tests::shift_left, tests::shift_right, tests::slice_end, tests::slice_order, tests::slice_start, tests::str_range, tests::todo_later, tests::unimplemented_later, tests::unreachable_arm, tests::unreachable_msg, tests::unwrap_err, tests::unwrap_none, tests::wrong_should_panic
        "#]],
    );
}

#[test]
fn short_backtraces_give_the_failing_path_and_tell_expect_from_panic() {
    check(
        "shop_libtest_backtrace.txt",
        expect![[r#"
        tests::expect_err Expect at src/lib.rs:51:29 frames=8
          > price must be a number: ParseIntError { kind: InvalidDigit }
          #0 src/lib.rs:51:29 shop::tests::expect_err
          #1 src/lib.rs:50:20 shop::tests::expect_err::{{closure}}
        tests::char_boundary CharBoundary at src/lib.rs:99:19 frames=9
          > end byte index 2 is not a char boundary; it is inside 'é' (bytes 1..3) of `héllo`
          #0 src/lib.rs:99:19 shop::tests::char_boundary
          #1 src/lib.rs:97:23 shop::tests::char_boundary::{{closure}}
        tests::expect_none Expect at src/lib.rs:47:19 frames=9
          > stock must not be empty
          #0 src/lib.rs:47:19 shop::tests::expect_none
          #1 src/lib.rs:45:21 shop::tests::expect_none::{{closure}}
        tests::lazy_registry IndexOutOfBounds at src/lib.rs:14:11 frames=23
          > index out of bounds: the len is 0 but the index is 2
          #0 src/lib.rs:14:11 shop::PRICES::{{closure}}
          #1 src/lib.rs:147:17 shop::tests::lazy_registry
          #2 src/lib.rs:146:23 shop::tests::lazy_registry::{{closure}}
        tests::oversold Overflow(Sub) at src/stock.rs:2:5 frames=9
          > attempt to subtract with overflow
          #0 src/stock.rs:2:5 shop::stock::take
          #1 src/lib.rs:5:5 shop::sell
          #2 src/lib.rs:29:20 shop::tests::oversold
          #3 src/lib.rs:28:18 shop::tests::oversold::{{closure}}
        tests::unwrap_err UnwrapErr at src/lib.rs:42:29 frames=8
          > called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }
          #0 src/lib.rs:42:29 shop::tests::unwrap_err
          #1 src/lib.rs:41:20 shop::tests::unwrap_err::{{closure}}
        failed: tests::expect_err, tests::char_boundary, tests::expect_none, tests::lazy_registry, tests::oversold, tests::unwrap_err
    "#]],
    );
}

#[test]
fn full_backtraces_lose_their_symbol_hashes() {
    check(
        "shop_libtest_backtrace_full.txt",
        expect![[r#"
        tests::oversold Overflow(Sub) at src/stock.rs:2:5 frames=46
          > attempt to subtract with overflow
          #0 src/stock.rs:2:5 shop::stock::take
          #1 src/lib.rs:5:5 shop::sell
          #2 src/lib.rs:29:20 shop::tests::oversold
          #3 src/lib.rs:28:18 shop::tests::oversold::{{closure}}
        failed: tests::oversold
    "#]],
    );
    check_frames(
        "shop_libtest_backtrace_full.txt",
        expect![[r#"
        std::backtrace_rs::backtrace::libunwind::trace @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/../../backtrace/src/backtrace/libunwind.rs:117:9
        std::backtrace_rs::backtrace::trace_unsynchronized::<std::sys::backtrace::_print_fmt::{closure#1}> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/../../backtrace/src/backtrace/mod.rs:66:14
        std::sys::backtrace::_print_fmt @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/sys/backtrace.rs:74:9
        <<std::sys::backtrace::BacktraceLock>::print::DisplayBacktrace as core::fmt::Display>::fmt @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/sys/backtrace.rs:44:26
        <core::fmt::rt::Argument>::fmt @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/fmt/rt.rs:152:76
        std::io::default_write_fmt::<alloc::vec::Vec<u8>> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/io/mod.rs:639:11
        <alloc::vec::Vec<u8> as std::io::Write>::write_fmt @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/io/mod.rs:1994:13
        <std::sys::backtrace::BacktraceLock>::print @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/sys/backtrace.rs:47:9
        std::panicking::default_hook::{closure#0} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:292:27
        std::panicking::default_hook @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:316:9
        <alloc::boxed::Box<dyn for<'a, 'b> core::ops::function::Fn<(&'a std::panic::PanicHookInfo<'b>,), Output = ()> + core::marker::Sync + core::marker::Send> as core::ops::function::Fn<(&std::panic::PanicHookInfo,)>>::call @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/boxed.rs:2254:9
        test::test_main_with_exit_callback::<test::test_main::{closure#0}>::{closure#0} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/test/src/lib.rs:145:21
        <alloc::boxed::Box<dyn for<'a, 'b> core::ops::function::Fn<(&'a std::panic::PanicHookInfo<'b>,), Output = ()> + core::marker::Sync + core::marker::Send> as core::ops::function::Fn<(&std::panic::PanicHookInfo,)>>::call @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/boxed.rs:2254:9
        std::panicking::panic_with_hook @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:833:13
        std::panicking::panic_handler::{closure#0} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:691:13
        std::sys::backtrace::__rust_end_short_backtrace::<std::panicking::panic_handler::{closure#0}, !> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/sys/backtrace.rs:182:18
        __rustc::rust_begin_unwind @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:689:5
        core::panicking::panic_fmt @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panicking.rs:80:14
        core::panicking::panic_const::panic_const_sub_overflow @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panicking.rs:175:17
        shop::stock::take @ /tmp/shop/src/stock.rs:2:5
        shop::sell @ /tmp/shop/src/lib.rs:5:5
        shop::tests::oversold @ /tmp/shop/src/lib.rs:29:20
        shop::tests::oversold::{{closure}} @ /tmp/shop/src/lib.rs:28:18
        core::ops::function::FnOnce::call_once @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/ops/function.rs:250:5
        <fn() -> core::result::Result<(), alloc::string::String> as core::ops::function::FnOnce<()>>::call_once @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/ops/function.rs:250:5
        test::__rust_begin_short_backtrace::<core::result::Result<(), alloc::string::String>, fn() -> core::result::Result<(), alloc::string::String>> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/test/src/lib.rs:663:18
        test::run_test_in_process::{closure#0} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/test/src/lib.rs:686:74
        <core::panic::unwind_safe::AssertUnwindSafe<test::run_test_in_process::{closure#0}> as core::ops::function::FnOnce<()>>::call_once @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panic/unwind_safe.rs:274:9
        std::panicking::catch_unwind::do_call::<core::panic::unwind_safe::AssertUnwindSafe<test::run_test_in_process::{closure#0}>, core::result::Result<(), alloc::string::String>> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:581:40
        std::panicking::catch_unwind::<core::result::Result<(), alloc::string::String>, core::panic::unwind_safe::AssertUnwindSafe<test::run_test_in_process::{closure#0}>> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:544:19
        std::panic::catch_unwind::<core::panic::unwind_safe::AssertUnwindSafe<test::run_test_in_process::{closure#0}>, core::result::Result<(), alloc::string::String>> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panic.rs:359:14
        test::run_test_in_process @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/test/src/lib.rs:686:27
        test::run_test::{closure#0} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/test/src/lib.rs:607:43
        test::run_test::{closure#1} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/test/src/lib.rs:637:41
        std::sys::backtrace::__rust_begin_short_backtrace::<test::run_test::{closure#1}, ()> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/sys/backtrace.rs:166:18
        std::thread::lifecycle::spawn_unchecked::<test::run_test::{closure#1}, ()>::{closure#1}::{closure#0} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/thread/lifecycle.rs:91:13
        <core::panic::unwind_safe::AssertUnwindSafe<std::thread::lifecycle::spawn_unchecked<test::run_test::{closure#1}, ()>::{closure#1}::{closure#0}> as core::ops::function::FnOnce<()>>::call_once @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panic/unwind_safe.rs:274:9
        std::panicking::catch_unwind::do_call::<core::panic::unwind_safe::AssertUnwindSafe<std::thread::lifecycle::spawn_unchecked<test::run_test::{closure#1}, ()>::{closure#1}::{closure#0}>, ()> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:581:40
        std::panicking::catch_unwind::<(), core::panic::unwind_safe::AssertUnwindSafe<std::thread::lifecycle::spawn_unchecked<test::run_test::{closure#1}, ()>::{closure#1}::{closure#0}>> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:544:19
        std::panic::catch_unwind::<core::panic::unwind_safe::AssertUnwindSafe<std::thread::lifecycle::spawn_unchecked<test::run_test::{closure#1}, ()>::{closure#1}::{closure#0}>, ()> @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panic.rs:359:14
        std::thread::lifecycle::spawn_unchecked::<test::run_test::{closure#1}, ()>::{closure#1} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/thread/lifecycle.rs:89:26
        <std::thread::lifecycle::spawn_unchecked<test::run_test::{closure#1}, ()>::{closure#1} as core::ops::function::FnOnce<()>>::call_once::{shim:vtable#0} @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/ops/function.rs:250:5
        <alloc::boxed::Box<dyn core::ops::function::FnOnce<(), Output = ()> + core::marker::Send> as core::ops::function::FnOnce<()>>::call_once @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/boxed.rs:2240:9
        <std::sys::thread::unix::Thread>::new::thread_start @ /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/sys/thread/unix.rs:118:17
        start_thread @ ./nptl/pthread_create.c:442:8
        clone3 @ ./misc/../sysdeps/unix/sysv/linux/x86_64/clone3.S:81:0
    "#]],
    );
}

#[test]
fn a_binary_panics_on_the_main_thread() {
    check(
        "shop_binary_main.txt",
        expect![[r#"
        - IndexOutOfBounds at src/bin/tool.rs:4:21 thread=main frames=8
          > index out of bounds: the len is 0 but the index is 2
          #0 src/bin/tool.rs:4:21 tool::main
    "#]],
    );
}

#[test]
fn old_toolchains_quote_the_message_before_the_location() {
    check(
        "shop_handwritten_old_format.txt",
        expect![[r#"
        tests::oversold Overflow(Sub) at src/stock.rs:2:5 frames=9
          > attempt to subtract with overflow
          #0 src/stock.rs:2:5 shop::stock::take
          #1 src/lib.rs:5:5 shop::sell
          #2 src/lib.rs:29:20 shop::tests::oversold
          #3 src/lib.rs:28:18 shop::tests::oversold::{{closure}}
        tests::assert_eq_message AssertionFailed at src/lib.rs:139:9
          > assertion failed: `(left == right)`
          >   left: `"a\nb"`,
          >  right: `"a\nc"`: lines differ for x
          #0 src/lib.rs:139:9 -
        - UnwrapNone at src/bin/tool.rs:4:21 thread=main frames=5
          > called `Option::unwrap()` on a `None` value
          #0 src/bin/tool.rs:4:21 tool::main
        failed: tests::oversold, tests::assert_eq_message
    "#]],
    );
}

#[test]
fn toolchains_before_the_thread_id() {
    check(
        "shop_handwritten_no_thread_id.txt",
        expect![[r#"
        tests::out_of_range IndexOutOfBounds at src/stock.rs:6:5
          > index out of bounds: the len is 3 but the index is 5
          #0 src/stock.rs:6:5 -
        tests::unwrap_err UnwrapErr at src/lib.rs:42:29
          > called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }
          #0 src/lib.rs:42:29 -
        - IndexOutOfBounds at src/bin/tool.rs:4:21 thread=main
          > index out of bounds: the len is 0 but the index is 2
          #0 src/bin/tool.rs:4:21 -
        failed: tests::out_of_range, tests::unwrap_err
    "#]],
    );
}

#[test]
fn cargo_test_in_a_workspace_prints_frames_relative_to_the_package() {
    check(
        "ws_cargo_test.txt",
        expect![[r#"
        tests::oversold Overflow(Sub) at crates/core/src/lib.rs:6:5 frames=9
          > attempt to subtract with overflow
          #0 crates/core/src/lib.rs:6:5 core_math::remaining
          #1 crates/ledger/src/lib.rs:14:22 ledger::Ledger::sell
          #2 crates/ledger/src/lib.rs:25:11 ledger::tests::oversold
          #3 crates/ledger/src/lib.rs:23:18 ledger::tests::oversold::{{closure}}
        tests::empty_mean DivideByZero at crates/core/src/lib.rs:2:5 frames=9
          > attempt to divide by zero
          #0 crates/core/src/lib.rs:2:5 core_math::average
          #1 crates/ledger/src/lib.rs:10:9 ledger::Ledger::mean
          #2 crates/ledger/src/lib.rs:31:22 ledger::tests::empty_mean
          #3 crates/ledger/src/lib.rs:29:20 ledger::tests::empty_mean::{{closure}}
        first_entry UnwrapNone at crates/ledger/tests/api.rs:7:22 frames=9
          > called `Option::unwrap()` on a `None` value
          #0 crates/ledger/tests/api.rs:7:22 api::first_entry
          #1 crates/ledger/tests/api.rs:4:17 api::first_entry::{{closure}}
        mean_matches AssertionFailed at crates/ledger/tests/api.rs:13:5 frames=8
          > assertion `left == right` failed: mean of [1, 2]
          >   left: 1
          >  right: 2
          #0 crates/ledger/tests/api.rs:13:5 api::mean_matches
          #1 crates/ledger/tests/api.rs:11:18 api::mean_matches::{{closure}}
        failed: tests::oversold, tests::empty_mean, first_entry, mean_matches
    "#]],
    );
}

#[test]
fn nextest_indents_captured_output() {
    check(
        "ws_nextest.txt",
        expect![[r#"
        tests::empty_mean DivideByZero at crates/core/src/lib.rs:2:5
          > attempt to divide by zero
          #0 crates/core/src/lib.rs:2:5 -
        first_entry UnwrapNone at crates/ledger/tests/api.rs:7:22
          > called `Option::unwrap()` on a `None` value
          #0 crates/ledger/tests/api.rs:7:22 -
        tests::oversold Overflow(Sub) at crates/core/src/lib.rs:6:5
          > attempt to subtract with overflow
          #0 crates/core/src/lib.rs:6:5 -
        mean_matches AssertionFailed at crates/ledger/tests/api.rs:13:5
          > assertion `left == right` failed: mean of [1, 2]
          >   left: 1
          >  right: 2
          #0 crates/ledger/tests/api.rs:13:5 -
        failed: tests::empty_mean, first_entry, tests::oversold, mean_matches
    "#]],
    );
    check(
        "ws_nextest_backtrace.txt",
        expect![[r#"
        tests::oversold Overflow(Sub) at crates/core/src/lib.rs:6:5 frames=9
          > attempt to subtract with overflow
          #0 crates/core/src/lib.rs:6:5 core_math::remaining
          #1 crates/ledger/src/lib.rs:14:22 ledger::Ledger::sell
          #2 crates/ledger/src/lib.rs:25:11 ledger::tests::oversold
          #3 crates/ledger/src/lib.rs:23:18 ledger::tests::oversold::{{closure}}
        tests::empty_mean DivideByZero at crates/core/src/lib.rs:2:5 frames=9
          > attempt to divide by zero
          #0 crates/core/src/lib.rs:2:5 core_math::average
          #1 crates/ledger/src/lib.rs:10:9 ledger::Ledger::mean
          #2 crates/ledger/src/lib.rs:31:22 ledger::tests::empty_mean
          #3 crates/ledger/src/lib.rs:29:20 ledger::tests::empty_mean::{{closure}}
        mean_matches AssertionFailed at crates/ledger/tests/api.rs:13:5 frames=8
          > assertion `left == right` failed: mean of [1, 2]
          >   left: 1
          >  right: 2
          #0 crates/ledger/tests/api.rs:13:5 api::mean_matches
          #1 crates/ledger/tests/api.rs:11:18 api::mean_matches::{{closure}}
        first_entry UnwrapNone at crates/ledger/tests/api.rs:7:22 frames=9
          > called `Option::unwrap()` on a `None` value
          #0 crates/ledger/tests/api.rs:7:22 api::first_entry
          #1 crates/ledger/tests/api.rs:4:17 api::first_entry::{{closure}}
        failed: tests::oversold, tests::empty_mean, mean_matches, first_entry
    "#]],
    );
}

#[test]
fn nextest_junit_xml() {
    check(
        "ws_nextest_junit.xml",
        expect![[r#"
        tests::oversold Overflow(Sub) at crates/core/src/lib.rs:6:5 frames=9
          > attempt to subtract with overflow
          #0 crates/core/src/lib.rs:6:5 core_math::remaining
          #1 crates/ledger/src/lib.rs:14:22 ledger::Ledger::sell
          #2 crates/ledger/src/lib.rs:25:11 ledger::tests::oversold
          #3 crates/ledger/src/lib.rs:23:18 ledger::tests::oversold::{{closure}}
        tests::empty_mean DivideByZero at crates/core/src/lib.rs:2:5 frames=9
          > attempt to divide by zero
          #0 crates/core/src/lib.rs:2:5 core_math::average
          #1 crates/ledger/src/lib.rs:10:9 ledger::Ledger::mean
          #2 crates/ledger/src/lib.rs:31:22 ledger::tests::empty_mean
          #3 crates/ledger/src/lib.rs:29:20 ledger::tests::empty_mean::{{closure}}
        mean_matches AssertionFailed at crates/ledger/tests/api.rs:13:5 frames=8
          > assertion `left == right` failed: mean of [1, 2]
          >   left: 1
          >  right: 2
          #0 crates/ledger/tests/api.rs:13:5 api::mean_matches
          #1 crates/ledger/tests/api.rs:11:18 api::mean_matches::{{closure}}
        first_entry UnwrapNone at crates/ledger/tests/api.rs:7:22 frames=9
          > called `Option::unwrap()` on a `None` value
          #0 crates/ledger/tests/api.rs:7:22 api::first_entry
          #1 crates/ledger/tests/api.rs:4:17 api::first_entry::{{closure}}
        failed: tests::oversold, tests::empty_mean, mean_matches, first_entry
    "#]],
    );
}

#[test]
fn older_nextest_blocks_and_crash_statuses() {
    check(
        "ws_handwritten_old_nextest.txt",
        expect![[r#"
        tests::oversold Overflow(Sub) at crates/core/src/lib.rs:6:5
          > attempt to subtract with overflow
          #0 crates/core/src/lib.rs:6:5 -
        failed: tests::oversold, crash, tests::slow
    "#]],
    );
}

#[test]
fn no_capture_with_terse_status_lines() {
    check(
        "inter_nocapture_quiet.txt",
        expect![[r#"
        tests::registry_site ExplicitPanic at src/lib.rs:7:7 frames=8
          > called `Either::unwrap_left()` on a `Right` value: 4
          #0 src/lib.rs:7:7 inter::left_of
          #1 src/lib.rs:29:9 inter::tests::registry_site
          #2 src/lib.rs:28:23 inter::tests::registry_site::{{closure}}
        tests::second Overflow(Sub) at src/lib.rs:24:17 frames=7
          > attempt to subtract with overflow
          #0 src/lib.rs:24:17 inter::tests::second
          #1 src/lib.rs:22:16 inter::tests::second::{{closure}}
        tests::first IndexOutOfBounds at src/lib.rs:18:18 frames=10
          > index out of bounds: the len is 3 but the index is 7
          #0 src/lib.rs:18:18 inter::tests::first
          #1 src/lib.rs:15:15 inter::tests::first::{{closure}}
        warning src/lib.rs:2:5 unused import: `std::hint::black_box`
        failed: tests::registry_site, tests::second, tests::first
    "#]],
    );
}

#[test]
fn panics_interleaved_line_by_line_are_untangled() {
    check(
        "inter_synthesized_interleaved.txt",
        expect![[r#"
        tests::second Overflow(Sub) at src/lib.rs:24:17 frames=7
          > attempt to subtract with overflow
          #0 src/lib.rs:24:17 inter::tests::second
          #1 src/lib.rs:22:16 inter::tests::second::{{closure}}
        tests::first IndexOutOfBounds at src/lib.rs:18:18 frames=10
          > index out of bounds: the len is 3 but the index is 7
          #0 src/lib.rs:18:18 inter::tests::first
          #1 src/lib.rs:15:15 inter::tests::first::{{closure}}
        failed: tests::second, tests::first
    "#]],
    );
}

#[test]
fn cargo_json_diagnostics() {
    check(
        "broken_cargo_check.json",
        expect![[r#"
        error[E0425] src/lib.rs:12:19 cannot find value `y` in this scope
        error[E0308] src/lib.rs:3:18 mismatched types
    "#]],
    );
    check(
        "broken_clippy.json",
        expect![[r#"
        warning[unused_variables] src/lib.rs:2:9 unused variable: `unused`
        warning[clippy::ptr_arg] src/lib.rs:7:17 writing `&Vec` instead of `&[_]` involves a new object where a slice will do
        warning[clippy::len_zero] src/lib.rs:8:5 length comparison to zero
    "#]],
    );
}

#[test]
fn kinds_from_messages() {
    check_kinds(
        &[
            "attempt to add with overflow",
            "attempt to subtract with overflow",
            "attempt to multiply with overflow",
            "attempt to negate with overflow",
            "attempt to shift left with overflow",
            "attempt to shift right with overflow",
            "attempt to divide with overflow",
            "attempt to divide by zero",
            "attempt to calculate the remainder with a divisor of zero",
            "index out of bounds: the len is 3 but the index is 5",
            "removal index (is 4) should be < len (is 2)",
            "range end index 10 out of range for slice of length 3",
            "slice index starts at 2 but ends at 1",
            "byte index 10 is out of bounds of `abc`",
            "byte index 3 is not a char boundary; it is inside 'é' (bytes 2..4) of `ağé`",
            "called `Option::unwrap()` on a `None` value",
            "called `Result::unwrap()` on an `Err` value: Os { code: 2 }",
            "called `Result::unwrap_err()` on an `Ok` value: 3",
            "internal error: entered unreachable code: bad state",
            "not yet implemented: later",
            "assertion failed: v.is_empty()",
            "assertion `left == right` failed\n  left: 1\n right: 2",
            "assertion `left matches right` failed\n  left: None\n right: Some(_)",
            "assertion failed: `(left == right)`\n  left: `1`,\n right: `2`",
            "already borrowed: BorrowMutError",
            "config must exist",
            "",
        ],
        expect![[r#"
            [Overflow(Add)] <- attempt to add with overflow
            [Overflow(Sub)] <- attempt to subtract with overflow
            [Overflow(Mul)] <- attempt to multiply with overflow
            [Overflow(Neg)] <- attempt to negate with overflow
            [Overflow(Shl)] <- attempt to shift left with overflow
            [Overflow(Shr)] <- attempt to shift right with overflow
            [Other] <- attempt to divide with overflow
            [DivideByZero] <- attempt to divide by zero
            [RemainderByZero] <- attempt to calculate the remainder with a divisor of zero
            [IndexOutOfBounds] <- index out of bounds: the len is 3 but the index is 5
            [IndexOutOfBounds] <- removal index (is 4) should be < len (is 2)
            [SliceRange] <- range end index 10 out of range for slice of length 3
            [SliceRange] <- slice index starts at 2 but ends at 1
            [SliceRange] <- byte index 10 is out of bounds of `abc`
            [CharBoundary] <- byte index 3 is not a char boundary; it is inside 'é' (bytes 2..4) of `ağé`
            [UnwrapNone] <- called `Option::unwrap()` on a `None` value
            [UnwrapErr] <- called `Result::unwrap()` on an `Err` value: Os { code: 2 }
            [Other] <- called `Result::unwrap_err()` on an `Ok` value: 3
            [Unreachable] <- internal error: entered unreachable code: bad state
            [Todo] <- not yet implemented: later
            [AssertionFailed] <- assertion failed: v.is_empty()
            [AssertionFailed] <- assertion `left == right` failed
            [AssertionFailed] <- assertion `left matches right` failed
            [AssertionFailed] <- assertion failed: `(left == right)`
            [Other] <- already borrowed: BorrowMutError
            [ExplicitPanic] <- config must exist
            [Other] <- 
        "#]],
    );
}

#[test]
fn expect_is_told_apart_only_by_its_frames() {
    check(
        r#"
thread 'main' (7) panicked at src/main.rs:3:10:
config must exist
stack backtrace:
   0: __rustc::rust_begin_unwind
   1: core::panicking::panic_fmt
   2: core::option::expect_failed
   3: app::main
             at ./src/main.rs:3:10

thread 'main' (8) panicked at src/main.rs:9:10:
config must exist
"#,
        expect![[r#"
            - Expect at src/main.rs:3:10 thread=main frames=1
              > config must exist
              #0 src/main.rs:3:10 app::main
            - ExplicitPanic at src/main.rs:9:10 thread=main
              > config must exist
              #0 src/main.rs:9:10 -
        "#]],
    );
}

#[test]
fn truncated_output_keeps_what_was_read() {
    let full = fixture("shop_libtest_backtrace.txt");
    let mid_backtrace = full.find("   3: core::option::expect_failed").unwrap();
    check(
        &full[..mid_backtrace],
        expect![[r#"
        tests::expect_err Expect at src/lib.rs:51:29 frames=8
          > price must be a number: ParseIntError { kind: InvalidDigit }
          #0 src/lib.rs:51:29 shop::tests::expect_err
          #1 src/lib.rs:50:20 shop::tests::expect_err::{{closure}}
        tests::char_boundary CharBoundary at src/lib.rs:99:19 frames=9
          > end byte index 2 is not a char boundary; it is inside 'é' (bytes 1..3) of `héllo`
          #0 src/lib.rs:99:19 shop::tests::char_boundary
          #1 src/lib.rs:97:23 shop::tests::char_boundary::{{closure}}
        tests::expect_none ExplicitPanic at src/lib.rs:47:19 frames=3
          > stock must not be empty
          #0 src/lib.rs:47:19 -
        failed: tests::expect_err, tests::char_boundary, tests::expect_none, tests::lazy_registry, tests::oversold, tests::unwrap_err
    "#]],
    );
    let mid_header = full.find("panicked at src/lib.rs:47").unwrap() + "panicked at src/li".len();
    check(
        &full[..mid_header],
        expect![[r#"
        tests::expect_err Expect at src/lib.rs:51:29 frames=8
          > price must be a number: ParseIntError { kind: InvalidDigit }
          #0 src/lib.rs:51:29 shop::tests::expect_err
          #1 src/lib.rs:50:20 shop::tests::expect_err::{{closure}}
        tests::char_boundary CharBoundary at src/lib.rs:99:19 frames=9
          > end byte index 2 is not a char boundary; it is inside 'é' (bytes 1..3) of `héllo`
          #0 src/lib.rs:99:19 shop::tests::char_boundary
          #1 src/lib.rs:97:23 shop::tests::char_boundary::{{closure}}
        tests::expect_none Other at ?
        failed: tests::expect_err, tests::char_boundary, tests::expect_none, tests::lazy_registry, tests::oversold, tests::unwrap_err
    "#]],
    );
    let mid_message = full.find("stock must not").unwrap() + "stock must".len();
    check(
        &full[..mid_message],
        expect![[r#"
        tests::expect_err Expect at src/lib.rs:51:29 frames=8
          > price must be a number: ParseIntError { kind: InvalidDigit }
          #0 src/lib.rs:51:29 shop::tests::expect_err
          #1 src/lib.rs:50:20 shop::tests::expect_err::{{closure}}
        tests::char_boundary CharBoundary at src/lib.rs:99:19 frames=9
          > end byte index 2 is not a char boundary; it is inside 'é' (bytes 1..3) of `héllo`
          #0 src/lib.rs:99:19 shop::tests::char_boundary
          #1 src/lib.rs:97:23 shop::tests::char_boundary::{{closure}}
        tests::expect_none ExplicitPanic at src/lib.rs:47:19
          > stock must
          #0 src/lib.rs:47:19 -
        failed: tests::expect_err, tests::char_boundary, tests::expect_none, tests::lazy_registry, tests::oversold, tests::unwrap_err
    "#]],
    );
    let mid_at = full.find("at ./src/stock.rs:2:5").unwrap() + "at ./src/sto".len();
    check(
        &full[..mid_at],
        expect![[r#"
        tests::expect_err Expect at src/lib.rs:51:29 frames=8
          > price must be a number: ParseIntError { kind: InvalidDigit }
          #0 src/lib.rs:51:29 shop::tests::expect_err
          #1 src/lib.rs:50:20 shop::tests::expect_err::{{closure}}
        tests::char_boundary CharBoundary at src/lib.rs:99:19 frames=9
          > end byte index 2 is not a char boundary; it is inside 'é' (bytes 1..3) of `héllo`
          #0 src/lib.rs:99:19 shop::tests::char_boundary
          #1 src/lib.rs:97:23 shop::tests::char_boundary::{{closure}}
        tests::expect_none Expect at src/lib.rs:47:19 frames=9
          > stock must not be empty
          #0 src/lib.rs:47:19 shop::tests::expect_none
          #1 src/lib.rs:45:21 shop::tests::expect_none::{{closure}}
        tests::lazy_registry IndexOutOfBounds at src/lib.rs:14:11 frames=23
          > index out of bounds: the len is 0 but the index is 2
          #0 src/lib.rs:14:11 shop::PRICES::{{closure}}
          #1 src/lib.rs:147:17 shop::tests::lazy_registry
          #2 src/lib.rs:146:23 shop::tests::lazy_registry::{{closure}}
        tests::oversold Overflow(Sub) at src/stock.rs:2:5 frames=3
          > attempt to subtract with overflow
          #0 src/stock.rs:2:5 -
        failed: tests::expect_err, tests::char_boundary, tests::expect_none, tests::lazy_registry, tests::oversold, tests::unwrap_err
    "#]],
    );
}

#[test]
fn truncated_old_format_and_xml() {
    let old = fixture("shop_handwritten_old_format.txt");
    let mid_quote = old.find(" right: `\"a\\nc\"`").unwrap();
    check(
        &old[..mid_quote],
        expect![[r#"
        tests::oversold Overflow(Sub) at src/stock.rs:2:5 frames=9
          > attempt to subtract with overflow
          #0 src/stock.rs:2:5 shop::stock::take
          #1 src/lib.rs:5:5 shop::sell
          #2 src/lib.rs:29:20 shop::tests::oversold
          #3 src/lib.rs:28:18 shop::tests::oversold::{{closure}}
        tests::assert_eq_message AssertionFailed at ?
          > assertion failed: `(left == right)`
          >   left: `"a\nb"`,
        failed: tests::oversold, tests::assert_eq_message
    "#]],
    );
    let xml = fixture("ws_nextest_junit.xml");
    let mid_body = xml.find("   4: ledger::Ledger::sell").unwrap();
    check(
        &xml[..mid_body],
        expect![[r#"
        tests::oversold Overflow(Sub) at crates/core/src/lib.rs:6:5 frames=4
          > attempt to subtract with overflow
          #0 crates/core/src/lib.rs:6:5 core_math::remaining
        failed: tests::oversold
    "#]],
    );
    let mid_tag = xml
        .find("<failure message=\"thread &apos;tests::empty_mean")
        .unwrap()
        + 20;
    check(
        &xml[..mid_tag],
        expect![[r#"
        tests::oversold Overflow(Sub) at crates/core/src/lib.rs:6:5 frames=9
          > attempt to subtract with overflow
          #0 crates/core/src/lib.rs:6:5 core_math::remaining
          #1 crates/ledger/src/lib.rs:14:22 ledger::Ledger::sell
          #2 crates/ledger/src/lib.rs:25:11 ledger::tests::oversold
          #3 crates/ledger/src/lib.rs:23:18 ledger::tests::oversold::{{closure}}
        failed: tests::oversold, tests::empty_mean
    "#]],
    );
}

#[test]
fn every_prefix_of_every_fixture_parses() {
    let dir = format!("{}/test_data", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| is_fixture(n))
        .collect();
    names.sort();
    let mut n_prefixes = 0;
    for name in &names {
        let text = fixture(name);
        let ws = workspace(name);
        let files: HashSet<String> = ws.files.iter().map(|f| f.to_string()).collect();
        // Every line boundary and a spread of cuts inside lines.
        let cuts = text
            .char_indices()
            .filter(|&(i, c)| c == '\n' || i % 97 == 0)
            .map(|(i, _)| i);
        for cut in cuts {
            let trace = parse(&text[..cut]);
            for failure in &trace.failures {
                let _ = failing_path(failure, ws.root, &files);
            }
            n_prefixes += 1;
        }
    }
    assert!(n_prefixes > 1000, "{n_prefixes}");
}

#[test]
fn garbage_yields_nothing() {
    check(
        "",
        expect![[r#"
        nothing
    "#]],
    );
    check(
        "\n\n  \u{0}\u{1b}[31m\n{\"not\": \"ours\"}\n{broken json\n<testcase",
        expect![[r#"
        nothing
    "#]],
    );
    check(
        "thread ' panicked at \nthread '' panicked at :::\n   0: \n at :1:\nfailures:\n---- ----\n        FAIL [",
        expect![[r#"
            nothing
        "#]],
    );
    // Deterministic pseudo-random text over an alphabet of format fragments.
    let fragments = [
        "thread 'a' (1) panicked at ",
        "src/lib.rs:",
        "3:4",
        ":\n",
        "stack backtrace:\n",
        "   0: f\n",
        "             at ./src/lib.rs:1:1\n",
        "', ",
        "'",
        "\n",
        "---- t stdout ----\n",
        "failures:\n",
        "    t\n",
        "        FAIL [ 0.1s] (1/2) c t\n",
        "<testcase name=\"t\"><failure>",
        "</testcase>",
        "{\"reason\":\"compiler-message\"}\n",
        "note: x\n",
        "é",
        "\u{1b}[1m",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let mut text = String::new();
        for _ in 0..40 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(fragments[(seed >> 33) as usize % fragments.len()]);
        }
        let trace = parse(&text);
        for failure in &trace.failures {
            let _ = failing_path(failure, "/work/app", &HashSet::new());
        }
    }
}

#[test]
fn mixed_formats_in_one_log() {
    let json = fixture("broken_cargo_check.json");
    let json_line = json.lines().next().unwrap();
    let text = format!(
        "{json_line}\n\
error[E0599]: no method named `foo` found for struct `Ledger` in the current scope\n  \
--> crates/ledger/src/lib.rs:9:14\n\
\n\
thread 'main' (3) panicked at src/main.rs:2:5:\n\
attempt to add with overflow\n\
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<testsuites><testsuite name=\"app\"><testcase name=\"tests::t\" classname=\"app\">\
<failure message=\"boom\"><![CDATA[thread 'tests::t' panicked at src/lib.rs:7:9:\n\
attempt to divide by zero\n]]></failure></testcase>\
<testcase name=\"tests::ok\" classname=\"app\"/></testsuite></testsuites>\n\
test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n"
    );
    check(
        &text,
        expect![[r#"
        - Overflow(Add) at src/main.rs:2:5 thread=main
          > attempt to add with overflow
          #0 src/main.rs:2:5 -
        tests::t DivideByZero at src/lib.rs:7:9
          > attempt to divide by zero
          #0 src/lib.rs:7:9 -
        error[E0425] src/lib.rs:12:19 cannot find value `y` in this scope
        error[E0599] crates/ledger/src/lib.rs:9:14 no method named `foo` found for struct `Ledger` in the current scope
        failed: tests::t
    "#]],
    );
}

#[test]
fn colours_and_ci_timestamps_are_ignored() {
    check(
        "2026-11-28T09:05:30.1010000Z \u{1b}[1m\u{1b}[31m        FAIL\u{1b}[0m [   0.004s] app tests::t\n\
2026-11-28T09:05:30.1020000Z     thread 'tests::t' (9) panicked at src/lib.rs:2:5:\n\
2026-11-28T09:05:30.1030000Z     attempt to negate with overflow\n",
        expect![[r#"
            tests::t Overflow(Neg) at src/lib.rs:2:5
              > attempt to negate with overflow
              #0 src/lib.rs:2:5 -
            failed: tests::t
        "#]],
    );
}

#[test]
fn libtest_json_events() {
    check(
        r#"{ "type": "suite", "event": "started", "test_count": 2 }
{ "type": "test", "event": "started", "name": "tests::a" }
{ "type": "test", "name": "tests::a", "event": "failed", "stdout": "\nthread 'tests::a' (5) panicked at src/lib.rs:4:9:\nnot yet implemented\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n" }
{ "type": "test", "name": "tests::b", "event": "ok" }
"#,
        expect![[r#"
            tests::a Todo at src/lib.rs:4:9
              > not yet implemented
              #0 src/lib.rs:4:9 -
            failed: tests::a
        "#]],
    );
}

#[test]
fn spawned_threads_keep_the_section_test() {
    check(
        "---- tests::worker stdout ----\n\n\
thread '<unnamed>' (77) panicked at src/stock.rs:9:13:\n\
called `Option::unwrap()` on a `None` value\n",
        expect![[r#"
            tests::worker UnwrapNone at src/stock.rs:9:13 thread=<unnamed>
              > called `Option::unwrap()` on a `None` value
              #0 src/stock.rs:9:13 -
        "#]],
    );
}

#[test]
fn no_workspace_frames_give_an_empty_failing_path() {
    check(
        r#"
thread 'main' (1) panicked at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/either-1.16.0/src/lib.rs:1035:17:
called `Either::unwrap_left()` on a `Right` value: 4
stack backtrace:
   0: __rustc::rust_begin_unwind
             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:689:5
   1: either::Either<L,R>::unwrap_left
             at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/either-1.16.0/src/lib.rs:1035:17
   2: other::main
             at /home/someone/elsewhere/src/main.rs:3:5
   3: dep::run
             at /root/.cargo/git/checkouts/dep-0123/abcdef0/src/lib.rs:8:1
"#,
        expect![[r#"
            - ExplicitPanic at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/either-1.16.0/src/lib.rs:1035:17 thread=main frames=4
              > called `Either::unwrap_left()` on a `Right` value: 4
        "#]],
    );
}

#[test]
fn printed_paths_map_to_workspace_files() {
    let files: HashSet<String> = INLINE.files.iter().map(|f| f.to_string()).collect();
    let map = |p: &str| workspace_path(p, "/work/app/", &files).unwrap_or_else(|| "-".into());
    let paths = [
        "src/lib.rs",
        "./src/lib.rs",
        "/work/app/src/stock.rs",
        "/work/application/src/stock.rs",
        "/work/app/src/missing.rs",
        "src\\main.rs",
        "C:\\work\\app\\src\\lib.rs",
        "api.rs",
        "tests/api.rs",
        "../ledger/src/lib.rs",
        "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/option.rs",
        "<::core::macros::panic macros>",
    ];
    let out: Vec<String> = paths.iter().map(|p| format!("{p} -> {}", map(p))).collect();
    expect![[r#"
        src/lib.rs -> src/lib.rs
        ./src/lib.rs -> src/lib.rs
        /work/app/src/stock.rs -> src/stock.rs
        /work/application/src/stock.rs -> -
        /work/app/src/missing.rs -> -
        src\main.rs -> src/main.rs
        C:\work\app\src\lib.rs -> -
        api.rs -> tests/api.rs
        tests/api.rs -> tests/api.rs
        ../ledger/src/lib.rs -> crates/ledger/src/lib.rs
        /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/option.rs -> -
        <::core::macros::panic macros> -> -
    "#]]
    .assert_eq(&(out.join("\n") + "\n"));
}

#[test]
fn the_crate_name_picks_among_same_named_files() {
    // `./src/lib.rs` is relative to the package the test ran in; the frame's crate tells which.
    check(
        r#"
thread 'tests::t' (1) panicked at crates/core/src/lib.rs:6:5:
attempt to subtract with overflow
stack backtrace:
   3: core::remaining
             at /work/app/crates/core/src/lib.rs:6:5
   4: ledger::Ledger::sell
             at ./src/lib.rs:14:22
   5: app::run
             at ./src/lib.rs:40:5
   6: mystery::call
             at ./src/lib.rs:50:5
   7: <ledger::Ledger as core::fmt::Display>::fmt
             at ./src/lib.rs:60:5
"#,
        expect![[r#"
            - Overflow(Sub) at crates/core/src/lib.rs:6:5 thread=tests::t frames=5
              > attempt to subtract with overflow
              #0 crates/core/src/lib.rs:6:5 core::remaining
              #1 crates/ledger/src/lib.rs:14:22 ledger::Ledger::sell
              #2 src/lib.rs:40:5 app::run
              #3 src/lib.rs:50:5 mystery::call
              #4 crates/ledger/src/lib.rs:60:5 <ledger::Ledger as core::fmt::Display>::fmt
        "#]],
    );
}

#[test]
fn failed_tests_are_listed_even_without_their_output() {
    check(
        r#"
running 4 tests
test src/lib.rs - sell (line 12) ... FAILED
test tests::must_panic - should panic ... FAILED
test tests::fine ... ok
test tests::aborted ... FAILED

failures:

---- tests::must_panic stdout ----
note: test did not panic as expected at src/lib.rs:40:8

failures:
    src/lib.rs - sell (line 12)
    tests::must_panic
    tests::aborted
    tests::only_in_the_list

test result: FAILED. 1 passed; 4 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
"#,
        expect![[r#"
            failed: src/lib.rs - sell (line 12), tests::must_panic, tests::aborted, tests::only_in_the_list
        "#]],
    );
}

#[test]
fn text_between_junit_documents_is_read_as_log() {
    check(
        r#"<testsuite name="a"><testcase name="t1"><error message="x">thread 't1' (1) panicked at src/lib.rs:1:5:
attempt to add with overflow</error></testcase></testsuite>

thread 'main' (2) panicked at src/main.rs:2:5:
not implemented

<testsuites><testsuite name="b"><testcase name="t2"><failure/><system-err>
thread &apos;t2&apos; (3) panicked at src/stock.rs:3:5:
attempt to divide by zero
</system-err></testcase></testsuite></testsuites>
"#,
        expect![[r#"
            t1 Overflow(Add) at src/lib.rs:1:5
              > attempt to add with overflow
              #0 src/lib.rs:1:5 -
            - Todo at src/main.rs:2:5 thread=main
              > not implemented
              #0 src/main.rs:2:5 -
            t2 DivideByZero at src/stock.rs:3:5
              > attempt to divide by zero
              #0 src/stock.rs:3:5 -
            failed: t1, t2
        "#]],
    );
}
