//! Service names: derived from the folder name, valid (`^[A-Za-z0-9_-]{1,100}$`) and unique in the
//! workspace. On a collision every colliding folder is prefixed with its parent folder's name
//! (`billing-api`, `users-api`); a name that still collides gets a numeric suffix (`api-2`).

use std::collections::{BTreeMap, BTreeSet};

/// Longest service name.
pub const MAX_LEN: usize = 100;

/// Makes a valid name out of any text: other characters become `-`, leading and trailing `-` are
/// trimmed, the result is cut to [`MAX_LEN`]; nothing left gives `service`.
pub fn sanitize(raw: &str) -> String {
    let mapped: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_matches('-');
    let cut: String = trimmed.chars().take(MAX_LEN).collect();
    let cut = cut.trim_end_matches('-');
    if cut.is_empty() {
        "service".to_string()
    } else {
        cut.to_string()
    }
}

/// Folder names that say what a folder holds, not what it is (`src`): such a service folder is
/// named after its parent.
pub fn is_generic(folder_name: &str) -> bool {
    folder_name == "src"
}

/// Whether `name` is a valid service name.
pub fn is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Names for folders given as (folder name, parent folder name), in a fixed order (by path).
pub fn assign(folders: &[(String, String)]) -> Vec<String> {
    let base: Vec<String> = folders.iter().map(|(n, _)| sanitize(n)).collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &base {
        *count.entry(b.as_str()).or_default() += 1;
    }
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out: Vec<Option<String>> = vec![None; folders.len()];
    // Unique names are kept as they are and reserved first.
    for (i, b) in base.iter().enumerate() {
        if count[b.as_str()] == 1 {
            taken.insert(b.clone());
            out[i] = Some(b.clone());
        }
    }
    for (i, b) in base.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let parent = sanitize(&folders[i].1);
        let candidate = sanitize(&format!("{parent}-{b}"));
        let name = unique(&candidate, &taken);
        taken.insert(name.clone());
        out[i] = Some(name);
    }
    out.into_iter()
        .map(|n| n.unwrap_or_else(|| "service".to_string()))
        .collect()
}

fn unique(candidate: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(candidate) {
        return candidate.to_string();
    }
    (2usize..)
        .map(|k| {
            let suffix = format!("-{k}");
            let keep: String = candidate
                .chars()
                .take(MAX_LEN.saturating_sub(suffix.len()))
                .collect();
            format!("{keep}{suffix}")
        })
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| candidate.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn sanitizes() {
        assert_eq!(sanitize("my api"), "my-api");
        assert_eq!(sanitize("..."), "service");
        assert_eq!(sanitize("ünï"), "n");
        assert_eq!(sanitize(&"x".repeat(300)).len(), 100);
        assert!(is_valid(&sanitize("-a b-")));
    }

    #[test]
    fn collisions_get_parent_prefix_then_suffix() {
        let names = assign(&pairs(&[
            ("api", "billing"),
            ("api", "users"),
            ("web", "ws"),
            ("billing-api", "ws"),
            ("api", "billing"),
        ]));
        assert_eq!(
            names,
            vec![
                "billing-api-2",
                "users-api",
                "web",
                "billing-api",
                "billing-api-3"
            ]
        );
    }

    #[test]
    fn only_src_is_generic() {
        assert!(is_generic("src"));
        assert!(!is_generic("app"));
        assert!(!is_generic("source-map"));
    }
}
