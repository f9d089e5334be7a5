//! .NET Aspire app hosts: a project on `Aspire.AppHost.Sdk` whose `Program.cs` (or `AppHost.cs`)
//! wires the other projects of the solution together. `builder.AddProject<Projects.Basket_API>(
//! "basket-api")` names a project (found through the host's `ProjectReference`s) and the name it is
//! reached by; `.WithReference(x)`, `.WithEnvironment("K", x.GetEndpoint(...))` make it depend on
//! `x` (soft), `.WaitFor(x)` (hard). The host itself orchestrates the others on a developer's machine:
//! it is not a service to deploy. The reading is textual and bounded (statements split at `;`,
//! comments dropped); resources that are not projects of the workspace (`AddRedis`, `AddPostgres`)
//! are not edges.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::compose::join_rel;
use super::folder::Folder;
use super::lang;
use super::model::{Diagnostic, EdgeKind};

/// Entry files of an app host, in the order they are looked for.
const ENTRY: &[&str] = &["Program.cs", "AppHost.cs"];
/// At most this many edges are kept.
const EDGE_CAP: usize = 256;

/// What an app host states about the projects it runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppHost {
    /// Resource names and the project folders they run (workspace-relative).
    pub projects: Vec<(String, String)>,
    pub edges: Vec<HostEdge>,
}

/// One dependency between two project folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEdge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    pub evidence: String,
    /// Stated in a later statement on a project already defined (`identity.WithEnvironment(
    /// "WebClient", web.GetEndpoint("http"))`): a callback address, not a startup dependency.
    pub late: bool,
}

static PROJECT_REF: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"<ProjectReference\s+Include\s*=\s*"([^"]+)""#).ok());
static ASSIGN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?:var\s+|[A-Za-z_][\w<>.]*\s+)?([A-Za-z_]\w*)\s*=\s*([^=].*)$").ok()
});
static ADD_PROJECT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"AddProject<\s*Projects\.(\w+)\s*>\s*\(\s*"([^"]+)""#).ok());
static LEAD: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^([A-Za-z_]\w*)\s*\.").ok());
static CALL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\.(WithReference|WaitFor|WaitForCompletion|WithEnvironment)\s*\(").ok()
});
static IDENT: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[A-Za-z_]\w*").ok());

/// The app host in this folder, when its project file is one.
pub fn app_host(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<AppHost> {
    // Every app host has its entry file; most folders have neither.
    if !ENTRY.iter().any(|f| folder.has(f)) {
        return None;
    }
    let proj = folder.files_ending(".csproj").find(|f| {
        folder.read_opt(f).is_some_and(|t| {
            t.contains("Aspire.AppHost.Sdk")
                || t.contains("<IsAspireHost>true")
                || t.contains("Aspire.Hosting.AppHost")
        })
    })?;
    let proj_text = lang::read_or_diag(folder, proj, diags)?;
    // `Projects.Basket_API` is generated from `Basket.API.csproj`.
    let mut classes: HashMap<String, String> = HashMap::new();
    for c in PROJECT_REF.as_ref()?.captures_iter(&proj_text) {
        let path = c[1].replace('\\', "/");
        let (dir, file) = path.rsplit_once('/').unwrap_or((".", path.as_str()));
        let Some(stem) = file.strip_suffix(".csproj") else {
            continue;
        };
        if let Some(d) = join_rel(&folder.rel, dir) {
            classes.insert(stem.replace(['.', '-'], "_"), d);
        }
    }
    let text = ENTRY.iter().find_map(|f| folder.read_opt(f))?;
    Some(parse(&text, &classes))
}

/// What a host's program states, given the project class names it can use and their folders.
pub fn parse(text: &str, classes: &HashMap<String, String>) -> AppHost {
    let mut out = AppHost::default();
    let (Some(assign), Some(add), Some(lead), Some(call), Some(ident)) = (
        ASSIGN.as_ref(),
        ADD_PROJECT.as_ref(),
        LEAD.as_ref(),
        CALL.as_ref(),
        IDENT.as_ref(),
    ) else {
        return out;
    };
    // Variable -> (resource name, project folder).
    let mut vars: HashMap<String, (String, String)> = HashMap::new();
    let code = strip_comments(text);
    for stmt in code.split(';') {
        let stmt = stmt.split_whitespace().collect::<Vec<_>>().join(" ");
        let (target, rhs) = match assign.captures(&stmt) {
            Some(c) if !stmt.starts_with("return") => (Some(c[1].to_string()), c[2].to_string()),
            _ => (None, stmt.clone()),
        };
        let defining = add.is_match(&rhs);
        let subject = if let Some(c) = add.captures(&rhs) {
            let Some(dir) = classes.get(&c[1]) else {
                continue;
            };
            let project = (c[2].to_string(), dir.clone());
            if !out.projects.contains(&project) {
                out.projects.push(project.clone());
            }
            Some(project)
        } else {
            lead.captures(&rhs).and_then(|c| vars.get(&c[1]).cloned())
        };
        let Some((name, dir)) = subject else {
            continue;
        };
        if let Some(t) = target {
            // `var x = project...`, or an endpoint of it: `var e = x.GetEndpoint("http")`.
            vars.insert(t, (name.clone(), dir.clone()));
        }
        for m in call.captures_iter(&rhs) {
            let (Some(all), Some(method)) = (m.get(0), m.get(1)) else {
                continue;
            };
            let args = balanced(&rhs[all.end()..]);
            let kind = if method.as_str().starts_with("WaitFor") {
                EdgeKind::Hard
            } else {
                EdgeKind::Soft
            };
            for id in ident.find_iter(args) {
                let Some((to_name, to)) = vars.get(id.as_str()) else {
                    continue;
                };
                if *to == dir || out.edges.len() >= EDGE_CAP {
                    continue;
                }
                let evidence = format!("aspire {name} {}({})", method.as_str(), to_name);
                match out.edges.iter_mut().find(|e| e.from == dir && e.to == *to) {
                    Some(e) => {
                        if kind == EdgeKind::Hard && e.kind == EdgeKind::Soft {
                            e.kind = kind;
                            e.evidence = evidence;
                        }
                    }
                    None => out.edges.push(HostEdge {
                        from: dir.clone(),
                        to: to.clone(),
                        kind,
                        evidence,
                        late: !defining,
                    }),
                }
            }
        }
    }
    out
}

/// The text up to the parenthesis that closes the one just opened.
fn balanced(s: &str) -> &str {
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &s[..i];
                }
            }
            _ => {}
        }
    }
    s
}

