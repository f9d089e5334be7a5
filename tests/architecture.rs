//! The module map of ARCHITECTURE.md, enforced: every file under `src/` is read, its `crate::` and
//! `super::` paths are resolved to the top-level module they reach, and each one must be an arrow
//! the map allows. Some modules must not touch some outside crates either (`ui` does no I/O,
//! `detect` is pure, only `runtime` speaks bollard and only `store` speaks redb). Test-only code
//! (`tests.rs`, `tests/` folders, `#[cfg(test)]` modules) is not checked.
//!
//! The checker runs on hand-written sources first, so it is known to catch what it claims to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Which of our modules each module may use.
fn allowed(from: &str) -> Option<&'static [&'static str]> {
    Some(match from {
        "detect" | "secrets" => &[],
        "config" => &["detect", "secrets"],
        "store" | "runtime" => &["detect", "config", "secrets"],
        "deploy" => &["detect", "config", "secrets", "store", "runtime"],
        "app" => &["detect", "config", "secrets", "store", "runtime", "deploy"],
        // the deploy plan is data the Plan tab draws; nothing else of deploy
        "ui" => &["app", "detect", "secrets", "deploy::Plan", "deploy::plan"],
        // the verbs wire the layers together: the cockpit hands ui's renderer to app's loop
        "cli" => &[
            "app", "ui", "detect", "config", "secrets", "store", "runtime", "deploy",
        ],
        "main" => &["cli"],
        "lib" => &[
            "app", "cli", "config", "deploy", "detect", "runtime", "secrets", "store", "ui",
        ],
        _ => return None,
    })
}

/// Outside paths a module must not use, and why.
fn forbidden(from: &str, file: &str) -> Vec<(&'static str, &'static str)> {
    let io: [(&str, &str); 9] = [
        ("std::fs", "file I/O"),
        ("std::net", "network I/O"),
        ("std::process", "processes"),
        ("std::env", "the environment"),
        ("tokio", "async I/O"),
        ("bollard", "the engine (runtime's job)"),
        ("redb", "the store's database (store's job)"),
        ("notify", "file watching"),
        ("std::thread", "threads"),
    ];
    let ui_crates: [(&str, &str); 3] = [
        ("ratatui", "the terminal UI"),
        ("crossterm", "the terminal"),
        ("tui_tree_widget", "the terminal UI"),
    ];
    let mut out = Vec::new();
    match from {
        "detect" | "secrets" => {
            out.extend(io.iter().filter(|(p, _)| !p.starts_with("std::")).copied());
            out.extend(ui_crates);
        }
        "ui" => out.extend(io),
        "app" => {
            // the workers, the engine worker, the main loop and the watcher do I/O for the state
            // owner; the state, its tables and `update` do none
            let io_parts = [
                "app/engine.rs",
                "app/workers.rs",
                "app/run.rs",
                "app/watch.rs",
                "app/start.rs",
            ];
            // the engine worker's own files (`app/engine/*.rs`) are part of it
            if io_parts.iter().any(|p| file.ends_with(p)) || file.contains("app/engine/") {
                out.push(("bollard", "the engine (runtime's job)"));
                out.push(("redb", "the store's database (store's job)"));
            } else {
                out.extend(io);
            }
        }
        "store" | "runtime" | "deploy" | "config" => {
            out.extend(ui_crates);
            if from != "runtime" {
                out.push(("bollard", "the engine (runtime's job)"));
            }
            if from != "store" {
                out.push(("redb", "the store's database (store's job)"));
            }
        }
        "cli" => {
            out.push(("bollard", "the engine (runtime's job)"));
            out.push(("redb", "the store's database (store's job)"));
        }
        _ => {}
    }
    out
}

