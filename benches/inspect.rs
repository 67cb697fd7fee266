//! `sameport inspect --port P` against `ss` (and `lsof`) in the same run.
//!
//! ```text
//! cargo bench --bench inspect                       # 1,000 and 10,000 connections
//! cargo bench --bench inspect -- --connections 19000 --rounds 21 --owner-last
//! ```
//!
//! For each N: starts `sameport serve --quiet` on a free port, opens N client
//! connections from separate `sameport connect --hold` processes (at most
//! 9,500 per process, under the 20,000 open-file limit), waits until the
//! kernel shows N established sockets on the port, then times whole
//! processes, interleaved round by round so machine noise hits all equally:
//!
//! * `sameport inspect --port P` (finds the owner of every socket),
//! * `ss -tan 'sport = :P'` (attributes nothing),
//! * `ss -tanp 'sport = :P'` (attributes, by reading every fd of every process),
//! * `lsof -nP -iTCP:P` (if installed; fewer rounds, it is slow).
//!
//! It prints medians and the ratios to ss. With `--owner-last` the client
//! processes are started before the server, so they have lower PIDs and, like
//! the server, thousands of sockets: the owner is not the first process a
//! naive walk would read.
//!
//! Every process it starts is stopped by PID when it finishes (or fails).

mod common;

use common::{count_sockets, free_port};

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PER_CLIENT_PROCESS: usize = 9_500;

fn main() {
    let args = Args::parse();
    let binary = env!("CARGO_BIN_EXE_sameport");
    println!(
        "sameport inspect vs ss, {} rounds per command (medians of whole-process wall time)\n",
        args.rounds
    );
    let lsof = Command::new("lsof").arg("-v").output().is_ok();
    if !lsof {
        println!("(lsof is not installed: its column is skipped)");
    }
    println!(
        "{:>8} {:>12} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>10}",
        "conns", "scenario", "inspect", "ss -tan", "ss -tanp", "lsof", "/ss", "/ss -p", "/lsof"
    );
    for &n in &args.connections {
        let port = free_port();
        let mut fleet = Fleet::default();
        let started = fleet.start(binary, port, n, args.owner_last);
        if let Err(e) = started {
            eprintln!("setup for {n} connections failed: {e}");
            continue;
        }
        let filter = format!("sport = :{port}");
        let port_arg = port.to_string();
        let lsof_arg = format!("-iTCP:{port}");
        // Interleaved: round r runs each command once, so noise hits all alike.
        let mut samples: [Vec<Duration>; 4] = Default::default();
        for round in 0..args.rounds {
            samples[0].push(time(
                // The server's side only, like `ss 'sport = :P'`: by default
                // inspect also reads the clients' sockets of this host.
                Command::new(binary).args(["inspect", "--port", &port_arg, "--side", "server"]),
            ));
            samples[1].push(time(Command::new("ss").args(["-tan", &filter])));
            samples[2].push(time(Command::new("ss").args(["-tanp", &filter])));
            if lsof && round < 5 {
                samples[3].push(time(Command::new("lsof").args(["-nP", &lsof_arg])));
            }
        }
        let [inspect, ss, ssp, lsof_samples] = samples.map(median);
        let lsof_time = lsof.then_some(lsof_samples);
        let scenario = if args.owner_last {
            "owner-last"
        } else {
            "owner-first"
        };
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        let ratio = |a: Duration, b: Duration| format!("{:.3}x", a.as_secs_f64() / b.as_secs_f64());
        println!(
            "{:>8} {:>12} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>10}",
            n,
            scenario,
            ms(inspect),
            ms(ss),
            ms(ssp),
            lsof_time.map_or("-".into(), ms),
            ratio(inspect, ss),
            ratio(inspect, ssp),
            lsof_time.map_or("-".into(), |l| ratio(inspect, l)),
        );
        drop(fleet);
    }
}

/// Wall time of one run of `command`, from spawn to exit (output discarded).
fn time(command: &mut Command) -> Duration {
    let start = Instant::now();
    let _ = command.stdout(Stdio::null()).stderr(Stdio::null()).status();
    start.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
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
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            connections: vec![1_000, 10_000],
            rounds: 15,
            owner_last: false,
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
                _ => {} // `cargo bench` passes --bench
            }
        }
        args
    }
}
