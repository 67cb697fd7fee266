//! Building and fitting the tables: the netstat and lsof views build their
//! rows; this module turns rows into a table that fits the width, summarised
//! when long, in plain text or Markdown, with colour when asked.

use comfy_table::{Cell, Color, ColumnConstraint, Table};

use crate::claim::snapshot::Row;

use super::columns::{Columns, Style};
use super::options::TableOptions;

/// The colour of the column every accepted socket shares.
pub(super) const SHARED: Color = Color::DarkGreen;

/// The colour of the column that tells them apart.
pub(super) const DIFFERING: Color = Color::DarkMagenta;

/// What [`fit`] did to a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// It fits as built (two spaces between columns, as netstat prints).
    AsBuilt,
    /// It fits with one space between columns, or fits nowhere narrower
    /// (its values alone are wider than the width, and none is cut).
    Closer,
    /// Some of its expendable columns are left out.
    LeftOut,
}

/// Fits a plain-text table into `options.width` without cutting a value:
/// first with one space between columns instead of two, then without the
/// `expendable` columns. Markdown tables are left as they are.
pub(super) fn fit(table: &mut Table, options: &TableOptions, expendable: &[usize]) -> Fit {
    if options.markdown || table_width(table) <= options.width {
        return Fit::AsBuilt;
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 1));
    }
    if table_width(table) <= options.width || expendable.is_empty() {
        return Fit::Closer;
    }
    for &index in expendable {
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::Hidden);
        }
    }
    Fit::LeftOut
}

/// The width of a plain table's longest line as [`push_table`] prints it
/// (the last column's right padding is trimmed).
pub(super) fn table_width(table: &Table) -> usize {
    let widths = table.column_max_content_widths();
    let visible: Vec<usize> = table
        .column_iter()
        .zip(widths)
        .filter(|(column, _)| !column.is_hidden())
        .map(|(column, width)| usize::from(width) + usize::from(column.padding_width()))
        .collect();
    let last_padding = table
        .column_iter()
        .rev()
        .find(|column| !column.is_hidden())
        .map_or(0, |column| usize::from(column.padding_width()));
    visible.iter().sum::<usize>().saturating_sub(last_padding)
}

/// Switches a table to GitHub Markdown (`| a | b |` with a header rule).
pub(super) fn markdown_style(table: &mut Table, markdown: bool) {
    if markdown {
        table.load_style(comfy_table::presets::ASCII_MARKDOWN);
        for column in table.column_iter_mut() {
            column.set_padding((1, 1));
        }
    }
}

pub(super) fn push_table(out: &mut String, title: &str, table: &Table) {
    // Markdown needs a blank line around a table for it to render.
    let markdown = table.style() == comfy_table::presets::ASCII_MARKDOWN;
    out.push_str(title);
    out.push_str(if markdown { ":\n\n" } else { ":\n" });
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if markdown {
        out.push('\n');
    }
}

/// The rows to draw: all of them, or the first and last few when there are
/// more than `max_rows`; and how many were cut.
pub(super) fn rows_to_show(rows: &[Row], max_rows: usize) -> (Vec<&Row>, usize) {
    if rows.len() <= max_rows {
        return (rows.iter().collect(), 0);
    }
    let head = max_rows.div_ceil(2);
    let tail = max_rows - head;
    let shown = rows[..head]
        .iter()
        .chain(&rows[rows.len() - tail..])
        .collect();
    (shown, rows.len() - max_rows)
}

/// A table with netstat's look: no borders, columns padded.
pub(super) fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(header.iter().map(Cell::new).collect::<Vec<_>>());
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
}

/// A cell, coloured when `color` is set.
pub(super) fn cell(text: String, color: Option<Color>) -> Cell {
    match color {
        Some(c) => Cell::new(text).fg(c),
        None => Cell::new(text),
    }
}

/// Forces comfy-table to emit (or not emit) colour codes, whatever the
/// terminal: the caller already decided.
pub(super) fn apply_color_choice(table: &mut Table, color: bool) {
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
}

/// A table with `header` and, for each row, the lines `lines(row)` gives
/// (netstat: one per socket; lsof: one per holder), with the cut marker
/// where a long table leaves rows out (`cut` rows after the first half).
pub(super) fn build_table(
    header: &[&str],
    rows: &[&Row],
    cut: usize,
    color: bool,
    lines: impl Fn(&Row) -> Vec<Vec<Cell>>,
) -> Table {
    let mut table = new_table(header);
    apply_color_choice(&mut table, color);
    let head = rows.len().div_ceil(2);
    for (i, row) in rows.iter().enumerate() {
        if cut > 0 && i == head {
            table.add_row(cut_marker(header.len()));
        }
        for line in lines(row) {
            table.add_row(line);
        }
    }
    table
}

/// The marker row standing for the rows a long table leaves out (the summary
/// above the table says how many).
pub(super) fn cut_marker(columns: usize) -> Vec<Cell> {
    vec![Cell::new("..."); columns]
}

/// `-` for a value this OS could not give.
pub(super) fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

/// Writes a streamed table ([`super::columns`]) under its title, as
/// [`push_table`] writes a comfy-table one.
pub(super) fn push_columns(out: &mut String, title: &str, columns: &Columns, style: Style) {
    let markdown = style == Style::Markdown;
    out.push_str(title);
    out.push_str(if markdown { ":\n\n" } else { ":\n" });
    columns.write_to(out, style);
    if markdown {
        out.push('\n');
    }
}
