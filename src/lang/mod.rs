//! The language sameport speaks: English or Korean, and every sentence it
//! says in each.
//!
//! A Korean class uses the Korean edition of Kurose & Ross, so a teacher
//! should be able to project sameport's output in Korean, in the book's
//! terms: 환영 소켓 (the welcoming socket), 연결 소켓 (a connection socket),
//! 다중화/역다중화, 4-튜플, 출발지/목적지 포트 번호.
//!
//! **Choosing the language.** `--lang en|ko` on any command; without it,
//! the locale decides, as for any Unix program: the first of `LC_ALL`,
//! `LC_MESSAGES` and `LANG` that is set and not empty ([`Lang::from_locale`]).
//! `ko`, `ko_KR.UTF-8` and the like mean Korean; anything else (`C`,
//! `POSIX`, `en_US.UTF-8` ...) means English.
//!
//! **The message table.** Every sentence is a function of this module's
//! submodules, one per area ([`demo`], [`verdict`], [`tables`], [`notes`],
//! [`capture`], [`diagram`], [`serve`], [`connect`], [`inspect`], [`scale`],
//! [`errors`], and the live page's [`web`]), and each function `match`es on
//! [`Lang`] with one arm per language and no wildcard (the page's words are
//! one struct per language, whose literal must name every field). A
//! language added to [`Lang`] therefore fails the build at every sentence
//! not yet written in it; a sentence cannot be forgotten, and its arguments
//! are checked by the compiler like any call.
//!
//! Why code and not a catalogue of strings (rust-i18n, Fluent): the two
//! languages do not differ only in words. Korean puts the verb last, counts
//! with a counter and no plural ("클라이언트 3개", never "3 clients"), and
//! chooses a particle by the sound the word before it ends in (포트**는**,
//! 소켓**은**). A sentence is a small function of its values in each language,
//! which a format string with named holes expresses badly and a compiler
//! cannot check; here both are ordinary `format!` calls side by side.
//!
//! **Writing Korean sentences with values in them.** A particle after a
//! number or an address would depend on how the value is read aloud, so the
//! Korean sentences put a counter or a noun after every value (`12000번
//! 포트는`, `소켓 3개가`, `{addr}에서`), after which the particle is fixed. The
//! program's own messages on stderr are polite (합니다체), as Korean software
//! speaks to its user; the write-up on stdout is in the plain style of a
//! textbook (한다체), like docs/lesson.ko.md.
//!
//! **Where the language comes from.** Output for stdout (tables, the
//! write-up, JSON text fields) is written with the language carried by
//! [`crate::view::labels::Labels`], so the views stay pure functions and a
//! test can write both languages side by side. Error messages are made deep
//! below, in `net`, `capture` and `lab`, and written once at the top: their
//! `Display` reads the language of the run, set once in [`crate::cli`] before
//! anything can fail ([`set`], [`current`]). Threading a language through
//! every function that can fail would put it into every signature of the
//! networking code, which has no other use for it.
//!
//! This module imports nothing else from the crate, so every layer (the
//! kernel's errors too) may use it.

pub mod capture;
pub mod connect;
pub mod demo;
pub mod diagram;
pub mod errors;
pub mod inspect;
pub mod notes;
pub mod scale;
pub mod serve;
pub mod tables;
pub mod verdict;
pub mod web;

use std::ffi::OsStr;
use std::sync::OnceLock;

/// TCP or UDP, for the sentences that differ by protocol (this module
/// imports nothing from the crate; `kernel::Proto` converts into it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

impl std::fmt::Display for Transport {
    /// `TCP` or `UDP`, in every language.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        })
    }
}

/// The languages sameport writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (the default, and the language of `--help`).
    #[default]
    En,
    /// Korean, in the terms of the Korean edition of Kurose & Ross.
    Ko,
}

impl Lang {
    /// Every language, for tests that check each one.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The language `--lang` names: `en` or `ko`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The code `--lang` takes for this language.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language of a locale, from the values of `LC_ALL`, `LC_MESSAGES`
    /// and `LANG`, in that order: the first that is set and not empty
    /// decides (as POSIX says for messages). A locale names its language
    /// first, before `_`, `.` or `@` (`ko_KR.UTF-8`, `ko.UTF-8`, `ko`);
    /// Korean is `ko`, and anything else, `C` and `POSIX` included, is
    /// English.
    pub fn from_locale(
        lc_all: Option<&OsStr>,
        lc_messages: Option<&OsStr>,
        lang: Option<&OsStr>,
    ) -> Lang {
        let Some(locale) = [lc_all, lc_messages, lang]
            .into_iter()
            .flatten()
            .find(|value| !value.is_empty())
        else {
            return Lang::En;
        };
        // A locale that is not UTF-8 text is no locale we know: English.
        let locale = locale.to_str().unwrap_or("");
        let language = locale.split(['_', '.', '@']).next().unwrap_or("");
        if language == "ko" { Lang::Ko } else { Lang::En }
    }

