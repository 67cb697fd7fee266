//! The words around the tables: their titles, the lines that name a side of
//! the port, the summary of a long table and what a table leaves out.
//!
//! The column headers are not here: they stay as `netstat` and `lsof` print
//! them in every language, because students compare the two line by line.

use super::{Lang, Transport};
use crate::words;

/// The title over the netstat table (`-tanp` for TCP, `-uanp` for UDP).
pub fn netstat_title(lang: Lang, transport: Transport) -> &'static str {
    match (lang, transport) {
        (Lang::En, Transport::Tcp) => "netstat -tanp view (one row per socket)",
        (Lang::En, Transport::Udp) => "netstat -uanp view (one row per socket)",
        (Lang::Ko, Transport::Tcp) => "netstat -tanp 형식 (소켓마다 한 행)",
        (Lang::Ko, Transport::Udp) => "netstat -uanp 형식 (소켓마다 한 행)",
    }
}

/// The title over the lsof table.
pub fn lsof_title(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "lsof -i view (one row per process holding a socket)",
        Lang::Ko => "lsof -i 형식 (소켓을 가진 프로세스마다 한 행)",
    }
}

/// The line over the server's side of a port.
pub fn server_side(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!("The server's side: sockets with local port {port}."),
        Lang::Ko => format!("서버 쪽: 로컬 포트가 {port}번인 소켓."),
    }
}

/// The line over the clients' side of a port, on this host.
pub fn clients_side(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!("The clients' side, on this host: sockets with remote port {port}."),
        Lang::Ko => format!("이 호스트의 클라이언트 쪽: 원격 포트가 {port}번인 소켓."),
    }
}

/// A long table shows its first `head` and last `tail` rows; `cut` are left out.
pub fn rows_shown(lang: Lang, head: usize, tail: usize, cut: usize) -> String {
    if tail == 0 {
        // `--max-rows 1`: the first row only.
        return match lang {
            Lang::En => format!(
                "Showing the first {}; {} {} left out \
                 (raise --max-rows to see them, or use --format json for every row).",
                words::count(head, "row"),
                words::count(cut, "more row"),
                words::verb(cut, "is", "are"),
            ),
            Lang::Ko => format!(
                "처음 {head}개 행만 보인다. 그 뒤의 {cut}개 행은 생략했다\
                 (보려면 --max-rows를 늘리거나, --format json으로 모든 행을 받는다)."
            ),
        };
    }
    match lang {
        Lang::En => format!(
            "Showing the first {} and the last {}; {} in between {} left out \
             (raise --max-rows to see them, or use --format json for every row).",
            words::count(head, "row"),
            words::count(tail, "row"),
            words::count(cut, "row"),
            words::verb(cut, "is", "are"),
        ),
        Lang::Ko => format!(
            "처음 {head}개 행과 마지막 {tail}개 행만 보인다. 그 사이의 {cut}개 행은 생략했다\
             (보려면 --max-rows를 늘리거나, --format json으로 모든 행을 받는다)."
        ),
    }
}

/// lsof's DEVICE and SIZE/OFF were left out to fit `width` columns.
pub fn lsof_columns_left_out(lang: Lang, width: usize) -> String {
    match lang {
        Lang::En => format!(
            "(DEVICE and SIZE/OFF, always 0t0 for a socket, are left out to fit {width} \
             columns; a wider window shows them.)"
        ),
        Lang::Ko => format!(
            "(너비 {width}칸에 맞추느라 DEVICE와 SIZE/OFF 열(소켓은 늘 0t0)을 뺐다. \
             창을 넓히면 보인다.)"
        ),
    }
}

/// Recv-Q and Send-Q were left out to fit `width` columns.
pub fn queues_left_out(lang: Lang, width: usize) -> String {
    match lang {
        Lang::En => format!(
            "(Recv-Q and Send-Q are left out to fit {width} columns; a wider window shows them.)"
        ),
        Lang::Ko => {
            format!("(너비 {width}칸에 맞추느라 Recv-Q와 Send-Q 열을 뺐다. 창을 넓히면 보인다.)")
        }
    }
}

