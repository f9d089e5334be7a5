//! Static sites: an `index.html` in a folder with no language manifest, or a `Staticfile` (whose
//! `root:` names the folder served), served on port 80.

use super::lang;
use super::ports::PortSource;
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// Base confidence of a static site.
pub const STATIC_CONFIDENCE: f64 = 0.6;

/// Folders whose `index.html` belongs to something else: server templates and test-coverage reports.
const NOT_SITES: &[&str] = &[
    "templates",
    "views",
    "layouts",
    "partials",
    "coverage",
    "htmlcov",
    "lcov-report",
];

/// Asset folders of an application (Express `public/`, Spring `static/`, ASP.NET `wwwroot/`) when they
/// are nested inside another folder.
const ASSET_DIRS: &[&str] = &[
    "public", "static", "wwwroot", "assets", "dist", "build", "out",
];

/// Path components under which an `index.html` is an application's source or resource, not a site
/// (Angular's `src/index.html`, Spring's `src/main/resources/static/`).
const SOURCE_DIRS: &[&str] = &["src", "resources", "templates", "node_modules"];

/// Whether a folder (by its workspace-relative path) holds another application's pages or assets.
fn is_asset_folder(rel: &str) -> bool {
    let parts: Vec<&str> = rel
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let Some(last) = parts.last() else {
        return false;
    };
    NOT_SITES.contains(last)
        || (parts.len() > 1 && ASSET_DIRS.contains(last))
        || parts.iter().any(|p| SOURCE_DIRS.contains(p))
}

/// Template syntax that shows an `index.html` is rendered by a server or a bundler.
const TEMPLATE_MARKERS: &[&str] = &[
    "{%",
    "{{ url_for",
    "<%",
    "%PUBLIC_URL%",
    "@extends",
    "<?php",
    // Flutter's web template (`web/index.html` of a Flutter app).
    "$FLUTTER_BASE_HREF",
    "flutter_bootstrap.js",
];

/// Root-level scripts whose URL literals are dependency evidence.
const SCRIPTS: &[&str] = &["config.js", "app.js", "main.js", "script.js", "env.js"];

/// The folder a `Staticfile` serves (`root: dist`), when it names one below this folder.
pub fn staticfile_root(folder: &Folder) -> Option<String> {
    let text = folder.read_opt("Staticfile")?;
    text.lines().find_map(|l| {
        let v = l
            .trim()
            .strip_prefix("root:")?
            .trim()
            .trim_matches(['"', '\'']);
        let v = v.trim_start_matches("./").trim_end_matches('/');
        (!v.is_empty() && v != "." && !v.contains("..") && !v.starts_with('/'))
            .then(|| v.to_string())
    })
}

pub fn analyze(folder: &Folder, _diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    if folder.has("Staticfile") && !lang::has_other_manifest(folder, &[]) {
        return Some(staticfile_site(folder));
    }
    let index = ["index.html", "index.htm"]
        .into_iter()
        .find(|i| folder.has(i))?;
    if lang::has_other_manifest(folder, &[])
        || folder.has("index.php")
        || is_asset_folder(&folder.rel)
    {
        return None;
    }
    // A server-side template (Jinja, Django, ERB, Blade, CRA's `public/`) is not a site on its own.
    let page = folder.read_opt(index).unwrap_or_default();
    if TEMPLATE_MARKERS.iter().any(|m| page.contains(m)) {
        return None;
    }
    let mut f = lang::new_finding(folder, ServiceType::Static, Rank::Static, STATIC_CONFIDENCE);
    f.indicator(index);
    f.tech("html");
    // Browser code: host names only; its port literals are not this server's port.
    for file in std::iter::once(index).chain(SCRIPTS.iter().copied()) {
        if let Some(text) = folder.read_opt(file) {
            for h in lang::code_hosts(&text) {
                if !f.code_hosts.contains(&h) {
                    f.code_hosts.push(h);
                }
            }
        }
    }
    lang::add_port(&mut f, 80, PortSource::FrameworkDefault);
    f.start_command = Some("busybox httpd -f -v -p 80 -h .".into());
    // A static server has no `/health` route; its root page is the check.
    f.health_path = Some("/".into());
    Some(f)
}

