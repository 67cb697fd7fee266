//! The binary, as a user runs it: serve in one process, connect from another,
//! JSON on stdout, one-line errors and documented exit codes.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Running, free_port, sameport};
use serde_json::Value;

fn json(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// `serve --format json` plus `connect --count 3 --from ...`: a JSON snapshot
/// with three accepted rows on the port, held by the server's PID, and a
/// verdict that holds. Every stdout line is JSON. SIGINT stops the server with
/// exit code 0 and a one-line summary.
#[test]
fn serve_and_connect_prove_the_claim_in_json() {
    let port = free_port();
    let server = Running::spawn(&["serve", "--port", &port.to_string(), "--format", "json"]);
    let first = server
        .wait_for(Duration::from_secs(10), |_| true)
        .expect("first snapshot");
    let first = json(&first);
    assert_eq!(first["event"]["kind"], "listening");
    assert_eq!(first["sockets"].as_array().unwrap().len(), 1);
    assert_eq!(first["sockets"][0]["role"], "listener");
    assert_eq!(first["verdict"]["outcome"], "not_enough_evidence");

    let out = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--count", "3"])
        .args([
            "--from",
            "127.0.0.2,127.0.0.3,127.0.0.4",
            "--message",
            "hello",
            "--hold",
            "3",
        ])
        .output()
        .expect("run connect");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("echo \"hello\"").count(), 3, "{stdout}");
    // (Prose is wrapped to the width: read it as one line.)
    assert!(
        stdout
            .replace('\n', " ")
            .contains("every one with remote port"),
        "{stdout}"
    );

    // The connections are closed by now (connect held them 3 s, then exited);
    // look for the snapshot taken after the third accept. (An earlier one
    // may already show three ESTABLISHED sockets, one of them still waiting
    // in the accept queue: no process holds it yet.)
    let holds = server
        .wait_for(Duration::from_secs(10), |l| {
            json(l)["event"]["accepted"] == 3
        })
        .expect("a snapshot with 3 accepted sockets");
    let snapshot = json(&holds);
    assert_eq!(snapshot["verdict"]["holds"], true);
    assert_eq!(snapshot["verdict"]["distinct_remotes"], 3);
    let accepted: Vec<&Value> = snapshot["sockets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == "accepted")
        .collect();
    assert_eq!(accepted.len(), 3);
    let pid = server.child.id();
    let mut remotes = BTreeSet::new();
    for socket in &accepted {
        assert_eq!(socket["local_port"], port);
        assert_eq!(socket["local_addr"], "127.0.0.1");
        assert_eq!(socket["state"], "ESTABLISHED");
        assert_eq!(socket["pid"], pid);
        assert_eq!(socket["process"], "sameport");
        assert!(socket["inode"].is_u64());
        assert!(socket["fd"].is_i64());
        remotes.insert(socket["remote_addr"].as_str().unwrap().to_string());
    }
    assert_eq!(
        remotes,
        BTreeSet::from(["127.0.0.2".into(), "127.0.0.3".into(), "127.0.0.4".into()])
    );

    let (status, stderr) = server.interrupt();
    assert!(status.success(), "exit status {status:?}; stderr: {stderr}");
    assert!(
        stderr.contains("stopped by SIGINT: accepted 3 connections"),
        "{stderr}"
    );
}

/// `inspect` exits 0 when the claim holds, 3 when there is not enough
/// evidence (a listener, no clients), and 3 again on a port nobody listens on.
#[test]
fn inspect_exit_codes_follow_the_verdict() {
    let port = free_port();
    let empty = sameport()
        .args(["inspect", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(
        empty.status.code(),
        Some(3),
        "no listener: {}",
        String::from_utf8_lossy(&empty.stdout)
    );
    assert!(String::from_utf8_lossy(&empty.stdout).contains("No socket is listening on TCP port"));

    let server = Running::spawn(&["serve", "--port", &port.to_string(), "--format", "json"]);
    server
        .wait_for(Duration::from_secs(10), |_| true)
        .expect("listening");
    let lonely = sameport()
        .args(["inspect", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(lonely.status.code(), Some(3));

    let _clients: Vec<_> = ["127.0.0.2", "127.0.0.3"]
        .iter()
        .map(|ip| {
            let socket =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            socket
                .bind(
                    &format!("{ip}:0")
                        .parse::<std::net::SocketAddr>()
                        .unwrap()
                        .into(),
                )
                .unwrap();
            socket
                .connect(
                    &format!("127.0.0.1:{port}")
                        .parse::<std::net::SocketAddr>()
                        .unwrap()
                        .into(),
                )
                .unwrap();
            socket
        })
        .collect();
    server
        .wait_for(Duration::from_secs(10), |l| {
            json(l)["verdict"]["accepted"] == 2
        })
        .expect("accepted");
    let holds = sameport()
        .args(["inspect", "--port", &port.to_string(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        holds.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&holds.stdout)
    );
    let value = json(String::from_utf8_lossy(&holds.stdout).trim());
    assert_eq!(value["verdict"]["holds"], true);
    // inspect found the holder by searching /proc: the server's PID.
    let listener = value["sockets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["role"] == "listener")
        .unwrap();
    assert_eq!(listener["pid"], server.child.id());
}

/// A port in use: the error names the PID and program that hold it.
#[test]
fn port_in_use_names_the_holder() {
    let (holder, port) = Running::serve_json(&[]);
    let out = sameport()
        .args(["serve", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "TCP port {port} is already in use by PID {} (sameport)",
        holder.child.id()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

/// Bad input: one line on stderr, the documented code, never a panic.
#[test]
fn bad_input_gets_one_clear_line() {
    let cases: &[(&[&str], i32, &str)] = &[
        (&["serve", "--port", "70000"], 2, "70000"),
        (&["serve", "--port", "0"], 2, "0"),
        (&["serve", "--port", "twelve"], 2, "twelve"),
        (&["inspect", "--port", "-1"], 2, "-1"),
        (&["serve", "--bind", "not-an-ip"], 2, "not-an-ip"),
        (
            &["serve", "--bind", "192.0.2.1", "--port", "12000"],
            1,
            "not an address of this machine",
        ),
        (
            &["connect", "no-such-host.invalid:12000", "--message", "x"],
            1,
            "cannot resolve host 'no-such-host.invalid'",
        ),
        (&["connect", "127.0.0.1:99999"], 2, "invalid port '99999'"),
        (&["connect", "127.0.0.1:1", "--message", "x"], 1, "refused"),
        // A bare IPv6 address is a host, not a port with an empty host.
        (
            &["connect", "::1", "--port", "1", "--message", "x"],
            1,
            "refused",
        ),
        (
            &["connect", "127.0.0.1:15040:99"],
            2,
            "neither HOST nor HOST:PORT",
        ),
        (
            &["connect", "127.0.0.1:12000", "--message", ""],
            2,
            "the message is empty",
        ),
        (
            &[
                "connect",
                "127.0.0.1:12000",
                "--from",
                "10.99.99.99",
                "--message",
                "x",
            ],
            1,
            "not an address of this machine",
        ),
        (
            &["connect", "127.0.0.1:12000", "--count", "0"],
            2,
            "must be at least 1",
        ),
        (
            &["connect", "127.0.0.1:12000", "--hold", "-5"],
            2,
            "seconds from 0 to 86400",
        ),
        (&["scale", "--connections", "0"], 2, "must be at least 1"),
        (&["scale", "--timeout", "0"], 2, "must be at least 1"),
        (
            &["serve", "--proto", "udp", "--banner", "hi"],
            2,
            "--banner is for TCP servers only",
        ),
        (
            &["serve", "--proto", "udp", "--max-clients", "3"],
            2,
            "--max-clients is for TCP servers",
        ),
        (
            &["serve", "--proto", "udp", "--idle-timeout", "9"],
            2,
            "--idle-timeout is for TCP servers",
        ),
        (
            &["serve", "--proto", "udp", "--max-viewers", "5"],
            2,
            "--max-viewers is for TCP servers",
        ),
        (&["inspect", "--max-rows", "0"], 2, "must be at least 1"),
        (&["connect"], 2, "connect needs a server address"),
        (&["frobnicate"], 2, "frobnicate"),
        (
            &["completions"],
            2,
            "a required argument is missing: <SHELL>",
        ),
        (
            &["serve", "--capture-count", "3"],
            2,
            "a required argument is missing: --capture",
        ),
    ];
    for (args, code, needle) in cases {
        let out = sameport()
            .args(*args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.starts_with("sameport: "), "{args:?}: {stderr}");
        if *args != ["connect"] {
            assert_eq!(
                stderr.trim().lines().count(),
                1,
                "{args:?}: one line: {stderr}"
            );
        }
    }
}

/// Binding a port below 1024 needs privilege; without it the error says so.
/// As root (CI), the test runs the binary as the unprivileged user `nobody`.
#[test]
fn privileged_ports_are_explained() {
    let out = common::run_unprivileged(&["serve", "--port", "80"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("privileged port"), "{stderr}");
}

/// Piped stdin: `connect` sends it all, half-closes, and writes the echo to
/// stdout byte for byte.
#[test]
fn piped_bytes_come_back_exactly() {
    use std::io::Write;
    let (_server, port) = Running::serve_json(&["--view", "netstat"]);
    let data: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut child = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&data.clone()).map(|_| data));
    let out = child.wait_with_output().unwrap();
    let data = writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // stdout is the echo alone: the client's table went to stderr.
    assert!(
        out.stdout == data,
        "echo differs ({} bytes back, {} sent)",
        out.stdout.len(),
        data.len()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"sockets\""));
}

/// stderr a closed pipe (`sameport serve 2>&1 >/dev/null | head -1` once
/// `head` has exited): the messages nobody reads are dropped, and SIGTERM
/// still stops the server cleanly with exit 0, never a panic (101).
#[test]
fn serve_with_stderr_closed_stops_cleanly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for proto in ["udp", "tcp"] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let port = free_port().to_string();
        let mut child = sameport()
            .args([
                "serve", "--port", &port, "--proto", proto, "--format", "json",
            ])
            .stdout(Stdio::piped())
            .stderr(writer)
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        assert!(
            first.starts_with('{'),
            "{proto}: the server started: {first}"
        );
        // Drain stdout so the server never blocks on it.
        let drain = std::thread::spawn(move || lines.count());
        // SAFETY: kill() on our own child's PID.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = child.wait().expect("wait");
        let _ = drain.join();
        assert_eq!(status.code(), Some(0), "{proto}: {status:?}");
    }
}

/// `--help` (and `-h`) of every command wraps at the terminal's width: on an
/// 80-column terminal (COLUMNS=80) no line is wider than 80 columns, in
/// English or in Korean.
#[test]
fn help_fits_80_columns() {
    use unicode_width::UnicodeWidthStr;
    let commands = [
        "",
        "demo",
        "serve",
        "connect",
        "inspect",
        "scale",
        "completions",
        "man",
    ];
    for lang in ["en", "ko"] {
        for command in commands {
            for flag in ["--help", "-h"] {
                let mut args = vec!["--lang", lang];
                args.extend(Some(command).filter(|c| !c.is_empty()));
                args.push(flag);
                let out = sameport()
                    .args(&args)
                    .env("COLUMNS", "80")
                    .output()
                    .unwrap();
                assert_eq!(out.status.code(), Some(0), "{args:?}");
                let text = String::from_utf8_lossy(&out.stdout);
                for line in text.lines() {
                    assert!(
                        line.width() <= 80,
                        "{args:?}: {} columns: {line}",
                        line.width()
                    );
                }
            }
        }
    }
}

/// The address serve prints for its page, pasted into connect as it is
/// (`http://127.0.0.1:PORT/`), reaches the server.
#[test]
fn connect_accepts_the_page_address() {
    let (server, port) = Running::serve_json(&[]);
    let out = sameport()
        .args([
            "connect",
            &format!("http://127.0.0.1:{port}/"),
            "--message",
            "hi",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(r#"echo "hi""#),
        "{stderr}"
    );
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// `serve --redact`: the start-up text names no address of this machine
/// other than loopback (the commands and the page's addresses use the
/// placeholders), and shows no QR code, saying why in one line.
#[test]
fn serve_redact_hides_the_addresses_at_start_up() {
    let (server, _port) = Running::serve_json(&["--redact"]);
    let (status, stderr) = server.interrupt();
    assert!(status.success(), "{stderr}");
    let addresses = sameport::net::interfaces::reachable(true);
    for (_, ip) in &addresses {
        assert!(!stderr.contains(&ip.to_string()), "{ip} shown: {stderr}");
    }
    if !addresses.is_empty() {
        assert!(stderr.contains("sameport connect host-A:"), "{stderr}");
        assert!(stderr.contains("http://host-A:"), "{stderr}");
    }
    assert!(stderr.contains("no QR code with --redact"), "{stderr}");
    assert!(
        !stderr.contains('█') && !stderr.contains('▀'),
        "a QR code: {stderr}"
    );
}

/// The start-up hint never suggests more local clients than `--max-clients`
/// lets in: with 1, one client and no `--count`; with 2, two from two addresses.
#[test]
fn start_up_hint_follows_max_clients() {
    for (max, wanted, unwanted) in [
        ("1", "sameport connect 127.0.0.1:", "--count"),
        ("2", "--count 2", "--count 3"),
    ] {
        let (server, _port) = Running::serve_json(&["--max-clients", max]);
        let (status, stderr) = server.interrupt();
        assert!(status.success(), "{stderr}");
        assert!(stderr.contains(wanted), "--max-clients {max}: {stderr}");
        assert!(!stderr.contains(unwanted), "--max-clients {max}: {stderr}");
    }
}

/// `--max-viewers` has no clap default (serve must tell "given" from "not
/// given" to refuse it with UDP), so its help states the default by hand:
/// it must be the one the server uses.
#[test]
fn max_viewers_help_states_the_real_default() {
    let help = sameport().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).replace('\n', " ");
    let default = format!("[default: {}]", sameport::web::DEFAULT_MAX_VIEWERS);
    let at = help
        .find("--max-viewers")
        .expect("--max-viewers in the help");
    let next = help[at..].find("  -").map_or(help.len(), |i| at + i);
    assert!(help[at..next].contains(&default), "{}", &help[at..next]);
}

/// A UDP client whose datagram meets a closed port hears "port unreachable"
/// (ICMP), which the socket reports as "connection refused": said in words.
#[test]
fn udp_to_a_closed_port_says_no_server() {
    let out = sameport()
        .args(["connect", "127.0.0.1:1", "--proto", "udp", "--message", "x"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no UDP server on port 1"), "{stderr}");
    assert!(!stderr.contains("os error"), "{stderr}");
}

/// A browser turned away at `--max-viewers` is told to the teacher on the
/// server's stderr (the browser itself gets 503).
#[test]
fn turned_away_viewers_are_logged() {
    use std::io::{Read, Write};
    let (server, port) = Running::serve_json(&["--max-viewers", "1"]);
    let request = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let mut first = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    first.write_all(request.as_bytes()).unwrap();
    let mut head = [0u8; 12];
    first.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let mut second = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    second.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = second.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    drop(first);
    let (status, stderr) = server.interrupt();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("a browser gets no live updates: the page has 1 live viewer already"),
        "{stderr}"
    );
}

/// `connect --format json`: every stdout line is a JSON object; the lines
/// for people (what each client sent and got back) go to stderr.
#[test]
fn connect_json_keeps_stdout_for_json() {
    let (server, port) = Running::serve_json(&[]);
    let out = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--count", "2"])
        .args(["--message", "hi", "--format", "json"])
        .output()
        .expect("run connect");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.is_empty());
    for line in stdout.lines() {
        assert!(serde_json::from_str::<Value>(line).is_ok(), "{line}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("echo \"hi\"").count(), 2, "{stderr}");
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// Connections held with `--hold` that the server closes (`--idle-timeout`)
/// are reported at once, and the hold ends when none is left.
#[test]
fn held_connections_closed_by_the_server_are_reported() {
    let (server, port) = Running::serve_json(&["--idle-timeout", "1"]);
    let started = std::time::Instant::now();
    let out = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--count", "2"])
        .args(["--message", "hi", "--hold", "20"])
        .output()
        .expect("run connect");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr
            .matches("the server closed the connection after")
            .count(),
        2,
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "held on: {stderr}"
    );
    let (status, _) = server.interrupt();
    assert!(status.success());
}
