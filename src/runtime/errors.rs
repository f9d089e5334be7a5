//! What went wrong talking to the engine, classified once here so that callers match on an
//! [`ErrorKind`] instead of reading the engine's message.

use super::endpoint;

/// The kind of an engine failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A host port a container publishes is taken (`port is already allocated`, `address already
    /// in use`).
    PortInUse,
    /// The engine has no init binary (`docker-init`) to run as PID 1.
    NoInit,
    /// The container, image or network does not exist.
    NotFound,
    /// A name is taken, or the object is busy (removal in progress, in use).
    Conflict,
    /// The engine cannot be reached or does not answer.
    Unreachable,
    /// An image build failed.
    Build,
    /// The engine refuses a feature (ssh endpoints).
    Unsupported,
    /// Anything else.
    Other,
}

/// What went wrong talking to the engine.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{0}")]
    Endpoint(#[from] endpoint::EndpointError),
    #[error("cannot reach the Docker Engine at {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("{endpoint}: {message}")]
    Unsupported { endpoint: String, message: String },
    #[error("{op}: {message}")]
    Engine {
        op: String,
        kind: ErrorKind,
        message: String,
    },
    #[error("build failed: {0}")]
    Build(String),
    #[error("not found: {0}")]
    NotFound(String),
}

impl RuntimeError {
    /// Classifies a bollard error met while doing `op`.
    pub(super) fn engine(op: impl Into<String>, e: bollard::errors::Error) -> RuntimeError {
        let op = op.into();
        let status = match &e {
            bollard::errors::Error::DockerResponseServerError { status_code, .. } => {
                Some(*status_code)
            }
            _ => None,
        };
        let message = engine_message(&e);
        if status == Some(404) {
            return RuntimeError::NotFound(format!("{op}: {message}"));
        }
        let kind = classify(status, &message, &e);
        RuntimeError::Engine { op, kind, message }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            RuntimeError::Endpoint(_) | RuntimeError::Unsupported { .. } => ErrorKind::Unsupported,
            RuntimeError::Unreachable { .. } => ErrorKind::Unreachable,
            RuntimeError::Engine { kind, .. } => *kind,
            RuntimeError::Build(_) => ErrorKind::Build,
            RuntimeError::NotFound(_) => ErrorKind::NotFound,
        }
    }

    /// The engine's own message where there is one.
    pub fn message(&self) -> String {
        match self {
            RuntimeError::Engine { message, .. } => message.clone(),
            RuntimeError::Build(m) => m.clone(),
            other => other.to_string(),
        }
    }
}

/// The kind of an engine answer, from its status code and message (the engine reports port
/// conflicts and a missing init binary only in the text of a 500).
fn classify(status: Option<u16>, message: &str, e: &bollard::errors::Error) -> ErrorKind {
    let m = message.to_ascii_lowercase();
    if m.contains("port is already allocated") || m.contains("address already in use") {
        ErrorKind::PortInUse
    } else if m.contains("docker-init") {
        ErrorKind::NoInit
    } else if status == Some(409)
        || m.contains("already in progress")
        || m.contains("is already in use")
    {
        ErrorKind::Conflict
    } else if status.is_none()
        && matches!(
            e,
            bollard::errors::Error::IOError { .. }
                | bollard::errors::Error::HyperResponseError { .. }
                | bollard::errors::Error::RequestTimeoutError
        )
    {
        ErrorKind::Unreachable
    } else {
        ErrorKind::Other
    }
}

/// The engine's message of a bollard error.
pub(super) fn engine_message(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status_code: u16, message: &str) -> bollard::errors::Error {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message: message.into(),
        }
    }

    #[test]
    fn engine_answers_are_classified() {
        let k = |code, m: &str| RuntimeError::engine("op", server(code, m)).kind();
        assert_eq!(
            k(
                500,
                "driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated"
            ),
            ErrorKind::PortInUse
        );
        assert_eq!(
            k(500, "listen tcp4 0.0.0.0:80: bind: address already in use"),
            ErrorKind::PortInUse
        );
        assert_eq!(
            k(
                500,
                "exec: \"docker-init\": executable file not found in $PATH"
            ),
            ErrorKind::NoInit
        );
        assert_eq!(k(404, "No such container: x"), ErrorKind::NotFound);
        assert_eq!(
            k(409, "Conflict. The container name \"/x\" is already in use"),
            ErrorKind::Conflict
        );
        assert_eq!(
            k(409, "removal of container x is already in progress"),
            ErrorKind::Conflict
        );
        assert_eq!(k(500, "something else"), ErrorKind::Other);
        assert_eq!(RuntimeError::Build("x".into()).kind(), ErrorKind::Build);
        assert_eq!(
            RuntimeError::engine("ping", bollard::errors::Error::RequestTimeoutError).kind(),
            ErrorKind::Unreachable
        );
    }
}
