//! The `demo` command: the whole experiment in one process, as a lab write-up.
//!
//! A teacher runs `sameport demo` in front of a class. It starts an echo
//! server on 127.0.0.1:P, connects N clients from their own addresses
//! (127.0.0.2, 127.0.0.3 ...: on Linux all of 127.0.0.0/8 is this machine, so
//! each client looks like a different host), and after every step prints what
//! the kernel's socket table shows. It ends with the verdict, and exits 0 when
//! the claim holds.
//!
//! `--proto udp` runs the same experiment with a UDP server (one socket for
//! everyone), `--proto both` runs both and contrasts them, and `--textbook`
//! reproduces the figure of section 3.2 of Kurose & Ross, including the
//! connection the kernel must refuse.
//!
//! **Reproducible output.** With `--reproducible`, clients use fixed source
//! ports (50426, 50427 ...) and PIDs, fds, inodes and user names are replaced
//! by stable labels, so the output is the same bytes on every run and every
//! Linux machine. Every table is taken once the step is complete and the
//! queues are empty. Connections end with an *abortive* close (SO_LINGER 0:
//! the socket sends RST instead of FIN), which leaves no TIME_WAIT socket
//! behind, so the fixed 4-tuples are free again for the next run at once.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};

use crate::capture::{self, Capture};
use crate::claim::snapshot::Snapshot;
use crate::claim::verdict::Verdict;
use crate::claim::{Look, Observation, observe};
use crate::kernel::{
    Attribution, Kernel, OwnSockets, PortSide, Proto, Query, Registration, SocketState,
};
use crate::lab;
use crate::lang::demo as says;
use crate::lang::errors::Doing;
use crate::lang::{self, Lang};
use crate::net::activity::Activity;
use crate::net::bind;
use crate::net::client::{self, Conn};
use crate::net::tcp_server::{self, Config, Hooks};
use crate::net::udp_server::{self, Clients};
use crate::output::{self, Output};
use crate::view::report::{CaptureStep, Report, Section, Step};
use crate::{exit, view};

/// The first fixed client source port of `--reproducible` (as in the
/// original write-up this tool replaces).
pub const FIRST_FIXED_PORT: u16 = 50426;
/// What each client sends.
const MESSAGE: &[u8] = b"hello";
/// A small listen backlog: the same on every machine (the kernel caps the
/// backlog at net.core.somaxconn), so reproducible tables match everywhere.
const DEMO_BACKLOG: i32 = 128;

/// What to demonstrate (the same enum names the demo's title in
/// [`crate::lang::demo`]).
pub use crate::lang::demo::Experiment;

/// The demo's settings.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub experiment: Experiment,
    pub clients: usize,
    /// The server port; `None`: 12000 (for `--textbook`, 80 when it can be bound).
    pub port: Option<u16>,
    pub reproducible: bool,
    /// Capture the segments on the port too (`--capture`, needs CAP_NET_RAW).
    pub capture: bool,
}

/// Runs the demo and prints the write-up; exit 0 when every verdict holds.
pub async fn demo(options: DemoOptions, output: Output) -> anyhow::Result<ExitCode> {
    if options.capture {
        // Without the privilege to capture, fail before anything else happens.
        capture::check()?;
    }
    let sources = Sources::detect();
    let port = options.port.unwrap_or(12000);
    let lang = output.lang();
    let mut report = Report {
        title: title(options.experiment, lang),
        ..Report::default()
    };
    let mut verdicts = Vec::new();
    let experiments: &[Experiment] = match options.experiment {
        Experiment::Both => &[Experiment::Tcp, Experiment::Udp],
        ref one => std::slice::from_ref(one),
    };
    let run = Run {
        options: &options,
        sources,
        port,
        lang,
    };
    let all = async {
        for &experiment in experiments {
            let (section, verdict) = match experiment {
                Experiment::Tcp => run.tcp().await?,
                Experiment::Udp => run.udp().await?,
                Experiment::Subnets => run.subnets().await?,
                _ => run.textbook().await?,
            };
            report.sections.push(section);
            verdicts.push(verdict);
        }
        anyhow::Ok(())
    };
    // Ctrl-C drops the experiment: its sockets close and, for --subnets, the
    // network namespaces are removed on the way out.
    tokio::select! {
        done = all => done.map_err(|e| suggest_another_port(e, port, lang))?,
        signal = crate::os::shutdown::signal() => bail!(lang::errors::stopped_by(lang, signal)),
    }
    if options.experiment == Experiment::Both {
        report
            .conclusion
            .push(says::contrast(lang, options.clients, port));
    }
    let text = output.report(&report);
    output::print(&text)?;
    Ok(verdicts
        .iter()
        .find(|v| !v.holds())
        .map_or(ExitCode::SUCCESS, exit::for_verdict))
}

