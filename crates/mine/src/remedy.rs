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

use pattern::{Effect, PNode, Pattern};

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
