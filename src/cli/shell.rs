//! `kyozo completions SHELL` and `kyozo man [--dir DIR]`: the shell's habits, generated from the
//! same clap definition that parses the command line (clap_complete, clap_mangen), so they list
//! exactly the verbs and options there are.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use color_eyre::eyre::{WrapErr, eyre};

use super::Cli;

/// The completion script of `shell` for `kyozo`.
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kyozo", &mut out);
    out
}

/// The manual page kyozo(1), as roff.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

/// Writes kyozo.1 and one kyozo-VERB.1 per verb into `dir` (created when missing); returns the
/// files written.
pub fn write_man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = vec![clap_mangen::Man::new(cmd.clone()).generate_to(dir)?];
    // built subcommands are named `kyozo-VERB` for display: their pages' titles and files
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        written.push(clap_mangen::Man::new(sub.clone()).generate_to(dir)?);
    }
    Ok(written)
}

/// `kyozo completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> color_eyre::Result<ExitCode> {
    print(&completion_script(shell))
}

/// `kyozo man [--dir DIR]`.
pub fn man(dir: Option<&Path>) -> color_eyre::Result<ExitCode> {
    match dir {
        None => print(&man_page().wrap_err("cannot render the manual page")?),
        Some(dir) => {
            let files = write_man_pages(dir)
                .wrap_err_with(|| format!("cannot write manual pages into {}", dir.display()))?;
            let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
            print(list.as_bytes())
        }
    }
}

fn print(bytes: &[u8]) -> color_eyre::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // `kyozo man | head` is not an error
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(eyre!("cannot write to stdout: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use clap_complete::Shell;

    use super::*;
    use crate::cli::{Command, TopCommand};

    /// The verbs that act on a workspace (every subcommand but the shell's habits).
    fn workspace_verbs() -> Vec<String> {
        Cli::command()
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .filter(|n| n != "completions" && n != "man" && n != "help")
            .collect()
    }

    #[test]
    fn completions_of_each_shell_mention_every_verb() {
        let verbs = workspace_verbs();
        assert!(verbs.len() >= 11, "{verbs:?}");
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = String::from_utf8(completion_script(shell)).unwrap();
            for verb in verbs.iter().chain(&["completions".into(), "man".into()]) {
                assert!(text.contains(verb.as_str()), "{shell}: no `{verb}`");
            }
            assert!(text.contains("--path"), "{shell}: no --path");
        }
    }

    #[test]
    fn the_man_page_is_roff_naming_the_verbs() {
        let text = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH kyozo 1"),
            "{text}"
        );
        for verb in workspace_verbs() {
            assert!(text.contains(&verb), "no `{verb}` in the man page");
        }
        let dir = tempfile::tempdir().unwrap();
        let files = write_man_pages(dir.path()).unwrap();
        assert!(dir.path().join("kyozo.1").is_file());
        assert!(dir.path().join("kyozo-ps.1").is_file());
        let ps = std::fs::read_to_string(dir.path().join("kyozo-ps.1")).unwrap();
        assert!(ps.contains(".TH kyozo-ps 1"), "{ps}");
        assert_eq!(files.len(), 1 + workspace_verbs().len() + 2);
    }

    #[test]
    fn every_workspace_verb_takes_dash_c_and_path() {
        let cmd = Cli::command();
        for verb in workspace_verbs() {
            let sub = cmd.find_subcommand(&verb).unwrap();
            let arg = sub
                .get_arguments()
                .find(|a| a.get_short() == Some('C'))
                .unwrap_or_else(|| panic!("`{verb}` takes no -C"));
            assert_eq!(arg.get_long(), Some("path"), "{verb}");
        }
        // and the cockpit
        assert!(cmd.get_arguments().any(|a| a.get_short() == Some('C')));
    }

    fn workspace_of(args: &[&str]) -> Option<PathBuf> {
        let cli = Cli::try_parse_from(args).unwrap();
        let at = cli.at.clone().or(cli.path.clone());
        match cli.command {
            None => at,
            Some(TopCommand::Verb(mut cmd)) => {
                if let Some(d) = at {
                    cmd.set_workspace(d);
                }
                cmd.workspace_mut().cloned()
            }
            Some(_) => None,
        }
    }

    #[test]
    fn dash_c_parses_on_every_verb_before_or_after_it() {
        let ws = Some(PathBuf::from("ws"));
        for verb in workspace_verbs() {
            let mut args = vec!["kyozo", verb.as_str()];
            // the verbs' required arguments
            match verb.as_str() {
                "plan" | "logs" | "start" | "stop" | "restart" => args.push("api"),
                "scale" => args.extend(["api", "2"]),
                _ => {}
            }
            let mut after = args.clone();
            after.extend(["-C", "ws"]);
            assert_eq!(workspace_of(&after), ws, "{after:?}");
            let mut long = args.clone();
            long.extend(["--path", "ws"]);
            assert_eq!(workspace_of(&long), ws, "{long:?}");
            let mut before = vec!["kyozo", "-C", "ws"];
            before.extend(&args[1..]);
            assert_eq!(workspace_of(&before), ws, "{before:?}");
        }
        // detect keeps its positional PATH; the cockpit takes either
        assert_eq!(workspace_of(&["kyozo", "detect", "ws"]), ws);
        assert_eq!(workspace_of(&["kyozo", "detect"]), None);
        assert_eq!(workspace_of(&["kyozo", "ws"]), ws);
        assert_eq!(workspace_of(&["kyozo", "-C", "ws"]), ws);
        assert_eq!(workspace_of(&["kyozo", "--readonly", "-C", "ws"]), ws);
        // the verb's own -C wins over one before it
        assert_eq!(
            workspace_of(&["kyozo", "-C", "other", "ps", "-C", "ws"]),
            ws
        );
        // PATH and -C at once is an error, not a guess
        assert!(Cli::try_parse_from(["kyozo", "detect", "a", "-C", "b"]).is_err());
        assert!(Cli::try_parse_from(["kyozo", "a", "-C", "b"]).is_err());
        let cli = Cli::try_parse_from(["kyozo", "completions", "fish"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(TopCommand::Completions { shell: Shell::Fish })
        ));
        let cli = Cli::try_parse_from(["kyozo", "ps", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(TopCommand::Verb(Command::Ps { json: true, .. }))
        ));
    }
}
