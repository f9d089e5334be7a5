use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("kyozo: cannot install the error reporter: {e}");
    }
    let cli = kyozo::cli::Cli::parse();
    match kyozo::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kyozo: {e:#}");
            ExitCode::FAILURE
        }
    }
}
