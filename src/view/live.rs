//! The live terminal view (`serve --live`): one screen, redrawn in place, like
//! `watch` or TCPView, instead of a table printed after every accept.
//!
//! Two pure pieces, so that tests can drive them with hand-built snapshots
//! and a clock of their own:
//!
//! * [`Changes`] remembers which rows appeared and which disappeared at a
//!   refresh, and for how long to mark them `NEW` and `CLOSED` (at least
//!   [`BADGE`], so a burst of refreshes does not wipe the marks before
//!   anyone can read them). The live page does the same in its script.
//! * [`screen`] lays out the verdict and the netstat-style rows to fit a
//!   terminal of a given size, down to 80 columns: addresses that do not
//!   fit lose their beginning (the port, the point, stays), names lose their
//!   end.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::claim::snapshot::{Role, Row, Snapshot};
use crate::claim::verdict::{Outcome, Verdict};
use crate::kernel::Proto;
use crate::lang::{self, Lang};
use crate::view::labels::Labels;
use crate::view::text::display_width;

/// How long a row stays marked NEW or CLOSED, at least.
pub const BADGE: Duration = Duration::from_secs(3);

/// A row's identity across refreshes: its protocol and its two ends (a
/// TCP connection *is* its 4-tuple).
type Key = (Proto, SocketAddr, Option<SocketAddr>);

fn key(row: &Row) -> Key {
    (row.socket.proto, row.socket.local, row.socket.remote)
}

/// What changed between refreshes, and until when to say so.
#[derive(Debug, Default)]
pub struct Changes {
    /// Rows of the last snapshot, with when they appeared (`None`: they were
    /// there at the first refresh, which is not news).
    appeared: HashMap<Key, Option<Instant>>,
    /// Rows gone at some refresh, with when they went.
    vanished: Vec<(Row, Instant)>,
    /// The rows of the last snapshot (to show the ones that go).
    last_rows: Vec<Row>,
    started: bool,
}

/// How a row is marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    None,
    New,
    Closed,
}

impl Mark {
    /// The badge's word, the live page's own (NEW, 새 연결).
    fn text(self, lang: Lang) -> &'static str {
        let badges = lang::web::page(lang).script.badges;
        match self {
            Mark::None => "",
            Mark::New => badges.word(lang::web::Mark::New),
            Mark::Closed => badges.word(lang::web::Mark::Closed),
        }
    }
}

impl Changes {
    pub fn new() -> Self {
        Changes::default()
    }

    /// Takes in the rows of a new refresh.
    pub fn update(&mut self, snapshot: &Snapshot, now: Instant) {
        let mut appeared = HashMap::with_capacity(snapshot.rows.len());
        for row in &snapshot.rows {
            let k = key(row);
            let since = match self.appeared.get(&k) {
                Some(since) => *since,
                None if self.started => Some(now),
                None => None,
            };
            appeared.insert(k, since);
        }
        self.vanished
            .retain(|(row, _)| !appeared.contains_key(&key(row)));
        if self.started {
            let gone = self.appeared.keys().filter(|k| !appeared.contains_key(*k));
            let gone: Vec<Key> = gone.copied().collect();
            if !gone.is_empty() {
                for row in &self.last_rows {
                    if gone.contains(&key(row)) {
                        self.vanished.push((row.clone(), now));
                    }
                }
            }
        }
        self.last_rows = snapshot.rows.clone();
        self.appeared = appeared;
        self.started = true;
    }

    /// The mark of a current row at `now`.
    pub fn mark(&self, row: &Row, now: Instant) -> Mark {
        match self.appeared.get(&key(row)) {
            Some(Some(since)) if now.duration_since(*since) < BADGE => Mark::New,
            _ => Mark::None,
        }
    }

    /// Rows gone recently enough to be shown as CLOSED at `now`.
    pub fn closed(&self, now: Instant) -> impl Iterator<Item = &Row> {
        self.vanished
            .iter()
            .filter(move |(_, at)| now.duration_since(*at) < BADGE)
            .map(|(row, _)| row)
    }

    /// Forgets CLOSED rows whose time is over.
    pub fn expire(&mut self, now: Instant) {
        self.vanished
            .retain(|(_, at)| now.duration_since(*at) < BADGE);
    }

