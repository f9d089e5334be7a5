//! Masking of secret values in human output (Details, Plan, `kyozo plan`, the `detect` table).
//!
//! A value is secret when its key names one (`PASSWORD`, `SECRET`, `TOKEN`, `KEY`, `CREDENTIAL`,
//! case-insensitive, anywhere in the key); a password inside a URL (`postgres://app:pw@db/x`) is
//! secret whatever the key. `--json` output is never masked: scripts need the values. Pure string
//! functions, used by every layer that prints.

use std::collections::BTreeMap;

/// What a masked value shows instead.
pub const MASK: &str = "••••";

/// Words that make a key secret.
const SECRET_WORDS: [&str; 5] = ["PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"];

/// Whether values under `key` are secret (`DB_PASSWORD`, `api_key`, `GITHUB_TOKEN`).
pub fn is_secret_key(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// The value of `key` as human output shows it: [`MASK`] for a secret key, otherwise the value with
/// any URL password masked.
pub fn mask_value(key: &str, value: &str) -> String {
    if is_secret_key(key) && !value.is_empty() {
        MASK.to_string()
    } else {
        mask_url_passwords(value)
    }
}

/// An env map with every secret value masked.
pub fn mask_env(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    env.iter()
        .map(|(k, v)| (k.clone(), mask_value(k, v)))
        .collect()
}

/// `text` with the password of every `scheme://user:password@host` masked.
pub fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#' or whitespace; its userinfo at the last '@'.
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) if colon + 1 < userinfo.len() => {
                        out.push_str(&userinfo[..=colon]);
                        out.push_str(MASK);
                        out.push_str(&authority[at..]);
                    }
                    _ => out.push_str(authority),
                }
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// One `KEY=value` (or `KEY value`, `KEY: value`) line of a Dockerfile, env file or plan with its
/// value masked as [`mask_value`] would; other lines get only their URL passwords masked.
pub fn mask_line(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let body = trimmed
        .strip_prefix("ENV ")
        .or_else(|| trimmed.strip_prefix("ARG "));
    let prefix_len = if body.is_some() { 4 } else { 0 };
    let body = body.unwrap_or(trimmed);
    let sep = body.find(['=', ':', ' ']);
    match sep {
        Some(i) if i > 0 => {
            let key = body[..i].trim_matches(|c| c == '"' || c == '-');
            let value = body[i + 1..].trim();
            if is_secret_key(key) && !value.is_empty() {
                format!(
                    "{indent}{}{}{}{MASK}",
                    &trimmed[..prefix_len],
                    &body[..=i],
                    if body[i + 1..].starts_with(' ') {
                        " "
                    } else {
                        ""
                    }
                )
            } else {
                mask_url_passwords(line)
            }
        }
        _ => mask_url_passwords(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_masked_and_others_kept() {
        assert_eq!(mask_value("DB_PASSWORD", "hunter2"), MASK);
        assert_eq!(mask_value("api_key", "abc"), MASK);
        assert_eq!(mask_value("GITHUB_TOKEN", "ghp_x"), MASK);
        assert_eq!(mask_value("AWS_SECRET_ACCESS_KEY", "x"), MASK);
        assert_eq!(mask_value("GOOGLE_CREDENTIALS", "{}"), MASK);
        assert_eq!(mask_value("PORT", "8080"), "8080");
        assert_eq!(mask_value("DB_PASSWORD", ""), "");
    }

    #[test]
    fn url_passwords_are_masked_wherever_they_are() {
        assert_eq!(
            mask_value("DATABASE_URL", "postgres://app:s3cr3t@db:5432/app"),
            format!("postgres://app:{MASK}@db:5432/app")
        );
        assert_eq!(
            mask_url_passwords("a redis://:pw@cache/0 and http://host/x"),
            format!("a redis://:{MASK}@cache/0 and http://host/x")
        );
        assert_eq!(
            mask_url_passwords("amqp://guest@rabbit"),
            "amqp://guest@rabbit"
        );
        assert_eq!(mask_url_passwords("http://a:b"), "http://a:b");
        assert_eq!(mask_url_passwords("no url"), "no url");
    }

    #[test]
    fn lines_of_dockerfiles_and_env_files() {
        assert_eq!(
            mask_line("ENV API_TOKEN=abc"),
            format!("ENV API_TOKEN={MASK}")
        );
        assert_eq!(
            mask_line("  SECRET_KEY: xyz"),
            format!("  SECRET_KEY: {MASK}")
        );
        assert_eq!(mask_line("ENV PORT=80"), "ENV PORT=80");
        assert_eq!(
            mask_line("ENV DB=mysql://u:p@db/x"),
            format!("ENV DB=mysql://u:{MASK}@db/x")
        );
    }
}
