//! `demo --subnets`: clients on two other subnets, in network namespaces the
//! demo makes and removes. Needs root and iproute2: those tests are marked
//! `#[ignore]` with the reason, and CI (as root, with iproute2 installed by
//! `.ci/run`) runs them with `cargo test -- --include-ignored`. Port 12000 is
//! used inside the namespaces only, which have ports of their own.

mod common;

use std::process::Command;
use std::time::Duration;

use common::sameport;

/// Fails with the reason where the lab cannot be built.
fn require_lab() {
    common::require_root("network namespaces");
    assert!(
        Command::new("ip").arg("-V").output().is_ok(),
        "the ip command (iproute2) is not installed"
    );
}

/// Namespaces this run's process made and left behind.
fn leftovers(pid: u32) -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with(&format!("sp-{pid}-")))
        .map(str::to_string)
        .collect()
}

/// Four clients from 10.200.1.0/24 and 10.200.2.0/24: every accepted socket
/// has local port 12000 on the server host; the namespaces are gone after.
#[test]
#[ignore = "needs root: network namespaces (CI runs it with --include-ignored)"]
fn clients_from_two_subnets_share_the_port() {
    require_lab();
    let child = sameport()
        .args([
            "demo",
            "--subnets",
            "--clients",
            "4",
            "--reproducible",
            "--format",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(last["verdict"]["holds"], true);
    let table = lines
        .iter()
        .rev()
        .find(|l| l["sockets"].is_array())
        .unwrap();
    let accepted: Vec<&serde_json::Value> = table["sockets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == "accepted")
        .collect();
    assert_eq!(accepted.len(), 4);
    let mut subnets = std::collections::BTreeSet::new();
    for socket in accepted {
        assert_eq!(socket["local_addr"], "10.200.0.1");
        assert_eq!(socket["local_port"], 12000);
        let remote = socket["remote_addr"].as_str().unwrap();
        subnets.insert(remote.rsplit_once('.').unwrap().0.to_string());
    }
    assert_eq!(
        subnets.into_iter().collect::<Vec<_>>(),
        ["10.200.1", "10.200.2"]
    );
    assert_eq!(leftovers(pid), Vec::<String>::new());
}

/// Ctrl-C in the middle of the run still removes every namespace.
#[test]
#[ignore = "needs root: network namespaces (CI runs it with --include-ignored)"]
fn ctrl_c_removes_the_namespaces() {
    require_lab();
    let mut child = sameport()
        .args(["demo", "--subnets", "--clients", "200"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Wait until the lab exists, then interrupt.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while leftovers(pid).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: SIGINT to our own child.
    unsafe { libc::kill(pid as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(!status.success() || leftovers(pid).is_empty());
    assert_eq!(
        leftovers(pid),
        Vec::<String>::new(),
        "namespaces left after Ctrl-C"
    );
}

/// Without root, one clear line and a non-zero exit.
#[test]
fn without_root_one_line() {
    let out = common::run_unprivileged(&["demo", "--subnets"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("need root"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
