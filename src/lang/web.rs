//! The live classroom page (`serve`'s web side): every word the page
//! shows, the static HTML and what its script writes.
//!
//! The page is one struct, [`PageText`], built by one function per language
//! ([`page`]). A struct literal must name every field, so a sentence
//! forgotten in one language fails the build, as a missing `match` arm does
//! elsewhere in this module.
//!
//! Some sentences have markup inside them: the port in green, a badge, the
//! `nc` command. Where it goes differs by language (Korean puts the port
//! first: "12000번 포트의 모든 연결"), so such a sentence is a list of
//! [`Piece`]s, text and the marked-up values in the language's own order;
//! the page ([`crate::web::page`]) escapes the text and writes the markup.
//! No sentence is a string with holes for HTML, which a translation could
//! break and no compiler would notice.
//!
//! The script's words ([`Script`]) go into the page as one JSON object. Two
//! of them are templates with named holes (`{n}`, `{port}` ...) that the
//! script fills with numbers it learns later; a test checks that every
//! language has exactly the holes the script fills.
//!
//! Machine-readable parts stay the same in every language: element ids and
//! classes, the `data-marks` words (`you`, `new`, `closed`) and the JSON's
//! field names. Only what a person reads changes.

use serde::Serialize;

use super::{Lang, verdict};

/// A badge the page puts on a row, by what it means; the page's classes and
/// `data-marks` words name it the same way in every language ([`Mark::key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// One of this browser's own connections.
    You,
    /// Appeared at the last refresh.
    New,
    /// Disappeared at the last refresh.
    Closed,
}

impl Mark {
    /// The word for programs (CSS class, `data-marks`): never translated.
    pub fn key(self) -> &'static str {
        match self {
            Mark::You => "you",
            Mark::New => "new",
            Mark::Closed => "closed",
        }
    }
}

/// A part of a sentence: text, or a value the page writes with markup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Words, written as text (escaped).
    Text(&'static str),
    /// The port number, highlighted as in the table.
    Port,
    /// A command that talks to the echo, with the page's host and port,
    /// as code.
    Command(Tool),
    /// A badge as the table shows it, in this language's words.
    Badge(Mark),
}

/// A program that talks to the echo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `nc HOST PORT`.
    Nc,
    /// `telnet HOST PORT` (Windows has no `nc`; its Telnet client is an
    /// optional feature).
    Telnet,
    /// `sameport connect HOST:PORT`, for a student who has sameport.
    Connect,
}

/// Every word of the page in one language.
#[derive(Clone, Debug)]
pub struct PageText {
    /// The tab's title (no markup: a [`Piece::Port`] is the bare number).
    pub title: &'static [Piece],
    /// The heading over the table.
    pub heading: &'static [Piece],
    /// In the outcome box until the first snapshot arrives.
    pub waiting_word: &'static str,
    /// Beside it, until then.
    pub waiting: &'static str,
    /// The status line before the event stream answers.
    pub connecting: &'static str,
    /// In place of the address under `--redact`.
    pub address_hidden: &'static str,
    /// In place of the host in the `nc` command under `--redact`.
    pub host_placeholder: &'static str,
    /// Under the address: open it, or talk to the echo with `nc` (on
    /// Windows, `telnet` or `sameport connect`).
    pub open_hint: &'static [Piece],
    /// Why one browser has several rows: heading and paragraph.
    pub why_heading: &'static str,
    pub why: &'static [Piece],
    /// Which rows are marked as the viewer's: heading and paragraph.
    pub yours_heading: &'static [Piece],
    pub yours: &'static str,
    /// What the NEW and CLOSED badges mean.
    pub legend: &'static [Piece],
    /// What the script writes.
    pub script: Script,
}

/// The words the page's script writes, serialised as one JSON object.
#[derive(Clone, Debug, Serialize)]
pub struct Script {
    /// The verdict's word, by the `outcome` value of the JSON.
    pub outcomes: Outcomes,
    /// The badges' words, by [`Mark::key`].
    pub badges: Badges,
    /// The last row when rows are left out. Holes: `{n}` rows left out,
    /// all on local port `{port}`.
    pub more_rows: &'static str,
    /// The status line. Holes: `{count}` sockets on `{proto}` port
    /// `{port}`, read at `{time}`.
    pub live: &'static str,
    /// The locale the time in `live` is written in (a BCP 47 tag), or
    /// `null` for the browser's own.
    pub clock: Option<&'static str>,
    /// The status line when the server refused the event stream (every
    /// seat taken). Hole: `{seconds}` until the page tries again.
    pub refused: &'static str,
    /// The status line when the event stream broke (the browser retries).
    pub reconnecting: &'static str,
}

/// The three outcomes, named as the JSON's `outcome` values.
#[derive(Clone, Debug, Serialize)]
pub struct Outcomes {
    pub holds: &'static str,
    pub not_enough_evidence: &'static str,
    pub fails: &'static str,
}

