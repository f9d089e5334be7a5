//! `.env` files: `KEY=value` lines, `export` prefixes, quotes, comments; and `${VAR}` interpolation as
//! compose does it (`${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `$$` for a literal `$`).

use std::collections::BTreeMap;

/// Parses the text of a `.env` file. Malformed lines are skipped.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    parse_ordered(text).into_iter().collect()
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

/// Most bytes the values of one `.env` file may grow to through references to variables defined
/// above them ([`parse_resolved`]); a value that would grow past it is kept as written.
pub const RESOLVED_CAP: usize = 256 * 1024;

/// Parses a `.env` file as compose reads it: a value may use variables defined on the lines above it
/// (`AD_ADDR=ad:${AD_PORT}`). The expansion is bounded: the values together grow by at most
/// [`RESOLVED_CAP`] bytes, so a value referenced thousands of times cannot blow up.
pub fn parse_resolved(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut budget = RESOLVED_CAP;
    for (k, v) in parse_ordered(text) {
        let v = if v.contains('$') {
            let bound = expanded_len_bound(&v, &out);
            if bound <= budget {
                let e = interpolate(&v, &out);
                budget -= e.len().min(budget);
                e
            } else {
                v
            }
        } else {
            v
        };
        out.insert(k, v);
    }
    out
}

/// The `KEY=value` pairs of a `.env` file in file order (a later line for the same key wins when
/// collected into a map).
fn parse_ordered(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
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
        out.push((k.to_string(), unquote(v.trim())));
    }
    out
}

/// An upper bound of the length of `s` once interpolated with `vars`: its own length plus the length
/// of every variable it references (defaults are part of `s` already). Linear in `s`.
fn expanded_len_bound(s: &str, vars: &BTreeMap<String, String>) -> usize {
    let b = s.as_bytes();
    let mut total = s.len();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let start = if b.get(i + 1) == Some(&b'{') {
            i + 2
        } else {
            i + 1
        };
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        if let Some(v) = s.get(start..j).and_then(|name| vars.get(name)) {
            total = total.saturating_add(v.len());
        }
        i = j.max(i + 1);
    }
    total
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

    #[test]
    fn resolved_values_use_the_variables_above_them_within_a_bound() {
        let m =
            parse_resolved("AD_PORT=9555\nAD_ADDR=ad:${AD_PORT}\nLATER=${NOT_YET}x\nNOT_YET=1\n");
        assert_eq!(m["AD_ADDR"], "ad:9555");
        assert_eq!(m["LATER"], "x");
        // A big value referenced many times by many lines stops growing at the bound.
        let mut text = format!("A={}\n", "x".repeat(10_000));
        for i in 0..1000 {
            text.push_str(&format!("B{i}=${{A}}${{A}}${{A}}\n"));
        }
        let m = parse_resolved(&text);
        let grown: usize = m.values().map(String::len).sum();
        assert!(grown <= text.len() + RESOLVED_CAP, "{grown}");
        assert_eq!(m["B0"].len(), 30_000);
        assert_eq!(m["B999"], "${A}${A}${A}");
    }
}
