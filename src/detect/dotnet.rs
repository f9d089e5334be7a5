//! .NET: `*.csproj`/`*.fsproj`/`*.vbproj` (the Web SDK or ASP.NET Core packages make it `aspnet`),
//! ports from `ASPNETCORE_URLS`, `appsettings.json` (`Urls`, Kestrel endpoints), `Program.cs` and
//! `Properties/launchSettings.json`; connection strings as env evidence; a `*.sln` alone aggregates.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::{self, PortSource};
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

const PROJECT_EXTS: &[&str] = &[".csproj", ".fsproj", ".vbproj"];
/// At most this many settings become env evidence.
const EVIDENCE_CAP: usize = 200;

/// A listening URL: `http://+:8080`, `http://0.0.0.0:5005`, `http://localhost:5000`, `http://*:80`.
static LISTEN_URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"https?://(?:\+|\*|0\.0\.0\.0|localhost|127\.0\.0\.1|\[::\]):(\d{1,5})").ok()
});

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let project = folder
        .files
        .iter()
        .find(|f| PROJECT_EXTS.iter().any(|e| f.ends_with(e)))
        .cloned();
    let Some(project) = project else {
        let sln = folder.files_ending(".sln").next()?;
        let mut f = lang::new_finding(
            folder,
            ServiceType::Dotnet,
            Rank::Language,
            LANGUAGE_CONFIDENCE,
        );
        f.indicator(sln);
        f.tech("dotnet");
        f.aggregator = true;
        return Some(f);
    };
    let text = lang::read_or_diag(folder, &project, diags)?;
    let elems = match lang::xml_elements(&text) {
        Ok(e) => e,
        Err(msg) => {
            diags.push(lang::diag(
                folder,
                &project,
                format!("{project}: invalid XML: {msg}"),
            ));
            return None;
        }
    };
    let Some(root) = elems.iter().find(|e| e.path == "Project") else {
        diags.push(lang::diag(
            folder,
            &project,
            format!("{project}: the root element is not <Project>"),
        ));
        return None;
    };
    let sdk = lang::xml_attr(&root.attrs, "Sdk").unwrap_or_default();
    let prop = |name: &str| {
        elems
            .iter()
            .find(|e| e.path == format!("Project/PropertyGroup/{name}"))
            .map(|e| e.text.clone())
            .filter(|t| !t.is_empty())
    };
    let packages: Vec<String> = elems
        .iter()
        .filter(|e| e.path == "Project/ItemGroup/PackageReference")
        .filter_map(|e| lang::xml_attr(&e.attrs, "Include"))
        .collect();

    let mut f = lang::new_finding(
        folder,
        ServiceType::Dotnet,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    f.indicator(&project);
    f.tech("dotnet");
    if project.ends_with(".fsproj") {
        f.tech("fsharp");
    }
    // A test project (`Microsoft.NET.Test.Sdk`, `<IsTestProject>`) runs under `dotnet test`; its
    // ASP.NET Core packages (`Microsoft.AspNetCore.Mvc.Testing`) host the code under test.
    let test_project = packages.iter().any(|p| p == "Microsoft.NET.Test.Sdk")
        || prop("IsTestProject").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let web = !test_project
        && (sdk.contains("Microsoft.NET.Sdk.Web")
            || packages
                .iter()
                .any(|p| p.starts_with("Microsoft.AspNetCore")));
    let blazor_wasm = sdk.contains("BlazorWebAssembly");
    if web || blazor_wasm {
        f.tech("aspnet");
        f.rank = Rank::Framework;
    }
    if blazor_wasm {
        f.tech("blazor");
    }
    let exe = !test_project
        && (prop("OutputType").is_some_and(|t| t.eq_ignore_ascii_case("exe"))
            || sdk.contains("Worker")
            || web);

    // Ports: env and appsettings are runtime config, Program.cs literals and launch profiles are code.
    for (k, v) in f.env_evidence.clone() {
        if k == "ASPNETCORE_URLS" || k == "ASPNETCORE_HTTP_PORTS" {
            for p in url_ports(&v).into_iter().chain(ports::parse_port(&v)) {
                lang::add_port(&mut f, p, PortSource::RuntimeConfig);
            }
        }
    }
    if let Some(text) = folder.read_opt("appsettings.json") {
        match serde_json::from_str::<Value>(&lang::strip_jsonc(&text)) {
            Ok(v) => {
                f.indicator("appsettings.json");
                let mut flat = Vec::new();
                flatten("", &v, &mut flat);
                for (k, val) in flat {
                    if k == "Urls"
                        || (k.starts_with("Kestrel__Endpoints__") && k.ends_with("__Url"))
                    {
                        for p in url_ports(&val) {
                            lang::add_port(&mut f, p, PortSource::RuntimeConfig);
                        }
                    }
                    if f.env_evidence.len() < EVIDENCE_CAP {
                        f.env_evidence.push((k, val));
                    }
                }
            }
            Err(e) => diags.push(lang::diag(
                folder,
                "appsettings.json",
                lang::json_error("appsettings.json", &e),
            )),
        }
    }
    for entry in ["Program.cs", "Program.fs", "Startup.cs"] {
        if let Some(code) = lang::scan_entry(folder, entry, &mut f) {
            for p in url_ports(&code) {
                lang::add_port(&mut f, p, PortSource::CodeLiteral);
            }
        }
    }
    if let Some(ls) = folder.read_opt("Properties/launchSettings.json")
        && let Ok(v) = serde_json::from_str::<Value>(&lang::strip_jsonc(&ls))
        && let Some(profiles) = v.get("profiles").and_then(Value::as_object)
    {
        for p in profiles.values() {
            if let Some(url) = p.get("applicationUrl").and_then(Value::as_str) {
                // The plain-HTTP URL is what a container serves.
                for u in url.split(';').filter(|u| u.starts_with("http://")) {
                    for port in url_ports(u) {
                        lang::add_port(&mut f, port, PortSource::CodeLiteral);
                    }
                }
            }
        }
    }
    if web || blazor_wasm {
        // Set in a Dockerfile (`ENV ASPNETCORE_HTTP_PORTS=7070`), this is the port Kestrel uses.
        f.port_vars.push("ASPNETCORE_HTTP_PORTS".into());
        lang::add_port(&mut f, 8080, PortSource::FrameworkDefault);
        f.env
            .insert("ASPNETCORE_ENVIRONMENT".into(), "Production".into());
    }

    let assembly = prop("AssemblyName").unwrap_or_else(|| {
        project
            .rsplit_once('.')
            .map_or(project.clone(), |(stem, _)| stem.to_string())
    });
    if exe {
        f.start_command = Some(format!("dotnet {assembly}.dll"));
    } else {
        f.helper_only = true;
        f.ports.clear();
    }
    lang::finish(&mut f, web || blazor_wasm);
    Some(f)
}

