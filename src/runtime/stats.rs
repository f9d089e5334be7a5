//! Stats samples of containers: CPU as a share of one core and of the host, memory without the
//! page cache (as the docker CLI shows it).

use bollard::query_parameters::StatsOptionsBuilder;
use futures_util::{Stream, StreamExt};

use super::{Engine, RuntimeError, StatsSample, short};

impl Engine {
    /// Stats samples of one container; `follow: false` gives one sample.
    pub fn stats(
        &self,
        id: &str,
        follow: bool,
    ) -> impl Stream<Item = Result<StatsSample, RuntimeError>> + Send + use<> {
        let opts = StatsOptionsBuilder::new().stream(follow).build();
        let container = id.to_string();
        self.docker.stats(id, Some(opts)).map(move |item| {
            let s = item
                .map_err(|e| RuntimeError::engine(format!("stats of {}", short(&container)), e))?;
            Ok(sample(&s))
        })
    }
}

fn sample(s: &bollard::models::ContainerStatsResponse) -> StatsSample {
    let cpu = s.cpu_stats.clone().unwrap_or_default();
    let pre = s.precpu_stats.clone().unwrap_or_default();
    let total = |c: &bollard::models::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or_default()
    };
    let cpu_delta = total(&cpu).saturating_sub(total(&pre)) as f64;
    let sys_delta = cpu
        .system_cpu_usage
        .unwrap_or_default()
        .saturating_sub(pre.system_cpu_usage.unwrap_or_default()) as f64;
    let cpus = cpu
        .online_cpus
        .map(f64::from)
        .or_else(|| {
            cpu.cpu_usage
                .as_ref()
                .and_then(|u| u.percpu_usage.as_ref())
                .map(|p| p.len() as f64)
        })
        .filter(|n| *n > 0.0)
        .unwrap_or(1.0);
    let host = if sys_delta > 0.0 {
        cpu_delta / sys_delta * 100.0
    } else {
        0.0
    };
    let mem = s.memory_stats.clone().unwrap_or_default();
    let stats = mem.stats.unwrap_or_default();
    // like the docker CLI: usage minus page cache
    let cache = stats
        .get("inactive_file")
        .or_else(|| stats.get("total_inactive_file"))
        .or_else(|| stats.get("cache"))
        .copied()
        .unwrap_or_default();
    let usage = mem.usage.unwrap_or_default();
    StatsSample {
        cpu_percent_core: host * cpus,
        cpu_percent_host: host,
        memory_bytes: usage.saturating_sub(cache),
        memory_limit_bytes: mem.limit.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn stats_percentages() {
        let s: bollard::models::ContainerStatsResponse = serde_json::from_value(serde_json::json!({
            "cpu_stats": {"cpu_usage": {"total_usage": 2_000_000_000u64}, "system_cpu_usage": 10_000_000_000u64, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000_000u64}, "system_cpu_usage": 6_000_000_000u64},
            "memory_stats": {"usage": 20_971_520u64, "limit": 536_870_912u64, "stats": {"inactive_file": 10_485_760u64}}
        }))
        .unwrap();
        let x = sample(&s);
        assert!((x.cpu_percent_host - 25.0).abs() < 1e-9, "{x:?}");
        assert!((x.cpu_percent_core - 50.0).abs() < 1e-9, "{x:?}");
        assert!((x.memory_mb() - 10.0).abs() < 1e-9);
    }
}
