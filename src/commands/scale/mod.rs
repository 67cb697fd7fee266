//! The `scale` command: more than 65,536 connections on one port.
//!
//! "A port number has 16 bits, so a server can hold at most 65,536
//! connections" confuses ports with connections. A connection is named by its
//! 4-tuple; the server's side of every connection can share one port, and the
//! clients' sides differ in IP and port. `scale --connections 70000` fills one
//! listening port with 70,000 connections and checks them with one dump of
//! the kernel's socket table.
//!
//! One process may only hold so many open files (here 20,000, and every
//! socket is one), so the work is spread over child processes of this same
//! program:
//!
//! * **workers** ([`worker`]) all accept from the *same single listening
//!   socket*, which this process hands to each of them as its fd 3 (the
//!   systemd socket-activation convention). The table shows one LISTEN row,
//!   one listening inode, held by every worker. (SO_REUSEPORT would instead
//!   give each worker a listening socket of its own.) A full worker stops
//!   accepting and leaves new connections in the kernel's queue for the others;
//! * **client processes** ([`clients`]) open the connections from source
//!   addresses 127.0.0.2, 127.0.0.3 ...; each source address offers about
//!   28,000 ephemeral ports toward one server address and port.
//!
//! Children report their counts on stdout, line by line; this process draws a
//! progress bar, reads the table once everything is connected, prints the
//! verdict, the time to fill and the memory used, and stops every child by PID
//! in bounded time, also on Ctrl-C or when a child fails.
//!
//! With `--hold [SECS]` it keeps the connections open after the report (for
//! SECS seconds, or until Ctrl-C), and says how to look at them with other
//! tools meanwhile: `ss -s`, a count with `ss`, `sameport inspect`. Seventy
//! thousand connections on one port are more convincing in one's own `ss`
//! than in sameport's word.

pub mod clients;
pub mod worker;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::claim::snapshot::{Role, Snapshot};
use crate::claim::verdict::Verdict;
use crate::claim::{Look, Observation, observe_off_thread};
use crate::kernel::{Attribution, Kernel, PortSide, Proto, Query};
use crate::lang::errors::Doing;
use crate::lang::scale::{self as says, HoldEnd, HowLong};
use crate::lang::{self, Lang};
use crate::net::bind;
use crate::output::{self, Output};
use crate::{exit, os};

/// Connections per source address: under the ~28,000 ports of Linux's default
/// ephemeral range (32768-60999), which is per (source IP, destination).
const PER_SOURCE: usize = 25_000;
/// The listen backlog: the kernel's default cap (net.core.somaxconn).
const BACKLOG: i32 = 4096;
/// How long children get to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// The number that a 16-bit port number cannot exceed.
const PORT_NUMBERS: usize = 1 << 16;

/// What `scale` was asked to do.
#[derive(Clone, Debug)]
pub struct ScaleOptions {
    pub connections: usize,
    pub port: u16,
    /// Worker processes; `None`: as few as the open-file limit allows.
    pub workers: Option<usize>,
    /// The longest the filling may take.
    pub timeout: Duration,
    /// Keep the connections open after the report (`--hold`); `None`: stop at once.
    pub hold: Option<Hold>,
}

/// How long `--hold` keeps the connections after the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// `--hold SECS`.
    For(Duration),
    /// `--hold` without a value: until Ctrl-C or SIGTERM.
    UntilStopped,
}

/// What a child process of `scale` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// Accepts connections on the shared listening socket.
    Worker,
    /// Opens connections to it.
    Clients,
}

/// The child processes.
struct Fleet {
    children: Vec<(Part, Child)>,
}

/// What a child reports on a line of its stdout.
#[derive(Debug)]
enum Report {
    /// A worker: connections accepted so far.
    Accepted(usize, usize),
    /// A client process: connections established so far.
    Connected(usize, usize),
    /// A child failed; the line says why.
    Failed(String),
    /// A child's stdout closed (it exited).
    Gone,
}

