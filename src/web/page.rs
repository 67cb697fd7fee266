//! The live page: one HTML file with its style and script inside, built into
//! the binary (`include_str!`), so nothing is read from the file system and
//! nothing is downloaded: a classroom may be offline.
//!
//! The server fills in the template's `{{NAME}}` holes once, when it starts:
//! the page's words in the run's language ([`crate::lang::web`]), the port,
//! the page's address and its QR code. Every word and value is escaped
//! ([`escape`]); the script's words go in as one JSON object, made safe
//! inside a `<script>` element ([`script_json`]). Everything else on the
//! page comes from the event stream as JSON, which the script writes with
//! `textContent`, so a value can never become markup. On top of that, the
//! response's Content-Security-Policy lets the browser run only the page's
//! own script and style (marked with a number used once, a *nonce*), load
//! nothing from anywhere, and connect only back to this server.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use super::http::Response;
use crate::lang::Lang;
use crate::lang::web::{self as words, Mark, PageText, Piece, Tool};

/// The page, with `{{NAME}}` where values go.
const TEMPLATE: &str = include_str!("page.html");

/// The hole each response fills with its own nonce.
const NONCE: &str = "NONCE";

/// What the page says about where it is.
#[derive(Clone, Debug, Default)]
pub struct Where {
    pub port: u16,
    /// The address to show and encode, e.g. `http://192.168.1.10:12000/`;
    /// `None` under `--redact`, which hides addresses.
    pub url: Option<String>,
    /// The host part of `url`, for the `nc HOST PORT` hint.
    pub host: Option<String>,
}

/// The page, filled in once: the text between the places where the nonce
/// goes, so that a response only joins them (and no value filled in once
/// can be mistaken for a hole later).
#[derive(Debug)]
pub struct Page {
    parts: Vec<String>,
    nonces: Nonces,
}

impl Page {
    /// The page for a server at `place`, in `lang`.
    pub fn new(place: &Where, lang: Lang) -> Page {
        let text = words::page(lang);
        let parts = fill(TEMPLATE, |name| value(name, place, lang, &text));
        Page {
            parts,
            nonces: Nonces::default(),
        }
    }

    /// The page as a response, with a fresh nonce in its policy.
    pub fn response(&self) -> Response {
        let nonce = self.nonces.next();
        let body = self.parts.join(&nonce);
        Response::new(200, "text/html; charset=utf-8", body.into_bytes()).header(
            "Content-Security-Policy",
            format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
                 connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
                 frame-ancestors 'none'"
            ),
        )
    }
}

/// What goes into the hole `name`: HTML, already escaped where it holds
/// text. `None` for a name this page does not know (a test makes sure
/// there is none).
fn value(name: &str, place: &Where, lang: Lang, text: &PageText) -> Option<String> {
    let html = |pieces: &[Piece]| rich(pieces, place, text);
    Some(match name {
        "LANG" => lang.code().to_string(),
        "TITLE" => escape(&plain(text.title, place, text)),
        "HEADING" => html(text.heading),
        "WAITING_WORD" => escape(text.waiting_word),
        "WAITING" => escape(text.waiting),
        "CONNECTING" => escape(text.connecting),
        "QR" => place
            .url
            .as_deref()
            .and_then(crate::view::qr::svg)
            .unwrap_or_default(),
        "URL" => escape(place.url.as_deref().unwrap_or(text.address_hidden)),
        "OPEN_HINT" => html(text.open_hint),
        "WHY_HEADING" => escape(text.why_heading),
        "WHY" => html(text.why),
        "YOURS_HEADING" => html(text.yours_heading),
        "YOURS" => escape(text.yours),
        "LEGEND" => html(text.legend),
        "STRINGS" => script_json(&text.script),
        _ => return None,
    })
}

/// `template` with every `{{NAME}}` hole replaced by `value(NAME)`, in one
/// pass (so nothing filled in is read again), cut where [`NONCE`] goes. A
/// hole `value` does not know stays as it is.
fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else {
            break;
        };
        let name = &rest[start + 2..start + 2 + length];
        let hole = &rest[start..start + 4 + length];
        part.push_str(&rest[..start]);
        if name == NONCE {
            parts.push(std::mem::take(&mut part));
        } else {
            part.push_str(value(name).as_deref().unwrap_or(hole));
        }
        rest = &rest[start + hole.len()..];
    }
    part.push_str(rest);
    parts.push(part);
    parts
}

