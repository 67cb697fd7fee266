//! The live page under a big class: 1,000 echo connections and 200 event
//! streams held on one port.
//!
//! ```text
//! cargo bench --bench live
//! cargo bench --bench live -- --echo 1000 --viewers 200 --accepts 50 --seconds 1 --pairs 9 --churn 4
//! ```
//!
//! Starts `sameport serve --quiet --max-viewers N` on a free port, opens the
//! echo connections (from 127.0.0.2 ... 127.0.0.9), then measures:
//!
//! 1. **Memory per stream**: the server's resident memory (VmRSS) before and
//!    after the event streams are opened and have their first snapshot,
//!    divided by their number. An upper bound: it includes what the
//!    allocator keeps after writing the larger snapshots the new rows make
//!    (with `MALLOC_ARENA_MAX=1` in the server's environment, closing 200
//!    streams gave back about 6 KiB each).
//! 2. **Accept to every stream**: `--accepts` times, a new client connects
//!    (from 127.0.0.10, 250 ms apart) and the time from its connect until
//!    each stream has read an event with its row is recorded: the p50 and
//!    p99 over accepts of the time until *all* streams had it, and the p50
//!    and p99 over every single arrival.
//! 3. **Round trips, without and with viewers**: 100 of the echo clients
//!    each send 16 bytes and wait for the echo, for `--seconds`, while a
//!    churn client connects and leaves `--churn` times a second (4: so that
//!    there are changes to send; a class is never still); once without event
//!    streams, and once with them open and reading. `--pairs` pairs (9), the
//!    two runs of a pair one right after the other and in alternating order,
//!    since a shared machine's load drifts; the median of the pairs' ratios
//!    is reported, and the server's CPU time per round trip (each run's on
//!    stderr).
//!
//! A stream gets the whole snapshot when it opens (the JSON of `--format
//! json` for all ~1,200 sockets, about 400 KB) and then only the changes.
//! The clients and the viewers live in this process on one thread (a
//! current-thread runtime), so the load generator takes at most one of the
//! cores from the server; in a real classroom the viewers are other
//! machines. Every load is bounded by a
//! count and by timeouts; the server is stopped by its PID at the end, also
//! when a part fails, and dies with this process.

mod common;

use common::{die_with_this_process, free_port, raise_fd_limit, settled_rss, stop};

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio::time::timeout;

const MESSAGE: &[u8; 16] = b"sameport: echo!\n";
/// The targets of the issue.
const TARGET_P99: Duration = Duration::from_millis(100);
const TARGET_STREAM_BYTES: f64 = 64.0 * 1024.0;
const TARGET_RATIO: f64 = 0.9;
/// How long any one wait may take.
const WAIT: Duration = Duration::from_secs(20);

