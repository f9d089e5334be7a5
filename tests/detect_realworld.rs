//! Detection on real-world monorepos it was not written against: fixtures under
//! `tests/fixtures/realworld/` mirror the layout and the detection-relevant files of public projects
//! (each fixture's README names its upstream). The assertions say what a person who knows the
//! project expects: the services, their types, ports, stack membership, dependencies and order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod contract;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kyozo::detect::{self, DetectOptions, EdgeKind, Member, Service, ServiceType, Topology};

const FIXTURES: &[&str] = &[
    "example-voting-app",
    "microservices-demo",
    "awesome-compose/react-express-mysql",
    "awesome-compose/nginx-flask-mongo",
    "awesome-compose/flask-redis",
    "awesome-compose/spring-postgres",
    "robot-shop",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/realworld")
        .join(name)
}

fn run(name: &str) -> Topology {
    let t = detect::detect(&fixture(name), &DetectOptions::default()).unwrap();
    invariants(name, &t);
    t
}

fn svc<'a>(t: &'a Topology, name: &str) -> &'a Service {
    t.service(name)
        .unwrap_or_else(|| panic!("no service {name}: {:#?}", names(t)))
}

fn names(t: &Topology) -> BTreeSet<&str> {
    t.services.iter().map(|s| s.name.as_str()).collect()
}

fn set<'a>(v: &[&'a str]) -> BTreeSet<&'a str> {
    v.iter().copied().collect()
}

fn deps(s: &Service) -> BTreeSet<&str> {
    s.depends_on.iter().map(String::as_str).collect()
}

fn kind_of(s: &Service, dep: &str) -> EdgeKind {
    s.dependencies
        .iter()
        .find(|d| d.name == dep)
        .unwrap_or_else(|| panic!("{} has no dependency {dep}: {:?}", s.name, s.dependencies))
        .kind
}

fn member<'a>(stack: &'a Service, name: &str) -> &'a Member {
    stack
        .members
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("stack {} has no member {name}", stack.name))
}

fn wave_of(t: &Topology, name: &str) -> usize {
    t.deployment_order
        .iter()
        .position(|w| w.iter().any(|n| n == name))
        .unwrap_or_else(|| panic!("{name} not in order {:?}", t.deployment_order))
}

/// Asserts a service of a stack: built from its folder, shown as part of the stack, not deployed
/// on its own.
fn in_stack(s: &Service, stack: &str) {
    assert_eq!(s.stack.as_deref(), Some(stack), "{}", s.name);
    assert!(!s.deployable, "{} deploys through its stack", s.name);
}

fn lang(s: &Service) -> &str {
    s.technologies.first().map_or("", String::as_str)
}

fn has_tech(s: &Service, t: &str) -> bool {
    s.technologies.iter().any(|x| x == t)
}

/// What holds for every workspace: valid unique names, every deployable service in exactly one
/// wave and nothing else there, and every dependency deploying before its dependent (a stack
/// member's dependency is the stack, which deploys as one unit).
fn invariants(fixture: &str, t: &Topology) {
    assert!(
        t.diagnostics.is_empty(),
        "{fixture}: diagnostics {:#?}",
        t.diagnostics
    );
    let mut seen = BTreeSet::new();
    for s in &t.services {
        assert!(detect::names::is_valid(&s.name), "{fixture}: {}", s.name);
        assert!(seen.insert(s.name.clone()), "{fixture}: {} twice", s.name);
    }
    let ordered: Vec<&String> = t.deployment_order.iter().flatten().collect();
    let deployable: BTreeSet<&String> = t
        .services
        .iter()
        .filter(|s| s.deployable)
        .map(|s| &s.name)
        .collect();
    assert_eq!(ordered.len(), deployable.len(), "{fixture}: {ordered:?}");
    assert_eq!(
        ordered.iter().copied().collect::<BTreeSet<_>>(),
        deployable,
        "{fixture}"
    );
    // The unit that deploys a service or a stack member.
    let mut unit: BTreeMap<&str, &str> = BTreeMap::new();
    for s in &t.services {
        if s.deployable {
            unit.insert(&s.name, &s.name);
            for m in &s.members {
                unit.entry(&m.name).or_insert(&s.name);
            }
        } else if let Some(st) = &s.stack {
            unit.insert(&s.name, st);
        }
    }
    for s in &t.services {
        let Some(&from) = unit.get(s.name.as_str()) else {
            continue;
        };
        for d in &s.depends_on {
            let Some(&to) = unit.get(d.as_str()) else {
                continue;
            };
            if to != from {
                assert!(
                    wave_of(t, to) < wave_of(t, from),
                    "{fixture}: {} needs {d} ({to}) but order is {:?}",
                    s.name,
                    t.deployment_order
                );
            }
        }
    }
}

