//! Colours and text attributes. `mono` (the `mono` theme or `NO_COLOR`) uses attributes only.

use ratatui::style::{Color, Modifier, Style};

use crate::app::{HealthView, ServiceState};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub mono: bool,
}

impl Theme {
    pub fn new(mono: bool) -> Self {
        Theme { mono }
    }

    fn fg(&self, c: Color) -> Style {
        if self.mono {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::DarkGray)
        }
    }
    pub fn dim(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default().fg(Color::DarkGray)
        }
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::default().add_modifier(Modifier::REVERSED)
        } else if self.mono {
            Style::default().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::default().bg(Color::DarkGray)
        }
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(Color::Yellow)
        }
    }
    pub fn error(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
        }
    }
    pub fn mark(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
    pub fn search_hit(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().bg(Color::Yellow).fg(Color::Black)
        }
    }
    pub fn status(&self, s: ServiceState) -> Style {
        match s {
            ServiceState::Running => self.ok(),
            ServiceState::Error => self.error(),
            ServiceState::Deploying | ServiceState::Scaling => self.warn(),
            ServiceState::Stopped => Style::default(),
            ServiceState::Deployable => self.dim(),
        }
    }
    pub fn health(&self, h: HealthView) -> Style {
        match h {
            HealthView::Healthy => self.ok(),
            HealthView::Starting => self.warn(),
            HealthView::Unhealthy => self.error(),
            HealthView::Unknown => self.dim(),
        }
    }
}
