//! The TCP echo server: the textbook's `TCPServer`, done carefully.
//!
//! The server owns **one listening socket** on port P. Each `accept()` hands
//! back a new, connected socket whose local port is also P; the kernel files it
//! under its 4-tuple, and from then on every segment of that connection goes
//! to that socket and no other. The server needs no port of its own per client,
//! which is what the rest of sameport makes visible.
//!
//! Each connection gets a task that echoes every byte back in order:
//!
//! * **binary-safe**: bytes are bytes; nothing is decoded, so invalid UTF-8 and a
//!   character split across two reads come back exactly as sent;
//! * **bounded memory**: the task reads at most one buffer, then waits until
//!   that buffer is written before reading again. A client that sends without
//!   reading fills its own receive window, not our memory (backpressure). An idle
//!   connection holds no buffer at all;
//! * **half-close**: when the client shuts down its sending side (EOF), the
//!   server has already echoed everything it read, and closes its side too.
//!
//! Shutdown is a value passed in (a future that completes on Ctrl-C, or when a
//! test says so), so tests run the real server on port 0.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};

use crate::kernel::OwnSockets;
use crate::lang::{self, serve as says};
use crate::net::activity::Activity;
use crate::os::throttle::Throttle;

/// How much one connection reads before it must write it back.
const ECHO_CHUNK: usize = 16 * 1024;
/// The first pause after an accept error such as "too many open files".
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest pause between accept attempts while the error lasts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How long connections get to finish after shutdown before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// At most this many refused connections are being told why at once; beyond
/// that (a flood), they are closed without a word.
const MAX_REFUSING: usize = 64;
/// How long a refused client gets to read why.
const REFUSAL_GRACE: Duration = Duration::from_secs(1);

/// What the server does beyond echoing.
#[derive(Clone, Debug)]
pub struct Config {
    /// Bytes sent to every client right after accept (the textbook seed's
    /// "Welcome to the Server"), or none.
    pub banner: Option<Vec<u8>>,
    /// At most this many connections are served at once.
    pub max_clients: usize,
    /// What happens to connections beyond `max_clients`.
    pub when_full: WhenFull,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Option<Duration>,
    /// The live page: a connection whose first bytes are an HTTP request
    /// line is handed to it instead of echoed (see [`crate::web`]). Only
    /// without a banner: a server that speaks first cannot let the
    /// client's first bytes choose the protocol.
    pub web: Option<crate::web::Web>,
}

/// What a full server does with the next connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenFull {
    /// Accept it, tell the client why in one line, and close it (`serve`).
    /// The kernel completed the handshake before any program could say no,
    /// so a refusal after accept is the only kind a TCP server can give; the
    /// line lets the client tell "turned away" from "the echo was empty".
    Refuse,
    /// Stop accepting until a connection closes; new connections wait in the
    /// kernel's queue, where another process sharing the listening socket
    /// may take them (`scale`'s workers).
    Wait,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            banner: None,
            max_clients: usize::MAX >> 3,
            when_full: WhenFull::Refuse,
            idle_timeout: None,
            web: None,
        }
    }
}

/// The line a client turned away by `--max-clients` receives before the
/// server closes the connection.
pub fn refusal_line(max_clients: usize) -> String {
    says::refusal(lang::current(), max_clients)
}

/// What the server did, reported when it stops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub accepted: u64,
    /// Connections closed at once because `max_clients` were already open.
    pub refused: u64,
    pub bytes_echoed: u64,
    /// Connections still open when shutdown began.
    pub open_at_shutdown: usize,
}

/// The ways the server lets the rest of the program watch it.
#[derive(Clone, Debug)]
pub struct Hooks {
    /// Every accepted socket is registered here, so the socket table can be
    /// attributed to this process without searching `/proc`.
    pub own: OwnSockets,
    /// Receives [`Activity`] after every accept.
    pub activity: Option<watch::Sender<Activity>>,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            own: OwnSockets::new(),
            activity: None,
        }
    }
}

