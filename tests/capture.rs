//! `--capture`: the segments on the wire, each counted once, all addressed to
//! the one port. Capturing needs root or CAP_NET_RAW: those tests are marked
//! `#[ignore]` with the reason, and CI (as root) runs them with
//! `cargo test -- --include-ignored`.

mod common;

use std::time::Duration;

use common::{Running, sameport};
use serde_json::Value;

/// The demos use fixed client ports: one test at a time.
static FIXED_CLIENT_PORTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `sameport demo --capture --reproducible ARGS` on a free port (the demos
/// share fixed client ports: one at a time): its stdout, written as if on
/// port 12000, once it succeeded.
fn demo_capture(args: &[&str]) -> String {
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    let port = common::demo_port();
    let out = sameport()
        .args(["demo", "--capture", "--reproducible"])
        .args(args)
        .args(["--port", &port.to_string()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::as_if_on_12000(&out.stdout, port)
}

/// The demo with a capture: one SYN per client (the loopback copy is not
/// counted twice), every client segment addressed to port 12000, and the
/// evidence in the verdict.
#[test]
#[ignore = "needs root: capturing packets needs CAP_NET_RAW (CI runs it with --include-ignored)"]
fn demo_capture_shows_every_segment_once() {
    common::require_root("capturing packets needs CAP_NET_RAW");
    let stdout = demo_capture(&["--format", "json"]);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let step = lines
        .iter()
        .find(|l| l["capture"].is_array())
        .expect("a capture step");
    let segments = step["capture"].as_array().unwrap();
    for client in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        let syns = segments
            .iter()
            .filter(|s| s["src_addr"] == client && s["flags"] == "SYN")
            .count();
        assert_eq!(syns, 1, "one SYN from {client}: {segments:#?}");
        let hello = segments
            .iter()
            .filter(|s| s["src_addr"] == client && s["len"] == 5)
            .count();
        assert_eq!(hello, 1, "one hello from {client}");
    }
    for s in segments.iter().filter(|s| s["src_port"] != 12000) {
        assert_eq!(s["dst_port"], 12000, "{s}");
    }
    let evidence = &step["capture_evidence"];
    assert_eq!(evidence["all_to_port"], true);
    assert_eq!(evidence["clients"].as_array().unwrap().len(), 3);
    let verdict = lines.iter().find(|l| l["verdict"].is_object()).unwrap();
    assert!(
        verdict["text"]
            .as_str()
            .unwrap()
            .contains("The capture agrees: every segment from the 3 clients")
    );
}

/// The capture table writes the flags of real segments as Wireshark's Info
/// column does: `[SYN]`, `[SYN, ACK]`, `[PSH, ACK]`, in brackets and in
/// Wireshark's order, never `ACK,PSH`.
#[test]
#[ignore = "needs root: capturing packets needs CAP_NET_RAW (CI runs it with --include-ignored)"]
fn demo_capture_writes_flags_as_wireshark_does() {
    common::require_root("capturing packets needs CAP_NET_RAW");
    let stdout = demo_capture(&[]);
    let client_row = |flags: &str| {
        stdout
            .lines()
            .filter(|l| l.contains("127.0.0.2:50426  127.0.0.1:12000") && l.contains(flags))
            .count()
    };
    assert_eq!(client_row("TCP       [SYN]  "), 1, "{stdout}");
    assert_eq!(client_row("[PSH, ACK]"), 1, "the hello: {stdout}");
    let answers = stdout
        .lines()
        .filter(|l| l.contains("127.0.0.1:12000  127.0.0.2:50426") && l.contains("[SYN, ACK]"))
        .count();
    assert_eq!(answers, 1, "the server's answer: {stdout}");
    assert!(
        !stdout.contains("ACK,PSH") && !stdout.contains("SYN,ACK"),
        "{stdout}"
    );
}

/// `serve --capture --capture-count N` prints the capture once N segments
/// are in, and goes on serving.
#[test]
#[ignore = "needs root: capturing packets needs CAP_NET_RAW (CI runs it with --include-ignored)"]
fn serve_capture_stops_after_the_count() {
    common::require_root("capturing packets needs CAP_NET_RAW");
    let (server, port) = Running::serve_json(&["--capture", "--capture-count", "6"]);
    let out = sameport()
        .args([
            "connect",
            &format!("127.0.0.1:{port}"),
            "--count",
            "2",
            "--from",
            "127.0.0.2,127.0.0.3",
            "--message",
            "x",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let line = server
        .wait_for(Duration::from_secs(10), |l| l.contains("\"capture\""))
        .expect("the capture");
    let value: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(value["capture"].as_array().unwrap().len(), 6);
    assert_eq!(value["capture_evidence"]["all_to_port"], true);
    // Still serving after the capture ended.
    let again = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--message", "y"])
        .output()
        .unwrap();
    assert!(again.status.success());
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// Without the privilege: one line that says what is needed, a non-zero
/// exit, and nothing else done (no server started, nothing on stdout).
#[test]
fn without_privilege_one_line_and_nothing_else() {
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    for args in [
        &["demo", "--capture"][..],
        &["serve", "--capture", "--port", "12999"][..],
    ] {
        let out = common::run_unprivileged(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("CAP_NET_RAW"), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{args:?} printed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
