//! `kyozo [PATH]`: the cockpit. Placeholder until the cockpit lands.

use std::path::Path;
use std::process::ExitCode;

use super::StoreArgs;

pub fn run(_path: &Path, _readonly: bool, _store: &StoreArgs) -> color_eyre::Result<ExitCode> {
    Err(color_eyre::eyre::eyre!(
        "the cockpit is not built yet; use `kyozo detect PATH`"
    ))
}
