//! Reading Python manifests: `requirements.txt` (pip-tools' `# via` comments), `pyproject.toml`
//! (PEP 621 and Poetry) and `setup.py`'s `install_requires`.

use std::sync::LazyLock;

use regex::Regex;

static DEP_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)").ok());
static QUOTED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"['"]([A-Za-z0-9][A-Za-z0-9._-]*)[^'"]*['"]"#).ok());

/// PEP 503 normalisation: lower case, `_`/`.` → `-`.
pub fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The requirements a project asks for itself. A file compiled by pip-tools lists every transitive
/// dependency with `# via <parent>` comments; those pulled in only by other packages (Flask under
/// `# via locust`) are left out, those `# via -r requirements.in` (or without a `via`) stay.
pub fn requirements(text: &str) -> Vec<String> {
    let Some(re) = DEP_NAME.as_ref() else {
        return Vec::new();
    };
    // (name, parents named by `# via` comments, whether one of them is a requirements file)
    let mut deps: Vec<(String, usize, bool)> = Vec::new();
    let mut in_via = false;
    for raw in text.lines() {
        let trimmed = raw.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let c = comment.trim();
            let Some(last) = deps.last_mut() else {
                continue;
            };
            let via = if let Some(rest) = c.strip_prefix("via") {
                in_via = true;
                rest.trim()
            } else if in_via && raw.starts_with(char::is_whitespace) {
                c
            } else {
                in_via = false;
                continue;
            };
            if !via.is_empty() {
                last.1 += 1;
                if via.starts_with("-r") || via.starts_with("-c") {
                    last.2 = true;
                }
            }
            continue;
        }
        in_via = false;
        let (line, inline) = raw.split_once('#').unwrap_or((raw, ""));
        if line.trim_start().starts_with('-') {
            continue;
        }
        if let Some(m) = re.captures(line).and_then(|c| c.get(1)) {
            // Older pip-tools annotate on the same line: `requests==2.22.0  # via locust`.
            let (parents, from_file) = match inline.trim().strip_prefix("via") {
                Some(v) => (
                    v.split(',').filter(|p| !p.trim().is_empty()).count(),
                    v.split(',').any(|p| p.trim().starts_with("-r")),
                ),
                None => (0, false),
            };
            deps.push((normalize(m.as_str()), parents, from_file));
        }
    }
    deps.into_iter()
        .filter(|(_, parents, from_file)| *parents == 0 || *from_file)
        .map(|(d, _, _)| d)
        .collect()
}

pub fn pyproject(t: &toml::Table, deps: &mut Vec<String>, scripts: &mut Vec<String>) {
    let Some(re) = DEP_NAME.as_ref() else {
        return;
    };
    if let Some(project) = t.get("project").and_then(toml::Value::as_table) {
        if let Some(arr) = project.get("dependencies").and_then(toml::Value::as_array) {
            for d in arr.iter().filter_map(toml::Value::as_str) {
                if let Some(m) = re.captures(d).and_then(|c| c.get(1)) {
                    deps.push(normalize(m.as_str()));
                }
            }
        }
        if let Some(s) = project.get("scripts").and_then(toml::Value::as_table) {
            scripts.extend(s.keys().cloned());
        }
    }
    if let Some(poetry) = t
        .get("tool")
        .and_then(|x| x.get("poetry"))
        .and_then(toml::Value::as_table)
    {
        if let Some(d) = poetry.get("dependencies").and_then(toml::Value::as_table) {
            deps.extend(d.keys().filter(|k| *k != "python").map(|k| normalize(k)));
        }
        if let Some(s) = poetry.get("scripts").and_then(toml::Value::as_table) {
            scripts.extend(s.keys().cloned());
        }
    }
}

/// Quoted requirement strings inside `install_requires=[...]`.
pub fn setup_py(text: &str) -> Vec<String> {
    let Some(start) = text.find("install_requires") else {
        return Vec::new();
    };
    let rest = &text[start..];
    let Some(open) = rest.find('[') else {
        return Vec::new();
    };
    let body = &rest[open..];
    let body = &body[..body.find(']').unwrap_or(body.len())];
    let Some(re) = QUOTED.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(body)
        .filter_map(|c| c.get(1))
        .map(|m| normalize(m.as_str()))
        .collect()
}
