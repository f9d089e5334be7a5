//! Health probes without the engine's own check: HTTP GET on the mapped host port (2xx/3xx
//! healthy); a 404 on the default path falls back to a TCP probe (does the service listen?).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub use crate::store::Health;

/// The outcome of one probe, with the reason for the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub health: Health,
    pub reason: String,
}

impl Probe {
    fn new(health: Health, reason: impl Into<String>) -> Probe {
        Probe {
            health,
            reason: reason.into(),
        }
    }
}

/// The status code of `GET path` on `host:port`, `None` when no HTTP answer came.
pub async fn http_status(host: &str, port: u16, path: &str, timeout: Duration) -> Option<u16> {
    let fut = async {
        let mut s = TcpStream::connect((host, port)).await.ok()?;
        let req = format!(
            "GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: kyozo\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = vec![0u8; 1024];
        let mut n = 0;
        while n < buf.len() {
            let r = s.read(&mut buf[n..]).await.ok()?;
            if r == 0 {
                break;
            }
            n += r;
            if buf[..n].contains(&b'\n') {
                break;
            }
        }
        let line = String::from_utf8_lossy(&buf[..n]);
        let mut parts = line.split_whitespace();
        let proto = parts.next()?;
        if !proto.starts_with("HTTP/") {
            return None;
        }
        parts.next()?.parse::<u16>().ok()
    };
    tokio::time::timeout(timeout, fut).await.ok().flatten()
}

/// Whether something listens behind `host:port`. A connection the peer closes at once counts as
/// not listening (the engine's port proxy accepts and then closes when the container does not
/// listen).
pub async fn tcp_listening(host: &str, port: u16, timeout: Duration) -> bool {
    let fut = async {
        let Ok(mut s) = TcpStream::connect((host, port)).await else {
            return false;
        };
        let mut b = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(300), s.read(&mut b)).await {
            // data: it speaks first; silence: it waits for us; either way it listens
            Ok(Ok(n)) => n > 0,
            Ok(Err(_)) => false,
            Err(_) => true,
        }
    };
    tokio::time::timeout(timeout, fut).await.unwrap_or(false)
}

/// Probes a service on `host:port` with the HTTP rule and its TCP fallback.
pub async fn probe_http(host: &str, port: u16, path: &str, timeout: Duration) -> Probe {
    match http_status(host, port, path, timeout).await {
        Some(code @ 200..=399) => Probe::new(Health::Healthy, format!("GET {path}: {code}")),
        Some(404) if path == "/health" => {
            if tcp_listening(host, port, timeout).await {
                Probe::new(
                    Health::Healthy,
                    format!("no {path} route; port {port} listens"),
                )
            } else {
                Probe::new(Health::Unhealthy, format!("port {port} does not listen"))
            }
        }
        Some(code) => Probe::new(Health::Unhealthy, format!("GET {path}: {code}")),
        None => Probe::new(
            Health::Unhealthy,
            format!("GET {path} on port {port}: no HTTP answer"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn serve(responses: Vec<&'static str>) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            for r in responses {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf).await;
                if !r.is_empty() {
                    let _ = s.write_all(r.as_bytes()).await;
                } else {
                    // hold the connection open without answering (a TCP-only service)
                    tokio::time::sleep(Duration::from_millis(600)).await;
                }
            }
        });
        port
    }

    #[tokio::test]
    async fn http_rules() {
        let t = Duration::from_secs(2);
        let p = serve(vec!["HTTP/1.1 204 No Content\r\n\r\n"]).await;
        assert_eq!(
            probe_http("127.0.0.1", p, "/health", t).await.health,
            Health::Healthy
        );
        let p = serve(vec!["HTTP/1.0 503 Unavailable\r\n\r\n"]).await;
        assert_eq!(
            probe_http("127.0.0.1", p, "/health", t).await.health,
            Health::Unhealthy
        );
        // 404 on the default path: the service listens, so it is healthy
        let p = serve(vec!["HTTP/1.0 404 Not Found\r\n\r\n", ""]).await;
        assert_eq!(
            probe_http("127.0.0.1", p, "/health", t).await.health,
            Health::Healthy
        );
        // 404 on a configured path is a failure
        let p = serve(vec!["HTTP/1.0 404 Not Found\r\n\r\n"]).await;
        assert_eq!(
            probe_http("127.0.0.1", p, "/ready", t).await.health,
            Health::Unhealthy
        );
        // nothing listens
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed = l.local_addr().unwrap().port();
        drop(l);
        assert_eq!(
            probe_http("127.0.0.1", closed, "/health", t).await.health,
            Health::Unhealthy
        );
        assert!(!tcp_listening("127.0.0.1", closed, t).await);
    }
}
