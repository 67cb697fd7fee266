//! Capturing the segments to and from a port (`--capture`).
//!
//! The socket table shows the *result* of demultiplexing: one listener and one
//! accepted socket per client, all on port 12000. A capture shows its *input*:
//! the segments themselves, as they cross the wire. Every segment a client
//! sends carries the same destination port, 12000, whichever socket the
//! kernel then hands it to. Put side by side, the two say the textbook's
//! sentence: the port is shared, and TCP tells the connections apart by the
//! whole 4-tuple (UDP by the destination alone, so one socket gets them all).
//!
//! How a capture works, in four steps:
//!
//! 1. a raw packet socket on the loopback interface receives a copy of every
//!    frame, before TCP or UDP has looked at it (on Linux, an `AF_PACKET`
//!    socket; see `packet`). That needs root or `CAP_NET_RAW`,
//!    because it sees everybody's traffic;
//! 2. [`parse_frame`] reads the Ethernet, IP and TCP/UDP headers with the
//!    `etherparse` crate and keeps what a student needs: addresses, ports,
//!    flags, payload length and the first bytes of the payload;
//! 3. a [`PortFilter`] keeps the segments of the experiment: those to or from
//!    the port, and anything else the clients send (so that the check in
//!    step 4 could fail);
//! 4. [`evidence`] checks the claim on what was kept (pure).
//!
//! On loopback a frame passes the packet tap twice, once leaving and once
//! arriving. The OS layer keeps only the arriving copy, so each segment is
//! counted once.
//!
//! A [`Capture`] runs steps 1 to 3 on a background thread, keeps at most a
//! fixed number of segments, and stops within a fraction of a second when
//! asked. The tables are written by [`crate::view::capture`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

mod evidence;
#[cfg(target_os = "linux")]
mod packet;
mod segment;
mod source;

pub use evidence::{CaptureEvidence, evidence};
pub use segment::{HEAD_LEN, PortFilter, Segment, TcpFlags, parse_frame};
pub use source::{CaptureError, Frame, FrameSource};

use crate::kernel::Proto;

/// How many segments a capture keeps unless told otherwise. A lesson needs a
/// screenful; the bound keeps a busy port from filling the memory.
pub const DEFAULT_MAX_SEGMENTS: usize = 10_000;

/// The largest frame the capture reads. The loopback interface's MTU is
/// 64 KiB, and TCP on loopback sends segments that large.
const FRAME_BUFFER: usize = 256 * 1024;

/// After [`Capture::stop`], how long the thread may keep reading frames that
/// were already queued (the last ACK of a close is often still in the queue).
const DRAIN_LIMIT: Duration = Duration::from_millis(500);

/// What a capture returned when it stopped.
#[derive(Debug, Default)]
pub struct Captured {
    /// The segments kept, in the order they crossed the interface.
    pub segments: Vec<Segment>,
    /// The capture reached its limit and stopped reading: later segments are
    /// not here.
    pub full: bool,
    /// Frames (of any port) the kernel dropped because they were not read in
    /// time; when not zero, some segments may be missing.
    pub dropped: u64,
    /// Why the capture ended early, if it did; the segments before it are kept.
    pub error: Option<CaptureError>,
}

/// A capture running on a background thread.
///
/// The raw socket is opened in [`Capture::start`], on the caller's thread, so
/// a missing privilege is reported at once and no segment sent after `start`
/// returns is missed. Dropping a `Capture` without [`stop`](Capture::stop)
/// also ends the thread.
#[derive(Debug)]
pub struct Capture {
    /// Set by `stop`; the thread looks at it every time a read times out.
    stop: Arc<AtomicBool>,
    /// Closed when the thread ends (its sender is dropped), so async code can
    /// wait for a capture that reached its limit.
    done: watch::Receiver<()>,
    /// The thread; it returns what it captured.
    thread: Option<JoinHandle<Captured>>,
}

