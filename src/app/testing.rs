//! Hand-built topologies and states for unit and snapshot tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::keymap::Keymap;
use super::msg::{EngineMsg, Health, Msg, PortMap, ServiceRuntime, ServiceState};
use super::state::State;
use super::update::{init, update};
use crate::detect::{Dependency, Diagnostic, EdgeKind, Member, Service, ServiceType, Topology};

pub fn service(name: &str, path: &str, kind: ServiceType, port: Option<u16>) -> Service {
    Service {
        port,
        ports: port.into_iter().collect(),
        ..Service::new(name, path, kind, 0.85)
    }
}

/// A small monorepo: `services/{api,worker,auth}`, a compose stack `db`, an nginx `web`, terraform
/// `infra`.
pub fn topology() -> Topology {
    let mut api = service("api", "services/api", ServiceType::Nodejs, Some(4000));
    api.indicators = vec!["package.json".into()];
    api.technologies = vec!["node".into(), "express".into()];
    api.start_command = Some("npm start".into());
    api.env.insert("NODE_ENV".into(), "production".into());
    api.env.insert("PORT".into(), "4000".into());
    api.depends_on = vec!["auth".into(), "postgres".into()];
    api.dependencies = vec![
        Dependency {
            name: "auth".into(),
            kind: EdgeKind::Soft,
            evidence: "env AUTH_URL=http://auth:8081".into(),
        },
        Dependency {
            name: "postgres".into(),
            kind: EdgeKind::Soft,
            evidence: "env DATABASE_URL=postgres://app@postgres/app".into(),
        },
    ];
    let mut worker = service("worker", "services/worker", ServiceType::Python, Some(8000));
    worker.indicators = vec!["requirements.txt".into()];
    worker.technologies = vec!["python".into()];
    worker.start_command = Some("python worker.py".into());
    let mut auth = service("auth", "services/auth", ServiceType::Golang, Some(8081));
    auth.indicators = vec!["go.mod".into()];
    auth.technologies = vec!["go".into()];
    let mut db = service("db", "db", ServiceType::ComposeStack, Some(5432));
    db.indicators = vec!["compose.yaml".into()];
    db.members = vec![
        Member {
            name: "postgres".into(),
            image: Some("postgres:16".into()),
            ports: vec![5432],
            ..Member::default()
        },
        Member {
            name: "redis".into(),
            image: Some("redis:7".into()),
            ports: vec![6379],
            ..Member::default()
        },
    ];
    let mut web = service("web", "web", ServiceType::Proxy, Some(80));
    web.indicators = vec!["nginx.conf".into()];
    web.technologies = vec!["nginx".into()];
    let mut infra = service("infra", "infra", ServiceType::Infrastructure, None);
    infra.indicators = vec!["main.tf".into()];
    infra.technologies = vec!["terraform".into()];
    Topology {
        workspace: "/ws/harbor".into(),
        services: vec![api, auth, worker, db, web, infra],
        deployment_order: vec![
            vec!["auth".into(), "db".into(), "worker".into()],
            vec!["api".into()],
            vec!["web".into()],
        ],
        diagnostics: vec![Diagnostic::new(
            "services/api/package.json",
            "unknown field `engines.npm` ignored",
        )],
        deploy: Default::default(),
    }
}

/// A state with the topology detected and nothing from the engine.
pub fn state() -> State {
    let mut s = State::with_options(
        PathBuf::from("/ws/harbor"),
        false,
        Keymap::default(),
        100,
        false,
        true,
    );
    s.workspace_display = "~/src/harbor".into();
    s.size = (120, 40);
    s.now_ms = 1_700_000_000_000;
    s.drawn_ms = s.now_ms;
    let _ = init(&mut s);
    let _ = update(
        &mut s,
        Msg::Detected {
            topology: Box::new(topology()),
            folders: vec![
                ".".into(),
                "db".into(),
                "docs".into(),
                "infra".into(),
                "services".into(),
                "services/api".into(),
                "services/auth".into(),
                "services/worker".into(),
                "web".into(),
            ],
            changed: vec![],
        },
    );
    s
}

/// A state connected to an engine where api (2 replicas) and db run, worker is stopped.
pub fn live_state() -> State {
    let mut s = state();
    let now = s.now_ms;
    let _ = update(
        &mut s,
        Msg::Engine(EngineMsg::Connected {
            endpoint: "unix:///var/run/docker.sock".into(),
        }),
    );
    let mut map = BTreeMap::new();
    map.insert(
        "api".to_string(),
        ServiceRuntime {
            status: ServiceState::Running,
            health: Health::Healthy,
            running: 2,
            desired: 2,
            cpu_percent: Some(3.2),
            memory_bytes: Some(80 * 1024 * 1024),
            ports: vec![PortMap {
                container: 4000,
                host: Some(4000),
            }],
            started_at_ms: Some(now - 5 * 60 * 1000),
            containers: vec!["c1".into(), "c2".into()],
            ..Default::default()
        },
    );
    map.insert(
        "worker".to_string(),
        ServiceRuntime {
            status: ServiceState::Stopped,
            running: 0,
            desired: 1,
            containers: vec!["c3".into()],
            ..Default::default()
        },
    );
    map.insert(
        "db".to_string(),
        ServiceRuntime {
            status: ServiceState::Running,
            health: Health::Unhealthy,
            running: 2,
            desired: 2,
            cpu_percent: Some(0.4),
            memory_bytes: Some(1536 * 1024 * 1024),
            ports: vec![PortMap {
                container: 5432,
                host: Some(5432),
            }],
            started_at_ms: Some(now - 3 * 3600 * 1000),
            containers: vec!["c4".into(), "c5".into()],
            ..Default::default()
        },
    );
    let _ = update(&mut s, Msg::Engine(EngineMsg::Snapshot(map)));
    s
}
