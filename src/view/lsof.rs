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
//! (a pre-forked server's listener) has one row per holder; a socket no process
//! holds (TIME_WAIT) has one row of `-`, which lsof itself would not list.

use comfy_table::{Cell, Table};

use super::{DIFFERING, SHARED, build_table, cell, or_dash};
use crate::claim::snapshot::{Role, Row};
use crate::kernel::{Holder, KernelSocket, Proto};
use crate::view::labels::Labels;

const HEADER: [&str; 9] = [
    "COMMAND", "PID", "USER", "FD", "TYPE", "DEVICE", "SIZE/OFF", "NODE", "NAME",
];

/// The table for `rows`; `cut` rows were left out after the first half.
pub fn table(rows: &[&Row], cut: usize, color: bool, labels: &Labels) -> Table {
    build_table(&HEADER, rows, cut, color, |row| {
        if row.socket.holders.is_empty() {
            vec![cells(row, None, color, labels)]
        } else {
            row.socket
                .holders
                .iter()
                .map(|h| cells(row, Some(h), color, labels))
                .collect()
        }
    })
}

fn cells(row: &Row, holder: Option<&Holder>, color: bool, labels: &Labels) -> Vec<Cell> {
    let s = &row.socket;
    let highlight = match row.role {
        Role::Accepted if color => Some(DIFFERING),
        Role::Listener | Role::Server if color => Some(SHARED),
        _ => None,
    };
    vec![
        Cell::new(holder.and_then(|h| h.process.as_deref()).unwrap_or("-")),
        Cell::new(or_dash(holder.and_then(|h| labels.pid(h)))),
        Cell::new(or_dash(holder.and_then(|h| labels.user(h.user.as_deref())))),
        // `u`: the socket is open for reading and writing, as every socket is.
        Cell::new(or_dash(
            holder.and_then(|h| labels.fd(h)).map(|fd| format!("{fd}u")),
        )),
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
