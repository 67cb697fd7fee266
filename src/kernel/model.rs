//! The socket-table model: what one entry of the kernel's table says.
//!
//! These are plain values, the same on every OS. The readers in
//! [`super::linux`], [`super::portable`] and [`super::other`] fill them in;
//! the rest of sameport only reads them.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use serde::Serialize;

/// The transport protocol of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    /// The name netstat prints in its `Proto` column (`tcp6` for IPv6 sockets).
    pub fn netstat_name(self, ipv6: bool) -> &'static str {
        match (self, ipv6) {
            (Proto::Tcp, false) => "tcp",
            (Proto::Tcp, true) => "tcp6",
            (Proto::Udp, false) => "udp",
            (Proto::Udp, true) => "udp6",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
        })
    }
}

impl From<Proto> for crate::lang::Transport {
    fn from(proto: Proto) -> Self {
        match proto {
            Proto::Tcp => crate::lang::Transport::Tcp,
            Proto::Udp => crate::lang::Transport::Udp,
        }
    }
}

/// A socket's state, spelled the way `netstat` spells it.
///
/// TCP sockets move through the states of RFC 793. A UDP socket has no
/// connection, so the kernel reports it as `ESTABLISHED` when `connect()` fixed
/// its remote end and as "closed" otherwise; netstat leaves that column blank and
/// `ss` writes `UNCONN`, which is the name used here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SocketState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    /// A UDP socket without a fixed remote end.
    Unconnected,
    Unknown,
}

impl SocketState {
    /// Decodes the state number the Linux kernel uses (`include/net/tcp_states.h`),
    /// which is also the number in `/proc/net/tcp`.
    pub fn from_linux(proto: Proto, state: u8) -> SocketState {
        use SocketState::*;
        match (proto, state) {
            (Proto::Udp, 1) => Established,
            (Proto::Udp, _) => Unconnected,
            (Proto::Tcp, 1) => Established,
            (Proto::Tcp, 2) => SynSent,
            (Proto::Tcp, 3) => SynRecv,
            (Proto::Tcp, 4) => FinWait1,
            (Proto::Tcp, 5) => FinWait2,
            (Proto::Tcp, 6) => TimeWait,
            (Proto::Tcp, 7) => Close,
            (Proto::Tcp, 8) => CloseWait,
            (Proto::Tcp, 9) => LastAck,
            (Proto::Tcp, 10) => Listen,
            (Proto::Tcp, 11) => Closing,
            // 12 is TCP_NEW_SYN_RECV: a half-open connection still in the SYN queue.
            (Proto::Tcp, 12) => SynRecv,
            (Proto::Tcp, _) => Unknown,
        }
    }

    /// The name netstat prints (`ss` for [`SocketState::Unconnected`]).
    pub fn name(self) -> &'static str {
        use SocketState::*;
        match self {
            Established => "ESTABLISHED",
            SynSent => "SYN_SENT",
            SynRecv => "SYN_RECV",
            FinWait1 => "FIN_WAIT1",
            FinWait2 => "FIN_WAIT2",
            TimeWait => "TIME_WAIT",
            Close => "CLOSE",
            CloseWait => "CLOSE_WAIT",
            LastAck => "LAST_ACK",
            Listen => "LISTEN",
            Closing => "CLOSING",
            Unconnected => "UNCONN",
            Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for SocketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for SocketState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A process that holds a socket open, as `lsof` lists it.
///
/// A socket can have several holders: after `fork()`, parent and child share
/// every socket, which is how pre-forking servers let many workers accept from
/// one listening socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub pid: u32,
    /// The descriptor number in that process; `None` where the OS does not say.
    pub fd: Option<i32>,
    /// The program name, `None` when the process could not be read. (Shared:
    /// ten thousand sockets of one server hold one copy of its name.)
    pub process: Option<Arc<str>>,
    /// The user the process runs as, `None` when unknown.
    pub user: Option<Arc<str>>,
    /// A name that is the same on every run (`server`, `client-2`), for sockets
    /// this process registered in [`OwnSockets`]; used by `--reproducible`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One entry of the kernel's socket table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelSocket {
    pub proto: Proto,
    /// Whether this is an IPv6 socket (netstat's `tcp6`, lsof's `IPv6`). A
    /// dual-stack server's sockets are IPv6 sockets even when the client is
    /// IPv4, whose address is then shown as plain IPv4.
    pub ipv6: bool,
    /// The local (IP, port). IPv4-mapped IPv6 addresses are already plain IPv4.
    pub local: SocketAddr,
    /// The remote (IP, port); `None` for a listening TCP socket or an unconnected
    /// UDP socket, which the kernel reports as `0.0.0.0:0`.
    pub remote: Option<SocketAddr>,
    pub state: SocketState,
    /// Bytes received but not yet read by the program (for a listener: connections
    /// waiting in the accept queue). `None` where the OS does not say.
    pub recv_q: Option<u32>,
    /// Bytes sent but not yet acknowledged (for a listener: the backlog limit).
    pub send_q: Option<u32>,
    /// The uid that created the socket, where known.
    pub uid: Option<u32>,
    /// The socket's inode number; `None` for sockets no process holds
    /// (TIME_WAIT, orphaned, not yet accepted) and where the OS has no inodes.
    pub inode: Option<u64>,
    /// The processes holding the socket (on Linux by PID, then fd).
    pub holders: Vec<Holder>,
}

impl KernelSocket {
    /// Whether this is an IPv6 socket (netstat's `tcp6`).
    pub fn is_ipv6(&self) -> bool {
        self.ipv6
    }
}

/// Which end of a socket must be on the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortSide {
    /// Sockets whose *local* port is the port: the server's side (`ss 'sport = :P'`).
    Local,
    /// Sockets whose *remote* port is the port: the clients' side (`ss 'dport = :P'`).
    Remote,
    /// Both.
    Either,
}

