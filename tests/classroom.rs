//! The classroom flow, tried as a new user would (issue 10): the server and
//! the interactive client on an 80-column terminal (tmux), refusals, piped
//! input, the messages' wording, the errors, completions and the manual.
//!
//! What a person sees is tested as a person sees it: `serve` and the
//! interactive client run in a tmux pane 80 columns wide, and the tests read
//! the screen. Everything runs on loopback, on free ports.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Running, free_port, sameport};

/// A tmux server of this test's own (its own socket), with one session of
/// one pane, 80 columns wide, running a shell command. Dropping it stops
/// that tmux server, and with it the programs in the pane.
struct Screen {
    socket: String,
}

impl Screen {
    /// Runs `command` (a shell command line) in a new 80x200 pane. The pane
    /// prints `EXIT=<status>` when the command ends, then stays 60 s to be
    /// read.
    fn start(name: &str, command: &str) -> Screen {
        let socket = format!("sameport-{name}-{}", std::process::id());
        // Ctrl-C in the pane reaches the shell too: a trap (reset to the
        // default in the command) keeps it alive to print the status.
        let line = format!("trap : INT; {command}; echo EXIT=$?; sleep 60");
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "80", "-y", "200", "sh", "-c", &line])
            .env_remove("NO_COLOR")
            .env_remove("COLUMNS")
            .status()
            .expect("tmux is installed (.ci/run installs it)");
        assert!(status.success(), "tmux new-session failed");
        Screen { socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The whole pane, history included, as it looks: with `-J`, a line the
    /// terminal wrapped comes back as the one long line it was, so a line
    /// longer than 80 columns here is a line the student saw wrapped.
    fn text(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-"])
    }

    /// The pane with its colours, as escape sequences.
    fn text_with_colours(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-J", "-S", "-"])
    }

    fn type_line(&self, line: &str) {
        self.tmux(&["send-keys", "-t", "0", "-l", line]);
        self.tmux(&["send-keys", "-t", "0", "Enter"]);
    }

    fn press(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "0", key]);
    }

    /// Waits until the pane shows `needle`, for at most `secs` seconds;
    /// returns the pane.
    fn wait_for(&self, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("the screen never showed {needle:?}:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        // Our own tmux server only (its own socket), and what runs in it.
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// The binary, quoted for a shell command line.
fn bin() -> String {
    format!("'{}'", env!("CARGO_BIN_EXE_sameport"))
}

/// Lines of the screen, trailing blanks removed, empty lines dropped.
fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Connects a plain client and waits for its first echo, so the server has
/// certainly accepted it.
fn held_client(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(b"x").unwrap();
    let mut b = [0u8; 1];
    stream.read_exact(&mut b).expect("echo");
    stream
}

/// Items 10, 11, 13, 14, 15: `serve` on an 80-column terminal while three
/// clients connect, hold a second and leave. No line is wider than the
/// screen; the lsof table is off by default; every heading counts the
/// accepted sockets of the table under it; every departure gets a line,
/// down to "0 clients remain"; Ctrl-C ends with a correct plural.
#[test]
fn serve_on_an_80_column_terminal() {
    let port = free_port();
    let screen = Screen::start("serve", &format!("{} serve --port {port}", bin()));
    screen.wait_for("listening, before any client", 20);
    let out = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--count", "3"])
        .args(["--from", "127.0.0.2,127.0.0.3,127.0.0.4"])
        .args(["--message", "hello", "--hold", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    screen.wait_for("0 clients remain connected.", 20);
    screen.press("C-c");
    let text = screen.wait_for("EXIT=", 20);

    for line in lines(&text) {
        assert!(
            line.chars().count() <= 80,
            "wrapped at 80 columns ({} long): {line}\n{text}",
            line.chars().count()
        );
    }
    assert!(
        !text.contains("lsof -i view"),
        "lsof is off by default:\n{text}"
    );
    assert!(text.contains("Verdict: HOLDS."), "{text}");

    // Each heading's count is the table's own: the accepted sockets, that is
    // rows ESTABLISHED on the port that a process holds. (A connection still
    // in the accept queue is ESTABLISHED too, but nobody holds it yet: its
    // PID column is `-`, and the heading does not count it as accepted.)
    let all = lines(&text);
    let mut headings = 0;
    for (i, line) in all.iter().enumerate() {
        let Some((_, shows)) = line.split_once(&format!("port {port} after ")) else {
            continue;
        };
        let count: usize = shows
            .split(": ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count in the heading {line}"));
        let table_rows = all[i + 1..]
            .iter()
            .take_while(|l| !l.starts_with("Verdict:"))
            .filter(|l| l.contains(&format!(":{port} ")) && l.contains("ESTABLISHED"))
            .filter(|l| !l.trim_end().ends_with(" -"))
            .count();
        assert_eq!(count, table_rows, "{line}\n{text}");
        headings += 1;
    }
    assert!(headings >= 1, "{text}");

    // One line per departure, however they were grouped, down to zero.
    let departed: usize = all
        .iter()
        .filter(|l| l.contains(" disconnected"))
        .map(|l| {
            if l.contains("clients disconnected") {
                l.split(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            } else {
                1
            }
        })
        .sum();
    assert_eq!(departed, 3, "{text}");
    assert!(
        text.contains("accepted 3 connections (0 still open"),
        "{text}"
    );
    assert!(text.contains("EXIT=0"), "{text}");
}

/// Items 5, 6, 7: the interactive client against `serve --banner
/// 'Welcome to the Server\n' --idle-timeout`: the banner (its `\n` a real
/// newline) shows before the prompt, each echo follows its own line, and
/// when the server closes the idle connection the client says so at once and
/// exits 0: no empty "From server:", no broken pipe later.
#[test]
fn the_interactive_client_shows_the_banner_and_the_close() {
    let (_server, port) = Running::serve_json(&[
        "--banner",
        r"Welcome to the Server\n",
        "--idle-timeout",
        "4",
    ]);
    let screen = Screen::start(
        "interactive",
        &format!("{} connect 127.0.0.1:{port}", bin()),
    );
    let text = screen.wait_for("type a line", 20);
    let banner = text
        .find("From server: Welcome to the Server\n")
        .unwrap_or_else(|| panic!("no banner line:\n{text}"));
    assert!(banner < text.find("type a line").unwrap(), "{text}");
    assert!(
        !text.contains(r"Server\n"),
        "the escape was sent as text:\n{text}"
    );

    screen.type_line("one");
    screen.wait_for("From server: one", 10);
    screen.type_line("two");
    let text = screen.wait_for("From server: two", 10);
    let shown = lines(&text);
    let typed = shown.iter().position(|l| *l == "one").expect("typed line");
    assert_eq!(shown[typed + 1], "From server: one", "in step:\n{text}");

    // Nothing typed for 4 s: the server closes; the client says so itself.
    let text = screen.wait_for("EXIT=", 15);
    assert!(
        text.contains("sameport: the server closed the connection."),
        "{text}"
    );
    assert!(text.contains("EXIT=0"), "{text}");
    assert!(!shown.contains(&"From server:"), "{text}");
    assert!(!text.contains("Broken pipe"), "{text}");
}

/// Item 8: a client turned away by `--max-clients` says it was refused and
/// exits 1, with a message (and, interactively, before any prompt).
#[test]
fn a_refused_client_says_so_and_fails() {
    let (server, port) = Running::serve_json(&["--max-clients", "1"]);
    let _first = held_client(port);
    let out = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--message", "yo"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(stderr.contains("without echoing"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("echo \"\""));

    let screen = Screen::start("refused", &format!("{} connect 127.0.0.1:{port}", bin()));
    let text = screen.wait_for("EXIT=", 20);
    assert!(text.contains("From server: refused"), "{text}");
    assert!(text.contains("turned this client away"), "{text}");
    assert!(text.contains("EXIT=1"), "{text}");
    assert!(!text.contains("type a line"), "{text}");
    drop(server);
}

/// Item 9: piped input with several clients is sent on every one.
#[test]
fn piped_input_goes_to_every_client() {
    let (_server, port) = Running::serve_json(&[]);
    let mut child = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--count", "2"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hi\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout
            .matches(r#"sent "hi\n" (3 bytes), echo "hi\n""#)
            .count(),
        2,
        "{stdout}"
    );
}

/// Item 7: the banner's escapes become the bytes they stand for, exactly.
#[test]
fn banner_escapes_are_sent_as_bytes() {
    let (_server, port) = Running::serve_json(&["--banner", r"A\x00\xffB\t\\\r\n"]);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut banner = [0u8; 8];
    stream.read_exact(&mut banner).unwrap();
    assert_eq!(&banner, b"A\x00\xffB\t\\\r\n");
}

/// Item 15: one of a thing is singular, in connect's and serve's lines.
#[test]
fn one_is_singular() {
    let (server, port) = Running::serve_json(&[]);
    let out = sameport()
        .args(["connect", &format!("127.0.0.1:{port}"), "--message", "x"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(r#"sent "x" (1 byte), echo "x""#),
        "{stdout}"
    );
    let (_, stderr) = server.interrupt();
    // (Messages are wrapped at 80 columns: read them as one line.)
    let stderr = stderr.replace("\n  ", " ");
    assert!(
        stderr.contains(
            "accepted 1 connection (0 still open, 0 refused over --max-clients), echoed 1 byte"
        ),
        "{stderr}"
    );
}

/// Item 12: a socket no process holds (the server closed an idle
/// connection: TIME_WAIT on the server's side) is a row of the netstat view
/// only, and the lsof view says it left it out.
#[test]
fn the_lsof_view_lists_what_lsof_would() {
    let port = free_port();
    let server = Running::spawn(&[
        "serve",
        "--port",
        &port.to_string(),
        "--idle-timeout",
        "1",
        "--view",
        "both",
    ]);
    server
        .wait_for(Duration::from_secs(10), |l| l.starts_with("Verdict:"))
        .expect("the first table");
    // The server closes this silent client after 1 s; the client closes
    // too, and the server's side waits in TIME_WAIT.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = idle.read_to_end(&mut rest);
    drop(idle);
    let _second = held_client(port);
    let mut table = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let Some(line) = server.wait_for(Duration::from_secs(1), |_| true) else {
            continue;
        };
        if line.contains("after accept #2") {
            table.clear();
        }
        table.push(line.clone());
        if line.starts_with("Verdict:") && table.first().is_some_and(|l| l.contains("#2")) {
            break;
        }
    }
    let table = table.join("\n");
    let (netstat, lsof) = table
        .split_once("lsof -i view")
        .unwrap_or_else(|| panic!("no lsof view:\n{table}"));
    assert!(netstat.contains("TIME_WAIT"), "{table}");
    assert!(!lsof.contains("(TIME_WAIT)"), "{table}");
    assert!(
        lsof.contains("1 socket that no process holds"),
        "the lsof view says what it left out:\n{table}"
    );
}

/// Item 14: `--color always|never`, and `auto` on a terminal: colour, but
/// no yellow or bright colours (unreadable on a white projector screen), and
/// none at all with TERM=dumb.
#[test]
fn colour_reads_on_white_and_follows_the_flag_and_term() {
    let (_server, port) = Running::serve_json(&[]);
    let _a = held_client(port);
    let inspect = |color: &str| {
        let out = sameport()
            .args(["inspect", "--port", &port.to_string(), "--color", color])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let always = inspect("always");
    assert!(always.contains("\x1b["), "{always:?}");
    for unreadable in ["[33m", "[93m", "[1;33m", "38;5;3m", "38;5;11m", "38;5;10m"] {
        assert!(!always.contains(unreadable), "{unreadable} in {always:?}");
    }
    assert!(!inspect("never").contains('\x1b'));

    let inspect_here = format!("{} inspect --port {port}", bin());
    let coloured = Screen::start("colour", &inspect_here);
    coloured.wait_for("EXIT=", 20);
    let dumb = Screen::start("dumb", &format!("TERM=dumb {inspect_here}"));
    dumb.wait_for("EXIT=", 20);
    assert!(coloured.text_with_colours().contains("\x1b["));
    assert!(
        !dumb.text_with_colours().contains("\x1b["),
        "{:?}",
        dumb.text_with_colours()
    );
}

/// Items 18, 19, 20: errors say what is accepted, in words, on one line.
#[test]
fn errors_say_what_is_accepted() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["serve", "--format", "xml"],
            "expected table, json, markdown or mermaid",
        ),
        (&["serve", "--max-clients", "0"], "must be at least 1"),
        (&["connect", "127.0.0.1:0"], "invalid port '0'"),
        (&["demo", "--clients", "1"], "must be from 2 to 200"),
        (&["serve", "--banner", r"\q"], r"unknown escape \q"),
    ];
    for (args, needle) in cases {
        let out = sameport().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains(".."), "a Rust range: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }

    // A demo whose port is taken says how to choose another.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = sameport()
        .args(["demo", "--port", &port.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stderr.contains("--port"), "{stderr}");

    // connect's help has one name for the server's address.
    let help = sameport().args(["connect", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("HOST[:PORT]"), "{help}");
    assert!(!help.contains("TARGET"), "{help}");
}

/// Item 22: completion scripts for the shells, and the manual page.
#[test]
fn completions_and_the_manual() {
    let commands = ["demo", "serve", "connect", "inspect", "scale"];
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = sameport().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for command in commands {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
        assert!(script.contains("max-clients"), "{shell}");
        // (fish writes a long option as `-l lang`.)
        assert!(
            script.contains("--lang") || script.contains("-l lang"),
            "{shell} lacks the global --lang"
        );
        assert!(!script.contains("scale-worker"), "{shell}: a hidden helper");
    }
    // `sameport man <TAB>` offers the pages (zsh lists them in one place).
    let zsh = sameport().args(["completions", "zsh"]).output().unwrap();
    let zsh = String::from_utf8_lossy(&zsh.stdout);
    assert!(
        zsh.contains("(demo serve connect inspect scale completions man)"),
        "{zsh}"
    );
    // bash itself reads the bash script without a syntax error.
    let script = sameport().args(["completions", "bash"]).output().unwrap();
    let mut bash = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    bash.stdin
        .take()
        .unwrap()
        .write_all(&script.stdout)
        .unwrap();
    let checked = bash.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );

    let page = sameport().arg("man").output().unwrap();
    assert!(page.status.success());
    let roff = String::from_utf8_lossy(&page.stdout);
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH sameport"),
        "{roff}"
    );
    for command in commands {
        assert!(roff.contains(command), "the page lacks {command}");
    }
    // `help` is clap's subcommand, with no page of its own to point to.
    assert!(!roff.contains("sameport\\-help"), "{roff}");
    let serve = sameport().args(["man", "serve"]).output().unwrap();
    let serve = String::from_utf8_lossy(&serve.stdout);
    assert!(serve.contains("sameport\\-serve"), "{serve}");
    assert!(serve.contains("max\\-clients"), "{serve}");
    // Every exit code is explained, on every page.
    for page in [&roff, &serve] {
        let status = page
            .find(".SH \"EXIT STATUS\"")
            .expect("an EXIT STATUS section");
        for code in 0..=4 {
            assert!(
                page[status..].contains(&format!("\\fB{code}\\fR")),
                "exit code {code} missing: {page}"
            );
        }
    }
    let unknown = sameport().args(["man", "frobnicate"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));

    // Where man is installed, the page renders.
    if Command::new("man").arg("--version").output().is_ok() {
        let dir = std::env::temp_dir().join(format!("sameport-man-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("sameport.1");
        std::fs::write(&file, &page.stdout).unwrap();
        let rendered = Command::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(
            rendered.status.success(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        assert!(
            text.contains("NAME") && text.contains("sameport-serve"),
            "{text}"
        );
        assert!(text.contains("EXIT STATUS"), "{text}");
    }
}

/// The demo on an 80-column projector: no line is wider than 80 columns,
/// headings included (the title is 83 characters: it wraps at a space, and
/// its underline is as wide as its widest line, not as the whole title).
#[test]
fn the_demo_fits_80_columns_headings_included() {
    // (The lsof view too: its DEVICE and SIZE/OFF columns give way.)
    for (proto, view) in [
        ("tcp", "netstat"),
        ("udp", "netstat"),
        ("both", "netstat"),
        ("tcp", "both"),
    ] {
        let port = common::demo_port().to_string();
        let out = sameport()
            .args(["demo", "--proto", proto, "--port", &port, "--view", view])
            .env("COLUMNS", "80")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines {
            assert!(line.chars().count() <= 80, "{proto}: too wide: {line:?}");
        }
        // An underline is as wide as the widest line of the heading above it
        // (the lines back to the blank line before the heading).
        for (at, rule) in lines.iter().enumerate() {
            let is_rule = !rule.is_empty() && rule.chars().all(|c| c == '=' || c == '-');
            if !is_rule || at == 0 {
                continue;
            }
            let heading: Vec<&str> = lines[..at]
                .iter()
                .rev()
                .take_while(|l| !l.is_empty())
                .copied()
                .collect();
            let widest = heading.iter().map(|l| l.chars().count()).max();
            assert_eq!(
                Some(rule.chars().count()),
                widest,
                "{proto}: the underline of {heading:?}"
            );
        }
        assert!(lines[0].starts_with("sameport demo:"), "{}", lines[0]);
        if proto == "tcp" {
            assert!(!lines[1].starts_with('='), "the 83-character title wraps");
        }
    }
}

/// `inspect` on an 80-column terminal, a server with three clients on this
/// host: no line is wider than 80 columns (the mirror line under the
/// clients' table is wrapped as prose, in English and in Korean), and the
/// lsof table, whose rows would cut addresses, is off by default as for
/// `serve` (`--view both` adds it).
#[test]
fn inspect_fits_80_columns() {
    use unicode_width::UnicodeWidthStr;
    let (server, port) = Running::serve_json(&[]);
    let clients: Vec<TcpStream> = (0..3).map(|_| held_client(port)).collect();
    let port_text = port.to_string();
    for lang in ["en", "ko"] {
        let out = sameport()
            .args(["--lang", lang, "inspect", "--port", &port_text])
            .env("COLUMNS", "80")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        for line in text.lines() {
            assert!(
                line.width() <= 80,
                "{lang}: {} columns: {line}\n{text}",
                line.width()
            );
        }
        let mirror = match lang {
            "en" => "every one with remote port",
            _ => "원격 포트는 모두",
        };
        assert!(text.replace('\n', " ").contains(mirror), "{text}");
        assert!(
            !text.contains("COMMAND"),
            "{lang}: lsof is off by default:\n{text}"
        );
    }
    let out = sameport()
        .args(["inspect", "--port", &port_text, "--view", "both"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("COMMAND"));
    drop(clients);
    let _ = server.interrupt();
}

/// `scale --hold` on an 80-column terminal, in English and in Korean: its
/// messages (the plan, the hold and the commands to look with, the end of
/// the hold), the progress bar and the facts under the table fit the screen,
/// and the bar's rate is a whole number grouped by thousands (`9,627/s`).
#[test]
fn scale_fits_80_columns() {
    use unicode_width::UnicodeWidthStr;
    for lang in ["en", "ko"] {
        let port = free_port();
        let screen = Screen::start(
            &format!("scale-{lang}"),
            &format!(
                "{} --lang {lang} scale --connections 3000 --workers 1 --port {port} --hold 1",
                bin()
            ),
        );
        let text = screen.wait_for("EXIT=", 120);
        assert!(text.contains("EXIT=0"), "{text}");
        for line in lines(&text) {
            assert!(
                line.width() <= 80,
                "{lang}: {} columns: {line}\n{text}",
                line.width()
            );
        }
        let bar = text
            .lines()
            .find(|l| l.contains("3000/3000"))
            .unwrap_or_else(|| panic!("{lang}: no progress bar:\n{text}"));
        // `(3,725/s, 1s)`: the rate, then the time.
        let rate = bar
            .rsplit_once('(')
            .and_then(|(_, r)| r.split(", ").next())
            .and_then(|r| r.strip_suffix("/s"))
            .unwrap_or_else(|| panic!("{lang}: no rate: {bar}"));
        assert!(
            !rate.is_empty() && rate.chars().all(|c| c.is_ascii_digit() || c == ','),
            "{lang}: {bar}"
        );
        assert!(text.contains("ss -s"), "{text}");
    }
}

/// `serve --max-clients 1` on an 80-column terminal turning clients away:
/// the first five refusals of a second are named, the rest counted in the
/// next line ("(N more since the last message)"), and every line is wrapped
/// at spaces, never cut mid-word by the terminal.
#[test]
fn refusals_fit_80_columns() {
    let port = free_port();
    let screen = Screen::start(
        "refusals",
        &format!("{} serve --port {port} --max-clients 1", bin()),
    );
    screen.wait_for("listening, before any client", 20);
    let _first = held_client(port);
    let knock = || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reply = String::new();
        let _ = stream.read_to_string(&mut reply);
        assert!(reply.starts_with("refused"), "{reply}");
    };
    for _ in 0..7 {
        knock();
    }
    std::thread::sleep(Duration::from_millis(1200));
    knock();
    let text = screen.wait_for("since", 20);
    assert!(text.contains("more since the last message"), "{text}");
    for line in lines(&text) {
        assert!(
            line.chars().count() <= 80,
            "wrapped at 80 columns ({} long): {line}\n{text}",
            line.chars().count()
        );
    }
    assert!(text.contains("already serving 1 client"), "{text}");
}

/// The wording, item by item: the verdict does not repeat its outcome
/// ("NOT ENOUGH EVIDENCE. Not enough evidence"), one client socket is said
/// as one (no "1 distinct ... every one"), and UDP clients are "ready" and
/// held as "sockets", never "connected" or "connections", in both languages.
#[test]
fn wording_says_it_once_and_right_for_one() {
    let port = free_port().to_string();
    for (lang, word) in [("en", "Not enough evidence"), ("ko", "증거 부족:")] {
        let out = sameport()
            .args(["--lang", lang, "inspect", "--port", &port])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        let text = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
        let verdict = text.split_once(". ").map_or("", |(_, rest)| rest);
        assert!(!verdict.contains(word), "{lang}: said twice: {text}");
    }

    let (server, port) = Running::serve_json(&[]);
    let _one = held_client(port);
    for (lang, wrong) in [("en", "distinct"), ("ko", "서로 다른")] {
        let out = sameport()
            .args(["--lang", lang, "inspect", "--port", &port.to_string()])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
        let mirror = match lang {
            "en" => "1 client socket, local port",
            _ => "클라이언트 소켓 1개의 로컬 포트는",
        };
        assert!(text.contains(mirror), "{lang}: {text}");
        assert!(!text.contains(wrong), "{lang}: {text}");
    }
    drop(server);

    let (server, port) = Running::serve_json(&["--proto", "udp"]);
    for (lang, right, wrong) in [
        (
            "en",
            ["ready", "holding 2 sockets"],
            ["connected", "connections"],
        ),
        ("ko", ["준비됨", "소켓 2개를"], ["연결됨", "연결 2개"]),
    ] {
        let out = sameport()
            .args(["--lang", lang, "connect", &format!("127.0.0.1:{port}")])
            .args([
                "--proto",
                "udp",
                "--count",
                "2",
                "--message",
                "hi",
                "--hold",
                "0",
            ])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).replace("\n  ", " ");
        assert!(out.status.success(), "{stderr}");
        for word in right {
            assert!(stderr.contains(word), "{lang}: {word}: {stderr}");
        }
        for word in wrong {
            assert!(!stderr.contains(word), "{lang}: {word}: {stderr}");
        }
    }
    drop(server);
}
