//! Topology detection: files in, [`Topology`] out. Pure: reads files, executes nothing, and imports no
//! async runtime, terminal, engine or database crate.
//!
//! The walker ([`walker`]) yields every kept [`Folder`]; every ecosystem analyzer in [`ANALYZERS`] looks
//! at each folder and may return a [`Finding`]; the core combines findings into services (precedence,
//! confidence, names), resolves dependencies ([`deps`]) and orders them into waves ([`order`]).

pub mod envfile;
pub mod finding;
pub mod folder;
pub mod model;
pub mod ports;

pub mod lang;

pub mod compose;
pub mod deno;
pub mod dockerfile;
pub mod dotnet;
pub mod elixir;
pub mod golang;
pub mod java;
pub mod nginx;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;
pub mod static_site;
pub mod terraform;

pub use finding::{Finding, Rank};
pub use folder::Folder;
pub use model::{
    Dependency, Diagnostic, EdgeKind, HealthCheck, Member, ResourceLimits, Service, ServiceType,
    Topology,
};

/// An ecosystem analyzer: looks at one folder, may claim it, and reports problems as diagnostics.
pub type Analyzer = fn(&Folder, &mut Vec<Diagnostic>) -> Option<Finding>;

/// Every analyzer, strongest signal first.
pub const ANALYZERS: &[Analyzer] = &[
    compose::analyze,
    dockerfile::analyze,
    node::analyze,
    python::analyze,
    golang::analyze,
    rust::analyze,
    java::analyze,
    ruby::analyze,
    php::analyze,
    dotnet::analyze,
    elixir::analyze,
    deno::analyze,
    static_site::analyze,
    nginx::analyze,
    terraform::analyze,
];
