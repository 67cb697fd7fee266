//! Clients: TCP and UDP sockets toward a server, from chosen source addresses.
//!
//! A client socket is the mirror image of an accepted one. The client's
//! kernel picks a free local port (an *ephemeral* port) unless the program
//! `bind()`s one, and the remote end is the server's (IP, port). Opening N
//! clients from different source addresses (127.0.0.2, 127.0.0.3 ... are all
//! this machine on Linux) gives the server N accepted sockets that differ only
//! in their remote end: the textbook's three client hosts, on one machine.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

use crate::kernel::{self, OwnSockets, Proto, Registration};
use crate::lang;
use crate::lang::errors::{self as says, Doing};
use crate::os;

/// How long to wait for a connection or an echo.
const TIMEOUT: Duration = Duration::from_secs(5);

/// What `connect` was asked to do.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub target: SocketAddr,
    pub proto: Proto,
    pub count: usize,
    /// Source addresses, used round-robin; empty: let the kernel choose.
    pub from: Vec<IpAddr>,
    /// A fixed source port for every client (the textbook's 26145).
    pub source_port: Option<u16>,
    pub message: Option<Vec<u8>>,
    /// Keep the connections open this long after the echo.
    pub hold: Option<Duration>,
}

/// One connected client.
pub struct Client {
    /// `client-1`, `client-2` ...
    pub label: String,
    pub local: SocketAddr,
    pub conn: Conn,
    /// Keeps the socket registered as ours for table reads.
    _registration: Registration,
}

/// A client's socket.
pub enum Conn {
    Tcp(TcpStream),
    Udp(UdpSocket),
}

/// Checks the form of `HOST[:PORT]` on the command line (a bad port is a
/// usage error); resolving the host comes later.
pub fn check_target(target: &str) -> Result<String, String> {
    // The address of serve's page, pasted as it is: `http://HOST:PORT/`.
    let target = target
        .strip_prefix("http://")
        .map_or(target, |rest| rest.trim_end_matches('/'));
    // `:15040` lacks its host; `::1` is a whole IPv6 address.
    let is_ip = target.parse::<std::net::IpAddr>().is_ok();
    if target.is_empty() || (target.starts_with(':') && !is_ip) {
        return Err(says::target_without_host(lang::current(), target));
    }
    // HOST:PORT has one colon; more are an IPv6 address, bare or in brackets.
    let colons = target.matches(':').count();
    if colons > 1 && !is_ip && !target.starts_with('[') {
        return Err(says::target_with_colons(lang::current(), target));
    }
    // Port 0 in connect() is no server's port: it cannot be reached.
    match port_in(target) {
        Some(port) if !port.parse::<u16>().is_ok_and(|p| p != 0) => {
            Err(says::invalid_target_port(lang::current(), &port))
        }
        _ => Ok(target.to_string()),
    }
}

/// The port `HOST:PORT` names, as written; `None` for a bare HOST (an IPv6
/// address without brackets is all host).
pub fn port_in(target: &str) -> Option<String> {
    match target.parse::<SocketAddr>() {
        Ok(addr) => Some(addr.port().to_string()),
        Err(_) => target
            .rsplit_once(':')
            .filter(|(host, _)| !host.contains(':'))
            .map(|(_, port)| port.to_string()),
    }
}

/// Resolves `HOST[:PORT]` (`default_port` when none is given).
pub async fn resolve(
    target: &str,
    default_port: u16,
    prefer_v4: bool,
) -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = target.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let (host, port) = match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| anyhow!(says::invalid_port_in(lang::current(), port, target)))?;
            (host, port)
        }
        _ => (
            target.trim_start_matches('[').trim_end_matches(']'),
            default_port,
        ),
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| anyhow!(says::cannot_resolve(lang::current(), host, &e)))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4() == prefer_v4)
        .or(addrs.first())
        .copied()
        .ok_or_else(|| anyhow!(says::no_addresses(lang::current(), host)))
}

/// Opens the clients one after another (so their order is the order of `--from`).
pub async fn open_clients(
    options: &ConnectOptions,
    own: &OwnSockets,
) -> anyhow::Result<Vec<Client>> {
    let mut clients = Vec::with_capacity(options.count);
    for i in 0..options.count {
        let label = format!("client-{}", i + 1);
        let source = source_for(options, i);
        let (conn, local) = match options.proto {
            Proto::Tcp => {
                let stream = open_tcp(options.target, source).await?;
                let local = stream.local_addr().context(Doing::ReadingClientAddress)?;
                (Conn::Tcp(stream), local)
            }
            Proto::Udp => {
                let socket = open_udp(options.target, source).await?;
                let local = socket.local_addr().context(Doing::ReadingClientAddress)?;
                (Conn::Udp(socket), local)
            }
        };
        let registration = match &conn {
            Conn::Tcp(s) => own.register(s, &label),
            Conn::Udp(s) => own.register(s, &label),
        };
        clients.push(Client {
            label,
            local: kernel::canonical(local),
            conn,
            _registration: registration,
        });
    }
    Ok(clients)
}

