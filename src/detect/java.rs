//! Java (and Kotlin on the JVM): Maven `pom.xml`, Gradle `build.gradle(.kts)`; Spring Boot, Quarkus and
//! Micronaut; `server.port` and friends from `application.properties`/`application.yml` as runtime
//! config, their other settings as env evidence (in the environment-variable form the frameworks read,
//! `spring.datasource.url` → `SPRING_DATASOURCE_URL`); multi-module roots as aggregators.

use std::sync::LazyLock;

use regex::Regex;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::{self, PortSource};
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

const CONFIG_DIR: &str = "src/main/resources";
const PORT_KEYS: &[&str] = &["server.port", "quarkus.http.port", "micronaut.server.port"];
/// At most this many configuration settings become env evidence.
const EVIDENCE_CAP: usize = 200;

static PLACEHOLDER_DEFAULT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\$\{[^:}]+:(\d{1,5})\}$").ok());
static GRADLE_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"rootProject\.name\s*=\s*['"]([^'"]+)['"]"#).ok());
static GRADLE_INCLUDE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*include\s*\(?\s*['\x22]").ok());

#[derive(Default)]
struct Build {
    tool: &'static str,
    artifact: Option<String>,
    version: Option<String>,
    final_name: Option<String>,
    aggregator: bool,
    /// Group and artifact ids / plugin ids mentioned.
    coords: String,
    application_plugin: bool,
}

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let build = if folder.has("pom.xml") {
        maven(folder, diags)?
    } else if let Some(file) = ["build.gradle.kts", "build.gradle"]
        .into_iter()
        .find(|f| folder.has(f))
    {
        gradle(folder, file, diags)?
    } else {
        return None;
    };

    let mut f = lang::new_finding(
        folder,
        ServiceType::Java,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    for ind in ["pom.xml", "build.gradle.kts", "build.gradle"] {
        if folder.has(ind) {
            f.indicator(ind);
            break;
        }
    }
    f.tech("java");
    if folder.has("build.gradle.kts") || build.coords.contains("kotlin") {
        f.tech("kotlin");
    }
    let c = &build.coords;
    let framework = if c.contains("org.springframework.boot") {
        Some("spring-boot")
    } else if c.contains("io.quarkus") {
        Some("quarkus")
    } else if c.contains("io.micronaut") {
        Some("micronaut")
    } else {
        None
    };
    if let Some(fw) = framework {
        f.tech(fw);
        f.rank = Rank::Framework;
    }
    f.tech(build.tool);
    if c.contains("spring-boot-starter-actuator") {
        f.health_path = Some("/actuator/health".into());
    } else if c.contains("smallrye-health") {
        f.health_path = Some("/q/health".into());
    }

    if build.aggregator {
        f.aggregator = true;
        lang::finish(&mut f, framework.is_some());
        return Some(f);
    }

    // Application configuration.
    for name in [
        "application.properties",
        "application.yml",
        "application.yaml",
    ] {
        let inner = format!("{CONFIG_DIR}/{name}");
        let Some(text) = folder.read_opt(&inner) else {
            continue;
        };
        let settings = if name.ends_with(".properties") {
            properties(&text)
        } else {
            match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text) {
                Ok(v) => {
                    let mut out = Vec::new();
                    flatten_yaml("", &v, &mut out);
                    out
                }
                Err(e) => {
                    diags.push(lang::diag(
                        folder,
                        &inner,
                        format!("{name}: invalid YAML: {e}"),
                    ));
                    continue;
                }
            }
        };
        f.indicator(&inner);
        for (k, v) in settings {
            if PORT_KEYS.contains(&k.as_str())
                && let Some(p) = config_port(&v)
            {
                lang::add_port(&mut f, p, PortSource::RuntimeConfig);
            }
            if f.env_evidence.len() < EVIDENCE_CAP {
                f.env_evidence.push((env_form(&k), v));
            }
        }
    }
    if framework.is_some() {
        lang::add_port(&mut f, 8080, PortSource::FrameworkDefault);
    }

    f.start_command = match (build.tool, framework) {
        ("maven", Some("quarkus")) => Some("java -jar target/quarkus-app/quarkus-run.jar".into()),
        ("gradle", Some("quarkus")) => Some("java -jar build/quarkus-app/quarkus-run.jar".into()),
        ("maven", _) => {
            let jar = build.final_name.clone().or_else(|| {
                let a = build.artifact.as_deref()?;
                Some(
                    match build.version.as_deref().filter(|v| !v.contains("${")) {
                        Some(v) => format!("{a}-{v}"),
                        None => a.to_string(),
                    },
                )
            });
            Some(format!(
                "java -jar target/{}.jar",
                jar.unwrap_or_else(|| folder.name())
            ))
        }
        (_, Some("spring-boot")) => Some(format!("{} bootRun", gradle_cmd(folder))),
        (_, Some(_)) => Some(format!("{} run", gradle_cmd(folder))),
        _ if build.application_plugin => Some(format!("{} run", gradle_cmd(folder))),
        _ => None,
    };
    if f.start_command.is_none() {
        f.helper_only = true;
    }
    lang::finish(&mut f, framework.is_some());
    Some(f)
}

fn gradle_cmd(folder: &Folder) -> &'static str {
    if folder.has("gradlew") {
        "./gradlew"
    } else {
        "gradle"
    }
}

fn maven(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Build> {
    let text = lang::read_or_diag(folder, "pom.xml", diags)?;
    let elems = match lang::xml_elements(&text) {
        Ok(e) => e,
        Err(msg) => {
            diags.push(lang::diag(
                folder,
                "pom.xml",
                format!("pom.xml: invalid XML: {msg}"),
            ));
            return None;
        }
    };
    if !elems.iter().any(|e| e.path == "project") {
        diags.push(lang::diag(
            folder,
            "pom.xml",
            "pom.xml: the root element is not <project>".to_string(),
        ));
        return None;
    }
    let get = |p: &str| {
        elems
            .iter()
            .find(|e| e.path == p)
            .map(|e| e.text.clone())
            .filter(|t| !t.is_empty())
    };
    let mut coords = String::new();
    for e in &elems {
        if e.path.ends_with("/groupId") || e.path.ends_with("/artifactId") {
            coords.push_str(&e.text);
            coords.push('\n');
        }
    }
    let modules = elems.iter().any(|e| e.path == "project/modules/module");
    Some(Build {
        tool: "maven",
        artifact: get("project/artifactId"),
        version: get("project/version").or_else(|| get("project/parent/version")),
        final_name: get("project/build/finalName"),
        aggregator: modules && get("project/packaging").as_deref() == Some("pom"),
        coords,
        application_plugin: false,
    })
}

fn gradle(folder: &Folder, file: &str, diags: &mut Vec<Diagnostic>) -> Option<Build> {
    let text = lang::read_or_diag(folder, file, diags)?;
    let settings = ["settings.gradle.kts", "settings.gradle"]
        .iter()
        .find_map(|s| folder.read_opt(s))
        .unwrap_or_default();
    let artifact = GRADLE_NAME
        .as_ref()
        .and_then(|re| re.captures(&settings))
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string());
    let includes = GRADLE_INCLUDE
        .as_ref()
        .is_some_and(|re| re.is_match(&settings));
    let has_src = folder.has_dir("src");
    let application_plugin = text.contains("application")
        && (text.contains("mainClass")
            || text.contains("id 'application'")
            || text.contains("id(\"application\")")
            || text.contains("`application`"));
    Some(Build {
        tool: "gradle",
        artifact,
        version: None,
        final_name: None,
        aggregator: includes && !has_src,
        coords: text,
        application_plugin,
    })
}

/// `key=value` / `key: value` lines of a `.properties` file.
fn properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let i = l.find(['=', ':'])?;
            let k = l[..i].trim();
            (!k.is_empty()).then(|| (k.to_string(), l[i + 1..].trim().to_string()))
        })
        .collect()
}

