//! nginx: `nginx.conf`, or a `*.conf` (also under `conf.d/` and the official image's `templates/`) with
//! a `server { listen … }` block. The first `listen` is the port; `proxy_pass` (and `fastcgi_pass`,
//! `grpc_pass`, `uwsgi_pass`) targets, resolved through `upstream` blocks, are the backends.

use std::collections::BTreeMap;

use super::lang;
use super::ports::{self, PortSource};
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// Base confidence of a proxy configuration.
pub const PROXY_CONFIDENCE: f64 = 0.7;
/// At most this many configuration files of one folder are read.
const FILE_CAP: usize = 32;

/// Configuration sub-folders read together with their parent folder.
const SUB_DIRS: &[&str] = &["conf.d", "templates"];

/// One directive: its words and the names of the blocks around it (`["http", "server"]`).
#[derive(Debug)]
struct Directive {
    words: Vec<String>,
    context: Vec<String>,
}

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    // `conf.d/` and `templates/` belong to the folder above, which reads them.
    if SUB_DIRS.contains(&folder.name().as_str()) && folder.rel != "." {
        return None;
    }
    // Root-level `*.conf`, and `*.conf.template` that an entrypoint renders with `envsubst`.
    let mut candidates: Vec<String> = folder
        .files
        .iter()
        .filter(|f| f.ends_with(".conf") || f.ends_with(".conf.template"))
        .cloned()
        .collect();
    for sub in SUB_DIRS {
        if folder.has_dir(sub) {
            let (files, _) = lang::list_dir(folder, sub);
            candidates.extend(
                files
                    .into_iter()
                    .filter(|f| f.ends_with(".conf") || f.ends_with(".conf.template"))
                    .map(|f| format!("{sub}/{f}")),
            );
        }
    }
    if candidates.is_empty() {
        return None;
    }

    let mut used: Vec<String> = Vec::new();
    let mut directives: Vec<Directive> = Vec::new();
    for file in candidates.iter().take(FILE_CAP) {
        let is_main = file == "nginx.conf";
        let text = if is_main {
            match lang::read_or_diag(folder, file, diags) {
                Some(t) => t,
                None => continue,
            }
        } else {
            match folder.read_opt(file) {
                Some(t) => t,
                None => continue,
            }
        };
        // Other `*.conf` files count only when they hold a server block with `listen`.
        let may_serve = text.contains("server") && text.contains("listen");
        if !is_main && !may_serve {
            continue;
        }
        match parse(&text) {
            Ok(d) => {
                if !is_main
                    && !d.iter().any(|x| {
                        x.words.first().is_some_and(|w| w == "listen")
                            && x.context.iter().any(|c| c == "server")
                    })
                {
                    continue;
                }
                used.push(file.clone());
                directives.extend(d);
            }
            Err(msg) => diags.push(lang::diag(
                folder,
                file,
                format!("{file}: invalid nginx configuration: {msg}"),
            )),
        }
    }
    if used.is_empty() {
        return None;
    }

    let mut f = lang::new_finding(folder, ServiceType::Proxy, Rank::Proxy, PROXY_CONFIDENCE);
    for u in &used {
        f.indicator(u);
    }
    f.tech("nginx");

    let mut upstreams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &directives {
        if d.words.first().is_some_and(|w| w == "server")
            && let Some(up) = d.context.last().and_then(|c| c.strip_prefix("upstream "))
            && let Some(target) = d.words.get(1)
        {
            upstreams
                .entry(up.trim().to_string())
                .or_default()
                .push(host_of(target));
        }
    }
    for d in &directives {
        let Some(name) = d.words.first() else {
            continue;
        };
        match name.as_str() {
            "listen" if d.context.iter().any(|c| c == "server") => {
                if let Some(p) = d.words.get(1).and_then(|a| listen_port(a)) {
                    lang::add_port(&mut f, p, PortSource::RuntimeConfig);
                }
            }
            "proxy_pass" | "fastcgi_pass" | "grpc_pass" | "uwsgi_pass" | "scgi_pass" => {
                let Some(target) = d.words.get(1) else {
                    continue;
                };
                let host = host_of(target);
                let single = [host.clone()];
                let hosts = upstreams.get(&host).map_or(&single[..], |v| &v[..]);
                for h in hosts {
                    // Capped: a configuration naming thousands of upstreams stays linear.
                    if f.proxy_targets.len() >= lang::MAX_HOSTS {
                        break;
                    }
                    if lang::is_service_host(h) && !f.proxy_targets.contains(h) {
                        f.proxy_targets.push(h.clone());
                    }
                }
            }
            _ => {}
        }
        if f.health_path.is_none()
            && let Some(ctx) = d.context.last()
            && let Some(loc) = ctx.strip_prefix("location ")
        {
            let path = loc.trim_start_matches(['=', '^', '~', ' ']).trim();
            if let Some(h) = lang::health_path(&format!("\"{path}\"")) {
                f.health_path = Some(h);
            }
        }
    }
    if f.ports.is_empty() {
        lang::add_port(&mut f, 80, PortSource::FrameworkDefault);
    }
    if f.health_path.is_none() {
        f.health_path = Some("/".into());
    }
    f.start_command = Some("nginx -g 'daemon off;'".into());
    lang::finish(&mut f, false);
    Some(f)
}

