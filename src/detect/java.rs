//! Java (and Kotlin on the JVM): Maven `pom.xml`, Gradle `build.gradle(.kts)`; Spring Boot, Quarkus and
//! Micronaut; `server.port` and friends from `application.properties`/`application.yml` as runtime
//! config, their other settings as env evidence (in the environment-variable form the frameworks read,
//! `spring.datasource.url` → `SPRING_DATASOURCE_URL`); multi-module roots as aggregators.

mod image;
mod main_class;
mod spring;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::PortSource;
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// The Gradle plugins that make a module runnable: Spring Boot's, Quarkus', Micronaut's application.
static BOOT_PLUGIN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?:\bid\s*\(?\s*|apply\s+plugin\s*:\s*)['"](?:org\.springframework\.boot|io\.quarkus|io\.micronaut\.application)['"]"#).ok()
});
static GRADLE_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"rootProject\.name\s*=\s*['"]([^'"]+)['"]"#).ok());
static GRADLE_INCLUDE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*include\s*\(?\s*['\x22]").ok());

struct Build {
    tool: &'static str,
    artifact: Option<String>,
    version: Option<String>,
    final_name: Option<String>,
    aggregator: bool,
    /// Group and artifact ids / plugin ids mentioned.
    coords: String,
    application_plugin: bool,
    /// The build file's text (for a declared main class).
    text: String,
    /// Spring Boot's, Quarkus' or Micronaut's build plugin is applied (it packages a runnable
    /// application).
    boot_plugin: bool,
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

    // Application configuration: the listening port is explicit runtime config; the other
    // settings are env evidence in the form the frameworks read (`SPRING_DATASOURCE_URL`).
    let env: BTreeMap<String, String> = f.env_evidence.iter().cloned().collect();
    let config = spring::read(folder, &env, diags);
    for file in &config.files {
        f.indicator(file);
    }
    if let Some(p) = config.port {
        lang::add_port(&mut f, p, PortSource::RuntimeConfig);
    }
    for (k, v) in config.settings {
        if f.env_evidence.len() < spring::EVIDENCE_CAP {
            f.env_evidence.push((spring::env_form(&k), v));
        }
    }

    // Runnable evidence: the framework's build plugin, a declared main class, a `main` method.
    let declared = main_class::declared(&build.text);
    let plugin = build.boot_plugin;
    let main = if declared.is_none() && !plugin && !build.application_plugin {
        main_class::find(folder)
    } else {
        None
    };
    let runnable = plugin || declared.is_some() || build.application_plugin || main.is_some();
    if framework.is_some() && runnable {
        lang::add_port(&mut f, 8080, PortSource::FrameworkDefault);
    }
    let jar = || {
        build.final_name.clone().or_else(|| {
            let a = build.artifact.as_deref()?;
            Some(
                match build.version.as_deref().filter(|v| !v.contains("${")) {
                    Some(v) => format!("{a}-{v}"),
                    None => a.to_string(),
                },
            )
        })
    };
    f.start_command = match (build.tool, framework) {
        _ if !runnable => None,
        ("maven", Some("quarkus")) => Some("java -jar target/quarkus-app/quarkus-run.jar".into()),
        ("gradle", Some("quarkus")) => Some("java -jar build/quarkus-app/quarkus-run.jar".into()),
        ("maven", _) if plugin || declared.is_some() || main.is_none() => Some(format!(
            "java -jar target/{}.jar",
            jar().unwrap_or_else(|| folder.name())
        )),
        // Without the plugin declared, its `run` goal still starts a Spring Boot application with
        // its dependencies (the parent POM manages it).
        ("maven", Some("spring-boot")) => Some(format!(
            "{} spring-boot:run",
            if folder.has("mvnw") { "./mvnw" } else { "mvn" }
        )),
        ("maven", _) => main
            .as_ref()
            .map(|m| format!("java -cp target/classes {m}")),
        (_, Some("spring-boot")) => Some(format!("{} bootRun", gradle_cmd(folder))),
        (_, Some(_)) => Some(format!("{} run", gradle_cmd(folder))),
        _ if build.application_plugin => Some(format!("{} run", gradle_cmd(folder))),
        _ if declared.is_some() => {
            Some("java -jar $(ls build/libs/*.jar | grep -v plain | head -n1)".into())
        }
        _ => main
            .as_ref()
            .map(|m| format!("java -cp build/classes/java/main:build/classes/kotlin/main {m}")),
    };
    let boot_app = runnable && framework == Some("spring-boot");
    f.images = match build.tool {
        "maven" => image::maven(&build.text, build.artifact.as_deref(), boot_app),
        _ => image::gradle(
            &build.text,
            &build.artifact.clone().unwrap_or_else(|| folder.name()),
            boot_app,
        ),
    };
    if f.start_command.is_none() {
        // A module without a main class is a library of the others.
        f.helper_only = true;
        f.ports.clear();
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
    let boot_plugin = elems.iter().any(|e| {
        e.path
            .starts_with("project/build/plugins/plugin/artifactId")
            && [
                "spring-boot-maven-plugin",
                "quarkus-maven-plugin",
                "micronaut-maven-plugin",
            ]
            .contains(&e.text.as_str())
    });
    Some(Build {
        tool: "maven",
        artifact: get("project/artifactId"),
        version: get("project/version").or_else(|| get("project/parent/version")),
        final_name: get("project/build/finalName"),
        aggregator: modules && get("project/packaging").as_deref() == Some("pom"),
        coords,
        application_plugin: false,
        text,
        boot_plugin,
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
    let boot_plugin = BOOT_PLUGIN.as_ref().is_some_and(|re| re.is_match(&text));
    Some(Build {
        tool: "gradle",
        artifact,
        version: None,
        final_name: None,
        aggregator: includes && !has_src,
        coords: text.clone(),
        application_plugin,
        text,
        boot_plugin,
    })
}

#[cfg(test)]
mod tests;