/// Runs the experiment.
pub async fn scale(options: ScaleOptions, output: Output) -> anyhow::Result<ExitCode> {
    let lang = output.lang();
    let plan = Plan::new(&options, lang)?;
    let listener = bind::tcp_listener_with_backlog(
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), options.port),
        BACKLOG,
    )?;
    output::say(&says::plan(
        lang,
        (options.connections, options.port),
        (plan.workers, plan.client_processes, plan.sources.len()),
        plan.fd_limit,
    ));
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let mut fleet = Fleet {
        children: Vec::new(),
    };
    let started = Instant::now();
    let filled = async {
        fleet.spawn_workers(&plan, &listener, &reports_tx)?;
        // The workers hold the listening socket now; this process lets go of
        // its copy, so the table's holders of the listener are the workers.
        drop(listener);
        fleet.spawn_clients(&plan, &options, &reports_tx)?;
        drop(reports_tx);
        fill(&options, &plan, &mut reports, lang).await
    };
    let outcome = tokio::select! {
        result = tokio::time::timeout(options.timeout, filled) => match result {
            Ok(result) => result,
            Err(_) => Err(anyhow!(says::fill_timed_out(lang, options.connections, options.timeout.as_secs()))),
        },
        signal = crate::os::shutdown::signal() => Err(anyhow!(lang::errors::stopped_by(lang, signal))),
    };
    let result = match outcome {
        Ok(accepted) => report(&options, &fleet, accepted, started.elapsed(), &output).await,
        Err(e) => Err(e),
    };
    let result = match (result, options.hold) {
        (Ok(code), Some(hold)) => hold_open(&options, hold, &mut reports, lang)
            .await
            .map(|()| code),
        (result, _) => result,
    };
    fleet.stop().await;
    result
}

/// Keeps the connections open after the report, for `hold` or until Ctrl-C,
/// and says how to look at them meanwhile. Ends early, with an error, if a
/// child exits: its connections are gone, and the user should know.
async fn hold_open(
    options: &ScaleOptions,
    hold: Hold,
    reports: &mut mpsc::UnboundedReceiver<Report>,
    lang: Lang,
) -> anyhow::Result<()> {
    crate::os::stderr::write(&hold_message(options, hold, lang));
    let until = async {
        match hold {
            Hold::For(duration) => tokio::time::sleep(duration).await,
            Hold::UntilStopped => std::future::pending().await,
        }
    };
    // A child's late progress lines are harmless; its exit is not.
    let child_gone = async {
        loop {
            match reports.recv().await {
                Some(Report::Accepted(..) | Report::Connected(..)) => continue,
                Some(Report::Failed(why)) => return why,
                Some(Report::Gone) | None => return says::child_exited(lang).to_string(),
            }
        }
    };
    let n = options.connections;
    // Ctrl-C in a terminal reaches the children too, and they exit: the
    // signal is checked first, and once more after a child's exit, so that
    // the user's Ctrl-C is not reported as a failure.
    let signal = crate::os::shutdown::signal();
    tokio::pin!(signal);
    tokio::select! {
        biased;
        signal = &mut signal => output::say(&says::hold_over(lang, HoldEnd::Signal(signal), n)),
        () = until => output::say(&says::hold_over(lang, HoldEnd::TimeUp, n)),
        why = child_gone => {
            match tokio::time::timeout(Duration::from_millis(300), &mut signal).await {
                Ok(signal) => output::say(&says::hold_over(lang, HoldEnd::Signal(signal), n)),
                Err(_) => bail!(says::while_holding(lang, &why)),
            }
        }
    }
    Ok(())
}

/// What to say when the hold begins: how long, and the commands that show
/// the connections from outside (another terminal, on this host).
fn hold_message(options: &ScaleOptions, hold: Hold, lang: Lang) -> String {
    let port = options.port;
    let how_long = match hold {
        Hold::For(duration) => HowLong::Secs(duration.as_secs_f64()),
        Hold::UntilStopped => HowLong::UntilStopped,
    };
    let n = options.connections;
    let commands = [
        (
            "ss -s".to_string(),
            says::shows_kernel_counts(lang).to_string(),
        ),
        (
            format!("ss -Htn state established '( sport = :{port} )' | wc -l"),
            says::shows_count(lang, n, port),
        ),
        (
            format!("sameport inspect --port {port} --side server --max-rows 10"),
            says::shows_table(lang).to_string(),
        ),
    ];
    // Each command under its comment, so that both fit 80 columns and the
    // lines can be pasted into a shell as they are.
    let mut text = format!(
        "{}\n",
        output::message(&says::holding(lang, n, port, how_long))
    );
    for (command, shows) in commands {
        text.push_str(&format!("    # {shows}\n    {command}\n"));
    }
    text
}

