//! Compose stacks run by the engine's compose tool (`docker compose` or `docker-compose`).

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::plan::ComposePlan;
use crate::runtime::{Endpoint, Target};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("no compose tool found (install the docker compose plugin or docker-compose)")]
    NoTool,
    #[error("{tool} {action} failed: {message}")]
    Failed {
        tool: String,
        action: String,
        message: String,
    },
}

/// The compose command line prefix: `["docker", "compose"]` or `["docker-compose"]`.
pub async fn tool() -> Result<Vec<String>, ComposeError> {
    let plugin = Command::new("docker")
        .args(["compose", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if plugin {
        return Ok(vec!["docker".into(), "compose".into()]);
    }
    let v1 = Command::new("docker-compose")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if v1 {
        Ok(vec!["docker-compose".into()])
    } else {
        Err(ComposeError::NoTool)
    }
}

/// Runs `compose -p <project> -f <file> <args...>` in the stack folder against `endpoint`.
pub async fn run(
    plan: &ComposePlan,
    dir: &Path,
    endpoint: &Endpoint,
    args: &[&str],
) -> Result<String, ComposeError> {
    let tool = tool().await?;
    let mut cmd = Command::new(&tool[0]);
    cmd.args(&tool[1..])
        .arg("-p")
        .arg(&plan.project)
        .arg("-f")
        .arg(&plan.file)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        // offline: the classic builder, no BuildKit frontend to fetch
        .env("DOCKER_BUILDKIT", "0")
        .env("COMPOSE_DOCKER_CLI_BUILD", "0");
    match &endpoint.target {
        Target::Unix(p) => {
            cmd.env("DOCKER_HOST", format!("unix://{}", p.display()));
        }
        Target::Tcp(a) => {
            cmd.env("DOCKER_HOST", format!("tcp://{a}"));
        }
        Target::Tls { addr, cert_dir } => {
            cmd.env("DOCKER_HOST", format!("tcp://{addr}"))
                .env("DOCKER_TLS_VERIFY", "1")
                .env("DOCKER_CERT_PATH", cert_dir);
        }
        Target::Ssh(_) => {}
    }
    let action = args.first().copied().unwrap_or_default().to_string();
    let out = cmd.output().await.map_err(|e| ComposeError::Failed {
        tool: tool.join(" "),
        action: action.clone(),
        message: e.to_string(),
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(stderr)
    } else {
        let message = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" / ");
        Err(ComposeError::Failed {
            tool: tool.join(" "),
            action,
            message: if message.is_empty() {
                format!("exit status {}", out.status)
            } else {
                message
            },
        })
    }
}
