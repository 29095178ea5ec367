//! The pattern file format: wire types apart from domain types.
//!
//! A pattern file is TOML that a human can read and edit. Its shape is [`SerializablePattern`]: every field has
//! a doc comment, unknown fields are rejected (a typo must not silently drop a setting), and the JSON schema is
//! generated from these types. [`LibraryPattern`] is the checked domain value, built by `TryFrom`, which parses
//! the templates and says precisely which field is wrong. Mined and hand-written patterns share this format;
//! [`Origin`] tells them apart so that nobody mistakes a hand-written rule for a learned one.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{HoleClass, Pattern, TemplateError, hole_display_name};

/// Where a pattern came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Learned by `suture mine` from fixes in git histories.
    Mined,
    /// Written by a person; never presented as learned.
    HandWritten,
}

/// One pattern, as stored in a `.toml` file of a pattern library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SerializablePattern {
    /// Stable identifier, unique in the library (for example `m-1f3a9c2e` for a mined pattern).
    pub id: String,
    /// `mined` or `hand-written`.
    pub origin: Origin,
    /// One line saying what the fix does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The code to find, as Rust with `$NAME` holes, for example `$A.len() == 0`.
    pub before: String,
    /// The replacement, as Rust whose holes are bound by `before`, for example `$A.is_empty()`.
    pub after: String,
    /// Syntax kind of the before template's root, when its text alone parses several ways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_kind: Option<String>,
    /// Syntax kind of the after template's root, when its text alone parses several ways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_kind: Option<String>,
    /// Number of distinct fixing commits the pattern generalises (0 for hand-written ones).
    #[serde(default)]
    pub support: u32,
    /// Ranking score in [0, 1]: prevalence × specialisation.
    #[serde(default)]
    pub score: f64,
    /// How many training fixes the pattern covers, mapped to [0, 1].
    #[serde(default)]
    pub prevalence: f64,
    /// Share of the before side's matches in the training code that were fixed, in [0, 1].
    #[serde(default)]
    pub specialisation: f64,
    /// Id of the more general mined pattern this one refines, if it is in the library.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Panic kinds this pattern fixes (`overflow-sub`, `index-out-of-bounds`, `unwrap-none`, …). When a trace
    /// reports one of these kinds, the matcher prefers this pattern at the failing location.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub panics: Vec<String>,
    /// What each hole may bind, by hole name without `$` (`A = "pure"`): `any`, `cheap` (no call but a method
    /// call without arguments, no macro), `panics` (cheap code with an index, arithmetic or `.unwrap()`),
    /// `accessor` (cheap code that cannot panic), `pure` (no call, no macro, nothing that can panic),
    /// `literal`, `string-no-brace`, `string-with-brace`, `identifier`, `path`, `field`, `effects`, `call` or
    /// `macro`.
    /// A mined pattern's guards are the smallest classes covering what each hole bound in its fixes. The
    /// pattern only matches where every binding is in its hole's class; a hole without a guard binds anything.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub guards: BTreeMap<String, HoleClass>,
    /// For a hole guarded `accessor`, the methods it may call (`B = ["len"]`): the ones its examples called.
    /// Absent: any method without arguments.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accessors: BTreeMap<String, Vec<String>>,
    /// The syntax kind of the node a match must sit in (`macro_invocation`, `call_expression`, …): learned for
    /// a pattern whose before side is a name (an identifier, a path, a field access) when all its fixes had
    /// it in the same place, so that a renamed macro is not applied to a method of the same name. Absent:
    /// anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// The fixes this pattern was learned from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provenance: Vec<SerializableProvenance>,
    /// How often its proposals were right where it was measured (code it did not come from). The confidence
    /// model uses this for patterns that no calibration covers; without it a hand-written pattern is
    /// "unmeasured".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
    /// For a mined pattern: leave-one-commit-out on the history it was mined from. Absent when its fixes come
    /// from one commit (nothing to hold out) or for patterns mined before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out: Option<HeldOut>,
    /// Examples that `suture patterns test` checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<SerializableExample>,
    /// What the fix does to the failure, shown wherever the fix is: `surfaces` (the problem is returned to
    /// the caller as an `Err`/`None`), `substitutes-default` (a default or clamped value takes the place of the
    /// failure, silently: never applied automatically in production). Absent: not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// The pattern only applies inside a function whose return type is this (`result` or `option`), so that
    /// an early `?` or `return Err(..)`/`return None` compiles there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<Returns>,
    /// When the matched code panics, as a Rust condition over the before side's holes (`$B >= $A.len()`).
    /// A pattern with it is a guard remedy: the condition is carried up the failing path (parameters become
    /// the caller's arguments) and becomes `if <condition> { return Err(..) }` in a frame whose function
    /// returns `Result` or `Option`. Its `after` may equal `before` (the site itself stays as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panics_when: Option<String>,
    /// For a pattern mined from a team's own history: the migration it is part of, as that history shows it
    /// (fixes that kept arriving while the old form remained). Written by `suture mine`; the confidence model
    /// counts its fixing commits as accepted fixes of this pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<Migration>,
}

