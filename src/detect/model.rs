//! The output of detection: the `Topology` of a workspace and the `Service`s in it.
//!
//! These types *are* the JSON contract of `kyozo detect --json` (PRODUCT.md section 3): fields may be
//! added, never renamed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What kind of deployable thing a folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    ComposeStack,
    Containerized,
    Nodejs,
    Python,
    Golang,
    Rust,
    Java,
    Ruby,
    Php,
    Dotnet,
    Elixir,
    Deno,
    Static,
    Proxy,
    Infrastructure,
}

impl ServiceType {
    /// Every type, in precedence order (strongest first).
    pub const ALL: [ServiceType; 15] = [
        ServiceType::ComposeStack,
        ServiceType::Containerized,
        ServiceType::Nodejs,
        ServiceType::Python,
        ServiceType::Golang,
        ServiceType::Rust,
        ServiceType::Java,
        ServiceType::Ruby,
        ServiceType::Php,
        ServiceType::Dotnet,
        ServiceType::Elixir,
        ServiceType::Deno,
        ServiceType::Static,
        ServiceType::Proxy,
        ServiceType::Infrastructure,
    ];

    /// The name used in JSON and in the UI (`compose_stack`, `nodejs`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ComposeStack => "compose_stack",
            ServiceType::Containerized => "containerized",
            ServiceType::Nodejs => "nodejs",
            ServiceType::Python => "python",
            ServiceType::Golang => "golang",
            ServiceType::Rust => "rust",
            ServiceType::Java => "java",
            ServiceType::Ruby => "ruby",
            ServiceType::Php => "php",
            ServiceType::Dotnet => "dotnet",
            ServiceType::Elixir => "elixir",
            ServiceType::Deno => "deno",
            ServiceType::Static => "static",
            ServiceType::Proxy => "proxy",
            ServiceType::Infrastructure => "infrastructure",
        }
    }

    /// A short label for narrow table columns and the tree (`compose`, `docker`, `node`, ...).
    pub fn short(self) -> &'static str {
        match self {
            ServiceType::ComposeStack => "compose",
            ServiceType::Containerized => "docker",
            ServiceType::Nodejs => "node",
            ServiceType::Python => "python",
            ServiceType::Golang => "go",
            ServiceType::Rust => "rust",
            ServiceType::Java => "java",
            ServiceType::Ruby => "ruby",
            ServiceType::Php => "php",
            ServiceType::Dotnet => "dotnet",
            ServiceType::Elixir => "elixir",
            ServiceType::Deno => "deno",
            ServiceType::Static => "static",
            ServiceType::Proxy => "proxy",
            ServiceType::Infrastructure => "terraform",
        }
    }

    /// Whether services of this type are ever deployed (infrastructure is shown only).
    pub fn deployable(self) -> bool {
        !matches!(self, ServiceType::Infrastructure)
    }
}

impl std::fmt::Display for ServiceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Health check defaults (PRODUCT.md section 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: String,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub retries: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            path: "/health".to_string(),
            interval_s: 30,
            timeout_s: 10,
            retries: 3,
        }
    }
}

/// Resource limits in Kubernetes-like notation (`512Mi`, `0.5`, `1Gi`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
    pub memory: String,
    pub cpu: String,
    pub storage: String,
}

impl Default for ResourceLimits {
    fn default() -> Self {
        ResourceLimits {
            memory: "512Mi".to_string(),
            cpu: "0.5".to_string(),
            storage: "1Gi".to_string(),
        }
    }
}

/// Replica bounds and the CPU target of autoscaling (PRODUCT.md section 2: min 1, max 3, 70 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    /// Target average CPU, percent of the service's CPU limit.
    pub target_cpu: u32,
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            min: 1,
            max: 3,
            target_cpu: 70,
        }
    }
}

/// Workspace-wide deploy settings from the overrides file (`.kyozo.toml` `[deploy]`); `None` where
/// the file does not say, so the user config or the default applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeploySettings {
    /// `engine` or `swarm`.
    pub target: Option<String>,
    /// `host:port[/prefix]` of an image registry.
    pub registry: Option<String>,
    /// `ingress` or `host` (Swarm published ports).
    pub publish: Option<String>,
}

