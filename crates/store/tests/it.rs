//! Tests of the SQLite store, on in-memory stores and on real files in temporary directories.
//! The schema checks read the file with a second, raw rusqlite connection so that they see what
//! is on disk rather than what the store reports about itself.

use std::collections::HashSet;

use store::{Error, MinedCommit, SCHEMA_VERSION, SkippedEdit, StoredEdit};
use tempfile::TempDir;

const REPO: &str = "/repos/demo";

fn edit(commit: &str, time: i64, path: &str, line: u32, before: &str, after: &str) -> StoredEdit {
    StoredEdit {
        commit: commit.to_owned(),
        time,
        path: path.to_owned(),
        line,
        before: before.to_owned(),
        after: after.to_owned(),
        before_kind: "call_expression".to_owned(),
        after_kind: "try_expression".to_owned(),
        // Both a known and an unknown context go through the store.
        parent_kind: line.is_multiple_of(2).then(|| "block".to_owned()),
    }
}

fn skipped(commit: &str, path: &str, line: u32, reason: &str) -> SkippedEdit {
    SkippedEdit {
        commit: commit.to_owned(),
        path: path.to_owned(),
        line,
        reason: reason.to_owned(),
    }
}

/// A commit `id` at `time` with one edit per `(path, line)`.
fn commit(id: &str, time: i64, edits: &[(&str, u32)]) -> MinedCommit {
    MinedCommit {
        id: id.to_owned(),
        time,
        edits: edits
            .iter()
            .map(|(path, line)| edit(id, time, path, *line, "x.unwrap()", "x?"))
            .collect(),
        skipped: vec![skipped(id, "big.rs", 1, "binary file")],
    }
}

/// `commit@path:line` for each edit, to compare orders at a glance.
fn places(edits: &[StoredEdit]) -> Vec<String> {
    edits
        .iter()
        .map(|e| format!("{}@{}:{}", e.commit, e.path, e.line))
        .collect()
}

