//! `serve`: what the echo server says on stderr (where it listens, how to
//! connect, what it did), the headings over its tables, the line when a
//! client leaves, and the line a client turned away receives.

use std::net::SocketAddr;

use super::{Lang, Transport};
use crate::words;

/// The first line: where the server listens.
pub fn listening(lang: Lang, transport: Transport, local: SocketAddr) -> String {
    match lang {
        Lang::En => format!("sameport: {transport} echo server on {local}; Ctrl-C to stop."),
        Lang::Ko => format!(
            "sameport: {local}에서 {transport} 에코 서버가 동작합니다. 멈추려면 Ctrl-C를 누르세요."
        ),
    }
}

/// Which IP versions a wildcard socket serves.
pub fn stack(lang: Lang, ipv6: bool) -> &'static str {
    match (lang, ipv6) {
        (Lang::En, true) => "IPv4 and IPv6",
        (Lang::Ko, true) => "IPv4와 IPv6",
        (_, false) => "IPv4",
    }
}

/// Open on every interface; the addresses for other machines follow.
pub fn open_everywhere(lang: Lang, stack: &str, transport: Transport, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "the port is open on every interface ({stack}), so other machines on your \
             network can connect (unless a firewall blocks {transport} port {port}):"
        ),
        Lang::Ko => format!(
            "모든 인터페이스({stack})에서 포트가 열려 있으므로 같은 네트워크의 다른 컴퓨터도 \
             접속할 수 있습니다(방화벽이 {transport} {port}번 포트를 막지 않는다면):"
        ),
    }
}

/// Open on every interface, but there is only loopback.
pub fn open_but_alone(lang: Lang, stack: &str) -> String {
    match lang {
        Lang::En => format!(
            "the port is open on every interface ({stack}), but this machine has no \
             network address besides loopback."
        ),
        Lang::Ko => format!(
            "모든 인터페이스({stack})에서 포트가 열려 있지만, 이 컴퓨터에는 루프백 말고는 \
             네트워크 주소가 없습니다."
        ),
    }
}

/// Bound to loopback.
pub fn loopback_only(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "bound to a loopback address: only this machine can connect.",
        Lang::Ko => "루프백 주소에 바인드했으므로 이 컴퓨터에서만 접속할 수 있습니다.",
    }
}

/// Before the command for local clients: `clients` is 1, 2 or 3, no more
/// than `--max-clients` lets in at once.
pub fn local_clients(lang: Lang, clients: usize) -> &'static str {
    match (lang, clients) {
        (Lang::En, 1) => "from this machine, one client (--max-clients 1):",
        (Lang::En, 2) => "from this machine, two clients from two addresses:",
        (Lang::En, _) => "from this machine, three clients from three addresses:",
        (Lang::Ko, 1) => "이 컴퓨터에서 클라이언트 하나를 띄우려면(--max-clients 1):",
        (Lang::Ko, 2) => "이 컴퓨터에서 주소 두 개로 클라이언트 두 개를 띄우려면:",
        (Lang::Ko, _) => "이 컴퓨터에서 주소 세 개로 클라이언트 세 개를 띄우려면:",
    }
}

/// `serve --proto udp` with an option that only means something for TCP.
pub fn tcp_only(lang: Lang, flag: &str) -> String {
    match lang {
        Lang::En => format!(
            "{flag} is for TCP servers only: a UDP server has no connections \
             and no web page (drop it, or serve with --proto tcp)"
        ),
        // "옵션은": the particle follows the noun, never the flag's last sound.
        Lang::Ko => format!(
            "{flag} 옵션은 TCP 서버에서만 쓸 수 있습니다. UDP 서버에는 연결도 웹 페이지도 \
             없습니다 (옵션을 빼거나 --proto tcp로 실행하세요)"
        ),
    }
}

