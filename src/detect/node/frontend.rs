//! Frontends: which JavaScript applications build to static files (a Vite, Angular, Create React App,
//! Astro, Gatsby, ... site; SvelteKit with the static adapter; Next with `output: 'export'`; React
//! Router or Remix with `ssr: false`; an Expo app exported for the web) and which run a server of
//! their own, and which are mobile apps (React Native, Expo without a web export), never services.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::super::Folder;
use super::super::lang;

/// What the frontend frameworks of a package make of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Built to static files in `out_dir` (relative to the folder), served by a web server.
    Static {
        framework: &'static str,
        out_dir: String,
    },
    /// A mobile app (React Native, Expo without a web export): not a service.
    Mobile,
}

/// Dependencies that make a package a server-side application (so a Vite front end beside one is
/// its client, not a static site).
const SERVER_DEPS: &[&str] = &[
    "express",
    "fastify",
    "koa",
    "@hapi/hapi",
    "hapi",
    "@nestjs/core",
    "@hono/node-server",
    "h3",
    "polka",
    "restify",
    "@adonisjs/core",
    "@feathersjs/feathers",
    "socket.io",
    "ws",
];

/// Frameworks that render on a server of their own (their Vite build is not a static site).
const SSR_DEPS: &[&str] = &[
    "next",
    "nuxt",
    "@sveltejs/kit",
    "astro",
    "@remix-run/dev",
    "@remix-run/node",
    "@react-router/dev",
    "@tanstack/react-start",
    "@tanstack/solid-start",
    "@tanstack/start",
    "vike",
    "vite-plugin-ssr",
    "@analogjs/platform",
    "@builder.io/qwik-city",
    "@solidjs/start",
    "solid-start",
    "waku",
    "vinxi",
    "@angular/ssr",
    "@nguniversal/express-engine",
];

/// User-interface libraries, named as technologies of a static frontend.
pub const UI_LIBS: &[(&str, &str)] = &[
    ("react", "react"),
    ("vue", "vue"),
    ("svelte", "svelte"),
    ("solid-js", "solid"),
    ("preact", "preact"),
    ("lit", "lit"),
    ("@builder.io/qwik", "qwik"),
];

static NEXT_EXPORT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"\boutput\s*:\s*['"`]export['"`]"#).ok());
static NEXT_DIST: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"\bdistDir\s*:\s*['"`]([\w./-]+)['"`]"#).ok());
static SSR_FALSE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\bssr\s*:\s*false\b").ok());
static ASTRO_SERVER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"\boutput\s*:\s*['"`](?:server|hybrid)['"`]|\badapter\s*:"#).ok()
});
static OUT_DIR: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"\boutDir\s*:\s*['"`]([\w./-]+)['"`]"#).ok());

/// Reads the first of `names` that exists.
fn first(folder: &Folder, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| folder.read_opt(n))
}

fn matches(re: &LazyLock<Option<Regex>>, text: &str) -> bool {
    re.as_ref()
        .is_some_and(|r| r.is_match(&strip_comments(text)))
}

fn capture(re: &LazyLock<Option<Regex>>, text: &str) -> Option<String> {
    re.as_ref()?
        .captures(&strip_comments(text))?
        .get(1)
        .map(|m| m.as_str().trim_start_matches("./").to_string())
        .filter(|d| !d.is_empty() && !d.contains(".."))
}

