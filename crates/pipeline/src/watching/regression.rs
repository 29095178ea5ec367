//! From a panic group to a regression test, then to `heal` with that test as the failing command.
//!
//! A production panic has no failing command, so one is made: a `#[test]` beside the failing function that
//! calls it with inputs that reproduce the panic. The inputs are *searched*, not guessed once: each
//! parameter's type (read with syn from the current source) gives a few candidate values (integer
//! boundaries, empty and short slices and strings, numbers quoted in the panic message such as the `5` and
//! `3` of "the len is 3 but the index is 5"), simplest combinations first, and all of them are compiled
//! into one probe module and run in one `cargo test` in a scratch worktree. The first probe whose panic has
//! the group's kind at the group's site (the same file and enclosing function) is the reproduction; its
//! call becomes the regression test, which asserts only what the group says went wrong: that the call does
//! not panic. Then `heal` runs in a scratch worktree holding the test, so the user's tree is written only
//! with `--apply`, and then with the fix and the test together.
//!
//! What cannot be reproduced is reported with the reason: a method (no receiver is constructed), a generic
//! or `async` function, a parameter type without candidate values, or no combination that panics the same
//! way. Nothing is guessed beyond that.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use store::Store;
use syntax::scan::{LineIndex, enclosing_function};
use watch::Status;

use super::erased::Json;
use super::{GroupReport, WatchHeal, unix_now};
use crate::healing::{HealOutcome, HealReport, heal};
use crate::library::{Library, write_atomic};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HealGroupOutcome {
    /// No test reproduces the panic; `why` says what was tried.
    Unreproducible,
    /// The test reproduces it, but `heal` found no validated fix (see `heal`).
    NotFixed,
    /// A validated fix and its test are proposed (no `--apply`, or the policy keeps it from being written).
    Proposed,
    /// The fix and the test were written to the user's tree.
    Applied,
    /// Healing stopped with an error, in `why`.
    Failed,
}

