//! sameport's echo server against the textbook's threaded server, in the same run.
//!
//! ```text
//! cargo bench --bench echo                               # all four parts
//! cargo bench --bench echo -- --only rtt                 # one part: rtt, hung, rss or fill
//! cargo bench --bench echo -- --only rss,fill --connections 10000 --rounds 5
//! cargo bench --bench echo -- --only hung --hung 2000,10000
//! ```
//!
//! The baseline is `benches/textbook_server.py`, the threaded echo server a
//! student writes from Kurose & Ross: one welcoming socket with `listen(5)`,
//! and one thread per connection. Machines are noisy, so every figure is
//! measured against both servers in the same run and reported as a ratio.
//!
//! 1. **Round trips** (`rtt`): 100 clients each send 16 bytes and read the
//!    echo back, 1,000 times, one message outstanding per client. Round trips
//!    per second, the p50/p99 latency of one round trip, and the server's CPU
//!    time per round trip: what a small pool of async threads costs against a
//!    thread per client.
//! 2. **Hung clients** (`hung`): 2,000, then 10,000 clients connect at the same
//!    moment, each sends one message and waits 5 s for the echo. A client that
//!    never gets it is *hung*. A listen queue of 5 overflows at once. Most hung
//!    clients believe they are connected: the kernel answered their SYN (with
//!    a SYN cookie once the queue was full), then dropped the handshake's last
//!    ACK because no room was left for the connection in the accept queue.
//!    The connection exists on the client's side only; its message is
//!    retransmitted with a growing back-off and nobody answers. sameport asks
//!    for a queue of 4,096 and accepts without pausing.
//! 3. **Memory per idle connection** (`rss`): the server's resident memory
//!    (VmRSS) before and after 19,000 connections that sit idle after one
//!    echo, divided by the connections it accepted. An idle connection should
//!    cost a parked task, not a thread and its stack.
//! 4. **Tables while filling** (`fill`): the time from the first connect until
//!    the server has accepted 19,000 connections, when `serve` prints the socket
//!    table after every accept (coalesced; stdout to /dev/null), and when it
//!    prints every row as JSON (`--format json`), against `serve --quiet`.
//!    Showing the table must not slow accepting down.
//!
//! The clients live in this process, on one thread (a current-thread tokio
//! runtime), so the load generator never takes both cores from the server.
//! They connect from 127.0.0.2 to 127.0.0.9 in turn, each source address
//! with its own ephemeral ports, and they leave with a reset (`SO_LINGER` 0),
//! so no `TIME_WAIT` sockets are left behind.
//!
//! Every load is bounded by a count and by timeouts. Every process this
//! benchmark starts is stopped by its PID (SIGTERM, then SIGKILL) when its part
//! ends or fails, and is killed by the kernel if the benchmark itself dies.

mod common;

use common::{count_sockets, die_with_this_process, free_port, raise_fd_limit, stop};

use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;
use tokio::time::timeout;

/// What every client sends: 16 bytes, one small segment.
const MESSAGE: &[u8; 16] = b"sameport: echo!\n";
/// Clients connect from 127.0.0.2, 127.0.0.3, ... 127.0.0.9 in turn.
const SOURCE_ADDRESSES: usize = 8;
/// How long a hung-clients client waits for its connection. The kernel
/// retransmits a dropped SYN after 1 s and again after 3 s.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client waits for its echo before it counts as hung.
const ECHO_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest one round-trip run may take.
const ROUND_TRIP_LIMIT: Duration = Duration::from_secs(60);
/// How long clients may take to join one by one (parts 1 and 3).
const JOIN_LIMIT: Duration = Duration::from_secs(60);
/// How long a connection may take to open while filling (SYN retransmissions
/// at 1, 3, 7 and 15 s fit in it).
const FILL_CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the server gets to accept what the clients opened.
const ACCEPT_LIMIT: Duration = Duration::from_secs(30);
/// Accepting has stalled when the count has not grown for this long.
const ACCEPT_STALL: Duration = Duration::from_secs(5);
/// The fds this process needs besides client sockets (stdio, the runtime,
/// pipes to `ss`).
const SPARE_FDS: u64 = 200;

