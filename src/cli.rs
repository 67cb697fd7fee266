//! The command line: what each command accepts, and turning its outcome into
//! an exit code.
//!
//! Errors are printed once, on one line, to stderr, as `sameport: what went
//! wrong: why`, and the process exits with a code from [`crate::exit`]. A bad
//! command line is reported the same way, with the usage code 2.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::commands::demo::{self, DemoOptions, Experiment};
use crate::commands::inspect;
use crate::commands::scale::{self, ScaleOptions};
use crate::commands::serve::{self, ServeOptions};
use crate::exit;
use crate::kernel::Proto;
use crate::net::bind;
use crate::net::client::{self, ConnectOptions};
use crate::output::Output;
use crate::view::labels::Labels;
use crate::view::{Format, ViewKind};

/// Proves, on this machine's kernel, that every socket a TCP server accepts
/// shares the listening socket's port, and that UDP serves every client from
/// one socket.
#[derive(Debug, Parser)]
#[command(name = "sameport", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole experiment in this process and print it as a lab write-up; exit 0 if the claim holds.
    Demo(DemoArgs),
    /// Run an echo server; after every accept print the sockets on its port and the verdict.
    Serve(ServeArgs),
    /// Open clients to a server, show their side of the table, send a message, print the echo.
    Connect(ConnectArgs),
    /// Print the sockets on a port of this host, whoever owns them, and the verdict; exit 0 if the claim holds.
    Inspect(InspectArgs),
    /// Fill one port with N connections (more than 65,536 if you like) over child processes, and check them.
    Scale(ScaleArgs),
    /// A worker of `scale` (started by it, with the listening socket as fd 3).
    #[command(name = "scale-worker", hide = true)]
    ScaleWorker(ScaleWorkerArgs),
    /// A client process of `scale`.
    #[command(name = "scale-clients", hide = true)]
    ScaleClients(ScaleClientsArgs),
}

/// A count that must be at least 1.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("must be at least 1".into()),
        Err(_) => Err(format!("'{text}' is not a whole number")),
    }
}

/// `--hold`: seconds, 0 to 86400 (a day), fractions allowed.
fn hold_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if (0.0..=86_400.0).contains(&secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err("expected a number of seconds from 0 to 86400".into()),
    }
}

/// The port flag: 1-65535 (port 0 would mean "any port", which proves nothing).
fn port_arg() -> clap::builder::RangedI64ValueParser<u16> {
    clap::value_parser!(u16).range(1..)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProtoArg {
    Tcp,
    Udp,
}

impl From<ProtoArg> for Proto {
    fn from(p: ProtoArg) -> Proto {
        match p {
            ProtoArg::Tcp => Proto::Tcp,
            ProtoArg::Udp => Proto::Udp,
        }
    }
}

/// `--format`: the output formats (see [`Format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// Tables and a verdict, for people.
    Table,
    /// One JSON object per snapshot, one per line.
    Json,
    /// GitHub-flavoured Markdown tables, for lecture notes.
    Markdown,
    /// A Mermaid diagram (renders on GitHub): clients, the one port, the sockets.
    Mermaid,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Mermaid => Format::Mermaid,
        }
    }
}

/// `--view`: which table(s) to print (see [`ViewKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ViewArg {
    /// `netstat -tanp`: one row per socket.
    Netstat,
    /// `lsof -i`: one row per process holding a socket.
    Lsof,
    /// Both tables.
    Both,
}

impl From<ViewArg> for ViewKind {
    fn from(v: ViewArg) -> ViewKind {
        match v {
            ViewArg::Netstat => ViewKind::Netstat,
            ViewArg::Lsof => ViewKind::Lsof,
            ViewArg::Both => ViewKind::Both,
        }
    }
}

/// Flags that choose how results are written.
#[derive(Debug, Args)]
struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Which table(s) to print [default: netstat for demo, both elsewhere].
    #[arg(long, value_enum)]
    view: Option<ViewArg>,
    /// Summarise tables longer than this (JSON always has every row).
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = at_least_one)]
    max_rows: usize,
    /// Replace every non-loopback IP address with a placeholder (host-A, host-B ...).
    #[arg(long)]
    redact: bool,
}

impl OutputArgs {
    /// The output settings, with `default_view` where `--view` is not given
    /// and stable labels when `reproducible`.
    fn output_with(&self, default_view: ViewKind, reproducible: bool) -> Output {
        Output::new(
            self.format.into(),
            self.view.map_or(default_view, ViewKind::from),
            self.max_rows,
            Labels::new(self.redact, reproducible),
        )
    }

