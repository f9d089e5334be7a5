use super::*;

#[test]
fn parses_ordinary_yaml_like_serde_yaml() {
    let text = "services:\n  web:\n    image: nginx\n    ports: [\"80:80\", 443]\n    command: |\n      echo [ { '\n    x: &a {k: v}\n    y: *a\n  'quoted': \"a [ b\"\n";
    let ours = parse(text).unwrap();
    let theirs: Value = serde_yaml_ng::from_str(text).unwrap();
    assert_eq!(ours, theirs);
    let tagged = "a: !Ref x\nb: ~\nc: 1.5\nd: true\n";
    assert_eq!(
        parse(tagged).unwrap(),
        serde_yaml_ng::from_str::<Value>(tagged).unwrap()
    );
}

#[test]
fn several_documents() {
    let docs = documents("a: 1\n---\nb: 2\n").unwrap();
    assert_eq!(docs.len(), 2);
    assert!(parse("a: 1\n---\nb: 2\n").is_err());
}

#[test]
fn duplicate_keys_are_errors_as_before() {
    let e = parse("a: 1\na: 2\n").unwrap_err();
    assert!(e.contains("duplicate"), "{e}");
}

#[test]
fn alias_amplification_is_refused_quickly() {
    let mut text = String::from("x: &a [");
    text.push_str(&vec!["1"; 5000].join(","));
    text.push_str("]\ny: [");
    text.push_str(&vec!["*a"; 5000].join(","));
    text.push_str("]\n");
    let start = std::time::Instant::now();
    let e = parse(&text).unwrap_err();
    assert!(e.contains("expands to more than"), "{e}");
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    // A long string aliased many times is bounded by bytes.
    let big = "z".repeat(50_000);
    let mut text = format!("s: &s {big}\nl:\n");
    for _ in 0..200 {
        text.push_str("  - *s\n");
    }
    assert!(parse(&text).unwrap_err().contains("expands to more than"));
    // A few aliases are fine.
    let ok = "base: &b {image: x}\nweb: *b\napi: *b\n";
    assert!(parse(ok).is_ok());
}

#[test]
fn deep_flow_nesting_and_many_directives_are_refused_before_parsing() {
    let start = std::time::Instant::now();
    let e = parse(&"[".repeat(50_000)).unwrap_err();
    assert!(e.contains("nested deeper"), "{e}");
    let e = parse(&"{a: ".repeat(30_000)).unwrap_err();
    assert!(e.contains("nested deeper"), "{e}");
    let e = parse(&format!("a: &x {}", "[".repeat(10_000))).unwrap_err();
    assert!(e.contains("nested deeper"), "{e}");
    let mut tags = String::new();
    for i in 0..40_000 {
        tags.push_str(&format!("%TAG !t{i}! tag:x,{i}:\n"));
    }
    tags.push_str("---\na: 1\n");
    let e = parse(&tags).unwrap_err();
    assert!(e.contains("directives"), "{e}");
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn brackets_in_text_do_not_count() {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!(
            "k{i}: \"[{{\"\nr{i}: ^[a-z\nc{i}: x # [[[\nq{i}: 'it''s ['\n"
        ));
    }
    text.push_str("b: |\n");
    for _ in 0..300 {
        text.push_str("  [ { [\n");
    }
    assert!(prescan(&text).is_ok(), "{:?}", prescan(&text));
    assert!(parse(&text).is_ok());
    // Balanced flow collections, many of them, are fine.
    let flows = "ports: [\"80:80\", {a: [1, 2]}]\n".repeat(1000);
    assert!(prescan(&flows).is_ok());
}