/// A demo whose port is taken can run on another: the error says how.
fn suggest_another_port(e: anyhow::Error, port: u16, lang: Lang) -> anyhow::Error {
    match e.downcast_ref::<bind::BindError>() {
        Some(bind::BindError::InUse { .. }) => anyhow::anyhow!(says::try_another_port(
            lang,
            &e.to_string(),
            port.checked_add(1).unwrap_or(12001)
        )),
        _ => e,
    }
}

fn title(experiment: Experiment, lang: Lang) -> String {
    says::title(lang, experiment)
}

/// Where the clients connect from.
#[derive(Clone, Copy, Debug)]
enum Sources {
    /// 127.0.0.2, 127.0.0.3 ...: Linux answers for all of 127.0.0.0/8.
    OwnAddresses,
    /// Only 127.0.0.1 exists (macOS, Windows without aliases): clients differ by port.
    OneAddress,
}

impl Sources {
    fn detect() -> Sources {
        match std::net::UdpSocket::bind("127.0.0.2:0") {
            Ok(_) => Sources::OwnAddresses,
            Err(_) => Sources::OneAddress,
        }
    }

    /// The source address of client `k` (1-based).
    fn ip(self, k: usize) -> IpAddr {
        match self {
            Sources::OwnAddresses => {
                let n = u32::try_from(k).unwrap_or(u32::MAX).saturating_add(1);
                IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 0)) + n))
            }
            Sources::OneAddress => IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }

    fn note(self, lang: Lang) -> &'static str {
        match self {
            Sources::OwnAddresses => "",
            Sources::OneAddress => says::one_address_note(lang),
        }
    }
}

/// Where sockets are made and the table is read: this host, or a network
/// namespace standing for another host (`--subnets`). A socket belongs to the
/// namespace it was created in, and a table read sees only its namespace.
#[derive(Clone, Debug)]
enum Host {
    Here,
    Namespace(lab::Namespace),
}

impl Host {
    /// Runs blocking work `f` on this host, off the async threads.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let host = self.clone();
        tokio::task::spawn_blocking(move || match host {
            Host::Here => Ok(f()),
            Host::Namespace(namespace) => namespace.run(f).map_err(anyhow::Error::from),
        })
        .await?
    }
}

/// One experiment's state.
struct Run<'a> {
    options: &'a DemoOptions,
    sources: Sources,
    port: u16,
    /// The language of the write-up.
    lang: Lang,
}

/// A client connected and greeted by [`DemoServer::greet`].
struct Greeted {
    local: SocketAddr,
    echo: Vec<u8>,
    /// Keeps the connection (and its registration) open until dropped.
    held: (Conn, Registration),
}

/// A running in-process echo server.
struct DemoServer {
    /// Where the server's sockets live (this host, or a namespace).
    host: Host,
    own: OwnSockets,
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    activity: watch::Receiver<Activity>,
    udp_clients: Option<Clients>,
    _registration: Registration,
}

impl DemoServer {
    async fn tcp(port: u16) -> anyhow::Result<DemoServer> {
        DemoServer::tcp_at(
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            Host::Here,
        )
        .await
    }

