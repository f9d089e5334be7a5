//! Names of engine resources and validation of user input (service names, ports, limits).

use std::path::Path;

/// A bad name, port or limit given by the user or found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("invalid service name `{0}`: use 1 to 100 of A-Z a-z 0-9 _ -")]
    ServiceName(String),
    #[error("invalid port {0}: use 1 to 65535")]
    Port(u32),
    #[error("invalid memory limit `{0}` (use e.g. 512Mi, 1Gi, 256M)")]
    Memory(String),
    #[error("invalid cpu limit `{0}` (use e.g. 0.5 or 2)")]
    Cpu(String),
    #[error("invalid replica count {0}: use 0 to {max}", max = MAX_REPLICAS)]
    Replicas(u32),
}

/// The most replicas `scale` accepts.
pub const MAX_REPLICAS: u32 = 100;

/// Checks a service name against `^[A-Za-z0-9_-]{1,100}$`.
pub fn validate_service_name(name: &str) -> Result<(), ValidationError> {
    let ok = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::ServiceName(name.to_string()))
    }
}

/// Checks a port number.
pub fn validate_port(port: u32) -> Result<u16, ValidationError> {
    u16::try_from(port)
        .ok()
        .filter(|p| *p > 0)
        .ok_or(ValidationError::Port(port))
}

/// Checks a replica count.
pub fn validate_replicas(n: u32) -> Result<u32, ValidationError> {
    if n <= MAX_REPLICAS {
        Ok(n)
    } else {
        Err(ValidationError::Replicas(n))
    }
}

/// Lowercase engine-safe slug of a name: `[a-z0-9_.-]`, other characters become `-`, never empty,
/// never starting with a punctuation character, at most 40 characters.
pub fn slug(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while s.starts_with(['-', '_', '.']) {
        s.remove(0);
    }
    s.truncate(40);
    while s.ends_with(['-', '_', '.']) {
        s.pop();
    }
    if s.is_empty() { "workspace".into() } else { s }
}

