//! The engine's event stream, reduced to kyozo-labelled containers.

use std::collections::HashMap;

use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::{Stream, StreamExt};

use super::{
    Engine, EngineEvent, LABEL_MANAGED, LABEL_REPLICA, LABEL_SERVICE, LABEL_WORKSPACE,
    LABEL_WORKSPACE_PATH, RuntimeError,
};

impl Engine {
    /// Container events of kyozo-labelled containers, from the moment of the call on.
    pub fn events(&self) -> impl Stream<Item = Result<EngineEvent, RuntimeError>> + Send + use<> {
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("label".to_string(), vec![format!("{LABEL_MANAGED}=true")]),
        ]);
        // from the moment of the call, even though the request goes out on the first poll
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let opts = EventsOptionsBuilder::new()
            .since(&since.to_string())
            .filters(&filters)
            .build();
        self.docker.events(Some(opts)).map(|item| {
            let e = item.map_err(|e| RuntimeError::engine("events", e))?;
            let actor = e.actor.unwrap_or_default();
            let attrs = actor.attributes.unwrap_or_default();
            Ok(EngineEvent {
                action: e.action.unwrap_or_default(),
                container: attrs
                    .get("name")
                    .cloned()
                    .unwrap_or_else(|| actor.id.unwrap_or_default()),
                service: attrs.get(LABEL_SERVICE).cloned(),
                workspace: attrs.get(LABEL_WORKSPACE).cloned(),
                workspace_path: attrs.get(LABEL_WORKSPACE_PATH).cloned(),
                replica: attrs.get(LABEL_REPLICA).and_then(|r| r.parse().ok()),
                time: e.time.unwrap_or_default(),
            })
        })
    }
}
