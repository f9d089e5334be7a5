//! Operations you can trust, against the real engine through the real binary: a failed redeploy
//! keeps the old version (rollback), one operation per service across processes, interrupted
//! operations closed and repaired, the workspace network, name collisions, rebuild, scale 0,
//! settings reaching the container, secrets kept out of images.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Child, Command, Stdio};

use support::{TestWs, docker_lines, engine_ready, http_get, stderr, stdout, wait_for};

fn json(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_str(&stdout(out)).unwrap()
}

fn ps(ws: &TestWs) -> Vec<serde_json::Value> {
    json(&ws.kyozo(&["ps", "--json"]))
}

fn service<'a>(ps: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    ps.iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {ps:?}"))
}

fn host_port(ps: &[serde_json::Value], name: &str) -> u16 {
    service(ps, name)["ports"][0]["host"].as_u64().unwrap() as u16
}

/// Rewrites the slow service's build with a fresh token (no build cache can skip its sleep).
fn fresh_slow_build(ws: &TestWs) {
    let file = ws.root.join("slow/Dockerfile");
    let text = std::fs::read_to_string(&file).unwrap();
    let token = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("RUN echo ") && l.contains("sleep") {
                format!("RUN echo {token} && sleep 6")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(file, text + "\n").unwrap();
}

fn spawn(ws: &TestWs, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kyozo"))
        .args(args)
        .arg("--path")
        .arg(&ws.root)
        .env("KYOZO_CONFIG", support::offline_config())
        .env("KYOZO_DB", &ws.db)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the slow service's build runs (its lock file says so).
fn wait_building(ws: &TestWs, service: &str) {
    let dir = ws.db.parent().unwrap().join("kyozo-ops");
    let found = wait_for(30, || {
        let ws_dirs = std::fs::read_dir(&dir).ok()?;
        for d in ws_dirs.flatten() {
            let text = std::fs::read_to_string(d.path().join(format!("{service}.lock"))).ok()?;
            if text.contains("building") {
                return Some(());
            }
        }
        None
    });
    assert!(found.is_some(), "{service} never started building");
}

fn events(ws: &TestWs, service: &str) -> Vec<serde_json::Value> {
    json(&ws.kyozo(&["events", service, "--json"]))
}

#[test]
fn a_failed_redeploy_keeps_the_old_version_running() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-ops");
    let out = ws.kyozo(&["up", "web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let port = host_port(&ps(&ws), "web");
    let v1 = wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200));
    assert_eq!(v1.unwrap().1, "v1\n");
    let container = ws.containers();

    // v2 crashes at start
    std::fs::write(
        ws.root.join("web/Dockerfile"),
        "FROM kyozo-base/busybox:latest\nEXPOSE 18473\nCMD [\"sh\", \"-c\", \"echo v2 is broken; exit 3\"]\n",
    )
    .unwrap();
    let out = ws.kyozo(&["up", "web"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("exited with code 3"), "{err}");
    assert!(
        err.contains("rolled back: the previous version keeps running"),
        "{err}"
    );

    // v1 still answers, on the same host port, in the same container
    let again = wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200));
    assert_eq!(again.unwrap().1, "v1\n");
    assert_eq!(ws.containers(), container);
    let list = ps(&ws);
    assert_eq!(service(&list, "web")["status"], "running");
    assert_eq!(host_port(&list, "web"), port);
    let evs = events(&ws, "web");
    assert_eq!(evs[0]["type"], "deployment_failed");
    assert_eq!(evs[0]["data"]["rolled_back"], true, "{}", evs[0]);
    assert!(evs[0]["error"].as_str().unwrap().contains("v2 is broken"));
}

