#!/usr/bin/env python3
"""Generate N fix patterns for the scan benchmark (benches/scan.sh), the same ones for suture and for ast-grep.

Usage: benches/scan_patterns.py N OUTDIR

Writes OUTDIR/suture/b-NNNN.toml (suture pattern files) and OUTDIR/astgrep/ (an sgconfig.yml with
`ruleDirs: [rules]` and one rule per pattern in rules/b-NNNN.yml). Pattern i has the same id, the same before
template (ast-grep `rule.pattern`) and the same after template (ast-grep `fix`) in both tools.

The patterns come from families of real Rust fix templates (`$A.len() == 0` -> `$A.is_empty()`,
`$A.unwrap_or(Vec::new())` -> `$A.unwrap_or_default()`, ...). Each family has slots filled from lists of real
std method, type and path names; the first filling of every family is the original template. The output order is
deterministic and prefix-stable: the originals first (in family order), then the other fillings round-robin
over the families, so the first 20 of 2,000 patterns are the 20 patterns of N=20 and every N is a mix of all
families. Every template is a Rust expression with `$NAME` holes (a syntax both tools share); the holes of
`after` are always bound by `before`, and no template is a bare hole or `&$A` that would match everywhere.
"""

import itertools
import json
import os
import shutil
import sys

# Receivers of iterator chains: zero-argument std methods that make an iterator.
ITER = ["iter()", "into_iter()", "iter_mut()", "chars()", "bytes()", "lines()", "keys()", "values()",
        "values_mut()", "char_indices()", "split_whitespace()", "drain(..)", "into_keys()", "into_values()",
        "as_slice().iter()", "as_bytes().iter()"]
# Values that equal `Default::default()` for their type.
CTOR = ["Vec::new()", "String::new()", "HashMap::new()", "HashSet::new()", "BTreeMap::new()",
        "BTreeSet::new()", "VecDeque::new()", "BinaryHeap::new()", "Default::default()", "vec![]",
        'String::from("")', '"".to_string()', '"".to_owned()', '"".into()', "0", "false", "0.0",
        "Vec::with_capacity(0)", "PathBuf::new()", "OsString::new()", "Box::default()", "Rc::default()",
        "Arc::default()", "Cell::default()"]
CTOR_FN = ["Vec::new", "String::new", "HashMap::new", "HashSet::new", "BTreeMap::new", "BTreeSet::new",
           "VecDeque::new", "Default::default", "PathBuf::new", "OsString::new", "Box::default", "Rc::default",
           "Arc::default", "FxHashMap::default", "IndexMap::new"]
# Zero-argument size methods (possibly after a view), compared with zero.
SIZE = ["len", "count", "chars().count", "bytes().count", "iter().count", "lines().count", "trim().len",
        "as_bytes().len", "to_string().len", "as_str().len", "as_slice().len", "keys().len", "values().len",
        "into_iter().count", "as_os_str().len", "capacity"]
ZERO_CMP = [("== 0", ""), ("!= 0", "!"), ("> 0", "!"), ("<= 0", ""), ("< 1", ""), (">= 1", "!")]
# Boolean methods, with arguments where std has them.
PRED = ["is_empty()", "is_some()", "is_none()", "is_ok()", "is_err()", "is_ascii()", "is_alphabetic()",
        "is_numeric()", "is_alphanumeric()", "is_whitespace()", "is_uppercase()", "is_lowercase()",
        "is_ascii_digit()", "is_dir()", "is_file()", "is_absolute()", "is_relative()", "is_null()",
        "is_finite()", "is_nan()", "is_positive()", "is_negative()", "is_power_of_two()",
        "contains(&$B)", "contains_key(&$B)", "starts_with($B)", "ends_with($B)", "is_char_boundary($B)",
        "is_subset(&$B)", "is_disjoint(&$B)", "eq_ignore_ascii_case($B)", "exists()"]
