//! The user's configuration file, `$XDG_CONFIG_HOME/kyozo/config.toml` (PRODUCT.md section 7).
//! Every section is optional; unknown keys are an error that names the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::detect::{HealthCheck, ResourceLimits};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Base images per language for generated Dockerfiles.
    pub images: Images,
    /// Default resource limits for services.
    pub limits: Limits,
    /// Health check defaults.
    pub health: Health,
    /// Cockpit behaviour.
    pub ui: Ui,
    /// Key bindings: action name to key (`deploy = "d"`, `quit = "ctrl-c"`). Partial; the rest keep
    /// their defaults.
    pub keys: BTreeMap<String, String>,
}

/// Base images (`[images]`). Every image must exist locally or be pullable.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Images {
    pub node: String,
    pub python: String,
    pub go: String,
    pub rust: String,
    pub java: String,
    pub ruby: String,
    pub php: String,
    pub dotnet: String,
    pub elixir: String,
    pub deno: String,
    /// Static sites and nginx proxies.
    pub nginx: String,
    /// The runtime stage of compiled languages (Go, Rust).
    pub runtime: String,
}

impl Default for Images {
    fn default() -> Self {
        Images {
            node: "node:20-slim".into(),
            python: "python:3.12-slim".into(),
            go: "golang:1.22".into(),
            rust: "rust:1-slim".into(),
            java: "eclipse-temurin:21".into(),
            ruby: "ruby:3.3-slim".into(),
            php: "php:8.3-cli".into(),
            dotnet: "mcr.microsoft.com/dotnet/sdk:8.0".into(),
            elixir: "elixir:1.16".into(),
            deno: "denoland/deno:latest".into(),
            nginx: "nginx:alpine".into(),
            runtime: "debian:bookworm-slim".into(),
        }
    }
}

/// Default resource limits (`[limits]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub memory: String,
    pub cpu: String,
    pub storage: String,
}

impl Default for Limits {
    fn default() -> Self {
        let d = ResourceLimits::default();
        Limits {
            memory: d.memory,
            cpu: d.cpu,
            storage: d.storage,
        }
    }
}

/// Health check defaults (`[health]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Health {
    pub path: String,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub retries: u32,
}

impl Default for Health {
    fn default() -> Self {
        let d = HealthCheck::default();
        Health {
            path: d.path,
            interval_s: d.interval_s,
            timeout_s: d.timeout_s,
            retries: d.retries,
        }
    }
}

/// Cockpit settings (`[ui]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ui {
    /// Lines kept per service in the log buffer.
    pub log_buffer_lines: usize,
    /// Seconds between stats samples of running services.
    pub stats_interval_s: u64,
    /// Mouse capture at start (toggle with a key).
    pub mouse: bool,
    /// `default` or `mono`; `NO_COLOR` forces `mono`.
    pub theme: String,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            log_buffer_lines: 10_000,
            stats_interval_s: 2,
            mouse: true,
            theme: "default".into(),
        }
    }
}

impl Config {
    /// `KYOZO_CONFIG` when set, else `$XDG_CONFIG_HOME/kyozo/config.toml`, else
    /// `~/.config/kyozo/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("KYOZO_CONFIG").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(p));
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("kyozo").join("config.toml"))
    }

    /// Parses configuration text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })
    }

    /// Loads the file at `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Loads the default config file (or the defaults when there is none).
    pub fn load_default() -> Result<Config, ConfigError> {
        match Config::default_path() {
            Some(p) => Config::load(&p),
            None => Ok(Config::default()),
        }
    }

    /// The resource limits services get by default.
    pub fn resource_limits(&self) -> ResourceLimits {
        ResourceLimits {
            memory: self.limits.memory.clone(),
            cpu: self.limits.cpu.clone(),
            storage: self.limits.storage.clone(),
        }
    }

    /// The health check services get by default.
    pub fn health_check(&self) -> HealthCheck {
        HealthCheck {
            path: self.health.path.clone(),
            interval_s: self.health.interval_s,
            timeout_s: self.health.timeout_s,
            retries: self.health.retries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("", Path::new("c.toml")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn partial_sections_keep_other_defaults() {
        let c = Config::parse(
            "[images]\nnode = \"kyozo-base/node:1\"\n[ui]\nlog_buffer_lines = 500\n[keys]\ndeploy = \"D\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.images.node, "kyozo-base/node:1");
        assert_eq!(c.images.python, Images::default().python);
        assert_eq!(c.ui.log_buffer_lines, 500);
        assert_eq!(c.keys.get("deploy").map(String::as_str), Some("D"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::parse("[images]\nnodejs = \"x\"\n", Path::new("c.toml")).unwrap_err();
        assert!(e.to_string().contains("nodejs"), "{e}");
        let e = Config::parse("colour = 1\n", Path::new("c.toml")).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }
}
