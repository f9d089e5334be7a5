//! JSON with comments (`tsconfig.json`, `deno.jsonc`, `appsettings.json`, `launchSettings.json`).

use std::sync::LazyLock;

use regex::Regex;

/// Removes `//` and `/* */` comments and trailing commas from JSONC, keeping line structure (so the
/// JSON parser's line numbers still point at the original text).
pub fn strip_jsonc(text: &str) -> String {
    // A byte-order mark (Visual Studio writes one) is not JSON.
    let text = text.trim_start_matches('\u{feff}');
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
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
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                    }
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            _ => out.push(c),
        }
    }
    // Trailing commas: `,` followed by whitespace and `}` or `]`.
    static TRAILING: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r",(\s*[}\]])").ok());
    match TRAILING.as_ref() {
        Some(re) => re.replace_all(&out, "$1").into_owned(),
        None => out,
    }
}

/// Rewrites JSON5 (pnpm's `package.json5`: comments, unquoted keys, single-quoted strings, trailing
/// commas) as JSON, keeping line structure. Linear in the input; anything it does not know is left
/// as it is, for the JSON parser to report.
pub fn json5_to_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' => {
                // A string: re-quoted with `"`, inner `"` escaped, `\'` unescaped.
                out.push('"');
                i += 1;
                while i < chars.len() && chars[i] != c {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            if chars[i + 1] == '\'' {
                                out.push('\'');
                            } else if chars[i + 1] == '\n' {
                                // a line continuation
                                out.push('\n');
                            } else {
                                out.push('\\');
                                out.push(chars[i + 1]);
                            }
                            i += 2;
                            continue;
                        }
                        '"' => out.push_str("\\\""),
                        '\n' => break,
                        ch => out.push(ch),
                    }
                    i += 1;
                }
                out.push('"');
                i += 1;
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
                i += 2;
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut j = i;
                while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
                    j += 1;
                }
                let is_key = chars.get(j) == Some(&':');
                if is_key {
                    out.push('"');
                    out.push_str(&word);
                    out.push('"');
                } else {
                    out.push_str(&word);
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Trailing commas, as in JSONC.
    strip_jsonc(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json5_reads_as_json() {
        let t = "{\n  // pnpm manifest\n  name: 'app',\n  scripts: { start: 'node \"main.js\"', },\n  /* x */ version: \"1.0\",\n  n: 1,\n}\n";
        let v: serde_json::Value = serde_json::from_str(&json5_to_json(t)).unwrap();
        assert_eq!(v["name"], "app");
        assert_eq!(v["scripts"]["start"], "node \"main.js\"");
        assert_eq!(v["n"], 1);
        assert_eq!(json5_to_json(t).lines().count(), t.lines().count());
        assert_eq!(
            json5_to_json("{a: true, b: null}"),
            "{\"a\": true, \"b\": null}"
        );
        assert!(serde_json::from_str::<serde_json::Value>(&json5_to_json("{a: 'x}")).is_err());
    }
}