/// `unheld` sockets no process holds have no row in the lsof view.
pub fn lsof_left_out(lang: Lang, unheld: usize) -> String {
    match lang {
        Lang::En => format!(
            "({} that no process holds (TIME_WAIT, or waiting in the accept queue) {} left \
             out here, as lsof leaves {} out; the netstat view lists {}.)",
            words::count(unheld, "socket"),
            words::verb(unheld, "is", "are"),
            words::verb(unheld, "it", "them"),
            words::verb(unheld, "it", "them"),
        ),
        Lang::Ko => format!(
            "(어떤 프로세스도 갖고 있지 않은 소켓 {unheld}개(TIME_WAIT 상태이거나 수락 큐에서 \
             기다리는 소켓)는 lsof처럼 여기서 뺐다. netstat 형식에는 나온다.)"
        ),
    }
}

/// No client socket of this process points at `port`.
pub fn no_client_socket(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "No client socket of this process is connected to port {port} (a closed \
             connection shows in its state)."
        ),
        Lang::Ko => format!(
            "이 프로세스의 클라이언트 소켓 가운데 {port}번 포트에 연결된 것이 없다(닫힌 연결은 \
             State 열에 그 상태가 나타난다)."
        ),
    }
}

/// What the clients' own sockets show: `sockets` of them, `distinct` local
/// ends on `total` local ports (the first of them `shown`; `by_ip`: the ends
/// share ports and differ by IP address), all pointing at `port` (for one
/// socket, its one local port, without "distinct" or "every one").
pub fn mirror(
    lang: Lang,
    transport: Transport,
    sockets: usize,
    distinct: usize,
    (shown, total, by_ip): (&[String], usize, bool),
    port: u16,
) -> String {
    let ports = shown.join(", ");
    let more = total.saturating_sub(shown.len());
    if sockets == 1 {
        return match (lang, transport) {
            (Lang::En, Transport::Tcp) => format!(
                "1 client socket, local port {ports}, with remote port {port}: the mirror \
                 image of the server's accepted socket."
            ),
            (Lang::En, Transport::Udp) => format!(
                "1 client socket, local port {ports}, with remote port {port}: sending to \
                 the server's one socket."
            ),
            (Lang::Ko, Transport::Tcp) => format!(
                "클라이언트 소켓 1개의 로컬 포트는 {ports}번이고, 원격 포트는 {port}번이다. \
                 서버의 연결 소켓을 거울에 비춘 모습이다."
            ),
            (Lang::Ko, Transport::Udp) => format!(
                "클라이언트 소켓 1개의 로컬 포트는 {ports}번이고, 원격 포트는 {port}번이다. \
                 서버의 하나뿐인 소켓으로 보낸다."
            ),
        };
    }
    match lang {
        Lang::En => {
            let more = match (more, by_ip) {
                (0, false) => String::new(),
                (0, true) => "; the IP addresses differ".to_string(),
                (_, false) => format!(" and {more} more"),
                (_, true) => format!(" and {more} more; the IP addresses differ"),
            };
            let mirror = match transport {
                Transport::Tcp => "the mirror image of the server's accepted sockets",
                Transport::Udp => "all sending to the server's one socket",
            };
            format!(
                "{}, {} (port{} {ports}{more}), every one with remote port {port}: {mirror}.",
                words::count(sockets, "client socket"),
                words::count(distinct, "distinct local end"),
                words::s(total),
            )
        }
        Lang::Ko => {
            let more = match (more, by_ip) {
                (0, false) => String::new(),
                (0, true) => ", IP 주소가 서로 다름".to_string(),
                (_, false) => format!(" 외 {more}개"),
                (_, true) => format!(" 외 {more}개, IP 주소가 서로 다름"),
            };
            let mirror = match transport {
                Transport::Tcp => "서버의 연결 소켓들을 거울에 비춘 모습이다",
                Transport::Udp => "모두 서버의 하나뿐인 소켓으로 보낸다",
            };
            format!(
                "클라이언트 소켓 {sockets}개의 로컬 종단은 서로 다른 {distinct}개(포트 \
                 {ports}{more})이고, 원격 포트는 모두 {port}번이다. {mirror}."
            )
        }
    }
}

