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

/// `kyozo-<workspace>`: the workspace network.
pub fn network_name(ws: &str) -> String {
    format!("kyozo-{ws}")
}

/// `kyozo-<workspace>-<service>-<replica>`.
pub fn container_name(ws: &str, service: &str, replica: u32) -> String {
    format!("kyozo-{ws}-{}-{replica}", slug(service))
}

/// `kyozo/<workspace>-<service>`: the image repository (lowercase, as the engine requires).
pub fn image_repo(ws: &str, service: &str) -> String {
    format!("kyozo/{ws}-{}", slug(service))
}

/// `kyozo-<workspace>-<stack>`: the compose project name (compose allows `[a-z0-9_-]`).
pub fn compose_project(ws: &str, stack: &str) -> String {
    format!("kyozo-{ws}-{}", slug(stack)).replace('.', "-")
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
        assert_eq!(container_name("shop", "API", 2), "kyozo-shop-api-2");
        assert_eq!(image_repo("shop", "web"), "kyozo/shop-web");
        assert_eq!(compose_project("a.b", "stack"), "kyozo-a-b-stack");
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
