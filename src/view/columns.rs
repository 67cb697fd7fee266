//! Columns padded like netstat's, written straight into the output.
//!
//! A table of 19,000 sockets is 133,000 cells. A general table library keeps
//! a `String` (and a `Vec` of lines) for every cell, measures each one's
//! display width, and builds every line of the result before the first is
//! written. For cells that are one line of plain ASCII, which is what a socket
//! table holds, none of that is needed: a cell's width is its length in
//! bytes. So [`Columns`] works in two passes:
//!
//! 1. while the cells are written, one after another into one `String`, it
//!    remembers where each ends and keeps the widest of every column (a
//!    cell's width is its length, once [`Columns::is_simple`] has checked
//!    the whole text is printable ASCII);
//! 2. [`Columns::write_to`] then writes each line padded to those widths.
//!
//! The result is byte for byte what comfy-table draws with the styles the
//! views use (netstat's bare columns, or a Markdown table); a test checks it
//! on rows of varied widths. A cell that is not plain ASCII (a program name
//! in another script, a newline in a name) needs comfy-table's Unicode
//! widths and multi-line cells: [`Columns::is_simple`] says so, and the
//! caller draws that table with comfy-table instead, from [`Columns::rows`].

use std::fmt;

/// The two looks of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// netstat's: no borders, two spaces after each column, trailing spaces cut.
    Plain,
    /// The same with one space after each column, for a table that does not
    /// fit the terminal with two.
    Tight,
    /// GitHub Markdown: `| a | b |`, one space of padding, a `|---|` rule under the header.
    Markdown,
}

/// The cells of a table, with the width of each column.
#[derive(Clone, Debug)]
pub struct Columns {
    /// Every cell's text, one after another, the header first.
    text: String,
    /// Where each cell ends in `text`: row `r` is `ends[r * columns..(r + 1) * columns]`.
    ends: Vec<usize>,
    columns: usize,
    /// The widest cell of each column (at least 1, as comfy-table has it).
    widths: Vec<usize>,
    /// The column of the next cell.
    column: usize,
}

impl Columns {
    /// A table with these column headers, with room for `rows` rows of about
    /// `row_bytes` bytes of text each.
    pub fn new(header: &[&str], rows: usize, row_bytes: usize) -> Self {
        // (A table has at least one column, even with no header.)
        let count = header.len().max(1);
        let mut columns = Columns {
            text: String::with_capacity(row_bytes * (rows + 1)),
            ends: Vec::with_capacity(count * (rows + 1)),
            columns: count,
            widths: vec![1; count],
            column: 0,
        };
        for title in header {
            columns.cell(title);
        }
        columns
    }

    /// Adds one cell: the next column of the current row, or the first of a
    /// new row once the current one is full.
    pub fn cell(&mut self, text: &str) {
        self.text.push_str(text);
        self.end_cell();
    }

    /// Adds one cell whose text `write` writes in place (an address, a
    /// number), without a `String` of its own.
    pub fn cell_with(&mut self, write: impl FnOnce(&mut String) -> fmt::Result) {
        // Writing into a String cannot fail; a Display impl that fails
        // leaves what it wrote.
        let _ = write(&mut self.text);
        self.end_cell();
    }

    fn end_cell(&mut self) {
        let start = self.ends.last().copied().unwrap_or(0);
        let width = self.text.len() - start;
        if let Some(widest) = self.widths.get_mut(self.column) {
            *widest = (*widest).max(width);
        }
        self.column = if self.column + 1 == self.columns {
            0
        } else {
            self.column + 1
        };
        self.ends.push(self.text.len());
    }

    /// Whether every cell is one line of printable ASCII, so that
    /// [`Columns::write_to`] draws what comfy-table would.
    pub fn is_simple(&self) -> bool {
        // One pass over all the text (a cell's end is not in it): printable
        // ASCII is 0x20 (space) to 0x7e (`~`).
        self.text.bytes().all(|b| b.wrapping_sub(b' ') < 0x5f)
    }

