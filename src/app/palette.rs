//! The `:` command palette: a line parses into the same [`Invocation`] a key gives (`:deploy api`
//! and `d` on api reach one handler), and the words complete from the action table.

use super::action::{Action, ArgKind, Args, Invocation};
use super::view::{EventFilter, SortColumn, Tab};

/// The names the palette's arguments complete from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Names<'a> {
    /// Every service.
    pub services: &'a [&'a str],
    /// The services that can scale: deployable, and not a compose stack (its compose file sets its
    /// members' replicas).
    pub scalable: &'a [&'a str],
}

/// Parses one palette line (`scale api 3`, `deploy api worker`, `cancel all`, `quit`) against the
/// known service names. The error is the status line's text.
pub fn parse(line: &str, services: &[&str]) -> Result<Invocation, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((&name, args)) = words.split_first() else {
        return Err("empty command".into());
    };
    let Some(action) = Action::from_command(name) else {
        return Err(format!(
            "unknown command `{name}` (press : then tab to list commands)"
        ));
    };
    let kind = action
        .spec()
        .command
        .map(|c| c.args)
        .unwrap_or(ArgKind::None);
    let usage = || {
        let u = kind.usage();
        if u.is_empty() {
            format!("usage: {name}")
        } else {
            format!("usage: {name} {u}")
        }
    };
    let known = |names: &[&str]| -> Result<Vec<String>, String> {
        let unknown: Vec<&str> = names
            .iter()
            .copied()
            .filter(|a| !services.contains(a))
            .collect();
        if unknown.is_empty() {
            Ok(names.iter().map(|s| s.to_string()).collect())
        } else {
            Err(format!("unknown service: {}", unknown.join(", ")))
        }
    };
    let args = match (kind, args) {
        (_, []) if kind != ArgKind::ServiceAndCount && kind != ArgKind::Text => Args::Default,
        (ArgKind::None, _) => return Err(format!("`{name}` takes no arguments")),
        (ArgKind::Services, names) => Args::Services(known(names)?),
        (ArgKind::Service, [one]) => Args::Services(known(&[one])?),
        (ArgKind::Service, _) => return Err(usage()),
        (ArgKind::ServicesOrAll, ["all"]) => Args::All,
        (ArgKind::ServicesOrAll, names) => Args::Services(known(names)?),
        (ArgKind::ServiceAndCount, [svc, n]) => {
            let service = known(&[svc])?.remove(0);
            let replicas = n
                .parse::<u32>()
                .map_err(|_| format!("{name}: `{n}` is not a replica count"))?;
            Args::Scale { service, replicas }
        }
        (ArgKind::ServiceAndCount, _) => return Err(usage()),
        (ArgKind::OnOff, [v]) => match *v {
            "on" | "true" => Args::Switch(true),
            "off" | "false" => Args::Switch(false),
            other => return Err(format!("`{name}` takes on or off, not `{other}`")),
        },
        (ArgKind::OnOff, _) => return Err(usage()),
        (ArgKind::SortColumn, [col, rest @ ..]) if rest.len() <= 1 => {
            let column = SortColumn::from_name(col).ok_or_else(|| {
                let names: Vec<&str> = SortColumn::all().map(SortColumn::name).collect();
                format!("usage: {name} {}|... [asc|desc]", names.join("|"))
            })?;
            let desc = match rest.first().copied() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => return Err(format!("{name}: `{other}` is not asc or desc")),
            };
            Args::Sort { column, desc }
        }
        (ArgKind::SortColumn, _) => return Err(usage()),
        (ArgKind::Tab, [t]) => Args::Tab(Tab::parse(t).ok_or_else(|| {
            let names: Vec<&str> = Tab::all().map(Tab::name).collect();
            format!("usage: {name} {}", names.join("|"))
        })?),
        (ArgKind::Tab, _) => return Err(usage()),
        (ArgKind::EventFilter, [f]) => Args::Events(EventFilter::parse(f).ok_or_else(|| {
            format!("{name}: `{f}` is not a group (all, failed, deploy, health, scale, lifecycle, detection) or an event kind")
        })?),
        (ArgKind::EventFilter, _) => return Err(usage()),
        (ArgKind::Text, words) => Args::Text(words.join(" ")),
    };
    Ok(Invocation { action, args })
}