    /// How long until the next mark changes, if any is shown.
    pub fn next_change(&self, now: Instant) -> Option<Duration> {
        let new = self.appeared.values().flatten();
        let gone = self.vanished.iter().map(|(_, at)| at);
        new.chain(gone)
            .map(|t| (*t + BADGE).saturating_duration_since(now))
            .filter(|d| !d.is_zero())
            .min()
    }
}

/// What the screen shows, besides the snapshot.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// Columns and lines of the terminal.
    pub width: usize,
    pub height: usize,
    /// Colour the marks and the verdict (a terminal without NO_COLOR).
    pub color: bool,
}

/// The narrowest screen laid out properly.
pub const MIN_WIDTH: usize = 80;

const HEADERS: [&str; 6] = [
    "Proto",
    "Local Address",
    "Foreign Address",
    "State",
    "PID/Program name",
    "",
];
/// Columns that may shrink, with the least each keeps, in the order they
/// give up room: the program first, then the addresses.
const SHRINK: [(usize, usize); 3] = [(4, 12), (2, 15), (1, 15)];
const GAP: &str = "  ";
/// The most lines the verdict takes.
const VERDICT_LINES: usize = 4;

/// The live page's address, for the screen: a teacher projecting
/// `serve --live` shows it to the class (the lines printed before the
/// screen took over are hidden under it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageLink {
    /// The first address (under `--redact`, with its placeholder).
    pub url: String,
    /// Its QR code as lines of text (`None` under `--redact`).
    pub qr: Option<String>,
}

/// Where the QR code goes, if anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QrPlace {
    /// To the right of the verdict and the table, this many columns wide.
    Beside(usize),
    /// Under the legend, this many lines tall.
    Below(usize),
    /// Nowhere: the terminal is too small.
    TooSmall,
    /// There is none (`--redact`, or no page).
    None,
}

/// Lines besides the verdict and the rows: header, address, blank, column
/// names, the "more rows" line and the legend.
const FIXED_LINES: usize = 6;

/// The screen, one string per line, each at most `frame.width` columns
/// (not counting colour codes), at most `frame.height` lines: the table,
/// and if the page is on, its address under the header and its QR code
/// beside or under the table when the terminal has room for it.
pub fn screen(
    snapshot: &Snapshot,
    verdict: &Verdict,
    changes: &Changes,
    now: Instant,
    frame: Frame,
    labels: &Labels,
    page: Option<&PageLink>,
) -> Vec<String> {
    let Some(page) = page else {
        return table_screen(snapshot, verdict, changes, now, frame, labels);
    };
    let qr: Vec<&str> = page
        .qr
        .as_deref()
        .map_or(Vec::new(), |q| q.lines().collect());
    let qr_width = qr.iter().map(|l| display_width(l)).max().unwrap_or(0);
    let place = if qr.is_empty() {
        QrPlace::None
    } else if frame.width >= MIN_WIDTH + GAP.len() + qr_width && frame.height >= 2 + qr.len() {
        QrPlace::Beside(qr_width)
    } else if frame.height >= FIXED_LINES + VERDICT_LINES + 1 + qr.len() + 3 {
        QrPlace::Below(qr.len())
    } else {
        QrPlace::TooSmall
    };
    let inner = Frame {
        width: match place {
            QrPlace::Beside(w) => frame.width - GAP.len() - w,
            _ => frame.width,
        },
        // The address takes a line; the code under the table, a blank
        // line and its own.
        height: frame.height.saturating_sub(match place {
            QrPlace::Below(h) => 2 + h,
            _ => 1,
        }),
        ..frame
    };
    let mut lines = table_screen(snapshot, verdict, changes, now, inner, labels);
    let lang = labels.lang();
    let address = lang::serve::live_page_line(lang, &page.url);
    let hint = lang::serve::live_qr_too_small(lang);
    let address = if place == QrPlace::TooSmall
        && display_width(&address) + GAP.len() + display_width(hint) <= frame.width
    {
        format!("{address}{GAP}{hint}")
    } else {
        address
    };
    lines.insert(1.min(lines.len()), fit_end(&address, frame.width));
    match place {
        QrPlace::Beside(_) => {
            // The code starts under the address, beside the verdict.
            while lines.len() < 2 + qr.len() {
                lines.push(String::new());
            }
            for (line, code) in lines.iter_mut().skip(2).zip(&qr) {
                let pad = inner.width.saturating_sub(display_width(line));
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(GAP);
                line.push_str(code);
            }
        }
        QrPlace::Below(_) => {
            lines.push(String::new());
            lines.extend(qr.iter().map(|l| l.to_string()));
        }
        QrPlace::TooSmall | QrPlace::None => {}
    }
    lines.truncate(frame.height.max(1));
    lines
}

