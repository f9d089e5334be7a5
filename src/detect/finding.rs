//! What one ecosystem analyzer reports about one folder. The detection core combines the findings of
//! all analyzers for a folder (precedence, confidence, merged evidence) into one `Service`.

use std::collections::BTreeMap;

use super::model::{Diagnostic, Member, ServiceType};
use super::ports::PortHint;

/// How strongly a finding claims the folder, strongest first. The core picks the finding with the
/// highest rank; weaker findings still contribute technologies, ports, env and dependency evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rank {
    Infrastructure = 1,
    Proxy = 2,
    /// A static site (`index.html`) with nothing else.
    Static = 3,
    /// A language manifest without a recognised framework.
    Language = 4,
    /// A language manifest with a recognised (web) framework.
    Framework = 5,
    Dockerfile = 6,
    Compose = 7,
}

/// One analyzer's report on one folder.
#[derive(Debug, Clone)]
pub struct Finding {
    pub kind: ServiceType,
    pub rank: Rank,
    /// Base confidence of the signal plus agreeing evidence (0.0..=1.0).
    pub confidence: f64,
    /// Files that triggered the finding, folder-relative (`package.json`, `Dockerfile`).
    pub indicators: Vec<String>,
    /// Language or runtime first (`node`, `python`, ...), then frameworks (`express`, ...).
    pub technologies: Vec<String>,
    /// Port evidence with its precedence source.
    pub ports: Vec<PortHint>,
    pub start_command: Option<String>,
    /// The command that builds the files a static site serves (`npm run build`), when built.
    pub build_command: Option<String>,
    /// Where the built files land, relative to the folder (`dist`).
    pub output_dir: Option<String>,
    /// Environment defaults the service should get (`NODE_ENV=production`, ...).
    pub env: BTreeMap<String, String>,
    /// `KEY=value` pairs seen in configuration (env files, compose `environment`, Dockerfile `ENV`):
    /// dependency evidence, not necessarily defaults.
    pub env_evidence: Vec<(String, String)>,
    /// Host names found as literals in entry code (`http://auth:8081` gives `auth`).
    pub code_hosts: Vec<String>,
    /// Upstream host names of a proxy (`proxy_pass http://api:4000` gives `api`).
    pub proxy_targets: Vec<String>,
    /// Health check path when the code or config names one (`/healthz`).
    pub health_path: Option<String>,
    /// The Dockerfile/Containerfile name when the folder has one that parses.
    pub dockerfile: Option<String>,
    /// Compose members, for compose stacks.
    pub members: Vec<Member>,
    /// Folders (relative to this one) that the Dockerfile copies into its image: a service found
    /// there is part of this one.
    pub copies: Vec<String>,
    /// Folders (relative to this one) that are part of this service, not services of their own:
    /// workspace members it depends on as libraries (a uv workspace root's members named in its
    /// dependencies), page folders of a PHP site.
    pub parts: Vec<String>,
    /// Environment variables the entry code reads its own listening port from (`FLASK_SERVER_PORT`):
    /// a value set for one of them in compose or a Dockerfile is the port.
    pub port_vars: Vec<String>,
    /// Container images the folder's own build produces (a Maven/Gradle image build: Jib, Spring
    /// Boot `build-image`), as named there (`acme/orders:1.0`).
    pub images: Vec<String>,
    /// True for a Dockerfile whose image starts nothing and listens on nothing (no `CMD`,
    /// `ENTRYPOINT`, `EXPOSE` or `HEALTHCHECK` on a toolchain or OS base): a build tool image, such
    /// as a code generator kept inside a service's folder.
    pub tool_image: bool,
    /// True for a workspace root (npm/pnpm/yarn, Cargo, Go workspace) that only aggregates members:
    /// such a folder is not a service.
    pub aggregator: bool,
    /// True when the signal is too weak to make a service on its own (a `package.json` with no start
    /// script, `main` or server entry): it only contributes evidence to a stronger finding.
    pub helper_only: bool,
    /// Problems found while reading this folder's manifests.
    pub diagnostics: Vec<Diagnostic>,
}

impl Finding {
    /// A finding with the given type, rank and base confidence, and no evidence yet.
    pub fn new(kind: ServiceType, rank: Rank, confidence: f64) -> Self {
        Finding {
            kind,
            rank,
            confidence,
            indicators: Vec::new(),
            technologies: Vec::new(),
            ports: Vec::new(),
            start_command: None,
            build_command: None,
            output_dir: None,
            env: BTreeMap::new(),
            env_evidence: Vec::new(),
            code_hosts: Vec::new(),
            proxy_targets: Vec::new(),
            health_path: None,
            dockerfile: None,
            members: Vec::new(),
            copies: Vec::new(),
            parts: Vec::new(),
            port_vars: Vec::new(),
            images: Vec::new(),
            tool_image: false,
            aggregator: false,
            helper_only: false,
            diagnostics: Vec::new(),
        }
    }

    /// Adds a technology once, keeping first-seen order.
    pub fn tech(&mut self, t: &str) {
        if !self.technologies.iter().any(|x| x == t) {
            self.technologies.push(t.to_string());
        }
    }

    /// Adds an indicator once.
    pub fn indicator(&mut self, file: &str) {
        if !self.indicators.iter().any(|x| x == file) {
            self.indicators.push(file.to_string());
        }
    }

    /// Raises confidence by `by`, capped at 0.99.
    pub fn boost(&mut self, by: f64) {
        self.confidence = (self.confidence + by).min(0.99);
    }
}
