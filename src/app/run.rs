//! The cockpit's main loop: terminal setup and restore, the input, signal and tick sources, and the
//! one task that owns the [`State`]: receive a message, drain the channel, update, run commands,
//! draw once if something changed.

use std::io::{self, Stdout};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::{Frame, Terminal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::msg::{Command, Msg, Signal};
use super::state::State;
use super::update::{init, update};
use super::workers::{StoreHandle, Workers};

/// Shortest time between two frames; messages arriving meanwhile are folded into the next frame.
const FRAME: Duration = Duration::from_millis(16);

/// Why the cockpit stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("terminal: {0}")]
    Terminal(#[from] io::Error),
}

/// Draws the state into a frame: the renderer, handed in by the caller (`app` does not know the
/// `ui` module; `cli` gives it `ui::render`).
pub type Render = fn(&State, &mut Frame);

/// Everything the cockpit needs to start.
pub struct Options {
    pub workspace: PathBuf,
    pub config: crate::config::Config,
    pub state: State,
    /// The history store, or why it is not available.
    pub store: Result<Arc<StoreHandle>, String>,
    pub render: Render,
}

/// Leaves the terminal as it was: mouse capture off, main screen, cooked mode, cursor shown.
/// Safe to call more than once and from a panic hook.
pub fn restore_terminal() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Restores the terminal when dropped (normal exit, `?` error paths, unwinding).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Chains a panic hook that restores the terminal before the previous hook (color-eyre's, installed
/// first by `main`) prints the report.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

fn setup_terminal(mouse: bool) -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
    enable_raw_mode()?;
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Terminal::new(CrosstermBackend::new(out))
}

fn now_ms() -> i64 {
    crate::store::now_ms()
}

/// Runs the cockpit until the user quits or a signal arrives; the signal, if one ended it (its
/// exit status is [`Signal::exit_status`]).
pub fn run(opts: Options) -> Result<Option<Signal>, RunError> {
    // The main loop runs on this thread (block_on) and blocking work in spawn_blocking, so one
    // worker serves the engine's streams: their tasks wake each other on one thread instead of
    // across two (under a log flood that cross-thread wake-up cost a third of the CPU).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let result = rt.block_on(run_async(opts));
    // The terminal is restored by now. Do not wait for work in flight (a deploy can take
    // minutes): give short store writes a moment, then leave.
    rt.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn run_async(opts: Options) -> Result<Option<Signal>, RunError> {
    let Options {
        workspace,
        config,
        mut state,
        store,
        render,
    } = opts;
    let (tx, rx) = unbounded_channel();
    if let Ok(h) = &store {
        let _ = tx.send(Msg::AutoDeployLoaded(h.workspace.auto_deploy));
    }
    let mut workers = Workers::new(tx.clone(), workspace, config, store);

    install_panic_hook();
    let mut terminal = setup_terminal(state.mouse)?;
    let _guard = TerminalGuard;
    let size = terminal.size()?;
    state.size = (size.width, size.height);
    state.now_ms = now_ms();

    spawn_input(tx.clone());
    spawn_signals(tx.clone());
    for cmd in init(&mut state) {
        workers.run(cmd);
    }
    terminal.draw(|f| render(&state, f))?;
    state.drawn_ms = state.now_ms;
    state.dirty = false;
    main_loop(&mut state, &mut terminal, &mut workers, rx, render).await?;
    drop(terminal);
    Ok(state.exit_signal)
}

async fn main_loop(
    state: &mut State,
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    workers: &mut Workers,
    mut rx: UnboundedReceiver<Msg>,
    render: Render,
) -> Result<(), RunError> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_draw = Instant::now();
    loop {
        let wants_tick = state.wants_tick();
        let first = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                None => return Ok(()),
            },
            _ = tick.tick(), if wants_tick => Msg::Tick(now_ms()),
        };
        // `update` reads the time from the state (how long a deploy-all or a detection took).
        state.now_ms = now_ms();
        let mut cmds = update(state, first);
        // Coalesce: everything already queued goes into this frame.
        while let Ok(m) = rx.try_recv() {
            cmds.extend(update(state, m));
        }
        if state.dirty {
            let since = last_draw.elapsed();
            if since < FRAME {
                tokio::time::sleep(FRAME - since).await;
                while let Ok(m) = rx.try_recv() {
                    cmds.extend(update(state, m));
                }
            }
        }
        for cmd in cmds {
            match cmd {
                Command::Quit => state.quit = true,
                Command::SetMouse(on) => {
                    let mut out = io::stdout();
                    if on {
                        execute!(out, EnableMouseCapture)?;
                    } else {
                        execute!(out, DisableMouseCapture)?;
                    }
                }
                other => workers.run(other),
            }
        }
        if state.quit {
            return Ok(());
        }
        if state.dirty {
            state.now_ms = now_ms();
            terminal.draw(|f| render(state, f))?;
            state.drawn_ms = state.now_ms;
            state.dirty = false;
            last_draw = Instant::now();
        }
    }
}

fn spawn_input(tx: UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(ev) = events.next().await {
            let msg = match ev {
                Ok(Event::Key(k)) => Msg::Key(k),
                Ok(Event::Mouse(m)) => Msg::Mouse(m),
                Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                Err(e) => Msg::Error(format!("terminal input: {e}")),
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}

fn spawn_signals(tx: UnboundedSender<Msg>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            let _ = tx.send(Msg::Error("cannot listen for SIGTERM/SIGHUP".into()));
            return;
        };
        let signal = tokio::select! {
            _ = term.recv() => Signal::Term,
            _ = hup.recv() => Signal::Hup,
            _ = int.recv() => Signal::Int,
        };
        let _ = tx.send(Msg::Signal(signal));
    });
}
