//! The portable path: the `netstat2` crate, which reads the socket table on
//! Linux, macOS and Windows.
//!
//! netstat2 reports neither Recv-Q nor Send-Q (shown as `-`) and cannot filter
//! by port in the kernel, so it lists every socket and the port is filtered
//! here. On Linux its own PID search panics when `/proc` cannot be read, so the
//! Linux build asks it for sockets only; the caller finds the holders.

use netstat2::{AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, SocketInfo};

use crate::kernel::model::{
    KernelSocket, Proto, Query, SocketState, TableError, TableRead, canonical, remote_or_none,
};

/// The sockets matching `query`, with the PIDs netstat2 reports (none on
/// Linux). Holders are found by the caller, as the attribution asks.
pub fn read_socket_table(query: &Query) -> Result<TableRead, TableError> {
    let proto_flags = match query.proto {
        Proto::Tcp => ProtocolFlags::TCP,
        Proto::Udp => ProtocolFlags::UDP,
    };
    let families = AddressFamilyFlags::IPV4 | AddressFamilyFlags::IPV6;
    let mut sockets = Vec::new();
    for info in list(families, proto_flags)? {
        let info = info.map_err(|e| TableError::Dump(e.to_string()))?;
        let socket = from_info(info);
        if query.side.matches(query.port, socket.local, socket.remote) {
            sockets.push(socket);
        }
    }
    Ok(TableRead {
        sockets,
        notes: Vec::new(),
    })
}

type Infos = Box<dyn Iterator<Item = Result<SocketInfo, netstat2::error::Error>>>;

#[cfg(target_os = "linux")]
fn list(families: AddressFamilyFlags, protos: ProtocolFlags) -> Result<Infos, TableError> {
    netstat2::iterate_sockets_info_without_pids(families, protos)
        .map(|it| Box::new(it) as Infos)
        .map_err(|e| TableError::Dump(e.to_string()))
}

#[cfg(not(target_os = "linux"))]
fn list(families: AddressFamilyFlags, protos: ProtocolFlags) -> Result<Infos, TableError> {
    netstat2::iterate_sockets_info(families, protos)
        .map(|it| Box::new(it) as Infos)
        .map_err(|e| TableError::Dump(e.to_string()))
}

fn from_info(info: SocketInfo) -> KernelSocket {
    #[cfg(target_os = "linux")]
    let (uid, inode) = (
        (info.inode != 0).then_some(info.uid),
        (info.inode != 0).then_some(u64::from(info.inode)),
    );
    #[cfg(not(target_os = "linux"))]
    let (uid, inode) = (None, None);

    let holders = info
        .associated_pids
        .iter()
        .map(|&pid| crate::kernel::model::holder(pid, None))
        .collect();
    let ipv6 = info.local_addr().is_ipv6();
    let (proto, local, remote, state) = match info.protocol_socket_info {
        ProtocolSocketInfo::Tcp(tcp) => (
            Proto::Tcp,
            canonical(std::net::SocketAddr::new(tcp.local_addr, tcp.local_port)),
            remote_or_none(std::net::SocketAddr::new(tcp.remote_addr, tcp.remote_port)),
            tcp_state(tcp.state),
        ),
        // netstat2 reports neither the remote end nor the state of a UDP socket.
        ProtocolSocketInfo::Udp(udp) => (
            Proto::Udp,
            canonical(std::net::SocketAddr::new(udp.local_addr, udp.local_port)),
            None,
            SocketState::Unconnected,
        ),
    };
    KernelSocket {
        proto,
        ipv6,
        local,
        remote,
        state,
        recv_q: None,
        send_q: None,
        uid,
        inode,
        holders,
    }
}

fn tcp_state(state: netstat2::TcpState) -> SocketState {
    use netstat2::TcpState as T;
    match state {
        T::Established => SocketState::Established,
        T::SynSent => SocketState::SynSent,
        T::SynReceived => SocketState::SynRecv,
        T::FinWait1 => SocketState::FinWait1,
        T::FinWait2 => SocketState::FinWait2,
        T::TimeWait => SocketState::TimeWait,
        T::Closed => SocketState::Close,
        T::CloseWait => SocketState::CloseWait,
        T::LastAck => SocketState::LastAck,
        T::Listen => SocketState::Listen,
        T::Closing => SocketState::Closing,
        T::DeleteTcb | T::Unknown => SocketState::Unknown,
    }
}