fn main() {
    let mut args = Args::parse();
    let fd_limit = raise_fd_limit();
    if args.connections as u64 + SPARE_FDS > fd_limit {
        args.connections = fd_limit.saturating_sub(SPARE_FDS) as usize;
        println!(
            "(open-file limit {fd_limit}: holding {} connections)",
            args.connections
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    println!(
        "sameport echo benchmarks: clients on one thread of this process, servers on 127.0.0.1, \
         {} cores, open-file limit {fd_limit}\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut figures = Figures::default();
    if args.runs("rtt") {
        figures.round_trips = round_trip_part(&runtime, &args);
    }
    if args.runs("hung") {
        figures.hung = hung_part(&runtime, &args);
    }
    if args.runs("rss") {
        figures.memory = memory_part(&runtime, &args);
    }
    if args.runs("fill") {
        figures.fill = fill_part(&runtime, &args);
    }
    figures.print(&args);
}

// ---------------------------------------------------------------------------
// Part 1: round trips per second and latency
// ---------------------------------------------------------------------------

/// What one round-trip run measured against one server.
#[derive(Clone, Copy, Debug, Default)]
struct RoundTrips {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    /// Clients that did not finish all their round trips.
    failed: usize,
    /// Round trips completed.
    completed: usize,
    /// The server's CPU time (user + system) per round trip: what echoing
    /// costs the server, whatever share of the two cores it was given.
    server_cpu: Duration,
}

fn round_trip_part(runtime: &Runtime, args: &Args) -> Option<[RoundTrips; 2]> {
    println!(
        "1. Round trips: {} clients x {} round trips of {} bytes, one outstanding per client \
         (median of {} rounds, servers alternating)",
        args.clients,
        thousands(args.trips),
        MESSAGE.len(),
        args.rounds
    );
    let servers = Server::start(Kind::Quiet).and_then(|s| Ok([s, Server::start(Kind::Textbook)?]));
    let servers = match servers {
        Ok(servers) => servers,
        Err(e) => return failed("round trips", e),
    };
    let mut runs: [Vec<RoundTrips>; 2] = Default::default();
    for _ in 0..args.rounds {
        for (server, samples) in servers.iter().zip(runs.iter_mut()) {
            samples.push(timed_round_trips(runtime, server, args));
        }
    }
    drop(servers);
    let [sameport, textbook] = runs.map(|samples| median_run(&samples));
    println!(
        "   {:<28} {:>14} {:>10} {:>10} {:>18} {:>15}",
        "server", "round trips/s", "p50", "p99", "server CPU per rt", "failed clients"
    );
    for (kind, run) in [(Kind::Quiet, sameport), (Kind::Textbook, textbook)] {
        println!(
            "   {:<28} {:>14} {:>10} {:>10} {:>18} {:>15}",
            kind.name(),
            thousands(run.per_second as usize),
            ms(run.p50),
            ms(run.p99),
            us(run.server_cpu),
            run.failed
        );
    }
    println!(
        "   {:<28} {:>14} {:>10} {:>10} {:>18}\n",
        "ratio sameport / textbook",
        ratio(sameport.per_second, textbook.per_second),
        ratio(sameport.p50.as_secs_f64(), textbook.p50.as_secs_f64()),
        ratio(sameport.p99.as_secs_f64(), textbook.p99.as_secs_f64()),
        ratio(
            sameport.server_cpu.as_secs_f64(),
            textbook.server_cpu.as_secs_f64()
        ),
    );
    Some([sameport, textbook])
}

/// One round-trip run against `server`, with the CPU time the server spent.
fn timed_round_trips(runtime: &Runtime, server: &Server, args: &Args) -> RoundTrips {
    let cpu_before = server.cpu_time();
    let mut run = runtime.block_on(round_trips(server.addr(), args.clients, args.trips));
    let cpu = server.cpu_time().saturating_sub(cpu_before);
    run.server_cpu = cpu / run.completed.max(1) as u32;
    run
}

/// `clients` clients join one by one, then all at once each does `trips`
/// round trips. The clock runs from the first message to the last echo.
async fn round_trips(server: SocketAddr, clients: usize, trips: usize) -> RoundTrips {
    let (streams, mut failed) = join_one_by_one(server, clients, JOIN_LIMIT).await;
    let deadline = tokio::time::Instant::now() + ROUND_TRIP_LIMIT;
    let start = Instant::now();
    let mut load = JoinSet::new();
    for stream in streams {
        load.spawn(echo_loop(stream, trips, deadline));
    }
    let mut latencies = Vec::with_capacity(clients * trips);
    while let Some(joined) = load.join_next().await {
        let (mut measured, finished) = joined.unwrap_or_default();
        failed += usize::from(!finished);
        latencies.append(&mut measured);
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    RoundTrips {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 50),
        p99: percentile(&latencies, 99),
        failed,
        completed: latencies.len(),
        server_cpu: Duration::ZERO,
    }
}

/// One client's load: `trips` times, send the message and read the echo back
/// before sending again, timing each round trip. Returns the times and
/// whether every echo came back intact before `deadline`.
async fn echo_loop(
    mut stream: TcpStream,
    trips: usize,
    deadline: tokio::time::Instant,
) -> (Vec<Duration>, bool) {
    let mut latencies = Vec::with_capacity(trips);
    let mut echo = [0u8; MESSAGE.len()];
    for _ in 0..trips {
        let sent = Instant::now();
        let trip = async {
            stream.write_all(MESSAGE).await?;
            stream.read_exact(&mut echo).await
        };
        let arrived = tokio::time::timeout_at(deadline, trip).await;
        if !matches!(arrived, Ok(Ok(_))) || echo != *MESSAGE {
            return (latencies, false);
        }
        latencies.push(sent.elapsed());
    }
    (latencies, true)
}

/// Connects `n` clients one after another, each confirmed by one echo before
/// the next connects, for at most `limit`. The listen queue never holds more
/// than one connection, so parts 1 and 3 measure echoing and memory, not the
/// overflow of part 2: a connection whose handshake the kernel dropped would
/// otherwise sit unaccepted while the client believes it is connected.
/// Returns the clients the server answered and how many it did not.
async fn join_one_by_one(server: SocketAddr, n: usize, limit: Duration) -> (Vec<TcpStream>, usize) {
    let deadline = Instant::now() + limit;
    let mut served = Vec::with_capacity(n);
    for i in (0..n).take_while(|_| Instant::now() < deadline) {
        if let (Fate::Echoed, Some(stream)) = one_message(source(i), server).await {
            served.push(stream);
        }
    }
    let failed = n - served.len();
    (served, failed)
}

/// The `p`th percentile of sorted samples (nearest rank).
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// Each figure's median over the rounds.
fn median_run(runs: &[RoundTrips]) -> RoundTrips {
    RoundTrips {
        per_second: median_by(runs, |r| r.per_second),
        p50: Duration::from_secs_f64(median_by(runs, |r| r.p50.as_secs_f64())),
        p99: Duration::from_secs_f64(median_by(runs, |r| r.p99.as_secs_f64())),
        failed: runs.iter().map(|r| r.failed).max().unwrap_or(0),
        completed: runs.iter().map(|r| r.completed).min().unwrap_or(0),
        server_cpu: Duration::from_secs_f64(median_by(runs, |r| r.server_cpu.as_secs_f64())),
    }
}

// ---------------------------------------------------------------------------
// Part 2: hung clients
// ---------------------------------------------------------------------------

/// What became of the clients of one hung-clients run.
#[derive(Clone, Copy, Debug, Default)]
struct Hung {
    clients: usize,
    echoed: usize,
    /// No connection within [`CONNECT_TIMEOUT`].
    never_connected: usize,
    /// Connected (as far as the client could tell) but no echo within
    /// [`ECHO_TIMEOUT`].
    no_echo: usize,
}

impl Hung {
    fn hung(&self) -> usize {
        self.never_connected + self.no_echo
    }
}

/// What became of one client.
enum Fate {
    Echoed,
    NeverConnected,
    NoEcho,
}

fn hung_part(runtime: &Runtime, args: &Args) -> Vec<(Hung, Hung)> {
    println!(
        "2. Hung clients: N clients connect at once from 127.0.0.2-9, each sends {} bytes and waits \
         {} s for the echo",
        MESSAGE.len(),
        ECHO_TIMEOUT.as_secs()
    );
    println!(
        "   {:>8}  {:<28} {:>8} {:>16} {:>8} {:>8}",
        "clients", "server", "echoed", "never connected", "no echo", "hung"
    );
    let mut results = Vec::new();
    for &n in &args.hung_at {
        let sameport = hung_run(runtime, Kind::Quiet, n);
        let textbook = hung_run(runtime, Kind::Textbook, n);
        for (kind, hung) in [(Kind::Quiet, &sameport), (Kind::Textbook, &textbook)] {
            match hung {
                Ok(h) => println!(
                    "   {:>8}  {:<28} {:>8} {:>16} {:>8} {:>8}",
                    thousands(n),
                    kind.name(),
                    thousands(h.echoed),
                    thousands(h.never_connected),
                    thousands(h.no_echo),
                    thousands(h.hung())
                ),
                Err(e) => println!("   {:>8}  {:<28} failed: {e}", thousands(n), kind.name()),
            }
        }
        if let (Ok(s), Ok(t)) = (sameport, textbook) {
            results.push((s, t));
        }
    }
    println!();
    results
}

fn hung_run(runtime: &Runtime, kind: Kind, n: usize) -> Result<Hung, String> {
    let server = Server::start(kind)?;
    let hung = runtime.block_on(hung_clients(server.addr(), n));
    drop(server);
    Ok(hung)
}

/// Starts `n` clients at once and waits for every one to get its echo or
/// give up. All connections stay open until the last client is done, so the
/// server faces `n` simultaneous clients; then they are reset together.
async fn hung_clients(server: SocketAddr, n: usize) -> Hung {
    let mut clients = JoinSet::new();
    for i in 0..n {
        clients.spawn(one_message(source(i), server));
    }
    let mut held = Vec::with_capacity(n);
    let mut hung = Hung {
        clients: n,
        ..Hung::default()
    };
    while let Some(joined) = clients.join_next().await {
        let (fate, stream) = joined.unwrap_or((Fate::NoEcho, None));
        match fate {
            Fate::Echoed => hung.echoed += 1,
            Fate::NeverConnected => hung.never_connected += 1,
            Fate::NoEcho => hung.no_echo += 1,
        }
        held.extend(stream);
    }
    hung
}

/// One client: connect, send the message, wait for the echo. Returns the
/// connection too, so it stays open until every client is done.
async fn one_message(from: Ipv4Addr, server: SocketAddr) -> (Fate, Option<TcpStream>) {
    let Ok(mut stream) = connect(from, server, CONNECT_TIMEOUT).await else {
        return (Fate::NeverConnected, None);
    };
    let mut echo = [0u8; MESSAGE.len()];
    let exchange = async {
        stream.write_all(MESSAGE).await?;
        stream.read_exact(&mut echo).await
    };
    let arrived = timeout(ECHO_TIMEOUT, exchange).await;
    let fate = match arrived {
        Ok(Ok(_)) if echo == *MESSAGE => Fate::Echoed,
        _ => Fate::NoEcho,
    };
    (fate, Some(stream))
}

// ---------------------------------------------------------------------------
// Part 3: memory per idle connection
// ---------------------------------------------------------------------------

/// The server's resident memory around holding idle connections.
#[derive(Clone, Copy, Debug)]
struct Memory {
    /// Connections the server accepted (the divisor).
    accepted: usize,
    /// Server-side sockets the kernel showed as established (`ss`).
    established: usize,
    rss_before: u64,
    rss_after: u64,
}

impl Memory {
    fn per_connection(&self) -> f64 {
        self.rss_after.saturating_sub(self.rss_before) as f64 / self.accepted.max(1) as f64
    }
}

fn memory_part(runtime: &Runtime, args: &Args) -> Option<(Memory, Result<Memory, String>)> {
    let n = args.connections;
    println!(
        "3. Resident memory per idle connection: {} clients join one by one (one echo each), then sit idle",
        thousands(n)
    );
    let sameport = match memory(runtime, Kind::Quiet, n) {
        Ok(memory) => memory,
        Err(e) => return failed("memory", e),
    };
    let textbook = memory(runtime, Kind::Textbook, n);
    println!(
        "   {:<28} {:>9} {:>12} {:>11} {:>11} {:>15}",
        "server", "accepted", "established", "RSS before", "RSS after", "per connection"
    );
    for (kind, result) in [
        (Kind::Quiet, Ok(sameport)),
        (Kind::Textbook, textbook.clone()),
    ] {
        match result {
            Ok(m) => println!(
                "   {:<28} {:>9} {:>12} {:>11} {:>11} {:>15}",
                kind.name(),
                thousands(m.accepted),
                thousands(m.established),
                mib(m.rss_before),
                mib(m.rss_after),
                kib(m.per_connection())
            ),
            Err(ref e) => println!("   {:<28} failed: {e}", kind.name()),
        }
    }
    if let Ok(t) = &textbook {
        println!(
            "   {:<28} {:>62}",
            "ratio textbook / sameport",
            ratio(t.per_connection(), sameport.per_connection())
        );
    }
    println!();
    Some((sameport, textbook))
}

/// Starts a server, reads its RSS, has `n` clients join (bounded by
/// [`JOIN_LIMIT`]), waits until the kernel shows them established and the
/// server holds their fds, and reads its RSS again.
fn memory(runtime: &Runtime, kind: Kind, n: usize) -> Result<Memory, String> {
    let server = Server::start(kind)?;
    let base_fds = server.quiet_fd_count();
    let rss_before = server.rss()?;
    let (clients, _) = runtime.block_on(join_one_by_one(server.addr(), n, JOIN_LIMIT));
    server.wait_established(clients.len());
    let accepted = server.wait_accepted(base_fds, clients.len());
    let established = server.established();
    let rss_after = server.settled_rss()?;
    drop(clients);
    Ok(Memory {
        accepted,
        established,
        rss_before,
        rss_after,
    })
}

// ---------------------------------------------------------------------------
// Part 4: filling the server with and without tables
// ---------------------------------------------------------------------------

fn fill_part(runtime: &Runtime, args: &Args) -> Option<[Duration; 3]> {
    let n = args.connections;
    println!(
        "4. Filling: time from the first connect until the server has accepted {} connections \
         (median of {} rounds, the order rotating)",
        thousands(n),
        args.rounds
    );
    let kinds = [Kind::Tables, Kind::Json, Kind::Quiet];
    let mut times: [Vec<Duration>; 3] = Default::default();
    for round in 0..args.rounds {
        // Rotate which goes first, so a drift in the machine hits all.
        for k in 0..kinds.len() {
            let i = (round + k) % kinds.len();
            match fill(runtime, kinds[i], n) {
                Ok(elapsed) => times[i].push(elapsed),
                Err(e) => return failed("fill", e),
            }
        }
    }
    let medians = times.clone().map(median);
    for ((kind, samples), time) in kinds.iter().zip(&times).zip(medians) {
        let rounds: Vec<String> = samples.iter().map(|&d| secs(d)).collect();
        println!(
            "   {:<40} {:>9}   rounds: {}",
            kind.name(),
            secs(time),
            rounds.join(", ")
        );
    }
    let [tables, json, quiet] = medians;
    let slowdown = ratio(tables.as_secs_f64(), quiet.as_secs_f64());
    println!("   {:<40} {:>9}", "ratio tables / --quiet", slowdown);
    let slowdown = ratio(json.as_secs_f64(), quiet.as_secs_f64());
    println!("   {:<40} {:>9}\n", "ratio JSON / --quiet", slowdown);
    Some(medians)
}

/// The time from the first connect until a fresh server holds `n` accepted
/// connections.
fn fill(runtime: &Runtime, kind: Kind, n: usize) -> Result<Duration, String> {
    let server = Server::start(kind)?;
    let base_fds = server.quiet_fd_count();
    let start = Instant::now();
    let (clients, refused) = runtime.block_on(connect_all(server.addr(), n, FILL_CONNECT_TIMEOUT));
    let accepted = server.wait_accepted(base_fds, n);
    let elapsed = start.elapsed();
    let established = server.established();
    drop(clients);
    if accepted < n || established < n {
        return Err(format!(
            "{}: {accepted} accepted, {established} established, {refused} failed to connect",
            kind.name()
        ));
    }
    Ok(elapsed)
}

// ---------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------

/// The address the `i`th client connects from: 127.0.0.2 ... 127.0.0.9 in
/// turn. Loopback answers on all of 127.0.0.0/8, and each source address has
/// its own ~28,000 ephemeral ports.
fn source(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + (i % SOURCE_ADDRESSES) as u8)
}

/// Opens `n` connections at once: on this one-thread runtime, every task
/// sends its SYN before any waits for an answer. Returns the connections that
/// opened within `limit` and how many did not.
async fn connect_all(server: SocketAddr, n: usize, limit: Duration) -> (Vec<TcpStream>, usize) {
    let mut connecting = JoinSet::new();
    for i in 0..n {
        connecting.spawn(connect(source(i), server, limit));
    }
    let mut open = Vec::with_capacity(n);
    while let Some(joined) = connecting.join_next().await {
        if let Ok(Ok(stream)) = joined {
            open.push(stream);
        }
    }
    let failed = n - open.len();
    (open, failed)
}

/// Opens one client connection from `from` to `server`, waiting at most `limit`.
async fn connect(from: Ipv4Addr, server: SocketAddr, limit: Duration) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    choose_port_at_connect(&socket)?;
    socket.bind(SocketAddr::new(from.into(), 0))?;
    // Send each 16-byte message at once instead of waiting to fill a segment.
    socket.set_nodelay(true)?;
    // Close with a reset: no TIME_WAIT, no ports tied up for a minute.
    socket.set_zero_linger()?;
    match timeout(limit, socket.connect(server)).await {
        Ok(connected) => connected,
        Err(_) => Err(io::ErrorKind::TimedOut.into()),
    }
}

/// `IP_BIND_ADDRESS_NO_PORT`: bind only the source address now and let
/// `connect()` pick the port, when the kernel knows the whole 4-tuple and
/// may reuse a port that is busy towards another destination.
fn choose_port_at_connect(socket: &TcpSocket) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket fd, and a pointer to an int of the length given.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

/// The servers under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `sameport serve --quiet`: echoes, prints no tables.
    Quiet,
    /// `sameport serve`: a socket table after every accept, to /dev/null.
    Tables,
    /// `sameport serve --format json`: every row of the port after every
    /// accept (coalesced), to /dev/null.
    Json,
    /// `python3 benches/textbook_server.py`.
    Textbook,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Quiet => "sameport serve --quiet",
            Kind::Tables => "sameport serve (tables to /dev/null)",
            Kind::Json => "sameport serve --format json (to /dev/null)",
            Kind::Textbook => "textbook_server.py",
        }
    }

    fn command(self, port: u16) -> Command {
        let port = port.to_string();
        let sameport = env!("CARGO_BIN_EXE_sameport");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/textbook_server.py");
        let (program, args) = match self {
            Kind::Quiet => (sameport, vec!["serve", "--port", &port, "--quiet"]),
            Kind::Tables => (sameport, vec!["serve", "--port", &port]),
            Kind::Json => (sameport, vec!["serve", "--port", &port, "--format", "json"]),
            Kind::Textbook => ("python3", vec![script, &port]),
        };
        let mut command = Command::new(program);
        command.args(args);
        command
    }
}

