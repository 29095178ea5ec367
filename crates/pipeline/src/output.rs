//! Machine-readable reports of `suture fix`: versioned JSON and SARIF 2.1.0.
//!
//! The JSON shape is documented in README.md ("JSON output") and carries `"version": 1`; fields are only ever
//! added within a version. SARIF follows the OASIS 2.1.0 schema as GitHub code scanning reads it: one run, one
//! rule per pattern, one result per fix, each with a `fixes` entry whose replacement is the fix itself.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::fixing::{Fix, FixReport};

/// The version of the JSON report's shape.
pub const JSON_VERSION: u32 = 1;

pub fn to_json(report: &FixReport, applied: bool) -> Value {
    json!({
        "version": JSON_VERSION,
        "tool": "suture",
        "applied": applied,
        "files_scanned": report.files_scanned,
        "patterns": report.patterns,
        "fixes": report.fixes().collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|s| json!({
            "file": s.file,
            "line": s.line,
            "pattern": s.pattern,
            "code": s.reason.code(),
            "reason": s.reason,
        })).collect::<Vec<_>>(),
        "skipped_files": report.skipped_files,
        "validation": report.validation,
    })
}

pub fn to_sarif(report: &FixReport) -> Value {
    let mut rules: BTreeMap<&str, &Fix> = BTreeMap::new();
    for fix in report.fixes() {
        rules.entry(fix.pattern.as_str()).or_insert(fix);
    }
    let rule_index: BTreeMap<&str, usize> =
        rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules: Vec<Value> = rules
        .values()
        .map(|fix| {
            json!({
                "id": fix.pattern,
                "shortDescription": { "text": format!("suture pattern {}", fix.pattern) },
                "properties": { "origin": fix.origin },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .fixes()
        .filter(|f| f.round == 1)
        .map(|fix| {
            let region = json!({
                "startLine": fix.start.line,
                "startColumn": fix.start.column,
                "endLine": fix.end.line,
                "endColumn": fix.end.column,
            });
            let location = json!({ "artifactLocation": { "uri": fix.file }, "region": region });
            json!({
                "ruleId": fix.pattern,
                "ruleIndex": rule_index[fix.pattern.as_str()],
                "level": if fix.confidence.get() >= 0.5 { "warning" } else { "note" },
                "message": { "text": format!("replace `{}` with `{}`: {}", one_line(&fix.before), one_line(&fix.after), fix.reason) },
                "locations": [ { "physicalLocation": location } ],
                "properties": { "confidence": fix.confidence, "rank": fix.rank, "validation": fix.validation },
                "fixes": [ {
                    "description": { "text": format!("apply suture pattern {}", fix.pattern) },
                    "artifactChanges": [ {
                        "artifactLocation": { "uri": fix.file },
                        "replacements": [ {
                            "deletedRegion": region,
                            "insertedContent": { "text": fix.after },
                        } ],
                    } ],
                } ],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": {
                "name": "suture",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            } },
            "results": results,
        } ],
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
