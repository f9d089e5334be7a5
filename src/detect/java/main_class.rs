//! Runnable evidence of a JVM module without a framework: a `Main-Class`/`mainClass` in its build
//! file, or a `main` method in its sources under `src/main` (Java `public static void main`, Kotlin
//! `fun main`). The search is bounded: a few hundred names listed, a few dozen files read.

use std::sync::LazyLock;

use regex::Regex;

use super::super::Folder;
use super::super::lang;

/// At most this many source files are read looking for a `main` method.
const READ_CAP: usize = 48;
/// At most this many folders are listed below each source root.
const DIR_CAP: usize = 64;

static MAIN_METHOD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?m)(?:\bstatic\s+(?:public\s+)?void\s+main\s*\(|^\s*(?:public\s+)?(?:suspend\s+)?fun\s+main\s*\()").ok()
});
static PACKAGE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*package\s+([\w.]+)").ok());
/// `Main-Class: x.Y`, `'Main-Class': 'x.Y'`, `mainClass = 'x.Y'`, `mainClass.set("x.Y")`,
/// `<mainClass>x.Y</mainClass>`, `mainClassName = 'x.Y'`, `<start-class>x.Y</start-class>`.
static DECLARED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?:['"]?Main-Class['"]?\s*[:=]\s*|\bmainClass(?:Name)?\s*(?:=|\.set\()\s*|<mainClass>\s*|<start-class>\s*)['"]?([A-Za-z_][\w.$]*)"#).ok()
});

/// The main class a build file declares (`jar { manifest { attributes 'Main-Class': ... } }`,
/// `application { mainClass = ... }`, `<mainClass>` of a Maven plugin).
pub fn declared(build_text: &str) -> Option<String> {
    let text: String = build_text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = strip_block_comments(&text);
    DECLARED
        .as_ref()?
        .captures(&text)?
        .get(1)
        .map(|m| m.as_str().to_string())
        .filter(|c| !c.starts_with("${"))
}

fn strip_block_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        match rest[i..].find("*/") {
            Some(j) => rest = &rest[i + j + 2..],
            None => return out,
        }
    }
    // XML comments as well (`<!-- <mainClass>..</mainClass> -->`), in one pass.
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i..].find("-->") {
            Some(j) => rest = &rest[i + j + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The fully qualified name of a class with a `main` method under `src/main/java` or
/// `src/main/kotlin` (files named `*Application`, `Main`, `App`, `Server` first).
pub fn find(folder: &Folder) -> Option<String> {
    if !folder.has_dir("src") {
        return None;
    }
    let mut files: Vec<String> = Vec::new();
    for root in ["src/main/java", "src/main/kotlin"] {
        let mut stack = vec![root.to_string()];
        let mut listed = 0;
        while let Some(dir) = stack.pop() {
            listed += 1;
            if listed > DIR_CAP {
                break;
            }
            let (fs, ds) = lang::list_dir(folder, &dir);
            for f in fs {
                if f.ends_with(".java") || f.ends_with(".kt") {
                    files.push(format!("{dir}/{f}"));
                }
            }
            for d in ds.into_iter().rev() {
                stack.push(format!("{dir}/{d}"));
            }
        }
    }
    let rank = |p: &String| {
        let stem = p.rsplit('/').next().unwrap_or(p);
        let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
        if stem.ends_with("Application") || stem.ends_with("App") {
            0
        } else if ["Main", "Server", "Launcher", "Bootstrap"]
            .iter()
            .any(|n| stem.ends_with(n))
        {
            1
        } else {
            2
        }
    };
    files.sort_by_key(rank);
    let re = MAIN_METHOD.as_ref()?;
    for file in files.iter().take(READ_CAP) {
        let Some(text) = folder.read_opt(file) else {
            continue;
        };
        if re.is_match(&text) {
            let stem = file.rsplit('/').next().unwrap_or(file);
            let (stem, ext) = stem.rsplit_once('.').unwrap_or((stem, ""));
            // Kotlin compiles a top-level `fun main` in `App.kt` to `AppKt`.
            let class = if ext == "kt" && !text.contains("object ") && !text.contains("class ") {
                format!("{stem}Kt")
            } else {
                stem.to_string()
            };
            let pkg = PACKAGE
                .as_ref()
                .and_then(|p| p.captures(&text))
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string());
            return Some(match pkg {
                Some(p) => format!("{p}.{class}"),
                None => class,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::super::lang::testutil::temp;
    use super::*;

    #[test]
    fn declared_main_classes() {
        assert_eq!(
            declared("jar {\n  manifest {\n    attributes(\n      'Main-Class': 'hello.HelloWorld'\n    )\n  }\n}").as_deref(),
            Some("hello.HelloWorld")
        );
        assert_eq!(
            declared("application {\n    mainClass = 'gradle.App'\n}").as_deref(),
            Some("gradle.App")
        );
        assert_eq!(
            declared("application { mainClass.set(\"a.B\") }").as_deref(),
            Some("a.B")
        );
        assert_eq!(
            declared("<configuration><archive><manifest><mainClass>com.x.Main</mainClass></manifest></archive></configuration>").as_deref(),
            Some("com.x.Main")
        );
        assert_eq!(
            declared("/*\n'Main-Class': 'old.Main'\n*/\napply plugin: 'java'"),
            None
        );
        assert_eq!(declared("<!-- <mainClass>a.B</mainClass> -->"), None);
        assert_eq!(declared("<mainClass>${main.class}</mainClass>"), None);
    }

    #[test]
    fn main_methods_in_sources() {
        let (_d, f) = temp(&[
            (
                "src/main/java/com/example/Util.java",
                "package com.example;\nclass Util {}\n",
            ),
            (
                "src/main/java/com/example/Main.java",
                "package com.example;\npublic class Main {\n  public static void main(String[] args) {}\n}\n",
            ),
        ]);
        assert_eq!(find(&f).as_deref(), Some("com.example.Main"));
        let (_d, f) = temp(&[(
            "src/main/kotlin/app/App.kt",
            "package app\n\nfun main() {\n  println(\"hi\")\n}\n",
        )]);
        assert_eq!(find(&f).as_deref(), Some("app.AppKt"));
        let (_d, f) = temp(&[(
            "src/main/java/lib/Lib.java",
            "package lib;\npublic class Lib {}\n",
        )]);
        assert_eq!(find(&f), None);
    }
}
