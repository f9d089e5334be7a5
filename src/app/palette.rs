//! The `:` command palette: parsing of command lines and completion of their words.

/// One palette command and the arguments it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaletteSpec {
    pub name: &'static str,
    pub args: ArgKind,
    pub help: &'static str,
    /// Changes something (hidden in `--readonly`).
    pub mutating: bool,
}

/// What the words after a command are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    /// Zero or more service names (none: the marked or selected services).
    Services,
    /// A service name then a number.
    ServiceAndCount,
    OnOff,
    SortColumn,
    Tab,
    Text,
}

pub const COMMANDS: &[PaletteSpec] = &[
    PaletteSpec {
        name: "deploy",
        args: ArgKind::Services,
        help: "build and run services",
        mutating: true,
    },
    PaletteSpec {
        name: "start",
        args: ArgKind::Services,
        help: "start deployed services",
        mutating: true,
    },
    PaletteSpec {
        name: "stop",
        args: ArgKind::Services,
        help: "stop services",
        mutating: true,
    },
    PaletteSpec {
        name: "restart",
        args: ArgKind::Services,
        help: "restart services",
        mutating: true,
    },
    PaletteSpec {
        name: "rebuild",
        args: ArgKind::Services,
        help: "rebuild image and replace",
        mutating: true,
    },
    PaletteSpec {
        name: "remove",
        args: ArgKind::Services,
        help: "stop and delete containers",
        mutating: true,
    },
    PaletteSpec {
        name: "scale",
        args: ArgKind::ServiceAndCount,
        help: "scale SERVICE N",
        mutating: true,
    },
    PaletteSpec {
        name: "up",
        args: ArgKind::None,
        help: "deploy all in dependency order",
        mutating: true,
    },
    PaletteSpec {
        name: "stop-all",
        args: ArgKind::None,
        help: "stop every running service",
        mutating: true,
    },
    PaletteSpec {
        name: "down",
        args: ArgKind::None,
        help: "remove every deployed service",
        mutating: true,
    },
    PaletteSpec {
        name: "auto-deploy",
        args: ArgKind::OnOff,
        help: "redeploy on file change",
        mutating: true,
    },
    PaletteSpec {
        name: "save-logs",
        args: ArgKind::Services,
        help: "write logs to a file",
        mutating: true,
    },
    PaletteSpec {
        name: "open",
        args: ArgKind::Services,
        help: "open the port in a browser",
        mutating: false,
    },
    PaletteSpec {
        name: "logs",
        args: ArgKind::Services,
        help: "show the logs of a service",
        mutating: false,
    },
    PaletteSpec {
        name: "filter",
        args: ArgKind::Text,
        help: "filter tree and table",
        mutating: false,
    },
    PaletteSpec {
        name: "sort",
        args: ArgKind::SortColumn,
        help: "sort the table by a column",
        mutating: false,
    },
    PaletteSpec {
        name: "tab",
        args: ArgKind::Tab,
        help: "show a bottom tab",
        mutating: false,
    },
    PaletteSpec {
        name: "mouse",
        args: ArgKind::OnOff,
        help: "mouse capture",
        mutating: false,
    },
    PaletteSpec {
        name: "redetect",
        args: ArgKind::None,
        help: "detect the workspace again",
        mutating: false,
    },
    PaletteSpec {
        name: "help",
        args: ArgKind::None,
        help: "key bindings",
        mutating: false,
    },
    PaletteSpec {
        name: "quit",
        args: ArgKind::None,
        help: "leave kyozo",
        mutating: false,
    },
];

/// The spec of a command name.
pub fn spec(name: &str) -> Option<&'static PaletteSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Completions of the last word of `input`, given the service names.
pub fn complete(input: &str, services: &[&str], readonly: bool) -> Vec<String> {
    let words: Vec<&str> = input.split_whitespace().collect();
    let ends_with_space = input.ends_with(' ');
    let (done, partial): (&[&str], &str) = if ends_with_space || words.is_empty() {
        (&words[..], "")
    } else {
        (&words[..words.len() - 1], words[words.len() - 1])
    };
    let starts = |c: &&str| c.starts_with(partial);
    if done.is_empty() {
        return COMMANDS
            .iter()
            .filter(|c| !(readonly && c.mutating))
            .map(|c| c.name)
            .filter(|n| starts(n))
            .map(str::to_string)
            .collect();
    }
    let Some(spec) = spec(done[0]) else {
        return Vec::new();
    };
    let candidates: Vec<&str> = match spec.args {
        ArgKind::None | ArgKind::Text => Vec::new(),
        ArgKind::Services => services
            .iter()
            .copied()
            .filter(|s| !done[1..].contains(s))
            .collect(),
        ArgKind::ServiceAndCount if done.len() == 1 => services.to_vec(),
        ArgKind::ServiceAndCount => Vec::new(),
        ArgKind::OnOff if done.len() == 1 => vec!["on", "off"],
        ArgKind::SortColumn if done.len() == 1 => vec![
            "name", "type", "status", "health", "replicas", "cpu", "memory", "ports", "uptime",
        ],
        ArgKind::SortColumn if done.len() == 2 => vec!["asc", "desc"],
        ArgKind::Tab if done.len() == 1 => vec!["logs", "events", "details", "plan"],
        _ => Vec::new(),
    };
    candidates
        .into_iter()
        .filter(starts)
        .map(str::to_string)
        .collect()
}

/// `input` with its last word replaced by `completion` and a space after it.
pub fn apply_completion(input: &str, completion: &str) -> String {
    let base = if input.ends_with(' ') || input.is_empty() {
        input.to_string()
    } else {
        match input.rfind(' ') {
            Some(i) => input[..=i].to_string(),
            None => String::new(),
        }
    };
    format!("{base}{completion} ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVCS: &[&str] = &["api", "auth", "worker"];

    #[test]
    fn completes_command_names() {
        assert_eq!(
            complete("re", SVCS, false),
            ["restart", "rebuild", "remove", "redetect"]
        );
        assert_eq!(complete("sc", SVCS, false), ["scale"]);
        assert!(complete("", SVCS, false).len() == COMMANDS.len());
        assert_eq!(complete("re", SVCS, true), ["redetect"]);
    }

    #[test]
    fn completes_arguments() {
        assert_eq!(complete("scale a", SVCS, false), ["api", "auth"]);
        assert_eq!(complete("scale api ", SVCS, false), Vec::<String>::new());
        assert_eq!(complete("deploy api ", SVCS, false), ["auth", "worker"]);
        assert_eq!(complete("sort c", SVCS, false), ["cpu"]);
        assert_eq!(complete("auto-deploy ", SVCS, false), ["on", "off"]);
        assert_eq!(complete("nope ", SVCS, false), Vec::<String>::new());
    }

    #[test]
    fn applies_completion_to_last_word() {
        assert_eq!(apply_completion("sc", "scale"), "scale ");
        assert_eq!(apply_completion("scale a", "api"), "scale api ");
        assert_eq!(apply_completion("deploy ", "api"), "deploy api ");
        assert_eq!(apply_completion("", "quit"), "quit ");
    }
}
