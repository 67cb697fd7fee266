//! Writing a snapshot and its verdict for people and for programs.
//!
//! Every function here is pure: it takes a [`Snapshot`], a [`Verdict`] and the
//! [`Labels`] that say how to write values, and returns text. Nothing here
//! touches a socket, so the views are tested on hand-built rows.
//!
//! * [`netstat`]: the columns of `netstat -tanp`, one row per socket;
//! * [`lsof`]: the columns of `lsof -i`, one row per process holding a socket;
//! * [`json`]: one JSON object per snapshot, documented in `docs/output.md`.
//!
//! A table with more rows than `--max-rows` is cut to its first and last rows,
//! after a summary of what the cut rows hold (JSON always has every row). The
//! netstat table, which can be asked for whole, is written by [`columns`]
//! (padded in two passes, as fast as `ss` prints); comfy-table draws the rest.

pub mod capture;
pub mod columns;
pub mod json;
pub mod labels;
pub mod lsof;
pub mod mermaid;
pub mod netstat;
pub mod report;

use std::collections::{BTreeMap, HashSet};

use crate::kernel::{Proto, SocketState, addr_key};

use comfy_table::{Cell, Color, Table};

use crate::claim::snapshot::{Role, Row, Snapshot};
use crate::claim::verdict::{Outcome, Verdict};
use crate::view::labels::Labels;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables and a verdict, for people.
    Table,
    /// One JSON object per snapshot, one per line.
    Json,
    /// GitHub-flavoured Markdown tables, for lecture notes.
    Markdown,
    /// A Mermaid diagram (renders on GitHub): clients, the one port, the sockets.
    Mermaid,
}

/// Which table(s) to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// `netstat -tanp`: one row per socket.
    Netstat,
    /// `lsof -i`: one row per process holding a socket.
    Lsof,
    /// Both tables.
    Both,
}

/// How to draw the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableOptions {
    pub view: ViewKind,
    /// Colour the shared port and the differing remote ends (only on a terminal
    /// and when NO_COLOR is unset; the caller decides).
    pub color: bool,
    /// More rows than this are summarised.
    pub max_rows: usize,
    /// GitHub-flavoured Markdown tables instead of netstat's plain columns.
    pub markdown: bool,
}

/// The colour of the column every accepted socket shares.
const SHARED: Color = Color::Green;
/// The colour of the column that tells them apart.
const DIFFERING: Color = Color::Yellow;

/// The tables and the verdict, as text ending in a newline.
pub fn tables(
    snapshot: &Snapshot,
    verdict: &Verdict,
    options: &TableOptions,
    labels: &Labels,
) -> String {
    let mut out = socket_tables(snapshot, options, labels);
    out.push_str(&verdict_line(verdict, labels, options.color));
    out.push('\n');
    out
}