/// Runs the echo server on `listener` until `shutdown` completes, then closes
/// every connection and returns what it did.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future,
    config: Config,
    hooks: Hooks,
) -> Summary {
    let (stop_tx, _) = watch::channel(false);
    // Every connection task holds a clone of `done_tx`; when the last one is
    // dropped, `done_rx.recv()` returns `None`: all connections have closed.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let mut server = Listener {
        limit: Arc::new(Semaphore::new(
            config.max_clients.min(Semaphore::MAX_PERMITS),
        )),
        bytes_echoed: Arc::new(AtomicU64::new(0)),
        summary: Summary::default(),
        listener,
        config,
        hooks,
        stop_tx,
        done_tx,
        refusals: Throttled::new(Duration::from_secs(1), 5),
        accept_errors: Throttled::new(Duration::from_secs(10), 1),
        accept_failing: false,
        refusing: Arc::new(Semaphore::new(MAX_REFUSING)),
    };
    tokio::select! {
        () = server.accept_loop() => {}
        _ = shutdown => {}
    }
    let Listener {
        listener,
        stop_tx,
        done_tx,
        limit,
        bytes_echoed,
        mut summary,
        config,
        ..
    } = server;
    // Stop accepting first: with the listener closed, new clients are refused
    // by the kernel instead of waiting in a queue nobody reads.
    drop(listener);
    summary.open_at_shutdown =
        config.max_clients.min(Semaphore::MAX_PERMITS) - limit.available_permits();
    let _ = stop_tx.send(true);
    drop(done_tx);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, done_rx.recv()).await;
    summary.bytes_echoed = bytes_echoed.load(Ordering::Relaxed);
    summary
}

/// The accept loop's state.
struct Listener {
    listener: TcpListener,
    config: Config,
    hooks: Hooks,
    /// One permit per open connection, so at most `max_clients` are served.
    limit: Arc<Semaphore>,
    /// Total bytes echoed by all connections.
    bytes_echoed: Arc<AtomicU64>,
    summary: Summary,
    /// Set to `true` to tell every connection to close.
    stop_tx: watch::Sender<bool>,
    /// Cloned into every connection task; see [`run`].
    done_tx: mpsc::Sender<()>,
    /// "refused ...: already serving N clients".
    refusals: Throttled,
    /// "accept failed: ..."
    accept_errors: Throttled,
    /// An accept failure was reported and no success since.
    accept_failing: bool,
    /// One permit per refused connection still being told why (see [`refuse`]).
    refusing: Arc<Semaphore>,
}

impl Listener {
    async fn accept_loop(&mut self) {
        loop {
            // Waiting for room before accept() leaves new connections in the
            // kernel's queue instead of taking them only to close them.
            let waited = match self.config.when_full {
                WhenFull::Wait => self.limit.clone().acquire_owned().await.ok(),
                WhenFull::Refuse => None,
            };
            let (stream, peer) = self.accept().await;
            let Some(permit) = waited.or_else(|| self.limit.clone().try_acquire_owned().ok())
            else {
                self.summary.refused += 1;
                let max = self.config.max_clients;
                self.refusals
                    .say(|| says::refused_log(lang::current(), peer, max));
                refuse(stream, &self.refusing, max);
                continue;
            };
            self.summary.accepted += 1;
            let registration = self.hooks.own.register(&stream, "server");
            let accepted = self.summary.accepted;
            let activity = self.hooks.activity.clone();
            if let Some(activity) = &activity {
                activity.send_modify(|a| {
                    a.accepted = accepted;
                    a.last_peer = Some(peer);
                });
            }
            let connection = Connection {
                stream,
                peer,
                web: self.config.web.clone(),
                banner: self.config.banner.clone(),
                idle_timeout: self.config.idle_timeout,
                bytes_echoed: self.bytes_echoed.clone(),
            };
            let mut stop = self.stop_tx.subscribe();
            let done = self.done_tx.clone();
            tokio::spawn(async move {
                tokio::select! {
                    result = connection.serve() => {
                        if let Err(e) = result {
                            log_connection_error(peer, &e);
                        }
                        if let Some(activity) = activity {
                            activity.send_modify(|a| {
                                a.departed += 1;
                                a.last_departed = Some(peer);
                            });
                        }
                    }
                    _ = stop.wait_for(|&stop| stop) => {}
                }
                drop(registration);
                drop(permit);
                drop(done);
            });
        }
    }

