//! Port evidence and its precedence (PRODUCT.md section 3): explicit runtime config > compose container
//! port > Dockerfile `ENV PORT` > final-stage `EXPOSE` > a literal in entry code > framework default.

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

/// Port literals in entry code, in order of appearance (`listen(4000)`, `":8081"`,
/// `bind("0.0.0.0:7000")`, `port=5000`). Comment lines (`//`, `#`) are skipped.
pub fn from_code(text: &str) -> Vec<u16> {
    let mut found: Vec<(usize, u16)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if !(t.starts_with("//") || t.starts_with('#') || t.starts_with("/*") || t.starts_with('*'))
        {
            for re in CODE_PORT.iter() {
                for c in re.captures_iter(line) {
                    if let Some(m) = c.get(1)
                        && let Some(p) = parse_port(m.as_str())
                    {
                        found.push((offset + m.start(), p));
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
        assert!(is_foreign_port_var("REDIS_PORT"));
        assert!(!is_foreign_port_var("SHOP_PAYMENT_PORT"));
    }
}