/// A browser got 503 at `--max-viewers`; `so_far` have been turned away.
pub fn viewers_turned_away(lang: Lang, max: usize, so_far: u64) -> String {
    match lang {
        Lang::En => format!(
            "a browser gets no live updates: the page has {} already (--max-viewers \
             {max}; {} turned away so far)",
            words::count(max, "live viewer"),
            words::count(so_far, "browser")
        ),
        Lang::Ko => format!(
            "브라우저 하나가 실시간 갱신을 받지 못합니다: 이미 {max}개가 보고 있습니다\
             (--max-viewers {max}, 지금까지 {so_far}개를 돌려보냄)"
        ),
    }
}

/// What stopped the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// A signal, by name (`SIGINT`: Ctrl-C in the terminal; `SIGTERM`).
    Signal(&'static str),
    /// `q` or Ctrl-C on the `--live` screen, which reads keys itself (the
    /// terminal sends no SIGINT then).
    LiveScreen,
}

/// "stopped by SIGINT", the start of the summary lines.
fn stopped_by(lang: Lang, why: Stopped) -> String {
    match (lang, why) {
        (Lang::En, Stopped::Signal(signal)) => format!("stopped by {signal}"),
        (Lang::En, Stopped::LiveScreen) => "stopped from the live screen".to_string(),
        (Lang::Ko, Stopped::Signal(signal)) => format!("{signal} 신호를 받아 멈췄습니다"),
        (Lang::Ko, Stopped::LiveScreen) => "라이브 화면에서 멈췄습니다".to_string(),
    }
}

/// TCP: the summary when the server stops.
pub fn tcp_stopped(
    lang: Lang,
    why: Stopped,
    (accepted, open, refused): (u64, usize, u64),
    bytes: u64,
) -> String {
    let stopped = stopped_by(lang, why);
    match lang {
        Lang::En => format!(
            "{stopped}: accepted {} ({open} still open, {refused} refused over --max-clients), echoed {}",
            words::count(accepted, "connection"),
            words::count(bytes, "byte")
        ),
        Lang::Ko => format!(
            "{stopped}. 연결 {accepted}개를 수락했고(아직 열린 연결 {open}개, \
             --max-clients를 넘어 거절한 연결 {refused}개), {bytes}바이트를 에코했습니다"
        ),
    }
}

/// UDP: the summary when the server stops.
pub fn udp_stopped(lang: Lang, why: Stopped, datagrams: u64, bytes: u64, clients: usize) -> String {
    let stopped = stopped_by(lang, why);
    match lang {
        Lang::En => format!(
            "{stopped}: echoed {} ({}) for {}, all through one socket",
            words::count(datagrams, "datagram"),
            words::count(bytes, "byte"),
            words::count(clients, "client")
        ),
        Lang::Ko => format!(
            "{stopped}. 클라이언트 {clients}개에게 데이터그램 {datagrams}개\
             ({bytes}바이트)를 에코했고, 모두 소켓 하나로 처리했습니다"
        ),
    }
}

/// The heading before any client: `Sockets on TCP port 12000: listening ...`.
pub fn heading_listening(lang: Lang, transport: Transport, port: u16) -> String {
    match lang {
        Lang::En => format!("Sockets on {transport} port {port}: listening, before any client"),
        Lang::Ko => {
            format!("{transport} {port}번 포트의 소켓: 연결을 기다리는 중, 아직 클라이언트 없음")
        }
    }
}

/// Which accepts (TCP) or new clients (UDP) a table is the first after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// Fewer accepts than before: a client left.
    Departure,
    /// One, #n.
    One(u64),
    /// Two, #a and #b.
    Two(u64, u64),
    /// Several, #a to #b.
    Range(u64, u64),
}

/// What a table shows, counted from the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shows {
    /// TCP: accepted sockets, and connections waiting in the accept queue.
    Tcp { accepted: usize, queued: usize },
    /// UDP: server sockets, and the clients they serve.
    Udp { sockets: usize, clients: usize },
}