/// The badge words, named by [`Mark::key`].
#[derive(Clone, Debug, Serialize)]
pub struct Badges {
    pub you: &'static str,
    pub new: &'static str,
    pub closed: &'static str,
}

impl Badges {
    /// The word on a badge.
    pub fn word(&self, mark: Mark) -> &'static str {
        match mark {
            Mark::You => self.you,
            Mark::New => self.new,
            Mark::Closed => self.closed,
        }
    }
}

/// The holes each [`Script`] template has, for the test that every language
/// has the same ones (the script fills exactly these).
pub const MORE_ROWS_HOLES: [&str; 2] = ["n", "port"];
pub const LIVE_HOLES: [&str; 4] = ["count", "proto", "port", "time"];
pub const REFUSED_HOLES: [&str; 1] = ["seconds"];

/// The page's words in `lang`.
pub fn page(lang: Lang) -> PageText {
    use Piece::{Badge, Port, Text};
    const NC: Piece = Piece::Command(Tool::Nc);
    const TELNET: Piece = Piece::Command(Tool::Telnet);
    const CONNECT: Piece = Piece::Command(Tool::Connect);
    // The outcome words are the verdict's, so the page and the terminal
    // say the same thing.
    let outcomes = Outcomes {
        holds: verdict::holds_word(lang),
        not_enough_evidence: verdict::not_enough_word(lang),
        fails: verdict::fails_word(lang),
    };
    match lang {
        Lang::En => PageText {
            title: &[Text("sameport: port "), Port, Text(", live")],
            heading: &[Text("Every connection on port "), Port, Text(", live")],
            waiting_word: "WAITING",
            waiting: "Waiting for the first snapshot of the kernel's socket table.",
            connecting: "Connecting to the event stream...",
            address_hidden: "(address hidden: --redact)",
            host_placeholder: "HOST",
            open_hint: &[
                Text("Open this address in any browser, or type a line into "),
                NC,
                Text(" (Windows: "),
                TELNET,
                Text(" with Telnet Client on, or "),
                CONNECT,
                Text("): it comes back (the echo), on the same port."),
            ],
            why_heading: "Why several rows for one browser?",
            why: &[
                Text(
                    "Your browser opened several TCP connections to this server: one \
                     fetched this page, one carries its live updates, and spare ones are \
                     opened in advance and kept open for the next request (persistent \
                     HTTP). Each connection is its own socket on the server, named by its \
                     own 4-tuple, and every one of them has local port ",
                ),
                Port,
                Text(
                    ", like everyone else's. The kernel tells them apart by the remote end \
                     (the Foreign Address) alone.",
                ),
            ],
            yours_heading: &[Text("Which rows are marked "), Badge(Mark::You), Text("?")],
            yours: "The connection that carries this page's live updates, and every other \
                    connection on which your browser sent a request with this page's cookie. \
                    A spare connection your browser has not used yet cannot be told from \
                    anyone else's, so it is not marked, even though it comes from your \
                    address.",
            legend: &[
                Badge(Mark::New),
                Text(" appeared and "),
                Badge(Mark::Closed),
                Text(" disappeared at the last refresh (each shown for at least 3 seconds)."),
            ],
            script: Script {
                outcomes,
                badges: Badges {
                    you: "you",
                    new: "NEW",
                    closed: "CLOSED",
                },
                more_rows: "... and {n} more rows, every one on local port {port}",
                live: "Live: {count} sockets on {proto} port {port}, updated {time}.",
                clock: None,
                refused: "The server refused the live updates (too many viewers?); \
                          trying again in {seconds} s.",
                reconnecting: "Connection lost; reconnecting...",
            },
        },
        // The page explains in the textbook's plain style (한다체), like the
        // verdict beside it; the status line, where the program reports
        // what it is doing, speaks politely (합니다체), as on stderr.
        Lang::Ko => PageText {
            title: &[Text("sameport: "), Port, Text("번 포트, 실시간")],
            heading: &[Port, Text("번 포트의 모든 연결 (실시간)")],
            waiting_word: "대기 중",
            waiting: "커널의 소켓 테이블을 처음 읽어 오기를 기다리는 중이다.",
            connecting: "이벤트 스트림에 연결하는 중입니다...",
            address_hidden: "(주소 숨김: --redact)",
            host_placeholder: "서버주소",
            open_hint: &[
                Text("아무 브라우저에서나 이 주소를 열어 보자. "),
                NC,
                // No particle right after a command: it would have to agree
                // with the last digit of the port.
                Text(
                    "에 한 줄을 입력하면 같은 포트에서 그 줄이 그대로 돌아온다(에코). 윈도우에서는 \
                     nc 대신 다음 중 하나를 쓴다: ",
                ),
                TELNET,
                Text("(텔넷 클라이언트를 켠 경우), "),
                CONNECT,
                Text("."),
            ],
            why_heading: "브라우저 하나에 행이 여러 개인 이유",
            why: &[
                Text(
                    "브라우저는 이 서버에 TCP 연결을 하나보다 많이 연다. 하나는 이 페이지를 \
                     가져왔고, 하나는 실시간 갱신을 나르며, 브라우저는 다음 요청에 대비해 \
                     여분의 연결을 미리 열어 두고 닫지 않고 유지한다(지속 연결, persistent \
                     HTTP). 연결마다 서버에 연결 소켓이 하나씩 생기고 저마다 자기 4-튜플로 \
                     이름이 붙지만, 다른 모든 사람의 연결과 마찬가지로 로컬 포트는 모두 ",
                ),
                Port,
                Text(
                    "번이다. 커널은 이들을 원격 종단(Foreign Address 열의 출발지 IP 주소와 \
                     출발지 포트)만 보고 구별한다.",
                ),
            ],
            yours_heading: &[
                Text("어느 행에 "),
                Badge(Mark::You),
                Text(" 표시가 붙을까?"),
            ],
            yours: "이 페이지의 실시간 갱신을 나르는 연결, 그리고 브라우저가 이 페이지의 \
                    쿠키를 실어 요청을 보낸 다른 모든 연결이다. 브라우저가 미리 열어 두기만 \
                    하고 아직 쓰지 않은 연결은 같은 주소에서 왔더라도 남의 연결과 구별할 수 \
                    없으므로 표시하지 않는다.",
            // A noun after each badge ("표시가"), so that no particle has to
            // agree with a word the badge may change.
            legend: &[
                Text("마지막 갱신 때 새로 나타난 연결에는 "),
                Badge(Mark::New),
                Text(" 표시가, 사라진 연결에는 "),
                Badge(Mark::Closed),
                Text(" 표시가 붙는다(적어도 3초 동안 보인다)."),
            ],
            script: Script {
                outcomes,
                badges: Badges {
                    you: "나",
                    new: "새 연결",
                    closed: "닫힘",
                },
                more_rows: "... 그 밖에 행 {n}개, 모두 로컬 포트 {port}번",
                live: "실시간: {proto} {port}번 포트의 소켓 {count}개, {time}에 갱신.",
                clock: Some("ko-KR"),
                refused: "서버가 실시간 갱신을 거절했습니다(보는 사람이 너무 많은 듯합니다). \
                          {seconds}초 뒤에 다시 시도합니다.",
                reconnecting: "연결이 끊겼습니다. 다시 연결하는 중입니다...",
            },
        },
    }
}