/// The header, the verdict and the rows, laid out in `frame`.
fn table_screen(
    snapshot: &Snapshot,
    verdict: &Verdict,
    changes: &Changes,
    now: Instant,
    frame: Frame,
    labels: &Labels,
) -> Vec<String> {
    let width = frame.width.max(20);
    let mut lines = Vec::new();
    let lang = labels.lang();
    lines.push(fit_end(
        &lang::serve::live_header(lang, snapshot.proto, snapshot.port, snapshot.rows.len()),
        width,
    ));
    let word = super::outcome_word(verdict.outcome, lang);
    // Bold, and green or red (standard, not bright: they read on white);
    // "not enough evidence" is a fact, not an alarm: bold alone.
    let paint = match verdict.outcome {
        Outcome::Holds => "1;32",
        Outcome::NotEnoughEvidence => "1",
        Outcome::Fails => "1;31",
    };
    let explanation = verdict.explanation(lang, &|a| labels.addr(a));
    let verdict_text = format!("{}: {word}. {explanation}", lang::verdict::label(lang));
    let mut verdict_lines = wrap(&verdict_text, width);
    if verdict_lines.len() > VERDICT_LINES {
        // Say that the rest is cut, rather than end mid-sentence.
        verdict_lines.truncate(VERDICT_LINES);
        if let Some(last) = verdict_lines.last_mut() {
            let kept = fit_end(last, width.saturating_sub(2));
            *last = format!("{} …", kept.trim_end_matches('…'));
        }
    }
    if let Some(first) = verdict_lines.first_mut()
        && frame.color
    {
        *first = first.replacen(word, &format!("\x1b[{paint}m{word}\x1b[0m"), 1);
    }
    lines.extend(verdict_lines);
    lines.push(String::new());

    // The rows: the snapshot's, then those closed since the last refresh.
    let mut rows: Vec<(&Row, Mark)> = snapshot
        .rows
        .iter()
        .map(|row| (row, changes.mark(row, now)))
        .collect();
    rows.extend(changes.closed(now).map(|row| (row, Mark::Closed)));
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|(row, mark)| cells(row, *mark, labels))
        .collect();
    let widths = column_widths(&cells, width, lang);

    let legend = lang::serve::live_legend(lang);
    // Title, verdict, blank, header, legend: the rest is for rows.
    let room = frame.height.saturating_sub(lines.len() + 2).max(1);
    lines.push(layout(&HEADERS.map(String::from), &widths, width));
    let shown = if rows.len() > room {
        room - 1
    } else {
        rows.len()
    };
    for (cells, (_, mark)) in cells.iter().zip(&rows).take(shown) {
        let mut line = layout(cells, &widths, width);
        if frame.color && *mark != Mark::None {
            let paint = if *mark == Mark::New { "32" } else { "31" };
            let text = mark.text(lang);
            if let Some(at) = line.rfind(text) {
                line.replace_range(
                    at..at + text.len(),
                    &format!("\x1b[1;{paint}m{text}\x1b[0m"),
                );
            }
        }
        lines.push(line);
    }
    if shown < rows.len() {
        lines.push(fit_end(
            &lang::serve::live_more_rows(lang, rows.len() - shown, snapshot.port),
            width,
        ));
    }
    lines.push(fit_end(legend, width));
    lines.truncate(frame.height.max(1));
    lines
}

