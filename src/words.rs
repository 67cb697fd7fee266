//! English for counts: "1 client", "2 clients", "1 byte".
//!
//! A student reads "accepted 1 connections" as a bug in the tool, and then
//! trusts the rest of its output a little less. Every message that prints a
//! count builds the phrase here, so the singular is never forgotten.
//!
//! Also the one way text is wrapped at a width ([`wrap`], [`message`]), which
//! every layer's messages share.
//!
//! This module imports nothing else from the crate, so any layer may use it.

/// `n` and the noun, singular for exactly one: `count(1, "client")` is
/// `"1 client"`, `count(3, "client")` is `"3 clients"`. For nouns whose plural
/// is not the singular plus `s`, see [`count_irregular`].
pub fn count<N: Number>(n: N, noun: &str) -> String {
    if n.is_one() {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `n` and the noun, with the plural given: `count_irregular(2, "process", "processes")`.
pub fn count_irregular<N: Number>(n: N, singular: &str, plural: &str) -> String {
    if n.is_one() {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// `"s"` unless `n` is one: for phrases where the count is not right before
/// the noun ("ports 50426, 50427").
pub fn s<N: Number>(n: N) -> &'static str {
    if n.is_one() { "" } else { "s" }
}

/// A verb after a count: `verb(1, "remains", "remain")`.
pub fn verb<'a, N: Number>(n: N, singular: &'a str, plural: &'a str) -> &'a str {
    if n.is_one() { singular } else { plural }
}

/// A whole number with a comma between each group of three digits, as the
/// messages write large counts: `thousands(14587)` is `"14,587"`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
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

/// A message for stderr: `sameport: TEXT`, wrapped at spaces to fit 80
/// columns, later lines indented by two spaces.
pub fn message(text: &str) -> String {
    let wrapped = wrap(&format!("sameport: {text}"), 78);
    wrapped.replace('\n', "\n  ")
}

/// The whole-number types counts come in (`usize` for lengths, `u64` for
/// totals).
pub trait Number: std::fmt::Display + Copy {
    fn is_one(self) -> bool;
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn is_one(self) -> bool {
                self == 1
            }
        }
    )*};
}
number!(u8, u16, u32, u64, usize, i32, i64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1u32, "client"), "1 client");
        assert_eq!(count(0u32, "client"), "0 clients");
        assert_eq!(count(2u64, "byte"), "2 bytes");
        assert_eq!(
            count_irregular(1u8, "worker process", "worker processes"),
            "1 worker process"
        );
        assert_eq!(
            count_irregular(3u8, "worker process", "worker processes"),
            "3 worker processes"
        );
        assert_eq!(verb(1, "remains", "remain"), "remains");
        assert_eq!(verb(0, "remains", "remain"), "remain");
    }

    #[test]
    fn thousands_are_grouped_by_three() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (14_587, "14,587"),
            (100_000, "100,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), text);
        }
    }
}
