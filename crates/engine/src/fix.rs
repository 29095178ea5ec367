//! The fix engine: a pattern library and one file's text → ranked, non-overlapping, re-parsed fixes.
//!
//! Pure: text in, values out. The caller reads the files, walks the tree and writes (`pipeline`), or fetches
//! the pull request's files (`app`). Per file: the library index says which patterns can match at all (from
//! the words in the file), so a file no pattern can touch is never parsed; the rest is parsed once (only the
//! functions around needle hits when every possible pattern lives inside functions) and walked once. Each
//! match goes through the same steps, and every step that refuses a candidate says why with a
//! [`SkipReason`]:
//!
//! 1. **match** (the index) → 2. **instantiate** the after side from the bindings → 3. **guard**: suppression
//!    comments, syntax-error regions, no-ops, dropped comments, a std item newer than the file's MSRV → 4. **score**: the [`ConfidenceModel`] turns the
//!    pattern's evidence and where the match is into a probability → 5. **choose**: overlapping candidates
//!    are resolved best first; a match nested in a fix that was just applied is looked for again in the
//!    patched text, in a next round → 6. **plan the checks**: every fix must leave code that parses strictly
//!    (syn); what the compiler and the tests must still check is the caller's (see [`Validation`]).

use std::collections::HashMap;
use std::ops::Range;

use pattern::{Effect, Index, LibraryPattern, Origin, Returns, instantiate};
use policy::Probability;
use serde::Serialize;
use syntax::scan::LineIndex;
use syntax::{NodeId, Tree};

use crate::confidence::{
    Assessment, Basis, ConfidenceModel, Evidence, Outcomes, PathStep, RawScore, Validation,
};
use crate::msrv::{Msrv, needs_newer};
use crate::skip::SkipReason;

/// Where a failure or a person points: a file (relative to the root) and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    /// Where the location came from, for explanations: `--at`, `diagnostic: <message>`, ….
    pub source: String,
    /// The frame of a panic's failing path this location is, when a trace said so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<PathStep>,
}

#[derive(Debug, Clone)]
pub struct FixConfig {
    /// Locations to focus on. Empty means the whole tree, with no location preference.
    pub locations: Vec<Location>,
    /// Rounds of re-matching nested candidates after their parent fix was applied.
    pub max_rounds: usize,
    /// Files larger than this are skipped with a reason.
    pub max_file_bytes: usize,
    /// Candidates below this probability are not proposed; they are only counted.
    pub min_confidence: Probability,
    /// Panic kinds reported by traces (`overflow-sub`, …). A pattern that names the panics it fixes is only
    /// used when one of them was reported: a saturating subtraction is a remedy, not a style.
    pub panic_kinds: Vec<String>,
    /// Keep candidates that lose an overlap as [`FileFixes::alternatives`] instead of skipping them.
    pub keep_alternatives: bool,
    /// Only candidates on a location's line (for evaluations, which ask about one hunk at a time).
    pub only_on_locations: bool,
    /// Turns each candidate's evidence into its probability.
    pub model: ConfidenceModel,
    /// Merged / closed fixes of each pattern id so far (the server's record), for the model.
    pub outcomes: HashMap<String, Outcomes>,
    /// Each file's MSRV where its crate declares one (the caller reads the manifests), by file path as passed
    /// to [`Engine::fix_text`]: a fix that needs a newer Rust is skipped (see [`crate::msrv`]).
    pub msrv: HashMap<String, Msrv>,
}

impl Default for FixConfig {
    fn default() -> Self {
        FixConfig {
            locations: Vec::new(),
            max_rounds: 3,
            max_file_bytes: 1 << 20,
            min_confidence: Probability::ZERO,
            panic_kinds: Vec::new(),
            keep_alternatives: false,
            only_on_locations: false,
            model: ConfidenceModel::default(),
            outcomes: HashMap::new(),
            msrv: HashMap::new(),
        }
    }
}

/// Where a fix is relative to the reported locations: evidence for the confidence model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Proximity {
    /// No locations were given: every match is equally placed.
    Anywhere,
    /// The match covers a reported line.
    OnLine,
    /// The match is in the same function as a reported line.
    SameFunction,
    /// Elsewhere in the tree.
    Elsewhere,
}

