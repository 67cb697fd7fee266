//! Prose around the tables: wrapping at the terminal's width, underlining a
//! heading as wide as it is on screen (Hangul takes two columns), the words
//! for outcomes and notes, and bytes shown as text.

use crate::claim::verdict::Outcome;
use crate::kernel::Note;
use crate::lang::{self, Lang};

use super::options::TableOptions;

/// A note in words: `note: 2 processes could not be read ...`.
pub fn note_line(note: &Note, lang: Lang) -> String {
    format!("{}: {}", lang::notes::label(lang), note_text(note, lang))
}

/// What a note says, in `lang` (also the JSON `notes[]` strings).
pub fn note_text(note: &Note, lang: Lang) -> String {
    match note {
        Note::Unreadable { processes, sockets } => {
            lang::notes::unreadable(lang, *processes, *sockets)
        }
        Note::NoProcessList { path, error } => lang::notes::no_process_list(lang, path, error),
        Note::SocketsUnreadable { sockets, first } => {
            lang::notes::sockets_unreadable(lang, *sockets, first)
        }
        Note::ClientSideOnly { port } => lang::notes::client_side_only(lang, *port),
    }
}

/// A paragraph of prose, wrapped to the width (not in Markdown, which its
/// renderer lays out), ending in a newline.
pub fn prose(text: &str, options: &TableOptions) -> String {
    let text = text.trim_end_matches('\n');
    if options.markdown {
        format!("{text}\n")
    } else {
        format!("{}\n", wrap(text, options.width))
    }
}

/// A heading wrapped at `width` (like prose) and underlined with `rule`
/// across its widest line, as the eye sees it: `Title\n=====\n`.
pub fn underlined(title: &str, rule: char, width: usize) -> String {
    let title = wrap(title, width);
    format!("{title}\n{}\n", underline(&title, rule))
}

/// Wraps `text` at spaces so that no line is wider than `width` columns. A
/// word longer than the width (an IPv6 address with its port) stays whole
/// on a line of its own: cutting it would change what it says. Colour codes
/// take no columns; lines already broken stay broken.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width.max(1));
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut column = 0;
        for word in line.split(' ') {
            let len = display_width(word);
            if column > 0 && column + 1 + len > width {
                out.push('\n');
                column = 0;
            } else if column > 0 {
                out.push(' ');
                column += 1;
            }
            out.push_str(word);
            column += len;
        }
    }
    out
}

/// The columns `text` takes on a terminal, less the ANSI colour codes
/// (`ESC [ ... m`), which take none.
///
/// Columns, not characters: a Hangul syllable (or any East Asian wide
/// character) takes two columns, so `"포트"` is 4 columns wide though it is
/// 2 characters (and 6 bytes). Counting characters would make a Korean
/// heading's underline half as long as the heading, and wrap Korean prose
/// past the edge of the screen. The widths are Unicode's (East Asian Width),
/// through the `unicode-width` crate, as terminals use them.
pub fn display_width(text: &str) -> usize {
    use unicode_width::UnicodeWidthChar;
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Skip to the end of the escape sequence.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            width += c.width().unwrap_or(0);
        }
    }
    width
}

/// A line of `rule` characters as wide on screen as the widest line of
/// `heading` (`=====` under a title, `-----` under a step).
pub fn underline(heading: &str, rule: char) -> String {
    let width = heading.lines().map(display_width).max().unwrap_or(0);
    rule.to_string().repeat(width)
}

/// The one-word outcome: HOLDS, FAILS, NOT ENOUGH EVIDENCE (성립, 불성립,
/// 증거 부족).
pub fn outcome_word(outcome: Outcome, lang: Lang) -> &'static str {
    match outcome {
        Outcome::Holds => lang::verdict::holds_word(lang),
        Outcome::Fails => lang::verdict::fails_word(lang),
        Outcome::NotEnoughEvidence => lang::verdict::not_enough_word(lang),
    }
}

/// Bytes as a quoted string, invalid UTF-8 and control characters escaped.
pub fn show(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}
