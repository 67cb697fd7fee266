//! Helpers shared by the integration tests: free ports, the binary as a child
//! process, and reading its JSON lines with a deadline.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A TCP port nothing listens on right now (the OS picks it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("[::]:0")
        .or_else(|_| TcpListener::bind("0.0.0.0:0"))
        .expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

/// A free port to run a demo on instead of 12000, `serve`'s default (a
/// server a student left running on 12000 must not break `cargo test`). It
/// has five digits like 12000, so tables keep their widths and the output
/// can be compared with golden files by writing 12000 back in; it is never
/// one of the demo's fixed client ports (50426 ...).
pub fn demo_port() -> u16 {
    for _ in 0..100 {
        let port = free_port();
        if port >= 10_000 && port != 12_000 && !(50_400..50_500).contains(&port) {
            return port;
        }
    }
    panic!("no free five-digit port in 100 tries");
}

/// Output of a run on `port`, written as if the run had used port 12000.
pub fn as_if_on_12000(output: &[u8], port: u16) -> String {
    String::from_utf8_lossy(output).replace(&port.to_string(), "12000")
}

/// Whether this process runs as root. Tests that need root are marked
/// `#[ignore = "needs root ..."]` (CI runs them with `--include-ignored`) and
/// call this to fail with the reason if someone runs them without it.
pub fn require_root(why: &str) {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(root, "this test needs root: {why}");
}

/// The sameport binary under test, in English whatever the locale of the
/// machine running the tests (a test of Korean asks with `--lang ko` or
/// sets the locale itself).
pub fn sameport() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sameport"));
    without_locale(&mut command);
    command
}

/// Removes the variables that choose the language (LC_ALL, LC_MESSAGES,
/// LANG), so that `command` speaks English unless told otherwise.
pub fn without_locale(command: &mut Command) {
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        command.env_remove(var);
    }
}

/// A running `sameport` child with its stdout lines arriving on a channel.
pub struct Running {
    pub child: Child,
    pub lines: Receiver<String>,
}

impl Running {
    pub fn spawn(args: &[&str]) -> Running {
        let mut child = sameport()
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sameport");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// `sameport serve --format json` on a free port, plus `extra` flags,
    /// once its first snapshot (the listening socket) is out.
    pub fn serve_json(extra: &[&str]) -> (Running, u16) {
        let port = free_port();
        let port_text = port.to_string();
        let mut args = vec!["serve", "--port", &port_text, "--format", "json"];
        args.extend_from_slice(extra);
        let server = Running::spawn(&args);
        server
            .wait_for(Duration::from_secs(10), |l| l.contains("\"listening\""))
            .expect("the server started");
        (server, port)
    }

    /// Waits for a stdout line that satisfies `want`, for at most `timeout`.
    pub fn wait_for(&self, timeout: Duration, want: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if want(&line) => return Some(line),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// Sends SIGINT (as Ctrl-C does) and waits for the exit, at most 10 s.
    pub fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        // SAFETY: kill() on our own child's PID.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        match self.wait_exit(Duration::from_secs(10)) {
            Some(exit) => exit,
            None => {
                let _ = self.child.kill();
                panic!("sameport did not stop within 10 s of SIGINT");
            }
        }
    }

    /// Waits at most `limit` for the child to exit; its status and stderr,
    /// or `None` if it is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<(std::process::ExitStatus, String)> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                let mut stderr = String::new();
                use std::io::Read;
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Some((status, stderr));
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A test that panicked must not leave its server behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether `ss` (iproute2) is installed.
pub fn have_ss() -> bool {
    Command::new("ss")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs sameport with `args` as the unprivileged user `nobody` when this
/// test runs as root (as CI does), or as this user otherwise.
pub fn run_unprivileged(args: &[&str]) -> std::process::Output {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return sameport().args(args).output().expect("run sameport");
    }
    let copy = CopyForNobody::new(args);
    let mut command = Command::new(&copy.binary);
    without_locale(&mut command);
    std::os::unix::process::CommandExt::uid(&mut command, 65534);
    std::os::unix::process::CommandExt::gid(&mut command, 65534);
    command.args(args);
    run_past_etxtbsy(&mut command)
}

/// Runs sameport with `args` as `nobody` in a fresh network namespace (its
/// own loopback and ports, nothing shared with the machine). Needs root.
pub fn run_in_private_netns_as_nobody(args: &[&str]) -> std::process::Output {
    let copy = CopyForNobody::new(args);
    let mut command = Command::new("unshare");
    without_locale(&mut command);
    command
        .args(["--net", "--", "sh", "-c"])
        .arg(r#"ip link set lo up && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$0" "$@""#)
        .arg(&copy.binary)
        .args(args);
    run_past_etxtbsy(&mut command)
}

/// A copy of the binary in a fresh directory everyone can read: `nobody` may
/// not reach the build directory (a clone under /root). Removed when dropped.
struct CopyForNobody {
    dir: std::path::PathBuf,
    binary: std::path::PathBuf,
}

impl CopyForNobody {
    fn new(args: &[&str]) -> CopyForNobody {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!(
            "sameport-unprivileged-{}-{}",
            std::process::id(),
            args.join("_").len()
        ));
        std::fs::create_dir_all(&dir).expect("make a directory");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let binary = dir.join("sameport");
        std::fs::copy(env!("CARGO_BIN_EXE_sameport"), &binary).expect("copy the binary");
        CopyForNobody { dir, binary }
    }
}

impl Drop for CopyForNobody {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Another test thread may fork while a copy of the binary is still open for
/// writing; its child holds that fd until it execs, and exec of a file open
/// for writing fails with ETXTBSY. Wait that moment out.
fn run_past_etxtbsy(command: &mut Command) -> std::process::Output {
    let mut out = command.output();
    for _ in 0..50 {
        match &out {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(20));
                out = command.output();
            }
            _ => break,
        }
    }
    out.expect("run sameport as nobody")
}
