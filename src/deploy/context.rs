//! The build context: a deterministic tar of the service folder that honours `.dockerignore`, never
//! holds `.git`, `node_modules` or `target`, and may carry a generated Dockerfile; and its content
//! hash, which names the image tag.

use std::path::{Path, PathBuf};

use regex::Regex;
use sha2::{Digest, Sha256};

/// Folders never sent to the engine, at any depth.
pub const ALWAYS_EXCLUDED: [&str; 3] = [".git", "node_modules", "target"];

/// Name of the generated Dockerfile inside the context.
pub const GENERATED_DOCKERFILE: &str = "Dockerfile.kyozo";

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Ignore { path: PathBuf, message: String },
}

/// Largest `.dockerignore` read (like every file kyozo reads: a FIFO, a device or a huge file named
/// `.dockerignore` is an error, never a hang).
pub const DOCKERIGNORE_CAP: u64 = crate::detect::folder::DEFAULT_READ_CAP;

/// A ready context.
#[derive(Debug, Clone)]
pub struct Context {
    pub tar: Vec<u8>,
    /// Full sha256 hex of the tar.
    pub hash: String,
    /// Number of files in it.
    pub files: usize,
}

impl Context {
    /// The first 12 hex characters of the hash: the image tag.
    pub fn tag(&self) -> &str {
        self.hash.get(..12).unwrap_or(&self.hash)
    }
}

/// One `.dockerignore` rule.
#[derive(Debug, Clone)]
struct Rule {
    re: Regex,
    exception: bool,
}

/// The patterns of a `.dockerignore` file (Go `filepath.Match` syntax plus `**`, `!` exceptions,
/// last matching rule wins, a matched folder excludes what is inside it).
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    rules: Vec<Rule>,
}

impl DockerIgnore {
    pub fn parse(text: &str) -> DockerIgnore {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, pat) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let pat = clean(pat);
            if pat.is_empty() {
                continue;
            }
            if let Ok(re) = Regex::new(&format!("^{}$", glob_to_regex(&pat))) {
                rules.push(Rule { re, exception });
            }
        }
        DockerIgnore { rules }
    }

    /// Whether a context-relative path (with `/`) is excluded: by the last rule matching it or one
    /// of its parent folders.
    pub fn excluded(&self, rel: &str) -> bool {
        self.verdict(rel).unwrap_or(false)
    }

    /// What the last rule matching the path (or a parent folder) says: `Some(true)` excluded,
    /// `Some(false)` included again by a `!` rule, `None` when no rule speaks of it.
    pub fn verdict(&self, rel: &str) -> Option<bool> {
        let mut verdict = None;
        for rule in &self.rules {
            if rule.re.is_match(rel) || parents(rel).any(|p| rule.re.is_match(p)) {
                verdict = Some(!rule.exception);
            }
        }
        verdict
    }

    /// Whether the last rule naming the path itself is a `!` exception (a secret file is sent
    /// only when the folder's `.dockerignore` asks for it by name or pattern).
    pub fn reincluded(&self, rel: &str) -> bool {
        self.rules
            .iter()
            .rev()
            .find(|r| r.re.is_match(rel))
            .is_some_and(|r| r.exception)
    }

    /// Whether a folder could hold an exception, so it must be walked even when excluded.
    fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.exception)
    }
}

fn parents(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/').map(move |(i, _)| &rel[..i])
}