/// Completions of the last word of `input`, given the names arguments complete from.
pub fn complete(input: &str, names: Names<'_>, readonly: bool) -> Vec<String> {
    let services = names.services;
    let words: Vec<&str> = input.split_whitespace().collect();
    let ends_with_space = input.ends_with(' ');
    let (done, partial): (&[&str], &str) = if ends_with_space || words.is_empty() {
        (&words[..], "")
    } else {
        (&words[..words.len() - 1], words[words.len() - 1])
    };
    let starts = |c: &&str| c.starts_with(partial);
    if done.is_empty() {
        return Action::commands()
            .filter(|(a, _)| !(readonly && a.mutating()))
            .map(|(_, c)| c.name)
            .filter(|n| starts(n))
            .map(str::to_string)
            .collect();
    }
    let Some(kind) = Action::from_command(done[0]).and_then(|a| a.spec().command) else {
        return Vec::new();
    };
    let n = done.len();
    let candidates: Vec<&str> = match kind.args {
        ArgKind::None | ArgKind::Text => Vec::new(),
        ArgKind::Services => services
            .iter()
            .copied()
            .filter(|s| !done[1..].contains(s))
            .collect(),
        ArgKind::ServicesOrAll => std::iter::once("all")
            .filter(|_| n == 1)
            .chain(services.iter().copied().filter(|s| !done[1..].contains(s)))
            .collect(),
        ArgKind::Service if n == 1 => services.to_vec(),
        ArgKind::ServiceAndCount if n == 1 => names.scalable.to_vec(),
        ArgKind::OnOff if n == 1 => vec!["on", "off"],
        ArgKind::SortColumn if n == 1 => SortColumn::all().map(SortColumn::name).collect(),
        ArgKind::SortColumn if n == 2 => vec!["asc", "desc"],
        ArgKind::Tab if n == 1 => Tab::all().map(Tab::name).collect(),
        ArgKind::EventFilter if n == 1 => EventFilter::names().collect(),
        _ => Vec::new(),
    };
    candidates
        .into_iter()
        .filter(starts)
        .map(str::to_string)
        .collect()
}

