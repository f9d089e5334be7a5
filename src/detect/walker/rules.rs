//! Ignore rules of the walk: `.ignore`, `.gitignore` and `.git/info/exclude` of every folder and of
//! the folders above the workspace, plus the workspace's own `ignore` patterns (`.kyozo.toml`).
//!
//! kyozo reads these files itself, like every other input: opened non-blocking, only when they are
//! regular files, and through the read cap ([`read_regular`]). A FIFO, a link to `/dev/zero` or a
//! huge sparse file named `.gitignore` is a diagnostic, never a hang or an abort. The matching
//! semantics are those of the `ignore` crate (and git): the deepest folder with a matching pattern
//! decides, `.ignore` wins over `.gitignore`, which wins over `info/exclude`, and `.gitignore` files
//! above the first folder holding `.git` do not apply.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::super::folder::{ReadError, read_regular};

/// At most this many pattern lines are taken from one ignore file; the rest is reported. Real
/// ignore files hold a few hundred; a pattern set of a million lines would cost seconds to compile.
pub const MAX_PATTERNS: usize = 2_000;

/// The ignore rules one folder adds, linked to those of its parent folder.
#[derive(Debug)]
pub struct Rules {
    ignore: Gitignore,
    git: Gitignore,
    exclude: Gitignore,
    /// The folder holds `.git`: `.gitignore` files further up do not apply below it.
    has_git: bool,
    parent: Chain,
}

/// The rules in force in a folder: its own and its ancestors', deepest first (`None`: no rules).
pub type Chain = Option<Arc<Rules>>;

/// A problem with an ignore file: (path as shown, message).
pub type Problem = (String, String);

/// What the listing of one folder says about its ignore files.
#[derive(Debug, Default, Clone, Copy)]
pub struct Present {
    pub ignore: bool,
    pub gitignore: bool,
    /// `.git` is a folder (`Some(true)`) or a file (`Some(false)`, a worktree or submodule).
    pub git: Option<bool>,
}

impl Present {
    pub fn any(&self) -> bool {
        self.ignore || self.gitignore || self.git.is_some()
    }
}

/// Extends `parent` with the rules of folder `dir` (absolute), reading the files `present` names.
/// `shown` turns a file name into the path used in diagnostics. Returns `parent` itself when the
/// folder adds nothing, and a fingerprint of the folder's own ignore files (it changes when they
/// do, so a re-detection knows the rules below changed).
pub fn child(
    parent: &Chain,
    dir: &Path,
    present: Present,
    cap: u64,
    shown: &dyn Fn(&str) -> String,
    problems: &mut Vec<Problem>,
) -> (Chain, u64) {
    let mut sig = std::collections::hash_map::DefaultHasher::new();
    let chain = child_with(parent, dir, present, cap, shown, false, &mut sig, problems);
    (chain, std::hash::Hasher::finish(&sig))
}

/// [`child`], optionally quiet about files that exist but cannot be opened (permissions).
#[allow(clippy::too_many_arguments)]
fn child_with(
    parent: &Chain,
    dir: &Path,
    present: Present,
    cap: u64,
    shown: &dyn Fn(&str) -> String,
    quiet_io: bool,
    sig: &mut dyn std::hash::Hasher,
    problems: &mut Vec<Problem>,
) -> Chain {
    if !present.any() {
        return parent.clone();
    }
    sig.write_u8(u8::from(present.ignore) | u8::from(present.gitignore) << 1);
    sig.write_u8(match present.git {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    });
    let mut load = |name: &str, wanted: bool| -> Gitignore {
        if !wanted {
            return Gitignore::empty();
        }
        match read_regular(&dir.join(name), cap) {
            Ok(Some(text)) => {
                sig.write(text.as_bytes());
                sig.write_u8(0xff);
                build(dir, &text, &shown(name), problems)
            }
            Ok(None) => Gitignore::empty(),
            Err(ReadError::Io(_)) if quiet_io => Gitignore::empty(),
            Err(e) => {
                problems.push((shown(name), format!("ignore file not used: {e}")));
                Gitignore::empty()
            }
        }
    };
    let ignore = load(".ignore", present.ignore);
    let git = load(".gitignore", present.gitignore);
    let exclude = match present.git {
        Some(is_dir) => match git_dir(dir, is_dir, cap) {
            Some(gd) => match read_regular(&gd.join("info").join("exclude"), cap) {
                Ok(Some(text)) => build(dir, &text, &shown(".git/info/exclude"), problems),
                Ok(None) | Err(ReadError::Io(_)) => Gitignore::empty(),
                Err(e) => {
                    problems.push((
                        shown(".git/info/exclude"),
                        format!("ignore file not used: {e}"),
                    ));
                    Gitignore::empty()
                }
            },
            None => Gitignore::empty(),
        },
        None => Gitignore::empty(),
    };
    let has_git = present.git.is_some();
    if !has_git && ignore.is_empty() && git.is_empty() && exclude.is_empty() {
        return parent.clone();
    }
    Some(Arc::new(Rules {
        ignore,
        git,
        exclude,
        has_git,
        parent: parent.clone(),
    }))
}