/// Source text with comments removed and string and char literals emptied (newlines kept, so
/// line numbers hold).
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let keep_newlines = |out: &mut String, s: &[char]| {
        for c in s {
            if *c == '\n' {
                out.push('\n');
            }
        }
    };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = (i..b.len()).find(|&j| b[j] == '\n').unwrap_or(b.len());
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            let start = i;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            keep_newlines(&mut out, &b[start..i.min(b.len())]);
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            // raw string r"..." / r#"..."#
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let start = i;
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            keep_newlines(&mut out, &b[start..j.min(b.len())]);
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            keep_newlines(&mut out, &b[start..i.min(b.len())]);
            out.push_str("\"\"");
        } else if c == '\'' {
            // a char literal ('a', '\n', '\u{..}') or a lifetime ('a)
            let is_char = matches!(
                (next, b.get(i + 2)),
                (Some('\\'), _) | (Some(_), Some('\''))
            );
            if is_char {
                i += 1;
                while i < b.len() && b[i] != '\'' {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The code without its `#[cfg(test)]` modules written inline (`mod tests { ... }`), and the
/// names of those declared in other files (`#[cfg(test)] mod tests;`).
fn without_test_modules(code: &str) -> (String, Vec<String>) {
    let mut out = code.to_string();
    let mut external = Vec::new();
    let tag = "#[cfg(test)]";
    let mut from = 0;
    while let Some(at) = out[from..].find(tag).map(|i| i + from) {
        let rest = &out[at + tag.len()..];
        let trimmed = rest.trim_start();
        let skip = rest.len() - trimmed.len();
        let decl = trimmed
            .strip_prefix("pub(crate) ")
            .or_else(|| trimmed.strip_prefix("pub "))
            .unwrap_or(trimmed);
        let Some(after_mod) = decl.strip_prefix("mod ") else {
            from = at + tag.len();
            continue;
        };
        let name: String = after_mod
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let after_name = after_mod[name.len()..].trim_start();
        let body_start = at + tag.len() + skip + (trimmed.len() - after_name.len());
        if after_name.starts_with(';') {
            external.push(name);
            from = body_start;
        } else if after_name.starts_with('{') {
            let mut depth = 0;
            let mut end = body_start;
            for (i, ch) in out[body_start..].char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = body_start + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let blank: String = out[at..end]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' })
                .collect();
            out.replace_range(at..end, &blank);
            from = at + blank.len();
        } else {
            from = body_start;
        }
    }
    (out, external)
}

/// One use of a module: the line and the path as written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Use {
    line: usize,
    path: String,
}

fn ident_at(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The paths a `crate::`, `super::` or `kyozo::` prefix at `at` leads to, each as the list of its
/// first two segments after the prefix; `use x::{a, b::c}` gives both.
fn paths_after(code: &str, at: usize) -> Vec<Vec<String>> {
    let rest = &code[at..];
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 1;
        let mut end = group.len();
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = &group[..end];
        let mut items = Vec::new();
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&inner[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(&inner[start..]);
        return items
            .into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|item| {
                let first = ident_at(item);
                let after = item[first.len()..].trim_start();
                let mut v = vec![first];
                if let Some(r) = after.strip_prefix("::") {
                    let second = ident_at(r.trim_start());
                    if !second.is_empty() {
                        v.push(second);
                    }
                }
                v
            })
            .collect();
    }
    let first = ident_at(rest);
    let mut v = vec![first.clone()];
    if let Some(r) = rest[first.len()..].strip_prefix("::") {
        let second = ident_at(r);
        if !second.is_empty() {
            v.push(second);
        }
    }
    vec![v]
}

/// Every use of one of our modules in `code`, as `top` or `top::second` paths, resolving
/// `super::` against `module` (the file's module path, `["app", "update", "keys"]`).
fn our_uses(code: &str, module: &[String], prefix: &str) -> Vec<Use> {
    let mut out = Vec::new();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let boundary = |at: usize| {
        at == 0 || {
            let c = code[..at].chars().next_back().unwrap_or(' ');
            !(c.is_alphanumeric() || c == '_' || c == ':')
        }
    };
    for (at, _) in code.match_indices(prefix) {
        if !boundary(at) {
            continue;
        }
        for p in paths_after(code, at + prefix.len()) {
            out.push(Use {
                line: line_of(at),
                path: p.join("::"),
            });
        }
    }
    // super::super::x from app/update/keys.rs reaches app::x; far enough up it reaches the root
    for (at, _) in code.match_indices("super::") {
        if !boundary(at) {
            continue;
        }
        let mut up = 1;
        let mut pos = at + "super::".len();
        while code[pos..].starts_with("super::") {
            up += 1;
            pos += "super::".len();
        }
        if up < module.len() {
            continue; // still inside the same top-level module
        }
        for p in paths_after(code, pos) {
            out.push(Use {
                line: line_of(at),
                path: p.join("::"),
            });
        }
    }
    out
}

/// Uses of outside paths (`std::fs`, `tokio`) in `code`, `use std::{fs, io}` groups included.
fn outside_uses(code: &str, path: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if let Some(item) = path.strip_prefix("std::") {
        for (at, _) in code.match_indices("std::{") {
            if paths_after(code, at + "std::".len())
                .iter()
                .any(|p| p.first().is_some_and(|f| f == item))
            {
                out.push(code[..at].matches('\n').count() + 1);
            }
        }
    }
    for (at, _) in code.match_indices(path) {
        let before_ok = at == 0 || {
            let c = code[..at].chars().next_back().unwrap_or(' ');
            !(c.is_alphanumeric() || c == '_' || c == ':')
        };
        let after = code[at + path.len()..].chars().next().unwrap_or(' ');
        let after_ok =
            after == ':' || after == ';' || after == ' ' || after == ',' || after == '\n';
        if before_ok && after_ok {
            out.push(code[..at].matches('\n').count() + 1);
        }
    }
    out
}

/// The violations of one file: `file:line: what`.
fn check_file(rel: &str, src: &str) -> Vec<String> {
    let module = module_path(rel);
    let top = module.first().cloned().unwrap_or_default();
    let (code, _) = without_test_modules(&code_only(src));
    let mut out = Vec::new();
    let Some(ok) = allowed(&top) else {
        out.push(format!("{rel}: module `{top}` is not in the map"));
        return out;
    };
    let prefix = if top == "main" { "kyozo::" } else { "crate::" };
    for u in our_uses(&code, &module, prefix) {
        let target = u.path.split("::").next().unwrap_or("").to_string();
        if target.is_empty() || target == top || target == "self" {
            continue;
        }
        let fine = ok
            .iter()
            .any(|a| *a == target || (a.contains("::") && *a == u.path));
        if !fine {
            out.push(format!(
                "{rel}:{}: `{top}` uses `{}`; the map allows {top} -> {{{}}}",
                u.line,
                u.path,
                ok.join(", ")
            ));
        }
    }
    for (path, why) in forbidden(&top, rel) {
        for line in outside_uses(&code, path) {
            out.push(format!(
                "{rel}:{line}: `{top}` uses `{path}` ({why} does not belong in {top})"
            ));
        }
    }
    out
}

/// `src/app/update/keys.rs` -> `["app", "update", "keys"]`; `src/app/mod.rs` -> `["app"]`;
/// `src/lib.rs` -> `["lib"]`; `src/main.rs` -> `["main"]`.
fn module_path(rel: &str) -> Vec<String> {
    let rel = rel.strip_prefix("src/").unwrap_or(rel);
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Files that only tests compile: `tests.rs`, anything in a `tests/` folder, and the files of
/// modules declared under `#[cfg(test)]` elsewhere.
fn test_only(root: &Path, files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap();
        if rel.file_name().is_some_and(|n| n == "tests.rs")
            || rel.components().any(|c| c.as_os_str() == "tests")
        {
            out.insert(f.clone());
        }
        let src = std::fs::read_to_string(f).unwrap();
        let (_, external) = without_test_modules(&code_only(&src));
        let dir = if f
            .file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
        {
            f.parent().unwrap().to_path_buf()
        } else {
            f.with_extension("")
        };
        for name in external {
            out.insert(dir.join(format!("{name}.rs")));
            let sub = dir.join(&name);
            if sub.is_dir() {
                let mut inner = Vec::new();
                rust_files(&sub, &mut inner);
                out.extend(inner);
            }
        }
    }
    out
}

#[test]
fn every_import_follows_the_map() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 50,
        "found only {} files under src",
        files.len()
    );
    let skip = test_only(root, &files);
    let mut violations = Vec::new();
    let mut checked = 0;
    for f in &files {
        if skip.contains(f) {
            continue;
        }
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap();
        violations.extend(check_file(&rel, &text));
        checked += 1;
    }
    assert!(checked > 50, "checked only {checked} files");
    assert!(
        violations.is_empty(),
        "{} imports against the map in ARCHITECTURE.md:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn the_checker_catches_what_it_claims_to() {
    // app importing ui, in all the ways a path can be written
    let v = check_file("src/app/update/keys.rs", "use crate::ui::render;\n");
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].starts_with("src/app/update/keys.rs:1: `app` uses `ui::render`"),
        "{v:?}"
    );
    let v = check_file(
        "src/app/update/keys.rs",
        "use crate::{\n  app::msg::Msg,\n  ui,\n};\n",
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains(":1:"), "{v:?}");
    assert_eq!(
        check_file("src/app/update/keys.rs", "use super::super::super::ui::x;").len(),
        1
    );
    assert!(check_file("src/app/update/keys.rs", "use super::super::state::State;").is_empty());
    assert_eq!(
        check_file("src/app/mod.rs", "fn f() { crate::ui::render(s, f) }").len(),
        1
    );
    // ...but not in comments, strings or test modules
    assert!(
        check_file(
            "src/app/state.rs",
            "// crate::ui::render\n/* crate::ui */\nconst S: &str = \"crate::ui\";\n\
             #[cfg(test)]\nmod tests { use crate::ui::render; }\n"
        )
        .is_empty()
    );
    // detect imports nothing of ours and no tokio
    assert_eq!(
        check_file("src/detect/node.rs", "use crate::config::Config;").len(),
        1
    );
    assert_eq!(check_file("src/detect/node.rs", "use tokio::fs;").len(), 1);
    // ui does no I/O
    assert_eq!(
        check_file("src/ui/logs.rs", "let f = std::fs::read(p);").len(),
        1
    );
    assert_eq!(
        check_file("src/ui/logs.rs", "use tokio::sync::mpsc;").len(),
        1
    );
    assert_eq!(
        check_file("src/ui/logs.rs", "use std::{io, fs::File};").len(),
        1
    );
    assert!(check_file("src/ui/logs.rs", "use std::{fmt, io};").is_empty());
    assert_eq!(
        check_file("src/ui/logs.rs", "use bollard::Docker;").len(),
        1
    );
    // ui may draw the deploy plan, but not reach the deployer
    assert!(check_file("src/ui/plan.rs", "use crate::deploy::Plan;").is_empty());
    assert!(
        check_file(
            "src/ui/plan.rs",
            "use crate::deploy::plan::DockerfileSource;"
        )
        .is_empty()
    );
    assert_eq!(
        check_file("src/ui/plan.rs", "use crate::deploy::Deployer;").len(),
        1
    );
    // store and runtime import neither app, ui nor deploy
    for m in ["app", "ui", "deploy"] {
        assert_eq!(
            check_file("src/store/mod.rs", &format!("use crate::{m}::X;")).len(),
            1,
            "store -> {m}"
        );
        assert_eq!(
            check_file("src/runtime/mod.rs", &format!("use crate::{m}::X;")).len(),
            1,
            "runtime -> {m}"
        );
    }
    // redb stays in store, bollard in runtime
    assert_eq!(
        check_file("src/deploy/up.rs", "use redb::Database;").len(),
        1
    );
    assert!(check_file("src/store/mod.rs", "use redb::Database;").is_empty());
    assert_eq!(
        check_file("src/app/workers.rs", "use bollard::Docker;").len(),
        1
    );
    // the reducer does no I/O, the workers may
    assert_eq!(
        check_file("src/app/update/nav.rs", "std::fs::write(p, b)").len(),
        1
    );
    assert!(check_file("src/app/workers.rs", "std::fs::write(p, b)").is_empty());
    // lifetimes and char literals do not confuse the lexer
    assert!(
        check_file(
            "src/ui/x.rs",
            "fn f<'a>(c: char) -> bool { c == '\"' }\nuse crate::app::State;"
        )
        .is_empty()
    );
    assert_eq!(
        check_file("src/ui/x.rs", "fn f<'a>() {} use crate::store::Store;").len(),
        1
    );
    // a module not in the map is named
    assert!(check_file("src/newthing/mod.rs", "")[0].contains("not in the map"));
}
