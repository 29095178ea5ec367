//! The line reader: libtest, nextest, raw panics, backtraces and human-readable rustc diagnostics.
//!
//! Each line is recognised on its own (a panic header, a frame, a test status…) and a little state says
//! where it belongs. The state is a list of *open* failures rather than one current failure, because
//! concurrent panics can arrive interleaved line by line (several test processes sharing a terminal, or
//! older toolchains whose panic hook wrote a line at a time). The rules that untangle them rely on what is
//! fixed in the output itself: a message line goes to the oldest panic still waiting for one, frame `N`
//! goes to the backtrace whose next frame is `N`, and an `at` line goes to the frame still waiting for its
//! location. On ordinary, non-interleaved output these rules reduce to the obvious reading.
//!
//! Blank lines end messages. That loses the rest of a message containing an empty line, but it is what
//! keeps program output after a panic out of its message; every libtest and nextest section ends with one.

use std::collections::HashSet;

use crate::text::{clean_line, indent, location, normalize_function};
use crate::{Diagnostic, Failure, Frame, PanicKind, Trace, json, junit, kind};

#[derive(Default)]
pub(crate) struct Parser {
    trace: Trace,
    /// Per failure: every printed frame function (located or not), for telling `expect` apart; `None` for
    /// failures merged in already classified.
    functions: Vec<Option<Vec<String>>>,
    seen_tests: HashSet<String>,
    open: Vec<Open>,
    /// The test of the current libtest `---- NAME stdout ----` section.
    section: Option<String>,
    /// The test named by the last nextest status line, JUnit test case or libtest JSON event.
    runner: Option<String>,
    /// Set for embedded texts (JUnit bodies, JSON `stdout`) whose test is known from outside.
    fixed_runner: bool,
    list: Option<List>,
    old: Option<OldHeader>,
    /// A `error[E0308]: message` line whose ` --> file:line:col` line may come next.
    diagnostic: Option<(String, Option<String>, String)>,
}

/// A libtest `failures:` list being read: names are indented deeper than the `failures:` line.
struct List {
    indent: usize,
    names: usize,
}

struct Open {
    failure: usize,
    /// The panic header's leading whitespace (nextest indents captured output), removed from message lines.
    indent: String,
    state: State,
    next_frame: usize,
    /// A frame line waiting for its `at` line: the frame's function.
    pending: Option<Option<String>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    AwaitMessage,
    Message,
    /// The old `panicked at 'msg', file:line:col` format carries its message in the header.
    MessageDone,
    Backtrace,
}

/// An old-format header whose quoted message goes on over the next lines.
struct OldHeader {
    thread: Option<String>,
    message: String,
    indent: String,
    lines: usize,
}

enum Header<'a> {
    /// `thread 'x' (id) panicked at file:line:col:` with the message on the following lines.
    New {
        thread: &'a str,
        site: Option<Frame>,
    },
    /// `thread 'x' panicked at 'msg', file:line:col`.
    Old {
        thread: &'a str,
        message: &'a str,
        site: Option<Frame>,
    },
    /// `thread 'x' panicked at 'msg…` with the closing `', file:line:col` on a later line.
    OldOpen { thread: &'a str, message: &'a str },
}

/// At most this many panics are read at once. Real interleaving involves a few threads; the bound keeps a
/// log of thousands of headers without messages linear.
const MAX_OPEN: usize = 32;

/// Old messages longer than this are cut off there: a header whose closing quote never comes must not
/// swallow the rest of the log.
const OLD_MESSAGE_LINES: usize = 100;

impl Parser {
    fn embedded_parser(test: &str) -> Parser {
        Parser {
            runner: Some(test.to_owned()),
            fixed_runner: true,
            ..Parser::default()
        }
    }

    pub(crate) fn text(&mut self, text: &str) {
        for raw in text.split('\n') {
            self.line(raw);
        }
    }

