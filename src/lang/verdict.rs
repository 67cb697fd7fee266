//! The verdict in words: the one-word outcome and the explanation
//! (`claim::verdict` decides; these sentences say it).

use super::{Lang, Transport};
use crate::words;

/// `Verdict` before the outcome word: `Verdict: HOLDS.`
pub fn label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Verdict",
        Lang::Ko => "판정",
    }
}

/// The claim holds.
pub fn holds_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "HOLDS",
        Lang::Ko => "성립",
    }
}

/// The table contradicts the claim.
pub fn fails_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "FAILS",
        Lang::Ko => "불성립",
    }
}

/// The table does not show enough.
pub fn not_enough_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "NOT ENOUGH EVIDENCE",
        Lang::Ko => "증거 부족",
    }
}

/// TCP, the claim holds: `accepted` sockets on `port`, told apart by the
/// remote ends in `list` (and by the local IP where a remote end repeats).
pub fn holds_tcp(lang: Lang, accepted: usize, port: u16, by_local_ip: bool, list: &str) -> String {
    match lang {
        Lang::En => {
            let by = if by_local_ip {
                "by the remote end (and, where a remote end repeats, by the local IP): "
            } else {
                "by the remote end: "
            };
            format!(
                "{accepted} accepted sockets, all on local port {port} like the listener; \
                 the kernel tells them apart {by}{list}. The claim holds: one port, \
                 one socket per connection, each named by its own 4-tuple."
            )
        }
        Lang::Ko => {
            let by = if by_local_ip {
                "원격 종단으로(원격 종단이 겹치는 소켓은 로컬 IP까지 보고)"
            } else {
                "원격 종단으로"
            };
            format!(
                "연결 소켓 {accepted}개가 모두 환영 소켓과 같은 로컬 포트 {port}번에 있고, \
                 커널은 이들을 {by} 구별한다: {list}. 명제가 성립한다. 포트는 하나, \
                 소켓은 연결마다 하나이며, 소켓마다 자기만의 4-튜플로 이름이 붙는다."
            )
        }
    }
}

/// UDP, the claim holds: `servers` sockets on `port` serve `clients` clients.
pub fn holds_udp(lang: Lang, servers: usize, port: u16, clients: usize, list: &str) -> String {
    match lang {
        Lang::En => format!(
            "{} on port {port} serve{} {}: {list}. UDP has no connections, \
             so the kernel delivers each datagram by its destination (IP, port) alone. \
             The claim holds: one socket serves every client.",
            words::count(servers, "UDP socket"),
            words::verb(servers, "s", ""),
            words::count(clients, "client")
        ),
        Lang::Ko => format!(
            "{port}번 포트의 UDP 소켓 {servers}개가 클라이언트 {clients}개를 모두 맡는다: {list}. \
             UDP에는 연결이 없으므로 커널은 데이터그램을 목적지 (IP, 포트)만 보고 전달한다. \
             명제가 성립한다. 소켓 하나가 모든 클라이언트를 맡는다."
        ),
    }
}

/// `text`, and the `queued` connections still waiting in the accept queue.
pub fn with_queued(lang: Lang, text: &str, queued: usize) -> String {
    match (lang, queued) {
        (_, 0) => text.to_string(),
        (Lang::En, 1) => format!(
            "{text} (1 more connection waits in the accept queue: its handshake is done, but no accept() has taken it yet.)"
        ),
        (Lang::En, n) => format!(
            "{text} ({n} more connections wait in the accept queue: their handshake is done, but no accept() has taken them yet.)"
        ),
        (Lang::Ko, n) => format!(
            "{text} (연결 {n}개가 수락 큐에서 더 기다리고 있다. 핸드셰이크는 끝났지만 아직 어떤 accept()도 가져가지 않았다.)"
        ),
    }
}

/// The claim does not hold, for the `reasons` below.
pub fn fails(lang: Lang, reasons: &[String]) -> String {
    match lang {
        Lang::En => format!(
            "The claim does not hold on this table: {}.",
            reasons.join("; ")
        ),
        Lang::Ko => format!(
            "이 표에서는 명제가 성립하지 않는다: {}.",
            reasons.join("; ")
        ),
    }
}

/// A reason: an accepted socket `local -> remote` on another port.
pub fn other_local_port(
    lang: Lang,
    local: &str,
    remote: &str,
    local_port: u16,
    port: u16,
) -> String {
    match lang {
        Lang::En => format!(
            "the accepted socket {local} -> {remote} has local port {local_port}, not the listening port {port}"
        ),
        Lang::Ko => format!(
            "연결 소켓 {local} -> {remote}의 로컬 포트는 환영 소켓의 포트인 {port}번이 아니라 {local_port}번이다"
        ),
    }
}

/// A reason: two accepted sockets with one 4-tuple.
pub fn duplicate_tuple(lang: Lang, local: &str, remote: &str) -> String {
    match lang {
        Lang::En => format!(
            "two accepted sockets share the 4-tuple {local} -> {remote}, so the kernel could not tell them apart"
        ),
        Lang::Ko => format!(
            "연결 소켓 두 개의 4-튜플이 같으므로({local} -> {remote}) 커널이 둘을 구별할 수 없다"
        ),
    }
}

