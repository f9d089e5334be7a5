//! Compose stacks and the folders their members come from.
//!
//! A member's source folder is the folder of its Dockerfile when `build.dockerfile` names a folder's
//! own `Dockerfile` inside the build context (a root context with `dockerfile: src/ad/Dockerfile`),
//! else its build context; a member without `build` whose `image` names an image a folder builds
//! ([`super::images`]) has that folder as its `source`. A source folder belongs to the stack (not
//! deployed on its own) and takes the member's ports, environment and `depends_on`. Folders a member
//! only bind-mounts belong to the stack too. A compose file inside a folder that an enclosing stack
//! builds is a dev alternative: the folder is shown as what it is without that file, as part of the
//! enclosing stack. A compose file that only runs backing services (no member built, none running
//! the folder's image, the folder not bind-mounted) beside an app splits in two: the app, and the
//! stack `<name>-deps` it hard-depends on. Overlays (`compose.*.yaml`) are evidence for the folders
//! they build that no stack claims.

use std::collections::{BTreeSet, HashMap};

use super::super::combine::FolderResult;
use super::super::combine::{self, Draft};
use super::super::compose::Stack;
use super::super::kube::image_name;
use super::super::model::{EdgeKind, ServiceType};
use super::super::names;
use super::super::ports::{self, PortHint, PortSource};
use super::images::ImageIndex;
use super::{Alias, Drafts, Links, NamedEdge, Source, by_path, is_within, push_pair};

/// What a member claims of a folder.
struct Claim {
    member: usize,
    dir: String,
    /// Built from (or runs the image of) the folder: it takes the member's ports, env and
    /// dependencies; a bind mount only makes it part of the stack.
    source: bool,
}

/// Stack membership of source and mounted folders, dev alternatives, backing-service stacks.
pub fn claim(drafts: &mut Drafts<'_>, images: &ImageIndex, links: &mut Links) {
    if !drafts.iter().any(|(_, d)| d.compose.is_some()) {
        return;
    }
    let index = by_path(drafts);
    for si in 0..drafts.len() {
        let d = &drafts[si].1;
        if d.service.kind != ServiceType::ComposeStack || d.service.stack.is_some() {
            continue;
        }
        let Some(stack) = d.compose.clone() else {
            continue;
        };
        let stack_name = d.service.name.clone();
        let stack_path = d.service.path.clone();
        for (mi, aliases) in stack.member_aliases.iter().enumerate() {
            for a in aliases {
                links.aliases.push(Alias {
                    host: a.to_ascii_lowercase(),
                    service: stack_name.clone(),
                    name: stack.members[mi].name.clone(),
                });
            }
        }
        let mut claims: Vec<Claim> = Vec::new();
        for (mi, m) in stack.members.iter().enumerate() {
            if let Some(dir) = stack.build_folder(mi) {
                claims.push(Claim {
                    member: mi,
                    dir,
                    source: true,
                });
            } else if let Some(image) = m.image.as_deref()
                && let Some(dir) = images.folder_of(image, &stack_path, true)
                && dir != stack_path
            {
                drafts[si].1.service.members[mi].source = Some(dir.clone());
                claims.push(Claim {
                    member: mi,
                    dir,
                    source: true,
                });
            }
        }
        for (mi, m) in stack.members.iter().enumerate() {
            let runs_own = m.build.is_some() || drafts[si].1.service.members[mi].source.is_some();
            for dir in &m.mounts {
                claims.push(Claim {
                    member: mi,
                    dir: dir.clone(),
                    source: !runs_own,
                });
            }
        }
        let mut techs: Vec<String> = Vec::new();
        for c in claims {
            if c.dir == stack_path || is_within(&stack_path, &c.dir) {
                continue;
            }
            let Some(&fi) = index.get(&c.dir) else {
                continue;
            };
            let folder = &mut drafts[fi].1;
            if folder.service.kind == ServiceType::ComposeStack {
                // A compose file inside a folder this stack builds is a dev alternative of it.
                if !(c.source && folder.service.stack.is_none() && is_within(&c.dir, &stack_path)) {
                    continue;
                }
                if let Some(alt) = folder.without_compose.take() {
                    let name = std::mem::take(&mut folder.service.name);
                    let file = folder.compose.as_ref().map(|s| s.file.clone());
                    *folder = *alt;
                    folder.service.name = name;
                    if let Some(f) = file {
                        folder.service.indicators.push(f);
                    }
                }
            } else if folder.service.stack.is_some()
                || folder.service.kind == ServiceType::Infrastructure
            {
                continue;
            }
            folder.service.stack = Some(stack_name.clone());
            folder.service.deployable = false;
            if c.source {
                take_member(folder, &stack, c.member);
                links.sources.push(Source {
                    stack: stack_name.clone(),
                    member: stack.members[c.member].name.clone(),
                    folder: folder.service.name.clone(),
                });
            }
            if let Some(t) = folder.service.technologies.first()
                && !techs.contains(t)
            {
                techs.push(t.clone());
            }
        }
        let st = &mut drafts[si].1.service;
        for t in techs {
            if !st.technologies.contains(&t) {
                st.technologies.push(t);
            }
        }
    }
}

