//! What a capture shows about the claim (pure).

use std::collections::HashSet;
use std::net::SocketAddr;

use crate::kernel::Proto;
use crate::lang::{Lang, capture as says};

use super::segment::Segment;

/// What a capture shows about the claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureEvidence {
    pub port: u16,
    pub proto: Proto,
    /// The client ends: every (IP, port) other than the server's port that
    /// sent something to the port, in order of first appearance.
    pub clients: Vec<SocketAddr>,
    /// Segments sent by a client end, wherever they went.
    pub from_clients: usize,
    /// Those of them addressed to the port.
    pub to_port: usize,
}

/// Checks, on captured segments, that the clients addressed everything to the
/// one port. Segments of the other protocol are ignored.
pub fn evidence(segments: &[Segment], port: u16, proto: Proto) -> CaptureEvidence {
    let ours = || segments.iter().filter(|s| s.proto == proto);
    let mut clients: Vec<SocketAddr> = Vec::new();
    let mut known = HashSet::new();
    for s in ours().filter(|s| s.dst.port() == port && s.src.port() != port) {
        if known.insert(s.src) {
            clients.push(s.src);
        }
    }
    let from_clients: Vec<&Segment> = ours().filter(|s| known.contains(&s.src)).collect();
    CaptureEvidence {
        port,
        proto,
        to_port: from_clients.iter().filter(|s| s.dst.port() == port).count(),
        from_clients: from_clients.len(),
        clients,
    }
}

impl CaptureEvidence {
    /// True when at least one client segment was seen and every one of them
    /// was addressed to the port.
    pub fn all_to_port(&self) -> bool {
        self.from_clients > 0 && self.to_port == self.from_clients
    }

    /// The sentence for the verdict, given how many sockets the socket table
    /// shows serving these clients (accepted sockets for TCP, 1 for UDP):
    /// "every segment from the 3 clients was addressed to port 12000; the
    /// kernel delivered them to 3 different sockets".
    pub fn sentence(&self, lang: Lang, sockets: usize) -> String {
        let (port, transport, clients) = (self.port, self.proto.into(), self.clients.len());
        if self.clients.is_empty() {
            return says::nothing(lang, transport, port);
        }
        if self.all_to_port() {
            return says::all_to_port(lang, transport, clients, port, sockets);
        }
        says::some_to_port(
            lang,
            transport,
            clients,
            (self.to_port, self.from_clients),
            port,
        )
    }
}
