//! `inspect`: the heading over the table of any server's port.

use super::{Lang, Transport};

/// Which end(s) of the port the table shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sides {
    Both,
    Server,
    Clients,
}

/// `Sockets on TCP port 80 on this host: the server's side ...`.
pub fn heading(lang: Lang, transport: Transport, port: u16, sides: Sides) -> String {
    match lang {
        Lang::En => {
            let which = match sides {
                Sides::Both => "the server's side and its clients' side",
                Sides::Server => "the server's side",
                Sides::Clients => "the clients' side",
            };
            format!("Sockets on {transport} port {port} on this host: {which}")
        }
        Lang::Ko => {
            let which = match sides {
                Sides::Both => "서버 쪽과 그 클라이언트 쪽",
                Sides::Server => "서버 쪽",
                Sides::Clients => "클라이언트 쪽",
            };
            format!("이 호스트의 {transport} {port}번 포트 소켓: {which}")
        }
    }
}
