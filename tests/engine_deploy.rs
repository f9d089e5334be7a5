//! The deploy engine against the real Docker Engine, through the library API the cockpit uses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use futures_util::StreamExt;
use kyozo::config::Config;
use kyozo::deploy::{Deployer, Health, Progress};
use kyozo::detect::{self, DetectOptions, Service, ServiceType};
use kyozo::runtime::{Engine, LogOptions};
use kyozo::store::{EventKind, ServiceState, Store};
use support::{TestWs, engine_ready, http_get, wait_for};

async fn deployer(ws: &TestWs) -> Deployer {
    let engine = Engine::connect().await.expect("engine");
    let store = Arc::new(Store::open(&ws.db).unwrap());
    let config = Config::load(&support::offline_config()).unwrap();
    Deployer::new(engine, store, &ws.root, config).unwrap()
}

fn topology(ws: &TestWs) -> detect::Topology {
    detect::detect(&ws.root, &DetectOptions::default()).unwrap()
}

fn events(d: &Deployer, service: Option<&str>) -> Vec<kyozo::store::Event> {
    d.store()
        .events(d.workspace().id, service, 100, None)
        .unwrap()
}

fn kinds(evs: &[kyozo::store::Event]) -> Vec<EventKind> {
    evs.iter().rev().map(|e| e.kind).collect()
}