/// The six cells of a row.
fn cells(row: &Row, mark: Mark, labels: &Labels) -> [String; 6] {
    let s = &row.socket;
    let program = match s.holders.first() {
        Some(h) => match labels.pid(h) {
            Some(pid) => format!("{pid}/{}", h.process.as_deref().unwrap_or("-")),
            // A PID the OS does not know is `-`, never `0/-`.
            None => "-".to_string(),
        },
        None => "-".to_string(),
    };
    let state = if row.role == Role::Server {
        String::new()
    } else {
        s.state.name().to_string()
    };
    [
        s.proto.netstat_name(s.is_ipv6()).to_string(),
        labels.addr(s.local),
        labels.remote(s),
        state,
        program,
        mark.text(labels.lang()).to_string(),
    ]
}

/// Column widths: each as wide as its widest cell, then narrowed (see
/// [`SHRINK`]) until the line fits `width`.
fn column_widths(rows: &[[String; 6]], width: usize, lang: Lang) -> [usize; 6] {
    let mut widths = HEADERS.map(display_width);
    widths[5] = display_width(Mark::New.text(lang)).max(display_width(Mark::Closed.text(lang)));
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(cell));
        }
    }
    let total = |w: &[usize; 6]| w.iter().sum::<usize>() + GAP.len() * 5;
    for (column, least) in SHRINK {
        let over = total(&widths).saturating_sub(width);
        if over == 0 {
            break;
        }
        let give = over.min(widths[column].saturating_sub(least));
        widths[column] -= give;
    }
    widths
}

/// One line of cells, padded to the column widths; addresses keep their
/// end, other cells their beginning.
fn layout(cells: &[String; 6], widths: &[usize; 6], width: usize) -> String {
    let mut line = String::new();
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str(GAP);
        }
        let text = if i == 1 || i == 2 {
            fit_start(cell, *w)
        } else {
            fit_end(cell, *w)
        };
        line.push_str(&text);
        if i < 5 {
            line.extend(std::iter::repeat_n(
                ' ',
                w.saturating_sub(display_width(&text)),
            ));
        }
    }
    fit_end(line.trim_end(), width)
}