/// A sentence as HTML: its text escaped, its values marked up.
fn rich(pieces: &[Piece], place: &Where, text: &PageText) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(words) => out.push_str(&escape(words)),
            Piece::Port => out.push_str(&format!("<span class=\"port\">{}</span>", place.port)),
            Piece::Command(tool) => {
                out.push_str(&format!(
                    "<code>{}</code>",
                    escape(&command(*tool, place, text))
                ));
            }
            Piece::Badge(mark) => out.push_str(&badge(*mark, text)),
        }
    }
    out
}

/// A badge as the table shows it: the same class the script gives it.
fn badge(mark: Mark, text: &PageText) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        mark.key(),
        escape(text.script.badges.word(mark))
    )
}

/// A sentence as plain text (for the title, where no markup goes).
fn plain(pieces: &[Piece], place: &Where, text: &PageText) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(words) => (*words).to_string(),
            Piece::Port => place.port.to_string(),
            Piece::Command(tool) => command(*tool, place, text),
            Piece::Badge(mark) => text.script.badges.word(*mark).to_string(),
        })
        .collect()
}

/// A command that talks to the echo, with the page's host and port (the
/// placeholder for the host under `--redact`); an IPv6 host in brackets
/// where the port follows a colon.
fn command(tool: Tool, place: &Where, text: &PageText) -> String {
    let host = place.host.as_deref().unwrap_or(text.host_placeholder);
    let port = place.port;
    match tool {
        Tool::Nc => format!("nc {host} {port}"),
        Tool::Telnet => format!("telnet {host} {port}"),
        Tool::Connect if host.contains(':') => format!("sameport connect [{host}]:{port}"),
        Tool::Connect => format!("sameport connect {host}:{port}"),
    }
}

/// The script's words as a JavaScript value: JSON, with every `<` written
/// `\u003c`. Inside a `<script>` element the HTML parser looks only for
/// `</script` (and `<!--`), never at JavaScript quoting, so a word holding
/// `</script>` would end the element there; with no `<` left, nothing can.
/// The JSON means the same (`\u003c` is `<` in a JSON or JavaScript string).
fn script_json(script: &words::Script) -> String {
    match serde_json::to_string(script) {
        Ok(json) => json.replace('<', "\\u003c"),
        // A struct of strings always serialises; were it ever not to, the
        // page would still work, with the words missing.
        Err(_) => "{}".to_string(),
    }
}

/// Numbers used once, unpredictable from outside (a keyed hash of a counter).
#[derive(Debug, Default)]
struct Nonces {
    key: RandomState,
    counter: AtomicU64,
}

impl Nonces {
    fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:016x}{:016x}",
            self.key.hash_one(n),
            self.key.hash_one(!n)
        )
    }
}

