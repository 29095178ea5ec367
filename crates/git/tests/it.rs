//! Tests of the `git` adapter against real repositories built with git2 in temporary
//! directories, so that ranges, hunks and blob classification are checked against libgit2
//! itself rather than against a fake. The shallow-clone test shells out to the `git` CLI
//! because git2 cannot create shallow clones of local repositories.

use std::path::Path;
use std::process::Command;

use expect_test::{Expect, expect};
use git::{BlobText, Error, Hunk, Limits};
use git2::build::TreeUpdateBuilder;
use git2::{FileMode, Oid, Repository, Signature, Time};
use tempfile::TempDir;

/// A repository under construction. Each commit gets a time one minute after the previous one
/// so that the walk order is deterministic.
struct Fixture {
    dir: TempDir,
    repo: Repository,
    n_commits: i64,
}

/// A change to one path: write these bytes, write a symlink, or remove the path.
enum Change<'a> {
    Write(&'a [u8]),
    Link(&'a str),
    Remove,
}
use Change::*;

impl Fixture {
    fn new() -> Fixture {
        let dir = TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        Fixture {
            dir,
            repo,
            n_commits: 0,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn open(&self) -> git::Repo {
        git::open(self.path()).unwrap()
    }

    /// Commits `changes` on top of `HEAD` and moves `HEAD` (its branch) to the new commit.
    fn commit(&mut self, summary: &str, changes: &[(&str, Change<'_>)]) -> Oid {
        let parents: Vec<Oid> = self
            .repo
            .head()
            .ok()
            .and_then(|head| head.target())
            .into_iter()
            .collect();
        self.commit_with_parents(summary, &parents, changes, Some("HEAD"))
    }

    /// Commits `changes` on top of the tree of the first of `parents` without moving any ref
    /// unless `update_ref` says so.
    fn commit_with_parents(
        &mut self,
        summary: &str,
        parents: &[Oid],
        changes: &[(&str, Change<'_>)],
        update_ref: Option<&str>,
    ) -> Oid {
        let base = match parents.first() {
            Some(parent) => self.repo.find_commit(*parent).unwrap().tree().unwrap(),
            None => {
                let empty = self.repo.treebuilder(None).unwrap().write().unwrap();
                self.repo.find_tree(empty).unwrap()
            }
        };
        let mut update = TreeUpdateBuilder::new();
        for (path, change) in changes {
            match change {
                Write(bytes) => {
                    let blob = self.repo.blob(bytes).unwrap();
                    update.upsert(*path, blob, FileMode::Blob);
                }
                Link(target) => {
                    let blob = self.repo.blob(target.as_bytes()).unwrap();
                    update.upsert(*path, blob, FileMode::Link);
                }
                Remove => {
                    update.remove(*path);
                }
            }
        }
        let tree = update.create_updated(&self.repo, &base).unwrap();
        let tree = self.repo.find_tree(tree).unwrap();
        self.n_commits += 1;
        let time = Time::new(1_700_000_000 + 60 * self.n_commits, 0);
        let sig = Signature::new("Test", "test@example.com", &time).unwrap();
        let parents: Vec<_> = parents
            .iter()
            .map(|oid| self.repo.find_commit(*oid).unwrap())
            .collect();
        let parents: Vec<_> = parents.iter().collect();
        self.repo
            .commit(update_ref, &sig, &sig, summary, &tree, &parents)
            .unwrap()
    }
}

fn summaries(commits: &[git::CommitInfo]) -> Vec<&str> {
    commits.iter().map(|c| c.summary.as_str()).collect()
}

fn text(blob: &BlobText) -> &str {
    blob.text().unwrap()
}

/// Commits `before` and then `after` as `src/lib.rs` and checks the hunks of the second commit.
#[track_caller]
fn check_hunks(before: &str, after: &str, expected: Expect) {
    let mut fx = Fixture::new();
    fx.commit("before", &[("src/lib.rs", Write(before.as_bytes()))]);
    let id = fx.commit("after", &[("src/lib.rs", Write(after.as_bytes()))]);
    let changes = fx
        .open()
        .changed_rust_files(&id.to_string(), &Limits::default())
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(text(&changes[0].before), before);
    assert_eq!(text(&changes[0].after), after);
    let hunks: Vec<String> = changes[0]
        .hunks
        .iter()
        .map(|h| {
            format!(
                "-{},{} +{},{}",
                h.before_start, h.before_len, h.after_start, h.after_len
            )
        })
        .collect();
    expected.assert_eq(&hunks.join("\n"));
}

#[test]
fn one_line_change() {
    check_hunks(
        "fn a() {}\nfn b() {}\nfn c() {}\nfn d() {}\nfn e() {}\n",
        "fn a() {}\nfn b() {}\nfn c2() {}\nfn d() {}\nfn e() {}\n",
        expect!["-3,1 +3,1"],
    );
}

#[test]
fn pure_insertion() {
    check_hunks(
        "fn a() {}\nfn b() {}\nfn c() {}\n",
        "fn a() {}\nfn b() {}\nfn new() {}\nfn c() {}\n",
        expect!["-2,0 +3,1"],
    );
}

#[test]
fn pure_deletion_and_separate_hunks() {
    check_hunks(
        "fn a() {}\nfn b() {}\nfn c() {}\nfn d() {}\nfn e() {}\n",
        "fn a() {}\nfn c() {}\nfn d() {}\nfn e2() {}\nfn e3() {}\n",
        expect![[r#"
            -2,1 +1,0
            -5,1 +4,2"#]],
    );
}

#[test]
fn one_line_change_is_exact_struct() {
    let mut fx = Fixture::new();
    fx.commit("one", &[("a.rs", Write(b"1\n2\n3\n4\n5\n"))]);
    let id = fx.commit("two", &[("a.rs", Write(b"1\n2\nthree\n4\n5\n"))]);
    let changes = fx
        .open()
        .changed_rust_files(&id.to_string(), &Limits::default())
        .unwrap();
    assert_eq!(
        changes[0].hunks,
        vec![Hunk {
            before_start: 3,
            before_len: 1,
            after_start: 3,
            after_len: 1
        }]
    );
}

#[test]
fn only_modified_rust_files_are_reported() {
    let mut fx = Fixture::new();
    fx.commit(
        "base",
        &[
            ("src/deep/a.rs", Write(b"fn a() {}\n")),
            ("old.rs", Write(b"fn old() {}\n")),
            ("README.md", Write(b"hello\n")),
            ("notes.rs/inside.txt", Write(b"not rust\n")),
            ("link.rs", Link("src/deep/a.rs")),
            ("same.rs", Write(b"fn same() {}\n")),
        ],
    );
    let id = fx.commit(
        "change everything",
        &[
            ("src/deep/a.rs", Write(b"fn a2() {}\n")),
            ("old.rs", Remove),
            ("new.rs", Write(b"fn new() {}\n")),
            ("README.md", Write(b"hello again\n")),
            ("notes.rs/inside.txt", Write(b"still not rust\n")),
            ("link.rs", Link("old.rs")),
        ],
    );
    let changes = fx
        .open()
        .changed_rust_files(&id.to_string(), &Limits::default())
        .unwrap();
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["src/deep/a.rs"]);
}

#[test]
fn rename_is_not_a_modification() {
    let mut fx = Fixture::new();
    fx.commit("base", &[("a.rs", Write(b"fn a() {}\nfn b() {}\n"))]);
    let id = fx.commit(
        "rename",
        &[("a.rs", Remove), ("b.rs", Write(b"fn a() {}\nfn b() {}\n"))],
    );
    let changes = fx
        .open()
        .changed_rust_files(&id.to_string(), &Limits::default())
        .unwrap();
    assert_eq!(changes, vec![]);
}

#[test]
fn binary_and_non_utf8_blobs_are_classified() {
    let mut fx = Fixture::new();
    fx.commit(
        "base",
        &[
            ("bin.rs", Write(b"fn a() {}\n")),
            ("latin.rs", Write(b"// caf\n")),
        ],
    );
    let id = fx.commit(
        "break them",
        &[
            ("bin.rs", Write(b"fn a() {}\n\0\0\x01\x02")),
            ("latin.rs", Write(b"// caf\xe9\n")),
        ],
    );
    let changes = fx
        .open()
        .changed_rust_files(&id.to_string(), &Limits::default())
        .unwrap();
    let found: Vec<_> = changes
        .iter()
        .map(|c| {
            (
                c.path.as_str(),
                c.before.reason(),
                c.after.reason(),
                c.hunks.len(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("bin.rs", None, Some("binary file".to_owned()), 0),
            ("latin.rs", None, Some("not valid utf-8".to_owned()), 0),
        ]
    );
    assert_eq!(changes[0].after, BlobText::Binary);
    assert_eq!(changes[1].after, BlobText::NotUtf8);
}

#[test]
fn too_large_blobs_are_not_read() {
    assert_eq!(Limits::default().max_file_bytes, 1_048_576);
    let mut fx = Fixture::new();
    fx.commit("base", &[("a.rs", Write(b"0123456789"))]);
    let id = fx.commit("grow", &[("a.rs", Write(b"0123456789a"))]);
    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    let changes = fx
        .open()
        .changed_rust_files(&id.to_string(), &limits)
        .unwrap();
    assert_eq!(changes[0].before, BlobText::Text("0123456789".to_owned()));
    assert_eq!(
        changes[0].after,
        BlobText::TooLarge {
            bytes: 11,
            limit: 10
        }
    );
    assert_eq!(
        changes[0].after.reason().unwrap(),
        "file is 11 bytes, over the 10-byte limit"
    );
    assert_eq!(changes[0].hunks, vec![]);
}

#[test]
fn commits_are_oldest_first_with_range_semantics() {
    let mut fx = Fixture::new();
    let c1 = fx.commit("first", &[("a.rs", Write(b"1\n"))]);
    let c2 = fx.commit("second", &[("a.rs", Write(b"2\n"))]);
    let c3 = fx.commit("third\n\nbody", &[("a.rs", Write(b"3\n"))]);
    let repo = fx.open();

    assert_eq!(repo.path().to_str(), fx.path().to_str());
    assert!(!repo.is_shallow());

    let all = repo.commits(None, false).unwrap();
    assert_eq!(summaries(&all), ["first", "second", "third"]);
    assert_eq!(all[0].id, c1.to_string());
    assert_eq!(all[0].parent, None);
    assert_eq!(all[1].parent, Some(c1.to_string()));
    assert_eq!(all[2].parent, Some(c2.to_string()));
    assert_eq!(all[0].time + 60, all[1].time);

    assert_eq!(repo.head().unwrap(), c3.to_string());
    assert_eq!(repo.resolve("HEAD~2").unwrap(), c1.to_string());
    assert_eq!(repo.resolve(&c2.to_string()[..7]).unwrap(), c2.to_string());

    let range = |spec: &str| summaries(&repo.commits(Some(spec), false).unwrap()).join(",");
    assert_eq!(range(&format!("{c1}..{c3}")), "second,third");
    assert_eq!(range("HEAD~1.."), "third");
    assert_eq!(range(&c2.to_string()), "first,second");
    assert_eq!(range("HEAD..HEAD"), "");
}

#[test]
fn merges_are_skipped_and_first_parent_follows_the_mainline() {
    let mut fx = Fixture::new();
    let a = fx.commit("a", &[("a.rs", Write(b"a\n"))]);
    let s1 = fx.commit_with_parents("s1", &[a], &[("s.rs", Write(b"1\n"))], None);
    let b = fx.commit("b", &[("a.rs", Write(b"b\n"))]);
    let s2 = fx.commit_with_parents("s2", &[s1], &[("s.rs", Write(b"2\n"))], None);
    fx.commit_with_parents("merge", &[b, s2], &[("s.rs", Write(b"2\n"))], Some("HEAD"));
    fx.commit("c", &[("a.rs", Write(b"c\n"))]);
    let repo = fx.open();

    let all = repo.commits(None, false).unwrap();
    assert_eq!(summaries(&all), ["a", "s1", "b", "s2", "c"]);
    let mainline = repo.commits(None, true).unwrap();
    assert_eq!(summaries(&mainline), ["a", "b", "c"]);
    assert_eq!(
        summaries(&repo.commits(Some(&format!("{b}..HEAD")), false).unwrap()),
        ["s1", "s2", "c"]
    );
    assert_eq!(
        summaries(&repo.commits(Some(&format!("{b}...{s2}")), false).unwrap()),
        ["s1", "b", "s2"]
    );
}

#[test]
fn rust_files_at_lists_every_rust_blob_sorted() {
    let mut fx = Fixture::new();
    fx.commit(
        "base",
        &[
            ("src/main.rs", Write(b"fn main() {}\n")),
            ("src/a/b.rs", Write(b"fn b() {}\n")),
            ("src-x.rs", Write(b"fn x() {}\n")),
            ("README.md", Write(b"# hi\n")),
            ("link.rs", Link("src/main.rs")),
            ("big.rs", Write(&[b'/'; 64])),
            ("latin.rs", Write(b"// \xff\n")),
        ],
    );
    fx.commit("later", &[("src/main.rs", Write(b"fn main() { 1; }\n"))]);
    let repo = fx.open();
    let limits = Limits {
        max_file_bytes: 32,
        ..Limits::default()
    };
    let files = repo.rust_files_at("HEAD~1", &limits).unwrap();
    let shown: Vec<String> = files
        .iter()
        .map(|(path, blob)| match blob.text() {
            Some(text) => format!("{path}: {text:?}"),
            None => format!("{path}: {}", blob.reason().unwrap()),
        })
        .collect();
    expect![[r#"
        big.rs: file is 64 bytes, over the 32-byte limit
        latin.rs: not valid utf-8
        src-x.rs: "fn x() {}\n"
        src/a/b.rs: "fn b() {}\n"
        src/main.rs: "fn main() {}\n""#]]
    .assert_eq(&shown.join("\n"));
}

#[test]
fn open_errors_name_the_path() {
    let plain = TempDir::new().unwrap();
    let err = git::open(plain.path()).err().unwrap();
    assert!(matches!(err, Error::NotARepo { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("`{}` is not a git repository", plain.path().display())
    );

    let missing = plain.path().join("missing");
    let err = git::open(&missing).err().unwrap();
    assert!(matches!(err, Error::NotARepo { .. }), "{err:?}");

    let fx = Fixture::new();
    let err = git::open(fx.path()).err().unwrap();
    assert!(matches!(err, Error::Empty { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("`{}` has no commits", fx.path().display())
    );
}

#[test]
fn unknown_revisions_are_precise_errors() {
    let mut fx = Fixture::new();
    fx.commit("one", &[("a.rs", Write(b"1\n"))]);
    let repo = fx.open();
    let message = |err: Error| err.to_string();
    assert_eq!(
        message(repo.resolve("nope").unwrap_err()),
        "unknown revision `nope`"
    );
    assert_eq!(
        message(repo.commits(Some("nope..HEAD"), false).unwrap_err()),
        "unknown revision `nope..HEAD`"
    );
    assert_eq!(
        message(
            repo.changed_rust_files("HEAD~5", &Limits::default())
                .unwrap_err()
        ),
        "unknown revision `HEAD~5`"
    );
    assert_eq!(
        message(repo.resolve("HEAD^{tree}").unwrap_err()),
        "revision `HEAD^{tree}` does not name a commit"
    );
}

#[test]
fn root_commit_has_no_changed_files() {
    let mut fx = Fixture::new();
    let root = fx.commit("root", &[("a.rs", Write(b"fn a() {}\n"))]);
    let changes = fx
        .open()
        .changed_rust_files(&root.to_string(), &Limits::default())
        .unwrap();
    assert_eq!(changes, vec![]);
}

#[test]
fn bare_repository_path_is_its_git_dir() {
    let dir = TempDir::new().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let tree = repo.treebuilder(None).unwrap().write().unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let sig = Signature::new("Test", "test@example.com", &Time::new(0, 0)).unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "empty", &tree, &[])
        .unwrap();
    let opened = git::open(dir.path()).unwrap();
    assert_eq!(
        opened.path().canonicalize().unwrap(),
        dir.path().canonicalize().unwrap()
    );
    assert!(!opened.is_shallow());
}

#[test]
fn shallow_clone_boundary_has_no_parent_and_no_changes() {
    let mut fx = Fixture::new();
    fx.commit("one", &[("a.rs", Write(b"1\n"))]);
    fx.commit("two", &[("a.rs", Write(b"2\n"))]);
    fx.commit("three", &[("a.rs", Write(b"3\n"))]);
    let clone = TempDir::new().unwrap();
    let status = Command::new("git")
        .args(["clone", "--quiet", "--depth", "2"])
        .arg(format!("file://{}", fx.path().display()))
        .arg(clone.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("the `git` CLI is needed to make a shallow clone");
    assert!(status.success());

    assert!(!fx.open().is_shallow());
    let repo = git::open(clone.path()).unwrap();
    assert!(repo.is_shallow());
    let commits = repo.commits(None, false).unwrap();
    assert_eq!(summaries(&commits), ["two", "three"]);
    assert_eq!(commits[0].parent, None);
    assert_eq!(commits[1].parent, Some(commits[0].id.clone()));
    let limits = Limits::default();
    assert_eq!(
        repo.changed_rust_files(&commits[0].id, &limits).unwrap(),
        vec![]
    );
    let changes = repo.changed_rust_files(&commits[1].id, &limits).unwrap();
    assert_eq!(text(&changes[0].before), "2\n");
    assert_eq!(text(&changes[0].after), "3\n");
}

#[test]
fn sweeping_commits_are_refused_before_reading_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    let mut parent: Option<git2::Oid> = None;
    for round in 0..2 {
        let mut index = repo.index().unwrap();
        for i in 0..3 {
            let name = format!("f{i}.rs");
            std::fs::write(dir.path().join(&name), format!("fn f() {{ {round} }}\n")).unwrap();
            index.add_path(std::path::Path::new(&name)).unwrap();
        }
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<git2::Commit> = parent
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        parent = Some(
            repo.commit(Some("HEAD"), &sig, &sig, "m", &tree, &refs)
                .unwrap(),
        );
    }
    let opened = git::open(dir.path()).unwrap();
    let head = parent.unwrap().to_string();
    let limits = Limits {
        max_files: 2,
        ..Limits::default()
    };
    let err = opened.changed_rust_files(&head, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("commit {head} modifies 3 Rust files, over the 2-file limit")
    );
    assert_eq!(
        opened
            .changed_rust_files(&head, &Limits::default())
            .unwrap()
            .len(),
        3
    );
}