#[test]
fn example_voting_app() {
    let t = run("example-voting-app");
    let stack_name = "example-voting-app";
    assert_eq!(
        names(&t),
        set(&[stack_name, "vote", "result", "worker", "seed-data", "tests"])
    );

    let stack = svc(&t, stack_name);
    assert_eq!(stack.kind, ServiceType::ComposeStack);
    assert_eq!(stack.path, ".");
    assert!(stack.deployable);
    assert_eq!(
        stack
            .members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<BTreeSet<_>>(),
        set(&["vote", "result", "worker", "redis", "db", "seed"])
    );
    // The entry point is the voting page on 8080 (result is on 8081).
    assert_eq!(stack.port, Some(8080));
    for tech in ["python", "node", "dotnet"] {
        assert!(has_tech(stack, tech), "{:?}", stack.technologies);
    }
    let healthy = |m: &Member, dep: &str| {
        assert_eq!(
            m.conditions.get(dep).map(String::as_str),
            Some("service_healthy"),
            "{} -> {dep}",
            m.name
        )
    };
    let vote_m = member(stack, "vote");
    assert_eq!(vote_m.build.as_deref(), Some("vote"));
    assert_eq!(vote_m.depends_on, vec!["redis"]);
    healthy(vote_m, "redis");
    assert!(vote_m.healthcheck);
    assert_eq!(vote_m.ports, vec![80]);
    assert_eq!(vote_m.published, vec![8080]);
    healthy(member(stack, "result"), "db");
    let worker_m = member(stack, "worker");
    assert_eq!(worker_m.build.as_deref(), Some("worker"));
    healthy(worker_m, "redis");
    healthy(worker_m, "db");
    healthy(member(stack, "seed"), "vote");
    let redis = member(stack, "redis");
    assert_eq!(redis.image.as_deref(), Some("redis:alpine"));
    assert!(redis.healthcheck);
    assert!(member(stack, "db").healthcheck);

    let vote = svc(&t, "vote");
    assert_eq!(vote.kind, ServiceType::Containerized);
    assert_eq!(lang(vote), "python");
    assert!(has_tech(vote, "flask"));
    assert_eq!(vote.port, Some(80));
    in_stack(vote, stack_name);
    assert!(deps(vote).contains("redis"));
    assert_eq!(kind_of(vote, "redis"), EdgeKind::Hard);

    let result = svc(&t, "result");
    assert_eq!(result.kind, ServiceType::Containerized);
    assert_eq!(lang(result), "node");
    assert!(has_tech(result, "express"));
    assert_eq!(result.port, Some(80));
    in_stack(result, stack_name);
    assert_eq!(deps(result), set(&["db"]));
    assert_eq!(kind_of(result, "db"), EdgeKind::Hard);

    let worker = svc(&t, "worker");
    assert_eq!(lang(worker), "dotnet");
    assert_eq!(worker.port, None, "the worker listens on no port");
    in_stack(worker, stack_name);
    assert_eq!(deps(worker), set(&["db", "redis"]));

    let seed = svc(&t, "seed-data");
    assert_eq!(lang(seed), "python");
    in_stack(seed, stack_name);
    assert_eq!(deps(seed), set(&["vote"]));

    // result/tests is the harness of result/docker-compose.test.yml: shown, never deployed.
    let tests = svc(&t, "tests");
    assert_eq!(tests.path, "result/tests");
    assert!(!tests.deployable);
    assert_eq!(tests.stack, None);

    assert_eq!(t.deployment_order, vec![vec![stack_name.to_string()]]);
}

