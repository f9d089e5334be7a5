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
  <build>
    <plugins>
      <plugin>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-maven-plugin</artifactId>
      </plugin>
    </plugins>
  </build>
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
    let pom = "<project><artifactId>q</artifactId><dependencies><dependency><groupId>io.quarkus</groupId><artifactId>quarkus-rest</artifactId></dependency></dependencies><build><plugins><plugin><groupId>io.quarkus</groupId><artifactId>quarkus-maven-plugin</artifactId></plugin></plugins></build></project>";
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

#[test]
fn modules_without_a_main_class_are_libraries() {
    // Spring Boot dependencies alone, without the plugin or a main method: a shared library.
    let lib = "<project><parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId></parent><artifactId>common</artifactId><dependencies><dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-data-jpa</artifactId></dependency></dependencies></project>";
    let (f, _) = one(&[
        ("pom.xml", lib),
        (
            "src/main/java/com/x/common/Entity.java",
            "package com.x.common;\npublic class Entity {}\n",
        ),
    ]);
    let f = f.unwrap();
    assert!(f.helper_only);
    assert!(f.ports.is_empty());
    // The same module with an application class runs.
    let (f, _) = one(&[
        ("pom.xml", lib),
        (
            "src/main/java/com/x/common/DemoApplication.java",
            "package com.x.common;\n@SpringBootApplication\npublic class DemoApplication {\n    public static void main(String[] args) { SpringApplication.run(DemoApplication.class, args); }\n}\n",
        ),
    ]);
    let f = f.unwrap();
    assert_eq!(f.start_command.as_deref(), Some("mvn spring-boot:run"));
    assert_eq!(port(&f), Some(8080));
}

#[test]
fn plain_java_with_a_main_class() {
    let (f, _) = one(&[
        (
            "build.gradle",
            "apply plugin: 'java'\njar {\n  manifest {\n    attributes('Main-Class': 'hello.HelloWorld')\n  }\n}\n",
        ),
        (
            "src/main/java/hello/HelloWorld.java",
            "package hello;\npublic class HelloWorld { public static void main(String[] a) {} }\n",
        ),
    ]);
    let f = f.unwrap();
    assert_eq!(
        f.start_command.as_deref(),
        Some("java -jar $(ls build/libs/*.jar | grep -v plain | head -n1)")
    );
    assert!(f.ports.is_empty());
    let (f, _) = one(&[
        (
            "pom.xml",
            "<project><artifactId>tool</artifactId><version>2.0</version></project>",
        ),
        (
            "src/main/java/t/Main.java",
            "package t;\nclass Main { public static void main(String[] a) {} }\n",
        ),
    ]);
    assert_eq!(
        f.unwrap().start_command.as_deref(),
        Some("java -cp target/classes t.Main")
    );
}