    async fn tcp_at(addr: SocketAddr, host: Host) -> anyhow::Result<DemoServer> {
        let listener = host
            .run(move || bind::tcp_listener_with_backlog(addr, DEMO_BACKLOG))
            .await??;
        let own = OwnSockets::new();
        let registration = own.register(&listener, "server");
        let listener =
            tokio::net::TcpListener::from_std(listener).context(Doing::RegisteringListener)?;
        let (activity_tx, activity) = watch::channel(Activity::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let hooks = Hooks {
            own: own.clone(),
            activity: Some(activity_tx),
        };
        let task = tokio::spawn(async move {
            tcp_server::run(listener, stopped, Config::default(), hooks).await;
        });
        Ok(DemoServer {
            host,
            own,
            addr,
            stop,
            task,
            activity,
            udp_clients: None,
            _registration: registration,
        })
    }

    async fn udp(port: u16) -> anyhow::Result<DemoServer> {
        let addr = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port);
        let socket = bind::udp_socket(addr)?;
        let own = OwnSockets::new();
        let registration = own.register(&socket, "server");
        let socket = tokio::net::UdpSocket::from_std(socket).context(Doing::RegisteringSocket)?;
        let (activity_tx, activity) = watch::channel(Activity::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let clients = Clients::new();
        let server_clients = clients.clone();
        let task = tokio::spawn(async move {
            udp_server::run(socket, stopped, server_clients, Some(activity_tx)).await;
        });
        Ok(DemoServer {
            host: Host::Here,
            own,
            addr,
            stop,
            task,
            activity,
            udp_clients: Some(clients),
            _registration: registration,
        })
    }

    /// Client `k`'s first moments, once its TCP connection is made: it is
    /// registered as `label`, the server accepts it, and it sends "hello" and
    /// reads the echo. The connection will end with an abortive close (RST,
    /// SO_LINGER 0), so no TIME_WAIT is left behind (see the module docs).
    async fn greet(&mut self, k: usize, label: &str, stream: TcpStream) -> anyhow::Result<Greeted> {
        stream.set_zero_linger().context(Doing::SettingLinger)?;
        let local = stream.local_addr().context(Doing::ReadingClientAddress)?;
        let registration = self.own.register(&stream, label);
        self.wait_for(k as u64).await?;
        let conn = Conn::Tcp(stream);
        let echo = client::exchange(&conn, MESSAGE)
            .await
            .with_context(|| label.to_string())?;
        Ok(Greeted {
            local,
            echo,
            held: (conn, registration),
        })
    }

    /// Waits until the server has accepted (TCP) or heard from (UDP) `n` clients.
    async fn wait_for(&mut self, n: u64) -> anyhow::Result<()> {
        let waited = tokio::time::timeout(
            Duration::from_secs(5),
            self.activity.wait_for(|a| a.accepted >= n),
        )
        .await;
        match waited {
            Ok(Ok(_)) => Ok(()),
            _ => bail!(says::client_unseen(lang::current(), n)),
        }
    }

    /// The server's side of the port, once the queues have drained.
    async fn server_side(&self, proto: Proto) -> anyhow::Result<Observation> {
        let peers = self.udp_clients.as_ref().map(Clients::list);
        let look = ours(proto, self.addr.port(), PortSide::Local, &self.own).with_udp_peers(peers);
        settled(&self.host, look).await
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// A snapshot taken once no socket has bytes waiting in a queue (a
/// listener's Send-Q is its backlog limit, not data). The echo has come
/// back by the time a step ends, but an acknowledgement may still be in
/// flight; waiting for it makes the table the same on every run.
async fn settled(host: &Host, look: Look) -> anyhow::Result<Observation> {
    let mut last = None;
    for _ in 0..100 {
        let look = look.clone();
        let seen = host.run(move || observe(&Kernel, &look)).await??;
        if is_quiet(&seen.snapshot) {
            return Ok(seen);
        }
        last = Some(seen);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    last.ok_or_else(|| anyhow!(says::table_unread(lang::current())))
}

/// This process's sockets on one side of the port (only our own sockets
/// belong in the demo's tables).
fn ours(proto: Proto, port: u16, side: PortSide, own: &OwnSockets) -> Look {
    Look::new(Query { proto, port, side }, Attribution::Own(own.clone())).only_ours()
}

/// Whether no socket has bytes waiting in a queue (a listener's Send-Q is
/// its backlog limit, not data).
fn is_quiet(snapshot: &Snapshot) -> bool {
    snapshot.rows.iter().all(|row| {
        let s = &row.socket;
        s.recv_q.unwrap_or(0) == 0 && (s.state == SocketState::Listen || s.send_q.unwrap_or(0) == 0)
    })
}

impl Run<'_> {
    fn source(&self, k: usize) -> SocketAddr {
        let port = if self.options.reproducible {
            FIRST_FIXED_PORT + u16::try_from(k - 1).unwrap_or(0)
        } else {
            0
        };
        SocketAddr::new(self.sources.ip(k), port)
    }

    async fn tcp(&self) -> anyhow::Result<(Section, Verdict)> {
        let mut server = DemoServer::tcp(self.port).await?;
        let capture = self.start_capture(self.port, Proto::Tcp)?;
        let lang = self.lang;
        let mut steps = vec![Step::table(
            says::tcp_listens(lang, server.addr),
            says::tcp_listens_text(lang, self.port),
            server.server_side(Proto::Tcp).await?.snapshot,
        )];
        let mut clients = Vec::new();
        for k in 1..=self.options.clients {
            let source = self.source(k);
            let label = format!("client-{k}");
            let stream = client::open_tcp(server.addr, Some(source))
                .await
                .with_context(|| says::client_from(lang, &label, source))?;
            let Greeted { local, echo, held } = server.greet(k, &label, stream).await?;
            let note = if k == 1 { self.sources.note(lang) } else { "" };
            steps.push(Step::table(
                says::tcp_client(lang, k, local),
                says::tcp_client_text(lang, &view::show(&echo), self.port, note),
                server.server_side(Proto::Tcp).await?.snapshot,
            ));
            clients.push(held);
        }
        let client_side = settled(
            &Host::Here,
            ours(Proto::Tcp, self.port, PortSide::Remote, &server.own),
        )
        .await?
        .snapshot;
        steps.push(Step::table(
            says::tcp_clients_side(lang),
            view::mirror_line(&client_side, lang).trim_end().to_string(),
            client_side,
        ));
        let ending = Ending {
            name: "tcp",
            title: says::tcp_section(lang, self.options.clients),
            proto: Proto::Tcp,
            port: self.port,
            verdict_text: says::tcp_verdict(lang, self.options.clients, self.port),
            lang,
        };
        conclude(server, steps, capture, clients, ending).await
    }

    async fn udp(&self) -> anyhow::Result<(Section, Verdict)> {
        let mut server = DemoServer::udp(self.port).await?;
        let capture = self.start_capture(self.port, Proto::Udp)?;
        let lang = self.lang;
        let mut steps = vec![Step::table(
            says::udp_binds(lang, server.addr),
            says::udp_binds_text(lang),
            server.server_side(Proto::Udp).await?.snapshot,
        )];
        let mut clients = Vec::new();
        for k in 1..=self.options.clients {
            let source = self.source(k);
            let label = format!("client-{k}");
            let socket = client::open_udp(server.addr, Some(source))
                .await
                .with_context(|| says::client_from(lang, &label, source))?;
            let local = socket.local_addr().context(Doing::ReadingClientAddress)?;
            let registration = server.own.register(&socket, &label);
            let conn = Conn::Udp(socket);
            let echo = client::exchange(&conn, MESSAGE)
                .await
                .with_context(|| label.clone())?;
            server.wait_for(k as u64).await?;
            let note = if k == 1 { self.sources.note(lang) } else { "" };
            steps.push(Step::table(
                says::udp_client(lang, k, local),
                says::udp_client_text(lang, &view::show(&echo), self.port, note),
                server.server_side(Proto::Udp).await?.snapshot,
            ));
            clients.push((conn, registration));
        }
        let client_side = settled(
            &Host::Here,
            ours(Proto::Udp, self.port, PortSide::Remote, &server.own),
        )
        .await?
        .snapshot;
        steps.push(Step::table(
            says::udp_clients_side(lang),
            says::udp_clients_side_text(lang, self.port),
            client_side,
        ));
        let ending = Ending {
            name: "udp",
            title: says::udp_section(lang, self.options.clients),
            proto: Proto::Udp,
            port: self.port,
            verdict_text: says::udp_verdict(lang, self.port),
            lang,
        };
        conclude(server, steps, capture, clients, ending).await
    }

    /// Section 3.2's figure: host A from port 26145, host C from 7532 and
    /// 26145, all to the server's one port; then the one connection the
    /// kernel must refuse.
    async fn textbook(&self) -> anyhow::Result<(Section, Verdict)> {
        let lang = self.lang;
        let (mut server, why_not_80) = match self.options.port {
            Some(port) => (DemoServer::tcp(port).await?, None),
            None => match DemoServer::tcp(80).await {
                Ok(server) => (server, None),
                Err(e) => {
                    // Said without the PID of whoever holds port 80, so the
                    // text stays the same from run to run.
                    let why = match e.downcast_ref::<bind::BindError>() {
                        Some(bind::BindError::Privileged { .. }) => says::NoPort80::Privileged,
                        Some(bind::BindError::InUse { .. }) => says::NoPort80::InUse,
                        _ => says::NoPort80::Other,
                    };
                    (DemoServer::tcp(12000).await?, Some(why))
                }
            },
        };
        let port_note = match self.options.port {
            Some(_) => String::new(),
            None => says::textbook_port_note(lang, why_not_80),
        };
        let port = server.addr.port();
        let capture = self.start_capture(port, Proto::Tcp)?;
        let mut steps = vec![Step::table(
            says::textbook_listens(lang, server.addr),
            says::textbook_listens_text(lang, &port_note),
            server.server_side(Proto::Tcp).await?.snapshot,
        )];
        let host_a = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let host_c = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
        let (a, c) = (
            says::host(lang, says::Host::A),
            says::host(lang, says::Host::C),
        );
        let plan = [
            (a, SocketAddr::new(host_a, 26145), "client-A"),
            (c, SocketAddr::new(host_c, 7532), "client-C1"),
            (c, SocketAddr::new(host_c, 26145), "client-C2"),
        ];
        let mut clients = Vec::new();
        for (k, (host, source, label)) in plan.iter().enumerate() {
            let stream = client::open_tcp(server.addr, Some(*source))
                .await
                .with_context(|| says::client_from(lang, host, *source))?;
            let Greeted { held, .. } = server.greet(k + 1, label, stream).await?;
            let text = match k {
                2 => says::textbook_second_c(lang, server.addr),
                _ => String::new(),
            };
            steps.push(Step::table(
                says::textbook_connects(lang, host, source.ip(), source.port()),
                text,
                server.server_side(Proto::Tcp).await?.snapshot,
            ));
            clients.push(held);
        }
        let refused = client::open_tcp(server.addr, Some(plan[2].1)).await;
        let refusal = match refused {
            Ok(_) => bail!(says::duplicate_accepted(lang)),
            Err(e) => e.to_string(),
        };
        steps.push(Step::prose(
            says::textbook_refused(lang),
            says::textbook_refused_text(lang, &refusal),
        ));
        let ending = Ending {
            name: "textbook",
            title: says::textbook_section(lang).into(),
            proto: Proto::Tcp,
            port,
            verdict_text: says::textbook_verdict(lang, port),
            lang,
        };
        conclude(server, steps, capture, clients, ending).await
    }
}

impl Run<'_> {
    /// Clients on two subnets, 10.200.1.0/24 and 10.200.2.0/24, routed
    /// through the server host 10.200.0.1: network namespaces made for this
    /// run and removed after it (also on error and Ctrl-C).
    async fn subnets(&self) -> anyhow::Result<(Section, Verdict)> {
        lab::check()?;
        let per_subnet = self.options.clients.div_ceil(2);
        let lab = tokio::task::spawn_blocking(move || lab::Lab::create(per_subnet)).await??;
        // However the experiment ends, the namespaces go with `lab`: removed
        // off the async threads, since removing runs `ip` commands.
        let result = self.subnets_in(&lab).await;
        tokio::task::spawn_blocking(move || drop(lab)).await?;
        result
    }

    async fn subnets_in(&self, lab: &lab::Lab) -> anyhow::Result<(Section, Verdict)> {
        let server_host = Host::Namespace(lab.server().clone());
        let addr = SocketAddr::new(lab.server_addr(), self.port);
        let mut server = DemoServer::tcp_at(addr, server_host).await?;
        let lang = self.lang;
        let mut steps = vec![Step::table(
            says::subnets_listens(lang, server.addr),
            says::subnets_listens_text(lang, lab.server_addr(), self.port),
            server.server_side(Proto::Tcp).await?.snapshot,
        )];
        let mut clients = Vec::new();
        for (i, (namespace, ip)) in lab
            .clients()
            .into_iter()
            .take(self.options.clients)
            .enumerate()
        {
            let k = i + 1;
            let source = SocketAddr::new(ip, self.source(k).port());
            let target = server.addr;
            let client_host = Host::Namespace(namespace.clone());
            let socket = client_host
                .run(move || client::prepare_tcp(target, Some(source)))
                .await??;
            let label = format!("client-{k}");
            let stream = client::connect_prepared(socket, target, Some(source))
                .await
                .with_context(|| says::client_from(lang, &label, source))?;
            let Greeted { local, held, .. } = server.greet(k, &label, stream).await?;
            steps.push(Step::table(
                says::subnets_client(lang, k, &subnet_of(local.ip()), local),
                String::new(),
                server.server_side(Proto::Tcp).await?.snapshot,
            ));
            clients.push(held);
        }
        let ending = Ending {
            name: "subnets",
            title: says::subnets_section(lang, self.options.clients),
            proto: Proto::Tcp,
            port: self.port,
            verdict_text: says::subnets_verdict(lang, self.port),
            lang,
        };
        conclude(server, steps, None, clients, ending).await
    }
}

/// How a section ends.
struct Ending {
    name: &'static str,
    title: String,
    proto: Proto,
    port: u16,
    /// What the verdict means, in the section's terms.
    verdict_text: String,
    /// The language of the write-up.
    lang: Lang,
}

/// Ends a section: the verdict on the server's side of the port (and what
/// the capture saw), then the clients close (abortively: no TIME_WAIT) and
/// the server stops.
async fn conclude<C>(
    server: DemoServer,
    mut steps: Vec<Step>,
    capture: Option<Capture>,
    clients: Vec<C>,
    ending: Ending,
) -> anyhow::Result<(Section, Verdict)> {
    let Observation {
        snapshot: last,
        verdict,
    } = server.server_side(ending.proto).await?;
    // The section's words say why the claim holds; when it does not (one
    // client proves nothing), the verdict line alone says what is missing.
    let verdict_text = if verdict.holds() {
        ending.verdict_text
    } else {
        String::new()
    };
    steps.push(Step {
        verdict: Some(verdict.clone()),
        ..Step::prose(says::verdict_step(ending.lang), verdict_text)
    });
    let at = (ending.port, ending.proto, ending.lang);
    finish_capture(capture, &mut steps, &verdict, at).await?;
    drop(clients);
    server.stop().await;
    let section = Section {
        name: ending.name,
        title: ending.title,
        steps,
        diagram: Some(last),
    };
    Ok((section, verdict))
}

impl Run<'_> {
    /// Starts a packet capture on the port if `--capture` asked for one.
    fn start_capture(&self, port: u16, proto: Proto) -> anyhow::Result<Option<Capture>> {
        if !self.options.capture {
            return Ok(None);
        }
        Ok(Some(Capture::start(port, proto)?))
    }
}

/// Stops the capture and adds what it saw: a step with the segments before
/// the verdict, and the capture's sentence in the verdict's text.
async fn finish_capture(
    capture: Option<Capture>,
    steps: &mut Vec<Step>,
    verdict: &Verdict,
    (port, proto, lang): (u16, Proto, Lang),
) -> anyhow::Result<()> {
    let Some(capture) = capture else {
        return Ok(());
    };
    let captured = tokio::task::spawn_blocking(move || capture.stop()).await?;
    if let Some(error) = captured.error {
        return Err(error.into());
    }
    let evidence = capture::evidence(&captured.segments, port, proto);
    // The sockets that served the clients, as the socket table showed them.
    let sockets = match proto {
        Proto::Tcp => verdict.accepted,
        Proto::Udp => verdict.servers,
    };
    let mut text = says::capture_text(lang, proto.into(), port);
    if captured.full || captured.dropped > 0 {
        text.push_str(&says::capture_full(lang, captured.segments.len()));
    }
    let sentence = evidence.sentence(lang, sockets);
    let capture_step = Step {
        capture: Some(CaptureStep {
            segments: captured.segments,
            evidence,
            sockets,
        }),
        ..Step::prose(says::capture_step(lang), text)
    };
    let at = steps.len().saturating_sub(1);
    steps.insert(at, capture_step);
    if let Some(last) = steps.last_mut() {
        last.text.push_str(&says::capture_agrees(lang, &sentence));
    }
    Ok(())
}

/// `10.200.1.0/24` for an address on one of the lab's subnets.
fn subnet_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => v6.to_string(),
    }
}
