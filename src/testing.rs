//! Hand-built sockets for unit tests of the verdict and the views.

use crate::claim::snapshot::Snapshot;
use crate::kernel::{Holder, KernelSocket, Proto, SocketState};

pub fn tcp(local: &str, remote: Option<&str>, state: SocketState) -> KernelSocket {
    let local: std::net::SocketAddr = local.parse().expect("test address");
    KernelSocket {
        proto: Proto::Tcp,
        ipv6: local.is_ipv6(),
        local,
        remote: remote.map(|r| r.parse().expect("test address")),
        state,
        recv_q: Some(0),
        send_q: Some(0),
        uid: Some(1000),
        inode: Some(81_000),
        holders: vec![Holder {
            pid: 4242,
            fd: Some(3),
            process: Some("sameport".into()),
            user: Some("student".into()),
            label: None,
        }],
    }
}

pub fn listener(local: &str) -> KernelSocket {
    tcp(local, None, SocketState::Listen)
}

pub fn accepted(local: &str, remote: &str) -> KernelSocket {
    tcp(local, Some(remote), SocketState::Established)
}

pub fn client(local: &str, remote: &str) -> KernelSocket {
    tcp(local, Some(remote), SocketState::Established)
}

pub fn udp(local: &str, remote: Option<&str>) -> KernelSocket {
    let state = if remote.is_some() {
        SocketState::Established
    } else {
        SocketState::Unconnected
    };
    KernelSocket {
        proto: Proto::Udp,
        ..tcp(local, remote, state)
    }
}

/// A snapshot of `sockets` on `port`, with the protocol of the first socket.
pub fn snapshot(port: u16, sockets: Vec<KernelSocket>) -> Snapshot {
    let proto = sockets.first().map_or(Proto::Tcp, |s| s.proto);
    Snapshot::new(port, proto, sockets, Vec::new())
}
