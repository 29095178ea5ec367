//! What a learned edit does to panics, read off its two sides: the panicking operations the before side has
//! and the after side no longer has, and whether the after side hands the failure to the caller or puts a
//! value in its place. Every output says what a fix does (`effect`), as for the hand-written remedies. A mined
//! pattern that removes a panicking operation without surfacing it is a panic remedy: it takes part only where
//! a trace reports that kind of panic (`panics`). Without this a learned `$A - $B` → `$A.saturating_sub($B)`
//! would be proposed on every subtraction of a codebase and auto-applied in production, since nothing would
//! say that it hides an underflow. An arithmetic or index remedy is right only where the value can overflow
//! or fall out of bounds, which only a trace shows, even when it surfaces the failure (`$A + $B` →
//! `$A.checked_add($B)?` on every addition would be wrong nearly everywhere). An edit that drops an `unwrap` or
//! `expect` stays general unless it puts a default in its place (`unwrap_or_default`): turned into a `?`,
//! the failure reaches the caller and the compiler checks that the error type fits; dropped because the API
//! no longer returns an `Option` (`Utc.ymd_opt(..).unwrap().and_hms_opt(..)` → `Utc.with_ymd_and_hms(..)`),
//! it is a migration, not a remedy.

use std::collections::BTreeMap;

use pattern::{Effect, PNode, Pattern, squeeze};
use syntax::parse_fragment;

/// The panic kinds and the effect of a learned edit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Remedy {
    /// The kinds (trace's names: `overflow-sub`, `index-out-of-bounds`, …) of the panicking operations the
    /// before side has more of than the after side, sorted by name. Empty: the edit removes no panicking operation.
    pub panics: Vec<&'static str>,
    /// For an edit that removes a panicking operation: `surfaces` when the after side adds a `?` or an
    /// `Err`/`None`; otherwise `substitutes-default` when it adds a call that replaces a failure by a value
    /// (`saturating_*`, `wrapping_*`, `unwrap_or*`, `min`, `max`, `clamp`); otherwise none. An edit that
    /// removes no panic does nothing to one (`std::cmp::max(a, b)` → `a.max(b)` substitutes nothing).
    pub effect: Option<Effect>,
}

impl Remedy {
    /// Whether the pattern should take part only where a trace reports one of its panics: it removes an
    /// arithmetic or index panic, or it replaces an `unwrap`/`expect` by a default.
    pub fn only_for_reported_panics(&self) -> bool {
        let explicit = |k: &&&str| matches!(**k, "unwrap-none" | "unwrap-err" | "expect");
        let implicit = self.panics.iter().any(|k| !explicit(&k));
        let defaulted_unwrap = self.panics.iter().any(|k| explicit(&k))
            && self.effect == Some(Effect::SubstitutesDefault);
        implicit || defaulted_unwrap
    }
}

/// Reads a pattern's remedy off its templates.
pub fn remedy_of(pattern: &Pattern) -> Remedy {
    let (before, after) = (&pattern.before.root, &pattern.after.root);
    let (had, has) = (panic_counts(before), panic_counts(after));
    let panics: Vec<&'static str> = had
        .into_iter()
        .filter(|&(kind, n)| n > has.get(kind).copied().unwrap_or(0))
        .map(|(kind, _)| kind)
        .collect();
    let adds = |f: &dyn Fn(&PNode) -> bool| after.count(f) > before.count(f);
    let effect = if panics.is_empty() {
        None
    } else if adds(&|n| n.kind() == Some("try_expression"))
        || adds(&|n| matches!(n.leaf(), Some("Err" | "None")))
    {
        Some(Effect::Surfaces)
    } else if adds(&|n| method(n).is_some_and(substitutes)) {
        Some(Effect::SubstitutesDefault)
    } else {
        None
    };
    Remedy { panics, effect }
}

