//! Terraform: any `*.tf` makes an infrastructure folder (shown, never deployed); providers from
//! `provider "…"` blocks and `required_providers` become technologies.

use std::sync::LazyLock;

use regex::Regex;

use super::lang;
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// Base confidence of infrastructure code.
pub const TERRAFORM_CONFIDENCE: f64 = 0.6;
/// At most this many `.tf` files of one folder are read.
const FILE_CAP: usize = 64;

static PROVIDER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?m)^\s*provider\s+"([A-Za-z0-9_-]+)""#).ok());
static SOURCE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"source\s*=\s*"(?:[A-Za-z0-9.-]+/)?(?:[A-Za-z0-9_-]+/)?([A-Za-z0-9_-]+)""#).ok()
});

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let files: Vec<&str> = folder.files_ending(".tf").take(FILE_CAP).collect();
    if files.is_empty() {
        return None;
    }
    let mut used: Vec<&str> = Vec::new();
    let mut providers: Vec<String> = Vec::new();
    for file in files {
        let Some(text) = lang::read_or_diag(folder, file, diags) else {
            continue;
        };
        let clean = match strip(&text) {
            Ok(c) => c,
            Err(msg) => {
                diags.push(lang::diag(
                    folder,
                    file,
                    format!("{file}: invalid HCL: {msg}"),
                ));
                continue;
            }
        };
        used.push(file);
        if let Some(re) = PROVIDER.as_ref() {
            for c in re.captures_iter(&clean) {
                if let Some(m) = c.get(1) {
                    push(&mut providers, m.as_str());
                }
            }
        }
        if let Some(block) = required_providers(&clean)
            && let Some(re) = SOURCE.as_ref()
        {
            for c in re.captures_iter(block) {
                if let Some(m) = c.get(1) {
                    push(&mut providers, m.as_str());
                }
            }
        }
    }
    if used.is_empty() {
        return None;
    }
    let mut f = lang::new_finding(
        folder,
        ServiceType::Infrastructure,
        Rank::Infrastructure,
        TERRAFORM_CONFIDENCE,
    );
    for u in used {
        f.indicator(u);
    }
    f.tech("terraform");
    for p in &providers {
        f.tech(p);
    }
    Some(f)
}

fn push(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// The body of the first `required_providers { … }` block.
fn required_providers(text: &str) -> Option<&str> {
    let start = text.find("required_providers")?;
    let open = start + text[start..].find('{')?;
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[open + 1..open + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Removes comments and heredoc bodies (keeping strings) and checks that braces balance.
fn strip(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut depth: Vec<usize> = Vec::new();
    let mut heredoc: Option<String> = None;
    let mut in_block_comment = false;
    for (n, line) in text.lines().enumerate() {
        let ln = n + 1;
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            out.push('\n');
            continue;
        }
        let mut chars = line.char_indices().peekable();
        let mut in_str = false;
        while let Some((i, c)) = chars.next() {
            if in_block_comment {
                if c == '*' && chars.peek().is_some_and(|(_, n)| *n == '/') {
                    chars.next();
                    in_block_comment = false;
                }
                continue;
            }
            if in_str {
                out.push(c);
                if c == '\\' {
                    if let Some((_, n)) = chars.next() {
                        out.push(n);
                    }
                } else if c == '"' {
                    in_str = false;
                }
                continue;
            }
            match c {
                '"' => {
                    in_str = true;
                    out.push(c);
                }
                '#' => break,
                '/' if chars.peek().is_some_and(|(_, n)| *n == '/') => break,
                '/' if chars.peek().is_some_and(|(_, n)| *n == '*') => {
                    chars.next();
                    in_block_comment = true;
                }
                '<' if line[i..].starts_with("<<") => {
                    let tag: String = line[i + 2..]
                        .trim_start_matches('-')
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !tag.is_empty() {
                        heredoc = Some(tag);
                        break;
                    }
                    out.push(c);
                }
                '{' => {
                    depth.push(ln);
                    out.push(c);
                }
                '}' => {
                    if depth.pop().is_none() {
                        return Err(format!("unexpected `}}` at line {ln}"));
                    }
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out.push('\n');
    }
    if let Some(end) = heredoc {
        return Err(format!("heredoc `{end}` is not terminated"));
    }
    if let Some(ln) = depth.last() {
        return Err(format!("block opened at line {ln} is not closed"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::{fixture, run, temp};
    use super::*;

    fn one(files: &[(&str, &str)]) -> (Option<Finding>, Vec<Diagnostic>) {
        let (_d, f) = temp(files);
        run(analyze, &f)
    }

    #[test]
    fn aws_fixture() {
        let (f, d) = run(analyze, &fixture("terraform/aws"));
        let f = f.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.kind, ServiceType::Infrastructure);
        assert_eq!(f.rank, Rank::Infrastructure);
        assert_eq!(f.technologies, vec!["terraform", "aws", "random"]);
        assert!(f.ports.is_empty());
        assert!(f.start_command.is_none());
        assert_eq!(f.indicators, vec!["main.tf", "variables.tf", "versions.tf"]);
        assert!((f.confidence - 0.6).abs() < 1e-9);
    }

    #[test]
    fn comments_and_heredocs_do_not_confuse_braces() {
        let tf = "# provider \"google\" {\nresource \"x\" \"y\" {\n  policy = <<EOF\n{ \"a\": {\nEOF\n  name = \"}\" // }\n}\n";
        let (f, d) = one(&[("main.tf", tf)]);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.unwrap().technologies, vec!["terraform"]);
    }

    #[test]
    fn unbalanced_file_is_a_diagnostic() {
        let (f, d) = one(&[("main.tf", "resource \"a\" \"b\" {\n  x = 1\n")]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/main.tf");
        assert!(
            d[0].message.contains("line 1 is not closed"),
            "{}",
            d[0].message
        );
        let (f, d) = one(&[("bad.tf", "}\n"), ("ok.tf", "provider \"aws\" {}\n")]);
        assert_eq!(d.len(), 1);
        assert_eq!(f.unwrap().indicators, vec!["ok.tf"]);
    }
}