/// A migration in a team's history: the same change made again and again, commit after commit, with sites of
/// the old form still left at the mined revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Migration {
    /// `in-progress` (sites left, fixes recent) or `done` (no site of the old form left).
    pub status: MigrationStatus,
    /// Sites the history migrated.
    pub migrated: u32,
    /// Sites of the old form at the mined revision.
    pub remaining: u32,
    /// Distinct commits that migrated a site.
    pub commits: u32,
    /// Their distinct authors.
    pub authors: Vec<String>,
    /// Commit time of the first and the latest migrating commit, seconds since the Unix epoch.
    pub first: i64,
    pub last: i64,
    /// The first migrating commits (full ids, oldest first): where the migration started.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub started_by: Vec<String>,
    /// Names of the old form marked `#[deprecated]` at the mined revision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deprecated: Vec<String>,
}

/// Where a migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationStatus {
    InProgress,
    Done,
}

/// What a remedy does to the failure it removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// The problem reaches the caller: an early `Err`/`None`, a `?`.
    Surfaces,
    /// A default, clamped or empty value replaces the failure, and nobody is told.
    SubstitutesDefault,
}

impl Effect {
    /// The label every output shows next to the fix.
    pub fn label(self) -> &'static str {
        match self {
            Effect::Surfaces => "surfaces the error to the caller",
            Effect::SubstitutesDefault => {
                "substitutes a default value (hides the failure; never auto-applied in production)"
            }
        }
    }
}

/// The return type a pattern needs around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Returns {
    /// A `Result` whose error a message converts into (`?` on `ok_or("…")`, `Err("…".into())`): any `Result`
    /// but one written `Result<T, ()>`.
    Result,
    /// A `Result` written `Result<T, ()>`: the error is `()`, which no message converts into.
    UnitResult,
    Option,
    /// Any of the three: where `?` can return at all (never in a function returning `()` or a plain value).
    Fallible,
}

impl Returns {
    /// Whether a function that returns `got` (as [`Returns`] reads it off the signature) is one a pattern
    /// needing `self` may fix.
    pub fn admits(self, got: Option<Returns>) -> bool {
        match self {
            Returns::Fallible => got.is_some(),
            want => got == Some(want),
        }
    }
}

/// One fix a pattern was learned from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SerializableProvenance {
    /// The repository, as named in the corpus manifest or the path it was mined from.
    pub repo: String,
    /// Full commit id of the fix.
    pub commit: String,
    /// File changed by the fix.
    pub path: String,
    /// Line of the fix in the file before the commit.
    pub line: u32,
}

/// Code that the pattern must fix in a given way, or must leave alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SerializableExample {
    /// Rust source (a whole file) to run the pattern on.
    pub code: String,
    /// The expected result; absent means the pattern must not match `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
}

