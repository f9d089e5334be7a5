//! Kubernetes manifests as evidence. Polyglot demos often keep service addresses, ports and settings
//! only in their manifests (`env: [{name: PRODUCT_CATALOG_SERVICE_ADDR, value:
//! "productcatalogservice:3550"}]`). The YAML files of a manifest folder (a path component containing
//! `k8s` or `kube`, or named `manifests`, `deploy`, `deployment`, `deployments`, `kustomize`,
//! `openshift`, or a folder with a `kustomization.yaml`) are read, every document of them: workloads
//! (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) with each container's image,
//! `containerPort`s, `env` (values, and `configMapKeyRef`s) and `envFrom` ConfigMaps; ConfigMaps with
//! their data; Services with their selectors. The assembly ([`super::evidence`]) gives a container's
//! facts to the folder its image is built from. Manifests are never services themselves. Templated
//! files (Helm's `{{ }}`) are not YAML until rendered and are skipped.

use serde_yaml_ng::Value;

use super::folder::Folder;
use super::model::Diagnostic;

/// At most this many manifest files of one folder are read.
const FILE_CAP: usize = 64;
/// At most this many env pairs are kept per container, and data pairs per ConfigMap.
const ENV_CAP: usize = 200;

/// Folder names (whole path components) that hold manifests, besides components containing `k8s` or
/// `kube`.
const MANIFEST_DIRS: &[&str] = &[
    "manifests",
    "deploy",
    "deployment",
    "deployments",
    "kustomize",
    "openshift",
];

/// Kustomize's file names: a folder holding one is a manifest folder wherever it lies (the rare
/// `Kustomization` spelling counts inside manifest folders only, one lookup less per folder).
const KUSTOMIZATION: &[&str] = &["kustomization.yaml", "kustomization.yml"];

/// Workload kinds whose pod template runs containers.
const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// Where an env value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// `value: "..."`.
    Literal(String),
    /// `valueFrom: {configMapKeyRef: {name, key}}`.
    ConfigMapKey { map: String, key: String },
}

/// One container of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Container {
    pub image: String,
    /// `ports[].containerPort`, in order.
    pub ports: Vec<u16>,
    /// `env` entries in order (values from secrets and field references are left out).
    pub env: Vec<(String, EnvValue)>,
    /// Names of the ConfigMaps of its `envFrom`.
    pub env_from: Vec<String>,
}

/// One workload of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// `metadata.name`.
    pub name: String,
    /// Labels of its pods (what a Service selects).
    pub labels: Vec<(String, String)>,
    /// Its containers (init containers are left out), in order.
    pub containers: Vec<Container>,
    /// The manifest, workspace-relative.
    pub file: String,
}

/// A ConfigMap: its `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMap {
    pub name: String,
    pub data: Vec<(String, String)>,
    pub file: String,
}

/// A Service: the host name other pods reach the workloads it selects by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeService {
    pub name: String,
    pub selector: Vec<(String, String)>,
    pub file: String,
}

/// Everything read from the manifests of one folder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifests {
    pub workloads: Vec<Workload>,
    pub config_maps: Vec<ConfigMap>,
    pub services: Vec<KubeService>,
}

impl Manifests {
    pub fn is_empty(&self) -> bool {
        self.workloads.is_empty() && self.config_maps.is_empty() && self.services.is_empty()
    }
}

