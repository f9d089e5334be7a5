//! Tests of plans and generated Dockerfiles.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::generate::*;
use super::*;

pub(crate) fn service(name: &str, kind: ServiceType, port: Option<u16>) -> Service {
    Service {
        port,
        ports: port.into_iter().collect(),
        deployable: true,
        ..Service::new(name, name, kind, 0.9)
    }
}

#[test]
fn python_without_dependencies_installs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("api")).unwrap();
    std::fs::write(dir.path().join("api/app.py"), "print(1)").unwrap();
    std::fs::write(dir.path().join("api/requirements.txt"), "# none\n").unwrap();
    let svc = service("api", ServiceType::Python, Some(8000));
    let p = plan(dir.path(), "ws", &svc, &Config::default()).unwrap();
    let text = p.dockerfile.clone().unwrap();
    assert!(text.contains("FROM python:3.12-slim"), "{text}");
    assert!(!text.contains("pip install"), "{text}");
    assert!(text.contains(r#"CMD ["python3","app.py"]"#), "{text}");
    assert!(!text.contains("# syntax"), "{text}");
    assert_eq!(p.generated().map(|g| g.0), Some(GENERATED_DOCKERFILE));
    assert_eq!(p.image_repo, "kyozo/ws-api");
    assert_eq!(p.memory_bytes, 536_870_912);
    assert_eq!(p.nano_cpus, 500_000_000);
    assert!(p.env.contains(&("PORT".into(), "8000".into())));
    assert!(!dir.path().join("api").join(GENERATED_DOCKERFILE).exists());
    std::fs::write(dir.path().join("api/requirements.txt"), "flask==3\n").unwrap();
    let text = generate(
        &dir.path().join("api"),
        &svc,
        Some(8000),
        &Config::default(),
    );
    assert!(
        text.contains("pip install --no-cache-dir -r requirements.txt"),
        "{text}"
    );
}

#[test]
fn node_uses_start_script_or_main() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("package.json"), r#"{"main":"srv.js"}"#).unwrap();
    let svc = service("web", ServiceType::Nodejs, Some(3000));
    let t = generate(d, &svc, Some(3000), &Config::default());
    assert!(t.contains(r#"CMD ["node","srv.js"]"#), "{t}");
    assert!(!t.contains("npm"), "{t}");
    std::fs::write(
        d.join("package.json"),
        r#"{"scripts":{"start":"node a.js"},"dependencies":{"express":"4"}}"#,
    )
    .unwrap();
    let t = generate(d, &svc, Some(3000), &Config::default());
    assert!(t.contains("RUN npm install --omit=dev"), "{t}");
    assert!(t.contains(r#"CMD ["sh","-c","exec node a.js"]"#), "{t}");
    let mut via_npm = svc.clone();
    via_npm.start_command = Some("npm start".into());
    let t = generate(d, &via_npm, Some(3000), &Config::default());
    assert!(t.contains(r#"CMD ["sh","-c","exec node a.js"]"#), "{t}");
}

#[test]
fn own_dockerfile_is_used_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("x")).unwrap();
    std::fs::write(dir.path().join("x/Dockerfile"), "FROM scratch\n").unwrap();
    let svc = service("x", ServiceType::Containerized, Some(80));
    let p = plan(dir.path(), "ws", &svc, &Config::default()).unwrap();
    assert_eq!(
        p.dockerfile_source,
        Some(DockerfileSource::Folder {
            name: "Dockerfile".into()
        })
    );
    assert!(p.generated().is_none());
    let bad = service("bad name", ServiceType::Containerized, None);
    assert!(matches!(
        plan(dir.path(), "ws", &bad, &Config::default()),
        Err(PlanError::Invalid(_))
    ));
    let mut zero = service("x", ServiceType::Containerized, None);
    zero.ports = vec![0];
    assert!(plan(dir.path(), "ws", &zero, &Config::default()).is_err());
    let infra = service("tf", ServiceType::Infrastructure, None);
    assert!(matches!(
        plan(dir.path(), "ws", &infra, &Config::default()),
        Err(PlanError::NotDeployable { .. })
    ));
}

#[test]
fn static_sites_on_nginx_or_busybox() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("dist")).unwrap();
    std::fs::write(dir.path().join("dist/index.html"), "<h1>x</h1>").unwrap();
    let svc = service("site", ServiceType::Static, Some(80));
    let t = generate(dir.path(), &svc, Some(80), &Config::default());
    assert!(t.contains("FROM nginx:alpine"), "{t}");
    assert!(t.contains("COPY dist/ /usr/share/nginx/html/"), "{t}");
    let mut offline = Config::default();
    offline.images.nginx = "kyozo-base/busybox:latest".into();
    let t = generate(dir.path(), &svc, Some(80), &offline);
    assert!(t.contains("COPY dist/ /www/"), "{t}");
    assert!(
        t.contains(r#"CMD ["httpd","-f","-p","80","-h","/www"]"#),
        "{t}"
    );
    assert!(is_busybox("busybox"));
    assert!(!is_busybox("nginx:alpine"));
    std::fs::write(dir.path().join("nginx.conf"), "server { listen 80; }").unwrap();
    let mut proxy = service("proxy", ServiceType::Proxy, Some(80));
    proxy.path = ".".into();
    assert!(matches!(
        plan(dir.path(), "ws", &proxy, &offline),
        Err(PlanError::Unsupported { .. })
    ));
    assert!(plan(dir.path(), "ws", &proxy, &Config::default()).is_ok());
}

#[test]
fn static_sites_built_with_node_run_the_build_and_serve_its_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    std::fs::write(dir.path().join("package-lock.json"), "{}").unwrap();
    let mut svc = service("web", ServiceType::Static, Some(80));
    svc.technologies = vec!["node".into(), "vite".into()];
    svc.build_command = Some("npm run build".into());
    svc.output_dir = Some("dist".into());
    let t = generate(dir.path(), &svc, Some(80), &Config::default());
    assert!(
        t.contains(
            "FROM node:20-slim AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm run build\n"
        ),
        "{t}"
    );
    assert!(t.contains("FROM nginx:alpine\n"), "{t}");
    assert!(
        t.contains("COPY --from=build /app/dist/ /usr/share/nginx/html/"),
        "{t}"
    );
    assert!(t.contains("try_files $uri $uri/ /index.html;"), "{t}");
    let mut offline = Config::default();
    offline.images.nginx = "kyozo-base/busybox:latest".into();
    let t = generate(dir.path(), &svc, Some(80), &offline);
    assert!(t.contains("COPY --from=build /app/dist/ /www/"), "{t}");
    svc.build_command = Some("pnpm build".into());
    svc.output_dir = Some("dist/shop/browser".into());
    let t = generate(dir.path(), &svc, Some(80), &Config::default());
    assert!(
        t.contains("RUN corepack enable && pnpm install\nRUN pnpm build\n"),
        "{t}"
    );
    assert!(
        t.contains("COPY --from=build /app/dist/shop/browser/ /usr/share/nginx/html/"),
        "{t}"
    );
    // A Staticfile's root, nothing built.
    let mut site = service("site", ServiceType::Static, Some(80));
    site.output_dir = Some("site".into());
    let t = generate(dir.path(), &site, Some(80), &Config::default());
    assert!(!t.contains("AS build"), "{t}");
    assert!(t.contains("COPY site/ /usr/share/nginx/html/"), "{t}");
}

fn offline() -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/offline-images.toml");
    Config::load(&path).unwrap()
}

#[test]
fn static_sites_on_a_real_nginx_serve_their_own_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<h1>x</h1>").unwrap();
    let svc = service("site", ServiceType::Static, Some(8080));
    for config in [Config::default(), offline()] {
        let t = generate(dir.path(), &svc, Some(8080), &config);
        assert!(
            t.contains(&format!("FROM {}\n", config.images.nginx)),
            "{t}"
        );
        // Debian's default site (root /var/www/html) is gone, ours listens on the port
        assert!(t.contains("rm -f /etc/nginx/sites-enabled/default"), "{t}");
        assert!(t.contains("'    listen 8080;'"), "{t}");
        assert!(t.contains("'    root /usr/share/nginx/html;'"), "{t}");
        assert!(t.contains(">/etc/nginx/conf.d/default.conf"), "{t}");
        assert!(
            t.contains("ln -sf /dev/stdout /var/log/nginx/access.log"),
            "{t}"
        );
        assert!(
            t.contains("ln -sf /dev/stderr /var/log/nginx/error.log"),
            "{t}"
        );
        assert!(
            t.contains("COPY . /usr/share/nginx/html/\nEXPOSE 8080\n"),
            "{t}"
        );
        assert!(
            t.ends_with("CMD [\"nginx\",\"-g\",\"daemon off;\"]\n"),
            "{t}"
        );
        // the configuration step comes first: it stays cached when the files change
        assert!(t.find("RUN ").unwrap() < t.find("COPY ").unwrap(), "{t}");
    }
}