#[test]
fn microservices_demo() {
    let t = run("microservices-demo");
    // (name, language, port)
    let expected: &[(&str, &str, Option<u16>)] = &[
        ("adservice", "java", Some(9555)),
        ("cartservice", "dotnet", Some(7070)),
        ("checkoutservice", "go", Some(5050)),
        ("currencyservice", "node", Some(7000)),
        ("emailservice", "python", Some(8080)),
        ("frontend", "go", Some(8080)),
        ("loadgenerator", "python", None),
        ("paymentservice", "node", Some(50051)),
        ("productcatalogservice", "go", Some(3550)),
        ("recommendationservice", "python", Some(8080)),
        ("shippingservice", "go", Some(50051)),
        ("shoppingassistantservice", "python", Some(8080)),
    ];
    let mut all: Vec<&str> = expected.iter().map(|(n, _, _)| *n).collect();
    all.push("terraform");
    assert_eq!(names(&t), set(&all));
    for (name, language, port) in expected {
        let s = svc(&t, name);
        assert_eq!(s.kind, ServiceType::Containerized, "{name}");
        assert_eq!(lang(s), *language, "{name}: {:?}", s.technologies);
        assert_eq!(s.port, *port, "{name}");
        assert!(s.deployable, "{name}");
        assert_eq!(s.stack, None, "{name}");
        assert!(s.path.starts_with("src/"), "{name}: {}", s.path);
    }
    // The C# service lives in src/cartservice/src and is known as cartservice.
    assert_eq!(svc(&t, "cartservice").path, "src/cartservice/src");
    assert!(has_tech(svc(&t, "cartservice"), "aspnet"));
    assert!(has_tech(svc(&t, "frontend"), "grpc"));
    // Locust is the load generator's tool; its Flask dependency is not a web app to serve.
    assert!(!has_tech(svc(&t, "loadgenerator"), "flask"));

    let infra = svc(&t, "terraform");
    assert_eq!(infra.kind, ServiceType::Infrastructure);
    assert!(!infra.deployable);

    // Service addresses come from kubernetes-manifests/*.yaml.
    let frontend = svc(&t, "frontend");
    for d in [
        "productcatalogservice",
        "currencyservice",
        "cartservice",
        "recommendationservice",
        "shippingservice",
        "checkoutservice",
        "adservice",
    ] {
        assert!(
            deps(frontend).contains(d),
            "frontend -> {d}: {:?}",
            frontend.depends_on
        );
        assert_eq!(kind_of(frontend, d), EdgeKind::Soft);
    }
    assert_eq!(
        deps(svc(&t, "checkoutservice")),
        set(&[
            "productcatalogservice",
            "shippingservice",
            "paymentservice",
            "emailservice",
            "currencyservice",
            "cartservice"
        ])
    );
    assert_eq!(
        deps(svc(&t, "recommendationservice")),
        set(&["productcatalogservice"])
    );
    assert_eq!(deps(svc(&t, "loadgenerator")), set(&["frontend"]));
    // redis-cart runs from a public image in the manifests: not a service of this workspace.
    assert!(svc(&t, "cartservice").depends_on.is_empty());
    for leaf in [
        "adservice",
        "currencyservice",
        "paymentservice",
        "shippingservice",
    ] {
        assert!(svc(&t, leaf).depends_on.is_empty(), "{leaf}");
    }

    // Backends first, then checkout and recommendations, then the frontend, then the load.
    assert_eq!(wave_of(&t, "productcatalogservice"), 0);
    assert!(wave_of(&t, "checkoutservice") < wave_of(&t, "frontend"));
    assert!(wave_of(&t, "recommendationservice") < wave_of(&t, "frontend"));
    assert!(wave_of(&t, "frontend") < wave_of(&t, "loadgenerator"));
    assert_eq!(
        t.deployment_order.last().unwrap(),
        &vec!["loadgenerator".to_string()]
    );
}

#[test]
fn awesome_compose_react_express_mysql() {
    let t = run("awesome-compose/react-express-mysql");
    let stack_name = "react-express-mysql";
    // `.docker/docker-compose.yaml` is Docker Desktop's dev environment: no second stack.
    assert_eq!(names(&t), set(&[stack_name, "backend", "frontend"]));
    let stack = svc(&t, stack_name);
    assert_eq!(stack.kind, ServiceType::ComposeStack);
    assert_eq!(
        stack
            .members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<BTreeSet<_>>(),
        set(&["backend", "db", "frontend"])
    );
    assert_eq!(member(stack, "backend").depends_on, vec!["db"]);
    assert_eq!(member(stack, "frontend").depends_on, vec!["backend"]);
    assert_eq!(
        member(stack, "db").image.as_deref(),
        Some("mariadb:10.6.4-focal")
    );

    let backend = svc(&t, "backend");
    assert_eq!(backend.kind, ServiceType::Containerized);
    assert_eq!(lang(backend), "node");
    assert!(has_tech(backend, "express"));
    assert_eq!(backend.port, Some(80));
    in_stack(backend, stack_name);
    assert!(deps(backend).contains("db"));
    assert_eq!(kind_of(backend, "db"), EdgeKind::Hard);

    let frontend = svc(&t, "frontend");
    assert_eq!(lang(frontend), "node");
    assert_eq!(frontend.port, Some(3000));
    in_stack(frontend, stack_name);
    assert_eq!(deps(frontend), set(&["backend"]));

    assert_eq!(t.deployment_order, vec![vec![stack_name.to_string()]]);
}

