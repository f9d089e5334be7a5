use super::super::lang::testutil::{fixture, port, run, temp};
use super::*;

fn one(files: &[(&str, &str)]) -> (Option<Finding>, Vec<Diagnostic>) {
    let (_d, f) = temp(files);
    run(analyze, &f)
}

#[test]
fn no_package_json_is_no_signal() {
    assert!(one(&[("index.js", "x")]).0.is_none());
}

#[test]
fn express_fixture() {
    let (f, d) = run(analyze, &fixture("node/express"));
    let f = f.unwrap();
    assert!(d.is_empty());
    assert_eq!(f.kind, ServiceType::Nodejs);
    assert_eq!(f.rank, Rank::Framework);
    assert_eq!(f.technologies, vec!["node", "express"]);
    assert_eq!(f.start_command.as_deref(), Some("npm start"));
    assert_eq!(port(&f), Some(4000));
    assert_eq!(f.code_hosts, vec!["auth", "cache"]);
    assert_eq!(f.health_path.as_deref(), Some("/health"));
    assert_eq!(
        f.env.get("NODE_ENV").map(String::as_str),
        Some("production")
    );
    assert!(
        f.env_evidence
            .contains(&("AUTH_URL".to_string(), "http://auth:8081".to_string()))
    );
    assert!((f.confidence - 0.9).abs() < 1e-9);
    assert!(!f.helper_only && !f.aggregator);
}

#[test]
fn framework_fixtures() {
    for (case, tech, start, p) in [
        ("node/next", "next", "npm start", 3000),
        ("node/nestjs", "nestjs", "npm start", 3001),
        ("node/fastify", "fastify", "yarn start", 8080),
        ("node/nuxt", "nuxt", "node .output/server/index.mjs", 3000),
        ("node/remix", "remix", "npm start", 3000),
    ] {
        let (f, d) = run(analyze, &fixture(case));
        let f = f.unwrap();
        assert!(d.is_empty(), "{case}: {d:?}");
        assert_eq!(f.technologies, vec!["node", tech], "{case}");
        assert_eq!(f.start_command.as_deref(), Some(start), "{case}");
        assert_eq!(port(&f), Some(p), "{case}");
        assert_eq!(f.rank, Rank::Framework, "{case}");
    }
}