#[test]
fn proxies_run_nginx_in_the_foreground_with_logs_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let full = "events {}\nhttp {\n  server { listen 80; }\n}\n";
    std::fs::write(d.join("nginx.conf"), full).unwrap();
    let mut svc = service("proxy", ServiceType::Proxy, Some(80));
    svc.path = ".".into();
    let p = plan(d, "ws", &svc, &offline()).unwrap();
    let t = p.dockerfile.unwrap();
    assert!(t.contains("FROM kyozo-base/nginx:bookworm\n"), "{t}");
    assert!(t.contains("COPY nginx.conf /etc/nginx/nginx.conf\n"), "{t}");
    assert!(t.contains("rm -f /etc/nginx/sites-enabled/default"), "{t}");
    assert!(
        t.contains("ln -sf /dev/stdout /var/log/nginx/access.log"),
        "{t}"
    );
    assert!(!t.contains("conf.d/default.conf"), "{t}");
    assert!(
        t.ends_with("EXPOSE 80\nCMD [\"nginx\",\"-g\",\"daemon off;\"]\n"),
        "{t}"
    );
    // a configuration that sets `daemon` itself: nginx refuses a second one from -g
    std::fs::write(
        d.join("nginx.conf"),
        format!("daemon off;  # docker\n{full}"),
    )
    .unwrap();
    let t = generate(d, &svc, Some(80), &offline());
    assert!(t.ends_with("CMD [\"nginx\"]\n"), "{t}");
    // a server block alone goes to conf.d, whatever the file is called
    std::fs::remove_file(d.join("nginx.conf")).unwrap();
    std::fs::write(
        d.join("site.conf"),
        "# daemon off is for http\nserver { listen 8088; }\n",
    )
    .unwrap();
    let t = generate(d, &svc, Some(8088), &offline());
    assert!(
        t.contains("COPY site.conf /etc/nginx/conf.d/default.conf\n"),
        "{t}"
    );
    assert!(t.contains("EXPOSE 8088\n"), "{t}");
    assert!(
        t.ends_with("CMD [\"nginx\",\"-g\",\"daemon off;\"]\n"),
        "{t}"
    );
    assert!(sets_daemon("  daemon\ton;"));
    assert!(!sets_daemon("# daemon off;\ndaemonize x;"));
}

