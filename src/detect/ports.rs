//! Port evidence and its precedence (PRODUCT.md section 3): explicit runtime config > compose container
//! port > Dockerfile `ENV PORT` > final-stage `EXPOSE` > a literal in entry code > framework default.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

/// Where a port came from; a larger value wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortSource {
    FrameworkDefault = 1,
    CodeLiteral = 2,
    Expose = 3,
    DockerfileEnv = 4,
    ComposeContainer = 5,
    /// Start-script `PORT=`/`--port`/`-p`, Dockerfile `CMD`/`ENTRYPOINT` flags, compose `command`/env.
    RuntimeConfig = 6,
}

/// One piece of port evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortHint {
    pub port: u16,
    pub source: PortSource,
}

impl PortHint {
    pub fn new(port: u16, source: PortSource) -> Self {
        PortHint { port, source }
    }
}

/// The winning port: highest source, first seen among equals.
pub fn resolve(hints: &[PortHint]) -> Option<u16> {
    let mut best: Option<PortHint> = None;
    for h in hints {
        if best.is_none_or(|b| h.source > b.source) {
            best = Some(*h);
        }
    }
    best.map(|b| b.port)
}

/// All distinct ports, winner first, then by source strength, then first seen. A framework default
/// is a guess for when nothing else is known: beside real evidence it is not listed (it would be
/// published as a second port the service never listens on).
pub fn ordered(hints: &[PortHint]) -> Vec<u16> {
    let evidence = hints
        .iter()
        .any(|h| h.source > PortSource::FrameworkDefault);
    let mut v: Vec<(usize, PortHint)> = hints
        .iter()
        .copied()
        .filter(|h| !evidence || h.source > PortSource::FrameworkDefault)
        .enumerate()
        .collect();
    v.sort_by(|(ia, a), (ib, b)| b.source.cmp(&a.source).then(ia.cmp(ib)));
    let mut out: Vec<u16> = Vec::new();
    for (_, h) in v {
        if !out.contains(&h.port) {
            out.push(h.port);
        }
    }
    out
}

/// Parses a port number, refusing 0 and anything out of range.
pub fn parse_port(s: &str) -> Option<u16> {
    match s.trim().parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Some(p as u16),
        _ => None,
    }
}

static CMD_PORT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // PORT=4000 node server.js, export PORT=4000, --env PORT=4000
        r"(?:^|[\s;&'\x22])PORT\s*=\s*(\d{1,5})\b",
        // --port 8000, --port=8000, --http-port 8000, --server.port=8080
        r"(?:^|\s)--(?:[a-z.]+[-.])?port(?:\s+|=)(\d{1,5})\b",
        // -p 8000 (a flag, not -p in a path)
        r"(?:^|\s)-p\s+(\d{1,5})\b",
        // --bind 0.0.0.0:8000, -b 0.0.0.0:8000, --listen :8080, --addr=:9000
        r"(?:^|\s)(?:--bind|-b|--listen|--addr|--address|--host)(?:\s+|=)[\w.\[\]:-]*:(\d{1,5})\b",
        // runserver 0.0.0.0:8000
        r"runserver\s+(?:[\w.]+:)?(\d{1,5})\b",
        // php -S 0.0.0.0:8000
        r"(?:^|\s)-S\s+[\w.]*:(\d{1,5})\b",
    ]
    .iter()
    .filter_map(|r| Regex::new(r).ok())
    .collect()
});

/// A port named explicitly in a start command or script (`PORT=4000 node .`, `--port 8000`,
/// `-p 8000`, `--bind 0.0.0.0:8000`, `runserver 0.0.0.0:8000`).
pub fn from_command(cmd: &str) -> Option<u16> {
    CMD_PORT
        .iter()
        .filter_map(|re| re.captures(cmd))
        .filter_map(|c| c.get(1))
        .find_map(|m| parse_port(m.as_str()))
}

