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
        let p = entry(&report, "patterns", id);
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

/// The entry for pattern `id` in the `list` of a JSON report.
fn entry<'a>(report: &'a serde_json::Value, list: &str, id: &str) -> &'a serde_json::Value {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pattern"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
}

/// A history of panic fixes, as `benches/heal_harvest.sh remedies` builds one: each fix a commit.
const PANICKY: &str = "pub fn last(len: usize) -> usize {\n    len - 1\n}\n\npub fn span(start: usize, end: usize) -> usize {\n    end - start\n}\n\npub fn left(a: u32, b: u32) -> Result<u32, Error> {\n    Ok(a - b)\n}\n\npub fn sum(v: &[u32]) -> Result<u32, Error> {\n    let mut total = 0u32;\n    for n in v {\n        total += n;\n    }\n    Ok(total)\n}\n";

fn remedy_file(id: &str, origin: &str, before: &str, after: &str, extra: &str) -> String {
    format!(
        "# {origin}: a remedy of this test.\nid = \"{id}\"\norigin = \"{origin}\"\nbefore = \"{before}\"\nafter = '{after}'\nscore = 0.5\npanics = [\"overflow-sub\", \"overflow-add\"]\neffect = \"surfaces\"\n{extra}"
    )
}

#[test]
fn measure_remedies_counts_the_commits_where_maintainers_wrote_each_remedy() {
    let history = Repo::new();
    history.commit("the code", &[("src/lib.rs", PANICKY)]);
    // Two sites made saturating in one commit: one decision.
    let saturating = PANICKY
        .replace("    len - 1\n", "    len.saturating_sub(1)\n")
        .replace("    end - start\n", "    end.saturating_sub(start)\n");
    let c1 = history.commit("fix underflow panics", &[("src/lib.rs", &saturating)]);
    let surfaced = saturating.replace("Ok(a - b)", "Ok(a.checked_sub(b).ok_or(Error::Underflow)?)");
    history.commit(
        "fix: left panics on underflow",
        &[("src/lib.rs", &surfaced)],
    );
    let added = surfaced.replace(
        "        total += n;\n",
        "        total = total.checked_add(*n).ok_or(Error::Overflow)?;\n",
    );
    let c3 = history.commit("fix overflow panic in sum", &[("src/lib.rs", &added)]);
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("fixes.db");
    let mined = work.path().join("mined");
    let r = run(&[
        "mine",
        history.path_str(),
        "--db",
        db.to_str().unwrap(),
        "--out",
        mined.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    let library = tempfile::tempdir().unwrap();
    let provenance = |commit: &str| {
        format!(
            "\n[[provenance]]\nrepo = \"fixes\"\ncommit = \"{commit}\"\npath = \"src/lib.rs\"\nline = 2\n"
        )
    };
    let files = [
        (
            "h-sat.toml",
            remedy_file(
                "h-sat",
                "hand-written",
                "$A - $B",
                "$A.saturating_sub($B)",
                "",
            ),
        ),
        (
            "h-err.toml",
            remedy_file(
                "h-err",
                "hand-written",
                "$A - $B",
                r#"$A.checked_sub($B).ok_or("subtraction overflowed")?"#,
                "returns = \"result\"\n",
            ),
        ),
        // Where `?` returns an Option: no function of this history does.
        (
            "h-none.toml",
            remedy_file(
                "h-none",
                "hand-written",
                "$A - $B",
                "$A.checked_sub($B)?",
                "returns = \"option\"\n",
            ),
        ),
        // Learned from c3: measured on the other commits only, where it matches nothing.
        (
            "m-add.toml",
            remedy_file(
                "m-add",
                "mined",
                "$A += $B",
                "$A = $A.checked_add(*$B).ok_or(Error::Overflow)?",
                &provenance(&c3.to_string()),
            ),
        ),
        // Learned from c1 and another history: wrong on the commit it was not learned from.
        (
            "m-sat.toml",
            remedy_file(
                "m-sat",
                "mined",
                "$A - $B",
                "$A.saturating_sub($B)",
                &provenance(&c1.to_string()),
            ),
        ),
        // Learned elsewhere: right on one of the two commits that changed a subtraction.
        (
            "m-err.toml",
            remedy_file(
                "m-err",
                "mined",
                "$A - $B",
                r#"$A.checked_sub($B).ok_or("underflow")?"#,
                &provenance("0000000000000000000000000000000000000000"),
            ),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(library.path().join(name), text).unwrap();
    }
    let ship = tempfile::tempdir().unwrap();
    std::fs::write(ship.path().join("m-sat.toml"), &files[4].1).unwrap();
    std::fs::write(
        ship.path().join("h-keep.toml"),
        files[0].1.replace("h-sat", "h-keep"),
    )
    .unwrap();
    let measure = |more: &[&str]| {
        let mut args = vec![
            "patterns",
            "measure-remedies",
            "--fixes",
            db.to_str().unwrap(),
            "--patterns",
            library.path().to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(more);
        run(&args)
    };

    // Without --write, nothing is written.
    let r = measure(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for (name, text) in &files {
        assert_eq!(
            &std::fs::read_to_string(library.path().join(name)).unwrap(),
            text
        );
    }
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let counts = |id: &str| {
        let p = entry(&report, "remedies", id);
        (
            p["right"].as_u64().unwrap(),
            p["commits"].as_u64().unwrap(),
            p["sites"].as_u64().unwrap(),
            p["left_out"].as_u64().unwrap(),
        )
    };
    // c1 (two saturating sites) is right for it, the surfaced subtraction of the next commit is not.
    assert_eq!(counts("h-sat"), (1, 2, 3, 0), "{report}");
    // The made-up message stands for the human's `Error::Underflow`. Without the history, a remedy's return
    // type is not read: measured on every subtraction.
    assert_eq!(counts("h-err"), (1, 2, 3, 0), "{report}");
    assert_eq!(counts("h-none"), (0, 2, 3, 0), "{report}");
    assert_eq!(counts("m-add"), (0, 0, 0, 1), "{report}");
    assert_eq!(counts("m-sat"), (0, 1, 1, 1), "{report}");
    assert_eq!(counts("m-err"), (1, 2, 3, 0), "{report}");

    // With it, only where the function returned what the remedy needs before the fix: `left` returns a
    // `Result`, the saturated `last` and `span` plain values, and no function an `Option`.
    let r = measure(&["--history", history.path_str()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let remedy = |id: &str| {
        let p = entry(&report, "remedies", id);
        (p["right"].as_u64().unwrap(), p["commits"].as_u64().unwrap())
    };
    assert_eq!(remedy("h-err"), (1, 1), "{report}");
    assert_eq!(remedy("h-none"), (0, 0), "{report}");
    assert_eq!(remedy("h-sat"), (1, 2), "{report}");

    let r = measure(&[
        "--write",
        "--ship-to",
        ship.path().to_str().unwrap(),
        "--on",
        "this test's history",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The record goes into the file and nothing else in it changes: the comment stays.
    let sat = std::fs::read_to_string(library.path().join("h-sat.toml")).unwrap();
    assert!(
        sat.starts_with("# hand-written: a remedy of this test.\nid = \"h-sat\""),
        "{sat}"
    );
    let table: toml::Table = toml::from_str(&sat).unwrap();
    assert_eq!(table["measured"]["right"].as_integer(), Some(1));
    assert_eq!(table["measured"]["proposed"].as_integer(), Some(2));
    assert_eq!(
        table["measured"]["on"][0].as_str(),
        Some("this test's history")
    );
    assert!(table["measured"].get("by").is_none(), "{sat}");
    // Matched nothing it was not learned from: no record.
    let add = std::fs::read_to_string(library.path().join("m-add.toml")).unwrap();
    assert_eq!(add, files[3].1);
    // Written twice, the record is replaced, not added.
    let r = measure(&["--write"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let again = std::fs::read_to_string(library.path().join("h-sat.toml")).unwrap();
    assert_eq!(again.matches("[measured]").count(), 1, "{again}");
    // Only the mined remedy that wrote a fix it was not learned from ships; the stale mined file goes, the
    // hand-written one stays.
    let names: Vec<String> = support::read_dir_sorted(ship.path())
        .into_iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["h-keep.toml", "m-err.toml"]);

    // A store that is not there is an error that says so, and writes nothing.
    let r = run(&[
        "patterns",
        "measure-remedies",
        "--fixes",
        work.path().join("nope.db").to_str().unwrap(),
        "--patterns",
        library.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no store at"), "{}", r.stderr);
    assert!(!work.path().join("nope.db").exists());
}
