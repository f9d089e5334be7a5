//! The scan of entry code: port literals, the environment variables the code listens on, host names
//! in URL literals and in environment defaults, and health-check routes.

use std::sync::LazyLock;

use regex::Regex;

use super::super::Finding;
use super::super::ports::{self, PortSource};
use super::add_port;

/// Most distinct host names taken as evidence from the code of one service: beyond, the literals
/// are data (a list of URLs), and the de-duplication stays linear.
pub const MAX_HOSTS: usize = 256;

/// Adds the evidence of one piece of entry code to a finding.
pub fn scan_text(text: &str, f: &mut Finding) {
    for p in ports::from_code(text) {
        add_port(f, p, PortSource::CodeLiteral);
    }
    for h in code_hosts(text).into_iter().chain(env_default_hosts(text)) {
        if f.code_hosts.len() >= MAX_HOSTS {
            break;
        }
        if !f.code_hosts.contains(&h) {
            f.code_hosts.push(h);
        }
    }
    for v in port_vars(text) {
        if f.port_vars.len() >= MAX_HOSTS {
            break;
        }
        if !f.port_vars.contains(&v) {
            f.port_vars.push(v);
        }
    }
    if f.health_path.is_none() {
        f.health_path = health_path(text);
    }
}

/// An environment read in code: `process.env.X`, `process.env["X"]`, `os.getenv("X"`,
/// `os.environ.get("X"`, `os.environ["X"]`, `os.Getenv("X")`, `System.getenv("X"`,
/// `Environment.GetEnvironmentVariable("X")`, `env::var("X")`; group `v` is the variable.
const ENV_READ: &str = r#"(?:process\.env\.(?P<v1>[A-Z][A-Z0-9_]*)|process\.env\[\s*['"](?P<v2>[A-Z][A-Z0-9_]*)['"]\s*\]|(?:getenv|environ\.get|environ\[|Getenv|LookupEnv|getOrDefault|GetEnvironmentVariable|env::var)\s*\(?\s*['"](?P<v3>[A-Z][A-Z0-9_]*)['"])"#;

static PORT_VAR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i:\b\w*port\s*(?::=|=|:)\s*(?:int\s*\(\s*|Number\s*\(\s*|parseInt\s*\(\s*|Integer\.parseInt\s*\(\s*)?|\blisten\s*\(\s*|\bport\s*=\s*)(?:\w+\.)*{ENV_READ}"#
    ))
    .ok()
});

/// Environment variables the code takes its own listening port from: `port = os.environ.get(
/// "FLASK_SERVER_PORT", 9090)`, `const port = process.env.CART_SERVER_PORT || '8080'`,
/// `app.listen(process.env.APP_PORT)`. Only names with `PORT` in them, and not other services'
/// ports (`DATABASE_PORT`).
pub fn port_vars(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(re) = PORT_VAR.as_ref() else {
        return out;
    };
    for line in text.lines().filter(|l| !is_comment(l)) {
        for c in re.captures_iter(line) {
            let Some(v) = c
                .name("v1")
                .or_else(|| c.name("v2"))
                .or_else(|| c.name("v3"))
                .map(|m| m.as_str())
            else {
                continue;
            };
            if v.contains("PORT") && !ports::is_foreign_port_var(v) && !out.iter().any(|x| x == v) {
                out.push(v.to_string());
            }
        }
    }
    out
}

static ENV_DEFAULT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"{ENV_READ}\s*(?:\)\s*)?(?:\|\||\?\?|\?:|,|\bor\b)\s*['"`](?P<d>[^'"`\s]+)['"`]"#
    ))
    .ok()
});

