//! Operations through the deployer: one `Done` (or `Refused`, `Skipped`) per service, with an
//! [`Outcome`] taken from what the deployer reports (rolled back, cancelled, unchanged), never
//! guessed from text.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::{Shared, send};
use crate::app::logs::LogLine;
use crate::app::msg::{EngineMsg, Msg, Op, Outcome};
use crate::deploy::{DeployError, Deployer, Progress, UpOptions};
use crate::detect::Topology;
use crate::store::now_ms;

/// Runs one lifecycle operation and reports one message per service.
pub(super) async fn run_op(
    shared: &Shared,
    d: &Deployer,
    t: &Topology,
    op: Op,
    services: Vec<String>,
) {
    let tx = shared.tx.clone();
    match op {
        Op::Deploy | Op::Rebuild => {
            let finished: Arc<Mutex<HashSet<String>>> = Arc::default();
            let failed: Arc<Mutex<Option<String>>> = Arc::default();
            let progress = {
                let tx = tx.clone();
                let finished = Arc::clone(&finished);
                let failed = Arc::clone(&failed);
                move |p: Progress| {
                    if let Progress::Failed { service, .. } = &p {
                        failed
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert_with(|| service.clone());
                    }
                    on_progress(&tx, &finished, op, p)
                }
            };
            let opts = UpOptions {
                rebuild: op == Op::Rebuild,
                cancels: shared.cancels.clone(),
            };
            let result = d.up_with(t, &services, &opts, progress).await;
            let done = finished.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let first_failed = failed.lock().unwrap_or_else(|p| p.into_inner()).clone();
            for service in services.into_iter().filter(|s| !done.contains(s)) {
                let msg = match (&result, &first_failed) {
                    // a later wave that never ran
                    (Err(_), Some(cause)) => EngineMsg::Skipped {
                        service,
                        op,
                        cause: cause.clone(),
                    },
                    (Err(e), None) => done_msg(service, op, e),
                    (Ok(_), _) => EngineMsg::Done {
                        service,
                        op,
                        outcome: Outcome::Changed(String::new()),
                    },
                };
                send(&tx, msg);
            }
        }
        _ => {
            // one at a time, so each service gets its own outcome
            for service in services {
                let names = [service.clone()];
                let r = match op {
                    Op::Remove => d.down(t, &names, |_| {}).await.map(|_| "removed"),
                    Op::Start => d.start(t, &names).await.map(|_| "started"),
                    Op::Stop => d.stop(t, &names).await.map(|_| "stopped"),
                    Op::Restart => d.restart(t, &names).await.map(|_| "restarted"),
                    Op::Deploy | Op::Rebuild => Ok(""),
                };
                let msg = match r {
                    Ok(text) => EngineMsg::Done {
                        service,
                        op,
                        outcome: Outcome::Changed(text.to_string()),
                    },
                    Err(e) => done_msg(service, op, &e),
                };
                send(&tx, msg);
            }
        }
    }
}

/// The message for a service whose operation ended with `e`.
fn done_msg(service: String, op: Op, e: &DeployError) -> EngineMsg {
    let outcome = match e {
        DeployError::Busy { .. } => {
            return EngineMsg::Refused {
                reason: e.message_for(&service),
                service,
                op,
            };
        }
        DeployError::Cancelled { detail, .. } => Outcome::Cancelled(detail.clone()),
        DeployError::Service { rolled_back, .. } => Outcome::Failed {
            error: e.message_for(&service),
            rolled_back: *rolled_back,
        },
        other => Outcome::Failed {
            error: other.message_for(&service),
            rolled_back: false,
        },
    };
    EngineMsg::Done {
        service,
        op,
        outcome,
    }
}

fn on_progress(
    tx: &tokio::sync::mpsc::UnboundedSender<Msg>,
    finished: &Mutex<HashSet<String>>,
    op: Op,
    p: Progress,
) {
    let finish = |service: String, msg: EngineMsg| {
        finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(service);
        send(tx, msg);
    };
    let done = |service: String, outcome: Outcome| EngineMsg::Done {
        service,
        op,
        outcome,
    };
    let note = |service: String, line: String| {
        send(
            tx,
            EngineMsg::Logs {
                service,
                lines: vec![LogLine::new(Some(now_ms()), "kyozo", line)],
            },
        )
    };
    match p {
        Progress::Wave { .. } | Progress::StepFinished { .. } => {}
        Progress::StepStarted {
            service,
            step,
            detail,
        } => {
            let label = step.label();
            let line = if detail.is_empty() {
                label.to_string()
            } else {
                format!("{label} {detail}")
            };
            note(service.clone(), line);
            send(
                tx,
                EngineMsg::Progress {
                    service,
                    text: label.to_string(),
                },
            );
        }
        Progress::Output { service, line } => send(
            tx,
            EngineMsg::Logs {
                service,
                lines: vec![LogLine::new(Some(now_ms()), "build", line)],
            },
        ),
        Progress::Cached { service, image } => {
            note(service, format!("image {image} exists: not rebuilt"))
        }
        Progress::Unchanged { service } => finish(
            service.clone(),
            done(
                service,
                Outcome::Unchanged("unchanged: already deployed with this content".into()),
            ),
        ),
        Progress::Done { service, ms } => finish(
            service.clone(),
            done(
                service,
                Outcome::Changed(format!("deployed in {:.1}s", ms as f64 / 1000.0)),
            ),
        ),
        Progress::Failed {
            service,
            error,
            rolled_back,
        } => finish(
            service.clone(),
            done(service, Outcome::Failed { error, rolled_back }),
        ),
        Progress::Cancelled { service, detail } => {
            finish(service.clone(), done(service, Outcome::Cancelled(detail)))
        }
        Progress::Refused { service, reason } => finish(
            service.clone(),
            EngineMsg::Refused {
                service,
                op,
                reason,
            },
        ),
    }
}
