//! This process's own sockets.
//!
//! A server knows which sockets it holds: it accepted them. Registering each
//! one lets a table read attribute them with a hash-table lookup, instead of
//! the walk through every process's fds that `ss -p` and `lsof` pay for.
//!
//! A registered socket is found again in the table by its inode where the OS
//! has socket inodes (Linux), and by its ends elsewhere (see [`SocketId`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use crate::os::AsSocket;

use super::model::{KernelSocket, Proto, canonical};

/// The sockets this process holds, so that a server can attribute its own
/// sockets without reading a single other process.
///
/// A server registers each socket when it accepts it and forgets it when it
/// closes. Looking a table row up is then a hash-table lookup, instead of the
/// walk through every process's fds that `ss -p` and `lsof` pay for.
#[derive(Clone, Debug, Default)]
pub struct OwnSockets {
    by_id: Arc<Mutex<HashMap<SocketId, OwnSocket>>>,
}

/// One socket registered in [`OwnSockets`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnSocket {
    /// Its descriptor number; `None` where the OS has none (Windows has
    /// handles, which no table reports).
    pub fd: Option<i32>,
    /// A name for the holder that is stable across runs (`server`, `client-2`),
    /// used by reproducible output in place of the PID.
    pub label: String,
}

/// How a registered socket is recognised in a table read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketId {
    /// Its inode number (Linux): what the socket table reports for it, unique
    /// while the socket is open.
    Inode(u64),
    /// Its ends, where the OS has no socket inodes (Windows, macOS).
    ///
    /// On one host no two TCP sockets have the same ends: a connection is
    /// named by its 4-tuple, and a listener by its local (IP, port) with no
    /// remote end. A UDP socket is named by its local end alone, because the
    /// portable table reports no remote end for UDP (an ordinary UDP socket
    /// has its own local port).
    ///
    /// This matters under Wine, which keeps every socket's Unix descriptor in
    /// its `wineserver` process: the Linux kernel says that `wineserver`, not
    /// sameport.exe, holds the listener and the accepted sockets, so Wine's
    /// `GetExtendedTcpTable` reports their owner as PID 0 (unknown). Matched
    /// by its ends, the server's socket is still ours.
    Ends {
        proto: Proto,
        local: SocketAddr,
        remote: Option<SocketAddr>,
    },
}

impl SocketId {
    /// The ends of a socket this process holds, as the socket table will
    /// report them: canonical addresses (an IPv4 client of a dual-stack
    /// socket is plain IPv4), and no remote end for UDP. `None` if the OS
    /// will not say (a socket that is not bound yet has no ends to find).
    pub fn ends_of<S: AsSocket>(socket: &S) -> Option<SocketId> {
        let socket = socket2::SockRef::from(socket);
        let proto = match socket.r#type().ok()? {
            socket2::Type::STREAM => Proto::Tcp,
            socket2::Type::DGRAM => Proto::Udp,
            _ => return None,
        };
        let local = socket.local_addr().ok()?.as_socket()?;
        // A listener (or an unconnected UDP socket) has no peer: the call fails.
        let remote = match proto {
            Proto::Tcp => socket.peer_addr().ok().and_then(|a| a.as_socket()),
            Proto::Udp => None,
        };
        Some(SocketId::ends(proto, local, remote))
    }

    /// The ids under which a row of the socket table may have been
    /// registered: its inode, where the table gave one, and its ends.
    pub fn of_row(socket: &KernelSocket) -> impl Iterator<Item = SocketId> {
        let remote = match socket.proto {
            Proto::Tcp => socket.remote,
            Proto::Udp => None,
        };
        let ends = SocketId::ends(socket.proto, socket.local, remote);
        socket.inode.map(SocketId::Inode).into_iter().chain([ends])
    }

    fn ends(proto: Proto, local: SocketAddr, remote: Option<SocketAddr>) -> SocketId {
        SocketId::Ends {
            proto,
            local: canonical(local),
            remote: remote.map(canonical),
        }
    }
}

/// A registration in [`OwnSockets`]; the socket is forgotten when it is dropped.
#[derive(Debug)]
pub struct Registration {
    sockets: OwnSockets,
    id: Option<SocketId>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.sockets.lock().remove(&id);
        }
    }
}

impl OwnSockets {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `socket` is ours, by its inode where the OS has socket
    /// inodes and by its ends elsewhere. Register a socket once it is bound
    /// (and, for a TCP client, connected), so that its ends are final.
    pub fn register<S: AsSocket>(&self, socket: &S, label: &str) -> Registration {
        let id = socket_inode(socket)
            .map(SocketId::Inode)
            .or_else(|| SocketId::ends_of(socket));
        if let Some(id) = id {
            let own = OwnSocket {
                fd: socket_fd(socket),
                label: label.to_string(),
            };
            self.lock().insert(id, own);
        }
        Registration {
            sockets: self.clone(),
            id,
        }
    }