/// A position in a file: 1-based line and column (in characters), and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub byte: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    pub file: String,
    pub start: Position,
    pub end: Position,
    pub before: String,
    pub after: String,
    /// The unified diff of this fix alone.
    pub diff: String,
    pub pattern: String,
    pub origin: Origin,
    /// The probability that this is the right fix, from the [`ConfidenceModel`].
    pub confidence: Probability,
    /// What the probability's base rate rests on (calibrated, measured, unmeasured).
    pub basis: Basis,
    /// How the fix was checked; the engine only re-parses, so `not-run` until a caller validates it.
    pub validation: Validation,
    /// The raw ranking score: the pattern's score times the location weight.
    pub score: RawScore,
    /// 1 = best, over all fixes of the run.
    pub rank: usize,
    pub proximity: Proximity,
    /// Why this fix was chosen, in words.
    pub reason: String,
    /// 1 for fixes found in the file as it was; 2 and up for matches nested in an earlier fix, found again in
    /// the patched text (their positions refer to that text).
    pub round: usize,
    /// What the fix does to the failure (`surfaces`, `substitutes-default`), from its pattern; every output
    /// shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// Where on a panic's failing path the fix is, when a trace said so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<PathStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub file: String,
    pub line: u32,
    pub pattern: String,
    pub reason: SkipReason,
}

/// The fixes of one file.
#[derive(Debug, Clone)]
pub struct FileFixes {
    pub file: String,
    pub original: String,
    pub patched: String,
    pub fixes: Vec<Fix>,
    /// With [`FixConfig::keep_alternatives`]: first-round candidates that lost an overlap, each as a fix of
    /// the original text on its own (`rank` 0), for a caller that validates candidates one by one.
    pub alternatives: Vec<Fix>,
}

/// A parsed piece of a file: the whole file, or one function of it.
pub struct Unit {
    /// Where the piece starts in the file, in bytes.
    pub offset: usize,
    /// The 1-based line of the file the piece starts on.
    pub first_line: u32,
    pub parse: syntax::Parse,
}

/// The pieces of `text` that the engine parses to look for the `possible` patterns of `index` (from
/// [`Index::possible_with_hits`], with its `hits`): the functions around the needle hits, each parsed on its
/// own, when every possible pattern matches inside a function and every hit lies in one; otherwise the whole
/// file. A function found by the text scan is parsed on its own even inside an item macro's body (a
/// `quickcheck! { fn … }`), where the whole file's tree holds only a token tree; so whoever counts matches
/// (mining's count of the unfixed sites) reads the same pieces, or it would miss what the engine then fixes.
pub fn units(
    text: &str,
    index: &Index<'_>,
    possible: &[usize],
    hits: Option<&[(usize, usize)]>,
) -> Vec<Unit> {
    let within_functions = possible
        .iter()
        .all(|&i| !index.kind_of(i).ends_with("_item"));
    match hits {
        Some(hits) if within_functions => parse_units(text, hits, index),
        _ => vec![whole(text)],
    }
}

fn whole(text: &str) -> Unit {
    Unit {
        offset: 0,
        first_line: 1,
        parse: syntax::parse(text),
    }
}

/// The functions holding the given offsets, each parsed on its own; the whole file when an offset lies
/// outside every function. Parsing a few functions instead of the file is what lets a scan beat the parser.
fn parse_units(text: &str, hits: &[(usize, usize)], index: &Index<'_>) -> Vec<Unit> {
    let lines = LineIndex::new(text);
    let mut regions: Vec<Range<usize>> = Vec::new();
    // Whether a function holds every token run of a pattern, per (function, pattern).
    let mut checked: HashMap<(usize, usize), bool> = HashMap::new();
    let mut squeezed: HashMap<usize, String> = HashMap::new();
    // Functions already found, so that many hits in one long function scan it once.
    let mut known: Vec<Range<usize>> = Vec::new();
    for &(hit, pattern) in hits {
        let region = match known.iter().find(|r| r.contains(&hit)) {
            Some(r) => r.clone(),
            None => {
                let line = lines.line_of(hit);
                let Some(region) = syntax::scan::enclosing_function(text, &lines, line..line + 1)
                else {
                    return vec![whole(text)];
                };
                known.push(region.clone());
                region
            }
        };
        let holds = *checked.entry((region.start, pattern)).or_insert_with(|| {
            let code = squeezed
                .entry(region.start)
                .or_insert_with(|| pattern::squeeze(&text[region.clone()]));
            index
                .runs_of(pattern)
                .iter()
                .all(|r| code.contains(r.as_str()))
        });
        if holds && !regions.contains(&region) {
            regions.push(region);
        }
    }
    regions.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in regions {
        match merged.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut units = Vec::with_capacity(merged.len());
    for r in merged {
        let parse = syntax::parse(&text[r.clone()]);
        // A function over the depth budget is kept as it is (and skipped with its reason by the caller):
        // reading the whole file instead would only meet the same nesting.
        if parse.too_deep.is_none() && !parse.errors.is_empty() {
            // A function that does not parse alone (the scan misjudged its extent): read the whole file.
            return vec![whole(text)];
        }
        units.push(Unit {
            offset: r.start,
            first_line: lines.line_of(r.start),
            parse,
        });
    }
    units
}

/// Whether a pattern takes part in this run: applicable, and either general or a remedy for a reported panic.
fn usable(p: &LibraryPattern, config: &FixConfig) -> bool {
    p.pattern.is_applicable()
        && (p.panics.is_empty() || p.panics.iter().any(|k| config.panic_kinds.contains(k)))
}

/// One candidate fix in one round.
struct Candidate {
    pattern: usize,
    range: Range<usize>,
    replacement: String,
    assessment: Assessment,
    proximity: Proximity,
    step: Option<PathStep>,
    /// Concrete nodes of the pattern: more specific patterns win ties.
    specificity: u32,
}

/// What the engine found in one file.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    pub fixes: FileFixes,
    pub skipped: Vec<Skipped>,
    /// Candidates under [`FixConfig::min_confidence`], counted, not listed.
    pub below_threshold: usize,
}

