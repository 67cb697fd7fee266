//! The demo's lab write-up: its titles, steps and the verdict's meaning in
//! each experiment (`commands::demo` runs it; these sentences tell it).
//!
//! The Korean is written as a Korean networking teacher would write the lab
//! (in the plain style of a textbook, 한다체), not translated sentence by
//! sentence; it follows the terms of the Korean edition of Kurose & Ross.

use std::net::SocketAddr;

use super::{Lang, Transport};

/// What a demo shows (`sameport demo`'s experiments, and its title).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Experiment {
    Tcp,
    Udp,
    /// TCP, then UDP, then their contrast.
    Both,
    /// The figure of section 3.2.
    Textbook,
    /// Clients on two other subnets, in network namespaces (Linux, root).
    Subnets,
}

/// The title of the whole write-up.
pub fn title(lang: Lang, experiment: Experiment) -> String {
    match lang {
        Lang::En => {
            let what = match experiment {
                Experiment::Tcp => "one TCP port, one socket per connection",
                Experiment::Udp => "one UDP socket for every client",
                Experiment::Both => "TCP and UDP side by side",
                Experiment::Textbook => "the textbook's figure, on a real kernel",
                Experiment::Subnets => "clients from two other networks, one server port",
            };
            format!("sameport demo: {what} (Kurose & Ross, section 3.2)")
        }
        Lang::Ko => {
            let what = match experiment {
                Experiment::Tcp => "TCP 포트 하나, 연결마다 소켓 하나",
                Experiment::Udp => "모든 클라이언트를 맡는 UDP 소켓 하나",
                Experiment::Both => "TCP와 UDP 나란히 보기",
                Experiment::Textbook => "교재의 그림을 실제 커널에서",
                Experiment::Subnets => "다른 두 네트워크의 클라이언트, 서버 포트 하나",
            };
            format!("sameport 데모: {what} (Kurose & Ross, 3.2절)")
        }
    }
}

/// `Step 3. ...`: a step's number and title.
pub fn step_heading(lang: Lang, number: usize, title: &str) -> String {
    match lang {
        Lang::En => format!("Step {number}. {title}"),
        Lang::Ko => format!("{number}단계. {title}"),
    }
}

/// The title of the concluding step.
pub fn verdict_step(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The verdict",
        Lang::Ko => "판정",
    }
}

/// After the TCP and UDP sections: what the two had on the one port.
pub fn contrast(lang: Lang, clients: usize, port: u16) -> String {
    let tcp_sockets = clients + 1;
    match lang {
        Lang::En => format!(
            "The contrast: for {clients} clients, TCP port {port} had {tcp_sockets} sockets (one listening socket \
             and one per connection, each named by its 4-tuple), while UDP port {port} had 1 socket for \
             all of them (the kernel delivers a datagram by its destination IP and port alone). Neither \
             used a second port on the server."
        ),
        Lang::Ko => format!(
            "두 실험을 나란히 놓아 보자. 클라이언트 {clients}개에 대해 TCP {port}번 포트에는 소켓이 \
             {tcp_sockets}개 있었다(환영 소켓 하나와 연결마다 하나씩이며, 각각 4-튜플로 이름이 붙는다). \
             반면 UDP {port}번 포트에는 그 모두를 맡는 소켓이 1개뿐이었다(커널은 데이터그램을 목적지 \
             IP와 목적지 포트 번호만 보고 전달한다). 어느 쪽도 서버에서 두 번째 포트를 쓰지 않았다."
        ),
    }
}

/// Said at the first client when this system has only 127.0.0.1.
pub fn one_address_note(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            " (This system has only 127.0.0.1 on loopback, so every client uses 127.0.0.1 \
             and they differ by their ports.)"
        }
        Lang::Ko => {
            " (이 시스템의 루프백에는 127.0.0.1만 있으므로 모든 클라이언트가 127.0.0.1을 쓰고, \
             포트 번호로만 서로 구별된다.)"
        }
    }
}

// --- TCP ---------------------------------------------------------------

/// The TCP section's title.
pub fn tcp_section(lang: Lang, clients: usize) -> String {
    match lang {
        Lang::En => format!("TCP: {clients} clients, one port"),
        Lang::Ko => format!("TCP: 클라이언트 {clients}개, 포트 하나"),
    }
}

/// Step 1 of TCP: the server listens.
pub fn tcp_listens(lang: Lang, addr: SocketAddr) -> String {
    match lang {
        Lang::En => format!("The server listens on {addr}"),
        Lang::Ko => format!("서버가 {addr}에서 연결을 기다린다"),
    }
}

