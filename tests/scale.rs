//! `scale --hold`: after the report, the connections stay in the kernel's
//! table, where other tools (and this test) can look at them, until the hold
//! ends; then they are all closed. Small and bounded: 200 connections.

mod common;

use std::time::{Duration, Instant};

use common::{Running, free_port};
use sameport::kernel::{self, Attribution, PortSide, Proto, Query, SocketState};

/// Established sockets with local port `port`, from the real socket table.
fn established_on(port: u16) -> usize {
    let query = Query {
        proto: Proto::Tcp,
        port,
        side: PortSide::Local,
    };
    kernel::read(&query, &Attribution::None)
        .expect("read the socket table")
        .sockets
        .iter()
        .filter(|s| s.state == SocketState::Established)
        .count()
}

/// `scale ... --hold` on a free port, once its report (one JSON line) is out.
fn scale_holding(hold: &[&str]) -> (Running, u16) {
    let port = free_port();
    let port_text = port.to_string();
    let mut args = vec![
        "scale",
        "--connections",
        "200",
        "--workers",
        "1",
        "--port",
        &port_text,
        "--format",
        "json",
    ];
    args.extend_from_slice(hold);
    let scale = Running::spawn(&args);
    let report = scale
        .wait_for(Duration::from_secs(60), |l| l.contains("\"scale\""))
        .expect("the report");
    let value: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(value["scale"]["established"], 200, "{report}");
    (scale, port)
}

/// `--hold 2`: the 200 connections are still in the table after the report,
/// the message says how to look at them, and after about 2 s scale closes
/// them and exits 0 by itself.
#[test]
fn scale_hold_keeps_the_connections_for_a_while() {
    let (scale, port) = scale_holding(&["--hold", "2"]);
    let reported = Instant::now();
    assert_eq!(established_on(port), 200, "held after the report");
    let mut scale = scale;
    let (status, stderr) = scale
        .wait_exit(Duration::from_secs(30))
        .expect("scale ends its hold by itself");
    assert!(status.success(), "{stderr}");
    assert!(
        reported.elapsed() >= Duration::from_millis(1500),
        "held about 2 s"
    );
    for what in [
        "holding 200 connections".to_string(),
        "ss -s".to_string(),
        format!("sameport inspect --port {port}"),
        "the hold time is over".to_string(),
    ] {
        assert!(stderr.contains(&what), "{what}: {stderr}");
    }
    assert_eq!(established_on(port), 0, "closed after the hold");
}

/// `--hold` without a value holds until Ctrl-C: still there a second later,
/// then SIGINT closes them and scale exits 0.
#[test]
fn scale_hold_without_a_value_waits_for_ctrl_c() {
    let (scale, port) = scale_holding(&["--hold"]);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(established_on(port), 200, "still held");
    let (status, stderr) = scale.interrupt();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("until Ctrl-C"), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    assert_eq!(established_on(port), 0, "closed after Ctrl-C");
}

/// A hold that is not a number of seconds: one line, exit 2, nothing started.
#[test]
fn a_bad_hold_is_one_clear_line() {
    let out = common::sameport()
        .args(["scale", "--connections", "10", "--hold", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("'soon'") && stderr.contains("seconds"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
