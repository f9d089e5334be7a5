//! `.env` files: `KEY=value` lines, `export` prefixes, quotes, comments; and `${VAR}` interpolation as
//! compose does it (`${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `$$` for a literal `$`).

use std::collections::BTreeMap;

/// Parses the text of a `.env` file. Malformed lines are skipped.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            continue;
        }
        out.insert(k.to_string(), unquote(v.trim()));
    }
    out
}

fn unquote(v: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    // Unquoted: strip a trailing ` # comment`.
    match v.find(" #") {
        Some(i) => v[..i].trim_end().to_string(),
        None => v.to_string(),
    }
}

/// Interpolates `${VAR}` references with `vars`; unknown variables become their default or empty.
pub fn interpolate(s: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&s[i..i + ch_len]);
            i += ch_len;
            continue;
        }
        // b[i] == '$'
        if i + 1 < b.len() && b[i + 1] == b'$' {
            out.push('$');
            i += 2;
        } else if i + 1 < b.len() && b[i + 1] == b'{' {
            match s[i + 2..].find('}') {
                Some(end) => {
                    let inner = &s[i + 2..i + 2 + end];
                    out.push_str(&expand(inner, vars));
                    i += 3 + end;
                }
                None => {
                    out.push_str(&s[i..]);
                    break;
                }
            }
        } else {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j == start {
                out.push('$');
                i += 1;
            } else {
                out.push_str(vars.get(&s[start..j]).map_or("", String::as_str));
                i = j;
            }
        }
    }
    out
}

fn expand(inner: &str, vars: &BTreeMap<String, String>) -> String {
    for (sep, empty_counts) in [(":-", true), ("-", false), (":?", true), ("?", false)] {
        if let Some((name, default)) = inner.split_once(sep) {
            return match vars.get(name) {
                Some(v) if !(empty_counts && v.is_empty()) => v.clone(),
                _ if sep.ends_with('?') => String::new(),
                _ => default.to_string(),
            };
        }
    }
    vars.get(inner).cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_env_files() {
        let m = parse("# c\nexport A=1\nB=\"two words\"\nC='x'\nD=plain # note\nbad line\n=x\n");
        assert_eq!(m.get("A").map(String::as_str), Some("1"));
        assert_eq!(m.get("B").map(String::as_str), Some("two words"));
        assert_eq!(m.get("C").map(String::as_str), Some("x"));
        assert_eq!(m.get("D").map(String::as_str), Some("plain"));
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn interpolates_like_compose() {
        let vars: BTreeMap<String, String> = [
            ("P".to_string(), "8080".to_string()),
            ("E".to_string(), String::new()),
        ]
        .into_iter()
        .collect();
        assert_eq!(interpolate("${P}:80", &vars), "8080:80");
        assert_eq!(interpolate("$P/x", &vars), "8080/x");
        assert_eq!(interpolate("${Q:-5000}", &vars), "5000");
        assert_eq!(interpolate("${E:-d}", &vars), "d");
        assert_eq!(interpolate("${E-d}", &vars), "");
        assert_eq!(interpolate("$$HOME", &vars), "$HOME");
        assert_eq!(interpolate("héllo ${P}", &vars), "héllo 8080");
    }
}
