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
//!
//! It is also where the look of text for people is decided, from the
//! terminal stdout is (or is not): whether to colour ([`ColorChoice`]) and
//! how wide to make it ([`width`]).

use std::ffi::OsString;
use std::io::{self, BufWriter, IsTerminal, StdoutLock, Write};

use serde_json::Value;

use crate::capture::{CaptureEvidence, Segment};
use crate::claim::snapshot::Snapshot;
use crate::claim::verdict::Verdict;
use crate::lang::{self, Lang};
use crate::view::labels::Labels;
use crate::view::report::Report;
use crate::view::{self, Format, TableOptions, ViewKind};

/// `--color`: whether tables and verdicts are coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Only on a terminal that can show colour, and when the user has not
    /// asked for none: stdout is a terminal, `NO_COLOR` is unset or empty
    /// (no-color.org), and `TERM` is not `dumb`.
    #[default]
    Auto,
    /// Always, even into a pipe (`| less -R`).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given the facts `Auto` looks at: whether stdout is
    /// a terminal, and the `NO_COLOR` and `TERM` variables.
    pub fn decide(
        self,
        terminal: bool,
        no_color: Option<OsString>,
        term: Option<OsString>,
    ) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal
                    && no_color.is_none_or(|v| v.is_empty())
                    && term.is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// Text is never fitted narrower than this: the classic terminal, and what
/// a projector at a readable font size shows.
pub const MIN_WIDTH: usize = 80;

/// The width when stdout is not a terminal (a file, a pipe, a golden file):
/// the width the lab write-up has always been wrapped at, which an editor,
/// a pager and a GitHub code block all show without wrapping again.
pub const FILE_WIDTH: usize = 88;

/// How wide text for people may be: `COLUMNS` when the user set it (the
/// usual override), else the terminal's width, else [`FILE_WIDTH`]; never
/// less than [`MIN_WIDTH`].
pub fn width(columns_env: Option<&str>, terminal: Option<usize>) -> usize {
    columns_env
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or(terminal)
        .unwrap_or(FILE_WIDTH)
        .max(MIN_WIDTH)
}

/// The output settings of one run.
#[derive(Debug)]
pub struct Output {
    pub format: Format,
    pub tables: TableOptions,
    pub labels: Labels,
}

impl Output {
    /// Settings for writing to this process's stdout, coloured as `--color
    /// auto` decides and as wide as its terminal (see [`width`]).
    pub fn new(format: Format, view: ViewKind, max_rows: usize, labels: Labels) -> Self {
        let columns = std::env::var("COLUMNS").ok();
        Output {
            format,
            tables: TableOptions {
                view,
                color: false,
                max_rows,
                markdown: format == Format::Markdown,
                width: width(columns.as_deref(), crate::os::stdout_columns()),
            },
            labels,
        }
        .colored(ColorChoice::Auto)
    }

    /// The same settings, coloured as `choice` says. Only tables for people
    /// are ever coloured: Markdown, JSON and Mermaid are read by programs.
    pub fn colored(mut self, choice: ColorChoice) -> Self {
        let color = choice.decide(
            io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR"),
            std::env::var_os("TERM"),
        );
        self.tables.color = color && self.format == Format::Table;
        self
    }

    /// The language of the words (the labels carry it; see [`Labels`]).
    pub fn lang(&self) -> Lang {
        self.labels.lang()
    }

    /// The width text for people is fitted to.
    pub fn width(&self) -> usize {
        self.tables.width
    }

    /// A line about what happened on the port between two tables (a client
    /// left), in the output's format: a paragraph for people; nothing in
    /// JSON or Mermaid, which say it with a snapshot instead (see
    /// [`Output::snapshot_on_every_change`]).
    pub fn event_line(&self, line: &str) -> String {
        match self.format {
            Format::Table | Format::Markdown => view::prose(line, &self.tables),
            Format::Json | Format::Mermaid => String::new(),
        }
    }

    /// Lines for people (what a client sent and got back): on stdout with
    /// tables and Markdown; on stderr with JSON and Mermaid, whose stdout a
    /// program reads line by line. Returns `Ok(false)` as [`print`] does.
    pub fn print_prose(&self, text: &str) -> io::Result<bool> {
        match self.format {
            Format::Table | Format::Markdown => print(text),
            Format::Json | Format::Mermaid => {
                crate::os::stderr::line(text.trim_end());
                Ok(true)
            }
        }
    }

    /// Whether every change on the port (a departure too, not only an
    /// accept) gets a snapshot: in JSON and Mermaid the snapshot is the only
    /// way to say it; people get a line ([`Output::event_line`]).
    pub fn snapshot_on_every_change(&self) -> bool {
        matches!(self.format, Format::Json | Format::Mermaid)
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
                out.write_all(view::underlined(heading, '=', self.width()).as_bytes())?;
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
        let lang = self.lang();
        let heading = lang::tables::client_side_heading(lang, port);
        let body = || {
            format!(
                "{}{}",
                view::socket_tables(snapshot, &self.tables, &self.labels),
                view::prose(view::mirror_line(snapshot, lang).trim_end(), &self.tables)
            )
        };
        match self.format {
            Format::Json => view::json::Object::new(snapshot, &self.labels).to_line(),
            Format::Table | Format::Mermaid => {
                format!(
                    "{}{}",
                    view::underlined(&heading, '=', self.width()),
                    body()
                )
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
        let line = lang::capture::line(self.lang(), &evidence.sentence(self.lang(), sockets));
        format!(
            "{}{table}\n{}",
            view::underlined(heading, '=', self.width()),
            view::prose(&line, &self.tables)
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

/// A message about the run, for stderr: `sameport: ` first, wrapped to fit
/// [`MIN_WIDTH`] columns (stderr is often the terminal when stdout is not),
/// the lines after the first indented by two spaces.
pub fn message(text: &str) -> String {
    crate::words::message(text)
}

/// Prints [`message`] on stderr.
pub fn say(text: &str) {
    crate::os::stderr::line(&message(text));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn var(v: &str) -> Option<OsString> {
        Some(OsString::from(v))
    }

    /// `--color auto` colours a terminal only, and not when NO_COLOR is set
    /// or the terminal is dumb; `always` and `never` mean what they say.
    #[test]
    fn colour_is_decided_by_the_flag_the_terminal_and_the_environment() {
        let auto = ColorChoice::Auto;
        assert!(auto.decide(true, None, var("xterm-256color")));
        assert!(
            auto.decide(true, var(""), None),
            "an empty NO_COLOR is unset"
        );
        assert!(!auto.decide(false, None, var("xterm")), "not a terminal");
        assert!(!auto.decide(true, var("1"), var("xterm")), "NO_COLOR");
        assert!(!auto.decide(true, None, var("dumb")), "TERM=dumb");
        assert!(ColorChoice::Always.decide(false, var("1"), var("dumb")));
        assert!(!ColorChoice::Never.decide(true, None, var("xterm")));
    }

    /// The terminal's width, COLUMNS over it, 88 into a file; never under 80.
    #[test]
    fn width_is_the_terminal_s_and_at_least_80() {
        assert_eq!(width(None, Some(132)), 132);
        assert_eq!(width(None, Some(60)), MIN_WIDTH);
        assert_eq!(width(None, None), FILE_WIDTH);
        assert_eq!(width(Some("100"), Some(132)), 100);
        assert_eq!(width(Some("wide"), Some(132)), 132);
        assert_eq!(width(Some("0"), None), FILE_WIDTH);
    }
}
