//! Ruby: `Gemfile` (Rails, Sinatra, Hanami, Roda, Puma, Rack) and `config.ru`; ports from a `Procfile`,
//! `config/puma.rb`, `set :port` and defaults (Rails 3000, Sinatra 4567, rackup 9292).

use std::sync::LazyLock;

use regex::Regex;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::{self, PortSource};
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

static GEM: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?m)^\s*gem\s+['"]([A-Za-z0-9_.-]+)['"]"#).ok());
/// `port ENV.fetch("PORT") { 3000 }`, `port 3000` (puma), `set :port, 8080` (sinatra).
static RUBY_PORT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r#"(?m)^\s*port\s*\(?\s*(?:ENV\.fetch\([^)]*\)\s*\{\s*|Integer\(\s*ENV\.fetch\([^)]*\)\s*\{\s*|ENV\[\s*['"]\w+['"]\s*\]\s*(?:\|\||\bor\b)\s*)?['"]?(\d{2,5})"#,
        r#"(?m)^\s*(?:set\s+:port\s*,|port\s*=)\s*(?:ENV\.fetch\([^)]*\)\s*\{\s*|ENV\[\s*['"]\w+['"]\s*\]\s*(?:\|\||\bor\b)\s*)?['"]?(\d{2,5})"#,
    ]
    .iter()
    .filter_map(|r| Regex::new(r).ok())
    .collect()
});

