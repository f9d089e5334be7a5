//! A small XML reader for build manifests.

use regex::Regex;

use super::line_col;

/// One XML element: its `/`-joined path from the root (`project/dependencies/dependency/artifactId`),
/// the text directly inside it (trimmed), and the raw attribute text of its start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlElem {
    pub path: String,
    pub text: String,
    pub attrs: String,
}

/// Deepest element nesting read (build manifests nest a handful of levels): every element records
/// its path, so a file nested a hundred thousand levels deep would cost quadratic time and memory.
pub const MAX_XML_DEPTH: usize = 256;

/// A small, forgiving XML reader for build manifests (`pom.xml`, `*.csproj`): elements in document
/// order of their end tags. Comments, processing instructions, CDATA and DOCTYPE are skipped. Errors
/// (mismatched or unclosed tags) say the line.
pub fn xml_elements(text: &str) -> Result<Vec<XmlElem>, String> {
    let mut out = Vec::new();
    // (name, attrs, text)
    let mut stack: Vec<(String, String, String)> = Vec::new();
    let mut i = 0;
    let b = text.as_bytes();
    let mut saw_root = false;
    while i < b.len() {
        let Some(rel) = text[i..].find('<') else {
            if let Some(top) = stack.last_mut() {
                top.2.push_str(&text[i..]);
            }
            break;
        };
        if let Some(top) = stack.last_mut() {
            top.2.push_str(&text[i..i + rel]);
        }
        let start = i + rel;
        let rest = &text[start..];
        let (skip_to, what) = if rest.starts_with("<!--") {
            ("-->", "comment")
        } else if rest.starts_with("<![CDATA[") {
            ("]]>", "CDATA section")
        } else if rest.starts_with("<?") {
            ("?>", "processing instruction")
        } else if rest.starts_with("<!") {
            (">", "declaration")
        } else {
            ("", "")
        };
        if !skip_to.is_empty() {
            match rest.find(skip_to) {
                Some(end) => {
                    if what == "CDATA section"
                        && let Some(top) = stack.last_mut()
                    {
                        top.2.push_str(&rest[9..end]);
                    }
                    i = start + end + skip_to.len();
                    continue;
                }
                None => {
                    let (l, c) = line_col(text, start);
                    return Err(format!("unterminated {what} at line {l} column {c}"));
                }
            }
        }
        let Some(end) = rest.find('>') else {
            let (l, c) = line_col(text, start);
            return Err(format!("unterminated tag at line {l} column {c}"));
        };
        let tag = &rest[1..end];
        i = start + end + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            match stack.pop() {
                Some((open, attrs, t)) if open == name => {
                    let mut path: Vec<&str> = stack.iter().map(|(n, _, _)| n.as_str()).collect();
                    path.push(name);
                    out.push(XmlElem {
                        path: path.join("/"),
                        text: t.trim().to_string(),
                        attrs,
                    });
                }
                Some((open, _, _)) => {
                    let (l, c) = line_col(text, start);
                    return Err(format!(
                        "mismatched tag at line {l} column {c}: expected </{open}>, found </{name}>"
                    ));
                }
                None => {
                    let (l, c) = line_col(text, start);
                    return Err(format!("unexpected </{name}> at line {l} column {c}"));
                }
            }
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
            let name = &tag[..name_end];
            if name.is_empty() {
                let (l, c) = line_col(text, start);
                return Err(format!("empty tag name at line {l} column {c}"));
            }
            if stack.is_empty() && saw_root {
                let (l, c) = line_col(text, start);
                return Err(format!(
                    "second root element <{name}> at line {l} column {c}"
                ));
            }
            saw_root = true;
            let attrs = tag[name_end..].trim().to_string();
            if self_closing {
                let mut path: Vec<&str> = stack.iter().map(|(n, _, _)| n.as_str()).collect();
                path.push(name);
                out.push(XmlElem {
                    path: path.join("/"),
                    text: String::new(),
                    attrs,
                });
            } else {
                if stack.len() >= MAX_XML_DEPTH {
                    let (l, c) = line_col(text, start);
                    return Err(format!(
                        "elements nested deeper than {MAX_XML_DEPTH} levels at line {l} column {c}"
                    ));
                }
                stack.push((name.to_string(), attrs, String::new()));
            }
        }
    }
    if let Some((open, _, _)) = stack.last() {
        return Err(format!(
            "element <{open}> is not closed at the end of the file"
        ));
    }
    if !saw_root {
        return Err("no root element".to_string());
    }
    Ok(out)
}

/// The value of attribute `name` in raw attribute text (`Sdk="Microsoft.NET.Sdk.Web"`).
pub fn xml_attr(attrs: &str, name: &str) -> Option<String> {
    let re = Regex::new(&format!(
        r#"(?:^|\s){}\s*=\s*["']([^"']*)["']"#,
        regex::escape(name)
    ))
    .ok()?;
    re.captures(attrs)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}
