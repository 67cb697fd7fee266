//! The `serve` command: an echo server that shows the socket table on every accept.
//!
//! It wires the pieces together: [`bind`] opens the one socket, [`server`]
//! (or [`udp_server`]) echoes, and a [`Reporter`] prints a snapshot of the
//! port after every accept, attributing the sockets to this process from the
//! fds it holds ([`OwnSockets`]), without searching `/proc`.
//!
//! [`bind`]: crate::net::bind
//! [`server`]: crate::net::tcp_server
//! [`udp_server`]: crate::net::udp_server

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{oneshot, watch};

use crate::capture::{self, Capture, Captured};
use crate::commands::reporter::Reporter;
use crate::kernel::{Attribution, Kernel, OwnSockets, PortSide, Proto, Query};
use crate::net::bind;
use crate::net::tcp_server::{self, Activity, Config, Hooks, WhenFull};
use crate::net::udp_server::{self, Clients};
use crate::output::{self, Output};
use crate::view::{self, Format};
use crate::{os, shutdown};

/// Fds kept free for everything that is not a client connection (stdio, the
/// listener, the netlink socket of a table read, log files ...).
const RESERVED_FDS: u64 = 64;

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
        .context("reading the listening address")?;
    let own = OwnSockets::new();
    let _listener_registration = own.register(&listener, "server");
    let listener =
        tokio::net::TcpListener::from_std(listener).context("registering the listener")?;
    announce(Proto::Tcp, local);

    let (activity_tx, activity_rx) = watch::channel(Activity::default());
    let reporter = (!options.quiet)
        .then(|| report_snapshots(Proto::Tcp, local.port(), &own, &output, None, activity_rx));
    let (server_done, capture_task) =
        follow_capture(capture, local.port(), Proto::Tcp, output.clone());
    let config = Config {
        banner: options.banner,
        max_clients: options
            .max_clients
            .unwrap_or_else(|| default_max_clients(fd_limit)),
        when_full: WhenFull::Refuse,
        idle_timeout: options.idle_timeout,
    };
    let hooks = Hooks {
        own,
        activity: Some(activity_tx),
    };
    let (stop, signal_rx) = stop_on_signal();
    let summary = tcp_server::run(listener, stop, config, hooks).await;
    if let Some(reporter) = reporter {
        let _ = reporter.await;
    }
    finish_capture(server_done, capture_task).await;
    let signal = signal_rx.await.unwrap_or("signal");
    eprintln!(
        "sameport: stopped by {signal}: accepted {} connections ({} still open, {} refused over --max-clients), echoed {} bytes",
        summary.accepted, summary.open_at_shutdown, summary.refused, summary.bytes_echoed
    );
    Ok(ExitCode::SUCCESS)
}