/// C# source without `//` and `/* */` comments (string literals are kept as they are).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' && i + 1 < b.len() {
                out.push_str(&text[i..i + 2]);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            match text[i + 2..].find("*/") {
                Some(end) => i += end + 4,
                None => break,
            }
            continue;
        }
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = r#"
var builder = DistributedApplication.CreateBuilder(args);
var cache = builder.AddRedis("cache");
var db = builder.AddPostgres("pg").AddDatabase("ordersdb");

// var old = builder.AddProject<Projects.Legacy>("legacy");
var identity = builder.AddProject<Projects.Identity_Api>("identity-api", "http")
    .WithReference(db);
var identityEndpoint = identity.GetEndpoint("http");

var orders = builder.AddProject<Projects.Orders_Api>("orders-api")
    .WithReference(cache)
    .WithReference(db).WaitFor(db)
    .WithEnvironment("Identity__Url", identityEndpoint);

builder.AddProject<Projects.Order_Worker>("order-worker")
    .WaitFor(orders); /* the worker needs the migrations; orders also WithReference(identity) */

var web = builder.AddProject<Projects.Web>("web")
    .WithReference(orders)
    .WithEnvironment("Callback", "https://x/;y");
identity.WithEnvironment("WebClient", web.GetEndpoint("http"));
builder.Build().Run();
"#;

    fn classes() -> HashMap<String, String> {
        [
            ("Identity_Api", "src/Identity.Api"),
            ("Orders_Api", "src/Orders.Api"),
            ("Order_Worker", "src/Order-Worker"),
            ("Web", "src/Web"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn projects_and_their_references() {
        let h = parse(HOST, &classes());
        assert_eq!(
            h.projects
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            ["identity-api", "orders-api", "order-worker", "web"]
        );
        let edges: Vec<(&str, &str, EdgeKind)> = h
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.kind))
            .collect();
        assert_eq!(
            edges,
            vec![
                ("src/Orders.Api", "src/Identity.Api", EdgeKind::Soft),
                ("src/Order-Worker", "src/Orders.Api", EdgeKind::Hard),
                ("src/Web", "src/Orders.Api", EdgeKind::Soft),
                ("src/Identity.Api", "src/Web", EdgeKind::Soft),
            ]
        );
        assert_eq!(
            h.edges[1].evidence,
            "aspire order-worker WaitFor(orders-api)"
        );
        assert_eq!(
            h.edges.iter().map(|e| e.late).collect::<Vec<_>>(),
            [false, false, false, true]
        );
    }

    #[test]
    fn an_app_host_is_found_by_its_project_file() {
        let (_d, mut f) = crate::detect::lang::testutil::temp(&[
            (
                "Shop.AppHost.csproj",
                "<Project Sdk=\"Aspire.AppHost.Sdk/9.0.0\">\n  <ItemGroup>\n    <ProjectReference Include=\"..\\Web\\Web.csproj\" />\n    <ProjectReference Include=\"..\\Orders.Api\\Orders.Api.csproj\" />\n  </ItemGroup>\n</Project>\n",
            ),
            (
                "Program.cs",
                "var b = DistributedApplication.CreateBuilder(args);\nvar o = b.AddProject<Projects.Orders_Api>(\"orders\");\nb.AddProject<Projects.Web>(\"web\").WithReference(o);\n",
            ),
        ]);
        f.rel = "src/Shop.AppHost".to_string();
        let h = app_host(&f, &mut Vec::new()).unwrap();
        assert_eq!(
            h.projects,
            vec![
                ("orders".to_string(), "src/Orders.Api".to_string()),
                ("web".to_string(), "src/Web".to_string())
            ]
        );
        assert_eq!(h.edges.len(), 1);
        let (_d, plain) = crate::detect::lang::testutil::temp(&[(
            "Api.csproj",
            "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>\n",
        )]);
        assert!(app_host(&plain, &mut Vec::new()).is_none());
    }
}