/// One service of a compose stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Member {
    pub name: String,
    /// The image it runs, when it names one.
    pub image: Option<String>,
    /// Its build context, workspace-relative with `/` separators, when it builds one.
    pub build: Option<String>,
    /// The folder whose image this member runs when it names an `image` that the repository builds
    /// (the image's last path segment equals the folder name, or the folder's Maven/Gradle image
    /// build produces it), workspace-relative: `up` builds it under `image` before the stack starts.
    #[serde(default)]
    pub source: Option<String>,
    /// Container ports it listens on.
    pub ports: Vec<u16>,
    /// Published host ports (`"8080:80"` gives 8080), in the order of `ports` where known.
    #[serde(default)]
    pub published: Vec<u16>,
    /// Names of the stack services it depends on.
    pub depends_on: Vec<String>,
    /// The `depends_on` condition per dependency (`service_started`, `service_healthy`, ...).
    #[serde(default)]
    pub conditions: BTreeMap<String, String>,
    /// Whether the member defines a healthcheck.
    #[serde(default)]
    pub healthcheck: bool,
    /// Workspace folders it bind-mounts (`./nginx/nginx.conf:/etc/nginx/conf.d/default.conf` gives
    /// `nginx`), workspace-relative with `/` separators: they are part of the stack.
    #[serde(default)]
    pub mounts: Vec<String>,
}

/// Why one service depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Declared (compose `depends_on`): ordering must respect it.
    Hard,
    /// Inferred (env values, code literals, proxy targets): respected unless it closes a cycle.
    Soft,
}

/// One dependency edge with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub name: String,
    pub kind: EdgeKind,
    /// Where it was found, e.g. `env AUTH_URL=http://auth:8081` or `nginx proxy_pass http://api`.
    pub evidence: String,
}

/// A deployable (or shown) folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    /// Workspace-relative with `/` separators; `.` for the root.
    pub path: String,
    #[serde(rename = "type")]
    pub kind: ServiceType,
    pub confidence: f64,
    pub indicators: Vec<String>,
    pub technologies: Vec<String>,
    pub port: Option<u16>,
    pub ports: Vec<u16>,
    pub start_command: Option<String>,
    pub env: BTreeMap<String, String>,
    pub health_check: HealthCheck,
    pub resource_limits: ResourceLimits,
    /// Names of the services (or stack members) this one depends on, hard and soft.
    pub depends_on: Vec<String>,
    pub deployable: bool,
    pub members: Vec<Member>,
    /// The compose stack that builds this folder, when it is a member's build context.
    pub stack: Option<String>,
    /// The Dockerfile or Containerfile in the folder, when there is one.
    #[serde(default)]
    pub dockerfile: Option<String>,
    /// Every dependency with its kind and evidence.
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
    /// Replica bounds and CPU target.
    #[serde(default)]
    pub scaling: Scaling,
    /// Whether kyozo scales this service on CPU (off unless turned on).
    #[serde(default)]
    pub autoscale: bool,
    /// The fields set by the workspace's overrides file (`port`, `limits`, `health`, ...), which
    /// win over detection and over the user config's defaults.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// The command that builds the service's files before it is served (`npm run build` for a
    /// frontend that builds to static files), run in the folder; `None` when nothing is built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_command: Option<String>,
    /// The folder, relative to the service's, that holds the files a static site serves once
    /// built (`dist`, `build`, `out`); `None` when the folder itself is served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_dir: Option<String>,
}

impl Service {
    /// A service of `kind` at `path` with the default health check and limits (PRODUCT.md section 2)
    /// and no evidence yet; deployable unless its type never is.
    pub fn new(
        name: impl Into<String>,
        path: impl Into<String>,
        kind: ServiceType,
        confidence: f64,
    ) -> Self {
        Service {
            name: name.into(),
            path: path.into(),
            kind,
            confidence,
            indicators: Vec::new(),
            technologies: Vec::new(),
            port: None,
            ports: Vec::new(),
            start_command: None,
            env: BTreeMap::new(),
            health_check: HealthCheck::default(),
            resource_limits: ResourceLimits::default(),
            depends_on: Vec::new(),
            deployable: kind.deployable(),
            members: Vec::new(),
            stack: None,
            dockerfile: None,
            dependencies: Vec::new(),
            scaling: Scaling::default(),
            autoscale: false,
            overrides: Vec::new(),
            build_command: None,
            output_dir: None,
        }
    }

    /// Whether the overrides file set this field (`port`, `limits`, `health`, `scaling`, ...).
    pub fn overridden(&self, field: &str) -> bool {
        self.overrides.iter().any(|f| f == field)
    }
}

/// Something detection could not read or understand; never fatal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Workspace-relative path of the file or folder concerned.
    pub path: String,
    pub message: String,
}

impl Diagnostic {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The result of analysing a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// Absolute, canonical path of the workspace.
    pub workspace: String,
    pub services: Vec<Service>,
    /// Waves of deployable service names; a wave's services can deploy in parallel.
    pub deployment_order: Vec<Vec<String>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Deploy settings of the workspace's overrides file.
    #[serde(default)]
    pub deploy: DeploySettings,
}

impl Topology {
    /// The service with this name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }
}