    pub(crate) fn finish(mut self) -> Trace {
        if let Some(old) = self.old.take() {
            self.abandon_old(old);
        }
        self.close_all(true);
        let failed: HashSet<&str> = self.trace.failed_tests.iter().map(String::as_str).collect();
        for (failure, functions) in self.trace.failures.iter_mut().zip(&self.functions) {
            let Some(functions) = functions else { continue };
            failure.kind = kind::classify(&failure.message, functions);
            if failure.test.is_none()
                && let Some(thread) = &failure.thread
                && failed.contains(thread.as_str())
            {
                failure.test = Some(thread.clone());
            }
        }
        self.trace
    }

    /// Parses `text` (a JUnit body, a JSON `stdout` field) as output of `test`; keeps it only if it holds
    /// a panic. Returns whether it did.
    pub(crate) fn embedded(&mut self, text: &str, test: &str) -> bool {
        let mut sub = Parser::embedded_parser(test);
        sub.text(text);
        let trace = sub.finish();
        if trace.failures.is_empty() {
            return false;
        }
        for failure in trace.failures {
            self.trace.failures.push(failure);
            self.functions.push(None);
        }
        self.trace.diagnostics.extend(trace.diagnostics);
        for name in &trace.failed_tests {
            self.failed(name);
        }
        true
    }

    pub(crate) fn junit_case(&mut self, case: junit::Case) {
        self.failed(&case.name);
        for text in [&case.body, &case.system_err, &case.message] {
            if self.embedded(text, &case.name) {
                break;
            }
        }
    }

    pub(crate) fn failed(&mut self, name: &str) {
        let name = name.trim();
        if !name.is_empty() && self.seen_tests.insert(name.to_owned()) {
            self.trace.failed_tests.push(name.to_owned());
        }
    }

    pub(crate) fn push_diagnostic(&mut self, diagnostic: Diagnostic) {
        self.trace.diagnostics.push(diagnostic);
    }

    fn line(&mut self, raw: &str) {
        let cleaned = clean_line(raw);
        let line: &str = &cleaned;
        let t = line.trim();

        if let Some(old) = self.old.take()
            && self.continue_old(old, line, t)
        {
            return;
        }
        let diagnostic = self.diagnostic.take();
        if t.is_empty() {
            self.blank();
            return;
        }
        if t.starts_with('{') && json::line(self, t) {
            return;
        }
        if let Some(header) = header(line) {
            self.list = None;
            self.header(line, header);
            return;
        }
        if let Some((level, code, message)) = diagnostic
            && let Some((file, line, column)) = t.strip_prefix("--> ").and_then(location)
        {
            self.push_diagnostic(Diagnostic {
                level,
                code,
                message,
                file: file.to_owned(),
                line,
                column: column.unwrap_or(1),
                end_line: line,
            });
            return;
        }
        self.diagnostic = diagnostic_head(line);

        if let Some(list) = &mut self.list {
            if indent(line) > list.indent && !t.starts_with("---- ") {
                list.names += 1;
                self.failed(t);
                return;
            }
            self.list = None;
        }
        if self.structure(line, t) {
            return;
        }
        if t.eq_ignore_ascii_case("stack backtrace:") {
            self.backtrace_start();
            return;
        }
        if self.frame(t) || self.at(t) {
            return;
        }
        if t.starts_with("note: ") {
            self.note(t);
            return;
        }
        self.message_line(line);
    }