/// The description shown beside a completed command name.
pub fn describe(command: &str) -> Option<&'static str> {
    Action::from_command(command).map(Action::describe)
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

    fn complete(input: &str, services: &[&str], readonly: bool) -> Vec<String> {
        // db is a compose stack: it cannot scale
        let scalable: Vec<&str> = services.iter().copied().filter(|s| *s != "db").collect();
        super::complete(
            input,
            Names {
                services,
                scalable: &scalable,
            },
            readonly,
        )
    }

    #[test]
    fn completes_command_names() {
        assert_eq!(
            complete("re", SVCS, false),
            ["restart", "remove", "rebuild", "redetect"]
        );
        assert_eq!(complete("sc", SVCS, false), ["scale"]);
        assert_eq!(complete("", SVCS, false).len(), Action::commands().count());
        assert_eq!(complete("re", SVCS, true), ["redetect"]);
        assert_eq!(complete("ca", SVCS, false), ["cancel"]);
    }

    #[test]
    fn completes_arguments() {
        assert_eq!(complete("scale a", SVCS, false), ["api", "auth"]);
        assert_eq!(complete("scale ", &["api", "db"], false), ["api"]);
        assert_eq!(complete("deploy ", &["api", "db"], false), ["api", "db"]);
        assert_eq!(complete("events f", SVCS, false), ["failed"]);
        assert_eq!(
            complete("events service_s", SVCS, false),
            ["service_started", "service_stopped", "service_scaled"]
        );
        assert_eq!(
            complete("events failed ", SVCS, false),
            Vec::<String>::new()
        );
        assert_eq!(complete("sort r", SVCS, false), ["repl"]);
        assert_eq!(complete("sort m", SVCS, false), ["mem"]);
        assert_eq!(complete("scale api ", SVCS, false), Vec::<String>::new());
        assert_eq!(complete("deploy api ", SVCS, false), ["auth", "worker"]);
        assert_eq!(complete("sort c", SVCS, false), ["cpu"]);
        assert_eq!(complete("sort cpu ", SVCS, false), ["asc", "desc"]);
        assert_eq!(complete("tab e", SVCS, false), ["events"]);
        assert_eq!(complete("auto-deploy ", SVCS, false), ["on", "off"]);
        assert_eq!(complete("cancel a", SVCS, false), ["all", "api", "auth"]);
        assert_eq!(complete("nope ", SVCS, false), Vec::<String>::new());
    }

    #[test]
    fn applies_completion_to_last_word() {
        assert_eq!(apply_completion("sc", "scale"), "scale ");
        assert_eq!(apply_completion("scale a", "api"), "scale api ");
        assert_eq!(apply_completion("deploy ", "api"), "deploy api ");
        assert_eq!(apply_completion("", "quit"), "quit ");
    }

    fn inv(action: Action, args: Args) -> Invocation {
        Invocation { action, args }
    }

    #[test]
    fn lines_parse_into_the_actions_keys_give() {
        assert_eq!(parse("deploy", SVCS), Ok(Invocation::key(Action::Deploy)));
        assert_eq!(
            parse("deploy api worker", SVCS),
            Ok(inv(
                Action::Deploy,
                Args::Services(vec!["api".into(), "worker".into()])
            ))
        );
        assert_eq!(parse("up", SVCS), Ok(Invocation::key(Action::DeployAll)));
        assert_eq!(
            parse("stop-all", SVCS),
            Ok(Invocation::key(Action::StopAll))
        );
        assert_eq!(
            parse("scale api 0", SVCS),
            Ok(inv(
                Action::Scale,
                Args::Scale {
                    service: "api".into(),
                    replicas: 0
                }
            ))
        );
        assert_eq!(
            parse("cancel all", SVCS),
            Ok(inv(Action::Cancel, Args::All))
        );
        assert_eq!(
            parse("cancel api", SVCS),
            Ok(inv(Action::Cancel, Args::Services(vec!["api".into()])))
        );
        assert_eq!(parse("cancel", SVCS), Ok(Invocation::key(Action::Cancel)));
        assert_eq!(
            parse("sort mem desc", SVCS),
            Ok(inv(
                Action::SortNext,
                Args::Sort {
                    column: SortColumn::Memory,
                    desc: true
                }
            ))
        );
        assert_eq!(
            parse("tab plan", SVCS),
            Ok(inv(Action::NextTab, Args::Tab(Tab::Plan)))
        );
        assert_eq!(
            parse("mouse off", SVCS),
            Ok(inv(Action::ToggleMouse, Args::Switch(false)))
        );
        assert_eq!(
            parse("filter api gateway", SVCS),
            Ok(inv(Action::Filter, Args::Text("api gateway".into())))
        );
        assert_eq!(
            parse("events failed", SVCS),
            Ok(inv(
                Action::TabEvents,
                Args::Events(EventFilter::parse("failed").unwrap())
            ))
        );
        assert_eq!(
            parse("events", SVCS),
            Ok(Invocation::key(Action::TabEvents))
        );
        assert_eq!(
            parse("sort uptime", SVCS),
            Ok(inv(
                Action::SortNext,
                Args::Sort {
                    column: SortColumn::Uptime,
                    desc: false
                }
            ))
        );
        // any action by its config name
        assert_eq!(parse("zoom", SVCS), Ok(Invocation::key(Action::Zoom)));
        assert_eq!(
            parse("next_pane", SVCS),
            Ok(Invocation::key(Action::NextPane))
        );
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let err = |l: &str| parse(l, SVCS).unwrap_err();
        assert!(err("frobnicate").contains("unknown command `frobnicate`"));
        assert_eq!(err("deploy nope"), "unknown service: nope");
        assert_eq!(err("scale api"), "usage: scale SERVICE N");
        assert!(err("scale api many").contains("`many` is not a replica count"));
        assert!(err("sort colour").contains("usage: sort name|type|status"));
        assert!(err("tab nope").contains("logs|events|details|plan"));
        assert!(err("mouse maybe").contains("on or off"));
        assert_eq!(err("quit now"), "`quit` takes no arguments");
        assert_eq!(err("open api auth"), "usage: open [SERVICE]");
        assert!(err("events oops").contains("`oops` is not a group"));
        assert!(err("events failed deploy").starts_with("usage: events [all|failed"));
    }
}