/// What step 1 of TCP shows.
pub fn tcp_listens_text(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "The server creates one socket, binds it to port {port} and calls listen(). The table \
             has one row: the listening socket (the textbook's \"welcoming socket\")."
        ),
        Lang::Ko => format!(
            "서버는 소켓 하나를 만들어 {port}번 포트에 바인드(bind)하고 listen()을 호출한다. 표에는 \
             행이 하나뿐이다. 클라이언트의 연결 요청을 기다리는 이 리스닝 소켓이 교재의 환영 소켓\
             (welcoming socket)이다."
        ),
    }
}

/// A TCP client connects and greets.
pub fn tcp_client(lang: Lang, k: usize, local: SocketAddr) -> String {
    match lang {
        Lang::En => format!("Client {k} connects from {local} and sends \"hello\""),
        Lang::Ko => format!("{k}번 클라이언트가 {local}에서 연결하고 \"hello\"를 보낸다"),
    }
}

/// What a TCP client's step shows; `note` is [`one_address_note`] or empty.
pub fn tcp_client_text(lang: Lang, echo: &str, port: u16, note: &str) -> String {
    match lang {
        Lang::En => format!(
            "accept() returned a new socket for this connection, and the echo came back ({echo}). \
             The new row's local port is still {port}: no new port was opened; only the remote \
             end is new.{note}"
        ),
        Lang::Ko => format!(
            "accept()가 이 연결을 위한 새 소켓, 곧 연결 소켓을 반환했고 에코도 돌아왔다({echo}). \
             새 행의 로컬 포트는 여전히 {port}번이다. 새 포트가 열린 것이 아니라 원격 종단만 \
             새로 생겼을 뿐이다.{note}"
        ),
    }
}

/// The clients' side of the TCP connections.
pub fn tcp_clients_side(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The clients' side of the same connections",
        Lang::Ko => "같은 연결을 클라이언트 쪽에서 보면",
    }
}

/// What the TCP verdict means.
pub fn tcp_verdict(lang: Lang, clients: usize, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "The kernel demultiplexes every arriving TCP segment by its 4-tuple (source IP, source \
             port, destination IP, destination port). All {clients} connections have destination port {port}, \
             but no two have the same 4-tuple, so each reaches its own socket. A server therefore \
             needs no port per client, and one port can hold far more than 65,536 connections: \
             the limits are memory and open files, not port numbers."
        ),
        Lang::Ko => format!(
            "커널은 도착하는 TCP 세그먼트를 모두 4-튜플(출발지 IP, 출발지 포트 번호, 목적지 IP, \
             목적지 포트 번호)로 역다중화한다. 연결 {clients}개의 목적지 포트 번호는 모두 {port}번이지만 \
             4-튜플이 같은 연결은 하나도 없으므로, 세그먼트는 저마다 자기 연결의 소켓으로 전달된다. \
             그러므로 서버는 클라이언트마다 포트를 따로 둘 필요가 없고, 포트 하나로 65,536개보다 \
             훨씬 많은 연결을 유지할 수 있다. 한계는 포트 번호가 아니라 메모리와 열린 파일의 수다."
        ),
    }
}

// --- UDP ---------------------------------------------------------------

/// The UDP section's title.
pub fn udp_section(lang: Lang, clients: usize) -> String {
    match lang {
        Lang::En => format!("UDP: {clients} clients, one socket"),
        Lang::Ko => format!("UDP: 클라이언트 {clients}개, 소켓 하나"),
    }
}

/// Step 1 of UDP: the server binds.
pub fn udp_binds(lang: Lang, addr: SocketAddr) -> String {
    match lang {
        Lang::En => format!("The UDP server binds {addr}"),
        Lang::Ko => format!("UDP 서버가 {addr}에 바인드한다"),
    }
}

/// What step 1 of UDP shows.
pub fn udp_binds_text(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "The server creates one UDP socket and binds it to the port. There is no listen() and \
             no accept(): it will receive from everyone with recvfrom() and answer with sendto()."
        }
        Lang::Ko => {
            "서버는 UDP 소켓 하나를 만들어 포트에 바인드한다. listen()도 accept()도 없다. 서버는 \
             recvfrom()으로 누구에게서든 데이터그램을 받고, sendto()로 답한다."
        }
    }
}

/// A UDP client sends.
pub fn udp_client(lang: Lang, k: usize, local: SocketAddr) -> String {
    match lang {
        Lang::En => format!("Client {k} sends \"hello\" from {local}"),
        Lang::Ko => format!("{k}번 클라이언트가 {local}에서 \"hello\"를 보낸다"),
    }
}

