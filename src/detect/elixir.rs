//! Elixir: `mix.exs` (Phoenix, Plug), umbrella roots (`apps_path`) as aggregators, ports from
//! `config/*.exs`, health routes from the Phoenix router.

use std::sync::LazyLock;

use regex::Regex;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::{self, PortSource};
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

static APP: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\bapp:\s*:([a-z_][a-z0-9_]*)").ok());
static DEP: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{\s*:([a-z_][a-z0-9_]*)\s*,").ok());
/// `System.get_env("PORT") || "4000"`, `System.get_env("PORT", "4000")`.
static ENV_PORT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r#"System\.get_env\(\s*"PORT"\s*\)\s*\|\|\s*"?(\d{2,5})"#,
        r#"System\.get_env\(\s*"PORT"\s*,\s*"(\d{2,5})"\s*\)"#,
    ]
    .iter()
    .filter_map(|r| Regex::new(r).ok())
    .collect()
});

const CONFIGS: &[&str] = &[
    "config/runtime.exs",
    "config/prod.exs",
    "config/config.exs",
    "config/dev.exs",
];

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    if !folder.has("mix.exs") {
        return None;
    }
    let text = lang::read_or_diag(folder, "mix.exs", diags)?;
    if !text.contains("defmodule") || !text.contains("def project") {
        diags.push(lang::diag(
            folder,
            "mix.exs",
            "mix.exs: not a Mix project (no `defmodule` with `def project`)".to_string(),
        ));
        return None;
    }
    let mut f = lang::new_finding(
        folder,
        ServiceType::Elixir,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    f.indicator("mix.exs");
    f.tech("elixir");
    if text.contains("apps_path:") {
        f.aggregator = true;
        return Some(f);
    }
    let deps: Vec<String> = DEP
        .as_ref()
        .map(|re| {
            re.captures_iter(&text)
                .filter_map(|c| c.get(1))
                .map(|m| m.as_str().to_string())
                .collect()
        })
        .unwrap_or_default();
    let has = |d: &str| deps.iter().any(|x| x == d);
    let framework = if has("phoenix") {
        Some("phoenix")
    } else if has("plug_cowboy") || has("bandit") || has("plug") {
        Some("plug")
    } else {
        None
    };
    if let Some(fw) = framework {
        f.tech(fw);
        f.rank = Rank::Framework;
    }
    let app = APP
        .as_ref()
        .and_then(|re| re.captures(&text))
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string());

    for cfg in CONFIGS {
        if let Some(t) = folder.read_opt(cfg) {
            // The endpoint's public `url: [port: 443]` and an `https:` listener are not the port
            // the HTTP server listens on.
            let listening: String = t
                .lines()
                .filter(|l| !l.contains("url:") && !l.contains("https:"))
                .collect::<Vec<_>>()
                .join("\n");
            lang::scan_text(&listening, &mut f);
            for re in ENV_PORT.iter() {
                for c in re.captures_iter(&t) {
                    if let Some(p) = c.get(1).and_then(|m| ports::parse_port(m.as_str())) {
                        lang::add_port(&mut f, p, PortSource::CodeLiteral);
                    }
                }
            }
        }
    }
    if let Some(app) = &app {
        for file in [
            format!("lib/{app}_web/router.ex"),
            format!("lib/{app}/router.ex"),
            format!("lib/{app}/application.ex"),
            format!("lib/{app}.ex"),
        ] {
            lang::scan_entry(folder, &file, &mut f);
        }
    }

    let runs = text.contains("mod:");
    match framework {
        Some("phoenix") => {
            lang::add_port(&mut f, 4000, PortSource::FrameworkDefault);
            f.start_command = Some("mix phx.server".into());
            f.env.insert("PHX_SERVER".into(), "true".into());
        }
        Some(_) if runs => {
            lang::add_port(&mut f, 4000, PortSource::FrameworkDefault);
            f.start_command = Some("mix run --no-halt".into());
        }
        None if runs => f.start_command = Some("mix run --no-halt".into()),
        _ => {}
    }
    if f.start_command.is_some() {
        f.env.insert("MIX_ENV".into(), "prod".into());
    } else {
        // A library (no application callback module) is not a service.
        f.helper_only = true;
        f.ports.clear();
    }
    lang::finish(&mut f, framework.is_some());
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::{fixture, port, run, temp};
    use super::*;

    fn one(files: &[(&str, &str)]) -> (Option<Finding>, Vec<Diagnostic>) {
        let (_d, f) = temp(files);
        run(analyze, &f)
    }

    #[test]
    fn the_public_url_port_is_not_the_listening_port() {
        let mix = "defmodule Hello.MixProject do\n  def project, do: [app: :hello]\n  def application, do: [mod: {Hello.Application, []}]\n  defp deps, do: [{:phoenix, \"~> 1.7\"}]\nend\n";
        let runtime = "import Config\nif config_env() == :prod do\n  host = System.get_env(\"PHX_HOST\") || \"example.com\"\n  port = String.to_integer(System.get_env(\"PORT\") || \"4000\")\n  config :hello, HelloWeb.Endpoint,\n    url: [host: host, port: 443, scheme: \"https\"],\n    http: [ip: {0, 0, 0, 0, 0, 0, 0, 0}, port: port]\nend\n";
        let (f, _) = one(&[("mix.exs", mix), ("config/runtime.exs", runtime)]);
        assert_eq!(port(&f.unwrap()), Some(4000));
        let plug = "defmodule Friends.MixProject do\n  def project, do: [app: :friends]\n  def application, do: [mod: {Friends.Application, []}]\n  defp deps, do: [{:plug_cowboy, \"~> 2.7\"}]\nend\n";
        let app = "defmodule Friends.Application do\n  def start(_t, _a) do\n    children = [{Plug.Cowboy, port: 4100, scheme: :http, plug: Friends.Router}]\n  end\nend\n";
        let (f, _) = one(&[("mix.exs", plug), ("lib/friends/application.ex", app)]);
        assert_eq!(port(&f.unwrap()), Some(4100));
    }

    #[test]
    fn phoenix_fixture() {
        let (f, d) = run(analyze, &fixture("elixir/phoenix"));
        let f = f.unwrap();
        assert!(d.is_empty());
        assert_eq!(f.technologies, vec!["elixir", "phoenix"]);
        assert_eq!(f.rank, Rank::Framework);
        assert_eq!(f.start_command.as_deref(), Some("mix phx.server"));
        assert_eq!(port(&f), Some(4000));
        assert_eq!(f.health_path.as_deref(), Some("/health"));
        assert_eq!(f.env.get("MIX_ENV").map(String::as_str), Some("prod"));
        assert!((f.confidence - 0.9).abs() < 1e-9);
    }

    const MIX: &str = "defmodule Chat.MixProject do\n  use Mix.Project\n  def project, do: [app: :chat, deps: deps()]\n  def application, do: [mod: {Chat.Application, []}]\n  defp deps, do: [{:phoenix, \"~> 1.7\"}]\nend\n";

    #[test]
    fn port_precedence_code_then_default() {
        let (f, _) = one(&[
            ("mix.exs", MIX),
            (
                "config/runtime.exs",
                "port = String.to_integer(System.get_env(\"PORT\") || \"4100\")\n",
            ),
        ]);
        assert_eq!(port(&f.unwrap()), Some(4100));
        let (f, _) = one(&[("mix.exs", MIX)]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(4000));
        assert!((f.confidence - 0.85).abs() < 1e-9);
    }

    #[test]
    fn plug_service() {
        let mix = "defmodule P.MixProject do\n def project, do: [app: :p, deps: deps()]\n def application, do: [mod: {P.App, []}]\n defp deps, do: [{:plug_cowboy, \"~> 2.7\"}]\nend\n";
        let (f, _) = one(&[("mix.exs", mix)]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["elixir", "plug"]);
        assert_eq!(f.start_command.as_deref(), Some("mix run --no-halt"));
        assert_eq!(port(&f), Some(4000));
    }

    #[test]
    fn umbrella_library_and_worker() {
        let (f, _) = one(&[(
            "mix.exs",
            "defmodule U.MixProject do\n def project, do: [apps_path: \"apps\"]\nend\n",
        )]);
        assert!(f.unwrap().aggregator);
        let (f, _) = one(&[(
            "mix.exs",
            "defmodule L.MixProject do\n def project, do: [app: :l]\nend\n",
        )]);
        assert!(f.unwrap().helper_only);
        let (f, _) = one(&[(
            "mix.exs",
            "defmodule W.MixProject do\n def project, do: [app: :w]\n def application, do: [mod: {W.App, []}]\nend\n",
        )]);
        let f = f.unwrap();
        assert_eq!(f.start_command.as_deref(), Some("mix run --no-halt"));
        assert_eq!(f.rank, Rank::Language);
    }

    #[test]
    fn malformed_mix_exs_is_a_diagnostic() {
        let (f, d) = one(&[("mix.exs", "{not elixir")]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/mix.exs");
        assert!(d[0].message.starts_with("mix.exs: not a Mix project"));
    }
}