    /// The registered socket that this row of the socket table is, if any.
    pub fn find(&self, socket: &KernelSocket) -> Option<OwnSocket> {
        let registered = self.lock();
        SocketId::of_row(socket).find_map(|id| registered.get(&id).cloned())
    }

    /// How many sockets are registered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketId, OwnSocket>> {
        // A panic while holding this lock cannot leave the map half-updated
        // (every operation is a single insert, remove or clone), so a poisoned
        // lock is still safe to use.
        self.by_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The fd number of a socket this process holds (`None` on Windows, where
/// sockets are handles, not numbered fds).
pub fn socket_fd<S: AsSocket>(socket: &S) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        Some(socket.as_fd().as_raw_fd())
    }
    #[cfg(not(unix))]
    {
        let _ = socket;
        None
    }
}

/// The inode number of a socket this process holds: `fstat` on the fd, no
/// walk. This is the number the socket table reports for it, on Linux; other
/// systems' tables have no inodes, and own sockets are registered by their
/// ends ([`SocketId::Ends`]).
pub fn socket_inode<S: AsSocket>(socket: &S) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        crate::os::socket_inode_of(socket.as_fd())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = socket;
        None
    }
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, TcpStream, UdpSocket};

    use super::*;
    use crate::kernel::{self, Attribution, PortSide, Query};

    /// Every row of the real table on the port, read without holders.
    fn rows(proto: Proto, port: u16) -> Vec<KernelSocket> {
        let query = Query {
            proto,
            port,
            side: PortSide::Either,
        };
        kernel::read(&query, &Attribution::None).unwrap().sockets
    }

    /// The ends a process reads off its own sockets are the ends the socket
    /// table reports for them, on both reading paths: a dual-stack listener,
    /// the socket it accepted from an IPv4 client (IPv4-mapped on one side,
    /// plain in the table) and the client's socket. This is what lets Wine's
    /// sameport.exe find its own sockets without an inode.
    #[test]
    fn tcp_ends_match_the_table() {
        let listener = TcpListener::bind("[::]:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.2", port))
            .or_else(|_| TcpStream::connect(("127.0.0.1", port)))
            .unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let ours = [
            SocketId::ends_of(&listener),
            SocketId::ends_of(&accepted),
            SocketId::ends_of(&client),
        ];
        for read in [rows(Proto::Tcp, port), portable_rows(Proto::Tcp, port)] {
            assert_eq!(read.len(), 3, "{read:?}");
            for id in ours {
                let id = id.expect("a bound socket has ends");
                let found = read
                    .iter()
                    .filter(|row| SocketId::of_row(row).any(|r| r == id));
                assert_eq!(found.count(), 1, "{id:?} in {read:?}");
            }
        }
    }

    /// A connected UDP socket is found by its local end alone, because the
    /// portable table has no remote ends for UDP.
    #[test]
    fn udp_ends_match_the_table() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(("127.0.0.1", port)).unwrap();
        let own = OwnSockets::new();
        let _server = own.register(&server, "server");
        for read in [rows(Proto::Udp, port), portable_rows(Proto::Udp, port)] {
            let row = read.iter().find(|row| row.local.port() == port).unwrap();
            assert_eq!(own.find(row).map(|s| s.label), Some("server".into()));
            let id = SocketId::ends_of(&server).unwrap();
            assert!(SocketId::of_row(row).any(|r| r == id), "{row:?}");
        }
        let client_port = client.local_addr().unwrap().port();
        let client_row = rows(Proto::Udp, client_port);
        let id = SocketId::ends_of(&client).unwrap();
        assert!(
            client_row
                .iter()
                .any(|row| SocketId::of_row(row).any(|r| r == id))
        );
    }

    /// A registration is forgotten when it is dropped.
    #[test]
    fn dropping_a_registration_forgets_the_socket() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let own = OwnSockets::new();
        let registration = own.register(&listener, "server");
        assert_eq!(own.len(), 1);
        drop(registration);
        assert!(own.is_empty());
    }

    fn portable_rows(proto: Proto, port: u16) -> Vec<KernelSocket> {
        let query = Query {
            proto,
            port,
            side: PortSide::Either,
        };
        kernel::read_portable(&query, &Attribution::None)
            .unwrap()
            .sockets
    }
}