/// The source address of client `i`: the `--from` addresses in turn, with the
/// fixed `--source-port` if one was given.
fn source_for(options: &ConnectOptions, i: usize) -> Option<SocketAddr> {
    let port = options.source_port.unwrap_or(0);
    match options.from.get(i % options.from.len().max(1)) {
        Some(&ip) => Some(SocketAddr::new(ip, port)),
        None if port != 0 => Some(SocketAddr::new(unspecified_like(options.target), port)),
        None => None,
    }
}

fn unspecified_like(target: SocketAddr) -> IpAddr {
    if target.is_ipv4() {
        IpAddr::from([0, 0, 0, 0])
    } else {
        IpAddr::from([0u16; 8])
    }
}

/// Opens one TCP connection, from `source` if given.
pub async fn open_tcp(target: SocketAddr, source: Option<SocketAddr>) -> anyhow::Result<TcpStream> {
    connect_prepared(prepare_tcp(target, source)?, target, source).await
}

/// Creates a client socket for `target`, bound to `source` if given, not yet
/// connected. A socket belongs to the network namespace it was created in,
/// so `demo --subnets` calls this inside a client host's namespace.
pub fn prepare_tcp(target: SocketAddr, source: Option<SocketAddr>) -> anyhow::Result<TcpSocket> {
    let socket = if target.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .context(Doing::CreatingSocket)?;
    if let Some(source) = source {
        check_family(source, target)?;
        if source.port() == 0 {
            // Best effort: without it the kernel still picks a port at bind().
            let _ = os::defer_port_choice(&socket);
        } else {
            // Allows a fixed source port again right after an earlier run.
            socket
                .set_reuseaddr(true)
                .context(Doing::SettingReuseAddr)?;
        }
        socket.bind(source).map_err(|e| bind_error(e, source))?;
    }
    Ok(socket)
}

/// Connects a socket made by [`prepare_tcp`], with a time limit.
pub async fn connect_prepared(
    socket: TcpSocket,
    target: SocketAddr,
    source: Option<SocketAddr>,
) -> anyhow::Result<TcpStream> {
    match tokio::time::timeout(TIMEOUT, socket.connect(target)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(connect_error(e, source, target)),
        Err(_) => bail!(says::connect_timed_out(
            lang::current(),
            target,
            TIMEOUT.as_secs()
        )),
    }
}

/// Opens one UDP client socket, from `source` if given, connected to `target`.
pub async fn open_udp(target: SocketAddr, source: Option<SocketAddr>) -> anyhow::Result<UdpSocket> {
    let bind_to = match source {
        Some(source) => {
            check_family(source, target)?;
            source
        }
        None => SocketAddr::new(unspecified_like(target), 0),
    };
    let socket = UdpSocket::bind(bind_to)
        .await
        .map_err(|e| bind_error(e, bind_to))?;
    // A connected UDP socket only fixes its default destination (and shows the
    // remote end in the table); no packet is sent by connect().
    socket
        .connect(target)
        .await
        .map_err(|e| connect_error(e, source, target))?;
    Ok(socket)
}

fn check_family(source: SocketAddr, target: SocketAddr) -> anyhow::Result<()> {
    if source.is_ipv4() != target.is_ipv4() {
        bail!(says::mixed_families(lang::current(), source.ip(), target));
    }
    Ok(())
}

fn bind_error(e: std::io::Error, source: SocketAddr) -> anyhow::Error {
    let lang = lang::current();
    match e.kind() {
        std::io::ErrorKind::AddrNotAvailable => anyhow!(says::source_not_local(lang, source.ip())),
        std::io::ErrorKind::AddrInUse => anyhow!(says::source_in_use(lang, source)),
        _ => anyhow!(says::cannot_bind_client(lang, source, &e)),
    }
}

