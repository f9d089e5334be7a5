//! Which services an operation touches, in waves of the deployment order.

use super::error::DeployError;
use super::names;
use super::plan::PlanError;
use crate::detect::{Service, Topology};

/// The services `names` picks (all deployable ones when empty), in waves of the deployment
/// order.
pub fn waves<'t>(
    topo: &'t Topology,
    names: &[String],
) -> Result<Vec<Vec<&'t Service>>, DeployError> {
    for n in names {
        names::validate_service_name(n)?;
        let svc = topo
            .service(n)
            .ok_or_else(|| DeployError::UnknownService(n.clone()))?;
        if !svc.deployable || !svc.kind.deployable() {
            return Err(PlanError::NotDeployable {
                service: n.clone(),
                kind: svc.kind,
            }
            .into());
        }
    }
    let wanted = |s: &Service| {
        s.deployable && s.kind.deployable() && (names.is_empty() || names.contains(&s.name))
    };
    let mut seen = Vec::new();
    let mut waves = Vec::new();
    for wave in &topo.deployment_order {
        let w: Vec<&Service> = wave
            .iter()
            .filter_map(|n| topo.service(n))
            .filter(|s| wanted(s) && !seen.contains(&s.name))
            .collect();
        seen.extend(w.iter().map(|s| s.name.clone()));
        if !w.is_empty() {
            waves.push(w);
        }
    }
    let rest: Vec<&Service> = topo
        .services
        .iter()
        .filter(|s| wanted(s) && !seen.contains(&s.name))
        .collect();
    if !rest.is_empty() {
        waves.push(rest);
    }
    Ok(waves)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::ServiceType;

    fn svc(name: &str, kind: ServiceType) -> Service {
        Service::new(name, name, kind, 0.9)
    }

    fn topo() -> Topology {
        Topology {
            workspace: "/w".into(),
            services: vec![
                svc("db", ServiceType::Containerized),
                svc("api", ServiceType::Nodejs),
                svc("web", ServiceType::Static),
                svc("tf", ServiceType::Infrastructure),
                svc("extra", ServiceType::Python),
            ],
            deployment_order: vec![vec!["db".into()], vec!["api".into()], vec!["web".into()]],
            diagnostics: vec![],
            deploy: Default::default(),
        }
    }

    fn names(w: &[Vec<&Service>]) -> Vec<Vec<String>> {
        w.iter()
            .map(|w| w.iter().map(|s| s.name.clone()).collect())
            .collect()
    }

    #[test]
    fn waves_follow_the_order_and_skip_what_is_not_wanted() {
        let t = topo();
        assert_eq!(
            names(&waves(&t, &[]).unwrap()),
            vec![vec!["db"], vec!["api"], vec!["web"], vec!["extra"]]
        );
        assert_eq!(
            names(&waves(&t, &["web".into(), "db".into()]).unwrap()),
            vec![vec!["db"], vec!["web"]]
        );
        assert!(matches!(
            waves(&t, &["nope".into()]),
            Err(DeployError::UnknownService(_))
        ));
        assert!(matches!(
            waves(&t, &["tf".into()]),
            Err(DeployError::Plan(PlanError::NotDeployable { .. }))
        ));
        assert!(matches!(
            waves(&t, &["a b".into()]),
            Err(DeployError::Invalid(_))
        ));
    }
}