/// Whether a workspace-relative folder holds Kubernetes manifests (by its path).
pub fn is_manifest_dir(rel: &str) -> bool {
    let contains = |c: &str, needle: &str| {
        c.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    rel != "."
        && rel.split('/').any(|c| {
            contains(c, "k8s")
                || contains(c, "kube")
                || MANIFEST_DIRS.iter().any(|d| c.eq_ignore_ascii_case(d))
        })
}

/// What the YAML files of a manifest folder declare (nothing elsewhere).
pub fn manifests(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Manifests {
    let mut out = Manifests::default();
    let kustomized = || KUSTOMIZATION.iter().any(|k| folder.has(k));
    if !is_manifest_dir(&folder.rel) && !kustomized() {
        return out;
    }
    let files = folder
        .files
        .iter()
        .filter(|f| {
            (f.ends_with(".yaml") || f.ends_with(".yml")) && !KUSTOMIZATION.contains(&f.as_str())
        })
        .take(FILE_CAP);
    for file in files {
        let Some(text) = folder.read_opt(file) else {
            continue;
        };
        if !text.contains("kind:") {
            continue;
        }
        // Helm and other templates are not YAML until rendered.
        if text.contains("{{") || text.contains("{%") {
            continue;
        }
        let rel = folder.rel_path(file);
        match parse(&text, &rel) {
            Ok(m) => {
                out.workloads.extend(m.workloads);
                out.config_maps.extend(m.config_maps);
                out.services.extend(m.services);
            }
            Err(msg) => diags.push(Diagnostic::new(rel, format!("{file}: {msg}"))),
        }
    }
    out
}

/// Everything one (multi-document) manifest declares.
pub fn parse(text: &str, rel: &str) -> Result<Manifests, String> {
    let mut out = Manifests::default();
    let docs = super::yaml::documents(text).map_err(|e| format!("invalid YAML: {e}"))?;
    for v in &docs {
        collect(v, rel, &mut out);
    }
    Ok(out)
}

fn collect(v: &Value, rel: &str, out: &mut Manifests) {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "List" {
        if let Some(Value::Sequence(items)) = v.get("items") {
            for i in items {
                collect(i, rel, out);
            }
        }
        return;
    }
    let Some(name) = v
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
    else {
        return;
    };
    match kind {
        "ConfigMap" => {
            out.config_maps.push(ConfigMap {
                name: name.to_string(),
                data: pairs(v.get("data")),
                file: rel.to_string(),
            });
            return;
        }
        "Service" => {
            out.services.push(KubeService {
                name: name.to_string(),
                selector: pairs(v.get("spec").and_then(|s| s.get("selector"))),
                file: rel.to_string(),
            });
            return;
        }
        k if WORKLOADS.contains(&k) => {}
        _ => return,
    }
    let template = match kind {
        "Pod" => Some(v),
        "CronJob" => v
            .get("spec")
            .and_then(|s| s.get("jobTemplate"))
            .and_then(|j| j.get("spec"))
            .and_then(|s| s.get("template")),
        _ => v.get("spec").and_then(|s| s.get("template")),
    };
    let labels = pairs(
        template
            .and_then(|t| t.get("metadata"))
            .and_then(|m| m.get("labels")),
    );
    let Some(Value::Sequence(containers)) = template
        .and_then(|t| t.get("spec"))
        .and_then(|p| p.get("containers"))
    else {
        return;
    };
    let mut w = Workload {
        name: name.to_string(),
        labels,
        containers: Vec::new(),
        file: rel.to_string(),
    };
    for c in containers {
        w.containers.push(container(c));
    }
    out.workloads.push(w);
}

fn container(c: &Value) -> Container {
    let mut out = Container {
        image: c.get("image").and_then(scalar).unwrap_or_default(),
        ..Container::default()
    };
    if let Some(Value::Sequence(ports)) = c.get("ports") {
        for p in ports {
            if let Some(n) = p
                .get("containerPort")
                .and_then(scalar)
                .and_then(|s| super::ports::parse_port(&s))
                && !out.ports.contains(&n)
            {
                out.ports.push(n);
            }
        }
    }
    if let Some(Value::Sequence(env)) = c.get("env") {
        for e in env {
            let Some(k) = e.get("name").and_then(scalar) else {
                continue;
            };
            let value = if let Some(val) = e.get("value").and_then(scalar) {
                EnvValue::Literal(val)
            } else if let Some(r) = e.get("valueFrom").and_then(|f| f.get("configMapKeyRef")) {
                let (Some(map), Some(key)) = (
                    r.get("name").and_then(scalar),
                    r.get("key").and_then(scalar),
                ) else {
                    continue;
                };
                EnvValue::ConfigMapKey { map, key }
            } else {
                continue;
            };
            if out.env.len() < ENV_CAP && !out.env.iter().any(|(x, y)| *x == k && *y == value) {
                out.env.push((k, value));
            }
        }
    }
    if let Some(Value::Sequence(from)) = c.get("envFrom") {
        for f in from {
            if let Some(n) = f
                .get("configMapRef")
                .and_then(|r| r.get("name"))
                .and_then(scalar)
                && !out.env_from.contains(&n)
            {
                out.env_from.push(n);
            }
        }
    }
    out
}

/// The scalar pairs of a mapping (`data`, `labels`, `selector`), at most [`ENV_CAP`].
fn pairs(v: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Mapping(m)) = v else {
        return Vec::new();
    };
    m.iter()
        .filter_map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
        .take(ENV_CAP)
        .collect()
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The name an image is known by in a workspace: its repository's last path component without
/// registry, tag or digest (`us-docker.pkg.dev/p/r/frontend:v1` gives `frontend`).
pub fn image_name(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    let repo = last.split(':').next().unwrap_or(last);
    repo.to_ascii_lowercase()
}

/// An image reference without its tag or digest, lower-cased (`gcr.io/p/cart:v1` gives
/// `gcr.io/p/cart`; a registry port stays: `localhost:5000/api`).
pub fn image_repo(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let (head, last) = match no_digest.rsplit_once('/') {
        Some((h, l)) => (Some(h), l),
        None => (None, no_digest),
    };
    let last = last.split(':').next().unwrap_or(last);
    match head {
        Some(h) => format!("{h}/{last}"),
        None => last.to_string(),
    }
    .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRONTEND: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: wait
        image: busybox
        env:
        - name: IGNORED_ADDR
          value: "init:1"
      containers:
        - name: server
          image: us-central1-docker.pkg.dev/demo/frontend:v0.10.1@sha256:abc
          ports:
          - containerPort: 8080
          env:
          - name: PORT
            value: "8080"
          - name: CART_SERVICE_ADDR
            value: "cartservice:7070"
          - name: POD_IP
            valueFrom:
              fieldRef:
                fieldPath: status.podIP
          - name: LEDGER_ADDR
            valueFrom:
              configMapKeyRef: {name: addrs, key: LEDGER}
          envFrom:
          - configMapRef: {name: shared}
          - secretRef: {name: creds}
---
apiVersion: v1
kind: Service
metadata:
  name: storefront
spec:
  selector: {app: web}
  ports:
  - port: 80
---
apiVersion: v1
kind: ConfigMap
metadata: {name: shared}
data:
  DB_HOST: accounts-db
  RETRIES: 3
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: r
            image: report
            env:
            - name: API_URL
              value: http://frontend
"#;

    #[test]
    fn workloads_config_maps_and_services() {
        let m = parse(FRONTEND, "k8s/frontend.yaml").unwrap();
        assert_eq!(m.workloads.len(), 2);
        let w = &m.workloads[0];
        assert_eq!(w.name, "frontend");
        assert_eq!(w.labels, vec![("app".to_string(), "web".to_string())]);
        assert_eq!(w.containers.len(), 1);
        let c = &w.containers[0];
        assert_eq!(image_name(&c.image), "frontend");
        assert_eq!(
            image_repo(&c.image),
            "us-central1-docker.pkg.dev/demo/frontend"
        );
        assert_eq!(c.ports, vec![8080]);
        assert_eq!(
            c.env,
            vec![
                ("PORT".to_string(), EnvValue::Literal("8080".to_string())),
                (
                    "CART_SERVICE_ADDR".to_string(),
                    EnvValue::Literal("cartservice:7070".to_string())
                ),
                (
                    "LEDGER_ADDR".to_string(),
                    EnvValue::ConfigMapKey {
                        map: "addrs".to_string(),
                        key: "LEDGER".to_string()
                    }
                ),
            ]
        );
        assert_eq!(c.env_from, vec!["shared"]);
        assert_eq!(m.workloads[1].name, "report");
        assert_eq!(m.workloads[1].file, "k8s/frontend.yaml");
        assert_eq!(m.services[0].name, "storefront");
        assert_eq!(m.services[0].selector, w.labels);
        assert_eq!(m.config_maps[0].name, "shared");
        assert_eq!(
            m.config_maps[0].data,
            vec![
                ("DB_HOST".to_string(), "accounts-db".to_string()),
                ("RETRIES".to_string(), "3".to_string())
            ]
        );
    }

    #[test]
    fn manifest_folders_and_bad_files() {
        assert!(is_manifest_dir("kubernetes-manifests"));
        assert!(is_manifest_dir("K8s/descriptors"));
        assert!(is_manifest_dir("ops/deploy"));
        assert!(is_manifest_dir("kustomize/base"));
        assert!(!is_manifest_dir("."));
        assert!(!is_manifest_dir("src/frontend"));
        assert!(!is_manifest_dir("deployer"));
        let err = parse("kind: Deployment\nspec: [\n", "k8s/x.yaml").unwrap_err();
        assert!(err.starts_with("invalid YAML"), "{err}");
        assert!(parse("---\n", "k8s/x.yaml").unwrap().is_empty());
        assert_eq!(image_name("redis:alpine"), "redis");
        assert_eq!(image_name("localhost:5000/team/api"), "api");
        assert_eq!(
            image_repo("localhost:5000/team/api:2"),
            "localhost:5000/team/api"
        );
        assert_eq!(image_repo("Redis:7"), "redis");
    }

    #[test]
    fn templates_are_skipped_and_other_folders_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let k8s = dir.path().join("k8s");
        std::fs::create_dir(&k8s).unwrap();
        std::fs::write(
            k8s.join("web.yaml"),
            "kind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - image: {{ .Values.image }}\n",
        )
        .unwrap();
        std::fs::write(k8s.join("api.yaml"), FRONTEND).unwrap();
        std::fs::write(k8s.join("broken.yml"), "kind: [\n").unwrap();
        let mut f = Folder::new(&k8s, "k8s");
        for n in ["web.yaml", "api.yaml", "broken.yml"] {
            f.files.insert(n.to_string());
        }
        let mut d = Vec::new();
        let m = manifests(&f, &mut d);
        assert_eq!(m.workloads.len(), 2);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "k8s/broken.yml");
        assert!(
            d[0].message.starts_with("broken.yml: invalid YAML"),
            "{d:?}"
        );
        let mut other = f.clone();
        other.rel = "src".to_string();
        assert!(manifests(&other, &mut d).is_empty());
        // A kustomization makes any folder a manifest folder.
        other.files.insert("kustomization.yaml".to_string());
        assert_eq!(manifests(&other, &mut d).workloads.len(), 2);
    }
}
