//! A compiled library: one pass over a file checks every pattern.
//!
//! Why not run each pattern over each file: the cost would grow with the library. Instead a pattern is indexed
//! by the syntax kind of its before side's root, and by the words (identifiers, keywords) its before side
//! requires. Per file, the words present are collected once; a pattern missing one of its words cannot match
//! and is never tried. Then a single walk over the tree looks up, for each node, only the possible patterns
//! whose root kind is the node's kind. Word sets are hash lookups, so a library ten times larger costs a
//! little more hashing, not ten times the matching.
//!
//! Words alone let too much through (`clone` and `into` are in most files). So each pattern also has a
//! *needle*: the longest run of its before side's tokens with no hole between them, written without spaces
//! (`.clone().into()` for `$A.clone().into()`). A file is squeezed once (whitespace and comments removed,
//! literals kept minus their whitespace, as needles are), and one Aho-Corasick pass finds every needle at
//! once, whatever the library's size. A match needs its needle to be there, so a file without it is never
//! parsed for that pattern.
//!
//! Squeezing lexes with `syntax::scan::Spans`, the lexer behind the bracket scan that finds the function
//! around a hit, so the two agree on what is a string or a comment. Each squeezed byte keeps its offset in the
//! file, marked when it lies inside a literal: a needle that starts inside one is text in a string, not code.

use std::collections::{HashMap, HashSet};

use aho_corasick::AhoCorasick;

use syntax::scan::{Class, Spans};
use syntax::{NodeId, Tree};

use crate::{Bindings, PNode, Pattern, match_at};

/// Patterns compiled for matching.
#[derive(Debug)]
pub struct Index<'a> {
    patterns: Vec<&'a Pattern>,
    /// The words each pattern's before side requires.
    words: Vec<Vec<&'a str>>,
    holes: Vec<usize>,
    /// For each pattern, its needle's index in the automaton, if it has one long enough to be worth it.
    needle_of: Vec<Option<usize>>,
    /// Every run of at least 3 bytes of each pattern's tokens without a hole between them; a match holds all.
    runs: Vec<Vec<String>>,
    needles: Option<AhoCorasick>,
}

/// One match of a pattern's before side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the pattern in the order given to [`Index::new`].
    pub pattern: usize,
    pub node: NodeId,
    pub bindings: Bindings,
}

impl<'a> Index<'a> {
    pub fn new(patterns: Vec<&'a Pattern>) -> Index<'a> {
        let words = patterns
            .iter()
            .map(|p| required_words(&p.before.root))
            .collect();
        let holes = patterns
            .iter()
            .map(|p| p.before.root.hole_slots())
            .collect();
        let mut distinct: Vec<String> = Vec::new();
        let runs: Vec<Vec<String>> = patterns
            .iter()
            .map(|p| token_runs(&p.before.root))
            .collect();
        let needle_of = patterns
            .iter()
            .map(|p| {
                let needle = needle(&p.before.root)?;
                Some(match distinct.iter().position(|n| *n == needle) {
                    Some(i) => i,
                    None => {
                        distinct.push(needle);
                        distinct.len() - 1
                    }
                })
            })
            .collect();
        let needles = (!distinct.is_empty())
            .then(|| AhoCorasick::new(&distinct).expect("needles are plain strings"));
        Index {
            patterns,
            words,
            holes,
            needle_of,
            runs,
            needles,
        }
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns that may match somewhere in `text`: those whose required words all occur in it.
    pub fn possible(&self, text: &str) -> Vec<usize> {
        self.possible_with_hits(text).0
    }

    /// [`Index::possible`], plus where in `text` the needles of the possible patterns were found, when every
    /// possible pattern has a needle (a match contains its needle, so only code around these offsets can
    /// match). `None` when some possible pattern has no needle and the whole text must be searched.
    pub fn possible_with_hits(&self, text: &str) -> (Vec<usize>, Option<Vec<(usize, usize)>>) {
        thread_local! {
            static BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u32>)> = Default::default();
        }
        let mut found: Vec<Vec<usize>> = Vec::new();
        let by_needle: Vec<usize> = BUFFERS.with(|buffers| {
            let (squeezed, map) = &mut *buffers.borrow_mut();
            if let Some(needles) = &self.needles {
                found = vec![Vec::new(); needles.patterns_len()];
                squeeze_into(text, squeezed, map);
                for m in needles.find_overlapping_iter(&squeezed[..]) {
                    // Tokens never start inside a literal: a needle found there is text in a string.
                    if map[m.start()] & IN_LITERAL == 0 {
                        found[m.pattern().as_usize()].push(map[m.start()] as usize);
                    }
                }
            }
            let squeezed = std::str::from_utf8(squeezed).unwrap_or("");
            // A match holds every run of its pattern, not only the needle.
            (0..self.patterns.len())
                .filter(|&i| self.needle_of[i].is_none_or(|n| !found[n].is_empty()))
                .filter(|&i| {
                    self.needle_of[i].is_none()
                        || self.runs[i].iter().all(|r| squeezed.contains(r.as_str()))
                })
                .collect()
        });
        // The word set costs a pass with hashing; most files are ruled out by needles before it is needed.
        let possible: Vec<usize> = if by_needle.is_empty() {
            by_needle
        } else {
            let present = words_of(text);
            by_needle
                .into_iter()
                .filter(|&i| self.words[i].iter().all(|w| present.contains(w)))
                .collect()
        };
        let mut hits = Vec::new();
        for &i in &possible {
            match self.needle_of[i] {
                Some(n) => hits.extend(found[n].iter().map(|&at| (at, i))),
                None => return (possible, None),
            }
        }
        hits.sort_unstable();
        hits.dedup();
        (possible, Some(hits))
    }

    /// The token runs of pattern `i` (see [`squeeze`]): a piece of code can only match if, squeezed, it
    /// contains every one of them.
    pub fn runs_of(&self, i: usize) -> &[String] {
        &self.runs[i]
    }

    /// The root kind of pattern `i`'s before side.
    pub fn kind_of(&self, i: usize) -> &'static str {
        self.patterns[i].before.kind()
    }