fn main() {
    let args = Args::parse();
    let limit = raise_fd_limit();
    let needed = (args.echo + args.viewers + 200) as u64;
    if limit < needed {
        eprintln!("the open-file limit is {limit}; this benchmark needs about {needed}");
        std::process::exit(1);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = match Server::start(args.viewers + 10) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("starting the server failed: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "sameport serve --quiet on port {}: {} echo connections, {} event streams\n",
        server.port, args.echo, args.viewers
    );
    match runtime.block_on(run(&server, &args)) {
        Ok(figures) => figures.print(&args),
        Err(e) => {
            eprintln!("the benchmark failed: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(server: &Server, args: &Args) -> Result<Figures, String> {
    let to = SocketAddr::from((Ipv4Addr::LOCALHOST, server.port));
    let mut echo = Vec::with_capacity(args.echo);
    for i in 0..args.echo {
        let from = Ipv4Addr::new(127, 0, 0, 2 + (i % 8) as u8);
        let mut stream = connect(from, to)
            .await
            .map_err(|e| format!("echo client {i}: {e}"))?;
        round_trip(&mut stream)
            .await
            .map_err(|e| format!("echo {i}: {e}"))?;
        echo.push(stream);
    }
    // The first 100 ping; the rest are held idle.
    let mut pingers: Vec<TcpStream> = echo.drain(..args.echo.min(100)).collect();
    let pid = server.child.id();

    // Memory, and accept -> the new row on every stream.
    let rss_before = server.settled_rss()?;
    let (shared, viewers) = open_viewers(to, args.viewers).await?;
    let rss_after = server.settled_rss()?;
    let mut all_streams = Vec::new();
    let mut arrivals = Vec::new();
    let mut held = Vec::new();
    for n in 0..args.accepts {
        let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
        socket.set_zero_linger().map_err(|e| e.to_string())?;
        socket
            .bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, 10), 0)))
            .map_err(|e| e.to_string())?;
        let port = socket.local_addr().map_err(|e| e.to_string())?.port();
        shared.aim(Target {
            needle: format!("\"remote_port\":{port},"),
            number: n,
            started: Instant::now(),
        });
        let stream = timeout(WAIT, socket.connect(to))
            .await
            .map_err(|_| "connect timed out".to_string())?
            .map_err(|e| e.to_string())?;
        held.push(stream);
        wait_until(
            || shared.arrived(n) + shared.ended.load(Ordering::Relaxed) >= args.viewers,
            "the new row on every stream",
        )
        .await?;
        let times = shared.arrivals_of(n);
        if let Some(last) = times.iter().max() {
            all_streams.push(*last);
        }
        arrivals.extend(times);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(held);
    let mut dropped = shared.ended.load(Ordering::Relaxed);
    let snapshot_bytes = shared.snapshot_bytes.load(Ordering::Relaxed);
    let change_bytes =
        shared.change_bytes.load(Ordering::Relaxed) / shared.changes.load(Ordering::Relaxed).max(1);
    close_viewers(viewers).await;

    // Round trips without and with the viewers, in pairs: the machine's
    // load drifts, and each pair sees about the same.
    // In every other pair the run with viewers comes first, so that a
    // steady drift favours neither.
    let mut pairs = Vec::new();
    for pair in 0..args.pairs {
        let mut without = Run::default();
        let with;
        if pair % 2 == 0 {
            (without, pingers) = round_trips(pingers, to, args, pid).await?;
        }
        let (shared, viewers) = open_viewers(to, args.viewers).await?;
        (with, pingers) = round_trips(pingers, to, args, pid).await?;
        dropped += shared.ended.load(Ordering::Relaxed);
        close_viewers(viewers).await;
        if pair % 2 == 1 {
            (without, pingers) = round_trips(pingers, to, args, pid).await?;
        }
        pairs.push((without, with));
    }
    drop(pingers);
    drop(echo);

    all_streams.sort();
    arrivals.sort();
    Ok(Figures {
        all_streams,
        arrivals,
        stream_bytes: (rss_after as f64 - rss_before as f64) / args.viewers as f64,
        pairs,
        dropped,
        snapshot_bytes,
        change_bytes,
    })
}

/// Opens `n` event streams, each read by a task of its own, and waits until
/// every one has had its first (whole) snapshot.
async fn open_viewers(to: SocketAddr, n: usize) -> Result<(Arc<Shared>, JoinSet<()>), String> {
    let shared = Arc::new(Shared::default());
    let mut viewers = JoinSet::new();
    for i in 0..n {
        let stream = open_stream(to)
            .await
            .map_err(|e| format!("event stream {i}: {e}"))?;
        viewers.spawn(read_stream(stream, shared.clone()));
    }
    wait_until(
        || shared.first_snapshots.load(Ordering::Relaxed) >= n,
        "every stream's first snapshot",
    )
    .await?;
    Ok((shared, viewers))
}

/// Closes the event streams and gives the server a moment to see it.
async fn close_viewers(mut viewers: JoinSet<()>) {
    viewers.abort_all();
    while viewers.join_next().await.is_some() {}
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Polls `done` every millisecond, at most [`WAIT`].
async fn wait_until(done: impl Fn() -> bool, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {WAIT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

/// A client from `from`, with Nagle off and an abortive close (no TIME_WAIT).
async fn connect(from: Ipv4Addr, to: SocketAddr) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.set_nodelay(true)?;
    socket.set_zero_linger()?;
    match timeout(WAIT, socket.connect(to)).await {
        Ok(connected) => connected,
        Err(_) => Err(io::ErrorKind::TimedOut.into()),
    }
}

async fn round_trip(stream: &mut TcpStream) -> io::Result<()> {
    stream.write_all(MESSAGE).await?;
    let mut back = [0u8; MESSAGE.len()];
    timeout(WAIT, stream.read_exact(&mut back))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    Ok(())
}

/// One round-trip run.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    /// Round trips per second.
    rate: f64,
    /// The server's CPU time per round trip, in seconds.
    cpu_per_trip: f64,
}

/// CPU time (user + system) process `pid` has used, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz
}

/// Round trips per second of `clients` (one message outstanding each) for
/// `args.seconds`, while a churn client connects, echoes once and leaves
/// `args.churn` times a second. Returns the rate and the clients.
async fn round_trips(
    clients: Vec<TcpStream>,
    to: SocketAddr,
    args: &Args,
    server: u32,
) -> Result<(Run, Vec<TcpStream>), String> {
    let cpu_before = cpu_seconds(server);
    let stop_at = Instant::now() + Duration::from_secs(args.seconds);
    let every = Duration::from_secs(1) / args.churn.max(1);
    let churning = args.churn > 0;
    let churn = tokio::spawn(async move {
        while churning && Instant::now() < stop_at {
            let next = Instant::now() + every;
            if let Ok(mut stream) = connect(Ipv4Addr::new(127, 0, 0, 11), to).await {
                let _ = round_trip(&mut stream).await;
                tokio::time::sleep(every / 2).await;
            }
            tokio::time::sleep_until(next.into()).await;
        }
    });
    let started = Instant::now();
    let mut pings = JoinSet::new();
    for mut stream in clients {
        pings.spawn(async move {
            let mut trips = 0u64;
            while Instant::now() < stop_at {
                round_trip(&mut stream).await?;
                trips += 1;
            }
            Ok::<_, io::Error>((trips, stream))
        });
    }
    let mut trips = 0;
    let mut back = Vec::new();
    while let Some(joined) = pings.join_next().await {
        let (n, stream) = joined
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("round trip: {e}"))?;
        trips += n;
        back.push(stream);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(server) - cpu_before;
    let _ = churn.await;
    let run = Run {
        rate: trips as f64 / elapsed,
        cpu_per_trip: cpu / trips.max(1) as f64,
    };
    eprintln!(
        "  {:.0} round trips/s, server CPU {:.0}% ({:.1} us per round trip)",
        run.rate,
        100.0 * cpu / elapsed,
        1e6 * run.cpu_per_trip
    );
    Ok((run, back))
}

// ---------------------------------------------------------------------------
// Event streams
// ---------------------------------------------------------------------------

/// What the streams are looking for: the row of the newest client.
struct Target {
    needle: String,
    number: usize,
    started: Instant,
}

/// What the stream readers share.
#[derive(Default)]
struct Shared {
    target: Mutex<Option<Arc<Target>>>,
    /// (accept number, time from its connect to this stream having it).
    arrivals: Mutex<Vec<(usize, Duration)>>,
    first_snapshots: AtomicUsize,
    /// Streams the server ended (a viewer dropped for falling behind).
    ended: AtomicUsize,
    /// The size of a whole snapshot event (what a stream gets first).
    snapshot_bytes: AtomicUsize,
    /// Change events read, and their bytes, over every stream.
    changes: AtomicUsize,
    change_bytes: AtomicUsize,
}

impl Shared {
    fn aim(&self, target: Target) {
        *self.target.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(target));
    }

    fn current(&self) -> Option<Arc<Target>> {
        self.target
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn arrivals_of(&self, n: usize) -> Vec<Duration> {
        let arrivals = self.arrivals.lock().unwrap_or_else(|p| p.into_inner());
        arrivals
            .iter()
            .filter(|(k, _)| *k == n)
            .map(|(_, d)| *d)
            .collect()
    }

    fn arrived(&self, n: usize) -> usize {
        let arrivals = self.arrivals.lock().unwrap_or_else(|p| p.into_inner());
        arrivals.iter().filter(|(k, _)| *k == n).count()
    }
}

/// Opens `/events` as a browser's EventSource does.
async fn open_stream(to: SocketAddr) -> io::Result<TcpStream> {
    let mut stream = connect(Ipv4Addr::LOCALHOST, to).await?;
    stream
        .write_all(b"GET /events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        .await?;
    Ok(stream)
}

/// Reads one stream until the server ends it: every complete event is
/// timed the moment its last byte is read; a snapshot with the target's row
/// is an arrival.
async fn read_stream(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut scanned = 0;
    let mut first = true;
    let mut found_for: Option<usize> = None;
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                shared.ended.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(n) => n,
        };
        let now = Instant::now();
        buffer.extend_from_slice(&chunk[..n]);
        // Events end with an empty line.
        while let Some(end) = blank_line(&buffer[scanned..]).map(|i| scanned + i + 2) {
            let event = &buffer[..end];
            let whole = event.starts_with(b"event: snapshot");
            if whole || event.starts_with(b"event: change") {
                if whole && first {
                    first = false;
                    shared.first_snapshots.fetch_add(1, Ordering::Relaxed);
                    shared.snapshot_bytes.store(event.len(), Ordering::Relaxed);
                } else {
                    shared.changes.fetch_add(1, Ordering::Relaxed);
                    shared
                        .change_bytes
                        .fetch_add(event.len(), Ordering::Relaxed);
                }
                if let Some(target) = shared.current()
                    && found_for != Some(target.number)
                    && std::str::from_utf8(event).is_ok_and(|t| t.contains(&target.needle))
                {
                    found_for = Some(target.number);
                    let took = now.duration_since(target.started);
                    shared
                        .arrivals
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((target.number, took));
                }
            }
            buffer.drain(..end);
            scanned = 0;
        }
        scanned = buffer.len().saturating_sub(1);
    }
}