#[test]
fn awesome_compose_nginx_flask_mongo() {
    let t = run("awesome-compose/nginx-flask-mongo");
    let stack_name = "nginx-flask-mongo";
    assert_eq!(names(&t), set(&[stack_name, "flask", "nginx"]));
    let stack = svc(&t, stack_name);
    assert_eq!(stack.kind, ServiceType::ComposeStack);
    assert_eq!(stack.port, Some(80));
    let web = member(stack, "web");
    assert_eq!(web.image.as_deref(), Some("nginx"));
    assert_eq!(web.depends_on, vec!["backend"]);
    assert_eq!(member(stack, "backend").build.as_deref(), Some("flask"));
    assert_eq!(member(stack, "backend").depends_on, vec!["mongo"]);

    // The backend listens on FLASK_SERVER_PORT, which compose sets to 9091.
    let flask = svc(&t, "flask");
    assert_eq!(flask.kind, ServiceType::Containerized);
    assert_eq!(lang(flask), "python");
    assert!(has_tech(flask, "flask"));
    assert_eq!(flask.port, Some(9091));
    in_stack(flask, stack_name);
    assert_eq!(deps(flask), set(&["mongo"]));

    // nginx/ holds the configuration web mounts: part of the stack, not a second proxy.
    let nginx = svc(&t, "nginx");
    assert_eq!(nginx.kind, ServiceType::Proxy);
    assert_eq!(nginx.port, Some(80));
    in_stack(nginx, stack_name);

    assert_eq!(t.deployment_order, vec![vec![stack_name.to_string()]]);
}

#[test]
fn awesome_compose_flask_redis() {
    let t = run("awesome-compose/flask-redis");
    let stack_name = "flask-redis";
    assert_eq!(names(&t), set(&[stack_name]));
    let stack = svc(&t, stack_name);
    assert_eq!(stack.kind, ServiceType::ComposeStack);
    assert_eq!(lang(stack), "python");
    assert!(has_tech(stack, "flask"));
    // The app's port, not the data store's.
    assert_eq!(stack.port, Some(5000));
    let web = member(stack, "web");
    assert_eq!(web.build.as_deref(), Some("."));
    assert_eq!(web.depends_on, vec!["redis"]);
    assert_eq!(member(stack, "redis").published, vec![6379]);
    assert_eq!(t.deployment_order, vec![vec![stack_name.to_string()]]);
}

#[test]
fn awesome_compose_spring_postgres() {
    let t = run("awesome-compose/spring-postgres");
    let stack_name = "spring-postgres";
    assert_eq!(names(&t), set(&[stack_name, "backend"]));
    let stack = svc(&t, stack_name);
    assert_eq!(stack.port, Some(8080));
    assert_eq!(member(stack, "db").ports, vec![5432]);
    assert!(member(stack, "backend").depends_on.is_empty());

    let backend = svc(&t, "backend");
    assert_eq!(backend.kind, ServiceType::Containerized);
    assert_eq!(lang(backend), "java");
    assert!(has_tech(backend, "spring-boot"));
    assert!(has_tech(backend, "maven"));
    assert_eq!(backend.port, Some(8080));
    in_stack(backend, stack_name);
    // No depends_on in compose: the datasource URL names the database.
    assert_eq!(deps(backend), set(&["db"]));
    assert_eq!(kind_of(backend, "db"), EdgeKind::Soft);
    assert_eq!(t.deployment_order, vec![vec![stack_name.to_string()]]);
}

