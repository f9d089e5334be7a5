//! PHP: `composer.json` (Laravel, Symfony, Slim), `artisan`, `index.php` or `public/index.php`; served
//! by `php artisan serve` or the built-in server (`php -S 0.0.0.0:8000`).

use serde_json::Value;

use super::lang::{self, LANGUAGE_CONFIDENCE};
use super::ports::PortSource;
use super::{Diagnostic, Finding, Folder, Rank, ServiceType};

/// Package (exact, or prefix when it ends with `/`) → framework, strongest first.
const FRAMEWORKS: &[(&str, &str)] = &[
    ("laravel/framework", "laravel"),
    ("laravel/lumen-framework", "lumen"),
    ("symfony/framework-bundle", "symfony"),
    ("slim/slim", "slim"),
    ("cakephp/cakephp", "cakephp"),
    ("yiisoft/yii2", "yii"),
];

pub fn analyze(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Option<Finding> {
    let has_composer = folder.has("composer.json");
    let public_index = folder.has_dir("public") && folder.read_opt("public/index.php").is_some();
    if !has_composer && !folder.has("artisan") && !folder.has("index.php") && !public_index {
        return None;
    }
    // `index.php` alone, beside another language's manifest or as the front controller of the
    // application above (`public/index.php`), is not a PHP service.
    if !has_composer
        && !folder.has("artisan")
        && (lang::has_other_manifest(folder, &[])
            || (folder.rel != "." && folder.name() == "public"))
    {
        return None;
    }
    let mut packages: Vec<String> = Vec::new();
    let mut scripts_start: Option<String> = None;
    if has_composer {
        let text = lang::read_or_diag(folder, "composer.json", diags)?;
        let v = lang::parse_json(folder, "composer.json", &text, diags)?;
        for key in ["require", "require-dev"] {
            if let Some(o) = v.get(key).and_then(Value::as_object) {
                packages.extend(o.keys().map(|k| k.to_ascii_lowercase()));
            }
        }
        scripts_start = v
            .pointer("/scripts/start")
            .and_then(Value::as_str)
            .map(str::to_string);
    }

    let mut f = lang::new_finding(
        folder,
        ServiceType::Php,
        Rank::Language,
        LANGUAGE_CONFIDENCE,
    );
    for ind in ["composer.json", "artisan", "index.php"] {
        if folder.has(ind) {
            f.indicator(ind);
        }
    }
    f.tech("php");
    let framework = FRAMEWORKS
        .iter()
        .find(|(p, _)| packages.iter().any(|x| x == p))
        .map(|(_, n)| *n)
        .or_else(|| folder.has("artisan").then_some("laravel"));
    if let Some(fw) = framework {
        f.tech(fw);
        f.rank = Rank::Framework;
    }

    for entry in [
        "index.php",
        "public/index.php",
        "routes/web.php",
        "routes/api.php",
    ] {
        lang::scan_entry(folder, entry, &mut f);
    }
    // Page folders of a site served from this folder (`stuff/index.php` without a composer.json of
    // its own) are part of it.
    if folder.has("index.php") || public_index {
        f.parts = folder
            .dirs
            .iter()
            .filter(|d| !matches!(d.as_str(), "vendor" | "public" | "node_modules"))
            .filter(|d| {
                folder.read_opt(&format!("{d}/index.php")).is_some()
                    && folder.read_opt(&format!("{d}/composer.json")).is_none()
            })
            .take(64)
            .cloned()
            .collect();
    }
    lang::add_port(&mut f, 8000, PortSource::FrameworkDefault);
    let port = lang::best_port(&f).unwrap_or(8000);

    if let Some(cmd) = lang::procfile_web(folder) {
        f.indicator("Procfile");
        lang::user_command(&mut f, &cmd);
    } else if let Some(cmd) = scripts_start {
        f.start_command = Some("composer start".into());
        if let Some(p) = super::ports::from_command(&cmd) {
            lang::add_port(&mut f, p, PortSource::RuntimeConfig);
        }
    } else if framework == Some("laravel") && folder.has("artisan") {
        f.start_command = Some(format!("php artisan serve --host 0.0.0.0 --port {port}"));
    } else if public_index {
        f.start_command = Some(format!("php -S 0.0.0.0:{port} -t public"));
    } else if folder.has("index.php") {
        f.start_command = Some(format!("php -S 0.0.0.0:{port}"));
    }
    match framework {
        Some("laravel" | "lumen") => {
            f.env.insert("APP_ENV".into(), "production".into());
        }
        Some("symfony") => {
            f.env.insert("APP_ENV".into(), "prod".into());
        }
        _ => {}
    }
    if f.start_command.is_none() {
        // A composer package without a front controller is a library.
        f.helper_only = true;
        f.ports.clear();
    }
    lang::finish(&mut f, framework.is_some());
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::{fixture, port, run, temp};
    use super::*;

    fn one(files: &[(&str, &str)]) -> (Option<Finding>, Vec<Diagnostic>) {
        let (_d, f) = temp(files);
        run(analyze, &f)
    }

    #[test]
    fn page_folders_of_a_site_are_part_of_it() {
        let (_d, folder) = temp(&[
            ("index.php", "<?php echo 'home';\n"),
            ("stuff/index.php", "<html>stuff</html>\n"),
            ("api/index.php", "<?php\n"),
            ("api/composer.json", "{}"),
        ]);
        let f = run(analyze, &folder).0.unwrap();
        assert_eq!(f.parts, vec!["stuff"]);
    }

    #[test]
    fn laravel_fixture() {
        let (f, d) = run(analyze, &fixture("php/laravel"));
        let f = f.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.technologies, vec!["php", "laravel"]);
        assert_eq!(f.rank, Rank::Framework);
        assert_eq!(
            f.start_command.as_deref(),
            Some("php artisan serve --host 0.0.0.0 --port 8000")
        );
        assert_eq!(port(&f), Some(8000));
        assert_eq!(f.health_path.as_deref(), Some("/health"));
        assert!(
            f.env_evidence
                .iter()
                .any(|(k, v)| k == "DB_HOST" && v == "mysql")
        );
        assert!((f.confidence - 0.85).abs() < 1e-9);
    }

    #[test]
    fn plain_php_and_symfony() {
        let (f, _) = one(&[("index.php", "<?php echo 'hi';\n")]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["php"]);
        assert_eq!(f.rank, Rank::Language);
        assert_eq!(f.start_command.as_deref(), Some("php -S 0.0.0.0:8000"));
        let (f, _) = one(&[
            (
                "composer.json",
                r#"{"require":{"symfony/framework-bundle":"7.*"}}"#,
            ),
            ("public/index.php", "<?php\n"),
        ]);
        let f = f.unwrap();
        assert_eq!(f.technologies, vec!["php", "symfony"]);
        assert_eq!(
            f.start_command.as_deref(),
            Some("php -S 0.0.0.0:8000 -t public")
        );
        assert_eq!(f.env.get("APP_ENV").map(String::as_str), Some("prod"));
    }

    #[test]
    fn port_precedence() {
        let c = r#"{"require":{"slim/slim":"4.*"},"scripts":{"start":"php -S 0.0.0.0:8090 -t public"}}"#;
        let code = "<?php\n$app->run(); // listen\n$port = 8070;\n";
        let (f, _) = one(&[("composer.json", c), ("public/index.php", code)]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(8090));
        assert_eq!(f.start_command.as_deref(), Some("composer start"));
        let c = r#"{"require":{"slim/slim":"4.*"}}"#;
        let (f, _) = one(&[("composer.json", c), ("public/index.php", code)]);
        let f = f.unwrap();
        assert_eq!(port(&f), Some(8070));
        assert_eq!(
            f.start_command.as_deref(),
            Some("php -S 0.0.0.0:8070 -t public")
        );
    }

    #[test]
    fn library_is_a_helper_and_index_beside_other_manifest_is_not_php() {
        let (f, _) = one(&[(
            "composer.json",
            r#"{"name":"acme/lib","require":{"php":">=8.2"}}"#,
        )]);
        let f = f.unwrap();
        assert!(f.helper_only);
        assert!(f.ports.is_empty());
        let (f, _) = one(&[("index.php", "<?php"), ("package.json", "{}")]);
        assert!(f.is_none());
        let (dir, _) = temp(&[("public/index.php", "<?php")]);
        let public =
            super::super::lang::testutil::folder_of(&dir.path().join("public"), "app/public");
        assert!(run(analyze, &public).0.is_none());
    }

    #[test]
    fn malformed_composer_json_is_a_diagnostic() {
        let (f, d) = one(&[("composer.json", "{\n\"require\": {\n}\n,}")]);
        assert!(f.is_none());
        assert_eq!(d[0].path, "svc/composer.json");
        assert!(d[0].message.contains("invalid JSON"), "{}", d[0].message);
        assert!(d[0].message.contains("line 4"), "{}", d[0].message);
    }
}
