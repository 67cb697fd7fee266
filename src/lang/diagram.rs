//! The words inside the Mermaid picture of a port (`view::mermaid`): the
//! names of the boxes and of the arrows. Node ids stay as they are.

use super::{Lang, Transport};

/// The server's box: `server: one TCP port, 12000`.
pub fn server(lang: Lang, transport: Transport, port: u16) -> String {
    match lang {
        Lang::En => format!("server: one {transport} port, {port}"),
        Lang::Ko => format!("서버: {transport} 포트 하나, {port}번"),
    }
}

/// The port's circle.
pub fn port(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!("port {port}"),
        Lang::Ko => format!("{port}번 포트"),
    }
}

/// A listening socket's box (its address follows).
pub fn listening_socket(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "listening socket",
        Lang::Ko => "환영 소켓",
    }
}

/// An accepted socket's box: `socket 2<br/>4-tuple a → b`.
pub fn connection_socket(lang: Lang, n: usize, remote: &str, local: &str) -> String {
    match lang {
        Lang::En => format!("socket {n}<br/>4-tuple {remote} → {local}"),
        Lang::Ko => format!("연결 소켓 {n}<br/>4-튜플 {remote} → {local}"),
    }
}

/// The UDP server's one socket's box.
pub fn udp_socket(lang: Lang, local: &str) -> String {
    match lang {
        Lang::En => format!("the one UDP socket<br/>{local} (every client)"),
        Lang::Ko => format!("하나뿐인 UDP 소켓<br/>{local} (모든 클라이언트)"),
    }
}

/// The arrow from a client to the port.
pub fn to_port(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!("to port {port}"),
        Lang::Ko => format!("{port}번 포트로"),
    }
}

/// The arrow from the port to a connection's own socket.
pub fn own_socket(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "its own socket",
        Lang::Ko => "자기 연결의 소켓",
    }
}

/// The dotted arrow from the port to a listening socket.
pub fn new_connections(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "new connections",
        Lang::Ko => "새 연결",
    }
}

/// The arrow from the UDP port to its one socket.
pub fn every_datagram(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "every datagram",
        Lang::Ko => "모든 데이터그램",
    }
}

/// What a box of "more" stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Many {
    Clients,
    Sockets,
}

/// The clients' box title.
pub fn clients(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "clients",
        Lang::Ko => "클라이언트",
    }
}

/// `... 12 more clients`.
pub fn more(lang: Lang, many: Many, n: usize) -> String {
    match (lang, many) {
        (Lang::En, Many::Clients) => format!("... {n} more clients"),
        (Lang::En, Many::Sockets) => format!("... {n} more sockets"),
        (Lang::Ko, Many::Clients) => format!("... 클라이언트 {n}개 더"),
        (Lang::Ko, Many::Sockets) => format!("... 소켓 {n}개 더"),
    }
}
