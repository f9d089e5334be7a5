//! The records the store keeps: workspaces, detections, services and deployment events.
//!
//! Records are stored as JSON inside a versioned envelope (see `schema.rs`), so a field may be added
//! (with `#[serde(default)]` for older records) without a schema change.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Lifecycle state of a service (`deployable → deploying → running | error`; `running → stopped |
/// scaling | error`; `stopped → running`), shared by the store, the deployer, the verbs and the
/// cockpit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// Detected, never deployed (or removed).
    #[default]
    Deployable,
    Deploying,
    Running,
    Stopped,
    Scaling,
    Error,
}

impl ServiceState {
    pub const ALL: [ServiceState; 6] = [
        ServiceState::Deployable,
        ServiceState::Deploying,
        ServiceState::Running,
        ServiceState::Stopped,
        ServiceState::Scaling,
        ServiceState::Error,
    ];

    /// The snake_case name used in JSON, the store and the cockpit (`running`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Deployable => "deployable",
            ServiceState::Deploying => "deploying",
            ServiceState::Running => "running",
            ServiceState::Stopped => "stopped",
            ServiceState::Scaling => "scaling",
            ServiceState::Error => "error",
        }
    }

    /// The state of this name; `None` for a name this version does not know.
    pub fn parse(s: &str) -> Option<ServiceState> {
        ServiceState::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Health of a service, separate from its state.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    Unhealthy,
    #[default]
    Unknown,
}

impl Health {
    pub const ALL: [Health; 3] = [Health::Healthy, Health::Unhealthy, Health::Unknown];

    /// The name used in JSON and the store (`healthy`, `unhealthy`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Unknown => "unknown",
        }
    }

    /// The health of this name; anything unknown reads as [`Health::Unknown`].
    pub fn parse(s: &str) -> Health {
        Health::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(Health::Unknown)
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened, in the deployment history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    DeploymentStarted,
    DeploymentCompleted,
    DeploymentFailed,
    ServiceStarted,
    ServiceStopped,
    ServiceScaled,
    HealthCheckFailed,
    HealthRecovered,
    ServiceRemoved,
    DetectionChanged,
}

impl EventKind {
    /// Every kind, in the order of PRODUCT.md.
    pub const ALL: [EventKind; 10] = [
        EventKind::DeploymentStarted,
        EventKind::DeploymentCompleted,
        EventKind::DeploymentFailed,
        EventKind::ServiceStarted,
        EventKind::ServiceStopped,
        EventKind::ServiceScaled,
        EventKind::HealthCheckFailed,
        EventKind::HealthRecovered,
        EventKind::ServiceRemoved,
        EventKind::DetectionChanged,
    ];