/// How the connections are spread.
struct Plan {
    fd_limit: u64,
    /// Connections one process can hold.
    per_process: usize,
    workers: usize,
    client_processes: usize,
    sources: Vec<IpAddr>,
}

impl Plan {
    fn new(options: &ScaleOptions, lang: Lang) -> anyhow::Result<Plan> {
        if !os::CAN_SHARE_LISTENER {
            bail!(says::needs_unix(lang));
        }
        if options.connections == 0 {
            bail!(says::connections_at_least_one(lang));
        }
        let fd_limit = os::raise_fd_limit().unwrap_or(1024);
        let per_process = os::connections_within(fd_limit);
        let needed = options.connections.div_ceil(per_process);
        let workers = options.workers.unwrap_or(needed);
        if workers == 0 || workers.saturating_mul(per_process) < options.connections {
            bail!(says::too_few_workers(
                lang,
                workers,
                workers.saturating_mul(per_process),
                fd_limit,
                needed
            ));
        }
        let sources = (0..options.connections.div_ceil(PER_SOURCE))
            .map(|i| {
                IpAddr::V4(Ipv4Addr::new(
                    127,
                    0,
                    0,
                    2 + u8::try_from(i).unwrap_or(u8::MAX - 2),
                ))
            })
            .collect();
        Ok(Plan {
            fd_limit,
            per_process,
            workers,
            client_processes: needed,
            sources,
        })
    }

    /// The share of `total` that part `i` of `parts` gets.
    fn share(total: usize, parts: usize, i: usize) -> usize {
        total / parts + usize::from(i < total % parts)
    }
}

impl Fleet {
    fn spawn_workers(
        &mut self,
        plan: &Plan,
        listener: &std::net::TcpListener,
        reports: &mpsc::UnboundedSender<Report>,
    ) -> anyhow::Result<()> {
        let fd = crate::kernel::socket_fd(listener)
            .ok_or_else(|| anyhow!(says::needs_unix(lang::current())))?;
        for _ in 0..plan.workers {
            let mut command = self_command()?;
            command.args([
                "scale-worker",
                "--max-clients",
                &plan.per_process.to_string(),
            ]);
            os::prepare_child(&mut command, Some(fd));
            self.spawn(Part::Worker, command, reports)?;
        }
        Ok(())
    }

    fn spawn_clients(
        &mut self,
        plan: &Plan,
        options: &ScaleOptions,
        reports: &mpsc::UnboundedSender<Report>,
    ) -> anyhow::Result<()> {
        let target = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), options.port);
        let from: Vec<String> = plan.sources.iter().map(IpAddr::to_string).collect();
        for i in 0..plan.client_processes {
            let count = Plan::share(options.connections, plan.client_processes, i);
            let mut command = self_command()?;
            command.args([
                "scale-clients",
                &target.to_string(),
                "--count",
                &count.to_string(),
            ]);
            command.args(["--from", &from.join(",")]);
            os::prepare_child(&mut command, None);
            self.spawn(Part::Clients, command, reports)?;
        }
        Ok(())
    }

    fn spawn(
        &mut self,
        part: Part,
        command: std::process::Command,
        reports: &mpsc::UnboundedSender<Report>,
    ) -> anyhow::Result<()> {
        let index = self.children.len();
        let mut command = Command::from(command);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().context(Doing::StartingChild)?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!(says::child_without_stdout(lang::current())))?;
        let reports = reports.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let parsed = parse_report(index, &line);
                if reports.send(parsed).is_err() {
                    return;
                }
            }
            let _ = reports.send(Report::Gone);
        });
        self.children.push((part, child));
        Ok(())
    }

    fn pids(&self, part: Part) -> Vec<u32> {
        self.children
            .iter()
            .filter(|(r, _)| *r == part)
            .filter_map(|(_, c)| c.id())
            .collect()
    }

    /// SIGTERM to every child (clients first, so workers see orderly closes),
    /// then SIGKILL to any that is still there after the grace period.
    async fn stop(mut self) {
        self.children
            .sort_by_key(|(part, _)| *part != Part::Clients);
        for (_, child) in &self.children {
            if let Some(pid) = child.id() {
                os::terminate(pid);
            }
        }
        let deadline = Instant::now() + STOP_GRACE;
        for (_, child) in &mut self.children {
            let left = deadline.saturating_duration_since(Instant::now());
            if tokio::time::timeout(left, child.wait()).await.is_err() {
                let _ = child.kill().await;
            }
        }
    }
}