/// The heading over a table after accepts:
/// `Sockets on TCP port 12000 after accepts #2 and #3: 3 accepted sockets`.
pub fn heading(lang: Lang, transport: Transport, port: u16, after: After, shows: Shows) -> String {
    match lang {
        Lang::En => {
            let what = match transport {
                Transport::Tcp => "accept",
                Transport::Udp => "new client",
            };
            let after = match after {
                After::Departure => "after a departure".to_string(),
                After::One(n) => format!("after {what} #{n}"),
                After::Two(a, b) => format!("after {what}s #{a} and #{b}"),
                After::Range(a, b) => format!("after {what}s #{a} to #{b}"),
            };
            let shows = match shows {
                Shows::Tcp { accepted, queued } => {
                    let queued = match queued {
                        0 => String::new(),
                        n => format!(" and {} in the accept queue", words::count(n, "connection")),
                    };
                    format!("{}{queued}", words::count(accepted, "accepted socket"))
                }
                Shows::Udp { sockets, clients } => format!(
                    "{} for {}",
                    words::count(sockets, "socket"),
                    words::count(clients, "client")
                ),
            };
            format!("Sockets on {transport} port {port} {after}: {shows}")
        }
        Lang::Ko => {
            let what = match transport {
                Transport::Tcp => "수락",
                Transport::Udp => "새 클라이언트",
            };
            let after = match after {
                After::Departure => "연결이 끊긴 뒤".to_string(),
                After::One(n) => format!("{n}번째 {what} 뒤"),
                After::Two(a, b) => format!("{a}번째와 {b}번째 {what} 뒤"),
                After::Range(a, b) => format!("{a}번째부터 {b}번째까지 {what} 뒤"),
            };
            let shows = match shows {
                Shows::Tcp { accepted, queued } => {
                    let queued = match queued {
                        0 => String::new(),
                        n => format!(", 수락 큐의 연결 {n}개"),
                    };
                    format!("연결 소켓 {accepted}개{queued}")
                }
                Shows::Udp { sockets, clients } => {
                    format!("클라이언트 {clients}개에 소켓 {sockets}개")
                }
            };
            format!("{transport} {port}번 포트의 소켓({after}): {shows}")
        }
    }
}

/// When clients leave: who (the last, in a burst) and how many remain.
/// `who` is `None` when the address is unknown.
pub fn departure(lang: Lang, who: Option<&str>, departures: u64, open: u64) -> String {
    match lang {
        Lang::En => {
            let who = who.unwrap_or("a client");
            let left = if departures == 1 {
                format!("{who} disconnected")
            } else {
                format!(
                    "{} disconnected, the last {who}",
                    words::count(departures, "client")
                )
            };
            format!(
                "{left}; {} {} connected.",
                words::count(open, "client"),
                words::verb(open, "remains", "remain")
            )
        }
        Lang::Ko => {
            let who = who.unwrap_or("어떤 클라이언트");
            let left = if departures == 1 {
                format!("{who}의 연결이 끊겼다")
            } else {
                format!("클라이언트 {departures}개의 연결이 끊겼다(마지막은 {who})")
            };
            format!("{left}. 연결된 클라이언트는 {open}개 남았다.")
        }
    }
}

/// The line a client turned away by `--max-clients` receives (over the
/// network, in the server's language) before the server closes it.
pub fn refusal(lang: Lang, max_clients: usize) -> String {
    match lang {
        Lang::En => format!(
            "refused: this server already serves {} (--max-clients); try again later\n",
            words::count(max_clients, "client")
        ),
        Lang::Ko => format!(
            "거절: 이 서버는 이미 클라이언트 {max_clients}개를 맡고 있습니다(--max-clients). \
             나중에 다시 시도하세요\n"
        ),
    }
}