/// The rules of the folders above the workspace root `root` (canonical), outermost first, as the
/// chain the root's own rules extend. Files that cannot be opened are skipped silently (they are
/// outside the workspace); hostile ones are reported with their absolute path.
pub fn above(root: &Path, cap: u64, problems: &mut Vec<Problem>) -> Chain {
    let mut dirs: Vec<&Path> = root.ancestors().skip(1).collect();
    dirs.reverse();
    let mut chain: Chain = None;
    for dir in dirs {
        let kind = match std::fs::symlink_metadata(dir.join(".git")) {
            Ok(m) => Some(m.is_dir()),
            Err(_) => None,
        };
        let present = Present {
            ignore: true,
            gitignore: true,
            git: kind,
        };
        let shown = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let mut sig = std::collections::hash_map::DefaultHasher::new();
        chain = child_with(&chain, dir, present, cap, &shown, true, &mut sig, problems);
    }
    chain
}

/// The git directory of a folder holding `.git`: the folder itself, or for a worktree the common
/// directory its `.git` file points to (`gitdir: ...`, then `commondir`).
fn git_dir(dir: &Path, is_dir: bool, cap: u64) -> Option<PathBuf> {
    let dot_git = dir.join(".git");
    if is_dir {
        return Some(dot_git);
    }
    let text = read_regular(&dot_git, cap.min(64 * 1024)).ok()??;
    let real = PathBuf::from(text.lines().next()?.strip_prefix("gitdir: ")?.trim());
    let real = if real.is_relative() {
        dir.join(real)
    } else {
        real
    };
    let common = read_regular(&real.join("commondir"), 64 * 1024).ok()??;
    let common = common.lines().next()?.trim().to_string();
    Some(if common.starts_with('.') {
        real.join(common)
    } else {
        PathBuf::from(common)
    })
}

/// Builds a matcher rooted at `dir` from the text of an ignore file. Invalid patterns and lines past
/// [`MAX_PATTERNS`] are reported (once per file) and left out.
pub fn build(dir: &Path, text: &str, shown: &str, problems: &mut Vec<Problem>) -> Gitignore {
    let mut b = GitignoreBuilder::new(dir);
    let mut first_bad: Option<(usize, String)> = None;
    let mut bad = 0usize;
    let mut patterns = 0usize;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        patterns += 1;
        if patterns > MAX_PATTERNS {
            problems.push((
                shown.to_string(),
                format!(
                    "more than {MAX_PATTERNS} patterns; the lines from {} on are not used",
                    i + 1
                ),
            ));
            break;
        }
        if let Err(e) = b.add_line(None, line) {
            bad += 1;
            first_bad.get_or_insert((i + 1, e.to_string()));
        }
    }
    if let Some((line, msg)) = first_bad {
        let more = if bad > 1 {
            format!(" (and {} more invalid lines)", bad - 1)
        } else {
            String::new()
        };
        problems.push((
            shown.to_string(),
            format!("ignore file: line {line}: {msg}; that pattern is not used{more}"),
        ));
    }
    match b.build() {
        Ok(g) => g,
        Err(e) => {
            problems.push((shown.to_string(), format!("ignore file not used: {e}")));
            Gitignore::empty()
        }
    }
}

/// The workspace's own `ignore` patterns (`.kyozo.toml`): gitignore syntax, anchored at the root
/// (`experiments/` is the root's `experiments`, `tools/*` every folder in `tools`).
pub fn workspace(root: &Path, patterns: &[String], problems: &mut Vec<Problem>) -> Gitignore {
    if patterns.is_empty() {
        return Gitignore::empty();
    }
    let text: String = patterns
        .iter()
        .map(|p| {
            let p = p.trim().trim_start_matches("./");
            if p.starts_with('/') || p.starts_with("**") {
                format!("{p}\n")
            } else {
                format!("/{p}\n")
            }
        })
        .collect();
    build(root, &text, ".kyozo.toml", problems)
}

/// Whether `path` (absolute, below the folder of the innermost rules) is ignored.
pub fn ignored(chain: &Chain, extra: &Gitignore, path: &Path, is_dir: bool) -> bool {
    if !extra.is_empty() && extra.matched(path, is_dir).is_ignore() {
        return true;
    }
    let mut cur = chain.as_deref();
    let (mut m_ignore, mut m_git, mut m_exclude): (Match<()>, Match<()>, Match<()>) =
        (Match::None, Match::None, Match::None);
    let mut saw_git = false;
    while let Some(r) = cur {
        if m_ignore.is_none() {
            m_ignore = r.ignore.matched(path, is_dir).map(|_| ());
        }
        if !saw_git {
            if m_git.is_none() {
                m_git = r.git.matched(path, is_dir).map(|_| ());
            }
            if m_exclude.is_none() {
                m_exclude = r.exclude.matched(path, is_dir).map(|_| ());
            }
        }
        saw_git = saw_git || r.has_git;
        cur = r.parent.as_deref();
    }
    m_ignore.or(m_git).or(m_exclude).is_ignore()
}
