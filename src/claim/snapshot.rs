//! A snapshot: the sockets on one port at one moment, each with its role.
//!
//! The kernel's table says *what* each socket is (its two ends and its state);
//! a person reading it asks *which part it plays*. For a server on port P:
//!
//! | role       | how it is recognised                                   |
//! |------------|--------------------------------------------------------|
//! | `listener` | TCP, state LISTEN, local port P                        |
//! | `accepted` | TCP, ESTABLISHED, local port P: one per client         |
//! | `queued`   | the same, but no program has called `accept()` for it yet: the handshake is done and the connection waits in the listener's accept queue (on Linux such a socket has no inode yet) |
//! | `server`   | UDP, local port P, no remote end: the one UDP socket   |
//! | `client`   | ESTABLISHED (or connected UDP), remote port P: the client's own socket, the mirror image of an accepted one |
//! | `other`    | anything else on the port (TIME_WAIT, CLOSE_WAIT, ...) |
//!
//! The roles come from the table alone, so `inspect` can give them to the
//! sockets of a server sameport did not start.

use std::net::SocketAddr;

use serde::Serialize;

use crate::kernel::{KernelSocket, Note, Proto, SocketState, sort_sockets};

/// The part a socket plays for the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Listener,
    Server,
    Accepted,
    Queued,
    Client,
    Other,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Listener => "listener",
            Role::Server => "server",
            Role::Accepted => "accepted",
            Role::Queued => "queued",
            Role::Client => "client",
            Role::Other => "other",
        }
    }
}

/// One socket with its role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub socket: KernelSocket,
    pub role: Role,
}

/// The sockets on one port at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub port: u16,
    pub proto: Proto,
    /// Listeners first, then accepted sockets, clients and the rest.
    pub rows: Vec<Row>,
    /// What could not be read (shown once, next to the tables).
    pub notes: Vec<Note>,
    /// For UDP: the clients the server has received datagrams from. An
    /// unconnected UDP socket has no remote end in the table, so this is the
    /// only place the clients of a UDP server show up.
    pub peers: Vec<SocketAddr>,
    /// Whether `peers` is the server's own record (`serve`, `demo`): then
    /// every client that sent is in it, and none is missing for want of a
    /// row in the table.
    pub peers_counted: bool,
}

impl Snapshot {
    /// Gives every socket its role and puts the rows in reading order.
    pub fn new(port: u16, proto: Proto, mut sockets: Vec<KernelSocket>, notes: Vec<Note>) -> Self {
        // Sort by address (a no-op for a table read, which comes sorted), then
        // by role, keeping the address order within a role: listeners first,
        // then accepted sockets ... (The stable sort is linear here: each
        // role's rows are already in runs.)
        sort_sockets(&mut sockets);
        let inodes_known = sockets.iter().any(|s| s.inode.is_some());
        let mut rows: Vec<Row> = sockets
            .into_iter()
            .map(|socket| Row {
                role: queued_or(role_of(port, &socket), &socket, inodes_known),
                socket,
            })
            .collect();
        rows.sort_by_key(|row| row.role);
        Snapshot {
            port,
            proto,
            rows,
            notes,
            peers: Vec::new(),
            peers_counted: false,
        }
    }

    /// Adds the UDP clients the server saw (see [`Snapshot::peers`]).
    /// `None` when no server counted them (`inspect` reads only the table).
    pub fn with_peers(mut self, peers: Option<Vec<SocketAddr>>) -> Self {
        self.peers_counted = peers.is_some();
        self.peers = peers.unwrap_or_default();
        self
    }

    /// The rows with this role.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(move |row| row.role == role)
    }
}

/// An "accepted" socket without an inode, where the OS reports inodes, has
/// not been accepted by any program yet: the kernel creates the socket's file
/// (and its inode) only when `accept()` hands it out.
fn queued_or(role: Role, socket: &KernelSocket, inodes_known: bool) -> Role {
    if role == Role::Accepted && inodes_known && socket.inode.is_none() {
        Role::Queued
    } else {
        role
    }
}

/// The role of one socket for port `port` (see the module docs).
pub fn role_of(port: u16, socket: &KernelSocket) -> Role {
    let local_on_port = socket.local.port() == port;
    let remote_on_port = socket.remote.is_some_and(|r| r.port() == port);
    let established = socket.state == SocketState::Established;
    match socket.proto {
        Proto::Tcp if socket.state == SocketState::Listen && local_on_port => Role::Listener,
        Proto::Tcp if established && local_on_port && socket.remote.is_some() => Role::Accepted,
        Proto::Udp if local_on_port && socket.remote.is_none() => Role::Server,
        _ if established && remote_on_port && !local_on_port => Role::Client,
        _ => Role::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{accepted, client, listener, tcp};

    #[test]
    fn roles_follow_the_ports_and_the_state() {
        assert_eq!(role_of(12000, &listener("0.0.0.0:12000")), Role::Listener);
        assert_eq!(
            role_of(12000, &accepted("127.0.0.1:12000", "127.0.0.2:50426")),
            Role::Accepted
        );
        assert_eq!(
            role_of(12000, &client("127.0.0.2:50426", "127.0.0.1:12000")),
            Role::Client
        );
        let time_wait = tcp(
            "127.0.0.1:12000",
            Some("127.0.0.2:50426"),
            SocketState::TimeWait,
        );
        assert_eq!(role_of(12000, &time_wait), Role::Other);
        // A listener on another port is not this port's listener.
        assert_eq!(role_of(12000, &listener("0.0.0.0:8080")), Role::Other);
    }

    #[test]
    fn a_connection_nobody_accepted_yet_is_queued() {
        let mut waiting = accepted("127.0.0.1:12000", "127.0.0.3:50427");
        waiting.inode = None;
        waiting.holders.clear();
        let snapshot = Snapshot::new(
            12000,
            Proto::Tcp,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                waiting.clone(),
            ],
            vec![],
        );
        let roles: Vec<Role> = snapshot.rows.iter().map(|r| r.role).collect();
        assert_eq!(roles, [Role::Listener, Role::Accepted, Role::Queued]);
        let verdict = crate::claim::verdict::judge(&snapshot);
        assert_eq!((verdict.accepted, verdict.queued), (1, 1));
        assert!(
            verdict
                .explanation(crate::lang::Lang::En, &|a| a.to_string())
                .contains("waits in the accept queue")
        );
        // Where the OS reports no inodes at all, nothing can be told apart.
        let mut no_inodes = vec![listener("0.0.0.0:12000"), waiting];
        no_inodes[0].inode = None;
        let snapshot = Snapshot::new(12000, Proto::Tcp, no_inodes, vec![]);
        assert_eq!(snapshot.rows[1].role, Role::Accepted);
    }

    #[test]
    fn rows_are_listener_first_then_accepted_in_address_order() {
        let snapshot = Snapshot::new(
            12000,
            Proto::Tcp,
            vec![
                accepted("127.0.0.1:12000", "127.0.0.3:50427"),
                client("127.0.0.2:50426", "127.0.0.1:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                listener("0.0.0.0:12000"),
            ],
            vec![],
        );
        let roles: Vec<Role> = snapshot.rows.iter().map(|r| r.role).collect();
        assert_eq!(
            roles,
            [Role::Listener, Role::Accepted, Role::Accepted, Role::Client]
        );
        assert_eq!(
            snapshot.rows[1].socket.remote.unwrap().to_string(),
            "127.0.0.2:50426"
        );
    }
}