/// This program, to run as a child.
fn self_command() -> anyhow::Result<std::process::Command> {
    let exe = std::env::current_exe().context(Doing::FindingProgramPath)?;
    Ok(std::process::Command::new(exe))
}

fn parse_report(index: usize, line: &str) -> Report {
    let mut words = line.splitn(2, ' ');
    let number = |w: Option<&str>| w.and_then(|n| n.trim().parse::<usize>().ok());
    match (words.next(), words.next()) {
        (Some("accepted"), n) => number(n).map_or_else(
            || Report::Failed(line.into()),
            |n| Report::Accepted(index, n),
        ),
        (Some("connected"), n) => number(n).map_or_else(
            || Report::Failed(line.into()),
            |n| Report::Connected(index, n),
        ),
        _ => Report::Failed(line.to_string()),
    }
}

/// Follows the children's reports until every connection is accepted;
/// draws the progress bar. Returns the number accepted.
async fn fill(
    options: &ScaleOptions,
    plan: &Plan,
    reports: &mut mpsc::UnboundedReceiver<Report>,
    lang: Lang,
) -> anyhow::Result<usize> {
    let children = plan.workers + plan.client_processes;
    let mut accepted = vec![0usize; children];
    let mut connected = vec![0usize; children];
    let bar = indicatif::ProgressBar::new(options.connections as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(says::progress(lang))
            .map(|style| style.with_key("rate", rate))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    loop {
        let total: usize = accepted.iter().sum();
        bar.set_position(total as u64);
        if total >= options.connections {
            bar.finish();
            if !bar.is_hidden() {
                // indicatif pads the bar to the terminal's right edge and
                // leaves the cursor there; go to the next line ourselves, or
                // the terminal marks the report's first line a continuation.
                os::stderr::write("\r\n");
            }
            return Ok(total);
        }
        match reports.recv().await {
            Some(Report::Accepted(i, n)) => accepted[i] = n,
            Some(Report::Connected(i, n)) => connected[i] = n,
            Some(Report::Failed(why)) => {
                bar.abandon();
                bail!(says::child_failed(lang, &why));
            }
            Some(Report::Gone) | None => {
                bar.abandon();
                bail!(says::child_exited_early(
                    lang,
                    accepted.iter().sum::<usize>(),
                    connected.iter().sum::<usize>()
                ));
            }
        }
    }
}

/// The progress bar's `{rate}`: connections per second, rounded and
/// grouped by thousands (`9,627/s`), where indicatif's own `{per_sec}`
/// writes four decimals.
fn rate(state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write) {
    let per_sec = state.per_sec();
    let rounded = if per_sec.is_finite() && per_sec > 0.0 {
        per_sec.round() as u64
    } else {
        0
    };
    let _ = write!(out, "{}/s", crate::words::thousands(rounded));
}

/// Reads the table once, judges it and prints the result.
async fn report(
    options: &ScaleOptions,
    fleet: &Fleet,
    accepted: usize,
    fill_time: Duration,
    output: &Output,
) -> anyhow::Result<ExitCode> {
    let query = Query {
        proto: Proto::Tcp,
        port: options.port,
        side: PortSide::Local,
    };
    let read_started = Instant::now();
    let look = Look::new(query, Attribution::Search);
    let Observation { snapshot, verdict } = observe_off_thread(Arc::new(Kernel), look).await?;
    let read_time = read_started.elapsed();
    let memory = Memory::measure(fleet);
    let established = snapshot.with_role(Role::Accepted).count();
    let facts = Facts {
        connections: options.connections,
        accepted,
        established,
        fill_time,
        read_time,
        memory,
    };
    let lang = output.lang();
    let heading = says::heading(lang, options.connections, options.port);
    let text = output.snapshot_with(
        &snapshot,
        &verdict,
        &heading,
        ("scale", facts.json()),
        &facts.lines(&snapshot, &verdict, lang, output.width()),
    );
    output::print(&text)?;
    if established < options.connections {
        output::say(&says::fewer_in_table(
            lang,
            established,
            options.connections,
        ));
        return Ok(ExitCode::from(exit::CLAIM_FAILS));
    }
    Ok(exit::for_verdict(&verdict))
}

/// What was measured.
struct Facts {
    connections: usize,
    accepted: usize,
    established: usize,
    fill_time: Duration,
    read_time: Duration,
    memory: Memory,
}

impl Facts {
    /// The facts under the table, as prose wrapped at `width` columns.
    fn lines(&self, snapshot: &Snapshot, verdict: &Verdict, lang: Lang, width: usize) -> String {
        let listeners: Vec<_> = snapshot.with_role(Role::Listener).collect();
        let holders: usize = listeners.iter().map(|r| r.socket.holders.len()).sum();
        let facts = says::facts(
            lang,
            (self.established, snapshot.port),
            verdict.accepted.min(self.established),
            listeners.len(),
            holders,
        );
        let wrap = |line: &str| format!("{}\n", crate::view::wrap(line, width));
        let mut text = format!("\n{}", wrap(&facts));
        if self.established > PORT_NUMBERS {
            text.push_str(&wrap(&says::beyond_port_numbers(lang, self.established)));
        }
        let timing = says::timing(
            lang,
            self.fill_time.as_secs_f64(),
            self.read_time.as_secs_f64() * 1000.0,
            &self.memory.describe(self.established, lang),
        );
        text.push_str(&wrap(&timing));
        text
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "connections": self.connections,
            "accepted": self.accepted,
            "established": self.established,
            "fill_seconds": self.fill_time.as_secs_f64(),
            "table_read_ms": self.read_time.as_secs_f64() * 1000.0,
            "workers_rss_bytes": self.memory.workers,
            "clients_rss_bytes": self.memory.clients,
            "kernel_tcp_bytes": self.memory.kernel,
        })
    }
}