/// Fixes one file's text with a few patterns (`suture patterns test`, tests). Callers that fix many texts
/// build an [`Engine`] once.
pub fn fix_text(
    file: &str,
    text: &str,
    patterns: &[&LibraryPattern],
    config: &FixConfig,
) -> FileOutcome {
    Engine::new(patterns, config).fix_text(file, text, config)
}

/// The usable patterns of a library compiled into an index, for callers that fix many texts with the same
/// patterns (a tree of files, an evaluation's thousands of hunks; rebuilding the index each time would
/// dominate).
pub struct Engine<'a> {
    patterns: Vec<&'a LibraryPattern>,
    index: Index<'a>,
}

impl<'a> Engine<'a> {
    /// Keeps the usable patterns: applicable, and either general or a remedy for a panic in
    /// `config.panic_kinds`.
    pub fn new(patterns: &[&'a LibraryPattern], config: &FixConfig) -> Engine<'a> {
        let patterns: Vec<&LibraryPattern> = patterns
            .iter()
            .copied()
            .filter(|p| usable(p, config))
            .collect();
        let index = Index::new(patterns.iter().map(|p| &p.pattern).collect());
        Engine { patterns, index }
    }

    /// How many patterns take part.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The fixes of one file. `config` must agree with the one the engine was built with on `panic_kinds`.
    pub fn fix_text(&self, file: &str, text: &str, config: &FixConfig) -> FileOutcome {
        fix_source(file, text.to_owned(), &self.index, &self.patterns, config)
    }
}

fn fix_source(
    file: &str,
    original: String,
    index: &Index<'_>,
    patterns: &[&LibraryPattern],
    config: &FixConfig,
) -> FileOutcome {
    let mut below = 0;
    let locations: Vec<&Location> = config.locations.iter().filter(|l| l.file == file).collect();
    let mut skipped = Vec::new();
    let mut fixes = Vec::new();
    let mut alternatives = Vec::new();
    let mut text = original.clone();
    let mut focus: Option<Vec<Range<usize>>> = None;
    for round in 1..=config.max_rounds.max(1) {
        let (possible, hits) = index.possible_with_hits(&text);
        if possible.is_empty() {
            break;
        }
        // Lines of this round's text, looked up by binary search: a general pattern can match thousands of
        // nodes of a long file, and counting newlines for each was quadratic.
        let file_lines = LineIndex::new(&text);
        // In the first round, only the functions around needle hits are parsed (see `units`); in later rounds
        // the whole file.
        let units = match hits {
            Some(hits) if round == 1 => units(&text, index, &possible, Some(&hits)),
            _ => vec![whole(&text)],
        };
        let mut candidates = Vec::new();
        for unit in &units {
            if let Some(too_deep) = unit.parse.too_deep {
                // Nothing in a unit over the depth budget is searched: each pattern that could have matched
                // there is skipped with the reason, at the line where the nesting went over.
                let too_deep = syntax::TooDeep {
                    line: unit.first_line + too_deep.line - 1,
                    ..too_deep
                };
                for &i in &possible {
                    skipped.push(Skipped {
                        file: file.to_owned(),
                        line: too_deep.line,
                        pattern: patterns[i].id.clone(),
                        reason: SkipReason::TooDeep(too_deep),
                    });
                }
                continue;
            }
            let tree = &unit.parse.tree;
            let offset = unit.offset;
            let unit_lines = LineIndex::new(&tree.text);
            let error_regions: Vec<Range<usize>> = unit
                .parse
                .errors
                .iter()
                .map(|e| error_region(tree, e))
                .map(|r| r.start + offset..r.end + offset)
                .collect();
            for m in index.matches(tree, &possible) {
                let p = patterns[m.pattern];
                let span = tree.node(m.node).span.clone();
                let range = span.start as usize + offset..span.end as usize + offset;
                if let Some(focus) = &focus {
                    // Later rounds only revisit what the previous round rewrote.
                    if !focus
                        .iter()
                        .any(|f| f.start <= range.start && range.end <= f.end)
                    {
                        continue;
                    }
                }
                let mut skip = |reason: SkipReason| {
                    let line = file_lines.line_of(range.start);
                    skipped.push(Skipped {
                        file: file.to_owned(),
                        line,
                        pattern: p.id.clone(),
                        reason,
                    });
                };
                if suppressed(&text, range.start, &p.id) {
                    skip(SkipReason::Suppressed);
                    continue;
                }
                if error_regions
                    .iter()
                    .any(|e| e.start < range.end && range.start <= e.end)
                {
                    skip(SkipReason::SyntaxErrorAround);
                    continue;
                }
                let indent = patch::indentation_at(&text, range.start);
                let replacement = match instantiate(&p.pattern.after, tree, &m.bindings, indent) {
                    Ok(r) => r,
                    Err(e) => {
                        skip(SkipReason::Instantiate(e.to_string()));
                        continue;
                    }
                };
                if replacement == text[range.clone()] {
                    continue;
                }
                if comments_lost(&text[range.clone()], &replacement) {
                    skip(SkipReason::DropsComment);
                    continue;
                }
                if let Some(msrv) = config.msrv.get(file)
                    && let Some(needs) =
                        needs_newer(&text[range.clone()], &replacement, msrv.version)
                {
                    skip(SkipReason::NeedsNewerRust {
                        item: needs.item,
                        since: needs.since,
                        msrv: msrv.clone(),
                    });
                    continue;
                }
                if let Some(function) =
                    calls_itself(tree, m.node, &text[range.clone()], &replacement)
                {
                    skip(SkipReason::SelfRecursion { function });
                    continue;
                }
                if p.migration.is_some()
                    && let Some(function) =
                        old_form_on_purpose(&text, offset, tree, m.node, &p.pattern)
                {
                    skip(SkipReason::OldFormOnPurpose { function });
                    continue;
                }
                if p.migration.is_some()
                    && let Some(evidence) = names_a_std_item(&text, tree, m.node, &p.pattern)
                {
                    skip(SkipReason::StdItem {
                        name: tree.text_of(m.node).to_owned(),
                        evidence,
                    });
                    continue;
                }
                if let Some(want) = p.returns
                    && !want.admits(function_returns(tree, m.node))
                {
                    continue;
                }
                let (proximity, step) =
                    proximity(tree, &unit_lines, m.node, unit.first_line, &locations);
                if config.only_on_locations && proximity != Proximity::OnLine {
                    continue;
                }
                let assessment = config.model.assess(&Evidence {
                    pattern: p,
                    proximity,
                    validation: Validation::NotRun,
                    outcomes: config.outcomes.get(&p.id).copied().unwrap_or_default(),
                    step: step.as_ref(),
                });
                if assessment.probability < config.min_confidence {
                    below += 1;
                    continue;
                }
                candidates.push(Candidate {
                    pattern: m.pattern,
                    range,
                    replacement,
                    assessment,
                    proximity,
                    step,
                    specificity: p.pattern.before.root.concrete,
                });
            }
        }
        if candidates.is_empty() {
            break;
        }
        // Best first: probability, then raw score, then the more specific pattern, then the pattern id, then
        // position.
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| {
            let (ca, cb) = (&candidates[a], &candidates[b]);
            cb.assessment
                .probability
                .total_cmp(&ca.assessment.probability)
                .then(cb.assessment.raw.get().total_cmp(&ca.assessment.raw.get()))
                .then(cb.specificity.cmp(&ca.specificity))
                .then_with(|| patterns[ca.pattern].id.cmp(&patterns[cb.pattern].id))
                .then(ca.range.start.cmp(&cb.range.start))
        });
        let choices = patch::choose(candidates.len(), &order, |i| candidates[i].range.clone());
        let mut kept = Vec::new();
        let mut lost_any = false;
        for &i in &order {
            let c = &candidates[i];
            let line = file_lines.line_of(c.range.start);
            match choices[i] {
                patch::Choice::LostTo(_) if config.keep_alternatives && round == 1 => {
                    let edit = patch::TextEdit {
                        range: c.range.clone(),
                        replacement: c.replacement.clone(),
                    };
                    alternatives.push(to_fix(
                        file,
                        &text,
                        &edit,
                        c,
                        patterns[c.pattern],
                        &locations,
                        round,
                    ));
                }
                patch::Choice::LostTo(w) => {
                    lost_any = true;
                    let winner = &candidates[w];
                    let wp = patterns[winner.pattern];
                    skipped.push(Skipped {
                        file: file.to_owned(),
                        line,
                        pattern: patterns[c.pattern].id.clone(),
                        reason: SkipReason::Overlaps {
                            winner: wp.id.clone(),
                            line: file_lines.line_of(winner.range.start),
                            tie: winner.assessment.probability == c.assessment.probability,
                        },
                    });
                }
                patch::Choice::Kept => {
                    let edit = patch::TextEdit {
                        range: c.range.clone(),
                        replacement: c.replacement.clone(),
                    };
                    kept.push((i, edit));
                }
            }
        }
        // Every fix must leave code that parses strictly. The check reads the functions that were parsed
        // (or the whole file when the whole file was): one re-parse for all fixes of a scope, and only when
        // that fails each fix alone, to find the culprits.
        let scopes: Vec<Range<usize>> = units
            .iter()
            .map(|u| u.offset..u.offset + u.parse.tree.text.len())
            .collect();
        let problem = |edits: &[&patch::TextEdit]| -> Option<SkipReason> {
            for scope in &scopes {
                let local: Vec<patch::TextEdit> = edits
                    .iter()
                    .filter(|e| scope.start <= e.range.start && e.range.end <= scope.end)
                    .map(|e| patch::TextEdit {
                        range: e.range.start - scope.start..e.range.end - scope.start,
                        replacement: e.replacement.clone(),
                    })
                    .collect();
                if local.is_empty() {
                    continue;
                }
                let before = &text[scope.clone()];
                let after = patch::apply(before, &local);
                // Parsing strictly after the fix is the common case and settles it; only when it fails does
                // it matter whether the code parsed strictly before (if not, no new syntax error is the bar).
                if syntax::strict_reparse(&after).is_ok() {
                    continue;
                }
                let strict = syntax::strict_reparse(before).is_ok();
                let errors = if strict {
                    0
                } else {
                    syntax::parse(before).errors.len()
                };
                if let Some(reason) = reparse_problem(&after, strict, errors) {
                    return Some(reason);
                }
            }
            None
        };
        let together: Vec<&patch::TextEdit> = kept.iter().map(|(_, e)| e).collect();
        if !together.is_empty() && problem(&together).is_some() {
            let mut culprits = Vec::new();
            for (k, (i, edit)) in kept.iter().enumerate() {
                if let Some(reason) = problem(&[edit]) {
                    skipped.push(Skipped {
                        file: file.to_owned(),
                        line: syntax::line_of(&text, edit.range.start as u32),
                        pattern: patterns[candidates[*i].pattern].id.clone(),
                        reason,
                    });
                    culprits.push(k);
                }
            }
            let mut k = 0;
            kept.retain(|_| {
                k += 1;
                !culprits.contains(&(k - 1))
            });
            let rest: Vec<&patch::TextEdit> = kept.iter().map(|(_, e)| e).collect();
            if !rest.is_empty()
                && let Some(reason) = problem(&rest)
            {
                // Each parses alone, together they do not: keep none rather than a broken file.
                for (i, edit) in kept.drain(..) {
                    skipped.push(Skipped {
                        file: file.to_owned(),
                        line: syntax::line_of(&text, edit.range.start as u32),
                        pattern: patterns[candidates[i].pattern].id.clone(),
                        reason: SkipReason::TogetherDoNotParse(Box::new(reason.clone())),
                    });
                }
            }
        }
        if kept.is_empty() {
            break;
        }
        let edits: Vec<patch::TextEdit> = kept.iter().map(|(_, e)| e.clone()).collect();
        let patched = patch::apply(&text, &edits);
        for (i, edit) in &kept {
            let c = &candidates[*i];
            fixes.push(to_fix(
                file,
                &text,
                edit,
                c,
                patterns[c.pattern],
                &locations,
                round,
            ));
        }
        // Where the kept fixes landed in the patched text, for the next round.
        let mut shift: isize = 0;
        let mut landed = Vec::new();
        let mut sorted: Vec<&patch::TextEdit> = edits.iter().collect();
        sorted.sort_by_key(|e| e.range.start);
        for e in sorted {
            let start = (e.range.start as isize + shift) as usize;
            landed.push(start..start + e.replacement.len());
            shift += e.replacement.len() as isize - e.range.len() as isize;
        }
        text = patched;
        if !lost_any {
            break;
        }
        focus = Some(landed);
    }
    FileOutcome {
        fixes: FileFixes {
            file: file.to_owned(),
            original,
            patched: text,
            fixes,
            alternatives,
        },
        skipped,
        below_threshold: below,
    }
}

/// The code a syntax error makes untrustworthy: the function (or other item) around it, since error recovery
/// can regroup anything in it; at the top level, just the nodes around the error.
fn error_region(tree: &Tree, error: &syntax::SyntaxError) -> Range<usize> {
    let node = tree.covering_node(error.span.clone());
    let item = tree.ancestors(node).find(|&a| {
        matches!(
            tree.node(a).kind,
            "function_item" | "impl_item" | "trait_item" | "mod_item" | "macro_definition"
        )
    });
    let span = &tree.node(item.unwrap_or(node)).span;
    span.start as usize..span.end as usize
}

/// The report of one candidate fix of `text`; its rank is set once all files are done.
fn to_fix(
    file: &str,
    text: &str,
    edit: &patch::TextEdit,
    candidate: &Candidate,
    p: &LibraryPattern,
    locations: &[&Location],
    round: usize,
) -> Fix {
    Fix {
        file: file.to_owned(),
        start: position(text, edit.range.start),
        end: position(text, edit.range.end),
        before: text[edit.range.clone()].to_owned(),
        after: edit.replacement.clone(),
        diff: patch::edit_diff(file, text, edit),
        pattern: p.id.clone(),
        origin: p.origin,
        confidence: candidate.assessment.probability,
        basis: candidate.assessment.basis.clone(),
        validation: Validation::NotRun,
        score: candidate.assessment.raw,
        rank: 0,
        proximity: candidate.proximity,
        reason: explain(
            p,
            &candidate.assessment,
            candidate.proximity,
            candidate.step.as_ref(),
            locations,
        ),
        round,
        effect: p.effect,
        step: candidate.step.clone(),
    }
}

/// What the function around `node` returns, when it is a `Result` or an `Option` (by the last path segment of
/// the written return type, so `io::Result<T>` and aliases named `…Result` count; one written with `()` as its
/// last type argument is a [`Returns::UnitResult`]). A closure in between answers `None`: a `return` or `?`
/// there leaves the closure, not the function.
pub fn function_returns(tree: &Tree, node: NodeId) -> Option<Returns> {
    let function = tree
        .ancestors(node)
        .find(|&a| matches!(tree.node(a).kind, "function_item" | "closure_expression"))?;
    if tree.node(function).kind != "function_item" {
        return None;
    }
    let children = &tree.node(function).children;
    let arrow = children.iter().position(|&c| tree.text_of(c) == "->")?;
    let ty = tree.text_of(*children.get(arrow + 1)?);
    let head = ty.split('<').next().unwrap_or(ty).trim();
    let last = head.rsplit("::").next().unwrap_or(head);
    let squeezed: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    if last.ends_with("Result") && squeezed.ends_with(",()>") {
        Some(Returns::UnitResult)
    } else if last.ends_with("Result") {
        Some(Returns::Result)
    } else if last == "Option" {
        Some(Returns::Option)
    } else {
        None
    }
}

/// What the function around a human edit returned, read off the file as it was before the edit: the edit's
/// before side is found as the node with the same text (whitespace aside) nearest after the start of its
/// 1-based `line` (within 8 lines: a hunk starts at or before its node), and its function's return type read
/// as [`function_returns`] reads it. `None` when no such node is found; `Some(None)` when the function returns
/// neither a `Result` nor an `Option` (or a closure is in between).
pub fn returns_at_edit(text: &str, line: u32, before: &str) -> Option<Option<Returns>> {
    let parsed = syntax::parse(text);
    let tree = &parsed.tree;
    let lines = LineIndex::new(text);
    let want = pattern::squeeze(before);
    let (first, last) = (lines.start_of(line), lines.start_of(line.saturating_add(8)));
    let node = (0..tree.len() as NodeId)
        .filter(|&id| {
            let start = tree.node(id).span.start as usize;
            (first..last).contains(&start)
        })
        .filter(|&id| pattern::squeeze(tree.text_of(id)) == want)
        .min_by_key(|&id| (tree.node(id).span.start, tree.node(id).span.end))?;
    Some(function_returns(tree, node))
}

/// Why a patched text is not acceptable, if it is not: it must parse strictly when the original did, and must
/// not add syntax errors when the original had some.
fn reparse_problem(patched: &str, strict_before: bool, errors_before: usize) -> Option<SkipReason> {
    if strict_before {
        return syntax::strict_reparse(patched)
            .err()
            .map(|e| SkipReason::DoesNotParse(e.to_string()));
    }
    let after = syntax::parse(patched).errors.len();
    (after > errors_before).then_some(SkipReason::MoreSyntaxErrors)
}

/// Whether the matched code holds a comment outside the subtrees the fix carries over, which the replacement
/// would silently drop.
fn comments_lost(original: &str, replacement: &str) -> bool {
    let count = |s: &str| s.matches("//").count() + s.matches("/*").count();
    count(original) > count(replacement)
}

/// The `function_item` around `node`, with its name.
fn enclosing_function(tree: &Tree, node: NodeId) -> Option<(NodeId, String)> {
    let function = tree
        .ancestors(node)
        .find(|&a| tree.node(a).kind == "function_item")?;
    let name = tree
        .node(function)
        .children
        .iter()
        .find(|&&c| tree.node(c).kind == "identifier")
        .map(|&c| tree.text_of(c).to_owned())?;
    Some((function, name))
}

/// The name of the function around `node` when the replacement calls it and the matched code did not: the
/// fix would turn the body of `fn is_empty` into a call of `is_empty`.
fn calls_itself(tree: &Tree, node: NodeId, matched: &str, replacement: &str) -> Option<String> {
    let (_, name) = enclosing_function(tree, node)?;
    let calls = |code: &str| {
        code.match_indices(name.as_str()).any(|(i, _)| {
            let before = code[..i].chars().next_back();
            let after = code[i + name.len()..].trim_start();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && (after.starts_with('(') || after.starts_with("::<"))
        })
    };
    (calls(replacement) && !calls(matched)).then_some(name)
}

/// The function around `node`, when it uses a migration's old form on purpose: its name or its attributes
/// name an item the migration moves off (a test of the old API), or an attribute allows `deprecated`.
/// `text` is the whole file and `offset` where the parsed unit starts in it: a unit may be the function
/// alone, without the attributes before it, so they are read off the file's text.
fn old_form_on_purpose(
    text: &str,
    offset: usize,
    tree: &Tree,
    node: NodeId,
    pattern: &pattern::Pattern,
) -> Option<String> {
    let (function, name) = enclosing_function(tree, node)?;
    // The attributes: the lines above the function that are attributes, comments or blank.
    let start = tree.node(function).span.start as usize + offset;
    let mut attributes = String::new();
    for line in text[..start].lines().rev() {
        let line = line.trim();
        if line.starts_with("#[") || line.starts_with("#![") {
            attributes.push_str(line);
        } else if !(line.is_empty() || line.starts_with("//") || line.ends_with(']')) {
            break;
        }
    }
    let old = mine::migration::removed_names(pattern);
    let named = old
        .iter()
        .any(|n| name.contains(n.as_str()) || attributes.contains(n.as_str()));
    let allowed = attributes.replace(' ', "").contains("allow(deprecated");
    (named || allowed).then_some(name)
}

/// The crates of Rust's standard library: an item reached through them is never the repository's own.
const STD_CRATES: &[&str] = &["std", "core", "alloc"];

/// For a migration whose before side is a name: why the name at `node` is the standard library's item and not
/// the repository's (chrono's `Duration` → `TimeDelta` must leave `core::time::Duration` alone): it is the last
/// segment of a path rooted in `std`, `core` or `alloc` (the path is the evidence), or it stands alone in a
/// file that imports that name from one of them (the `use` is). `text` is the whole file.
fn names_a_std_item(
    text: &str,
    tree: &Tree,
    node: NodeId,
    pattern: &pattern::Pattern,
) -> Option<String> {
    let n = tree.node(node);
    if !n.children.is_empty() {
        return None;
    }
    let name = tree.text_of(node);
    // The path the name ends: `a::b::name`, or `a::b::{name, ..}`.
    let path = n.parent.and_then(|p| {
        let parent = tree.node(p);
        match parent.kind {
            "scoped_identifier" | "scoped_type_identifier"
                if parent.children.last() == Some(&node) && parent.children.len() > 1 =>
            {
                Some(p)
            }
            "use_list" => parent
                .parent
                .filter(|&g| tree.node(g).kind == "scoped_use_list"),
            _ => None,
        }
    });
    if let Some(path) = path {
        let mut root = tree.node(path).children.first().copied()?;
        while let Some(&first) = tree.node(root).children.first() {
            root = first;
        }
        return STD_CRATES
            .contains(&tree.text_of(root))
            .then(|| tree.text_of(path).to_owned());
    }
    let old = mine::migration::removed_names(pattern);
    if !old.iter().any(|o| o == name) {
        return None;
    }
    std_import_of(text, name)
}

/// The `use` of the file that imports `name` from the standard library under its own name, if there is one.
fn std_import_of(text: &str, name: &str) -> Option<String> {
    let mut at = 0;
    while let Some(found) = text[at..].find("use ") {
        let start = at + found;
        at = start + 4;
        let rest = &text[at..];
        let Some(end) = rest.find(';') else { break };
        let body: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
        let at_word_start = start == 0
            || !text[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let root = body
            .trim_start_matches("::")
            .split("::")
            .next()
            .unwrap_or("");
        if !at_word_start || !STD_CRATES.contains(&root) {
            continue;
        }
        let imports = body.split([':', '{', '}', ',']).filter(|s| !s.is_empty());
        if imports.clone().any(|s| s == name)
            && !imports.clone().any(|s| s.starts_with(&format!("{name}as")))
        {
            return Some(format!("use {};", rest[..end].trim()));
        }
    }
    None
}

/// `// suture-ignore` or `// suture-ignore: <id>` on the match's line or the line above it.
fn suppressed(text: &str, at: usize, id: &str) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let prev_start = text[..line_start.saturating_sub(1)]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let lines = [
        &text[line_start..line_end],
        if line_start > 0 {
            &text[prev_start..line_start - 1]
        } else {
            ""
        },
    ];
    lines.iter().any(|line| {
        line.match_indices("// suture-ignore").any(|(i, m)| {
            let rest = line[i + m.len()..].trim_start();
            match rest.strip_prefix(':') {
                Some(ids) => ids.split([',', ' ']).map(str::trim).any(|x| x == id),
                None => {
                    rest.is_empty() || !rest.starts_with(|c: char| c.is_alphanumeric() || c == '-')
                }
            }
        })
    })
}

fn proximity(
    tree: &Tree,
    lines: &LineIndex,
    node: NodeId,
    first_line: u32,
    locations: &[&Location],
) -> (Proximity, Option<PathStep>) {
    if locations.is_empty() {
        return (Proximity::Anywhere, None);
    }
    // The innermost frame wins when several locations qualify.
    let step = |hits: &mut dyn Iterator<Item = &&Location>| {
        hits.filter_map(|l| l.step.clone())
            .min_by_key(|s| s.position)
    };
    let line = |offset: u32| first_line + lines.line_of(offset as usize) - 1;
    let span = &tree.node(node).span;
    let (first, last) = (
        line(span.start),
        line(span.end.saturating_sub(1).max(span.start)),
    );
    if locations.iter().any(|l| first <= l.line && l.line <= last) {
        let s = step(
            &mut locations
                .iter()
                .filter(|l| first <= l.line && l.line <= last),
        );
        return (Proximity::OnLine, s);
    }
    let function = tree
        .ancestors(node)
        .find(|&a| tree.node(a).kind == "function_item");
    if let Some(f) = function {
        let fspan = &tree.node(f).span;
        let (ff, fl) = (line(fspan.start), line(fspan.end.saturating_sub(1)));
        if locations.iter().any(|l| ff <= l.line && l.line <= fl) {
            let s = step(&mut locations.iter().filter(|l| ff <= l.line && l.line <= fl));
            return (Proximity::SameFunction, s);
        }
    }
    (Proximity::Elsewhere, None)
}

pub(crate) fn explain(
    p: &LibraryPattern,
    assessment: &Assessment,
    proximity: Proximity,
    step: Option<&PathStep>,
    locations: &[&Location],
) -> String {
    let what = match p.origin {
        Origin::Mined => format!(
            "mined pattern {} (support {}, prevalence {:.2}, specialisation {:.2}; {})",
            p.id, p.support, p.prevalence, p.specialisation, assessment.basis
        ),
        Origin::HandWritten => format!("hand-written pattern {} ({})", p.id, assessment.basis),
    };
    let sources = || {
        let mut s: Vec<&str> = locations.iter().map(|l| l.source.as_str()).collect();
        s.dedup();
        s.join(", ")
    };
    let place = match proximity {
        Proximity::Anywhere => "no location given".to_owned(),
        Proximity::OnLine => format!("on a reported line ({})", sources()),
        Proximity::SameFunction => format!("in the function of a reported line ({})", sources()),
        Proximity::Elsewhere => "away from the reported locations".to_owned(),
    };
    let frame = match step {
        Some(s) if s.position == 0 => format!("; at the panic site ({})", s.panic),
        Some(s) => format!("; caller #{} of the panic site ({})", s.position, s.panic),
        None => String::new(),
    };
    let effect = p
        .effect
        .map(|e| format!("; {}", e.label()))
        .unwrap_or_default();
    let migration = p
        .migration
        .as_ref()
        .map(|m| {
            format!(
                "; continues a migration of this repository: {} sites changed this way in {} commits by {}",
                m.migrated,
                m.commits,
                match m.authors.len() {
                    1 => "1 author".to_owned(),
                    n => format!("{n} authors"),
                }
            )
        })
        .unwrap_or_default();
    format!("{what}; {place}{frame}{effect}{migration}")
}

pub(crate) fn position(text: &str, byte: usize) -> Position {
    let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: syntax::line_of(text, byte as u32),
        column: text[line_start..byte].chars().count() as u32 + 1,
        byte,
    }
}

