//! Scale and hostile conditions, bounded in count and time: `scale` with
//! 5,000 connections and 2 workers, a tiny open-file limit, a client that
//! never reads, a reset in the middle of a stream.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Running, free_port, sameport};
use serde_json::Value;

/// 5,000 connections, 2 workers sharing one listening socket: the verdict
/// holds, the listener is one socket held by both workers, and afterwards no
/// worker, client or connection is left.
#[test]
fn scale_fills_one_port_and_cleans_up() {
    let port = free_port();
    let out = sameport()
        .args([
            "scale",
            "--connections",
            "5000",
            "--workers",
            "2",
            "--port",
            &port.to_string(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let value: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(value["verdict"]["holds"], true);
    assert_eq!(value["verdict"]["accepted"], 5000);
    assert_eq!(value["verdict"]["distinct_remotes"], 5000);
    assert_eq!(value["scale"]["established"], 5000);
    let sockets = value["sockets"].as_array().unwrap();
    let listeners: Vec<&Value> = sockets.iter().filter(|s| s["role"] == "listener").collect();
    assert_eq!(listeners.len(), 1, "one listening socket");
    let workers: Vec<u64> = listeners[0]["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        workers.len(),
        2,
        "held by both workers: {:?}",
        listeners[0]["holders"]
    );
    assert!(
        sockets
            .iter()
            .filter(|s| s["role"] == "accepted")
            .all(|s| s["local_port"] == port)
    );
    // Nothing left behind: the workers are gone and so are the connections.
    for pid in workers {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} still running"
        );
    }
    let left = std::process::Command::new("ss")
        .args(["-Htn", "state", "established", &format!("sport = :{port}")])
        .output();
    if let Ok(left) = left {
        assert_eq!(
            String::from_utf8_lossy(&left.stdout).lines().count(),
            0,
            "connections left on the port"
        );
    }
}

/// `ulimit -n 64` and 200 clients: the server logs "too many open files" once,
/// keeps serving the connections it has, and accepts again once fds free up.
#[test]
fn fd_exhaustion_is_survived() {
    let port = free_port();
    let mut command = sameport();
    command
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--quiet",
            "--max-clients",
            "1000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; runs in the child before exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut server = command.spawn().unwrap();
    let guard = KillOnDrop(Some(server.id()));
    wait_for_port(port);
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut clients: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(target).unwrap())
        .collect();
    // The first clients are served; the server runs out of fds long before 200.
    let mut first = clients.remove(0);
    assert_eq!(echo(&mut first, b"still served"), b"still served");
    // Free most of them: the server accepts the queued ones as fds free up.
    clients.truncate(10);
    let mut late = TcpStream::connect(target).unwrap();
    assert_eq!(echo(&mut late, b"accepted again"), b"accepted again");
    drop(clients);
    // SAFETY: SIGINT to our own child.
    unsafe { libc::kill(server.id() as i32, libc::SIGINT) };
    let status = wait_with_deadline(&mut server, Duration::from_secs(10));
    guard.disarm();
    assert!(status.success());
    let mut stderr = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let complaints = stderr
        .lines()
        .filter(|l| l.contains("accept failed"))
        .count();
    assert!(complaints >= 1, "{stderr}");
    assert!(stderr.contains("open-file limit"), "{stderr}");
    // Logged once, not once per failed accept.
    assert_eq!(complaints, 1, "{stderr}");
}

/// A client that sends without reading: the server stops reading from it
/// once its replies cannot be written (backpressure), so the server's memory
/// stays bounded, and other clients are still served.
#[test]
fn a_client_that_never_reads_cannot_grow_the_server() {
    let (server, port) = Running::serve_json(&["--view", "netstat"]);
    let pid = server.child.id();
    let before = rss_kib(pid);
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut greedy = TcpStream::connect(target).unwrap();
    greedy
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let chunk = vec![b'x'; 1 << 20];
    let mut sent = 0usize;
    let deadline = Instant::now() + Duration::from_secs(20);
    // Up to 100 MB, until the kernel buffers are full and writes block.
    while sent < 100 << 20 && Instant::now() < deadline {
        match greedy.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break, // blocked for 500 ms: the server stopped reading
        }
    }
    let after = rss_kib(pid);
    assert!(
        sent < 100 << 20,
        "the server kept reading all {sent} bytes without anyone reading the echo"
    );
    assert!(
        after < before + 16 * 1024,
        "server RSS grew from {before} KiB to {after} KiB after {sent} bytes"
    );
    let mut other = TcpStream::connect(target).unwrap();
    assert_eq!(echo(&mut other, b"not starved"), b"not starved");
}

/// A client that resets its connection in the middle of a stream (RST) does
/// not disturb the server or its other clients.
#[test]
fn a_reset_in_the_middle_of_a_stream_is_harmless() {
    let (server, port) = Running::serve_json(&[]);
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut other = TcpStream::connect(target).unwrap();
    for _ in 0..20 {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.connect(&target.into()).unwrap();
        socket.set_linger(Some(Duration::ZERO)).unwrap();
        let mut stream: TcpStream = socket.into();
        let _ = stream.write_all(&vec![7u8; 64 * 1024]);
        drop(stream); // linger 0: RST, possibly with the echo still in flight
    }
    assert_eq!(echo(&mut other, b"still here"), b"still here");
    let (status, stderr) = server.interrupt();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn echo(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(message).unwrap();
    let mut back = vec![0u8; message.len()];
    stream.read_exact(&mut back).unwrap();
    back
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let out = std::process::Command::new("ss")
            .args(["-Htln", &format!("sport = :{port}")])
            .output();
        match out {
            Ok(out) if !out.stdout.is_empty() => return,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(300));
                return;
            }
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    panic!("nothing listens on {port}");
}

fn wait_with_deadline(
    child: &mut std::process::Child,
    limit: Duration,
) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Kills a child whose test failed before it was waited for. Disarmed once
/// the child is reaped, so a reused PID is never signalled.
struct KillOnDrop(Option<u32>);

impl KillOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // SAFETY: SIGKILL to our own child, not yet reaped.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}