impl PortSide {
    /// Whether a socket with these ends belongs to the answer.
    pub fn matches(self, port: u16, local: SocketAddr, remote: Option<SocketAddr>) -> bool {
        let local_match = local.port() == port;
        let remote_match = remote.is_some_and(|r| r.port() == port);
        match self {
            PortSide::Local => local_match,
            PortSide::Remote => remote_match,
            PortSide::Either => local_match || remote_match,
        }
    }
}

/// What to ask the kernel for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    pub proto: Proto,
    pub port: u16,
    pub side: PortSide,
}

impl Query {
    /// The server's side of `port`: sockets whose local port is `port`
    /// (`ss 'sport = :P'`).
    pub fn server_side(proto: Proto, port: u16) -> Query {
        Query {
            proto,
            port,
            side: PortSide::Local,
        }
    }
}

/// The answer to a [`Query`]: the sockets, and what could not be read.
#[derive(Clone, Debug, Default)]
pub struct TableRead {
    pub sockets: Vec<KernelSocket>,
    /// One per kind of thing that could not be read (an unreadable process,
    /// `/proc` missing ...), to be shown once next to the tables.
    pub notes: Vec<Note>,
}

/// Something the tables do not show, said once next to them.
///
/// A value, not a sentence: the kernel layer knows what it could not read,
/// and the view writes it in the run's language (`crate::lang::notes`). The
/// numbers stay numbers, so a sentence in any language can count them right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Some processes' fds could not be read (permission denied), and
    /// `sockets` sockets were left without a holder: their PID shows `-`.
    Unreadable { processes: usize, sockets: usize },
    /// The list of processes itself could not be read (`path`, the error
    /// as the OS put it): no socket has a holder.
    NoProcessList { path: String, error: String },
    /// The portable reader skipped `sockets` entries of the table it could
    /// not read (on macOS, a process that exited during the walk); `first`
    /// is the first error, as the OS put it.
    SocketsUnreadable { sockets: usize, first: String },
    /// `inspect --side client`: the read holds only the clients' side of
    /// `port`, while the verdict is about both sides.
    ClientSideOnly { port: u16 },
}

impl TableRead {
    /// Keeps only the sockets this process holds (the demo's and the
    /// clients' own view, without other programs' sockets on the port).
    pub fn only_ours(mut self) -> TableRead {
        let pid = std::process::id();
        self.sockets
            .retain(|s| s.holders.iter().any(|h| h.pid == pid));
        self
    }
}

/// Errors reading the socket table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{}", crate::lang::errors::table_unreadable(crate::lang::current(), .0))]
    Dump(String),
    /// The OS's fast path is missing (a Linux kernel without sock_diag); the
    /// portable path still works. [`crate::kernel::read`] handles this itself.
    #[error("{}", crate::lang::errors::table_unsupported(crate::lang::current(), .0))]
    Unsupported(String),
}

/// Turns an address as the kernel reports it into the address a person expects:
/// an IPv4 client of a dual-stack (IPv6) socket appears as `::ffff:127.0.0.2`,
/// which is just `127.0.0.2`.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// The kernel reports "no remote end" as the unspecified address and port 0.
pub fn remote_or_none(addr: SocketAddr) -> Option<SocketAddr> {
    if addr.port() == 0 && addr.ip().is_unspecified() {
        None
    } else {
        Some(canonical(addr))
    }
}

/// A compact key that orders and compares addresses cheaply (IPv4 sorts as
/// its IPv4-mapped IPv6 form). Sorting ten thousand rows by this key is several
/// times faster than comparing `SocketAddr`s field by field.
pub fn addr_key(addr: SocketAddr) -> (u128, u16) {
    let ip = match addr.ip() {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().to_bits(),
        IpAddr::V6(v6) => v6.to_bits(),
    };
    (ip, addr.port())
}

/// Puts sockets in a stable reading order: by local end, then remote end.
/// (The kernel returns them in hash-table order, which changes from run to run.)
/// Cheap when they are sorted already.
pub fn sort_sockets(sockets: &mut [KernelSocket]) {
    if !sockets.is_sorted_by_key(reading_order) {
        sockets.sort_by_cached_key(reading_order);
    }
}

/// A socket's place in the reading order, as four integers: local IP, local
/// port (and whether there is a remote end: none comes first), remote IP,
/// remote port and state. Flat integers compare faster than nested tuples of
/// addresses with an `Option` between them: sorting 10,000 shuffled sockets
/// went from 2.4 ms to 1.85 ms (medians of 15).
fn reading_order(s: &KernelSocket) -> (u128, u32, u128, u32) {
    let (local_ip, local_port) = addr_key(s.local);
    let (remote_ip, remote_port) = s.remote.map_or((0, 0), addr_key);
    (
        local_ip,
        u32::from(local_port) << 1 | u32::from(s.remote.is_some()),
        remote_ip,
        // (13 states: the state's number fits the low 8 bits.)
        u32::from(remote_port) << 8 | s.state as u32,
    )
}

/// Whether an IP address is a loopback address (all of 127.0.0.0/8, and ::1).
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// A holder whose name and user are filled in later (see `name_holders`).
pub fn holder(pid: u32, fd: Option<i32>) -> Holder {
    Holder {
        pid,
        fd,
        process: None,
        user: None,
        label: None,
    }
}
