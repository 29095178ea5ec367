//! `suture pr` end to end: a real git checkout (git2, in a temp dir), a two-pattern library, a SQLite store
//! and `fakehub::FakeGitHub`, whose every request is checked against GitHub's REST description.
//!
//! What users rely on, one test each: the first run opens one PR per pattern with its provenance and the fix
//! committed through the Git Data API, and a second run (even with an empty store, as on a fresh CI runner)
//! opens nothing new; a human push to a suture branch makes later runs leave that PR alone; the caps hold;
//! a merged suture PR whose checks then fail gets exactly one revert PR; a dry run sends no write request;
//! a group whose `cargo check` fails gets no PR.

use std::path::{Path, PathBuf};
use std::time::Duration;

use app::pr::{Action, PrOptions, PrReport, RevertAction, Validation};
use fakehub::FakeGitHub;
use github::RepoId;
use pipeline::Library;
use tempfile::TempDir;

const OWNER: &str = "acme";
const NAME: &str = "widgets";

const LEN_ZERO: &str = r#"
id = "m-len-zero"
origin = "mined"
description = "compare a length with zero through is_empty"
before = "$A.len() == 0"
after = "$A.is_empty()"
support = 2
score = 0.9
prevalence = 0.9
specialisation = 0.9

[[provenance]]
repo = "acme/old"
commit = "1111111111111111111111111111111111111111"
path = "src/a.rs"
line = 3

[[provenance]]
repo = "acme/old"
commit = "2222222222222222222222222222222222222222"
path = "src/b.rs"
line = 9
"#;

const ITER_COUNT: &str = r#"
id = "m-iter-count"
origin = "mined"
description = "count a slice with len"
before = "$A.iter().count()"
after = "$A.len()"
support = 3
score = 0.8
prevalence = 0.8
specialisation = 0.8

[[provenance]]
repo = "acme/old"
commit = "3333333333333333333333333333333333333333"
path = "src/c.rs"
line = 4
"#;

const LIB_RS: &str = "pub fn empty(v: &[u8]) -> bool {
    v.len() == 0
}

pub fn count(v: &[u8]) -> usize {
    v.iter().count()
}
";

const MORE_RS: &str = "pub fn none(s: &str) -> bool {
    s.len() == 0
}
";

fn library() -> Library {
    pipeline::library_from_texts(&[
        ("m-len-zero.toml", LEN_ZERO),
        ("m-iter-count.toml", ITER_COUNT),
    ])
    .expect("test library parses")
}

/// A checkout with its own git history, and the same files committed to the fake's `main`.
struct Setup {
    fake: FakeGitHub,
    dir: TempDir,
}

impl Setup {
    async fn new(files: &[(&str, &str)]) -> Setup {
        let fake = FakeGitHub::start().await;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("repo")).unwrap();
        git2::Repository::init(dir.path().join("repo")).expect("git init");
        let setup = Setup { fake, dir };
        setup.commit(files);
        setup
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// Commits `files` in the checkout and pushes the same text to the fake's `main` (as a human).
    fn commit(&self, files: &[(&str, &str)]) {
        let repo = git2::Repository::open(self.root()).unwrap();
        let mut index = repo.index().unwrap();
        for (path, text) in files {
            let full = self.root().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, text).unwrap();
            index.add_path(Path::new(path)).unwrap();
            self.fake.set_file(OWNER, NAME, "main", path, text);
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("Dev", "dev@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "change", &tree, &parents)
            .unwrap();
    }

    fn db(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn options(&self, db: &str) -> PrOptions {
        PrOptions {
            root: self.root(),
            repo: RepoId::new(OWNER, NAME),
            api_url: self.fake.uri(),
            token: "gho_workflow_token".to_owned(),
            database_url: Some(db.to_owned()),
            max_open: 5,
            max_per_run: 5,
            min_confidence: 0.0,
            model: engine::ConfidenceModel::default(),
            dry_run: false,
            validation: Validation::Off,
        }
    }

    /// Runs the job and returns its report and the requests it sent (`METHOD path`), checking every request
    /// against GitHub's REST description.
    async fn run(&self, options: &PrOptions) -> (PrReport, Vec<String>) {
        self.run_with(options, &library()).await
    }

    async fn run_with(&self, options: &PrOptions, library: &Library) -> (PrReport, Vec<String>) {
        let before = self.fake.requests().len();
        let report = app::pr::run(options, library).await.expect("run");
        self.fake.assert_valid();
        let routes = self.fake.routes()[before..].to_vec();
        (report, routes)
    }
}

fn writes(routes: &[String]) -> Vec<String> {
    routes
        .iter()
        .filter(|r| !r.starts_with("GET "))
        .cloned()
        .collect()
}

fn group<'a>(report: &'a PrReport, pattern: &str) -> &'a app::pr::GroupReport {
    report
        .groups
        .iter()
        .find(|g| g.pattern == pattern)
        .unwrap_or_else(|| panic!("no group for {pattern} in {report:#?}"))
}

