//! `kyozo [PATH]`: the cockpit.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use color_eyre::eyre::{WrapErr, eyre};

use super::StoreArgs;
use crate::app::run::{Options, run as run_cockpit};
use crate::app::start::{Flags, state_from_config};
use crate::app::workers::StoreHandle;
use crate::config::Config;
use crate::store::Store;

/// Opens the cockpit on the workspace at `path`. The exit status is 0 when the user quits and
/// 128 + the signal's number after SIGTERM, SIGHUP or SIGINT, as shells expect.
pub fn run(
    path: &Path,
    readonly: bool,
    show_secrets: bool,
    store: &StoreArgs,
) -> color_eyre::Result<ExitCode> {
    let flags = Flags {
        readonly,
        show_secrets,
    };
    let config = Config::load_default().wrap_err("cannot start the cockpit")?;
    let root =
        crate::detect::canonical_root(path).map_err(|e| eyre!("cannot open workspace: {e}"))?;
    let (state, warnings) =
        state_from_config(root.clone(), flags, &config).wrap_err("cannot start the cockpit")?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(eyre!(
            "the cockpit needs a terminal (stdin and stdout are not both a tty); for scripts use \
             `kyozo detect`, `kyozo ps --json` or `kyozo events --json`"
        ));
    }
    let store = open_store(store, &root);
    if let Err(e) = &store {
        tracing::warn!("history store unavailable: {e}");
    }
    let signal = run_cockpit(Options {
        workspace: root,
        config,
        state,
        store,
        render: crate::ui::render,
    })
    .wrap_err("the cockpit failed")?;
    Ok(match signal {
        Some(s) => ExitCode::from(s.exit_status()),
        None => ExitCode::SUCCESS,
    })
}

/// The store and this workspace in it; the cockpit works without it (history then says why).
fn open_store(args: &StoreArgs, root: &Path) -> Result<Arc<StoreHandle>, String> {
    let path = args
        .db
        .clone()
        .or_else(Store::default_path)
        .ok_or_else(|| "no store path: set --db, KYOZO_DB, XDG_DATA_HOME or HOME".to_string())?;
    let store = Store::open(&path).map_err(|e| e.to_string())?;
    let workspace = store
        .workspace(&root.to_string_lossy())
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(StoreHandle {
        store: Arc::new(store),
        workspace,
    }))
}