/// A pattern's measured precision: of `proposed` fixes it made where it was measured, `right` were right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    /// Fixes judged right (reproduced the human fix, or validated and accepted).
    pub right: u32,
    /// Fixes proposed where it was measured.
    pub proposed: u32,
    /// Where and how it was measured (repositories, commits, the command), for provenance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on: Vec<String>,
    /// What "right" meant: the validation every counted fix passed. Absent: judged some other way (by hand,
    /// or against the human fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<MeasuredBy>,
}

/// Leave-one-commit-out: for each held-out commit, the pattern learned from the other commits was applied to
/// that commit's sites and compared with what the human wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldOut {
    /// Commits held out (each once).
    pub commits: u32,
    /// Held-out sites fixed exactly as the human did (whitespace aside).
    pub right: u32,
    /// Held-out sites matched and written otherwise.
    pub wrong: u32,
    /// Held-out sites the pattern learned without them did not match.
    pub missed: u32,
    /// Matches of the before side in the mined code nobody fixed (at the end of the range): false edits.
    pub false_edits: u32,
    /// Wilson 95% lower bound of `right / (right + wrong + false_edits)`: how the miner chose among the
    /// dendrogram's levels (a refinement no more precise than the level above it is not written). Absent when
    /// no held-out site was matched: nothing was measured about what the pattern writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
}

/// The validation a measurement counted as right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MeasuredBy {
    /// `cargo check` with no new error or warning.
    Check,
    /// `cargo check`, then the repository's tests still pass.
    Test,
}

pub type Provenance = SerializableProvenance;

/// A checked pattern of a library.
#[derive(Debug, Clone)]
pub struct LibraryPattern {
    pub id: String,
    pub origin: Origin,
    pub description: Option<String>,
    pub pattern: Pattern,
    pub support: u32,
    pub score: f64,
    pub prevalence: f64,
    pub specialisation: f64,
    pub parent: Option<String>,
    pub panics: Vec<String>,
    pub provenance: Vec<Provenance>,
    pub measured: Option<Measured>,
    pub examples: Vec<SerializableExample>,
    pub effect: Option<Effect>,
    pub returns: Option<Returns>,
    /// The panic condition over the before side's holes (same hole ids), for guard remedies.
    pub panics_when: Option<crate::Template>,
    pub migration: Option<Migration>,
    /// The file form this pattern was read from, kept so that writing it back changes nothing.
    pub source: SerializablePattern,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LibraryError {
    #[error("`id` is empty")]
    EmptyId,
    #[error("`{field}` is {value}, outside [0, 1]")]
    OutOfRange { field: &'static str, value: f64 },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("`measured.right` is {right}, more than `measured.proposed` ({proposed})")]
    MeasuredRightOverProposed { right: u32, proposed: u32 },
    #[error("`after` uses ${holes} that `before` does not bind, so the fix cannot be built")]
    AfterOnlyHoles { holes: String },
    #[error("`guards` names ${hole}, which `before` does not have")]
    GuardUnknownHole { hole: String },
    #[error(
        "`within` is `{kind}`, which is no kind of Rust syntax node (such as `call_expression`)"
    )]
    UnknownWithin { kind: String },
    #[error("`panics_when` uses ${holes} that `before` does not bind")]
    ConditionOnlyHoles { holes: String },
}

impl LibraryError {
    /// The field of the file the error is about, so that a reader can point at its line.
    pub fn field(&self) -> &'static str {
        match self {
            LibraryError::EmptyId => "id",
            LibraryError::OutOfRange { field, .. } => field,
            LibraryError::Template(e) => e.side(),
            LibraryError::AfterOnlyHoles { .. } => "after",
            LibraryError::MeasuredRightOverProposed { .. } => "measured",
            LibraryError::GuardUnknownHole { .. } => "guards",
            LibraryError::ConditionOnlyHoles { .. } => "panics_when",
            LibraryError::UnknownWithin { .. } => "within",
        }
    }
}

impl TryFrom<SerializablePattern> for LibraryPattern {
    type Error = LibraryError;

