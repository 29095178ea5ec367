//! The main job learns the repository's own history first and finishes the migrations it started: real git
//! histories built with git2, the real binary, real `cargo check` runs.

mod support;

use support::{Repo, run};

const PARSER: &str = "pub fn legacy_parse(s: &str) -> Option<u32> {\n    parse(s)\n}\n\npub fn parse(s: &str) -> Option<u32> {\n    s.trim().parse().ok()\n}\n";

fn reader(name: &str, call: &str) -> String {
    format!(
        "pub fn read_{name}(input: &str) -> u32 {{\n    crate::parser::{call}(input).unwrap_or(0)\n}}\n"
    )
}

const MODULES: [&str; 5] = ["a", "b", "c", "d", "e"];

/// A crate named `name` with `module` (a path and its text, declared by `declare` in `src/lib.rs`) and five
/// modules `a`…`e`, each `body(module name)`, committed once.
fn five_module_crate(
    name: &str,
    (declare, module): (&str, (&str, &str)),
    body: impl Fn(&str) -> String,
) -> Repo {
    let manifest =
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    let lock = format!("version = 4\n\n[[package]]\nname = \"{name}\"\nversion = \"0.1.0\"\n");
    let lib = format!("{declare}\npub mod a;\npub mod b;\npub mod c;\npub mod d;\npub mod e;\n");
    let files: Vec<(String, String)> = MODULES
        .iter()
        .map(|m| (format!("src/{m}.rs"), body(m)))
        .collect();
    let mut all: Vec<(&str, &str)> = vec![
        ("Cargo.toml", &manifest),
        ("Cargo.lock", &lock),
        (".gitignore", "/target\n"),
        ("src/lib.rs", &lib),
        module,
    ];
    all.extend(files.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    let repo = Repo::new();
    repo.commit("the crate", &all);
    repo
}

/// A crate with a private parser module and five callers of `legacy_parse`, committed once.
fn callers() -> Repo {
    five_module_crate("callers", ("mod parser;", ("src/parser.rs", PARSER)), |m| {
        reader(m, "legacy_parse")
    })
}

/// `suture migrations` finds none in the history of `repo`.
#[track_caller]
fn assert_no_migration(repo: &Repo) {
    let m = run(&["migrations", repo.path_str(), "--validate", "none"]);
    assert_eq!(m.code, 0, "{}\n{}", m.stdout, m.stderr);
    assert!(
        m.stdout
            .contains("no migration in this repository's history"),
        "{}",
        m.stdout
    );
}

fn migrate(repo: &Repo, module: &str) {
    repo.edit(
        &format!("read_{module}: parse instead of legacy_parse"),
        &format!("src/{module}.rs"),
        "legacy_parse(",
        "parse(",
    );
}

/// [`callers`] after three commits that each move one caller to `parse`.
fn three_migrated() -> Repo {
    let repo = callers();
    for module in ["a", "b", "c"] {
        migrate(&repo, module);
    }
    repo
}

fn read(repo: &Repo, path: &str) -> String {
    std::fs::read_to_string(repo.path().join(path)).unwrap()
}

/// `cargo check` of the fixture crate, in its own target directory: whether it builds, and its warnings.
fn check(repo: &Repo) -> (bool, Vec<String>) {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--offline"])
        .current_dir(repo.path())
        .env("CARGO_TARGET_DIR", repo.path().join("target"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let warnings = stderr
        .lines()
        .filter(|l| l.starts_with("warning: ") && !l.contains("generated"))
        .map(str::to_owned)
        .collect();
    (out.status.success(), warnings)
}

#[test]
fn the_main_job_with_no_flags_finishes_a_migration_the_history_started() {
    let repo = three_migrated();
    let r = run(&["fix", repo.path_str(), "--apply"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("1 migration in progress"), "{}", r.stderr);
    assert!(
        r.stdout.contains("continues a migration of this repository: 3 sites changed this way in 3 commits by 1 author"),
        "{}",
        r.stdout
    );
    for module in ["d", "e"] {
        assert_eq!(
            read(&repo, &format!("src/{module}.rs")),
            reader(module, "parse")
        );
    }
    // The old function's definition has the old name too, but not where every fix had it (the last segment
    // of a path: the pattern's learned `within`), so it is no site of the migration, and the module is as it
    // was.
    assert_eq!(read(&repo, "src/parser.rs"), PARSER);
    assert!(r.stdout.contains("0 candidates skipped"), "{}", r.stdout);
    // With its last callers migrated, the old function is unused: the goal of the migration, said in a note,
    // not a reason to back the last fixes out.
    assert!(
        r.stdout.contains(
            "note: finishing a migration leaves its old item unused: function `legacy_parse` is never used"
        ),
        "{}",
        r.stdout
    );
    let (builds, warnings) = check(&repo);
    assert!(builds, "{warnings:?}");
    assert_eq!(
        warnings,
        vec!["warning: function `legacy_parse` is never used"]
    );

    // A second run mines nothing new and proposes nothing: the migration is finished.
    let again = run(&["fix", repo.path_str()]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stderr.contains("learned up to HEAD already"),
        "{}",
        again.stderr
    );
}

#[test]
fn migrations_lists_the_progress_and_what_compiles() {
    let repo = three_migrated();
    let r = run(&["migrations", repo.path_str(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rows = json["migrations"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{}", r.stdout);
    let m = &rows[0];
    assert_eq!(m["before"], "legacy_parse");
    assert_eq!(m["after"], "parse");
    assert_eq!(m["status"], "in-progress");
    assert_eq!(m["migrated"], 3);
    assert_eq!(m["commits"], 3);
    // Two calls are left (the definition matches too, but is the old item itself); both compile once changed.
    assert_eq!(m["remaining_now"], 2);
    assert_eq!(m["compiling"], 2);
    let started: Vec<String> = m["started_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| repo.summary(c.as_str().unwrap()))
        .collect();
    assert_eq!(
        started,
        vec![
            "read_a: parse instead of legacy_parse",
            "read_b: parse instead of legacy_parse",
            "read_c: parse instead of legacy_parse",
        ]
    );
    assert!(
        m["progress"]
            .as_str()
            .unwrap()
            .starts_with("3 of 5 sites migrated since 2023-11-14, by 1 author"),
        "{}",
        m["progress"]
    );
}

#[test]
fn a_rename_that_was_reverted_is_not_a_migration() {
    let repo = three_migrated();
    // One commit puts all three back.
    let back: Vec<(String, String)> = ["a", "b", "c"]
        .iter()
        .map(|m| (format!("src/{m}.rs"), reader(m, "legacy_parse")))
        .collect();
    let files: Vec<(&str, &str)> = back.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    repo.commit("Revert the move to parse", &files);
    // Not even among the history's other patterns: a change the history undid is no fix.
    let r = run(&[
        "fix",
        repo.path_str(),
        "--validate",
        "none",
        "--all-learned",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("migration in progress"), "{}", r.stderr);
    assert_no_migration(&repo);
}

#[test]
fn a_rename_done_in_one_sweeping_commit_proposes_nothing() {
    let repo = callers();
    let all: Vec<(String, String)> = MODULES
        .iter()
        .map(|m| (format!("src/{m}.rs"), reader(m, "parse")))
        .collect();
    let files: Vec<(&str, &str)> = all.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    repo.commit("Use parse everywhere", &files);
    let r = run(&["fix", repo.path_str(), "--validate", "none"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 fixes"), "{}", r.stdout);
    assert_no_migration(&repo);
}

#[test]
fn no_history_uses_the_shipped_library_alone() {
    let repo = three_migrated();
    let r = run(&["fix", repo.path_str(), "--no-history", "--validate", "none"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!repo.path().join(".suture").exists());
    // Outside git there is no history to learn.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), reader("x", "legacy_parse")).unwrap();
    let r = run(&["fix", dir.path().to_str().unwrap(), "--validate", "none"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("not in a git repository: using the shipped library only"),
        "{}",
        r.stderr
    );
}

/// A crate with its own `Registry` (and so its own `fn new`) and five functions that each make a `TYPE::new()`,
/// committed once; then three commits that each move one of them to `TYPE::with_capacity(8)`.
fn capacity_history(annotation: &str, ty: &str) -> Repo {
    let registry = "pub struct Registry(Vec<u32>);\n\nimpl Registry {\n    pub fn new() -> Self {\n        \
                    Registry(Vec::new())\n    }\n\n    pub fn with_capacity(n: usize) -> Self {\n        \
                    Registry(Vec::with_capacity(n))\n    }\n\n    pub fn len(&self) -> usize {\n        \
                    self.0.len()\n    }\n}\n";
    let repo = five_module_crate(
        "sized",
        ("pub mod registry;", ("src/registry.rs", registry)),
        |m| {
            format!(
                "#![allow(unused_imports)]\nuse std::collections::HashMap;\nuse crate::registry::Registry;\n\n\
                 pub fn make_{m}() -> usize {{\n    let made: {annotation} = {ty}::new();\n    made.len()\n}}\n"
            )
        },
    );
    for m in ["a", "b", "c"] {
        repo.edit(
            &format!("make_{m}: with a capacity"),
            &format!("src/{m}.rs"),
            &format!("= {ty}::new();"),
            &format!("= {ty}::with_capacity(8);"),
        );
    }
    repo
}

/// Moving off `HashMap::new()` is moving off the standard library's item, not the team's, even in a crate that
/// has a `fn new` of its own: no migration. The same history on the crate's own `Registry` is one.
#[test]
fn a_path_through_someone_elses_type_is_not_the_teams_item() {
    let foreign = capacity_history("HashMap<u32, u32>", "HashMap");
    assert_no_migration(&foreign);
    let r = run(&["fix", foreign.path_str(), "--validate", "none"]);
    assert!(r.stdout.contains("0 fixes"), "{}\n{}", r.stdout, r.stderr);

    let own = capacity_history("Registry", "Registry");
    let m = run(&["migrations", own.path_str(), "--validate", "none"]);
    assert_eq!(m.code, 0, "{}\n{}", m.stdout, m.stderr);
    assert!(m.stdout.contains("3 of 5 sites migrated"), "{}", m.stdout);
}

#[test]
fn a_renamed_macro_is_not_applied_to_a_function_of_the_same_name() {
    // Every fix renamed a macro invocation, so the learned pattern holds only inside one (`within =
    // "macro_invocation"`): the function `old_log` in `e` is another item with the same name.
    let macros = "macro_rules! old_log {\n    ($m:expr) => {\n        let _ = $m;\n    };\n}\n\
                  macro_rules! new_log {\n    ($m:expr) => {\n        let _ = $m;\n    };\n}\n";
    let repo = five_module_crate("logs", (macros, ("src/unused.rs", "")), |m| {
        if m == "e" {
            "pub fn old_log(n: u32) -> u32 {\n    n\n}\n\npub fn run_e() -> u32 {\n    old_log(1)\n}\n"
                .to_owned()
        } else {
            format!("pub fn run_{m}() {{\n    old_log!(\"{m}\");\n}}\n")
        }
    });
    for m in ["a", "b", "c"] {
        repo.edit(
            &format!("run_{m}: new_log"),
            &format!("src/{m}.rs"),
            "old_log!",
            "new_log!",
        );
    }
    let r = run(&["fix", repo.path_str(), "--validate", "none", "--verbose"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("1 migration in progress"), "{}", r.stderr);
    assert!(r.stdout.contains("+    new_log!(\"d\");"), "{}", r.stdout);
    assert!(!r.stdout.contains("src/e.rs"), "{}", r.stdout);
    assert!(r.stdout.contains("1 fixes in 1 files"), "{}", r.stdout);
    let learned = std::fs::read_dir(repo.path().join(".suture/learned"))
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap_or_default())
        .find(|text| text.contains("before = \"old_log\""))
        .expect("the rename is learned");
    assert!(
        learned.contains("within = \"macro_invocation\""),
        "{learned}"
    );
}
