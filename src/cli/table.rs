//! A text table that fits a width: the human output of `kyozo detect`.
//!
//! Columns at their natural width when they fit. Otherwise the widest columns give way first, down
//! to a floor each: list cells (`DEPENDS ON`, `TECHNOLOGIES`) wrap item by item onto a few lines and
//! say how many items they leave out (`+12`); text cells are cut with `…` (a path keeps its end).

/// How a column gives way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Never narrower than its content (short figures).
    Keep,
    /// Cut at the end (`compose_st…`).
    Cut,
    /// Cut at the start, keeping the end (`…/services/api`).
    CutStart,
    /// A `, `-separated list that wraps onto up to [`LIST_LINES`] lines.
    List,
}

/// Lines a wrapped list may take.
pub const LIST_LINES: usize = 3;

/// One column: its header, how it fits, and the narrowest it may become.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub fit: Fit,
    pub floor: usize,
}

const GAP: usize = 2;

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Renders `rows` under `columns` within `max` columns of text (`None`: no limit). The header
/// line is returned first; `bold` decorates it.
pub fn render(
    columns: &[Column],
    rows: &[Vec<String>],
    max: Option<usize>,
    bold: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let n = columns.len();
    let mut widths: Vec<usize> = columns.iter().map(|c| width(c.header)).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(width(c));
        }
    }
    if let Some(max) = max {
        let total = |w: &[usize]| w.iter().sum::<usize>() + GAP * n.saturating_sub(1);
        while total(&widths) > max {
            // The widest column that may still give way loses one.
            let Some(i) = (0..n)
                .filter(|&i| {
                    columns[i].fit != Fit::Keep
                        && widths[i] > columns[i].floor.max(width(columns[i].header))
                })
                .max_by_key(|&i| widths[i])
            else {
                break;
            };
            widths[i] -= 1;
        }
    }
    let mut out = Vec::with_capacity(rows.len() + 1);
    let header: Vec<Vec<String>> = columns.iter().map(|c| vec![c.header.to_string()]).collect();
    out.push(bold(&join(&header, &widths)));
    for r in rows {
        let cells: Vec<Vec<String>> = columns
            .iter()
            .zip(r)
            .zip(&widths)
            .map(|((c, text), &w)| fit_cell(text, c.fit, w))
            .collect();
        out.push(join(&cells, &widths));
    }
    out
}

/// The lines of a row whose cells may take several lines each.
fn join(cells: &[Vec<String>], widths: &[usize]) -> String {
    let height = cells.iter().map(Vec::len).max().unwrap_or(1);
    let mut lines = Vec::with_capacity(height);
    for k in 0..height {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let text = cell.get(k).map_or("", String::as_str);
            l.push_str(text);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(w.saturating_sub(width(text)) + GAP));
            }
        }
        lines.push(l.trim_end().to_string());
    }
    lines.join("\n")
}

/// A cell's text as lines of at most `w` characters.
pub fn fit_cell(text: &str, fit: Fit, w: usize) -> Vec<String> {
    if width(text) <= w {
        return vec![text.to_string()];
    }
    match fit {
        Fit::Keep => vec![text.to_string()],
        Fit::Cut => vec![cut_end(text, w)],
        Fit::CutStart => vec![cut_start(text, w)],
        Fit::List => wrap_list(text, w),
    }
}

fn cut_end(text: &str, w: usize) -> String {
    if w == 0 {
        return String::new();
    }
    let mut s: String = text.chars().take(w - 1).collect();
    s.push('…');
    s
}

fn cut_start(text: &str, w: usize) -> String {
    if w == 0 {
        return String::new();
    }
    let skip = width(text) - (w - 1);
    let mut s = String::from("…");
    s.extend(text.chars().skip(skip));
    s
}

/// `a, b, c, …` packed onto lines of `w`, at most [`LIST_LINES`] of them; the last line says how
/// many items did not fit (`+5`).
fn wrap_list(text: &str, w: usize) -> Vec<String> {
    let items: Vec<&str> = text.split(", ").collect();
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut placed = 0;
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        // `item,` unless it is the last one.
        let piece = if last {
            (*item).to_string()
        } else {
            format!("{item},")
        };
        let needed = if cur.is_empty() {
            width(&piece)
        } else {
            width(&cur) + 1 + width(&piece)
        };
        if needed <= w {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(&piece);
            placed += 1;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if lines.len() == LIST_LINES {
            break;
        }
        cur = if width(&piece) > w {
            cut_end(&piece, w)
        } else {
            piece
        };
        placed += 1;
    }
    if !cur.is_empty() && lines.len() < LIST_LINES {
        lines.push(cur);
    }
    let left = items.len() - placed;
    if left > 0
        && let Some(last) = lines.last_mut()
    {
        let more = format!(" +{left}");
        // Make room for the count on the last line.
        while width(last) + width(&more) > w && !last.is_empty() {
            last.pop();
        }
        let trimmed = last.trim_end_matches([',', ' ']).to_string();
        *last = format!("{trimmed}{more}");
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_wrap_and_count_what_is_left() {
        let text = (1..=20)
            .map(|i| format!("svc-{i:02}"))
            .collect::<Vec<_>>()
            .join(", ");
        let lines = wrap_list(&text, 20);
        assert_eq!(lines.len(), LIST_LINES);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines[2], "svc-05, svc-06 +14");
        assert_eq!(wrap_list("a, b", 20), vec!["a, b"]);
    }

    #[test]
    fn text_is_cut_with_an_ellipsis() {
        assert_eq!(
            fit_cell("services/group-1/api", Fit::CutStart, 8),
            ["…p-1/api"]
        );
        assert_eq!(fit_cell("compose_stack", Fit::Cut, 8), ["compose…"]);
        assert_eq!(fit_cell("4000", Fit::Keep, 2), ["4000"]);
    }

    #[test]
    fn the_table_fits_the_width() {
        let columns = [
            Column {
                header: "NAME",
                fit: Fit::Cut,
                floor: 6,
            },
            Column {
                header: "DEPENDS ON",
                fit: Fit::List,
                floor: 10,
            },
        ];
        let rows = vec![vec!["a".repeat(30), "x, ".repeat(40) + "y"]];
        let lines = render(&columns, &rows, Some(30), &|s| s.to_string());
        for l in lines.iter().flat_map(|l| l.lines()) {
            assert!(l.chars().count() <= 30, "{l}");
        }
        let free = render(&columns, &rows, None, &|s| s.to_string());
        assert!(free[1].chars().count() > 100);
    }
}
