//! The streaming log reader: lines in, panic [`Event`]s out, in memory bounded by a few chunks.
//!
//! Why cut the stream into *chunks* and hand each to [`trace::parse`] instead of a second panic parser:
//! `trace` already reads every shape of panic this toolchain and older ones print (thread ids, the old
//! quoted format, short and full backtraces, interleaved panics), and two parsers would drift apart. What a
//! production log adds is everything around the panics: request logs, timestamps, JSON lines. So this
//! reader only decides which lines belong to a panic. A chunk opens at a panic header and takes the lines a
//! panic is made of (its message, `stack backtrace:`, frames, `at` lines, `note:` lines, blank lines); the
//! first line that is none of these closes it. Interleaved panics (several processes sharing one log) land
//! in one chunk, where `trace` untangles them. A chunk is also closed at [`MAX_CHUNK_LINES`] /
//! [`MAX_CHUNK_BYTES`], so a header followed by endless frames cannot grow memory; what was cut is a
//! partial event, never an error.
//!
//! A line that holds no `panic` at all is skipped after one substring search, which is what makes the
//! reader fast on logs that are almost all something else (`benches/watch.sh`).
//!
//! Timestamps: an RFC 3339 prefix (optionally in `[…]`) is read off every line; an event takes its header
//! line's timestamp, or the last one seen before it in the same stream (a panic printed by the default hook
//! between timestamped log lines), or none. JSON lines take their `timestamp` field.

use serde_json::{Map, Value};

use crate::time;
use crate::{Event, Origin};

/// A chunk is closed after this many lines; a panic with a full backtrace has about 100.
pub const MAX_CHUNK_LINES: usize = 2048;
/// A chunk is closed after this many bytes.
pub const MAX_CHUNK_BYTES: usize = 512 * 1024;
/// Lines longer than this are cut (a panic line is short; a megabyte line is a dump, not a panic).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// A message is at most this many lines (assertions print `left:` / `right:`; custom messages more).
const MAX_MESSAGE_LINES: usize = 64;

/// Reads lines one at a time. Feed every line of a stream to [`Reader::line`], then call [`Reader::finish`].
#[derive(Default)]
pub struct Reader {
    chunk: String,
    chunk_lines: usize,
    /// Per panic header in the chunk, in order: its timestamp and line number.
    headers: Vec<(Option<i64>, u64)>,
    /// Headers in the chunk still waiting for a message line.
    awaiting: usize,
    /// Message lines taken since the last header.
    message_lines: usize,
    /// The chunk holds an old-format header whose quoted message has not closed yet.
    old_open: bool,
    /// The chunk was closed by a limit, not by its end.
    cut: bool,
    /// The clock of the stream: the last timestamp seen.
    last_time: Option<i64>,
    /// Lines read, for the events' origin.
    line_no: u64,
    /// The chunk's first line.
    chunk_start: u64,
}

impl Reader {
    pub fn new() -> Reader {
        Reader::default()
    }

    /// Reads one line (without its `\n`; a trailing `\r` is removed). Events completed by it are pushed.
    pub fn line(&mut self, raw: &str, out: &mut Vec<Event>) {
        self.line_no += 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let raw = cut(raw, MAX_LINE_BYTES);
        let cleaned = without_escapes(raw);
        let (at, rest) = timestamp_prefix(&cleaned);
        if at.is_some() {
            self.last_time = at;
        }
        let t = rest.trim();
        // The fast path: nearly every line of a production log.
        if !t.contains("panic") {
            self.other(rest, t, out);
            return;
        }
        if t.starts_with('{') && self.json(t, out) {
            return;
        }
        if is_header(t) {
            if self.chunk_lines >= MAX_CHUNK_LINES || self.chunk.len() >= MAX_CHUNK_BYTES {
                // Nothing is lost: the new header opens the next chunk.
                self.flush(out);
            }
            self.headers.push((at.or(self.last_time), self.line_no));
            self.awaiting += 1;
            self.message_lines = 0;
            self.old_open |= old_open(t);
            self.push(rest);
            return;
        }
        self.other(rest, t, out);
    }

