//! Production panics → grouped incidents: the pure part of `suture watch`.
//!
//! Three steps, each a value transformation. [`Reader`] turns a stream of log lines (plain stderr, with or
//! without RFC 3339 prefixes, backtraces, `tracing` JSON lines) into [`Event`]s, in bounded memory, reusing
//! `trace` for the panics themselves. [`Fingerprinter`] gives each event a [`Signature`]: the panic kind
//! and the *in-app* frames (files of the workspace at the deployed revision), each named by its enclosing
//! function rather than its line, so that an unrelated edit above a panic does not split its group (Sentry
//! groups by in-app frames for the same reason). [`status`] decides whether a group is new, escalating over
//! its own baseline, regressed after a fix, or steady, from hourly counts ([`Rule`] states the parameters).
//!
//! No IO: the caller passes each workspace file's text at the revision through [`Sources`], and the counts
//! of earlier runs from its store. Hashes are FNV-1a, stable across runs and builds.

mod group;
mod reader;
mod status;
pub mod time;

use serde::Serialize;

pub use group::{Fingerprinter, InAppFrame, Signature, Sources, Workspace, fnv1a};
pub use reader::{MAX_CHUNK_BYTES, MAX_CHUNK_LINES, MAX_LINE_BYTES, Reader};
pub use status::{Baseline, HOUR, Rule, Status, baseline, status};

/// One panic read from a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Seconds since the Unix epoch: the event's own timestamp, or the last one its stream showed before it.
    pub at: Option<i64>,
    pub failure: trace::Failure,
    /// Cut off or interleaved beyond repair: no site, no message, or lines lost to a limit. Such an event
    /// still counts; it groups with what is left of it.
    pub partial: bool,
    pub origin: Origin,
}

/// Where in its stream an event began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// 1-based line of its panic header (of the JSON line for JSON events).
    pub line: u64,
    pub json: bool,
}

impl Event {
    pub(crate) fn new(
        failure: trace::Failure,
        at: Option<i64>,
        cut: bool,
        origin: Origin,
    ) -> Event {
        let partial = cut || failure.site.is_none() || failure.message.trim().is_empty();
        Event {
            at,
            failure,
            partial,
            origin,
        }
    }
}

/// Reads a whole text (a test fixture, a small log) into events.
pub fn read(text: &str) -> Vec<Event> {
    let mut reader = Reader::new();
    let mut out = Vec::new();
    for line in text.split('\n') {
        reader.line(line, &mut out);
    }
    reader.finish(&mut out);
    out
}