fn repo_path(rest: &str) -> String {
    format!("/repos/{OWNER}/{NAME}{rest}")
}

/// The write requests of one new fix PR whose commit changes `n_files` files.
fn open_pr_writes(n_files: usize) -> Vec<String> {
    let mut routes = vec![format!("POST {}", repo_path("/git/blobs")); n_files];
    routes.extend([
        format!("POST {}", repo_path("/git/trees")),
        format!("POST {}", repo_path("/git/commits")),
        format!("POST {}", repo_path("/git/refs")),
        format!("POST {}", repo_path("/pulls")),
    ]);
    routes
}

#[tokio::test]
async fn first_run_opens_one_pr_per_pattern_and_a_second_run_none() {
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let db = setup.db("first.db");
    let (report, routes) = setup.run(&setup.options(&db)).await;
    assert!(report.errors.is_empty(), "{report:#?}");
    assert_eq!(report.groups.len(), 2, "{report:#?}");
    // Best group first: m-len-zero (0.9, two files), then m-iter-count (0.8, one file).
    assert_eq!(report.groups[0].pattern, "m-len-zero");
    assert_eq!(report.groups[0].action, Action::Opened);
    assert_eq!(report.groups[0].files, vec!["src/lib.rs", "src/more.rs"]);
    assert_eq!(report.groups[1].pattern, "m-iter-count");
    assert_eq!(report.groups[1].action, Action::Opened);
    let mut expected = open_pr_writes(2);
    expected.extend(open_pr_writes(1));
    assert_eq!(writes(&routes), expected, "all requests: {routes:#?}");
    // The whole conversation: read the repository, its default branch, open and closed PRs; compare the checkout's
    // files with main (the checkout has its own history; each file is read once); then per group blobs →
    // tree → commit → ref → PR.
    let base = &report.base_sha;
    let get = |rest: &str| format!("GET {}", repo_path(rest));
    let post = |rest: &str| format!("POST {}", repo_path(rest));
    assert_eq!(
        routes,
        vec![
            get(""),
            get("/branches/main"),
            // Open PRs, then recently closed ones (for a runner whose store starts empty).
            get("/pulls"),
            get("/pulls"),
            get("/contents/src/lib.rs"),
            get("/contents/src/more.rs"),
            get(&format!("/git/commits/{base}")),
            post("/git/blobs"),
            post("/git/blobs"),
            post("/git/trees"),
            post("/git/commits"),
            get("/git/ref/heads/suture/m-len-zero"),
            post("/git/refs"),
            post("/pulls"),
            // src/lib.rs was read for the first group already.
            get(&format!("/git/commits/{base}")),
            post("/git/blobs"),
            post("/git/trees"),
            post("/git/commits"),
            get("/git/ref/heads/suture/m-iter-count"),
            post("/git/refs"),
            post("/pulls"),
        ]
    );
    let bodies: Vec<serde_json::Value> = setup
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .filter_map(|r| r.body)
        .collect();
    let commit = &bodies[3];
    assert_eq!(commit["parents"], serde_json::json!([base]));
    let message = commit["message"].as_str().unwrap();
    assert!(
        message.starts_with("suture: compare a length with zero through is_empty\n")
            && message.contains(&format!(
                "Suture-Fingerprint: {}",
                report.groups[0].fingerprint
            )),
        "{message}"
    );
    assert_eq!(bodies[4]["ref"], "refs/heads/suture/m-len-zero");
    assert_eq!(bodies[5]["head"], "suture/m-len-zero");
    assert_eq!(bodies[5]["base"], "main");
    assert_eq!(
        bodies[5]["title"],
        "suture: compare a length with zero through is_empty"
    );

    // The PRs carry the provenance and the marker; the branches carry only their own pattern's fix.
    let prs = setup.fake.pull_requests(OWNER, NAME);
    assert_eq!(prs.len(), 2);
    let body = prs[0]["body"].as_str().unwrap();
    let fp = &report.groups[0].fingerprint;
    assert!(
        body.starts_with(&format!(
            "<!-- suture:fingerprint={fp} pattern=m-len-zero base="
        )),
        "{body}"
    );
    for needle in [
        "`m-len-zero` (mined)",
        "`$A.len() == 0` → `$A.is_empty()`",
        "- acme/old [`1111111111111111111111111111111111111111`](https://github.com/acme/old/commit/1111111111111111111111111111111111111111) src/a.rs:3\n",
        "- acme/old [`2222222222222222222222222222222222222222`](https://github.com/acme/old/commit/2222222222222222222222222222222222222222) src/b.rs:9\n",
        "| Found by | a scan of `main` at `",
        "**src/lib.rs:2**: mined pattern m-len-zero (support 2, prevalence 0.90, specialisation 0.90; uncalibrated raw score)",
        "**src/more.rs:2**",
        "-    v.len() == 0\n+    v.is_empty()",
        "| Confidence | 0.90 (",
        "not validated (--no-validate)",
    ] {
        assert!(body.contains(needle), "missing {needle:?} in\n{body}");
    }
    assert_eq!(prs[0]["head"]["ref"], "suture/m-len-zero");
    assert_eq!(prs[0]["base"]["ref"], "main");
    let lib = setup
        .fake
        .file_at(OWNER, NAME, "suture/m-len-zero", "src/lib.rs")
        .unwrap();
    assert!(
        lib.contains("v.is_empty()") && lib.contains("v.iter().count()"),
        "{lib}"
    );
    let lib = setup
        .fake
        .file_at(OWNER, NAME, "suture/m-iter-count", "src/lib.rs")
        .unwrap();
    assert!(
        lib.contains("v.len() == 0") && lib.contains("v.len()\n"),
        "{lib}"
    );

    // A second run, with the same store and with a fresh one (a new CI runner): nothing new.
    for db in [db.clone(), setup.db("fresh.db")] {
        let (report, routes) = setup.run(&setup.options(&db)).await;
        assert!(report.errors.is_empty(), "{report:#?}");
        assert_eq!(
            report.groups.iter().map(|g| g.action).collect::<Vec<_>>(),
            vec![Action::UpToDate, Action::UpToDate],
            "{report:#?}"
        );
        assert_eq!(writes(&routes), Vec::<String>::new(), "{routes:#?}");
        assert_eq!(setup.fake.pull_requests(OWNER, NAME).len(), 2);
    }
}