fn connect_error(
    e: std::io::Error,
    source: Option<SocketAddr>,
    target: SocketAddr,
) -> anyhow::Error {
    let lang = lang::current();
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => anyhow!(says::refused(lang, target)),
        // With the source (IP, port) fixed, connect() fails this way when a
        // socket with the same 4-tuple already exists.
        std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::AddrInUse
            if source.is_some_and(|s| s.port() != 0) =>
        {
            // A wildcard source IP is only settled at connect(): name the port.
            let from = match source {
                Some(s) if s.ip().is_unspecified() => says::From::Port(s.port()),
                Some(s) => says::From::Addr(s),
                None => says::From::Port(0),
            };
            anyhow!(says::tuple_in_use(lang, from, target, &e))
        }
        _ => anyhow!(says::cannot_connect(lang, target, &e)),
    }
}

/// The server closed the connection before the echo came back whole: a
/// client turned away by `serve --max-clients` (which says why in one line
/// first), a server that stopped, or one that answers and hangs up.
#[derive(Debug, thiserror::Error)]
pub struct ClosedEarly {
    /// What the server did send, if anything (its reason, a banner, part of
    /// the echo).
    pub received: Vec<u8>,
}

impl std::fmt::Display for ClosedEarly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let said = (!self.received.is_empty()).then(|| self.received.escape_ascii().to_string());
        f.write_str(&says::closed_early(lang::current(), said.as_deref()))
    }
}

/// Sends one message and reads its echo.
///
/// TCP is a byte stream, so the echo may arrive in several pieces (and after
/// a banner the server sends first): read until what arrived ends with the
/// message. If the server closes the connection first, that is
/// [`ClosedEarly`], with what it did send. What arrived is returned whole,
/// banner and echo; [`split_greeting`] tells them apart.
pub async fn exchange(conn: &Conn, message: &[u8]) -> anyhow::Result<Vec<u8>> {
    match conn {
        Conn::Tcp(stream) => {
            if let Err(e) = write_all(stream, message).await {
                // A server that closed at once (a refusal) may reset the
                // connection before the send: say what it said, if anything.
                return match read_what_is_left(stream).await {
                    Some(received) => Err(ClosedEarly { received }.into()),
                    None => Err(e).context(Doing::Sending),
                };
            }
            let mut received = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            while !received.ends_with(message) || received.is_empty() {
                match tokio::time::timeout(TIMEOUT, read_some(stream, &mut buf)).await {
                    Ok(Ok(0)) => return Err(ClosedEarly { received }.into()),
                    Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
                    Ok(Err(e)) if is_closed(&e) => return Err(ClosedEarly { received }.into()),
                    Ok(Err(e)) => return Err(e).context(Doing::ReadingEcho),
                    Err(_) => bail!(says::no_echo(lang::current(), TIMEOUT.as_secs())),
                }
            }
            Ok(received)
        }
        Conn::Udp(socket) => {
            socket.send(message).await.context(Doing::SendingDatagram)?;
            let mut buf = vec![0u8; 65_536];
            match tokio::time::timeout(TIMEOUT, socket.recv(&mut buf)).await {
                Ok(Ok(n)) => Ok(buf[..n].to_vec()),
                // The ICMP "port unreachable" that answered the datagram
                // comes back as ECONNREFUSED on a connected UDP socket.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    let port = socket.peer_addr().map_or(0, |a| a.port());
                    bail!(says::no_udp_server(lang::current(), port))
                }
                Ok(Err(e)) => Err(e).context(Doing::ReceivingEcho),
                Err(_) => bail!(says::no_udp_echo(lang::current(), TIMEOUT.as_secs())),
            }
        }
    }
}

/// Splits what [`exchange`] received into what the server sent first (a
/// banner) and the echo of `message`.
pub fn split_greeting<'a>(received: &'a [u8], message: &[u8]) -> (&'a [u8], &'a [u8]) {
    received.split_at(received.len().saturating_sub(message.len()))
}

/// Whether an error means the peer closed or reset the connection.
pub fn is_closed(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
    )
}

/// After a failed send: whatever the server sent before it closed, if the
/// connection is indeed closed (read until EOF or a reset, briefly).
async fn read_what_is_left(stream: &TcpStream) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    // Bounded: at most 64 reads, each within the time limit.
    for _ in 0..64 {
        match tokio::time::timeout(TIMEOUT, read_some(stream, &mut buf)).await {
            Ok(Ok(0)) => return Some(received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Ok(Err(e)) if is_closed(&e) => return Some(received),
            _ => return None,
        }
    }
    None
}

/// Writes all of `bytes`.
pub async fn write_all(stream: &TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    let mut written = 0;
    while written < bytes.len() {
        stream.writable().await?;
        match stream.try_write(&bytes[written..]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads what has arrived (at least one byte, or 0 at EOF).
pub async fn read_some(stream: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        stream.readable().await?;
        match stream.try_read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            result => return result,
        }
    }
}