NEGATED = {"is_some()": "is_none()", "is_none()": "is_some()", "is_ok()": "is_err()", "is_err()": "is_ok()",
           "is_absolute()": "is_relative()", "is_relative()": "is_absolute()"}
# `x.method()` inside a closure, and the path that names the same function.
METHOD_PATH = [("clone", "Clone::clone"), ("to_string", "ToString::to_string"), ("to_owned", "ToOwned::to_owned"),
               ("into", "Into::into"), ("as_str", "String::as_str"), ("as_ref", "AsRef::as_ref"),
               ("as_slice", "Vec::as_slice"), ("trim", "str::trim"), ("to_lowercase", "str::to_lowercase"),
               ("to_uppercase", "str::to_uppercase"), ("len", "str::len"), ("unwrap", "Option::unwrap"),
               ("is_some", "Option::is_some"), ("is_none", "Option::is_none"), ("is_ok", "Result::is_ok"),
               ("is_err", "Result::is_err"), ("ok", "Result::ok"), ("borrow", "Borrow::borrow"),
               ("as_path", "PathBuf::as_path"), ("to_path_buf", "Path::to_path_buf"),
               ("display", "Path::display"), ("abs", "i64::abs"), ("into_iter", "IntoIterator::into_iter"),
               ("as_bytes", "str::as_bytes"), ("to_vec", "<[_]>::to_vec")]
INTS = ["usize", "u8", "u16", "u32", "u64", "u128", "isize", "i8", "i16", "i32", "i64", "i128", "f32", "f64"]
COLLECTION = ["Vec<_>", "String", "HashMap<_, _>", "HashSet<_>", "BTreeMap<_, _>", "BTreeSet<_>", "VecDeque<_>",
              "Box<[_]>", "Result<Vec<_>, _>", "Option<Vec<_>>", "FxHashMap<_, _>", "SmallVec<[_; 4]>"]
# Methods that own or copy a value, and what may follow them needlessly.
OWN = ["clone", "to_owned", "to_string", "to_vec", "into_owned", "to_path_buf"]
AFTER_OWN = ["clone", "to_owned", "to_string", "to_vec", "into_iter", "iter", "len", "as_str", "as_ref",
             "is_empty", "into", "as_bytes", "as_slice", "chars", "trim", "as_path"]


def family(before, after, **slots):
    """All fillings of one template family, the original (first values of every slot) first."""
    names = list(slots)
    out = []
    for values in itertools.product(*(slots[n] for n in names)):
        env = {}
        for name, value in zip(names, values):
            if isinstance(value, tuple):
                for i, part in enumerate(value):
                    env[f"{name}{i}"] = part
            else:
                env[name] = value
        out.append((before.format(**env), after.format(**env)))
    return out