    /// Accepts the next connection, riding out errors.
    ///
    /// The usual error is EMFILE ("too many open files"): the process has
    /// used up its fd limit. The connection stays in the kernel's queue and the
    /// listener stays readable, so retrying at once would spin; instead the
    /// server waits (doubling the wait up to a second) and tries again. When
    /// connections close and free fds, accepting resumes. The error is logged
    /// once, not once per attempt (see [`Throttled`]).
    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        let mut backoff = FIRST_BACKOFF;
        loop {
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    if std::mem::take(&mut self.accept_failing) {
                        let again = says::accepting_again(lang::current());
                        crate::os::stderr::line(&crate::words::message(again));
                    }
                    return (stream, crate::kernel::canonical(peer));
                }
                Err(e) => {
                    let said = self
                        .accept_errors
                        .say(|| says::accept_failed(lang::current(), &e, hint(&e)));
                    self.accept_failing |= said;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// A message that may repeat many times a second (a server at its fd limit
/// fails and recovers constantly; a full server refuses every newcomer),
/// printed as its [`Throttle`] allows, with how many were held back.
#[derive(Debug)]
struct Throttled(Throttle);

impl Throttled {
    fn new(every: Duration, burst: u32) -> Self {
        Throttled(Throttle::new(every, burst))
    }

    /// Prints `message` (with "N more since the last message") if it is due.
    /// Returns whether it was printed.
    fn say(&mut self, message: impl FnOnce() -> String) -> bool {
        let Some(held_back) = self.0.due() else {
            return false;
        };
        let more = match held_back {
            0 => String::new(),
            n => says::held_back(lang::current(), n),
        };
        crate::os::stderr::line(&crate::words::message(&format!("{}{more}", message())));
        true
    }
}

/// Turns a client away: sends [`refusal_line`], closes our sending side
/// (FIN), and reads and discards what the client sent until it closes too or
/// [`REFUSAL_GRACE`] passes. Closing a socket with unread bytes in it would
/// send a reset (RST) instead of a FIN, and a reset can reach the client
/// before it has read the line. Bounded: [`MAX_REFUSING`] at once, the rest
/// are closed at once.
fn refuse(mut stream: TcpStream, refusing: &Arc<Semaphore>, max_clients: usize) {
    let Ok(permit) = refusing.clone().try_acquire_owned() else {
        return; // dropping the stream closes it
    };
    tokio::spawn(async move {
        let tell = async {
            stream
                .write_all(refusal_line(max_clients).as_bytes())
                .await?;
            stream.shutdown().await?;
            let mut discard = [0u8; 4096];
            while stream.read(&mut discard).await? > 0 {}
            io::Result::Ok(())
        };
        let _ = tokio::time::timeout(REFUSAL_GRACE, tell).await;
        drop(permit);
    });
}

fn hint(e: &io::Error) -> &'static str {
    crate::os::out_of_files_hint(e)
}

fn log_connection_error(peer: SocketAddr, e: &io::Error) {
    // A client that resets or vanishes is normal on a network; say it quietly.
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => {}
        io::ErrorKind::TimedOut => {
            crate::os::stderr::line(&crate::words::message(&says::closed_idle(
                lang::current(),
                peer,
            )));
        }
        _ => crate::os::stderr::line(&crate::words::message(&says::connection_error(
            lang::current(),
            peer,
            e,
        ))),
    }
}

/// One accepted connection.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    web: Option<crate::web::Web>,
    banner: Option<Vec<u8>>,
    idle_timeout: Option<Duration>,
    bytes_echoed: Arc<AtomicU64>,
}

impl Connection {
    async fn serve(mut self) -> io::Result<()> {
        if let Some(banner) = &self.banner {
            self.stream.write_all(banner).await?;
        }
        if let Some(web) = self.web.take() {
            // A browser or an echo client? Peek at the first bytes without
            // taking them (crate::web::sniff), so the echo stays byte-exact.
            let first = crate::web::sniff::sniff(&self.stream);
            if within(self.idle_timeout, first).await? == crate::web::sniff::Protocol::Http {
                return web.serve(self.stream, self.peer, self.idle_timeout).await;
            }
        }
        echo(&mut self.stream, self.idle_timeout, &self.bytes_echoed).await?;
        // The client sent EOF and got every byte back: close our side too
        // (our FIN), so the client's read ends cleanly.
        self.stream.shutdown().await
    }
}

/// Echoes until the peer closes its sending side.
///
/// The buffer exists only while data is flowing: between bursts the task
/// waits for readability with no buffer, so thousands of idle connections
/// cost almost nothing. (The buffer is reserved, not filled: its pages are
/// touched only by the bytes a read puts there. A readiness report can come
/// without data, so reading never waits while holding the buffer.) While the
/// write of one chunk is blocked (the client is not reading), nothing more is
/// read.
pub async fn echo(
    stream: &mut TcpStream,
    idle_timeout: Option<Duration>,
    counter: &AtomicU64,
) -> io::Result<()> {
    loop {
        wait_readable(stream, idle_timeout).await?;
        let mut buf = Vec::with_capacity(ECHO_CHUNK);
        loop {
            buf.clear();
            match stream.try_read_buf(&mut buf) {
                Ok(0) => return Ok(()), // EOF: the client closed its sending side
                Ok(n) => {
                    stream.write_all(&buf).await?;
                    counter.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
}

async fn wait_readable(stream: &TcpStream, idle_timeout: Option<Duration>) -> io::Result<()> {
    within(idle_timeout, stream.readable()).await
}

/// Runs an I/O step, failing with TimedOut ("idle") if a limit is set and
/// the step takes longer.
async fn within<T>(
    limit: Option<Duration>,
    step: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    let Some(limit) = limit else {
        return step.await;
    };
    match tokio::time::timeout(limit, step).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            says::idle_for(lang::current(), limit.as_secs_f64()),
        )),
    }
}
