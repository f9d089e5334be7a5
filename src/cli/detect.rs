//! `kyozo detect [PATH] [--json]`: the JSON contract on stdout, or a readable table with the deployment
//! order and the diagnostics.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use color_eyre::eyre::{WrapErr, eyre};

use crate::detect::{self, DetectOptions, Topology};

/// Runs detection on `path` and prints the result.
pub fn run(path: &Path, json: bool) -> color_eyre::Result<ExitCode> {
    let topology = detect::detect(path, &DetectOptions::default()).map_err(|e| eyre!("{e}"))?;
    let text = if json {
        let mut s =
            serde_json::to_string_pretty(&topology).wrap_err("cannot encode the topology")?;
        s.push('\n');
        s
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        render(&topology, color)
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

/// The human-readable report: services table, deployment order, diagnostics.
pub fn render(t: &Topology, color: bool) -> String {
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", t.workspace);
    if t.services.is_empty() {
        let _ = writeln!(out, "\nNo services found.");
    } else {
        let header = ["NAME", "PATH", "TYPE", "PORT", "DEPENDS ON", "TECHNOLOGIES"];
        let rows: Vec<[String; 6]> = t
            .services
            .iter()
            .map(|s| {
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
                [
                    s.name.clone(),
                    s.path.clone(),
                    kind,
                    s.port.map_or("-".to_string(), |p| p.to_string()),
                    if s.depends_on.is_empty() {
                        "-".to_string()
                    } else {
                        s.depends_on.join(", ")
                    },
                    if s.technologies.is_empty() {
                        "-".to_string()
                    } else {
                        s.technologies.join(", ")
                    },
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut l = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    l.push_str(c);
                } else {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    l.push_str(c);
                    l.push_str(&" ".repeat(pad + 2));
                }
            }
            l.trim_end().to_string()
        };
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", bold(&line(&header.map(String::from))));
        for r in &rows {
            let _ = writeln!(out, "{}", line(r));
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
