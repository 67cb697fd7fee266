//! Reading the socket table through `sock_diag`, the netlink interface `ss` uses.
//!
//! A program sends the kernel one request ("dump every IPv4 TCP socket whose
//! source port is 12000") on a `NETLINK_SOCK_DIAG` socket and reads back one
//! message per matching socket. Setting the port in the request's socket id makes
//! the **kernel** skip every other socket, exactly like `ss 'sport = :12000'`; on a
//! busy machine that halves the bytes copied compared with dumping everything
//! and filtering here. Each reply also carries what netstat2 does not expose:
//! Recv-Q, Send-Q, the uid and the inode that ties the socket to a process.

use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NetlinkBuffer, NetlinkHeader,
    NetlinkMessage,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{
    AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, SOCK_DIAG_BY_FAMILY,
};
use netlink_packet_sock_diag::inet::{
    ExtensionFlags, InetRequest, InetResponseBuffer, InetResponseHeader, SocketId, StateFlags,
};
use netlink_packet_utils::Parseable;
use netlink_sys::protocols::NETLINK_SOCK_DIAG;
use netlink_sys::{Socket, SocketAddr as NetlinkAddr};

use crate::kernel::model::{
    KernelSocket, PortSide, Proto, Query, SocketState, canonical, remote_or_none,
};

/// Large enough that the kernel can fill its biggest dump message (32 KiB) and a
/// 10,000-socket dump takes a few dozen reads, not thousands.
const RECV_BUFFER: usize = 64 * 1024;

/// Dumps the sockets that match `query`, with no process attribution.
pub fn dump(query: &Query) -> io::Result<Vec<KernelSocket>> {
    let protocol = match query.proto {
        Proto::Tcp => IPPROTO_TCP,
        Proto::Udp => IPPROTO_UDP,
    };
    // The kernel filters on one port field per request, so "either end on the
    // port" takes two requests. A socket whose two ends are both on the port
    // (a client that chose source port = P) comes back twice; `seen` drops the copy.
    let filters: &[(u16, u16)] = match query.side {
        PortSide::Local => &[(query.port, 0)],
        PortSide::Remote => &[(0, query.port)],
        PortSide::Either => &[(query.port, 0), (0, query.port)],
    };
    let mut sockets = Vec::new();
    for &(sport, dport) in filters {
        // IPv4 and IPv6 sockets are dumped by separate requests. A dual-stack
        // server's sockets are IPv6 sockets even for IPv4 clients.
        for family in [AF_INET, AF_INET6] {
            sockets.extend(dump_one(family, protocol, query.proto, sport, dport)?);
        }
    }
    if filters.len() > 1 {
        let mut seen = HashSet::new();
        sockets.retain(|s| seen.insert((s.local, s.remote, s.inode, s.state)));
    }
    Ok(sockets)
}

/// Sends one dump request and collects the replies.
fn dump_one(
    family: u8,
    protocol: u8,
    proto: Proto,
    sport: u16,
    dport: u16,
) -> io::Result<Vec<KernelSocket>> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&NetlinkAddr::new(0, 0))?;
    socket.send(&request(family, protocol, sport, dport), 0)?;

    let mut sockets = Vec::new();
    let mut buf = vec![0u8; RECV_BUFFER];
    loop {
        let size = socket.recv(&mut &mut buf[..], 0)?;
        let mut offset = 0;
        while offset < size {
            // Only the fixed-size header of each reply is parsed: the
            // attributes after it (none were asked for) are skipped, which
            // keeps a 10,000-socket dump free of per-socket allocations.
            let message = NetlinkBuffer::new_checked(&buf[offset..size]).map_err(invalid)?;
            match message.message_type() {
                NLMSG_DONE => return Ok(sockets),
                NLMSG_ERROR => return Err(netlink_error(message.payload())),
                SOCK_DIAG_BY_FAMILY => {
                    let reply =
                        InetResponseBuffer::new_checked(message.payload()).map_err(invalid)?;
                    let header = InetResponseHeader::parse(&reply).map_err(invalid)?;
                    sockets.push(from_header(&header, proto));
                }
                _ => {}
            }
            let length = message.length() as usize;
            if length == 0 {
                // A zero-length message would loop forever; the kernel never sends one.
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "empty netlink message",
                ));
            }
            // Netlink messages are padded to 4-byte boundaries.
            offset += (length + 3) & !3;
        }
    }
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// An NLMSG_ERROR payload starts with the negated errno.
fn netlink_error(payload: &[u8]) -> io::Error {
    match payload.get(..4) {
        Some(bytes) => {
            let errno = i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            io::Error::from_raw_os_error(-errno)
        }
        None => io::Error::new(io::ErrorKind::InvalidData, "truncated netlink error"),
    }
}

/// Builds the request: every state, no extra attributes, and the port filter.
fn request(family: u8, protocol: u8, sport: u16, dport: u16) -> Vec<u8> {
    let mut socket_id = if family == AF_INET {
        SocketId::new_v4()
    } else {
        SocketId::new_v6()
    };
    socket_id.source_port = sport;
    socket_id.destination_port = dport;

    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut packet = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol,
            extensions: ExtensionFlags::empty(),
            states: StateFlags::all(),
            socket_id,
        })
        .into(),
    );
    packet.finalize();
    let mut bytes = vec![0; packet.buffer_len()];
    packet.serialize(&mut bytes);
    bytes
}

fn from_header(header: &InetResponseHeader, proto: Proto) -> KernelSocket {
    let id = &header.socket_id;
    let state = SocketState::from_linux(proto, header.state);
    let local = canonical(SocketAddr::new(id.source_address, id.source_port));
    let remote = remote_or_none(SocketAddr::new(id.destination_address, id.destination_port));
    KernelSocket {
        proto,
        ipv6: header.family == AF_INET6,
        local,
        remote,
        state,
        recv_q: Some(header.recv_queue),
        send_q: Some(header.send_queue),
        // Sockets nobody holds (TIME_WAIT, not yet accepted, orphaned) have inode
        // 0 and report uid 0: neither is a real value.
        uid: (header.inode != 0).then_some(header.uid),
        inode: (header.inode != 0).then_some(u64::from(header.inode)),
        holders: Vec::new(),
    }
}