    /// How wide the plain table is: the columns and two spaces between each.
    pub fn plain_width(&self) -> usize {
        self.widths.iter().sum::<usize>() + 2 * self.columns.saturating_sub(1)
    }

    /// How wide the [`Style::Tight`] table is: one space between columns.
    pub fn tight_width(&self) -> usize {
        self.widths.iter().sum::<usize>() + self.columns.saturating_sub(1)
    }

    /// The rows, the header first, each as its cells' texts.
    pub fn rows(&self) -> impl Iterator<Item = impl Iterator<Item = &str>> {
        self.ends
            .chunks(self.columns)
            .enumerate()
            .map(move |(r, ends)| {
                let mut start = if r == 0 {
                    0
                } else {
                    self.ends[r * self.columns - 1]
                };
                ends.iter().map(move |&end| {
                    let cell = &self.text[start..end];
                    start = end;
                    cell
                })
            })
    }

    /// Writes the table, one line per row, each ending in a newline. Only
    /// meant for a table that [`Columns::is_simple`]; another is written
    /// with the widths of its bytes.
    pub fn write_to(&self, out: &mut String, style: Style) {
        let line_width: usize = self.widths.iter().map(|w| w + 3).sum::<usize>() + 2;
        out.reserve(line_width * (self.ends.len() / self.columns.max(1) + 1));
        for (r, cells) in self.rows().enumerate() {
            match style {
                Style::Plain => self.plain_line(out, cells, 2),
                Style::Tight => self.plain_line(out, cells, 1),
                Style::Markdown => self.markdown_line(out, cells),
            }
            if r == 0 && style == Style::Markdown {
                self.markdown_rule(out);
            }
        }
    }

    /// `Proto  Recv-Q  ...`: each cell padded to its column's width plus
    /// `gap` spaces, and the spaces at the end of the line cut.
    fn plain_line<'a>(&self, out: &mut String, cells: impl Iterator<Item = &'a str>, gap: usize) {
        let start = out.len();
        for (cell, width) in cells.zip(&self.widths) {
            out.push_str(cell);
            spaces(out, width - cell.len() + gap);
        }
        let kept = out[start..].trim_end_matches(' ').len();
        out.truncate(start + kept);
        out.push('\n');
    }

    /// `| tcp   | 0      | ... |`
    fn markdown_line<'a>(&self, out: &mut String, cells: impl Iterator<Item = &'a str>) {
        out.push('|');
        for (cell, width) in cells.zip(&self.widths) {
            out.push(' ');
            out.push_str(cell);
            spaces(out, width - cell.len() + 1);
            out.push('|');
        }
        out.push('\n');
    }

    /// `|-------|--------|`: the rule under a Markdown header.
    fn markdown_rule(&self, out: &mut String) {
        out.push('|');
        for width in &self.widths {
            for _ in 0..width + 2 {
                out.push('-');
            }
            out.push('|');
        }
        out.push('\n');
    }
}

