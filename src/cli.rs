//! The command line: what each command accepts, and turning its outcome into
//! an exit code.
//!
//! Errors are printed once, on one line, to stderr, as `sameport: what went
//! wrong: why`, and the process exits with a code from [`crate::exit`]. A bad
//! command line is reported the same way, with the usage code 2.
//!
//! The language (`--lang`, or the locale: see [`crate::lang`]) is settled
//! first, from the raw command line, before clap parses it: a mistake on the
//! command line is then reported in the language the user asked for. `--help`
//! stays English (clap writes it).

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
use crate::kernel::{PortSide, Proto};
use crate::lang::errors::{self as says, Doing, Usage};
use crate::lang::{self, Lang};
use crate::net::bind;
use crate::net::client::{self, ConnectOptions};
use crate::output::{self, ColorChoice, Output};
use crate::view::labels::Labels;
use crate::view::{Format, ViewKind};

/// Proves, on this machine's kernel, that every socket a TCP server accepts
/// shares the listening socket's port, and that UDP serves every client from
/// one socket.
#[derive(Debug, Parser)]
#[command(name = "sameport", version, about, long_about = None)]
pub struct Cli {
    /// The language of the output: en or ko [default: from LC_ALL, LC_MESSAGES or LANG; English unless Korean].
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    lang: Option<LangArg>,
    #[command(subcommand)]
    command: Command,
}

/// `--lang`: see [`Lang`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LangArg {
    /// English.
    En,
    /// Korean (한국어).
    Ko,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Lang {
        match lang {
            LangArg::En => Lang::En,
            LangArg::Ko => Lang::Ko,
        }
    }
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
    /// Print a completion script for a shell: `sameport completions bash > /etc/bash_completion.d/sameport`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `sameport man | man -l -`, or `sameport man serve` for one command.
    Man(ManArgs),
    /// A worker of `scale` (started by it, with the listening socket as fd 3).
    #[command(name = "scale-worker", hide = true)]
    ScaleWorker(ScaleWorkerArgs),
    /// A client process of `scale`.
    #[command(name = "scale-clients", hide = true)]
    ScaleClients(ScaleClientsArgs),
}

// The value parsers below say what is accepted in words ("must be from 2 to
// 200"), where clap's ranges would print "not in 1..18446744073709551615".

/// A whole number from `min` to `max`; `why` (if any) follows the range in
/// the error, to say what the limit is for.
fn whole_number(text: &str, min: u64, max: u64, why: &str) -> Result<u64, String> {
    let lang = lang::current();
    let Ok(n) = text.trim().parse::<u64>() else {
        return Err(says::not_a_whole_number(lang, text));
    };
    if (min..=max).contains(&n) {
        return Ok(n);
    }
    let range = if max == u64::MAX {
        says::at_least(lang, min)
    } else {
        says::from_to(lang, min, max)
    };
    Err(format!("{range}{why}"))
}

/// A count that must be at least 1.
fn at_least_one(text: &str) -> Result<usize, String> {
    whole_number(text, 1, u64::MAX, "").map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// `connect --message`: an empty one would wait for an echo of nothing.
fn non_empty_message(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err(says::empty_message(lang::current()).to_string())
    } else {
        Ok(text.to_string())
    }
}

/// A number of seconds or clients that must be at least 1.
fn positive(text: &str) -> Result<u64, String> {
    whole_number(text, 1, u64::MAX, "")
}

/// `demo --clients`: the claim is about sharing, which takes two.
fn demo_clients(text: &str) -> Result<u16, String> {
    let why = says::one_client_proves_nothing(lang::current());
    whole_number(text, 2, 200, why).map(|n| n as u16)
}

/// `scale --workers`.
fn workers(text: &str) -> Result<u64, String> {
    whole_number(text, 1, 64, "")
}

/// `serve --capture-count`.
fn segment_count(text: &str) -> Result<u64, String> {
    whole_number(text, 1, 1_000_000, "")
}

/// `--hold`: seconds, 0 to 86400 (a day), fractions allowed.
fn hold_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if (0.0..=86_400.0).contains(&secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err(says::hold_seconds(lang::current()).into()),
    }
}

