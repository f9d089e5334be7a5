//! `kyozo detect [PATH] [--json]`: the JSON contract on stdout, or a readable table with the deployment
//! order and the diagnostics.
//!
//! The table fits the terminal as `ls` does: on a terminal its width (or `COLUMNS` when the size is
//! unknown); piped, `COLUMNS` when set, else no limit, so scripts and `grep` see whole lines. Cells
//! that do not fit wrap or are cut; `--json` always has everything.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use color_eyre::eyre::{WrapErr, eyre};

use crate::detect::{self, DetectOptions, Topology};

/// Runs detection on `path` and prints the result.
pub fn run(path: &Path, json: bool) -> color_eyre::Result<ExitCode> {
    let topology = detect::detect(path, &DetectOptions::default()).map_err(|e| eyre!("{e}"))?;
    // A broken overrides file is the user's own mistake: say it where it is seen, on stderr too.
    for d in topology
        .diagnostics
        .iter()
        .filter(|d| d.path == detect::overrides::FILE)
    {
        eprintln!("kyozo: error: {}: {}", d.path, d.message);
    }
    let text = if json {
        let mut s =
            serde_json::to_string_pretty(&topology).wrap_err("cannot encode the topology")?;
        s.push('\n');
        s
    } else {
        let tty = std::io::stdout().is_terminal();
        let color = tty && std::env::var_os("NO_COLOR").is_none();
        render_width(&topology, color, table_width(tty))
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => {}
        // A closed pipe (`kyozo detect | head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(eyre!("cannot write to stdout: {e}")),
    }
    Ok(ExitCode::SUCCESS)
}

/// The width the table fits: the terminal's on a terminal, else `COLUMNS`, else none.
fn table_width(tty: bool) -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    if tty {
        crossterm::terminal::size()
            .ok()
            .map(|(w, _)| usize::from(w))
            .filter(|w| *w > 0)
            .or(columns)
            .or(Some(80))
    } else {
        columns
    }
}

/// The human-readable report with no width limit.
pub fn render(t: &Topology, color: bool) -> String {
    render_width(t, color, None)
}

/// The human-readable report: services table (fitting `width` columns when given), deployment
/// order, what `.kyozo.toml` set, diagnostics.
pub fn render_width(t: &Topology, color: bool, width: Option<usize>) -> String {
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", t.workspace);
    let mut marked = false;
    if t.services.is_empty() {
        let _ = writeln!(out, "\nNo services found.");
    } else {
        use super::table::{Column, Fit};
        let columns = [
            Column {
                header: "NAME",
                fit: Fit::Cut,
                floor: 10,
            },
            Column {
                header: "PATH",
                fit: Fit::CutStart,
                floor: 12,
            },
            Column {
                header: "TYPE",
                fit: Fit::Cut,
                floor: 10,
            },
            Column {
                header: "PORT",
                fit: Fit::Keep,
                floor: 4,
            },
            Column {
                header: "DEPENDS ON",
                fit: Fit::List,
                floor: 12,
            },
            Column {
                header: "TECHNOLOGIES",
                fit: Fit::List,
                floor: 12,
            },
        ];
        let rows: Vec<Vec<String>> = t
            .services
            .iter()
            .map(|s| {
                // `*`: set by the overrides file.
                let mut mark = |field: &str, text: String| {
                    if s.overridden(field) {
                        marked = true;
                        format!("{text}*")
                    } else {
                        text
                    }
                };
                let mut kind = s.kind.as_str().to_string();
                if let Some(st) = &s.stack {
                    kind = format!("{kind} (stack {st})");
                } else if !s.deployable {
                    kind = format!("{kind} (not deployed)");
                } else if !s.members.is_empty() {
                    let n = s.members.len();
                    let plural = if n == 1 { "" } else { "s" };
                    kind = format!("{kind} ({n} member{plural})");
                }
                vec![
                    mark("name", s.name.clone()),
                    s.path.clone(),
                    mark("type", kind),
                    mark("port", s.port.map_or("-".to_string(), |p| p.to_string())),
                    mark(
                        "depends_on",
                        if s.depends_on.is_empty() {
                            "-".to_string()
                        } else {
                            s.depends_on.join(", ")
                        },
                    ),
                    if s.technologies.is_empty() {
                        "-".to_string()
                    } else {
                        s.technologies.join(", ")
                    },
                ]
            })
            .collect();
        let _ = writeln!(out);
        for l in super::table::render(&columns, &rows, width, &bold) {
            let _ = writeln!(out, "{l}");
        }
    }
    let overridden: Vec<String> = t
        .services
        .iter()
        .filter(|s| !s.overrides.is_empty())
        .map(|s| format!("  {}: {}", s.name, s.overrides.join(", ")))
        .collect();
    if marked || !overridden.is_empty() {
        let _ = writeln!(out, "\n{}", bold("Set by .kyozo.toml (* in the table):"));
        for l in overridden {
            let _ = writeln!(out, "{l}");
        }
    }
    let _ = writeln!(out, "\n{}", bold("Deployment order:"));
    if t.deployment_order.is_empty() {
        let _ = writeln!(out, "  (nothing to deploy)");
    }
    for (i, w) in t.deployment_order.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}", i + 1, w.join(", "));
    }
    if !t.diagnostics.is_empty() {
        let _ = writeln!(out, "\n{}", bold("Diagnostics:"));
        for d in &t.diagnostics {
            let _ = writeln!(out, "  {}: {}", d.path, d.message);
        }
    }
    out
}