/// A reason: `count` UDP sockets bound to one address (SO_REUSEPORT).
pub fn shared_udp_address(lang: Lang, count: usize, local: &str) -> String {
    match lang {
        Lang::En => format!(
            "{count} UDP sockets are bound to {local} (SO_REUSEPORT), so the kernel spreads clients over them"
        ),
        Lang::Ko => format!(
            "UDP 소켓 {count}개가 {local}에 바인드되어 있으므로(SO_REUSEPORT) 커널이 클라이언트를 그 소켓들에 나누어 보낸다"
        ),
    }
}

/// A reason: a connected UDP socket on the port.
pub fn connected_udp_socket(lang: Lang, local: &str, remote: &str) -> String {
    match lang {
        Lang::En => format!(
            "the connected UDP socket {local} -> {remote} takes that client's datagrams instead of the server socket"
        ),
        Lang::Ko => format!(
            "connect()된 UDP 소켓({local} -> {remote})이 서버 소켓 대신 그 클라이언트의 데이터그램을 받는다"
        ),
    }
}

/// No socket listens on (TCP) or is bound to (UDP) the port.
pub fn no_server(lang: Lang, transport: Transport, port: u16) -> String {
    match (lang, transport) {
        (Lang::En, Transport::Tcp) => {
            format!("No socket is listening on TCP port {port}.")
        }
        (Lang::En, Transport::Udp) => {
            format!("No socket is bound to UDP port {port}.")
        }
        (Lang::Ko, Transport::Tcp) => {
            format!("TCP {port}번 포트에서 연결을 기다리는 소켓이 없다.")
        }
        (Lang::Ko, Transport::Udp) => {
            format!("UDP {port}번 포트에 바인드된 소켓이 없다.")
        }
    }
}

/// Fewer than two clients: `seen` of them.
pub fn too_few_clients(lang: Lang, transport: Transport, seen: usize, port: u16) -> String {
    match (lang, transport) {
        (Lang::En, Transport::Tcp) => format!(
            "So far {} on port {port}; \
             at least 2 clients must be connected to show that they share it.",
            words::count(seen, "accepted socket")
        ),
        (Lang::En, Transport::Udp) => format!(
            "So far {} of UDP port {port}; \
             at least 2 clients must send to it to show that one socket serves them all. {}",
            words::count(seen, "client"),
            udp_clients_unseen(lang)
        ),
        (Lang::Ko, Transport::Tcp) => format!(
            "아직 {port}번 포트의 연결 소켓이 {seen}개뿐이다. \
             클라이언트들이 포트를 함께 쓴다는 것을 보이려면 적어도 2개가 연결되어 있어야 한다."
        ),
        (Lang::Ko, Transport::Udp) => format!(
            "아직 UDP {port}번 포트의 클라이언트가 {seen}개뿐이다. \
             소켓 하나가 모든 클라이언트를 맡는다는 것을 보이려면 적어도 2개가 이 포트로 보내야 한다. {}",
            udp_clients_unseen(lang)
        ),
    }
}

/// UDP, with the server's own record of who sent: fewer than two so far.
/// (The table's blind spot need not be explained: the server heard them.)
pub fn too_few_heard(lang: Lang, heard: usize, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "So far the server heard from {} on UDP port {port}; at least 2 clients must \
             send to it to show that one socket serves them all.",
            words::count(heard, "client")
        ),
        Lang::Ko => format!(
            "아직 서버가 UDP {port}번 포트에서 받은 클라이언트가 {heard}개뿐이다. \
             소켓 하나가 모든 클라이언트를 맡는다는 것을 보이려면 적어도 2개가 이 포트로 보내야 한다."
        ),
    }
}

/// What the table can and cannot show of a UDP server's clients (see
/// `claim::verdict`): said whenever too few were seen, because the clients
/// may well have sent, and the reason they are missing is the lesson itself.
fn udp_clients_unseen(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "A UDP server keeps no socket per client, so the \
             table names a client only by the client's own socket: one on this host that called \
             connect() (as `sameport connect --proto udp` does) points at the server's port. \
             Clients on other hosts, and clients that use sendto() without connect(), leave no \
             row here; only the server hears them all (`sameport serve --proto udp` counts them)."
        }
        Lang::Ko => {
            "UDP 서버는 클라이언트마다 소켓을 두지 않으므로, 표가 클라이언트를 보여 주는 길은 \
             클라이언트 자신의 소켓뿐이다. 이 호스트에서 connect()를 호출한 클라이언트 소켓\
             (`sameport connect --proto udp`가 그렇게 한다)은 서버의 포트를 가리킨다. \
             다른 호스트의 클라이언트나 connect() 없이 sendto()만 쓰는 클라이언트는 여기에 \
             아무 행도 남기지 않는다. 그 모두를 듣는 것은 서버뿐이다\
             (`sameport serve --proto udp`가 그 수를 센다)."
        }
    }
}

/// The end of a shortened list of addresses: `and 12 more`.
pub fn and_more(lang: Lang, more: usize) -> String {
    match lang {
        Lang::En => format!("and {more} more"),
        Lang::Ko => format!("외 {more}개"),
    }
}