/// What `--heal` did for one group.
#[derive(Debug, Clone, Serialize)]
pub struct HealGroup {
    pub fingerprint: String,
    pub outcome: HealGroupOutcome,
    pub why: String,
    pub test: Option<RegressionTest>,
    pub heal: Option<HealReport>,
    /// Files written to the user's tree (with `--apply`).
    pub written: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegressionTest {
    /// The file the test module is added to.
    pub file: String,
    /// The test's full name as libtest reports it (`module::test` under the file's module path), which
    /// `cargo test -- --exact` selects.
    pub name: String,
    /// The generated module, which `cargo test` also filters on.
    pub module: String,
    /// The reproducing call, e.g. `ratio(0, 0)`.
    pub call: String,
    /// The module's text as inserted.
    pub text: String,
    /// Argument combinations tried.
    pub probes: usize,
}

type Record<'a> = dyn FnMut(&mut Store, &str, &str, &str, &dyn Json) -> Result<()> + 'a;

pub(super) fn heal_groups(
    root: &Path,
    groups: &[GroupReport],
    library: &Library,
    store: &mut Store,
    options: &WatchHeal,
    record: &mut Record<'_>,
) -> Result<Vec<HealGroup>> {
    let mut out = Vec::new();
    for group in groups
        .iter()
        .filter(|g| matches!(g.status, Status::New | Status::Escalating))
        .take(options.max_groups)
    {
        // One group's failure (a worktree that cannot be made, cargo missing) is that group's outcome,
        // not the end of the run: the other groups and the report still come.
        let healed = heal_group(root, group, library, store, options, record).unwrap_or_else(|e| {
            HealGroup {
                fingerprint: group.fingerprint.clone(),
                outcome: HealGroupOutcome::Failed,
                why: format!("{e:#}"),
                test: None,
                heal: None,
                written: Vec::new(),
            }
        });
        record(
            store,
            "delivered",
            &group.fingerprint,
            &format!("{:?}: {}", healed.outcome, healed.why),
            &serde_json::json!({
                "outcome": healed.outcome,
                "test": healed.test.as_ref().map(|t| &t.name),
                "written": healed.written,
                "heal_run": healed.heal.as_ref().map(|h| &h.run),
            }),
        )?;
        out.push(healed);
    }
    Ok(out)
}

fn unreproducible(group: &GroupReport, why: String) -> HealGroup {
    HealGroup {
        fingerprint: group.fingerprint.clone(),
        outcome: HealGroupOutcome::Unreproducible,
        why,
        test: None,
        heal: None,
        written: Vec::new(),
    }
}

fn heal_group(
    root: &Path,
    group: &GroupReport,
    library: &Library,
    store: &mut Store,
    options: &WatchHeal,
    record: &mut Record<'_>,
) -> Result<HealGroup> {
    let site = group.frames.first();
    let target = match site
        .ok_or_else(|| {
            "no frame of the panic is in this workspace, so there is no function to call".to_owned()
        })
        .and_then(|f| find_target(root, &f.file, f.line, f.function.as_deref()))
    {
        Ok(target) => target,
        Err(why) => {
            record(store, "unreproducible", &group.fingerprint, &why, &())?;
            return Ok(unreproducible(group, why));
        }
    };
    let tag = &group.fingerprint[..8];
    let frames: Vec<(&str, u32)> = group
        .frames
        .iter()
        .map(|f| (f.file.as_str(), f.line))
        .collect();
    let literals = literals_on_path(root, &frames);
    let mut worktree = validate::create_worktree(root)?;
    let target_dir = options.options.target_dir.display().to_string();
    let probes = Probes {
        kind: &group.kind,
        message: &group.message,
        site: (&target.file, &target.name),
        strings: &literals,
        tag,
        max: options.max_probes,
        timeout: options.options.timeout,
        target_dir: &options.options.target_dir,
        by: "suture watch",
    };
    let (calls, found) = probe(&mut worktree, &target, &probes)?;
    record(
        store,
        "reproduced",
        &group.fingerprint,
        &match &found {
            Ok(r) => format!(
                "probe {} of {} reproduces it: {}",
                r.index,
                calls.len(),
                r.call
            ),
            Err(why) => why.clone(),
        },
        &serde_json::json!({ "probes": calls, "found": found.as_ref().ok().map(|r| r.index) }),
    )?;
    let found = match found {
        Ok(found) => found,
        Err(why) => return Ok(unreproducible(group, why)),
    };
    let doc = format!(
        "Regression test written by `suture watch` for panic group {}: `{}` ({}) at {}:{}, {} event(s) from {} \
         to {}. The call below reproduced it; it must not panic.",
        group.fingerprint,
        group.message,
        group.kind,
        target.file,
        site.map_or(0, |f| f.line),
        group.count,
        group.first_seen,
        group.last_seen,
    );
    let test = regression_test(&target, &found, tag, &doc, calls.len());
    let module = test.module.clone();
    let original = target.text.clone();
    worktree.write_files(&[(target.file.clone(), test.inserted(&original, &target))])?;
    record(
        store,
        "regression-test",
        &format!("{}:{}", test.file, test.name),
        &format!("wrote `{}` after `fn {}`", test.call, target.name),
        &test,
    )?;

    let mut heal_options = options.options.clone();
    heal_options.command = vec![
        "cargo".to_owned(),
        "test".to_owned(),
        "--target-dir".to_owned(),
        target_dir,
        module.clone(),
    ];
    let report = heal(&worktree.path, library, store, &heal_options)?;
    let mut healed = HealGroup {
        fingerprint: group.fingerprint.clone(),
        outcome: HealGroupOutcome::NotFixed,
        why: report.explanation.clone(),
        test: Some(test),
        heal: None,
        written: Vec::new(),
    };
    match report.outcome {
        HealOutcome::Applied => {
            // `heal` wrote the fix into the scratch tree; deliver it with the test.
            let fixed = report
                .attempts
                .iter()
                .find(|a| a.passed)
                .map(|a| a.fix.file.clone())
                .context("an applied heal has a passing attempt")?;
            let mut files = vec![target.file.clone()];
            if fixed != target.file {
                files.push(fixed);
            }
            let expected: Vec<(String, Option<String>)> = files
                .iter()
                .map(|f| {
                    let before = if *f == target.file {
                        Some(original.clone())
                    } else {
                        std::fs::read_to_string(root.join(f)).ok()
                    };
                    (f.clone(), before)
                })
                .collect();
            let mut writes = Vec::new();
            for (file, before) in &expected {
                let now = std::fs::read_to_string(root.join(file)).ok();
                if now != *before {
                    anyhow::bail!("`{file}` changed while suture was running; nothing was written");
                }
                let after = std::fs::read_to_string(worktree.path.join(file))
                    .with_context(|| format!("cannot read the healed `{file}`"))?;
                writes.push((root.join(file), after));
            }
            for (path, text) in &writes {
                write_atomic(path, text.as_bytes())?;
            }
            healed.written = files;
            healed.outcome = HealGroupOutcome::Applied;
            let head = git::discover(root).and_then(|r| r.head().ok());
            let test_name = healed.test.as_ref().map_or("", |t| t.name.as_str());
            store.record_watch_fix(
                &group.fingerprint,
                unix_now(),
                "applied",
                head.as_deref(),
                test_name,
            )?;
        }
        HealOutcome::Proposed | HealOutcome::Notified | HealOutcome::Recorded => {
            healed.outcome = HealGroupOutcome::Proposed;
        }
        _ => {}
    }
    healed.heal = Some(report);
    drop(worktree);
    Ok(healed)
}

/// The failing function in the current source.
pub(crate) struct Target {
    pub(crate) file: String,
    pub(crate) text: String,
    pub(crate) name: String,
    /// How a sibling module calls it: `name`, or `Type::name` for an associated function.
    callee: String,
    /// Byte just past the function's closing brace, or the `impl` block's for an associated function: where
    /// the test module goes.
    pub(crate) end: usize,
    indent: String,
    params: Vec<syn::Type>,
}

/// The function around `file:line` in the current source under `root`, when a plain call can reproduce a
/// panic there; else why not. `function` is the frame's function name when the trace gave one.
pub(crate) fn find_target(
    root: &Path,
    file: &str,
    line: u32,
    function: Option<&str>,
) -> Result<Target, String> {
    let path: PathBuf = root.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read `{file}`: {e}"))?;
    let name = match function {
        Some(name) => name.rsplit("::").next().unwrap_or(name).to_owned(),
        None => function_at(&text, line).ok_or_else(|| {
            format!("{file}:{line} is outside every function (no function to call)")
        })?,
    };
    target_in(text, file, name, line)
}

/// The name of the function around the 1-based `line` of `text`.
pub(crate) fn function_at(text: &str, line: u32) -> Option<String> {
    function_range(text, line).and_then(|r| fn_name(&text[r]))
}

/// The bytes of the function around the 1-based `line` of `text`, from the scan's brace matching.
fn function_range(text: &str, line: u32) -> Option<std::ops::Range<usize>> {
    enclosing_function(text, &LineIndex::new(text), line..line + 1)
}

/// The string literals (as written, quotes and escapes included) in the functions around `(file, line)`
/// frames under `root`, in frame order, each once; at most [`MAX_LITERALS`], none longer than 256 bytes.
pub(crate) fn literals_on_path(root: &Path, frames: &[(&str, u32)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &(file, line) in frames {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        let Some(range) = function_range(&text, line) else {
            continue;
        };
        let tree = syntax::parse(&text[range]).tree;
        for id in 0..tree.len() as syntax::NodeId {
            let kind = tree.node(id).kind;
            let literal = tree.text_of(id);
            if matches!(kind, "string_literal" | "raw_string_literal")
                && literal.len() <= 256
                && !out.iter().any(|l| l == literal)
            {
                out.push(literal.to_owned());
            }
            if out.len() == MAX_LITERALS {
                return out;
            }
        }
    }
    out
}

/// String literals of the failing path tried as arguments.
const MAX_LITERALS: usize = 16;

/// How to search for a reproducing call.
pub(crate) struct Probes<'a> {
    /// The panic's kind, as `trace::PanicKind::name` gives it: a probe must panic with it, in the target.
    pub(crate) kind: &'a str,
    /// The panic's message: numbers in it are candidate values.
    pub(crate) message: &'a str,
    /// Where the panic is, as (file, function): a probe must panic there, whichever function it calls.
    pub(crate) site: (&'a str, &'a str),
    /// String literals of the code on the failing path ([`literals_on_path`]), tried as string arguments.
    pub(crate) strings: &'a [String],
    /// Names the generated modules (`suture_probe_TAG`, `suture_regression_TAG`).
    pub(crate) tag: &'a str,
    pub(crate) max: usize,
    pub(crate) timeout: std::time::Duration,
    pub(crate) target_dir: &'a Path,
    /// Who writes the tests, for their doc comments.
    pub(crate) by: &'a str,
}

/// The call that reproduced the panic.
pub(crate) struct Found {
    pub(crate) index: usize,
    pub(crate) call: String,
    /// The probe's name as libtest reported it (with the module path of the target's file).
    probe_test: String,
}

/// Runs every probe call of `target` in one `cargo test` in `worktree` (reset afterwards): the calls tried,
/// and the first that panics with the wanted kind in the target function, or why none does.
pub(crate) fn probe(
    worktree: &mut validate::Worktree,
    target: &Target,
    probes: &Probes<'_>,
) -> Result<(Vec<String>, Result<Found, String>)> {
    let calls = probe_calls(target, probes.message, probes.strings, probes.max);
    let probe_module = format!("suture_probe_{}", probes.tag);
    let probe_text = module_text(
        &target.indent,
        &probe_module,
        &format!(
            "Probes written by `{}` to reproduce a panic; never kept.",
            probes.by
        ),
        &calls
            .iter()
            .enumerate()
            .map(|(i, call)| (format!("probe_{i}"), call.clone()))
            .collect::<Vec<_>>(),
    );
    let with_probes = insert(&target.text, target.end, &probe_text);
    worktree.write_files(&[(target.file.clone(), with_probes.clone())])?;
    let step = validate::Step {
        name: "probe".to_owned(),
        program: "cargo".to_owned(),
        args: vec![
            "test".to_owned(),
            "--target-dir".to_owned(),
            probes.target_dir.display().to_string(),
            probe_module.clone(),
        ],
        timeout: probes.timeout,
        env: vec![("RUST_BACKTRACE".to_owned(), "0".to_owned())],
        must_pass: Vec::new(),
    };
    let result = validate::run_step(&worktree.path, &step);
    worktree.reset()?;
    let output = format!("{}\n{}", result.stdout, result.stderr);
    let found = reproduction(&output, &worktree.path, &with_probes, target, probes).map(
        |(index, probe_test)| Found {
            index,
            call: calls[index].clone(),
            probe_test,
        },
    );
    Ok((calls, found))
}

/// The regression test for a reproduction: the reproducing call in a `#[cfg(test)]` module after the target,
/// which must not panic.
pub(crate) fn regression_test(
    target: &Target,
    found: &Found,
    tag: &str,
    doc: &str,
    probes: usize,
) -> RegressionTest {
    let module = format!("suture_regression_{tag}");
    let test_name = format!("{}_does_not_panic", target.name);
    let doc = wrap(doc, 96usize.saturating_sub(target.indent.len()).max(40));
    let text = module_text(
        &target.indent,
        &module,
        &doc,
        &[(test_name.clone(), found.call.clone())],
    );
    // libtest names the test through the module path of the file, as it named the probe.
    let probe = format!("suture_probe_{tag}::probe_{}", found.index);
    let prefix = found.probe_test.strip_suffix(&probe).unwrap_or("");
    RegressionTest {
        file: target.file.clone(),
        name: format!("{prefix}{module}::{test_name}"),
        module,
        call: found.call.clone(),
        text,
        probes,
    }
}

impl RegressionTest {
    /// `text` (the target's file, or that file after a fix) with the test module inserted after the target
    /// function; `edit`, a fix already applied to `text`, moves the insertion point when it lies before it.
    pub(crate) fn inserted_after(
        &self,
        text: &str,
        target: &Target,
        edit: Option<&patch::TextEdit>,
    ) -> String {
        let at = match edit {
            Some(e) if e.range.end <= target.end => {
                (target.end + e.replacement.len()).saturating_sub(e.range.len())
            }
            _ => target.end,
        };
        insert(text, at, &self.text)
    }