/// `80`, `0.0.0.0:8080`, `[::]:80`, `localhost:8080 default_server` → the port.
fn listen_port(arg: &str) -> Option<u16> {
    if arg.starts_with("unix:") {
        return None;
    }
    let p = arg.rsplit(':').next().unwrap_or(arg);
    ports::parse_port(p)
}

/// `http://api:3000/x` → `api`; `php:9000` → `php`; `backend` → `backend`.
fn host_of(target: &str) -> String {
    let t = target.split_once("://").map_or(target, |(_, rest)| rest);
    let t = t.split('/').next().unwrap_or(t);
    let t = t.rsplit_once('@').map_or(t, |(_, h)| h);
    let host = if t.starts_with('[') {
        t.split(']').next().unwrap_or(t).trim_start_matches('[')
    } else {
        t.split(':').next().unwrap_or(t)
    };
    host.to_string()
}

/// Deepest block nesting read.
const MAX_BLOCK_DEPTH: usize = 64;

/// Splits a configuration into directives with their block context. Comments and quotes are
/// honoured; unbalanced braces are an error with the line.
fn parse(text: &str) -> Result<Vec<Directive>, String> {
    let mut out = Vec::new();
    let mut context: Vec<(String, usize)> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    let flush = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                line += 1;
                flush(&mut word, &mut words);
            }
            '#' if word.is_empty() => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '"' | '\'' => {
                for n in chars.by_ref() {
                    if n == c {
                        break;
                    }
                    if n == '\n' {
                        line += 1;
                    }
                    word.push(n);
                }
            }
            // `${var}` inside an argument (`proxy_pass http://${API_HOST}:8080/;`) is a variable,
            // not a block.
            '{' if word.ends_with('$') => {
                word.push(c);
                for n in chars.by_ref() {
                    word.push(n);
                    if n == '}' {
                        break;
                    }
                    if n == '\n' {
                        line += 1;
                    }
                }
            }
            '{' => {
                flush(&mut word, &mut words);
                // Every directive records its blocks: bounded, so a file of nested braces stays
                // linear (real configurations nest a few levels).
                if context.len() >= MAX_BLOCK_DEPTH {
                    return Err(format!(
                        "blocks nested deeper than {MAX_BLOCK_DEPTH} levels at line {line}"
                    ));
                }
                context.push((std::mem::take(&mut words).join(" "), line));
            }
            '}' => {
                flush(&mut word, &mut words);
                if !words.is_empty() {
                    return Err(format!("missing `;` before `}}` at line {line}"));
                }
                if context.pop().is_none() {
                    return Err(format!("unexpected `}}` at line {line}"));
                }
            }
            ';' => {
                flush(&mut word, &mut words);
                if !words.is_empty() {
                    out.push(Directive {
                        words: std::mem::take(&mut words),
                        context: context.iter().map(|(n, _)| n.clone()).collect(),
                    });
                }
            }
            c if c.is_whitespace() => flush(&mut word, &mut words),
            c => word.push(c),
        }
    }
    if let Some((name, at)) = context.last() {
        return Err(format!("block `{name}` opened at line {at} is not closed"));
    }
    Ok(out)
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
    fn proxy_fixture() {
        let (f, d) = run(analyze, &fixture("nginx/proxy"));
        let f = f.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.kind, ServiceType::Proxy);
        assert_eq!(f.rank, Rank::Proxy);
        assert_eq!(f.technologies, vec!["nginx"]);
        assert_eq!(port(&f), Some(8080));
        assert_eq!(f.proxy_targets, vec!["web", "api", "auth"]);
        assert_eq!(f.health_path.as_deref(), Some("/healthz"));
        assert_eq!(f.start_command.as_deref(), Some("nginx -g 'daemon off;'"));
        assert!((f.confidence - 0.75).abs() < 1e-9);
    }

    #[test]
    fn listen_forms_and_default_port() {
        let conf = "server {\n listen [::]:8443 ssl; # tls\n listen 0.0.0.0:8081 default_server;\n location / { proxy_pass http://10.0.0.1:80; proxy_pass http://localhost:3000; }\n}\n";
        let (f, _) = one(&[("site.conf", conf)]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(8443));
        assert!(f.proxy_targets.is_empty());
        assert_eq!(f.health_path.as_deref(), Some("/"));
        let (f, _) = one(&[("nginx.conf", "events {}\nhttp { include conf.d/*.conf; }\n")]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(80));
        assert!((f.confidence - 0.7).abs() < 1e-9);
    }

    #[test]
    fn other_conf_files_are_not_nginx() {
        assert!(
            one(&[("redis.conf", "port 6379\nbind 0.0.0.0\n")])
                .0
                .is_none()
        );
        assert!(
            one(&[("supervisord.conf", "[program:x]\ncommand=server listen\n")])
                .0
                .is_none()
        );
    }

    #[test]
    fn templates_and_variables_in_arguments() {
        let conf = "server {\n    listen 8080;\n    location /api/user/ {\n        proxy_pass http://${USER_HOST}:8080/;\n    }\n    location /api/cart/ { proxy_pass http://cart:8080/; }\n}\n";
        let (f, d) = one(&[("default.conf.template", conf)]);
        assert!(d.is_empty(), "{d:?}");
        let f = f.unwrap();
        assert_eq!(f.indicators, vec!["default.conf.template"]);
        assert_eq!(port(&f), Some(8080));
        assert_eq!(f.proxy_targets, vec!["cart"]);
    }

    #[test]
    fn conf_d_layout_and_fastcgi() {
        let conf = "server { listen 80; location ~ \\.php$ { fastcgi_pass php:9000; } }";
        let (dir, folder) = temp(&[("conf.d/default.conf", conf)]);
        let (f, _) = run(analyze, &folder);
        let f = f.unwrap();
        assert_eq!(f.indicators, vec!["conf.d/default.conf"]);
        assert_eq!(f.proxy_targets, vec!["php"]);
        // The walker also visits conf.d itself: its parent already claimed it.
        let sub = super::super::lang::testutil::folder_of(&dir.path().join("conf.d"), "svc/conf.d");
        assert!(run(analyze, &sub).0.is_none());
    }

    #[test]
    fn unbalanced_config_is_a_diagnostic() {
        let (f, d) = one(&[("nginx.conf", "http {\n server {\n  listen 80;\n}\n")]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/nginx.conf");
        assert!(
            d[0].message.contains("opened at line 1 is not closed"),
            "{}",
            d[0].message
        );
        let (f, d) = one(&[("nginx.conf", "server { listen 80 }\n")]);
        assert!(f.is_none());
        assert!(d[0].message.contains("missing `;`"), "{}", d[0].message);
    }
}
