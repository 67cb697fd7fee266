//! Reading a captured frame: the Ethernet, IP and TCP/UDP headers, down to
//! what a student needs (addresses, ports, flags, the first payload bytes).

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use etherparse::{NetSlice, SlicedPacket, TcpSlice, TransportSlice};

use crate::kernel::{Proto, canonical};

/// How many payload bytes a [`Segment`] keeps: enough to recognise `hello`
/// or `GET / HTTP/1.1`, never a whole file.
pub const HEAD_LEN: usize = 16;

/// The control flags of a TCP segment: what the segment *does* (open, accept,
/// carry data, close) besides carrying bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// "Let us synchronise sequence numbers": the first two segments of a connection.
    pub syn: bool,
    /// "I have sent everything": one side closes.
    pub fin: bool,
    /// "Reset": abort the connection (or there is no socket for it).
    pub rst: bool,
    /// "The acknowledgment number is valid": every segment after the first.
    pub ack: bool,
    /// "Push": hand the data to the application now.
    pub psh: bool,
    /// "Urgent pointer is valid" (almost never used).
    pub urg: bool,
    /// ECN echo: congestion was signalled on the path.
    pub ece: bool,
    /// Congestion window reduced, the answer to ECE.
    pub cwr: bool,
}

impl TcpFlags {
    /// The flags of a parsed TCP header.
    fn of(tcp: &TcpSlice<'_>) -> Self {
        TcpFlags {
            syn: tcp.syn(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            ack: tcp.ack(),
            psh: tcp.psh(),
            urg: tcp.urg(),
            ece: tcp.ece(),
            cwr: tcp.cwr(),
        }
    }

    /// The names of the flags that are set, in Wireshark's order: the order
    /// of the bits in the header, lowest first (FIN is bit 0, SYN bit 1 ...).
    /// So the server's answer to a SYN is `SYN, ACK`, data is `PSH, ACK` and a
    /// close is `FIN, ACK`, as a student sees them in Wireshark's Info column.
    /// (Wireshark calls the ECN-echo bit `ECN`.)
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.fin, "FIN"),
            (self.syn, "SYN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
            (self.urg, "URG"),
            (self.ece, "ECN"),
            (self.cwr, "CWR"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }

    /// The names joined as Wireshark joins them, `PSH, ACK`; `<None>` for a
    /// segment without flags (which a correct TCP never sends). This is the
    /// JSON value; the table adds Wireshark's brackets (see the `Display`).
    pub fn list(&self) -> String {
        let names = self.names();
        if names.is_empty() {
            "<None>".to_string()
        } else {
            names.join(", ")
        }
    }
}

/// `[SYN]`, `[SYN, ACK]`, `[PSH, ACK]`, `[FIN, ACK]`, `[RST, ACK]`: the flags
/// exactly as Wireshark's Info column writes them, so a capture here and one
/// in Wireshark can be compared line by line.
impl fmt::Display for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.list())
    }
}

/// One TCP segment or UDP datagram, as it crossed the interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// When the kernel received it, counted from the start of the capture.
    pub time: Duration,
    pub proto: Proto,
    /// The sender's (IP, port). IPv4-mapped IPv6 addresses are written as IPv4.
    pub src: SocketAddr,
    /// The (IP, port) it is addressed to: for every client segment, the
    /// server's one port.
    pub dst: SocketAddr,
    /// TCP's control flags; `None` for UDP, which has no connection to control.
    pub flags: Option<TcpFlags>,
    /// Payload bytes: what the application wrote, headers not counted.
    pub len: usize,
    /// The first [`HEAD_LEN`] bytes of the payload.
    pub payload_head: Vec<u8>,
}

/// Reads one Ethernet frame into a [`Segment`]; `None` for anything that is
/// not TCP or UDP over IPv4 or IPv6 (ARP, ICMP, a fragment, a truncated or
/// garbled frame). Never panics, whatever the bytes.
///
/// `time` is when the frame was read, since the start of the capture.
pub fn parse_frame(frame: &[u8], time: Duration) -> Option<Segment> {
    let packet = SlicedPacket::from_ethernet(frame).ok()?;
    let (src_ip, dst_ip) = ip_addresses(packet.net.as_ref()?)?;
    let (proto, src_port, dst_port, flags, payload) = match packet.transport? {
        TransportSlice::Tcp(tcp) => (
            Proto::Tcp,
            tcp.source_port(),
            tcp.destination_port(),
            Some(TcpFlags::of(&tcp)),
            tcp.payload(),
        ),
        TransportSlice::Udp(udp) => (
            Proto::Udp,
            udp.source_port(),
            udp.destination_port(),
            None,
            udp.payload(),
        ),
        _ => return None,
    };
    Some(Segment {
        time,
        proto,
        src: canonical(SocketAddr::new(src_ip, src_port)),
        dst: canonical(SocketAddr::new(dst_ip, dst_port)),
        flags,
        len: payload.len(),
        payload_head: payload[..payload.len().min(HEAD_LEN)].to_vec(),
    })
}

/// The source and destination addresses of an IP header.
fn ip_addresses(net: &NetSlice<'_>) -> Option<(IpAddr, IpAddr)> {
    match net {
        NetSlice::Ipv4(ip) => Some((
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        )),
        NetSlice::Ipv6(ip) => Some((
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        )),
        NetSlice::Arp(_) => None,
    }
}

/// Decides which segments belong to the experiment on one port.
///
/// It keeps every segment to or from the port, and it also learns the
/// *client ends*: each (IP, port) that sent something to the port. Whatever a
/// client end sends afterwards is kept too, even to another port, so that the
/// claim "every segment from the clients was addressed to port P" is checked
/// rather than assumed. (A filter on the port alone could never see a
/// counter-example.)
#[derive(Clone, Debug)]
pub struct PortFilter {
    port: u16,
    proto: Proto,
    clients: HashSet<SocketAddr>,
}

impl PortFilter {
    pub fn new(port: u16, proto: Proto) -> Self {
        PortFilter {
            port,
            proto,
            clients: HashSet::new(),
        }
    }

    /// Whether to keep `segment`; learns its sender as a client end when it
    /// is addressed to the port.
    pub fn keep(&mut self, segment: &Segment) -> bool {
        if segment.proto != self.proto {
            return false;
        }
        let to_port = segment.dst.port() == self.port;
        let from_port = segment.src.port() == self.port;
        if to_port && !from_port {
            self.clients.insert(segment.src);
        }
        to_port || from_port || self.clients.contains(&segment.src)
    }
}