/// Host names given as the default of a host variable read from the environment:
/// `process.env.REDIS_HOST || 'redis'`, `os.getenv('CART_HOST', 'cart')`,
/// `Environment.GetEnvironmentVariable("DB_HOST") ?? "db"` (the key rules of
/// [`super::super::deps::hosts_of`] apply: `*_HOST`, `*_URL`, `*_ADDR`, ..., never `*_USER`).
pub fn env_default_hosts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(re) = ENV_DEFAULT.as_ref() else {
        return out;
    };
    for line in text.lines().filter(|l| !is_comment(l)) {
        for c in re.captures_iter(line) {
            let key = c
                .name("v1")
                .or_else(|| c.name("v2"))
                .or_else(|| c.name("v3"))
                .map_or("", |m| m.as_str());
            let Some(default) = c.name("d").map(|m| m.as_str()) else {
                continue;
            };
            for h in super::super::deps::hosts_of(key, default) {
                if is_service_host(&h) && !out.contains(&h) {
                    out.push(h);
                    if out.len() >= MAX_HOSTS {
                        return out;
                    }
                }
            }
        }
    }
    out
}

static URL_HOST: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b([a-zA-Z][a-zA-Z0-9+.-]{1,20})://(?:[^\s/@'\x22`]*@)?([A-Za-z0-9_.-]+)").ok()
});

/// A quoted `host:port` literal: a gRPC or TCP address (`grpc.Dial("ledger:7070")`).
static HOST_PORT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"["'`]([A-Za-z][A-Za-z0-9_-]{0,62}):\d{2,5}["'`]"#).ok());

/// Words that come before a port without naming a host (`"tcp:8080"`).
const NOT_HOSTS: &[&str] = &["http", "https", "tcp", "udp", "grpc", "unix", "port", "tls"];

/// Whether a code comment starts the (trimmed) line.
fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("//")
        // `#` comments, but not Rust attributes (`#[get("/health")]`) or C# directives.
        || (t.starts_with('#') && !t.starts_with("#[") && !t.starts_with("#!["))
        || t.starts_with("/*")
        || t.starts_with('*')
        || t.starts_with("--")
}

/// Host names in URL literals (`http://auth:8081/x` gives `auth`, `redis://cache:6379` gives `cache`)
/// and quoted `host:port` addresses (`"ledger:7070"`), in order. Local addresses, `example.*` and
/// dotted (public) names are skipped.
pub fn code_hosts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let (Some(re), Some(hp)) = (URL_HOST.as_ref(), HOST_PORT.as_ref()) else {
        return out;
    };
    for line in text.lines().filter(|l| !is_comment(l)) {
        let urls = re
            .captures_iter(line)
            .filter_map(|c| c.get(2).map(|m| m.as_str().trim_end_matches('.')));
        let addrs = hp
            .captures_iter(line)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .filter(|h| !NOT_HOSTS.contains(&h.to_ascii_lowercase().as_str()));
        for host in urls.chain(addrs) {
            if is_service_host(host) && !out.iter().any(|h| h == host) {
                out.push(host.to_string());
                if out.len() >= MAX_HOSTS {
                    return out;
                }
            }
        }
    }
    out
}

/// Whether a host name can name another service of the workspace (not local, not dotted, not numeric).
pub fn is_service_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    !(h.is_empty()
        || h.contains('.')
        || h == "localhost"
        || h.starts_with("example")
        || h.chars().all(|c| c.is_ascii_digit())
        || !h.starts_with(|c: char| c.is_ascii_alphabetic())
        || h.len() > 63)
}

static HEALTH: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"['"`](/(?:api/)?_?(?:health|healthz|healthcheck|health-check|ready|readyz|readiness|live|livez|liveness|ping|status)(?:/(?:live|ready|liveness|readiness))?)/?['"`]"#,
    )
    .ok()
});

/// The first health-check route literal (`"/health"`, `'/healthz'`, `"/api/health"`) in code.
pub fn health_path(text: &str) -> Option<String> {
    let re = HEALTH.as_ref()?;
    text.lines()
        .filter(|l| !is_comment(l))
        .find_map(|l| re.captures(l).and_then(|c| c.get(1)))
        .map(|m| m.as_str().to_string())
}
