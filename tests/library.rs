//! The shipped pattern library: it loads, and its mined part keeps the corpus rules.

use std::collections::BTreeSet;
use std::path::Path;

use pattern::Origin;

#[test]
fn shipped_library_loads_and_mined_patterns_are_general_and_corroborated() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    let library = pipeline::read_library(&root).unwrap();
    let mined: Vec<_> = library
        .patterns
        .iter()
        .filter(|p| p.origin == Origin::Mined)
        .collect();
    assert!(
        mined.len() >= 20,
        "the shipped library has {} mined patterns",
        mined.len()
    );
    for (p, file) in library.patterns.iter().zip(&library.files) {
        let in_mined_dir = file.parent().is_some_and(|d| d.ends_with("mined"));
        assert_eq!(
            in_mined_dir,
            p.origin == Origin::Mined,
            "{}: origin and folder disagree",
            file.display()
        );
        if p.origin != Origin::Mined {
            continue;
        }
        let repos: BTreeSet<&str> = p.provenance.iter().map(|s| s.repo.as_str()).collect();
        let commits: BTreeSet<&str> = p.provenance.iter().map(|s| s.commit.as_str()).collect();
        assert!(
            p.support >= 3 && commits.len() >= 3,
            "{}: support {}",
            file.display(),
            p.support
        );
        assert!(
            repos.len() >= 2,
            "{}: fixes from {repos:?} only",
            file.display()
        );
        assert!(
            p.pattern.hole_count() >= 1,
            "{}: a template without holes is verbatim code",
            file.display()
        );
        for side in [&p.source.before, &p.source.after] {
            assert!(
                side.lines().count() <= 8,
                "{}: template too large to be a general fix",
                file.display()
            );
        }
        assert!(p.pattern.is_applicable());
        assert_eq!(
            pipeline::pattern_id(&p.pattern),
            p.id,
            "{}: id does not match its templates",
            file.display()
        );
    }
}

#[test]
fn schema_is_generated_from_the_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns/schema.json");
    expect_test::expect_file![path].assert_eq(&pipeline::json_schema());
}
