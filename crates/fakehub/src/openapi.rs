//! GitHub's REST description (`@octokit/openapi`, `generated/api.github.com.json`), parsed once per
//! process, and the checks the fake applies to every request it receives.
//!
//! The check is deliberately structural: the route and method exist, every `required` property is
//! present (recursively through objects and arrays), enumerated strings take a documented value and
//! scalars have the documented JSON type. It does not validate formats (dates, URIs).

use std::sync::OnceLock;

use serde_json::Value;

use crate::npm;

/// The whole OpenAPI document.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = npm::node_modules().join(npm::OPENAPI_JSON);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    })
}

/// One segment of a path template.
#[derive(Debug)]
enum Segment {
    Literal(String),
    Param,
    /// A last-segment parameter whose value may contain slashes (a ref, a branch, a file path).
    Rest,
}

/// The parameters that hold slashes: git refs, branch names, `base...head`, file paths.
const SLASHED_PARAMS: &[&str] = &["{ref}", "{branch}", "{basehead}", "{path}", "{dir}"];

/// Path templates split into segments, built once.
fn templates() -> &'static [(String, Vec<Segment>)] {
    static TEMPLATES: OnceLock<Vec<(String, Vec<Segment>)>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let paths = spec()["paths"]
            .as_object()
            .expect("the description has paths");
        paths
            .keys()
            .map(|template| {
                let segments = template
                    .trim_start_matches('/')
                    .split('/')
                    .enumerate()
                    .map(|(i, s)| {
                        let last = template.trim_start_matches('/').split('/').count() == i + 1;
                        if last && SLASHED_PARAMS.contains(&s) {
                            Segment::Rest
                        } else if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_string())
                        }
                    })
                    .collect();
                (template.clone(), segments)
            })
            .collect()
    })
}

