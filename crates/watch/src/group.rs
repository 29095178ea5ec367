//! Fingerprints: which events are the same incident.
//!
//! The fingerprint is the panic kind plus the in-app frames, innermost first: each frame that resolves to
//! a workspace file (`trace::failing_path`, the same mapping `suture heal` uses) contributes its file and
//! the name of the function around its line in that file at the deployed revision (`syntax::scan`'s
//! `enclosing_function`). Line numbers are left out on purpose: an edit above the panic moves its line but
//! not its function. A frame whose line lies outside every function (a `const` initialiser, a macro at item
//! level) contributes its line instead; an event with no in-app frame at all contributes its site as printed
//! and its message with digits removed (`the len is 3 but the index is 5` and `… 4 … 9` are one group).
//!
//! Logs repeat the same few panics many times, so signatures are cached by the event's printed frames and
//! function names by `(file, line)`; a 100 MB log costs a handful of scans of the source.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use syntax::scan::{LineIndex, enclosing_function};
use trace::{Failure, PanicKind};

/// The workspace the frames are mapped onto.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The absolute root as the binary's backtraces print it (absolute frames are matched under it).
    pub root: String,
    /// Workspace-relative `.rs` paths at the revision, `/` separators.
    pub files: HashSet<String>,
}

/// The text of a workspace file at the revision the logs come from.
pub trait Sources {
    fn text(&mut self, file: &str) -> Option<String>;
}

impl<F: FnMut(&str) -> Option<String>> Sources for F {
    fn text(&mut self, file: &str) -> Option<String> {
        self(file)
    }
}

/// One in-app frame of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InAppFrame {
    /// Workspace-relative.
    pub file: String,
    /// As printed by the events (the latest event's line, for display; not part of the fingerprint).
    pub line: u32,
    /// The enclosing function in the source at the revision, else the frame's printed name.
    pub function: Option<String>,
}

/// What groups an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// 16 hex digits.
    pub fingerprint: String,
    pub kind: PanicKind,
    pub frames: Vec<InAppFrame>,
}

/// Computes signatures, caching sources and answers.
pub struct Fingerprinter<S> {
    workspace: Workspace,
    sources: S,
    texts: HashMap<String, Option<(String, LineIndex)>>,
    functions: HashMap<(String, u32), Option<String>>,
    cache: HashMap<String, Signature>,
}

/// At most this many in-app frames take part (deep recursion must not make every depth its own group).
const MAX_FRAMES: usize = 16;

impl<S: Sources> Fingerprinter<S> {
    pub fn new(workspace: Workspace, sources: S) -> Fingerprinter<S> {
        Fingerprinter {
            workspace,
            sources,
            texts: HashMap::new(),
            functions: HashMap::new(),
            cache: HashMap::new(),
        }
    }

    pub fn signature(&mut self, failure: &Failure) -> Signature {
        let key = raw_key(failure);
        if let Some(signature) = self.cache.get(&key) {
            return signature.clone();
        }
        let path = trace::failing_path(failure, &self.workspace.root, &self.workspace.files);
        let mut frames = Vec::new();
        let mut input = String::from(failure.kind.name());
        for location in path.into_iter().take(MAX_FRAMES) {
            let function = self.function_at(&location.file, location.line);
            input.push('\u{1f}');
            input.push_str(&location.file);
            input.push('#');
            match &function {
                Some(name) => input.push_str(name),
                None => input.push_str(&location.line.to_string()),
            }
            frames.push(InAppFrame {
                file: location.file,
                line: location.line,
                function: function.or_else(|| {
                    location
                        .function
                        .as_deref()
                        .map(|f| short_function(f).to_owned())
                }),
            });
        }
        if frames.is_empty() {
            input.push('\u{1f}');
            if let Some(site) = &failure.site {
                input.push_str(&site.file);
            }
            input.push('\u{1f}');
            let first = failure.message.lines().next().unwrap_or("");
            input.extend(first.chars().filter(|c| !c.is_ascii_digit()));
        }
        let signature = Signature {
            fingerprint: format!("{:016x}", fnv1a(input.as_bytes())),
            kind: failure.kind,
            frames,
        };
        if self.cache.len() < 100_000 {
            self.cache.insert(key, signature.clone());
        }
        signature
    }

    /// The name of the function around `line` of `file` at the revision.
    fn function_at(&mut self, file: &str, line: u32) -> Option<String> {
        let key = (file.to_owned(), line);
        if let Some(answer) = self.functions.get(&key) {
            return answer.clone();
        }
        let sources = &mut self.sources;
        let entry = self.texts.entry(file.to_owned()).or_insert_with(|| {
            sources.text(file).map(|text| {
                let index = LineIndex::new(&text);
                (text, index)
            })
        });
        let answer = entry.as_ref().and_then(|(text, index)| {
            let range = enclosing_function(text, index, line..line + 1)?;
            fn_name(&text[range])
        });
        self.functions.insert(key, answer.clone());
        answer
    }
}

/// Everything of a failure that the signature depends on, as printed.
fn raw_key(failure: &Failure) -> String {
    let mut key = String::from(failure.kind.name());
    let mut frame = |f: &trace::Frame| {
        key.push('\u{1f}');
        key.push_str(&f.file);
        key.push(':');
        key.push_str(&f.line.to_string());
        key.push(':');
        key.push_str(&f.column.unwrap_or(0).to_string());
        key.push(':');
        key.push_str(f.function.as_deref().unwrap_or(""));
    };
    if let Some(site) = &failure.site {
        frame(site);
    }
    failure.frames.iter().for_each(&mut frame);
    key.push('\u{1e}');
    key.extend(
        failure
            .message
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_ascii_digit()),
    );
    key
}

/// `pub(crate) async fn name<T>(…` → `name`.
fn fn_name(item: &str) -> Option<String> {
    let at = item.find("fn ")?;
    let rest = item[at + 3..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].to_owned())
}

/// `capture::Ledger::sell` → `Ledger::sell`: the last two path segments.
fn short_function(f: &str) -> &str {
    match f.rmatch_indices("::").nth(1) {
        Some((i, _)) => &f[i + 2..],
        None => f,
    }
}

/// FNV-1a, 64 bits: stable across runs and builds (unlike `DefaultHasher`), and enough for grouping.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
