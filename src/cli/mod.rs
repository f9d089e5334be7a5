//! Command-line arguments and the headless verbs. Each verb lives in its own file and reuses the same
//! modules as the cockpit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub mod cockpit;
pub mod deploy;
pub mod detect;
pub mod table;

/// kyozo turns a folder tree into running services.
///
/// Point it at a workspace: it finds every folder that is a deployable service (compose stack,
/// Dockerfile, Node, Python, Go, Rust, nginx, Terraform and more), shows the tree annotated with what it
/// found, and builds, runs, scales, health-checks, logs and stops those services on a Docker Engine, in
/// dependency order. Without a subcommand it opens the cockpit on PATH.
#[derive(Debug, Parser)]
#[command(name = "kyozo", version, about, long_about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Workspace folder for the cockpit.
    #[arg(value_name = "PATH", default_value = ".")]
    pub path: PathBuf,

    /// Hide every action that changes anything.
    #[arg(long)]
    pub readonly: bool,

    /// Show secret values (keys with PASSWORD, SECRET, TOKEN, KEY or CREDENTIAL, passwords in
    /// URLs) in human output instead of masking them; --json output is never masked.
    #[arg(long, global = true)]
    pub show_secrets: bool,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where the history store lives.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// History database file [default: $XDG_DATA_HOME/kyozo/kyozo.redb].
    #[arg(long, global = true, env = "KYOZO_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
}

/// The workspace a headless verb acts on.
#[derive(Debug, Clone, Args)]
pub struct PathArg {
    /// Workspace folder.
    #[arg(long, short = 'C', default_value = ".", value_name = "PATH")]
    pub path: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Detect the services of a workspace: a table, or the JSON contract with --json.
    Detect {
        /// Workspace folder.
        #[arg(value_name = "PATH", default_value = ".")]
        path: PathBuf,
        /// Print the topology as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show how a service would be built and run: Dockerfile used or generated, ports, env, limits.
    Plan {
        /// Service name.
        service: String,
        #[command(flatten)]
        path: PathArg,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build and run services in dependency order (all deployable services when none are named).
    Up {
        /// Service names.
        services: Vec<String>,
        #[command(flatten)]
        path: PathArg,
    },
    /// Stop and remove services (all when none are named); their history is kept.
    Down {
        /// Service names.
        services: Vec<String>,
        #[command(flatten)]
        path: PathArg,
    },
    /// Start deployed services.
    Start {
        #[arg(required = true)]
        services: Vec<String>,
        #[command(flatten)]
        path: PathArg,
    },
    /// Stop running services (containers are kept).
    Stop {
        #[arg(required = true)]
        services: Vec<String>,
        #[command(flatten)]
        path: PathArg,
    },
    /// Restart services.
    Restart {
        #[arg(required = true)]
        services: Vec<String>,
        #[command(flatten)]
        path: PathArg,
    },
    /// Set the number of replicas of a service.
    Scale {
        service: String,
        replicas: u32,
        #[command(flatten)]
        path: PathArg,
    },
    /// List services with status, health, replicas, CPU, memory, ports and uptime.
    Ps {
        #[command(flatten)]
        path: PathArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show container logs of a service, all replicas, prefixed.
    Logs {
        service: String,
        #[command(flatten)]
        path: PathArg,
        /// Keep following new lines.
        #[arg(long, short = 'f')]
        follow: bool,
        /// Lines from the end of each replica's log.
        #[arg(long, value_name = "N")]
        tail: Option<usize>,
        /// Only lines newer than this (`10m`, `2h`, or an RFC 3339 time).
        #[arg(long, value_name = "D")]
        since: Option<String>,
    },
    /// Show the deployment-event history, newest first.
    Events {
        /// Only this service's events.
        service: Option<String>,
        #[command(flatten)]
        path: PathArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// At most this many events.
        #[arg(long, default_value_t = 50, value_name = "N")]
        limit: usize,
    },
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> color_eyre::Result<ExitCode> {
    match cli.command {
        None => cockpit::run(&cli.path, cli.readonly, cli.show_secrets, &cli.store),
        Some(Command::Detect { path, json }) => detect::run(&path, json),
        Some(cmd) => deploy::run(cmd, &cli.store),
    }
}