#[tokio::test]
async fn new_findings_update_the_pr_unless_a_human_pushed_to_its_branch() {
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let db = setup.db("store.db");
    let (report, _) = setup.run(&setup.options(&db)).await;
    let len_pr = group(&report, "m-len-zero").pr.unwrap();
    let count_pr = group(&report, "m-iter-count").pr.unwrap();
    let human = setup
        .fake
        .push_human_commit(OWNER, NAME, "suture/m-len-zero");

    // New findings for both patterns.
    setup.commit(&[(
        "src/new.rs",
        "pub fn f(a: &[u8]) -> (bool, usize) {\n    (a.len() == 0, a.iter().count())\n}\n",
    )]);
    for db in [db.clone(), setup.db("fresh.db")] {
        let (report, routes) = setup.run(&setup.options(&db)).await;
        assert!(report.errors.is_empty(), "{report:#?}");
        let len = group(&report, "m-len-zero");
        assert_eq!(len.action, Action::HumanEdited, "{report:#?}");
        assert_eq!(len.pr, Some(len_pr));
        assert!(len.reason.contains("someone pushed"), "{}", len.reason);
        // The human's commit stays the head of the branch.
        assert_eq!(
            setup.fake.branch_sha(OWNER, NAME, "suture/m-len-zero"),
            Some(human.clone())
        );
        // Nothing is written for it; the other PR is updated only on the first of these runs.
        assert!(
            routes
                .iter()
                .all(|r| !r.contains(&format!("/pulls/{len_pr}"))
                    && !r.contains("heads/suture/m-len-zero")),
            "{routes:#?}"
        );
        let count = group(&report, "m-iter-count");
        if db.ends_with("store.db") {
            assert_eq!(count.action, Action::Updated, "{report:#?}");
            assert_eq!(
                writes(&routes),
                vec![
                    format!("POST {}", repo_path("/git/blobs")),
                    format!("POST {}", repo_path("/git/blobs")),
                    format!("POST {}", repo_path("/git/trees")),
                    format!("POST {}", repo_path("/git/commits")),
                    format!("PATCH {}", repo_path("/git/refs/heads/suture/m-iter-count")),
                    format!("PATCH {}", repo_path(&format!("/pulls/{count_pr}"))),
                ],
                "{routes:#?}"
            );
            let new = setup
                .fake
                .file_at(OWNER, NAME, "suture/m-iter-count", "src/new.rs")
                .unwrap();
            assert!(new.contains("a.len())"), "{new}");
        } else {
            assert_eq!(count.action, Action::UpToDate, "{report:#?}");
            assert_eq!(writes(&routes), Vec::<String>::new());
        }
    }
    assert_eq!(setup.fake.pull_requests(OWNER, NAME).len(), 2);
}