/// Cleans a pattern like Go's `filepath.Clean`, without a leading `/` or `./`.
fn clean(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn glob_to_regex(p: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 1;
                if chars.get(i + 1) == Some(&'/') {
                    i += 1;
                    out.push_str("(.*/)?");
                } else {
                    out.push_str(".*");
                }
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '[' => {
                let close = chars[i + 1..].iter().position(|&c| c == ']');
                match close {
                    Some(n) => {
                        let class: String = chars[i + 1..i + 1 + n].iter().collect();
                        let class = class.strip_prefix('^').map_or_else(
                            || class.clone(),
                            |rest| format!("^{}", rest.replace('\\', "\\\\")),
                        );
                        out.push('[');
                        out.push_str(&class.replace('[', "\\["));
                        out.push(']');
                        i += n + 1;
                    }
                    None => out.push_str("\\["),
                }
            }
            '\\' if i + 1 < chars.len() => {
                i += 1;
                out.push_str(&regex::escape(&chars[i].to_string()));
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    out
}

/// Whether a file is a secret that stays out of build contexts unless a `!` rule of the
/// folder's `.dockerignore` names it: `.env` and `.env.*` (not `.env.example`), `*.pem`, `*.key`,
/// `id_rsa*`. Its values reach the container at run time instead (the plan's env).
pub fn is_secret_file(name: &str) -> bool {
    name == ".env"
        || (name.starts_with(".env.") && name != ".env.example")
        || name.ends_with(".pem")
        || name.ends_with(".key")
        || name.starts_with("id_rsa")
}

/// The files of a folder that go into its context, sorted, folder-relative with `/`.
pub fn context_files(dir: &Path) -> Result<Vec<String>, ContextError> {
    let path = dir.join(".dockerignore");
    let ignore = match crate::detect::folder::read_regular(&path, DOCKERIGNORE_CAP) {
        Ok(Some(t)) => DockerIgnore::parse(&t),
        Ok(None) => DockerIgnore::default(),
        Err(e) => {
            return Err(ContextError::Ignore {
                path,
                message: e.to_string(),
            });
        }
    };
    let mut out = Vec::new();
    walk(dir, "", &ignore, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(
    dir: &Path,
    rel: &str,
    ignore: &DockerIgnore,
    out: &mut Vec<String>,
) -> Result<(), ContextError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ContextError::Io { path, source }
    };
    let full = if rel.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(rel)
    };
    for entry in std::fs::read_dir(&full).map_err(io(&full))? {
        let entry = entry.map_err(io(&full))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let ft = entry.file_type().map_err(io(&entry.path()))?;
        if ft.is_dir() {
            if ALWAYS_EXCLUDED.contains(&name.as_str()) {
                continue;
            }
            if ignore.excluded(&path) && !ignore.has_exceptions() {
                continue;
            }
            walk(dir, &path, ignore, out)?;
        } else if ft.is_file() || ft.is_symlink() {
            let keep = match ignore.verdict(&path) {
                Some(excluded) => !excluded && (!is_secret_file(&name) || ignore.reincluded(&path)),
                None => !is_secret_file(&name),
            };
            if keep {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// Builds the context tar of `dir` (plus `extra` in-memory files) and hashes it.
pub fn build(dir: &Path, extra: &[(&str, &str)]) -> Result<Context, ContextError> {
    let mut files = context_files(dir)?;
    files.retain(|f| !extra.iter().any(|(name, _)| name == f));
    let mut builder = tar::Builder::new(Vec::new());
    let mut entries: Vec<(String, Option<&str>)> = files.into_iter().map(|f| (f, None)).collect();
    for (name, text) in extra {
        entries.push(((*name).to_string(), Some(*text)));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let count = entries.len();
    let tar_err = |path: PathBuf| move |source| ContextError::Io { path, source };
    for (rel, text) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        match text {
            Some(t) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(0o644);
                header.set_size(t.len() as u64);
                header.set_cksum();
                builder
                    .append_data(&mut header, &rel, t.as_bytes())
                    .map_err(tar_err(dir.join(&rel)))?;
            }
            None => {
                let path = dir.join(&rel);
                let meta = std::fs::symlink_metadata(&path).map_err(tar_err(path.clone()))?;
                if meta.file_type().is_symlink() {
                    let target = std::fs::read_link(&path).map_err(tar_err(path.clone()))?;
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_mode(0o777);
                    header.set_size(0);
                    builder
                        .append_link(&mut header, &rel, &target)
                        .map_err(tar_err(path.clone()))?;
                } else {
                    let data = std::fs::read(&path).map_err(tar_err(path.clone()))?;
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(if executable(&meta) { 0o755 } else { 0o644 });
                    header.set_size(data.len() as u64);
                    header.set_cksum();
                    builder
                        .append_data(&mut header, &rel, data.as_slice())
                        .map_err(tar_err(path.clone()))?;
                }
            }
        }
    }
    let tar = builder.into_inner().map_err(tar_err(dir.to_path_buf()))?;
    let hash = hex::encode(Sha256::digest(&tar));
    Ok(Context {
        tar,
        hash,
        files: count,
    })
}

#[cfg(unix)]
fn executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// The build context of a plan (the folder, a generated Dockerfile added), built off the async
/// workers.
pub async fn build_context(plan: &super::plan::Plan) -> Result<Context, super::error::DeployError> {
    let dir = plan.context_dir.clone();
    let generated = plan
        .generated()
        .map(|(n, t)| (n.to_string(), t.to_string()));
    tokio::task::spawn_blocking(move || {
        let extra: Vec<(&str, &str)> = generated
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        build(&dir, &extra)
    })
    .await
    .map_err(|e| super::error::DeployError::Other(format!("context task failed: {e}")))?
    .map_err(super::error::DeployError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, rel).unwrap();
    }

    #[test]
    fn secrets_stay_out_unless_dockerignore_asks_for_them() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for f in [
            "app.py",
            ".env",
            ".env.local",
            ".env.example",
            "tls/server.pem",
            "server.key",
            "id_rsa",
            "id_rsa.pub",
            "keys.txt",
        ] {
            touch(root, f);
        }
        assert_eq!(
            context_files(root).unwrap(),
            vec![".env.example", "app.py", "keys.txt"]
        );
        // a `!` rule that names one brings it back; a .dockerignore silent about it does not
        std::fs::write(root.join(".dockerignore"), "*.log\n!.env.local\n").unwrap();
        assert_eq!(
            context_files(root).unwrap(),
            vec![
                ".dockerignore",
                ".env.example",
                ".env.local",
                "app.py",
                "keys.txt"
            ]
        );
        assert!(is_secret_file(".env") && is_secret_file(".env.production"));
        assert!(!is_secret_file(".env.example") && !is_secret_file("env"));
    }

    #[test]
    fn dockerignore_semantics() {
        let d = DockerIgnore::parse(
            "# c\n*.log\n/build\ndocs/**/*.md\n!docs/keep.md\ntmp?\n[ab].txt\n",
        );
        assert!(d.excluded("x.log"));
        assert!(
            !d.excluded("sub/x.log"),
            "patterns are anchored at the root"
        );
        assert!(d.excluded("build/out.bin"));
        assert!(d.excluded("docs/a/b.md"));
        assert!(d.excluded("docs/x.md"));
        assert!(!d.excluded("docs/keep.md"));
        assert!(d.excluded("tmp1"));
        assert!(d.excluded("a.txt"));
        assert!(!d.excluded("c.txt"));
        let all = DockerIgnore::parse("**/*.pyc\n");
        assert!(all.excluded("a/b/c.pyc"));
        assert!(all.excluded("c.pyc"));
    }

    #[test]
    fn context_excludes_and_hash_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for f in [
            "app.py",
            "lib/util.py",
            ".git/HEAD",
            "node_modules/x/index.js",
            "sub/target/debug/bin",
            "secret.env",
            ".dockerignore",
        ] {
            touch(r, f);
        }
        std::fs::write(r.join(".dockerignore"), "secret.env\n").unwrap();
        let files = context_files(r).unwrap();
        assert_eq!(files, vec![".dockerignore", "app.py", "lib/util.py"]);
        let a = build(r, &[(GENERATED_DOCKERFILE, "FROM scratch\n")]).unwrap();
        let b = build(r, &[(GENERATED_DOCKERFILE, "FROM scratch\n")]).unwrap();
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.files, 4);
        let c = build(r, &[(GENERATED_DOCKERFILE, "FROM busybox\n")]).unwrap();
        assert_ne!(
            a.hash, c.hash,
            "the generated Dockerfile is part of the hash"
        );
        std::fs::write(r.join("app.py"), "changed").unwrap();
        let d = build(r, &[(GENERATED_DOCKERFILE, "FROM scratch\n")]).unwrap();
        assert_ne!(a.hash, d.hash);
        assert_eq!(a.tag().len(), 12);
        // the tar holds what we listed
        let mut ar = tar::Archive::new(a.tar.as_slice());
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&GENERATED_DOCKERFILE.to_string()));
        assert!(
            !names
                .iter()
                .any(|n| n.contains(".git") || n.contains("secret"))
        );
    }
}