impl Capture {
    /// Starts capturing, on the loopback interface, the segments of `proto`
    /// to and from `port`, keeping at most [`DEFAULT_MAX_SEGMENTS`].
    pub fn start(port: u16, proto: Proto) -> Result<Capture, CaptureError> {
        Capture::start_with_limit(port, proto, DEFAULT_MAX_SEGMENTS)
    }

    /// Like [`start`](Capture::start), stopping by itself after
    /// `max_segments` segments (at least one), as `--capture-count` asks.
    pub fn start_with_limit(
        port: u16,
        proto: Proto,
        max_segments: usize,
    ) -> Result<Capture, CaptureError> {
        // Taken before the socket opens, so no frame is stamped before it.
        let started = SystemTime::now();
        let source = open_loopback()?;
        Capture::spawn(source, PortFilter::new(port, proto), max_segments, started)
    }

    /// Runs a capture on frames from any source (tests feed hand-built frames).
    pub fn from_source(
        source: Box<dyn FrameSource>,
        filter: PortFilter,
        max_segments: usize,
    ) -> Result<Capture, CaptureError> {
        Capture::spawn(source, filter, max_segments, SystemTime::now())
    }

    /// Starts the thread that reads `source`; times count from `started`.
    fn spawn(
        source: Box<dyn FrameSource>,
        filter: PortFilter,
        max_segments: usize,
        started: SystemTime,
    ) -> Result<Capture, CaptureError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, done) = watch::channel(());
        let stop_flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || {
                // Dropped when the thread ends, however it ends: that closes `done`.
                let _done = done_tx;
                record(source, filter, max_segments.max(1), &stop_flag, started)
            })
            .map_err(|e| CaptureError::io(source::Capturing::StartThread, e))?;
        Ok(Capture {
            stop,
            done,
            thread: Some(thread),
        })
    }

    /// Whether the capture ended by itself (it reached its limit, or failed).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits until the capture ends by itself; for `serve`, to race against Ctrl-C.
    pub async fn finished(&self) {
        let mut done = self.done.clone();
        // `changed` fails once the sender is gone, that is, once the thread ended.
        while done.changed().await.is_ok() {}
    }

    /// Stops the capture and returns what it kept. Frames already queued are
    /// still read, for at most half a second, so the last ACK of a close is
    /// not lost; the call returns within about that time.
    pub fn stop(mut self) -> Captured {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(captured)) => captured,
            _ => Captured {
                error: Some(CaptureError::ThreadLost),
                ..Captured::default()
            },
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // The thread notices within one read timeout and exits on its own.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The OS's raw packet socket on the loopback interface.
/// Checks that a capture can be opened here (the privilege, the OS), without
/// starting one: commands call it first, so that without CAP_NET_RAW they
/// fail before doing anything else.
pub fn check() -> Result<(), CaptureError> {
    open_loopback().map(drop)
}

#[cfg(target_os = "linux")]
fn open_loopback() -> Result<Box<dyn FrameSource>, CaptureError> {
    Ok(Box::new(packet::RawCapture::open()?))
}

/// Other operating systems have no raw packet socket in this build.
#[cfg(not(target_os = "linux"))]
fn open_loopback() -> Result<Box<dyn FrameSource>, CaptureError> {
    Err(CaptureError::Unsupported)
}

/// The capture thread: reads frames, keeps the experiment's segments, and
/// ends at the limit, on an error, or once asked to stop and the queue is empty.
fn record(
    mut source: Box<dyn FrameSource>,
    mut filter: PortFilter,
    max_segments: usize,
    stop: &AtomicBool,
    started: SystemTime,
) -> Captured {
    let mut buf = vec![0u8; FRAME_BUFFER];
    let mut captured = Captured::default();
    let mut stopping_since: Option<Instant> = None;
    while captured.segments.len() < max_segments {
        if stopping_since.is_none() && stop.load(Ordering::Relaxed) {
            stopping_since = Some(Instant::now());
        }
        if stopping_since.is_some_and(|since| since.elapsed() > DRAIN_LIMIT) {
            break;
        }
        match source.next_frame(&mut buf) {
            Ok(Some(frame)) => {
                let time = since(started, frame.received.unwrap_or_else(SystemTime::now));
                let segment = parse_frame(frame.bytes, time);
                captured.segments.extend(segment.filter(|s| filter.keep(s)));
            }
            // Nothing came for a while: the queue is empty, stop if asked to.
            Ok(None) if stopping_since.is_some() => break,
            Ok(None) => {}
            Err(e) => {
                captured.error = Some(e);
                break;
            }
        }
    }
    captured.full = captured.segments.len() >= max_segments;
    captured.dropped = source.dropped();
    captured
}

