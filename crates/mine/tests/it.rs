//! Tests of clustering and ranking on concrete edits written as Rust fragments.

use expect_test::{Expect, expect};
use mine::{
    ClusterConfig, Origins, ScoreConfig, change_signature, cluster, count_matches, score, select,
};
use pattern::Pattern;
use syntax::parse;

fn edits(pairs: &[(&str, &str)]) -> Vec<Pattern> {
    pairs
        .iter()
        .map(|(b, a)| Pattern::parse(b, a, (None, None)).unwrap())
        .collect()
}

/// Clusters, selects with `min_support` (each edit is its own commit), scores against `unfixed_code`, and
/// prints the library ranked.
#[track_caller]
fn check(pairs: &[(&str, &str)], min_support: u32, unfixed_code: &str, expected: Expect) {
    let edits = edits(pairs);
    let commits: Vec<usize> = (0..edits.len()).collect();
    let dendrogram = cluster(&edits, &ClusterConfig::default());
    let repos = vec![0; edits.len()];
    let origins = Origins {
        commit: &commits,
        repo: &repos,
    };
    let selected = select(
        &dendrogram,
        origins,
        &ScoreConfig {
            min_support,
            min_repos: 1,
            min_holes: 0,
        },
    );
    let tree = parse(unfixed_code).tree;
    let templates: Vec<_> = selected
        .iter()
        .map(|&c| &dendrogram.clusters[c].pattern.before)
        .collect();
    let unfixed = count_matches(&templates, &tree);
    let mut scored = score(&dendrogram, &selected, &unfixed, origins);
    scored.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = String::new();
    for s in scored {
        let p = &dendrogram.clusters[s.cluster].pattern;
        out.push_str(&format!(
            "{:.3} support={} unfixed={} | {} => {}\n",
            s.score,
            s.support,
            s.unfixed,
            p.before.render(),
            p.after.render()
        ));
    }
    expected.assert_eq(&out);
}

const FAMILIES: &[(&str, &str)] = &[
    ("v.len() == 0", "v.is_empty()"),
    ("self.items.len() == 0", "self.items.is_empty()"),
    ("foo().bar.len() == 0", "foo().bar.is_empty()"),
    ("a - b", "a.saturating_sub(b)"),
    ("self.end - start", "self.end.saturating_sub(start)"),
    ("n - 1", "n.saturating_sub(1)"),
    ("x.unwrap_or(Vec::new())", "x.unwrap_or_default()"),
    (
        "opts.get(k).unwrap_or(Vec::new())",
        "opts.get(k).unwrap_or_default()",
    ),
    ("y.unwrap_or(Vec::new())", "y.unwrap_or_default()"),
    // Unrelated one-off refactorings.
    ("foo(a, b)", "foo(b, a)"),
    ("let x = 1;", "let y = 1;"),
    ("bar(a)", "baz(a, 2)"),
];

#[test]
fn families_become_separate_general_patterns() {
    check(
        FAMILIES,
        3,
        "fn f() { if q.len() == 0 {} let d = p - 1; let e = a.len(); }",
        expect![[r#"
            0.600 support=3 unfixed=0 | $A.unwrap_or(Vec::new()) => $A.unwrap_or_default()
            0.450 support=3 unfixed=1 | $A - $B => $A.saturating_sub($B)
            0.450 support=3 unfixed=1 | $A.len() == 0 => $A.is_empty()
        "#]],
    );
}

#[test]
fn one_off_refactorings_are_not_patterns() {
    check(&FAMILIES[9..], 2, "fn f() {}", expect![""]);
}

#[test]
fn signature_ignores_the_receiver() {
    let e = edits(&FAMILIES[..2]);
    assert_eq!(change_signature(&e[0]), change_signature(&e[1]));
    expect![[r#"["-0", "-==", "+is_empty", "-len"]"#]]
        .assert_eq(&format!("{:?}", change_signature(&e[0])));
}

#[test]
fn dendrogram_is_a_forest_over_all_edits() {
    let edits = edits(FAMILIES);
    let d = cluster(&edits, &ClusterConfig { max_group: 2 });
    let mut covered: Vec<usize> = d
        .roots()
        .flat_map(|r| d.clusters[r].edits.clone())
        .collect();
    covered.sort_unstable();
    assert_eq!(covered, (0..edits.len()).collect::<Vec<_>>());
    for c in &d.clusters {
        if let Some((a, b)) = c.children {
            assert_eq!(
                c.edits.len(),
                d.clusters[a].edits.len() + d.clusters[b].edits.len()
            );
        }
    }
}

#[test]
fn small_groups_still_find_the_families() {
    // With exact groups of 2, the len family is still merged into one general pattern.
    let edits = edits(&FAMILIES[..3]);
    let d = cluster(&edits, &ClusterConfig { max_group: 2 });
    let root = d.roots().next().unwrap();
    assert_eq!(d.clusters[root].pattern.before.render(), "$A.len() == 0");
}

#[test]
fn clustering_buckets_separately_gives_the_same_patterns() {
    let edits = edits(FAMILIES);
    let whole = cluster(&edits, &ClusterConfig::default());
    let mut joined = mine::Dendrogram::default();
    for ids in mine::buckets(&edits) {
        let subset: Vec<Pattern> = ids.iter().map(|&i| edits[i].clone()).collect();
        joined.append(cluster(&subset, &ClusterConfig::default()), &ids);
    }
    let render = |d: &mine::Dendrogram| {
        let mut v: Vec<(String, Vec<usize>)> = d
            .clusters
            .iter()
            .map(|c| {
                (
                    format!(
                        "{} => {}",
                        c.pattern.before.render(),
                        c.pattern.after.render()
                    ),
                    c.edits.clone(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(render(&whole), render(&joined));
}