    /// Test-runner lines: sections, lists, statuses, separators. They end whatever panic was being read.
    fn structure(&mut self, line: &str, t: &str) -> bool {
        if let Some(name) = t.strip_prefix("---- ").and_then(|r| {
            r.strip_suffix(" stdout ----")
                .or(r.strip_suffix(" stderr ----"))
        }) {
            self.close_all(true);
            self.section = Some(name.to_owned());
            return true;
        }
        if t == "failures:" {
            self.close_all(true);
            self.section = None;
            self.list = Some(List {
                indent: indent(line),
                names: 0,
            });
            return true;
        }
        if t.starts_with("test result: ")
            || t == "successes:"
            || (t.starts_with("running ") && (t.ends_with(" test") || t.ends_with(" tests")))
            || t.starts_with("Running ")
            || t.starts_with("Doc-tests ")
            || t.starts_with("error: test failed")
            || (t.starts_with("error: ") && t.contains(" targets failed"))
        {
            self.close_all(true);
            self.section = None;
            return true;
        }
        if let Some(rest) = t.strip_prefix("test ")
            && let Some((name, result)) = rest.split_once(" ... ")
        {
            if result.starts_with("FAILED") {
                let name = name.strip_suffix(" - should panic").unwrap_or(name);
                self.failed(name);
            }
            self.close_all(false);
            return true;
        }
        if let Some(name) = t.strip_suffix(" --- FAILED") {
            self.failed(name);
            self.close_all(false);
            return true;
        }
        if let Some((status, test)) = nextest_status(t) {
            self.close_all(true);
            self.section = None;
            let failing = status.ends_with("FAIL")
                || status.ends_with("TIMEOUT")
                || status.ends_with("ABORT")
                || status
                    .split(' ')
                    .next_back()
                    .is_some_and(|s| s.starts_with("SIG"));
            if failing && let Some(test) = test {
                self.failed(test);
            }
            if !self.fixed_runner {
                self.runner = test.filter(|_| failing).map(str::to_owned);
            }
            return true;
        }
        if let Some(block) = t
            .strip_prefix("--- STDOUT:")
            .or(t.strip_prefix("--- STDERR:"))
        {
            self.close_all(true);
            let name = block
                .trim()
                .trim_end_matches('-')
                .split_whitespace()
                .next_back();
            if !self.fixed_runner && name.is_some() {
                self.runner = name.map(str::to_owned);
            }
            return true;
        }
        let block = ["stdout ─", "stderr ─", "output ─"];
        let separator = t.chars().count() >= 8 && t.chars().all(|c| c == '─' || c == '-');
        if separator || block.iter().any(|b| t.starts_with(b)) {
            self.close_all(true);
            return true;
        }
        false
    }

    fn header(&mut self, line: &str, header: Header<'_>) {
        let indent = line[..indent(line)].to_owned();
        match header {
            Header::New { thread, site } => {
                let failure = self.push_failure(thread, String::new(), site);
                self.open(failure, indent, State::AwaitMessage);
            }
            Header::Old {
                thread,
                message,
                site,
            } => {
                let failure = self.push_failure(thread, message.to_owned(), site);
                self.open(failure, indent, State::MessageDone);
            }
            Header::OldOpen { thread, message } => {
                self.old = Some(OldHeader {
                    thread: Some(thread.to_owned()),
                    message: message.to_owned(),
                    indent,
                    lines: 0,
                });
            }
        }
    }

    fn push_failure(&mut self, thread: &str, message: String, site: Option<Frame>) -> usize {
        self.trace.failures.push(Failure {
            test: self.section.clone().or_else(|| self.runner.clone()),
            thread: Some(thread.to_owned()),
            message,
            kind: PanicKind::Other,
            site,
            frames: Vec::new(),
        });
        self.functions.push(Some(Vec::new()));
        self.trace.failures.len() - 1
    }

    fn open(&mut self, failure: usize, indent: String, state: State) {
        if self.open.len() >= MAX_OPEN {
            self.open.remove(0);
        }
        self.open.push(Open {
            failure,
            indent,
            state,
            next_frame: 0,
            pending: None,
        });
    }

    /// Feeds one line to an old-format header still inside its quoted message. Returns false when the line
    /// was not consumed and must be read normally.
    fn continue_old(&mut self, mut old: OldHeader, line: &str, t: &str) -> bool {
        let body = line.strip_prefix(old.indent.as_str()).unwrap_or(line);
        if let Some((message, site)) = old_tail(body) {
            old.message.push('\n');
            old.message.push_str(message);
            let thread = old.thread.take().unwrap_or_default();
            let failure = self.push_failure(&thread, old.message, site);
            self.open(failure, old.indent, State::MessageDone);
            return true;
        }
        let interrupted = header(line).is_some()
            || t.starts_with("---- ")
            || t == "failures:"
            || t.starts_with("test result: ");
        if interrupted || old.lines >= OLD_MESSAGE_LINES {
            self.abandon_old(old);
            return false;
        }
        old.message.push('\n');
        old.message.push_str(body);
        old.lines += 1;
        self.old = Some(old);
        true
    }

