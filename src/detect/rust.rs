//! Rust: `Cargo.toml` with a binary target (`src/main.rs`, `[[bin]]`, `src/bin/*.rs`); web frameworks
//! from dependencies; port literals in the binary's source and `Rocket.toml`; Cargo workspace roots
//! that only aggregate members.

use std::sync::LazyLock;

use regex::Regex;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::{self, PortSource};
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// Crate → framework, strongest first. `hyper` counts only when nothing above it is present.
const FRAMEWORKS: &[(&str, &str)] = &[
    ("axum", "axum"),
    ("actix-web", "actix"),
    ("rocket", "rocket"),
    ("warp", "warp"),
    ("poem", "poem"),
    ("tide", "tide"),
    ("salvo", "salvo"),
    ("tonic", "tonic"),
    ("hyper", "hyper"),
];

/// `SocketAddr::from(([0, 0, 0, 0], 3000))`, `SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 3000)`.
static ADDR_TUPLE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\(\s*\[\s*\d+\s*,\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\]\s*,\s*(\d{2,5})\s*\)",
        r"Ipv[46]Addr::\w+\s*,\s*(\d{2,5})\s*\)",
        r"\(\s*[\x22']\S+[\x22']\s*,\s*(\d{2,5})\s*\)",
    ]
    .iter()
    .filter_map(|r| Regex::new(r).ok())
    .collect()
});

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    if !folder.has("Cargo.toml") {
        return None;
    }
    let text = lang::read_or_diag(folder, "Cargo.toml", diags)?;
    let manifest = lang::parse_toml(folder, "Cargo.toml", &text, diags)?;

    let package = manifest.get("package").and_then(toml::Value::as_table);
    let workspace_members = manifest
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(toml::Value::as_array)
        .is_some_and(|m| !m.is_empty());

    let mut f = lang::new_finding(
        folder,
        ServiceType::Rust,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    f.indicator("Cargo.toml");
    f.tech("rust");

    // Binary targets: explicit `[[bin]]`, then `src/main.rs`, then `src/bin/*.rs`.
    let pkg_name = package
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str)
        .map(str::to_string);
    let mut bins: Vec<(String, String)> = Vec::new(); // (name, source path)
    if let Some(arr) = manifest.get("bin").and_then(toml::Value::as_array) {
        for b in arr {
            let Some(name) = b
                .get("name")
                .and_then(toml::Value::as_str)
                .or(pkg_name.as_deref())
            else {
                continue;
            };
            let path = b.get("path").and_then(toml::Value::as_str);
            let path = path.map_or_else(
                || {
                    if folder.read_opt(&format!("src/bin/{name}.rs")).is_some() {
                        format!("src/bin/{name}.rs")
                    } else {
                        "src/main.rs".to_string()
                    }
                },
                str::to_string,
            );
            bins.push((name.to_string(), path));
        }
    }
    if package.is_some()
        && let Some(name) = &pkg_name
        && folder.read_opt("src/main.rs").is_some()
        && !bins.iter().any(|(_, p)| p == "src/main.rs")
    {
        bins.push((name.clone(), "src/main.rs".to_string()));
    }
    let default_run = package
        .and_then(|p| p.get("default-run"))
        .and_then(toml::Value::as_str);
    if package.is_some() && (bins.is_empty() || default_run.is_some()) {
        let (files, _) = lang::list_dir(folder, "src/bin");
        for file in files.iter().filter(|f| f.ends_with(".rs")) {
            let name = file.trim_end_matches(".rs");
            if !bins.iter().any(|(n, _)| n == name) {
                bins.push((name.to_string(), format!("src/bin/{file}")));
            }
        }
    }
    // `default-run` names the binary `cargo run` starts.
    if let Some(d) = default_run
        && let Some(i) = bins.iter().position(|(n, _)| n == d)
    {
        let b = bins.remove(i);
        bins.insert(0, b);
    }

    // Frameworks from dependencies.
    let deps: Vec<&str> = manifest
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|t| t.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut frameworks: Vec<&str> = Vec::new();
    for (dep, name) in FRAMEWORKS {
        if deps.contains(dep) && (*name != "hyper" || frameworks.is_empty()) {
            frameworks.push(name);
        }
    }
    for fw in &frameworks {
        f.tech(fw);
    }
    let framework = !frameworks.is_empty();
    if framework {
        f.rank = Rank::Framework;
    }

    let networked = deps.iter().any(|d| NET_DEPS.contains(d));
    let tool = !framework
        && !networked
        && folder.rel != "."
        // A library's companion binary (`src/lib.rs` beside `src/main.rs`) or a command-line tool.
        && (folder.read_opt("src/lib.rs").is_some() || deps.contains(&"clap"));
    if !framework
        && !bins.is_empty()
        && (tool || helper_binary(folder, pkg_name.as_deref(), &manifest))
    {
        // A workspace's tooling (xtask, fuzz targets, benchmarks, code generators): not a service.
        f.helper_only = true;
        lang::finish(&mut f, framework);
        return Some(f);
    }
    if let Some((name, _)) = bins.first() {
        f.start_command = Some(format!("./{name}"));
        // The binaries, then the modules that usually hold a server's default address.
        let src_files = if framework {
            lang::list_dir(folder, "src").0
        } else {
            Vec::new()
        };
        let config = CONFIG_MODULES
            .iter()
            .filter(|m| {
                src_files
                    .iter()
                    .any(|f| Some(f.as_str()) == m.strip_prefix("src/"))
            })
            .map(|m| m.to_string());
        let sources: Vec<String> = bins
            .iter()
            .take(8)
            .map(|(_, src)| src.clone())
            .chain(config.filter(|_| framework))
            .collect();
        for src in &sources {
            if let Some(text) = lang::scan_entry(folder, src, &mut f) {
                scan_addr_tuples(&text, &mut f);
            }
        }
        if frameworks.contains(&"rocket") {
            if let Some(rt) = folder.read_opt("Rocket.toml")
                && let Some(p) = rocket_port(&rt)
            {
                f.indicator("Rocket.toml");
                lang::add_port(&mut f, p, PortSource::RuntimeConfig);
            }
            lang::add_port(&mut f, 8000, PortSource::FrameworkDefault);
            // Rocket binds 127.0.0.1 unless told otherwise.
            f.env.insert("ROCKET_ADDRESS".into(), "0.0.0.0".into());
        } else {
            lang::add_port(&mut f, 8080, PortSource::FrameworkDefault);
        }
    } else if workspace_members {
        f.aggregator = true;
    } else {
        // A library crate is not a service; it only tells a stronger finding that this is Rust.
        f.helper_only = true;
    }

    lang::finish(&mut f, framework);
    Some(f)
}