    /// Every match of the `possible` patterns in `tree`, in tree order (outer nodes before inner ones).
    pub fn matches(&self, tree: &Tree, possible: &[usize]) -> Vec<Match> {
        let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
        for &i in possible {
            by_kind
                .entry(self.patterns[i].before.kind())
                .or_default()
                .push(i);
        }
        let mut out = Vec::new();
        if by_kind.is_empty() {
            return out;
        }
        for (id, node) in tree.nodes.iter().enumerate() {
            let Some(candidates) = by_kind.get(node.kind) else {
                continue;
            };
            for &i in candidates {
                let pattern = self.patterns[i];
                // Guards are part of what a pattern means: a binding outside its hole's class is no match.
                if !pattern.sits_in(tree, id as NodeId) {
                    continue;
                }
                if let Some(bindings) = match_at(&pattern.before, tree, id as NodeId, self.holes[i])
                    .filter(|b| pattern.admits(tree, b))
                {
                    out.push(Match {
                        pattern: i,
                        node: id as NodeId,
                        bindings,
                    });
                }
            }
        }
        out
    }
}

fn is_word(token: &str) -> bool {
    !token.is_empty() && token.chars().all(is_word_char)
}

/// A character of an identifier or keyword.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The words (identifiers, keywords) a template's literal tokens hold, sorted and without repeats: code that
/// lacks one of them cannot match it.
pub fn required_words(root: &PNode) -> Vec<&str> {
    let mut tokens = Vec::new();
    root.literal_tokens(&mut tokens);
    let mut words: Vec<&str> = tokens.into_iter().filter(|t| is_word(t)).collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// The words of a text, as [`required_words`] counts them.
pub fn words_of(text: &str) -> HashSet<&str> {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The longest run of the template's tokens with no hole between them, without spaces; `None` when it is too
/// short to narrow anything down.
fn needle(root: &PNode) -> Option<String> {
    token_runs(root).into_iter().next().filter(|n| n.len() >= 4)
}

/// The runs of at least 3 bytes of the template's tokens with no hole between them, without spaces, longest
/// first. The commas of a list with a list hole break runs too: an empty run takes one of them away, and a
/// trailing comma is formatting.
fn token_runs(root: &PNode) -> Vec<String> {
    fn walk(node: &PNode, runs: &mut Vec<String>) {
        match &node.label {
            crate::Label::Hole(_) | crate::Label::List(_) => runs.push(String::new()),
            crate::Label::Node {
                leaf: Some(text), ..
            } => {
                let run = runs.last_mut().expect("runs starts non-empty");
                run.extend(text.chars().filter(|c| !c.is_whitespace()));
            }
            crate::Label::Node { leaf: None, .. } => {
                let listed = crate::list::has_list_child(node);
                for c in &node.children {
                    if listed && c.kind() == Some(",") {
                        runs.push(String::new());
                    } else {
                        walk(c, runs);
                    }
                }
            }
        }
    }
    let mut runs = vec![String::new()];
    walk(root, &mut runs);
    runs.retain(|r| r.len() >= 3);
    runs.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    runs.dedup();
    runs
}

/// The text without whitespace and comments; string and char literals are kept (minus whitespace, as needles
/// are). The tokens of a match are separated only by whitespace and comments in the source, so they are
/// adjacent here, and a needle of a matching pattern is always found.
pub fn squeeze(text: &str) -> String {
    squeeze_mapped(text).0
}

/// Set in a map entry of [`squeeze_mapped`] for a byte inside a string or char literal (after its first byte,
/// which is its quote or prefix: a needle may start a literal, as in `"a".into()`, but never start inside one).
const IN_LITERAL: u32 = 1 << 31;

/// [`squeeze`], with the offset in `text` of every byte of the result ([`IN_LITERAL`] marks literal insides).
fn squeeze_mapped(text: &str) -> (String, Vec<u32>) {
    let (mut out, mut map) = (Vec::new(), Vec::new());
    squeeze_into(text, &mut out, &mut map);
    (String::from_utf8_lossy(&out).into_owned(), map)
}

/// [`squeeze_mapped`] into buffers the caller reuses from file to file (fresh buffers for every file cost
/// page faults that showed in profiles). Built on [`syntax::scan::Spans`], the lexer the bracket scan uses, so
/// that what the index takes for a string or a comment is what `enclosing_function` does.
fn squeeze_into(text: &str, out: &mut Vec<u8>, map: &mut Vec<u32>) {
    out.clear();
    map.clear();
    out.reserve(text.len());
    map.reserve(text.len());
    let bytes = text.as_bytes();
    for token in Spans::new(text, 0) {
        match token.class {
            Class::Code | Class::Whitespace => {
                for (k, &c) in bytes[token.range()].iter().enumerate() {
                    if !c.is_ascii_whitespace() {
                        out.push(c);
                        map.push((token.start + k) as u32);
                    }
                }
            }
            Class::Str | Class::Char => {
                for (k, &c) in bytes[token.range()].iter().enumerate() {
                    if !c.is_ascii_whitespace() {
                        out.push(c);
                        let at = (token.start + k) as u32;
                        map.push(if k > 0 { at | IN_LITERAL } else { at });
                    }
                }
            }
            Class::LineComment | Class::BlockComment => {}
        }
    }
}