fn ids(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn round_trip_in_deterministic_order() {
    let mut store = store::open_in_memory().unwrap();
    assert_eq!(store.mined_commits(REPO).unwrap(), HashSet::new());
    assert_eq!(store.count_edits(REPO).unwrap(), 0);

    // Recorded out of order: the later commit first, its edits unsorted.
    store
        .record_commit(
            REPO,
            &commit("bbb", 200, &[("z.rs", 1), ("a.rs", 9), ("a.rs", 2)]),
        )
        .unwrap();
    store
        .record_commit(REPO, &commit("ccc", 100, &[("m.rs", 5)]))
        .unwrap();
    // Same time as `bbb`: the commit id breaks the tie.
    store
        .record_commit(REPO, &commit("aaa", 200, &[("q.rs", 3)]))
        .unwrap();
    store
        .record_commit(REPO, &commit("empty", 50, &[]))
        .unwrap();
    store
        .record_commit("/repos/other", &commit("ddd", 1, &[("o.rs", 1)]))
        .unwrap();

    let edits = store.edits(REPO).unwrap();
    assert_eq!(
        places(&edits),
        [
            "ccc@m.rs:5",
            "aaa@q.rs:3",
            "bbb@a.rs:2",
            "bbb@a.rs:9",
            "bbb@z.rs:1"
        ]
    );
    assert_eq!(edits[0], edit("ccc", 100, "m.rs", 5, "x.unwrap()", "x?"));
    assert_eq!(store.count_edits(REPO).unwrap(), 5);
    assert_eq!(
        store.mined_commits(REPO).unwrap(),
        ids(&["aaa", "bbb", "ccc", "empty"])
    );
    let skipped_commits: Vec<String> = store
        .skipped(REPO)
        .unwrap()
        .into_iter()
        .map(|s| s.commit)
        .collect();
    assert_eq!(skipped_commits, ["empty", "ccc", "aaa", "bbb"]);
    assert_eq!(
        store.skipped("/repos/other").unwrap(),
        [skipped("ddd", "big.rs", 1, "binary file")]
    );
    assert_eq!(store.count_edits("/repos/other").unwrap(), 1);
    assert_eq!(store.count_edits("/repos/unknown").unwrap(), 0);
}

#[test]
fn recording_a_commit_again_replaces_its_rows() {
    let mut store = store::open_in_memory().unwrap();
    store
        .record_commit(REPO, &commit("aaa", 10, &[("a.rs", 1), ("a.rs", 2)]))
        .unwrap();
    store
        .record_commit(REPO, &commit("bbb", 20, &[("b.rs", 1)]))
        .unwrap();
    let again = commit("aaa", 10, &[("a.rs", 7)]);
    store.record_commit(REPO, &again).unwrap();
    store.record_commit(REPO, &again).unwrap();

    assert_eq!(
        places(&store.edits(REPO).unwrap()),
        ["aaa@a.rs:7", "bbb@b.rs:1"]
    );
    assert_eq!(store.skipped(REPO).unwrap().len(), 2);
    assert_eq!(store.mined_commits(REPO).unwrap(), ids(&["aaa", "bbb"]));
}

/// Mining records the commits that arrive together in one transaction: a bad row in any of them leaves none of
/// them recorded, so that the next run mines them all again.
#[test]
fn a_batch_of_commits_lands_whole_or_not_at_all() {
    let mut store = store::open_in_memory().unwrap();
    let good = [
        commit("aaa", 10, &[("a.rs", 1)]),
        commit("bbb", 20, &[("b.rs", 2), ("b.rs", 3)]),
    ];
    store.record_commits(REPO, &good).unwrap();
    assert_eq!(
        places(&store.edits(REPO).unwrap()),
        ["aaa@a.rs:1", "bbb@b.rs:2", "bbb@b.rs:3"]
    );

    let mut bad = commit("ddd", 40, &[("d.rs", 1)]);
    bad.edits[0].commit = "zzz".to_owned();
    let batch = [commit("ccc", 30, &[("c.rs", 1)]), bad];
    let err = store.record_commits(REPO, &batch).unwrap_err();
    assert_eq!(
        err.to_string(),
        "edit at `d.rs:1` names commit zzz, but is recorded under commit ddd"
    );
    assert_eq!(store.mined_commits(REPO).unwrap(), ids(&["aaa", "bbb"]));
    assert_eq!(store.count_edits(REPO).unwrap(), 3);
    store.record_commits(REPO, &[]).unwrap();
    assert_eq!(store.mined_commits(REPO).unwrap(), ids(&["aaa", "bbb"]));
}

#[test]
fn a_failing_record_leaves_nothing_behind() {
    let mut store = store::open_in_memory().unwrap();
    let original = commit("aaa", 10, &[("a.rs", 1)]);
    store.record_commit(REPO, &original).unwrap();

    // Re-recording `aaa` deletes its old rows and inserts a valid edit before it reaches the
    // bad one; all of that must be rolled back.
    let mut bad = commit("aaa", 10, &[("new.rs", 1), ("new.rs", 2)]);
    bad.edits[1].commit = "zzz".to_owned();
    let err = store.record_commit(REPO, &bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "edit at `new.rs:2` names commit zzz, but is recorded under commit aaa"
    );
    assert_eq!(store.edits(REPO).unwrap(), original.edits);
    assert_eq!(store.skipped(REPO).unwrap(), original.skipped);

    // A new commit whose last skipped edit is bad must not appear at all, so that the next run
    // mines it again.
    let mut bad = commit("bbb", 20, &[("b.rs", 1)]);
    bad.skipped.push(skipped("yyy", "c.rs", 4, "parse error"));
    let err = store.record_commit(REPO, &bad).unwrap_err();
    assert!(matches!(err, Error::WrongCommit { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "skipped edit at `c.rs:4` names commit yyy, but is recorded under commit bbb"
    );

    let mut bad = commit("ccc", 30, &[("c.rs", 1)]);
    bad.edits[0].time = 31;
    let err = store.record_commit(REPO, &bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "edit at `c.rs:1` has time 31, but its commit ccc has time 30"
    );

    assert_eq!(store.mined_commits(REPO).unwrap(), ids(&["aaa"]));
    assert_eq!(store.count_edits(REPO).unwrap(), 1);
    assert_eq!(store.skipped(REPO).unwrap(), original.skipped);
}

#[test]
fn a_file_store_persists_and_migrates_once() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nested/dirs/suture.db");
    {
        let mut store = store::open(&path).unwrap();
        store
            .record_commit(REPO, &commit("aaa", 10, &[("a.rs", 1)]))
            .unwrap();
    }
    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = raw
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let journal: String = raw
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    drop(raw);

    // Running a migration twice would fail (its CREATE TABLEs have no IF NOT EXISTS), so
    // reopening also proves that the version gate works.
    let store = store::open(&path).unwrap();
    assert_eq!(store.mined_commits(REPO).unwrap(), ids(&["aaa"]));
    assert_eq!(places(&store.edits(REPO).unwrap()), ["aaa@a.rs:1"]);
    drop(store);
    let store = store::open(&path).unwrap();
    assert_eq!(store.count_edits(REPO).unwrap(), 1);
}

#[test]
fn a_store_mined_before_edits_had_context_is_mined_again() {
    // A version-4 store: edits without `parent_kind`. Opening it with this build empties the mining cache,
    // so that the next mine records every commit with its edits' context; what else it holds stays.
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("suture.db");
    {
        let mut store = store::open(&path).unwrap();
        store
            .record_commit(REPO, &commit("aaa", 10, &[("a.rs", 1)]))
            .unwrap();
        let entry = store::NewAudit {
            run: "run-1".to_owned(),
            at: 1_700_000_000,
            step: "trace".to_owned(),
            actor: "suture".to_owned(),
            subject: "src/lib.rs:3".to_owned(),
            reason: "panic site".to_owned(),
            commit: None,
            data: "{}".to_owned(),
        };
        store.record_audit(&entry).unwrap();
    }
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("ALTER TABLE edit DROP COLUMN parent_kind; PRAGMA user_version = 4;")
        .unwrap();
    drop(raw);
    let mut store = store::open(&path).unwrap();
    assert!(store.mined_commits(REPO).unwrap().is_empty());
    assert_eq!(store.count_edits(REPO).unwrap(), 0);
    assert_eq!(store.audit(Some("run-1"), 10).unwrap().len(), 1);
    store
        .record_commit(REPO, &commit("aaa", 10, &[("a.rs", 2)]))
        .unwrap();
    let edits = store.edits(REPO).unwrap();
    assert_eq!(edits[0].parent_kind.as_deref(), Some("block"));
}

/// The mining store creates only its own tables (mining, audit, `suture watch`); the server's tables are
/// the server store's (see `tests/server.rs`), even in a file the two share.
#[test]
fn a_new_store_has_only_the_mining_tables() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("suture.db");
    drop(store::open(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    let tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "audit",
            "edit",
            "mined_commit",
            "skipped_edit",
            "watch_count",
            "watch_fix",
            "watch_group",
            "watch_source"
        ]
    );
}

#[test]
fn a_store_from_a_newer_build_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("suture.db");
    drop(store::open(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(raw);
    let err = store::open(&path).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "store `{}` has schema version {}, newer than version {} that this build understands",
            path.display(),
            SCHEMA_VERSION + 1,
            SCHEMA_VERSION
        )
    );
}

