//! .NET: `*.csproj`/`*.fsproj`/`*.vbproj` (the Web SDK or ASP.NET Core packages make it `aspnet`);
//! a project runs only with the Web or Worker SDK or `OutputType Exe` (class libraries, Razor class
//! libraries, Blazor WebAssembly, MAUI and desktop apps, test projects are not services); ports from
//! `ASPNETCORE_URLS`/`ASPNETCORE_HTTP_PORTS` in the folder's env, `appsettings.json` and
//! `appsettings.Production.json` (`Urls`, Kestrel endpoints), `Program.cs` and the project profile of
//! `Properties/launchSettings.json`; connection strings as env evidence (never a port); a `*.sln`
//! alone aggregates.

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
    let blazor_wasm = sdk.contains("BlazorWebAssembly")
        || (packages
            .iter()
            .any(|p| p == "Microsoft.AspNetCore.Components.WebAssembly")
            && !sdk.contains("Microsoft.NET.Sdk.Web"));
    let razor_library = sdk.contains("Microsoft.NET.Sdk.Razor");
    let targets = prop("TargetFramework")
        .or_else(|| prop("TargetFrameworks"))
        .unwrap_or_default();
    let client_app = prop("UseMaui").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || prop("UseWPF").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || prop("UseWindowsForms").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || ["-android", "-ios", "-maccatalyst", "-windows", "-tizen"]
            .iter()
            .any(|t| targets.contains(t));
    if web || blazor_wasm {
        f.tech("aspnet");
        f.rank = Rank::Framework;
    }
    if blazor_wasm || razor_library {
        f.tech("blazor");
    }
    if client_app {
        f.tech("maui");
    }
    let web_sdk = sdk.contains("Microsoft.NET.Sdk.Web");
    let exe = !test_project
        && !blazor_wasm
        && !client_app
        && !razor_library
        && (prop("OutputType").is_some_and(|t| t.eq_ignore_ascii_case("exe"))
            || sdk.contains("Worker")
            || web_sdk);

    // Ports, strongest first among equals: the folder's env, appsettings (Kestrel endpoints, then
    // `Urls`), then code: Program.cs, the project's launch profile.
    let env: std::collections::BTreeMap<String, String> = f.env_evidence.iter().cloned().collect();
    if let Some(p) = ports::port_from_env(&env) {
        lang::add_port(&mut f, p, PortSource::RuntimeConfig);
    }
    for name in ["appsettings.json", "appsettings.Production.json"] {
        let Some(text) = folder.read_opt(name) else {
            continue;
        };
        match serde_json::from_str::<Value>(&lang::strip_jsonc(&text)) {
            Ok(v) => {
                f.indicator(name);
                let mut flat = Vec::new();
                flatten("", &v, &mut flat);
                let endpoints = flat
                    .iter()
                    .filter(|(k, _)| k.starts_with("Kestrel__Endpoints__") && k.ends_with("__Url"));
                let urls = flat.iter().filter(|(k, _)| k == "Urls" || k == "urls");
                for (_, val) in endpoints.chain(urls) {
                    if let Some(p) = ports::listen_urls_port(val) {
                        lang::add_port(&mut f, p, PortSource::RuntimeConfig);
                    }
                }
                for kv in flat {
                    if f.env_evidence.len() < EVIDENCE_CAP {
                        f.env_evidence.push(kv);
                    }
                }
            }
            Err(e) => diags.push(lang::diag(folder, name, lang::json_error(name, &e))),
        }
    }
    for entry in ["Program.cs", "Program.fs", "Startup.cs"] {
        if let Some(code) = lang::scan_entry(folder, entry, &mut f) {
            for p in url_ports(&code) {
                lang::add_port(&mut f, p, PortSource::CodeLiteral);
            }
        }
    }
    // `dotnet run` listens on the launch profile's URL (kyozo's generated image sets ASPNETCORE_URLS
    // to the port); a container built by the folder's own Dockerfile never reads it.
    let own_image = ["Dockerfile", "Containerfile"]
        .iter()
        .any(|d| folder.has(d));
    if !own_image && let Some(p) = launch_profile_port(folder, &project) {
        lang::add_port(&mut f, p, PortSource::CodeLiteral);
    }
    if exe && (web || web_sdk) {
        // Set in compose or a Dockerfile, these are the port Kestrel uses.
        f.port_vars.push("ASPNETCORE_HTTP_PORTS".into());
        f.port_vars.push("ASPNETCORE_URLS".into());
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
        // A library, a browser or device app, a test suite: not a service.
        f.helper_only = true;
        f.ports.clear();
    }
    lang::finish(&mut f, web || blazor_wasm);
    Some(f)
}