/// What a remedy wrote where people fixed panics: of the commits with a human edit whose before side it matches
/// (at the edit's root, guards included), in how many it writes what the human wrote at every such edit. A
/// commit counts once, as one decision of its maintainers: ten `tick += 1` made saturating in one commit are
/// one choice, not ten.
///
/// This is the remedy's precision given a panic fix at a site of its shape: the base rate the confidence model
/// needs for it, measured on what maintainers chose there, which a hand-written remedy otherwise lacks. It
/// counts strictly: a site where the human wrote another correct fix counts against the remedy. Only what the
/// remedy makes up is free: a string literal of its `after` that its `before` does not have (the message of
/// `.ok_or("addition overflowed")?`) stands for whatever value the human put there (`.ok_or(Error::Overflow)?`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnFixes {
    /// Commits with an edit the remedy matches.
    pub commits: u32,
    /// … of which it writes the human's edit at every matched site.
    pub right: u32,
    /// Matched edits, all commits together.
    pub sites: u32,
    /// … written as the human did.
    pub right_sites: u32,
}

/// Measures `remedy` on human panic fixes: each a commit id and a concrete edit (`Pattern::parse` of its two
/// sides), in commit order. A guard remedy (its `after` equal to its `before`: the guard is a statement
/// inserted before the site) writes nothing at a single node, so it matches nothing here.
pub fn on_fixes<'a>(
    remedy: &Pattern,
    fixes: impl IntoIterator<Item = (&'a str, &'a Pattern)>,
) -> OnFixes {
    let mut out = OnFixes::default();
    if remedy.before.text == remedy.after.text {
        return out;
    }
    let made_up: Vec<String> = string_literals(&remedy.after.text)
        .into_iter()
        .filter(|l| !remedy.before.text.contains(l.as_str()))
        .map(|l| squeeze(&l))
        .collect();
    let mut by_commit: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for (commit, edit) in fixes {
        let Ok(tree) = parse_fragment(&edit.before.text, Some(edit.before.kind())).map(|f| f.tree)
        else {
            continue;
        };
        if let Some(written) = crate::loo::fix(remedy, &tree) {
            let right = writes_as(&squeeze(&written), &squeeze(&edit.after.text), &made_up);
            let counts = by_commit.entry(commit).or_default();
            counts.0 += 1;
            counts.1 += u32::from(right);
        }
    }
    for (sites, right) in by_commit.into_values() {
        out.commits += 1;
        out.right += u32::from(right == sites);
        out.sites += sites;
        out.right_sites += right;
    }
    out
}

/// The string literals of a template's text (`"…"`, escapes honoured), as written.
fn string_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices();
    while let Some((start, c)) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut escaped = false;
        for (i, c) in chars.by_ref() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    out.push(text[start..=i].to_owned());
                    break;
                }
                _ => {}
            }
        }
    }
    out
}

/// Whether `written` (squeezed) reads as `human` (squeezed) when each of the `made_up` literals in it stands
/// for any non-empty text.
fn writes_as(written: &str, human: &str, made_up: &[String]) -> bool {
    if written == human {
        return true;
    }
    let mut parts = vec![written.to_owned()];
    for literal in made_up {
        parts = parts
            .iter()
            .flat_map(|p| {
                p.split(literal.as_str())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    if parts.len() < 2 {
        return false;
    }
    let (first, last) = (&parts[0], &parts[parts.len() - 1]);
    if !human.starts_with(first.as_str()) || !human.ends_with(last.as_str()) {
        return false;
    }
    let (mut at, end) = (first.len(), human.len() - last.len());
    for middle in &parts[1..parts.len() - 1] {
        // Each stand-in covers at least one character; the leftmost place of each fixed part is the best one.
        match human
            .get(at + 1..end)
            .and_then(|rest| rest.find(middle.as_str()))
        {
            Some(i) => at += 1 + i + middle.len(),
            None => return false,
        }
    }
    at < end
}

/// How many operations of each panic kind a template has, by kind (sorted).
fn panic_counts(root: &PNode) -> BTreeMap<&'static str, usize> {
    fn go(node: &PNode, out: &mut BTreeMap<&'static str, usize>) {
        for &kind in panics_as(node) {
            *out.entry(kind).or_default() += 1;
        }
        node.children.iter().for_each(|c| go(c, out));
    }
    let mut out = BTreeMap::new();
    go(root, &mut out);
    out
}

/// The panic kinds one node can raise by itself (its children aside).
fn panics_as(node: &PNode) -> &'static [&'static str] {
    let op = |i: usize| node.children.get(i).and_then(PNode::leaf);
    match node.kind() {
        Some("binary_expression") => arithmetic(op(1).unwrap_or("")),
        Some("compound_assignment_expr") => arithmetic(op(1).unwrap_or("").trim_end_matches('=')),
        Some("unary_expression") if op(0) == Some("-") => &["overflow-neg"],
        Some("index_expression") => {
            if node
                .children
                .iter()
                .any(|c| c.kind() == Some("range_expression"))
            {
                &["slice-range", "char-boundary"]
            } else {
                &["index-out-of-bounds"]
            }
        }
        Some("call_expression") => match method(node) {
            Some("unwrap") => &["unwrap-none", "unwrap-err"],
            Some("expect") => &["expect", "unwrap-none", "unwrap-err"],
            _ => &[],
        },
        _ => &[],
    }
}

fn arithmetic(op: &str) -> &'static [&'static str] {
    match op {
        "+" => &["overflow-add"],
        "-" => &["overflow-sub"],
        "*" => &["overflow-mul"],
        "/" => &["divide-by-zero"],
        "%" => &["remainder-by-zero"],
        "<<" => &["overflow-shl"],
        ">>" => &["overflow-shr"],
        _ => &[],
    }
}

