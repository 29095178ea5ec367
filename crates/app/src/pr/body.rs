//! The text suture writes to GitHub for a fix PR: fingerprints, the hidden marker in a PR body, the commit
//! message with its trailers, and the provenance body a reviewer reads.
//!
//! Why a marker in the body and a trailer in the commit, and not only the store: a scheduled runner starts
//! with an empty store, so everything `suture pr` needs to recognise its own work must be readable back from
//! GitHub. The body marker says which group a PR carries (`<!-- suture:fingerprint=… pattern=… -->`, invisible
//! when rendered); the `Suture-Fingerprint:` trailer says a branch head is a commit suture made, so that a
//! human push to the branch (a commit without it) is noticed and the branch is left alone.

use sha2::{Digest, Sha256};

/// The branch prefix of every branch suture creates.
pub const BRANCH_PREFIX: &str = "suture/";
/// The commit trailer that marks a commit as suture's.
pub const FINGERPRINT_TRAILER: &str = "Suture-Fingerprint:";
/// GitHub refuses bodies over 65,536 characters; the locations list is cut well before that.
const MAX_BODY_CHARS: usize = 60_000;

/// The fingerprint of a fix group: sha256 over the pattern id and the sorted (file, before, after) triples,
/// each part length-prefixed so that no two different groups hash the same bytes.
pub fn fingerprint(pattern: &str, fixes: &[(&str, &str, &str)]) -> String {
    let mut sorted = fixes.to_vec();
    sorted.sort();
    let mut hasher = Sha256::new();
    let mut part = |text: &str| {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    };
    part(pattern);
    for (file, before, after) in sorted {
        part(file);
        part(before);
        part(after);
    }
    hex::encode(hasher.finalize())
}

/// The branch of a pattern's fix PR: `suture/<pattern id>`, with anything git refuses in a ref name
/// replaced by `-`.
pub fn branch_for(pattern: &str) -> String {
    format!("{BRANCH_PREFIX}{}", ref_safe(pattern))
}

/// The branch of the revert PR of fix PR `number`.
pub fn revert_branch(number: u64) -> String {
    format!("{BRANCH_PREFIX}revert-{number}")
}

fn ref_safe(text: &str) -> String {
    let safe: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if safe.is_empty() {
        "pattern".to_owned()
    } else {
        safe
    }
}

/// What the hidden marker of a suture PR body says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// A fix PR carrying the group `fingerprint` of `pattern`, built on commit `base` of the default
    /// branch (what a revert restores).
    Fix {
        fingerprint: String,
        pattern: String,
        base: Option<String>,
    },
    /// The revert PR of fix PR `of`.
    Revert { of: u64 },
}

impl Marker {
    /// The marker as an HTML comment, the first line of a body.
    pub fn render(&self) -> String {
        match self {
            Marker::Fix {
                fingerprint,
                pattern,
                base,
            } => match base {
                Some(base) => format!(
                    "<!-- suture:fingerprint={fingerprint} pattern={pattern} base={base} -->"
                ),
                None => format!("<!-- suture:fingerprint={fingerprint} pattern={pattern} -->"),
            },
            Marker::Revert { of } => format!("<!-- suture:revert={of} -->"),
        }
    }

    /// Reads the marker out of a PR body; `None` when there is none or it is malformed (a PR someone else
    /// opened on a `suture/` branch is not suture's).
    pub fn parse(body: &str) -> Option<Marker> {
        let start = body.find("<!-- suture:")? + "<!-- suture:".len();
        let rest = &body[start..];
        let inner = &rest[..rest.find("-->")?];
        let mut fingerprint = None;
        let mut pattern = None;
        let mut revert = None;
        let mut base = None;
        for field in inner.split_whitespace() {
            let (key, value) = field.split_once('=')?;
            match key {
                "fingerprint" => fingerprint = Some(value.to_owned()),
                "pattern" => pattern = Some(value.to_owned()),
                "revert" => revert = Some(value.parse().ok()?),
                "base" => base = Some(value.to_owned()),
                _ => {}
            }
        }
        if let Some(of) = revert {
            return Some(Marker::Revert { of });
        }
        let fingerprint = fingerprint?;
        if fingerprint.len() != 64 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Marker::Fix {
            fingerprint,
            pattern: pattern?,
            base,
        })
    }
}

