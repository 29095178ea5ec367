//! JSON lines: `cargo --message-format=json`, rustc's `--error-format=json`, and libtest's JSON events.
//!
//! Only objects of these known shapes are consumed; any other line starting with `{` is left to the line
//! reader, because it may just be part of a panic message. Diagnostics are located at their primary span;
//! a span inside a macro definition (`<…macros>` or the toolchain's sources) is followed out through its
//! expansion to the call site in the user's code, where a fix would go.

use serde_json::{Map, Value};

use crate::Diagnostic;
use crate::lines::Parser;

/// How far a macro expansion chain is followed; real chains are a few levels deep.
const MAX_EXPANSION_DEPTH: usize = 32;

/// Returns whether the line was one of the known JSON shapes.
pub(crate) fn line(parser: &mut Parser, t: &str) -> bool {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(t) else {
        return false;
    };
    if let Some(reason) = object.get("reason").and_then(Value::as_str) {
        if reason == "compiler-message"
            && let Some(Value::Object(message)) = object.get("message")
            && let Some(diagnostic) = diagnostic(message)
        {
            parser.push_diagnostic(diagnostic);
        }
        return true;
    }
    if object.contains_key("$message_type")
        || (object.contains_key("spans") && object.contains_key("level"))
    {
        if let Some(diagnostic) = diagnostic(&object) {
            parser.push_diagnostic(diagnostic);
        }
        return true;
    }
    let kind = object.get("type").and_then(Value::as_str);
    let event = object.get("event").and_then(Value::as_str);
    if let (Some(kind), Some(event)) = (kind, event) {
        if kind == "test"
            && matches!(event, "failed" | "timeout")
            && let Some(name) = object.get("name").and_then(Value::as_str)
        {
            parser.failed(name);
            if let Some(stdout) = object.get("stdout").and_then(Value::as_str) {
                parser.embedded(stdout, name);
            }
        }
        return true;
    }
    false
}

fn diagnostic(message: &Map<String, Value>) -> Option<Diagnostic> {
    let spans = message.get("spans")?.as_array()?;
    let mut span = spans
        .iter()
        .find(|s| s.get("is_primary").and_then(Value::as_bool) == Some(true))?;
    for _ in 0..MAX_EXPANSION_DEPTH {
        let file = span.get("file_name").and_then(Value::as_str).unwrap_or("");
        if !(file.starts_with('<') || file.starts_with("/rustc/")) {
            break;
        }
        match span.get("expansion").and_then(|e| e.get("span")) {
            Some(call_site) => span = call_site,
            None => break,
        }
    }
    let number = |key: &str| {
        span.get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    Some(Diagnostic {
        level: message.get("level")?.as_str()?.to_owned(),
        code: message
            .get("code")
            .and_then(|c| c.get("code"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        message: message.get("message")?.as_str()?.to_owned(),
        file: span.get("file_name")?.as_str()?.to_owned(),
        line: number("line_start")?,
        column: number("column_start")?,
        end_line: number("line_end").or(number("line_start"))?,
    })
}