/// A running server; stopped by PID when dropped, also when a part fails.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts a server on a free port and waits until it listens.
    fn start(kind: Kind) -> Result<Server, String> {
        let port = free_port();
        let mut command = kind.command(port);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_this_process(&mut command);
        let child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", kind.name()))?;
        // From here on, the guard stops the child whatever happens.
        let mut server = Server { child, port };
        server.wait_listening(kind)?;
        Ok(server)
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_listening(&mut self, kind: Kind) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited at start: {status}", kind.name()));
            }
            if count_sockets(self.port, "listening") >= 1 {
                // Let the first snapshot (with `Tables`) finish before fds
                // and memory are counted.
                sleep(Duration::from_millis(300));
                return Ok(());
            }
            sleep(Duration::from_millis(20));
        }
        Err(format!("{} did not start listening", kind.name()))
    }

    /// Open fds of the server, counted while it is idle. The fewest of a few
    /// reads, so a socket-table read in flight (one netlink fd) is not counted.
    fn quiet_fd_count(&self) -> usize {
        (0..5)
            .map(|_| {
                sleep(Duration::from_millis(20));
                open_fds(self.pid())
            })
            .min()
            .unwrap_or(0)
    }

    /// Waits until the server holds `n` more fds than `base` (one per accepted
    /// connection), until [`ACCEPT_LIMIT`] passes, or until the count stops
    /// growing for [`ACCEPT_STALL`]. Returns how many it accepted.
    fn wait_accepted(&self, base: usize, n: usize) -> usize {
        let deadline = Instant::now() + ACCEPT_LIMIT;
        let (mut best, mut grew) = (0, Instant::now());
        loop {
            let accepted = open_fds(self.pid()).saturating_sub(base).min(n);
            if accepted > best {
                (best, grew) = (accepted, Instant::now());
            }
            if best >= n || Instant::now() > deadline || grew.elapsed() > ACCEPT_STALL {
                return best;
            }
            sleep(Duration::from_millis(5));
        }
    }

    /// CPU time (user + system) the server has used so far, from
    /// /proc/PID/stat, all threads included.
    fn cpu_time(&self) -> Duration {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // The fields after the command name (which may hold spaces) in
        // parentheses; utime and stime are the 12th and 13th of them.
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let ticks: u64 = after_name
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|t| t.parse::<u64>().ok())
            .sum();
        // SAFETY: sysconf only reads a configuration value.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Duration::from_secs_f64(ticks as f64 / per_second)
    }

    /// Waits until `ss` shows `n` established server-side sockets on the
    /// port, for at most [`ACCEPT_LIMIT`].
    fn wait_established(&self, n: usize) {
        let deadline = Instant::now() + ACCEPT_LIMIT;
        while self.established() < n && Instant::now() < deadline {
            sleep(Duration::from_millis(200));
        }
    }

    /// Server-side established sockets on the port, as `ss` shows them.
    fn established(&self) -> usize {
        count_sockets(self.port, "established")
    }

    /// VmRSS of the server, in bytes.
    fn rss(&self) -> Result<u64, String> {
        common::rss(self.pid())
    }

    /// VmRSS once it has stopped moving (see [`common::settled_rss`]).
    fn settled_rss(&self) -> Result<u64, String> {
        common::settled_rss(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

// ---------------------------------------------------------------------------
// Asking the kernel
// ---------------------------------------------------------------------------

/// How many fds process `pid` has open.
fn open_fds(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

// ---------------------------------------------------------------------------
// The closing figures
// ---------------------------------------------------------------------------

/// Everything measured, for the summary block.
#[derive(Default)]
struct Figures {
    round_trips: Option<[RoundTrips; 2]>,
    hung: Vec<(Hung, Hung)>,
    memory: Option<(Memory, Result<Memory, String>)>,
    fill: Option<[Duration; 3]>,
}

impl Figures {
    fn print(&self, args: &Args) {
        println!("figures for the closing note");
        if let Some([s, t]) = self.round_trips {
            println!(
                "  round trips/s, {} clients x {}: sameport {}, textbook {}: {} (target >= 4x: {})",
                args.clients,
                thousands(args.trips),
                thousands(s.per_second as usize),
                thousands(t.per_second as usize),
                ratio(s.per_second, t.per_second),
                verdict(s.per_second >= 4.0 * t.per_second)
            );
            println!(
                "  server CPU per round trip: sameport {}, textbook {}: {} as much",
                us(s.server_cpu),
                us(t.server_cpu),
                ratio(s.server_cpu.as_secs_f64(), t.server_cpu.as_secs_f64())
            );
            println!(
                "  latency p50 / p99: sameport {} / {} (target p99 < 2 ms: {}); textbook {} / {}",
                ms(s.p50),
                ms(s.p99),
                verdict(s.p99 < Duration::from_millis(2)),
                ms(t.p50),
                ms(t.p99)
            );
        }
        for (s, t) in &self.hung {
            println!(
                "  hung of {} simultaneous clients: sameport {} (target 0: {}), textbook {} \
                 ({} never connected, {} no echo)",
                thousands(s.clients),
                thousands(s.hung()),
                verdict(s.hung() == 0),
                thousands(t.hung()),
                thousands(t.never_connected),
                thousands(t.no_echo)
            );
        }
        if let Some((s, t)) = &self.memory {
            println!(
                "  RSS per idle connection, {} held: sameport {} (target <= 4 KiB: {})",
                thousands(s.accepted),
                kib(s.per_connection()),
                verdict(s.per_connection() <= 4096.0)
            );
            match t {
                Ok(t) => println!(
                    "  RSS per idle connection, textbook: {} with {} of {} accepted within {} s: \
                     {} sameport's",
                    kib(t.per_connection()),
                    thousands(t.accepted),
                    thousands(args.connections),
                    JOIN_LIMIT.as_secs(),
                    ratio(t.per_connection(), s.per_connection())
                ),
                Err(e) => println!("  RSS per idle connection, textbook: not measured ({e})"),
            }
        }
        if let Some([tables, json, quiet]) = self.fill {
            let slowdown = tables.as_secs_f64() / quiet.as_secs_f64();
            println!(
                "  filling {}: with tables {}, --quiet {}: {} (target <= 1.2x: {})",
                thousands(args.connections),
                secs(tables),
                secs(quiet),
                ratio(tables.as_secs_f64(), quiet.as_secs_f64()),
                verdict(slowdown <= 1.2)
            );
            let slowdown = json.as_secs_f64() / quiet.as_secs_f64();
            println!(
                "  filling {}: with --format json {}, --quiet {}: {} (target <= 1.3x: {})",
                thousands(args.connections),
                secs(json),
                secs(quiet),
                ratio(json.as_secs_f64(), quiet.as_secs_f64()),
                verdict(slowdown <= 1.3)
            );
        }
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn failed<T>(part: &str, e: String) -> Option<T> {
    println!("   {part} failed: {e}\n");
    None
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn median_by<T>(items: &[T], key: impl Fn(&T) -> f64) -> f64 {
    let mut values: Vec<f64> = items.iter().map(key).collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "-".into()
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.1} us", d.as_secs_f64() * 1e6)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// 19000 as "19,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

struct Args {
    /// Parts to run (`rtt`, `hung`, `rss`, `fill`); empty: all.
    only: Vec<String>,
    /// Round-trip clients.
    clients: usize,
    /// Round trips per client.
    trips: usize,
    /// Client counts of the hung-clients part.
    hung_at: Vec<usize>,
    /// Connections held by the rss and fill parts.
    connections: usize,
    /// Rounds of the rtt and fill parts.
    rounds: usize,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            only: Vec::new(),
            clients: 100,
            trips: 1_000,
            hung_at: vec![2_000, 10_000],
            connections: 19_000,
            rounds: 3,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().unwrap_or_default();
            let list =
                |v: String| -> Vec<String> { v.split(',').map(|s| s.trim().into()).collect() };
            match flag.as_str() {
                "--only" => args.only = list(value()),
                "--clients" => args.clients = value().parse().unwrap_or(args.clients),
                "--round-trips" => args.trips = value().parse().unwrap_or(args.trips),
                "--hung" => {
                    args.hung_at = list(value())
                        .iter()
                        .filter_map(|n| n.parse().ok())
                        .collect()
                }
                "--connections" => args.connections = value().parse().unwrap_or(args.connections),
                "--rounds" => args.rounds = value().parse().unwrap_or(args.rounds).max(1),
                _ => {} // `cargo bench` passes --bench
            }
        }
        args
    }

    fn runs(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == part)
    }
}