/// Whether a commit message carries suture's fingerprint trailer (on a line of its own, as git trailers are).
pub fn has_fingerprint_trailer(message: &str) -> bool {
    message
        .lines()
        .any(|line| line.trim_start().starts_with(FINGERPRINT_TRAILER))
}

/// The commit message of a fix group: a subject, a line of context, and the trailers.
pub fn commit_message(title: &str, pattern: &str, fingerprint: &str, n_fixes: usize) -> String {
    format!(
        "{title}\n\nApplies suture pattern `{pattern}` at {n_fixes} {}.\n\nSuture-Pattern: {pattern}\n{FINGERPRINT_TRAILER} {fingerprint}\n",
        plural(n_fixes, "location", "locations")
    )
}

/// The commit message of a revert.
pub fn revert_message(number: u64, title: &str, merge_sha: &str) -> String {
    format!(
        "Revert suture PR #{number}: {title}\n\nThe default branch's checks failed on {merge_sha}, the merge of #{number}.\n\n{FINGERPRINT_TRAILER} revert-{number}\n"
    )
}

/// The PR title of a fix group; a migration says that it finishes one (`before` → `after`).
pub fn title(
    pattern: &str,
    description: Option<&str>,
    migration: Option<(&str, &str)>,
    n_fixes: usize,
) -> String {
    if let Some((before, after)) = migration {
        return format!(
            "suture: finish the migration `{}` → `{}` ({n_fixes} {})",
            one_line(before),
            one_line(after),
            plural(n_fixes, "site", "sites")
        );
    }
    match description {
        Some(description) if !description.trim().is_empty() => {
            format!("suture: {}", one_line(description))
        }
        _ => format!(
            "suture: apply pattern {pattern} ({n_fixes} {})",
            plural(n_fixes, "fix", "fixes")
        ),
    }
}

/// Everything a fix PR body shows.
#[derive(Debug, Clone)]
pub struct FixBody<'a> {
    pub pattern: &'a str,
    pub fingerprint: &'a str,
    /// `mined` or `hand-written`.
    pub origin: &'a str,
    pub description: Option<&'a str>,
    /// What the fix does to a failure (the pattern's `effect` label), when the pattern says.
    pub effect: Option<&'a str>,
    pub before_template: &'a str,
    pub after_template: &'a str,
    /// (repository, commit, path, line) of the fixes the pattern was learned from.
    pub examples: Vec<(&'a str, &'a str, &'a str, u32)>,
    pub support: u32,
    pub confidence: f64,
    /// How the confidence was reached, in words.
    pub confidence_note: String,
    /// The validation run, in words (a command and its outcome, or why there was none).
    pub validation: String,
    /// (file, line, why, unified diff) of each location.
    pub locations: Vec<(&'a str, u32, &'a str, &'a str)>,
    pub base_sha: &'a str,
    /// The default branch's name and the checkout commit that was scanned.
    pub branch: &'a str,
    pub scanned_sha: &'a str,
    /// When the pattern is a migration of this repository: its progress in words, the commits that started
    /// it and its authors.
    pub migration: Option<MigrationNote<'a>>,
}

/// What a fix PR says of the migration it finishes.
#[derive(Debug, Clone)]
pub struct MigrationNote<'a> {
    /// "3 of 5 sites migrated since 2026-03-02, by 2 authors".
    pub progress: String,
    pub started_by: &'a [String],
    pub authors: &'a [String],
    /// Names of the old form marked `#[deprecated]`.
    pub deprecated: &'a [String],
}

