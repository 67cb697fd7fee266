//! Opening the server's one socket, and explaining why that failed.
//!
//! `bind()` claims a local (IP, port) for a socket. For a TCP server it is
//! followed by `listen()`, which turns the socket into a listening socket with
//! a queue of connections waiting for `accept()`: the *backlog*. The textbook's
//! `listen(1)` (or Python's `listen(5)`) makes a queue so short that clients
//! connecting at the same moment are left hanging; sameport asks for 4096 (the
//! kernel caps it at `net.core.somaxconn`).
//!
//! Binding the IPv6 wildcard `::` with `IPV6_V6ONLY` off gives one socket that
//! accepts IPv4 and IPv6 clients alike (*dual-stack*). IPv4 clients then appear
//! as `::ffff:a.b.c.d`, which sameport prints as plain IPv4.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};

use crate::kernel::{self, Attribution, Holder, PortSide, Proto, Query};
use crate::lang;
use crate::lang::errors::{self as says, HeldBy};
use crate::os;

/// The listen queue length asked for.
pub const BACKLOG: i32 = 4096;

/// Why a socket could not be opened on the port, in words a student can act
/// on (written in the run's language: see [`crate::lang::errors`]).
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("{}", says::port_in_use(lang::current(), (*proto).into(), *port, by))]
    InUse { proto: Proto, port: u16, by: HeldBy },
    #[error("{}", says::privileged_port(lang::current(), *port))]
    Privileged { port: u16 },
    #[error("{}", says::not_local(lang::current(), *ip))]
    NotLocal { ip: IpAddr },
    #[error("{}", says::cannot_open_socket(lang::current(), (*proto).into(), *addr, source))]
    Other {
        proto: Proto,
        addr: SocketAddr,
        source: io::Error,
    },
}

/// Where a server binds when no `--bind` is given: every interface, IPv4 and
/// IPv6 through one dual-stack socket.
pub fn default_ip() -> IpAddr {
    IpAddr::V6(Ipv6Addr::UNSPECIFIED)
}

/// Opens a listening TCP socket on `addr`.
///
/// If `addr` is the IPv6 wildcard and this machine has no IPv6, falls back to
/// the IPv4 wildcard, so the default works everywhere.
pub fn tcp_listener(addr: SocketAddr) -> Result<std::net::TcpListener, BindError> {
    tcp_listener_with_backlog(addr, BACKLOG)
}

/// [`tcp_listener`] with a chosen listen backlog.
pub fn tcp_listener_with_backlog(
    addr: SocketAddr,
    backlog: i32,
) -> Result<std::net::TcpListener, BindError> {
    Ok(open_with_fallback(addr, Proto::Tcp, backlog)?.into())
}

/// Opens a UDP socket bound to `addr` (same fallback as [`tcp_listener`]).
pub fn udp_socket(addr: SocketAddr) -> Result<std::net::UdpSocket, BindError> {
    Ok(open_with_fallback(addr, Proto::Udp, 0)?.into())
}

fn open_with_fallback(addr: SocketAddr, proto: Proto, backlog: i32) -> Result<Socket, BindError> {
    open(addr, proto, backlog).or_else(|e| match e {
        BindError::Other { .. } if addr.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) => open(
            SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), addr.port()),
            proto,
            backlog,
        ),
        e => Err(e),
    })
}

/// Opens and binds a socket; for TCP also `listen(backlog)`.
fn open(addr: SocketAddr, proto: Proto, backlog: i32) -> Result<Socket, BindError> {
    let other = |source| BindError::Other {
        proto,
        addr,
        source,
    };
    let (kind, protocol) = match proto {
        Proto::Tcp => (Type::STREAM, Protocol::TCP),
        Proto::Udp => (Type::DGRAM, Protocol::UDP),
    };
    let socket = Socket::new(Domain::for_address(addr), kind, Some(protocol)).map_err(other)?;
    if addr.is_ipv6() {
        socket.set_only_v6(false).map_err(other)?;
    }
    // SO_REUSEADDR lets a restarted server bind while the previous run's
    // connections sit in TIME_WAIT (where that is safe: see the constant).
    if os::REUSE_ADDRESS_IS_SAFE && proto == Proto::Tcp {
        socket.set_reuse_address(true).map_err(other)?;
    }
    socket
        .bind(&addr.into())
        .map_err(|e| explain(e, addr, proto))?;
    if proto == Proto::Tcp {
        socket.listen(backlog).map_err(other)?;
    }
    socket.set_nonblocking(true).map_err(other)?;
    Ok(socket)
}

/// Turns a bind error into a [`BindError`] that says what to do.
fn explain(e: io::Error, addr: SocketAddr, proto: Proto) -> BindError {
    let port = addr.port();
    match e.kind() {
        io::ErrorKind::AddrInUse => BindError::InUse {
            proto,
            port,
            by: holder_of(port, proto),
        },
        io::ErrorKind::PermissionDenied if port < 1024 => BindError::Privileged { port },
        io::ErrorKind::AddrNotAvailable => BindError::NotLocal { ip: addr.ip() },
        _ => BindError::Other {
            proto,
            addr,
            source: e,
        },
    }
}

/// The process holding the port (PID 4242, python3), from the socket table,
/// or an honest "unknown".
fn holder_of(port: u16, proto: Proto) -> HeldBy {
    let query = Query {
        proto,
        port,
        side: PortSide::Local,
    };
    let Ok(read) = kernel::read(&query, &Attribution::Search) else {
        return HeldBy::Unknown;
    };
    // The socket that blocks a bind is the one bound to the port without a
    // remote end: the listener (TCP) or the bound socket (UDP).
    let holders: Vec<&Holder> = read
        .sockets
        .iter()
        .filter(|s| s.remote.is_none())
        .flat_map(|s| s.holders.iter())
        .collect();
    match holders.first() {
        Some(h) => HeldBy::Process {
            pid: h.pid,
            name: h.process.as_deref().map(str::to_string),
        },
        None => HeldBy::Hidden { port },
    }
}