/// Environment variables that set a service's own listening port, most specific first: ASP.NET
/// Core's URLs and ports, the JVM frameworks' relaxed-binding forms, then the generic ones.
pub const PORT_ENV_VARS: &[&str] = &[
    "ASPNETCORE_URLS",
    "ASPNETCORE_HTTP_PORTS",
    "DOTNET_URLS",
    "SERVER_PORT",
    "QUARKUS_HTTP_PORT",
    "MICRONAUT_SERVER_PORT",
    "PORT",
    "HTTP_PORT",
    "FLASK_RUN_PORT",
    "UVICORN_PORT",
    "GUNICORN_CMD_ARGS",
];

/// The listening port an environment gives a service: `ASPNETCORE_URLS=http://+:8000`,
/// `ASPNETCORE_HTTP_PORTS=8080;8081`, `SERVER_PORT=9090`, `PORT=4000`, `GUNICORN_CMD_ARGS=--bind
/// 0.0.0.0:7000`, ... (the variables of [`PORT_ENV_VARS`], in that order). Any env map will do:
/// compose `environment`, Dockerfile `ENV`, `.env`, Kubernetes container env. A value that names no
/// port (`${PORT}`, `https://+:443` without an HTTP URL beside it) gives nothing.
pub fn port_from_env(env: &BTreeMap<String, String>) -> Option<u16> {
    port_from_env_with(env, &[])
}

/// Like [`port_from_env`], but the variables the service's own code listens on (`FLASK_SERVER_PORT`,
/// found by the entry-code scan) are looked up first.
pub fn port_from_env_with(env: &BTreeMap<String, String>, own_vars: &[String]) -> Option<u16> {
    own_vars
        .iter()
        .map(String::as_str)
        .chain(PORT_ENV_VARS.iter().copied())
        .find_map(|k| env.get(k).and_then(|v| env_value_port(k, v)))
}

/// The port one `KEY=value` of [`PORT_ENV_VARS`] (or a port variable the code reads) names.
pub fn env_value_port(key: &str, value: &str) -> Option<u16> {
    let v = value.trim().trim_matches(['"', '\'']);
    match key {
        "ASPNETCORE_URLS" | "DOTNET_URLS" | "URLS" => listen_urls_port(v),
        "ASPNETCORE_HTTP_PORTS" | "ASPNETCORE_HTTPS_PORTS" => {
            v.split([';', ',']).find_map(parse_port)
        }
        "GUNICORN_CMD_ARGS" => from_command(v),
        _ => parse_port(v).or_else(|| placeholder_default(v)),
    }
}

static LISTEN_URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(https?)://(?:\+|\*|0\.0\.0\.0|localhost|127\.0\.0\.1|\[::\]|[A-Za-z0-9_.-]+)?:(\d{1,5})",
    )
    .ok()
});

/// The port of a listening-URL list (`http://+:8000;https://+:8443` gives 8000): the first plain
/// HTTP URL, else the first URL at all.
pub fn listen_urls_port(v: &str) -> Option<u16> {
    let re = LISTEN_URL.as_ref()?;
    let all: Vec<(bool, u16)> = re
        .captures_iter(v)
        .filter_map(|c| {
            let http = c.get(1)?.as_str() == "http";
            Some((http, parse_port(c.get(2)?.as_str())?))
        })
        .collect();
    all.iter()
        .find(|(http, _)| *http)
        .or(all.first())
        .map(|(_, p)| *p)
}

static PLACEHOLDER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\$\{[A-Za-z_][A-Za-z0-9_.]*(?::-?|-)(\d{1,5})\}$").ok());

/// The default of a placeholder: `${PORT:-8000}` (shell), `${PORT:8080}` (Spring), `${PORT-80}`.
pub fn placeholder_default(v: &str) -> Option<u16> {
    PLACEHOLDER
        .as_ref()?
        .captures(v.trim())?
        .get(1)
        .and_then(|m| parse_port(m.as_str()))
}

static VAR_REF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))").ok()
});

