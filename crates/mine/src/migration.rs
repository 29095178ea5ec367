//! Migrations in a team's own history: the same change made commit after commit while the old form is still
//! there at the end of the range. No linter knows that `legacy_parse(x)` should now be `parse(x)`; the
//! history does, and how far the team has got.
//!
//! A mined pattern is classified from five facts the caller gathers (pure values in, a verdict out):
//! - the times of the commits that made its fixes;
//! - how many sites of its before side are left at the end of the range;
//! - whether a later edit undid it (an instance of the inverse pattern, [`undoes`]);
//! - which names of its old form ([`removed_names`]) the repository itself defines at the end of the range
//!   ([`defined_names`]), and which of those are `#[deprecated]` ([`deprecated_names`]).
//!
//! The rules ([`classify`]), in order:
//! 1. Undone by a later edit and not redone after that: **reverted**. The history says the change was wrong,
//!    so the pattern is not a fix to apply anywhere (the caller drops it from the library).
//! 2. The old form names nothing the repository defines, or the change is more than a change of names (more
//!    than [`MigrationConfig::max_removed_names`] names go or [`MigrationConfig::max_new_names`] come): not
//!    a migration. A team moving off one of its own items (`legacy_parse`, a type alias, a method) is
//!    migrating; a team applying a general idiom (`$A.len() == 0` → `$A.is_empty()`) is not, however often
//!    it does it, and an idiom must not borrow a migration's evidence; nor is a rewritten statement that
//!    happens to drop a name the repository also defines (`format!` against `mod format`).
//! 3. Fewer than [`MigrationConfig::min_commits`] migrating commits and no deprecated old name: not a
//!    migration (one sweeping commit is a refactoring, not a change in progress; it stays an ordinary pattern).
//! 4. No site left: **done**. Fewer than [`MigrationConfig::min_share`] of the sites migrated, and the old
//!    item not deprecated: not a migration (6 of 138 uses of a constant changed in two commits is a change
//!    some sites needed, not a move the team is making). Nothing to propose now; the record stays, so that a new use of the old form (in
//!    a pull request) is recognised.
//! 5. The latest migrating commit more than [`MigrationConfig::stale_days`] before the end of the range:
//!    **stalled**, no longer treated as going on.
//! 6. Otherwise **in progress**.

use pattern::{Label, PNode, Pattern, anti_unify};

#[derive(Debug, Clone)]
pub struct MigrationConfig {
    /// Fewest distinct commits that migrated a site (a deprecated old name is evidence enough with one).
    pub min_commits: u32,
    /// A migration whose latest fix is older than this, before the end of the range, has stalled.
    pub stale_days: u32,
    /// Most names the change may remove, and introduce: a migration changes names, not code.
    pub max_removed_names: usize,
    pub max_new_names: usize,
    /// Least share of the sites (migrated over migrated plus left) the history has migrated.
    pub min_share: f64,
}

impl Default for MigrationConfig {
    fn default() -> Self {
        MigrationConfig {
            min_commits: 2,
            stale_days: 365,
            max_removed_names: 2,
            max_new_names: 3,
            min_share: 0.25,
        }
    }
}

/// What the caller knows about one pattern.
#[derive(Debug, Clone, Default)]
pub struct MigrationEvidence {
    /// Commit time of each distinct commit that made one of the pattern's fixes.
    pub fix_times: Vec<i64>,
    /// Sites the history migrated, and sites of the before side at the end of the range.
    pub migrated: u32,
    pub remaining: u32,
    /// How many names the change removes and introduces ([`removed_names`], [`new_names`]).
    pub names_changed: (usize, usize),
    /// Commit time of the latest edit that undid the change, if any.
    pub undone_at: Option<i64>,
    /// Names of the old form that the repository defines at the end of the range.
    pub own_names: Vec<String>,
    /// Of those, the ones marked `#[deprecated]` and defined only once, so that the deprecated item is
    /// the one the old form names (two `impl`s may define `from_timestamp`, one of them deprecated).
    pub deprecated: Vec<String>,
    /// Commit time of the end of the range.
    pub head_time: i64,
}

