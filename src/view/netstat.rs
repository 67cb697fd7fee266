//! The `netstat -tanp` view: one row per socket.
//!
//! ```text
//! Proto  Recv-Q  Send-Q  Local Address    Foreign Address  State        PID/Program name
//! tcp6   0       4096    [::]:12000       [::]:*           LISTEN       4242/sameport
//! tcp6   0       0       127.0.0.1:12000  127.0.0.2:50426  ESTABLISHED  4242/sameport
//! ```
//!
//! Read down the *Local Address* column: every server-side socket ends in
//! `:12000`. Read down *Foreign Address*: each is different. That is the claim.
//!
//! Recv-Q and Send-Q are the kernel's numbers (as `ss` reports them): for a
//! connection, bytes not yet read by the program and bytes not yet
//! acknowledged by the peer; for a listener, connections waiting to be
//! accepted and the backlog limit.

use std::fmt::Write;
use std::net::SocketAddr;

use comfy_table::{Color, Table};

use super::columns::{Columns, Style};
use super::options::TableOptions;
use super::table::{
    DIFFERING, Fit, SHARED, apply_color_choice, cell, fit, markdown_style, new_table, push_columns,
    push_table,
};
use crate::claim::snapshot::{Role, Row};
use crate::kernel::{KernelSocket, Proto, SocketState};
use crate::view::labels::{Labels, LastText, write_number};

const HEADER: [&str; 7] = [
    "Proto",
    "Recv-Q",
    "Send-Q",
    "Local Address",
    "Foreign Address",
    "State",
    "PID/Program name",
];

/// Recv-Q and Send-Q: the columns left out first when the table must fit a
/// narrow terminal (they are zero on an idle echo server; the claim is read
/// from the addresses).
pub const QUEUE_COLUMNS: [usize; 2] = [1, 2];

/// About how many bytes the cells of one row take (to size the buffer once).
const ROW_BYTES: usize = 80;

/// Writes the table for `rows` under `title` into `out`; `cut` rows were
/// left out after the first half.
///
/// The cells are written once, into [`Columns`]; a plain table is then
/// streamed from them, with one space between columns if two do not fit.
/// comfy-table draws only what needs its features: colours, names that are
/// not plain ASCII, and a table too wide even with one space, which it draws
/// without [`QUEUE_COLUMNS`]. Returns what fitting did.
pub fn push(
    out: &mut String,
    title: &str,
    rows: &[&Row],
    cut: usize,
    options: &TableOptions,
    labels: &Labels,
) -> Fit {
    let columns = columns(rows, cut, labels);
    let streamed = if options.color || !columns.is_simple() {
        None
    } else if options.markdown {
        Some((Style::Markdown, Fit::AsBuilt))
    } else if columns.plain_width() <= options.width {
        Some((Style::Plain, Fit::AsBuilt))
    } else if columns.tight_width() <= options.width {
        Some((Style::Tight, Fit::Closer))
    } else {
        None
    };
    match streamed {
        Some((style, fitted)) => {
            push_columns(out, title, &columns, style);
            fitted
        }
        None => {
            let mut table = comfy(&columns, rows, cut, options.color);
            markdown_style(&mut table, options.markdown);
            let fitted = fit(&mut table, options, &QUEUE_COLUMNS);
            push_table(out, title, &table);
            fitted
        }
    }
}

/// The cells of the table: the header, then one row per socket, with the
/// cut marker in place of the rows left out.
fn columns(rows: &[&Row], cut: usize, labels: &Labels) -> Columns {
    let mut columns = Columns::new(&HEADER, rows.len() + 1, ROW_BYTES);
    let mut last_local = LastText::default();
    for line in lines(rows, cut) {
        match line {
            Some(row) => cells(&mut columns, &row.socket, labels, &mut last_local),
            None => {
                for _ in HEADER {
                    columns.cell("...");
                }
            }
        }
    }
    columns
}

