//! Log followers: one per service, all its replicas merged, handed over in batches.

use std::collections::VecDeque;

use futures_util::{FutureExt, StreamExt};

use super::{LOG_BATCH_MAX, LOG_FLUSH, LOG_TAIL, Shared, send};
use crate::app::logs::LogLine;
use crate::app::msg::EngineMsg;
use crate::runtime::LogOptions;
use crate::store::now_ms;

/// Follows the logs of every replica of a service until the stream ends.
pub(super) async fn follow_logs(shared: &Shared, name: &str, since_s: Option<i64>) {
    let (Some(d), Some(t)) = (shared.deployer(), shared.topology()) else {
        return;
    };
    let opts = LogOptions {
        follow: true,
        tail: if since_s.is_some() {
            None
        } else {
            Some(LOG_TAIL)
        },
        since: since_s,
    };
    let stream = match d.logs(&t, name, opts).await {
        Ok(s) => s,
        Err(e) => {
            send(
                &shared.tx,
                EngineMsg::Logs {
                    service: name.to_string(),
                    lines: vec![LogLine::new(Some(now_ms()), "kyozo", format!("logs: {e}"))],
                },
            );
            return;
        }
    };
    // Read as fast as the engine sends (a follower that falls behind shows old lines as if they
    // were live) and hand the lines over in batches, at most one message per LOG_FLUSH. When more
    // than LOG_BATCH_MAX lines arrive between two messages the oldest are dropped and counted. An
    // error in the stream means the container went away (removed, replaced): the follower ends
    // and the state may ask again.
    let mut stream = Box::pin(stream);
    let mut batch: VecDeque<LogLine> = VecDeque::new();
    let mut dropped: u64 = 0;
    let mut last_flush = tokio::time::Instant::now();
    let flush = |batch: &mut VecDeque<LogLine>, dropped: &mut u64| {
        if *dropped > 0 {
            send(
                &shared.tx,
                EngineMsg::LogsDropped {
                    service: name.to_string(),
                    count: std::mem::take(dropped),
                },
            );
        }
        if !batch.is_empty() {
            send(
                &shared.tx,
                EngineMsg::Logs {
                    service: name.to_string(),
                    lines: std::mem::take(batch).into(),
                },
            );
        }
    };
    loop {
        let next = if batch.is_empty() {
            stream.next().await
        } else {
            match tokio::time::timeout_at(last_flush + LOG_FLUSH, stream.next()).await {
                Ok(next) => next,
                Err(_) => {
                    flush(&mut batch, &mut dropped);
                    last_flush = tokio::time::Instant::now();
                    continue;
                }
            }
        };
        // then everything already there, without a timer or a wake-up per line
        let mut item = next;
        let now = now_ms();
        let mut taken: u32 = 0;
        loop {
            match item {
                Some(Ok(l)) => {
                    if batch.len() >= LOG_BATCH_MAX {
                        batch.pop_front();
                        dropped += 1;
                    }
                    // the engine's time of the line; ours when it gave none
                    batch.push_back(LogLine::new(
                        Some(l.time_ms.unwrap_or(now)),
                        format!("{}-{}", l.service, l.replica),
                        l.text,
                    ));
                }
                Some(Err(e)) => {
                    tracing::debug!("log stream of {name} ended: {e}");
                    flush(&mut batch, &mut dropped);
                    return;
                }
                None => {
                    flush(&mut batch, &mut dropped);
                    return;
                }
            }
            match stream.next().now_or_never() {
                Some(more) => item = more,
                None => break,
            }
            taken += 1;
            if taken % 1024 == 0 && last_flush.elapsed() >= LOG_FLUSH {
                break;
            }
        }
        if last_flush.elapsed() >= LOG_FLUSH {
            flush(&mut batch, &mut dropped);
            last_flush = tokio::time::Instant::now();
        }
    }
}