/// A configuration file without its `//` comment lines (templates comment out the other option).
fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//") && !l.trim_start().starts_with('*'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The shape of a package from its dependencies and its frameworks' configuration, or `None` when
/// the frontend frameworks say nothing (a server, a script, a library: the caller decides).
pub fn shape(folder: &Folder, pkg: &Value, deps: &[String]) -> Option<Shape> {
    let has = |d: &str| deps.iter().any(|x| x == d);
    let script = |name: &str| {
        pkg.pointer(&format!("/scripts/{name}"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let build = script("build");
    let start = script("start");

    if has("expo") || has("react-native") {
        return Some(expo(folder, &build));
    }
    if has("next") {
        let cfg = first(
            folder,
            &[
                "next.config.js",
                "next.config.mjs",
                "next.config.ts",
                "next.config.cjs",
            ],
        )
        .unwrap_or_default();
        return matches(&NEXT_EXPORT, &cfg).then(|| Shape::Static {
            framework: "next",
            out_dir: capture(&NEXT_DIST, &cfg)
                .filter(|d| d != ".next")
                .unwrap_or_else(|| "out".into()),
        });
    }
    if has("nuxt") || has("nuxt3") {
        let generates = build.contains("nuxt generate") || build.contains("nuxi generate");
        return generates.then(|| Shape::Static {
            framework: "nuxt",
            out_dir: ".output/public".into(),
        });
    }
    if has("@sveltejs/kit") {
        let cfg = first(
            folder,
            &["svelte.config.js", "svelte.config.mjs", "svelte.config.ts"],
        )
        .unwrap_or_default();
        return (has("@sveltejs/adapter-static") || cfg.contains("adapter-static")).then(|| {
            Shape::Static {
                framework: "sveltekit",
                out_dir: "build".into(),
            }
        });
    }
    if has("astro") {
        let cfg = first(
            folder,
            &[
                "astro.config.mjs",
                "astro.config.ts",
                "astro.config.js",
                "astro.config.mts",
            ],
        )
        .unwrap_or_default();
        return (!matches(&ASTRO_SERVER, &cfg)).then(|| Shape::Static {
            framework: "astro",
            out_dir: capture(&OUT_DIR, &cfg).unwrap_or_else(|| "dist".into()),
        });
    }
    if has("@react-router/dev") || deps.iter().any(|d| d.starts_with("@remix-run/")) {
        let cfg = first(
            folder,
            &[
                "react-router.config.ts",
                "react-router.config.js",
                "vite.config.ts",
                "vite.config.js",
                "vite.config.mjs",
            ],
        )
        .unwrap_or_default();
        return matches(&SSR_FALSE, &cfg).then(|| Shape::Static {
            framework: "react-router",
            out_dir: "build/client".into(),
        });
    }
    if SSR_DEPS.iter().any(|d| has(d)) {
        return None;
    }
    if has("@angular/core") {
        return angular(folder);
    }
    if SERVER_DEPS.iter().any(|d| has(d)) || runs_a_server_file(folder, &start) {
        return None;
    }
    let simple: &[(&str, &str, &str)] = &[
        ("react-scripts", "create-react-app", "build"),
        ("@vue/cli-service", "vue", "dist"),
        ("gatsby", "gatsby", "public"),
        ("@docusaurus/core", "docusaurus", "build"),
        ("@11ty/eleventy", "eleventy", "_site"),
        ("ember-cli", "ember", "dist"),
        ("@storybook/cli", "storybook", "storybook-static"),
    ];
    if let Some((_, fw, out)) = simple.iter().find(|(d, _, _)| has(d)) {
        return Some(Shape::Static {
            framework: fw,
            out_dir: (*out).into(),
        });
    }
    if has("vitepress") {
        // `vitepress build docs` builds `docs/.vitepress/dist`.
        let root = build
            .split_whitespace()
            .skip_while(|w| *w != "build")
            .nth(1)
            .filter(|w| !w.starts_with('-'))
            .map(|w| format!("{}/", w.trim_end_matches('/')))
            .unwrap_or_default();
        return Some(Shape::Static {
            framework: "vitepress",
            out_dir: format!("{root}.vitepress/dist"),
        });
    }
    let index = folder.has("index.html");
    // A library built with Vite keeps an `index.html` as its playground.
    let library = ["exports", "types", "typings"]
        .iter()
        .any(|k| pkg.get(k).is_some())
        || build.contains("--lib");
    if has("vite") && !library && (index || folder.read_opt("src/index.html").is_some()) {
        let cfg = first(
            folder,
            &[
                "vite.config.ts",
                "vite.config.js",
                "vite.config.mjs",
                "vite.config.mts",
            ],
        )
        .unwrap_or_default();
        return Some(Shape::Static {
            framework: "vite",
            out_dir: capture(&OUT_DIR, &cfg).unwrap_or_else(|| "dist".into()),
        });
    }
    if (has("parcel") || has("parcel-bundler")) && (index || build.contains(".html")) {
        return Some(Shape::Static {
            framework: "parcel",
            out_dir: "dist".into(),
        });
    }
    // A `Staticfile` says the build's output is served as static files.
    if folder.has("Staticfile") && !build.is_empty() {
        return Some(Shape::Static {
            framework: "staticfile",
            out_dir: super::super::static_site::staticfile_root(folder)
                .unwrap_or_else(|| "dist".into()),
        });
    }
    None
}

/// Whether the start script runs a local JavaScript file (a custom server, not a framework CLI).
fn runs_a_server_file(folder: &Folder, start: &str) -> bool {
    start.split_whitespace().any(|tok| {
        let tok = tok.trim_start_matches("./");
        super::is_js_file(tok) && folder.read_opt(tok).is_some()
    })
}

/// An Expo app exported for the web (`web.output` `static`/`single`, or an `expo export` build) is
/// a static site in `dist`; any other Expo or React Native app is a mobile app.
fn expo(folder: &Folder, build: &str) -> Shape {
    let web_output = ["app.json", "app.config.json"].iter().find_map(|f| {
        let text = folder.read_opt(f)?;
        let v: Value = serde_json::from_str(&lang::strip_jsonc(&text)).ok()?;
        let web = v.pointer("/expo/web").or_else(|| v.get("web"))?;
        web.get("output")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let exports_web = build.contains("expo export")
        && (build.contains("web") || !build.contains("--platform"))
        || matches!(web_output.as_deref(), Some("static" | "single"));
    if exports_web {
        Shape::Static {
            framework: "expo",
            out_dir: "dist".into(),
        }
    } else {
        Shape::Mobile
    }
}

/// An Angular application without server rendering: its browser build from `angular.json`
/// (`dist/<project>/browser` with the `application` builder, `dist/<project>` with `browser`).
fn angular(folder: &Folder) -> Option<Shape> {
    let text = folder.read_opt("angular.json")?;
    let v: Value = serde_json::from_str(&lang::strip_jsonc(&text)).ok()?;
    let projects = v.get("projects").and_then(Value::as_object)?;
    let default = v.get("defaultProject").and_then(Value::as_str);
    let (name, project) = default
        .and_then(|d| projects.get_key_value(d))
        .or_else(|| {
            projects
                .iter()
                .find(|(_, p)| p.get("projectType").and_then(Value::as_str) != Some("library"))
        })?;
    let build = project.pointer("/architect/build")?;
    let builder = build.get("builder").and_then(Value::as_str).unwrap_or("");
    if builder.contains("server") || builder.contains("ssr") {
        return None;
    }
    let options = build.get("options");
    if options
        .and_then(|o| o.get("ssr"))
        .is_some_and(|s| !s.is_null() && s != false)
    {
        return None;
    }
    let application = builder.ends_with(":application") || builder.ends_with(":browser-esbuild");
    let out = match options.and_then(|o| o.get("outputPath")) {
        Some(Value::String(p)) if application => format!("{}/browser", p.trim_end_matches('/')),
        Some(Value::String(p)) => p.trim_end_matches('/').to_string(),
        Some(Value::Object(o)) => {
            let base = o.get("base").and_then(Value::as_str).unwrap_or("dist");
            let browser = o
                .get("browser")
                .and_then(Value::as_str)
                .unwrap_or("browser");
            if browser.is_empty() {
                base.to_string()
            } else {
                format!("{base}/{browser}")
            }
        }
        _ => format!("dist/{name}/browser"),
    };
    let out = out.trim_start_matches("./").to_string();
    if out.contains("..") {
        return None;
    }
    Some(Shape::Static {
        framework: "angular",
        out_dir: out,
    })
}

#[cfg(test)]
mod tests {
    use super::super::super::lang::testutil::temp;
    use super::*;

    fn shape_of(files: &[(&str, &str)]) -> Option<Shape> {
        let (_d, folder) = temp(files);
        let text = folder.read_opt("package.json").unwrap_or_default();
        let pkg: Value = serde_json::from_str(&text).unwrap_or_default();
        let deps = super::super::dependency_names(&pkg);
        shape(&folder, &pkg, &deps)
    }

    fn st(framework: &'static str, out: &str) -> Option<Shape> {
        Some(Shape::Static {
            framework,
            out_dir: out.to_string(),
        })
    }

    #[test]
    fn static_frontends() {
        let vite = r#"{"scripts":{"build":"vite build"},"devDependencies":{"vite":"5"},"dependencies":{"react":"18"}}"#;
        assert_eq!(
            shape_of(&[("package.json", vite), ("index.html", "<div id=app>")]),
            st("vite", "dist")
        );
        assert_eq!(
            shape_of(&[
                ("package.json", vite),
                ("index.html", "x"),
                (
                    "vite.config.ts",
                    "export default { build: { outDir: 'public/app' } }"
                )
            ]),
            st("vite", "public/app")
        );
        // Vite without an index.html is a library build or an SSR setup: no decision.
        assert_eq!(shape_of(&[("package.json", vite)]), None);
        let lib = r#"{"types":"dist/index.d.ts","scripts":{"build":"vite build"},"devDependencies":{"vite":"5"}}"#;
        assert_eq!(
            shape_of(&[("package.json", lib), ("index.html", "x")]),
            None
        );
        let cra = r#"{"dependencies":{"react-scripts":"5"}}"#;
        assert_eq!(
            shape_of(&[("package.json", cra)]),
            st("create-react-app", "build")
        );
        let next = r#"{"dependencies":{"next":"15"}}"#;
        assert_eq!(
            shape_of(&[
                ("package.json", next),
                ("next.config.ts", "const c = { output: \"export\" };")
            ]),
            st("next", "out")
        );
        assert_eq!(
            shape_of(&[
                ("package.json", next),
                (
                    "next.config.js",
                    "module.exports = { output: 'standalone' }"
                )
            ]),
            None
        );
        let kit = r#"{"devDependencies":{"@sveltejs/kit":"2","@sveltejs/adapter-static":"3"}}"#;
        assert_eq!(shape_of(&[("package.json", kit)]), st("sveltekit", "build"));
        let kit = r#"{"devDependencies":{"@sveltejs/kit":"2","@sveltejs/adapter-node":"5"}}"#;
        assert_eq!(shape_of(&[("package.json", kit)]), None);
        let astro = r#"{"dependencies":{"astro":"5"}}"#;
        assert_eq!(shape_of(&[("package.json", astro)]), st("astro", "dist"));
        assert_eq!(
            shape_of(&[
                ("package.json", astro),
                (
                    "astro.config.mjs",
                    "export default defineConfig({ output: 'server', adapter: node({mode:'standalone'}) });"
                )
            ]),
            None
        );
        let rr = r#"{"devDependencies":{"@react-router/dev":"7"}}"#;
        assert_eq!(
            shape_of(&[
                ("package.json", rr),
                (
                    "react-router.config.ts",
                    "export default {\n  // ssr: true,\n  ssr: false,\n}"
                )
            ]),
            st("react-router", "build/client")
        );
        assert_eq!(
            shape_of(&[
                ("package.json", rr),
                ("react-router.config.ts", "export default { ssr: true }")
            ]),
            None
        );
    }

    #[test]
    fn angular_output_paths() {
        let pkg = r#"{"dependencies":{"@angular/core":"19"}}"#;
        let app = r#"{"projects":{"shop":{"projectType":"application","architect":{"build":{"builder":"@angular-devkit/build-angular:application","options":{"outputPath":"dist/shop"}}}}}}"#;
        assert_eq!(
            shape_of(&[("package.json", pkg), ("angular.json", app)]),
            st("angular", "dist/shop/browser")
        );
        let old = r#"{"projects":{"shop":{"architect":{"build":{"builder":"@angular-devkit/build-angular:browser","options":{"outputPath":"dist/shop"}}}}}}"#;
        assert_eq!(
            shape_of(&[("package.json", pkg), ("angular.json", old)]),
            st("angular", "dist/shop")
        );
        let ssr = r#"{"projects":{"shop":{"architect":{"build":{"builder":"@angular-devkit/build-angular:application","options":{"outputPath":"dist/shop","ssr":{"entry":"server.ts"}}}}}}}"#;
        assert_eq!(
            shape_of(&[("package.json", pkg), ("angular.json", ssr)]),
            None
        );
    }

    #[test]
    fn servers_and_mobile_apps() {
        // Vite as the client build of an Express server.
        let ssr =
            r#"{"scripts":{"start":"node server.js"},"dependencies":{"express":"4","vite":"5"}}"#;
        assert_eq!(
            shape_of(&[
                ("package.json", ssr),
                ("index.html", "x"),
                ("server.js", "")
            ]),
            None
        );
        let rn = r#"{"scripts":{"start":"expo start"},"dependencies":{"expo":"52","react-native":"0.76"}}"#;
        assert_eq!(shape_of(&[("package.json", rn)]), Some(Shape::Mobile));
        assert_eq!(
            shape_of(&[
                ("package.json", rn),
                ("app.json", r#"{"expo":{"web":{"output":"static"}}}"#)
            ]),
            st("expo", "dist")
        );
        let web =
            r#"{"scripts":{"build":"expo export --platform web"},"dependencies":{"expo":"52"}}"#;
        assert_eq!(shape_of(&[("package.json", web)]), st("expo", "dist"));
    }
}