    /// An old-format message that never closed (cut off): keep what was read, without a site.
    fn abandon_old(&mut self, old: OldHeader) {
        let thread = old.thread.unwrap_or_default();
        let failure = self.push_failure(&thread, old.message, None);
        self.open(failure, old.indent, State::MessageDone);
    }

    fn blank(&mut self) {
        if self.list.as_ref().is_some_and(|l| l.names > 0) {
            self.list = None;
        }
        self.close_all(false);
    }

    /// Closes open failures; without `force`, those still waiting for their first message line stay open
    /// (since 1.9x a panic starts with a blank line, which may fall inside another panic's lines).
    fn close_all(&mut self, force: bool) {
        self.open
            .retain(|open| !force && open.state == State::AwaitMessage);
    }

    fn backtrace_start(&mut self) {
        let waiting = [State::AwaitMessage, State::Message, State::MessageDone];
        if let Some(open) = self.open.iter_mut().find(|o| waiting.contains(&o.state)) {
            open.state = State::Backtrace;
            open.next_frame = 0;
            open.pending = None;
        }
    }

    /// `   3: shop::sell` or, with `RUST_BACKTRACE=full`, `  21:     0x55acaf550fed - shop::sell::h44e3…`.
    fn frame(&mut self, t: &str) -> bool {
        let Some((number, rest)) = t.split_once(':') else {
            return false;
        };
        if number.is_empty()
            || !number.bytes().all(|b| b.is_ascii_digit())
            || !rest.starts_with(' ')
        {
            return false;
        }
        let Ok(number) = number.parse::<usize>() else {
            return false;
        };
        let rest = rest.trim();
        let function = match rest.strip_prefix("0x") {
            Some(address) => address.split_once(" - ").map(|(_, f)| f.trim()),
            None => Some(rest),
        };
        let function = function
            .filter(|f| !f.is_empty() && *f != "<unknown>")
            .map(normalize_function);
        let owner = self
            .open
            .iter()
            .position(|o| o.state == State::Backtrace && o.next_frame == number)
            .or_else(|| self.open.iter().rposition(|o| o.state == State::Backtrace));
        let Some(owner) = owner else {
            return false;
        };
        let open = &mut self.open[owner];
        open.next_frame = number.saturating_add(1);
        if let (Some(function), Some(Some(functions))) =
            (&function, self.functions.get_mut(open.failure))
        {
            functions.push(function.clone());
        }
        open.pending = Some(function);
        true
    }

    /// `             at ./src/lib.rs:3:16`: the location of the frame still waiting for one.
    fn at(&mut self, t: &str) -> bool {
        let Some((file, line, column)) = t.strip_prefix("at ").and_then(location) else {
            return false;
        };
        let Some(open) = self.open.iter_mut().find(|o| o.pending.is_some()) else {
            // A second `at` line of an inlined frame (older toolchains) belongs to the same frame.
            return self.open.iter().any(|o| o.state == State::Backtrace);
        };
        let function = open.pending.take().flatten();
        self.trace.failures[open.failure].frames.push(Frame {
            function,
            file: file.to_owned(),
            line,
            column,
        });
        true
    }

    fn note(&mut self, t: &str) {
        let states: &[State] = if t.starts_with("note: Some details are omitted") {
            &[State::Backtrace]
        } else {
            &[State::Message, State::MessageDone, State::AwaitMessage]
        };
        if let Some(i) = self.open.iter().position(|o| states.contains(&o.state)) {
            self.open.remove(i);
        }
    }