/// The path template matching `path` (query string ignored), e.g. `/repos/{owner}/{repo}/pulls`.
///
/// A last-segment `{ref}`, `{branch}`, `{path}`, … may swallow several segments, because refs
/// (`heads/a/b`) and file paths (`src/lib.rs`) contain slashes; other parameters are one segment. When several templates match, the one with the most literal
/// segments wins (`/repos/{owner}/{repo}/pulls/comments` over `/repos/{owner}/{repo}/pulls/{pull_number}`).
pub fn template(path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut best: Option<(&'static str, usize, usize)> = None;
    for (template, segments) in templates() {
        let Some(literals) = matches(segments, &parts) else {
            continue;
        };
        // Prefer more literals, then an exact segment count over a greedy tail.
        let exact = usize::from(segments.len() == parts.len());
        if best.is_none_or(|(_, l, e)| (literals, exact) > (l, e)) {
            best = Some((template.as_str(), literals, exact));
        }
    }
    best.map(|(t, _, _)| t)
}

fn matches(segments: &[Segment], parts: &[&str]) -> Option<usize> {
    let greedy_tail = matches!(segments.last(), Some(Segment::Rest));
    if parts.len() < segments.len() || (parts.len() > segments.len() && !greedy_tail) {
        return None;
    }
    let mut literals = 0;
    for (segment, part) in segments.iter().zip(parts) {
        match segment {
            Segment::Literal(l) if l == part => literals += 1,
            Segment::Literal(_) => return None,
            Segment::Param | Segment::Rest if part.is_empty() => return None,
            Segment::Param | Segment::Rest => {}
        }
    }
    Some(literals)
}

/// Follows `$ref`s (`#/components/...`) until a value that is not one.
pub fn resolve(mut value: &Value) -> &Value {
    for _ in 0..16 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            break;
        };
        match spec().pointer(pointer) {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

/// The operation object for `method` on the template matching `path`.
pub fn operation(method: &str, path: &str) -> Result<(&'static str, &'static Value), String> {
    let template = template(path).ok_or_else(|| format!("no route matches {path}"))?;
    let op = &spec()["paths"][template][method.to_ascii_lowercase()];
    if op.is_null() {
        return Err(format!(
            "{template} has no {} operation",
            method.to_ascii_uppercase()
        ));
    }
    Ok((template, op))
}

/// Checks a request against the description: the route exists (a path template such as
/// `/repos/{owner}/{repo}/git/refs` matches `path`, which may carry a query string), it has `method`,
/// and the JSON body has every `required` field of the operation's request body schema (`$ref`s
/// resolved; also inside objects in arrays, e.g. a review's `comments[].path`).
pub fn check(method: &str, path: &str, body: Option<&Value>) -> Result<(), String> {
    let (template, op) = operation(method, path)?;
    let route = format!("{} {template}", method.to_ascii_uppercase());
    let mut errors = Vec::new();
    check_parameters(template, op, path, &mut errors);
    let request_body = resolve(&op["requestBody"]);
    if !request_body.is_null() {
        let schema = &request_body["content"]["application/json"]["schema"];
        let required = request_body["required"].as_bool().unwrap_or(false);
        match body {
            None if required => errors.push("the request body is required".into()),
            Some(body) if !schema.is_null() => check_value(schema, body, "body", &mut errors, 0),
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{route}: {}", errors.join("; ")))
    }
}

/// `%XX` escapes decoded (and `+` as a space when `plus_is_space`, as in query strings).
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = s
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Path parameters have their documented type (`{pull_number}` is an integer); every query parameter
/// is documented for the operation, with its documented type and values.
fn check_parameters(template: &str, op: &Value, path: &str, errors: &mut Vec<String>) {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let path_level = &spec()["paths"][template]["parameters"];
    let params: Vec<&Value> = [&op["parameters"], path_level]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .map(resolve)
        .collect();
    let find = |place: &str, name: &str| {
        params
            .iter()
            .find(|p| p["in"] == place && p["name"] == name)
    };

    let names: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    for (i, segment) in names.iter().enumerate() {
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        let value = if i + 1 == names.len() {
            parts[i..].join("/")
        } else {
            parts[i].to_string()
        };
        if let Some(param) = find("path", name) {
            check_scalar(
                &param["schema"],
                &value,
                &format!("path parameter {name}"),
                errors,
            );
        }
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (percent_decode(name, true), percent_decode(value, true));
        match find("query", &name) {
            Some(param) => check_scalar(
                &param["schema"],
                &value,
                &format!("query parameter {name}"),
                errors,
            ),
            None => errors.push(format!("query parameter {name} is not documented")),
        }
    }
}

/// A path or query value against its parameter schema: integers parse, booleans are `true`/`false`,
/// enumerated values are documented ones.
fn check_scalar(schema: &Value, value: &str, what: &str, errors: &mut Vec<String>) {
    let schema = resolve(schema);
    let ok = match schema["type"].as_str() {
        Some("integer") => value.parse::<i64>().is_ok(),
        Some("number") => value.parse::<f64>().is_ok(),
        Some("boolean") => value == "true" || value == "false",
        _ => true,
    };
    if !ok {
        errors.push(format!(
            "{what} should be {}, found {value:?}",
            schema["type"].as_str().unwrap_or("?")
        ));
    } else if let Some(allowed) = schema["enum"].as_array()
        && !allowed.iter().any(|a| a.as_str() == Some(value))
    {
        errors.push(format!(
            "{what} is {value:?}, not one of {}",
            Value::Array(allowed.clone())
        ));
    }
}

/// Checks a JSON response against the documented schema of `method path` for `status`: every
/// `required` property present, types and enums as documented. A status the operation does not
/// document is an error; one documented without a JSON body accepts any body.
pub fn check_response(method: &str, path: &str, status: u16, body: &Value) -> Result<(), String> {
    let (template, op) = operation(method, path)?;
    let route = format!("{} {template}", method.to_ascii_uppercase());
    let responses = &op["responses"];
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"));
    let Some(response) = response else {
        return Err(format!("{route}: status {status} is not documented"));
    };
    let schema = &resolve(response)["content"]["application/json"]["schema"];
    if schema.is_null() {
        return Ok(());
    }
    let mut errors = Vec::new();
    check_value(schema, body, "response", &mut errors, 0);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{route} {status}: {}", errors.join("; ")))
    }
}

/// Appends to `errors` what is wrong with `value` at `at` against `schema`.
fn check_value(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>, depth: usize) {
    let schema = resolve(schema);
    if depth > 12 {
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            check_value(s, value, at, errors, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema[key].as_array() {
            let fits = |s: &Value| {
                let mut e = Vec::new();
                check_value(s, value, at, &mut e, depth + 1);
                e.is_empty()
            };
            if !alternatives.iter().any(fits) {
                errors.push(format!(
                    "{at} matches none of the documented alternatives ({key})"
                ));
            }
        }
    }
    if value.is_null() {
        let nullable = schema["nullable"].as_bool().unwrap_or(false)
            || schema["type"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "null"));
        if !nullable && !schema["type"].is_null() {
            errors.push(format!("{at} is null"));
        }
        return;
    }
    if let Some(wanted) = type_mismatch(schema, value) {
        errors.push(format!("{at} should be {wanted}, found {value}"));
        return;
    }
    if let (Some(allowed), Some(s)) = (schema["enum"].as_array(), value.as_str())
        && !allowed.iter().any(|a| a == s)
    {
        errors.push(format!(
            "{at} is {s:?}, not one of {}",
            Value::Array(allowed.clone())
        ));
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                errors.push(format!("{at}.{name} is required"));
            }
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (name, field) in object {
                if let Some(field_schema) = properties.get(name) {
                    check_value(
                        field_schema,
                        field,
                        &format!("{at}.{name}"),
                        errors,
                        depth + 1,
                    );
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check_value(items, item, &format!("{at}[{i}]"), errors, depth + 1);
        }
    }
}

/// The documented type `value` lacks, if it lacks it.
fn type_mismatch(schema: &Value, value: &Value) -> Option<String> {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let fits = |t: &str| match t {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    };
    if types.iter().any(|t| fits(t)) {
        None
    } else {
        Some(types.join(" or "))
    }
}

/// The documented example response of an operation for `status` (e.g. 201), `$ref`s resolved:
/// the starting point for the fake's answers.
pub fn example_response(method: &str, path: &str, status: u16) -> Option<Value> {
    let (_, op) = operation(method, path).ok()?;
    let response = resolve(&op["responses"][status.to_string()]);
    let content = &response["content"]["application/json"];
    if let Some(example) = content.get("example") {
        return Some(example.clone());
    }
    let examples = content["examples"].as_object()?;
    let first = resolve(
        examples
            .get("default")
            .or_else(|| examples.values().next())?,
    );
    first.get("value").cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_match_refs_with_slashes_and_prefer_literals() {
        assert_eq!(
            template("/repos/o/r/git/ref/heads/suture/fix-1"),
            Some("/repos/{owner}/{repo}/git/ref/{ref}")
        );
        assert_eq!(
            template("/repos/o/r/pulls/comments"),
            Some("/repos/{owner}/{repo}/pulls/comments")
        );
        assert_eq!(
            template("/repos/o/r/pulls/7?per_page=100"),
            Some("/repos/{owner}/{repo}/pulls/{pull_number}")
        );
        assert_eq!(template("/no/such/route"), None);
        assert_eq!(
            template("/repos/o/r/contents/src/a/b.rs"),
            Some("/repos/{owner}/{repo}/contents/{path}")
        );
        // `{repo}` is one segment: an unknown route under a repository matches nothing.
        assert_eq!(template("/repos/o/r/no-such-thing"), None);
    }

    #[test]
    fn check_reports_missing_required_fields_and_bad_enums() {
        assert!(
            check(
                "POST",
                "/repos/o/r/git/refs",
                Some(&json!({"ref": "refs/heads/a", "sha": "abc"}))
            )
            .is_ok()
        );
        let err = check(
            "POST",
            "/repos/o/r/git/refs",
            Some(&json!({"ref": "refs/heads/a"})),
        )
        .unwrap_err();
        assert!(err.contains("body.sha is required"), "{err}");
        let err = check("DELETE", "/repos/o/r/git/blobs", None).unwrap_err();
        assert!(err.contains("has no DELETE"), "{err}");
        let review =
            json!({"event": "COMMENT", "body": "x", "comments": [{"path": "a.rs", "line": 3}]});
        let err = check("POST", "/repos/o/r/pulls/1/reviews", Some(&review)).unwrap_err();
        assert!(err.contains("body.comments[0].body is required"), "{err}");
        let err = check(
            "POST",
            "/repos/o/r/issues/comments/5/reactions",
            Some(&json!({"content": "yay"})),
        )
        .unwrap_err();
        assert!(err.contains("not one of"), "{err}");
        let err = check("POST", "/repos/o/r/git/refs", None).unwrap_err();
        assert!(err.contains("required"), "{err}");
        assert!(
            check(
                "GET",
                "/repos/o/r/pulls?state=open&per_page=100&page=2",
                None
            )
            .is_ok()
        );
        let err = check("GET", "/repos/o/r/pulls?state=opened&perpage=100", None).unwrap_err();
        assert!(
            err.contains("query parameter state is \"opened\", not one of"),
            "{err}"
        );
        assert!(
            err.contains("query parameter perpage is not documented"),
            "{err}"
        );
        let err = check("GET", "/repos/o/r/pulls/seven", None).unwrap_err();
        assert!(
            err.contains("path parameter pull_number should be integer, found \"seven\""),
            "{err}"
        );
    }

    #[test]
    fn examples_resolve_refs() {
        let pr = example_response("GET", "/repos/o/r/pulls/1", 200).unwrap();
        assert!(pr["head"]["sha"].is_string());
        assert!(example_response("POST", "/repos/o/r/check-runs", 201).unwrap()["id"].is_u64());
    }
}
