//! A lab write-up: numbered steps of prose, tables and a verdict, written as
//! plain text, Markdown, JSON lines or Mermaid diagrams.
//!
//! The demo decides what happened (it owns the sockets); this module only
//! writes it down, so the same experiment reads the same in every format.

use std::fmt::Write;

use serde_json::{Value, json};

use super::capture as capture_view;
use super::{
    TableOptions, json as json_view, mermaid, outcome_word, socket_tables, underlined,
    verdict_line, wrap,
};
use crate::capture::{CaptureEvidence, Segment};
use crate::claim::snapshot::Snapshot;
use crate::claim::verdict::Verdict;
use crate::lang;
use crate::view::labels::Labels;

/// The whole write-up.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub title: String,
    pub sections: Vec<Section>,
    /// Paragraphs after the last section (the TCP/UDP contrast).
    pub conclusion: Vec<String>,
}

/// One experiment (TCP, UDP, the textbook figure).
#[derive(Clone, Debug)]
pub struct Section {
    /// `tcp`, `udp` or `textbook`: the `section` field of each JSON line.
    pub name: &'static str,
    pub title: String,
    pub steps: Vec<Step>,
    /// The server's side at the end, which the Mermaid view draws.
    pub diagram: Option<Snapshot>,
}

/// One step: what was done, and the table that shows it.
#[derive(Clone, Debug)]
pub struct Step {
    pub title: String,
    pub text: String,
    pub snapshot: Option<Snapshot>,
    /// Set on the step that concludes a section.
    pub verdict: Option<Verdict>,
    /// What a packet capture saw (`--capture`).
    pub capture: Option<CaptureStep>,
}

impl Step {
    /// A step that shows the port's table.
    pub fn table(title: impl Into<String>, text: impl Into<String>, snapshot: Snapshot) -> Step {
        Step {
            snapshot: Some(snapshot),
            ..Step::prose(title, text)
        }
    }

    /// A step of prose alone.
    pub fn prose(title: impl Into<String>, text: impl Into<String>) -> Step {
        Step {
            title: title.into(),
            text: text.into(),
            snapshot: None,
            verdict: None,
            capture: None,
        }
    }
}

/// The segments captured during a section, and what they show.
#[derive(Clone, Debug)]
pub struct CaptureStep {
    pub segments: Vec<Segment>,
    pub evidence: CaptureEvidence,
    /// How many sockets the socket table shows serving the clients.
    pub sockets: usize,
}

pub fn text(report: &Report, options: &TableOptions, labels: &Labels) -> String {
    let mut out = String::new();
    let width = options.width;
    out.push_str(&underlined(&report.title, '=', width));
    for section in &report.sections {
        out.push('\n');
        out.push_str(&underlined(&section.title, '=', width));
        for (i, step) in section.steps.iter().enumerate() {
            out.push('\n');
            let heading = lang::demo::step_heading(labels.lang(), i + 1, &step.title);
            out.push_str(&underlined(&heading, '-', width));
            if !step.text.is_empty() {
                let _ = writeln!(out, "{}", wrap(&step.text, options.width));
                // A blank line before what follows the text in this step; a
                // step of prose alone gets its blank line from the next step.
                let more =
                    step.snapshot.is_some() || step.capture.is_some() || step.verdict.is_some();
                if more {
                    out.push('\n');
                }
            }
            if let Some(snapshot) = &step.snapshot {
                out.push_str(&socket_tables(snapshot, options, labels));
            }
            if let Some(capture) = &step.capture {
                out.push_str(&capture_view::table(&capture.segments, labels, false));
                let _ = writeln!(
                    out,
                    "\n{}",
                    wrap(
                        &capitalized(&capture.evidence.sentence(labels.lang(), capture.sockets)),
                        options.width
                    )
                );
            }
            if let Some(verdict) = &step.verdict {
                let _ = writeln!(
                    out,
                    "{}",
                    wrap(&verdict_line(verdict, labels, options.color), options.width)
                );
            }
        }
    }
    for paragraph in &report.conclusion {
        let _ = write!(out, "\n{}\n", wrap(paragraph, options.width));
    }
    out
}

pub fn markdown(report: &Report, options: &TableOptions, labels: &Labels) -> String {
    let mut out = format!("# {}\n", report.title);
    for section in &report.sections {
        blank_line(&mut out);
        let _ = writeln!(out, "## {}", section.title);
        for (i, step) in section.steps.iter().enumerate() {
            blank_line(&mut out);
            let heading = lang::demo::step_heading(labels.lang(), i + 1, &step.title);
            let _ = write!(out, "### {heading}\n\n");
            if !step.text.is_empty() {
                let _ = write!(out, "{}\n\n", step.text);
            }
            if let Some(snapshot) = &step.snapshot {
                out.push_str(&socket_tables(snapshot, options, labels));
            }
            if let Some(capture) = &step.capture {
                out.push_str(&capture_view::table(&capture.segments, labels, true));
                let _ = write!(
                    out,
                    "\n{}\n\n",
                    capitalized(&capture.evidence.sentence(labels.lang(), capture.sockets))
                );
            }
            if let Some(verdict) = &step.verdict {
                let lang = labels.lang();
                let explanation = verdict.explanation(lang, &|a| labels.addr(a));
                let _ = writeln!(
                    out,
                    "**{}: {}.** {explanation}",
                    lang::verdict::label(lang),
                    outcome_word(verdict.outcome, lang)
                );
            }
        }
    }
    for paragraph in &report.conclusion {
        blank_line(&mut out);
        let _ = writeln!(out, "{paragraph}");
    }
    out
}

/// Ends `out` with exactly one blank line (Markdown separates blocks by them).
fn blank_line(out: &mut String) {
    while out.ends_with("\n\n") {
        out.pop();
    }
    out.push('\n');
}

/// One JSON object per step, one per line, then one per conclusion.
pub fn json_lines(report: &Report, labels: &Labels) -> String {
    let mut out = String::new();
    for section in &report.sections {
        for (i, step) in section.steps.iter().enumerate() {
            let mut object = serde_json::Map::new();
            object.insert("section".into(), json!(section.name));
            object.insert("step".into(), json!(i + 1));
            object.insert("title".into(), json!(step.title));
            object.insert("text".into(), json!(step.text));
            if let Some(snapshot) = &step.snapshot
                && let Value::Object(sockets) = json_view::sockets(snapshot, labels)
            {
                object.extend(sockets);
            }
            if let Some(capture) = &step.capture {
                let segments: Vec<Value> = capture
                    .segments
                    .iter()
                    .map(|s| capture_view::json(s, labels))
                    .collect();
                object.insert("capture".into(), Value::Array(segments));
                object.insert(
                    "capture_evidence".into(),
                    capture_view::evidence_json(&capture.evidence, capture.sockets, labels),
                );
            }
            if let Some(verdict) = &step.verdict {
                object.insert("verdict".into(), json_view::verdict_json(verdict, labels));
            }
            let _ = writeln!(out, "{}", Value::Object(object));
        }
    }
    for paragraph in &report.conclusion {
        let _ = writeln!(
            out,
            "{}",
            json!({ "section": "conclusion", "text": paragraph })
        );
    }
    out
}

pub fn diagrams(report: &Report, labels: &Labels) -> String {
    let mut out = String::new();
    for section in &report.sections {
        if let Some(snapshot) = &section.diagram {
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}:\n", section.title);
            out.push_str(&mermaid::diagram(snapshot, labels));
        }
    }
    out
}

/// A sentence with its first letter capitalised.
fn capitalized(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
