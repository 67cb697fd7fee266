//! The `serve` command: an echo server that shows the socket table on every accept.
//!
//! It wires the pieces together: [`bind`] opens the one socket, [`server`]
//! (or [`udp_server`]) echoes, and a [`Reporter`] prints a snapshot of the
//! port after every accept, attributing the sockets to this process from the
//! fds it holds ([`OwnSockets`]), without searching `/proc`.
//!
//! The live views (the page on the same port, `--live`) are wired in
//! [`classroom`](crate::commands::classroom).
//!
//! [`bind`]: crate::net::bind
//! [`server`]: crate::net::tcp_server
//! [`udp_server`]: crate::net::udp_server

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{oneshot, watch};

use crate::capture::{self, Capture, Captured};
use crate::claim::{Look, observe_off_thread};
pub use crate::commands::classroom::Classroom;
use crate::commands::classroom::{Running, Server, start_classroom};
use crate::commands::reporter::{Reporter, SeenSockets};
use crate::kernel::{Attribution, Kernel, OwnSockets, Proto, Query};
use crate::lang::errors::{self as errors, Doing};
use crate::lang::serve::Stopped;
use crate::lang::{self, serve as says};
use crate::net::activity::Activity;
use crate::net::bind;
use crate::net::interfaces;
use crate::net::tcp_server::{self, Config, Hooks, WhenFull};
use crate::net::udp_server::{self, Clients};
use crate::os;
use crate::output::{self, Output};

/// What `serve` was asked to do.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub proto: Proto,
    pub banner: Option<Vec<u8>>,
    /// `None`: as many as the open-file limit allows.
    pub max_clients: Option<usize>,
    pub idle_timeout: Option<Duration>,
    /// Print no snapshots, only the start and stop lines.
    pub quiet: bool,
    /// Capture the segments on the port (`--capture`): `Some(limit)` stops
    /// the capture after that many segments.
    pub capture: Option<usize>,
    /// The live page and the live screen (`--no-web`, `--max-viewers`, `--live`).
    pub classroom: Classroom,
}

/// Runs the server until SIGINT/SIGTERM.
pub async fn serve(options: ServeOptions, output: Output) -> anyhow::Result<ExitCode> {
    match options.proto {
        Proto::Tcp => serve_tcp(options, output).await,
        Proto::Udp => serve_udp(options, output).await,
    }
}

async fn serve_tcp(options: ServeOptions, output: Output) -> anyhow::Result<ExitCode> {
    // Without the privilege to capture, fail before anything else happens.
    let capture = start_capture(&options, Proto::Tcp)?;
    let output = Arc::new(output);
    let fd_limit = os::raise_fd_limit();
    let listener = bind::tcp_listener(options.addr)?;
    let local = listener
        .local_addr()
        .context(Doing::ReadingListeningAddress)?;
    let own = OwnSockets::new();
    let _listener_registration = own.register(&listener, "server");
    let listener =
        tokio::net::TcpListener::from_std(listener).context(Doing::RegisteringListener)?;
    let max_clients = options
        .max_clients
        .unwrap_or_else(|| default_max_clients(fd_limit));
    announce(Proto::Tcp, local, max_clients, &output);

    let (activity_tx, activity_rx) = watch::channel(Activity::default());
    let served = Served {
        options: &options,
        proto: Proto::Tcp,
        local,
        own: &own,
        output: &output,
    };
    let mut watchers = Watchers::start(served, activity_rx, None, capture);
    let config = Config {
        banner: options.banner,
        max_clients,
        when_full: WhenFull::Refuse,
        idle_timeout: options.idle_timeout,
        web: watchers.classroom.web.clone(),
    };
    let hooks = Hooks {
        own,
        activity: Some(activity_tx),
    };
    let (stop, signal_rx) = watchers.classroom.stop_on_signal_or_quit();
    let summary = tcp_server::run(listener, stop, config, hooks).await;
    watchers.finish().await;
    let why = signal_rx.await.unwrap_or(Stopped::Signal("a signal"));
    output::say(&says::tcp_stopped(
        output.lang(),
        why,
        (summary.accepted, summary.open_at_shutdown, summary.refused),
        summary.bytes_echoed,
    ));
    Ok(ExitCode::SUCCESS)
}

