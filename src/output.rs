//! Where and how results are written.
//!
//! Results go to stdout; messages about the run (listening on ..., stopped
//! ...) go to stderr, so `--format json` output can be piped into `jq`
//! untouched. A closed pipe (`sameport inspect | head -1`) is not an error:
//! the reader has what it wanted.

use std::io::{self, IsTerminal, Write};

use serde_json::{Map, Value};

use crate::claim::snapshot::Snapshot;
use crate::claim::verdict::Verdict;
use crate::view::labels::Labels;
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
        match self.format {
            Format::Table => {
                let rule = "=".repeat(heading.chars().count().min(100));
                format!(
                    "{heading}\n{rule}\n{}",
                    view::tables(snapshot, verdict, &self.tables, &self.labels)
                )
            }
            Format::Markdown => format!(
                "## {heading}\n\n{}\n",
                view::tables(snapshot, verdict, &self.tables, &self.labels)
            ),
            Format::Mermaid => view::mermaid::diagram(snapshot, &self.labels),
            Format::Json => {
                let mut object: Map<String, Value> = Map::new();
                if let Some(event) = event {
                    object.insert("event".into(), event);
                }
                object.extend(view::json::snapshot(snapshot, verdict, &self.labels));
                format!("{}\n", Value::Object(object))
            }
        }
    }
}

/// Writes `text` to stdout and flushes it. Returns `Ok(false)` when stdout is
/// a closed pipe: the caller should stop writing and exit successfully.
pub fn print(text: &str) -> io::Result<bool> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}