#[test]
fn open_errors_name_the_path() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "plain file").unwrap();
    let path = file.join("suture.db");
    let err = store::open(&path).err().unwrap();
    assert!(matches!(err, Error::CreateDir { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot create directory `{}` for store `{}`",
            file.display(),
            path.display()
        )
    );

    // A file that is not a database is reported when it is first read, with its path.
    let err = store::open(&file).err().unwrap();
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot open store `{}`", file.display())
    );
}

#[test]
fn audit_trail_round_trips_in_order_and_rejects_bad_json() {
    let mut store = store::open_in_memory().unwrap();
    let entry = |run: &str, step: &str| store::NewAudit {
        run: run.to_owned(),
        at: 1_700_000_000,
        step: step.to_owned(),
        actor: "suture".to_owned(),
        subject: "src/lib.rs:3".to_owned(),
        reason: "panic site".to_owned(),
        commit: Some("abc".to_owned()),
        data: "{\"rank\": 0}".to_owned(),
    };
    for (run, step) in [
        ("r1", "trace"),
        ("r1", "located"),
        ("r2", "trace"),
        ("r1", "decided"),
    ] {
        store.record_audit(&entry(run, step)).unwrap();
    }
    let steps: Vec<String> = store
        .audit(Some("r1"), 100)
        .unwrap()
        .into_iter()
        .map(|r| r.entry.step)
        .collect();
    assert_eq!(steps, ["trace", "located", "decided"]);
    let last_two: Vec<String> = store
        .audit(None, 2)
        .unwrap()
        .into_iter()
        .map(|r| r.entry.run)
        .collect();
    assert_eq!(last_two, ["r2", "r1"]);
    assert_eq!(store.last_run().unwrap().as_deref(), Some("r1"));
    let mut bad = entry("r3", "trace");
    bad.data = "not json".to_owned();
    assert!(store.record_audit(&bad).is_err());
    assert!(store.audit(Some("r3"), 10).unwrap().is_empty());
}