/// Resident memory of the children, and the kernel's TCP memory.
struct Memory {
    workers: u64,
    clients: u64,
    kernel: Option<u64>,
}

impl Memory {
    fn measure(fleet: &Fleet) -> Memory {
        Memory {
            workers: rss(&fleet.pids(Part::Worker)),
            clients: rss(&fleet.pids(Part::Clients)),
            kernel: crate::kernel::kernel_tcp_memory(),
        }
    }

    fn describe(&self, connections: usize, lang: Lang) -> String {
        let per_connection = self.workers as f64 / connections.max(1) as f64;
        says::memory(
            lang,
            &mib(self.workers),
            per_connection,
            &mib(self.clients),
            self.kernel.map(mib).as_deref(),
        )
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The summed resident memory of `pids`, through sysinfo.
fn rss(pids: &[u32]) -> u64 {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
    let Ok(mut system) = System::new() else {
        return 0;
    };
    let pids: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&pids),
        true,
        ProcessRefreshKind::nothing().with_memory(),
    );
    pids.iter()
        .filter_map(|&p| system.process(p))
        .map(|p| p.memory())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hold_message_says_how_to_look() {
        let options = ScaleOptions {
            connections: 70_000,
            port: 12000,
            workers: None,
            timeout: Duration::from_secs(300),
            hold: None,
        };
        let text = hold_message(&options, Hold::For(Duration::from_secs(30)), Lang::En);
        assert!(text.starts_with("sameport: holding 70000 connections on port 12000 for 30 s"));
        for command in [
            "ss -s",
            "ss -Htn state established '( sport = :12000 )' | wc -l",
            "sameport inspect --port 12000",
        ] {
            assert!(text.contains(command), "{command}: {text}");
        }
        assert!(hold_message(&options, Hold::UntilStopped, Lang::En).contains("until Ctrl-C"));
    }

    #[test]
    fn shares_add_up() {
        for (total, parts) in [(70_000, 4), (5_000, 2), (7, 3), (1, 1)] {
            let sum: usize = (0..parts).map(|i| Plan::share(total, parts, i)).sum();
            assert_eq!(sum, total);
        }
    }

    #[test]
    fn reports_are_parsed() {
        assert!(matches!(
            parse_report(2, "accepted 17"),
            Report::Accepted(2, 17)
        ));
        assert!(matches!(
            parse_report(1, "connected 5"),
            Report::Connected(1, 5)
        ));
        assert!(matches!(parse_report(1, "error: boom"), Report::Failed(_)));
        assert!(matches!(
            parse_report(1, "accepted lots"),
            Report::Failed(_)
        ));
    }
}