/// What a UDP client's step shows; `note` is [`one_address_note`] or empty.
pub fn udp_client_text(lang: Lang, echo: &str, port: u16, note: &str) -> String {
    match lang {
        Lang::En => format!(
            "The datagram went to port {port} and the same socket answered ({echo}). The table still has \
             one socket on port {port}: no socket was created for this client.{note}"
        ),
        Lang::Ko => format!(
            "데이터그램은 {port}번 포트로 갔고, 같은 소켓이 답했다({echo}). 표에는 여전히 {port}번 \
             포트의 소켓이 하나뿐이다. 이 클라이언트를 위한 소켓은 만들어지지 않았다.{note}"
        ),
    }
}

/// The clients' side of UDP.
pub fn udp_clients_side(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The clients' side",
        Lang::Ko => "클라이언트 쪽",
    }
}

/// What the UDP clients' side shows.
pub fn udp_clients_side_text(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "Each client's socket has its own local port and the server's port {port} as its remote port \
             (connect() on a UDP socket only fixes where datagrams go)."
        ),
        Lang::Ko => format!(
            "클라이언트 소켓은 저마다 로컬 포트가 다르고, 원격 포트는 모두 서버의 {port}번 포트다(UDP \
             소켓의 connect()는 데이터그램을 보낼 곳을 정해 둘 뿐, 연결을 맺지 않는다)."
        ),
    }
}

/// What the UDP verdict means.
pub fn udp_verdict(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "A UDP socket is identified by its destination IP and port alone, so every datagram to \
             port {port} reaches the same socket, whoever sent it; the server tells clients apart by the \
             source address recvfrom() returns with each datagram."
        ),
        Lang::Ko => format!(
            "UDP 소켓은 목적지 IP와 목적지 포트 번호만으로 식별되므로, {port}번 포트로 오는 데이터그램은 \
             누가 보냈든 모두 같은 소켓에 도착한다. 서버는 recvfrom()이 데이터그램마다 함께 돌려주는 \
             출발지 주소로 클라이언트를 구별한다."
        ),
    }
}

// --- The textbook's figure ----------------------------------------------

/// Why port 80 of the figure could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoPort80 {
    /// Binding it needs root.
    Privileged,
    /// Another program holds it.
    InUse,
    /// Anything else.
    Other,
}

/// Which port the figure's server got: port 80 as in the figure (`None`),
/// or 12000 because port 80 could not be had.
pub fn textbook_port_note(lang: Lang, why_not_80: Option<NoPort80>) -> String {
    match (lang, why_not_80) {
        (Lang::En, None) => " (port 80, as in the figure)".to_string(),
        (Lang::Ko, None) => "(그림에서처럼 80번 포트)".to_string(),
        (Lang::En, Some(why)) => {
            let why = match why {
                NoPort80::Privileged => "binding it needs root",
                NoPort80::InUse => "it is in use",
                NoPort80::Other => "it could not be bound",
            };
            format!(" (port 12000: port 80, as in the figure, is not available here: {why})")
        }
        (Lang::Ko, Some(why)) => {
            let why = match why {
                NoPort80::Privileged => "바인드하려면 root 권한이 필요하다",
                NoPort80::InUse => "다른 프로그램이 쓰고 있다",
                NoPort80::Other => "바인드할 수 없었다",
            };
            format!("(12000번 포트. 그림의 80번 포트는 여기서 쓸 수 없다: {why})")
        }
    }
}

/// The figure's section title.
pub fn textbook_section(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The textbook's figure: hosts A and C and one Web server",
        Lang::Ko => "교재의 그림: 호스트 A와 C, 그리고 웹 서버 하나",
    }
}

/// Step 1 of the figure.
pub fn textbook_listens(lang: Lang, addr: SocketAddr) -> String {
    match lang {
        Lang::En => format!("The Web server listens on {addr}"),
        Lang::Ko => format!("웹 서버가 {addr}에서 연결을 기다린다"),
    }
}

/// What step 1 of the figure shows; `port_note` from [`textbook_port_note`].
pub fn textbook_listens_text(lang: Lang, port_note: &str) -> String {
    match lang {
        Lang::En => format!("One listening socket on the server's one port{port_note}."),
        // The note names the port, so it goes right after 포트.
        Lang::Ko => format!("서버의 하나뿐인 포트{port_note}에 환영 소켓이 하나 있다."),
    }
}

/// The figure's hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    A,
    C,
}

