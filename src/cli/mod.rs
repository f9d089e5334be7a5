//! Command-line arguments and the headless verbs. Each verb lives in its own file and reuses the same
//! modules as the cockpit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub mod cockpit;
pub mod deploy;
pub mod detect;
pub mod shell;
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
    pub command: Option<TopCommand>,

    /// Workspace folder for the cockpit [default: .].
    #[arg(id = "workspace", value_name = "PATH")]
    pub path: Option<PathBuf>,

    /// Workspace folder, as PATH (like `git -C`); before a verb it is that verb's --path.
    #[arg(
        long = "path",
        short = 'C',
        value_name = "PATH",
        conflicts_with = "workspace"
    )]
    pub at: Option<PathBuf>,

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

/// Everything after `kyozo`: a verb on a workspace, or the shell's habits (completions, man page).
#[derive(Debug, Subcommand)]
pub enum TopCommand {
    #[command(flatten)]
    Verb(Command),
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout, or write one page per verb into a folder.
    Man {
        /// Write kyozo.1 and kyozo-VERB.1 into this folder instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// The verbs that act on a workspace; each takes `-C`/`--path`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Detect the services of a workspace: a table, or the JSON contract with --json.
    Detect {
        /// Workspace folder [default: .].
        #[arg(id = "folder", value_name = "PATH")]
        folder: Option<PathBuf>,
        /// Workspace folder, as PATH.
        #[arg(
            long = "path",
            short = 'C',
            value_name = "PATH",
            conflicts_with = "folder"
        )]
        path: Option<PathBuf>,
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
    ///
    /// A running service is replaced only once its new version runs (and is healthy); when the
    /// new one fails, the old one keeps running. A service another kyozo operation holds is
    /// refused (left out of a deploy of all).
    Up {
        /// Service names.
        services: Vec<String>,
        #[command(flatten)]
        path: PathArg,
        /// Build without the engine's cache and replace, even when nothing changed.
        #[arg(long)]
        rebuild: bool,
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
    /// Set the number of replicas of a service, within its scaling limits (1 to 3 unless
    /// `.kyozo.toml` says otherwise); 0 stops it and keeps it deployed.
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
        /// Start each line with the time the engine received it (RFC 3339, UTC).
        #[arg(long, short = 't')]
        timestamps: bool,
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

impl Command {
    /// The workspace the verb was given (`-C`, `--path`; `detect` also takes it as PATH), `None`
    /// when it was left to its default (`.`).
    fn workspace_mut(&mut self) -> Option<&mut PathBuf> {
        let path = match self {
            Command::Detect { folder, path, .. } => return folder.as_mut().or(path.as_mut()),
            Command::Plan { path, .. }
            | Command::Up { path, .. }
            | Command::Down { path, .. }
            | Command::Start { path, .. }
            | Command::Stop { path, .. }
            | Command::Restart { path, .. }
            | Command::Scale { path, .. }
            | Command::Ps { path, .. }
            | Command::Logs { path, .. }
            | Command::Events { path, .. } => &mut path.path,
        };
        (path.as_os_str() != ".").then_some(path)
    }

    /// Sets the workspace given before the verb (`kyozo -C dir ps`), unless the verb names its own.
    fn set_workspace(&mut self, dir: PathBuf) {
        if self.workspace_mut().is_some() {
            return;
        }
        match self {
            Command::Detect { path, .. } => *path = Some(dir),
            Command::Plan { path, .. }
            | Command::Up { path, .. }
            | Command::Down { path, .. }
            | Command::Start { path, .. }
            | Command::Stop { path, .. }
            | Command::Restart { path, .. }
            | Command::Scale { path, .. }
            | Command::Ps { path, .. }
            | Command::Logs { path, .. }
            | Command::Events { path, .. } => path.path = dir,
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> color_eyre::Result<ExitCode> {
    let here = || PathBuf::from(".");
    match cli.command {
        None => {
            let path = cli.path.or(cli.at).unwrap_or_else(here);
            cockpit::run(&path, cli.readonly, cli.show_secrets, &cli.store)
        }
        Some(TopCommand::Completions { shell }) => shell::completions(shell),
        Some(TopCommand::Man { dir }) => shell::man(dir.as_deref()),
        Some(TopCommand::Verb(mut cmd)) => {
            if let Some(dir) = cli.at.or(cli.path) {
                cmd.set_workspace(dir);
            }
            match cmd {
                Command::Detect { folder, path, json } => {
                    detect::run(&folder.or(path).unwrap_or_else(here), json)
                }
                cmd => deploy::run(cmd, &cli.store),
            }
        }
    }
}
