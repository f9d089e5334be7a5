//! The headless deploy verbs: plan, up, down, start, stop, restart, scale, ps, logs, events.
//! Progress and diagnostics go to stderr; results to stdout (JSON with `--json`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr, eyre};
use futures_util::StreamExt;

use super::{Command, StoreArgs};
use crate::config::Config;
use crate::deploy::{self, Deployer, Progress, ServiceStatus, UpOptions, names};
use crate::detect::{DetectOptions, Topology};
use crate::runtime::{Engine, LogOptions};
use crate::store::{Event, Store};

/// Runs one deploy verb.
pub fn run(cmd: Command, store: &StoreArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    rt.block_on(run_async(cmd, store))
}

fn verb(cmd: &Command) -> &'static str {
    match cmd {
        Command::Detect { .. } => "detect",
        Command::Plan { .. } => "plan",
        Command::Up { .. } => "up",
        Command::Down { .. } => "down",
        Command::Start { .. } => "start",
        Command::Stop { .. } => "stop",
        Command::Restart { .. } => "restart",
        Command::Scale { .. } => "scale",
        Command::Ps { .. } => "ps",
        Command::Logs { .. } => "logs",
        Command::Events { .. } => "events",
    }
}

async fn run_async(cmd: Command, store: &StoreArgs) -> Result<ExitCode> {
    let name = verb(&cmd);
    match dispatch(cmd, store).await {
        Ok(code) => Ok(code),
        // the reader went away (`kyozo events | head`): stop quietly, as a pipe expects
        Err(e) if broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        // one line: `up: api: build failed: <engine message>`
        Err(e) => Err(eyre!("{name}: {}", one_line(&format!("{e:#}")))),
    }
}

