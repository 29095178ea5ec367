//! Locations to focus on: `--at FILE:LINE` arguments and rustc/clippy JSON diagnostics.
//!
//! Both are checked against the tree being fixed, so that a typo in a path is an error that names it rather
//! than a silently unfocused run.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::fixing::Location;

/// Parses `FILE:LINE` (relative to `root`, or absolute inside it) and checks that the file is in the tree
/// and has that line.
pub fn parse_at(root: &Path, arg: &str) -> Result<Location> {
    let (file, line) = arg
        .rsplit_once(':')
        .with_context(|| format!("`--at {arg}`: expected FILE:LINE"))?;
    let line: u32 = line
        .parse()
        .ok()
        .filter(|&l| l > 0)
        .with_context(|| format!("`--at {arg}`: `{line}` is not a line number"))?;
    let location =
        in_tree(root, file, line, "--at".to_owned()).with_context(|| format!("`--at {arg}`"))?;
    Ok(location)
}

/// Reads `cargo check|clippy --message-format=json` output: each compiler message's primary spans become
/// locations. Lines that are not JSON (cargo's own progress text) are ignored; a text with no compiler
/// message JSON at all is an error, as it is almost surely the wrong file.
pub fn parse_diagnostics(root: &Path, text: &str, name: &str) -> Result<Vec<Location>> {
    let mut locations = Vec::new();
    let mut messages = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{name}:{}: not valid JSON", n + 1))?;
        if value["reason"] != "compiler-message" {
            continue;
        }
        messages += 1;
        let message = value["message"]["message"].as_str().unwrap_or("");
        let code = value["message"]["code"]["code"].as_str();
        let source = match code {
            Some(code) => format!("diagnostic {code}: {message}"),
            None => format!("diagnostic: {message}"),
        };
        for span in value["message"]["spans"].as_array().into_iter().flatten() {
            if span["is_primary"] != true {
                continue;
            }
            let (Some(file), Some(line)) =
                (span["file_name"].as_str(), span["line_start"].as_u64())
            else {
                continue;
            };
            // Diagnostics also point into dependencies and the standard library; only the tree counts.
            if let Ok(location) = in_tree(root, file, line as u32, source.clone()) {
                locations.push(location);
            }
        }
    }
    if messages == 0 {
        bail!(
            "{name}: no compiler messages found (produce it with `cargo check --message-format=json`)"
        );
    }
    Ok(locations)
}

fn in_tree(root: &Path, file: &str, line: u32, source: String) -> Result<Location> {
    let root =
        std::fs::canonicalize(root).with_context(|| format!("cannot read `{}`", root.display()))?;
    let base = if root.is_file() {
        root.parent().unwrap_or(&root).to_path_buf()
    } else {
        root.clone()
    };
    let candidate = if Path::new(file).is_absolute() {
        Path::new(file).to_path_buf()
    } else {
        base.join(file)
    };
    let path = std::fs::canonicalize(&candidate)
        .with_context(|| format!("`{file}` does not exist in `{}`", base.display()))?;
    let relative = path
        .strip_prefix(&base)
        .with_context(|| format!("`{file}` is outside `{}`", base.display()))?;
    let text = std::fs::read(&path).with_context(|| format!("cannot read `{file}`"))?;
    let lines = text.split(|&b| b == b'\n').count() as u32;
    if line > lines {
        bail!("`{file}` has {lines} lines, not {line}");
    }
    Ok(Location {
        file: relative.to_string_lossy().replace('\\', "/"),
        line,
        source,
        step: None,
    })
}
