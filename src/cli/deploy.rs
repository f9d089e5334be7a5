//! The headless deploy verbs. Placeholder until the deploy engine lands.

use std::process::ExitCode;

use super::{Command, StoreArgs};

pub fn run(cmd: Command, _store: &StoreArgs) -> color_eyre::Result<ExitCode> {
    Err(color_eyre::eyre::eyre!("`{cmd:?}` is not built yet"))
}
