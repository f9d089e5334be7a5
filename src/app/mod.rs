//! The cockpit's state machine and its workers.
//!
//! One task owns [`State`]. Input, engine events, log lines, stats, file changes and task results
//! arrive as [`Msg`]s on one channel; [`update`] applies each one synchronously (no I/O) and returns
//! [`Command`]s, which the workers in [`workers`] run, sending their results back as messages. The
//! screen is drawn from the state by [`crate::ui::render`], only when `update` marked it dirty.

pub mod engine;
pub mod fmt;
pub mod keymap;
pub mod logs;
pub mod msg;
pub mod palette;
pub mod run;
pub mod state;
pub mod tree;
pub mod update;
pub mod watch;
pub mod workers;

pub use keymap::{Action, Key, Keymap, KeymapError};
pub use logs::{LogBuffer, LogLine};
pub use msg::{
    Command, EngineMsg, EventRow, Health, Msg, Op, Outcome, PortMap, ServiceRuntime, ServiceState,
};
pub use state::{ConfirmAction, EngineConn, InputKind, Level, Pane, SortColumn, State, Tab};
pub use update::{init, update};

#[cfg(test)]
pub(crate) mod testing;