def families():
    f = []
    f.append(family("$A.{m}() {c0}", "{c1}$A.is_empty()", m=SIZE, c=ZERO_CMP))
    f.append(family("$A.unwrap_or({v})", "$A.unwrap_or_default()", v=CTOR))
    f.append(family("$A.{it}.count()", "$A.len()", it=ITER))
    f.append(family("$A.{it}.map(|$X| $X.{m0}())", "$A.{it}.map({m1})", it=ITER[:8], m=METHOD_PATH))
    f.append(family("$A.{it}.{a0}($F).{a1}()", "{a3}$A.{it}.{a2}($F)", it=ITER,
                    a=[("filter", "next", "find", ""), ("filter_map", "next", "find_map", ""),
                       ("map", "flatten", "flat_map", ""), ("position", "is_some", "any", ""),
                       ("find", "is_some", "any", ""), ("find", "is_none", "any", "!"),
                       ("filter", "next_back", "rfind", ""), ("rposition", "is_some", "any", ""),
                       ("find_map", "is_some", "any", ""), ("skip_while", "next", "find", "")]))
    f.append(family("std::mem::replace({p}$A, {v})", "std::mem::take({p}$A)", p=["", "&mut "], v=CTOR))
    f.append(family("$A.get({i0})", "$A.{i1}", i=[("0", "first()"), ("$A.len() - 1", "last()")]))
    f.append(family("$A.map_or({b0}, $F)", "$A.{b1}($F)", b=[("false", "is_some_and"), ("true", "is_none_or")]))
    f.append(family("$A.{o0}().{o1}", "$A.{o2}", o=[
        ("ok", "expect($M)", "expect($M)"), ("ok", "unwrap()", "unwrap()"), ("err", "unwrap()", "unwrap_err()"),
        ("err", "expect($M)", "expect_err($M)"), ("ok", "unwrap_or_default()", "unwrap_or_default()"),
        ("ok", "unwrap_or($B)", "unwrap_or($B)"), ("ok", "is_some()", "is_ok()"), ("err", "is_some()", "is_err()"),
        ("ok", "is_none()", "is_err()"), ("err", "is_none()", "is_ok()"), ("ok", "map_or(false, $F)", "is_ok_and($F)"),
        ("err", "map_or(false, $F)", "is_err_and($F)")]))
    f.append(family("$A.{s}_by(|$X, $Y| $X.{c0}($Y){c1})", "$A.{s}()", s=["sort", "sort_unstable"],
                    c=[("cmp", ""), ("partial_cmp", ".unwrap()")]))
    f.append(family("$A.as_ref().map(|$X| $X.{v}())", "$A.as_deref()",
                    v=["as_str", "as_slice", "as_path", "as_os_str", "deref", "as_ref", "borrow", "as_bytes"]))
    f.append(family("$A.{it}.fold({o0}, |$X, $Y| $X {o1} $Y)", "$A.{it}.{o2}()", it=ITER,
                    o=[("0", "+", "sum"), ("1", "*", "product")]))
    f.append(family("$A.{it}.{ad}().collect::<Vec<_>>()", "$A.to_vec()",
                    it=["iter()", "as_slice().iter()", "into_iter()"], ad=["cloned", "copied"]))
    f.append(family("$A.extend($B.{it}.{ad}())", "$A.extend_from_slice(&$B)",
                    it=["iter()", "as_slice().iter()", "into_iter()"], ad=["cloned", "copied"]))
    f.append(family("$A.{o}().{n}()", "$A.{n}()", o=OWN, n=AFTER_OWN))
    f.append(family("$A.min($B).max($C)", "$A.clamp($C, $B)"))
    f.append(family("$A.{l0}(&$B).{p0}()", "{p1}$A.{l1}(&$B)",
                    l=[("get", "contains_key"), ("get_mut", "contains_key"), ("binary_search", "contains"),
                       ("get_key_value", "contains_key"), ("iter().position", "contains")],
                    p=[("is_some", ""), ("is_none", "!"), ("is_ok", ""), ("is_err", "!")]))
    f.append(family("$A.checked_{op}($B).unwrap_or({lim})", "$A.saturating_{op}($B)", op=["sub", "add", "mul", "pow"],
                    lim=["0", "usize::MAX", "u32::MAX", "u64::MAX", "i64::MAX", "i32::MAX", "u8::MAX", "u16::MAX"]))
    f.append(family("$A.{l}().unwrap()", "$A.{l}().expect(\"lock poisoned\")", l=["lock", "read", "write"]))
    f.append(family("$A.{v}() == {e}", "$A.is_empty()", v=["as_str", "trim", "as_bytes", "as_slice", "to_string",
                                                          "as_os_str", "to_str().unwrap"],
                    e=['""', "[]", '"".to_string()', "String::new()", "Vec::new()", "vec![]"]))
    f.append(family("$A.{it}.filter($F).count() {c0}", "{c1}$A.{it}.any($F)", it=ITER,
                    c=[("> 0", ""), ("== 0", "!"), ("!= 0", ""), (">= 1", "")]))
    f.append(family("$A.unwrap_or_else(|| {v})", "$A.unwrap_or_default()", v=CTOR))
    f.append(family("$A.or_insert({v})", "$A.or_default()", v=CTOR))
    f.append(family("$A.or_insert_with({v})", "$A.or_default()", v=CTOR_FN))
    f.append(family("$A.unwrap_or_else({v})", "$A.unwrap_or_default()", v=CTOR_FN))
    f.append(family("$A.{it}.collect::<{c}>()", "<{c}>::from_iter($A.{it})",
                    it=ITER, c=COLLECTION))
    preds = []
    for p in PRED:
        neg = NEGATED.get(p)
        preds += [(f"$A.{p} == false", f"$A.{neg}" if neg else f"!$A.{p}"),
                  (f"$A.{p} == true", f"$A.{p}"),
                  (f"$A.{p} != true", f"$A.{neg}" if neg else f"!$A.{p}"),
                  (f"!$A.{p} == false", f"$A.{p}")]
    f.append(preds)
    f.append(family("$A.{p}(&$B.{c}())", "$A.{p}(&$B)",
                    p=["push_str", "extend_from_slice", "write_str", "write_all", "contains", "starts_with",
                       "ends_with", "eq", "insert", "join"], c=["to_string", "to_owned", "clone", "to_vec"]))
    for eq, side in (("==", "{o1}"), ("!=", "{o2}")):
        f.append(family("$A.cmp(&$B) " + eq + " {p}{o0}", "$A " + side + " $B", p=["Ordering::", "std::cmp::Ordering::"],
                        o=[("Less", "<", ">="), ("Greater", ">", "<="), ("Equal", "==", "!=")]))
    f.append(family("$A.partial_cmp(&$B) == Some({p}{o0})", "$A {o1} $B", p=["Ordering::", "std::cmp::Ordering::"],
                    o=[("Less", "<"), ("Greater", ">"), ("Equal", "==")]))
    f.append(family("$A.{c}() == $B.{c}()", "$A.eq_ignore_ascii_case(&$B)",
                    c=["to_lowercase", "to_uppercase", "to_ascii_lowercase", "to_ascii_uppercase"]))
    f.append(family("{p}repeat($A).take($N)", "{p}repeat_n($A, $N)", p=["std::iter::", "iter::", "core::iter::"]))
    f.append(family("$A[..].{m}()", "$A.{m}()", m=["to_vec", "len", "iter", "is_empty", "to_owned", "first",
                                                     "last", "iter_mut", "as_ptr", "into_iter"]))
    f.append(family("$A.{m0}(|$X| $X)", "$A{m1}", m=[("map", ""), ("map_err", ""), ("iter().map", ".iter()"),
                                                       ("into_iter().map", ".into_iter()")]))
    f.append(family("$A.and_then(|$X| {w}($B))", "$A.map(|$X| $B)", w=["Some", "Ok"]))
    f.append(family("$A.{it}.{n0}().next()", "$A.{it}.{n1}()", it=ITER,
                    n=[("rev", "next_back"), ("skip(0)", "next"), ("take(1)", "next")]))
    f.append(family("$A.{it}.nth(0)", "$A.{it}.next()", it=ITER))
    f.append(family("$A.{t0}($B).{t1}($B)", "$A.trim_matches($B)",
                    t=[("trim_start_matches", "trim_end_matches"), ("trim_end_matches", "trim_start_matches")]))
    f.append(family("$A.to_str().unwrap().{o}()", "$A.to_string_lossy().into_owned()",
                    o=["to_string", "to_owned", "into"]))
    f.append(family("$A.{it}.{ad}().collect::<{c}>()", "<{c}>::from_iter($A.{it}.{ad}())",
                    it=["iter()", "into_iter()", "keys()", "values()"], ad=["cloned", "copied", "rev", "enumerate"],
                    c=["Vec<_>", "HashSet<_>", "BTreeSet<_>", "String"]))
    f.append(family("$A.{ad}(|$X| $X.{m0}())", "$A.{ad}({m1})",
                    ad=["map", "filter_map", "flat_map", "and_then", "map_err", "for_each", "any", "all"],
                    m=METHOD_PATH))
    f.append(family("$A.{it}.{cp}().{c}", "$A.{it}.{c}.{cp}()", it=ITER, cp=["cloned", "copied"],
                    c=["next()", "last()", "nth($N)", "max()", "min()", "find($F)"]))
    f.append(family("$A.{it}{l0}", "$A.{it}{l1}", it=ITER, l=[
        (".skip($N).next()", ".nth($N)"), (".step_by(1)", ""), (".last()", ".next_back()"),
        (".collect::<Vec<_>>().len()", ".count()"), (".collect::<Vec<_>>().is_empty()", ".next().is_none()"),
        (".map($F).count()", ".count()"), (".flat_map(|$X| $X)", ".flatten()"), (".filter_map(|$X| $X)", ".flatten()")]))
    f.append(family("$A {c} {t}::{v0}()", "$A {c} {t}::{v1}", c=["==", ">=", "<"],
                    v=[("max_value", "MAX"), ("min_value", "MIN")], t=INTS))
    f.append(family("$A as {t} as {t}", "$A as {t}", t=INTS))
    f.append(family("$A.get_or_insert_with({v})", "$A.get_or_insert_default()", v=CTOR_FN))
    f.append(family("$A.get_or_insert_with(|| {v})", "$A.get_or_insert_default()", v=CTOR))
    f.append(family("{r0}$A.{r1}($B).unwrap()", "{r0}$A[$B]", r=[("&", "get"), ("&mut ", "get_mut"), ("*", "get")]))
    return f


