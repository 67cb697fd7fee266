//! Prose around the tables: wrapping at the terminal's width, underlining a
//! heading as wide as it is on screen (Hangul takes two columns), the words
//! for outcomes and notes, and bytes shown as text.

use crate::claim::verdict::Outcome;
use crate::kernel::Note;
use crate::lang::{self, Lang};

use super::options::TableOptions;

// Wrapping lives beside the counts, so that the servers' messages (in
// `net`, below this layer) wrap the same way.
pub use crate::words::{display_width, wrap};

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
