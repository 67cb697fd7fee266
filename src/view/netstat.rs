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

use comfy_table::{Cell, Table};

use super::table::{DIFFERING, SHARED, build_table, cell, or_dash};
use crate::claim::snapshot::{Role, Row};
use crate::kernel::{KernelSocket, Proto, SocketState};
use crate::view::labels::Labels;

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

/// The table for `rows`; `cut` rows were left out after the first half.
pub fn table(rows: &[&Row], cut: usize, color: bool, labels: &Labels) -> Table {
    build_table(&HEADER, rows, cut, color, |row| {
        vec![cells(row, color, labels)]
    })
}

fn cells(row: &Row, color: bool, labels: &Labels) -> Vec<Cell> {
    let s = &row.socket;
    let on_port = matches!(row.role, Role::Listener | Role::Accepted | Role::Server);
    let shared = (color && on_port).then_some(SHARED);
    let differing = (color && row.role == Role::Accepted).then_some(DIFFERING);
    vec![
        Cell::new(s.proto.netstat_name(s.is_ipv6())),
        Cell::new(or_dash(s.recv_q.map(|q| q.to_string()))),
        Cell::new(or_dash(s.send_q.map(|q| q.to_string()))),
        cell(labels.addr(s.local), shared),
        cell(labels.remote(s), differing),
        Cell::new(state(s)),
        Cell::new(program(s, labels)),
    ]
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
fn program(socket: &KernelSocket, labels: &Labels) -> String {
    let holder = socket.holders.first();
    match holder.and_then(|h| Some((labels.pid(h)?, h))) {
        Some((pid, holder)) => format!("{pid}/{}", holder.process.as_deref().unwrap_or("-")),
        None => "-".to_string(),
    }
}
