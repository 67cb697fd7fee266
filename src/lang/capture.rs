//! What a packet capture showed, in words (`capture::evidence` counts it).

use super::{Lang, Transport};
use crate::words;

/// No segment to the port was captured.
pub fn nothing(lang: Lang, transport: Transport, port: u16) -> String {
    match (lang, transport) {
        (Lang::En, Transport::Tcp) => format!("no segment to port {port} was captured"),
        (Lang::En, Transport::Udp) => format!("no datagram to port {port} was captured"),
        (Lang::Ko, Transport::Tcp) => {
            format!("{port}번 포트로 가는 세그먼트는 하나도 캡처되지 않았다")
        }
        (Lang::Ko, Transport::Udp) => {
            format!("{port}번 포트로 가는 데이터그램은 하나도 캡처되지 않았다")
        }
    }
}

/// Every segment of the `clients` went to the port, and the socket table
/// showed `sockets` sockets serving them.
pub fn all_to_port(
    lang: Lang,
    transport: Transport,
    clients: usize,
    port: u16,
    sockets: usize,
) -> String {
    match lang {
        Lang::En => {
            let unit = unit_en(transport);
            let clients = match clients {
                1 => "the client".to_string(),
                n => format!("the {n} clients"),
            };
            let sockets = match sockets {
                1 => "one socket".to_string(),
                n => format!("{n} different sockets"),
            };
            format!(
                "every {unit} from {clients} was addressed to port {port}; \
                 the kernel delivered them to {sockets}"
            )
        }
        Lang::Ko => {
            let unit = unit_ko_topic(transport);
            let clients = match clients {
                1 => "클라이언트".to_string(),
                n => format!("클라이언트 {n}개"),
            };
            let sockets = match sockets {
                1 => "소켓 하나".to_string(),
                n => format!("서로 다른 소켓 {n}개"),
            };
            format!(
                "{clients}가 보낸 {unit} 모두 목적지가 {port}번 포트였고, \
                 커널은 그것들을 {sockets}에 전달했다"
            )
        }
    }
}

/// Only `to_port` of the `sent` segments of the `clients` went to the port.
pub fn some_to_port(
    lang: Lang,
    transport: Transport,
    clients: usize,
    (to_port, sent): (usize, usize),
    port: u16,
) -> String {
    let other = sent - to_port;
    match lang {
        Lang::En => {
            let clients = match clients {
                1 => "the client".to_string(),
                n => format!("the {n} clients"),
            };
            format!(
                "{to_port} of the {} from {clients} {} addressed to port {port}; \
                 {other} went to other ports",
                words::count(sent, unit_en(transport)),
                words::verb(to_port, "was", "were"),
            )
        }
        Lang::Ko => {
            let clients = match clients {
                1 => "클라이언트".to_string(),
                n => format!("클라이언트 {n}개"),
            };
            format!(
                "{clients}가 보낸 {} {sent}개 가운데 {to_port}개가 {port}번 포트로 갔고, \
                 {other}개는 다른 포트로 갔다",
                unit_ko(transport)
            )
        }
    }
}

fn unit_en(transport: Transport) -> &'static str {
    match transport {
        Transport::Tcp => "segment",
        Transport::Udp => "datagram",
    }
}

/// The unit in Korean, bare: `세그먼트 20개`.
fn unit_ko(transport: Transport) -> &'static str {
    match transport {
        Transport::Tcp => "세그먼트",
        Transport::Udp => "데이터그램",
    }
}

/// The unit in Korean with its topic particle, which depends on the last
/// syllable: `세그먼트는`, `데이터그램은`.
fn unit_ko_topic(transport: Transport) -> &'static str {
    match transport {
        Transport::Tcp => "세그먼트는",
        Transport::Udp => "데이터그램은",
    }
}

/// The line under a capture's table: `Capture: every segment ...`.
pub fn line(lang: Lang, sentence: &str) -> String {
    match lang {
        Lang::En => format!("Capture: {sentence}."),
        Lang::Ko => format!("캡처: {sentence}."),
    }
}

/// `serve --capture`'s heading: `Captured on TCP port 12000 (20 segments)`.
pub fn heading(lang: Lang, transport: Transport, port: u16, segments: usize) -> String {
    match lang {
        Lang::En => format!(
            "Captured on {transport} port {port} ({})",
            words::count(segments, "segment")
        ),
        Lang::Ko => format!("{transport} {port}번 포트에서 캡처한 세그먼트 {segments}개"),
    }
}