#[test]
fn go_builds_offline_on_the_local_toolchain_image() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("go.mod"), "module example.com/w\n\ngo 1.19\n").unwrap();
    let svc = service("worker", ServiceType::Golang, Some(8080));
    let t = generate(d, &svc, Some(8080), &offline());
    assert!(t.contains("FROM kyozo-base/golang:1.19 AS build\n"), "{t}");
    assert!(t.contains("FROM kyozo-base/debian:bookworm\n"), "{t}");
    assert!(
        t.contains("RUN CGO_ENABLED=0 go build -o /out/app .\n"),
        "{t}"
    );
    // no go.sum, no dependencies: nothing is downloaded
    assert!(!t.contains("go mod download"), "{t}");
    std::fs::write(d.join("go.sum"), "").unwrap();
    let t = generate(d, &svc, Some(8080), &offline());
    assert!(
        t.contains("COPY go.mod go.sum ./\nRUN go mod download\n"),
        "{t}"
    );
}

#[test]
fn the_offline_config_names_images_the_base_script_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("assets/base-images.sh")).unwrap();
    let c = offline();
    let defaults = Config::default();
    let images = &c.images;
    for (lang, image, default) in [
        ("python", &images.python, &defaults.images.python),
        ("node", &images.node, &defaults.images.node),
        ("go", &images.go, &defaults.images.go),
        ("runtime", &images.runtime, &defaults.images.runtime),
        ("nginx", &images.nginx, &defaults.images.nginx),
    ] {
        assert_ne!(image, default, "{lang} is set in the offline config");
        assert!(
            script.contains(image.as_str()),
            "base-images.sh builds {image}"
        );
    }
}