async fn serve_udp(options: ServeOptions, output: Output) -> anyhow::Result<ExitCode> {
    let capture = start_capture(&options, Proto::Udp)?;
    let output = Arc::new(output);
    let socket = bind::udp_socket(options.addr)?;
    let local = socket.local_addr().context(Doing::ReadingBoundAddress)?;
    let own = OwnSockets::new();
    let _registration = own.register(&socket, "server");
    let socket = tokio::net::UdpSocket::from_std(socket).context(Doing::RegisteringSocket)?;
    // One UDP socket serves any number of clients.
    announce(Proto::Udp, local, 3, &output);

    let clients = Clients::new();
    let (activity_tx, activity_rx) = watch::channel(Activity::default());
    let served = Served {
        options: &options,
        proto: Proto::Udp,
        local,
        own: &own,
        output: &output,
    };
    let mut watchers = Watchers::start(served, activity_rx, Some(clients.clone()), capture);
    let (stop, signal_rx) = watchers.classroom.stop_on_signal_or_quit();
    let summary = udp_server::run(socket, stop, clients, Some(activity_tx)).await;
    watchers.finish().await;
    let why = signal_rx.await.unwrap_or(Stopped::Signal("a signal"));
    output::say(&says::udp_stopped(
        output.lang(),
        why,
        summary.datagrams,
        summary.bytes_echoed,
        summary.clients,
    ));
    Ok(ExitCode::SUCCESS)
}

/// The server being served, as the watchers need to know it.
#[derive(Clone, Copy)]
struct Served<'a> {
    options: &'a ServeOptions,
    proto: Proto,
    local: SocketAddr,
    own: &'a OwnSockets,
    output: &'a Arc<Output>,
}

/// Everything that watches the port while the server runs, the same for TCP
/// and UDP: the classroom (live page and live screen), the reporter's
/// tables, and the capture.
struct Watchers {
    classroom: Running,
    reporter: Option<tokio::task::JoinHandle<Option<crate::claim::verdict::Verdict>>>,
    server_done: oneshot::Sender<()>,
    capture_task: Option<tokio::task::JoinHandle<()>>,
}

impl Watchers {
    /// Starts them on the server's activity. (The reporter's tables give
    /// way to `--live`'s screen, and `--quiet` turns them off.)
    fn start(
        served: Served<'_>,
        activity: watch::Receiver<Activity>,
        udp_clients: Option<Clients>,
        capture: Option<Capture>,
    ) -> Watchers {
        let Served {
            options,
            proto,
            local,
            own,
            output,
        } = served;
        let server = Server {
            proto,
            local,
            own,
            output,
            banner: options.banner.is_some(),
        };
        let classroom = start_classroom(
            &options.classroom,
            server,
            activity.clone(),
            udp_clients.clone(),
        );
        let seen = SeenSockets::default();
        // Only a capture asks which sockets the tables showed: without one,
        // noting 19,000 peers per table would be work for nobody.
        let noted = capture.is_some().then_some(&seen);
        let reporter = (!options.quiet && !classroom.replaces_log()).then(|| {
            report_snapshots(
                proto,
                local.port(),
                own,
                output,
                udp_clients,
                noted,
                activity,
            )
        });
        let table_side = CaptureTableSide {
            own: own.clone(),
            seen,
        };
        let (server_done, capture_task) =
            follow_capture(capture, local.port(), proto, table_side, output.clone());
        Watchers {
            classroom,
            reporter,
            server_done,
            capture_task,
        }
    }

    /// After the server stopped: the last table, the classroom, then what
    /// the capture saw.
    async fn finish(self) {
        if let Some(reporter) = self.reporter {
            let _ = reporter.await;
        }
        self.classroom.finish().await;
        finish_capture(self.server_done, self.capture_task).await;
    }
}

/// Prints a snapshot of the port after every accept (TCP) or new client
/// (UDP), attributing sockets to this process by the fds it holds.
fn report_snapshots(
    proto: Proto,
    port: u16,
    own: &OwnSockets,
    output: &Arc<Output>,
    udp_clients: Option<Clients>,
    seen: Option<&SeenSockets>,
    activity: watch::Receiver<Activity>,
) -> tokio::task::JoinHandle<Option<crate::claim::verdict::Verdict>> {
    let reporter = Reporter {
        table: Arc::new(Kernel),
        query: Query::server_side(proto, port),
        attribution: Attribution::Own(own.clone()),
        output: output.clone(),
        udp_clients,
        seen: seen.cloned(),
    };
    tokio::spawn(reporter.follow(activity))
}

/// Starts the capture `--capture` asked for, on the port the server will use.
fn start_capture(options: &ServeOptions, proto: Proto) -> anyhow::Result<Option<Capture>> {
    let Some(limit) = options.capture else {
        return Ok(None);
    };
    Ok(Some(Capture::start_with_limit(
        options.addr.port(),
        proto,
        limit,
    )?))
}

