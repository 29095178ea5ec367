//! End-to-end tests of `suture mine` on real git repositories built with git2.

mod support;

use expect_test::expect;
use support::{Repo, history, run, summarise_library};

#[test]
fn learns_two_general_families_with_provenance() {
    let repo = history();
    let out = repo.path().join("lib");
    let result = run(&[
        "mine",
        repo.path_str(),
        "--out",
        out.to_str().unwrap(),
        "--name",
        "fixture",
    ]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    expect![[r#"
        $A.len() == 0 => $A.is_empty()
          origin mined, support 4, score 0.6667, specialisation 1.0
          provenance: bar_empty uses is_empty, queue idle uses is_empty, test uses is_empty, use is_empty on a slice
        max($A, $B) => $A.max($B)
          origin mined, support 3, score 0.6, specialisation 1.0
          provenance: before_last calls max as a method, gap calls max as a method, remaining calls max as a method
    "#]]
    .assert_eq(&summarise_library(&repo, &out));
    // `v.len() == 0 => v.is_empty()` (two commits) is a level under `$A.len() == 0 => …`; learned without
    // each of their commits, both fix the held-out sites as written, so the refinement adds nothing.
    assert!(
        result
            .stdout
            .contains("1 refinements not written: the level above them was as precise"),
        "{}",
        result.stdout
    );
    let files = support::read_dir_sorted(&out);
    let general = files
        .iter()
        .find(|(_, text)| text.contains("before = \"$A.len() == 0\""))
        .expect("the general level is written");
    let file: toml::Table = toml::from_str(&general.1).unwrap();
    expect![
        "{ commits = 4, false_edits = 0, missed = 0, precision = 0.5101, right = 4, wrong = 0 }"
    ]
    .assert_eq(&file["held_out"].to_string());
}

#[test]
fn rerun_mines_nothing_and_writes_the_same_library() {
    let repo = history();
    let out = repo.path().join("lib");
    let args = ["mine", repo.path_str(), "--out", out.to_str().unwrap()];
    let first = run(&args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let files_before = support::read_dir_sorted(&out);
    let second = run(&args);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second
            .stdout
            .contains("11 commits in range, 11 already mined, 0 mined now"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("0 written, 2 unchanged, 0 removed"),
        "{}",
        second.stdout
    );
    assert_eq!(files_before, support::read_dir_sorted(&out));
}

#[test]
fn new_commits_are_mined_incrementally() {
    let repo = history();
    let out = repo.path().join("lib");
    let args = [
        "mine",
        repo.path_str(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    assert_eq!(run(&args).code, 0);
    repo.edit(
        "one more saturating fix",
        "src/lib.rs",
        "y + x }",
        "y.saturating_add(x) }",
    );
    let result = run(&args);
    let json: serde_json::Value = serde_json::from_str(&result.stdout).unwrap();
    assert_eq!(json["report"]["repos"][0]["mined_now"], 1);
    assert_eq!(json["report"]["repos"][0]["already_mined"], 11);
}

#[test]
fn range_limits_what_is_learned() {
    let repo = history();
    let out = repo.path().join("lib");
    // Up to and including "queue idle uses is_empty": two `is_empty` fixes in two commits, enough sites for
    // a team's own library, not for one that demands three commits (as the shipped library does).
    let mine = |extra: &[&str]| {
        let mut args = vec![
            "mine",
            repo.path_str(),
            "--range",
            "HEAD~6",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let result = run(&args);
        assert_eq!(result.code, 0, "{}", result.stderr);
        summarise_library(&repo, &out)
    };
    expect![""].assert_eq(&mine(&["--min-commits", "3"]));
    expect![[r#"
        $A.len() == 0 => $A.is_empty()
          origin mined, support 2, score 0.25, specialisation 0.5
          provenance: queue idle uses is_empty, use is_empty on a slice
    "#]]
    .assert_eq(&mine(&[]));
}

#[test]
fn bad_inputs_give_clear_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let r = run(&["mine", plain.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("error: `{}` is not a git repository\n", plain.display())
    );
    assert!(!plain.join(".suture").exists());

    let empty = dir.path().join("empty");
    git2::Repository::init(&empty).unwrap();
    let r = run(&["mine", empty.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("error: `{}` has no commits\n", empty.display())
    );

    let repo = history();
    let r = run(&["mine", repo.path_str(), "--range", "nope..HEAD"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown revision `nope..HEAD`"),
        "{}",
        r.stderr
    );
    assert!(!repo.path().join(".suture/patterns").exists());
}

#[test]
fn binary_non_utf8_oversized_and_broken_files_are_skipped_with_reasons() {
    let repo = history();
    let big = format!(
        "fn big() {{ let x = 1; }}\n{}",
        "// padding\n".repeat(120_000)
    );
    repo.commit(
        "odd files",
        &[
            ("src/bin.rs", "fn a() { x.len() == 0 }\n"),
            ("src/latin1.rs", "fn a() {}\n"),
            ("src/big.rs", &big),
            ("src/broken.rs", "fn a() { let v = w.len() == 0; }\n"),
        ],
    );
    repo.commit_bytes(
        "binary and latin-1 content",
        &[
            ("src/bin.rs", b"fn a() { \0\x01 }\n"),
            ("src/latin1.rs", b"fn a() { \"caf\xe9\" }\n"),
        ],
    );
    repo.commit(
        "oversized and broken",
        &[
            ("src/big.rs", &big.replace("let x = 1;", "let x = 2;")),
            ("src/broken.rs", "fn a() { let v = w.is_empty( }\n"),
        ],
    );
    let out = repo.path().join("lib");
    let r = run(&[
        "mine",
        repo.path_str(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let reasons: Vec<String> = json["report"]["repos"][0]["skip_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} x{}", r[0].as_str().unwrap(), r[1]))
        .collect();
    expect![[r#"["binary file x1", "file is N bytes, over the N-byte limit x1", "not valid utf-8 x1", "syntax error in the after version x1"]"#]]
        .assert_eq(&format!("{reasons:?}"));
    // The library learned from the good commits is unchanged by the bad ones.
    assert!(summarise_library(&repo, &out).starts_with("$A.len() == 0 => $A.is_empty()"));
}

#[test]
fn shallow_clone_is_reported_and_mined_as_far_as_it_goes() {
    let repo = history();
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("shallow");
    let status = std::process::Command::new("git")
        .args([
            "clone",
            "-q",
            "--depth",
            "4",
            &format!("file://{}", repo.path_str()),
            clone.to_str().unwrap(),
        ])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let r = run(&["mine", clone.to_str().unwrap(), "--min-support", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("is a shallow clone"), "{}", r.stderr);
    assert!(r.stdout.contains("4 commits in range"), "{}", r.stdout);
}

/// A history whose three fixes make one change at different sites, `from` → `to` for each pair, in a file
/// that starts as `initial`.
fn fixes(initial: &str, changes: &[(&str, &str)]) -> support::Repo {
    let repo = support::Repo::new();
    repo.commit("initial", &[("src/lib.rs", initial)]);
    for (i, (from, to)) in changes.iter().enumerate() {
        repo.edit(&format!("fix {}", i + 1), "src/lib.rs", from, to);
    }
    repo
}

/// Mines `repo` into `REPO/lib` and returns the text summary and the library.
fn mine_summary(repo: &support::Repo, extra: &[&str]) -> (String, String) {
    let out = repo.path().join("lib");
    let mut args = vec!["mine", repo.path_str(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let result = run(&args);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let refused: String = result
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("refused"))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    (refused, summarise_library(repo, &out))
}

/// The `guards` table of the only pattern mined into `REPO/lib`, on one line.
fn guards(repo: &support::Repo) -> String {
    let lib = support::read_dir_sorted(&repo.path().join("lib"));
    assert_eq!(lib.len(), 1, "{lib:?}");
    let file: toml::Table = toml::from_str(&lib[0].1).unwrap();
    file.get("guards")
        .map(|g| g.to_string())
        .unwrap_or_default()
}

/// Runs `suture fix` with the library mined into `REPO/lib` on a file holding `code`; returns the diff.
fn fix_with_mined(repo: &support::Repo, code: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("target.rs"), code).unwrap();
    let lib = repo.path().join("lib");
    let r = run(&[
        "fix",
        dir.path().to_str().unwrap(),
        "--patterns",
        lib.to_str().unwrap(),
        "--validate",
        "none",
        "--min-confidence",
        "0",
        "--format",
        "diff",
    ]);
    assert!(r.code <= 1, "{}\n{}", r.stdout, r.stderr);
    r.stdout
}

#[test]
fn then_some_is_learned_for_cheap_arguments_only() {
    let repo = fixes(
        "pub fn a(p: bool) -> Option<u32> {\n    p.then(|| 1)\n}\n\npub fn b(q: bool) -> Option<u32> {\n    q.then(|| MAX)\n}\n\npub fn c(r: bool, y: u32) -> Option<u32> {\n    r.then(|| y)\n}\n",
        &[
            ("p.then(|| 1)", "p.then_some(1)"),
            ("q.then(|| MAX)", "q.then_some(MAX)"),
            ("r.then(|| y)", "r.then_some(y)"),
        ],
    );
    let (refused, library) = mine_summary(&repo, &[]);
    expect![""].assert_eq(&refused);
    expect![[r#"
        $A.then(|| $B) => $A.then_some($B)
          origin mined, support 3, score 0.6, specialisation 1.0
          provenance: fix 1, fix 2, fix 3
    "#]]
    .assert_eq(&library);
    // The closure body bound literals and identifiers (pure); the receiver stays a receiver, so it binds anything.
    expect![[r#"{ B = "pure" }"#]].assert_eq(&guards(&repo));
    expect![[r#"
        --- a/target.rs
        +++ b/target.rs
        @@ -1,8 +1,8 @@
         fn f(ready: bool, v: &[u32], i: usize) {
        -    let a = ready.then(|| 5);
        +    let a = ready.then_some(5);
             let b = ready.then(|| expensive());
             let c = (i != 0).then(|| v[i - 1]);
             let d = ready.then(|| i + 1);
             let e = ready.then(|| v.first().unwrap());
        -    let f = ready.then(|| -1);
        +    let f = ready.then_some(-1);
         }
    "#]].assert_eq(&fix_with_mined(
        &repo,
        // A panic is an effect too: made eager, `v[i - 1]` panics when `i` is 0 and `i + 1` may overflow,
        // which the closure prevented. A negative literal cannot panic.
        "fn f(ready: bool, v: &[u32], i: usize) {\n    let a = ready.then(|| 5);\n    let b = ready.then(|| expensive());\n    let c = (i != 0).then(|| v[i - 1]);\n    let d = ready.then(|| i + 1);\n    let e = ready.then(|| v.first().unwrap());\n    let f = ready.then(|| -1);\n}\n",
    ));
}

#[test]
fn ok_or_else_is_learned_for_code_with_effects_only() {
    // What people defer into `ok_or_else` is a call or a macro; a fourth fix that defers an enum variant (for
    // a borrow or a type the tree does not show) leaves the examples without that evidence.
    let effects = [
        ("a.ok_or(Error::new(1))", "a.ok_or_else(|| Error::new(1))"),
        ("b.ok_or(format!(\"b\"))", "b.ok_or_else(|| format!(\"b\"))"),
        ("c.ok_or(make(c)?)", "c.ok_or_else(|| make(c)?)"),
    ];
    let initial = "pub fn a(a: Option<u8>) -> R {\n    a.ok_or(Error::new(1))\n}\n\npub fn b(b: Option<u8>) -> R {\n    b.ok_or(format!(\"b\"))\n}\n\npub fn c(c: Option<u8>) -> R {\n    c.ok_or(make(c)?)\n}\n\npub fn d(d: Option<u8>) -> R {\n    d.ok_or(Error::Missing)\n}\n";
    let repo = fixes(initial, &effects);
    let (refused, library) = mine_summary(&repo, &[]);
    expect![""].assert_eq(&refused);
    expect![[r#"
        $A.ok_or($B) => $A.ok_or_else(|| $B)
          origin mined, support 3, score 0.45, specialisation 0.75
          provenance: fix 1, fix 2, fix 3
    "#]]
    .assert_eq(&library);
    expect![[r#"{ B = "effects" }"#]].assert_eq(&guards(&repo));
    expect![[r#"
        --- a/target.rs
        +++ b/target.rs
        @@ -1,4 +1,4 @@
         fn f(x: Option<u8>) {
        -    let a = x.ok_or(expensive());
        +    let a = x.ok_or_else(|| expensive());
             let b = x.ok_or(Error::Missing);
         }
    "#]]
    .assert_eq(&fix_with_mined(
        &repo,
        "fn f(x: Option<u8>) {\n    let a = x.ok_or(expensive());\n    let b = x.ok_or(Error::Missing);\n}\n",
    ));

    let mut with_variant = effects.to_vec();
    with_variant.push(("d.ok_or(Error::Missing)", "d.ok_or_else(|| Error::Missing)"));
    let repo = fixes(initial, &with_variant);
    let (refused, library) = mine_summary(&repo, &[]);
    expect![[r#"
        refused      1× lazy cheap code (moved into a closure, an example had no call)
    "#]]
    .assert_eq(&refused);
    expect![""].assert_eq(&library);
}

#[test]
fn unfixed_sites_inside_an_item_macro_count_as_the_fixer_finds_them() {
    // `suture fix` reads a function inside `quick! { .. }` on its own; the count of unfixed sites behind a
    // pattern's specialisation (and a migration's sites left) must see it too.
    let repo = fixes(
        "pub fn a(v: &[u8]) -> bool {\n    v.len() == 0\n}\n\npub fn b(w: &[u8]) -> bool {\n    w.len() == 0\n}\n\nmacro_rules! quick {\n    ($($i:item)*) => { $($i)* };\n}\n\nquick! {\n    fn c(x: &[u8]) -> bool {\n        x.len() == 0\n    }\n}\n",
        &[
            ("v.len() == 0", "v.is_empty()"),
            ("w.len() == 0", "w.is_empty()"),
        ],
    );
    let (_, library) = mine_summary(&repo, &[]);
    // One unfixed site of three: specialisation 2/3, not 1.0.
    expect![[r#"
        $A.len() == 0 => $A.is_empty()
          origin mined, support 2, score 0.3333, specialisation 0.6667
          provenance: fix 1, fix 2
    "#]]
    .assert_eq(&library);
    let lib = support::read_dir_sorted(&repo.path().join("lib"));
    assert!(
        lib[0].1.contains("1 unfixed matches in the mined code"),
        "{}",
        lib[0].1
    );
    let diff = fix_with_mined(
        &repo,
        "quick! {\n    fn d(y: &[u8]) -> bool {\n        y.len() == 0\n    }\n}\n",
    );
    assert!(diff.contains("+        y.is_empty()"), "{diff}");
}

#[test]
fn write_str_is_learned_for_brace_free_strings_only() {
    let repo = fixes(
        "use std::fmt::{self, Write};\n\npub fn a(f: &mut fmt::Formatter) -> fmt::Result {\n    write!(f, \"a\")\n}\n\npub fn b(out: &mut String) -> fmt::Result {\n    write!(out, \"none\")\n}\n\npub fn c(w: &mut fmt::Formatter) -> fmt::Result {\n    write!(w, \"[]\")\n}\n",
        &[
            ("write!(f, \"a\")", "f.write_str(\"a\")"),
            ("write!(out, \"none\")", "out.write_str(\"none\")"),
            ("write!(w, \"[]\")", "w.write_str(\"[]\")"),
        ],
    );
    let (refused, library) = mine_summary(&repo, &[]);
    expect![""].assert_eq(&refused);
    expect![[r#"
        write!($A, "$B") => $A.write_str("$B")
          origin mined, support 3, score 0.6, specialisation 1.0
          provenance: fix 1, fix 2, fix 3
    "#]]
    .assert_eq(&library);
    expect![[r#"{ B = "string-no-brace" }"#]].assert_eq(&guards(&repo));
    expect![[r#"
        --- a/target.rs
        +++ b/target.rs
        @@ -1,4 +1,4 @@
         fn f(f: &mut std::fmt::Formatter, x: u32) {
        -    let _ = write!(f, "b");
        +    let _ = f.write_str("b");
             let _ = write!(f, "{x}");
         }
    "#]].assert_eq(&fix_with_mined(
        &repo,
        "fn f(f: &mut std::fmt::Formatter, x: u32) {\n    let _ = write!(f, \"b\");\n    let _ = write!(f, \"{x}\");\n}\n",
    ));
}

#[test]
fn toggles_are_refused_both_ways() {
    let repo = fixes(
        "pub fn a() {\n    let mut p = f();\n    let mut q = g();\n    let mut r = h();\n    let s = i();\n    let t = j();\n    let u = k();\n}\n",
        &[
            ("let mut p = f();", "let p = f();"),
            ("let s = i();", "let mut s = i();"),
            ("let mut q = g();", "let q = g();"),
            ("let t = j();", "let mut t = j();"),
            ("let mut r = h();", "let r = h();"),
            ("let u = k();", "let mut u = k();"),
        ],
    );
    let (refused, library) = mine_summary(&repo, &[]);
    expect![[r#"
        refused      2× toggle (both directions learned)
    "#]]
    .assert_eq(&refused);
    expect![""].assert_eq(&library);
}

#[test]
fn renames_are_refused_unless_kept() {
    let repo = fixes(
        "pub fn a(x: OldName) {}\npub fn b(y: OldName) {}\npub fn c(z: OldName) {}\n",
        &[
            ("x: OldName", "x: NewName"),
            ("y: OldName", "y: NewName"),
            ("z: OldName", "z: NewName"),
        ],
    );
    let (refused, library) = mine_summary(&repo, &[]);
    expect![[r#"
        refused      1× rename (after side keeps a name of the training code)
    "#]]
    .assert_eq(&refused);
    expect![""].assert_eq(&library);
    let (refused, library) = mine_summary(&repo, &["--keep-renames"]);
    expect![""].assert_eq(&refused);
    expect![[r#"
        OldName => NewName
          origin mined, support 3, score 0.6, specialisation 1.0
          provenance: fix 1, fix 2, fix 3
    "#]]
    .assert_eq(&library);
}

#[test]
fn dropping_question_marks_is_refused() {
    let repo = fixes(
        "pub fn a(s: &mut S) -> R {\n    s.load(1, 2)?;\n    s.store(3, 4)?;\n    s.sync(5, 6)?;\n    Ok(())\n}\n",
        &[
            ("s.load(1, 2)?;", "s.load(1, 2);"),
            ("s.store(3, 4)?;", "s.store(3, 4);"),
            ("s.sync(5, 6)?;", "s.sync(5, 6);"),
        ],
    );
    let (refused, library) = mine_summary(&repo, &[]);
    expect![[r#"
        refused      1× drops `?`
    "#]]
    .assert_eq(&refused);
    expect![""].assert_eq(&library);
}

#[test]
fn test_data_edits_are_refused() {
    let repo = fixes(
        "pub fn a() {\n    p.retries(3);\n    q.retries(3);\n    r.retries(3);\n}\n",
        &[
            ("p.retries(3)", "p.retries(5)"),
            ("q.retries(3)", "q.retries(5)"),
            ("r.retries(3)", "r.retries(5)"),
        ],
    );
    let (refused, library) = mine_summary(&repo, &[]);
    expect![[r#"
        refused      1× test data (only strings or numbers change)
    "#]]
    .assert_eq(&refused);
    expect![""].assert_eq(&library);
}

#[test]
fn operator_swaps_are_refused() {
    let repo = fixes(
        "pub fn a(x: u32, y: u32, z: u32) -> bool {\n    x < 1 || y < 2 || z < 3\n}\n",
        &[
            ("x < 1", "x <= 1"),
            ("y < 2", "y <= 2"),
            ("z < 3", "z <= 3"),
        ],
    );
    let (refused, library) = mine_summary(&repo, &[]);
    expect![[r#"
        refused      1× operator swap (changes what the code computes)
    "#]]
    .assert_eq(&refused);
    expect![""].assert_eq(&library);
}

#[test]
fn edits_that_only_add_or_remove_imported_names_are_refused() {
    // Three commits each drop a name from an import, as a commit does when it removes the name's last use:
    // on other code the edit would only break a build or do cargo fix's `unused_imports` job.
    let repo = fixes(
        "pub mod a {\n    use std::fmt::{Debug, Write};\n}\npub mod b {\n    use std::fmt::{Debug, Display};\n}\n\
         pub mod c {\n    use std::fmt::{Debug, Binary};\n}\n",
        &[
            ("use std::fmt::{Debug, Write};", "use std::fmt::Write;"),
            ("use std::fmt::{Debug, Display};", "use std::fmt::Display;"),
            ("use std::fmt::{Debug, Binary};", "use std::fmt::Binary;"),
        ],
    );
    for extra in [&[][..], &["--keep-renames"][..]] {
        let (refused, library) = mine_summary(&repo, extra);
        expect![[r#"
            refused      1× imports only (names added to or removed from a `use`)
        "#]]
        .assert_eq(&refused);
        expect![""].assert_eq(&library);
    }
}

/// Mines `repo` with `extra` flags and fixes a new file holding `code` with what was learned.
fn learn_then_fix(repo: &support::Repo, extra: &[&str], code: &str) -> (String, String) {
    let (_, library) = mine_summary(repo, extra);
    (library, fix_with_mined(repo, code))
}

#[test]
fn one_commit_fixing_three_files_teaches_a_new_file() {
    let repo = support::Repo::new();
    let files = [
        (
            "src/a.rs",
            "pub fn a(xs: &[u8]) -> usize {\n    xs.iter().count()\n}\n",
        ),
        (
            "src/b.rs",
            "pub fn b(names: &Vec<String>) -> bool {\n    let n = names.iter().count();\n    n > 2\n}\n",
        ),
        (
            "src/c.rs",
            "pub struct S {\n    v: Vec<u32>,\n}\n\nimpl S {\n    pub fn len(&self) -> usize { self.v.iter().count() }\n}\n",
        ),
    ];
    repo.commit("initial", &files);
    let fixed: Vec<(&str, String)> = files
        .iter()
        .map(|(path, text)| {
            let text = text
                .replace("xs.iter().count()", "xs.len()")
                .replace("names.iter().count()", "names.len()")
                .replace("self.v.iter().count()", "self.v.len()");
            (*path, text)
        })
        .collect();
    let fixed: Vec<(&str, &str)> = fixed.iter().map(|(p, t)| (*p, t.as_str())).collect();
    repo.commit("use len instead of counting", &fixed);
    let (library, diff) = learn_then_fix(
        &repo,
        &[],
        "fn f(rows: &[u32], cols: &Vec<u8>) -> usize {\n    rows.iter().count() + cols.iter().count()\n}\n",
    );
    // All three sites are examples: three files of one commit weigh three.
    let lib = support::read_dir_sorted(&repo.path().join("lib"));
    assert!(
        lib[0]
            .1
            .contains("learned from 3 fixes (3 weighted sites) in 3 files and 1 commits"),
        "{}",
        lib[0].1
    );
    expect![[r#"
        $A.iter().count => $A.len
          origin mined, support 1, score 0.6, specialisation 1.0
          provenance: use len instead of counting
    "#]]
    .assert_eq(&library);
    expect![[r#"
        --- a/target.rs
        +++ b/target.rs
        @@ -1,3 +1,3 @@
         fn f(rows: &[u32], cols: &Vec<u8>) -> usize {
        -    rows.iter().count() + cols.iter().count()
        +    rows.len() + cols.len()
         }
    "#]]
    .assert_eq(&diff);
}

#[test]
fn three_commits_teach_slice_parameters_and_leave_owned_vectors() {
    let repo = fixes(
        "pub fn sum(xs: &Vec<u32>) -> u32 {\n    xs.iter().sum()\n}\n\npub fn first(names: &Vec<String>) -> Option<&String> {\n    names.first()\n}\n\npub fn max(v: &Vec<i64>) -> Option<&i64> {\n    v.iter().max()\n}\n",
        &[
            ("xs: &Vec<u32>", "xs: &[u32]"),
            ("names: &Vec<String>", "names: &[String]"),
            ("v: &Vec<i64>", "v: &[i64]"),
        ],
    );
    let (library, diff) = learn_then_fix(
        &repo,
        &[],
        "fn widest(cols: &Vec<u16>) -> u16 {\n    cols.iter().copied().max().unwrap_or(0)\n}\nfn make() -> Vec<u16> {\n    Vec::new()\n}\n",
    );
    expect![[r#"
        &Vec<$A> => &[$A]
          origin mined, support 3, score 0.6, specialisation 1.0
          provenance: fix 1, fix 2, fix 3
    "#]]
    .assert_eq(&library);
    expect![[r#"
        --- a/target.rs
        +++ b/target.rs
        @@ -1,4 +1,4 @@
        -fn widest(cols: &Vec<u16>) -> u16 {
        +fn widest(cols: &[u16]) -> u16 {
             cols.iter().copied().max().unwrap_or(0)
         }
         fn make() -> Vec<u16> {
    "#]]
    .assert_eq(&diff);
}

#[test]
fn code_nested_too_deep_is_a_reported_skip_and_the_rest_is_mined() {
    let repo = history();
    let files = support::deep_files();
    let added: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    repo.commit("deep code", &added);
    repo.commit(
        "change the deep code",
        &[
            ("src/sum.rs", &files[0].1.replace(";\n", " + 2;\n")),
            ("src/some.rs", &files[1].1.replace("(1)", "(2)")),
        ],
    );
    let out = repo.path().join("lib");
    let r = run(&[
        "mine",
        repo.path_str(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let reasons: Vec<String> = json["report"]["repos"][0]["skip_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} x{}", r[0].as_str().unwrap(), r[1]))
        .collect();
    expect![[
        r#"["code nested too deep in the before version x1", "hunk is outside any item x1"]"#
    ]]
    .assert_eq(&format!("{reasons:?}"));
    // What the rest of the history teaches is still learned.
    assert!(summarise_library(&repo, &out).starts_with("$A.len() == 0 => $A.is_empty()"));
}

#[test]
fn a_list_hole_learned_from_one_to_three_arguments_fixes_a_call_with_four() {
    let repo = Repo::with_crate(
        "report",
        "use std::fmt::Write;\n\npub fn header(out: &mut String) -> std::fmt::Result {\n    write!(out, \"report\").unwrap();\n    Ok(())\n}\n\npub fn name(out: &mut String, n: &str) -> std::fmt::Result {\n    write!(out, \"name {}\", n).unwrap();\n    Ok(())\n}\n\npub fn span(out: &mut String, a: u32, b: u32) -> std::fmt::Result {\n    write!(out, \"{}..{}\", a, b).unwrap();\n    Ok(())\n}\n",
    );
    for (i, (from, to)) in [
        (
            "write!(out, \"report\").unwrap()",
            "write!(out, \"report\")?",
        ),
        (
            "write!(out, \"name {}\", n).unwrap()",
            "write!(out, \"name {}\", n)?",
        ),
        (
            "write!(out, \"{}..{}\", a, b).unwrap()",
            "write!(out, \"{}..{}\", a, b)?",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        repo.edit(
            &format!("propagate errors {}", i + 1),
            "src/lib.rs",
            from,
            to,
        );
    }
    let (refused, library) = mine_summary(&repo, &[]);
    expect![""].assert_eq(&refused);
    expect![[r#"
        write!(out, $$$A).unwrap() => write!(out, $$$A)?
          origin mined, support 3, score 0.6, specialisation 1.0
          provenance: propagate errors 1, propagate errors 2, propagate errors 3
    "#]]
    .assert_eq(&library);
    // A new crate (rustfmt-formatted) with a site of four arguments and one with only the format string; it
    // compiles after the fixes, which `suture fix` checked before applying them.
    let lib = "use std::fmt::Write;\n\npub fn row(out: &mut String, a: u32, b: u32, c: u32) -> std::fmt::Result {\n    write!(out, \"{} {} {}\", a, b, c).unwrap();\n    write!(out, \"\\n\").unwrap();\n    Ok(())\n}\n";
    let target = Repo::with_crate("rows", lib);
    let r = run(&[
        "fix",
        target.path_str(),
        "--patterns",
        repo.path().join("lib").to_str().unwrap(),
        "--min-confidence",
        "0",
        "--apply",
    ]);
    assert_eq!(r.code, 1, "fixes were found: {}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("0 fixes backed out") && r.stdout.contains("applied 2 fixes"),
        "{}",
        r.stdout
    );
    expect![[r#"
        use std::fmt::Write;

        pub fn row(out: &mut String, a: u32, b: u32, c: u32) -> std::fmt::Result {
            write!(out, "{} {} {}", a, b, c)?;
            write!(out, "\n")?;
            Ok(())
        }
    "#]]
    .assert_eq(&std::fs::read_to_string(target.path().join("src/lib.rs")).unwrap());
}

/// A learned edit that removes a panicking operation is a panic remedy: its file says which panic it fixes and
/// what it does instead, so that it takes part only where a trace reports that panic (`suture heal`, `watch`)
/// and is labelled and gated as a default-substituting fix, never proposed on every subtraction by `fix`.
#[test]
fn a_learned_saturating_subtraction_is_a_labelled_remedy_not_a_general_fix() {
    let repo = fixes(
        "pub fn a(p: u32, q: u32) -> u32 {\n    p - q\n}\n\npub fn b(r: u64, s: u64) -> u64 {\n    r - s\n}\n\npub fn c(t: usize, u: usize) -> usize {\n    t - u\n}\n",
        &[
            ("p - q", "p.saturating_sub(q)"),
            ("r - s", "r.saturating_sub(s)"),
            ("t - u", "t.saturating_sub(u)"),
        ],
    );
    let (_, library) = mine_summary(&repo, &[]);
    assert!(
        library.contains("$A - $B => $A.saturating_sub($B)"),
        "{library}"
    );
    let lib = support::read_dir_sorted(&repo.path().join("lib"));
    assert_eq!(lib.len(), 1, "{lib:?}");
    let file: toml::Table = toml::from_str(&lib[0].1).unwrap();
    assert_eq!(file["panics"].to_string(), r#"["overflow-sub"]"#);
    assert_eq!(file["effect"].as_str(), Some("substitutes-default"));
    // Without a reported panic, no subtraction is touched.
    assert_eq!(
        fix_with_mined(&repo, "fn f(x: u32, y: u32) -> u32 {\n    x - y\n}\n"),
        ""
    );
}

/// A learned edit that surfaces a panic with `?` compiles only in a function that can return it: its file
/// says which kind, learned from the functions its examples were in before the fix.
#[test]
fn a_learned_surfacing_remedy_learns_what_its_function_must_return() {
    let repo = fixes(
        "pub fn a(p: u32, q: u32) -> Option<u32> {\n    let n = p + q;\n    Some(n)\n}\n\npub fn b(r: u64, s: u64) -> Option<u64> {\n    let n = r + s;\n    Some(n)\n}\n\npub fn c(t: usize, u: usize) -> Option<usize> {\n    let n = t + u;\n    Some(n)\n}\n",
        &[
            ("p + q", "p.checked_add(q)?"),
            ("r + s", "r.checked_add(s)?"),
            ("t + u", "t.checked_add(u)?"),
        ],
    );
    let (_, library) = mine_summary(&repo, &[]);
    assert!(
        library.contains("$A + $B => $A.checked_add($B)?"),
        "{library}"
    );
    let lib = support::read_dir_sorted(&repo.path().join("lib"));
    let file: toml::Table = toml::from_str(&lib[0].1).unwrap();
    assert_eq!(file["effect"].as_str(), Some("surfaces"));
    assert_eq!(file["returns"].as_str(), Some("option"), "{}", lib[0].1);
}
