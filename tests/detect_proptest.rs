//! Random workspaces: detection never panics, names are valid and unique, the deployment order
//! respects every hard edge between deployable services (except inside a reported cycle) and lists
//! every deployable service exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;

use kyozo::detect::{self, DetectOptions, EdgeKind, Topology, names};
use proptest::prelude::*;

const FOLDER_NAMES: &[&str] = &[
    "api",
    "web",
    "db",
    "My Service",
    "ünïcode",
    "a.b",
    "-x-",
    "svc_1",
    "...",
    " ",
    "vendor",
    "billing-api",
    "UPPER",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];
const MEMBERS: &[&str] = &["alpha", "beta", "gamma", "api", "db", "Web"];

#[derive(Debug, Clone)]
enum Manifest {
    None,
    Dockerfile {
        env: Vec<(usize, usize)>,
    },
    Compose {
        members: Vec<(usize, Vec<usize>, bool)>,
    },
    PackageJson,
    Requirements,
    GoMod,
    CargoToml,
    Nginx(usize),
    Terraform,
    IndexHtml,
    Garbage(Vec<u8>),
}

fn manifest() -> impl Strategy<Value = Manifest> {
    prop_oneof![
        1 => Just(Manifest::None),
        2 => prop::collection::vec((0..FOLDER_NAMES.len(), 0..4usize), 0..3)
            .prop_map(|env| Manifest::Dockerfile { env }),
        4 => prop::collection::vec(
            (
                0..MEMBERS.len(),
                prop::collection::vec(0..MEMBERS.len(), 0..3),
                any::<bool>()
            ),
            1..4
        )
        .prop_map(|mut members| {
            // Compose refuses duplicate service keys: keep each member name once.
            let mut seen = Vec::new();
            members.retain(|(n, _, _)| {
                let fresh = !seen.contains(n);
                seen.push(*n);
                fresh
            });
            Manifest::Compose { members }
        }),
        1 => Just(Manifest::PackageJson),
        1 => Just(Manifest::Requirements),
        1 => Just(Manifest::GoMod),
        1 => Just(Manifest::CargoToml),
        1 => (0..FOLDER_NAMES.len()).prop_map(Manifest::Nginx),
        1 => Just(Manifest::Terraform),
        1 => Just(Manifest::IndexHtml),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Manifest::Garbage),
    ]
}

fn tree() -> impl Strategy<Value = Vec<(Vec<usize>, Manifest)>> {
    prop::collection::vec(
        (
            prop::collection::vec(0..FOLDER_NAMES.len(), 0..4),
            manifest(),
        ),
        0..12,
    )
}

const KEYS: [&str; 4] = ["_URL", "_HOST", "_DATABASE", "_USER"];

fn write(root: &std::path::Path, spec: &[(Vec<usize>, Manifest)]) {
    for (path, m) in spec {
        let dir = path
            .iter()
            .fold(root.to_path_buf(), |p, i| p.join(FOLDER_NAMES[*i]));
        fs::create_dir_all(&dir).unwrap();
        let (file, text): (&str, Vec<u8>) = match m {
            Manifest::None => continue,
            Manifest::Dockerfile { env } => {
                let mut t = String::from("FROM alpine\nEXPOSE 8080\n");
                for (i, (target, key)) in env.iter().enumerate() {
                    let host = FOLDER_NAMES[*target];
                    let k = KEYS[*key];
                    if k == "_URL" {
                        t.push_str(&format!("ENV S{i}{k}=http://{host}:80/x\n"));
                    } else {
                        t.push_str(&format!("ENV S{i}{k}={host}\n"));
                    }
                }
                ("Dockerfile", t.into_bytes())
            }
            Manifest::Compose { members } => {
                let mut t = String::from("services:\n");
                for (name, deps, long) in members {
                    t.push_str(&format!("  {}:\n    image: alpine\n", MEMBERS[*name]));
                    if !deps.is_empty() {
                        t.push_str("    depends_on:\n");
                        for d in deps {
                            if *long {
                                t.push_str(&format!(
                                    "      {}:\n        condition: service_healthy\n",
                                    MEMBERS[*d]
                                ));
                            } else {
                                t.push_str(&format!("      - {}\n", MEMBERS[*d]));
                            }
                        }
                    }
                }
                ("compose.yaml", t.into_bytes())
            }
            Manifest::PackageJson => (
                "package.json",
                br#"{"name":"x","scripts":{"start":"node index.js"}}"#.to_vec(),
            ),
            Manifest::Requirements => ("requirements.txt", b"flask\n".to_vec()),
            Manifest::GoMod => ("go.mod", b"module x\n\ngo 1.22\n".to_vec()),
            Manifest::CargoToml => (
                "Cargo.toml",
                b"[package]\nname = \"x\"\nversion = \"0.1.0\"\n".to_vec(),
            ),
            Manifest::Nginx(t) => (
                "nginx.conf",
                format!(
                    "server {{ listen 80; location / {{ proxy_pass http://{}; }} }}\n",
                    FOLDER_NAMES[*t]
                )
                .into_bytes(),
            ),
            Manifest::Terraform => ("main.tf", b"variable \"x\" {}\n".to_vec()),
            Manifest::IndexHtml => ("index.html", b"<h1>x</h1>\n".to_vec()),
            Manifest::Garbage(bytes) => ("Dockerfile", bytes.clone()),
        };
        fs::write(dir.join(file), text).unwrap();
    }
}

