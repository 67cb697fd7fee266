//! English for counts: "1 client", "2 clients", "1 byte".
//!
//! A student reads "accepted 1 connections" as a bug in the tool, and then
//! trusts the rest of its output a little less. Every message that prints a
//! count builds the phrase here, so the singular is never forgotten.
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
}
