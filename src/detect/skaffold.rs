//! `skaffold.yaml`: each build artifact names an image and the folder it is built from (`context`,
//! relative to the file; the file's folder when absent), in the main configuration and in its
//! profiles, in every document of the file. The assembly ([`super::evidence`]) uses these to map the
//! images of Kubernetes manifests and compose members to folders.

use serde_yaml_ng::Value;

use super::compose::join_rel;
use super::folder::Folder;
use super::lang;
use super::model::Diagnostic;

/// The file skaffold reads (without `-f`).
const FILES: &[&str] = &["skaffold.yaml"];
/// At most this many artifacts are kept per file.
const CAP: usize = 256;

/// An image and the folder it is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The image as named (`emailservice`, `gcr.io/p/api`).
    pub image: String,
    /// The build context, workspace-relative.
    pub dir: String,
    /// The file it was read from, workspace-relative.
    pub file: String,
}

/// The build artifacts of the folder's `skaffold.yaml`.
pub fn artifacts(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Vec<Artifact> {
    let Some(file) = FILES.iter().copied().find(|f| folder.has(f)) else {
        return Vec::new();
    };
    let Some(text) = lang::read_or_diag(folder, file, diags) else {
        return Vec::new();
    };
    match parse(&text, &folder.rel, &folder.rel_path(file)) {
        Ok(a) => a,
        Err(msg) => {
            diags.push(lang::diag(folder, file, format!("{file}: {msg}")));
            Vec::new()
        }
    }
}

/// The artifacts of skaffold YAML text; `rel` is the file's folder, `file` the file (both
/// workspace-relative).
pub fn parse(text: &str, rel: &str, file: &str) -> Result<Vec<Artifact>, String> {
    let mut out = Vec::new();
    let docs = super::yaml::documents(text).map_err(|e| format!("invalid YAML: {e}"))?;
    for v in &docs {
        collect(v.get("build"), rel, file, &mut out);
        if let Some(Value::Sequence(profiles)) = v.get("profiles") {
            for p in profiles {
                collect(p.get("build"), rel, file, &mut out);
            }
        }
    }
    Ok(out)
}

fn collect(build: Option<&Value>, rel: &str, file: &str, out: &mut Vec<Artifact>) {
    let Some(Value::Sequence(items)) = build.and_then(|b| b.get("artifacts")) else {
        return;
    };
    for a in items {
        let Some(image) = a.get("image").and_then(Value::as_str) else {
            continue;
        };
        let ctx = a.get("context").and_then(Value::as_str).unwrap_or(".");
        let Some(dir) = join_rel(rel, ctx) else {
            continue;
        };
        let art = Artifact {
            image: image.to_string(),
            dir,
            file: file.to_string(),
        };
        if out.len() < CAP && !out.contains(&art) {
            out.push(art);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_of_configs_and_profiles() {
        let text = r#"
apiVersion: skaffold/v4beta6
kind: Config
build:
  artifacts:
  - image: ledger
    context: services/ledger
  - image: gcr.io/acme/web
    context: ./web
    docker: {dockerfile: Dockerfile.prod}
  - image: root-tool
profiles:
- name: debug
  build:
    artifacts:
    - image: ledger
      context: services/ledger
    - image: outside
      context: ../../x
---
apiVersion: skaffold/v4beta6
kind: Config
build:
  artifacts:
  - image: worker
    context: jobs/worker
"#;
        let a = parse(text, "deploy", "deploy/skaffold.yaml").unwrap();
        let pairs: Vec<(&str, &str)> = a
            .iter()
            .map(|x| (x.image.as_str(), x.dir.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("ledger", "deploy/services/ledger"),
                ("gcr.io/acme/web", "deploy/web"),
                ("root-tool", "deploy"),
                ("worker", "deploy/jobs/worker"),
            ]
        );
        assert!(parse("build: [\n", ".", "skaffold.yaml").is_err());
        assert!(parse("", ".", "skaffold.yaml").unwrap().is_empty());
    }
}
