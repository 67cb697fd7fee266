//! Helpers both benchmarks use.
#![allow(dead_code)]

use std::process::Command;

/// Sockets in `state` whose local port is `port`, counted by ss.
pub fn count_sockets(port: u16, state: &str) -> usize {
    Command::new("ss")
        .args(["-Htn", "state", state, &format!("sport = :{port}")])
        .output()
        .map(|o| o.stdout.iter().filter(|&&b| b == b'\n').count())
        .unwrap_or(0)
}

/// A port free for IPv4 and IPv6 (the dual-stack wildcard bind covers both).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("[::]:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(24_000)
}