/// Where a pattern stands as a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    InProgress,
    Done,
    Stalled,
    Reverted,
    /// Not a migration: an ordinary pattern.
    NotOne,
}

pub fn classify(e: &MigrationEvidence, config: &MigrationConfig) -> Verdict {
    let last = e.fix_times.iter().copied().max().unwrap_or(i64::MIN);
    if e.undone_at.is_some_and(|undone| undone >= last) {
        return Verdict::Reverted;
    }
    if e.own_names.is_empty()
        || e.names_changed.0 > config.max_removed_names
        || e.names_changed.1 > config.max_new_names
    {
        return Verdict::NotOne;
    }
    if (e.fix_times.len() as u32) < config.min_commits && e.deprecated.is_empty() {
        return Verdict::NotOne;
    }
    // Sites left and the share migrated decide between a migration and an ordinary pattern first; only then
    // does age count, for a finished migration too: one whose last fix is years old is history, and what
    // reads like a new use of its old form (petgraph's 2015 `$A.contains(&$B.index())` →
    // `$A.is_visited(&$B)`, against `Vec::contains` in tests written since) is ordinary code.
    let share = f64::from(e.migrated) / f64::from(e.migrated + e.remaining);
    if e.remaining > 0 && share < config.min_share && e.deprecated.is_empty() {
        return Verdict::NotOne;
    }
    if e.head_time.saturating_sub(last) > i64::from(config.stale_days) * 86_400 {
        return Verdict::Stalled;
    }
    if e.remaining == 0 {
        return Verdict::Done;
    }
    Verdict::InProgress
}

/// Whether `edit` (a concrete edit) is an instance of `pattern` run backwards: its before side is the
/// pattern's after side and its after side the pattern's before side, holes bound consistently.
pub fn undoes(pattern: &Pattern, edit: &Pattern) -> bool {
    let inverse = Pattern {
        before: pattern.after.clone(),
        after: pattern.before.clone(),
        guards: Vec::new(),
        accessors: Vec::new(),
        within: None,
    };
    generalises(&inverse, edit)
}

/// Whether `general` generalises `specific`: anti-unifying them loses nothing of `general` (every concrete
/// node kept, no hole split in two).
pub fn generalises(general: &Pattern, specific: &Pattern) -> bool {
    let joined = anti_unify(general, specific);
    joined.concrete() == general.concrete() && joined.hole_count() == general.hole_count()
}

/// The identifiers the before side has and the after side does not: the names of the old form.
pub fn removed_names(pattern: &Pattern) -> Vec<String> {
    names_only_in(&pattern.before.root, &pattern.after.root)
}

/// The names the before side uses where an item is named: types, paths, called functions and methods,
/// macros, or the whole template. Not a local value whose field is read (`fix_pr.number`: `fix_pr` is a
/// variable, whatever item elsewhere shares its name) nor a field (`self.inner`).
pub fn item_names(pattern: &Pattern) -> Vec<String> {
    fn walk<'a>(
        node: &'a PNode,
        parent: Option<&'a PNode>,
        grand: Option<&'a PNode>,
        out: &mut Vec<&'a str>,
    ) {
        let Label::Node { kind, leaf } = &node.label else {
            return;
        };
        let kind_of = |n: Option<&PNode>| match n.map(|n| &n.label) {
            Some(Label::Node { kind, .. }) => Some(*kind),
            _ => None,
        };
        if let Some(text) = leaf {
            let item = match *kind {
                "type_identifier" => true,
                "identifier" => kind_of(parent) != Some("field_expression"),
                // A method: the field of a field expression that is called.
                "field_identifier" => {
                    kind_of(parent) == Some("field_expression")
                        && kind_of(grand) == Some("call_expression")
                }
                _ => false,
            };
            if item {
                out.push(text);
            }
        }
        for c in &node.children {
            walk(c, Some(node), parent, out);
        }
    }
    let mut names = Vec::new();
    walk(&pattern.before.root, None, None, &mut names);
    let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Each use of an identifier on the before side, with the path it is reached through: `HashMap::new()` gives