/// The server's log line when it turns a client away.
pub fn refused_log(lang: Lang, peer: SocketAddr, max_clients: usize) -> String {
    match lang {
        Lang::En => format!(
            "refused {peer}: already serving {} (--max-clients)",
            words::count(max_clients, "client")
        ),
        Lang::Ko => {
            format!("{peer} 거절: 이미 클라이언트 {max_clients}개를 맡고 있습니다(--max-clients)")
        }
    }
}

/// accept() works again after failing.
pub fn accepting_again(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "accepting again",
        Lang::Ko => "다시 연결을 수락합니다",
    }
}

/// accept() failed; the server waits and retries. `hint` may follow `error`.
pub fn accept_failed(lang: Lang, error: &dyn std::fmt::Display, hint: &str) -> String {
    match lang {
        Lang::En => format!("accept failed: {error}{hint}; backing off and retrying"),
        Lang::Ko => format!("accept 실패: {error}{hint}. 잠시 기다렸다가 다시 시도합니다"),
    }
}

/// A throttled message was held back `n` times.
pub fn held_back(lang: Lang, n: u64) -> String {
    match lang {
        Lang::En => format!(" ({n} more since the last message)"),
        Lang::Ko => format!(" (지난 메시지 뒤로 {n}번 더)"),
    }
}

/// An idle connection was closed (`--idle-timeout`).
pub fn closed_idle(lang: Lang, peer: SocketAddr) -> String {
    match lang {
        Lang::En => format!("closed idle connection from {peer}"),
        Lang::Ko => format!("{peer}의 유휴 연결을 닫았습니다"),
    }
}

/// A connection failed.
pub fn connection_error(lang: Lang, peer: SocketAddr, error: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("connection from {peer}: {error}"),
        Lang::Ko => format!("{peer}의 연결: {error}"),
    }
}

/// What a connection idle too long reports.
pub fn idle_for(lang: Lang, secs: f64) -> String {
    match lang {
        Lang::En => format!("idle for {secs:.1}s"),
        Lang::Ko => format!("{secs:.1}초 동안 아무것도 보내지 않음"),
    }
}

/// UDP: recv failed.
pub fn receive_failed(lang: Lang, error: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("receive failed: {error}"),
        Lang::Ko => format!("수신 실패: {error}"),
    }
}

/// UDP: a reply failed.
pub fn reply_failed(lang: Lang, peer: SocketAddr, error: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("reply to {peer} failed: {error}"),
        Lang::Ko => format!("{peer}에게 보낸 응답 실패: {error}"),
    }
}

/// The first line of `serve --live`'s screen.
pub fn live_header(lang: Lang, proto: impl std::fmt::Display, port: u16, sockets: usize) -> String {
    match lang {
        Lang::En => format!(
            "sameport serve --live: {proto} port {port}, {}   (q or Ctrl-C: quit)",
            crate::words::count(sockets, "socket")
        ),
        Lang::Ko => format!(
            "sameport serve --live: {proto} {port}번 포트, 소켓 {sockets}개   (끝내기: q 또는 Ctrl-C)"
        ),
    }
}

/// Under the rows of `serve --live`: what the marks mean (the live page's
/// badge words).
pub fn live_legend(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "NEW: appeared, CLOSED: gone at the last refresh (shown 3 s)",
        Lang::Ko => "새 연결: 마지막 갱신 때 나타남, 닫힘: 사라짐 (3초 동안 표시)",
    }
}

/// The last line of `serve --live`'s table when rows are left out (the
/// live page's sentence).
pub fn live_more_rows(lang: Lang, rows: usize, port: u16) -> String {
    match lang {
        Lang::En => format!("... and {rows} more rows, every one on local port {port}"),
        Lang::Ko => format!("... 그 밖에 행 {rows}개, 모두 로컬 포트 {port}번"),
    }
}

