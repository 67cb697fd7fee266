//! `sameport inspect --port P` against `ss`, like for like, in the same run.
//!
//! ```text
//! cargo bench --bench inspect                              # 1,000, 10,000 and 19,000 connections
//! cargo bench --bench inspect -- --connections 19000 --rounds 21 --owner-last --lsof
//! ```
//!
//! `ss -tan 'sport = :P'` prints every socket on the port, so sameport is
//! timed printing every socket too, in each of its outputs:
//!
//! * **json**: `inspect --format json`, one object with every row;
//! * **full**: `inspect --view netstat --max-rows 1000000`, the whole table;
//! * **default**: `inspect`, whose tables show 50 rows (and a summary of the
//!   rest) -- less printing than ss does, so its ratio flatters it.
//!
//! Each against both baselines, with the same filter:
//!
//! * `ss -tan 'sport = :P'`: reads the kernel's table, attributes nothing;
//! * `ss -tanp 'sport = :P'`: also names the process of every socket, as
//!   sameport does (by reading every fd of every process).
//!
//! For each N: starts `sameport serve --quiet` on a free port, opens N client
//! connections from separate `sameport connect --hold` processes (at most
//! 9,500 per process, under the 20,000 open-file limit), waits until the
//! kernel shows N established sockets on the port, and checks once that every
//! command prints every row. Then it times whole processes (spawn to exit,
//! stdout to /dev/null for all), round by round: each round runs every
//! command once, in an order that reverses from one round to the next, so
//! machine noise and drift hit all alike. A ratio is the median, over the
//! rounds, of the two commands' times *in the same round*; times are medians.
//! The load average is printed, because the figures mean more on a quiet
//! machine.
//!
//! With `--owner-last` the client processes are started before the server,
//! so they have lower PIDs and, like the server, thousands of sockets: the
//! owner is not the first process a naive walk would read. `--lsof` adds
//! `lsof -nP -iTCP:P` (5 rounds; it is slow).
//!
//! Every process it starts is stopped by PID when it finishes (or fails).

mod common;

use common::{count_sockets, free_port};

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PER_CLIENT_PROCESS: usize = 9_500;

/// The commands timed, by their place in a round.
const JSON: usize = 0;
const FULL: usize = 1;
const DEFAULT: usize = 2;
const SS: usize = 3;
const SS_P: usize = 4;
const LSOF: usize = 5;

