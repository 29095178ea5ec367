//! End-to-end test of `suture patterns measure`: patterns applied where they were not learned, every application
//! compile-checked with real `cargo check` runs, the counts written into the pattern files, and only what
//! clears the bar shipped.

mod support;

use support::{Repo, run};

/// Two sites for each pattern: `len() == 0` → `is_empty()` compiles; dropping `as u64` does not.
const CODE: &str = r#"pub fn empty(v: &[u8]) -> bool {
    v.len() == 0
}

pub fn none(s: &str) -> bool {
    s.len() == 0
}

pub fn widen(x: u32) -> u64 {
    let y: u64 = x as u64;
    y
}

pub fn wider(x: u16) -> u64 {
    let y: u64 = x as u64;
    y
}
"#;

const PATTERNS: &[(&str, &str)] = &[
    (
        "m-len.toml",
        "id = \"m-len\"\norigin = \"mined\"\nbefore = \"$A.len() == 0\"\nafter = \"$A.is_empty()\"\nscore = 0.9\n",
    ),
    (
        "m-cast.toml",
        "id = \"m-cast\"\norigin = \"mined\"\nbefore = \"$A as u64\"\nafter = \"$A\"\nscore = 0.9\n",
    ),
    // Learned from `me/alpha`: never measured there.
    (
        "m-local.toml",
        "id = \"m-local\"\norigin = \"mined\"\nbefore = \"$A.len() == 0\"\nafter = \"$A.is_empty()\"\nscore = 0.8\n\n\
         [[provenance]]\nrepo = \"me/alpha\"\ncommit = \"0000000000000000000000000000000000000000\"\npath = \"src/lib.rs\"\nline = 2\n",
    ),
];

#[test]
fn measure_counts_compiling_applications_where_a_pattern_was_not_learned_and_ships_what_clears_the_bar()
 {
    let alpha = Repo::with_crate("alpha", CODE);
    let beta = Repo::with_crate("beta", CODE);
    let library = tempfile::tempdir().unwrap();
    for (name, text) in PATTERNS {
        std::fs::write(library.path().join(name), text).unwrap();
    }
    // The library already shipped: a pattern measurement will rule out, one it cannot judge (no site), and one
    // the library measured no longer has.
    let shipped = tempfile::tempdir().unwrap();
    let idle = "id = \"m-idle\"\norigin = \"mined\"\nbefore = \"$A.frobnicate()\"\nafter = \"$A.frob()\"\nscore = 0.5\n";
    std::fs::write(library.path().join("m-idle.toml"), idle).unwrap();
    std::fs::write(shipped.path().join("m-idle.toml"), idle).unwrap();
    std::fs::write(shipped.path().join("m-cast.toml"), PATTERNS[1].1).unwrap();
    std::fs::write(
        shipped.path().join("m-gone.toml"),
        "id = \"m-gone\"\norigin = \"mined\"\nbefore = \"$A.old()\"\nafter = \"$A.new()\"\nscore = 0.5\n",
    )
    .unwrap();
    let state = library.path().join("state.json");
    let measure = || {
        run(&[
            "patterns",
            "measure",
            "--patterns",
            library.path().to_str().unwrap(),
            "--write",
            "--ship-to",
            shipped.path().to_str().unwrap(),
            "--min-applications",
            "2",
            // 4 of 4 has a Wilson lower bound of 0.51; 0 of 4 an upper bound of 0.49.
            "--min-lower-bound",
            "0.5",
            "--keep-going",
            "--state",
            state.to_str().unwrap(),
            "--format",
            "json",
            alpha.path_str(),
            "--name",
            "me/alpha",
            beta.path_str(),
            "--name",
            "me/beta",
        ])
    };
    let r = measure();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Run again on the same state: nothing is measured twice, and the figures are the same.
    let again = measure();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("2 repositories already measured")
            && !again.stderr.contains("applying"),
        "{}",
        again.stderr
    );
    assert_eq!(again.stdout, r.stdout);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let counts = |id: &str| {
        let p = report["patterns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["pattern"] == id)
            .unwrap_or_else(|| panic!("no {id} in {report}"));
        (
            p["right"].as_u64().unwrap(),
            p["proposed"].as_u64().unwrap(),
            p["ships"].as_bool().unwrap(),
        )
    };
    // m-len and m-local match the same sites; the higher score wins the overlap where both are applied.
    assert_eq!(counts("m-len"), (4, 4, true), "{report}");
    // Every application of m-cast breaks the build (E0308), in both repositories.
    assert_eq!(counts("m-cast"), (0, 4, false), "{report}");
    // m-local is only applied on beta, where it loses the overlap to m-len: nothing measured.
    assert_eq!(counts("m-local"), (0, 0, false), "{report}");
    let repos = report["repos"].as_array().unwrap();
    assert_eq!(repos[0]["excluded"], 1, "{report}");
    assert_eq!(repos[1]["excluded"], 0, "{report}");

    // The counts are in the measured library's files, and only m-len was shipped, with its record.
    let cast: toml::Table =
        toml::from_str(&std::fs::read_to_string(library.path().join("m-cast.toml")).unwrap())
            .unwrap();
    assert_eq!(cast["measured"]["right"].as_integer(), Some(0));
    assert_eq!(cast["measured"]["proposed"].as_integer(), Some(4));
    assert_eq!(cast["measured"]["by"].as_str(), Some("check"));
    let names: Vec<String> = support::read_dir_sorted(shipped.path())
        .into_iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    // m-len cleared the bar and is all that ships: m-cast was ruled out, m-gone is no longer learned, and m-idle
    // had no site to be judged on, so nothing shows it is right.
    assert_eq!(names, ["m-len.toml"]);
    assert!(
        r.stderr.contains("1 patterns shipped") && r.stderr.contains("3 removed"),
        "{}",
        r.stderr
    );
    // The shipped file is a valid pattern whose record the confidence model reads: `suture fix` says so.
    let fresh = Repo::with_crate("gamma", CODE);
    let r = run(&[
        "fix",
        fresh.path_str(),
        "--patterns",
        shipped.path().to_str().unwrap(),
        "--validate",
        "none",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let fix: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        fix["fixes"][0]["basis"],
        serde_json::json!({ "kind": "measured", "right": 4, "proposed": 4 }),
        "{fix}"
    );
}

#[test]
fn measure_refuses_mismatched_names_and_non_checkouts() {
    let library = tempfile::tempdir().unwrap();
    let not_a_crate = tempfile::tempdir().unwrap();
    let r = run(&[
        "patterns",
        "measure",
        "--patterns",
        library.path().to_str().unwrap(),
        not_a_crate.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("not a checkout of a Cargo project"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "patterns",
        "measure",
        "--patterns",
        library.path().to_str().unwrap(),
        not_a_crate.path().to_str().unwrap(),
        "--name",
        "a/b",
        "--name",
        "c/d",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("1 checkouts but 2 --name values"),
        "{}",
        r.stderr
    );
}
