//! The cockpit's state machine and its workers.
//!
//! One task owns [`State`]. Input, engine events, log lines, stats, file changes and task results
//! arrive as [`Msg`]s on one channel; [`update`] applies each one synchronously (no I/O) and returns
//! [`Command`]s, which the workers in [`workers`] run, sending their results back as messages. The
//! screen is drawn from the state (by the `ui` module, which this one never imports) only when
//! `update` marked it dirty; the geometry both use is in [`layout`].
//!
//! Pure parts: [`action`], [`view`], [`keymap`], [`palette`] (the tables and their parsing),
//! [`state`], [`query`], [`dialog`], [`inflight`], [`tree`], [`logs`], [`layout`], [`fmt`],
//! [`update`]. Parts that do I/O: [`run`] (terminal and main loop), [`workers`], [`engine`],
//! [`watch`].

pub mod action;
pub mod dialog;
pub mod engine;
pub mod fmt;
pub mod inflight;
pub mod keymap;
pub mod layout;
pub mod logs;
pub mod msg;
pub mod palette;
pub mod query;
pub mod run;
pub mod start;
pub mod state;
pub mod tree;
pub mod update;
pub mod view;
pub mod watch;
pub mod workers;

pub use action::{Action, Args, Invocation};
pub use dialog::{ConfirmAction, InputKind, Leaving};
pub use keymap::{Key, Keymap, KeymapError};
pub use logs::{LogBuffer, LogLine};
pub use msg::{
    Command, EngineMsg, EventRow, Health, Msg, Op, Outcome, PortMap, ServiceRuntime, ServiceState,
    Signal,
};
pub use state::{EngineConn, Level, State};
pub use update::{init, update};
pub use view::{HealthView, Pane, SortColumn, Tab};

#[cfg(test)]
pub(crate) mod testing;