    fn message_line(&mut self, line: &str) {
        let target = self
            .open
            .iter()
            .position(|o| o.state == State::AwaitMessage)
            .or_else(|| self.open.iter().rposition(|o| o.state == State::Message));
        let Some(i) = target else {
            // Not a message: whatever was open (a backtrace, a finished old-format message) has ended.
            self.close_all(false);
            return;
        };
        let open = &mut self.open[i];
        let body = line
            .strip_prefix(open.indent.as_str())
            .unwrap_or_else(|| line.trim_start());
        let message = &mut self.trace.failures[open.failure].message;
        if open.state == State::Message {
            message.push('\n');
        }
        message.push_str(body.trim_end());
        open.state = State::Message;
    }
}

/// Recognises a panic header anywhere in the line (after indentation or a log prefix).
fn header(line: &str) -> Option<Header<'_>> {
    let at = line.find("panicked at ")?;
    let before = &line[..at];
    let start = before.rfind("thread '")?;
    let mut name = before[start + "thread '".len()..].trim_end();
    // The thread id that 1.9x toolchains print: `thread 'main' (23668) panicked at`.
    if let Some(open) = name
        .strip_suffix(')')
        .and_then(|n| n.rfind(" (").map(|i| (n, i)))
        && open.0[open.1 + 2..].bytes().all(|b| b.is_ascii_digit())
    {
        name = open.0[..open.1].trim_end();
    }
    // Rust never prints an empty thread name (unnamed threads are `<unnamed>`).
    let thread = name.strip_suffix('\'').filter(|t| !t.is_empty())?;
    let rest = &line[at + "panicked at ".len()..];
    if let Some(quoted) = rest.strip_prefix('\'') {
        return Some(match old_tail(quoted) {
            Some((message, site)) => Header::Old {
                thread,
                message,
                site,
            },
            None => Header::OldOpen {
                thread,
                message: quoted,
            },
        });
    }
    let rest = rest.trim_end();
    let rest = rest.strip_suffix(':').unwrap_or(rest);
    Some(Header::New {
        thread,
        site: site(rest),
    })
}

/// Splits the end of an old-format message: `msg', src/lib.rs:3:16`.
fn old_tail(s: &str) -> Option<(&str, Option<Frame>)> {
    let s = s.trim_end();
    s.rmatch_indices("', ")
        .find_map(|(i, _)| site(&s[i + 3..]).map(|site| (&s[..i], Some(site))))
}

fn site(s: &str) -> Option<Frame> {
    let (file, line, column) = location(s)?;
    Some(Frame {
        function: None,
        file: file.to_owned(),
        line,
        column,
    })
}

/// `error[E0308]: mismatched types` or `warning: unused variable: `x`` at the start of a line.
fn diagnostic_head(line: &str) -> Option<(String, Option<String>, String)> {
    let level = ["error", "warning"]
        .into_iter()
        .find(|l| line.starts_with(l))?;
    let rest = &line[level.len()..];
    let (code, rest) = match rest.strip_prefix('[') {
        Some(r) => {
            let (code, r) = r.split_once(']')?;
            (Some(code.to_owned()), r)
        }
        None => (None, rest),
    };
    let message = rest.strip_prefix(": ")?;
    Some((level.to_owned(), code, message.trim().to_owned()))
}

/// `FAIL [   0.004s] (1/5) ledger tests::empty_mean` → (`FAIL`, `tests::empty_mean`); also `Summary`.
fn nextest_status(t: &str) -> Option<(&str, Option<&str>)> {
    let (status, rest) = t.split_once('[')?;
    let status = status.trim();
    let shaped = status == "Summary"
        || (status.bytes().any(|b| b.is_ascii_uppercase())
            && status
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'-'));
    if !shaped {
        return None;
    }
    let (duration, rest) = rest.split_once(']')?;
    if !duration.trim_end().ends_with('s') {
        return None;
    }
    let mut rest = rest.trim();
    if rest.starts_with('(') {
        rest = rest.split_once(')')?.1.trim();
    }
    let test = (status != "Summary")
        .then(|| rest.split_whitespace().next_back())
        .flatten();
    Some((status, test))
}