fn url_ports(text: &str) -> Vec<u16> {
    let Some(re) = LISTEN_URL.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        if let Some(p) = c.get(1).and_then(|m| ports::parse_port(m.as_str()))
            && !out.contains(&p)
        {
            out.push(p);
        }
    }
    out
}

/// String leaves with .NET's environment form of configuration keys (`ConnectionStrings__Db`).
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    if out.len() >= EVIDENCE_CAP {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}__{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) if !prefix.is_empty() => out.push((prefix.to_string(), s.clone())),
        Value::Number(n) if !prefix.is_empty() => out.push((prefix.to_string(), n.to_string())),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::{fixture, port, run, temp};
    use super::*;

    fn one(files: &[(&str, &str)]) -> (Option<Finding>, Vec<Diagnostic>) {
        let (_d, f) = temp(files);
        run(analyze, &f)
    }

    const WEB: &str = "<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n  <PropertyGroup>\n    <TargetFramework>net8.0</TargetFramework>\n  </PropertyGroup>\n</Project>\n";

    #[test]
    fn aspnet_fixture() {
        let (f, d) = run(analyze, &fixture("dotnet/aspnet"));
        let f = f.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.technologies, vec!["dotnet", "aspnet"]);
        assert_eq!(f.rank, Rank::Framework);
        assert_eq!(f.start_command.as_deref(), Some("dotnet Weather.Api.dll"));
        assert_eq!(port(&f), Some(5080));
        assert_eq!(f.health_path.as_deref(), Some("/healthz"));
        assert!(
            f.env_evidence
                .iter()
                .any(|(k, v)| k == "ConnectionStrings__Default" && v.contains("Host=db"))
        );
        assert!((f.confidence - 0.9).abs() < 1e-9);
    }

    #[test]
    fn port_precedence() {
        let program = "var app = WebApplication.Create(args);\napp.Run(\"http://0.0.0.0:5005\");\n";
        let (f, _) = one(&[
            ("Api.csproj", WEB),
            ("Program.cs", program),
            ("appsettings.json", "{ // c\n \"Urls\": \"http://+:6000\" }"),
        ]);
        assert_eq!(port(&f.unwrap()), Some(6000));
        let (f, _) = one(&[("Api.csproj", WEB), ("Program.cs", program)]);
        assert_eq!(port(&f.unwrap()), Some(5005));
        let (f, _) = one(&[("Api.csproj", WEB)]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(8080));
        assert_eq!(f.start_command.as_deref(), Some("dotnet Api.dll"));
        assert!((f.confidence - 0.85).abs() < 1e-9);
    }

    #[test]
    fn test_projects_are_not_services() {
        let tests = "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"Microsoft.AspNetCore.Mvc.Testing\" Version=\"9.0.0\" /><PackageReference Include=\"Microsoft.NET.Test.Sdk\" Version=\"17.12.0\" /></ItemGroup></Project>";
        let (f, _) = one(&[("cartservice.tests.csproj", tests)]);
        let f = f.unwrap();
        assert!(f.helper_only);
        assert_eq!(f.technologies, vec!["dotnet"]);
        let web = "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><IsTestProject>true</IsTestProject></PropertyGroup></Project>";
        assert!(one(&[("Api.Tests.csproj", web)]).0.unwrap().helper_only);
        let (f, _) = one(&[("Api.csproj", WEB)]);
        assert_eq!(f.unwrap().port_vars, vec!["ASPNETCORE_HTTP_PORTS"]);
    }

    #[test]
    fn library_solution_and_worker() {
        let lib = "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>";
        let (f, _) = one(&[("Lib.csproj", lib)]);
        assert!(f.unwrap().helper_only);
        let (f, _) = one(&[("All.sln", "Microsoft Visual Studio Solution File\n")]);
        assert!(f.unwrap().aggregator);
        let worker = "<Project Sdk=\"Microsoft.NET.Sdk.Worker\"><PropertyGroup><AssemblyName>jobs</AssemblyName></PropertyGroup></Project>";
        let (f, _) = one(&[("Jobs.csproj", worker)]);
        let f = f.unwrap();
        assert_eq!(f.rank, Rank::Language);
        assert_eq!(f.start_command.as_deref(), Some("dotnet jobs.dll"));
        assert!(f.ports.is_empty());
    }

    #[test]
    fn malformed_project_is_a_diagnostic() {
        let (f, d) = one(&[(
            "Api.csproj",
            "<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n<PropertyGroup>\n</Project>\n",
        )]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/Api.csproj");
        assert!(
            d[0].message
                .starts_with("Api.csproj: invalid XML: mismatched tag at line 3"),
            "{}",
            d[0].message
        );
        let (f, d) = one(&[
            ("Api.csproj", WEB),
            ("appsettings.json", "{\n \"Urls\": \n}"),
        ]);
        assert!(f.is_some());
        assert!(
            d[0].message.starts_with("appsettings.json: invalid JSON"),
            "{}",
            d[0].message
        );
    }
}