#[test]
fn compiled_languages_use_two_stages() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"svc\"\n").unwrap();
    let t = generate(
        dir.path(),
        &service("r", ServiceType::Rust, Some(8080)),
        Some(8080),
        &Config::default(),
    );
    assert!(t.contains("FROM rust:1-slim AS build"), "{t}");
    assert!(t.contains("FROM debian:bookworm-slim"), "{t}");
    assert!(t.contains(r#"CMD ["/app/svc"]"#), "{t}");
}

#[test]
fn settings_override_then_config_then_detection_defaults() {
    let mut cfg = Config::default();
    cfg.limits.memory = "256Mi".into();
    cfg.limits.cpu = "0.25".into();
    cfg.health.interval_s = 5;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("api")).unwrap();
    std::fs::write(
        tmp.path().join("api/.env"),
        "# secrets\nexport API_TOKEN=\"s3cret\"\nPORT=1\nbad line\n",
    )
    .unwrap();
    let mut svc = service("api", ServiceType::Python, Some(8000));
    let p = plan(tmp.path(), "ws", &svc, &cfg).unwrap();
    // the user config beats detection's defaults
    assert_eq!((p.memory.as_str(), p.cpu.as_str()), ("256Mi", "0.25"));
    assert_eq!(p.memory_bytes, 256 * 1024 * 1024);
    assert_eq!(p.health.interval_s, 5);
    assert!(p.health_set);
    let h = p.engine_health().unwrap();
    assert_eq!(h.interval, std::time::Duration::from_secs(5));
    assert_eq!(h.start_period, std::time::Duration::from_secs(5));
    // .env values reach the run env; detection's own PORT wins
    assert!(
        p.env.contains(&("API_TOKEN".into(), "s3cret".into())),
        "{:?}",
        p.env
    );
    assert!(p.env.contains(&("PORT".into(), "8000".into())));
    assert!(!p.env.iter().any(|(k, v)| k == "PORT" && v == "1"));
    // .kyozo.toml wins over the user config
    svc.resource_limits.memory = "1Gi".into();
    svc.health_check.interval_s = 30;
    svc.overrides = vec!["limits".into(), "health".into()];
    let p = plan(tmp.path(), "ws", &svc, &cfg).unwrap();
    assert_eq!(p.memory, "1Gi");
    assert_eq!(p.health.interval_s, 30);
    // nothing set anywhere: the image keeps its own timing
    let p = plan(
        tmp.path(),
        "ws",
        &service("api", ServiceType::Python, Some(8000)),
        &Config::default(),
    )
    .unwrap();
    assert!(!p.health_set && p.engine_health().is_none());
    assert!(
        p.health_text().starts_with("GET /health every 30s"),
        "{}",
        p.health_text()
    );
}

#[test]
fn an_image_healthcheck_is_shown_as_such() {
    assert!(has_healthcheck(
        "FROM x\nHEALTHCHECK --interval=1s CMD true\n"
    ));
    assert!(!has_healthcheck("FROM x\nHEALTHCHECK NONE\n"));
    assert!(!has_healthcheck("FROM x\nRUN echo HEALTHCHECK\n"));
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("c")).unwrap();
    std::fs::write(
        tmp.path().join("c/Dockerfile"),
        "FROM kyozo-base/busybox:latest\nHEALTHCHECK CMD test -f /ok\n",
    )
    .unwrap();
    let svc = service("c", ServiceType::Containerized, Some(80));
    let p = plan(tmp.path(), "ws", &svc, &Config::default()).unwrap();
    assert!(p.image_healthcheck);
    assert_eq!(p.health_text(), "image HEALTHCHECK (its own timing)");
}