/// Dependencies of a program that serves or runs long: async runtimes, servers, brokers, databases.
const NET_DEPS: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "actix-rt",
    "actix-web",
    "axum",
    "warp",
    "rocket",
    "poem",
    "tide",
    "salvo",
    "tonic",
    "hyper",
    "tiny_http",
    "rouille",
    "iron",
    "gotham",
    "lapin",
    "rdkafka",
    "async-nats",
    "nats",
    "redis",
    "sqlx",
    "diesel",
    "postgres",
    "mongodb",
    "tokio-postgres",
    "rumqttc",
    "zmq",
    "mio",
];

/// Modules of a server crate that usually hold its default listening address.
const CONFIG_MODULES: &[&str] = &[
    "src/config.rs",
    "src/option.rs",
    "src/options.rs",
    "src/settings.rs",
    "src/cli.rs",
    "src/args.rs",
];

/// Folder and crate names of a workspace's tooling.
const TOOLING: &[&str] = &[
    "xtask",
    "fuzz",
    "bench",
    "benches",
    "benchmarks",
    "tools",
    "tool",
    "scripts",
    "codegen",
    "examples",
    "devtools",
    "dev-tools",
    "build-tools",
    "test-utils",
    "testing",
];

/// Whether a binary crate below the workspace root is tooling: `xtask`, a `cargo fuzz` crate, a
/// benchmark or code generator (by crate or folder name), anything under `tools/`, `examples/`, ...
fn helper_binary(folder: &Folder, name: Option<&str>, manifest: &toml::Table) -> bool {
    if folder.rel == "." {
        return false;
    }
    let fuzz = manifest
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("cargo-fuzz"))
        .is_some();
    let tool_name = |w: &str| {
        let w = w.to_ascii_lowercase();
        ["fuzz", "benches", "benchmarks", "codegen"].contains(&w.as_str())
            || w.starts_with("xtask")
            || w.ends_with("-xtask")
            || w.ends_with("-bench")
            || w.ends_with("-benches")
            || w.ends_with("-codegen")
            || w.ends_with("-fuzz")
    };
    let tool_dir = |w: &str| TOOLING.contains(&w.to_ascii_lowercase().as_str()) || tool_name(w);
    fuzz || name.is_some_and(tool_name) || folder.rel.split('/').any(tool_dir)
}

