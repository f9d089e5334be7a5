//! Every analyzer of this family over every fixture and over arbitrary input.

use std::path::Path;

use proptest::prelude::*;

use super::super::{
    Analyzer, deno, dotnet, elixir, golang, java, nginx, node, php, python, ruby, rust,
    static_site, terraform,
};
use super::testutil::{folder_of, run};

const ECO: &[(&str, Analyzer)] = &[
    ("node", node::analyze),
    ("python", python::analyze),
    ("go", golang::analyze),
    ("rust", rust::analyze),
    ("java", java::analyze),
    ("ruby", ruby::analyze),
    ("php", php::analyze),
    ("dotnet", dotnet::analyze),
    ("elixir", elixir::analyze),
    ("deno", deno::analyze),
    ("static", static_site::analyze),
    ("nginx", nginx::analyze),
    ("terraform", terraform::analyze),
];

/// Each fixture is claimed by its own ecosystem's analyzer only, without diagnostics.
#[test]
fn each_fixture_is_claimed_by_its_own_analyzer_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eco");
    let mut cases = 0;
    for eco in std::fs::read_dir(&root).unwrap() {
        let eco = eco.unwrap();
        if !eco.file_type().unwrap().is_dir() {
            continue;
        }
        let eco_name = eco.file_name().into_string().unwrap();
        for case in std::fs::read_dir(eco.path()).unwrap() {
            let case = case.unwrap();
            let rel = format!("{eco_name}/{}", case.file_name().into_string().unwrap());
            let folder = folder_of(&case.path(), &rel);
            let mut claimed = Vec::new();
            for (name, a) in ECO {
                let (f, d) = run(*a, &folder);
                assert!(d.is_empty(), "{rel}: {name} diagnostics {d:?}");
                if f.is_some() {
                    claimed.push(*name);
                }
            }
            assert_eq!(claimed, vec![eco_name.as_str()], "{rel}");
            cases += 1;
        }
    }
    assert!(cases >= 30, "only {cases} fixtures");
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, std::path::PathBuf)>) {
    out.push((rel.to_string(), dir.to_path_buf()));
    let mut subs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .collect();
    subs.sort_by_key(|e| e.file_name());
    for e in subs {
        let name = e.file_name().into_string().unwrap();
        walk(&e.path(), &format!("{rel}/{name}"), out);
    }
}

/// What every folder of the fixture tree (nested ones too, as the walker visits them) yields:
/// `path kind [helper|aggregator]`, one line per finding.
#[test]
fn nested_fixture_folders() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eco");
    let mut all = Vec::new();
    walk(&root, ".", &mut all);
    let mut lines = Vec::new();
    for (rel, abs) in &all {
        let folder = folder_of(abs, rel);
        for (_, a) in ECO {
            let (f, d) = run(*a, &folder);
            assert!(d.is_empty(), "{rel}: {d:?}");
            if let Some(f) = f {
                let role = if f.aggregator {
                    " aggregator"
                } else if f.helper_only {
                    " helper"
                } else {
                    ""
                };
                lines.push(format!("{} {}{role}", rel.trim_start_matches("./"), f.kind));
            }
        }
    }
    let expected = [
        "deno/oak deno",
        "dotnet/aspnet dotnet",
        "elixir/phoenix elixir",
        "go/gin golang",
        "go/plain golang",
        "go/plain/cmd/notifier golang helper",
        "java/gradle java",
        "java/spring-maven java",
        "nginx/proxy proxy",
        "node/express nodejs",
        "node/fastify nodejs",
        "node/nestjs nodejs",
        "node/next nodejs",
        "node/nuxt nodejs",
        "node/remix nodejs",
        "node/vite static",
        "node/workspace-root nodejs aggregator",
        "node/workspace-root/packages/lib nodejs helper",
        "node/workspace-root/packages/web nodejs",
        "php/laravel php",
        "python/django python",
        "python/fastapi python",
        "python/flask python",
        "python/pipfile python",
        "python/setup-py python",
        "python/streamlit python",
        "ruby/rails ruby",
        "ruby/sinatra ruby",
        "rust/actix rust",
        "rust/axum rust",
        "rust/rocket rust",
        "rust/warp rust",
        "rust/workspace rust aggregator",
        "rust/workspace/crates/api rust",
        "rust/workspace/crates/core rust helper",
        "static/site static",
        "terraform/aws infrastructure",
    ];
    assert_eq!(lines, expected);
}

#[test]
fn an_empty_folder_has_no_signal() {
    let dir = tempfile::tempdir().unwrap();
    let folder = folder_of(dir.path(), ".");
    for (name, a) in ECO {
        let (f, d) = run(*a, &folder);
        assert!(f.is_none() && d.is_empty(), "{name}");
    }
}

const NAMES: &[&str] = &[
    "package.json",
    "server.js",
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "setup.py",
    "manage.py",
    "app.py",
    "Procfile",
    "go.mod",
    "go.work",
    "main.go",
    "Cargo.toml",
    "Rocket.toml",
    "pom.xml",
    "build.gradle",
    "Gemfile",
    "config.ru",
    "composer.json",
    "index.php",
    "App.csproj",
    "appsettings.json",
    "mix.exs",
    "deno.json",
    "main.ts",
    "index.html",
    "nginx.conf",
    "site.conf",
    "main.tf",
    ".env",
];

fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Structured-looking text: fragments of every manifest syntax, shuffled.
        prop::collection::vec(
            prop::sample::select(vec![
                "{",
                "}",
                "[",
                "]",
                "\"",
                "'",
                ":",
                ",",
                "=",
                ";",
                "\n",
                "<",
                ">",
                "</",
                "/>",
                "<<EOF",
                "EOF",
                "#",
                "//",
                "/*",
                "*/",
                "server",
                "listen",
                "80",
                "99999",
                "0",
                ":8080",
                "port",
                "=",
                "proxy_pass http://",
                "upstream",
                "[package]",
                "[[bin]]",
                "name",
                "module",
                "require (",
                ")",
                "package main",
                "<project>",
                "<Project Sdk=\"Microsoft.NET.Sdk.Web\">",
                "gem 'rails'",
                "defmodule X do",
                "def project",
                "apps_path:",
                "Deno.serve",
                "FastAPI(",
                "app = Flask(",
                "__main__",
                ".run(",
                "scripts",
                "start",
                "main",
                "workspaces",
                "dependencies",
                "express",
                "django",
                "é",
                "\u{0}",
                "\\",
                "${",
                "http://a:1",
                "/health",
                "provider \"aws\"",
                "required_providers",
            ]),
            0..60,
        )
        .prop_map(|parts| parts.concat().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..200),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// No analyzer panics, whatever the manifests hold.
    #[test]
    fn analyzers_never_panic(files in prop::collection::vec(
        (prop::sample::select(NAMES.to_vec()), content()), 1..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let folder = folder_of(dir.path(), "x");
        for (_, a) in ECO {
            let mut d = Vec::new();
            if let Some(f) = a(&folder, &mut d) {
                prop_assert!((0.0..=0.99).contains(&f.confidence));
                prop_assert!(!f.technologies.is_empty());
            }
        }
    }
}
