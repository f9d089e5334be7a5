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

/// Most bytes one interpolation may produce (4 MiB, four times the default read cap): a value of
/// 10 kB referenced 10,000 times would otherwise make 100 MB out of a 100 kB file.
pub const MAX_EXPANDED: usize = 4 * 1024 * 1024;

/// Interpolates `${VAR}` references with `vars`; unknown variables become their default or empty.
/// The result is cut at [`MAX_EXPANDED`] bytes; [`try_interpolate`] says when that happens.
pub fn interpolate(s: &str, vars: &BTreeMap<String, String>) -> String {
    match expand_into(s, vars, MAX_EXPANDED) {
        Ok(out) | Err(out) => out,
    }
}

/// Interpolates like [`interpolate`], or says why not when the result would be longer than `limit`
/// bytes.
pub fn try_interpolate(
    s: &str,
    vars: &BTreeMap<String, String>,
    limit: usize,
) -> Result<String, String> {
    expand_into(s, vars, limit).map_err(|_| {
        format!("`${{...}}` interpolation makes more than {limit} bytes of it; not read")
    })
}

/// The interpolation of `s`, or (as the error) the part made before it passed `limit` bytes.
fn expand_into(s: &str, vars: &BTreeMap<String, String>, limit: usize) -> Result<String, String> {
    let mut out = String::with_capacity(s.len().min(limit));
    let push = |out: &mut String, piece: &str| -> bool {
        if out.len() + piece.len() > limit {
            let mut cut = limit.saturating_sub(out.len()).min(piece.len());
            while !piece.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&piece[..cut]);
            false
        } else {
            out.push_str(piece);
            true
        }
    };
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            // Copy the run of text up to the next `$` at once.
            let end = memchr::memchr(b'$', &b[i..]).map_or(b.len(), |n| i + n);
            if !push(&mut out, &s[i..end]) {
                return Err(out);
            }
            i = end;
            continue;
        }
        // b[i] == '$'
        if i + 1 < b.len() && b[i + 1] == b'$' {
            if !push(&mut out, "$") {
                return Err(out);
            }
            i += 2;
        } else if i + 1 < b.len() && b[i + 1] == b'{' {
            match s[i + 2..].find('}') {
                Some(end) => {
                    let inner = &s[i + 2..i + 2 + end];
                    if !push(&mut out, expand(inner, vars)) {
                        return Err(out);
                    }
                    i += 3 + end;
                }
                None => {
                    if !push(&mut out, &s[i..]) {
                        return Err(out);
                    }
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
                if !push(&mut out, "$") {
                    return Err(out);
                }
                i += 1;
            } else {
                if !push(&mut out, vars.get(&s[start..j]).map_or("", String::as_str)) {
                    return Err(out);
                }
                i = j;
            }
        }
    }
    Ok(out)
}

fn expand<'a>(inner: &'a str, vars: &'a BTreeMap<String, String>) -> &'a str {
    for (sep, empty_counts) in [(":-", true), ("-", false), (":?", true), ("?", false)] {
        if let Some((name, default)) = inner.split_once(sep) {
            return match vars.get(name) {
                Some(v) if !(empty_counts && v.is_empty()) => v,
                _ if sep.ends_with('?') => "",
                _ => default,
            };
        }
    }
    vars.get(inner).map_or("", String::as_str)
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
        assert_eq!(interpolate("a$", &vars), "a$");
        assert_eq!(interpolate("${P", &vars), "${P");
    }

    #[test]
    fn interpolation_is_bounded() {
        let vars: BTreeMap<String, String> = [("A".to_string(), "x".repeat(10_000))]
            .into_iter()
            .collect();
        let text = "${A}".repeat(10_000);
        let e = try_interpolate(&text, &vars, MAX_EXPANDED).unwrap_err();
        assert!(e.contains("more than"), "{e}");
        assert_eq!(interpolate(&text, &vars).len(), MAX_EXPANDED);
        assert_eq!(
            try_interpolate("${A}", &vars, 20_000).unwrap().len(),
            10_000
        );
        // A cut never splits a character.
        let wide: BTreeMap<String, String> =
            [("W".to_string(), "é".repeat(10))].into_iter().collect();
        assert_eq!(interpolate_cut("${W}", &wide, 5), "éé");
    }

    fn interpolate_cut(s: &str, vars: &BTreeMap<String, String>, limit: usize) -> String {
        match expand_into(s, vars, limit) {
            Ok(o) | Err(o) => o,
        }
    }
}