/// `("HashMap", None)` and `("new", Some("HashMap"))`. A method the repository defines (its own `fn new`) is
/// not the one a path through a foreign type names.
pub fn qualifiers(pattern: &Pattern) -> Vec<(String, Option<String>)> {
    fn last_segment(node: &PNode) -> Option<&str> {
        match &node.label {
            Label::Node {
                leaf: Some(text), ..
            } => Some(text),
            Label::Node { kind, .. } if *kind == "scoped_identifier" => {
                node.children.last().and_then(last_segment)
            }
            _ => None,
        }
    }
    fn walk(node: &PNode, qualifier: Option<&str>, out: &mut Vec<(String, Option<String>)>) {
        let Label::Node { kind, leaf } = &node.label else {
            return;
        };
        if let Some(text) = leaf {
            if text.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                out.push((text.to_string(), qualifier.map(str::to_owned)));
            }
            return;
        }
        let scoped = *kind == "scoped_identifier" && node.children.len() >= 2;
        for (i, c) in node.children.iter().enumerate() {
            let qualifier = (scoped && i + 1 == node.children.len())
                .then(|| node.children.first().and_then(last_segment))
                .flatten();
            walk(c, qualifier, out);
        }
    }
    let mut out = Vec::new();
    walk(&pattern.before.root, None, &mut out);
    out
}

/// The identifiers the after side has and the before side does not: the names of the new form.
pub fn new_names(pattern: &Pattern) -> Vec<String> {
    names_only_in(&pattern.after.root, &pattern.before.root)
}

fn names_only_in(side: &PNode, other: &PNode) -> Vec<String> {
    let (mut here, mut there) = (Vec::new(), Vec::new());
    identifiers(side, &mut here);
    identifiers(other, &mut there);
    let mut only: Vec<String> = here
        .into_iter()
        .filter(|n| !there.contains(n))
        .map(str::to_owned)
        .collect();
    only.sort_unstable();
    only.dedup();
    only
}

fn identifiers<'a>(node: &'a PNode, out: &mut Vec<&'a str>) {
    match &node.label {
        Label::Hole(_) | Label::List(_) => {}
        Label::Node { leaf, .. } => {
            if let Some(text) = leaf
                && text.starts_with(|c: char| c.is_alphabetic() || c == '_')
                && text.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                out.push(text);
            }
            node.children.iter().for_each(|c| identifiers(c, out));
        }
    }
}