    /// The target's file with the test module inserted after the target function.
    pub(crate) fn inserted(&self, text: &str, target: &Target) -> String {
        self.inserted_after(text, target, None)
    }
}

/// The function `name` nearest to line `wanted` in `text` (the current source of `file`).
fn target_in(text: String, file: &str, name: String, wanted: u32) -> Result<Target, String> {
    let parsed = syn::parse_file(&text)
        .map_err(|e| format!("`{file}` does not parse ({e}): no function to call"))?;
    let mut found = Vec::new();
    collect_fns(&parsed.items, &name, &mut found);
    let index = LineIndex::new(&text);
    let best = found
        .into_iter()
        .min_by_key(|(sig, _)| {
            let line = sig.fn_token.span.start().line as i64;
            (line - i64::from(wanted)).abs()
        })
        .ok_or_else(|| format!("`fn {name}` is no longer in `{file}`"))?;
    let (sig, owner) = best;
    if matches!(owner, Owner::Other) {
        return Err(format!(
            "`{name}` belongs to a trait, a trait `impl` or a generic `impl`: suture does not choose the type"
        ));
    }
    if sig.asyncness.is_some()
        || matches!(sig.safety, syn::Safety::Unsafe(_))
        || sig.variadic.is_some()
    {
        return Err(format!(
            "`{name}` is async, unsafe or variadic: no plain call reproduces it"
        ));
    }
    if sig
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
    {
        return Err(format!(
            "`{name}` is generic: suture does not choose type arguments"
        ));
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            syn::FnArg::Receiver(_) => {
                return Err(format!(
                    "`{name}` is a method (it takes self): suture does not construct receivers"
                ));
            }
            syn::FnArg::Typed(t) => params.push((*t.ty).clone()),
        }
    }
    for ty in &params {
        if values(ty, &Seeds::default()).is_empty() {
            return Err(format!(
                "`{name}` takes a `{}`: suture has no candidate values for that type",
                quote_type(ty)
            ));
        }
    }
    // The body's end, from the scan's brace matching around the header's line; for an associated function the
    // `impl` block's end (a module cannot sit inside an `impl`).
    let header_line = sig.fn_token.span.start().line as u32;
    let range = enclosing_function(&text, &index, header_line..header_line + 1)
        .ok_or_else(|| format!("cannot find the body of `fn {name}` in `{file}`"))?;
    let indent_of = |line: u32| -> String {
        text[index.start_of(line)..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect()
    };
    let (callee, end, indent) = match owner {
        Owner::Impl {
            ty,
            close: (line, column),
        } => {
            let start = index.start_of(line as u32);
            let close = start
                + text[start..]
                    .char_indices()
                    .nth(column)
                    .map_or(0, |(at, _)| at);
            if text.as_bytes().get(close) != Some(&b'}') {
                return Err(format!(
                    "cannot find the end of the `impl` of `fn {name}` in `{file}`"
                ));
            }
            (format!("{ty}::{name}"), close + 1, indent_of(line as u32))
        }
        _ => (name.clone(), range.end, indent_of(header_line)),
    };
    Ok(Target {
        file: file.to_owned(),
        text,
        name,
        callee,
        end,
        indent,
        params,
    })
}

/// Free functions named `name`, with whether they are inside an `impl` or trait.
/// Where a function named `name` is defined.
enum Owner {
    /// A free function (at the top or in an inline module).
    Free,
    /// An associated function of an inherent `impl` whose generics are only lifetimes: the type's name, and
    /// the `impl` block's closing brace (line, 0-based char column).
    Impl { ty: String, close: (usize, usize) },
    /// A trait's function, or one of a trait `impl` or of a generic `impl`.
    Other,
}

fn collect_fns(items: &[syn::Item], name: &str, out: &mut Vec<(syn::Signature, Owner)>) {
    for item in items {
        match item {
            syn::Item::Fn(f) if f.sig.ident == name => out.push((f.sig.clone(), Owner::Free)),
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_fns(items, name, out);
                }
            }
            syn::Item::Impl(i) => {
                let lifetimes_only =
                    (i.generics.params.iter()).all(|p| matches!(p, syn::GenericParam::Lifetime(_)));
                let ty = match &*i.self_ty {
                    syn::Type::Path(p)
                        if p.qself.is_none() && i.trait_.is_none() && lifetimes_only =>
                    {
                        p.path.segments.last().map(|s| s.ident.to_string())
                    }
                    _ => None,
                };
                let close = i.brace_token.span.close().start();
                for item in &i.items {
                    if let syn::ImplItem::Fn(f) = item
                        && f.sig.ident == name
                    {
                        let owner = match &ty {
                            Some(ty) => Owner::Impl {
                                ty: ty.clone(),
                                close: (close.line, close.column),
                            },
                            None => Owner::Other,
                        };
                        out.push((f.sig.clone(), owner));
                    }
                }
            }
            syn::Item::Trait(t) => {
                for item in &t.items {
                    if let syn::TraitItem::Fn(f) = item
                        && f.sig.ident == name
                    {
                        out.push((f.sig.clone(), Owner::Other));
                    }
                }
            }
            _ => {}
        }
    }
}

