//! `kyozo detect [PATH] [--json]`. Placeholder until the detection core lands.

use std::path::Path;
use std::process::ExitCode;

pub fn run(_path: &Path, _json: bool) -> color_eyre::Result<ExitCode> {
    Err(color_eyre::eyre::eyre!("detection is not built yet"))
}
