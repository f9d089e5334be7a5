//! kyozo: a terminal cockpit that turns a folder tree into running services on a Docker Engine.
//!
//! Modules and the direction of their arrows:
//! - [`detect`]: pure topology detection (files in, [`detect::Topology`] out);
//! - [`config`]: the user's configuration file;
//! - [`secrets`]: masking of secret values in human output;
//! - [`store`]: the redb history (workspaces, detections, services, deployment events);
//! - [`runtime`]: the Docker Engine adapter (bollard), speaking our own types;
//! - [`deploy`]: plans and orchestrates deployments over `detect`, `runtime` and `store`;
//! - [`app`]: cockpit state, a synchronous `update`, and the workers that run its commands;
//! - [`ui`]: rendering of the app state, one file per pane;
//! - [`cli`]: argument parsing and the headless verbs.

pub mod app;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod detect;
pub mod runtime;
pub mod secrets;
pub mod store;
pub mod ui;