fn check(t: &Topology) {
    // Names valid and unique.
    let mut seen = std::collections::BTreeSet::new();
    for s in &t.services {
        assert!(names::is_valid(&s.name), "invalid name {:?}", s.name);
        assert!(seen.insert(s.name.clone()), "duplicate name {:?}", s.name);
    }
    // Every deployable service exactly once, nothing else.
    let mut wave: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, w) in t.deployment_order.iter().enumerate() {
        assert!(!w.is_empty());
        for n in w {
            assert!(wave.insert(n.as_str(), i).is_none(), "{n} twice");
        }
    }
    let deployable: Vec<&str> = t
        .services
        .iter()
        .filter(|s| s.deployable)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(wave.len(), deployable.len());
    for d in &deployable {
        assert!(wave.contains_key(d), "{d} missing from the order");
    }
    // Hard edges between deployable units are respected, except inside a reported cycle.
    let has_cycle = t
        .diagnostics
        .iter()
        .any(|d| d.message.starts_with("dependency cycle"));
    let unit_of = |name: &str| -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        if let Some(s) = t
            .services
            .iter()
            .find(|s| s.name.to_ascii_lowercase() == lower)
        {
            return if s.deployable {
                Some(s.name.as_str())
            } else {
                s.stack.as_deref()
            };
        }
        t.services
            .iter()
            .find(|s| {
                s.members
                    .iter()
                    .any(|m| m.name.to_ascii_lowercase() == lower)
            })
            .map(|s| s.name.as_str())
    };
    for s in t.services.iter().filter(|s| s.deployable) {
        for d in s.dependencies.iter().filter(|d| d.kind == EdgeKind::Hard) {
            let Some(u) = unit_of(&d.name) else { continue };
            if u == s.name {
                continue;
            }
            let (Some(&wu), Some(&ws)) = (wave.get(u), wave.get(s.name.as_str())) else {
                continue;
            };
            if wu == ws && has_cycle {
                continue;
            }
            assert!(
                wu < ws,
                "{} (wave {ws}) depends on {} via {u} (wave {wu})",
                s.name,
                d.name
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_workspaces(spec in tree()) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &spec);
        let t = detect::detect(dir.path(), &DetectOptions::default()).unwrap();
        check(&t);
        serde_json::to_string(&t).unwrap();
    }

    #[test]
    fn sanitize_always_gives_valid_names(raw in ".{0,300}") {
        prop_assert!(names::is_valid(&names::sanitize(&raw)));
    }

    #[test]
    fn assigned_names_are_unique(pairs in prop::collection::vec(("[a-z .-]{0,5}", "[a-z .-]{0,3}"), 0..30)) {
        let names = names::assign(&pairs);
        let mut set = std::collections::BTreeSet::new();
        for n in &names {
            prop_assert!(names::is_valid(n));
            prop_assert!(set.insert(n.clone()), "duplicate {}", n);
        }
    }
}
