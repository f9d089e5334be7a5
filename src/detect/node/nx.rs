//! Nx projects described by a `project.json` alone (no `package.json` of their own): an application
//! whose build target bundles a Node server, a Next app, or a browser build (static files), and
//! libraries and end-to-end suites, which are not services.
//!
//! The Nx CLI finds its workspace from any folder inside it, so the commands (`npx nx serve <name>`)
//! run from the project's folder; the built files land under the workspace root, so a static
//! project's `output_dir` is not set (it is not inside the folder).

use serde_json::Value;

use super::super::lang;
use super::super::ports::PortSource;
use super::super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// What an Nx project is, from its `project.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Project {
    /// A Node server bundled to `<outputPath>/main.js`.
    Node { main: String },
    /// A Next application.
    Next,
    /// A browser build of static files in `out_dir` (relative to the Nx workspace root, where Nx
    /// writes them).
    Static {
        framework: &'static str,
        out_dir: String,
    },
    /// A library, an end-to-end suite or anything that does not run on its own.
    Other,
}

/// Reads `project.json`.
pub fn project(text: &str) -> Option<(String, Project)> {
    let v: Value = serde_json::from_str(text).ok()?;
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if v.get("projectType").and_then(Value::as_str) == Some("library") {
        return Some((name, Project::Other));
    }
    let targets = v.get("targets").or_else(|| v.get("architect"))?;
    let build = targets.get("build");
    let executor = |t: Option<&Value>| {
        t.and_then(|t| t.get("executor").or_else(|| t.get("builder")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let build_exec = executor(build);
    let serve_exec = executor(targets.get("serve"));
    let output = build
        .and_then(|b| b.pointer("/options/outputPath"))
        .and_then(Value::as_str)
        .map(|p| p.trim_start_matches("./").trim_end_matches('/').to_string())
        .filter(|p| !p.contains(".."));
    let e2e = build_exec.is_empty()
        && targets
            .as_object()
            .is_some_and(|t| t.contains_key("e2e") && t.len() <= 3);
    let p = if e2e {
        Project::Other
    } else if build_exec.contains(":next") || build_exec.contains("/next:") {
        Project::Next
    } else if ["node:", "esbuild:", "webpack:webpack", "rollup:"]
        .iter()
        .any(|k| build_exec.contains(k))
        && (serve_exec.contains("node:")
            || serve_exec.contains("js:node")
            || build_exec.contains("node:"))
    {
        Project::Node {
            main: format!(
                "{}/main.js",
                output.clone().unwrap_or_else(|| "dist".into())
            ),
        }
    } else if let Some(fw) = [
        ("angular", "angular"),
        ("astro", "astro"),
        ("vite", "vite"),
        ("web:", "webpack"),
        ("webpack", "webpack"),
        ("react", "react"),
    ]
    .iter()
    .find(|(k, _)| build_exec.contains(k))
    .map(|(_, f)| *f)
    {
        Project::Static {
            framework: fw,
            out_dir: output.unwrap_or_else(|| "dist".into()),
        }
    } else {
        Project::Other
    };
    Some((name, p))
}

/// The finding of an Nx project folder that has a `project.json` and no `package.json`.
pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let text = lang::read_or_diag(folder, "project.json", diags)?;
    let (name, project) = project(&text)?;
    let name = if name.is_empty() { folder.name() } else { name };
    let mut f = lang::new_finding(
        folder,
        ServiceType::Nodejs,
        Rank::Framework,
        lang::LANGUAGE_CONFIDENCE,
    );
    f.indicator("project.json");
    f.tech("node");
    f.tech("nx");
    match project.clone() {
        Project::Node { .. } | Project::Next => {
            if project == Project::Next {
                f.tech("next");
            }
            f.env.insert("NODE_ENV".into(), "production".into());
            for e in ["src/main.ts", "src/main.js", "src/index.ts"] {
                lang::scan_entry(folder, e, &mut f);
            }
            lang::add_port(&mut f, 3000, PortSource::FrameworkDefault);
            f.build_command = Some(format!("npx nx build {name}"));
            f.start_command = Some(format!("npx nx serve {name} --configuration=production"));
        }
        Project::Static { framework, .. } => {
            f.kind = ServiceType::Static;
            f.tech(framework);
            lang::add_port(&mut f, 80, PortSource::FrameworkDefault);
            f.build_command = Some(format!("npx nx build {name}"));
            f.health_path = Some("/".into());
        }
        Project::Other => f.helper_only = true,
    }
    lang::finish(&mut f, true);
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects() {
        let node = r#"{"projectType":"application","targets":{"build":{"executor":"@nx/webpack:webpack","options":{"outputPath":"dist/apps/api","target":"node"}},"serve":{"executor":"@nx/js:node"}}}"#;
        assert_eq!(
            project(node).unwrap().1,
            Project::Node {
                main: "dist/apps/api/main.js".into()
            }
        );
        let next = r#"{"targets":{"build":{"executor":"@nrwl/next:build"}}}"#;
        assert_eq!(project(next).unwrap().1, Project::Next);
        let web = r#"{"name":"shop","targets":{"build":{"executor":"@nx/vite:build","options":{"outputPath":"dist/apps/shop"}}}}"#;
        assert_eq!(
            project(web).unwrap(),
            (
                "shop".to_string(),
                Project::Static {
                    framework: "vite",
                    out_dir: "dist/apps/shop".into()
                }
            )
        );
        let lib = r#"{"projectType":"library","targets":{"build":{"executor":"@nx/js:tsc"}}}"#;
        assert_eq!(project(lib).unwrap().1, Project::Other);
        let e2e = r#"{"targets":{"e2e":{"executor":"@nx/cypress:cypress"},"lint":{}}}"#;
        assert_eq!(project(e2e).unwrap().1, Project::Other);
        assert!(project("[").is_none());
    }
}