/// The port flag: 1-65535 (port 0 would mean "any port", which proves nothing).
fn port_arg(text: &str) -> Result<u16, String> {
    whole_number(text, 1, 65_535, "")
        .map(|n| n as u16)
        .map_err(|_| says::port_range(lang::current()).to_string())
}

/// `--banner`: the text, with the usual escapes turned into the bytes they
/// stand for, so `'Welcome to the Server\n'` ends in a newline as it does in
/// the textbook's Python: `\n` (newline), `\r` (carriage return), `\t` (tab),
/// `\\` (a backslash) and `\xHH` (the byte with hex value HH).
fn banner_bytes(text: &str) -> Result<Banner, String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, after)) = rest.split_first() {
        rest = after;
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        let Some((&escape, after)) = rest.split_first() else {
            return Err(says::banner_lone_backslash(lang::current()).into());
        };
        rest = after;
        match escape {
            b'n' => bytes.push(b'\n'),
            b'r' => bytes.push(b'\r'),
            b't' => bytes.push(b'\t'),
            b'\\' => bytes.push(b'\\'),
            b'x' => {
                let hex = rest
                    .get(..2)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(says::banner_hex(lang::current()))?;
                bytes.push(hex);
                rest = &rest[2..];
            }
            other => {
                let escape = char::from(other).escape_default().to_string();
                return Err(says::banner_escape(lang::current(), &escape));
            }
        }
    }
    Ok(Banner(bytes))
}

/// `--banner`'s bytes (a type of its own: clap would read a `Vec<u8>` as a
/// list of numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Banner(Vec<u8>);

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

/// `--color`: see [`ColorChoice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always (e.g. into `less -R`).
    Always,
    /// Never.
    Never,
}

impl From<ColorArg> for ColorChoice {
    fn from(c: ColorArg) -> ColorChoice {
        match c {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

/// Flags that choose how results are written.
#[derive(Debug, Args)]
struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Which table(s) to print [default: netstat; both adds lsof's].
    #[arg(long, value_enum)]
    view: Option<ViewArg>,
    /// Colour the tables: auto is a terminal with NO_COLOR unset and TERM not dumb.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,
    /// Summarise tables longer than this (JSON always has every row).
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = at_least_one)]
    max_rows: usize,
    /// Replace every non-loopback IP address with a placeholder (host-A, host-B ...).
    #[arg(long)]
    redact: bool,
}

impl OutputArgs {
    /// The output settings, with `default_view` where `--view` is not given
    /// and stable labels when `reproducible`, in the run's language.
    fn output_with(&self, default_view: ViewKind, reproducible: bool) -> Output {
        Output::new(
            self.format.into(),
            self.view.map_or(default_view, ViewKind::from),
            self.max_rows,
            Labels::new(self.redact, reproducible).in_lang(lang::current()),
        )
        .colored(self.color.into())
    }