#[tokio::test]
async fn caps_limit_new_prs_and_report_the_rest() {
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let db = setup.db("store.db");
    let mut options = setup.options(&db);
    options.max_per_run = 1;
    let (report, routes) = setup.run(&options).await;
    assert_eq!(group(&report, "m-len-zero").action, Action::Opened);
    let skipped = group(&report, "m-iter-count");
    assert_eq!(skipped.action, Action::Skipped);
    assert_eq!(skipped.reason, "this run opened 1 PRs, --max-per-run is 1");
    assert_eq!(writes(&routes), open_pr_writes(2));

    options.max_per_run = 5;
    options.max_open = 1;
    let (report, routes) = setup.run(&options).await;
    assert_eq!(group(&report, "m-len-zero").action, Action::UpToDate);
    let skipped = group(&report, "m-iter-count");
    assert_eq!(skipped.action, Action::Skipped);
    assert_eq!(skipped.reason, "1 suture PRs are open, --max-open is 1");
    assert_eq!(writes(&routes), Vec::<String>::new());
    assert_eq!(setup.fake.pull_requests(OWNER, NAME).len(), 1);
}

#[tokio::test]
async fn a_merged_pr_whose_checks_fail_gets_one_revert_pr() {
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let db = setup.db("store.db");
    let mut options = setup.options(&db);
    options.max_per_run = 1;
    let (report, _) = setup.run(&options).await;
    let number = group(&report, "m-len-zero").pr.unwrap();
    setup.fake.close_pull_request(OWNER, NAME, number, true);
    let merged = setup.fake.pull_requests(OWNER, NAME)[0].clone();
    let merge_sha = merged["merge_commit_sha"].as_str().unwrap().to_owned();
    setup
        .fake
        .set_check_runs(OWNER, NAME, &merge_sha, "failure");
    setup.fake.set_pr_files(
        OWNER,
        NAME,
        number,
        &[
            ("src/lib.rs", "modified", None),
            ("src/more.rs", "modified", None),
        ],
    );

    let (report, routes) = setup.run(&options).await;
    assert!(report.errors.is_empty(), "{report:#?}");
    assert_eq!(report.reverts.len(), 1, "{report:#?}");
    let revert = &report.reverts[0];
    assert_eq!(revert.of, number);
    assert_eq!(revert.merge_sha, merge_sha);
    assert_eq!(revert.action, RevertAction::Opened);
    // The checkout still has the unfixed code and GitHub's main has the merged fix, so neither group is
    // built on main: their files differ from the checkout's.
    for pattern in ["m-len-zero", "m-iter-count"] {
        let skipped = group(&report, pattern);
        assert_eq!(skipped.action, Action::Skipped, "{report:#?}");
        assert!(
            skipped
                .reason
                .starts_with("src/lib.rs differs between the checkout and"),
            "{}",
            skipped.reason
        );
    }
    let revert_pr = revert.pr.unwrap();
    let mut expected = vec![format!("POST {}", repo_path("/git/blobs")); 2];
    expected.extend([
        format!("POST {}", repo_path("/git/trees")),
        format!("POST {}", repo_path("/git/commits")),
        format!("POST {}", repo_path("/git/refs")),
        format!("POST {}", repo_path("/pulls")),
    ]);
    assert_eq!(writes(&routes), expected, "{routes:#?}");
    assert!(
        routes.contains(&format!(
            "GET {}",
            repo_path(&format!("/commits/{merge_sha}/check-runs"))
        )),
        "{routes:#?}"
    );
    for (path, text) in [("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)] {
        assert_eq!(
            setup
                .fake
                .file_at(OWNER, NAME, &format!("suture/revert-{number}"), path)
                .as_deref(),
            Some(text)
        );
    }
    let prs = setup.fake.pull_requests(OWNER, NAME);
    let revert_json = prs
        .iter()
        .find(|p| p["number"] == revert_pr)
        .expect("the revert PR");
    assert_eq!(revert_json["title"], format!("Revert suture PR #{number}"));
    assert!(
        revert_json["body"]
            .as_str()
            .unwrap()
            .starts_with(&format!("<!-- suture:revert={number} -->"))
    );

    // Only one: later runs see the revert (open on GitHub, and in the store).
    let n_prs = prs.len();
    let (report, routes) = setup.run(&options).await;
    assert_eq!(writes(&routes), Vec::<String>::new(), "{routes:#?}");
    assert_eq!(report.reverts.len(), 1);
    assert_eq!(report.reverts[0].action, RevertAction::AlreadyOpened);
    assert_eq!(setup.fake.pull_requests(OWNER, NAME).len(), n_prs);
}

#[tokio::test]
async fn dry_run_sends_no_write_request() {
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let mut options = setup.options(&setup.db("store.db"));
    options.dry_run = true;
    options.database_url = None;
    let (report, routes) = setup.run(&options).await;
    assert!(report.dry_run);
    assert_eq!(
        report.groups.iter().map(|g| g.action).collect::<Vec<_>>(),
        vec![Action::Opened, Action::Opened]
    );
    assert_eq!(report.groups[0].reason, "new PR on `suture/m-len-zero`");
    assert!(!routes.is_empty());
    assert_eq!(writes(&routes), Vec::<String>::new(), "{routes:#?}");
    assert!(setup.fake.pull_requests(OWNER, NAME).is_empty());
    // No store was created in the checkout either.
    assert!(!setup.root().join(".suture").exists());
}

#[tokio::test]
async fn a_group_that_does_not_compile_gets_no_pr() {
    let manifest =
        "[package]\nname = \"widgets\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n";
    let setup = Setup::new(&[
        ("Cargo.toml", manifest),
        ("src/lib.rs", LIB_RS),
        ("src/more.rs", MORE_RS),
    ])
    .await;
    // `mod more;` is missing on purpose: more.rs is not compiled, so only lib.rs matters to cargo.
    let mut options = setup.options(&setup.db("store.db"));
    let target = setup.dir.path().join("target");
    options.validation = Validation::CargoCheck {
        timeout: Duration::from_secs(300),
        target_dir: target,
    };
    let broken = LEN_ZERO.replace("$A.is_empty()", "$A.is_empty_or_not()");
    let library = pipeline::library_from_texts(&[
        ("m-len-zero.toml", broken.as_str()),
        ("m-iter-count.toml", ITER_COUNT),
    ])
    .unwrap();
    let before = setup.fake.requests().len();
    let report = app::pr::run(&options, &library).await.expect("run");
    setup.fake.assert_valid();
    let routes = setup.fake.routes()[before..].to_vec();
    let len = group(&report, "m-len-zero");
    assert_eq!(len.action, Action::ValidationFailed, "{report:#?}");
    assert!(
        len.reason
            .starts_with("`cargo check --workspace --all-targets` failed (exit 101): error"),
        "{}",
        len.reason
    );
    let count = group(&report, "m-iter-count");
    assert_eq!(count.action, Action::Opened, "{report:#?}");
    assert!(
        count
            .validation
            .as_deref()
            .unwrap()
            .starts_with("`cargo check --workspace --all-targets` passed in"),
        "{count:#?}"
    );
    assert_eq!(writes(&routes), open_pr_writes(1));
    let body = setup.fake.pull_requests(OWNER, NAME)[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        body.contains("| Validation | `cargo check --workspace --all-targets` passed in"),
        "{body}"
    );
}

#[tokio::test]
async fn merge_records_rank_groups_against_the_threshold() {
    use store::server::{FixKind, FixRecord};
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let db = setup.db("store.db");
    {
        // m-len-zero: 3 merged fixes; m-iter-count: 3 closed unmerged.
        let mut store = store::server::connect(&db).unwrap();
        for (pr, pattern, merged) in [
            (101, "m-len-zero", true),
            (102, "m-len-zero", true),
            (103, "m-len-zero", true),
            (104, "m-iter-count", false),
            (105, "m-iter-count", false),
            (106, "m-iter-count", false),
        ] {
            store
                .record_fix(&FixRecord {
                    repo: format!("{OWNER}/{NAME}"),
                    pr,
                    fingerprint: format!("fp-{pr}"),
                    pattern: pattern.to_owned(),
                    kind: FixKind::Review,
                })
                .unwrap();
            store
                .record_outcome(&format!("{OWNER}/{NAME}"), pr, merged)
                .unwrap();
        }
    }
    let mut options = setup.options(&db);
    options.min_confidence = 0.5;
    let (report, routes) = setup.run(&options).await;
    // The records are evidence for the model, its own estimate worth two observations:
    // m-len-zero (0.9 × 2 + 3) / (2 + 3) = 0.96; m-iter-count (0.8 × 2 + 0) / (2 + 3) = 0.32 < 0.5.
    assert_eq!(report.groups.len(), 1, "{report:#?}");
    assert_eq!(report.groups[0].pattern, "m-len-zero");
    assert_eq!(report.groups[0].confidence, 0.96);
    assert_eq!(report.below_threshold, 1);
    assert_eq!(writes(&routes), open_pr_writes(2));
    let body = setup.fake.pull_requests(OWNER, NAME)[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        body.contains("| Confidence | 0.96 (the best fix's probability (uncalibrated raw score), with this pattern's record as evidence: 3 merged, 0 closed) |"),
        "{body}"
    );
}

#[tokio::test]
async fn a_pr_closed_unmerged_is_not_opened_again() {
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let db = setup.db("store.db");
    let (report, _) = setup.run(&setup.options(&db)).await;
    let number = group(&report, "m-len-zero").pr.unwrap();
    setup.fake.close_pull_request(OWNER, NAME, number, false);

    let (report, routes) = setup.run(&setup.options(&db)).await;
    assert!(report.errors.is_empty(), "{report:#?}");
    let closed = group(&report, "m-len-zero");
    assert_eq!(closed.action, Action::Skipped, "{report:#?}");
    assert_eq!(
        closed.reason,
        format!("PR #{number} with these exact fixes was closed without merging before")
    );
    assert_eq!(group(&report, "m-iter-count").action, Action::UpToDate);
    // What became of the PR is asked once; nothing is written.
    assert_eq!(
        routes
            .iter()
            .filter(|r| **r == format!("GET {}", repo_path(&format!("/pulls/{number}"))))
            .count(),
        1,
        "{routes:#?}"
    );
    assert_eq!(writes(&routes), Vec::<String>::new(), "{routes:#?}");
    // The closed PR counts against its pattern.
    let mut store = store::server::connect(&db).unwrap();
    let stats = store.pattern_stats().unwrap();
    let len = stats.iter().find(|s| s.pattern == "m-len-zero").unwrap();
    assert_eq!(
        (len.proposed, len.merged, len.closed),
        (1, 0, 1),
        "{stats:#?}"
    );
}

#[tokio::test]
async fn ignored_fixes_and_groups_are_not_proposed() {
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let db = setup.db("store.db");
    let repo = format!("{OWNER}/{NAME}");
    {
        let mut store = store::server::connect(&db).unwrap();
        // `@suture ignore` on a review of one fix, and on a whole group.
        let one = app::review::fingerprint(&repo, "src/more.rs", "m-len-zero", "s.len() == 0");
        store.set_ignored(&repo, &one, true).unwrap();
        let group = app::pr::body::fingerprint(
            "m-iter-count",
            &[("src/lib.rs", "v.iter().count()", "v.len()")],
        );
        store.set_ignored(&repo, &group, true).unwrap();
    }
    let (report, routes) = setup.run(&setup.options(&db)).await;
    assert_eq!(report.ignored_fixes, 1);
    let len = group(&report, "m-len-zero");
    assert_eq!(len.action, Action::Opened);
    assert_eq!(len.files, vec!["src/lib.rs"]);
    let count = group(&report, "m-iter-count");
    assert_eq!(count.action, Action::Ignored, "{report:#?}");
    assert_eq!(writes(&routes), open_pr_writes(1));
}

#[tokio::test]
async fn a_checkout_subdirectory_commits_repository_paths() {
    let setup = Setup::new(&[("app/src/lib.rs", LIB_RS)]).await;
    let mut options = setup.options(&setup.db("store.db"));
    options.root = setup.root().join("app");
    options.max_per_run = 1;
    let (report, routes) = setup.run(&options).await;
    let len = group(&report, "m-len-zero");
    assert_eq!(len.action, Action::Opened, "{report:#?}");
    assert_eq!(len.files, vec!["app/src/lib.rs"]);
    assert!(routes.contains(&format!("GET {}", repo_path("/contents/app/src/lib.rs"))));
    let fixed = setup
        .fake
        .file_at(OWNER, NAME, "suture/m-len-zero", "app/src/lib.rs")
        .unwrap();
    assert!(fixed.contains("v.is_empty()"), "{fixed}");
    let body = setup.fake.pull_requests(OWNER, NAME)[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(body.contains("**app/src/lib.rs:2**"), "{body}");
}

/// A scheduled runner starts with an empty store: what became of suture's PRs is learned from GitHub.
#[tokio::test]
async fn a_fresh_store_learns_closed_and_merged_prs_from_github() {
    let setup = Setup::new(&[("src/lib.rs", LIB_RS), ("src/more.rs", MORE_RS)]).await;
    let (report, _) = setup.run(&setup.options(&setup.db("first.db"))).await;
    let len_zero = group(&report, "m-len-zero").pr.unwrap();
    let iter_count = group(&report, "m-iter-count").pr.unwrap();
    // One PR is closed unmerged; the other is merged, and the default branch's checks then fail.
    setup.fake.close_pull_request(OWNER, NAME, len_zero, false);
    setup.fake.close_pull_request(OWNER, NAME, iter_count, true);
    let merged = setup
        .fake
        .pull_requests(OWNER, NAME)
        .into_iter()
        .find(|p| p["number"] == iter_count)
        .unwrap();
    let merge_sha = merged["merge_commit_sha"].as_str().unwrap().to_owned();
    setup
        .fake
        .set_check_runs(OWNER, NAME, &merge_sha, "failure");
    setup
        .fake
        .set_pr_files(OWNER, NAME, iter_count, &[("src/lib.rs", "modified", None)]);

    let (report, _) = setup.run(&setup.options(&setup.db("second.db"))).await;
    assert!(report.errors.is_empty(), "{report:#?}");
    let closed = group(&report, "m-len-zero");
    assert_eq!(closed.action, Action::Skipped, "{report:#?}");
    assert_eq!(
        closed.reason,
        format!("PR #{len_zero} with these exact fixes was closed without merging before")
    );
    assert_eq!(report.reverts.len(), 1, "{report:#?}");
    assert_eq!(report.reverts[0].of, iter_count);
    assert_eq!(report.reverts[0].action, RevertAction::Opened);
    // Its outcome counts against the pattern in the new store too.
    let mut store = store::server::connect(&setup.db("second.db")).unwrap();
    let stats = store.pattern_stats().unwrap();
    let len = stats.iter().find(|s| s.pattern == "m-len-zero").unwrap();
    assert_eq!((len.proposed, len.merged, len.closed), (1, 0, 1));

    // A third runner, empty again, finds the revert open and opens nothing.
    let n_prs = setup.fake.pull_requests(OWNER, NAME).len();
    let (report, routes) = setup.run(&setup.options(&setup.db("third.db"))).await;
    assert_eq!(writes(&routes), Vec::<String>::new(), "{routes:#?}");
    assert_eq!(report.reverts[0].action, RevertAction::AlreadyOpened);
    assert_eq!(setup.fake.pull_requests(OWNER, NAME).len(), n_prs);
}

const MIGRATION: &str = r#"
id = "m-legacy"
origin = "mined"
before = "legacy_parse($A)"
after = "parse($A)"
support = 3
score = 0.2
prevalence = 0.6
specialisation = 0.4

[migration]
status = "in-progress"
migrated = 3
remaining = 2
commits = 3
authors = ["Ada", "Grace"]
first = 1700000000
last = 1700100000
started_by = ["4444444444444444444444444444444444444444", "5555555555555555555555555555555555555555"]
deprecated = ["legacy_parse"]
"#;

#[tokio::test]
async fn a_migration_is_one_pr_that_says_who_started_it_and_what_is_left() {
    let code = "pub fn a(s: &str) -> Option<u32> {\n    legacy_parse(s)\n}\n\npub fn b(s: &str) -> Option<u32> {\n    legacy_parse(s.trim())\n}\n";
    let setup = Setup::new(&[("src/lib.rs", code)]).await;
    let db = setup.db("migration.db");
    let library = pipeline::library_from_texts(&[("m-legacy.toml", MIGRATION)]).unwrap();
    let (report, _) = setup.run_with(&setup.options(&db), &library).await;
    assert!(report.errors.is_empty(), "{report:#?}");
    assert_eq!(report.groups.len(), 1, "{report:#?}");
    assert_eq!(report.groups[0].action, Action::Opened);
    assert_eq!(report.groups[0].fixes, 2);
    let pr = &setup.fake.pull_requests(OWNER, NAME)[0];
    assert_eq!(
        pr["title"],
        "suture: finish the migration `legacy_parse($A)` → `parse($A)` (2 sites)"
    );
    let body = pr["body"].as_str().unwrap();
    for needle in [
        "**Finishes a migration this repository started**: 3 of 5 sites migrated since 2023-11-14, by 2 authors; this PR changes the 2 sites left.",
        "- started by `4444444444444444444444444444444444444444`, `5555555555555555555555555555555555555555`",
        "- authors: Ada, Grace",
        "- `#[deprecated]` here: `legacy_parse`",
    ] {
        assert!(body.contains(needle), "missing {needle:?} in\n{body}");
    }
}