/// `serve --live`, under the header: where the live page is.
pub fn live_page_line(lang: Lang, url: &str) -> String {
    match lang {
        Lang::En => format!("Live page: {url}"),
        Lang::Ko => format!("실시간 페이지: {url}"),
    }
}

/// After the page's address when the terminal has no room for its QR code.
pub fn live_qr_too_small(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "(a bigger terminal shows its QR code)",
        Lang::Ko => "(터미널을 키우면 QR 코드가 보입니다)",
    }
}

/// `serve --live` before its first read of the socket table.
pub fn live_reading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "sameport serve --live: reading the socket table ...",
        Lang::Ko => "sameport serve --live: 소켓 테이블을 읽는 중입니다 ...",
    }
}

/// Before the list of the live page's addresses.
pub fn live_page_intro(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "the same port serves a live page to any browser (--no-web turns it off):",
        Lang::Ko => "같은 포트가 브라우저에 실시간 페이지도 보여 줍니다(--no-web으로 끕니다):",
    }
}

/// One address of the live page, and where it is reachable.
pub fn live_page_url(lang: Lang, url: &str, place: &PagePlace) -> String {
    let place = match (place, lang) {
        (PagePlace::Interface(name), _) => name.clone(),
        (PagePlace::ThisMachine, Lang::En) => "this machine".to_string(),
        (PagePlace::ThisMachine, Lang::Ko) => "이 컴퓨터".to_string(),
        (PagePlace::BoundAddress, Lang::En) => "the address the server is bound to".to_string(),
        (PagePlace::BoundAddress, Lang::Ko) => "서버가 바인드한 주소".to_string(),
    };
    format!("  {url}   ({place})")
}

/// Where an address of the live page can be reached from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PagePlace {
    /// A network interface other machines can reach (`eth0`).
    Interface(String),
    /// Loopback: only this machine.
    ThisMachine,
    /// The one address `--bind` chose.
    BoundAddress,
}

/// Before the QR code of the page's first address.
pub fn scan_to_open(lang: Lang, url: &str) -> String {
    match lang {
        Lang::En => format!("scan to open {url}:"),
        Lang::Ko => format!("휴대폰으로 스캔하면 {url} 이 열립니다:"),
    }
}

/// `--redact`: no QR code, and why.
pub fn no_qr_when_redacted(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "no QR code with --redact: it would show the real address.",
        Lang::Ko => {
            "--redact를 주면 QR 코드를 보여 주지 않는다: QR 코드에는 실제 주소가 담기기 때문이다."
        }
    }
}

/// `--banner` turns the page off, and why.
pub fn no_page_with_banner(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "no live page with --banner: a server that speaks first cannot tell a browser \
             from an echo client by what the client sends first."
        }
        Lang::Ko => {
            "--banner를 쓰면 실시간 페이지는 꺼집니다: 서버가 먼저 말하면 클라이언트가 처음 \
             보낸 바이트로 브라우저와 에코 클라이언트를 구별할 수 없기 때문입니다."
        }
    }
}

/// `--live` with a stdout that is not a terminal.
pub fn live_needs_terminal(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "--live needs a terminal on stdout, and stdout is not one; printing the log instead."
        }
        Lang::Ko => {
            "--live에는 터미널인 표준 출력이 필요한데 지금 표준 출력은 터미널이 아닙니다. \
             대신 기록을 출력합니다."
        }
    }
}

/// The terminal could not be switched to the live screen.
pub fn live_cannot_take_terminal(lang: Lang, error: &str) -> String {
    match lang {
        Lang::En => format!("cannot take over the terminal for --live: {error}"),
        Lang::Ko => format!("--live 화면을 띄우려고 터미널을 넘겨받을 수 없습니다: {error}"),
    }
}

/// A table read for the live view failed (said once, not on every read).
pub fn live_read_failed(lang: Lang, error: &str) -> String {
    match lang {
        Lang::En => format!("live view: {error}"),
        Lang::Ko => format!("실시간 보기: {error}"),
    }
}
