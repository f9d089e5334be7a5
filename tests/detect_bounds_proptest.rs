//! Random YAML and `.env` input stays within the bounds: every parse ends quickly, and what it
//! produces is never larger than the budget of its text (aliases and `${VAR}` references cannot
//! multiply it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kyozo::detect::envfile;
use kyozo::detect::yaml::{self, Budget};
use proptest::prelude::*;
use serde_yaml_ng::Value;

/// Time one random input may take (unoptimized test build).
const TIME: Duration = Duration::from_secs(2);

const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n    ",
    "a",
    "b: ",
    "'x'",
    "\"y\"",
    "#c\n",
    "|\n",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "? ",
    "%TAG !t! tag:x:\n",
    "---\n",
    "!!str ",
    "'",
    "\"",
];

fn nodes(v: &Value) -> usize {
    match v {
        Value::Sequence(s) => 1 + s.iter().map(nodes).sum::<usize>(),
        Value::Mapping(m) => 1 + m.iter().map(|(k, v)| nodes(k) + nodes(v)).sum::<usize>(),
        Value::Tagged(t) => nodes(&t.value),
        _ => 1,
    }
}

/// A document of anchored lists and lists of aliases to them: the shape of an alias bomb.
fn bomb() -> impl Strategy<Value = String> {
    (
        1usize..2000,
        prop::collection::vec((0usize..4, 1usize..3000), 1..6),
    )
        .prop_map(|(width, layers)| {
            let mut text = format!("l0: &a0 [{}]\n", vec!["1"; width].join(","));
            for (i, (refs, count)) in layers.iter().enumerate() {
                let target = i.min(*refs);
                let items = vec![format!("*a{target}"); *count].join(",");
                text.push_str(&format!("l{}: &a{} [{items}]\n", i + 1, i + 1));
            }
            text
        })
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..3000).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn yaml_stays_within_its_budget(text in prop_oneof![bomb(), soup()]) {
        let start = Instant::now();
        let budget = Budget::for_text(&text);
        if let Ok(docs) = yaml::documents(&text) {
            let total: usize = docs.iter().map(nodes).sum();
            prop_assert!(total <= budget.nodes, "{total} nodes > {}", budget.nodes);
        }
        let _ = yaml::parse(&text);
        prop_assert!(start.elapsed() < TIME, "took {:?}", start.elapsed());
    }

    #[test]
    fn interpolation_stays_within_its_limit(
        values in prop::collection::vec((0usize..4, 0usize..20_000), 1..5),
        refs in prop::collection::vec((0usize..4, prop::sample::select(&["${V}", "$V", "${V:-d}", "$$", "${", "x"][..])), 0..4000),
    ) {
        let vars: BTreeMap<String, String> = values
            .iter()
            .map(|(i, n)| (format!("V{i}"), "v".repeat(*n)))
            .collect();
        let text: String = refs
            .iter()
            .map(|(i, r)| r.replace('V', &format!("V{i}")))
            .collect();
        let start = Instant::now();
        let out = envfile::interpolate(&text, &vars);
        prop_assert!(out.len() <= envfile::MAX_EXPANDED);
        match envfile::try_interpolate(&text, &vars, 64 * 1024) {
            Ok(s) => prop_assert!(s.len() <= 64 * 1024),
            Err(e) => prop_assert!(e.contains("more than")),
        }
        // `.env` parsing is linear and keeps what it is given.
        let env_text: String = values
            .iter()
            .map(|(i, n)| format!("V{i}={}\n", "w".repeat(*n)))
            .collect();
        let parsed = envfile::parse(&env_text);
        prop_assert!(parsed.values().map(String::len).sum::<usize>() <= env_text.len());
        prop_assert!(start.elapsed() < TIME, "took {:?}", start.elapsed());
    }
}