/// The time from `start` to `then`; zero if the clock says `then` came first
/// (the wall clock can be set back while a capture runs).
fn since(start: SystemTime, then: SystemTime) -> Duration {
    then.duration_since(start).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;
    use std::collections::VecDeque;
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};

    const PORT: u16 = 12000;

    /// The Ethernet header Linux puts on loopback frames: zero addresses.
    fn ethernet() -> etherparse::PacketBuilderStep<etherparse::Ethernet2Header> {
        PacketBuilder::ethernet2([0; 6], [0; 6])
    }

    /// A TCP segment over IPv4 from `src` to `dst`, with flags set by `flags`.
    fn tcp4(src: ([u8; 4], u16), dst: ([u8; 4], u16), flags: &str, payload: &[u8]) -> Vec<u8> {
        let mut builder = ethernet()
            .ipv4(src.0, dst.0, 64)
            .tcp(src.1, dst.1, 1000, 65535);
        for flag in flags.split(',').filter(|f| !f.is_empty()) {
            builder = match flag {
                "SYN" => builder.syn(),
                "ACK" => builder.ack(1),
                "PSH" => builder.psh(),
                "FIN" => builder.fin(),
                "RST" => builder.rst(),
                other => panic!("unknown flag {other}"),
            };
        }
        let mut frame = Vec::new();
        builder.write(&mut frame, payload).unwrap();
        frame
    }

    fn udp4(src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
        let mut frame = Vec::new();
        ethernet()
            .ipv4(src.0, dst.0, 64)
            .udp(src.1, dst.1)
            .write(&mut frame, payload)
            .unwrap();
        frame
    }

    fn parse(frame: &[u8]) -> Segment {
        parse_frame(frame, Duration::from_millis(5)).unwrap()
    }

    fn flags(segment: &Segment) -> String {
        segment.flags.unwrap().to_string()
    }

    const CLIENT: [u8; 4] = [127, 0, 0, 2];
    const SERVER: [u8; 4] = [127, 0, 0, 1];

    #[test]
    fn a_handshake_and_data_are_read_from_the_headers() {
        let syn = parse(&tcp4((CLIENT, 50426), (SERVER, PORT), "SYN", b""));
        assert_eq!(syn.src, "127.0.0.2:50426".parse().unwrap());
        assert_eq!(syn.dst, "127.0.0.1:12000".parse().unwrap());
        assert_eq!(syn.proto, Proto::Tcp);
        assert_eq!(flags(&syn), "[SYN]");
        assert_eq!(syn.len, 0);
        assert_eq!(syn.time, Duration::from_millis(5));

        let syn_ack = parse(&tcp4((SERVER, PORT), (CLIENT, 50426), "SYN,ACK", b""));
        assert_eq!(flags(&syn_ack), "[SYN, ACK]");

        let data = parse(&tcp4((CLIENT, 50426), (SERVER, PORT), "PSH,ACK", b"hello"));
        assert_eq!(flags(&data), "[PSH, ACK]");
        assert_eq!(data.len, 5);
        assert_eq!(data.payload_head, b"hello");
    }

    #[test]
    fn only_the_first_bytes_of_a_long_payload_are_kept() {
        let payload = [b'x'; 100];
        let data = parse(&tcp4((CLIENT, 50426), (SERVER, PORT), "PSH,ACK", &payload));
        assert_eq!(data.len, 100);
        assert_eq!(data.payload_head.len(), HEAD_LEN);
    }

    /// Wireshark's Info column writes the flags in the order of their bits
    /// (FIN, SYN, RST, PSH, ACK ...), comma-separated in brackets: the common
    /// combinations of a connection's life, built from real headers.
    #[test]
    fn flags_are_written_as_wireshark_writes_them() {
        let cases = [
            ("SYN", "[SYN]"),
            ("SYN,ACK", "[SYN, ACK]"),
            ("ACK", "[ACK]"),
            ("PSH,ACK", "[PSH, ACK]"),
            ("FIN,ACK", "[FIN, ACK]"),
            ("FIN,PSH,ACK", "[FIN, PSH, ACK]"),
            ("RST", "[RST]"),
            ("RST,ACK", "[RST, ACK]"),
        ];
        for (set, written) in cases {
            // The builder sets them in this order; the written order must not depend on it.
            let reversed: Vec<&str> = set.split(',').rev().collect();
            for order in [set.to_string(), reversed.join(",")] {
                let segment = parse(&tcp4((CLIENT, 50426), (SERVER, PORT), &order, b""));
                assert_eq!(flags(&segment), written, "flags {order}");
            }
        }
        assert_eq!(TcpFlags::default().to_string(), "[<None>]");
        let data = parse(&tcp4((CLIENT, 50426), (SERVER, PORT), "ACK,PSH", b"hi"));
        assert_eq!(data.flags.unwrap().list(), "PSH, ACK", "the JSON value");
    }

    #[test]
    fn a_udp_datagram_has_no_flags() {
        let datagram = parse(&udp4((CLIENT, 50426), (SERVER, PORT), b"hello"));
        assert_eq!(datagram.proto, Proto::Udp);
        assert_eq!(datagram.flags, None);
        assert_eq!(datagram.len, 5);
        assert_eq!(datagram.dst.port(), PORT);
    }

    #[test]
    fn ipv6_segments_are_read_and_mapped_addresses_become_ipv4() {
        let mut frame = Vec::new();
        let one = std::net::Ipv6Addr::LOCALHOST.octets();
        ethernet()
            .ipv6(one, one, 64)
            .tcp(50426, PORT, 1, 65535)
            .syn()
            .write(&mut frame, b"")
            .unwrap();
        let syn = parse(&frame);
        assert_eq!(syn.src, "[::1]:50426".parse().unwrap());

        let mapped = "::ffff:127.0.0.2".parse::<std::net::Ipv6Addr>().unwrap();
        let mut frame = Vec::new();
        ethernet()
            .ipv6(mapped.octets(), one, 64)
            .udp(50426, PORT)
            .write(&mut frame, b"hi")
            .unwrap();
        assert_eq!(parse(&frame).src, "127.0.0.2:50426".parse().unwrap());
    }

    #[test]
    fn garbage_and_truncated_frames_are_skipped_without_panic() {
        let frame = tcp4((CLIENT, 50426), (SERVER, PORT), "PSH,ACK", b"hello");
        for cut in 0..frame.len() {
            // Any prefix may parse or not, but must not panic.
            let _ = parse_frame(&frame[..cut], Duration::ZERO);
        }
        assert_eq!(parse_frame(&[0xff; 60], Duration::ZERO), None);
        assert_eq!(parse_frame(&[], Duration::ZERO), None);
    }

    #[test]
    fn the_filter_keeps_the_port_and_what_the_clients_send() {
        let mut filter = PortFilter::new(PORT, Proto::Tcp);
        let other = parse(&tcp4((CLIENT, 40000), (SERVER, 8080), "SYN", b""));
        assert!(!filter.keep(&other), "another port, from a stranger");
        let syn = parse(&tcp4((CLIENT, 50426), (SERVER, PORT), "SYN", b""));
        assert!(filter.keep(&syn));
        let answer = parse(&tcp4((SERVER, PORT), (CLIENT, 50426), "SYN,ACK", b""));
        assert!(filter.keep(&answer));
        let stray = parse(&tcp4((CLIENT, 50426), (SERVER, 8080), "SYN", b""));
        assert!(
            filter.keep(&stray),
            "a client end sending elsewhere is evidence"
        );
        let datagram = parse(&udp4((CLIENT, 50426), (SERVER, PORT), b"hi"));
        assert!(!filter.keep(&datagram), "the other protocol");
    }

    /// The segments of two clients that each open, send `hello` and close.
    fn two_conversations() -> Vec<Segment> {
        let mut segments = Vec::new();
        for (client, port) in [([127, 0, 0, 2], 50426), ([127, 0, 0, 3], 50427)] {
            let up = |flags, payload: &[u8]| {
                parse(&tcp4((client, port), (SERVER, PORT), flags, payload))
            };
            let down = |flags, payload: &[u8]| {
                parse(&tcp4((SERVER, PORT), (client, port), flags, payload))
            };
            segments.extend([
                up("SYN", b""),
                down("SYN,ACK", b""),
                up("ACK", b""),
                up("PSH,ACK", b"hello"),
                down("PSH,ACK", b"hello"),
                up("FIN,ACK", b""),
                down("FIN,ACK", b""),
                up("ACK", b""),
            ]);
        }
        segments
    }

    #[test]
    fn evidence_counts_the_clients_and_their_segments() {
        let found = evidence(&two_conversations(), PORT, Proto::Tcp);
        assert_eq!(
            found.clients,
            vec![
                "127.0.0.2:50426".parse().unwrap(),
                "127.0.0.3:50427".parse().unwrap()
            ]
        );
        assert_eq!(found.from_clients, 10);
        assert_eq!(found.to_port, 10);
        assert!(found.all_to_port());
        assert_eq!(
            found.sentence(crate::lang::Lang::En, 2),
            "every segment from the 2 clients was addressed to port 12000; \
             the kernel delivered them to 2 different sockets"
        );
    }

    #[test]
    fn a_client_segment_to_another_port_breaks_the_claim() {
        let mut segments = two_conversations();
        segments.push(parse(&tcp4(
            ([127, 0, 0, 2], 50426),
            (SERVER, 8080),
            "SYN",
            b"",
        )));
        let found = evidence(&segments, PORT, Proto::Tcp);
        assert!(!found.all_to_port());
        assert_eq!(
            found.sentence(crate::lang::Lang::En, 2),
            "10 of the 11 segments from the 2 clients were addressed to port 12000; \
             1 went to other ports"
        );
    }

    #[test]
    fn udp_clients_share_one_socket() {
        let segments: Vec<Segment> = (0..3)
            .map(|i| parse(&udp4(([127, 0, 0, 2 + i], 50426), (SERVER, PORT), b"hi")))
            .collect();
        let found = evidence(&segments, PORT, Proto::Udp);
        assert_eq!(
            found.sentence(crate::lang::Lang::En, 1),
            "every datagram from the 3 clients was addressed to port 12000; \
             the kernel delivered them to one socket"
        );
    }

    #[test]
    fn nothing_captured_is_said_plainly() {
        let found = evidence(&[], PORT, Proto::Tcp);
        assert!(!found.all_to_port());
        assert_eq!(
            found.sentence(crate::lang::Lang::En, 0),
            "no segment to port 12000 was captured"
        );
    }

    /// Frames handed out one per call, then silence.
    struct Replay(VecDeque<Vec<u8>>);

    impl FrameSource for Replay {
        fn next_frame<'b>(&mut self, buf: &'b mut [u8]) -> Result<Option<Frame<'b>>, CaptureError> {
            match self.0.pop_front() {
                Some(frame) => {
                    buf[..frame.len()].copy_from_slice(&frame);
                    Ok(Some(Frame {
                        bytes: &buf[..frame.len()],
                        received: None,
                    }))
                }
                None => {
                    std::thread::sleep(Duration::from_millis(5));
                    Ok(None)
                }
            }
        }
    }

    fn replay() -> Box<dyn FrameSource> {
        let frames = (0..5)
            .map(|i| tcp4((CLIENT, 50000 + i), (SERVER, PORT), "SYN", b""))
            .chain([tcp4((CLIENT, 40000), (SERVER, 8080), "SYN", b"")]);
        Box::new(Replay(frames.collect()))
    }

    #[test]
    fn a_capture_stops_by_itself_at_its_limit() {
        let capture = Capture::from_source(replay(), PortFilter::new(PORT, Proto::Tcp), 3).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !capture.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let captured = capture.stop();
        assert_eq!(captured.segments.len(), 3);
        assert!(captured.full);
        assert!(captured.error.is_none());
    }

    #[tokio::test]
    async fn async_code_can_wait_for_a_full_capture() {
        let capture = Capture::from_source(replay(), PortFilter::new(PORT, Proto::Tcp), 2).unwrap();
        tokio::time::timeout(Duration::from_secs(5), capture.finished())
            .await
            .unwrap();
        assert_eq!(capture.stop().segments.len(), 2);
    }

    #[test]
    fn stop_returns_what_was_kept() {
        let capture =
            Capture::from_source(replay(), PortFilter::new(PORT, Proto::Tcp), 100).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let asked = Instant::now();
        let captured = capture.stop();
        assert!(asked.elapsed() < Duration::from_secs(2));
        assert_eq!(
            captured.segments.len(),
            5,
            "the frame for port 8080 is left out"
        );
        assert!(!captured.full);
    }

    /// Starts a real capture (the test is `#[ignore]`d without root).
    fn real_capture(port: u16) -> Capture {
        match Capture::start(port, Proto::Tcp) {
            Ok(capture) => capture,
            Err(e) => panic!("cannot start a capture: {e}"),
        }
    }

    /// A client bound to `from` that connects to `server`, sends `hello` and
    /// reads the echo.
    fn hello_from(from: &str, server: SocketAddr, listener: &TcpListener) -> SocketAddr {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let from: SocketAddr = from.parse().unwrap();
        socket.bind(&from.into()).unwrap();
        socket.connect(&server.into()).unwrap();
        let mut client: TcpStream = socket.into();
        let (mut accepted, _) = listener.accept().unwrap();
        client.write_all(b"hello").unwrap();
        let mut echo = [0u8; 5];
        accepted.read_exact(&mut echo).unwrap();
        accepted.write_all(&echo).unwrap();
        client.read_exact(&mut echo).unwrap();
        assert_eq!(&echo, b"hello");
        let end = client.local_addr().unwrap();
        drop(client);
        drop(accepted);
        end
    }

    /// On the real loopback interface: two clients talk to one port. Each SYN
    /// is seen once (loopback's outgoing copy is gone), each `hello` is
    /// addressed to the port, and the evidence says so.
    #[test]
    #[ignore = "needs root: capturing packets needs CAP_NET_RAW (CI runs it with --include-ignored)"]
    fn a_real_capture_on_loopback_sees_each_segment_once() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap();
        let port = server.port();
        let capture = real_capture(port);
        let clients = [
            hello_from("127.0.0.2:0", server, &listener),
            hello_from("127.0.0.3:0", server, &listener),
        ];
        // Let the closing handshakes finish before stopping.
        std::thread::sleep(Duration::from_millis(100));
        let captured = capture.stop();
        assert!(captured.error.is_none(), "{:?}", captured.error);
        let segments = &captured.segments;

        for client in clients {
            let from_client = |s: &&Segment| s.src == client;
            let syns = segments
                .iter()
                .filter(from_client)
                .filter(|s| s.flags.is_some_and(|f| f.syn))
                .count();
            assert_eq!(syns, 1, "one SYN from {client}, not two: {segments:#?}");
            let hello = segments
                .iter()
                .filter(from_client)
                .find(|s| s.payload_head == b"hello")
                .unwrap();
            assert_eq!(hello.dst, server);
            assert_eq!(hello.len, 5);
        }
        let found = evidence(segments, port, Proto::Tcp);
        assert_eq!(found.clients, clients.to_vec());
        assert!(found.all_to_port(), "{found:?}");
        assert!(
            segments.windows(2).all(|w| w[0].time <= w[1].time),
            "segments are in the order they were read"
        );
    }
}