async fn serve_udp(options: ServeOptions, output: Output) -> anyhow::Result<ExitCode> {
    let capture = start_capture(&options, Proto::Udp)?;
    let output = Arc::new(output);
    let socket = bind::udp_socket(options.addr)?;
    let local = socket.local_addr().context("reading the bound address")?;
    let own = OwnSockets::new();
    let _registration = own.register(&socket, "server");
    let socket = tokio::net::UdpSocket::from_std(socket).context("registering the socket")?;
    announce(Proto::Udp, local);

    let clients = Clients::new();
    let (activity_tx, activity_rx) = watch::channel(Activity::default());
    let reporter = (!options.quiet).then(|| {
        report_snapshots(
            Proto::Udp,
            local.port(),
            &own,
            &output,
            Some(clients.clone()),
            activity_rx,
        )
    });
    let (server_done, capture_task) =
        follow_capture(capture, local.port(), Proto::Udp, output.clone());
    let (stop, signal_rx) = stop_on_signal();
    let summary = udp_server::run(socket, stop, clients, Some(activity_tx)).await;
    if let Some(reporter) = reporter {
        let _ = reporter.await;
    }
    finish_capture(server_done, capture_task).await;
    let signal = signal_rx.await.unwrap_or("signal");
    eprintln!(
        "sameport: stopped by {signal}: echoed {} datagrams ({} bytes) for {} clients, all through one socket",
        summary.datagrams, summary.bytes_echoed, summary.clients
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints a snapshot of the port after every accept (TCP) or new client
/// (UDP), attributing sockets to this process by the fds it holds.
fn report_snapshots(
    proto: Proto,
    port: u16,
    own: &OwnSockets,
    output: &Arc<Output>,
    udp_clients: Option<Clients>,
    activity: watch::Receiver<Activity>,
) -> tokio::task::JoinHandle<Option<crate::claim::verdict::Verdict>> {
    let reporter = Reporter {
        table: Arc::new(Kernel),
        query: Query {
            proto,
            port,
            side: PortSide::Local,
        },
        attribution: Attribution::Own(own.clone()),
        output: output.clone(),
        udp_clients,
    };
    tokio::spawn(reporter.follow(activity))
}

/// A future that completes on SIGINT/SIGTERM (the server's shutdown), and a
/// receiver that then says which signal it was, for the summary line.
fn stop_on_signal() -> (impl Future<Output = ()>, oneshot::Receiver<&'static str>) {
    let (signal_tx, signal_rx) = oneshot::channel();
    let stop = async move {
        let _ = signal_tx.send(shutdown::signal().await);
    };
    (stop, signal_rx)
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
                eprintln!("sameport: the capture stopped: {error}");
            }
            let _ = output::print(&capture_text(&captured, port, proto, &output));
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

/// The captured segments and their evidence, in the output's format.
fn capture_text(captured: &Captured, port: u16, proto: Proto, output: &Output) -> String {
    let evidence = capture::evidence(&captured.segments, port, proto);
    // One socket per client for TCP (a 4-tuple each), one for all for UDP.
    let sockets = match proto {
        Proto::Tcp => evidence.clients.len(),
        Proto::Udp => 1,
    };
    let labels = &output.labels;
    match output.format {
        Format::Json => {
            let segments: Vec<serde_json::Value> = captured
                .segments
                .iter()
                .map(|s| view::capture::json(s, labels))
                .collect();
            let object = serde_json::json!({
                "event": { "kind": "capture" },
                "capture": segments,
                "capture_evidence": view::capture::evidence_json(&evidence, sockets, labels),
            });
            format!("{object}\n")
        }
        format => {
            let heading = format!(
                "Captured on {proto} port {port} ({} segments)",
                captured.segments.len()
            );
            let table =
                view::capture::table(&captured.segments, labels, format == Format::Markdown);
            format!(
                "{heading}\n{}\n{table}\nCapture: {}.\n",
                "=".repeat(heading.len()),
                evidence.sentence(sockets)
            )
        }
    }
}

/// Tells the user (on stderr) where the server listens and how to connect:
/// the addresses other machines can use, from the interface list.
fn announce(proto: Proto, local: SocketAddr) {
    let port = local.port();
    let udp = if proto == Proto::Udp {
        " --proto udp"
    } else {
        ""
    };
    eprintln!("sameport: {proto} echo server on {local}; Ctrl-C to stop.");
    if local.ip().is_unspecified() {
        let stack = if local.is_ipv6() {
            "IPv4 and IPv6"
        } else {
            "IPv4"
        };
        eprintln!(
            "sameport: the port is open on every interface ({stack}), so other machines on your \
             network can connect (unless a firewall blocks {proto} port {port})."
        );
        let addresses = classroom_addresses(local.is_ipv6());
        if addresses.is_empty() {
            eprintln!("sameport: this machine has no network address besides loopback.");
        }
        for (interface, ip) in &addresses {
            let addr = SocketAddr::new(*ip, port);
            eprintln!(
                "sameport:   from another machine: sameport connect {addr}{udp}   ({interface})"
            );
        }
    } else if local.ip().is_loopback() {
        eprintln!("sameport: bound to a loopback address: only this machine can connect.");
    }
    eprintln!(
        "sameport:   from this machine:    sameport connect 127.0.0.1:{port}{udp} --count 3 \
         --from 127.0.0.2,127.0.0.3,127.0.0.4 --message hello"
    );
}

/// The addresses of this machine's network interfaces that other machines
/// can reach: not loopback, not IPv6 link-local (which needs an interface
/// name to be usable), and IPv6 only if the server listens on IPv6.
fn classroom_addresses(ipv6: bool) -> Vec<(String, IpAddr)> {
    let Ok(networks) = sysinfo::Networks::new_with_refreshed_list() else {
        return Vec::new();
    };
    let mut addresses: Vec<(String, IpAddr)> = networks
        .iter()
        .flat_map(|(name, data)| {
            let name = name.to_string_lossy().into_owned();
            data.ip_networks()
                .iter()
                .map(move |net| (name.clone(), net.addr))
        })
        .filter(|(_, ip)| !ip.is_loopback() && !ip.is_unspecified())
        .filter(|(_, ip)| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => ipv6 && !v6.is_unicast_link_local(),
        })
        .collect();
    addresses.sort();
    addresses
}

/// One connection per open file the process may have, minus a reserve (a
/// quarter of the limit when the limit is tiny, so `ulimit -n 64` still
/// serves clients).
pub fn default_max_clients(fd_limit: Option<u64>) -> usize {
    let limit = fd_limit.unwrap_or(1024);
    let reserve = RESERVED_FDS.min(limit / 4);
    usize::try_from(limit.saturating_sub(reserve).max(1)).unwrap_or(usize::MAX)
}