#[test]
fn robot_shop() {
    let t = run("robot-shop");
    let stack_name = "robot-shop";
    assert_eq!(
        names(&t),
        set(&[
            stack_name,
            "cart",
            "catalogue",
            "user",
            "shipping",
            "ratings",
            "html",
            "payment",
            "dispatch",
            "web",
            "mongo",
            "mysql",
            "load-gen"
        ])
    );
    let stack = svc(&t, stack_name);
    assert_eq!(stack.kind, ServiceType::ComposeStack);
    assert_eq!(stack.members.len(), 12);
    assert_eq!(stack.port, Some(8080));
    assert_eq!(
        member(stack, "web").depends_on,
        vec!["catalogue", "user", "shipping", "payment"]
    );
    assert_eq!(member(stack, "mongodb").build.as_deref(), Some("mongo"));

    // (folder service, language, port); dispatch is a RabbitMQ consumer that serves nothing, its
    // port is not asserted (detection falls back to Go's default).
    let expected: &[(&str, &str, Option<u16>)] = &[
        ("cart", "node", Some(8080)),
        ("catalogue", "node", Some(8080)),
        ("user", "node", Some(8080)),
        ("shipping", "java", Some(8080)),
        ("ratings", "php", Some(80)),
        ("payment", "python", Some(8080)),
        ("dispatch", "go", None),
        ("web", "nginx", Some(8080)),
        ("mongo", "", Some(27017)),
        ("mysql", "", Some(3306)),
    ];
    for (name, language, port) in expected {
        let s = svc(&t, name);
        assert_eq!(s.kind, ServiceType::Containerized, "{name}");
        if !language.is_empty() {
            assert_eq!(lang(s), *language, "{name}: {:?}", s.technologies);
        }
        if port.is_some() {
            assert_eq!(s.port, *port, "{name}");
        }
        in_stack(s, stack_name);
    }
    for node in ["cart", "catalogue", "user"] {
        assert!(has_tech(svc(&t, node), "express"), "{node}");
    }
    assert!(has_tech(svc(&t, "shipping"), "spring-boot"));
    assert!(has_tech(svc(&t, "payment"), "flask"));

    // The PHP sources ratings' Dockerfile copies are part of ratings.
    let html = svc(&t, "html");
    assert_eq!(html.path, "ratings/html");
    in_stack(html, stack_name);

    let web = svc(&t, "web");
    for d in ["catalogue", "user", "shipping", "payment"] {
        assert_eq!(kind_of(web, d), EdgeKind::Hard, "web -> {d}");
    }
    // The gateway also proxies the cart and the ratings (its Dockerfile sets *_HOST for them).
    assert!(deps(web).is_superset(&set(&["cart", "ratings"])));
    for (name, needs) in [
        ("cart", &["redis"][..]),
        ("catalogue", &["mongodb"]),
        ("user", &["mongodb", "redis"]),
        ("shipping", &["mysql"]),
        ("ratings", &["mysql"]),
        ("payment", &["rabbitmq"]),
        ("dispatch", &["rabbitmq"]),
    ] {
        let s = svc(&t, name);
        for d in needs {
            assert_eq!(kind_of(s, d), EdgeKind::Hard, "{name} -> {d}");
        }
    }
    // Payment calls the user and cart services (defaults of USER_HOST and CART_HOST in its code).
    assert!(deps(svc(&t, "payment")).is_superset(&set(&["cart", "user"])));

    // The load generator is not in compose: a container of its own, run on demand.
    let load = svc(&t, "load-gen");
    assert_eq!(load.kind, ServiceType::Containerized);
    assert_eq!(lang(load), "python");
    assert!(load.deployable);
    assert_eq!(load.stack, None);
    assert_eq!(load.port, None);

    assert_eq!(
        t.deployment_order,
        vec![vec!["load-gen".to_string(), stack_name.to_string()]]
    );
}

/// The binary's `--json` output is the same topology (the JSON contract of PRODUCT.md section 3).
#[test]
fn cli_json_matches_the_library() {
    for name in FIXTURES {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kyozo"))
            .args(["detect", "--json"])
            .arg(fixture(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let lib = detect::detect(&fixture(name), &DetectOptions::default()).unwrap();
        assert_eq!(json, serde_json::to_value(&lib).unwrap(), "{name}");
        for s in json["services"].as_array().unwrap() {
            for key in contract::SERVICE_KEYS {
                assert!(s.get(key).is_some(), "{name}: {key} missing in {s}");
            }
        }
    }
}
