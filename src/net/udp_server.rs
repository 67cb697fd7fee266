//! The UDP echo server: the textbook's `UDPServer`, and the contrast to TCP.
//!
//! There is no `listen()` and no `accept()` here. The server binds **one**
//! socket to port P and calls `recv_from()` in a loop; each datagram arrives
//! with the sender's (IP, port), and `send_to()` answers that address. The
//! kernel chose this socket by the datagram's destination (IP, port) alone,
//! whoever sent it, so one socket serves every client and the socket table
//! never grows with the number of clients.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::lang::{self, serve as says};
use crate::net::activity::Activity;

/// The largest UDP payload (65,535 minus the IP and UDP headers).
const MAX_DATAGRAM: usize = 65_507;
/// Clients remembered for the verdict; beyond this, clients are still served
/// but no longer listed, so a flood of spoofed sources cannot grow memory.
const MAX_TRACKED_PEERS: usize = 65_536;

/// The clients a UDP server has heard from, in order, shared with the
/// snapshot printer. The socket table cannot list them (an unconnected UDP
/// socket has no remote end), so the server keeps this list as its evidence.
#[derive(Clone, Debug, Default)]
pub struct Clients(Arc<Mutex<Vec<SocketAddr>>>);

impl Clients {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the list.
    pub fn list(&self) -> Vec<SocketAddr> {
        self.lock().clone()
    }

    fn push(&self, peer: SocketAddr) -> usize {
        let mut list = self.lock();
        list.push(peer);
        list.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SocketAddr>> {
        // Each operation is a single push or clone: a poisoned lock is still consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What the UDP server did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub datagrams: u64,
    pub bytes_echoed: u64,
    pub clients: usize,
}

/// Echoes every datagram back to its sender until `shutdown` completes.
pub async fn run(
    socket: UdpSocket,
    shutdown: impl Future,
    clients: Clients,
    activity: Option<watch::Sender<Activity>>,
) -> Summary {
    let mut summary = Summary::default();
    let mut known = HashSet::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    tokio::pin!(shutdown);
    loop {
        let (len, peer) = tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                // On some systems an ICMP "port unreachable" from an earlier
                // reply surfaces here as an error; it concerns one client only.
                Err(e) => {
                    crate::os::stderr::line(&crate::words::message(&says::receive_failed(lang::current(), &e)));
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Reply to the address exactly as received (on a dual-stack socket an
        // IPv4 client is ::ffff:a.b.c.d); show and remember it as plain IPv4.
        if let Err(e) = socket.send_to(&buf[..len], peer).await {
            crate::os::stderr::line(&crate::words::message(&says::reply_failed(
                lang::current(),
                peer,
                &e,
            )));
            continue;
        }
        let peer = crate::kernel::canonical(peer);
        summary.datagrams += 1;
        summary.bytes_echoed += len as u64;
        if known.len() < MAX_TRACKED_PEERS && known.insert(peer) {
            let count = clients.push(peer);
            if let Some(activity) = &activity {
                activity.send_modify(|a| {
                    a.accepted = count as u64;
                    a.last_peer = Some(peer);
                });
            }
        }
    }
    summary.clients = known.len();
    summary
}