/// Text made safe to place in HTML, between tags or inside a quoted
/// attribute: the five characters that mean something there become entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn place() -> Where {
        Where {
            port: 12000,
            url: Some("http://10.0.0.1:12000/<x>".into()),
            host: Some("10.0.0.1".into()),
        }
    }

    fn body(page: &Page) -> String {
        String::from_utf8(page.response().body).unwrap()
    }

    /// The script's words, read back from the page as the browser reads
    /// them.
    fn embedded_words(html: &str) -> Value {
        let start = html.find("const T = ").unwrap() + "const T = ".len();
        let end = start + html[start..].find(";\n").unwrap();
        serde_json::from_str(&html[start..end]).unwrap()
    }

    #[test]
    fn markup_in_a_value_becomes_text() {
        assert_eq!(
            escape("<img src=x onerror=\"alert('1')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn the_page_is_filled_in_and_each_response_has_its_own_nonce() {
        let page = Page::new(&place(), Lang::En);
        let one = body(&page);
        let two = body(&page);
        assert!(!one.contains("{{"), "a placeholder left");
        assert!(one.contains("http://10.0.0.1:12000/&lt;x&gt;"));
        assert!(!one.contains("/<x>"));
        assert!(one.contains("<svg"), "the QR code");
        assert!(one.contains("<code>nc 10.0.0.1 12000</code>"));
        assert_ne!(one, two);
        let response = page.response();
        let policy = &response
            .headers
            .iter()
            .find(|(name, _)| *name == "Content-Security-Policy")
            .unwrap()
            .1;
        let body = String::from_utf8(response.body).unwrap();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert_eq!(body.matches(&format!("nonce=\"{nonce}\"")).count(), 2);
    }

    /// Every hole of the template is filled in every language, with that
    /// language's words, and the script's words arrive as JSON the
    /// browser can read.
    #[test]
    fn every_language_fills_every_hole() {
        for lang in Lang::ALL {
            let html = body(&Page::new(&place(), lang));
            assert!(!html.contains("{{"), "{lang:?}: a hole left");
            assert!(
                html.contains(&format!("<html lang=\"{}\">", lang.code())),
                "{lang:?}"
            );
            let text = words::page(lang);
            assert!(html.contains(&escape(text.why_heading)), "{lang:?}");
            let words = embedded_words(&html);
            assert_eq!(
                words["outcomes"]["holds"],
                crate::lang::verdict::holds_word(lang)
            );
            assert_eq!(words["badges"]["you"], text.script.badges.you);
            assert_eq!(words["live"], text.script.live);
            // The badges in the explanation are the table's own.
            for mark in [Mark::You, Mark::New, Mark::Closed] {
                assert!(html.contains(&badge(mark, &text)), "{lang:?}: {mark:?}");
            }
        }
    }

    /// The Korean page is Korean, around the same values: the port, the
    /// `nc` command, and classes and ids that do not change.
    #[test]
    fn the_korean_page_reads_korean() {
        let html = body(&Page::new(&place(), Lang::Ko));
        assert!(html.contains("<title>sameport: 12000번 포트, 실시간</title>"));
        assert!(html.contains("<h1><span class=\"port\">12000</span>번 포트의 모든 연결"));
        assert!(html.contains("<span class=\"badge you\">나</span>"));
        assert!(html.contains("<code>nc 10.0.0.1 12000</code>에 한 줄을"));
        assert!(html.contains("id=\"outcome\" class=\"waiting\">대기 중<"));
        assert!(html.contains("4-튜플"));
        assert!(!html.contains("Why several rows"));
        assert_eq!(embedded_words(&html)["outcomes"]["fails"], "불성립");
    }

    /// Under `--redact` the page shows no address, in either language.
    #[test]
    fn redacted_pages_show_no_address() {
        let hidden = Where {
            port: 12000,
            url: None,
            host: None,
        };
        let en = body(&Page::new(&hidden, Lang::En));
        assert!(en.contains("address hidden"));
        assert!(en.contains("<code>nc HOST 12000</code>"));
        assert!(!en.contains("<svg"));
        let ko = body(&Page::new(&hidden, Lang::Ko));
        assert!(ko.contains("(주소 숨김: --redact)"));
        assert!(!ko.contains("<svg"));
    }

    /// Windows has no `nc`: the page also gives `telnet` and
    /// `sameport connect`, in both languages, with the page's host and
    /// port (an IPv6 host in brackets before `:PORT`).
    #[test]
    fn windows_students_get_a_command_they_have() {
        for lang in Lang::ALL {
            let html = body(&Page::new(&place(), lang));
            assert!(html.contains("<code>nc 10.0.0.1 12000</code>"), "{lang:?}");
            assert!(
                html.contains("<code>telnet 10.0.0.1 12000</code>"),
                "{lang:?}"
            );
            assert!(
                html.contains("<code>sameport connect 10.0.0.1:12000</code>"),
                "{lang:?}"
            );
        }
        let ko = body(&Page::new(&place(), Lang::Ko));
        assert!(ko.contains("윈도우에서는 nc 대신"), "{ko}");
        let v6 = Where {
            port: 12000,
            url: Some("http://[2001:db8::1]:12000/".into()),
            host: Some("2001:db8::1".into()),
        };
        let en = body(&Page::new(&v6, Lang::En));
        assert!(en.contains("<code>sameport connect [2001:db8::1]:12000</code>"));
        assert!(en.contains("<code>telnet 2001:db8::1 12000</code>"));
    }

    /// A word holding `</script>` cannot end the script element: no `<`
    /// reaches the page, and the JSON still means the same words.
    #[test]
    fn the_script_words_cannot_close_the_script() {
        let hostile = "</script><script>alert(1)</script><!--";
        let script = words::Script {
            reconnecting: hostile,
            ..words::page(Lang::En).script
        };
        let json = script_json(&script);
        assert!(!json.contains('<'), "{json}");
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["reconnecting"], hostile);
    }

    /// The holes are filled in one pass: a value that looks like a hole is
    /// written as it is, never filled in again (not even with a nonce).
    #[test]
    fn a_value_is_never_read_as_a_hole() {
        let parts = fill("a {{X}} b {{NONCE}} c {{UNKNOWN}}", |name| {
            (name == "X").then(|| "{{NONCE}}{{X}}".to_string())
        });
        assert_eq!(parts, ["a {{NONCE}}{{X}} b ", " c {{UNKNOWN}}"]);
    }
}
