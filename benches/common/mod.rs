//! Helpers both benchmarks use.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

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

/// VmRSS of process `pid`, in bytes.
pub fn rss(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading the server's memory: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| "no VmRSS in /proc/PID/status".to_string())
}

/// VmRSS of process `pid` once it has stopped moving (two reads 200 ms
/// apart within 64 KiB), or after 3 s.
pub fn settled_rss(pid: u32) -> Result<u64, String> {
    let mut last = rss(pid)?;
    for _ in 0..15 {
        std::thread::sleep(Duration::from_millis(200));
        let now = rss(pid)?;
        if now.abs_diff(last) < 64 * 1024 {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

/// Raises this process's soft open-file limit to the hard limit (children
/// inherit it) and returns the limit now in force.
pub fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls get a valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
    }
    limit.rlim_cur
}

/// SIGTERM to our own child, then SIGKILL if it is still there after 5 s.
pub fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // SAFETY: kill() on the PID of our own child, not yet reaped, so the PID
    // cannot belong to anyone else.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Asks the kernel to kill the child if this process dies first (Ctrl-C, a
/// crash), so no server outlives the benchmark. Children must be started
/// from the main thread, whose end is the end of the process.
pub fn die_with_this_process(command: &mut Command) {
    // SAFETY: the closure only calls prctl(), which is async-signal-safe, as
    // code between fork and exec must be.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}