/// A folder with a `Staticfile`: its `root:` folder (or itself) is served; that folder is part of
/// this site, not a second one.
fn staticfile_site(folder: &Folder) -> Finding {
    let mut f = lang::new_finding(folder, ServiceType::Static, Rank::Static, STATIC_CONFIDENCE);
    f.indicator("Staticfile");
    f.tech("html");
    f.boost(lang::EVIDENCE_BOOST);
    let root = staticfile_root(folder);
    let served = root.clone().unwrap_or_default();
    let index = if served.is_empty() {
        "index.html".to_string()
    } else {
        format!("{served}/index.html")
    };
    if let Some(text) = folder.read_opt(&index) {
        for h in lang::code_hosts(&text) {
            if !f.code_hosts.contains(&h) {
                f.code_hosts.push(h);
            }
        }
    }
    if let Some(r) = root {
        let top = r.split('/').next().unwrap_or(&r).to_string();
        f.parts.push(top);
        f.start_command = Some(format!("busybox httpd -f -v -p 80 -h {r}"));
        f.output_dir = Some(r);
    } else {
        f.start_command = Some("busybox httpd -f -v -p 80 -h .".into());
    }
    lang::add_port(&mut f, 80, PortSource::FrameworkDefault);
    f.health_path = Some("/".into());
    f
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::{fixture, port, run, temp};
    use super::*;

    #[test]
    fn site_fixture() {
        let (f, d) = run(analyze, &fixture("static/site"));
        let f = f.unwrap();
        assert!(d.is_empty());
        assert_eq!(f.kind, ServiceType::Static);
        assert_eq!(f.rank, Rank::Static);
        assert_eq!(f.technologies, vec!["html"]);
        assert_eq!(port(&f), Some(80));
        assert_eq!(f.health_path.as_deref(), Some("/"));
        assert_eq!(f.code_hosts, vec!["api"]);
        assert!((f.confidence - 0.6).abs() < 1e-9);
    }

    #[test]
    fn application_asset_folders_are_not_sites() {
        assert!(is_asset_folder("web/src"));
        assert!(is_asset_folder("api/src/main/resources/static"));
        assert!(is_asset_folder("api/public"));
        assert!(is_asset_folder("blog/templates"));
        assert!(is_asset_folder("coverage"));
        assert!(!is_asset_folder("public"));
        assert!(!is_asset_folder("sites/landing"));
        assert!(!is_asset_folder("."));
        let (dir, _) = temp(&[("public/index.html", "<h1>x</h1>")]);
        let nested =
            super::super::lang::testutil::folder_of(&dir.path().join("public"), "app/public");
        assert!(run(analyze, &nested).0.is_none());
    }

    #[test]
    fn a_staticfile_serves_its_root() {
        let (_d, folder) = temp(&[
            ("Staticfile", "root: site\nindex_fallback: false\n"),
            ("site/index.html", "<a href=\"http://api:8080/x\">x</a>"),
        ]);
        let f = run(analyze, &folder).0.unwrap();
        assert_eq!(f.kind, ServiceType::Static);
        assert_eq!(f.indicators, vec!["Staticfile"]);
        assert_eq!(f.output_dir.as_deref(), Some("site"));
        assert_eq!(f.parts, vec!["site"]);
        assert_eq!(f.code_hosts, vec!["api"]);
        assert_eq!(port(&f), Some(80));
        let (_d, folder) = temp(&[("Staticfile", "pushstate: enabled\n"), ("index.html", "x")]);
        let f = run(analyze, &folder).0.unwrap();
        assert_eq!(f.output_dir, None);
        assert!(f.parts.is_empty());
    }

    #[test]
    fn not_static_beside_a_manifest_or_without_index() {
        let (_d, folder) = temp(&[("index.html", "<h1>x</h1>"), ("package.json", "{}")]);
        assert!(run(analyze, &folder).0.is_none());
        let (_d, folder) = temp(&[("README.md", "# docs")]);
        assert!(run(analyze, &folder).0.is_none());
        let (_d, folder) = temp(&[("index.html", "{% extends 'base.html' %}")]);
        assert!(run(analyze, &folder).0.is_none());
        let (_d, folder) = temp(&[("index.htm", "<h1>x</h1>")]);
        assert_eq!(
            run(analyze, &folder).0.unwrap().indicators,
            vec!["index.htm"]
        );
    }
}