/// The folder takes member `mi`'s ports, environment and env evidence.
fn take_member(folder: &mut Draft, stack: &Stack, mi: usize) {
    if let Some(h) = stack.member_hints.get(mi) {
        folder.hints.extend(h.iter().copied());
    }
    let env = stack.member_env.get(mi).map_or(&[][..], Vec::as_slice);
    let declared = stack
        .members
        .get(mi)
        .map_or(&[][..], |m| m.ports.as_slice());
    for (k, v) in env {
        let own = folder.port_vars.contains(k)
            || (k != "PORT" && ports::PORT_ENV_VARS.contains(&k.as_str()));
        if own
            && let Some(p) = ports::env_value_port(k, v)
            && !client_port(k, p, env, declared)
        {
            // `FLASK_SERVER_PORT=9091` in the member's environment, read by the entry code.
            folder
                .hints
                .push(PortHint::new(p, PortSource::RuntimeConfig));
        }
        if !v.is_empty() {
            folder.service.env.insert(k.clone(), v.clone());
        }
        push_pair(&mut folder.env_evidence, (k.clone(), v.clone()));
    }
    let hints = folder.hints.clone();
    combine::apply_ports(&mut folder.service, &hints);
}

/// Whether `KEY=port` in a member's environment is the port of a service it calls: a host or
/// address variable of the same prefix sits beside it (`FLAGD_HOST` with `FLAGD_PORT`), or the
/// member declares container ports and this is none of them.
fn client_port(key: &str, port: u16, env: &[(String, String)], declared: &[u16]) -> bool {
    if !declared.is_empty() && !declared.contains(&port) {
        return true;
    }
    let Some(prefix) = key.strip_suffix("_PORT") else {
        return false;
    };
    ["_HOST", "_ADDR", "_ADDRESS", "_HOSTNAME"]
        .iter()
        .any(|s| env.iter().any(|(k, _)| *k == format!("{prefix}{s}")))
}

/// Splits every compose folder whose file only runs the backing services of the app beside it into
/// the app and a `<name>-deps` stack, with a hard edge from the app to the stack. New drafts are
/// appended (the caller sorts).
pub fn split_backing(drafts: &mut Drafts<'_>, images: &ImageIndex, links: &mut Links) {
    let mut taken: BTreeSet<String> = drafts.iter().map(|(_, d)| d.service.name.clone()).collect();
    let n = drafts.len();
    for si in 0..n {
        let d = &drafts[si].1;
        if d.service.kind != ServiceType::ComposeStack
            || d.service.stack.is_some()
            || d.without_compose.is_none()
        {
            continue;
        }
        let Some(stack) = d.compose.as_deref() else {
            continue;
        };
        let path = d.service.path.as_str();
        // `image: acme/blog` in `blog/` with its Dockerfile: a member runs the folder's own image.
        let own_image = |im: &str| {
            let alt = d.without_compose.as_deref();
            let builds =
                alt.is_some_and(|a| a.service.dockerfile.is_some() || !a.images.is_empty());
            let last = image_name(im);
            builds
                && (last == drafts[si].0.folder_name.to_ascii_lowercase()
                    || alt.is_some_and(|a| a.images.iter().any(|x| image_name(x) == last)))
                || images
                    .folder_of(im, path, true)
                    .is_some_and(|dir| dir == path || is_within(&dir, path))
        };
        let backing_only = stack.members.iter().all(|m| {
            m.build.is_none()
                && m.source.is_none()
                && !m
                    .mounts
                    .iter()
                    .any(|dir| dir == path || is_within(path, dir))
                && !m.image.as_deref().is_some_and(own_image)
        });
        // The members' own `source` is set on the service's copy.
        let sourced = d.service.members.iter().any(|m| m.source.is_some());
        if !backing_only || sourced {
            continue;
        }
        let r = drafts[si].0;
        let mut app = match drafts[si].1.without_compose.take() {
            Some(a) => *a,
            None => continue,
        };
        let mut deps = drafts[si].1.clone();
        app.service.name = std::mem::take(&mut deps.service.name);
        let mut name = deps_name(&app.service.name, "-deps");
        let mut k = 2;
        while taken.contains(&name) {
            name = deps_name(&app.service.name, &format!("-deps-{k}"));
            k += 1;
        }
        taken.insert(name.clone());
        deps.service.name = name.clone();
        let file = deps
            .compose
            .as_ref()
            .map_or_else(String::new, |s| s.file.clone());
        links.edges.push(NamedEdge {
            from: app.service.name.clone(),
            to: name.clone(),
            kind: EdgeKind::Hard,
            name: name.clone(),
            evidence: format!("{file} runs its backing services"),
            late: false,
        });
        drafts[si].1 = app;
        drafts.push((r, deps));
    }
}

