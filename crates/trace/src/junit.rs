//! JUnit XML (nextest's `junit.xml`, cargo2junit and the like): the failed test cases and their text.
//!
//! Why a hand-written scanner and not an XML library: we need three things (`<testcase name>`, the
//! `<failure>` / `<error>` element with its body, `<system-err>`), and we need them from files that were cut
//! off or pasted into a log next to other output, where a conforming parser stops at the first error. The
//! scanner looks for those tags, decodes entities and CDATA, and takes what is there.

use std::ops::Range;

use crate::text::xml_unescape;

/// One failed `<testcase>`.
pub(crate) struct Case {
    pub(crate) name: String,
    /// The `message` attribute of `<failure>` / `<error>` (nextest: the panic header line).
    pub(crate) message: String,
    /// The text of `<failure>` / `<error>` (nextest: the panic with its backtrace).
    pub(crate) body: String,
    pub(crate) system_err: String,
}

/// The JUnit XML documents in `text`, in order: each from its first tag to the first closing
/// `</testsuite>` / `</testsuites>`, or to the end when it was cut off. The text around them (a log the XML
/// was pasted into) is left to the line reader.
pub(crate) fn regions(text: &str) -> Vec<Range<usize>> {
    let mut regions = Vec::new();
    if !text.contains("<testcase") {
        return regions;
    }
    let mut starts = NextOf::new(text, &["<?xml", "<testsuites", "<testsuite", "<testcase"]);
    let mut ends = NextOf::new(text, &["</testsuite>", "</testsuites>"]);
    let mut from = 0;
    while let Some((start, _)) = starts.at_or_after(from) {
        let end = ends
            .at_or_after(start)
            .map_or(text.len(), |(end, tag)| end + tag.len());
        regions.push(start..end);
        from = end;
    }
    regions
}

/// The next occurrence of any of several tags, remembered per tag so that scanning many regions stays
/// linear even when a tag does not occur at all. Positions asked for must not decrease.
struct NextOf<'a> {
    text: &'a str,
    tags: &'a [&'a str],
    /// Per tag: not searched yet, or its next occurrence (`None`: there is none further on).
    found: Vec<Option<Option<usize>>>,
}

impl<'a> NextOf<'a> {
    fn new(text: &'a str, tags: &'a [&'a str]) -> NextOf<'a> {
        NextOf {
            text,
            tags,
            found: vec![None; tags.len()],
        }
    }

    fn at_or_after(&mut self, from: usize) -> Option<(usize, &'a str)> {
        let mut best: Option<(usize, &'a str)> = None;
        for (tag, found) in self.tags.iter().zip(&mut self.found) {
            let search = match *found {
                None => true,
                Some(Some(at)) => at < from,
                Some(None) => false,
            };
            if search {
                let next = self.text.get(from..).and_then(|rest| rest.find(tag));
                *found = Some(next.map(|i| from + i));
            }
            if let Some(Some(at)) = *found
                && best.is_none_or(|(b, _)| at < b)
            {
                best = Some((at, tag));
            }
        }
        best
    }
}

pub(crate) fn failed_cases(xml: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut rest = xml;
    while let Some(at) = find_tag(rest, "testcase") {
        let tag = &rest[at..];
        let Some((attrs, self_closing, content)) = start_tag(tag) else {
            break;
        };
        let after = &tag[content..];
        if self_closing {
            rest = after;
            continue;
        }
        let end = after.find("</testcase>").unwrap_or(after.len());
        if let Some(case) = failed_case(attribute(attrs, "name").unwrap_or_default(), &after[..end])
        {
            cases.push(case);
        }
        rest = &after[end..];
    }
    cases
}

fn failed_case(name: String, content: &str) -> Option<Case> {
    let (element, at) = ["failure", "error"]
        .into_iter()
        .filter_map(|e| find_tag(content, e).map(|at| (e, at)))
        .min_by_key(|&(_, at)| at)?;
    let tag = &content[at..];
    let (attrs, self_closing, body_start) = start_tag(tag).unwrap_or((&tag[1..], true, tag.len()));
    let body = if self_closing {
        String::new()
    } else {
        let body = &tag[body_start..];
        let close = format!("</{element}>");
        text_content(&body[..body.find(&close).unwrap_or(body.len())])
    };
    let system_err = content
        .find("<system-err>")
        .map(|i| {
            let body = &content[i + "<system-err>".len()..];
            text_content(&body[..body.find("</system-err>").unwrap_or(body.len())])
        })
        .unwrap_or_default();
    Some(Case {
        name,
        message: attribute(attrs, "message").unwrap_or_default(),
        body,
        system_err,
    })
}

/// The position of `<name` followed by whitespace, `>` or `/` (so `failure` does not find `flakyFailure`
/// and `testcase` does not find `testcases`).
fn find_tag(s: &str, name: &str) -> Option<usize> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(i) = s[from..].find(&open) {
        let at = from + i;
        let next = s[at + open.len()..].chars().next();
        if next.is_none_or(|c| c.is_whitespace() || c == '>' || c == '/') {
            return Some(at);
        }
        from = at + open.len();
    }
    None
}

/// For `s` starting at `<`: the attribute text, whether the tag closes itself, and where its content
/// starts. `None` when the tag is cut off.
fn start_tag(s: &str) -> Option<(&str, bool, usize)> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                let inner = &s[1..i];
                let self_closing = inner.ends_with('/');
                return Some((inner.trim_end_matches('/'), self_closing, i + 1));
            }
            (None, _) => {}
        }
    }
    None
}

/// The decoded value of `key="…"` (or single-quoted) in a tag's attribute text.
fn attribute(attrs: &str, key: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = attrs[from..].find(key) {
        let at = from + i;
        from = at + key.len();
        let preceded = attrs[..at]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let rest = attrs[from..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if !preceded {
            continue;
        }
        let value = &rest[1..];
        let end = value.find(quote).unwrap_or(value.len());
        return Some(xml_unescape(&value[..end]).into_owned());
    }
    None
}

/// Element text: entities decoded, CDATA sections taken verbatim, nested tags dropped.
fn text_content(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        out.push_str(&xml_unescape(&rest[..lt]));
        let tag = &rest[lt..];
        if let Some(cdata) = tag.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            out.push_str(&cdata[..end]);
            rest = cdata.get(end + 3..).unwrap_or("");
        } else {
            rest = tag.find('>').map_or("", |gt| &tag[gt + 1..]);
        }
    }
    out.push_str(&xml_unescape(rest));
    out
}
