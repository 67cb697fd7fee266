//! `serve --live` in a real terminal: tmux, 80 columns by 24 lines, read
//! back with `capture-pane` as a person would see it. Without tmux the test
//! says so and passes.

use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use unicode_width::UnicodeWidthStr;

use crate::common::{Running, free_port};
use crate::server::echo_client;

/// A tmux server of this test's own (its own socket), killed at the end.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(command: &str, width: u16, height: u16) -> Option<Tmux> {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "sameport-live-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        );
        // UTF-8 (-u), so that Hangul is drawn as Hangul, two columns wide.
        let started = Command::new("tmux")
            .env("LANG", "C.UTF-8")
            .args([
                "-u",
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "live",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .status()
            .ok()?;
        started.success().then_some(Tmux { socket })
    }

    /// The visible screen, one string per line; a line the terminal had to
    /// wrap (wider than the screen) is one string, as it was written.
    fn screen(&self) -> Vec<String> {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-J", "-t", "live"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    fn keys(&self, keys: &str) {
        Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "live", keys])
            .status()
            .expect("tmux send-keys");
    }

    /// Waits (at most `limit`) until the screen satisfies `want`.
    fn wait_for(&self, limit: Duration, want: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if want(&screen) || Instant::now() > deadline {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// One screen, redrawn in place: the clients appear marked NEW, every row
/// on the one port, within 80 columns; a client that leaves is CLOSED; `q`
/// quits and gives the shell its screen back.
#[test]
fn the_live_screen_in_80_columns() {
    if !tmux_or_skip() {
        return;
    }
    let port = free_port();
    let command = format!(
        "env NO_COLOR=1 {} serve --port {port} --live; echo \"exit status $?\"; sleep 60",
        env!("CARGO_BIN_EXE_sameport")
    );
    let Some(tmux) = Tmux::start(&command, 80, 24) else {
        eprintln!("skipped: tmux could not start a session");
        return;
    };
    let screen = tmux.wait_for(Duration::from_secs(15), |s| {
        s.iter().any(|l| l.starts_with("Verdict:"))
    });
    assert!(screen.iter().any(|l| l.contains("--live")), "{screen:#?}");
    let clients: Vec<TcpStream> = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        .iter()
        .map(|s| echo_client(s, port))
        .collect();
    let screen = tmux.wait_for(Duration::from_secs(10), |s| {
        s.iter()
            .filter(|l| l.contains("127.0.0.") && l.ends_with("NEW"))
            .count()
            == 3
            && s.iter().any(|l| l.contains("HOLDS"))
    });
    let rows: Vec<&String> = screen
        .iter()
        .filter(|l| l.contains(&format!(":{port}")))
        .collect();
    assert!(
        rows.len() >= 4,
        "the listener and three clients: {screen:#?}"
    );
    for source in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        let row = screen
            .iter()
            .find(|l| l.starts_with("tcp") && l.contains(&format!("{source}:")))
            .unwrap();
        assert!(row.contains(&format!("127.0.0.1:{port}")), "{row}");
        assert!(row.ends_with("NEW"), "{row}");
    }
    assert!(
        screen.iter().any(|l| l.starts_with("Verdict: HOLDS.")),
        "{screen:#?}"
    );
    assert!(
        screen.iter().all(|l| l.chars().count() <= 80),
        "{screen:#?}"
    );
    assert!(screen.len() <= 24);
    // Redrawn in place: one header line, however many refreshes.
    assert_eq!(
        screen
            .iter()
            .filter(|l| l.contains("Local Address"))
            .count(),
        1
    );

    drop(clients);
    let screen = tmux.wait_for(Duration::from_secs(10), |s| {
        s.iter().filter(|l| l.ends_with("CLOSED")).count() == 3
    });
    assert_eq!(
        screen.iter().filter(|l| l.ends_with("CLOSED")).count(),
        3,
        "{screen:#?}"
    );

    tmux.keys("q");
    let screen = tmux.wait_for(Duration::from_secs(10), |s| {
        s.iter().any(|l| l.contains("exit status"))
    });
    assert!(screen.iter().any(|l| l == "exit status 0"), "{screen:#?}");
    assert!(
        screen
            .iter()
            .any(|l| l.contains("stopped from the live screen")),
        "{screen:#?}"
    );
    assert!(
        !screen.iter().any(|l| l.starts_with("Verdict:")),
        "the alternate screen is gone: {screen:#?}"
    );
}

/// Whether tmux is here to test with (CI must have it).
fn tmux_or_skip() -> bool {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("SAMEPORT_REQUIRE_BROWSER").is_none(),
            "SAMEPORT_REQUIRE_BROWSER is set and tmux is not installed"
        );
        eprintln!("skipped: tmux is not installed");
        return false;
    }
    true
}