/// Numbers the fixes of a run 1.. over all files, best first (probability, then raw score, then file and
/// position); sorts each file's fixes by round and position, the files by name, and the skipped candidates by
/// place, without duplicates.
pub fn rank(files: &mut [FileFixes], skipped: &mut Vec<Skipped>) {
    let mut all: Vec<(usize, usize)> = files
        .iter()
        .enumerate()
        .flat_map(|(f, ff)| (0..ff.fixes.len()).map(move |i| (f, i)))
        .collect();
    all.sort_by(|&(fa, ia), &(fb, ib)| {
        let (a, b) = (&files[fa].fixes[ia], &files[fb].fixes[ib]);
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.score.get().total_cmp(&a.score.get()))
            .then(a.file.cmp(&b.file))
            .then(a.start.byte.cmp(&b.start.byte))
    });
    for (rank, (f, i)) in all.into_iter().enumerate() {
        files[f].fixes[i].rank = rank + 1;
    }
    for f in files.iter_mut() {
        f.fixes.sort_by_key(|x| (x.round, x.start.byte));
    }
    files.sort_by(|a, b| a.file.cmp(&b.file));
    skipped.sort_by(|a, b| (&a.file, a.line, &a.pattern).cmp(&(&b.file, b.line, &b.pattern)));
    skipped.dedup();
}