#[test]
fn one_operation_per_service_across_processes() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-ops");
    fresh_slow_build(&ws);
    let mut first = spawn(&ws, &["up", "slow"]);
    wait_building(&ws, "slow");
    // the same service, from another process: refused, naming what runs
    for verb in [&["up", "slow"][..], &["down", "slow"], &["restart", "slow"]] {
        let out = ws.kyozo(verb);
        assert!(!out.status.success(), "{verb:?} was not refused");
        let err = stderr(&out);
        assert!(
            err.contains("slow: deploy (building…) running for") && err.contains("kyozo pid"),
            "{verb:?}: {err}"
        );
    }
    // a deploy of all leaves it out and says so; other services proceed
    let out = ws.kyozo(&["up"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("slow\trefused"), "{text}");
    assert!(
        text.contains("quick\tdeployed") && text.contains("web\tdeployed"),
        "{text}"
    );
    let status = first.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(first.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    // the lock went with it
    let out = ws.kyozo(&["restart", "slow"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_interrupted_deploy_is_recorded_and_the_service_runs() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-ops");
    let out = ws.kyozo(&["up", "slow"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let port = host_port(&ps(&ws), "slow");
    // a redeploy killed mid-build
    fresh_slow_build(&ws);
    let mut child = spawn(&ws, &["up", "slow"]);
    wait_building(&ws, "slow");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let list = ps(&ws);
    assert_eq!(service(&list, "slow")["status"], "running", "{list:?}");
    assert!(wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200)).is_some());
    let evs = events(&ws, "slow");
    let closed = evs
        .iter()
        .find(|e| e["data"]["interrupted"] == true)
        .unwrap_or_else(|| panic!("no interrupted event: {evs:?}"));
    assert_eq!(closed["type"], "deployment_failed");
    assert_eq!(closed["data"]["operation"], "deploy");
    assert!(
        closed["error"]
            .as_str()
            .unwrap()
            .starts_with("interrupted: deploy (building…)")
    );
    // recorded once
    let again = events(&ws, "slow");
    assert_eq!(
        again
            .iter()
            .filter(|e| e["data"]["interrupted"] == true)
            .count(),
        1
    );

    // half replaced: the old replica stopped, no new one. The next process starts it again.
    let name = format!("kyozo-{}-slow-1", ws.slug);
    let id = docker_lines(&["inspect", "--format", "{{.Id}}", &name])
        .pop()
        .unwrap();
    docker_lines(&["stop", "-t", "1", &name]);
    let lock = std::fs::read_dir(ws.db.parent().unwrap().join("kyozo-ops"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("slow.lock");
    let journal = serde_json::json!({
        "op": "deploy", "step": "stopping…", "pid": 999_999, "by": "someone@elsewhere",
        "since_ms": 0, "previous": [id],
    });
    std::fs::write(&lock, journal.to_string()).unwrap();
    let list = ps(&ws);
    assert_eq!(service(&list, "slow")["status"], "running", "{list:?}");
    assert!(wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200)).is_some());
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        "",
        "the journal is closed"
    );
}

#[test]
fn the_workspace_network_is_made_once_and_kept_while_used() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-wave");
    let nets = |prefix: &str| -> Vec<String> {
        docker_lines(&["network", "ls", "--format", "{{.Name}}"])
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .collect()
    };
    let prefix = format!("kyozo-{}-", ws.slug);
    let a = spawn(&ws, &["up", "one"]);
    let b = spawn(&ws, &["up", "two"]);
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let made = nets(&prefix);
    assert_eq!(made.len(), 1, "{made:?}");
    // kyozo-<slug>-<short id>
    assert!(made[0].len() == prefix.len() + 8, "{made:?}");

    // `one` stopped, `two` removed: the network stays for `one`
    for args in [
        &["stop", "one"][..],
        &["down", "two"],
        &["start", "one"],
        &["restart", "one"],
    ] {
        let out = ws.kyozo(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(nets(&prefix), made, "after {args:?}");
    }
    std::fs::write(ws.root.join("one/extra.txt"), "changed").unwrap();
    let out = ws.kyozo(&["up", "one"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "one\tdeployed\n");
    let out = ws.kyozo(&["down"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(nets(&prefix).is_empty(), "{:?}", nets(&prefix));

    // a network of that name kyozo did not make is not adopted
    docker_lines(&["network", "create", &made[0]]);
    let out = ws.kyozo(&["up", "one"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!(
            "network {} exists and was not created by kyozo",
            made[0]
        )),
        "{}",
        stderr(&out)
    );
    docker_lines(&["network", "rm", &made[0]]);

    // another workspace with the same folder name gets its own network
    let other = tempfile::tempdir().unwrap();
    let twin = other.path().join(&ws.slug);
    support::copy_dir(&ws.root, &twin);
    let run = |root: &std::path::Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kyozo"))
            .args(args)
            .arg("--path")
            .arg(root)
            .env("KYOZO_CONFIG", support::offline_config())
            .env("KYOZO_DB", &ws.db)
            .env_remove("DOCKER_HOST")
            .output()
            .unwrap()
    };
    let out = run(&ws.root, &["up", "one"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&twin, &["up", "three"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(nets(&prefix).len(), 2, "{:?}", nets(&prefix));
    run(&twin, &["down"]);
}

#[test]
fn services_whose_names_differ_in_case_get_their_own_containers() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-names");
    let out = ws.kyozo(&["up"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names = ws.containers();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.contains(&format!("kyozo-{}-web-1", ws.slug)),
        "{names:?}"
    );
    let list = ps(&ws);
    for (name, body) in [("Web", "upper Web\n"), ("web", "lower web\n")] {
        let port = host_port(&list, name);
        let got = wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200));
        assert_eq!(got.unwrap().1, body, "{name}");
    }
    // touching one leaves the other alone
    std::fs::write(ws.root.join("web/extra.txt"), "x").unwrap();
    let out = ws.kyozo(&["up", "web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ws.kyozo(&["down", "web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let left = ws.containers();
    assert_eq!(left.len(), 1, "{left:?}");
    let lower = format!("kyozo-{}-web-1", ws.slug);
    let upper: Vec<String> = names.iter().filter(|n| **n != lower).cloned().collect();
    assert_eq!(left, upper, "Web's container stays");
    assert_eq!(service(&ps(&ws), "Web")["status"], "running");
}

#[test]
fn rebuild_scale_to_zero_and_back_and_bounds() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-ops");
    let out = ws.kyozo(&["up", "quick"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = docker_lines(&[
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("kyozo-{}-quick-1", ws.slug),
    ]);
    // unchanged content: up does nothing, --rebuild builds without cache and replaces
    let out = ws.kyozo(&["up", "quick"]);
    assert_eq!(stdout(&out), "quick\tunchanged\n");
    let out = ws.kyozo(&["up", "--rebuild", "quick"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "quick\tdeployed\n");
    let err = stderr(&out);
    assert!(
        err.contains("quick: build ") && !err.contains("exists"),
        "{err}"
    );
    assert!(
        !err.contains("Using cache"),
        "a rebuild uses no cache: {err}"
    );
    let after = docker_lines(&[
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("kyozo-{}-quick-1", ws.slug),
    ]);
    assert_ne!(before, after, "the container was replaced");

    // scale 0: deployed, stopped, 0/N; back up works
    let out = ws.kyozo(&["scale", "quick", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ws.kyozo(&["scale", "quick", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = ps(&ws);
    let q = service(&list, "quick");
    assert_eq!(q["status"], "stopped");
    assert_eq!(
        q["replicas"],
        serde_json::json!({"running": 0, "desired": 2})
    );
    let out = ws.kyozo(&["scale", "quick", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = ps(&ws);
    let q = service(&list, "quick");
    assert_eq!(q["status"], "running");
    assert_eq!(
        q["replicas"],
        serde_json::json!({"running": 1, "desired": 1})
    );
    let port = host_port(&list, "quick");
    assert!(wait_for(10, || http_get(port, "/").filter(|(c, _)| *c == 200)).is_some());
    // three replicas: the figures are their sum
    let out = ws.kyozo(&["scale", "quick", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = ps(&ws);
    let q = service(&list, "quick");
    assert_eq!(q["replicas"]["running"], 3);
    let total = q["memory_mb"].as_f64().unwrap();
    let each: Vec<f64> = q["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            let line = docker_lines(&[
                "stats",
                "--no-stream",
                "--format",
                "{{.MemUsage}}",
                id.as_str().unwrap(),
            ]);
            let v = line[0].split('/').next().unwrap().trim().to_string();
            let (n, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap());
            let n: f64 = n.parse().unwrap();
            match unit {
                "KiB" => n / 1024.0,
                "MiB" => n,
                "GiB" => n * 1024.0,
                _ => n / (1024.0 * 1024.0),
            }
        })
        .collect();
    let biggest = each.iter().cloned().fold(0.0, f64::max);
    assert!(
        total > biggest * 1.5,
        "ps shows {total} MiB for replicas of {each:?} MiB"
    );
    // outside the scaling limits (1 to 3 by default): refused, naming them
    let out = ws.kyozo(&["scale", "quick", "4"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "quick: replicas stay between 1 and 3 (its scaling limits), or 0 to stop it; asked 4"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_limits_and_health_reach_the_container_and_secrets_stay_out_of_the_image() {
    if !engine_ready() {
        return;
    }
    let ws = TestWs::new("engine-secret");
    let offline = std::fs::read_to_string(support::offline_config()).unwrap();
    let cfg = ws.db.with_file_name("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "{offline}\n[limits]\nmemory = \"64Mi\"\ncpu = \"0.25\"\n\n[health]\ninterval_s = 2\n"
        ),
    )
    .unwrap();
    let cfg = cfg.to_string_lossy().into_owned();
    let out = ws.kyozo_env(&["plan", "api"], &[("KYOZO_CONFIG", &cfg)]);
    let text = stdout(&out);
    assert!(
        text.contains("limits:     memory 64Mi (67108864 bytes), cpu 0.25"),
        "{text}"
    );
    assert!(text.contains("every 2s"), "{text}");
    let out = ws.kyozo_env(&["up"], &[("KYOZO_CONFIG", &cfg)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let name = format!("kyozo-{}-api-1", ws.slug);
    let info = docker_lines(&[
        "inspect",
        "--format",
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.StartPeriod}}",
        &name,
    ]);
    assert_eq!(info, vec!["67108864 250000000 2000000000 2000000000"]);
    // the .env value is in the container's env, not in its image
    let env = docker_lines(&["exec", &name, "sh", "-c", "echo $API_TOKEN"]);
    assert_eq!(env, vec!["s3cret-value"]);
    let image = docker_lines(&["inspect", "--format", "{{.Config.Image}}", &name])
        .pop()
        .unwrap();
    let listing = docker_lines(&["run", "--rm", "--entrypoint", "ls", &image, "-a", "/app"]);
    assert!(listing.contains(&"index.html".to_string()), "{listing:?}");
    assert!(listing.contains(&".env.example".to_string()), "{listing:?}");
    assert!(!listing.contains(&".env".to_string()), "{listing:?}");
    let history = docker_lines(&["history", "--no-trunc", &image]).join("\n");
    assert!(!history.contains("s3cret"), "{history}");
}