static RAILS_HEALTH: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"get\s+['"]([^'"]+)['"]\s*=>\s*['"]rails/health#show['"]"#).ok());

const FRAMEWORKS: &[&str] = &["rails", "sinatra", "hanami", "roda", "grape"];
/// Files that hold a plain Ruby program (no web framework) beside a `Gemfile`.
const PROGRAMS: &[&str] = &["app.rb", "main.rb", "server.rb", "bot.rb", "worker.rb"];
const ENTRIES: &[&str] = &[
    "config.ru",
    "app.rb",
    "server.rb",
    "main.rb",
    "application.rb",
];

/// A Ruby program alone (`main.rb`, no Gemfile): at the workspace root or beside a
/// `.ruby-version`, and beside no other language's manifest.
fn lone_program(folder: &Folder) -> Option<Finding> {
    let entry = PROGRAMS.iter().copied().find(|e| folder.has(e))?;
    if lang::has_other_manifest(folder, &[]) || !(folder.rel == "." || folder.has(".ruby-version"))
    {
        return None;
    }
    let mut f = lang::new_finding(
        folder,
        ServiceType::Ruby,
        Rank::Language,
        LANGUAGE_CONFIDENCE - 0.1,
    );
    f.indicator(entry);
    f.tech("ruby");
    lang::scan_entry(folder, entry, &mut f);
    f.start_command = Some(format!("ruby {entry}"));
    Some(f)
}

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    if !folder.has("Gemfile") && !folder.has("config.ru") {
        return lone_program(folder);
    }
    let gems: Vec<String> = if folder.has("Gemfile") {
        let text = lang::read_or_diag(folder, "Gemfile", diags)?;
        GEM.as_ref()
            .map(|re| {
                re.captures_iter(&text)
                    .filter_map(|c| c.get(1))
                    .map(|m| m.as_str().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut f = lang::new_finding(
        folder,
        ServiceType::Ruby,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    for ind in ["Gemfile", "config.ru"] {
        if folder.has(ind) {
            f.indicator(ind);
        }
    }
    f.tech("ruby");
    let is_rails = gems.iter().any(|g| g == "rails")
        || folder
            .read_opt("config/application.rb")
            .is_some_and(|t| t.contains("Rails"));
    let mut framework: Option<&str> = None;
    for fw in FRAMEWORKS {
        if (gems.iter().any(|g| g == fw) || (*fw == "rails" && is_rails)) && framework.is_none() {
            framework = Some(fw);
        }
    }
    if let Some(fw) = framework {
        f.tech(fw);
        f.rank = Rank::Framework;
    }
    for server in ["puma", "unicorn", "thin", "falcon"] {
        if gems.iter().any(|g| g == server) {
            f.tech(server);
        }
    }

    let mut code: Vec<String> = ENTRIES.iter().map(|s| s.to_string()).collect();
    code.push("config/puma.rb".into());
    for file in &code {
        if let Some(text) = lang::scan_entry(folder, file, &mut f) {
            for re in RUBY_PORT.iter() {
                for c in re.captures_iter(&text) {
                    if let Some(p) = c.get(1).and_then(|m| ports::parse_port(m.as_str())) {
                        lang::add_port(&mut f, p, PortSource::CodeLiteral);
                    }
                }
            }
        }
    }

    if let Some(routes) = folder.read_opt("config/routes.rb") {
        // Rails 7.1+: `get "up" => "rails/health#show"`.
        if let Some(p) = RAILS_HEALTH
            .as_ref()
            .and_then(|re| re.captures(&routes))
            .and_then(|c| c.get(1))
        {
            f.health_path = Some(format!("/{}", p.as_str().trim_start_matches('/')));
        } else if f.health_path.is_none() {
            f.health_path = lang::health_path(&routes);
        }
    }

    let default = match framework {
        Some("rails" | "hanami") => 3000,
        Some("sinatra") if !folder.has("config.ru") => 4567,
        _ => 9292,
    };
    let has_web = framework.is_some() || folder.has("config.ru");
    if has_web {
        lang::add_port(&mut f, default, PortSource::FrameworkDefault);
    }
    let port = lang::best_port(&f).unwrap_or(default);

    if let Some(cmd) = lang::procfile_web(folder) {
        f.indicator("Procfile");
        lang::user_command(&mut f, &cmd);
    } else {
        f.start_command = match framework {
            Some("rails") => Some(format!("bundle exec rails server -b 0.0.0.0 -p {port}")),
            _ if folder.has("config.ru") => {
                Some(format!("bundle exec rackup --host 0.0.0.0 -p {port}"))
            }
            Some("sinatra") => ENTRIES[1..]
                .iter()
                .find(|e| folder.has(e))
                .map(|e| format!("bundle exec ruby {e} -o 0.0.0.0 -p {port}")),
            // A plain Ruby program beside its Gemfile.
            None if folder.has("Gemfile") => PROGRAMS
                .iter()
                .find(|e| folder.has(e))
                .map(|e| format!("ruby {e}")),
            _ => None,
        };
    }
    match framework {
        Some("rails") => {
            f.env.insert("RAILS_ENV".into(), "production".into());
            f.env.insert("RAILS_LOG_TO_STDOUT".into(), "1".into());
        }
        _ if has_web => {
            f.env.insert("RACK_ENV".into(), "production".into());
        }
        _ => {}
    }
    if f.start_command.is_none() {
        // A Gemfile alone (tooling, a Jekyll site) is not a service.
        f.helper_only = true;
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
    fn rails_fixture() {
        let (f, d) = run(analyze, &fixture("ruby/rails"));
        let f = f.unwrap();
        assert!(d.is_empty());
        assert_eq!(f.technologies, vec!["ruby", "rails", "puma"]);
        assert_eq!(f.rank, Rank::Framework);
        assert_eq!(
            f.start_command.as_deref(),
            Some("bundle exec rails server -b 0.0.0.0 -p 3000")
        );
        assert_eq!(port(&f), Some(3000));
        assert_eq!(
            f.env.get("RAILS_ENV").map(String::as_str),
            Some("production")
        );
        assert_eq!(f.health_path.as_deref(), Some("/up"));
    }

    #[test]
    fn sinatra_fixture() {
        let (f, d) = run(analyze, &fixture("ruby/sinatra"));
        let f = f.unwrap();
        assert!(d.is_empty());
        assert_eq!(f.technologies, vec!["ruby", "sinatra"]);
        assert_eq!(
            f.start_command.as_deref(),
            Some("bundle exec ruby app.rb -o 0.0.0.0 -p 4567")
        );
        assert_eq!(port(&f), Some(4567));
        assert_eq!(f.code_hosts, vec!["mailer"]);
    }

    #[test]
    fn port_precedence() {
        let gem = "source 'https://rubygems.org'\ngem 'sinatra'\n";
        let app = "require 'sinatra'\nset :port, 4600\nget('/') { 'hi' }\n";
        let (f, _) = one(&[
            ("Gemfile", gem),
            ("app.rb", app),
            ("Procfile", "web: bundle exec ruby app.rb -p 5100\n"),
        ]);
        assert_eq!(port(&f.unwrap()), Some(5100));
        let (f, _) = one(&[("Gemfile", gem), ("app.rb", app)]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(4600));
        assert!((f.confidence - 0.9).abs() < 1e-9);
        let (f, _) = one(&[
            ("Gemfile", gem),
            ("config.ru", "run Sinatra::Application\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(9292));
        assert_eq!(
            f.start_command.as_deref(),
            Some("bundle exec rackup --host 0.0.0.0 -p 9292")
        );
    }

    #[test]
    fn plain_ruby_and_puma_ports_from_the_environment() {
        let (f, _) = one(&[
            ("Gemfile", "source 'https://rubygems.org'\n"),
            ("app.rb", "puts 'hello'\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(f.start_command.as_deref(), Some("ruby app.rb"));
        assert!(!f.helper_only);
        assert!(f.ports.is_empty());
        let (f, _) = one(&[
            ("Gemfile", "gem 'sinatra'\ngem 'puma'\n"),
            ("config.ru", "require './app'\nrun Sinatra::Application\n"),
            ("config/puma.rb", "port ENV['PORT'] || 4567\n"),
            ("Procfile", "web: bundle exec puma\n"),
        ]);
        assert_eq!(port(&f.unwrap()), Some(4567));
        let (f, _) = one(&[
            ("Gemfile", "gem 'sinatra'\n"),
            (
                "app.rb",
                "require 'sinatra'\nset :port, ENV['PORT'] || 8123\n",
            ),
        ]);
        assert_eq!(port(&f.unwrap()), Some(8123));
    }

    #[test]
    fn a_lone_ruby_program_at_the_root() {
        let (dir, _) = temp(&[("main.rb", "puts 'hello'\n")]);
        let root = super::super::lang::testutil::folder_of(dir.path(), ".");
        let f = run(analyze, &root).0.unwrap();
        assert_eq!(f.start_command.as_deref(), Some("ruby main.rb"));
        assert!((f.confidence - 0.7).abs() < 1e-9);
        let nested = super::super::lang::testutil::folder_of(dir.path(), "tools");
        assert!(run(analyze, &nested).0.is_none());
    }

    #[test]
    fn gemfile_alone_is_a_helper() {
        let (f, _) = one(&[("Gemfile", "gem 'jekyll'\n")]);
        let f = f.unwrap();
        assert!(f.helper_only);
        assert!(f.ports.is_empty());
        assert!(f.env.is_empty());
    }

    #[test]
    fn unreadable_gemfile_is_a_diagnostic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Gemfile"), [0xffu8, 0xfe, 0]).unwrap();
        let folder = super::super::lang::testutil::folder_of(dir.path(), "svc");
        let (f, d) = run(analyze, &folder);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/Gemfile");
        assert!(d[0].message.starts_with("Gemfile: not UTF-8"));
    }
}