/// `Host A`, `호스트 A`.
pub fn host(lang: Lang, host: Host) -> &'static str {
    match (lang, host) {
        (Lang::En, Host::A) => "Host A",
        (Lang::En, Host::C) => "Host C",
        (Lang::Ko, Host::A) => "호스트 A",
        (Lang::Ko, Host::C) => "호스트 C",
    }
}

/// A host of the figure connects from a source port.
pub fn textbook_connects(lang: Lang, host_name: &str, ip: std::net::IpAddr, port: u16) -> String {
    match lang {
        Lang::En => format!("{host_name} ({ip}) connects from source port {port}"),
        // 호스트 A/C: the particle after the letter (에이, 씨) is 가.
        Lang::Ko => format!("{host_name}({ip})가 출발지 포트 {port}번에서 연결한다"),
    }
}

/// What the step of host C's second connection shows.
pub fn textbook_second_c(lang: Lang, server: SocketAddr) -> String {
    match lang {
        Lang::En => format!(
            "Host C now has a second connection, from source port 26145: the same source port as \
             host A's. The server's two sockets for them have the same local end ({server}) and the same \
             remote port (26145); only the remote IP address tells them apart."
        ),
        Lang::Ko => format!(
            "이제 호스트 C에는 출발지 포트 26145번에서 맺은 두 번째 연결이 있다. 호스트 A의 연결과 \
             출발지 포트가 같다. 이 두 연결을 맡은 서버 소켓 두 개는 로컬 종단({server})도 같고 원격 \
             포트(26145번)도 같다. 둘을 구별해 주는 것은 원격 IP 주소뿐이다."
        ),
    }
}

/// The connection the kernel must refuse.
pub fn textbook_refused(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Host C tries the same connection again, from 127.0.0.3:26145",
        Lang::Ko => "호스트 C가 127.0.0.3:26145에서 같은 연결을 한 번 더 시도한다",
    }
}

/// What the refusal shows; `error` is the error connect() gave.
pub fn textbook_refused_text(lang: Lang, error: &str) -> String {
    match lang {
        Lang::En => format!(
            "The kernel refuses it. connect() reports: {error}. The 4-tuple is the connection's \
             name, so no two connections can share one."
        ),
        Lang::Ko => format!(
            "커널은 이 연결을 거부한다. connect()가 알린 오류: {error}. 4-튜플은 연결의 이름이므로 \
             두 연결이 같은 4-튜플을 가질 수 없다."
        ),
    }
}

/// What the figure's verdict means.
pub fn textbook_verdict(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "Three connections to port {port}, three sockets, three different 4-tuples; two of them share \
             the remote port 26145 and differ only in the remote IP, and the one connection that would \
             have repeated a 4-tuple was refused."
        ),
        Lang::Ko => format!(
            "{port}번 포트로 맺은 연결 셋, 소켓 셋, 서로 다른 4-튜플 셋. 그중 둘은 원격 포트 26145번을 \
             함께 쓰고 원격 IP만 다르다. 그리고 4-튜플을 되풀이했을 연결 하나는 거부되었다."
        ),
    }
}

// --- Clients on two subnets ---------------------------------------------

/// Step 1 of `--subnets`.
pub fn subnets_listens(lang: Lang, addr: SocketAddr) -> String {
    match lang {
        Lang::En => format!("The server host listens on {addr}"),
        Lang::Ko => format!("서버 호스트가 {addr}에서 연결을 기다린다"),
    }
}

/// What step 1 of `--subnets` shows.
pub fn subnets_listens_text(lang: Lang, server: std::net::IpAddr, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "Three network namespaces stand for three hosts: the server host ({server}), and client hosts \
             on the subnets 10.200.1.0/24 and 10.200.2.0/24, each connected to the server host by a \
             virtual cable and routed through it. The server listens on its one port, {port}."
        ),
        Lang::Ko => format!(
            "네트워크 네임스페이스 세 개가 호스트 세 대 역할을 한다. 서버 호스트({server})와, 서브넷 \
             10.200.1.0/24와 10.200.2.0/24에 놓인 클라이언트 호스트들이다. 클라이언트 호스트는 저마다 \
             가상 케이블로 서버 호스트에 연결되어 있고, 서버 호스트를 거쳐 라우팅된다. 서버는 하나뿐인 \
             포트 {port}번에서 연결을 기다린다."
        ),
    }
}

/// A client on a subnet connects.
pub fn subnets_client(lang: Lang, k: usize, subnet: &str, local: SocketAddr) -> String {
    match lang {
        Lang::En => format!("Client {k} on subnet {subnet} connects from {local}"),
        Lang::Ko => format!("서브넷 {subnet}의 {k}번 클라이언트가 {local}에서 연결한다"),
    }
}