/// Appends `n` spaces.
fn spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let chunk = n.min(SPACES.len());
        out.push_str(&SPACES[..chunk]);
        n -= chunk;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    use comfy_table::{Cell, Table};
    use proptest::prelude::*;

    /// What the views drew before this module: comfy-table with netstat's
    /// look (or Markdown's), each line's trailing spaces cut.
    fn comfy(rows: &[Vec<String>], style: Style) -> String {
        let mut table = Table::new();
        table
            .load_style(comfy_table::presets::NOTHING)
            .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
            .set_header(rows[0].iter().map(Cell::new).collect::<Vec<_>>());
        for row in &rows[1..] {
            table.add_row(row.iter().map(Cell::new).collect::<Vec<_>>());
        }
        let gap = if style == Style::Tight { 1 } else { 2 };
        for column in table.column_iter_mut() {
            column.set_padding((0, gap));
        }
        if style == Style::Markdown {
            table.load_style(comfy_table::presets::ASCII_MARKDOWN);
            for column in table.column_iter_mut() {
                column.set_padding((1, 1));
            }
        }
        table.force_no_tty();
        let mut out = String::new();
        for line in table.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn streamed(rows: &[Vec<String>], style: Style) -> (String, bool) {
        let header: Vec<&str> = rows[0].iter().map(String::as_str).collect();
        let mut columns = Columns::new(&header, rows.len(), 16);
        for row in &rows[1..] {
            for text in row {
                columns.cell(text);
            }
        }
        let mut out = String::new();
        columns.write_to(&mut out, style);
        (out, columns.is_simple())
    }

    fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| row.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn netstat_rows_match_comfy_table() {
        let rows = table(&[
            &[
                "Proto",
                "Recv-Q",
                "Send-Q",
                "Local Address",
                "Foreign Address",
                "State",
                "PID/Program name",
            ],
            &[
                "tcp6",
                "0",
                "4096",
                "[::]:12000",
                "[::]:*",
                "LISTEN",
                "4242/sameport",
            ],
            &[
                "tcp6",
                "0",
                "0",
                "[2001:db8::17]:12000",
                "[2001:db8:ffff::1234]:65535",
                "ESTABLISHED",
                "4242/sameport",
            ],
            &[
                "tcp",
                "-",
                "-",
                "127.0.0.1:12000",
                "127.0.0.2:50426",
                "TIME_WAIT",
                "-",
            ],
            &["...", "...", "...", "...", "...", "...", "..."],
            &["udp", "0", "0", "0.0.0.0:12000", "0.0.0.0:*", "", "-"],
            &[
                "tcp",
                "123456",
                "0",
                "10.0.0.1:1",
                "10.0.0.2:2",
                "CLOSE_WAIT",
                "99999/a-program name",
            ],
        ]);
        for style in [Style::Plain, Style::Markdown] {
            let (text, simple) = streamed(&rows, style);
            assert!(simple);
            assert_eq!(text, comfy(&rows, style), "{style:?}");
        }
    }

    #[test]
    fn empty_cells_and_a_bare_header() {
        // A column whose cells are all empty is still one character wide, and
        // blank cells at the end of a line leave no trailing spaces.
        let rows = table(&[
            &["A", "", "C"],
            &["", "", ""],
            &["x", "", " "],
            &["", "yy", ""],
        ]);
        for style in [Style::Plain, Style::Markdown] {
            assert_eq!(streamed(&rows, style).0, comfy(&rows, style), "{style:?}");
        }
        let header_only = table(&[&["Proto", "State"]]);
        assert_eq!(streamed(&header_only, Style::Plain).0, "Proto  State\n");
    }

    #[test]
    fn text_that_is_not_plain_ascii_is_left_to_comfy_table() {
        for odd in ["größe", "two\nlines", "tab\there", "日本"] {
            let rows = table(&[&["A", "B"], &["1", odd]]);
            assert!(!streamed(&rows, Style::Plain).1, "{odd:?}");
        }
    }

    #[test]
    fn rows_give_back_every_cell() {
        let mut columns = Columns::new(&["a", "b"], 2, 4);
        columns.cell("1");
        columns.cell_with(|out| write!(out, "{}", 22));
        columns.cell("");
        columns.cell("4444");
        let rows: Vec<Vec<&str>> = columns.rows().map(Iterator::collect).collect();
        assert_eq!(rows, [["a", "b"], ["1", "22"], ["", "4444"]]);
    }

    proptest! {
        #[test]
        fn any_ascii_table_matches_comfy_table(
            columns in 1usize..6,
            cells in prop::collection::vec("[ -~]{0,12}", 0..60),
            style in prop::sample::select(vec![Style::Plain, Style::Tight, Style::Markdown]),
        ) {
            let header: Vec<String> = (0..columns).map(|c| format!("h{c}")).collect();
            let mut rows = vec![header];
            rows.extend(cells.chunks_exact(columns).map(<[String]>::to_vec));
            let (text, simple) = streamed(&rows, style);
            prop_assert!(simple);
            prop_assert_eq!(text, comfy(&rows, style));
        }
    }
}