    /// The output settings, with `default_view` where `--view` is not given.
    /// Every command shows the netstat table alone by default, which fits 80
    /// columns; the lsof table (rows over 90 columns, which would cut
    /// addresses on an 80-column terminal) is one `--view both` away.
    fn output(&self, default_view: ViewKind) -> Output {
        self.output_with(default_view, false)
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
    /// How many clients connect (from 127.0.0.2, 127.0.0.3 ...): 2 to 200.
    #[arg(long, short = 'n', default_value_t = 3, value_name = "N", value_parser = demo_clients)]
    clients: u16,
    /// The server's port [default: 12000; with --textbook, 80 when it can be bound].
    #[arg(long, short, value_parser = port_arg)]
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
    #[arg(long, short, default_value_t = 12000, value_parser = port_arg)]
    port: u16,
    /// The address to listen on [default: every interface, IPv4 and IPv6].
    #[arg(long, value_name = "IP")]
    bind: Option<IpAddr>,
    /// TCP (listen and accept) or UDP (one socket for everyone).
    #[arg(long, value_enum, default_value_t = ProtoArg::Tcp)]
    proto: ProtoArg,
    /// Text sent to every client right after accept; \n \r \t \\ and \xHH are turned into the bytes they stand for, e.g. 'Welcome to the Server\n'.
    #[arg(long, value_name = "TEXT", value_parser = banner_bytes)]
    banner: Option<Banner>,
    /// Turn away clients beyond this many at once, with a one-line reason [default: from the open-file limit].
    #[arg(long, value_name = "N", value_parser = positive)]
    max_clients: Option<u64>,
    /// Close a connection that sends nothing for this many seconds.
    #[arg(long, value_name = "SECS", value_parser = positive)]
    idle_timeout: Option<u64>,
    /// Print no tables, only the start and stop lines (for benchmarks).
    #[arg(long)]
    quiet: bool,
    /// Also capture the segments on the port, printed when the capture ends (Linux; root or CAP_NET_RAW).
    #[arg(long)]
    capture: bool,
    /// End the capture after this many segments [default: Ctrl-C, at most 10,000].
    #[arg(long, value_name = "N", requires = "capture", value_parser = segment_count)]
    capture_count: Option<u64>,
    #[command(flatten)]
    classroom: ClassroomArgs,
    #[command(flatten)]
    output: OutputArgs,
}

impl ServeArgs {
    /// The first option given that only a TCP server uses: a UDP server
    /// accepts no connections to greet, limit or time out, and its port
    /// speaks no HTTP. (`--no-web` asks for what UDP does anyway: accepted.)
    fn tcp_only_flag(&self) -> Option<&'static str> {
        [
            (self.banner.is_some(), "--banner"),
            (self.max_clients.is_some(), "--max-clients"),
            (self.idle_timeout.is_some(), "--idle-timeout"),
            (self.classroom.max_viewers.is_some(), "--max-viewers"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }
}

/// `serve`'s live views: the page on the same port, and `--live`.
#[derive(Debug, Args)]
struct ClassroomArgs {
    /// Serve no web page: echo every connection, HTTP requests included (the textbook's echo server).
    #[arg(long)]
    no_web: bool,
    /// At most this many browsers get live updates at once; more get 503 [default: 64].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_viewers: Option<u64>,
    /// Show the port on one screen redrawn in place (q or Ctrl-C quits) instead of a log.
    #[arg(long)]
    live: bool,
}

impl ClassroomArgs {
    fn classroom(&self) -> crate::commands::serve::Classroom {
        crate::commands::serve::Classroom {
            web: !self.no_web,
            max_viewers: self
                .max_viewers
                .map_or(crate::web::DEFAULT_MAX_VIEWERS, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }),
            live: self.live,
        }
    }
}

#[derive(Debug, Args)]
struct ConnectArgs {
    /// The server, as HOST or HOST:PORT (e.g. 127.0.0.1:12000).
    #[arg(value_name = "HOST[:PORT]", value_parser = client::check_target)]
    target: Option<String>,
    /// The server's port, when HOST[:PORT] gives none [default: 12000].
    #[arg(long, short, value_parser = port_arg)]
    port: Option<u16>,
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
    #[arg(long, value_name = "PORT", value_parser = port_arg)]
    source_port: Option<u16>,
    /// The message each client sends [default: interactive when stdin is a terminal; what stdin holds when it is not].
    #[arg(long, short, value_name = "TEXT", value_parser = non_empty_message)]
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
    #[arg(long, short, default_value_t = 12000, value_parser = port_arg)]
    port: u16,
    /// Worker processes accepting from the one listening socket [default: as few as the open-file limit allows].
    #[arg(long, value_name = "N", value_parser = workers)]
    workers: Option<u64>,
    /// Give up if filling takes longer than this many seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = positive)]
    timeout: u64,
    /// After the report, keep the connections open this many seconds (without a value: until Ctrl-C), to look at them with ss or inspect.
    #[arg(long, value_name = "SECS", num_args = 0..=1, value_parser = hold_seconds)]
    hold: Option<Option<Duration>>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
struct ManArgs {
    /// One command's page (sameport-serve(1) ...) instead of sameport(1).
    #[arg(value_name = "COMMAND")]
    command: Option<String>,
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

/// `inspect --side`: which end of the port to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SideArg {
    /// The server's sockets: local port = the port.
    Server,
    /// The clients' sockets on this host: remote port = the port.
    Client,
    /// Both, as `netstat -tanp | grep :PORT` shows them.
    Both,
}

impl From<SideArg> for PortSide {
    fn from(side: SideArg) -> PortSide {
        match side {
            SideArg::Server => PortSide::Local,
            SideArg::Client => PortSide::Remote,
            SideArg::Both => PortSide::Either,
        }
    }
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The port to inspect.
    #[arg(long, short, default_value_t = 12000, value_parser = port_arg)]
    port: u16,
    /// TCP or UDP sockets.
    #[arg(long, value_enum, default_value_t = ProtoArg::Tcp)]
    proto: ProtoArg,
    /// Which end of the port: the server's sockets, the clients' sockets on this host, or both.
    #[arg(long, value_enum, default_value_t = SideArg::Both)]
    side: SideArg,
    #[command(flatten)]
    output: OutputArgs,
}

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    // The language first: `--lang` as typed (before parsing, so that a
    // mistake in the rest of the line is told in it), else the locale.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let lang = Lang::from_args(&args).unwrap_or_else(Lang::from_environment);
    lang::set(lang);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e, lang),
    };
    // clap agrees with the early look (it reads the same `--lang`).
    debug_assert_eq!(cli.lang.map_or(lang, Lang::from), lang);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            crate::os::stderr::line(&format!("sameport: {}", one_line(&e)));
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
            args.side.into(),
            &args.output.output(ViewKind::Netstat),
        ),
        Command::Completions(args) => completions(args.shell),
        Command::Man(args) => man(args.command.as_deref()),
        Command::Serve(args) => runtime()?.block_on(serve(args)),
        Command::Connect(args) => runtime()?.block_on(connect(args)),
        Command::Scale(args) => {
            let options = ScaleOptions {
                connections: args.connections,
                port: args.port,
                workers: args.workers.map(|w| w as usize),
                timeout: Duration::from_secs(args.timeout),
                hold: args
                    .hold
                    .map(|secs| secs.map_or(scale::Hold::UntilStopped, scale::Hold::For)),
            };
            runtime()?.block_on(scale::scale(options, args.output.output(ViewKind::Netstat)))
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
        .context(Doing::StartingRuntime)
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
    if args.proto == ProtoArg::Udp
        && let Some(flag) = args.tcp_only_flag()
    {
        let text = lang::serve::tcp_only(lang::current(), flag);
        crate::os::stderr::line(&format!("sameport: {text}"));
        return Ok(ExitCode::from(exit::USAGE));
    }
    let options = ServeOptions {
        addr: SocketAddr::new(args.bind.unwrap_or_else(bind::default_ip), args.port),
        proto: args.proto.into(),
        banner: args.banner.map(|b| b.0),
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
    serve::serve(options, args.output.output(ViewKind::Netstat)).await
}

async fn connect(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let Some(target) = args.target else {
        let text = says::connect_needs_target(lang::current(), args.port.unwrap_or(12000));
        crate::os::stderr::line(&format!("sameport: {text}"));
        return Ok(ExitCode::from(exit::USAGE));
    };
    if let Some(port) = args.port
        && client::port_in(&target).is_some()
    {
        let text = says::port_given_twice(lang::current(), &target, port);
        crate::os::stderr::line(&format!("sameport: {text}"));
        return Ok(ExitCode::from(exit::USAGE));
    }
    let hold = args.hold;
    let prefer_v4 = args.from.first().is_none_or(IpAddr::is_ipv4);
    let options = ConnectOptions {
        target: client::resolve(&target, args.port.unwrap_or(12000), prefer_v4).await?,
        proto: args.proto.into(),
        count: args.count,
        from: args.from,
        source_port: args.source_port,
        message: args.message.map(String::into_bytes),
        hold,
    };
    crate::commands::connect::connect(options, args.output.output(ViewKind::Netstat)).await
}

/// `sameport completions SHELL`: the script that teaches the shell
/// sameport's commands and flags.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut visible_command(), "sameport", &mut script);
    output::print(&String::from_utf8_lossy(&script)).context(Doing::WritingScript)?;
    Ok(ExitCode::SUCCESS)
}

