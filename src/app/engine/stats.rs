//! Stats followers: one per running service; CPU and memory are the sum over its replicas (a
//! stack's members).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::StreamExt;

use super::{Shared, send};
use crate::app::msg::EngineMsg;

/// Follows the stats of a running service, one message per stats interval.
pub(super) async fn follow_stats(shared: Arc<Shared>, name: String) {
    let (Some(d), Some(t)) = (shared.deployer(), shared.topology()) else {
        return;
    };
    let Ok(stream) = d.stats(&t, &name).await else {
        return;
    };
    let mut stream = Box::pin(stream);
    // the latest sample of each replica; the figures are their sum
    let mut latest: BTreeMap<u32, (f64, u64)> = BTreeMap::new();
    let mut last_sent = tokio::time::Instant::now() - shared.stats_interval;
    while let Some(item) = stream.next().await {
        let Ok(s) = item else { continue };
        latest.insert(
            s.replica,
            (s.sample.cpu_percent_core, s.sample.memory_bytes),
        );
        if last_sent.elapsed() >= shared.stats_interval {
            last_sent = tokio::time::Instant::now();
            let cpu = latest.values().map(|v| v.0).sum::<f64>();
            let mem = latest.values().map(|v| v.1).sum::<u64>();
            send(
                &shared.tx,
                EngineMsg::Stats {
                    service: name.clone(),
                    cpu_percent: (cpu * 10.0).round() / 10.0,
                    memory_bytes: mem,
                },
            );
        }
    }
}