/// The port of the launch profile `dotnet run` uses (the first `"commandName": "Project"` profile,
/// the one named after the project first): its plain-HTTP `applicationUrl`.
fn launch_profile_port(folder: &Folder, project: &str) -> Option<u16> {
    let text = folder.read_opt("Properties/launchSettings.json")?;
    let v: Value = serde_json::from_str(&lang::strip_jsonc(&text)).ok()?;
    let profiles = v.get("profiles").and_then(Value::as_object)?;
    let stem = project.rsplit_once('.').map_or(project, |(s, _)| s);
    let is_project = |p: &Value| {
        p.get("commandName")
            .and_then(Value::as_str)
            .is_none_or(|c| c == "Project")
    };
    let chosen = profiles
        .get(stem)
        .filter(|p| is_project(p))
        .or_else(|| profiles.values().find(|p| is_project(p)))?;
    let urls = chosen.get("applicationUrl").and_then(Value::as_str)?;
    ports::listen_urls_port(urls)
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
        assert_eq!(
            f.unwrap().port_vars,
            vec!["ASPNETCORE_HTTP_PORTS", "ASPNETCORE_URLS"]
        );
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
    fn libraries_browser_and_device_apps_are_not_services() {
        for proj in [
            "<Project Sdk=\"Microsoft.NET.Sdk.Razor\"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>",
            "<Project Sdk=\"Microsoft.NET.Sdk.BlazorWebAssembly\"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>",
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFrameworks>net8.0-android;net8.0-ios</TargetFrameworks><OutputType>Exe</OutputType><UseMaui>true</UseMaui></PropertyGroup></Project>",
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>WinExe</OutputType><UseWPF>true</UseWPF></PropertyGroup></Project>",
            // ASP.NET Core packages in a class library do not make it a web app.
            "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"Microsoft.AspNetCore.Mvc.Core\" Version=\"2.2.5\" /></ItemGroup></Project>",
        ] {
            let (f, _) = one(&[("App.csproj", proj)]);
            let f = f.unwrap();
            assert!(f.helper_only, "{proj}");
            assert!(f.ports.is_empty(), "{proj}");
        }
    }

    #[test]
    fn env_urls_beat_code_and_connection_strings_are_not_ports() {
        let program = "var cs = \"Server=mysql;Port=3306;Database=shop;Uid=root;Pwd=x\";\nvar app = WebApplication.Create(args);\napp.Run();\n";
        let (f, _) = one(&[
            ("Api.csproj", WEB),
            ("Program.cs", program),
            (".env", "ASPNETCORE_URLS=http://+:8000\n"),
        ]);
        assert_eq!(port(&f.unwrap()), Some(8000));
        let (f, _) = one(&[("Api.csproj", WEB), ("Program.cs", program)]);
        assert_eq!(port(&f.unwrap()), Some(8080));
        let (f, _) = one(&[
            ("Api.csproj", WEB),
            (".env", "ASPNETCORE_HTTP_PORTS=7070\n"),
        ]);
        assert_eq!(port(&f.unwrap()), Some(7070));
    }

    #[test]
    fn launch_profiles_and_production_settings() {
        // A byte-order mark, the project profile's plain-HTTP URL, IIS Express left out.
        let ls = "\u{feff}{\n  \"iisSettings\": { \"iisExpress\": { \"applicationUrl\": \"http://localhost:48775\" } },\n  \"profiles\": {\n    \"IIS Express\": { \"commandName\": \"IISExpress\" },\n    \"api\": { \"commandName\": \"Project\", \"applicationUrl\": \"https://localhost:7007;http://localhost:5239\" }\n  }\n}\n";
        let (f, _) = one(&[("Api.csproj", WEB), ("Properties/launchSettings.json", ls)]);
        assert_eq!(port(&f.unwrap()), Some(5239));
        let (f, _) = one(&[
            ("Api.csproj", WEB),
            ("Properties/launchSettings.json", ls),
            (
                "appsettings.Production.json",
                "{ \"Kestrel\": { \"Endpoints\": { \"Http\": { \"Url\": \"http://0.0.0.0:9090\" } } } }",
            ),
        ]);
        assert_eq!(port(&f.unwrap()), Some(9090));
        // The folder's own image does not run `dotnet run`: the profile is not its port.
        let (f, _) = one(&[
            ("Api.csproj", WEB),
            ("Properties/launchSettings.json", ls),
            ("Dockerfile", "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n"),
        ]);
        assert_eq!(port(&f.unwrap()), Some(8080));
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