/// The workspace part of resource names: the slug of the folder name.
pub fn workspace_slug(root: &Path) -> String {
    slug(
        &root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

/// The service part of resource names: its slug when that is the name itself (`web`), else the
/// slug and a short hash of the name (`Web` gives `web-1b0a`), so two services whose names differ
/// only in case or punctuation never share a container, image or project name.
pub fn service_slug(service: &str) -> String {
    let s = slug(service);
    if s == service {
        return s;
    }
    use sha2::Digest;
    let hash = sha2::Sha256::digest(service.as_bytes());
    format!("{s}-{}", hex::encode(&hash[..2]))
}

/// The short form of a workspace id in resource names: its last 8 hex digits (the random part
/// of a UUID v7; the first ones are a timestamp two workspaces may share).
pub fn short_id(workspace_id: &str) -> String {
    let hex: String = workspace_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    hex[hex.len().saturating_sub(8)..].to_ascii_lowercase()
}

/// `kyozo-<workspace>-<short id>`: the workspace network. The id keeps two workspaces with the
/// same folder name apart.
pub fn network_name(ws: &str, workspace_id: &str) -> String {
    format!("kyozo-{ws}-{}", short_id(workspace_id))
}

/// `kyozo-<workspace>-<service>-<replica>`.
pub fn container_name(ws: &str, service: &str, replica: u32) -> String {
    format!("kyozo-{ws}-{}-{replica}", service_slug(service))
}

/// The name a new replica starts under while the one it replaces still exists; it takes
/// [`container_name`] once the old one is gone.
pub fn pending_name(ws: &str, service: &str, replica: u32) -> String {
    format!("{}-new", container_name(ws, service, replica))
}

/// Whether a container name is a [`pending_name`].
pub fn is_pending(name: &str) -> bool {
    name.trim_start_matches('/')
        .strip_suffix("-new")
        .and_then(|rest| rest.rsplit_once('-'))
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The name a container keeps once it replaced the old one (`…-1-new` gives `…-1`).
pub fn final_name(name: &str) -> &str {
    let name = name.trim_start_matches('/');
    if is_pending(name) {
        name.strip_suffix("-new").unwrap_or(name)
    } else {
        name
    }
}

/// `kyozo/<workspace>-<service>`: the image repository (lowercase, as the engine requires).
pub fn image_repo(ws: &str, service: &str) -> String {
    format!("kyozo/{ws}-{}", service_slug(service))
}

/// `kyozo-<workspace>-<stack>`: the compose project name (compose allows `[a-z0-9_-]`).
pub fn compose_project(ws: &str, stack: &str) -> String {
    format!("kyozo-{ws}-{}", service_slug(stack)).replace('.', "-")
}

/// `512Mi`, `1Gi`, `256M`, `1G`, `1024Ki`, `1000000` (bytes) to bytes.
pub fn parse_memory(s: &str) -> Result<i64, ValidationError> {
    let t = s.trim();
    let err = || ValidationError::Memory(s.to_string());
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| err())?;
    let mult: f64 = match unit.trim() {
        "" | "b" | "B" => 1.0,
        "k" | "K" | "kb" | "KB" => 1e3,
        "M" | "m" | "MB" | "mb" => 1e6,
        "G" | "g" | "GB" | "gb" => 1e9,
        "Ki" | "KiB" => 1024.0,
        "Mi" | "MiB" => 1024.0 * 1024.0,
        "Gi" | "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(err()),
    };
    let bytes = (n * mult).round();
    if !(1.0..=1e15).contains(&bytes) {
        return Err(err());
    }
    Ok(bytes as i64)
}

/// `0.5`, `2`, `500m` (millicores) to NanoCpus.
pub fn parse_cpu(s: &str) -> Result<i64, ValidationError> {
    let t = s.trim();
    let err = || ValidationError::Cpu(s.to_string());
    let cores: f64 = match t.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().map_err(|_| err())? / 1000.0,
        None => t.parse().map_err(|_| err())?,
    };
    if !(cores > 0.0 && cores <= 1024.0) {
        return Err(err());
    }
    Ok((cores * 1e9).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        assert!(validate_service_name("api_v2-x").is_ok());
        assert!(validate_service_name("").is_err());
        assert!(validate_service_name("a b").is_err());
        assert!(validate_service_name("../etc").is_err());
        assert!(validate_service_name(&"a".repeat(100)).is_ok());
        assert!(validate_service_name(&"a".repeat(101)).is_err());
    }

    #[test]
    fn ports_and_replicas() {
        assert_eq!(validate_port(8080), Ok(8080));
        assert!(validate_port(0).is_err());
        assert!(validate_port(70000).is_err());
        assert!(validate_replicas(101).is_err());
    }

    #[test]
    fn slugs_and_names() {
        assert_eq!(slug("My Shop!"), "my-shop");
        assert_eq!(slug(".tmpAbC"), "tmpabc");
        assert_eq!(slug("日本"), "workspace");
        assert_eq!(workspace_slug(Path::new("/x/Mono_Repo")), "mono_repo");
        assert!(container_name("shop", "API", 2).starts_with("kyozo-shop-api-"));
        assert_eq!(container_name("shop", "api", 2), "kyozo-shop-api-2");
        assert_eq!(image_repo("shop", "web"), "kyozo/shop-web");
        assert_eq!(compose_project("a.b", "stack"), "kyozo-a-b-stack");
        assert_eq!(pending_name("shop", "api", 1), "kyozo-shop-api-1-new");
        assert!(is_pending("/kyozo-shop-api-1-new") && !is_pending("kyozo-shop-api-1"));
    }

    #[test]
    fn names_that_differ_in_case_get_different_resources() {
        assert_eq!(service_slug("web"), "web");
        let upper = service_slug("Web");
        assert!(upper.starts_with("web-") && upper.len() == 8, "{upper}");
        assert_ne!(
            container_name("ws", "Web", 1),
            container_name("ws", "web", 1)
        );
        assert_ne!(image_repo("ws", "Web"), image_repo("ws", "web"));
        assert_ne!(service_slug("a.b"), service_slug("a_b"));
        let id = "0190a4b2-7c3d-7e5f-8a1b-2c3d4e5f6a7b";
        assert_eq!(short_id(id), "4e5f6a7b");
        assert_eq!(network_name("shop", id), "kyozo-shop-4e5f6a7b");
    }

    #[test]
    fn limits() {
        assert_eq!(parse_memory("512Mi"), Ok(536_870_912));
        assert_eq!(parse_memory("1Gi"), Ok(1_073_741_824));
        assert_eq!(parse_memory("256M"), Ok(256_000_000));
        assert!(parse_memory("lots").is_err());
        assert!(parse_memory("0").is_err());
        assert_eq!(parse_cpu("0.5"), Ok(500_000_000));
        assert_eq!(parse_cpu("250m"), Ok(250_000_000));
        assert!(parse_cpu("-1").is_err());
        assert!(parse_cpu("x").is_err());
    }
}