/// Names of the items marked `#[deprecated]` (with or without arguments) in a Rust file: the item that
/// follows the attribute, past other attributes, visibility and qualifiers. Text only, so a file that does
/// not parse still gives its names; an attribute inside a comment or a string is not one
/// (`syntax::scan`'s lexer tells code from the rest).
pub fn deprecated_names(text: &str) -> Vec<String> {
    const MARK: &str = "#[deprecated";
    let mut names = Vec::new();
    if !text.contains(MARK) {
        return names;
    }
    for span in syntax::scan::Spans::new(text, 0) {
        if span.class != syntax::scan::Class::Code {
            continue;
        }
        let code = &text[span.range()];
        let mut from = 0;
        while let Some(at) = code[from..].find(MARK).map(|i| i + from) {
            from = at + MARK.len();
            if let Some(name) = item_name_after(&text[span.start + at..]) {
                names.push(name.to_owned());
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// Names the items of a Rust file define, once per definition (a name two `impl`s define appears twice):
/// functions and methods, types, traits, constants, statics, modules, unions and `macro_rules!` macros.
/// Text only, code spans only.
pub fn defined_names(text: &str) -> Vec<String> {
    const KEYWORDS: [&str; 10] = [
        "fn",
        "struct",
        "enum",
        "trait",
        "type",
        "const",
        "static",
        "mod",
        "union",
        "macro_rules",
    ];
    let mut names = Vec::new();
    for span in syntax::scan::Spans::new(text, 0) {
        if span.class != syntax::scan::Class::Code {
            continue;
        }
        let mut previous = "";
        for word in text[span.range()]
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
        {
            if KEYWORDS.contains(&previous)
                && !KEYWORDS.contains(&word)
                && word.starts_with(|c: char| c.is_alphabetic() || c == '_')
            {
                names.push(word.to_owned());
            }
            previous = word;
        }
    }
    names.sort_unstable();
    names
}

/// The name of the item after the attributes at the start of `text`.
fn item_name_after(text: &str) -> Option<&str> {
    const QUALIFIERS: [&str; 7] = [
        "pub", "const", "async", "unsafe", "extern", "default", "\"C\"",
    ];
    const KEYWORDS: [&str; 9] = [
        "fn", "struct", "enum", "trait", "type", "const", "static", "mod", "union",
    ];
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.starts_with("//") {
            rest = &rest[rest.find('\n').unwrap_or(rest.len())..];
            continue;
        }
        if rest.starts_with("#[") {
            rest = &rest[attribute_len(rest)?..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("pub(") {
            rest = &after[after.find(')')? + 1..];
            continue;
        }
        let word_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'))
            .unwrap_or(rest.len());
        let word = &rest[..word_len];
        if word.is_empty() {
            return None;
        }
        rest = &rest[word_len..];
        if KEYWORDS.contains(&word) {
            let after = rest.trim_start();
            let len = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            // `const fn`: the keyword was a qualifier.
            let name = &after[..len];
            if word == "const" && (name == "fn" || name == "unsafe") {
                continue;
            }
            return (!name.is_empty()).then_some(name);
        }
        if !QUALIFIERS.contains(&word) {
            return None;
        }
    }
}

/// The length of the attribute `#[…]` at the start of `text`, brackets balanced.
fn attribute_len(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(before: &str, after: &str) -> Pattern {
        Pattern::parse(before, after, (None, None)).unwrap()
    }

    #[test]
    fn a_later_edit_that_undoes_the_pattern_is_recognised() {
        let forward = pattern("legacy_parse($A)", "parse($A)");
        assert!(undoes(
            &forward,
            &pattern("parse(input)", "legacy_parse(input)")
        ));
        assert!(!undoes(
            &forward,
            &pattern("legacy_parse(input)", "parse(input)")
        ));
        assert!(!undoes(&forward, &pattern("parse(input)", "other(input)")));
        // The same hole on both sides must bind the same code.
        assert!(!undoes(&forward, &pattern("parse(a)", "legacy_parse(b)")));
    }

    #[test]
    fn names_items_define() {
        let text = "pub(crate) const fn legacy_parse() {}\nimpl S { fn method(&self) {} }\nimpl T { fn method(&self) {} }\ntype Cancelable<T> = T;\nmacro_rules! old { () => {} }\n// fn in_a_comment() {}\nlet f = \"fn in_a_string\";\n";
        assert_eq!(
            defined_names(text),
            vec!["Cancelable", "legacy_parse", "method", "method", "old"]
        );
    }

    #[test]
    fn names_reached_through_a_path_know_the_path() {
        let uses = qualifiers(&pattern(
            "HashMap::new()",
            "HashMap::with_hasher(hash_builder)",
        ));
        assert!(uses.contains(&("new".to_owned(), Some("HashMap".to_owned()))));
        assert!(uses.contains(&("HashMap".to_owned(), None)));
        let uses = qualifiers(&pattern(
            "std::collections::HashMap::new()",
            "HashMap::default()",
        ));
        assert!(uses.contains(&("new".to_owned(), Some("HashMap".to_owned()))));
        let uses = qualifiers(&pattern("legacy_parse($A)", "parse($A)"));
        assert_eq!(uses, vec![("legacy_parse".to_owned(), None)]);
    }

    #[test]
    fn names_in_item_positions() {
        let names = |b: &str, a: &str| item_names(&pattern(b, a));
        assert_eq!(names("legacy_parse", "parse"), vec!["legacy_parse"]);
        assert_eq!(names("legacy_parse($A)", "parse($A)"), vec!["legacy_parse"]);
        assert_eq!(names("fix_pr.number", "number"), Vec::<String>::new());
        assert_eq!(names("self.inner", "self.0"), Vec::<String>::new());
        assert_eq!(
            names("$A.choose_multiple($B)", "$A.sample($B)"),
            vec!["choose_multiple"]
        );
        assert_eq!(
            names(
                "TimeDelta::seconds($A)",
                "TimeDelta::try_seconds($A).unwrap()"
            ),
            vec!["TimeDelta", "seconds"]
        );
    }

    #[test]
    fn names_of_the_old_and_the_new_form() {
        let p = pattern("legacy_parse($A)", "parse($A)");
        assert_eq!(removed_names(&p), vec!["legacy_parse"]);
        assert_eq!(new_names(&p), vec!["parse"]);
        let p = pattern(
            "TimeDelta::seconds($A)",
            "TimeDelta::try_seconds($A).unwrap()",
        );
        assert_eq!(removed_names(&p), vec!["seconds"]);
        assert_eq!(new_names(&p), vec!["try_seconds", "unwrap"]);
    }

    #[test]
    fn deprecated_items_are_found_past_attributes_and_qualifiers() {
        let text = r##"
/// Old.
#[deprecated(note = "use parse")]
#[inline]
pub(crate) const fn legacy_parse() {}
#[deprecated]
/// Doc between the attribute and the item.
pub struct OldThing;
// #[deprecated] fn in_a_comment() {}
const S: &str = "#[deprecated] fn in_a_string() {}";
#[deprecated(since = "1.2", note = "x[0]")]
pub unsafe extern "C" fn old_c() {}
"##;
        assert_eq!(
            deprecated_names(text),
            vec!["OldThing", "legacy_parse", "old_c"]
        );
    }

    #[test]
    fn the_rules_in_order() {
        let day = 86_400;
        let config = MigrationConfig::default();
        let base = MigrationEvidence {
            fix_times: vec![10 * day, 20 * day, 30 * day],
            migrated: 3,
            remaining: 2,
            names_changed: (1, 1),
            undone_at: None,
            own_names: vec!["legacy_parse".to_owned()],
            deprecated: Vec::new(),
            head_time: 40 * day,
        };
        assert_eq!(classify(&base, &config), Verdict::InProgress);
        // The same history of a general idiom (`len` is not the repository's): not a migration.
        let idiom = MigrationEvidence {
            own_names: Vec::new(),
            ..base.clone()
        };
        assert_eq!(classify(&idiom, &config), Verdict::NotOne);
        // A rewritten statement that drops one of the repository's names among many: not a change of names.
        let rewrite = MigrationEvidence {
            names_changed: (4, 2),
            ..base.clone()
        };
        assert_eq!(classify(&rewrite, &config), Verdict::NotOne);
        // 6 of 138 sites changed: some sites needed it; unless the old item is deprecated.
        let few = MigrationEvidence {
            migrated: 6,
            remaining: 132,
            ..base.clone()
        };
        assert_eq!(classify(&few, &config), Verdict::NotOne);
        let few_deprecated = MigrationEvidence {
            deprecated: vec!["legacy_parse".to_owned()],
            ..few
        };
        assert_eq!(classify(&few_deprecated, &config), Verdict::InProgress);
        let reverted = MigrationEvidence {
            undone_at: Some(35 * day),
            ..base.clone()
        };
        assert_eq!(classify(&reverted, &config), Verdict::Reverted);
        // Undone, then done again after that: going on.
        let redone = MigrationEvidence {
            undone_at: Some(15 * day),
            ..base.clone()
        };
        assert_eq!(classify(&redone, &config), Verdict::InProgress);
        let sweep = MigrationEvidence {
            fix_times: vec![10 * day],
            ..base.clone()
        };
        assert_eq!(classify(&sweep, &config), Verdict::NotOne);
        let deprecated = MigrationEvidence {
            deprecated: vec!["legacy_parse".to_owned()],
            ..sweep
        };
        assert_eq!(classify(&deprecated, &config), Verdict::InProgress);
        let done = MigrationEvidence {
            remaining: 0,
            ..base.clone()
        };
        assert_eq!(classify(&done, &config), Verdict::Done);
        let done_long_ago = MigrationEvidence {
            head_time: 30 * day + 400 * day,
            ..done
        };
        assert_eq!(classify(&done_long_ago, &config), Verdict::Stalled);
        let stalled = MigrationEvidence {
            head_time: 30 * day + 400 * day,
            ..base
        };
        assert_eq!(classify(&stalled, &config), Verdict::Stalled);
    }
}