/// Substitutes `$VAR`, `${VAR}` and `${VAR:-default}` in a command from `env` (a reference to a
/// variable that is not set keeps its default, or stays as written), so that `gunicorn -b :$PORT`
/// with `PORT=8000` in the env reads as `gunicorn -b :8000`.
pub fn expand_command(cmd: &str, env: &BTreeMap<String, String>) -> String {
    let Some(re) = VAR_REF.as_ref() else {
        return cmd.to_string();
    };
    re.replace_all(cmd, |c: &regex::Captures<'_>| {
        let name = c.get(1).or_else(|| c.get(4)).map_or("", |m| m.as_str());
        match (env.get(name), c.get(3)) {
            (Some(v), _) if !v.is_empty() => v.clone(),
            (_, Some(default)) => default.as_str().to_string(),
            _ => c.get(0).map_or(String::new(), |m| m.as_str().to_string()),
        }
    })
    .into_owned()
}

/// The port a start command names once its variables are resolved through `env`
/// (`uvicorn main:app --port ${PORT:-8000}`, `gunicorn -b :$PORT` with `PORT=7000`).
pub fn from_command_env(cmd: &str, env: &BTreeMap<String, String>) -> Option<u16> {
    from_command(&expand_command(cmd, env))
}

static CODE_PORT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // listen(4000), .listen(4000, ...), app.listen(port=4000), listen(process.env.PORT || 4000)
        r"\blisten\s*\(\s*(?:[\w.]+\s*(?:\|\||\?\?|or)\s*)?(?:port\s*=\s*)?(\d{2,5})\b",
        // const PORT = 4000; port = 8000; PORT: 3000; port = process.env.X || '8080'
        r"(?i)\bport\b\s*[:=]\s*(?:[\w.\[\]'\x22]+\s*(?:\|\||\?\?|or)\s*)?['\x22]?(\d{2,5})\b",
        // ":8081" (Go), "0.0.0.0:7000", "127.0.0.1:3000", "[::]:8080"
        r#"['"](?:0\.0\.0\.0|127\.0\.0\.1|localhost|\[::\]|::)?:(\d{2,5})['"]"#,
        // bind("0.0.0.0", 7000) / bind(("0.0.0.0", 7000)) / run(host="0.0.0.0", port=7000)
        r#"bind\s*\(\s*\(?\s*['"][\w.:]*['"]\s*,\s*(\d{2,5})"#,
    ]
    .iter()
    .filter_map(|r| Regex::new(r).ok())
    .collect()
});

/// The default of a port variable read from the environment: `getenv("PORT", "8000")`,
/// `os.environ.get("FLASK_SERVER_PORT", 9090)`, `getOrDefault("PORT", "9555")`.
static ENV_PORT_DEFAULT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?:getenv|environ\.get|env::var_or|env\.get|getOrDefault)\s*\(\s*['"]([A-Za-z0-9_]*(?:PORT|port))['"]\s*,\s*['"]?(\d{2,5})"#,
    )
    .ok()
});

/// Words of variables that hold another service's port (`DATABASE_PORT`, `REDIS_PORT`), never the
/// service's own.
const FOREIGN_PORT_WORDS: &[&str] = &[
    "DB", "DATABASE", "REDIS", "MONGO", "MONGODB", "POSTGRES", "PG", "MYSQL", "AMQP", "RABBIT",
    "RABBITMQ", "KAFKA", "SMTP", "MAIL", "CACHE", "QUEUE", "ELASTIC", "UPSTREAM",
];

/// Whether a port variable names another service's port (`DB_PORT`, `REDIS_PORT`).
pub fn is_foreign_port_var(name: &str) -> bool {
    name.to_ascii_uppercase()
        .split('_')
        .any(|w| FOREIGN_PORT_WORDS.contains(&w))
}

/// Ports of backing services (databases, caches, brokers, search): a literal one in code next to a
/// `port` key configures a client, not the service's own listener.
pub const BACKING_PORTS: &[u16] = &[
    1433, 1521, 2181, 2379, 3306, 4222, 5432, 5672, 6379, 6650, 7687, 8529, 9042, 9092, 9200, 9300,
    11211, 15672, 26257, 27017,
];

static CONNECTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\b(?:server|host|hostname|data source|database|initial catalog|uid|user id|username|pwd|password)\s*=[^;'\x22]*;)|(?:jdbc|mysql|postgres(?:ql)?|mongodb(?:\+srv)?|redis|amqps?)://",
    )
    .ok()
});

/// Whether a line of code holds a connection string to another service (`"Server=db;Port=3306;..."`,
/// `jdbc:postgresql://db:5432/x`).
fn is_connection_line(line: &str) -> bool {
    CONNECTION.as_ref().is_some_and(|re| re.is_match(line))
}

/// Most distinct port literals taken from one piece of code: a service listens on a few ports;
/// past that the literals are data, not evidence (and the look-up stays linear).
pub const MAX_CODE_PORTS: usize = 32;

/// Port literals in entry code, in order of appearance (`listen(4000)`, `":8081"`,
/// `bind("0.0.0.0:7000")`, `port=5000`). Comment lines (`//`, `#`) are skipped.
pub fn from_code(text: &str) -> Vec<u16> {
    let mut found: Vec<(usize, u16)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if !(t.starts_with("//") || t.starts_with('#') || t.starts_with("/*") || t.starts_with('*'))
        {
            let connection = is_connection_line(line);
            for (i, re) in CODE_PORT.iter().enumerate() {
                for c in re.captures_iter(line) {
                    if let Some(m) = c.get(1)
                        && let Some(p) = parse_port(m.as_str())
                    {
                        // `listen(5432)` is the service's own port whatever the number; a
                        // `Port=3306` in a connection string or a `port: 6379` beside a database
                        // host is another service's.
                        let own = i == 0 || !(connection || BACKING_PORTS.contains(&p));
                        if own {
                            found.push((offset + m.start(), p));
                        }
                    }
                }
            }
            if let Some(re) = ENV_PORT_DEFAULT.as_ref() {
                for c in re.captures_iter(line) {
                    if let (Some(k), Some(m)) = (c.get(1), c.get(2))
                        && !is_foreign_port_var(k.as_str())
                        && let Some(p) = parse_port(m.as_str())
                    {
                        found.push((offset + m.start(), p));
                    }
                }
            }
        }
        offset += line.len();
    }
    found.sort_by_key(|(at, _)| *at);
    let mut out = Vec::new();
    for (_, p) in found {
        if out.len() >= MAX_CODE_PORTS {
            break;
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_picks_the_strongest_source() {
        let hints = [
            PortHint::new(3000, PortSource::FrameworkDefault),
            PortHint::new(4000, PortSource::CodeLiteral),
            PortHint::new(8080, PortSource::Expose),
        ];
        assert_eq!(resolve(&hints), Some(8080));
        assert_eq!(ordered(&hints), vec![8080, 4000]);
        assert_eq!(resolve(&[]), None);
        // a default alone is still the port
        let guess = [PortHint::new(3000, PortSource::FrameworkDefault)];
        assert_eq!(resolve(&guess), Some(3000));
        assert_eq!(ordered(&guess), vec![3000]);
    }

    #[test]
    fn command_flags() {
        assert_eq!(from_command("PORT=4000 node server.js"), Some(4000));
        assert_eq!(from_command("uvicorn main:app --port 8001"), Some(8001));
        assert_eq!(from_command("next start -p 3100"), Some(3100));
        assert_eq!(
            from_command("gunicorn app:app --bind 0.0.0.0:8000"),
            Some(8000)
        );
        assert_eq!(
            from_command("python manage.py runserver 0.0.0.0:8002"),
            Some(8002)
        );
        assert_eq!(
            from_command("java -jar app.jar --server.port=9090"),
            Some(9090)
        );
        assert_eq!(from_command("node server.js"), None);
        assert_eq!(from_command("PORT=99999 node ."), None);
    }

    #[test]
    fn code_literals() {
        assert_eq!(from_code("app.listen(4000, () => {})"), vec![4000]);
        assert_eq!(
            from_code("app.listen(process.env.PORT || 4001)"),
            vec![4001]
        );
        assert_eq!(from_code("http.ListenAndServe(\":8081\", nil)"), vec![8081]);
        assert_eq!(
            from_code("TcpListener::bind(\"0.0.0.0:7000\").await"),
            vec![7000]
        );
        assert_eq!(from_code("app.run(host='0.0.0.0', port=5001)"), vec![5001]);
        assert_eq!(from_code("// app.listen(1234)\nfoo()"), Vec::<u16>::new());
        assert_eq!(
            from_code("const port = process.env.CART_SERVER_PORT || '8080';"),
            vec![8080]
        );
        assert_eq!(
            from_code("app.run(port=os.environ.get(\"FLASK_SERVER_PORT\", 9090))"),
            vec![9090]
        );
        assert_eq!(
            from_code(
                "int port = Integer.parseInt(System.getenv().getOrDefault(\"PORT\", \"9555\"));"
            ),
            vec![9555]
        );
        assert!(from_code("db = connect(port=os.getenv(\"DB_PORT\", \"5432\"))").is_empty());
        // Another service's port in a connection string or a client's options.
        assert!(from_code("var cs = \"Server=db;Port=3306;Database=shop;Uid=root;\";").is_empty());
        assert!(from_code("const pool = new Pool({ host: 'db', port: 5432 });").is_empty());
        assert_eq!(
            from_code("const redis = { port: 6379 };\napp.listen(8080);"),
            vec![8080]
        );
        assert_eq!(from_code("server.listen(5432)"), vec![5432]);
        assert!(is_foreign_port_var("REDIS_PORT"));
        assert!(!is_foreign_port_var("SHOP_PAYMENT_PORT"));
    }

    #[test]
    fn ports_from_an_environment() {
        let env = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            port_from_env(&env(&[("ASPNETCORE_URLS", "http://+:8000")])),
            Some(8000)
        );
        assert_eq!(
            port_from_env(&env(&[(
                "ASPNETCORE_URLS",
                "https://+:8443;http://0.0.0.0:5005"
            )])),
            Some(5005)
        );
        assert_eq!(
            port_from_env(&env(&[("ASPNETCORE_HTTP_PORTS", "7070;7071")])),
            Some(7070)
        );
        assert_eq!(
            port_from_env(&env(&[("SERVER_PORT", "9090"), ("PORT", "3000")])),
            Some(9090)
        );
        assert_eq!(
            port_from_env(&env(&[("PORT", "${PORT:-4000}")])),
            Some(4000)
        );
        assert_eq!(
            port_from_env(&env(&[("GUNICORN_CMD_ARGS", "--bind 0.0.0.0:7000 -w 2")])),
            Some(7000)
        );
        assert_eq!(
            port_from_env(&env(&[("DB_PORT", "5432"), ("PORT", "${PORT}")])),
            None
        );
        let own = vec!["FLASK_SERVER_PORT".to_string()];
        assert_eq!(
            port_from_env_with(&env(&[("FLASK_SERVER_PORT", "9091"), ("PORT", "80")]), &own),
            Some(9091)
        );
    }

    #[test]
    fn commands_resolved_through_the_environment() {
        let mut env = BTreeMap::new();
        assert_eq!(
            from_command_env("uvicorn main:app --port ${PORT:-8000}", &env),
            Some(8000)
        );
        assert_eq!(from_command_env("gunicorn app:app -b :$PORT", &env), None);
        env.insert("PORT".to_string(), "7000".to_string());
        assert_eq!(
            from_command_env("gunicorn app:app -b :$PORT", &env),
            Some(7000)
        );
        assert_eq!(
            from_command_env("gunicorn app:app --bind 0.0.0.0:${PORT:-8000}", &env),
            Some(7000)
        );
        assert_eq!(expand_command("echo $HOME ${X:-y}", &env), "echo $HOME y");
        assert_eq!(placeholder_default("${PORT:8080}"), Some(8080));
        assert_eq!(listen_urls_port("https://+:443"), Some(443));
    }
}