/// Where `\n\n` (the end of an event) starts in `bytes`.
fn blank_line(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = bytes[from..].iter().position(|&b| b == b'\n') {
        let at = from + i;
        if bytes.get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/// `sameport serve --quiet`, stopped by its PID when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(max_viewers: usize) -> Result<Server, String> {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sameport"));
        command
            .args(["serve", "--quiet", "--port", &port.to_string()])
            .args(["--max-viewers", &max_viewers.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_this_process(&mut command);
        let child = command.spawn().map_err(|e| e.to_string())?;
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if Instant::now() > deadline {
                return Err("the server did not listen within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    fn settled_rss(&self) -> Result<u64, String> {
        settled_rss(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

// ---------------------------------------------------------------------------
// The figures
// ---------------------------------------------------------------------------

struct Figures {
    /// Per accept: the time until every stream had it, sorted.
    all_streams: Vec<Duration>,
    /// Every single arrival, sorted.
    arrivals: Vec<Duration>,
    stream_bytes: f64,
    /// Round-trip runs (without viewers, with them), pair by pair.
    pairs: Vec<(Run, Run)>,
    dropped: usize,
    snapshot_bytes: usize,
    /// The mean size of a change event.
    change_bytes: usize,
}

impl Figures {
    fn print(&self, args: &Args) {
        let p = |v: &[Duration], q: usize| -> Duration {
            if v.is_empty() {
                return Duration::ZERO;
            }
            v[((v.len() - 1) * q).div_ceil(100)]
        };
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        let met = |ok: bool| if ok { "met" } else { "NOT met" };
        println!(
            "events: the whole snapshot once per stream, {} KB ({} sockets' JSON); then changes, {} bytes on average",
            self.snapshot_bytes / 1000,
            args.echo + args.viewers + 1,
            self.change_bytes
        );
        let p99 = p(&self.all_streams, 99);
        println!(
            "accept -> on all {} streams ({} accepts): p50 {}, p99 {}   (target p99 <= {}: {})",
            args.viewers,
            self.all_streams.len(),
            ms(p(&self.all_streams, 50)),
            ms(p99),
            ms(TARGET_P99),
            met(p99 <= TARGET_P99)
        );
        println!(
            "accept -> on one stream ({} arrivals): p50 {}, p99 {}",
            self.arrivals.len(),
            ms(p(&self.arrivals, 50)),
            ms(p(&self.arrivals, 99))
        );
        println!(
            "server memory per held stream (VmRSS): {:.1} KiB   (target <= 64 KiB: {})",
            self.stream_bytes / 1024.0,
            met(self.stream_bytes <= TARGET_STREAM_BYTES)
        );
        let ratios: Vec<f64> = self.pairs.iter().map(|(a, b)| b.rate / a.rate).collect();
        let ratio = median(ratios.clone());
        let rates = |pick: fn(&(Run, Run)) -> Run| -> Vec<f64> {
            self.pairs.iter().map(|p| pick(p).rate).collect()
        };
        let cpu = |pick: fn(&(Run, Run)) -> Run| -> f64 {
            1e6 * median(self.pairs.iter().map(|p| pick(p).cpu_per_trip).collect())
        };
        println!(
            "echo round trips/s, 100 clients, churn {}/s: without viewers median {:.0}, with {} median {:.0}",
            args.churn,
            median(rates(|p| p.0)),
            args.viewers,
            median(rates(|p| p.1))
        );
        println!(
            "  ratio with/without, pair by pair: {}; median {:.2}   (target >= {TARGET_RATIO}: {})",
            list(&ratios),
            ratio,
            met(ratio >= TARGET_RATIO)
        );
        println!(
            "  server CPU per round trip, median: {:.1} us without viewers, {:.1} us with",
            cpu(|p| p.0),
            cpu(|p| p.1)
        );
        println!(
            "streams ended by the server (fell behind): {}",
            self.dropped
        );
    }
}

fn list(ratios: &[f64]) -> String {
    let ratios: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    ratios.join(", ")
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

struct Args {
    echo: usize,
    viewers: usize,
    accepts: usize,
    /// Seconds of each round-trip run.
    seconds: u64,
    /// Pairs of round-trip runs (without viewers, with them).
    pairs: usize,
    /// Clients that come and go per second during the round trips.
    churn: u32,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            echo: 1_000,
            viewers: 200,
            accepts: 50,
            seconds: 1,
            pairs: 9,
            churn: 4,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().unwrap_or_default();
            match flag.as_str() {
                "--echo" => args.echo = value().parse().unwrap_or(args.echo).max(2),
                "--viewers" => args.viewers = value().parse().unwrap_or(args.viewers).max(1),
                "--accepts" => args.accepts = value().parse().unwrap_or(args.accepts).max(1),
                "--seconds" => args.seconds = value().parse().unwrap_or(args.seconds).max(1),
                "--pairs" => args.pairs = value().parse().unwrap_or(args.pairs).max(1),
                "--churn" => args.churn = value().parse().unwrap_or(args.churn),
                _ => {} // `cargo bench` passes --bench
            }
        }
        args
    }
}