/// `<app><suffix>`, the app's part cut so that the name stays within [`names::MAX_LEN`].
fn deps_name(app: &str, suffix: &str) -> String {
    let keep = names::MAX_LEN.saturating_sub(suffix.len());
    let cut: String = app.chars().take(keep).collect();
    format!("{}{suffix}", cut.trim_end_matches('-'))
}

/// Overlays are evidence for the folders they build that no stack claims: ports, environment, and
/// hard edges for their `depends_on`.
pub fn overlays(
    drafts: &mut Drafts<'_>,
    results: &[FolderResult],
    images: &ImageIndex,
    links: &mut Links,
) {
    if results.iter().all(|r| r.overlays.is_empty()) {
        return;
    }
    let index = by_path(drafts);
    let stack_at: HashMap<String, usize> = drafts
        .iter()
        .enumerate()
        .filter(|(_, (_, d))| d.service.kind == ServiceType::ComposeStack)
        .map(|(i, (_, d))| (d.service.path.clone(), i))
        .collect();
    let mut edges: Vec<NamedEdge> = Vec::new();
    for r in results {
        for ov in &r.overlays {
            // Per member: the folder it is built from.
            let dirs: Vec<Option<usize>> = (0..ov.members.len())
                .map(|mi| {
                    ov.build_folder(mi)
                        .or_else(|| {
                            ov.members[mi]
                                .image
                                .as_deref()
                                .and_then(|im| images.folder_of(im, &r.rel, true))
                        })
                        .and_then(|d| index.get(&d).copied())
                })
                .collect();
            for (mi, m) in ov.members.iter().enumerate() {
                let Some(fi) = dirs[mi] else {
                    continue;
                };
                let s = &drafts[fi].1.service;
                if s.stack.is_some()
                    || matches!(
                        s.kind,
                        ServiceType::ComposeStack | ServiceType::Infrastructure
                    )
                {
                    continue;
                }
                let from = s.name.clone();
                for dep in &m.depends_on {
                    let built = ov
                        .members
                        .iter()
                        .position(|x| &x.name == dep)
                        .and_then(|di| dirs[di])
                        .map(|ti| &drafts[ti].1.service)
                        .filter(|t| t.kind != ServiceType::ComposeStack)
                        .map(|t| {
                            (
                                t.stack.clone().unwrap_or_else(|| t.name.clone()),
                                t.name.clone(),
                            )
                        });
                    let in_base = || {
                        let st = &drafts[*stack_at.get(&r.rel)?].1.service;
                        st.members
                            .iter()
                            .any(|x| &x.name == dep)
                            .then(|| (st.name.clone(), dep.clone()))
                    };
                    let (to, name) = built
                        .or_else(in_base)
                        .unwrap_or_else(|| (dep.clone(), dep.clone()));
                    let cond = m
                        .conditions
                        .get(dep)
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default();
                    edges.push(NamedEdge {
                        from: from.clone(),
                        to,
                        kind: EdgeKind::Hard,
                        name,
                        evidence: format!("{} {} depends_on {dep}{cond}", ov.file, m.name),
                        late: false,
                    });
                }
                take_member(&mut drafts[fi].1, ov, mi);
            }
        }
    }
    links.edges.extend(edges);
}
