//! Golden tests: `sameport demo --reproducible` prints exactly the bytes in
//! tests/golden/, in every format, for TCP and UDP (and the textbook figure).
//! A change of output is a reviewed change of a golden file: regenerate them
//! with `SAMEPORT_UPDATE_GOLDEN=1 cargo test --test golden` and read the diff.
//!
//! Every demo here runs on a free port instead of 12000 (a student's server
//! may be running there), and its output is compared as if it had used
//! 12000. The demos' fixed client ports are shared, so the tests in this
//! file take turns (`FIXED_CLIENT_PORTS`); cargo runs test files one at a time.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use common::sameport;

static FIXED_CLIENT_PORTS: Mutex<()> = Mutex::new(());

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Runs `sameport demo` with `args` on a free port and compares stdout,
/// written as if on port 12000, with the golden file `name`.
fn check(name: &str, args: &[&str]) {
    let port = common::demo_port();
    check_on(name, args, Some(port));
}

/// Like [`check`]; `port: None` runs `args` as they are (the textbook
/// figure, whose port is 80).
fn check_on(name: &str, args: &[&str], port: Option<u16>) {
    let port_text = port.map(|p| p.to_string());
    let mut command = sameport();
    // Into a file, text is 88 columns wide unless COLUMNS says otherwise.
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS");
    if let Some(port) = &port_text {
        command.args(["--port", port]);
    }
    let out = command.output().expect("run sameport");
    assert!(
        out.status.success(),
        "sameport {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = match port {
        Some(port) => common::as_if_on_12000(&out.stdout, port),
        None => String::from_utf8_lossy(&out.stdout).into_owned(),
    };
    let path = golden_dir().join(name);
    if std::env::var_os("SAMEPORT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &stdout).expect("write golden file");
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if stdout != expected {
        panic!(
            "`sameport {}` differs from {}:\n--- expected\n{expected}\n--- got\n{stdout}",
            args.join(" "),
            path.display(),
        );
    }
}

/// TCP and UDP, in all four formats, twice each: the same bytes every time.
#[test]
fn demo_reproducible_output_is_golden() {
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    for proto in ["tcp", "udp"] {
        for (format, ext) in [
            ("table", "txt"),
            ("json", "jsonl"),
            ("markdown", "md"),
            ("mermaid", "mmd"),
        ] {
            let name = format!("demo-{proto}.{ext}");
            let args = [
                "demo",
                "--reproducible",
                "--proto",
                proto,
                "--format",
                format,
            ];
            check(&name, &args);
            // Back to back: the previous run left no TIME_WAIT in the way.
            check(&name, &args);
        }
    }
}

/// The same in Korean (`--lang ko`): TCP and UDP in all four formats. The
/// English files above stay as they are; these are read line by line like
/// them.
#[test]
fn korean_demo_output_is_golden() {
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    for proto in ["tcp", "udp"] {
        for (format, ext) in [
            ("table", "txt"),
            ("json", "jsonl"),
            ("markdown", "md"),
            ("mermaid", "mmd"),
        ] {
            let name = format!("demo-{proto}.ko.{ext}");
            let args = [
                "demo",
                "--reproducible",
                "--lang",
                "ko",
                "--proto",
                proto,
                "--format",
                format,
            ];
            check(&name, &args);
        }
    }
    check(
        "demo-both.ko.txt",
        &["demo", "--reproducible", "--lang", "ko", "--proto", "both"],
    );
}

/// Both protocols and their contrast.
#[test]
fn demo_both_is_golden() {
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    check(
        "demo-both.txt",
        &["demo", "--reproducible", "--proto", "both"],
    );
}

/// The textbook's figure on port 80: needs the right to bind port 80.
#[test]
#[ignore = "needs root: the textbook figure binds port 80 (CI runs it with --include-ignored)"]
fn textbook_figure_is_golden() {
    common::require_root("the textbook figure binds port 80");
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    if std::net::TcpListener::bind("127.0.0.1:80").is_err() {
        eprintln!("skipped: port 80 is in use on this machine");
        return;
    }
    check_on(
        "demo-textbook.txt",
        &["demo", "--textbook", "--reproducible"],
        None,
    );
    check_on(
        "demo-textbook.md",
        &[
            "demo",
            "--textbook",
            "--reproducible",
            "--format",
            "markdown",
        ],
        None,
    );
    for (format, ext) in [("table", "txt"), ("markdown", "md")] {
        check_on(
            &format!("demo-textbook.ko.{ext}"),
            &[
                "demo",
                "--textbook",
                "--reproducible",
                "--lang",
                "ko",
                "--format",
                format,
            ],
            None,
        );
    }
}

/// Without port 80, the textbook figure says which port it used instead.
///
/// The fallback port is 12000, which a student's own server may hold, so the
/// demo runs in a network namespace of its own (its own ports and loopback),
/// as the unprivileged user `nobody`, who may not bind port 80.
#[test]
#[ignore = "needs root: a private network namespace for port 12000 (CI runs it with --include-ignored)"]
fn textbook_figure_falls_back_and_says_so() {
    common::require_root("a private network namespace");
    let out = common::run_in_private_netns_as_nobody(&["demo", "--textbook", "--reproducible"]);
    // Prose is wrapped at 88 columns: compare with the line breaks undone.
    let stdout = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "(port 12000: port 80, as in the figure, is not available here: binding it needs root)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("a 4-tuple can exist only once"), "{stdout}");
}

/// A fixed client port that is busy is an error that names it; nothing else is picked.
#[test]
fn a_busy_fixed_port_is_named() {
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    let _busy = std::net::TcpListener::bind("127.0.0.3:50427").expect("hold 127.0.0.3:50427");
    let port = common::demo_port().to_string();
    let out = sameport()
        .args(["demo", "--reproducible", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("127.0.0.3:50427"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// The documents a user reads: every sample output marked
/// `<!-- golden: NAME -->` is the golden file's exact text, and every command
/// in a ```sh block runs as documented (demo and inspect exit as documented;
/// serve starts and stops on Ctrl-C; connect reaches that server). A document
/// that types `sameport` installs it first (`cargo install --path .`), or a
/// newcomer gets "command not found"; `sudo` runs it by its full path.
/// Commands written with `sudo` run in [`documented_root_commands_work`].
#[test]
fn docs_show_golden_output_and_commands_that_work() {
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    let mut checked = 0;
    for (doc, text) in docs() {
        for (name, block) in golden_blocks(&text) {
            let expected = std::fs::read_to_string(golden_dir().join(&name)).unwrap();
            assert_eq!(
                block.trim_end(),
                expected.trim_end(),
                "{doc}: the sample marked {name} is not the golden output"
            );
            checked += 1;
        }
        assert_installed_before_use(doc, &text);
        checked += run_documented_commands(doc, &text, Privilege::User);
    }
    assert!(checked > 5, "the docs show commands and outputs");
}

/// A document that types `sameport` runs `cargo install --path .` first.
fn assert_installed_before_use(doc: &str, text: &str) {
    let mut installed = false;
    for command in shell_commands(text) {
        installed |= command.trim() == "cargo install --path .";
        let uses_sameport = command.split_whitespace().any(|w| w.contains("sameport"));
        assert!(
            installed || !uses_sameport,
            "{doc}: `{command}` comes before `cargo install --path .`"
        );
    }
}

/// The documented commands written with `sudo`, run as root.
#[test]
#[ignore = "needs root: the docs' sudo commands (CI runs it with --include-ignored)"]
fn documented_root_commands_work() {
    common::require_root("the docs' sudo commands");
    let _turn = FIXED_CLIENT_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    let ran: usize = docs()
        .into_iter()
        .map(|(doc, text)| run_documented_commands(doc, &text, Privilege::Root))
        .sum();
    assert!(ran > 0, "the docs show commands run with sudo");
}

/// The documents a user reads, with their text.
fn docs() -> Vec<(&'static str, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs = Vec::new();
    for doc in ["README.md", "docs/lesson.md", "docs/lesson.ko.md"] {
        match std::fs::read_to_string(root.join(doc)) {
            Ok(text) => docs.push((doc, text)),
            Err(_) => assert_ne!(doc, "docs/lesson.md", "the lesson must exist"),
        }
    }
    docs
}

/// Which of a document's commands to run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Privilege {
    /// The commands a reader runs as themself.
    User,
    /// The commands written with `sudo`.
    Root,
}

/// Runs `doc`'s ```sh commands of one privilege, in order, on one free port
/// in place of 12000 (a student's server may hold 12000). Returns how many ran.
fn run_documented_commands(doc: &str, text: &str, privilege: Privilege) -> usize {
    let port = common::demo_port();
    let mut server: Option<common::Running> = None;
    let mut ran = 0;
    for command in shell_commands(text) {
        let needs_root = command.trim_start().starts_with("sudo ");
        if needs_root == (privilege == Privilege::Root) {
            ran += usize::from(run_documented(doc, &command, port, &mut server));
        }
    }
    if let Some(server) = server {
        let (status, stderr) = server.interrupt();
        assert!(
            status.success(),
            "{doc}: serve did not stop cleanly: {stderr}"
        );
    }
    ran
}

/// (golden file name, the ```text block that follows the marker).
fn golden_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("<!-- golden: ") {
        rest = &rest[at + "<!-- golden: ".len()..];
        let name = rest[..rest.find(" -->").expect("marker end")].to_string();
        let start = rest
            .find("```text\n")
            .expect("a text block after the marker")
            + "```text\n".len();
        let end = rest[start..].find("\n```").expect("block end") + start;
        blocks.push((name, rest[start..end].to_string()));
        rest = &rest[end..];
    }
    blocks
}

/// The lines of every ```sh block.
fn shell_commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        match line.trim() {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            line if in_sh && !line.is_empty() && !line.starts_with('#') => {
                commands.push(line.to_string())
            }
            _ => {}
        }
    }
    commands
}

/// Runs one documented command the way a reader would, on `port` where the
/// document says 12000. Returns whether it ran (`cargo test` and `cargo
/// bench` do not run from here).
fn run_documented(
    doc: &str,
    command: &str,
    port: u16,
    server: &mut Option<common::Running>,
) -> bool {
    // Comments after the command are for the reader.
    let command = command.split(" # ").next().unwrap_or(command).trim();
    let port_text = port.to_string();
    let mut words: Vec<String> = command
        .split_whitespace()
        .map(|w| {
            w.replace("SERVER_IP", "127.0.0.1")
                .replace("12000", &port_text)
        })
        .collect();
    if words.first().map(String::as_str) == Some("sudo") {
        words.remove(0);
        // sudo has a PATH of its own, without Cargo's bin directory: the
        // docs give it the installed program's full path.
        assert_eq!(
            words.get(..3).map(|w| w.join(" ")).as_deref(),
            Some("\"$(command -v sameport)\""),
            "{doc}: `{command}`: sudo must be given the full path, `sudo \"$(command -v sameport)\" ...`"
        );
        words.splice(..3, ["sameport".to_string()]);
    }
    let args: Vec<String> = match words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["cargo", "test", ..] => {
            eprintln!("`{command}` from {doc}: this is the command running these tests");
            return false;
        }
        ["cargo", "install", "--path", "."] => {
            eprintln!("`{command}` from {doc}: installs the binary these tests run as `sameport`");
            return false;
        }
        ["cargo", "bench", ..] => {
            eprintln!("`{command}` from {doc}: benchmarks are run by hand, not in the test suite");
            return false;
        }
        ["cargo", "run", "--release", "--", rest @ ..] => {
            rest.iter().map(|s| s.to_string()).collect()
        }
        ["sameport", rest @ ..] => rest.iter().map(|s| s.to_string()).collect(),
        _ => panic!(
            "{doc}: a ```sh block holds `{command}`, which this test does not know how to run"
        ),
    };
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    let gives_port = args.iter().any(|a| *a == "--port" || *a == "-p");
    let to_default_port = matches!(args.first(), Some(&"connect"))
        && !args.contains(&port_text.as_str())
        && !args.iter().any(|a| a.ends_with(&format!(":{port_text}")));
    if !gives_port && (matches!(args.first(), Some(&("demo" | "serve"))) || to_default_port) {
        args.extend(["--port", &port_text]);
    }
    // A server runs until the commands that talk to it are done.
    if args.first() != Some(&"connect")
        && let Some(running) = server.take()
    {
        let (status, stderr) = running.interrupt();
        assert!(
            status.success(),
            "{doc}: serve did not stop cleanly: {stderr}"
        );
    }
    match args.first().copied() {
        Some("serve") => {
            let mut full = args.clone();
            full.extend(["--format", "json"]);
            let running = common::Running::spawn(&full);
            running
                .wait_for(std::time::Duration::from_secs(10), |l| {
                    l.contains("\"listening\"")
                })
                .unwrap_or_else(|| panic!("{doc}: `{command}` did not start"));
            *server = Some(running);
        }
        Some("connect") => {
            assert!(
                server.is_some(),
                "{doc}: `{command}` needs a `serve` before it"
            );
            let out = sameport().args(&args).output().unwrap();
            assert!(
                out.status.success(),
                "{doc}: `{command}`: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some("inspect") => {
            let out = sameport().args(&args).output().unwrap();
            assert!(
                matches!(out.status.code(), Some(0 | 3 | 4)),
                "{doc}: `{command}` exited {:?}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        _ => {
            let out = sameport().args(&args).output().unwrap();
            assert!(
                out.status.success(),
                "{doc}: `{command}`: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    true
}
