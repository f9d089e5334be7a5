//! Key presses. The modes that take the keyboard come first (the quit prompt, the confirm dialog,
//! the palette, typed input, the help overlay); otherwise the keymap turns the key into an
//! [`Invocation`] for [`super::actions::apply`], the same path a palette line takes.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::actions::apply;
use super::nav::{after_filter_change, search};
use super::ops;
use crate::app::action::{Action, Invocation};
use crate::app::dialog::{InputKind, Leaving};
use crate::app::layout::help_max_scroll;
use crate::app::msg::Command;
use crate::app::palette;
use crate::app::state::State;

fn is_force_quit(state: &State, key: &KeyEvent) -> bool {
    state.keymap.action(key) == Some(Action::ForceQuit)
        || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL))
}

pub(super) fn on_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Command>) {
    if key.kind != KeyEventKind::Press && key.kind != KeyEventKind::Repeat {
        return;
    }
    state.dirty = true;
    if is_force_quit(state, &key) {
        ops::request_quit(state, true, cmds);
        return;
    }
    if state.leaving == Some(Leaving::Asking) {
        leaving_key(state, key, cmds);
        return;
    }
    if let Some(confirm) = state.confirm.clone() {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                state.confirm = None;
                ops::confirmed(state, confirm, cmds);
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                state.confirm = None;
                state.info("cancelled");
            }
            _ => {}
        }
        return;
    }
    if state.palette.is_some() {
        palette_key(state, key, cmds);
        return;
    }
    if let Some(kind) = state.input {
        input_key(state, kind, key, cmds);
        return;
    }
    if state.help {
        let max = help_max_scroll(state);
        let scroll = &mut state.help_scroll;
        match state.keymap.action(&key) {
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::Down) => *scroll = (*scroll + 1).min(max),
            Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
            Some(Action::PageDown) => *scroll = (*scroll + 10).min(max),
            Some(Action::Top) => *scroll = 0,
            Some(Action::Bottom) => *scroll = max,
            Some(Action::Quit) | Some(Action::Help) | Some(Action::Back) => state.help = false,
            _ => {}
        }
        return;
    }
    let action = state.keymap.action(&key);
    // Waiting to leave: esc stays, quit leaves now; the rest works as usual meanwhile.
    if matches!(state.leaving, Some(Leaving::Waiting | Leaving::Cancelling)) {
        match action {
            Some(Action::Back) => {
                state.leaving = None;
                state.info("staying: the operations go on");
                return;
            }
            Some(Action::Quit) => {
                ops::leave(state, cmds);
                return;
            }
            _ => {}
        }
    }
    state.status = None;
    if let Some(action) = action {
        apply(state, Invocation::key(action), cmds);
    }
}

/// The quit prompt: `w` wait for the operations, `c` cancel them, `l` leave now; `esc` (or `n`,
/// `q`) stays.
fn leaving_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Command>) {
    match key.code {
        KeyCode::Char('w') | KeyCode::Char('W') | KeyCode::Enter => {
            ops::leave_when_done(state, cmds)
        }
        KeyCode::Char('c') | KeyCode::Char('C') => ops::cancel_all_and_leave(state, cmds),
        KeyCode::Char('l') | KeyCode::Char('L') => ops::leave(state, cmds),
        KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Char('q') => {
            state.leaving = None;
            state.info("staying");
        }
        _ => {}
    }
}

fn input_key(state: &mut State, kind: InputKind, key: KeyEvent, cmds: &mut Vec<Command>) {
    let text = match kind {
        InputKind::Filter => &mut state.filter,
        InputKind::Search => &mut state.log_view.search,
        InputKind::SavePath => return save_path_key(state, key, cmds),
    };
    match key.code {
        KeyCode::Esc => {
            text.clear();
            state.input = None;
        }
        KeyCode::Enter => state.input = None,
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
        _ => {}
    }
    match kind {
        InputKind::Filter => after_filter_change(state, cmds),
        InputKind::SavePath => {}
        InputKind::Search => {
            state.log_view.hit = None;
            if !state.log_view.search.is_empty() {
                search(state, true);
            }
        }
    }
}

/// The palette's completions of `input`: service names, the scalable ones after `scale`.
pub(super) fn completions(state: &State, input: &str) -> Vec<String> {
    let services: Vec<&str> = state.services().iter().map(|s| s.name.as_str()).collect();
    let scalable: Vec<&str> = state
        .services()
        .iter()
        .filter(|s| crate::app::query::can_scale(s))
        .map(|s| s.name.as_str())
        .collect();
    let names = palette::Names {
        services: &services,
        scalable: &scalable,
    };
    palette::complete(input, names, state.readonly)
}

/// The path `w` asks for: `enter` saves there, `esc` saves nothing, `ctrl-u` clears the line.
fn save_path_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Command>) {
    let Some(prompt) = state.save_prompt.as_mut() else {
        state.input = None;
        return;
    };
    match key.code {
        KeyCode::Esc => {
            state.save_prompt = None;
            state.input = None;
            state.info("logs not saved");
        }
        KeyCode::Enter => {
            state.input = None;
            if let Some(prompt) = state.save_prompt.take() {
                super::actions::save_logs_to(state, prompt, cmds);
            }
        }
        KeyCode::Backspace => {
            prompt.path.pop();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => prompt.path.clear(),
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => prompt.path.push(c),
        _ => {}
    }
}

fn palette_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Command>) {
    let Some(p) = state.palette.as_mut() else {
        return;
    };
    match key.code {
        KeyCode::Esc => {
            state.palette = None;
            return;
        }
        KeyCode::Enter => {
            let line = p.input.trim().to_string();
            state.palette = None;
            if !line.is_empty() {
                run_palette(state, &line, cmds);
            }
            return;
        }
        KeyCode::Tab => {
            if let Some(c) = p.completions.get(p.selected).cloned() {
                p.input = palette::apply_completion(&p.input, &c);
            }
        }
        KeyCode::Up | KeyCode::BackTab => {
            let n = p.completions.len().max(1);
            p.selected = (p.selected + n - 1) % n;
            return;
        }
        KeyCode::Down => {
            let n = p.completions.len().max(1);
            p.selected = (p.selected + 1) % n;
            return;
        }
        KeyCode::Backspace => {
            p.input.pop();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => p.input.push(c),
        _ => return,
    }
    let input = p.input.clone();
    let completions = completions(state, &input);
    if let Some(p) = state.palette.as_mut() {
        p.completions = completions;
        p.selected = 0;
    }
}

/// Runs one palette line (`scale api 3`, `deploy api worker`, `quit`): parsed into the
/// [`Invocation`] the keys give, then applied like one.
pub(super) fn run_palette(state: &mut State, line: &str, cmds: &mut Vec<Command>) {
    let services: Vec<String> = state.services().iter().map(|s| s.name.clone()).collect();
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    state.status = None;
    match palette::parse(line, &names) {
        Ok(inv) => apply(state, inv, cmds),
        Err(e) => state.error(e),
    }
}