fn scan_addr_tuples(text: &str, f: &mut Finding) {
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for re in ADDR_TUPLE.iter() {
            for c in re.captures_iter(line) {
                if let Some(p) = c.get(1).and_then(|m| ports::parse_port(m.as_str())) {
                    lang::add_port(f, p, PortSource::CodeLiteral);
                }
            }
        }
    }
}

/// `port` of `[default]` or `[release]` in `Rocket.toml`.
fn rocket_port(text: &str) -> Option<u16> {
    let t: toml::Table = toml::from_str(text).ok()?;
    ["release", "default", "global"].iter().find_map(|p| {
        t.get(*p)
            .and_then(|s| s.get("port"))
            .and_then(toml::Value::as_integer)
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| *n > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::{fixture, port, run, temp};
    use super::*;

    fn one(files: &[(&str, &str)]) -> (Option<Finding>, Vec<Diagnostic>) {
        let (_d, f) = temp(files);
        run(analyze, &f)
    }

    #[test]
    fn framework_fixtures() {
        for (case, techs, start, p) in [
            ("rust/axum", vec!["rust", "axum"], "./gateway", 3000),
            ("rust/actix", vec!["rust", "actix"], "./ledger", 7000),
            ("rust/rocket", vec!["rust", "rocket"], "./quotes", 8001),
            ("rust/warp", vec!["rust", "warp"], "./echo-server", 3030),
        ] {
            let (f, d) = run(analyze, &fixture(case));
            let f = f.unwrap();
            assert!(d.is_empty(), "{case}: {d:?}");
            assert_eq!(f.technologies, techs, "{case}");
            assert_eq!(f.start_command.as_deref(), Some(start), "{case}");
            assert_eq!(port(&f), Some(p), "{case}");
            assert_eq!(f.rank, Rank::Framework, "{case}");
            assert!((f.confidence - 0.9).abs() < 1e-9, "{case}");
        }
    }

    #[test]
    fn every_framework_crate() {
        for (dep, tech) in [
            ("axum", "axum"),
            ("actix-web", "actix"),
            ("rocket", "rocket"),
            ("warp", "warp"),
            ("poem", "poem"),
            ("tide", "tide"),
            ("hyper", "hyper"),
        ] {
            let mut cargo = format!(
                "[package]\nname = \"s\"\nversion = \"0.1.0\"\n[dependencies]\n{dep} = \"1\"\n"
            );
            // hyper comes along with most frameworks and does not count then.
            if dep != "hyper" {
                cargo.push_str("hyper = \"1\"\n");
            }
            let (f, _) = one(&[("Cargo.toml", &cargo), ("src/main.rs", "fn main() {}\n")]);
            let f = f.unwrap();
            assert_eq!(f.technologies, vec!["rust", tech], "{dep}");
        }
    }

    #[test]
    fn axum_fixture_evidence() {
        let (f, _) = run(analyze, &fixture("rust/axum"));
        let f = f.unwrap();
        assert_eq!(f.health_path.as_deref(), Some("/health"));
        assert_eq!(f.code_hosts, vec!["orders"]);
    }

    #[test]
    fn actix_route_attribute_names_the_health_path() {
        let (f, _) = run(analyze, &fixture("rust/actix"));
        assert_eq!(f.unwrap().health_path.as_deref(), Some("/healthz"));
    }

    #[test]
    fn rocket_sets_its_bind_address() {
        let (f, _) = run(analyze, &fixture("rust/rocket"));
        let f = f.unwrap();
        assert_eq!(
            f.env.get("ROCKET_ADDRESS").map(String::as_str),
            Some("0.0.0.0")
        );
    }

    #[test]
    fn workspace_fixture_is_an_aggregator() {
        let (f, d) = run(analyze, &fixture("rust/workspace"));
        let f = f.unwrap();
        assert!(d.is_empty());
        assert!(f.aggregator);
        assert!(f.start_command.is_none());
    }

    #[test]
    fn library_and_bins() {
        let (f, _) = one(&[
            (
                "Cargo.toml",
                "[package]\nname = \"util\"\nversion = \"0.1.0\"\n",
            ),
            ("src/lib.rs", "pub fn x() {}\n"),
        ]);
        let f = f.unwrap();
        assert!(f.helper_only);
        assert!(f.ports.is_empty());
        let (f, _) = one(&[
            (
                "Cargo.toml",
                "[package]\nname = \"tools\"\nversion = \"0.1.0\"\n",
            ),
            (
                "src/bin/worker.rs",
                "fn main() { let a = \"0.0.0.0:9100\"; }\n",
            ),
        ]);
        let f = f.unwrap();
        assert_eq!(f.start_command.as_deref(), Some("./worker"));
        assert_eq!(port(&f), Some(9100));
        assert_eq!(f.rank, Rank::Language);
        let (f, _) = one(&[
            (
                "Cargo.toml",
                "[package]\nname = \"p\"\nversion = \"0.1.0\"\n[[bin]]\nname = \"srv\"\npath = \"src/srv.rs\"\n",
            ),
            ("src/srv.rs", "fn main() {}\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(f.start_command.as_deref(), Some("./srv"));
        assert_eq!(port(&f), Some(8080));
        assert!((f.confidence - 0.8).abs() < 1e-9);
    }

    #[test]
    fn port_precedence_config_then_code_then_default() {
        let cargo =
            "[package]\nname = \"r\"\nversion = \"0.1.0\"\n[dependencies]\nrocket = \"0.5\"\n";
        let main = "fn main() { let a = (\"0.0.0.0\", 9000); }\n";
        let (f, _) = one(&[
            ("Cargo.toml", cargo),
            ("src/main.rs", main),
            ("Rocket.toml", "[default]\nport = 8500\n"),
        ]);
        assert_eq!(port(&f.unwrap()), Some(8500));
        let (f, _) = one(&[("Cargo.toml", cargo), ("src/main.rs", main)]);
        assert_eq!(port(&f.unwrap()), Some(9000));
        let (f, _) = one(&[("Cargo.toml", cargo), ("src/main.rs", "fn main() {}")]);
        assert_eq!(port(&f.unwrap()), Some(8000));
    }

    #[test]
    fn workspace_tooling_binaries_are_not_services() {
        let cargo = "[package]\nname = \"xtask\"\nversion = \"0.1.0\"\n";
        let (dir, _) = temp(&[("Cargo.toml", cargo), ("src/main.rs", "fn main() {}\n")]);
        let nested = super::super::lang::testutil::folder_of(dir.path(), "xtask");
        assert!(run(analyze, &nested).0.unwrap().helper_only);
        let fuzz = "[package]\nname = \"p-fuzz\"\nversion = \"0.0.0\"\n[package.metadata]\ncargo-fuzz = true\n[[bin]]\nname = \"t1\"\npath = \"fuzz_targets/t1.rs\"\n";
        let (dir, _) = temp(&[
            ("Cargo.toml", fuzz),
            ("fuzz_targets/t1.rs", "fn main() {}\n"),
        ]);
        let nested = super::super::lang::testutil::folder_of(dir.path(), "fuzz");
        assert!(run(analyze, &nested).0.unwrap().helper_only);
        let generator = "[package]\nname = \"gen\"\nversion = \"0.1.0\"\n";
        let (dir, _) = temp(&[("Cargo.toml", generator), ("src/main.rs", "fn main() {}\n")]);
        let tools = super::super::lang::testutil::folder_of(dir.path(), "tools/gen");
        assert!(run(analyze, &tools).0.unwrap().helper_only);
        // A server in the workspace is a service; a root crate named like tooling is too.
        let api =
            "[package]\nname = \"api\"\nversion = \"0.1.0\"\n[dependencies]\naxum = \"0.7\"\n";
        let (dir, _) = temp(&[("Cargo.toml", api), ("src/main.rs", "fn main() {}\n")]);
        let svc = super::super::lang::testutil::folder_of(dir.path(), "crates/api");
        assert!(!run(analyze, &svc).0.unwrap().helper_only);
        let (dir, _) = temp(&[("Cargo.toml", cargo), ("src/main.rs", "fn main() {}\n")]);
        let root = super::super::lang::testutil::folder_of(dir.path(), ".");
        assert!(!run(analyze, &root).0.unwrap().helper_only);
        // A library's companion binary and a command-line tool, without a runtime, are tooling.
        let cli =
            "[package]\nname = \"parser\"\nversion = \"0.1.0\"\n[dependencies]\nnom = \"7\"\n";
        let (dir, _) = temp(&[
            ("Cargo.toml", cli),
            ("src/lib.rs", "pub fn p() {}\n"),
            ("src/main.rs", "fn main() {}\n"),
        ]);
        let nested = super::super::lang::testutil::folder_of(dir.path(), "crates/parser");
        assert!(run(analyze, &nested).0.unwrap().helper_only);
        let clap =
            "[package]\nname = \"admin\"\nversion = \"0.1.0\"\n[dependencies]\nclap = \"4\"\n";
        let (dir, _) = temp(&[("Cargo.toml", clap), ("src/main.rs", "fn main() {}\n")]);
        let nested = super::super::lang::testutil::folder_of(dir.path(), "crates/admin");
        assert!(run(analyze, &nested).0.unwrap().helper_only);
        let worker = "[package]\nname = \"worker\"\nversion = \"0.1.0\"\n[dependencies]\nclap = \"4\"\ntokio = \"1\"\n";
        let (dir, _) = temp(&[
            ("Cargo.toml", worker),
            ("src/lib.rs", "pub fn run() {}\n"),
            ("src/main.rs", "fn main() {}\n"),
        ]);
        let nested = super::super::lang::testutil::folder_of(dir.path(), "crates/worker");
        assert!(!run(analyze, &nested).0.unwrap().helper_only);
        // A server's default address in its options module.
        let srv = "[package]\nname = \"search\"\nversion = \"0.1.0\"\n[dependencies]\nactix-web = \"4\"\n";
        let (_d, f) = temp(&[
            ("Cargo.toml", srv),
            ("src/main.rs", "fn main() {}\n"),
            (
                "src/option.rs",
                "const DEFAULT_HTTP_ADDR: &str = \"localhost:7700\";\n",
            ),
        ]);
        assert_eq!(port(&run(analyze, &f).0.unwrap()), Some(7700));
        // `default-run` picks the binary.
        let multi = "[package]\nname = \"m\"\nversion = \"0.1.0\"\ndefault-run = \"bin1\"\n";
        let (_d, f) = temp(&[
            ("Cargo.toml", multi),
            ("src/main.rs", "fn main() {}\n"),
            ("src/bin/bin1.rs", "fn main() {}\n"),
        ]);
        assert_eq!(
            run(analyze, &f).0.unwrap().start_command.as_deref(),
            Some("./bin1")
        );
    }

    #[test]
    fn malformed_cargo_toml_is_a_diagnostic() {
        let (f, d) = one(&[("Cargo.toml", "[package]\nname = \"x\"\n[dependencies\n")]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/Cargo.toml");
        assert!(
            d[0].message
                .starts_with("Cargo.toml: invalid TOML at line 3"),
            "{}",
            d[0].message
        );
    }
}
