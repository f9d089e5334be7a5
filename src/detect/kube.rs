//! Kubernetes manifests as dependency evidence. Polyglot demos often keep service addresses only in
//! their manifests (`env: [{name: PRODUCT_CATALOG_SERVICE_ADDR, value: "productcatalogservice:3550"}]`).
//! The workloads (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod) of the YAML files in a
//! manifest folder (a path component containing `k8s` or `kube`, or named `manifests`, `deploy`,
//! `deployment`, `deployments`) are read with their container images and `env` values; the assembly
//! gives that env to the service the workload runs (same name as the workload or its image).
//! Manifests are never services themselves. Templated files (Helm's `{{ }}`) are skipped silently.

use serde_yaml_ng::Value;

use super::folder::Folder;
use super::model::Diagnostic;

/// At most this many manifest files of one folder are read.
const FILE_CAP: usize = 64;
/// At most this many env pairs are kept per workload.
const ENV_CAP: usize = 200;

/// Folder names (whole path components) that hold manifests, besides components containing `k8s` or
/// `kube`.
const MANIFEST_DIRS: &[&str] = &["manifests", "deploy", "deployment", "deployments"];

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

/// One workload of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// `metadata.name`.
    pub name: String,
    /// Images of its containers, in order.
    pub images: Vec<String>,
    /// `name`/`value` env pairs of its containers (values from `valueFrom` are left out).
    pub env: Vec<(String, String)>,
    /// The manifest, workspace-relative.
    pub file: String,
}

/// Whether a workspace-relative folder holds Kubernetes manifests.
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

/// The workloads declared by the YAML files of a manifest folder (none elsewhere).
pub fn workloads(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Vec<Workload> {
    let mut out = Vec::new();
    if !is_manifest_dir(&folder.rel) {
        return out;
    }
    let files = folder
        .files
        .iter()
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        .take(FILE_CAP);
    for file in files {
        let Some(text) = folder.read_opt(file) else {
            continue;
        };
        if !text.contains("containers:") {
            continue;
        }
        // Helm and other templates are not YAML until rendered.
        if text.contains("{{") || text.contains("{%") {
            continue;
        }
        let rel = folder.rel_path(file);
        match parse(&text, &rel) {
            Ok(mut w) => out.append(&mut w),
            Err(msg) => diags.push(Diagnostic::new(rel, format!("{file}: {msg}"))),
        }
    }
    out
}

/// The workloads of one (multi-document) manifest.
pub fn parse(text: &str, rel: &str) -> Result<Vec<Workload>, String> {
    let mut out = Vec::new();
    let docs = super::yaml::documents(text).map_err(|e| format!("invalid YAML: {e}"))?;
    for v in &docs {
        collect(v, rel, &mut out);
    }
    Ok(out)
}

fn collect(v: &Value, rel: &str, out: &mut Vec<Workload>) {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "List" {
        if let Some(Value::Sequence(items)) = v.get("items") {
            for i in items {
                collect(i, rel, out);
            }
        }
        return;
    }
    if !WORKLOADS.contains(&kind) {
        return;
    }
    let Some(name) = v
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
    else {
        return;
    };
    let pod = match kind {
        "Pod" => v.get("spec"),
        "CronJob" => v
            .get("spec")
            .and_then(|s| s.get("jobTemplate"))
            .and_then(|j| j.get("spec"))
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec")),
        _ => v
            .get("spec")
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec")),
    };
    let Some(Value::Sequence(containers)) = pod.and_then(|p| p.get("containers")) else {
        return;
    };
    let mut w = Workload {
        name: name.to_string(),
        images: Vec::new(),
        env: Vec::new(),
        file: rel.to_string(),
    };
    for c in containers {
        if let Some(img) = c.get("image").and_then(scalar) {
            w.images.push(img);
        }
        if let Some(Value::Sequence(env)) = c.get("env") {
            for e in env {
                let (Some(k), Some(val)) = (
                    e.get("name").and_then(scalar),
                    e.get("value").and_then(scalar),
                ) else {
                    continue;
                };
                if w.env.len() < ENV_CAP && !w.env.iter().any(|(x, y)| *x == k && *y == val) {
                    w.env.push((k, val));
                }
            }
        }
    }
    out.push(w);
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
          env:
          - name: PORT
            value: "8080"
          - name: CART_SERVICE_ADDR
            value: "cartservice:7070"
          - name: POD_IP
            valueFrom:
              fieldRef:
                fieldPath: status.podIP
---
apiVersion: v1
kind: Service
metadata:
  name: frontend
spec:
  ports:
  - port: 80
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
    fn workloads_with_images_and_env() {
        let w = parse(FRONTEND, "k8s/frontend.yaml").unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name, "frontend");
        assert_eq!(image_name(&w[0].images[0]), "frontend");
        assert_eq!(
            w[0].env,
            vec![
                ("PORT".to_string(), "8080".to_string()),
                (
                    "CART_SERVICE_ADDR".to_string(),
                    "cartservice:7070".to_string()
                )
            ]
        );
        assert_eq!(w[1].name, "report");
        assert_eq!(w[1].env[0].1, "http://frontend");
        assert_eq!(w[1].file, "k8s/frontend.yaml");
    }

    #[test]
    fn manifest_folders_and_bad_files() {
        assert!(is_manifest_dir("kubernetes-manifests"));
        assert!(is_manifest_dir("K8s/descriptors"));
        assert!(is_manifest_dir("ops/deploy"));
        assert!(!is_manifest_dir("."));
        assert!(!is_manifest_dir("src/frontend"));
        assert!(!is_manifest_dir("deployer"));
        let err = parse("kind: Deployment\nspec: [\n", "k8s/x.yaml").unwrap_err();
        assert!(err.starts_with("invalid YAML"), "{err}");
        assert!(parse("---\n", "k8s/x.yaml").unwrap().is_empty());
        assert_eq!(image_name("redis:alpine"), "redis");
        assert_eq!(image_name("localhost:5000/team/api"), "api");
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
        std::fs::write(k8s.join("broken.yml"), "containers: [\n").unwrap();
        let mut f = Folder::new(&k8s, "k8s");
        for n in ["web.yaml", "api.yaml", "broken.yml"] {
            f.files.insert(n.to_string());
        }
        let mut d = Vec::new();
        let w = workloads(&f, &mut d);
        assert_eq!(w.len(), 2);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "k8s/broken.yml");
        assert!(
            d[0].message.starts_with("broken.yml: invalid YAML"),
            "{d:?}"
        );
        let mut other = f.clone();
        other.rel = "src".to_string();
        assert!(workloads(&other, &mut d).is_empty());
    }
}