    /// Ends the stream: a chunk still open becomes events (partial ones if it was cut short).
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        if self.awaiting > 0 || self.old_open {
            self.cut = true;
        }
        self.flush(out);
    }

    /// The last timestamp the stream showed: the log's own "now".
    pub fn clock(&self) -> Option<i64> {
        self.last_time
    }

    /// Any line that is not a panic header.
    fn other(&mut self, rest: &str, t: &str, out: &mut Vec<Event>) {
        if self.chunk_lines == 0 {
            return;
        }
        if self.chunk_lines >= MAX_CHUNK_LINES || self.chunk.len() >= MAX_CHUNK_BYTES {
            self.cut = true;
            self.flush(out);
            return;
        }
        let structural = t.is_empty()
            || t.eq_ignore_ascii_case("stack backtrace:")
            || t.starts_with("note: ")
            || t.starts_with("at ")
            || is_frame(t);
        if structural {
            if !t.is_empty() && !t.starts_with("at ") && !is_frame(t) {
                // `stack backtrace:` and `note:` end a message (or stand for an empty one).
                self.awaiting = self.awaiting.saturating_sub(1);
                self.message_lines = 0;
            }
            self.push(rest);
            return;
        }
        let message = self.awaiting > 0
            || self.old_open
            || (self.message_lines > 0
                && self.message_lines < MAX_MESSAGE_LINES
                && continues_message(rest, t));
        if message {
            if self.awaiting > 0 {
                self.awaiting -= 1;
            }
            if self.old_open && old_closed(t) {
                self.old_open = false;
            }
            self.message_lines += 1;
            self.push(rest);
            return;
        }
        self.flush(out);
    }

    fn push(&mut self, line: &str) {
        if self.chunk_lines == 0 {
            self.chunk_start = self.line_no;
        }
        self.chunk.push_str(line);
        self.chunk.push('\n');
        self.chunk_lines += 1;
    }

    fn flush(&mut self, out: &mut Vec<Event>) {
        if self.chunk_lines > 0 {
            let parsed = trace::parse(&self.chunk);
            let n = parsed.failures.len();
            for (i, failure) in parsed.failures.into_iter().enumerate() {
                // `trace` may see a header this reader took for a message line (escape codes inside
                // "panicked at", an embedded libtest JSON event) or none in one it took for a header:
                // then the counts differ, and a failure takes the last header's place, or the chunk's.
                let (at, line) = self
                    .headers
                    .get(i)
                    .or(self.headers.last())
                    .copied()
                    .unwrap_or((self.last_time, self.chunk_start));
                // Lines were dropped only after the last panic of a chunk closed by a limit.
                let cut = self.cut && i + 1 == n;
                out.push(Event::new(failure, at, cut, Origin { line, json: false }));
            }
        }
        self.chunk.clear();
        self.chunk_lines = 0;
        self.headers.clear();
        self.awaiting = 0;
        self.message_lines = 0;
        self.old_open = false;
        self.cut = false;
    }

    /// A JSON line holding a panic: `tracing`'s JSON format (`fields.message`, or flattened `message`), with
    /// either the whole panic text in the message or its parts in `panic.payload` / `panic.location` /
    /// `panic.backtrace` fields (the shape panic hooks that log through `tracing` use). Returns false for
    /// JSON that is not a panic, which is then read as an ordinary line.
    fn json(&mut self, t: &str, out: &mut Vec<Event>) -> bool {
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(t) else {
            return false;
        };
        let fields = match object.get("fields") {
            Some(Value::Object(fields)) => fields,
            _ => &object,
        };
        let field = |names: &[&str]| -> Option<String> {
            names.iter().find_map(|n| {
                let v = fields.get(*n).or_else(|| object.get(*n))?;
                Some(match v {
                    Value::String(s) => s.clone(),
                    Value::Null => return None,
                    other => other.to_string(),
                })
            })
        };
        let message = field(&["message", "msg"]).unwrap_or_default();
        let payload = field(&["panic.payload", "payload", "panic_payload"]);
        let location = field(&["panic.location", "location", "panic_location"]);
        let backtrace = field(&["panic.backtrace", "backtrace", "panic_backtrace"]);
        let thread = field(&["panic.thread", "thread", "threadName"])
            .unwrap_or_else(|| "<unnamed>".to_owned());
        let mut text = if message.contains("panicked at ") {
            message
        } else if let Some(payload) = payload {
            let location = location.unwrap_or_default();
            format!("thread '{thread}' panicked at {location}:\n{payload}")
        } else {
            return false;
        };
        if let Some(backtrace) = backtrace
            && !text.contains("stack backtrace:")
        {
            text.push_str("\nstack backtrace:\n");
            text.push_str(&backtrace);
        }
        let at = json_time(&object)
            .or_else(|| json_time(fields))
            .or(self.last_time);
        if at.is_some() {
            self.last_time = at;
        }
        // A JSON panic is complete in itself; a plain chunk around it stays open (interleaved processes).
        for failure in trace::parse(&text).failures {
            let cut = failure.site.is_none() || failure.message.is_empty();
            out.push(Event::new(
                failure,
                at,
                cut,
                Origin {
                    line: self.line_no,
                    json: true,
                },
            ));
        }
        true
    }
}