    fn try_from(file: SerializablePattern) -> Result<Self, Self::Error> {
        if file.id.trim().is_empty() {
            return Err(LibraryError::EmptyId);
        }
        for (field, value) in [
            ("score", file.score),
            ("prevalence", file.prevalence),
            ("specialisation", file.specialisation),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(LibraryError::OutOfRange { field, value });
            }
        }
        if let Some(m) = &file.measured
            && m.right > m.proposed
        {
            return Err(LibraryError::MeasuredRightOverProposed {
                right: m.right,
                proposed: m.proposed,
            });
        }
        let (mut pattern, names) = Pattern::parse_named(
            &file.before,
            &file.after,
            (file.before_kind.as_deref(), file.after_kind.as_deref()),
        )?;
        let after_only = pattern.after_only_holes();
        if !after_only.is_empty() {
            let names: Vec<_> = after_only
                .iter()
                .map(|&h| {
                    names
                        .get(h as usize)
                        .cloned()
                        .unwrap_or_else(|| hole_display_name(h))
                })
                .collect();
            return Err(LibraryError::AfterOnlyHoles {
                holes: names.join(", $"),
            });
        }
        let mut before_holes = Vec::new();
        pattern.before.root.hole_ids(&mut before_holes);
        for (name, &class) in &file.guards {
            let name = name.strip_prefix('$').unwrap_or(name);
            let hole = names
                .iter()
                .position(|n| n == name)
                .map(|h| h as crate::HoleId)
                .filter(|h| before_holes.contains(h))
                .ok_or_else(|| LibraryError::GuardUnknownHole {
                    hole: name.to_owned(),
                })?;
            let slot = hole as usize;
            if pattern.guards.len() <= slot {
                pattern.guards.resize(slot + 1, HoleClass::Any);
            }
            pattern.guards[slot] = class;
            if let Some(methods) = file.accessors.get(name) {
                if pattern.accessors.len() <= slot {
                    pattern.accessors.resize(slot + 1, Vec::new());
                }
                pattern.accessors[slot] = methods.clone();
            }
        }
        if let Some(kind) = &file.within
            && !syntax::is_kind(kind)
        {
            return Err(LibraryError::UnknownWithin { kind: kind.clone() });
        }
        pattern.within = file.within.as_deref().map(Box::from);
        let panics_when = match &file.panics_when {
            None => None,
            Some(condition) => {
                // Parsed as the after side of (before, condition), so that its holes get the before side's ids.
                let (with, names2) = Pattern::parse_named(
                    &file.before,
                    condition,
                    (file.before_kind.as_deref(), None),
                )
                .map_err(|e| {
                    LibraryError::Template(match e {
                        TemplateError::Parse { source, .. } => TemplateError::Parse {
                            side: "panics_when",
                            source,
                        },
                        TemplateError::ListHole { name, problem, .. } => TemplateError::ListHole {
                            side: "panics_when",
                            name,
                            problem,
                        },
                    })
                })?;
                let unbound = with.after_only_holes();
                if !unbound.is_empty() {
                    let names: Vec<_> = unbound
                        .iter()
                        .map(|&h| {
                            names2
                                .get(h as usize)
                                .cloned()
                                .unwrap_or_else(|| hole_display_name(h))
                        })
                        .collect();
                    return Err(LibraryError::ConditionOnlyHoles {
                        holes: names.join(", $"),
                    });
                }
                Some(with.after)
            }
        };
        Ok(LibraryPattern {
            id: file.id.clone(),
            origin: file.origin,
            description: file.description.clone(),
            pattern,
            support: file.support,
            score: file.score,
            prevalence: file.prevalence,
            specialisation: file.specialisation,
            parent: file.parent.clone(),
            panics: file.panics.clone(),
            provenance: file.provenance.clone(),
            measured: file.measured.clone(),
            examples: file.examples.clone(),
            effect: file.effect,
            returns: file.returns,
            panics_when,
            migration: file.migration.clone(),
            source: file,
        })
    }
}