/// The table's lines in order: `Some(row)` for a socket, `None` for the
/// marker standing for the `cut` rows left out after the first half (the
/// summary above the table says how many).
fn lines<'a>(rows: &'a [&'a Row], cut: usize) -> impl Iterator<Item = Option<&'a Row>> {
    let head = rows.len().div_ceil(2);
    // (With no row after the first half, as `--max-rows 1` leaves, no marker.)
    let marker = (cut > 0 && head < rows.len()).then_some(None);
    let rows = rows.iter().map(|row| Some(*row));
    rows.clone().take(head).chain(marker).chain(rows.skip(head))
}

/// One row's cells. `last_local` keeps the text of the last local end: on a
/// server's table it is the same on every row.
fn cells(
    columns: &mut Columns,
    s: &KernelSocket,
    labels: &Labels,
    last_local: &mut LastText<SocketAddr>,
) {
    columns.cell(s.proto.netstat_name(s.is_ipv6()));
    columns.cell_with(|out| queue(out, s.recv_q));
    columns.cell_with(|out| queue(out, s.send_q));
    columns
        .cell_with(|out| last_local.write(s.local, out, |text| labels.write_addr(text, s.local)));
    columns.cell_with(|out| labels.write_remote(out, s));
    columns.cell(state(s));
    columns.cell_with(|out| program(out, s, labels));
}

/// The colours of a row's cells: the shared local end and the differing
/// remote end stand out.
fn colours(row: &Row, color: bool) -> [Option<Color>; HEADER.len()] {
    let on_port = matches!(row.role, Role::Listener | Role::Accepted | Role::Server);
    let shared = (color && on_port).then_some(SHARED);
    let differing = (color && row.role == Role::Accepted).then_some(DIFFERING);
    [None, None, None, shared, differing, None, None]
}

/// The table drawn by comfy-table, from the same cells, coloured when `color`.
fn comfy(columns: &Columns, rows: &[&Row], cut: usize, color: bool) -> Table {
    let mut table = new_table(&HEADER);
    apply_color_choice(&mut table, color);
    for (texts, line) in columns.rows().skip(1).zip(lines(rows, cut)) {
        let colours = line.map_or([None; HEADER.len()], |row| colours(row, color));
        let row: Vec<_> = texts
            .zip(colours)
            .map(|(text, colour)| cell(text.to_string(), colour))
            .collect();
        table.add_row(row);
    }
    table
}

/// A queue size, or `-` where the OS does not say.
fn queue(out: &mut String, size: Option<u32>) -> std::fmt::Result {
    match size {
        Some(size) => write_number(out, size.into()),
        None => out.write_str("-"),
    }
}

/// netstat leaves the state of an unconnected UDP socket blank.
fn state(socket: &KernelSocket) -> &'static str {
    match (socket.proto, socket.state) {
        (Proto::Udp, SocketState::Unconnected) => "",
        (_, state) => state.name(),
    }
}