/// The PR body: the marker, then the provenance a reviewer needs to trust or reject the change.
pub fn fix_body(body: &FixBody<'_>) -> String {
    let marker = Marker::Fix {
        fingerprint: body.fingerprint.to_owned(),
        pattern: body.pattern.to_owned(),
        base: Some(body.base_sha.to_owned()),
    };
    let mut out = format!("{}\n", marker.render());
    let what = body
        .description
        .map(one_line)
        .unwrap_or_else(|| "a fix pattern".to_owned());
    out.push_str(&format!(
        "Suture found {} {} where this code matches **{what}** and proposes the same fix at each.\n\n",
        body.locations.len(),
        plural(body.locations.len(), "place", "places")
    ));
    out.push_str("| | |\n|---|---|\n");
    out.push_str(&format!(
        "| Pattern | `{}` ({}) |\n",
        body.pattern, body.origin
    ));
    out.push_str(&format!(
        "| Rewrite | `{}` → `{}` |\n",
        table_cell(body.before_template),
        table_cell(body.after_template)
    ));
    if let Some(effect) = body.effect {
        out.push_str(&format!("| Effect | {} |\n", table_cell(effect)));
    }
    out.push_str(&format!(
        "| Confidence | {:.2} ({}) |\n",
        body.confidence, body.confidence_note
    ));
    out.push_str(&format!(
        "| Validation | {} |\n",
        table_cell(&body.validation)
    ));
    out.push_str(&format!(
        "| Found by | a scan of `{}` at `{}` (scheduled `suture pr`) |\n",
        body.branch, body.scanned_sha
    ));
    out.push_str(&format!("| Based on | `{}` |\n\n", body.base_sha));
    if let Some(m) = &body.migration {
        out.push_str(&format!(
            "**Finishes a migration this repository started**: {}; this PR changes the {} {} left.\n",
            m.progress,
            body.locations.len(),
            plural(body.locations.len(), "site", "sites")
        ));
        let started: Vec<String> = m.started_by.iter().map(|c| format!("`{c}`")).collect();
        if !started.is_empty() {
            out.push_str(&format!("- started by {}\n", started.join(", ")));
        }
        if !m.authors.is_empty() {
            out.push_str(&format!("- authors: {}\n", m.authors.join(", ")));
        }
        if !m.deprecated.is_empty() {
            out.push_str(&format!(
                "- `#[deprecated]` here: {}\n",
                m.deprecated
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.push('\n');
    }

    if body.examples.is_empty() {
        if body.origin == "hand-written" {
            out.push_str(
                "**Learned from:** nothing, this pattern was written by hand (it is not a learned fix).\n\n",
            );
        } else {
            out.push_str("**Learned from:** the pattern file records no example commits.\n\n");
        }
    } else {
        out.push_str(&format!(
            "**Learned from** {} {} in the history:\n",
            body.support.max(body.examples.len() as u32),
            plural(
                body.support.max(body.examples.len() as u32) as usize,
                "fix",
                "fixes"
            )
        ));
        for (repo, commit, path, line) in body.examples.iter().take(10) {
            match commit_url(repo, commit) {
                Some(url) => out.push_str(&format!("- {repo} [`{commit}`]({url}) {path}:{line}\n")),
                None => out.push_str(&format!("- {repo} `{commit}` {path}:{line}\n")),
            }
        }
        if body.examples.len() > 10 {
            out.push_str(&format!("- and {} more\n", body.examples.len() - 10));
        }
        out.push('\n');
    }

    out.push_str("### Locations\n\n");
    let mut shown = 0;
    for (file, line, why, diff) in &body.locations {
        // The engine's note for runs without reported locations says nothing to a reviewer here.
        let why = why.trim_end_matches("; no location given");
        let section = format!("**{file}:{line}**: {why}\n\n```diff\n{diff}```\n\n");
        if out.len() + section.len() > MAX_BODY_CHARS {
            break;
        }
        out.push_str(&section);
        shown += 1;
    }
    if shown < body.locations.len() {
        out.push_str(&format!(
            "… and {} more locations (the body is capped; the commit has every change).\n\n",
            body.locations.len() - shown
        ));
    }
    out.push_str(
        "---\nOpened by `suture pr`. Close this PR to reject the fix; if a person pushes to this branch, suture stops updating it.\n",
    );
    out
}

/// The body of a revert PR.
pub fn revert_body(
    number: u64,
    title: &str,
    merge_sha: &str,
    base_sha: &str,
    files: &[String],
) -> String {
    let mut out = format!("{}\n", Marker::Revert { of: number }.render());
    out.push_str(&format!(
        "The default branch's checks failed on `{merge_sha}`, the merge of suture PR #{number} ({}).\n\n",
        one_line(title)
    ));
    out.push_str(&format!(
        "This PR restores the files that PR changed to their content at `{base_sha}`, the default-branch commit the fix was built on (none of them changed since the merge):\n"
    ));
    for file in files {
        out.push_str(&format!("- {file}\n"));
    }
    out.push_str("\n---\nOpened by `suture pr`, once per merged suture PR.\n");
    out
}

/// A link to a provenance commit when its repository is named `owner/name` (as the corpus manifest names
/// GitHub repositories) and the commit is a full sha.
fn commit_url(repo: &str, commit: &str) -> Option<String> {
    let (owner, name) = repo.split_once('/')?;
    let part = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let sha = commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit());
    (part(owner) && part(name) && sha).then(|| format!("https://github.com/{repo}/commit/{commit}"))
}

fn table_cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_order_and_separates_parts() {
        let a = fingerprint("p", &[("a.rs", "x", "y"), ("b.rs", "x", "y")]);
        let b = fingerprint("p", &[("b.rs", "x", "y"), ("a.rs", "x", "y")]);
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(
            fingerprint("p", &[("ab", "c", "d")]),
            fingerprint("p", &[("a", "bc", "d")])
        );
        assert_ne!(
            a,
            fingerprint("q", &[("a.rs", "x", "y"), ("b.rs", "x", "y")])
        );
    }

    #[test]
    fn marker_round_trips_and_rejects_junk() {
        let fp = "a".repeat(64);
        let fix = Marker::Fix {
            fingerprint: fp.clone(),
            pattern: "m-1f3a".into(),
            base: Some("b".repeat(40)),
        };
        assert_eq!(Marker::parse(&format!("{}\ntext", fix.render())), Some(fix));
        let revert = Marker::Revert { of: 7 };
        assert_eq!(Marker::parse(&revert.render()), Some(revert));
        assert_eq!(Marker::parse("no marker"), None);
        assert_eq!(
            Marker::parse("<!-- suture:fingerprint=xyz pattern=p -->"),
            None
        );
        assert_eq!(
            Marker::parse(&format!("<!-- suture:fingerprint={fp} -->")),
            None
        );
    }

    #[test]
    fn branch_names_are_ref_safe() {
        assert_eq!(branch_for("m-1f3a9c2e"), "suture/m-1f3a9c2e");
        assert_eq!(branch_for("len zero/..x"), "suture/len-zero---x");
    }

    #[test]
    fn provenance_commits_link_to_github_when_named_owner_slash_name() {
        let sha = "a".repeat(40);
        assert_eq!(
            commit_url("BurntSushi/ripgrep", &sha),
            Some(format!(
                "https://github.com/BurntSushi/ripgrep/commit/{sha}"
            ))
        );
        assert_eq!(commit_url("/home/me/repo", &sha), None);
        assert_eq!(commit_url("me/repo", "abc"), None);
    }

    #[test]
    fn trailer_is_found_on_its_own_line() {
        let message = commit_message("suture: x", "p", "f", 2);
        assert!(has_fingerprint_trailer(&message));
        assert!(!has_fingerprint_trailer("fix things\n\nSigned-off-by: a"));
    }
}