/// The columns a character takes on a terminal (Hangul: 2).
fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `text`, cut at the end with `…` if wider than `width` columns (Hangul
/// takes two columns a syllable; no syllable is cut in half).
fn fit_end(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_string();
    }
    let mut cut: String = fitting(text.chars(), width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text`, cut at the start with `…` if wider than `width` columns.
fn fit_start(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_string();
    }
    let kept: Vec<char> = fitting(text.chars().rev(), width.saturating_sub(1)).collect();
    let mut cut = String::from("…");
    cut.extend(kept.into_iter().rev());
    cut
}

/// The first of `chars` that fit in `room` columns together.
fn fitting(chars: impl Iterator<Item = char>, room: usize) -> impl Iterator<Item = char> {
    let mut used = 0;
    chars.take_while(move |&c| {
        used += char_width(c);
        used <= room
    })
}

/// Prose wrapped at spaces to `width` columns as the terminal counts them
/// ([`crate::view::text::wrap`]); a word wider than a line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    crate::view::text::wrap(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
        width,
    )
    .lines()
    .map(|l| fit_end(l, width))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::verdict::judge;
    use crate::testing::{accepted, listener, snapshot};

    fn frame(width: usize, height: usize) -> Frame {
        Frame {
            width,
            height,
            color: false,
        }
    }

    #[test]
    fn new_rows_and_closed_rows_are_marked_for_a_while() {
        let t0 = Instant::now();
        let mut changes = Changes::new();
        let first = snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
            ],
        );
        changes.update(&first, t0);
        assert!(first.rows.iter().all(|r| changes.mark(r, t0) == Mark::None));
        let second = snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.3:50427"),
            ],
        );
        let t1 = t0 + Duration::from_secs(1);
        changes.update(&second, t1);
        assert_eq!(changes.mark(&second.rows[1], t1), Mark::New);
        assert_eq!(changes.mark(&second.rows[0], t1), Mark::None);
        let closed: Vec<&Row> = changes.closed(t1).collect();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].socket.remote.unwrap().port(), 50426);
        assert_eq!(changes.next_change(t1), Some(BADGE));
        // A burst of refreshes does not wipe the marks ...
        changes.update(&second, t1 + Duration::from_millis(50));
        assert_eq!(
            changes.mark(&second.rows[1], t1 + Duration::from_millis(50)),
            Mark::New
        );
        assert_eq!(changes.closed(t1 + Duration::from_millis(50)).count(), 1);
        // ... but time does.
        let later = t1 + BADGE;
        assert_eq!(changes.mark(&second.rows[1], later), Mark::None);
        assert_eq!(changes.closed(later).count(), 0);
        // A row that comes back is no longer closed.
        changes.update(&first, later);
        assert_eq!(changes.closed(later).count(), 1, "50427 went");
        assert_eq!(changes.mark(&first.rows[1], later), Mark::New);
    }

    #[test]
    fn the_screen_fits_80_columns_even_with_long_addresses() {
        let mut rows = vec![listener("[::]:12000")];
        for i in 0..30u16 {
            rows.push(accepted(
                "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:12000",
                &format!("[2001:db8:1111:2222:3333:4444:5555:{i:x}]:{}", 40000 + i),
            ));
        }
        for row in &mut rows {
            row.holders[0].process = Some("a-server-with-a-very-long-name".into());
        }
        let snap = snapshot(12000, rows);
        let mut changes = Changes::new();
        changes.update(&snap, Instant::now());
        let lines = screen(
            &snap,
            &judge(&snap),
            &changes,
            Instant::now(),
            frame(80, 24),
            &Labels::plain(),
            None,
        );
        assert!(lines.len() <= 24);
        for line in &lines {
            assert!(
                line.chars().count() <= 80,
                "{} columns: {line}",
                line.chars().count()
            );
        }
        assert!(lines[1].starts_with("Verdict: HOLDS."), "{lines:#?}");
        // A verdict too long for its lines says that it was cut.
        assert!(lines[VERDICT_LINES].ends_with(" …"), "{lines:#?}");
        // The port survives the cut.
        assert!(lines.iter().filter(|l| l.contains(":12000")).count() >= 10);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("more rows, every one on local port 12000"))
        );
    }

    /// Hangul takes two columns: the Korean verdict is wrapped and cut by
    /// the columns it takes, and every word is Korean.
    #[test]
    fn the_korean_screen_fits_80_columns() {
        let mut rows = vec![listener("0.0.0.0:12000")];
        for i in 0..30u16 {
            rows.push(accepted(
                "127.0.0.1:12000",
                &format!("127.0.{}.{}:{}", i / 10, 2 + i, 40000 + i),
            ));
        }
        let snap = snapshot(12000, rows);
        let t0 = Instant::now();
        let mut changes = Changes::new();
        changes.update(&snapshot(12000, vec![listener("0.0.0.0:12000")]), t0);
        changes.update(&snap, t0);
        let labels = Labels::plain().in_lang(Lang::Ko);
        let lines = screen(
            &snap,
            &judge(&snap),
            &changes,
            t0,
            frame(80, 24),
            &labels,
            None,
        );
        for line in &lines {
            assert!(display_width(line) <= 80, "{}: {line}", display_width(line));
        }
        assert!(lines[1].starts_with("판정: 성립."), "{lines:#?}");
        let text = lines.join("\n");
        assert!(text.contains("새 연결"), "{text}");
        assert!(text.contains("그 밖에 행"), "{text}");
        assert!(
            !text.contains("NEW") && !text.contains("more rows"),
            "{text}"
        );
    }

    #[test]
    fn marks_are_text_and_the_table_reads_like_netstat() {
        let t0 = Instant::now();
        let before = snapshot(12000, vec![listener("0.0.0.0:12000")]);
        let after = snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
            ],
        );
        let mut changes = Changes::new();
        changes.update(&before, t0);
        changes.update(&after, t0);
        let lines = screen(
            &after,
            &judge(&after),
            &changes,
            t0,
            frame(100, 30),
            &Labels::plain(),
            None,
        );
        let text = lines.join("\n");
        assert!(text.contains("Local Address"), "{text}");
        let row = lines
            .iter()
            .find(|l| l.contains("127.0.0.2:50426"))
            .unwrap();
        assert!(row.ends_with("NEW"), "{row}");
        assert!(row.starts_with("tcp    127.0.0.1:12000"), "{row}");
        assert!(text.contains("NOT ENOUGH EVIDENCE"));
    }
}