/// `suture watch`'s tables: a second run's observations merge into the group (seen times widened, counts
/// and hourly counts added), fixes and log offsets are kept, and all of it survives reopening the file.
#[test]
fn watch_groups_merge_across_runs() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("suture.db");
    let group = |first: i64, last: i64, count: u64, message: &str| store::WatchGroup {
        fingerprint: "0123456789abcdef".to_owned(),
        kind: "divide-by-zero".to_owned(),
        message: message.to_owned(),
        frames: r#"[{"file":"src/lib.rs","line":2,"function":"ratio"}]"#.to_owned(),
        first_seen: first,
        last_seen: last,
        count,
    };
    let source = |offset| store::WatchSource {
        path: "/var/log/shop.log".to_owned(),
        head: "abc".to_owned(),
        offset,
    };
    {
        let mut s = store::open(&path).unwrap();
        s.record_watch(
            &[(group(7200, 7300, 3, "old"), vec![(2, 3)])],
            &[source(10)],
        )
        .unwrap();
        s.record_watch(
            &[(group(3600, 10_900, 4, "new"), vec![(1, 1), (2, 1), (3, 2)])],
            &[source(99)],
        )
        .unwrap();
        s.record_watch_fix("0123456789abcdef", 11_000, "applied", None, "tests::t")
            .unwrap();
    }
    let s = store::open(&path).unwrap();
    assert_eq!(
        s.watch_group("0123456789abcdef").unwrap(),
        Some(group(3600, 10_900, 7, "new"))
    );
    assert_eq!(
        s.watch_counts("0123456789abcdef", 2).unwrap(),
        [(2, 4), (3, 2)]
    );
    assert_eq!(s.watch_last_fix("0123456789abcdef").unwrap(), Some(11_000));
    assert_eq!(s.watch_last_fix("ffffffffffffffff").unwrap(), None);
    assert_eq!(
        s.watch_source("/var/log/shop.log").unwrap(),
        Some(source(99))
    );
    assert_eq!(s.watch_group("ffffffffffffffff").unwrap(), None);
}
