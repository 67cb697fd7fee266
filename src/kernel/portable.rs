//! The portable path: the `netstat2` crate, which reads the socket table on
//! Linux, macOS and Windows.
//!
//! netstat2 reports neither Recv-Q nor Send-Q (shown as `-`) and cannot filter
//! by port in the kernel, so it lists every socket and the port is filtered
//! here. On Linux its own PID search panics when `/proc` cannot be read, so the
//! Linux build asks it for sockets only; the caller finds the holders.

use netstat2::error::Error;
use netstat2::{AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, SocketInfo};

use crate::kernel::model::{
    KernelSocket, Note, Proto, Query, SocketState, TableError, TableRead, canonical, remote_or_none,
};

/// The sockets matching `query`, with the PIDs netstat2 reports (none on
/// Linux). Holders are found by the caller, as the attribution asks.
pub fn read_socket_table(query: &Query) -> Result<TableRead, TableError> {
    let proto_flags = match query.proto {
        Proto::Tcp => ProtocolFlags::TCP,
        Proto::Udp => ProtocolFlags::UDP,
    };
    let families = AddressFamilyFlags::IPV4 | AddressFamilyFlags::IPV6;
    Ok(collect(list(families, proto_flags)?, query))
}

/// Keeps the sockets on the query's port. netstat2 yields one item per
/// socket, and an item can be an error of its own: on macOS, where it reads
/// each process's descriptors one by one, a process that exits during the
/// walk leaves one. Such an item is skipped and counted in the notes; the
/// rest of the table is still a good answer.
fn collect(infos: impl Iterator<Item = Result<SocketInfo, Error>>, query: &Query) -> TableRead {
    let mut sockets = Vec::new();
    let mut unreadable = 0usize;
    let mut first_error = None;
    for info in infos {
        match info {
            Ok(info) => {
                let socket = from_info(info);
                if query.side.matches(query.port, socket.local, socket.remote) {
                    sockets.push(socket);
                }
            }
            Err(e) => {
                unreadable += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let notes = first_error
        .map(|first| Note::SocketsUnreadable {
            sockets: unreadable,
            first,
        })
        .into_iter()
        .collect();
    TableRead { sockets, notes }
}

type Infos = Box<dyn Iterator<Item = Result<SocketInfo, Error>>>;

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

    // Windows writes PID 0 where it knows no owner (a socket in TIME_WAIT,
    // and under Wine every socket held by wineserver): no holder, not a
    // process called 0.
    let holders = info
        .associated_pids
        .iter()
        .filter(|&&pid| pid != 0)
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

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::kernel::model::PortSide;

    fn listener_query() -> (TcpListener, Query) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let query = Query {
            proto: Proto::Tcp,
            port,
            side: PortSide::Local,
        };
        (listener, query)
    }

    /// One item netstat2 could not read (as macOS yields for a process that
    /// exits mid-walk) costs one note, not the whole table: the real listener
    /// read around it is still there.
    #[test]
    fn an_unreadable_socket_is_skipped_and_counted() {
        let (_listener, query) = listener_query();
        let real = list(AddressFamilyFlags::IPV4, ProtocolFlags::TCP).unwrap();
        let broken = [Err(Error::NotAValidSocket), Err(Error::NotAValidSocket)];
        let read = collect(broken.into_iter().chain(real), &query);
        assert_eq!(read.sockets.len(), 1, "{read:?}");
        assert_eq!(read.sockets[0].state, SocketState::Listen);
        assert_eq!(
            read.notes,
            vec![Note::SocketsUnreadable {
                sockets: 2,
                first: "Not a valid socket".to_string()
            }]
        );
    }

    /// A complete read has no notes.
    #[test]
    fn a_clean_read_has_no_notes() {
        let (_listener, query) = listener_query();
        let read = read_socket_table(&query).unwrap();
        assert_eq!(read.sockets.len(), 1, "{read:?}");
        assert!(read.notes.is_empty(), "{:?}", read.notes);
    }

    /// PID 0 is Windows' "no owner": it makes no holder, real PIDs do.
    #[test]
    fn pid_zero_is_no_holder() {
        let (_listener, query) = listener_query();
        let mut info = list(AddressFamilyFlags::IPV4, ProtocolFlags::TCP)
            .unwrap()
            .filter_map(Result::ok)
            .find(|info| info.local_port() == query.port)
            .expect("the listener in netstat2's table");
        info.associated_pids = vec![0, std::process::id()];
        let socket = from_info(info);
        let pids: Vec<u32> = socket.holders.iter().map(|h| h.pid).collect();
        assert_eq!(pids, vec![std::process::id()]);
    }
}