/// `PID/name` of the first holder, as netstat prints it; `-` when no process
/// holds the socket (TIME_WAIT), it could not be found, or the OS gave no
/// real PID (0): never `0/-`.
fn program(out: &mut String, socket: &KernelSocket, labels: &Labels) -> std::fmt::Result {
    let known = socket.holders.first().filter(|h| labels.pid(h).is_some());
    match known {
        Some(holder) => {
            labels.write_pid(out, holder)?;
            out.push('/');
            out.write_str(holder.process.as_deref().unwrap_or("-"))
        }
        None => out.write_str("-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{accepted, listener, snapshot, tcp, udp};

    /// Sockets of every shape the columns meet: IPv4 and IPv6 ends of
    /// different lengths, queues the OS did not give (`-`), no holder (`-`),
    /// a holder without a name, a UDP socket with its blank state.
    fn varied() -> Vec<Row> {
        let mut time_wait = tcp(
            "127.0.0.1:12000",
            Some("127.0.0.2:50426"),
            SocketState::TimeWait,
        );
        time_wait.holders.clear();
        time_wait.recv_q = None;
        time_wait.send_q = None;
        let mut nameless = accepted("[2001:db8::17]:12000", "[2001:db8:ffff::1234]:65535");
        nameless.holders[0].process = None;
        nameless.holders[0].pid = 1;
        let mut busy = accepted("10.0.0.1:12000", "10.0.0.2:1");
        busy.recv_q = Some(4_294_967_295);
        let sockets = vec![
            listener("[::]:12000"),
            accepted("127.0.0.1:12000", "127.0.0.3:50427"),
            nameless,
            busy,
            time_wait,
        ];
        let mut rows = snapshot(12000, sockets).rows;
        rows.extend(snapshot(12000, vec![udp("0.0.0.0:12000", None)]).rows);
        rows
    }

    fn pushed(rows: &[&Row], cut: usize, markdown: bool, labels: &Labels) -> String {
        let options = TableOptions {
            view: super::super::ViewKind::Netstat,
            color: false,
            max_rows: 50,
            markdown,
            width: usize::MAX,
        };
        let mut out = String::new();
        push(&mut out, "title", rows, cut, &options, labels);
        out
    }

    /// What comfy-table draws from the same cells, as the view did before
    /// it streamed its columns.
    fn drawn(rows: &[&Row], cut: usize, markdown: bool, labels: &Labels) -> String {
        let mut table = comfy(&columns(rows, cut, labels), rows, cut, false);
        markdown_style(&mut table, markdown);
        let mut out = String::new();
        push_table(&mut out, "title", &table);
        out
    }

    #[test]
    fn streamed_table_equals_comfy_table() {
        let rows = varied();
        let rows: Vec<&Row> = rows.iter().collect();
        for labels in [
            Labels::plain(),
            Labels::new(true, false),
            Labels::new(false, true),
        ] {
            for markdown in [false, true] {
                for cut in [0, 7] {
                    assert_eq!(
                        pushed(&rows, cut, markdown, &labels),
                        drawn(&rows, cut, markdown, &labels),
                        "markdown {markdown}, cut {cut}"
                    );
                }
            }
        }
        let expected = "\
title:
Proto  Recv-Q      Send-Q  Local Address         Foreign Address              State        PID/Program name
tcp6   0           0       [::]:12000            [::]:*                       LISTEN       4242/sameport
tcp    4294967295  0       10.0.0.1:12000        10.0.0.2:1                   ESTABLISHED  4242/sameport
tcp    0           0       127.0.0.1:12000       127.0.0.3:50427              ESTABLISHED  4242/sameport
...    ...         ...     ...                   ...                          ...          ...
tcp6   0           0       [2001:db8::17]:12000  [2001:db8:ffff::1234]:65535  ESTABLISHED  1/-
tcp    -           -       127.0.0.1:12000       127.0.0.2:50426              TIME_WAIT    -
udp    0           0       0.0.0.0:12000         0.0.0.0:*                                 4242/sameport
";
        assert_eq!(pushed(&rows, 7, false, &Labels::plain()), expected);
    }

    #[test]
    fn a_name_that_is_not_ascii_is_drawn_by_comfy_table() {
        let mut socket = accepted("127.0.0.1:12000", "127.0.0.2:50426");
        socket.holders[0].process = Some("서버".into());
        let rows = snapshot(12000, vec![listener("0.0.0.0:12000"), socket]).rows;
        let rows: Vec<&Row> = rows.iter().collect();
        let text = pushed(&rows, 0, false, &Labels::plain());
        assert_eq!(text, drawn(&rows, 0, false, &Labels::plain()));
        assert!(text.contains("4242/서버\n"));
    }

    /// What this view drew before it streamed its columns: comfy-table, with
    /// a `String` per cell.
    fn before(rows: &[&Row], cut: usize, options: &TableOptions, labels: &Labels) -> String {
        use super::super::table::{build_table, or_dash};
        use comfy_table::Cell;

        let color = options.color;
        let mut table = build_table(&HEADER, rows, cut, color, |row| {
            let s = &row.socket;
            let on_port = matches!(row.role, Role::Listener | Role::Accepted | Role::Server);
            let shared = (color && on_port).then_some(SHARED);
            let differing = (color && row.role == Role::Accepted).then_some(DIFFERING);
            let program = match s.holders.first().and_then(|h| Some((labels.pid(h)?, h))) {
                Some((pid, h)) => format!("{pid}/{}", h.process.as_deref().unwrap_or("-")),
                None => "-".to_string(),
            };
            vec![vec![
                Cell::new(s.proto.netstat_name(s.is_ipv6())),
                Cell::new(or_dash(s.recv_q.map(|q| q.to_string()))),
                Cell::new(or_dash(s.send_q.map(|q| q.to_string()))),
                cell(labels.addr(s.local), shared),
                cell(labels.remote(s), differing),
                Cell::new(state(s)),
                Cell::new(program),
            ]]
        });
        markdown_style(&mut table, options.markdown);
        let mut out = String::new();
        push_table(&mut out, "title", &table);
        out
    }

    use proptest::prelude::*;

    proptest! {
        /// Any table, any look, any way of labelling: the same text as before.
        #[test]
        fn the_same_text_as_comfy_table_drew(
            mut snap in crate::properties::snapshot(),
            names in prop::collection::vec(proptest::option::of(prop_oneof![
                Just("sameport".to_string()),
                Just("a-much-longer-program-name".to_string()),
                Just("서버".to_string()),
                Just("two\nlines".to_string()),
                Just(String::new()),
            ]), 1..3),
            queues in prop::collection::vec(proptest::option::of(0u32..100_000), 1..4),
            cut in 0usize..3,
            color: bool,
            markdown: bool,
            redact: bool,
            stable: bool,
        ) {
            for (i, row) in snap.rows.iter_mut().enumerate() {
                row.socket.send_q = queues[i % queues.len()];
                for h in &mut row.socket.holders {
                    h.process = names[i % names.len()].clone().map(Into::into);
                    h.label = (i % 2 == 0).then(|| format!("client-{i}"));
                }
            }
            let rows: Vec<&Row> = snap.rows.iter().collect();
            let options = TableOptions {
                width: usize::MAX,
                view: super::super::ViewKind::Netstat,
                color,
                max_rows: 50,
                markdown,
            };
            let (now, then) = (Labels::new(redact, stable), Labels::new(redact, stable));
            let mut text = String::new();
            push(&mut text, "title", &rows, cut, &options, &now);
            prop_assert_eq!(text, before(&rows, cut, &options, &then));
        }
    }
}