/// The role of a socket, as the summary of a long table counts it (the JSON
/// `role` values stay English: `listener`, `accepted` ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleWord {
    Listener,
    Accepted,
    Queued,
    Server,
    Client,
    Other,
}

/// A role, `n` times: `3 accepted` or `연결 소켓 3개`.
pub fn role_count(lang: Lang, role: RoleWord, n: usize) -> String {
    match lang {
        Lang::En => {
            let name = match role {
                RoleWord::Listener => "listener",
                RoleWord::Accepted => "accepted",
                RoleWord::Queued => "queued",
                RoleWord::Server => "server",
                RoleWord::Client => "client",
                RoleWord::Other => "other",
            };
            format!("{n} {name}")
        }
        Lang::Ko => {
            let name = match role {
                RoleWord::Listener => "환영 소켓",
                RoleWord::Accepted => "연결 소켓",
                RoleWord::Queued => "수락 대기",
                RoleWord::Server => "서버 소켓",
                RoleWord::Client => "클라이언트 소켓",
                RoleWord::Other => "기타",
            };
            format!("{name} {n}개")
        }
    }
}

/// A state, `n` times: `3 ESTABLISHED` or `ESTABLISHED 3개` (states are
/// spelled as netstat spells them, in every language).
pub fn state_count(lang: Lang, state: &str, n: usize) -> String {
    match lang {
        Lang::En => format!("{n} {state}"),
        Lang::Ko => format!("{state} {n}개"),
    }
}

/// The summary over a long table: `sockets` on the port, by state and by
/// role (already counted), and the distinct remote addresses and ends.
pub fn summary(
    lang: Lang,
    sockets: usize,
    (transport, port): (Transport, u16),
    states: &str,
    roles: &str,
    (remote_ips, remote_ends): (usize, usize),
) -> String {
    match lang {
        Lang::En => format!(
            "{} on {transport} port {port}: {states} (roles: {roles}); {}, {}.",
            words::count(sockets, "socket"),
            words::count_irregular(
                remote_ips,
                "distinct remote address",
                "distinct remote addresses"
            ),
            words::count(remote_ends, "distinct remote (address, port) pair"),
        ),
        Lang::Ko => format!(
            "{transport} {port}번 포트의 소켓 {sockets}개: {states} (역할: {roles}). \
             서로 다른 원격 주소 {remote_ips}개, 서로 다른 원격 (주소, 포트) 쌍 {remote_ends}개."
        ),
    }
}

/// The heading over `connect`'s own sockets toward `port`.
pub fn client_side_heading(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!("Client side: this process's sockets toward port {port}"),
        Lang::Ko => format!("클라이언트 쪽: {port}번 포트로 향하는 이 프로세스의 소켓"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--max-rows 1` keeps the first row and no last rows: the line does
    /// not offer "the last 0 rows".
    #[test]
    fn a_table_cut_after_its_first_row_says_so_plainly() {
        let line = rows_shown(Lang::En, 1, 0, 3);
        assert!(
            line.starts_with("Showing the first 1 row; 3 more rows are left out"),
            "{line}"
        );
        assert!(!rows_shown(Lang::Ko, 1, 0, 3).contains("마지막"));
        let both = rows_shown(Lang::En, 25, 25, 100);
        assert!(both.contains("and the last 25 rows"), "{both}");
    }
}