fn flatten_yaml(prefix: &str, v: &serde_yaml_ng::Value, out: &mut Vec<(String, String)>) {
    use serde_yaml_ng::Value as Y;
    if out.len() >= EVIDENCE_CAP {
        return;
    }
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Y::Mapping(m) => {
            for (k, v) in m {
                let k = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => continue,
                };
                flatten_yaml(&key(&k), v, out);
            }
        }
        Y::String(s) if !prefix.is_empty() => out.push((prefix.to_string(), s.clone())),
        Y::Number(n) if !prefix.is_empty() => out.push((prefix.to_string(), n.to_string())),
        Y::Bool(b) if !prefix.is_empty() => out.push((prefix.to_string(), b.to_string())),
        _ => {}
    }
}

/// `8081`, or the default of a placeholder `${PORT:8081}`.
fn config_port(v: &str) -> Option<u16> {
    ports::parse_port(v).or_else(|| {
        PLACEHOLDER_DEFAULT
            .as_ref()?
            .captures(v.trim())?
            .get(1)
            .and_then(|m| ports::parse_port(m.as_str()))
    })
}

/// Relaxed-binding environment form: `spring.datasource.url` → `SPRING_DATASOURCE_URL`.
fn env_form(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '-')
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::{fixture, port, run, temp};
    use super::*;

    fn one(files: &[(&str, &str)]) -> (Option<Finding>, Vec<Diagnostic>) {
        let (_d, f) = temp(files);
        run(analyze, &f)
    }

    const POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.3.0</version>
  </parent>
  <artifactId>svc</artifactId>
  <version>1.2.0</version>
