//! Golden tests: `sameport demo --reproducible` prints exactly the bytes in
//! tests/golden/, in every format, for TCP and UDP (and the textbook figure).
//! A change of output is a reviewed change of a golden file: regenerate them
//! with `SAMEPORT_UPDATE_GOLDEN=1 cargo test --test golden` and read the diff.
//!
//! The demos use the fixed port 12000 and fixed client ports, so the tests in
//! this file take turns (`PORT_12000`); cargo runs test files one at a time.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use common::sameport;

static PORT_12000: Mutex<()> = Mutex::new(());

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Runs sameport with `args` and compares stdout with the golden file `name`.
fn check(name: &str, args: &[&str]) {
    // Into a file, text is 88 columns wide unless COLUMNS says otherwise.
    let out = sameport()
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("run sameport");
    assert!(
        out.status.success(),
        "sameport {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = golden_dir().join(name);
    if std::env::var_os("SAMEPORT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &out.stdout).expect("write golden file");
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if out.stdout != expected {
        panic!(
            "`sameport {}` differs from {}:\n--- expected\n{}\n--- got\n{}",
            args.join(" "),
            path.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// TCP and UDP, in all four formats, twice each: the same bytes every time.
#[test]
fn demo_reproducible_output_is_golden() {
    let _turn = PORT_12000.lock().unwrap_or_else(|p| p.into_inner());
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

/// Both protocols and their contrast.
#[test]
fn demo_both_is_golden() {
    let _turn = PORT_12000.lock().unwrap_or_else(|p| p.into_inner());
    check(
        "demo-both.txt",
        &["demo", "--reproducible", "--proto", "both"],
    );
}

/// The textbook's figure on port 80: needs the right to bind port 80.
#[test]
fn textbook_figure_is_golden() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "skipped: the textbook figure uses port 80, which only root may bind (CI runs as root)"
        );
        return;
    }
    let _turn = PORT_12000.lock().unwrap_or_else(|p| p.into_inner());
    if std::net::TcpListener::bind("127.0.0.1:80").is_err() {
        eprintln!("skipped: port 80 is in use on this machine");
        return;
    }
    check(
        "demo-textbook.txt",
        &["demo", "--textbook", "--reproducible"],
    );
    check(
        "demo-textbook.md",
        &[
            "demo",
            "--textbook",
            "--reproducible",
            "--format",
            "markdown",
        ],
    );
}

/// Without port 80, the textbook figure says which port it used instead.
#[test]
fn textbook_figure_falls_back_and_says_so() {
    let _turn = PORT_12000.lock().unwrap_or_else(|p| p.into_inner());
    let holder = std::net::TcpListener::bind("127.0.0.1:80");
    let out = sameport()
        .args(["demo", "--textbook", "--reproducible"])
        .output()
        .unwrap();
    // Prose is wrapped at 88 columns: compare with the line breaks undone.
    let stdout = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if holder.is_ok() {
        // We hold port 80 ourselves: the demo must fall back to 12000.
        assert!(
            stdout.contains(
                "(port 12000: port 80, as in the figure, is not available here: it is in use)"
            ),
            "{stdout}"
        );
    }
    assert!(stdout.contains("a 4-tuple can exist only once"), "{stdout}");
}

/// A fixed client port that is busy is an error that names it; nothing else is picked.
#[test]
fn a_busy_fixed_port_is_named() {
    let _turn = PORT_12000.lock().unwrap_or_else(|p| p.into_inner());
    let _busy = std::net::TcpListener::bind("127.0.0.3:50427").expect("hold 127.0.0.3:50427");
    let out = sameport()
        .args(["demo", "--reproducible"])
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
/// serve starts and stops on Ctrl-C; connect reaches that server).
#[test]
fn docs_show_golden_output_and_commands_that_work() {
    let _turn = PORT_12000.lock().unwrap_or_else(|p| p.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for doc in ["README.md", "docs/lesson.md", "docs/lesson.ko.md"] {
        let path = root.join(doc);
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert_ne!(doc, "docs/lesson.md", "the lesson must exist");
            continue;
        };
        for (name, block) in golden_blocks(&text) {
            let expected = std::fs::read_to_string(golden_dir().join(&name)).unwrap();
            assert_eq!(
                block.trim_end(),
                expected.trim_end(),
                "{doc}: the sample marked {name} is not the golden output"
            );
            checked += 1;
        }
        let mut server: Option<common::Running> = None;
        for command in shell_commands(&text) {
            run_documented(doc, &command, &mut server);
            checked += 1;
        }
        if let Some(server) = server {
            let (status, stderr) = server.interrupt();
            assert!(
                status.success(),
                "{doc}: serve did not stop cleanly: {stderr}"
            );
        }
    }
    assert!(checked > 5, "the docs show commands and outputs");
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

/// Runs one documented command the way a reader would.
fn run_documented(doc: &str, command: &str, server: &mut Option<common::Running>) {
    // Comments after the command are for the reader.
    let command = command.split(" # ").next().unwrap_or(command).trim();
    let mut words: Vec<String> = command
        .split_whitespace()
        .map(|w| w.replace("SERVER_IP", "127.0.0.1"))
        .collect();
    if words.first().map(String::as_str) == Some("sudo") {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped `{command}` from {doc}: needs root (CI runs as root)");
            return;
        }
        words.remove(0);
    }
    let args: Vec<String> = match words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["cargo", "test", ..] => {
            eprintln!("`{command}` from {doc}: this is the command running these tests");
            return;
        }
        ["cargo", "bench", ..] => {
            eprintln!("`{command}` from {doc}: benchmarks are run by hand, not in the test suite");
            return;
        }
        ["cargo", "run", "--release", "--", rest @ ..] => {
            rest.iter().map(|s| s.to_string()).collect()
        }
        ["sameport", rest @ ..] => rest.iter().map(|s| s.to_string()).collect(),
        _ => panic!(
            "{doc}: a ```sh block holds `{command}`, which this test does not know how to run"
        ),
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
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
}