/// The names of the `{name}` holes in a script template, in order.
pub fn holes(template: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                found.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut names: Vec<&str>) -> Vec<&str> {
        names.sort_unstable();
        names
    }

    /// The script fills `{n}`, `{port}` ... by name: every language must
    /// have exactly those holes, each once, or a number goes missing.
    #[test]
    fn every_language_has_the_holes_the_script_fills() {
        for lang in Lang::ALL {
            let script = page(lang).script;
            for (template, want) in [
                (script.more_rows, &MORE_ROWS_HOLES[..]),
                (script.live, &LIVE_HOLES[..]),
                (script.refused, &REFUSED_HOLES[..]),
            ] {
                assert_eq!(
                    sorted(holes(template)),
                    sorted(want.to_vec()),
                    "{lang:?}: {template}"
                );
            }
            // Written as it is: a brace there would show as a brace.
            assert!(holes(script.reconnecting).is_empty(), "{lang:?}");
        }
    }

    /// The outcome words are the verdict's own, in each language.
    #[test]
    fn the_outcomes_are_the_verdicts_words() {
        let ko = page(Lang::Ko).script.outcomes;
        assert_eq!(
            [ko.holds, ko.not_enough_evidence, ko.fails],
            ["성립", "증거 부족", "불성립"]
        );
        assert_eq!(page(Lang::En).script.outcomes.holds, "HOLDS");
    }

    /// Every sentence that names the port or a badge does so in every
    /// language: a translation may move a value, not drop it.
    #[test]
    fn every_language_places_the_same_values() {
        let values = |pieces: &[Piece]| -> Vec<Piece> {
            pieces
                .iter()
                .copied()
                .filter(|p| !matches!(p, Piece::Text(_)))
                .collect()
        };
        let en = page(Lang::En);
        let ko = page(Lang::Ko);
        for (a, b) in [
            (en.title, ko.title),
            (en.heading, ko.heading),
            (en.open_hint, ko.open_hint),
            (en.why, ko.why),
            (en.yours_heading, ko.yours_heading),
            (en.legend, ko.legend),
        ] {
            assert_eq!(values(a), values(b), "{a:?} / {b:?}");
        }
    }

    #[test]
    fn holes_are_found_by_name() {
        assert_eq!(holes("a {n} b {port}."), ["n", "port"]);
        assert!(holes("none").is_empty());
        assert!(holes("unclosed {n").is_empty());
    }
}