</project>
"#;

    #[test]
    fn spring_maven_fixture() {
        let (f, d) = run(analyze, &fixture("java/spring-maven"));
        let f = f.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.technologies, vec!["java", "spring-boot", "maven"]);
        assert_eq!(f.rank, Rank::Framework);
        assert_eq!(
            f.start_command.as_deref(),
            Some("java -jar target/inventory-0.0.1-SNAPSHOT.jar")
        );
        assert_eq!(port(&f), Some(8082));
        assert_eq!(f.health_path.as_deref(), Some("/actuator/health"));
        assert!(f.env_evidence.contains(&(
            "SPRING_DATASOURCE_URL".to_string(),
            "jdbc:postgresql://db:5432/inventory".to_string()
        )));
        assert!((f.confidence - 0.9).abs() < 1e-9);
    }

    #[test]
    fn gradle_fixture() {
        let (f, d) = run(analyze, &fixture("java/gradle"));
        let f = f.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            f.technologies,
            vec!["java", "kotlin", "spring-boot", "gradle"]
        );
        assert_eq!(f.start_command.as_deref(), Some("./gradlew bootRun"));
        assert_eq!(port(&f), Some(9000));
        assert!(
            f.env_evidence
                .iter()
                .any(|(k, v)| k == "APP_PAYMENTS_BASEURL" && v == "http://payments:8080")
        );
    }

    #[test]
    fn port_precedence_and_default() {
        let (f, _) = one(&[("pom.xml", POM)]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(8080));
        assert_eq!(
            f.start_command.as_deref(),
            Some("java -jar target/svc-1.2.0.jar")
        );
        assert!((f.confidence - 0.85).abs() < 1e-9);
        let (f, _) = one(&[
            ("pom.xml", POM),
            (
                "src/main/resources/application.properties",
                "server.port=${PORT:8181}\n",
            ),
        ]);
        assert_eq!(port(&f.unwrap()), Some(8181));
    }

    #[test]
    fn quarkus_and_multi_module() {
        let pom = "<project><artifactId>q</artifactId><dependencies><dependency><groupId>io.quarkus</groupId><artifactId>quarkus-rest</artifactId></dependency></dependencies></project>";
        let (f, _) = one(&[("pom.xml", pom)]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["java", "quarkus", "maven"]);
        assert_eq!(
            f.start_command.as_deref(),
            Some("java -jar target/quarkus-app/quarkus-run.jar")
        );
        let pom = "<project><artifactId>root</artifactId><packaging>pom</packaging><modules><module>api</module></modules></project>";
        let (f, _) = one(&[("pom.xml", pom)]);
        assert!(f.unwrap().aggregator);
    }

    #[test]
    fn micronaut_gradle_application() {
        let g = "plugins {\n id(\"io.micronaut.application\") version \"4.4.0\"\n}\nmicronaut { runtime(\"netty\") }\n";
        let (f, _) = one(&[
            ("build.gradle.kts", g),
            (
                "src/main/resources/application.yml",
                "micronaut:\n  server:\n    port: 8099\n",
            ),
        ]);
        let f = f.unwrap();
        assert_eq!(
            f.technologies,
            vec!["java", "kotlin", "micronaut", "gradle"]
        );
        assert_eq!(f.start_command.as_deref(), Some("gradle run"));
        assert_eq!(port(&f), Some(8099));
    }

    #[test]
    fn plain_gradle_library_is_a_helper() {
        let (f, _) = one(&[("build.gradle", "plugins { id 'java-library' }\n")]);
        let f = f.unwrap();
        assert!(f.helper_only);
        assert_eq!(f.technologies, vec!["java", "gradle"]);
        assert!(f.ports.is_empty());
    }

    #[test]
    fn malformed_pom_is_a_diagnostic() {
        let (f, d) = one(&[(
            "pom.xml",
            "<project>\n  <artifactId>x</groupId>\n</project>\n",
        )]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/pom.xml");
        assert!(
            d[0].message
                .starts_with("pom.xml: invalid XML: mismatched tag at line 2"),
            "{}",
            d[0].message
        );
        let (f, d) = one(&[
            ("pom.xml", POM),
            ("src/main/resources/application.yml", "server:\n  port: [\n"),
        ]);
        assert!(f.is_some());
        assert!(
            d[0].message.starts_with("application.yml: invalid YAML"),
            "{}",
            d[0].message
        );
    }
}