/// Waits, off to the side, until the capture has its `--capture-count`
/// segments or the server stops; then prints what it saw. Returns the sender
/// that says "the server stopped" and the task to wait for.
fn follow_capture(
    capture: Option<Capture>,
    port: u16,
    proto: Proto,
    table_side: CaptureTableSide,
    output: Arc<Output>,
) -> (oneshot::Sender<()>, Option<tokio::task::JoinHandle<()>>) {
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let task = capture.map(|capture| {
        tokio::spawn(async move {
            tokio::select! {
                () = capture.finished() => {}
                _ = done_rx => {}
            }
            let Ok(captured) = tokio::task::spawn_blocking(move || capture.stop()).await else {
                return;
            };
            if let Some(error) = &captured.error {
                crate::os::stderr::line(&format!(
                    "sameport: {}",
                    errors::capture_stopped(output.lang(), error)
                ));
            }
            let sockets = table_side.sockets_serving(&captured, port, proto).await;
            let _ = output::print(&capture_text(&captured, port, proto, sockets, &output));
        })
    });
    (done_tx, task)
}

/// Tells the capture task that the server stopped, and waits for its report.
async fn finish_capture(
    server_done: oneshot::Sender<()>,
    task: Option<tokio::task::JoinHandle<()>>,
) {
    let _ = server_done.send(());
    if let Some(task) = task {
        let _ = task.await;
    }
}

/// What the capture's sentence needs from the socket table: the sockets the
/// reporter's tables showed, and this server's own sockets for one more read.
struct CaptureTableSide {
    own: OwnSockets,
    seen: SeenSockets,
}

impl CaptureTableSide {
    /// How many different sockets the socket table shows serving the
    /// captured clients: those seen in the tables printed so far, plus a read
    /// now (with `--quiet` no table was printed; connections still open show
    /// up here).
    async fn sockets_serving(&self, captured: &Captured, port: u16, proto: Proto) -> usize {
        let look = Look::new(
            Query::server_side(proto, port),
            Attribution::Own(self.own.clone()),
        );
        if let Ok(now) = observe_off_thread(Arc::new(Kernel), look).await {
            self.seen.record(&now.snapshot);
        }
        let evidence = capture::evidence(&captured.segments, port, proto);
        self.seen.serving(proto, &evidence.clients)
    }
}

/// The captured segments and their evidence, in the output's format.
fn capture_text(
    captured: &Captured,
    port: u16,
    proto: Proto,
    sockets: usize,
    output: &Output,
) -> String {
    let evidence = capture::evidence(&captured.segments, port, proto);
    let heading =
        lang::capture::heading(output.lang(), proto.into(), port, captured.segments.len());
    output.capture(&heading, &captured.segments, &evidence, sockets)
}

/// Tells the user (on stderr) where the server listens and how to connect:
/// the addresses other machines can use, from the interface list. Every
/// line fits 80 columns, and every command is on a line of its own (long
/// ones continued with `\\`), so it can be copied into a shell whole.
/// Under `--redact` the addresses are the labels' placeholders (`host-A`).
/// `clients` is how many local clients to suggest (at most three, and no
/// more than the server lets in at once).
fn announce(proto: Proto, local: SocketAddr, clients: usize, output: &Output) {
    let lang = output.lang();
    let port = local.port();
    let udp = if proto == Proto::Udp {
        " --proto udp"
    } else {
        ""
    };
    let mut lines = vec![says::listening(lang, proto.into(), local)];
    if local.ip().is_unspecified() {
        let stack = says::stack(lang, local.is_ipv6());
        let addresses = interfaces::reachable(local.is_ipv6());
        if addresses.is_empty() {
            lines.push(output::message(&says::open_but_alone(lang, stack)));
        } else {
            lines.push(output::message(&says::open_everywhere(
                lang,
                stack,
                proto.into(),
                port,
            )));
        }
        let commands: Vec<String> = addresses
            .iter()
            .map(|(_, ip)| {
                let addr = output.labels.addr(SocketAddr::new(*ip, port));
                format!("sameport connect {addr}{udp}")
            })
            .collect();
        let column = commands.iter().map(String::len).max().unwrap_or(0);
        for (command, (interface, _)) in commands.iter().zip(&addresses) {
            lines.push(format!("    {command:column$}   # {interface}"));
        }
    } else if local.ip().is_loopback() {
        lines.push(output::message(says::loopback_only(lang)));
    }
    let clients = clients.clamp(1, 3);
    lines.push(output::message(says::local_clients(lang, clients)));
    lines.push(if clients == 1 {
        format!("    sameport connect 127.0.0.1:{port}{udp} --message hello")
    } else {
        // One source address per client (all of 127.0.0.0/8 is this machine).
        let from: Vec<String> = (2..2 + clients).map(|i| format!("127.0.0.{i}")).collect();
        format!(
            "    sameport connect 127.0.0.1:{port}{udp} --count {clients} \\\n      \
             --from {} --message hello",
            from.join(",")
        )
    });
    crate::os::stderr::line(&lines.join("\n"));
}

/// One connection per open file the process may have, minus a reserve
/// (see [`os::connections_within`]).
pub fn default_max_clients(fd_limit: Option<u64>) -> usize {
    os::connections_within(fd_limit.unwrap_or(1024))
}