/// The tables alone (with the summary of a long table, and the notes).
pub fn socket_tables(snapshot: &Snapshot, options: &TableOptions, labels: &Labels) -> String {
    let mut out = String::new();
    let (shown, cut) = rows_to_show(&snapshot.rows, options.max_rows);
    if cut > 0 {
        out.push_str(&summary(snapshot));
        let head = shown.len().div_ceil(2);
        out.push_str(&format!(
            "Showing the first {head} and last {} rows; {cut} rows in between are left out \
             (raise --max-rows to see them, or use --format json for every row).\n",
            shown.len() - head
        ));
    }
    if matches!(options.view, ViewKind::Netstat | ViewKind::Both) {
        // netstat's own flags: -t for TCP, -u for UDP.
        let title = match snapshot.proto {
            Proto::Tcp => "netstat -tanp view (one row per socket)",
            Proto::Udp => "netstat -uanp view (one row per socket)",
        };
        netstat::push(&mut out, title, &shown, cut, options, labels);
    }
    if matches!(options.view, ViewKind::Lsof | ViewKind::Both) {
        let mut table = lsof::table(&shown, cut, options.color, labels);
        markdown_style(&mut table, options.markdown);
        push_table(
            &mut out,
            "lsof -i view (one row per process holding a socket)",
            &table,
        );
    }
    for note in &snapshot.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

/// What the clients' own sockets show: each has its own local port, and all
/// point at the server's one port.
pub fn mirror_line(snapshot: &Snapshot) -> String {
    let clients: Vec<&Row> = snapshot.with_role(Role::Client).collect();
    let local_ends: HashSet<_> = clients.iter().map(|r| r.socket.local).collect();
    let ports: Vec<String> = clients
        .iter()
        .take(8)
        .map(|r| r.socket.local.port().to_string())
        .collect();
    let more = clients.len().saturating_sub(8);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let n = clients.len();
    let mirror = match snapshot.proto {
        Proto::Tcp => "the mirror image of the server's accepted sockets",
        Proto::Udp => "all sending to the server's one socket",
    };
    format!(
        "{n} client socket{}, {} distinct local end{} (port{} {}{more}), every one with remote port {}: {mirror}.\n",
        plural(n),
        local_ends.len(),
        plural(local_ends.len()),
        plural(n),
        ports.join(", "),
        snapshot.port
    )
}

/// `Verdict: HOLDS. 3 accepted sockets ...`
pub fn verdict_line(verdict: &Verdict, labels: &Labels, color: bool) -> String {
    let word = outcome_word(verdict.outcome);
    let word = if color {
        let code = match verdict.outcome {
            Outcome::Holds => "32",
            Outcome::Fails => "31",
            Outcome::NotEnoughEvidence => "33",
        };
        format!("\x1b[1;{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    };
    format!(
        "Verdict: {word}. {}",
        verdict.explanation(&|a| labels.addr(a))
    )
}

/// The one-word outcome: HOLDS, FAILS, NOT ENOUGH EVIDENCE.
pub fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Holds => "HOLDS",
        Outcome::Fails => "FAILS",
        Outcome::NotEnoughEvidence => "NOT ENOUGH EVIDENCE",
    }
}

/// Switches a table to GitHub Markdown (`| a | b |` with a header rule).
fn markdown_style(table: &mut Table, markdown: bool) {
    if markdown {
        table.load_style(comfy_table::presets::ASCII_MARKDOWN);
        for column in table.column_iter_mut() {
            column.set_padding((1, 1));
        }
    }
}

fn push_table(out: &mut String, title: &str, table: &Table) {
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

/// [`push_table`] for a table streamed by [`columns::Columns`]: the same text.
fn push_columns(out: &mut String, title: &str, columns: &columns::Columns, style: columns::Style) {
    let markdown = style == columns::Style::Markdown;
    out.push_str(title);
    out.push_str(if markdown { ":\n\n" } else { ":\n" });
    columns.write_to(out, style);
    if markdown {
        out.push('\n');
    }
}

/// The rows to draw: all of them, or the first and last few when there are
/// more than `max_rows`; and how many were cut.
fn rows_to_show(rows: &[Row], max_rows: usize) -> (Vec<&Row>, usize) {
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

/// A few lines that say what a long table holds: counts per state and role,
/// and how many distinct remote addresses and ends.
fn summary(snapshot: &Snapshot) -> String {
    let mut states: BTreeMap<SocketState, usize> = BTreeMap::new();
    let mut roles: BTreeMap<Role, usize> = BTreeMap::new();
    let mut remote_ends = Vec::with_capacity(snapshot.rows.len());
    for row in &snapshot.rows {
        *states.entry(row.socket.state).or_default() += 1;
        *roles.entry(row.role).or_default() += 1;
        remote_ends.extend(row.socket.remote.map(addr_key));
    }
    remote_ends.sort_unstable();
    remote_ends.dedup();
    let mut remote_ips: Vec<u128> = remote_ends.iter().map(|&(ip, _)| ip).collect();
    remote_ips.dedup(); // sorted by IP already
    let states: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let roles: Vec<String> = roles
        .iter()
        .map(|(r, n)| format!("{n} {}", r.name()))
        .collect();
    format!(
        "{} sockets on {} port {}: {} (roles: {}); {} distinct remote addresses, {} distinct remote (address, port) pairs.\n",
        snapshot.rows.len(),
        snapshot.proto,
        snapshot.port,
        states.join(", "),
        roles.join(", "),
        remote_ips.len(),
        remote_ends.len(),
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A table with netstat's look: no borders, columns padded.
fn new_table(header: &[&str]) -> Table {
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
fn cell(text: String, color: Option<Color>) -> Cell {
    match color {
        Some(c) => Cell::new(text).fg(c),
        None => Cell::new(text),
    }
}

/// Forces comfy-table to emit (or not emit) colour codes, whatever the
/// terminal: the caller already decided.
fn apply_color_choice(table: &mut Table, color: bool) {
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
}

/// A table with `header` and, for each row, the lines `lines(row)` gives
/// (netstat: one per socket; lsof: one per holder), with the cut marker
/// where a long table leaves rows out (`cut` rows after the first half).
fn build_table(
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
fn cut_marker(columns: usize) -> Vec<Cell> {
    vec![Cell::new("..."); columns]
}

/// `-` for a value this OS could not give.
fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

/// Bytes as a quoted string, invalid UTF-8 and control characters escaped.
pub fn show(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::verdict::judge;
    use crate::testing::{accepted, listener, snapshot};

    fn three_clients() -> Snapshot {
        snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.3:50427"),
                accepted("127.0.0.1:12000", "127.0.0.4:50428"),
            ],
        )
    }

    fn options(view: ViewKind, max_rows: usize) -> TableOptions {
        TableOptions {
            view,
            color: false,
            max_rows,
            markdown: false,
        }
    }

    #[test]
    fn both_tables_and_the_verdict() {
        let snap = three_clients();
        let text = tables(
            &snap,
            &judge(&snap),
            &options(ViewKind::Both, 50),
            &Labels::plain(),
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn long_tables_are_summarised() {
        let mut sockets = vec![listener("0.0.0.0:12000")];
        for i in 0..60 {
            sockets.push(accepted(
                "127.0.0.1:12000",
                &format!("127.0.0.{}:{}", 2 + i % 3, 50000 + i),
            ));
        }
        let snap = snapshot(12000, sockets);
        let text = tables(
            &snap,
            &judge(&snap),
            &options(ViewKind::Netstat, 6),
            &Labels::plain(),
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn colour_codes_only_when_asked() {
        let snap = three_clients();
        let verdict = judge(&snap);
        let plain = tables(
            &snap,
            &verdict,
            &options(ViewKind::Both, 50),
            &Labels::plain(),
        );
        assert!(!plain.contains('\x1b'));
        let mut coloured = options(ViewKind::Both, 50);
        coloured.color = true;
        assert!(tables(&snap, &verdict, &coloured, &Labels::plain()).contains('\x1b'));
    }
}