    fn output(&self) -> Output {
        self.output_with(ViewKind::Both, false)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DemoProto {
    Tcp,
    Udp,
    Both,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// How many clients connect (from 127.0.0.2, 127.0.0.3 ...).
    #[arg(long, short = 'n', default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=200))]
    clients: u16,
    /// The server's port [default: 12000; with --textbook, 80 when it can be bound].
    #[arg(long, short, value_parser = port_arg())]
    port: Option<u16>,
    /// TCP (one socket per connection), UDP (one socket for all), or both and their contrast.
    #[arg(long, value_enum, default_value_t = DemoProto::Tcp)]
    proto: DemoProto,
    /// Reproduce the figure of section 3.2: hosts A and C, source ports 26145 and 7532.
    #[arg(long, conflicts_with = "proto", conflicts_with = "clients")]
    textbook: bool,
    /// Put the clients on two other subnets, in network namespaces made for the run (Linux, root).
    #[arg(long, conflicts_with = "proto", conflicts_with = "textbook")]
    subnets: bool,
    /// Also capture the segments on the port and show them (Linux; needs root or CAP_NET_RAW).
    #[arg(long, conflicts_with = "subnets")]
    capture: bool,
    /// The same bytes on every run: fixed client ports, stable labels for PIDs, fds, inodes, users.
    #[arg(long)]
    reproducible: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The port to listen on.
    #[arg(long, short, default_value_t = 12000, value_parser = port_arg())]
    port: u16,
    /// The address to listen on [default: every interface, IPv4 and IPv6].
    #[arg(long, value_name = "IP")]
    bind: Option<IpAddr>,
    /// TCP (listen and accept) or UDP (one socket for everyone).
    #[arg(long, value_enum, default_value_t = ProtoArg::Tcp)]
    proto: ProtoArg,
    /// Text sent to every client right after accept, e.g. "Welcome to the Server\n".
    #[arg(long, value_name = "TEXT")]
    banner: Option<String>,
    /// Close connections beyond this many at once [default: from the open-file limit].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_clients: Option<u64>,
    /// Close a connection that sends nothing for this many seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: Option<u64>,
    /// Print no tables, only the start and stop lines (for benchmarks).
    #[arg(long)]
    quiet: bool,
    /// Also capture the segments on the port, printed when the capture ends (Linux; root or CAP_NET_RAW).
    #[arg(long)]
    capture: bool,
    /// End the capture after this many segments [default: Ctrl-C, at most 10,000].
    #[arg(long, value_name = "N", requires = "capture", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    capture_count: Option<u64>,
    #[command(flatten)]
    classroom: ClassroomArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// `serve`'s live views: the page on the same port, and `--live`.
#[derive(Debug, Args)]
struct ClassroomArgs {
    /// Serve no web page: echo every connection, HTTP requests included (the textbook's echo server).
    #[arg(long)]
    no_web: bool,
    /// At most this many browsers get live updates at once; more get 503.
    #[arg(long, value_name = "N", default_value_t = crate::web::DEFAULT_MAX_VIEWERS as u64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_viewers: u64,
    /// Show the port on one screen redrawn in place (q or Ctrl-C quits) instead of a log.
    #[arg(long)]
    live: bool,
}

impl ClassroomArgs {
    fn classroom(&self) -> crate::commands::serve::Classroom {
        crate::commands::serve::Classroom {
            web: !self.no_web,
            max_viewers: usize::try_from(self.max_viewers).unwrap_or(usize::MAX),
            live: self.live,
        }
    }
}

#[derive(Debug, Args)]
struct ConnectArgs {
    /// The server, as HOST or HOST:PORT (e.g. 127.0.0.1:12000).
    #[arg(value_name = "HOST[:PORT]", value_parser = client::check_target)]
    target: Option<String>,
    /// The server's port, when TARGET does not give one.
    #[arg(long, short, default_value_t = 12000, value_parser = port_arg())]
    port: u16,
    /// TCP or UDP clients.
    #[arg(long, value_enum, default_value_t = ProtoArg::Tcp)]
    proto: ProtoArg,
    /// How many clients to open.
    #[arg(long, short = 'n', default_value_t = 1, value_name = "N", value_parser = at_least_one)]
    count: usize,
    /// Source addresses for the clients, used in turn (e.g. 127.0.0.2,127.0.0.3).
    #[arg(long, value_delimiter = ',', value_name = "IP,...")]
    from: Vec<IpAddr>,
    /// A fixed source port for every client (instead of an ephemeral one).
    #[arg(long, value_name = "PORT", value_parser = port_arg())]
    source_port: Option<u16>,
    /// The message each client sends [default: interactive when stdin is a terminal].
    #[arg(long, short, value_name = "TEXT")]
    message: Option<String>,
    /// Keep the connections open this many seconds after the echo (0 to 86400).
    #[arg(long, value_name = "SECS", allow_hyphen_values = true, value_parser = hold_seconds)]
    hold: Option<Duration>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Args)]
struct ScaleArgs {
    /// How many connections to open and hold.
    #[arg(long, short = 'n', default_value_t = 70_000, value_name = "N", value_parser = at_least_one)]
    connections: usize,
    /// The server's port.
    #[arg(long, short, default_value_t = 12000, value_parser = port_arg())]
    port: u16,
    /// Worker processes accepting from the one listening socket [default: as few as the open-file limit allows].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    workers: Option<u64>,
    /// Give up if filling takes longer than this many seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    timeout: u64,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Args)]
struct ScaleWorkerArgs {
    #[arg(long)]
    max_clients: usize,
}

#[derive(Debug, Args)]
struct ScaleClientsArgs {
    target: SocketAddr,
    #[arg(long)]
    count: usize,
    #[arg(long, value_delimiter = ',')]
    from: Vec<IpAddr>,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The port to inspect.
    #[arg(long, short, default_value_t = 12000, value_parser = port_arg())]
    port: u16,
    /// TCP or UDP sockets.
    #[arg(long, value_enum, default_value_t = ProtoArg::Tcp)]
    proto: ProtoArg,
    #[command(flatten)]
    output: OutputArgs,
}

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sameport: {}", one_line(&e));
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(args) => runtime()?.block_on(demo(args)),
        Command::Inspect(args) => inspect::inspect(
            &crate::kernel::Kernel,
            args.port,
            args.proto.into(),
            &args.output.output(),
        ),
        Command::Serve(args) => runtime()?.block_on(serve(args)),
        Command::Connect(args) => runtime()?.block_on(connect(args)),
        Command::Scale(args) => {
            let options = ScaleOptions {
                connections: args.connections,
                port: args.port,
                workers: args.workers.map(|w| w as usize),
                timeout: Duration::from_secs(args.timeout),
            };
            runtime()?.block_on(scale::scale(options, args.output.output()))
        }
        Command::ScaleWorker(args) => runtime()?.block_on(scale::worker::worker(args.max_clients)),
        Command::ScaleClients(args) => {
            runtime()?.block_on(scale::clients::clients(args.target, args.count, args.from))
        }
    }
}

/// The async runtime: one worker thread fewer than there are cores (at
/// least one). Echoing is cheap; what the server shares its machine with is
/// not: the socket-table reads (on tokio's blocking threads) and, in a
/// classroom, the clients on the same host. Measured on 2 cores with 100
/// local clients (benches/echo.rs): p99 latency 4.5 ms with two workers,
/// 0.8 ms with one, and more round trips per second.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.saturating_sub(1).max(1))
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let experiment = match (args.textbook, args.subnets, args.proto) {
        (true, _, _) => Experiment::Textbook,
        (_, true, _) => Experiment::Subnets,
        (_, _, DemoProto::Tcp) => Experiment::Tcp,
        (_, _, DemoProto::Udp) => Experiment::Udp,
        (_, _, DemoProto::Both) => Experiment::Both,
    };
    let options = DemoOptions {
        experiment,
        clients: usize::from(args.clients),
        port: args.port,
        reproducible: args.reproducible,
        capture: args.capture,
    };
    let output = args
        .output
        .output_with(ViewKind::Netstat, args.reproducible);
    demo::demo(options, output).await
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let options = ServeOptions {
        addr: SocketAddr::new(args.bind.unwrap_or_else(bind::default_ip), args.port),
        proto: args.proto.into(),
        banner: args.banner.map(String::into_bytes),
        max_clients: args
            .max_clients
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        idle_timeout: args.idle_timeout.map(Duration::from_secs),
        quiet: args.quiet,
        capture: args.capture.then(|| {
            args.capture_count
                .map_or(crate::capture::DEFAULT_MAX_SEGMENTS, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                })
        }),
        classroom: args.classroom.classroom(),
    };
    serve::serve(options, args.output.output()).await
}

