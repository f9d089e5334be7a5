//! From image names to the folders that build them: `skaffold.yaml` artifacts (exact image, its
//! context), Maven/Gradle image builds (the image the folder's build names), and the image's last
//! path segment equal to a folder's name. Built once per detection.

use std::collections::HashMap;

use super::super::combine::FolderResult;
use super::super::compose;
use super::super::kube::{image_name, image_repo};
use super::super::model::ServiceType;
use super::Drafts;

/// Official images that are not this workspace's folders even when a folder has their name
/// (`nginx/` holds a config for `image: nginx`).
const LIBRARY: &[&str] = &[
    "nginx",
    "httpd",
    "traefik",
    "envoy",
    "haproxy",
    "caddy",
    "busybox",
    "alpine",
    "ubuntu",
    "debian",
    "node",
    "python",
    "golang",
    "openjdk",
    "eclipse-temurin",
    "ruby",
    "php",
    "rust",
    "grafana",
    "prometheus",
    "jaeger",
    "zipkin",
    "localstack",
    "mailhog",
    "adminer",
    "vault",
    "consul",
];

/// Which folders build which images.
#[derive(Debug, Default)]
pub struct ImageIndex {
    /// Image repository (no tag) → folder, from skaffold artifacts and JVM image builds.
    exact: HashMap<String, String>,
    /// Last path segment → folders, from the same.
    built: HashMap<String, Vec<String>>,
    /// Folder name → (folder, has a Dockerfile or an image build), for every service folder that
    /// is neither a stack nor infrastructure.
    folders: HashMap<String, Vec<(String, bool)>>,
    /// Service name (lower-cased) → folder.
    names: HashMap<String, String>,
}

impl ImageIndex {
    /// Indexes the drafts (after names are assigned) and the skaffold artifacts of the results.
    pub fn new(drafts: &Drafts<'_>, results: &[FolderResult]) -> Self {
        let mut ix = ImageIndex::default();
        // Only compose files and manifests name images.
        let asked = drafts.iter().any(|(_, d)| d.compose.is_some())
            || results
                .iter()
                .any(|r| !r.overlays.is_empty() || !r.manifests.workloads.is_empty());
        if !asked {
            return ix;
        }
        for r in results {
            for a in &r.artifacts {
                ix.add_built(&a.image, &a.dir);
            }
        }
        for (r, d) in drafts {
            let s = &d.service;
            for im in &d.images {
                ix.add_built(im, &s.path);
            }
            if matches!(
                s.kind,
                ServiceType::ComposeStack | ServiceType::Infrastructure
            ) {
                continue;
            }
            let builds = s.dockerfile.is_some() || !d.images.is_empty();
            ix.folders
                .entry(r.folder_name.to_ascii_lowercase())
                .or_default()
                .push((s.path.clone(), builds));
            ix.names
                .entry(s.name.to_ascii_lowercase())
                .or_insert_with(|| s.path.clone());
        }
        ix
    }

    fn add_built(&mut self, image: &str, dir: &str) {
        let repo = image_repo(image);
        self.exact.entry(repo).or_insert_with(|| dir.to_string());
        let list = self.built.entry(image_name(image)).or_default();
        if !list.iter().any(|d| d == dir) {
            list.push(dir.to_string());
        }
    }

    /// The folder an image a build file or manifest names is built from: an exact skaffold or JVM
    /// image, else the same last segment built there, else a folder of that name (a service name
    /// for `src` folders), the one nearest to `near` when several. With `needs_build`, the folder
    /// must have a Dockerfile or an image build of its own, and a bare library image (`redis`,
    /// `nginx`) never names a folder by its name alone.
    pub fn folder_of(&self, image: &str, near: &str, needs_build: bool) -> Option<String> {
        if image.is_empty() || image.contains('$') {
            return None;
        }
        if let Some(d) = self.exact.get(&image_repo(image)) {
            return Some(d.clone());
        }
        let last = image_name(image);
        if last.is_empty() {
            return None;
        }
        if let Some(dirs) = self.built.get(&last) {
            return nearest(dirs.iter().map(String::as_str), near);
        }
        let bare = !image_repo(image).contains('/');
        if bare && (LIBRARY.contains(&last.as_str()) || is_datastore_image(image)) {
            return None;
        }
        if needs_build && bare {
            return None;
        }
        // Folders that build an image first; without `needs_build`, any folder of that name next.
        let by_folder = self.folders.get(&last).and_then(|list| {
            let pick = |any: bool| {
                nearest(
                    list.iter()
                        .filter(|(_, builds)| *builds || any)
                        .map(|(p, _)| p.as_str()),
                    near,
                )
            };
            pick(false).or_else(|| if needs_build { None } else { pick(true) })
        });
        if by_folder.is_some() || needs_build {
            return by_folder;
        }
        self.names.get(&last).cloned()
    }
}

fn is_datastore_image(image: &str) -> bool {
    compose::is_datastore(&super::super::model::Member {
        image: Some(image.to_string()),
        ..Default::default()
    })
}

/// The path sharing the most leading components with `near` (the shortest, then the first, among
/// equals).
fn nearest<'a>(paths: impl Iterator<Item = &'a str>, near: &str) -> Option<String> {
    let common = |p: &str| {
        if p == "." || near == "." {
            return 0;
        }
        p.split('/')
            .zip(near.split('/'))
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut best: Option<(&str, usize)> = None;
    for p in paths {
        let c = common(p);
        let better = match best {
            None => true,
            Some((b, bc)) => c > bc || (c == bc && p.len() < b.len()),
        };
        if better {
            best = Some((p, c));
        }
    }
    best.map(|(p, _)| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_folder_wins() {
        let paths = ["a/x/api", "b/api", "api"];
        assert_eq!(
            nearest(paths.iter().copied(), "b/compose").as_deref(),
            Some("b/api")
        );
        assert_eq!(nearest(paths.iter().copied(), ".").as_deref(), Some("api"));
        assert_eq!(nearest(std::iter::empty(), "."), None);
    }

    #[test]
    fn images_map_to_folders() {
        let mut ix = ImageIndex::default();
        ix.add_built("gcr.io/acme/ledger:v1", "svc/ledger-src");
        ix.add_built("emailservice", "src/email");
        ix.folders.insert(
            "web".into(),
            vec![("apps/web".into(), true), ("old/web".into(), false)],
        );
        ix.folders
            .insert("docs".into(), vec![("docs".into(), false)]);
        ix.folders
            .insert("nginx".into(), vec![("nginx".into(), true)]);
        ix.names
            .insert("cartservice".into(), "src/cartservice/src".into());
        let f = |im: &str, b: bool| ix.folder_of(im, ".", b);
        assert_eq!(
            f("gcr.io/acme/ledger:v2", true).as_deref(),
            Some("svc/ledger-src")
        );
        assert_eq!(
            f("other.io/ledger", true).as_deref(),
            Some("svc/ledger-src")
        );
        assert_eq!(f("emailservice", true).as_deref(), Some("src/email"));
        assert_eq!(f("acme/web:1", true).as_deref(), Some("apps/web"));
        assert_eq!(f("acme/docs", true), None);
        assert_eq!(f("acme/docs", false).as_deref(), Some("docs"));
        assert_eq!(f("nginx:alpine", false), None);
        assert_eq!(f("web", true), None);
        assert_eq!(f("web", false).as_deref(), Some("apps/web"));
        assert_eq!(
            f("gcr.io/p/cartservice:1", false).as_deref(),
            Some("src/cartservice/src")
        );
        assert_eq!(f("${REPO}/x", false), None);
    }
}