/// The method a call node calls by name (`x.min(y)` → `min`), if it is a method call with a concrete name.
fn method(node: &PNode) -> Option<&str> {
    if node.kind() != Some("call_expression") {
        return None;
    }
    let callee = node.children.first()?;
    if callee.kind() != Some("field_expression") {
        return None;
    }
    callee.children.last()?.leaf()
}

/// Whether a method replaces a failure by a value: saturating or wrapping arithmetic, an `Option`/`Result`
/// default, a clamp.
fn substitutes(name: &str) -> bool {
    name.starts_with("saturating_")
        || name.starts_with("wrapping_")
        || name.starts_with("unwrap_or")
        || matches!(name, "min" | "max" | "clamp")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remedy(before: &str, after: &str) -> Remedy {
        remedy_of(&Pattern::parse(before, after, (None, None)).unwrap())
    }

    #[test]
    fn a_learned_saturating_subtraction_is_an_underflow_remedy_that_substitutes() {
        let r = remedy("$A - $B", "$A.saturating_sub($B)");
        assert_eq!(r.panics, ["overflow-sub"]);
        assert_eq!(r.effect, Some(Effect::SubstitutesDefault));
        assert!(r.only_for_reported_panics());
    }

    #[test]
    fn checked_arithmetic_and_unwraps_turned_into_question_marks_surface() {
        let r = remedy("$A += $B", "$A = $A.checked_add($B)?");
        assert_eq!(r.panics, ["overflow-add"]);
        assert_eq!(r.effect, Some(Effect::Surfaces));
        // Right only where the addition can overflow, which a trace shows.
        assert!(r.only_for_reported_panics());
        let r = remedy("$A($$$B).unwrap()", "$A($$$B)?");
        assert_eq!(r.panics, ["unwrap-err", "unwrap-none"]);
        assert_eq!(r.effect, Some(Effect::Surfaces));
        assert!(!r.only_for_reported_panics());
    }

    #[test]
    fn an_index_turned_into_get_with_a_default_removes_the_index() {
        let r = remedy("$A[$B]", "$A.get($B).copied().unwrap_or_default()");
        assert_eq!(r.panics, ["index-out-of-bounds"]);
        assert_eq!(r.effect, Some(Effect::SubstitutesDefault));
        let r = remedy("&$A[$B..]", "$A.get($B..)?");
        assert_eq!(r.panics, ["char-boundary", "slice-range"]);
    }

    #[test]
    fn an_unwrap_dropped_for_a_new_api_stays_general_and_one_defaulted_does_not() {
        let r = remedy(
            "Utc.ymd_opt($A).unwrap().and_hms_opt($B)",
            "Utc.with_ymd_and_hms($A, $B)",
        );
        assert_eq!(r.panics, ["unwrap-err", "unwrap-none"]);
        assert_eq!(r.effect, None);
        assert!(!r.only_for_reported_panics());
        let r = remedy("$A.unwrap()", "$A.unwrap_or_default()");
        assert_eq!(r.effect, Some(Effect::SubstitutesDefault));
        assert!(r.only_for_reported_panics());
    }

    fn edit(before: &str, after: &str) -> Pattern {
        Pattern::parse(before, after, (None, None)).unwrap()
    }

    fn measured(remedy: (&str, &str), fixes: &[(&str, Pattern)]) -> OnFixes {
        let remedy = Pattern::parse(remedy.0, remedy.1, (None, None)).unwrap();
        on_fixes(&remedy, fixes.iter().map(|(c, e)| (*c, e)))
    }

    #[test]
    fn a_remedy_is_measured_by_what_people_wrote_where_it_matches_a_commit_once() {
        let fixes = [
            ("c1", edit("len - 1", "len.saturating_sub(1)")),
            // Whitespace aside.
            (
                "c1",
                edit("self.end - start", "self.end.saturating_sub( start )"),
            ),
            // The same shape, fixed otherwise: counts against the remedy.
            ("c2", edit("a - b", "a.checked_sub(b)?")),
            // Not its shape: not counted at all.
            ("c3", edit("v[i]", "v.get(i)?")),
        ];
        let sub = ("$A - $B", "$A.saturating_sub($B)");
        assert_eq!(
            measured(sub, &fixes),
            OnFixes {
                commits: 2,
                right: 1,
                sites: 3,
                right_sites: 2
            }
        );
        // A commit is right only when every matched edit of it is the remedy's.
        let mixed = [
            ("c1", edit("len - 1", "len.saturating_sub(1)")),
            ("c1", edit("a - b", "a.checked_sub(b)?")),
        ];
        let m = measured(sub, &mixed);
        assert_eq!((m.commits, m.right, m.right_sites), (1, 0, 1));
    }

    #[test]
    fn a_made_up_message_stands_for_the_value_the_human_chose_and_nothing_else_does() {
        let remedy = (
            "$A += $B",
            "$A = $A.checked_add($B).ok_or(\"addition overflowed\")?",
        );
        let fixes = [
            (
                "c1",
                edit("n += d", "n = n.checked_add(d).ok_or(Error::Overflow)?"),
            ),
            (
                "c2",
                edit("n += d", "n = n.checked_add(d).ok_or_else(|| err())?"),
            ),
            ("c3", edit("n += d", "n = n.checked_add(d).ok_or(())?")),
            // The message covers at least one character, and the rest must be as written.
            ("c4", edit("n += d", "n = n.checked_add(e).ok_or(E)?")),
        ];
        let m = measured(remedy, &fixes);
        assert_eq!((m.commits, m.right), (4, 2));
        // Nothing is free in a remedy that makes nothing up.
        let none = ("$A += $B", "$A = $A.checked_add($B)?");
        assert_eq!(measured(none, &fixes).right, 0);
    }

    #[test]
    fn a_guard_remedy_writes_nothing_at_one_node_and_is_not_measured_there() {
        let fixes = [
            ("c1", edit("v[i]", "v[i]")),
            ("c2", edit("v[i]", "v.get(i)?")),
        ];
        assert_eq!(measured(("$A[$B]", "$A[$B]"), &fixes), OnFixes::default());
    }

    #[test]
    fn string_literals_are_read_with_their_escapes() {
        assert_eq!(
            string_literals(r#"f("a\"b", x, "c")"#),
            [r#""a\"b""#, r#""c""#]
        );
        assert!(string_literals("a + b").is_empty());
    }

    #[test]
    fn an_edit_that_keeps_its_panicking_operations_is_no_remedy() {
        // Same subtraction on both sides; a swap of operands; an idiom with no panic in it.
        assert_eq!(remedy("$A - 1", "$A - 2"), Remedy::default());
        assert_eq!(
            remedy("$A.then(|| $B)", "$A.then_some($B)"),
            Remedy::default()
        );
        assert_eq!(remedy("$A.iter().count()", "$A.len()"), Remedy::default());
        assert_eq!(
            remedy("std::cmp::max($A, $B)", "$A.max($B)"),
            Remedy::default()
        );
        // One index less, but the other side still has one: counted, not just present.
        assert_eq!(
            remedy("$A[$B] + $A[$C]", "$A[$B].max($A[$C])").panics,
            ["overflow-add"]
        );
    }
}
