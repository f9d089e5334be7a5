//! The human `kyozo detect` table fits the width it is given; `--json` keeps everything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use kyozo::detect::{self, DetectOptions};

fn wide() -> kyozo::detect::Topology {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detect/wide");
    let mut t = detect::detect(&root, &DetectOptions::default()).unwrap();
    t.workspace = "[workspace]".to_string();
    t
}

#[test]
fn thirty_services_fit_80_columns() {
    let t = wide();
    assert_eq!(t.services.len(), 30);
    assert_eq!(t.service("svc-30").unwrap().depends_on.len(), 12);
    let text = kyozo::cli::detect::render_width(&t, false, Some(80));
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    insta::assert_snapshot!("wide_table_80", text);
    // Without a limit the long lists stay on one line (what a pipe gets without COLUMNS).
    let free = kyozo::cli::detect::render(&t, false);
    assert!(free.lines().any(|l| l.chars().count() > 150));
}

#[test]
fn the_binary_takes_columns_from_the_environment_when_piped() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detect/wide");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .args(["detect", root.to_str().unwrap()])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().skip(1).all(|l| l.chars().count() <= 80),
        "{text}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .args(["detect", root.to_str().unwrap()])
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l.chars().count() > 150), "{text}");
}