def patterns(n):
    fams = families()
    seen = set()
    order = []

    def take(before, after):
        if before in seen or before == after:
            return
        seen.add(before)
        order.append((before, after))

    for fam in fams:
        take(*fam[0])
    rest = [iter(fam[1:]) for fam in fams]
    while len(order) < n and rest:
        alive = []
        for it in rest:
            nxt = next(it, None)
            if nxt is not None:
                take(*nxt)
                alive.append(it)
        rest = alive
    if len(order) < n:
        sys.exit(f"only {len(order)} distinct patterns can be generated, {n} asked")
    return order[:n]


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.exit(__doc__.strip().splitlines()[2])
    n, out = int(sys.argv[1]), sys.argv[2]
    sut = os.path.join(out, "suture")
    ag = os.path.join(out, "astgrep")
    for d in (sut, ag):
        if os.path.exists(d):
            shutil.rmtree(d)
    os.makedirs(sut)
    os.makedirs(os.path.join(ag, "rules"))
    with open(os.path.join(ag, "sgconfig.yml"), "w") as f:
        f.write("ruleDirs:\n  - rules\n")
    for i, (before, after) in enumerate(patterns(n), 1):
        pid = f"b-{i:04d}"
        # JSON strings are valid TOML basic strings and YAML double-quoted strings for this ASCII text.
        with open(os.path.join(sut, pid + ".toml"), "w") as f:
            # score 1: every match is a proposed fix (confidence = score with no locations given), as every
            # ast-grep match is reported; a hand-written pattern without a score would fall under
            # `suture fix`'s default --min-confidence and only be counted.
            f.write(f'id = "{pid}"\norigin = "hand-written"\nbefore = {json.dumps(before)}\n'
                    f'after = {json.dumps(after)}\nscore = 1.0\n')
        with open(os.path.join(ag, "rules", pid + ".yml"), "w") as f:
            f.write(f"id: {pid}\nlanguage: rust\nseverity: hint\nmessage: {json.dumps(before + ' -> ' + after)}\n"
                    f"rule:\n  pattern: {json.dumps(before)}\nfix: {json.dumps(after)}\n")


if __name__ == "__main__":
    main()
