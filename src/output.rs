//! Where and how results are written: the one place that decides by
//! `--format`.
//!
//! The views in [`crate::view`] each write one thing in one format; the
//! commands ask [`Output`] for "this snapshot", "this report", "this
//! capture", and it picks the view for the format the user chose.
//!
//! Results go to stdout; messages about the run (listening on ..., stopped
//! ...) go to stderr, so `--format json` output can be piped into `jq`
//! untouched. A closed pipe (`sameport inspect | head -1`) is not an error:
//! the reader has what it wanted.

use std::io::{self, BufWriter, IsTerminal, StdoutLock, Write};

use serde_json::Value;

use crate::capture::{CaptureEvidence, Segment};
use crate::claim::snapshot::Snapshot;
use crate::claim::verdict::Verdict;
use crate::view::labels::Labels;
use crate::view::report::Report;
use crate::view::{self, Format, TableOptions, ViewKind};

/// The output settings of one run.
#[derive(Debug)]
pub struct Output {
    pub format: Format,
    pub tables: TableOptions,
    pub labels: Labels,
}

impl Output {
    /// Settings for writing to this process's stdout: colour only when it is
    /// a terminal and the NO_COLOR convention (no-color.org) is not in force.
    pub fn new(format: Format, view: ViewKind, max_rows: usize, labels: Labels) -> Self {
        let color =
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Output {
            format,
            tables: TableOptions {
                view,
                color: color && format == Format::Table,
                max_rows,
                markdown: format == Format::Markdown,
            },
            labels,
        }
    }

    /// A snapshot and its verdict under a heading (table) or with the heading's
    /// event fields added (JSON, one line).
    pub fn snapshot(
        &self,
        snapshot: &Snapshot,
        verdict: &Verdict,
        heading: &str,
        event: Option<Value>,
    ) -> String {
        let mut text = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.write_snapshot(&mut text, snapshot, verdict, heading, event);
        String::from_utf8_lossy(&text).into_owned()
    }

    /// [`Output::snapshot`], written to stdout as it is made (a JSON line of
    /// 19,000 sockets is never held in memory whole). Returns `Ok(false)`
    /// when stdout is a closed pipe, as [`print`] does.
    pub fn print_snapshot(
        &self,
        snapshot: &Snapshot,
        verdict: &Verdict,
        heading: &str,
        event: Option<Value>,
    ) -> io::Result<bool> {
        write_stdout(|out| self.write_snapshot(out, snapshot, verdict, heading, event))
    }

    fn write_snapshot(
        &self,
        out: &mut impl Write,
        snapshot: &Snapshot,
        verdict: &Verdict,
        heading: &str,
        event: Option<Value>,
    ) -> io::Result<()> {
        // The tables of 19,000 sockets are megabytes: written after their
        // heading, not copied into one string with it.
        let tables = || view::tables(snapshot, verdict, &self.tables, &self.labels);
        match self.format {
            Format::Table => {
                let rule = "=".repeat(heading.chars().count().min(100));
                write!(out, "{heading}\n{rule}\n")?;
                out.write_all(tables().as_bytes())
            }
            Format::Markdown => {
                write!(out, "## {heading}\n\n")?;
                out.write_all(tables().as_bytes())?;
                out.write_all(b"\n")
            }
            Format::Mermaid => {
                out.write_all(view::mermaid::diagram(snapshot, &self.labels).as_bytes())
            }
            Format::Json => {
                let object = view::json::Object::new(snapshot, &self.labels).verdict(verdict);
                let object = match event {
                    Some(event) => object.field("event", event),
                    None => object,
                };
                object.write_line(out)
            }
        }
    }

    /// A snapshot, its verdict and facts of the run: JSON gets `extra` as one
    /// more field named `key`; the other formats get the tables and `lines`.
    pub fn snapshot_with(
        &self,
        snapshot: &Snapshot,
        verdict: &Verdict,
        heading: &str,
        (key, extra): (&str, Value),
        lines: &str,
    ) -> String {
        if self.format == Format::Json {
            return view::json::Object::new(snapshot, &self.labels)
                .verdict(verdict)
                .field(key, extra)
                .to_line();
        }
        let mut text = self.snapshot(snapshot, verdict, heading, None);
        text.push_str(lines);
        text
    }

    /// The client side of the table: this process's sockets toward `port`.
    /// (A Mermaid picture is of a server's port, so the client side is drawn
    /// as tables.)
    pub fn client_side(&self, snapshot: &Snapshot, port: u16) -> String {
        let heading = format!("Client side: this process's sockets toward port {port}");
        let body = || {
            format!(
                "{}{}",
                view::socket_tables(snapshot, &self.tables, &self.labels),
                view::mirror_line(snapshot)
            )
        };
        match self.format {
            Format::Json => view::json::Object::new(snapshot, &self.labels).to_line(),
            Format::Table | Format::Mermaid => {
                format!("{heading}\n{}\n{}", "=".repeat(50), body())
            }
            Format::Markdown => format!("## {heading}\n\n{}", body()),
        }
    }

    /// Captured segments and what they show; `sockets` is how many sockets
    /// the socket table showed serving the clients.
    pub fn capture(
        &self,
        heading: &str,
        segments: &[Segment],
        evidence: &CaptureEvidence,
        sockets: usize,
    ) -> String {
        let labels = &self.labels;
        if self.format == Format::Json {
            let segments: Vec<Value> = segments
                .iter()
                .map(|s| view::capture::json(s, labels))
                .collect();
            let object = serde_json::json!({
                "event": { "kind": "capture" },
                "capture": segments,
                "capture_evidence": view::capture::evidence_json(evidence, sockets, labels),
            });
            return format!("{object}\n");
        }
        let table = view::capture::table(segments, labels, self.format == Format::Markdown);
        format!(
            "{heading}\n{}\n{table}\nCapture: {}.\n",
            "=".repeat(heading.len()),
            evidence.sentence(sockets)
        )
    }

    /// The demo's lab write-up.
    pub fn report(&self, report: &Report) -> String {
        use view::report;
        match self.format {
            Format::Table => report::text(report, &self.tables, &self.labels),
            Format::Markdown => report::markdown(report, &self.tables, &self.labels),
            Format::Json => report::json_lines(report, &self.labels),
            Format::Mermaid => report::diagrams(report, &self.labels),
        }
    }
}

/// Writes `text` to stdout and flushes it. Returns `Ok(false)` when stdout is
/// a closed pipe: the caller should stop writing and exit successfully.
pub fn print(text: &str) -> io::Result<bool> {
    write_stdout(|out| out.write_all(text.as_bytes()))
}

/// Runs `write` on a buffered, locked stdout and flushes it; a closed pipe
/// is `Ok(false)`, as for [`print`].
fn write_stdout(
    write: impl FnOnce(&mut BufWriter<StdoutLock>) -> io::Result<()>,
) -> io::Result<bool> {
    // 64 KiB at a time: a long JSON line goes out in few system calls.
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}