fn broken_pipe(e: &color_eyre::Report) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn dispatch(cmd: Command, store_args: &StoreArgs) -> Result<ExitCode> {
    match cmd {
        Command::Plan {
            service,
            path,
            json,
        } => plan(&path.path, &service, json),
        Command::Events {
            service,
            path,
            json,
            limit,
        } => events(&path.path, store_args, service.as_deref(), json, limit),
        Command::Up {
            services,
            path,
            rebuild,
        } => {
            validate_names(&services)?;
            let (d, topo) = setup(&path.path, store_args).await?;
            let mut err = std::io::stderr();
            let opts = UpOptions {
                rebuild,
                ..UpOptions::default()
            };
            let report = d
                .up_with(&topo, &services, &opts, |p| print_progress(&mut err, &p))
                .await?;
            let mut out = std::io::stdout().lock();
            for s in &report.deployed {
                writeln!(out, "{s}\tdeployed")?;
            }
            for s in &report.unchanged {
                writeln!(out, "{s}\tunchanged")?;
            }
            for s in &report.refused {
                writeln!(out, "{s}\trefused")?;
            }
            for s in &report.cancelled {
                writeln!(out, "{s}\tcancelled")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Down { services, path } => {
            validate_names(&services)?;
            let (d, topo) = setup(&path.path, store_args).await?;
            let mut err = std::io::stderr();
            let removed = d
                .down(&topo, &services, |p| print_progress(&mut err, &p))
                .await?;
            let mut out = std::io::stdout().lock();
            for s in removed {
                writeln!(out, "{s}\tremoved")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Start { services, path } => {
            validate_names(&services)?;
            let (d, topo) = setup(&path.path, store_args).await?;
            d.start(&topo, &services).await?;
            print_done(&services, "started")
        }
        Command::Stop { services, path } => {
            validate_names(&services)?;
            let (d, topo) = setup(&path.path, store_args).await?;
            d.stop(&topo, &services).await?;
            print_done(&services, "stopped")
        }
        Command::Restart { services, path } => {
            validate_names(&services)?;
            let (d, topo) = setup(&path.path, store_args).await?;
            d.restart(&topo, &services).await?;
            print_done(&services, "restarted")
        }
        Command::Scale {
            service,
            replicas,
            path,
        } => {
            names::validate_service_name(&service)?;
            names::validate_replicas(replicas)?;
            let (d, topo) = setup(&path.path, store_args).await?;
            let (from, to) = d.scale(&topo, &service, replicas).await?;
            writeln!(std::io::stdout(), "{service}\t{from} -> {to}")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ps { path, json } => {
            let (d, topo) = setup(&path.path, store_args).await?;
            // fresh health before showing it (transitions are recorded as events)
            d.check_health(&topo).await?;
            let list = d.status(&topo, true).await?;
            if json {
                writeln!(
                    std::io::stdout(),
                    "{}",
                    serde_json::to_string_pretty(&list)?
                )?;
            } else {
                print_ps(&list)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Logs {
            service,
            path,
            follow,
            tail,
            since,
            timestamps,
        } => {
            names::validate_service_name(&service)?;
            let since = since.as_deref().map(parse_since).transpose()?;
            let (d, topo) = setup(&path.path, store_args).await?;
            let opts = LogOptions {
                follow,
                tail,
                since,
            };
            let mut lines = Box::pin(d.logs(&topo, &service, opts).await?);
            let mut out = std::io::stdout();
            loop {
                tokio::select! {
                    l = lines.next() => match l {
                        Some(Ok(l)) => {
                            let line = match (timestamps, l.time_ms) {
                                (true, Some(ms)) => format!("{} {l}", rfc3339(ms)),
                                _ => l.to_string(),
                            };
                            if writeln!(out, "{line}").is_err() {
                                break; // closed pipe
                            }
                        }
                        Some(Err(e)) => return Err(e.into()),
                        None => break,
                    },
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Detect { .. } => Err(eyre!("detect is not a deploy verb")),
    }
}

fn validate_names(names: &[String]) -> Result<()> {
    for n in names {
        names::validate_service_name(n)?;
    }
    Ok(())
}

fn print_done(services: &[String], what: &str) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for s in services {
        writeln!(out, "{s}\t{what}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn canonical(path: &Path) -> Result<PathBuf> {
    path.canonicalize()
        .wrap_err_with(|| format!("cannot open workspace {}", path.display()))
}

fn load_config() -> Result<Config> {
    Ok(Config::load_default()?)
}

fn topology(root: &Path) -> Result<Topology> {
    Ok(crate::detect::detect(root, &DetectOptions::default())?)
}

fn open_store(args: &StoreArgs) -> Result<Arc<Store>> {
    let path = args
        .db
        .clone()
        .or_else(Store::default_path)
        .ok_or_else(|| eyre!("no history store path: set --db, KYOZO_DB or HOME"))?;
    Ok(Arc::new(Store::open(&path)?))
}

/// Workspace, config, topology, store and engine.
async fn setup(path: &Path, store: &StoreArgs) -> Result<(Deployer, Topology)> {
    let root = canonical(path)?;
    let config = load_config()?;
    let topo = {
        let root = root.clone();
        tokio::task::spawn_blocking(move || topology(&root)).await??
    };
    let store = open_store(store)?;
    let engine = Engine::connect().await?;
    let d = {
        let root = root.clone();
        tokio::task::spawn_blocking(move || Deployer::new(engine, store, &root, config)).await??
    };
    // what a killed kyozo process left half done is closed (and said) first
    for s in d.recover(&topo).await? {
        eprintln!(
            "{s}: an interrupted operation was closed and the service repaired (see `kyozo events {s}`)"
        );
    }
    Ok((d, topo))
}

fn print_progress(err: &mut impl Write, p: &Progress) {
    let _ = match p {
        Progress::Wave { index, services } => {
            writeln!(err, "wave {}: {}", index + 1, services.join(", "))
        }
        Progress::StepStarted {
            service,
            step,
            detail,
        } => writeln!(err, "{service}: {} {detail}", step.as_str()),
        Progress::StepFinished { service, step, ms } => {
            writeln!(err, "{service}: {} done in {}", step.as_str(), secs(*ms))
        }
        Progress::Output { service, line } => writeln!(err, "{service} | {line}"),
        Progress::Cached { service, image } => writeln!(err, "{service}: image {image} exists"),
        Progress::Unchanged { service } => writeln!(err, "{service}: unchanged"),
        Progress::Done { service, ms } => writeln!(err, "{service}: ready in {}", secs(*ms)),
        Progress::Failed {
            service,
            error,
            rolled_back,
        } => {
            let kept = if *rolled_back {
                " (rolled back: the previous version keeps running)"
            } else {
                ""
            };
            writeln!(err, "{service}: failed: {error}{kept}")
        }
        Progress::Cancelled { service, detail } => {
            writeln!(err, "{service}: cancelled ({detail})")
        }
        Progress::Refused { service, reason } => writeln!(err, "{service}: refused: {reason}"),
    };
}

fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

fn plan(path: &Path, service: &str, json: bool) -> Result<ExitCode> {
    names::validate_service_name(service)?;
    let root = canonical(path)?;
    let config = load_config()?;
    let topo = topology(&root)?;
    let svc = topo
        .service(service)
        .ok_or_else(|| eyre!("no service `{service}` in {}", root.display()))?;
    let p = deploy::plan(&root, &names::workspace_slug(&root), svc, &config)?;
    if json {
        writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&p)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "service:    {} ({})", p.service, p.kind)?;
    writeln!(out, "folder:     {}", p.path)?;
    if let Some(c) = &p.compose {
        writeln!(
            out,
            "compose:    {} (project {})",
            c.file.display(),
            c.project
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "image:      {}:<content hash>", p.image_repo)?;
    let ports: Vec<String> = p.port.iter().map(u16::to_string).collect();
    writeln!(
        out,
        "port:       {}",
        if ports.is_empty() {
            "-".to_string()
        } else {
            ports.join(", ")
        }
    )?;
    writeln!(
        out,
        "limits:     memory {} ({} bytes), cpu {}",
        p.memory, p.memory_bytes, p.cpu
    )?;
    writeln!(out, "health:     {}", p.health_text())?;
    for (k, v) in &p.env {
        writeln!(out, "env:        {k}={v}")?;
    }
    match &p.dockerfile_source {
        Some(deploy::plan::DockerfileSource::Folder { name }) => {
            writeln!(out, "dockerfile: {name} (from the folder)")?
        }
        _ => writeln!(
            out,
            "dockerfile: generated (build context only, not written)"
        )?,
    }
    if let Some(text) = &p.dockerfile {
        writeln!(out)?;
        for line in text.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_ps(list: &[ServiceStatus]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<20} {:<14} {:<10} {:<9} {:>8} {:>6} {:>8} {:<24} {:>8}",
        "NAME", "TYPE", "STATUS", "HEALTH", "REPLICAS", "CPU%", "MEM MB", "PORTS", "UPTIME"
    )?;
    for s in list {
        let ports: Vec<String> = s
            .ports
            .iter()
            .map(|p| format!("{}->{}", p.host, p.container))
            .collect();
        let status = if s.drifted {
            format!("{}*", s.status)
        } else {
            s.status.to_string()
        };
        writeln!(
            out,
            "{:<20} {:<14} {:<10} {:<9} {:>8} {:>6} {:>8} {:<24} {:>8}",
            s.name,
            // the names of the JSON output and the cockpit (`nodejs`, `healthy`); `-` is unknown
            s.kind,
            status,
            if s.health == crate::store::Health::Unknown {
                "-"
            } else {
                s.health.as_str()
            },
            format!("{}/{}", s.replicas.running, s.replicas.desired),
            s.cpu_percent.map_or("-".into(), |c| format!("{c:.1}")),
            s.memory_mb.map_or("-".into(), |m| format!("{m:.1}")),
            if ports.is_empty() {
                "-".into()
            } else {
                ports.join(",")
            },
            s.uptime_s
                .map_or("-".into(), |u| humantime::format_duration(
                    std::time::Duration::from_secs(u)
                )
                .to_string()
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string()),
        )?;
    }
    if list.iter().any(|s| s.drifted) {
        writeln!(
            out,
            "* drifted: the folder changed since its image was built"
        )?;
    }
    Ok(())
}

/// `10m`, `2h`, `1h30m` ago, or an RFC 3339 time, to unix seconds.
fn parse_since(s: &str) -> Result<i64> {
    let now = std::time::SystemTime::now();
    let t = match humantime::parse_duration(s) {
        Ok(d) => now
            .checked_sub(d)
            .ok_or_else(|| eyre!("--since {s}: too far back"))?,
        Err(_) => humantime::parse_rfc3339_weak(s)
            .map_err(|_| eyre!("--since {s}: use a duration (10m, 2h) or an RFC 3339 time"))?,
    };
    Ok(t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0))
}

/// One event as `kyozo events --json` prints it.
#[derive(serde::Serialize)]
struct EventJson<'a> {
    id: String,
    service: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    at: String,
    duration_ms: Option<u64>,
    error: Option<&'a str>,
    data: &'a serde_json::Value,
    triggered_by: &'a str,
}

fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

fn events(
    path: &Path,
    store_args: &StoreArgs,
    service: Option<&str>,
    json: bool,
    limit: usize,
) -> Result<ExitCode> {
    if let Some(s) = service {
        names::validate_service_name(s)?;
    }
    let root = canonical(path)?;
    let store = open_store(store_args)?;
    let ws = store.workspace(&root.to_string_lossy())?;
    let list: Vec<Event> = store.events(ws.id, service, limit, None)?;
    if json {
        let out: Vec<EventJson> = list
            .iter()
            .map(|e| EventJson {
                id: e.id.to_string(),
                service: &e.service,
                kind: e.kind.as_str(),
                at: rfc3339(e.at_ms),
                duration_ms: e.duration_ms,
                error: e.error.as_deref(),
                data: &e.data,
                triggered_by: &e.triggered_by,
            })
            .collect();
        writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    for e in &list {
        let dur = e.duration_ms.map(secs).unwrap_or_default();
        let err = e.error.as_deref().map(one_line).unwrap_or_default();
        writeln!(
            out,
            "{}  {:<16} {:<21} {:>7}  {:<14} {}",
            rfc3339(e.at_ms),
            e.service,
            e.kind.as_str(),
            dur,
            e.triggered_by,
            err
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_and_times() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let t = parse_since("10m").unwrap();
        assert!((now - 600 - t).abs() <= 2);
        assert_eq!(parse_since("2026-01-01T00:00:00Z").unwrap(), 1_767_225_600);
        assert!(parse_since("yesterday").is_err());
    }

    #[test]
    fn errors_are_one_line() {
        assert_eq!(one_line("a\n  b\n\nc"), "a b c");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    }
}
