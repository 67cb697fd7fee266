//! `connect`: what the clients say (on stderr, about the run) and print
//! (on stdout, the echoes).

use super::{Lang, Transport};
use crate::words;

/// A client is connected (TCP) or ready to send (UDP: no connection, its
/// socket only knows the server's address).
pub fn connected(
    lang: Lang,
    label: &str,
    transport: Transport,
    local: &str,
    target: &str,
) -> String {
    let state = match (lang, transport) {
        (Lang::En, Transport::Tcp) => "connected",
        (Lang::En, Transport::Udp) => "ready",
        (Lang::Ko, Transport::Tcp) => "연결됨",
        (Lang::Ko, Transport::Udp) => "준비됨",
    };
    format!("sameport: {label} {transport} {local} -> {target} {state}")
}

/// Several clients, no `--message` and stdin a terminal: they only connect.
pub fn nothing_sent(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "no --message: nothing sent (several clients do not read the terminal; \
             give --message TEXT, or --count 1 to type lines)"
        }
        Lang::Ko => {
            "--message가 없어 아무것도 보내지 않았습니다(클라이언트가 여럿이면 터미널 입력을 \
             읽지 않습니다. --message TEXT를 주거나, 줄을 직접 입력하려면 --count 1을 쓰세요)"
        }
    }
}

/// `--hold`: the connections (TCP) or sockets (UDP) stay open a while.
pub fn holding(lang: Lang, transport: Transport, connections: usize, secs: f64) -> String {
    match (lang, transport) {
        (Lang::En, _) => {
            let noun = match transport {
                Transport::Tcp => "connection",
                Transport::Udp => "socket",
            };
            format!(
                "sameport: holding {} for {secs}s (Ctrl-C to close {} now)",
                words::count(connections, noun),
                words::verb(connections, "it", "them")
            )
        }
        (Lang::Ko, Transport::Tcp) => format!(
            "sameport: 연결 {connections}개를 {secs}초 동안 유지합니다(지금 닫으려면 Ctrl-C)"
        ),
        (Lang::Ko, Transport::Udp) => format!(
            "sameport: 소켓 {connections}개를 {secs}초 동안 유지합니다(지금 닫으려면 Ctrl-C)"
        ),
    }
}

/// Piped input too big to send on every client.
pub fn piped_too_big(lang: Lang, mib: u64) -> String {
    match lang {
        Lang::En => format!(
            "piped input over {mib} MiB cannot be sent on every client; use --count 1 to stream it"
        ),
        Lang::Ko => format!(
            "파이프로 들어온 입력이 {mib} MiB를 넘어 모든 클라이언트로 보낼 수 없습니다. \
             흘려 보내려면 --count 1을 쓰세요"
        ),
    }
}

/// `--count 0`.
pub fn count_at_least_one(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "--count must be at least 1",
        Lang::Ko => "--count는 1 이상이어야 합니다",
    }
}

/// More clients than open files.
pub fn too_many_clients(lang: Lang, count: usize, limit: u64) -> String {
    match lang {
        Lang::En => format!(
            "--count {count} needs {count} open files, but this process may open {limit}; \
             use fewer clients (sameport scale spreads more over several processes)"
        ),
        Lang::Ko => format!(
            "--count {count}에는 열린 파일 {count}개가 필요하지만 이 프로세스는 {limit}개까지만 열 수 \
             있습니다. 클라이언트 수를 줄이세요(sameport scale은 더 많은 연결을 여러 프로세스에 \
             나눕니다)"
        ),
    }
}

/// What the server sent before the echo (a banner).
pub fn server_said(lang: Lang, name: &str, greeting: &str) -> String {
    match lang {
        Lang::En => format!("{name}: the server said {greeting}"),
        Lang::Ko => format!("{name}: 서버가 먼저 보냄 {greeting}"),
    }
}

/// A message and its echo.
pub fn sent_and_echo(lang: Lang, name: &str, message: &str, bytes: usize, echo: &str) -> String {
    match lang {
        Lang::En => format!(
            "{name}: sent {message} ({}), echo {echo}",
            words::count(bytes, "byte")
        ),
        Lang::Ko => format!("{name}: 보냄 {message} ({bytes}바이트), 에코 {echo}"),
    }
}

/// Some clients got no echo.
pub fn turned_away(lang: Lang, turned_away: usize, clients: usize) -> String {
    match lang {
        Lang::En => format!(
            "sameport: {turned_away} of {} got no echo: the server closed {}",
            words::count(clients, "client"),
            words::verb(turned_away, "its connection", "their connections")
        ),
        Lang::Ko => format!(
            "sameport: 클라이언트 {clients}개 가운데 {turned_away}개가 에코를 받지 못했습니다. \
             서버가 연결을 닫았습니다"
        ),
    }
}

/// The server closed at once: it turned this client away.
pub fn closed_at_once(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "sameport: the server closed the connection as soon as it was opened: \
             it turned this client away"
        }
        Lang::Ko => {
            "sameport: 서버가 연결이 열리자마자 닫았습니다. 이 클라이언트를 거절한 것입니다"
        }
    }
}

/// The interactive client's prompt.
pub fn type_a_line(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "sameport: type a line and press Enter; `exit` or Ctrl-D to quit",
        Lang::Ko => "sameport: 한 줄을 입력하고 Enter를 누르세요(끝내기: `exit` 또는 Ctrl-D)",
    }
}

/// During `--hold`, the server closed one of the connections (its idle
/// timeout, or it stopped) after `secs` seconds.
pub fn closed_while_held(lang: Lang, client: &str, secs: f64) -> String {
    match lang {
        Lang::En => {
            format!("sameport: {client}: the server closed the connection after {secs:.1}s")
        }
        Lang::Ko => format!("sameport: {client}: {secs:.1}초 뒤 서버가 연결을 닫았습니다"),
    }
}

/// The server closed the interactive client's connection.
pub fn server_closed(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "sameport: the server closed the connection.",
        Lang::Ko => "sameport: 서버가 연결을 닫았습니다.",
    }
}

/// A line from the server, as the textbook's client prints it.
pub fn from_server(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => format!("From server: {text}\n"),
        Lang::Ko => format!("서버로부터: {text}\n"),
    }
}