/// The `--subnets` section's title.
pub fn subnets_section(lang: Lang, clients: usize) -> String {
    match lang {
        Lang::En => format!("{clients} clients on two subnets, one server port"),
        Lang::Ko => format!("서브넷 두 개의 클라이언트 {clients}개, 서버 포트 하나"),
    }
}

/// What the `--subnets` verdict means.
pub fn subnets_verdict(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "The clients came from two different networks, through a router, and still every \
             accepted socket has the server's local port {port}: the remote IP addresses differ by \
             subnet, the local end never does."
        ),
        Lang::Ko => format!(
            "클라이언트들은 서로 다른 두 네트워크에서 라우터를 거쳐 왔지만, 연결 소켓은 여전히 모두 \
             서버의 로컬 포트 {port}번을 쓴다. 원격 IP 주소는 서브넷마다 다르지만, 로컬 종단은 한 번도 \
             달라지지 않는다."
        ),
    }
}

// --- The capture step ----------------------------------------------------

/// The capture step's title.
pub fn capture_step(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "What the wire showed",
        Lang::Ko => "네트워크에서 실제로 오간 것",
    }
}

/// What the capture step shows.
pub fn capture_text(lang: Lang, transport: Transport, port: u16) -> String {
    match (lang, transport) {
        (Lang::En, _) => {
            let unit = match transport {
                Transport::Tcp => "TCP segment",
                Transport::Udp => "UDP datagram",
            };
            format!(
                "A packet capture on the loopback interface (an AF_PACKET socket, each frame counted \
                 once) saw every {unit} to and from port {port} while the clients talked."
            )
        }
        (Lang::Ko, Transport::Tcp) => format!(
            "클라이언트들이 통신하는 동안 루프백 인터페이스에서 패킷을 캡처했다(AF_PACKET 소켓, \
             프레임마다 한 번씩만 센다). {port}번 포트로 들어오고 나간 TCP 세그먼트가 모두 담겨 있다."
        ),
        (Lang::Ko, Transport::Udp) => format!(
            "클라이언트들이 통신하는 동안 루프백 인터페이스에서 패킷을 캡처했다(AF_PACKET 소켓, \
             프레임마다 한 번씩만 센다). {port}번 포트로 들어오고 나간 UDP 데이터그램이 모두 담겨 있다."
        ),
    }
}

/// The capture stopped keeping segments after `kept`.
pub fn capture_full(lang: Lang, kept: usize) -> String {
    match lang {
        Lang::En => format!(" (The capture stopped keeping segments after {kept}.)"),
        Lang::Ko => format!(" (캡처는 세그먼트 {kept}개까지만 보관했다.)"),
    }
}

/// The capture's sentence, added to the verdict's text.
pub fn capture_agrees(lang: Lang, sentence: &str) -> String {
    match lang {
        Lang::En => format!(" The capture agrees: {sentence}."),
        Lang::Ko => format!(" 캡처도 같은 것을 보여 준다: {sentence}."),
    }
}

// --- Errors of the demo ----------------------------------------------------

/// The demo's port is taken: try another.
pub fn try_another_port(lang: Lang, error: &str, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "{error}; run the demo on another port with --port (e.g. sameport demo --port {port})"
        ),
        Lang::Ko => format!(
            "{error}. --port로 다른 포트에서 데모를 실행하세요(예: sameport demo --port {port})"
        ),
    }
}

/// The server did not see client `k` in time.
pub fn client_unseen(lang: Lang, k: u64) -> String {
    match lang {
        Lang::En => format!("the server did not see client {k} within 5 s"),
        Lang::Ko => format!("서버가 5초 안에 {k}번 클라이언트를 보지 못했습니다"),
    }
}

/// The kernel accepted a connection it must refuse.
pub fn duplicate_accepted(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "the kernel accepted a second socket with an existing 4-tuple",
        Lang::Ko => "커널이 이미 있는 4-튜플로 두 번째 소켓을 받아들였습니다",
    }
}

/// The socket table could not be read.
pub fn table_unread(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "could not read the socket table",
        Lang::Ko => "소켓 테이블을 읽을 수 없었습니다",
    }
}

/// The context of an error of client `label` connecting from `source`.
pub fn client_from(lang: Lang, label: &str, source: SocketAddr) -> String {
    match lang {
        Lang::En => format!("{label} from {source}"),
        Lang::Ko => format!("{label}({source}에서 연결)"),
    }
}