    /// The language of this process's locale (see [`Lang::from_locale`]).
    pub fn from_environment() -> Lang {
        let var = std::env::var_os;
        Lang::from_locale(
            var("LC_ALL").as_deref(),
            var("LC_MESSAGES").as_deref(),
            var("LANG").as_deref(),
        )
    }

    /// The language a command line asks for with `--lang X` or `--lang=X`
    /// (the last one, as the parser takes it), looked at before the command
    /// line is parsed, so that a mistake in the rest of it is reported in
    /// that language. `None` when it names none (or no language we know:
    /// the parser then says so).
    pub fn from_args<S: AsRef<OsStr>>(args: &[S]) -> Option<Lang> {
        let mut found = None;
        let mut words = args.iter().map(|a| a.as_ref().to_str().unwrap_or(""));
        while let Some(word) = words.next() {
            if word == "--" {
                break; // what follows is not a flag
            }
            let value = match word.strip_prefix("--lang") {
                Some("") => words.next(),
                Some(rest) => rest.strip_prefix('='),
                None => None,
            };
            if let Some(lang) = value.and_then(Lang::from_code) {
                found = Some(lang);
            }
        }
        found
    }
}

/// The language of this run, for the messages made where no output settings
/// are at hand (errors). Set once, by [`set`].
static CURRENT: OnceLock<Lang> = OnceLock::new();

/// Sets the language of this run's messages. Only the first call counts:
/// `cli::main` makes it, before anything can fail.
pub fn set(lang: Lang) {
    let _ = CURRENT.set(lang);
}

/// The language of this run's messages: what [`set`] chose, or English
/// (in tests, which never set it, so that they can run side by side).
pub fn current() -> Lang {
    CURRENT.get().copied().unwrap_or_default()
}

/// `a, b or c` (English) or `a, b 또는 c` (Korean).
pub fn one_of(lang: Lang, values: &[String]) -> String {
    let or = match lang {
        Lang::En => "or",
        Lang::Ko => "또는",
    };
    match values {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {or} {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<&OsStr> {
        Some(OsStr::new(s))
    }

    /// The first of LC_ALL, LC_MESSAGES and LANG that is set and not empty
    /// decides; `ko...` is Korean and everything else English.
    #[test]
    fn the_locale_decides_in_posix_order() {
        assert_eq!(Lang::from_locale(None, None, os("ko_KR.UTF-8")), Lang::Ko);
        assert_eq!(Lang::from_locale(None, None, os("ko")), Lang::Ko);
        assert_eq!(Lang::from_locale(None, None, os("ko_KR@euro")), Lang::Ko);
        assert_eq!(Lang::from_locale(None, None, os("C")), Lang::En);
        assert_eq!(Lang::from_locale(None, None, os("POSIX")), Lang::En);
        assert_eq!(Lang::from_locale(None, None, os("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(None, None, os("kok_IN")), Lang::En);
        assert_eq!(Lang::from_locale(None, None, None), Lang::En);
        // LC_ALL beats LC_MESSAGES beats LANG; an empty one is unset.
        assert_eq!(
            Lang::from_locale(os("C"), None, os("ko_KR.UTF-8")),
            Lang::En
        );
        assert_eq!(
            Lang::from_locale(os("ko_KR.UTF-8"), None, os("C")),
            Lang::Ko
        );
        assert_eq!(
            Lang::from_locale(None, os("ko_KR.UTF-8"), os("C")),
            Lang::Ko
        );
        assert_eq!(Lang::from_locale(os(""), None, os("ko_KR.UTF-8")), Lang::Ko);
    }

    /// `--lang ko` and `--lang=ko` are found before parsing; the last wins,
    /// and nothing after `--` counts.
    #[test]
    fn the_command_line_names_the_language() {
        let args = |a: &[&str]| Lang::from_args(a);
        assert_eq!(args(&["sameport", "demo", "--lang", "ko"]), Some(Lang::Ko));
        assert_eq!(args(&["sameport", "--lang=ko", "demo"]), Some(Lang::Ko));
        assert_eq!(
            args(&["sameport", "--lang", "ko", "--lang", "en"]),
            Some(Lang::En)
        );
        assert_eq!(args(&["sameport", "demo"]), None);
        assert_eq!(args(&["sameport", "demo", "--lang", "fr"]), None);
        assert_eq!(args(&["sameport", "demo", "--lang"]), None);
        assert_eq!(args(&["sameport", "--", "--lang", "ko"]), None);
    }

    #[test]
    fn lists_end_in_or() {
        let v: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(one_of(Lang::En, &v), "a, b or c");
        assert_eq!(one_of(Lang::Ko, &v), "a, b 또는 c");
        assert_eq!(one_of(Lang::Ko, &v[..1]), "a");
    }
}