/// The columns a line takes on the terminal (Hangul: two a syllable).
fn columns(line: &str) -> usize {
    UnicodeWidthStr::width(line)
}

/// `serve --live --lang ko` at 80 columns: every line fits (the verdict is
/// wrapped by the columns Hangul takes, not by its characters), and every
/// word on the screen is Korean but the netstat column names and values:
/// the legend and the marks are the live page's (새 연결, 닫힘).
#[test]
fn the_live_screen_in_korean_fits_80_columns() {
    if !tmux_or_skip() {
        return;
    }
    let port = free_port();
    let command = format!(
        "env NO_COLOR=1 {} serve --port {port} --live --lang ko; echo \"exit status $?\"; sleep 60",
        env!("CARGO_BIN_EXE_sameport")
    );
    let Some(tmux) = Tmux::start(&command, 80, 24) else {
        eprintln!("skipped: tmux could not start a session");
        return;
    };
    let screen = tmux.wait_for(Duration::from_secs(15), |s| {
        s.iter().any(|l| l.starts_with("판정:"))
    });
    assert!(screen.iter().any(|l| l.starts_with("판정:")), "{screen:#?}");
    let clients: Vec<TcpStream> = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        .iter()
        .map(|s| echo_client(s, port))
        .collect();
    let screen = tmux.wait_for(Duration::from_secs(10), |s| {
        s.iter()
            .filter(|l| l.contains("127.0.0.") && l.ends_with("새 연결"))
            .count()
            == 3
            && s.iter().any(|l| l.starts_with("판정: 성립."))
    });
    assert!(
        screen.iter().any(|l| l.starts_with("판정: 성립.")),
        "{screen:#?}"
    );
    assert_eq!(
        screen.iter().filter(|l| l.ends_with("새 연결")).count(),
        3,
        "{screen:#?}"
    );
    for line in &screen {
        assert!(columns(line) <= 80, "{} columns: {line}", columns(line));
    }
    assert!(screen.len() <= 24, "{screen:#?}");
    let text = screen.join("\n");
    for english in ["NEW", "CLOSED", "appeared", "refresh", "quit", "socket "] {
        assert!(!text.contains(english), "{english:?} on the screen: {text}");
    }
    assert!(text.contains("새 연결: 마지막 갱신 때 나타남"), "{text}");

    drop(clients);
    let screen = tmux.wait_for(Duration::from_secs(10), |s| {
        s.iter().filter(|l| l.ends_with("닫힘")).count() == 3
    });
    assert_eq!(
        screen.iter().filter(|l| l.ends_with("닫힘")).count(),
        3,
        "{screen:#?}"
    );
    for line in &screen {
        assert!(columns(line) <= 80, "{} columns: {line}", columns(line));
    }
    tmux.keys("q");
    let screen = tmux.wait_for(Duration::from_secs(10), |s| {
        s.iter().any(|l| l.contains("exit status"))
    });
    assert!(screen.iter().any(|l| l == "exit status 0"), "{screen:#?}");
}

/// Whether a line has a piece of a QR code (drawn with block characters).
fn qr_line(line: &str) -> bool {
    line.contains('▀') || line.contains('▄') || line.contains('█')
}