fn quote_type(ty: &syn::Type) -> String {
    use quote::ToTokens;
    ty.to_token_stream().to_string()
}

/// The numbers in the message's first line: lengths and indices worth trying.
fn message_numbers(message: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let first = message.lines().next().unwrap_or("");
    for word in first.split(|c: char| !c.is_ascii_digit()) {
        if let Ok(n) = word.parse::<u64>()
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out
}

/// What candidate values are drawn from beyond the types: the numbers of the panic message, and the string
/// literals of the code on the failing path (an input that panics is often written there: a test, an example,
/// a default), as written in the source.
#[derive(Debug, Default)]
struct Seeds<'a> {
    numbers: Vec<u64>,
    strings: &'a [String],
}

const INTS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
];

/// Candidate argument expressions for a type, simplest first; empty when there are none.
fn values(ty: &syn::Type, seeds: &Seeds<'_>) -> Vec<String> {
    match ty {
        syn::Type::Paren(p) => values(&p.elem, seeds),
        syn::Type::Group(g) => values(&g.elem, seeds),
        syn::Type::Reference(r) => reference(&r.elem, r.mutability.is_some(), seeds),
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return Vec::new();
            };
            let name = last.ident.to_string();
            let argument = match &last.arguments {
                syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|a| match a {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                }),
                _ => None,
            };
            match (name.as_str(), argument) {
                (int, None) if INTS.contains(&int) => {
                    let mut v = vec!["0".to_owned(), "1".to_owned(), format!("{int}::MAX")];
                    if int.starts_with('i') {
                        v.push("-1".to_owned());
                        v.push(format!("{int}::MIN"));
                    }
                    for n in &seeds.numbers {
                        let s = format!("({n}u128 as {int})");
                        if !v.contains(&n.to_string()) {
                            v.push(s);
                        }
                    }
                    v
                }
                ("f32" | "f64", None) => vec![
                    "0.0".to_owned(),
                    "1.0".to_owned(),
                    "-1.0".to_owned(),
                    format!("{name}::NAN"),
                    format!("{name}::INFINITY"),
                ],
                ("bool", None) => vec!["false".to_owned(), "true".to_owned()],
                ("char", None) => vec!["'a'".to_owned(), "'\\0'".to_owned(), "'é'".to_owned()],
                ("String", None) => strings(seeds)
                    .into_iter()
                    .map(|s| format!("String::from({s})"))
                    .collect(),
                ("Vec", Some(element)) => sequences(element, seeds)
                    .into_iter()
                    .map(|s| format!("vec!{s}"))
                    .collect(),
                ("Option", Some(inner)) => {
                    let mut v = vec!["None".to_owned()];
                    v.extend(
                        values(inner, seeds)
                            .into_iter()
                            .take(4)
                            .map(|x| format!("Some({x})")),
                    );
                    v
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

fn reference(inner: &syn::Type, mutable: bool, seeds: &Seeds<'_>) -> Vec<String> {
    let amp = if mutable { "&mut " } else { "&" };
    match inner {
        syn::Type::Path(p) if p.path.is_ident("str") && !mutable => strings(seeds),
        // An array reference coerces to the slice, whatever the element type.
        syn::Type::Slice(s) => sequences(&s.elem, seeds)
            .into_iter()
            .map(|s| format!("{amp}{s}"))
            .collect(),
        other => values(other, seeds)
            .into_iter()
            .map(|v| format!("{amp}{v}"))
            .collect(),
    }
}

fn strings(seeds: &Seeds<'_>) -> Vec<String> {
    let mut v = vec!["\"\"".to_owned(), "\"a\"".to_owned(), "\"é\"".to_owned()];
    for &n in seeds.numbers.iter().filter(|&&n| (2..=64).contains(&n)) {
        v.push(format!("\"{}\"", "a".repeat(n as usize)));
    }
    // Text that is parsed into a number: the numbers of the message as typed.
    v.extend(seeds.numbers.iter().map(|n| format!("\"{n}\"")));
    for literal in seeds.strings {
        if !v.contains(literal) {
            v.push(literal.clone());
        }
    }
    v
}

/// `[]`, `[x]` and `[x, x, …]` of each length in the message (up to 64), the element the element type's
/// simplest value; written out rather than `[x; n]`, which needs `Copy`.
fn sequences(element: &syn::Type, seeds: &Seeds<'_>) -> Vec<String> {
    let Some(x) = values(element, &Seeds::default()).into_iter().next() else {
        return Vec::new();
    };
    let mut v = vec!["[]".to_owned(), format!("[{x}]")];
    for &n in seeds.numbers.iter().filter(|&&n| (2..=64).contains(&n)) {
        v.push(format!("[{}]", vec![x.as_str(); n as usize].join(", ")));
    }
    v
}

/// Calls to try, simplest combinations first (by the sum of the candidates' ranks), at most `max`.
fn probe_calls(target: &Target, message: &str, strings: &[String], max: usize) -> Vec<String> {
    let seeds = Seeds {
        numbers: message_numbers(message),
        strings,
    };
    let lists: Vec<Vec<String>> = target.params.iter().map(|t| values(t, &seeds)).collect();
    let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
    for list in &lists {
        let mut next = Vec::new();
        for combo in &combos {
            for i in 0..list.len() {
                let mut c = combo.clone();
                c.push(i);
                next.push(c);
            }
        }
        next.sort_by_key(|c| c.iter().sum::<usize>());
        next.truncate(max.max(1) * 4);
        combos = next;
    }
    combos.sort_by_key(|c| c.iter().sum::<usize>());
    combos.truncate(max.max(1));
    combos
        .iter()
        .map(|c| {
            let args: Vec<&str> = c
                .iter()
                .zip(&lists)
                .map(|(&i, list)| list[i].as_str())
                .collect();
            format!("{}({})", target.callee, args.join(", "))
        })
        .collect()
}

/// A `#[cfg(test)]` module of tests, each `let _ = super::CALL;`, indented like the function.
fn module_text(indent: &str, module: &str, doc: &str, tests: &[(String, String)]) -> String {
    let mut out = format!("\n\n{indent}#[cfg(test)]\n{indent}mod {module} {{\n");
    for (i, (name, call)) in tests.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for line in doc.lines() {
            out.push_str(&format!("{indent}    /// {line}\n"));
        }
        out.push_str(&format!(
            "{indent}    #[test]\n{indent}    fn {name}() {{\n{indent}        let _ = super::{call};\n{indent}    }}\n"
        ));
    }
    out.push_str(&format!("{indent}}}"));
    out
}

/// Greedy word wrap at `width` columns (doc comments of generated code stay within rustfmt's width).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

fn insert(text: &str, at: usize, what: &str) -> String {
    let mut out = String::with_capacity(text.len() + what.len());
    out.push_str(&text[..at]);
    out.push_str(what);
    out.push_str(&text[at..]);
    out
}

/// Which probe (the lowest index) panicked with the wanted kind at the panic's site, from the probe run's
/// output, with its name as libtest reported it.
fn reproduction(
    output: &str,
    tree: &Path,
    probed_text: &str,
    target: &Target,
    probes: &Probes<'_>,
) -> Result<(usize, String), String> {
    let (kind, (site_file, site_function)) = (probes.kind, probes.site);
    let parsed = trace::parse(output);
    let files: HashSet<String> = crate::fixing::workspace_files(tree)
        .map_err(|e| format!("cannot list the scratch worktree: {e:#}"))?;
    // The site's file as the probes ran: the probed text when it is the target's (the probes shift its
    // lines), else the file itself, read once for all the failures.
    let site_text = if site_file == target.file {
        Some(probed_text.to_owned())
    } else {
        std::fs::read_to_string(tree.join(site_file)).ok()
    };
    let mut best: Option<(usize, String)> = None;
    let mut seen = Vec::new();
    for failure in &parsed.failures {
        let Some(test) = &failure.test else { continue };
        let Some(i) = test
            .rsplit("::probe_")
            .next()
            .filter(|_| test.contains("::probe_"))
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        let path = trace::failing_path(failure, &tree.display().to_string(), &files);
        let site = path.first();
        let at_site = site.is_some_and(|l| {
            l.file == site_file
                && (site_text.as_deref())
                    .and_then(|text| function_at(text, l.line))
                    .is_some_and(|n| n == site_function)
        });
        if at_site && failure.kind.name() == kind {
            if best.as_ref().is_none_or(|(b, _)| i < *b) {
                best = Some((i, test.clone()));
            }
        } else {
            seen.push(format!(
                "{} at {}",
                failure.kind.name(),
                site.map_or("-".to_owned(), |l| format!("{}:{}", l.file, l.line))
            ));
        }
    }
    if let Some(found) = best {
        return Ok(found);
    }
    if parsed.failures.is_empty() && !parsed.diagnostics.is_empty() {
        let first = parsed
            .diagnostics
            .iter()
            .find(|d| d.level == "error")
            .map_or(String::new(), |d| {
                format!(": {}:{}: {}", d.file, d.line, d.message)
            });
        return Err(format!("the probes did not compile{first}"));
    }
    seen.sort();
    seen.dedup();
    Err(format!(
        "no probe call of `{}` panicked with {kind} in `{site_function}`{}",
        target.name,
        if seen.is_empty() {
            String::new()
        } else {
            format!(" (other panics: {})", seen.join(", "))
        }
    ))
}

fn fn_name(item: &str) -> Option<String> {
    let at = item.find("fn ")?;
    let rest = item[at + 3..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(source: &str, name: &str, message: &str, max: usize) -> Result<Vec<String>, String> {
        let target = target_in(source.to_owned(), "src/lib.rs", name.to_owned(), 1)?;
        Ok(probe_calls(&target, message, &[], max))
    }

    #[test]
    fn candidate_calls_come_from_types_and_the_message() {
        let source = "pub fn ratio(a: u32, b: u32) -> u32 {\n    a / b\n}\n\n\
                      mod inner {\n    pub(crate) fn pick(v: &[u32], at: usize, name: Option<&str>) -> u32 {\n        v[at]\n    }\n}\n";
        assert_eq!(
            calls(source, "ratio", "attempt to divide by zero", 4).unwrap(),
            [
                "ratio(0, 0)",
                "ratio(0, 1)",
                "ratio(1, 0)",
                "ratio(0, u32::MAX)"
            ]
        );
        let pick = calls(
            source,
            "pick",
            "index out of bounds: the len is 3 but the index is 5",
            200,
        )
        .unwrap();
        assert_eq!(pick[0], "pick(&[], 0, None)");
        assert!(pick.contains(&"pick(&[0, 0, 0], (5u128 as usize), None)".to_owned()));
        assert!(pick.contains(&"pick(&[0], 1, Some(\"a\"))".to_owned()));
        // 4 slices × 5 integers × 5 options: all of them fit under the limit.
        assert_eq!(pick.len(), 100);
        let target = target_in(source.to_owned(), "src/lib.rs", "pick".to_owned(), 6).unwrap();
        assert_eq!(target.indent, "    ");
        assert_eq!(&source[target.end - 5..target.end], "    }");
    }

    #[test]
    fn what_cannot_be_called_says_why() {
        let method = "struct S;\nimpl S {\n    fn f(&self) -> u8 { 0 }\n}\n";
        let generic = "fn g<T: Default>(x: T) -> T { x }\n";
        let opaque = "struct Config;\nfn h(c: &Config) {}\n";
        let in_trait_impl = "struct S;\nimpl From<u8> for S {\n    fn from(x: u8) -> S { S }\n}\n";
        let cases = [
            (method, "f", "`f` is a method (it takes self)"),
            (
                in_trait_impl,
                "from",
                "`from` belongs to a trait, a trait `impl` or a generic `impl`",
            ),
            (generic, "g", "`g` is generic"),
            (
                opaque,
                "h",
                "`h` takes a `& Config`: suture has no candidate values",
            ),
            (generic, "gone", "`fn gone` is no longer in `src/lib.rs`"),
        ];
        for (source, name, why) in cases {
            let err = calls(source, name, "", 8).err().unwrap_or_default();
            assert!(err.starts_with(why), "{name}: {err}");
        }
    }

    #[test]
    fn generated_modules_sit_after_the_function_at_its_indentation() {
        let text = module_text(
            "    ",
            "suture_regression_0123abcd",
            &wrap("one two three four five six", 12),
            &[("ratio_does_not_panic".to_owned(), "ratio(0, 0)".to_owned())],
        );
        let expected = "\n\n    #[cfg(test)]\n    mod suture_regression_0123abcd {\n        /// one two\n        \
                        /// three four\n        /// five six\n        #[test]\n        \
                        fn ratio_does_not_panic() {\n            let _ = super::ratio(0, 0);\n        }\n    }";
        assert_eq!(text, expected);
    }

    #[test]
    fn an_associated_function_is_called_through_its_type_and_tested_after_the_impl() {
        let source = "pub struct Url;\n\nimpl Url {\n    pub fn parse(input: &str) -> Result<Url, ()> {\n        \
                      let _ = &input[1..];\n        Ok(Url)\n    }\n}\n\npub struct P<'a>(&'a str);\n\n\
                      impl<'a> P<'a> {\n    pub fn new(s: &'a str, at: usize) -> P<'a> {\n        P(&s[at..])\n    }\n}\n";
        let url = target_in(source.to_owned(), "src/lib.rs", "parse".to_owned(), 5).unwrap();
        assert_eq!(
            probe_calls(&url, "", &[], 2),
            ["Url::parse(\"\")", "Url::parse(\"a\")"]
        );
        assert_eq!(
            &source[..url.end],
            &source[..source.find("}\n\npub struct P").unwrap() + 1]
        );
        assert_eq!(url.indent, "");
        let p = target_in(source.to_owned(), "src/lib.rs", "new".to_owned(), 13).unwrap();
        assert_eq!(probe_calls(&p, "", &[], 1), ["P::new(\"\", 0)"]);
        assert_eq!(p.end, source.len() - 1);
    }

    #[test]
    fn the_string_literals_of_the_failing_path_are_tried_as_string_arguments() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        let main = "fn other() {\n    let _ = \"not on the path\";\n}\n\nfn main() {\n    let input = \
                    std::env::args().nth(1).unwrap_or_else(|| \"foo\\n##\\r\".to_owned());\n    \
                    println!(\"{}\", shop::unfill(&input, r#\"raw \"q\"\"#));\n}\n";
        std::fs::write(dir.path().join("src/main.rs"), main).unwrap();
        let lib = "pub fn unfill(text: &str, _: &str) -> String {\n    text[2..].to_owned()\n}\n";
        std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
        let literals = literals_on_path(dir.path(), &[("src/lib.rs", 2), ("src/main.rs", 7)]);
        assert_eq!(
            literals,
            ["\"foo\\n##\\r\"", "\"{}\"", "r#\"raw \"q\"\"#"],
            "the literals of `main` as written, none of `other`"
        );
        let target = target_in(lib.to_owned(), "src/lib.rs", "unfill".to_owned(), 1).unwrap();
        let calls = probe_calls(&target, "byte index 2 is out of range", &literals, 200);
        assert!(
            calls.contains(&"unfill(\"foo\\n##\\r\", \"\")".to_owned()),
            "{calls:?}"
        );
        assert!(
            calls.contains(&"unfill(\"2\", \"\")".to_owned()),
            "{calls:?}"
        );
    }

    #[test]
    fn the_test_is_named_as_libtest_named_its_probe_and_lands_after_the_function_a_fix_moved() {
        let source = "fn first(x: u32) -> u32 {\n    x - 1\n}\n\nfn last() {}\n";
        let target = target_in(source.to_owned(), "src/a/b.rs", "first".to_owned(), 1).unwrap();
        let found = |probe_test: &str| Found {
            index: 2,
            call: "first(0)".to_owned(),
            probe_test: probe_test.to_owned(),
        };
        let test = regression_test(
            &target,
            &found("a::b::suture_probe_00c0ffee::probe_2"),
            "00c0ffee",
            "d",
            5,
        );
        assert_eq!(
            test.name,
            "a::b::suture_regression_00c0ffee::first_does_not_panic"
        );
        assert_eq!(test.module, "suture_regression_00c0ffee");
        let at_root = regression_test(
            &target,
            &found("suture_probe_00c0ffee::probe_2"),
            "00c0ffee",
            "d",
            5,
        );
        assert_eq!(
            at_root.name,
            "suture_regression_00c0ffee::first_does_not_panic"
        );

        let module_after = |text: &str, function_end: &str| {
            let at = text.find(function_end).unwrap() + function_end.len();
            assert!(text[at..].starts_with(&test.text), "{text}");
            assert_eq!(
                text.replacen(&test.text, "", 1).len(),
                text.len() - test.text.len()
            );
        };
        // No fix in the file, a fix inside the function (the insertion point moves with it), a fix after it.
        module_after(&test.inserted(source, &target), "x - 1\n}");
        let at = |what: &str| source.find(what).unwrap()..source.find(what).unwrap() + what.len();
        let inside = patch::TextEdit {
            range: at("x - 1"),
            replacement: "x.saturating_sub(1)".to_owned(),
        };
        assert_eq!(&source[inside.range.clone()], "x - 1");
        let fixed = patch::apply(source, std::slice::from_ref(&inside));
        module_after(
            &test.inserted_after(&fixed, &target, Some(&inside)),
            "x.saturating_sub(1)\n}",
        );
        let after = patch::TextEdit {
            range: at("fn last() {}"),
            replacement: "fn last() { let _ = 1; }".to_owned(),
        };
        assert_eq!(&source[after.range.clone()], "fn last() {}");
        let fixed = patch::apply(source, std::slice::from_ref(&after));
        let text = test.inserted_after(&fixed, &target, Some(&after));
        module_after(&text, "x - 1\n}");
        assert!(text.ends_with("fn last() { let _ = 1; }\n"), "{text}");
    }
}
