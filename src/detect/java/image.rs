//! The container images a JVM build produces: Jib (`<to><image>`, `jib { to { image = ... } }`),
//! Spring Boot's `build-image` (`<image><name>`, `bootBuildImage { imageName = ... }`), Spotify's
//! dockerfile plugin (`<repository>`), fabric8's docker plugin (`<images><image><name>`) and a
//! `docker build -t NAME` run by the exec plugin. A runnable Spring Boot or Jib module builds one
//! under its artifact id when nothing names it (the plugins' default). `${project.artifactId}` and the
//! POM's own `<properties>` are resolved; a name whose last segment stays unresolved is left out.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::super::lang;

/// At most this many image names are kept per build file.
const CAP: usize = 8;

static GRADLE_JIB: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?s)(?:\bto\s*\{[^}]*?\bimage\s*(?:=|\.set\()\s*|jib\.to\.image\s*=\s*)['"]([^'"]+)['"]"#).ok()
});
static GRADLE_BOOT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"\bimageName\s*(?:=|\.set\()\s*['"]([^'"]+)['"]"#).ok());

/// Images a `pom.xml` builds. `artifact` is the module's artifact id; `runnable_boot` says the
/// module is a runnable Spring Boot application (its `spring-boot:build-image` goal names the image
/// after the artifact).
pub fn maven(text: &str, artifact: Option<&str>, runnable_boot: bool) -> Vec<String> {
    let Ok(elems) = lang::xml_elements(text) else {
        return Vec::new();
    };
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    for e in &elems {
        if let Some(name) = e.path.strip_prefix("project/properties/")
            && !name.contains('/')
        {
            props.insert(name.to_string(), e.text.clone());
        }
    }
    if let Some(a) = artifact {
        for k in ["project.artifactId", "artifactId", "project.name"] {
            props.insert(k.to_string(), a.to_string());
        }
    }
    let mut raw: Vec<String> = Vec::new();
    let mut after_tag = false;
    let mut jib = false;
    for e in &elems {
        let p = e.path.as_str();
        if p.ends_with("plugin/artifactId") && e.text.contains("jib-maven-plugin") {
            jib = true;
        }
        if p.ends_with("configuration/to/image")
            || p.ends_with("configuration/image/name")
            || p.ends_with("configuration/images/image/name")
            || (p.ends_with("configuration/repository") && !e.text.contains("://"))
        {
            raw.push(e.text.clone());
        }
        if p.ends_with("arguments/argument") {
            if after_tag {
                raw.push(e.text.clone());
            }
            after_tag = e.text == "-t" || e.text == "--tag";
        }
    }
    if raw.is_empty()
        && (jib || runnable_boot)
        && let Some(a) = artifact
    {
        raw.push(a.to_string());
    }
    finish(raw, |s| resolve(s, &props))
}

/// Images a Gradle build file builds; `name` is the project's name (`rootProject.name`, else the
/// folder's), `runnable_boot` as for [`maven`].
pub fn gradle(text: &str, name: &str, runnable_boot: bool) -> Vec<String> {
    let mut raw: Vec<String> = Vec::new();
    for re in [&GRADLE_JIB, &GRADLE_BOOT]
        .into_iter()
        .flat_map(|r| r.as_ref())
    {
        for c in re.captures_iter(text) {
            if let Some(m) = c.get(1) {
                raw.push(m.as_str().to_string());
            }
        }
    }
    let jib = text.contains("com.google.cloud.tools.jib");
    if raw.is_empty() && (jib || runnable_boot) {
        raw.push(name.to_string());
    }
    finish(raw, |s| {
        s.replace("${project.name}", name)
            .replace("$project.name", name)
            .replace("${rootProject.name}", name)
    })
}

/// `${key}` references resolved from `props` (unknown ones kept).
fn resolve(s: &str, props: &BTreeMap<String, String>) -> String {
    let mut out = s.to_string();
    for (k, v) in props {
        let needle = format!("${{{k}}}");
        if out.contains(&needle) {
            out = out.replace(&needle, v);
        }
    }
    out
}

/// Resolved, trimmed, de-duplicated names whose last segment is known.
fn finish(raw: Vec<String>, resolve: impl Fn(&str) -> String) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let name = resolve(r.trim());
        let last = super::super::kube::image_name(&name);
        if name.is_empty() || last.is_empty() || last.contains('$') || last.contains('{') {
            continue;
        }
        if !out.contains(&name) && out.len() < CAP {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maven_image_names() {
        let jib = r#"<project><artifactId>orders</artifactId>
  <properties><registry>acme</registry></properties>
  <build><plugins><plugin><artifactId>jib-maven-plugin</artifactId>
    <configuration><to><image>${registry}/shop-orders:1</image></to></configuration>
  </plugin></plugins></build></project>"#;
        assert_eq!(
            maven(jib, Some("orders"), false),
            vec!["acme/shop-orders:1"]
        );
        let boot = r#"<project><artifactId>pets</artifactId><build><plugins><plugin>
  <artifactId>spring-boot-maven-plugin</artifactId>
  <configuration><image><name>petco/${project.artifactId}</name></image></configuration>
  </plugin></plugins></build></project>"#;
        assert_eq!(maven(boot, Some("pets"), true), vec!["petco/pets"]);
        let exec = r#"<project><artifactId>vets</artifactId><properties><prefix>vetco</prefix></properties>
  <build><plugins><plugin><configuration><arguments>
  <argument>build</argument><argument>-t</argument><argument>${prefix}/${project.artifactId}</argument>
  <argument>target</argument></arguments></configuration></plugin></plugins></build></project>"#;
        assert_eq!(maven(exec, Some("vets"), false), vec!["vetco/vets"]);
        // A runnable Spring Boot module builds its artifact id by default; a library builds nothing.
        let plain = "<project><artifactId>visits</artifactId></project>";
        assert_eq!(maven(plain, Some("visits"), true), vec!["visits"]);
        assert!(maven(plain, Some("visits"), false).is_empty());
        let unresolved = "<project><build><plugins><plugin><configuration><to><image>x/${nope}</image></to></configuration></plugin></plugins></build></project>";
        assert!(maven(unresolved, None, false).is_empty());
    }

    #[test]
    fn gradle_image_names() {
        let jib = "plugins { id 'com.google.cloud.tools.jib' version '3.4' }\njib {\n  from { image = 'eclipse-temurin:21' }\n  to { image = \"acme/${project.name}\" }\n}\n";
        assert_eq!(gradle(jib, "ledger", false), vec!["acme/ledger"]);
        let boot = "bootBuildImage {\n  imageName = \"acme/billing:latest\"\n}\n";
        assert_eq!(gradle(boot, "billing", true), vec!["acme/billing:latest"]);
        assert_eq!(
            gradle("plugins { id 'java' }\n", "util", true),
            vec!["util"]
        );
        assert!(gradle("plugins { id 'java' }\n", "util", false).is_empty());
    }
}
