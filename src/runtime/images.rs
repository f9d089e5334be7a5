//! Images: existence, health checks, builds (classic builder, offline), imports, removal.

use std::collections::HashMap;

use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateImageOptionsBuilder, RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;

use super::errors::engine_message;
use super::{BuildLine, Engine, RuntimeError};

impl Engine {
    /// Whether an image (name:tag or id) exists locally.
    pub async fn image_exists(&self, image: &str) -> Result<bool, RuntimeError> {
        match self.docker.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(e) => match RuntimeError::engine(format!("inspect image {image}"), e) {
                RuntimeError::NotFound(_) => Ok(false),
                other => Err(other),
            },
        }
    }

    /// The health check test an image defines, when it defines one.
    pub async fn image_healthcheck(
        &self,
        image: &str,
    ) -> Result<Option<Vec<String>>, RuntimeError> {
        let i = self
            .docker
            .inspect_image(image)
            .await
            .map_err(|e| RuntimeError::engine(format!("inspect image {image}"), e))?;
        Ok(i.config
            .and_then(|c| c.healthcheck)
            .and_then(|h| h.test)
            .filter(|t| !t.is_empty() && t[0] != "NONE"))
    }

    /// Builds an image from a tar context with the classic builder (`nocache`: every step runs
    /// again); `on_line` gets every output line. Fails with the engine's message.
    #[allow(clippy::too_many_arguments)]
    pub async fn build(
        &self,
        context_tar: Vec<u8>,
        dockerfile: &str,
        tag: &str,
        labels: &[(String, String)],
        nocache: bool,
        mut on_line: impl FnMut(BuildLine) + Send,
    ) -> Result<String, RuntimeError> {
        let labels: HashMap<String, String> = labels.iter().cloned().collect();
        let opts = BuildImageOptionsBuilder::new()
            .dockerfile(dockerfile)
            .t(tag)
            .nocache(nocache)
            .rm(true)
            .forcerm(true)
            .labels(&labels)
            .build();
        let mut stream =
            self.docker
                .build_image(opts, None, Some(bollard::body_full(context_tar.into())));
        let mut id = None;
        let mut last = String::new();
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| RuntimeError::Build(engine_message(&e)))?;
            if let Some(detail) = info.error_detail {
                let msg = detail.message.unwrap_or_default();
                return Err(RuntimeError::Build(failure_message(&msg, &last)));
            }
            if let Some(s) = info.stream {
                for line in s.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                    last = line.to_string();
                    on_line(BuildLine::Output(line.to_string()));
                }
            }
            if let Some(s) = info.status {
                on_line(BuildLine::Status(s));
            }
            if let Some(aux) = info.aux {
                id = aux.id.or(id);
            }
        }
        match id {
            Some(id) => Ok(id),
            None => {
                // the classic builder reports the id only as a stream line
                let i = self
                    .docker
                    .inspect_image(tag)
                    .await
                    .map_err(|e| RuntimeError::Build(engine_message(&e)))?;
                i.id.ok_or_else(|| RuntimeError::Build(format!("no image {tag} after build")))
            }
        }
    }

    /// `docker import`: a root filesystem tar as a new image `repo:tag`.
    pub async fn import_rootfs(
        &self,
        rootfs_tar: Vec<u8>,
        repo: &str,
        tag: &str,
        changes: Vec<String>,
    ) -> Result<(), RuntimeError> {
        let opts = CreateImageOptionsBuilder::new()
            .from_src("-")
            .repo(repo)
            .tag(tag)
            .changes(changes)
            .build();
        let mut s = self.docker.create_image(
            Some(opts),
            Some(bollard::body_full(rootfs_tar.into())),
            None,
        );
        while let Some(item) = s.next().await {
            let info = item.map_err(|e| RuntimeError::engine(format!("import {repo}:{tag}"), e))?;
            if let Some(d) = info.error_detail {
                return Err(RuntimeError::Engine {
                    op: format!("import {repo}:{tag}"),
                    kind: super::ErrorKind::Other,
                    message: d.message.unwrap_or_default(),
                });
            }
        }
        Ok(())
    }

    /// Removes an image (force: even when tagged several times).
    pub async fn remove_image(&self, image: &str) -> Result<(), RuntimeError> {
        let opts = RemoveImageOptionsBuilder::new().force(true).build();
        match self.docker.remove_image(image, Some(opts), None).await {
            Ok(_) => Ok(()),
            Err(e) => match RuntimeError::engine(format!("remove image {image}"), e) {
                RuntimeError::NotFound(_) => Ok(()),
                other => Err(other),
            },
        }
    }
}

/// The message that explains a build failure: the engine's error, with the last output line when
/// the engine's text does not say much (`returned a non-zero code: 1`).
fn failure_message(engine: &str, last_line: &str) -> String {
    let engine = engine.trim();
    if last_line.is_empty() || engine.contains(last_line) || last_line.starts_with("Step ") {
        engine.to_string()
    } else {
        format!("{engine} (last output: {last_line})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_message_keeps_engine_text() {
        assert_eq!(
            failure_message(
                "The command '/bin/sh -c false' returned a non-zero code: 1",
                ""
            ),
            "The command '/bin/sh -c false' returned a non-zero code: 1"
        );
        assert!(failure_message("returned a non-zero code: 1", "oops: no file").contains("oops"));
    }
}