/// `sameport man [COMMAND]`: the manual page in roff, for `man -l -` or to
/// install as sameport.1 (or sameport-serve.1 ...).
fn man(command: Option<&str>) -> anyhow::Result<ExitCode> {
    // `help` has no page of its own: the main page would point to a missing
    // sameport-help(1).
    let cli = Cli::command().disable_help_subcommand(true);
    let page = match command {
        None => cli,
        Some(name) => {
            let Some(sub) = cli.find_subcommand(name).filter(|c| !c.is_hide_set()) else {
                let text = says::no_such_command(lang::current(), name, &command_names());
                crate::os::stderr::line(&format!("sameport: {text}"));
                return Ok(ExitCode::from(exit::USAGE));
            };
            // Named sameport-serve(1), with `sameport serve` in its synopsis.
            // (With the version, which the page's footer shows.)
            sub.clone()
                .display_name(format!("sameport-{name}"))
                .bin_name(format!("sameport {name}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut roff = Vec::new();
    render_man(clap_mangen::Man::new(page), &mut roff).context(Doing::RenderingManPage)?;
    output::print(&String::from_utf8_lossy(&roff)).context(Doing::WritingManPage)?;
    Ok(ExitCode::SUCCESS)
}

/// clap_mangen's page with an EXIT STATUS section before VERSION (clap knows
/// nothing of exit codes; scripts and teachers' checks rely on them).
fn render_man(man: clap_mangen::Man, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut page = Vec::new();
    man.render(&mut page)?;
    let page = String::from_utf8_lossy(&page);
    let mut exit_status = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in exit::MEANINGS {
        // `.TP`: a tagged paragraph, with the code in bold as its tag.
        exit_status.push_str(&format!(".TP\n\\fB{code}\\fR\n{meaning}\n"));
    }
    let at = page.find("\n.SH VERSION").map_or(page.len(), |i| i + 1);
    out.extend_from_slice(page[..at].as_bytes());
    out.extend_from_slice(exit_status.as_bytes());
    out.extend_from_slice(page[at..].as_bytes());
    Ok(())
}

/// The command line as a user sees it: the same commands and flags, less
/// the hidden helpers of `scale`, which clap_complete would offer otherwise.
fn visible_command() -> clap::Command {
    let full = Cli::command();
    let visible = full
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .cloned()
        .collect::<Vec<_>>();
    // `--lang` and the other global options, offered after every command.
    let global = full.get_arguments().filter(|a| a.is_global_set()).cloned();
    let mut command = clap::Command::new("sameport")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .args(global)
        .subcommands(visible)
        // `sameport man <TAB>` offers the commands that have a page.
        .mut_subcommand("man", |man| {
            man.mut_arg("command", |arg| {
                arg.value_parser(clap::builder::PossibleValuesParser::new(command_names()))
            })
        });
    if let Some(about) = full.get_about() {
        command = command.about(about.clone());
    }
    command
}

/// The names of the commands a user types (not the hidden helpers of `scale`).
fn command_names() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

/// A clap error as one line (its first, in English; in Korean a sentence
/// made from what clap found), with the usage exit code. Help and version
/// requests are printed whole and succeed.
fn usage_error(e: clap::Error, lang: Lang) -> ExitCode {
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
    // clap lists the valid values on a later line; say them on this one.
    let valid = match e.get(clap::error::ContextKind::ValidValue) {
        Some(clap::error::ContextValue::Strings(values)) if !values.is_empty() => {
            says::expected(lang, values)
        }
        _ => String::new(),
    };
    let what = says::usage_error(lang, &what_clap_found(&e), &format!("{first}{valid}"));
    // Point at the help of the subcommand the user was typing.
    // (The first word that names one: `--lang ko` may come before it.)
    let subcommand = std::env::args_os()
        .skip(1)
        .filter_map(|word| word.into_string().ok())
        .find(|name| Cli::command().find_subcommand(name).is_some());
    let help = match subcommand {
        Some(name) => format!("sameport {name} --help"),
        None => "sameport --help".to_string(),
    };
    crate::os::stderr::line(&format!("sameport: {}", says::usage(lang, &what, &help)));
    ExitCode::from(exit::USAGE)
}

/// What clap found wrong, from the context it keeps with the error (the
/// argument, the value, the valid values), for a sentence of our own.
fn what_clap_found(e: &clap::Error) -> Usage {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    };
    let list = |kind| match e.get(kind) {
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let arg = text(ContextKind::InvalidArg);
    let value = text(ContextKind::InvalidValue);
    // Our own value parsers say why a value is refused; clap keeps it as
    // the error's source.
    let why = std::error::Error::source(e).map(|s| s.to_string());
    match (e.kind(), arg, value) {
        (ErrorKind::InvalidValue, Some(arg), Some(value)) => Usage::InvalidValue {
            arg,
            value,
            valid: list(ContextKind::ValidValue),
        },
        (ErrorKind::ValueValidation, Some(arg), Some(value)) => Usage::Refused {
            arg,
            value,
            why: why.unwrap_or_default(),
        },
        (ErrorKind::UnknownArgument, Some(arg), _) => Usage::Unknown { arg },
        (ErrorKind::InvalidSubcommand, _, _) => match text(ContextKind::InvalidSubcommand) {
            Some(name) => Usage::UnknownCommand { name },
            None => Usage::Other,
        },
        (ErrorKind::MissingRequiredArgument, Some(_) | None, _) => {
            match list(ContextKind::InvalidArg) {
                args if !args.is_empty() => Usage::Missing { args },
                _ => Usage::Other,
            }
        }
        (ErrorKind::ArgumentConflict, Some(arg), _) => match text(ContextKind::PriorArg) {
            Some(other) => Usage::Conflict { arg, other },
            None => Usage::Other,
        },
        _ => Usage::Other,
    }
}

/// An error and its causes on one line: `outer: inner: root`.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own check of the definitions (conflicting names, types that
    /// do not match their parsers ...), which it otherwise does only when a
    /// flag is used.
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// The usual escapes become bytes; anything else is refused in words.
    #[test]
    fn banner_escapes_become_bytes() {
        let bytes = |t: &str| banner_bytes(t).map(|b| b.0);
        assert_eq!(
            bytes(r"Welcome to the Server\n").unwrap(),
            b"Welcome to the Server\n"
        );
        assert_eq!(bytes(r"a\tb\r\n\\\x00\xff").unwrap(), b"a\tb\r\n\\\x00\xff");
        assert_eq!(bytes("héllo").unwrap(), "héllo".as_bytes());
        assert!(bytes(r"\q").unwrap_err().contains("unknown escape"));
        assert!(bytes(r"\x4").unwrap_err().contains("two hex digits"));
        assert!(bytes(r"\xzz").unwrap_err().contains("two hex digits"));
        assert!(bytes("ends in \\").unwrap_err().contains("lone backslash"));
        let cli = Cli::try_parse_from(["sameport", "serve", "--banner", r"hi\n"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.banner, Some(Banner(b"hi\n".to_vec())));
    }

    /// Ranges are said in words, never as Rust ranges.
    #[test]
    fn numbers_out_of_range_are_explained_in_words() {
        assert_eq!(positive("0").unwrap_err(), "must be at least 1");
        assert_eq!(positive("x").unwrap_err(), "'x' is not a whole number");
        assert_eq!(workers("65").unwrap_err(), "must be from 1 to 64");
        assert!(
            demo_clients("1")
                .unwrap_err()
                .starts_with("must be from 2 to 200")
        );
        assert_eq!(demo_clients("2"), Ok(2));
        assert_eq!(port_arg("65535"), Ok(65535));
        assert_eq!(
            port_arg("0").unwrap_err(),
            "a port number must be from 1 to 65535"
        );
        assert_eq!(
            lang::one_of(Lang::En, &["a".into(), "b".into(), "c".into()]),
            "a, b or c"
        );
    }
}