    /// The snake_case name used in JSON and in the UI (`deployment_started`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::DeploymentStarted => "deployment_started",
            EventKind::DeploymentCompleted => "deployment_completed",
            EventKind::DeploymentFailed => "deployment_failed",
            EventKind::ServiceStarted => "service_started",
            EventKind::ServiceStopped => "service_stopped",
            EventKind::ServiceScaled => "service_scaled",
            EventKind::HealthCheckFailed => "health_check_failed",
            EventKind::HealthRecovered => "health_recovered",
            EventKind::ServiceRemoved => "service_removed",
            EventKind::DetectionChanged => "detection_changed",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not one of [`EventKind::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind `{0}`")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownEventKind(s.to_string()))
    }
}

/// A folder the user pointed kyozo at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: Uuid,
    /// Canonical path of the folder; unique in the store.
    pub path: String,
    pub name: String,
    /// `development` | `staging` | `production`.
    #[serde(default = "default_environment")]
    pub deployment_environment: String,
    #[serde(default)]
    pub auto_deploy: bool,
    #[serde(default)]
    pub registry: Option<String>,
    pub created_at_ms: i64,
}

fn default_environment() -> String {
    "development".to_string()
}

/// One deployable folder of a workspace, as last saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// Unique in the workspace.
    pub name: String,
    pub path: String,
    /// Service type as its snake_case name (`nodejs`, `compose_stack`, ...).
    pub kind: String,
    /// Its lifecycle state (records of older versions stored the name as a string: read as the
    /// same state, an unknown name as `deployable`).
    #[serde(deserialize_with = "state_or_name")]
    pub status: ServiceState,
    /// Its health (an unknown name reads as `unknown`).
    #[serde(deserialize_with = "health_or_name")]
    pub health: Health,
    #[serde(default = "one")]
    pub desired_replicas: u32,
    #[serde(default)]
    pub containers: Vec<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub content_hash: Option<String>,
    /// `(container, host)` port pairs.
    #[serde(default)]
    pub ports: Vec<(u16, u16)>,
    /// Env, resource limits, health check, scaling...
    #[serde(default)]
    pub config: serde_json::Value,
    #[serde(default)]
    pub startup_ms: Option<u64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    #[serde(default)]
    pub deployed_at_ms: Option<i64>,
    #[serde(default)]
    pub last_health_check_ms: Option<i64>,
    /// Consecutive failed health probes (kyozo's own probes; reset by a success).
    #[serde(default)]
    pub health_failures: u32,
    #[serde(default)]
    pub deleted_at_ms: Option<i64>,
}

fn one() -> u32 {
    1
}

/// A state by its name; names this version does not know (`detecting` of older records) read as
/// `deployable`.
fn state_or_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ServiceState, D::Error> {
    let name = String::deserialize(d)?;
    Ok(ServiceState::parse(&name).unwrap_or_default())
}

/// A health by its name; unknown names read as `unknown`.
fn health_or_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Health, D::Error> {
    let name = String::deserialize(d)?;
    Ok(Health::parse(&name))
}

impl ServiceRecord {
    /// A fresh record: id v7, status `deployable`, health `unknown`, one replica, timestamps now.
    pub fn new(workspace_id: Uuid, name: &str, path: &str, kind: &str) -> Self {
        let now = now_ms();
        ServiceRecord {
            id: Uuid::now_v7(),
            workspace_id,
            name: name.to_string(),
            path: path.to_string(),
            kind: kind.to_string(),
            status: ServiceState::Deployable,
            health: Health::Unknown,
            desired_replicas: 1,
            containers: Vec::new(),
            image: None,
            content_hash: None,
            ports: Vec::new(),
            config: serde_json::Value::Null,
            startup_ms: None,
            created_at_ms: now,
            updated_at_ms: now,
            deployed_at_ms: None,
            last_health_check_ms: None,
            health_failures: 0,
            deleted_at_ms: None,
        }
    }

    /// Whether the service was removed (its history is kept).
    pub fn is_deleted(&self) -> bool {
        self.deleted_at_ms.is_some()
    }
}

/// One entry of the append-only deployment history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// UUID v7; its timestamp is `at_ms`.
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub service: String,
    pub kind: EventKind,
    pub at_ms: i64,
    #[serde(default)]
    pub duration_ms: Option<u64>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub data: serde_json::Value,
    /// `user@host`, or `kyozo` for automatic actions.
    pub triggered_by: String,
}

/// An event to append; the store gives it its id and time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub service: String,
    pub kind: EventKind,
    pub duration_ms: Option<u64>,
    pub error: Option<String>,
    pub data: serde_json::Value,
    pub triggered_by: String,
}

impl NewEvent {
    /// No duration, no error, data `null`, triggered by [`whoami`].
    pub fn new(service: &str, kind: EventKind) -> Self {
        NewEvent {
            service: service.to_string(),
            kind,
            duration_ms: None,
            error: None,
            data: serde_json::Value::Null,
            triggered_by: whoami(),
        }
    }

    /// Sets the duration in milliseconds.
    pub fn duration_ms(mut self, ms: u64) -> Self {
        self.duration_ms = Some(ms);
        self
    }

    /// Sets the error message.
    pub fn error(mut self, message: impl Into<String>) -> Self {
        self.error = Some(message.into());
        self
    }

    /// Sets the JSON data.
    pub fn data(mut self, data: serde_json::Value) -> Self {
        self.data = data;
        self
    }

    /// Sets who triggered it (`kyozo` for automatic actions).
    pub fn triggered_by(mut self, who: impl Into<String>) -> Self {
        self.triggered_by = who.into();
        self
    }
}

/// The result of one detection run, kept as the JSON of the topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub at_ms: i64,
    pub topology: serde_json::Value,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// The millisecond timestamp of a UUID v7 (0 for other versions).
pub(crate) fn uuid_ms(id: Uuid) -> i64 {
    match id.get_timestamp() {
        Some(ts) => {
            let (secs, nanos) = ts.to_unix();
            let ms = u128::from(secs) * 1000 + u128::from(nanos / 1_000_000);
            i64::try_from(ms).unwrap_or(i64::MAX)
        }
        None => 0,
    }
}

/// `user@host` of this process.
///
/// The user is `$USER`, else `$LOGNAME`, else the `/etc/passwd` entry of the owner of
/// `/proc/self`; the host is `/proc/sys/kernel/hostname`, else `/etc/hostname`, else `$HOSTNAME`.
pub fn whoami() -> String {
    let user = env_nonempty("USER")
        .or_else(|| env_nonempty("LOGNAME"))
        .or_else(passwd_user)
        .unwrap_or_else(|| "unknown".to_string());
    let host = file_first_line("/proc/sys/kernel/hostname")
        .or_else(|| file_first_line("/etc/hostname"))
        .or_else(|| env_nonempty("HOSTNAME"))
        .unwrap_or_else(|| "localhost".to_string());
    format!("{user}@{host}")
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn file_first_line(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_string())
}

#[cfg(unix)]
fn passwd_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd_name(&passwd, uid).or_else(|| Some(uid.to_string()))
}

#[cfg(not(unix))]
fn passwd_user() -> Option<String> {
    None
}

/// The name of `uid` in the text of an `/etc/passwd` file.
#[cfg_attr(not(unix), allow(dead_code))]
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let id: u32 = fields.next()?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kind_names_round_trip_and_match_serde() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(
            "deployed".parse::<EventKind>(),
            Err(UnknownEventKind("deployed".into()))
        );
    }

    #[test]
    fn typed_states_round_trip_and_old_names_still_read() {
        let mut rec = ServiceRecord::new(Uuid::now_v7(), "api", "api", "nodejs");
        for state in ServiceState::ALL {
            for health in Health::ALL {
                rec.status = state;
                rec.health = health;
                let json = serde_json::to_value(&rec).unwrap();
                assert_eq!(json["status"], state.as_str());
                assert_eq!(json["health"], health.as_str());
                let back: ServiceRecord = serde_json::from_value(json).unwrap();
                assert_eq!((back.status, back.health), (state, health));
            }
        }
        let mut old = serde_json::to_value(&rec).unwrap();
        old["status"] = "detecting".into();
        old["health"] = "sick".into();
        let back: ServiceRecord = serde_json::from_value(old).unwrap();
        assert_eq!(
            (back.status, back.health),
            (ServiceState::Deployable, Health::Unknown)
        );
    }

    #[test]
    fn passwd_lookup_finds_the_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\nbad line\nada:x:1000:1000::/home/ada:/bin/sh\n";
        assert_eq!(passwd_name(passwd, 1000).as_deref(), Some("ada"));
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 7), None);
    }

    #[test]
    fn whoami_is_user_at_host() {
        let who = whoami();
        let (user, host) = who.split_once('@').unwrap();
        assert!(!user.is_empty() && !host.is_empty(), "{who}");
    }

    #[test]
    fn uuid_ms_is_the_v7_time() {
        let before = now_ms();
        let id = Uuid::now_v7();
        let after = now_ms();
        let ms = uuid_ms(id);
        assert!(before <= ms && ms <= after, "{before} {ms} {after}");
        assert_eq!(uuid_ms(Uuid::nil()), 0);
    }

    #[test]
    fn a_record_missing_new_fields_still_decodes() {
        let old = serde_json::json!({
            "id": Uuid::now_v7(), "workspace_id": Uuid::now_v7(), "name": "api", "path": "/w/api",
            "kind": "nodejs", "status": "running", "health": "healthy",
            "created_at_ms": 1, "updated_at_ms": 2
        });
        let rec: ServiceRecord = serde_json::from_value(old).unwrap();
        assert_eq!(rec.status, ServiceState::Running);
        assert_eq!(rec.health, Health::Healthy);
        assert_eq!(rec.desired_replicas, 1);
        assert!(rec.containers.is_empty() && rec.ports.is_empty());
        assert_eq!(rec.config, serde_json::Value::Null);
    }
}
