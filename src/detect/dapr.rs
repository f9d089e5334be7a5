//! Dapr multi-app run files (`dapr.yaml`): each app's folder (`appDirPath`), the port its code
//! listens on (`appPort`, explicit runtime config for that folder) and its start command
//! (`command`). `dapr run --app-port 5000 -- python app.py` in a start script is read by
//! [`super::ports::from_command`].

use super::folder::Folder;
use super::lang;
use super::model::Diagnostic;

/// The files a multi-app run reads.
const FILES: &[&str] = &["dapr.yaml", "dapr.yml"];
/// At most this many apps are read.
const APP_CAP: usize = 64;

/// What a file elsewhere in the workspace says about one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderHint {
    /// The folder, workspace-relative with `/` separators.
    pub dir: String,
    /// The port its code listens on.
    pub port: Option<u16>,
    /// The command that starts it.
    pub command: Option<String>,
    /// Where this was found (`dapr.yaml`), workspace-relative.
    pub source: String,
}

/// The apps of a folder's `dapr.yaml`.
pub fn app_hints(folder: &Folder, diags: &mut Vec<Diagnostic>) -> Vec<FolderHint> {
    let Some(file) = FILES.iter().copied().find(|f| folder.has(f)) else {
        return Vec::new();
    };
    let Some(text) = lang::read_or_diag(folder, file, diags) else {
        return Vec::new();
    };
    let doc = match parse_yaml(&text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(lang::diag(
                folder,
                file,
                format!("{file}: invalid YAML: {e}"),
            ));
            return Vec::new();
        }
    };
    let Some(apps) = doc.get("apps").and_then(serde_yaml_ng::Value::as_sequence) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for app in apps.iter().take(APP_CAP) {
        let Some(dir) = app
            .get("appDirPath")
            .and_then(serde_yaml_ng::Value::as_str)
            .and_then(|d| super::compose::join_rel(&folder.rel, d))
        else {
            continue;
        };
        let port = app.get("appPort").and_then(|p| match p {
            serde_yaml_ng::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            serde_yaml_ng::Value::String(s) => super::ports::parse_port(s),
            _ => None,
        });
        let command = app
            .get("command")
            .and_then(serde_yaml_ng::Value::as_sequence)
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(serde_yaml_ng::Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|c| !c.is_empty());
        out.push(FolderHint {
            dir,
            port: port.filter(|p| *p > 0),
            command,
            source: folder.rel_path(file),
        });
    }
    out
}

/// The one place this file parses YAML.
fn parse_yaml(text: &str) -> Result<serde_yaml_ng::Value, String> {
    super::yaml::parse(text)
}

#[cfg(test)]
mod tests {
    use super::super::lang::testutil::temp;
    use super::*;

    #[test]
    fn apps_of_a_multi_app_run() {
        let (_d, folder) = temp(&[(
            "dapr.yaml",
            "version: 1\ncommon:\n  resourcesPath: ./components\napps:\n  - appID: orders\n    appDirPath: ./order-processor/\n    appPort: 6001\n    command: [\"python3\", \"app.py\"]\n  - appID: checkout\n    appDirPath: checkout\n  - appID: bad\n    appDirPath: ../../outside\n",
        )]);
        let mut d = Vec::new();
        let hints = app_hints(&folder, &mut d);
        assert!(d.is_empty());
        assert_eq!(
            hints,
            vec![
                FolderHint {
                    dir: "svc/order-processor".into(),
                    port: Some(6001),
                    command: Some("python3 app.py".into()),
                    source: "svc/dapr.yaml".into(),
                },
                FolderHint {
                    dir: "svc/checkout".into(),
                    port: None,
                    command: None,
                    source: "svc/dapr.yaml".into(),
                },
            ]
        );
        let (_d, folder) = temp(&[("dapr.yaml", "apps: [\n")]);
        let mut d = Vec::new();
        assert!(app_hints(&folder, &mut d).is_empty());
        assert!(d[0].message.starts_with("dapr.yaml: invalid YAML"), "{d:?}");
    }

    #[test]
    fn dapr_run_names_the_app_port() {
        use super::super::ports::from_command;
        assert_eq!(
            from_command(
                "dapr run --app-id orders --dapr-http-port 3500 --app-port 6001 -- python3 app.py"
            ),
            Some(6001)
        );
        assert_eq!(
            from_command("dapr run --app-id x --app-port=7001 -- node app.js"),
            Some(7001)
        );
    }
}
