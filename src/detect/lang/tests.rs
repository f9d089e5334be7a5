use super::*;

#[test]
fn hosts_from_url_literals() {
    let code = r#"
const AUTH = "http://auth:8081/verify";
const r = redis.createClient({ url: 'redis://cache:6379' });
const db = "postgres://user:pw@db:5432/app";
fetch("https://api.github.com/x"); fetch("http://localhost:3000"); fetch("http://0.0.0.0:1");
// "http://commented:1"
const e = "http://example:80";
"#;
    assert_eq!(code_hosts(code), vec!["auth", "cache", "db"]);
    let go = "conn, err := grpc.Dial(\"ledger:7070\", opts...)\nl, _ := net.Listen(\"tcp\", \":8080\")\naddr := 'localhost:9000'\nx := \"tcp:80\"; t := \"10:30\"\n";
    assert_eq!(code_hosts(go), vec!["ledger"]);
}

#[test]
fn port_variables_read_by_the_code() {
    let py = "port = int(os.getenv(\"SHOP_PAYMENT_PORT\", \"8080\"))\napp.run(host='0.0.0.0', port=os.environ.get(\"FLASK_SERVER_PORT\", 9090))\n";
    assert_eq!(
        port_vars(py),
        vec!["SHOP_PAYMENT_PORT", "FLASK_SERVER_PORT"]
    );
    let js = "const port = process.env.CART_SERVER_PORT || '8080';\nserver.listen(process.env['HTTP_PORT']);\n  port: process.env.DATABASE_PORT,\n// const port = process.env.OLD_PORT\nconst host = process.env.API_HOST;\n";
    assert_eq!(port_vars(js), vec!["CART_SERVER_PORT", "HTTP_PORT"]);
    let go = "srvPort := os.Getenv(\"LISTEN_PORT\")\n";
    assert_eq!(port_vars(go), vec!["LISTEN_PORT"]);
    assert!(port_vars("port = os.getenv(\"REDIS_PORT\")\n").is_empty());
}

#[test]
fn hosts_from_environment_defaults() {
    let code = r#"
var redisHost = process.env.REDIS_HOST || 'redis'
const c = process.env["CATALOGUE_URL"] ?? "http://catalogue:8080";
CART = os.getenv('CART_HOST', 'cart')
user = os.environ.get("DB_USER", "admin")
var pg = Environment.GetEnvironmentVariable("POSTGRES_HOST") ?? "db";
local = os.getenv("API_HOST", "localhost")
// x = process.env.OLD_HOST || 'old'
"#;
    assert_eq!(
        env_default_hosts(code),
        vec!["redis", "catalogue", "cart", "db"]
    );
}

#[test]
fn health_routes() {
    assert_eq!(
        health_path("app.get('/healthz', h)").as_deref(),
        Some("/healthz")
    );
    assert_eq!(
        health_path("@app.get(\"/api/health\")").as_deref(),
        Some("/api/health")
    );
    assert_eq!(health_path("app.get('/healthy-food')"), None);
    assert_eq!(
        health_path("r.HandleFunc(\"/_healthz\", ok)").as_deref(),
        Some("/_healthz")
    );
    assert_eq!(health_path("// app.get('/health')"), None);
    assert_eq!(health_path("# '/health'"), None);
    assert_eq!(
        health_path("#[get(\"/healthz\")]").as_deref(),
        Some("/healthz")
    );
}

#[test]
fn jsonc_is_stripped_keeping_lines() {
    let t = "{\n // c\n \"a\": \"x//y\", /* b */\n \"b\": [1,2,],\n}\n";
    let v: serde_json::Value = serde_json::from_str(&strip_jsonc(t)).unwrap();
    assert_eq!(v["a"], "x//y");
    assert_eq!(v["b"][1], 2);
    assert_eq!(strip_jsonc(t).lines().count(), t.lines().count());
}

#[test]
fn toml_errors_carry_line_and_column() {
    let text = "[package]\nname = \"x\"\nversion = \n";
    let e = toml::from_str::<toml::Table>(text).unwrap_err();
    let m = toml_error("Cargo.toml", text, &e);
    assert!(
        m.starts_with("Cargo.toml: invalid TOML at line 3 column"),
        "{m}"
    );
}

#[test]
fn xml_reader() {
    let x = "<?xml version=\"1.0\"?>\n<!-- c -->\n<project a=\"1\">\n <artifactId>svc</artifactId>\n <b x='y'/>\n <c><![CDATA[t]]></c>\n</project>\n";
    let e = xml_elements(x).unwrap();
    assert_eq!(e[0].path, "project/artifactId");
    assert_eq!(e[0].text, "svc");
    assert_eq!(xml_attr(&e[1].attrs, "x").as_deref(), Some("y"));
    assert_eq!(e[2].text, "t");
    assert_eq!(e[3].path, "project");
    assert_eq!(xml_attr(&e[3].attrs, "a").as_deref(), Some("1"));
    let err = xml_elements("<project>\n<a>\n</b>\n</project>").unwrap_err();
    assert!(err.contains("line 3"), "{err}");
    assert!(
        xml_elements("<project><a></a>")
            .unwrap_err()
            .contains("not closed")
    );
    assert!(xml_elements("just text").is_err());
}

#[test]
fn oversized_manifest_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), vec![b' '; 64]).unwrap();
    let mut f = Folder::new(dir.path(), "big");
    f.files.insert("package.json".into());
    f.cap = 16;
    let mut d = Vec::new();
    assert!(read_or_diag(&f, "package.json", &mut d).is_none());
    assert_eq!(d[0].path, "big/package.json");
    assert!(
        d[0].message
            .starts_with("package.json: larger than the 16-byte cap"),
        "{}",
        d[0].message
    );
    assert!(super::super::node::analyze(&f, &mut Vec::new()).is_none());
}

#[test]
fn line_col_counts_from_one() {
    assert_eq!(line_col("ab\ncd", 0), (1, 1));
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
    assert_eq!(line_col("ab", 99), (1, 3));
}