fn main() {
    let args = Args::parse();
    let binary = env!("CARGO_BIN_EXE_sameport");
    let lsof = args.lsof && Command::new("lsof").arg("-v").output().is_ok();
    if args.lsof && !lsof {
        println!("(lsof is not installed: its column is skipped)");
    }
    println!(
        "sameport inspect vs ss, every row printed by both; {} rounds; {}; {} cores; load average at start: {}\n",
        args.rounds,
        if args.owner_last {
            "owner-last"
        } else {
            "owner-first"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    println!(
        "| connections | ss -tan | ss -tanp | json | json / ss -tan | json / ss -tanp | full table | full / ss -tan | full / ss -tanp | default | default / ss -tan | default / ss -tanp |{}",
        if lsof { " lsof | json / lsof |" } else { "" }
    );
    println!(
        "|---|---|---|---|---|---|---|---|---|---|---|---|{}",
        if lsof { "---|---|" } else { "" }
    );
    let mut notes = Vec::new();
    for &n in &args.connections {
        let port = free_port();
        let mut fleet = Fleet::default();
        if let Err(e) = fleet.start(binary, port, n, args.owner_last) {
            eprintln!("setup for {n} connections failed: {e}");
            continue;
        }
        let commands = commands(binary, port, lsof);
        if let Err(e) = check_rows(&commands, port, n) {
            eprintln!("{n} connections: {e}");
            continue;
        }
        let load_before = load_average();
        let samples = measure(&commands, args.rounds);
        notes.push(format!(
            "{n} connections: load average {load_before} before, {} after",
            load_average()
        ));
        print_row(n, &samples, lsof);
        drop(fleet);
    }
    println!();
    for note in notes {
        println!("{note}");
    }
}

/// The commands, in [`JSON`], [`FULL`] ... order.
fn commands(binary: &str, port: u16, lsof: bool) -> Vec<Vec<String>> {
    let port_arg = port.to_string();
    let filter = format!("sport = :{port}");
    let inspect = |extra: &[&str]| {
        // The server's side only, like `ss 'sport = :P'` (by default inspect
        // also lists the clients' sockets of this host).
        let mut command = vec![binary, "inspect", "--port", &port_arg, "--side", "server"];
        command.extend(extra);
        command.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let mut commands = vec![
        inspect(&["--format", "json"]),
        inspect(&["--view", "netstat", "--max-rows", "1000000"]),
        inspect(&[]),
        vec!["ss".into(), "-tan".into(), filter.clone()],
        vec!["ss".into(), "-tanp".into(), filter],
    ];
    if lsof {
        commands.push(vec!["lsof".into(), "-nP".into(), format!("-iTCP:{port}")]);
    }
    commands
}

/// Checks once that each command prints a row for every socket on the
/// port: the N connections and the listener.
fn check_rows(commands: &[Vec<String>], port: u16, n: usize) -> Result<(), String> {
    let local = format!(":{port} ");
    for (i, command) in commands.iter().enumerate().take(SS_P + 1) {
        let output = run(command).map_err(|e| format!("{}: {e}", command.join(" ")))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let rows = match i {
            JSON => text.matches("\"family\":").count(),
            FULL | SS | SS_P => text.lines().filter(|l| l.contains(&local)).count(),
            _ => continue, // the default table shows 50 rows by design
        };
        // Connections may come and go around the fleet (another user's
        // TIME_WAIT); at least every held connection must be there.
        if rows < n + 1 {
            return Err(format!(
                "`{}` printed {rows} rows, not {}",
                command.join(" "),
                n + 1
            ));
        }
    }
    Ok(())
}

/// Times every command once per round, the order reversed every other round.
fn measure(commands: &[Vec<String>], rounds: usize) -> Vec<Vec<Duration>> {
    let mut samples = vec![Vec::with_capacity(rounds); commands.len()];
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..commands.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            if i == LSOF && round >= 5 {
                continue;
            }
            samples[i].push(time(&commands[i]));
        }
    }
    samples
}

fn print_row(n: usize, samples: &[Vec<Duration>], lsof: bool) {
    let ms = |i: usize| format!("{:.1} ms", median(&samples[i]).as_secs_f64() * 1000.0);
    let ratio = |a: usize, b: usize| format!("{:.3}x", median_ratio(&samples[a], &samples[b]));
    let mut row = format!("| {n} | {} | {} |", ms(SS), ms(SS_P));
    for command in [JSON, FULL, DEFAULT] {
        row.push_str(&format!(
            " {} | {} | {} |",
            ms(command),
            ratio(command, SS),
            ratio(command, SS_P)
        ));
    }
    if lsof {
        row.push_str(&format!(" {} | {} |", ms(LSOF), ratio(JSON, LSOF)));
    }
    println!("{row}");
}

/// Runs `command` and keeps its output (for [`check_rows`]).
fn run(command: &[String]) -> std::io::Result<Output> {
    Command::new(&command[0])
        .args(&command[1..])
        .stderr(Stdio::null())
        .output()
}

/// Wall time of one run of `command`, from spawn to exit (output discarded).
fn time(command: &[String]) -> Duration {
    let start = Instant::now();
    let _ = Command::new(&command[0])
        .args(&command[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    start.elapsed()
}

fn median(samples: &[Duration]) -> Duration {
    let mut samples = samples.to_vec();
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// The median over rounds of `a[r] / b[r]`: each ratio compares two runs of
/// the same round, next to each other in time.
fn median_ratio(a: &[Duration], b: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

/// The server and client processes of one measurement; stopped on drop.
#[derive(Default)]
struct Fleet {
    children: Vec<Child>,
}

impl Fleet {
    fn start(&mut self, binary: &str, port: u16, n: usize, owner_last: bool) -> Result<(), String> {
        if !owner_last {
            self.server(binary, port)?;
        }
        let sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"];
        let mut left = n;
        let mut i = 0;
        while left > 0 {
            let count = left.min(PER_CLIENT_PROCESS);
            let connect = format!(
                "exec {binary} connect 127.0.0.1:{port} --count {count} --from {},{} --hold 3600 --format json",
                sources[i % 4],
                sources[(i + 1) % 4]
            );
            // With --owner-last the client processes are created first (so
            // their PIDs are lower) and connect a moment later, once the
            // server exists: `exec` keeps the shell's PID.
            let script = if owner_last {
                format!("sleep 1; {connect}")
            } else {
                connect
            };
            let child = Command::new("sh")
                .args(["-c", &script])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("spawn client: {e}"))?;
            self.children.push(child);
            left -= count;
            i += 2;
        }
        if owner_last {
            self.server(binary, port)?;
        }
        wait_established(port, n, Duration::from_secs(120))
    }

    fn server(&mut self, binary: &str, port: u16) -> Result<(), String> {
        let child = Command::new(binary)
            .args(["serve", "--port", &port.to_string(), "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawn server: {e}"))?;
        self.children.push(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if count_sockets(port, "listening") >= 1 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("the server did not start".into())
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // Stop clients first (so the servers see orderly closes), by PID.
        for child in self.children.iter_mut().rev() {
            // SAFETY: kill() on our own child's PID.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

fn wait_established(port: u16, n: usize, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    loop {
        let have = count_sockets(port, "established");
        if have >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("only {have} of {n} connections established"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Args {
    connections: Vec<usize>,
    rounds: usize,
    owner_last: bool,
    lsof: bool,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            connections: vec![1_000, 10_000, 19_000],
            rounds: 15,
            owner_last: false,
            lsof: false,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--connections" => {
                    if let Some(list) = it.next() {
                        args.connections = list
                            .split(',')
                            .filter_map(|n| n.trim().parse().ok())
                            .collect();
                    }
                }
                "--rounds" => {
                    args.rounds = it
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(args.rounds)
                        .max(1)
                }
                "--owner-last" => args.owner_last = true,
                "--lsof" => args.lsof = true,
                _ => {} // `cargo bench` passes --bench
            }
        }
        args
    }
}