fn json_time(object: &Map<String, Value>) -> Option<i64> {
    ["timestamp", "time", "ts", "@timestamp"]
        .iter()
        .find_map(|k| object.get(*k)?.as_str())
        .and_then(|s| time::parse_prefix(s.trim()))
        .map(|(t, _)| t)
}

/// An RFC 3339 timestamp at the start of the line (bare or in `[…]`), and the rest after the whitespace
/// that follows it.
fn timestamp_prefix(line: &str) -> (Option<i64>, &str) {
    let (inner, bracket) = match line.strip_prefix('[') {
        Some(rest) => (rest, true),
        None => (line, false),
    };
    let first = inner.as_bytes().first();
    if !first.is_some_and(u8::is_ascii_digit) {
        return (None, line);
    }
    let Some((at, len)) = time::parse_prefix(inner) else {
        return (None, line);
    };
    let mut rest = &inner[len..];
    if bracket {
        // `[2026-… INFO app]` (env_logger) closes after more words; only a bare `[time]` is removed whole.
        rest = rest.strip_prefix(']').unwrap_or(rest);
    }
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return (None, line);
    }
    (Some(at), rest.strip_prefix([' ', '\t']).unwrap_or(rest))
}

/// Removes ANSI escape sequences (coloured log output), as `trace` does, so that both read the same
/// headers: CSI sequences `ESC [ … final`, and any other `ESC x` pair.
fn without_escapes(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('\u{1b}') {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
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
    std::borrow::Cow::Owned(out)
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The same test `trace` applies (`thread '…' … panicked at`), cheaply.
fn is_header(t: &str) -> bool {
    match t.find("panicked at ") {
        Some(at) => t[..at].contains("thread '"),
        None => false,
    }
}

/// `thread 'x' panicked at 'msg…` whose `', file:line:col` has not come yet.
fn old_open(t: &str) -> bool {
    let Some(at) = t.find("panicked at '") else {
        return false;
    };
    !old_closed(&t[at + "panicked at '".len()..])
}

fn old_closed(t: &str) -> bool {
    t.rmatch_indices("', ").any(|(i, _)| {
        let rest = &t[i + 3..];
        rest.rsplit(':')
            .next()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// `   3: shop::sell` or `  21:     0x55acaf550fed - shop::sell::h44e3…`.
fn is_frame(t: &str) -> bool {
    let Some((number, rest)) = t.split_once(':') else {
        return false;
    };
    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with(' ')
}

/// The further lines of a multi-line message: assertion `left:` / `right:` lines and indented lines.
fn continues_message(rest: &str, t: &str) -> bool {
    t.starts_with("left:") || t.starts_with("right:") || rest.starts_with([' ', '\t'])
}