async fn connect(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let Some(target) = args.target else {
        eprintln!(
            "sameport: connect needs a server address; for a server on this machine try:\n  \
             sameport connect 127.0.0.1:{} --count 3 --from 127.0.0.2,127.0.0.3,127.0.0.4 --message hello",
            args.port
        );
        return Ok(ExitCode::from(exit::USAGE));
    };
    let hold = args.hold;
    let prefer_v4 = args.from.first().is_none_or(IpAddr::is_ipv4);
    let options = ConnectOptions {
        target: client::resolve(&target, args.port, prefer_v4).await?,
        proto: args.proto.into(),
        count: args.count,
        from: args.from,
        source_port: args.source_port,
        message: args.message.map(String::into_bytes),
        hold,
    };
    crate::commands::connect::connect(options, args.output.output()).await
}

/// A clap error as one line (its first), with the usage exit code. Help and
/// version requests are printed whole and succeed.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(exit::USAGE)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // Point at the help of the subcommand the user was typing.
    let subcommand = std::env::args()
        .nth(1)
        .filter(|name| Cli::command().find_subcommand(name).is_some());
    let help = match subcommand {
        Some(name) => format!("sameport {name} --help"),
        None => "sameport --help".to_string(),
    };
    eprintln!("sameport: {first} (see {help})");
    ExitCode::from(exit::USAGE)
}

/// An error and its causes on one line: `outer: inner: root`.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}