/// A `serve --live` of its own in a `width` x `height` tmux, `extra` flags
/// added, once its screen shows the live page's address: the screen, and
/// the port.
fn live_screen(extra: &str, width: u16, height: u16) -> Option<(Vec<String>, u16)> {
    let port = free_port();
    let command = format!(
        "env NO_COLOR=1 {} serve --port {port} --live {extra}; sleep 60",
        env!("CARGO_BIN_EXE_sameport")
    );
    let Some(tmux) = Tmux::start(&command, width, height) else {
        eprintln!("skipped: tmux could not start a session");
        return None;
    };
    let screen = tmux.wait_for(Duration::from_secs(15), |s| {
        s.iter().any(|l| l.starts_with("Verdict:")) && s.iter().any(|l| l.contains("LISTEN"))
    });
    Some((screen, port))
}

/// The live page's address is on the live screen (a teacher projecting
/// `--live` shows the class where to go): under the header at any size; its
/// QR code beside the table in a wide terminal, under it in a tall one,
/// and in 80x24 a word that a bigger terminal shows it. Under `--redact`
/// the address is the tables' placeholder and there is no code.
#[test]
fn the_live_screen_shows_the_page_address_and_qr_code() {
    if !tmux_or_skip() {
        return;
    }
    let page_line = |screen: &[String], port: u16| -> String {
        let line = screen
            .iter()
            .find(|l| l.starts_with("Live page: http://"))
            .unwrap_or_else(|| panic!("no address: {screen:#?}"))
            .clone();
        assert!(line.contains(&format!(":{port}/")), "{line}");
        line
    };
    let Some((screen, port)) = live_screen("", 80, 24) else {
        return;
    };
    assert_eq!(
        screen.iter().position(|l| l.starts_with("Live page:")),
        Some(1)
    );
    let line = page_line(&screen, port);
    assert!(
        line.ends_with("(a bigger terminal shows its QR code)"),
        "{line}"
    );
    assert!(!screen.iter().any(|l| qr_line(l)), "{screen:#?}");
    assert!(screen.iter().all(|l| columns(l) <= 80), "{screen:#?}");

    // Wide: the code beside the verdict and the table, whole.
    let Some((screen, port)) = live_screen("", 120, 24) else {
        return;
    };
    page_line(&screen, port);
    let code: Vec<&String> = screen.iter().filter(|l| qr_line(l)).collect();
    assert!(code.len() >= 10, "{screen:#?}");
    assert!(code.iter().all(|l| l.contains("  ")), "{screen:#?}");
    assert!(
        screen.iter().any(|l| l.contains("LISTEN") && qr_line(l)),
        "the table and the code side by side: {screen:#?}"
    );
    assert!(screen.iter().all(|l| columns(l) <= 120), "{screen:#?}");

    // Tall: the code under the table.
    let Some((screen, port)) = live_screen("", 80, 45) else {
        return;
    };
    page_line(&screen, port);
    let listen = screen.iter().position(|l| l.contains("LISTEN")).unwrap();
    let first_code = screen.iter().position(|l| qr_line(l));
    assert!(
        first_code.is_some_and(|at| at > listen),
        "the code under the table: {screen:#?}"
    );
    assert!(screen.iter().all(|l| columns(l) <= 80), "{screen:#?}");

    // --redact: the placeholder (or loopback, which is never hidden), no code.
    let Some((screen, port)) = live_screen("--redact", 120, 45) else {
        return;
    };
    let line = page_line(&screen, port);
    assert!(
        line.starts_with("Live page: http://host-")
            || line.starts_with("Live page: http://127.")
            || line.starts_with("Live page: http://[::1]"),
        "{line}"
    );
    assert!(!screen.iter().any(|l| qr_line(l)), "{screen:#?}");
}

/// When stdout is not a terminal, `--live` says so and prints the log.
#[test]
fn live_without_a_terminal_falls_back_to_the_log() {
    let (server, _port) = Running::serve_json(&["--live"]);
    let (status, stderr) = server.interrupt();
    assert!(status.success());
    assert!(
        stderr.contains("--live needs a terminal on stdout"),
        "{stderr}"
    );
}
