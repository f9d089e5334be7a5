use crate::detect::{DetectOptions, Service, ServiceType, Topology, detect};

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn run(files: &[(&str, &str)]) -> Topology {
    let dir = workspace(files);
    detect(dir.path(), &DetectOptions::default()).unwrap()
}

fn at<'a>(t: &'a Topology, path: &str) -> &'a Service {
    t.services
        .iter()
        .find(|s| s.path == path)
        .unwrap_or_else(|| panic!("no service at {path}: {:#?}", t.services))
}

#[test]
fn a_port_variable_of_a_called_service_is_not_the_members_port() {
    let t = run(&[
        (
            "compose.yaml",
            "services:\n  rec:\n    build: rec\n    ports: [\"9001\"]\n    environment: [REC_PORT=9001, FLAGS_HOST=flags, FLAGS_PORT=8013]\n  worker:\n    build: worker\n    environment: [QUEUE_HOST=q, QUEUE_PORT=5672]\n",
        ),
        (
            "rec/Dockerfile",
            "FROM python:3.12\nCMD [\"python\", \"rec.py\"]\n",
        ),
        ("rec/requirements.txt", "grpcio\n"),
        (
            "rec/rec.py",
            "import os\nflags = Provider(port=os.environ.get('FLAGS_PORT', 8013))\nif __name__ == '__main__':\n    serve(os.environ['REC_PORT'])\n",
        ),
        (
            "worker/Dockerfile",
            "FROM python:3.12\nCMD [\"python\", \"w.py\"]\n",
        ),
        ("worker/requirements.txt", "pika\n"),
        (
            "worker/w.py",
            "import os\nconnect(port=int(os.environ.get('QUEUE_PORT', 5672)))\nif __name__ == '__main__':\n    run()\n",
        ),
    ]);
    assert_eq!(at(&t, "rec").port, Some(9001));
    assert_ne!(at(&t, "worker").port, Some(5672));
}

#[test]
fn a_tool_image_inside_a_service_folder_is_not_deployed() {
    let t = run(&[
        (
            "svc/Dockerfile",
            "FROM golang:1.22\nCOPY . .\nRUN go build -o /svc .\nCMD [\"/svc\"]\n",
        ),
        (
            "svc/gen/Dockerfile",
            "FROM golang:1.22-alpine\nRUN apk add protobuf-dev\n",
        ),
        (
            "tool/Dockerfile",
            "FROM golang:1.22-alpine\nRUN apk add protobuf-dev\n",
        ),
        (
            "svc/web/Dockerfile",
            "FROM nginx:alpine\nCOPY . /usr/share/nginx/html\n",
        ),
    ]);
    let gen_ = at(&t, "svc/gen");
    assert!(!gen_.deployable);
    assert_eq!(gen_.stack, None);
    // Alone it is what it is; an image that serves by default serves.
    assert!(at(&t, "tool").deployable);
    assert!(at(&t, "svc/web").deployable);
}

#[test]
fn a_dev_compose_without_another_signal_stays_a_stack_of_the_enclosing_one() {
    let t = run(&[
        ("compose.yaml", "services:\n  api:\n    build: api\n"),
        (
            "api/docker-compose.yml",
            "services:\n  api:\n    build:\n      context: .\n      dockerfile: ../docker/api.Dockerfile\n",
        ),
    ]);
    let api = at(&t, "api");
    assert_eq!(api.kind, ServiceType::ComposeStack);
    assert!(!api.deployable);
    assert_eq!(api.stack.as_deref(), Some(at(&t, ".").name.as_str()));
    assert_eq!(t.deployment_order.len(), 1);
}

#[test]
fn a_backing_stack_name_never_collides() {
    let t = run(&[
        ("app/go.mod", "module example.test/app\n\ngo 1.22\n"),
        ("app/main.go", "package main\n\nfunc main() {}\n"),
        (
            "app/compose.yaml",
            "services:\n  db:\n    image: postgres:16\n",
        ),
        (
            "app-deps/Dockerfile",
            "FROM alpine\nCMD [\"sleep\", \"1\"]\n",
        ),
        // Mounting the folder itself runs the app: no split.
        ("mounted/requirements.txt", "flask\n"),
        (
            "mounted/app.py",
            "from flask import Flask\napp = Flask(__name__)\n",
        ),
        (
            "mounted/compose.yaml",
            "services:\n  web:\n    image: python:3.12\n    volumes: [\".:/code\"]\n  db:\n    image: postgres:16\n",
        ),
    ]);
    let app = t.service("app").unwrap();
    assert_eq!(app.kind, ServiceType::Golang);
    assert_eq!(app.depends_on, vec!["app-deps-2"]);
    assert_eq!(
        t.service("app-deps-2").unwrap().kind,
        ServiceType::ComposeStack
    );
    assert_eq!(t.service("app-deps").unwrap().path, "app-deps");
    assert_eq!(at(&t, "mounted").kind, ServiceType::ComposeStack);
    assert!(t.service("mounted-deps").is_none());
    // Running the folder's own image runs the app: no split either.
    let t = run(&[
        (
            "blog/Dockerfile",
            "FROM python:3.12\nCMD [\"python\", \"app.py\"]\n",
        ),
        (
            "blog/compose.yaml",
            "services:\n  web:\n    image: acme/blog:1\n  db:\n    image: postgres:16\n",
        ),
    ]);
    assert_eq!(at(&t, "blog").kind, ServiceType::ComposeStack);
    assert_eq!(t.services.len(), 1);
}

#[test]
fn kubernetes_evidence_never_overrides_a_stack_members_port_and_maps_by_workload_name() {
    let t = run(&[
        (
            "compose.yaml",
            "services:\n  api:\n    build: api\n    ports: [\"7000:7000\"]\n",
        ),
        ("api/Dockerfile", "FROM node:20\nCMD [\"node\", \"a.js\"]\n"),
        (
            "worker/Dockerfile",
            "FROM node:20\nCMD [\"node\", \"w.js\"]\n",
        ),
        (
            "k8s/all.yaml",
            "kind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - image: acme/api\n        ports: [{containerPort: 9999}]\n        env: [{name: PORT, value: \"9999\"}]\n---\nkind: Deployment\nmetadata: {name: worker}\nspec:\n  template:\n    spec:\n      containers:\n      - image: private.example/img/unrelated-name\n        env:\n        - {name: API_URL, value: \"http://api:7000\"}\n",
        ),
    ]);
    assert_eq!(at(&t, "api").port, Some(7000));
    let worker = at(&t, "worker");
    assert_eq!(
        worker.env.get("API_URL").map(String::as_str),
        Some("http://api:7000")
    );
    assert_eq!(worker.depends_on, vec!["api"]);
    assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
}

#[test]
fn a_backing_stack_name_stays_a_valid_name() {
    let long = "x".repeat(100);
    let t = run(&[
        (&format!("{long}/requirements.txt"), "flask\n"),
        (
            &format!("{long}/app.py"),
            "from flask import Flask\napp = Flask(__name__)\n",
        ),
        (
            &format!("{long}/compose.yaml"),
            "services:\n  db:\n    image: postgres:16\n",
        ),
    ]);
    let deps = t
        .services
        .iter()
        .find(|s| s.kind == ServiceType::ComposeStack)
        .unwrap();
    assert_eq!(deps.name, format!("{}-deps", "x".repeat(95)));
    assert!(crate::detect::names::is_valid(&deps.name));
}
