//! The `lsof -i` view: one row per process holding a socket.
//!
//! ```text
//! COMMAND   PID   USER  FD  TYPE  DEVICE  SIZE/OFF  NODE  NAME
//! sameport  4242  ada   3u  IPv6  81231   0t0       TCP   *:12000 (LISTEN)
//! sameport  4242  ada   5u  IPv6  81240   0t0       TCP   127.0.0.1:12000->127.0.0.2:50426 (ESTABLISHED)
//! ```
//!
//! Here every socket is a separate open file of the server process: its own fd
//! and its own DEVICE (on Linux, lsof prints the socket's inode there), yet
//! every NAME starts with the same `:12000`. A socket held by several processes
//! (a pre-forked server's listener) has one row per holder.
//!
//! lsof lists open files, so a socket that no process holds has no row here,
//! as in lsof itself: a connection in TIME_WAIT (the program closed it; the
//! kernel keeps its name a while so stray segments find nothing) and one that
//! waits in the accept queue (the handshake is done, no program has accepted
//! it yet). The netstat view lists them, as netstat does, and the text under
//! this table says how many were left out ([`left_out`]).

use comfy_table::{Cell, Table};

use super::table::{DIFFERING, SHARED, build_table, cell, or_dash};
use crate::claim::snapshot::{Role, Row};
use crate::kernel::{Holder, KernelSocket, Proto};
use crate::view::labels::Labels;

const HEADER: [&str; 9] = [
    "COMMAND", "PID", "USER", "FD", "TYPE", "DEVICE", "SIZE/OFF", "NODE", "NAME",
];

/// The columns left out when the table is too wide for the terminal:
/// SIZE/OFF (a socket's is always `0t0`), then DEVICE.
pub const EXPENDABLE: [usize; 2] = [6, 5];

/// The table for `rows`; `cut` rows were left out after the first half.
pub fn table(rows: &[&Row], cut: usize, color: bool, labels: &Labels) -> Table {
    build_table(&HEADER, rows, cut, color, |row| {
        row.socket
            .holders
            .iter()
            .map(|h| cells(row, h, color, labels))
            .collect()
    })
}

/// How many of `rows` have no row in this view: sockets no process holds.
pub fn left_out(rows: &[&Row]) -> usize {
    rows.iter().filter(|r| r.socket.holders.is_empty()).count()
}

fn cells(row: &Row, holder: &Holder, color: bool, labels: &Labels) -> Vec<Cell> {
    let s = &row.socket;
    let highlight = match row.role {
        Role::Accepted if color => Some(DIFFERING),
        Role::Listener | Role::Server if color => Some(SHARED),
        _ => None,
    };
    vec![
        Cell::new(holder.process.as_deref().unwrap_or("-")),
        Cell::new(or_dash(labels.pid(holder))),
        Cell::new(or_dash(labels.user(holder.user.as_deref()))),
        // `u`: the socket is open for reading and writing, as every socket is.
        Cell::new(or_dash(labels.fd(holder).map(|fd| format!("{fd}u")))),
        Cell::new(if s.is_ipv6() { "IPv6" } else { "IPv4" }),
        Cell::new(or_dash(labels.inode(s.inode))),
        // A socket has no file offset: lsof always prints 0t0 ("offset 0").
        Cell::new("0t0"),
        Cell::new(s.proto.to_string()),
        cell(name(s, labels), highlight),
    ]
}

/// `local->remote (STATE)`, with `*` for a wildcard local address, as lsof writes it.
fn name(socket: &KernelSocket, labels: &Labels) -> String {
    let local = if socket.local.ip().is_unspecified() {
        format!("*:{}", socket.local.port())
    } else {
        labels.addr(socket.local)
    };
    let ends = match socket.remote {
        Some(remote) => format!("{local}->{}", labels.addr(remote)),
        None => local,
    };
    // UDP has no connection state; lsof prints none.
    match socket.proto {
        Proto::Tcp => format!("{ends} ({})", socket.state),
        Proto::Udp => ends,
    }
}