fn host_port(d: &[kyozo::deploy::ServiceStatus], name: &str, container: u16) -> u16 {
    d.iter()
        .find(|s| s.name == name)
        .and_then(|s| s.ports.iter().find(|p| p.container == container))
        .map(|p| p.host)
        .unwrap_or_else(|| panic!("no host port for {name}:{container} in {d:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_deploys_in_waves_and_reaches_by_service_name() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-chain");
    let d = deployer(&ws).await;
    let topo = topology(&ws);
    assert_eq!(
        topo.deployment_order,
        vec![vec!["backend".to_string()], vec!["frontend".to_string()]]
    );
    let mut seen = Vec::new();
    let report = d.up(&topo, &[], |p| seen.push(p)).await.unwrap();
    assert_eq!(report.deployed, vec!["backend", "frontend"]);
    // backend was ready before frontend's wave began
    let backend_done = seen
        .iter()
        .position(|p| matches!(p, Progress::Done { service, .. } if service == "backend"))
        .unwrap();
    let wave2 = seen
        .iter()
        .position(|p| matches!(p, Progress::Wave { index: 1, .. }))
        .unwrap();
    assert!(backend_done < wave2, "{seen:?}");
    assert!(
        seen.iter()
            .any(|p| matches!(p, Progress::Output { line, .. } if line.contains("Step 1/"))),
        "build output is streamed"
    );

    // frontend fetched http://backend:8080/ by service name and serves it on its host port
    let status = d.status(&topo, false).await.unwrap();
    let port = host_port(&status, "frontend", 8081);
    let body = wait_for(20, || {
        http_get(port, "/").filter(|(c, _)| *c == 200).map(|x| x.1)
    })
    .expect("frontend answers on its host port");
    assert!(body.contains("hello from backend"), "{body}");
    let logs: Vec<String> = d
        .logs(&topo, "frontend", LogOptions::default())
        .await
        .unwrap()
        .map(|l| l.unwrap().to_string())
        .collect()
        .await;
    assert!(
        logs.iter()
            .any(|l| l == "frontend-1 | frontend got: hello from backend"),
        "{logs:?}"
    );
    assert_eq!(
        ws.containers(),
        vec![
            format!("kyozo-{}-backend-1", ws.slug),
            format!("kyozo-{}-frontend-1", ws.slug)
        ]
    );

    // events and records
    let evs = events(&d, Some("backend"));
    assert_eq!(
        kinds(&evs),
        vec![EventKind::DeploymentStarted, EventKind::DeploymentCompleted]
    );
    let done = &evs[0];
    assert!(done.duration_ms.is_some());
    assert!(
        done.data["startup_ms"].as_u64().is_some(),
        "{:?}",
        done.data
    );
    assert_eq!(done.triggered_by, kyozo::store::whoami());
    let rec = d.service_record("backend").await.unwrap().unwrap();
    assert_eq!(rec.status, ServiceState::Running);
    assert_eq!(rec.containers.len(), 1);
    assert!(
        rec.image
            .as_deref()
            .unwrap()
            .starts_with(&format!("kyozo/{}-backend:", ws.slug))
    );
    assert!(rec.deployed_at_ms.is_some());

    // idempotent: a second up changes nothing
    let again = d.up(&topo, &[], |_| {}).await.unwrap();
    assert!(again.deployed.is_empty(), "{again:?}");
    assert_eq!(again.unchanged.len(), 2);
    assert_eq!(events(&d, None).len(), 4);

    // a change replaces only the changed service, and is shown as drift before
    std::fs::write(ws.root.join("backend/notes.txt"), "changed").unwrap();
    let status = d.status(&topo, false).await.unwrap();
    assert!(status.iter().find(|s| s.name == "backend").unwrap().drifted);
    assert!(
        !status
            .iter()
            .find(|s| s.name == "frontend")
            .unwrap()
            .drifted
    );
    let third = d.up(&topo, &[], |_| {}).await.unwrap();
    assert_eq!(third.deployed, vec!["backend"]);
    assert_eq!(third.unchanged, vec!["frontend"]);

    // down removes containers and the network, keeps the history
    let removed = d.down(&topo, &[], |_| {}).await.unwrap();
    assert_eq!(removed, vec!["frontend", "backend"]);
    assert!(ws.containers().is_empty());
    assert!(!d.engine().network_exists(&d.network()).await.unwrap());
    let evs = events(&d, Some("backend"));
    assert_eq!(evs[0].kind, EventKind::ServiceRemoved);
    assert!(evs.len() >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_up_and_down_with_deterministic_replicas_and_stop_start() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-chain");
    let d = deployer(&ws).await;
    let topo = topology(&ws);
    d.up(&topo, &["backend".to_string()], |_| {}).await.unwrap();
    let name = |n: u32| format!("kyozo-{}-backend-{n}", ws.slug);

    // the engine's event stream, filtered to this workspace's containers
    let mut engine_events = Box::pin(d.events());
    assert_eq!(d.scale(&topo, "backend", 3).await.unwrap(), (1, 3));
    let started = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(e) = engine_events.next().await {
            let e = e.unwrap();
            // (replica 1 may show too: the stream starts at the second of the call)
            if e.action == "start" && matches!(e.replica, Some(2 | 3)) {
                return e;
            }
        }
        panic!("event stream ended");
    })
    .await
    .expect("a start event");
    assert_eq!(started.service.as_deref(), Some("backend"));
    assert!(matches!(started.replica, Some(2 | 3)), "{started:?}");
    drop(engine_events);
    assert_eq!(ws.containers(), vec![name(1), name(2), name(3)]);
    let status = d.status(&topo, false).await.unwrap();
    let b = status.iter().find(|s| s.name == "backend").unwrap();
    assert_eq!((b.replicas.running, b.replicas.desired), (3, 3));
    // every replica answers on its own host port
    for p in &b.ports {
        let got = wait_for(10, || http_get(p.host, "/").filter(|(c, _)| *c == 200));
        assert!(got.is_some(), "replica on host port {} answers", p.host);
    }
    assert_eq!(d.scale(&topo, "backend", 1).await.unwrap(), (3, 1));
    assert_eq!(ws.containers(), vec![name(1)]);
    assert_eq!(d.scale(&topo, "backend", 2).await.unwrap(), (1, 2));
    assert_eq!(ws.containers(), vec![name(1), name(2)]);
    let scaled: Vec<_> = events(&d, Some("backend"))
        .into_iter()
        .filter(|e| e.kind == EventKind::ServiceScaled)
        .collect();
    assert_eq!(scaled.len(), 3);
    assert_eq!(scaled[0].data["from"], 1);
    assert_eq!(scaled[0].data["to"], 2);
    // the up after a scale keeps the replica count
    let r = d.up(&topo, &["backend".to_string()], |_| {}).await.unwrap();
    assert_eq!(r.unchanged, vec!["backend"]);

    // stop keeps containers, start brings them back
    d.stop(&topo, &["backend".to_string()]).await.unwrap();
    let status = d.status(&topo, false).await.unwrap();
    let b = status.iter().find(|s| s.name == "backend").unwrap();
    assert_eq!(b.status, ServiceState::Stopped);
    assert_eq!(b.replicas.running, 0);
    assert_eq!(ws.containers().len(), 2);
    d.start(&topo, &["backend".to_string()]).await.unwrap();
    let status = d.status(&topo, false).await.unwrap();
    let port = host_port(&status, "backend", 8080);
    assert!(wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200)).is_some());
    d.restart(&topo, &["backend".to_string()]).await.unwrap();
    let kinds = kinds(&events(&d, Some("backend")));
    assert!(kinds.contains(&EventKind::ServiceStopped));
    assert!(kinds.contains(&EventKind::ServiceStarted));

    // unknown and invalid names are refused before touching the engine
    assert!(d.scale(&topo, "nope", 2).await.is_err());
    assert!(d.scale(&topo, "bad name", 2).await.is_err());
    assert!(d.scale(&topo, "backend", 1000).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_turns_unhealthy_and_recovers() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-health");
    let d = deployer(&ws).await;
    let mut topo = topology(&ws);
    // `plain` is judged by HTTP on a configured path, with a 1 s interval (its start period:
    // a failure in the first second after the start does not count)
    for s in &mut topo.services {
        if s.name == "plain" {
            s.health_check.path = "/ready".into();
            s.health_check.timeout_s = 2;
            s.health_check.interval_s = 1;
            s.health_check.retries = 1;
        }
    }
    d.up(&topo, &[], |_| {}).await.unwrap();
    let check = |name: &'static str| {
        let d = d.clone();
        let topo = topo.clone();
        async move {
            let svc = topo.service(name).unwrap();
            d.check_service_health(svc).await.unwrap().unwrap()
        }
    };
    assert_eq!(check("checked").await.health, Health::Healthy);
    assert_eq!(check("plain").await.health, Health::Healthy);

    let exec = |c: &str, cmd: &str| {
        support::docker_lines(&["exec", c, "sh", "-c", cmd]);
    };
    let checked = format!("kyozo-{}-checked-1", ws.slug);
    let plain = format!("kyozo-{}-plain-1", ws.slug);
    // the engine's own check (HEALTHCHECK in the image)
    exec(&checked, "rm /www/ok");
    let mut r = check("checked").await;
    for _ in 0..40 {
        if r.health == Health::Unhealthy {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        r = check("checked").await;
    }
    assert_eq!(r.health, Health::Unhealthy, "{r:?}");
    // HTTP: 404 on a configured path is unhealthy, once the start period is over
    exec(&plain, "rm /www/ready");
    let r = check("plain").await;
    if r.health == Health::Unknown {
        assert!(r.reason.starts_with("starting (start period 1s)"), "{r:?}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = check("plain").await;
    assert_eq!(r.health, Health::Unhealthy, "{r:?}");
    assert!(r.reason.contains("404"), "{r:?}");

    exec(&checked, "touch /www/ok");
    exec(&plain, "echo ready > /www/ready");
    let mut r = check("checked").await;
    for _ in 0..40 {
        if r.health == Health::Healthy {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        r = check("checked").await;
    }
    assert_eq!(r.health, Health::Healthy);
    assert_eq!(check("plain").await.health, Health::Healthy);

    for name in ["checked", "plain"] {
        let evs: Vec<_> = events(&d, Some(name))
            .into_iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EventKind::HealthCheckFailed | EventKind::HealthRecovered
                )
            })
            .collect();
        assert_eq!(
            kinds(&evs),
            vec![EventKind::HealthCheckFailed, EventKind::HealthRecovered],
            "{name}"
        );
        assert_eq!(evs[0].triggered_by, "kyozo");
        assert!(evs[1].error.is_some(), "the failure carries its reason");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_stack_up_and_down() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-compose");
    let d = deployer(&ws).await;
    let topo = topology(&ws);
    let stack = topo.service("stack").expect("compose stack detected");
    assert_eq!(stack.kind, ServiceType::ComposeStack);
    d.up(&topo, &[], |_| {}).await.unwrap();
    let project = format!("kyozo-{}-stack", ws.slug);
    let cs = d.containers(stack).await.unwrap();
    assert_eq!(cs.len(), 2, "{cs:?}");
    assert!(
        cs.iter()
            .all(|c| c.label("com.docker.compose.project") == Some(project.as_str()))
    );
    let status = d.status(&topo, false).await.unwrap();
    let s = status.iter().find(|s| s.name == "stack").unwrap();
    assert_eq!(s.status, ServiceState::Running);
    assert_eq!(s.replicas.running, 2);
    let port = s.ports.iter().find(|p| p.container == 80).unwrap().host;
    // the web member serves its own root folder: a 2xx, not any answer (a 502 would be a failure)
    let got = wait_for(10, || {
        http_get(port, "/etc/hostname").filter(|(c, _)| (200..300).contains(c))
    });
    assert!(got.is_some(), "the stack's web member answers 2xx");
    let kinds_up = kinds(&events(&d, Some("stack")));
    assert_eq!(
        kinds_up,
        vec![EventKind::DeploymentStarted, EventKind::DeploymentCompleted]
    );
    d.down(&topo, &[], |_| {}).await.unwrap();
    assert!(d.containers(stack).await.unwrap().is_empty());
    assert_eq!(events(&d, Some("stack"))[0].kind, EventKind::ServiceRemoved);
}

fn python_service() -> Service {
    Service {
        indicators: vec!["requirements.txt".into()],
        technologies: vec!["python".into()],
        port: Some(8000),
        ports: vec![8000],
        ..Service::new("pyapp", "pyapp", ServiceType::Python, 0.8)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_dockerfile_builds_and_runs_python() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-python");
    let d = deployer(&ws).await;
    let topo = detect::Topology {
        workspace: ws.root.to_string_lossy().into_owned(),
        services: vec![python_service()],
        deployment_order: vec![vec!["pyapp".into()]],
        diagnostics: vec![],
        deploy: Default::default(),
    };
    let plan = d.plan(&topo.services[0]).unwrap();
    let text = plan.dockerfile.clone().unwrap();
    assert!(text.starts_with("# generated by kyozo"), "{text}");
    assert!(text.contains("FROM kyozo-base/python:3"), "{text}");
    d.up(&topo, &[], |_| {}).await.unwrap();
    // nothing was written into the service folder
    let mut files: Vec<String> = std::fs::read_dir(ws.root.join("pyapp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, vec!["app.py", "requirements.txt"]);
    let status = d.status(&topo, true).await.unwrap();
    let port = host_port(&status, "pyapp", 8000);
    let (code, body) =
        wait_for(20, || http_get(port, "/").filter(|(c, _)| *c == 200)).expect("python answers");
    assert_eq!(code, 200);
    assert_eq!(body, "hello from python\n");
    assert!(status[0].memory_mb.unwrap() > 0.0);
    assert!(status[0].uptime_s.is_some());
    // resource limits reached the container
    let info = support::docker_lines(&[
        "inspect",
        "--format",
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}",
        &format!("kyozo-{}-pyapp-1", ws.slug),
    ]);
    assert_eq!(info, vec!["536870912 500000000 unless-stopped"]);
    // stats stream of the cockpit
    let mut stats = Box::pin(d.stats(&topo, "pyapp").await.unwrap());
    let s = stats.next().await.unwrap().unwrap();
    assert_eq!(s.replica, 1);
    assert!(s.sample.memory_bytes > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_port_is_a_recorded_failure() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-python");
    let d = deployer(&ws).await;
    let mut svc = python_service();
    svc.port = Some(0);
    svc.ports = vec![0];
    let topo = detect::Topology {
        workspace: ws.root.to_string_lossy().into_owned(),
        services: vec![svc],
        deployment_order: vec![vec!["pyapp".into()]],
        diagnostics: vec![],
        deploy: Default::default(),
    };
    let e = d.up(&topo, &[], |_| {}).await.unwrap_err();
    assert_eq!(e.to_string(), "pyapp: invalid port 0: use 1 to 65535");
    let evs = events(&d, Some("pyapp"));
    assert_eq!(evs[0].kind, EventKind::DeploymentFailed);
    assert_eq!(
        evs[0].error.as_deref(),
        Some("invalid port 0: use 1 to 65535")
    );
    assert!(ws.containers().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_dockerfile_builds_and_runs_node() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-node");
    let d = deployer(&ws).await;
    let mut svc = python_service();
    svc.name = "web".into();
    svc.path = "web".into();
    svc.kind = ServiceType::Nodejs;
    svc.port = Some(3000);
    svc.ports = vec![3000];
    svc.start_command = Some("npm start".into());
    let topo = detect::Topology {
        workspace: ws.root.to_string_lossy().into_owned(),
        services: vec![svc],
        deployment_order: vec![vec!["web".into()]],
        diagnostics: vec![],
        deploy: Default::default(),
    };
    let text = d.plan(&topo.services[0]).unwrap().dockerfile.unwrap();
    assert!(text.contains("FROM kyozo-base/node:18"), "{text}");
    d.up(&topo, &[], |_| {}).await.unwrap();
    let status = d.status(&topo, false).await.unwrap();
    let port = host_port(&status, "web", 3000);
    let (_, body) =
        wait_for(20, || http_get(port, "/").filter(|(c, _)| *c == 200)).expect("node answers");
    assert_eq!(body, "hello from node\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_after_a_failed_compose_up_leaves_nothing() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-compose-failed");
    let d = deployer(&ws).await;
    let topo = topology(&ws);
    let stack = topo.service("stack").expect("compose stack detected");
    let prefix = format!("kyozo-{}", ws.slug);
    let networks = || -> Vec<String> {
        support::docker_lines(&["network", "ls", "--format", "{{.Name}}"])
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .collect()
    };
    let project_net = format!("kyozo-{}-stack_default", ws.slug);
    for broken_file in [false, true] {
        let e = d.up(&topo, &[], |_| {}).await.unwrap_err();
        assert!(e.to_string().starts_with("stack: "), "{e}");
        assert!(d.containers(stack).await.unwrap().is_empty());
        assert_eq!(networks(), vec![project_net.clone()], "up left its network");
        let status = d.status(&topo, false).await.unwrap();
        assert_eq!(status[0].status, ServiceState::Error);
        let file = ws.root.join("stack/compose.yaml");
        let good = std::fs::read_to_string(&file).unwrap();
        if broken_file {
            // compose cannot read the file any more: the network goes all the same
            std::fs::write(&file, "services: [\n").unwrap();
        }
        d.down(&topo, &[], |_| {}).await.unwrap();
        std::fs::write(&file, good).unwrap();
        assert!(networks().is_empty(), "left behind: {:?}", networks());
        let status = d.status(&topo, false).await.unwrap();
        assert_eq!(status[0].status, ServiceState::Deployable, "{status:?}");
    }
    // nothing was there to remove: no removal event
    assert_ne!(events(&d, Some("stack"))[0].kind, EventKind::ServiceRemoved);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_member_whose_image_a_folder_builds_runs_offline() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-compose");
    let image = format!("kyozo/{}-customers:latest", ws.slug);
    std::fs::create_dir_all(ws.root.join("customers")).unwrap();
    std::fs::write(
        ws.root.join("customers/Dockerfile"),
        "FROM kyozo-base/busybox:latest\nRUN mkdir -p /www && echo customers > /www/index.html\nEXPOSE 80\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n",
    )
    .unwrap();
    std::fs::write(
        ws.root.join("stack/compose.yaml"),
        format!("services:\n  customers:\n    image: {image}\n    ports:\n      - \"80\"\n"),
    )
    .unwrap();
    let d = deployer(&ws).await;
    let mut topo = topology(&ws);
    let stack = topo
        .services
        .iter_mut()
        .find(|s| s.name == "stack")
        .expect("the stack");
    let member = stack
        .members
        .iter_mut()
        .find(|m| m.name == "customers")
        .expect("its member");
    // detection may fill this in already; the deploy side is what is under test
    member.source = Some("customers".into());
    assert!(!d.engine().image_exists(&image).await.unwrap());
    let mut seen = Vec::new();
    d.up(&topo, &["stack".to_string()], |p| seen.push(p))
        .await
        .unwrap();
    assert!(
        d.engine().image_exists(&image).await.unwrap(),
        "built under the member's name"
    );
    assert!(
        seen.iter().any(|p| matches!(p, Progress::StepStarted { detail, .. } if detail.contains("member customers from customers"))),
        "{seen:?}"
    );
    let status = d.status(&topo, false).await.unwrap();
    let s = status.iter().find(|s| s.name == "stack").unwrap();
    assert_eq!(s.status, ServiceState::Running);
    let port = s.ports.iter().find(|p| p.container == 80).unwrap().host;
    let got = wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200));
    assert_eq!(got.unwrap().1, "customers\n");
    d.down(&topo, &[], |_| {}).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_carry_the_engines_time() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-chain");
    let d = deployer(&ws).await;
    let topo = topology(&ws);
    let before = kyozo::store::now_ms();
    d.up(
        &topo,
        &["backend".to_string(), "frontend".to_string()],
        |_| {},
    )
    .await
    .unwrap();
    let lines: Vec<kyozo::deploy::ServiceLogLine> = d
        .logs(&topo, "frontend", LogOptions::default())
        .await
        .unwrap()
        .map(|l| l.unwrap())
        .collect()
        .await;
    let line = lines
        .iter()
        .find(|l| l.text == "frontend got: hello from backend")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let t = line.time_ms.expect("the engine's timestamp");
    assert!(
        t >= before - 1000 && t <= kyozo::store::now_ms(),
        "{t} vs {before}"
    );
    assert!(
        !line.text.starts_with("20"),
        "the stamp is split off: {}",
        line.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_redeploy_keeps_the_old_version() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-ops");
    let d = deployer(&ws).await;
    let topo = topology(&ws);
    let quick = vec!["quick".to_string()];
    d.up(&topo, &quick, |_| {}).await.unwrap();
    let before = ws.containers();
    // a change whose build takes a while
    let token = format!("{:?}", std::time::SystemTime::now());
    std::fs::write(
        ws.root.join("quick/Dockerfile"),
        format!(
            "FROM kyozo-base/busybox:latest\nRUN echo '{token}' && sleep 4\nEXPOSE 8080\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/\"]\n"
        ),
    )
    .unwrap();
    let opts = kyozo::deploy::UpOptions::default();
    let cancels = opts.cancels.clone();
    // cancel while it builds: it stops at the next safe point, before touching what runs
    let cancel_later = async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        cancels.cancel(&[])
    };
    let (report, hit) = tokio::join!(d.up_with(&topo, &quick, &opts, |_| {}), cancel_later);
    assert_eq!(hit, vec!["quick"]);
    let report = report.unwrap();
    assert_eq!(report.cancelled, vec!["quick"], "{report:?}");
    assert_eq!(ws.containers(), before, "the old container keeps running");
    let status = d.status(&topo, false).await.unwrap();
    assert_eq!(status[0].status, ServiceState::Running);
    let evs = events(&d, Some("quick"));
    assert_eq!(evs[0].kind, EventKind::DeploymentFailed);
    assert_eq!(evs[0].data["cancelled"], true, "{:?}", evs[0].data);
    assert_eq!(evs[0].data["rolled_back"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_while_the_new_version_starts_brings_the_old_one_back() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-ops");
    let d = deployer(&ws).await;
    let topo = topology(&ws);
    let web = vec!["web".to_string()];
    d.up(&topo, &web, |_| {}).await.unwrap();
    let status = d.status(&topo, false).await.unwrap();
    let port = host_port(&status, "web", 18473);
    let before = ws.containers();
    // v2 never turns healthy: the deploy waits for it
    std::fs::write(
        ws.root.join("web/Dockerfile"),
        "FROM kyozo-base/busybox:latest\nRUN mkdir -p /www && echo v2 > /www/index.html\nHEALTHCHECK --interval=1s --retries=30 CMD test -f /never\nEXPOSE 18473\nCMD [\"httpd\", \"-f\", \"-p\", \"18473\", \"-h\", \"/www\"]\n",
    )
    .unwrap();
    let opts = kyozo::deploy::UpOptions::default();
    let cancels = opts.cancels.clone();
    let mut waiting = false;
    let cancel_when_waiting = async {
        for _ in 0..300 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let text = std::fs::read_dir(ws.db.parent().unwrap().join("kyozo-ops"))
                .ok()
                .and_then(|mut d| d.next())
                .and_then(|e| e.ok())
                .and_then(|e| std::fs::read_to_string(e.path().join("web.lock")).ok())
                .unwrap_or_default();
            if text.contains("waiting") {
                tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                return cancels.cancel(&[]);
            }
        }
        Vec::new()
    };
    let progress = |p: Progress| {
        if matches!(
            p,
            Progress::StepStarted {
                step: kyozo::deploy::Step::Wait,
                ..
            }
        ) {
            waiting = true;
        }
    };
    let (report, hit) = tokio::join!(d.up_with(&topo, &web, &opts, progress), cancel_when_waiting);
    assert_eq!(hit, vec!["web"], "the deploy never waited for v2");
    assert!(waiting);
    let report = report.unwrap();
    assert_eq!(report.cancelled, vec!["web"], "{report:?}");
    // v1 runs again, in its own container, on its host port
    assert_eq!(ws.containers(), before);
    let got = wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200));
    assert_eq!(got.unwrap().1, "v1\n");
    let evs = events(&d, Some("web"));
    assert_eq!(evs[0].kind, EventKind::DeploymentFailed);
    assert_eq!(evs[0].data["cancelled"], true);
    assert_eq!(evs[0].data["rolled_back"], true);
}