#[test]
fn every_framework_dependency() {
    for (dep, tech) in [
        ("next", "next"),
        ("nuxt", "nuxt"),
        ("@nestjs/core", "nestjs"),
        ("@remix-run/node", "remix"),
        ("@sveltejs/kit", "sveltekit"),
        ("astro", "astro"),
        ("express", "express"),
        ("fastify", "fastify"),
        ("koa", "koa"),
        ("@hapi/hapi", "hapi"),
        ("vite", "vite"),
    ] {
        let pkg =
            format!(r#"{{"scripts":{{"start":"node s.js"}},"dependencies":{{"{dep}":"1"}}}}"#);
        let (f, _) = one(&[("package.json", &pkg)]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["node", tech], "{dep}");
        assert_eq!(f.rank, Rank::Framework, "{dep}");
    }
}

#[test]
fn workspace_root_fixture_is_an_aggregator() {
    let (f, _) = run(analyze, &fixture("node/workspace-root"));
    let f = f.unwrap();
    assert!(f.aggregator);
    assert!(f.start_command.is_none());
    assert!(f.ports.is_empty());
}

#[test]
fn port_precedence_script_then_code_then_default() {
    let pkg = r#"{"scripts":{"start":"PORT=5000 node server.js"},"dependencies":{"express":"4"}}"#;
    let (f, _) = one(&[("package.json", pkg), ("server.js", "app.listen(4000)")]);
    assert_eq!(port(&f.unwrap()), Some(5000));
    let pkg = r#"{"scripts":{"start":"node server.js"}}"#;
    let (f, _) = one(&[("package.json", pkg), ("server.js", "app.listen(4000)")]);
    let f = f.unwrap();
    assert_eq!(port(&f), Some(4000));
    assert_eq!(f.rank, Rank::Language);
    assert!((f.confidence - 0.85).abs() < 1e-9);
    let (f, _) = one(&[("package.json", pkg), ("server.js", "serve()")]);
    let f = f.unwrap();
    assert_eq!(port(&f), Some(3000));
    assert!((f.confidence - 0.8).abs() < 1e-9);
}

#[test]
fn start_from_main_or_entry_else_helper() {
    let (f, _) = one(&[
        ("package.json", r#"{"main":"lib/run.js"}"#),
        ("lib/run.js", ""),
    ]);
    assert_eq!(f.unwrap().start_command.as_deref(), Some("node lib/run.js"));
    let (f, _) = one(&[("package.json", "{}"), ("src/index.js", "")]);
    assert_eq!(
        f.unwrap().start_command.as_deref(),
        Some("node src/index.js")
    );
    let (f, _) = one(&[("package.json", "{}"), ("src/main.ts", "")]);
    assert_eq!(
        f.unwrap().start_command.as_deref(),
        Some("npx tsx src/main.ts")
    );
    let (f, _) = one(&[("package.json", r#"{"scripts":{"build":"tsc"}}"#)]);
    let f = f.unwrap();
    assert!(f.helper_only);
    assert!(f.start_command.is_none());
}

#[test]
fn package_manager_from_field_and_lockfiles() {
    let s = r#"{"scripts":{"start":"node ."}}"#;
    let (f, _) = one(&[("package.json", s), ("bun.lockb", "")]);
    assert_eq!(f.unwrap().start_command.as_deref(), Some("bun run start"));
    let s = r#"{"packageManager":"pnpm@9.1.0","scripts":{"start":"node ."}}"#;
    let (f, _) = one(&[("package.json", s), ("yarn.lock", "")]);
    assert_eq!(f.unwrap().start_command.as_deref(), Some("pnpm start"));
}

#[test]
fn beside_another_manifest_it_is_a_helper() {
    let s = r#"{"scripts":{"start":"vite"},"devDependencies":{"vite":"5"}}"#;
    let (f, _) = one(&[("package.json", s), ("requirements.txt", "flask\n")]);
    let f = f.unwrap();
    assert!(f.helper_only);
    assert_eq!(port(&f), Some(5173));
}

#[test]
fn workspaces_object_form_with_own_start_is_a_service() {
    let s = r#"{"workspaces":{"packages":["a/*"]},"scripts":{"start":"node srv.js"}}"#;
    let (f, _) = one(&[("package.json", s)]);
    let f = f.unwrap();
    assert!(!f.aggregator);
    assert_eq!(f.start_command.as_deref(), Some("npm start"));
}

#[test]
fn malformed_package_json_is_a_diagnostic() {
    let (f, d) = one(&[("package.json", "{\n  \"name\": \"x\",\n  \"main\" \"a\"\n}")]);
    assert!(f.is_none());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path, "svc/package.json");
    assert!(d[0].message.contains("invalid JSON"), "{}", d[0].message);
    assert!(d[0].message.contains("line 3"), "{}", d[0].message);
    let (f, d) = one(&[("package.json", "[1,2]")]);
    assert!(f.is_none());
    assert!(d[0].message.contains("JSON object"));
}

#[test]
fn binary_package_json_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), [0u8, 1, 2]).unwrap();
    let f = super::super::lang::testutil::folder_of(dir.path(), ".");
    let (r, d) = run(analyze, &f);
    assert!(r.is_none());
    assert_eq!(d[0].path, "package.json");
    assert!(d[0].message.contains("not UTF-8"));
}

#[test]
fn vite_fixture_is_a_static_site_built_with_node() {
    let (f, d) = run(analyze, &fixture("node/vite"));
    let f = f.unwrap();
    assert!(d.is_empty());
    assert_eq!(f.kind, ServiceType::Static);
    assert_eq!(f.technologies, vec!["node", "vite"]);
    assert_eq!(f.build_command.as_deref(), Some("pnpm build"));
    assert_eq!(f.output_dir.as_deref(), Some("dist"));
    assert_eq!(f.start_command, None);
    assert_eq!(port(&f), Some(80));
    assert!(!f.helper_only);
}

#[test]
fn libraries_are_not_services() {
    // `main` naming code that only exports, `exports`/`types`, a config package.
    for files in [
        vec![
            ("package.json", r#"{"name":"@repo/a","main":"index.js"}"#),
            (
                "index.js",
                "import x from 'x';\nconsole.log('loaded');\nexport function greet() {}\n",
            ),
        ],
        vec![
            (
                "package.json",
                r#"{"name":"@repo/ui","main":"./index.tsx","types":"./index.tsx"}"#,
            ),
            ("index.tsx", "export * from './Button';\n"),
        ],
        vec![
            (
                "package.json",
                r#"{"name":"@repo/utils","exports":{".":"./src/index.ts"}}"#,
            ),
            (
                "src/index.ts",
                "export const add = (a: number, b: number) => a + b;\n",
            ),
        ],
        vec![
            (
                "package.json",
                r#"{"name":"eslint-config-custom","main":"index.js"}"#,
            ),
            ("index.js", "module.exports = { extends: ['next'] };\n"),
        ],
        vec![(
            "package.json",
            r#"{"name":"tsconfig","files":["base.json"]}"#,
        )],
        vec![
            (
                "package.json",
                r#"{"name":"lib","main":"dist/index.js","scripts":{"build":"vite build --lib"},"devDependencies":{"vite":"5"},"types":"dist/index.d.ts"}"#,
            ),
            ("src/index.ts", "export const x = 1;\n"),
        ],
    ] {
        let (f, _) = one(&files);
        let f = f.unwrap();
        assert!(f.helper_only, "{files:?}: {:?}", f.start_command);
    }
    // A script without exports or a server entry runs.
    let (f, _) = one(&[
        ("package.json", r#"{"name":"x","main":"index.js"}"#),
        ("index.js", "console.log('hello')\n"),
    ]);
    assert_eq!(f.unwrap().start_command.as_deref(), Some("node index.js"));
    let (f, _) = one(&[
        (
            "package.json",
            r#"{"name":"api","main":"index.js","dependencies":{"express":"4"}}"#,
        ),
        (
            "index.js",
            "import express from 'express';\nconst app = express();\napp.listen(process.env.PORT || 3000);\nexport default app;\n",
        ),
    ]);
    let f = f.unwrap();
    assert_eq!(f.start_command.as_deref(), Some("node index.js"));
    assert_eq!(port(&f), Some(3000));
}

#[test]
fn workspace_roots_that_start_a_member_aggregate() {
    let (f, _) = one(&[(
        "package.json",
        r#"{"workspaces":["apps/*","packages/*"],"scripts":{"start":"cd apps/web && npm start"}}"#,
    )]);
    assert!(f.unwrap().aggregator);
    let (f, _) = one(&[(
        "package.json",
        r#"{"workspaces":["packages/*"],"scripts":{"start":"node packages/api/index.js"}}"#,
    )]);
    assert!(f.unwrap().aggregator);
    let (f, _) = one(&[
        (
            "package.json",
            r#"{"workspaces":["packages/*"],"dependencies":{"pkg-b":"*"}}"#,
        ),
        ("bun.lock", ""),
        (
            "index.ts",
            "import { b } from 'pkg-b';\nconsole.log(b());\n",
        ),
    ]);
    let f = f.unwrap();
    assert!(!f.aggregator);
    assert_eq!(f.start_command.as_deref(), Some("bun index.ts"));
}

#[test]
fn pnpm_package_json5() {
    let (f, d) = one(&[
        (
            "package.json5",
            "{\n  // pnpm\n  name: 'app',\n  scripts: { start: 'node main.js' },\n}\n",
        ),
        (
            "main.js",
            "require('http').createServer(() => {}).listen(8080)\n",
        ),
    ]);
    assert!(d.is_empty(), "{d:?}");
    let f = f.unwrap();
    assert_eq!(f.indicators, vec!["package.json5"]);
    assert_eq!(f.start_command.as_deref(), Some("pnpm start"));
    assert_eq!(port(&f), Some(8080));
    let (f, d) = one(&[("package.json5", "{ name: 'x', }\n{")]);
    assert!(f.is_none());
    assert!(
        d[0].message.starts_with("package.json5: invalid JSON"),
        "{d:?}"
    );
}

#[test]
fn mobile_apps_are_not_services_and_servers_keep_their_ports() {
    let (f, _) = one(&[(
        "package.json",
        r#"{"scripts":{"start":"expo start"},"dependencies":{"expo":"52","react-native":"0.76"}}"#,
    )]);
    let f = f.unwrap();
    assert!(f.helper_only);
    assert_eq!(f.technologies, vec!["node", "expo"]);
    let (f, _) = one(&[
        (
            "package.json",
            r#"{"scripts":{"start":"node dist/server/entry.mjs"},"dependencies":{"astro":"5","@astrojs/node":"9"}}"#,
        ),
        (
            "astro.config.mjs",
            "export default defineConfig({ output: 'server', adapter: node({ mode: 'standalone' }) });\n",
        ),
    ]);
    let f = f.unwrap();
    assert_eq!(f.kind, ServiceType::Nodejs);
    assert_eq!(port(&f), Some(4321));
    let (f, _) = one(&[(
        "package.json",
        r#"{"scripts":{"build":"vite build"},"dependencies":{"@tanstack/react-start":"1"}}"#,
    )]);
    let f = f.unwrap();
    assert_eq!(f.kind, ServiceType::Nodejs);
    assert_eq!(port(&f), Some(3000));
    assert_eq!(f.build_command.as_deref(), Some("npm run build"));
}

#[test]
fn nx_projects_without_a_package_json() {
    let (f, _) = one(&[(
        "project.json",
        r#"{"name":"api","projectType":"application","targets":{"build":{"executor":"@nx/webpack:webpack","options":{"outputPath":"dist/apps/api","target":"node"}},"serve":{"executor":"@nx/js:node"}}}"#,
    )]);
    let f = f.unwrap();
    assert_eq!(f.kind, ServiceType::Nodejs);
    assert_eq!(
        f.start_command.as_deref(),
        Some("npx nx serve api --configuration=production")
    );
    let (f, _) = one(&[(
        "project.json",
        r#"{"name":"shop","targets":{"build":{"executor":"@nx/angular:application","options":{"outputPath":"dist/apps/shop"}}}}"#,
    )]);
    let f = f.unwrap();
    assert_eq!(f.kind, ServiceType::Static);
    assert_eq!(f.build_command.as_deref(), Some("npx nx build shop"));
    let (f, _) = one(&[("project.json", r#"{"projectType":"library"}"#)]);
    assert!(f.unwrap().helper_only);
}

#[test]
fn package_manager_from_engines_and_a_bun_start_script() {
    let (f, _) = one(&[(
        "package.json",
        r#"{"scripts":{"start":"node main.js"},"engines":{"node":"22","pnpm":"8"}}"#,
    )]);
    assert_eq!(f.unwrap().start_command.as_deref(), Some("pnpm start"));
    let (f, _) = one(&[("package.json", r#"{"scripts":{"start":"bun app.js"}}"#)]);
    assert_eq!(f.unwrap().start_command.as_deref(), Some("bun run start"));
    // A pnpm workspace member: its lockfile is the root's.
    let (f, _) = one(&[(
        "package.json",
        r#"{"scripts":{"start":"next start"},"dependencies":{"next":"15","@acme/ui":"workspace:*"}}"#,
    )]);
    assert_eq!(f.unwrap().start_command.as_deref(), Some("pnpm start"));
}

#[test]
fn angular_server_rendering_runs_its_serve_ssr_script() {
    let (f, _) = one(&[
        (
            "package.json",
            r#"{"scripts":{"build":"ng build","serve:ssr:shop":"node dist/shop/server/server.mjs"},"dependencies":{"@angular/core":"19","@angular/ssr":"19"}}"#,
        ),
        (
            "angular.json",
            r#"{"projects":{"shop":{"architect":{"build":{"builder":"@angular-devkit/build-angular:application","options":{"outputPath":"dist/shop","ssr":{"entry":"server.ts"}}}}}}}"#,
        ),
    ]);
    let f = f.unwrap();
    assert_eq!(f.kind, ServiceType::Nodejs);
    assert_eq!(f.start_command.as_deref(), Some("npm run serve:ssr:shop"));
    assert_eq!(port(&f), Some(4000));
}
