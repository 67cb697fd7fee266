//! Error messages: the one line `sameport: ...` a student reads when
//! something could not be done, and what to do about it.
//!
//! The errors themselves are typed where they happen (`net::bind`,
//! `capture`, `lab` ...); their `Display` writes them with these sentences
//! in the language of the run ([`super::current`]). An error the OS gave
//! (`Address already in use (os error 98)`) is quoted as the OS put it.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use super::{Lang, Transport, current};

/// What the program was doing when an OS call failed: the context an error
/// is reported in (`sameport: reading stdin: ...`). A value, written in the
/// run's language when the error is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doing {
    RegisteringListener,
    RegisteringSocket,
    RegisteringInheritedSocket,
    MakingInheritedSocketNonBlocking,
    SettingLinger,
    SettingReuseAddr,
    CreatingSocket,
    ReadingClientAddress,
    ReadingListeningAddress,
    ReadingBoundAddress,
    StartingRuntime,
    WritingScript,
    RenderingManPage,
    WritingManPage,
    ReadingStdin,
    ReadingTerminal,
    ReadingFromServer,
    Sending,
    SendingStdin,
    SendingDatagram,
    ReadingEcho,
    ReceivingEcho,
    CopyingEcho,
    ClosingSendingSide,
    WritingStdout,
    StartingChild,
    FindingProgramPath,
}

impl Doing {
    /// The words for it in `lang`.
    pub fn words(self, lang: Lang) -> &'static str {
        use Doing::*;
        match lang {
            Lang::En => match self {
                RegisteringListener => "registering the listener",
                RegisteringSocket => "registering the socket",
                RegisteringInheritedSocket => "registering the inherited socket",
                MakingInheritedSocketNonBlocking => "making the inherited socket non-blocking",
                SettingLinger => "setting SO_LINGER",
                SettingReuseAddr => "setting SO_REUSEADDR",
                CreatingSocket => "creating a socket",
                ReadingClientAddress => "reading the client's address",
                ReadingListeningAddress => "reading the listening address",
                ReadingBoundAddress => "reading the bound address",
                StartingRuntime => "starting the async runtime",
                WritingScript => "writing the script",
                RenderingManPage => "rendering the manual page",
                WritingManPage => "writing the manual page",
                ReadingStdin => "reading stdin",
                ReadingTerminal => "reading the terminal",
                ReadingFromServer => "reading from the server",
                Sending => "sending",
                SendingStdin => "sending stdin",
                SendingDatagram => "sending the datagram",
                ReadingEcho => "reading the echo",
                ReceivingEcho => "receiving the echo",
                CopyingEcho => "copying the echo",
                ClosingSendingSide => "closing the sending side",
                WritingStdout => "writing stdout",
                StartingChild => "starting a child process",
                FindingProgramPath => "finding this program's path",
            },
            Lang::Ko => match self {
                RegisteringListener => "환영 소켓을 등록하는 중",
                RegisteringSocket => "소켓을 등록하는 중",
                RegisteringInheritedSocket => "물려받은 소켓을 등록하는 중",
                MakingInheritedSocketNonBlocking => "물려받은 소켓을 논블로킹으로 바꾸는 중",
                SettingLinger => "SO_LINGER를 설정하는 중",
                SettingReuseAddr => "SO_REUSEADDR를 설정하는 중",
                CreatingSocket => "소켓을 만드는 중",
                ReadingClientAddress => "클라이언트의 주소를 읽는 중",
                ReadingListeningAddress => "연결을 기다리는 주소를 읽는 중",
                ReadingBoundAddress => "바인드한 주소를 읽는 중",
                StartingRuntime => "비동기 런타임을 시작하는 중",
                WritingScript => "스크립트를 쓰는 중",
                RenderingManPage => "매뉴얼 페이지를 만드는 중",
                WritingManPage => "매뉴얼 페이지를 쓰는 중",
                ReadingStdin => "표준 입력을 읽는 중",
                ReadingTerminal => "터미널 입력을 읽는 중",
                ReadingFromServer => "서버가 보낸 것을 읽는 중",
                Sending => "보내는 중",
                SendingStdin => "표준 입력을 보내는 중",
                SendingDatagram => "데이터그램을 보내는 중",
                ReadingEcho => "에코를 읽는 중",
                ReceivingEcho => "에코를 받는 중",
                CopyingEcho => "에코를 옮겨 쓰는 중",
                ClosingSendingSide => "보내는 쪽을 닫는 중",
                WritingStdout => "표준 출력에 쓰는 중",
                StartingChild => "자식 프로세스를 시작하는 중",
                FindingProgramPath => "이 프로그램의 경로를 찾는 중",
            },
        }
    }
}

impl fmt::Display for Doing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words(current()))
    }
}

/// The program was stopped by a signal (`SIGINT`, `SIGTERM`).
pub fn stopped_by(lang: Lang, signal: &str) -> String {
    match lang {
        Lang::En => format!("stopped by {signal}"),
        Lang::Ko => format!("{signal} 신호를 받아 멈췄습니다"),
    }
}

// --- Binding the server's socket (net::bind) ------------------------------

/// Who holds a port that is in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeldBy {
    /// The socket table could not be read: nothing to add.
    Unknown,
    /// A process this user can see (its name, if it could be read).
    Process { pid: u32, name: Option<String> },
    /// A process this user cannot see.
    Hidden { port: u16 },
}

/// The port is already in use.
pub fn port_in_use(lang: Lang, transport: Transport, port: u16, by: &HeldBy) -> String {
    match lang {
        Lang::En => {
            let by = match by {
                HeldBy::Unknown => String::new(),
                HeldBy::Process { pid, name } => format!(
                    " by PID {pid} ({})",
                    name.as_deref().unwrap_or("unknown program")
                ),
                HeldBy::Hidden { port } => format!(
                    " (by a process this user cannot see; try as root, or `sameport inspect --port {port}`)"
                ),
            };
            format!("{transport} port {port} is already in use{by}")
        }
        Lang::Ko => {
            let by = match by {
                HeldBy::Unknown => String::new(),
                HeldBy::Process { pid, name } => format!(
                    "(PID {pid}, 프로그램 {})",
                    name.as_deref().unwrap_or("알 수 없음")
                ),
                HeldBy::Hidden { port } => format!(
                    "(이 사용자가 볼 수 없는 프로세스가 쓰고 있습니다. root로 실행하거나 \
                     `sameport inspect --port {port}`로 확인하세요)"
                ),
            };
            format!("{transport} {port}번 포트는 이미 사용 중입니다{by}")
        }
    }
}

/// A port below 1024 needs a privilege.
pub fn privileged_port(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "port {port} is a privileged port (below 1024): binding it needs root or \
             CAP_NET_BIND_SERVICE; run with sudo or choose a port such as 12000"
        ),
        Lang::Ko => format!(
            "{port}번 포트는 특권 포트(1024 미만)입니다. 바인드하려면 root 권한이나 \
             CAP_NET_BIND_SERVICE가 필요합니다. sudo로 실행하거나 12000번 같은 포트를 고르세요"
        ),
    }
}

/// `--bind` names an address this machine does not have.
pub fn not_local(lang: Lang, ip: IpAddr) -> String {
    match lang {
        Lang::En => {
            format!("{ip} is not an address of this machine, so nothing can be bound to it")
        }
        Lang::Ko => {
            format!("{ip} 주소는 이 컴퓨터의 주소가 아니므로 아무것도 바인드할 수 없습니다")
        }
    }
}

/// Any other failure to open the server's socket.
pub fn cannot_open_socket(
    lang: Lang,
    transport: Transport,
    addr: SocketAddr,
    cause: &dyn fmt::Display,
) -> String {
    match lang {
        Lang::En => format!("cannot open a {transport} socket on {addr}: {cause}"),
        Lang::Ko => format!("{addr}에 {transport} 소켓을 열 수 없습니다: {cause}"),
    }
}

// --- Clients (net::client) -------------------------------------------------

/// A target's port is not a server's port (checked while parsing).
pub fn invalid_target_port(lang: Lang, port: &str) -> String {
    match lang {
        Lang::En => {
            format!("invalid port '{port}': a server's port is a number from 1 to 65535")
        }
        Lang::Ko => format!("잘못된 포트 '{port}': 서버의 포트는 1부터 65535까지의 수입니다"),
    }
}

/// `connect :12000`: a target without its host.
pub fn target_without_host(lang: Lang, target: &str) -> String {
    match lang {
        Lang::En => format!(
            "'{target}' names no host: give the server as HOST:PORT, e.g. 127.0.0.1{target}"
        ),
        Lang::Ko => format!(
            "'{target}'에는 호스트가 없습니다: 서버를 HOST:PORT 꼴로 주세요(예: 127.0.0.1{target})"
        ),
    }
}

/// `connect 127.0.0.1:15040:99`: more colons than HOST:PORT has, and not an
/// IPv6 address either.
pub fn target_with_colons(lang: Lang, target: &str) -> String {
    match lang {
        Lang::En => format!(
            "'{target}' is neither HOST nor HOST:PORT (an IPv6 address with a port goes in \
             brackets: [::1]:12000)"
        ),
        Lang::Ko => format!(
            "'{target}'는 HOST도 HOST:PORT도 아닙니다(포트를 붙인 IPv6 주소는 대괄호 안에: \
             [::1]:12000)"
        ),
    }
}

/// `connect --message ''`: nothing to send, so no echo to wait for.
pub fn empty_message(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "the message is empty: an echo of nothing cannot be told from silence",
        Lang::Ko => "메시지가 비어 있습니다: 아무것도 없는 에코는 침묵과 구별할 수 없습니다",
    }
}

/// UDP: the datagram was answered by "port unreachable" (ICMP): nothing
/// listens for UDP on that port.
pub fn no_udp_server(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "no UDP server on port {port}: the host answered 'port unreachable' \
             (start `sameport serve --proto udp --port {port}`)"
        ),
        Lang::Ko => format!(
            "{port}번 포트에 UDP 서버가 없습니다: 호스트가 '포트에 닿을 수 없음'으로 답했습니다\
             (`sameport serve --proto udp --port {port}`를 먼저 실행하세요)"
        ),
    }
}

/// `connect HOST:PORT --port P`: two ports for one server.
pub fn port_given_twice(lang: Lang, target: &str, port: u16) -> String {
    match lang {
        Lang::En => {
            format!("'{target}' already names the port; drop --port {port}, or give the host alone")
        }
        Lang::Ko => {
            format!("'{target}'에 이미 포트가 있습니다. --port {port}를 빼거나 호스트만 주세요")
        }
    }
}

/// A target's port is not a number from 1 to 65535.
pub fn invalid_port_in(lang: Lang, port: &str, target: &str) -> String {
    match lang {
        Lang::En => format!("invalid port '{port}' in '{target}': expected 1-65535"),
        Lang::Ko => {
            format!("'{target}'의 포트 '{port}'는 잘못되었습니다: 1부터 65535까지여야 합니다")
        }
    }
}

/// A host name could not be resolved.
pub fn cannot_resolve(lang: Lang, host: &str, cause: &dyn fmt::Display) -> String {
    match lang {
        Lang::En => format!("cannot resolve host '{host}': {cause}"),
        Lang::Ko => format!("호스트 '{host}'의 주소를 찾을 수 없습니다: {cause}"),
    }
}

/// A host name resolved to nothing.
pub fn no_addresses(lang: Lang, host: &str) -> String {
    match lang {
        Lang::En => format!("host '{host}' has no addresses"),
        Lang::Ko => format!("호스트 '{host}'에는 주소가 없습니다"),
    }
}

/// connect() took too long.
pub fn connect_timed_out(lang: Lang, target: SocketAddr, secs: u64) -> String {
    match lang {
        Lang::En => format!("connecting to {target} timed out after {secs}s"),
        Lang::Ko => format!("{target}에 {secs}초 안에 연결하지 못했습니다(시간 초과)"),
    }
}

/// The source and the server are different IP versions.
pub fn mixed_families(lang: Lang, source: IpAddr, target: SocketAddr) -> String {
    match lang {
        Lang::En => format!(
            "source {source} and server {target} are different IP versions; use a --from address of the same version"
        ),
        Lang::Ko => format!(
            "출발지 주소({source})와 서버 주소({target})의 IP 버전이 다릅니다. 같은 버전의 --from 주소를 쓰세요"
        ),
    }
}

/// A client's source address is not one of this machine's.
pub fn source_not_local(lang: Lang, ip: IpAddr) -> String {
    match lang {
        Lang::En => format!(
            "{ip} is not an address of this machine (Linux has all of 127.0.0.0/8; \
             elsewhere add an alias or use 127.0.0.1)"
        ),
        Lang::Ko => format!(
            "{ip} 주소는 이 컴퓨터의 주소가 아닙니다(리눅스에서는 127.0.0.0/8 전체가 이 컴퓨터의 주소입니다. \
             다른 시스템에서는 별칭(alias)을 추가하거나 127.0.0.1을 쓰세요)"
        ),
    }
}

/// A client's fixed source address is taken.
pub fn source_in_use(lang: Lang, source: SocketAddr) -> String {
    match lang {
        Lang::En => format!("source address {source} is already in use by another socket"),
        Lang::Ko => format!("출발지 주소 {source}: 이미 다른 소켓이 쓰고 있습니다"),
    }
}

/// A client could not bind its source address.
pub fn cannot_bind_client(lang: Lang, source: SocketAddr, cause: &dyn fmt::Display) -> String {
    match lang {
        Lang::En => format!("cannot bind the client to {source}: {cause}"),
        Lang::Ko => format!("클라이언트를 {source}에 바인드할 수 없습니다: {cause}"),
    }
}

/// Nothing listens at the target.
pub fn refused(lang: Lang, target: SocketAddr) -> String {
    let port = target.port();
    match lang {
        Lang::En => format!(
            "connection to {target} refused: nothing listens there (start `sameport serve --port {port}` first)"
        ),
        Lang::Ko => format!(
            "{target}에 대한 연결이 거부되었습니다: 그곳에서 연결을 기다리는 서버가 없습니다\
             (먼저 `sameport serve --port {port}`를 실행하세요)"
        ),
    }
}

/// Where a client with a fixed source port connected from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum From {
    /// A wildcard source IP, settled only at connect(): the port alone.
    Port(u16),
    /// The source address.
    Addr(SocketAddr),
}

/// The 4-tuple a client asked for exists already.
pub fn tuple_in_use(
    lang: Lang,
    from: From,
    target: SocketAddr,
    cause: &dyn fmt::Display,
) -> String {
    match lang {
        Lang::En => {
            let from = match from {
                From::Port(port) => format!("source port {port}"),
                From::Addr(addr) => addr.to_string(),
            };
            format!(
                "cannot connect from {from} to {target}: that 4-tuple is already in use, and a 4-tuple can exist only once ({cause})"
            )
        }
        Lang::Ko => {
            let from = match from {
                From::Port(port) => format!("출발지 포트 {port}번"),
                From::Addr(addr) => addr.to_string(),
            };
            format!(
                "{from}에서 {target}에 연결할 수 없습니다: 그 4-튜플은 이미 쓰이고 있고, 4-튜플은 \
                 단 하나만 존재할 수 있습니다({cause})"
            )
        }
    }
}

/// Any other failure to connect.
pub fn cannot_connect(lang: Lang, target: SocketAddr, cause: &dyn fmt::Display) -> String {
    match lang {
        Lang::En => format!("cannot connect to {target}: {cause}"),
        Lang::Ko => format!("{target}에 연결할 수 없습니다: {cause}"),
    }
}

/// No echo came back in time (TCP).
pub fn no_echo(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::En => format!("no echo within {secs}s"),
        Lang::Ko => format!("{secs}초 안에 에코가 오지 않았습니다"),
    }
}

/// No echo came back in time (UDP, which does not retransmit).
pub fn no_udp_echo(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::En => format!(
            "no echo within {secs}s (UDP does not retransmit: is `sameport serve --proto udp` running?)"
        ),
        Lang::Ko => format!(
            "{secs}초 안에 에코가 오지 않았습니다(UDP는 재전송하지 않습니다. \
             `sameport serve --proto udp`가 실행 중인가요?)"
        ),
    }
}

/// The server closed the connection before the echo; `said` is what it
/// sent, escaped, if anything.
pub fn closed_early(lang: Lang, said: Option<&str>) -> String {
    match (lang, said) {
        (Lang::En, None) => {
            "the server closed the connection without echoing (it sent nothing)".into()
        }
        (Lang::En, Some(said)) => {
            format!("the server closed the connection without echoing; it said \"{said}\"")
        }
        (Lang::Ko, None) => {
            "서버가 에코하지 않고 연결을 닫았습니다(아무것도 보내지 않았습니다)".into()
        }
        (Lang::Ko, Some(said)) => {
            format!("서버가 에코하지 않고 연결을 닫았습니다. 서버가 보낸 말: \"{said}\"")
        }
    }
}

// --- Packet capture (capture) ----------------------------------------------

/// What the capture was doing when the OS failed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capturing {
    OpenSocket,
    SetTimeout,
    BindInterface,
    Read,
    StartThread,
}

/// Capturing needs a privilege.
pub fn capture_needs_privilege(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "capturing packets needs root or the CAP_NET_RAW capability (try again with sudo)"
        }
        Lang::Ko => {
            "패킷을 캡처하려면 root 권한이나 CAP_NET_RAW 능력(capability)이 필요합니다\
             (sudo로 다시 실행하세요)"
        }
    }
}

/// Capturing is Linux-only.
pub fn capture_unsupported(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "packet capture is only supported on Linux in this build",
        Lang::Ko => "이 빌드에서 패킷 캡처는 리눅스에서만 됩니다",
    }
}

/// No interface of that name.
pub fn no_interface(lang: Lang, name: &str) -> String {
    match lang {
        Lang::En => format!("there is no network interface named {name:?} to capture on"),
        Lang::Ko => format!("캡처할 네트워크 인터페이스가 없습니다: {name:?}"),
    }
}

/// The OS failed the capture while `doing`.
pub fn capture_failed(lang: Lang, doing: Capturing, cause: &dyn fmt::Display) -> String {
    use Capturing::*;
    match lang {
        Lang::En => {
            let doing = match doing {
                OpenSocket => "open a packet socket",
                SetTimeout => "set a timeout on the packet socket",
                BindInterface => "bind the packet socket to an interface",
                Read => "read from the packet socket",
                StartThread => "start the capture thread",
            };
            format!("cannot {doing}: {cause}")
        }
        Lang::Ko => {
            let doing = match doing {
                OpenSocket => "패킷 소켓을 열",
                SetTimeout => "패킷 소켓에 시간 제한을 걸",
                BindInterface => "패킷 소켓을 인터페이스에 바인드할",
                Read => "패킷 소켓에서 읽을",
                StartThread => "캡처 스레드를 시작할",
            };
            format!("{doing} 수 없습니다: {cause}")
        }
    }
}

/// The capture thread died.
pub fn capture_thread_lost(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "the capture thread stopped unexpectedly",
        Lang::Ko => "캡처 스레드가 예기치 않게 멈췄습니다",
    }
}

/// `serve`: the capture ended on an error.
pub fn capture_stopped(lang: Lang, error: &dyn fmt::Display) -> String {
    match lang {
        Lang::En => format!("the capture stopped: {error}"),
        Lang::Ko => format!("캡처가 멈췄습니다: {error}"),
    }
}

// --- Network namespaces (lab) ----------------------------------------------

/// Why the lab of `demo --subnets` could not be built or used.
pub fn netns_not_root(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "network namespaces need root: run with sudo",
        Lang::Ko => "네트워크 네임스페이스에는 root 권한이 필요합니다. sudo로 실행하세요",
    }
}

/// The `ip` command is missing.
pub fn netns_ip_missing(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "needs the ip command from iproute2 (install the iproute2 package)",
        Lang::Ko => "iproute2의 ip 명령이 필요합니다(iproute2 패키지를 설치하세요)",
    }
}

/// The kernel has no network namespaces.
pub fn netns_unsupported(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "this kernel has no network namespaces (/proc/self/ns/net is missing)",
        Lang::Ko => "이 커널에는 네트워크 네임스페이스가 없습니다(/proc/self/ns/net이 없음)",
    }
}

/// Namespaces are Linux-only.
pub fn netns_not_linux(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "clients on other subnets need Linux network namespaces",
        Lang::Ko => "다른 서브넷의 클라이언트에는 리눅스의 네트워크 네임스페이스가 필요합니다",
    }
}

/// Too many or too few clients per subnet.
pub fn netns_client_count(lang: Lang, max: usize, asked: usize) -> String {
    match lang {
        Lang::En => format!("clients per subnet must be 1 to {max}, not {asked}"),
        Lang::Ko => {
            format!("서브넷당 클라이언트는 1개부터 {max}개까지여야 합니다({asked}개는 안 됩니다)")
        }
    }
}

/// A namespace could not be made.
pub fn netns_refused(lang: Lang, name: &str, reason: &str) -> String {
    match lang {
        Lang::En => format!("cannot create network namespace {name}: {reason}"),
        Lang::Ko => format!("네트워크 네임스페이스를 만들 수 없습니다({name}): {reason}"),
    }
}

/// A step of building the lab failed.
pub fn netns_step(lang: Lang, command: &str, stderr: &str) -> String {
    match lang {
        Lang::En => format!("`{command}` failed: {stderr}"),
        Lang::Ko => format!("`{command}` 실행에 실패했습니다: {stderr}"),
    }
}

/// A namespace could not be entered.
pub fn netns_enter(lang: Lang, name: &str, reason: &str) -> String {
    match lang {
        Lang::En => format!("cannot enter network namespace {name}: {reason}"),
        Lang::Ko => format!("네트워크 네임스페이스에 들어갈 수 없습니다({name}): {reason}"),
    }
}

// --- The socket table (kernel) ---------------------------------------------

/// The socket table could not be read.
pub fn table_unreadable(lang: Lang, detail: &str) -> String {
    match lang {
        Lang::En => format!("cannot read the kernel's socket table: {detail}"),
        Lang::Ko => format!("커널의 소켓 테이블을 읽을 수 없습니다: {detail}"),
    }
}

/// The fast way of reading the table is missing.
pub fn table_unsupported(lang: Lang, detail: &str) -> String {
    match lang {
        Lang::En => {
            format!("this kernel cannot answer socket-table queries the fast way: {detail}")
        }
        Lang::Ko => {
            format!("이 커널은 소켓 테이블 질의에 빠른 방법으로 답할 수 없습니다: {detail}")
        }
    }
}

// --- The command line (cli) ------------------------------------------------

/// A value that is not a whole number.
pub fn not_a_whole_number(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => format!("'{text}' is not a whole number"),
        Lang::Ko => format!("정수가 아닙니다: '{text}'"),
    }
}

/// A number below its minimum (`why` follows, if any).
pub fn at_least(lang: Lang, min: u64) -> String {
    match lang {
        Lang::En => format!("must be at least {min}"),
        Lang::Ko => format!("{min} 이상이어야 합니다"),
    }
}

/// A number out of its range.
pub fn from_to(lang: Lang, min: u64, max: u64) -> String {
    match lang {
        Lang::En => format!("must be from {min} to {max}"),
        Lang::Ko => format!("{min}부터 {max}까지여야 합니다"),
    }
}

/// Why `demo --clients` takes at least two.
pub fn one_client_proves_nothing(lang: Lang) -> &'static str {
    match lang {
        Lang::En => " (one client cannot show that clients share the port)",
        Lang::Ko => {
            " (클라이언트 하나로는 클라이언트들이 포트를 함께 쓴다는 것을 보일 수 없습니다)"
        }
    }
}

/// `--hold` out of range.
pub fn hold_seconds(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "expected a number of seconds from 0 to 86400",
        Lang::Ko => "0부터 86400까지의 초 수여야 합니다",
    }
}

/// A port out of range.
pub fn port_range(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "a port number must be from 1 to 65535",
        Lang::Ko => "포트 번호는 1부터 65535까지여야 합니다",
    }
}

/// `--banner` ends in a lone backslash.
pub fn banner_lone_backslash(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "ends in a lone backslash (write \\\\ for a backslash)",
        Lang::Ko => "백슬래시 하나로 끝납니다(백슬래시 자체는 \\\\로 씁니다)",
    }
}

/// `--banner`'s `\x` without two hex digits.
pub fn banner_hex(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "\\x needs two hex digits, as in \\x41",
        Lang::Ko => "\\x 뒤에는 \\x41처럼 16진수 두 자리가 와야 합니다",
    }
}

/// `--banner`'s unknown escape.
pub fn banner_escape(lang: Lang, escape: &str) -> String {
    match lang {
        Lang::En => format!("unknown escape \\{escape}: use \\n, \\r, \\t, \\\\ or \\xHH"),
        Lang::Ko => {
            format!("알 수 없는 이스케이프 \\{escape}: \\n, \\r, \\t, \\\\, \\xHH 중 하나를 쓰세요")
        }
    }
}

/// A command line error, and where to read more (`sameport demo --help`).
pub fn usage(lang: Lang, what: &str, help: &str) -> String {
    match lang {
        Lang::En => format!("{what} (see {help})"),
        Lang::Ko => format!("{what} ({help} 참고)"),
    }
}

/// What clap found wrong, in Korean (clap's own messages are English).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Usage {
    /// `--flag value`: the value is not one of `valid`.
    InvalidValue {
        arg: String,
        value: String,
        valid: Vec<String>,
    },
    /// `--flag value`: our own check refused it, saying `why`.
    Refused {
        arg: String,
        value: String,
        why: String,
    },
    /// An argument nobody knows.
    Unknown { arg: String },
    /// A command nobody knows.
    UnknownCommand { name: String },
    /// A required argument is missing.
    Missing { args: Vec<String> },
    /// Two arguments that cannot go together.
    Conflict { arg: String, other: String },
    /// Anything else: clap's English line, introduced.
    Other,
}

/// A command line error in words (before [`usage`] adds where to read
/// more). In English, clap's own line (`clap_line`) says it already; in
/// Korean the sentence is made from what clap found.
pub fn usage_error(lang: Lang, usage: &Usage, clap_line: &str) -> String {
    match lang {
        Lang::En => match usage {
            // clap lists the missing arguments on the lines after its first.
            Usage::Missing { args } => {
                let what = if args.len() == 1 {
                    "a required argument is missing"
                } else {
                    "required arguments are missing"
                };
                format!("{what}: {}", args.join(", "))
            }
            _ => clap_line.to_string(),
        },
        Lang::Ko => match usage {
            Usage::InvalidValue { arg, value, valid } => format!(
                "'{arg}'에 쓸 수 없는 값 '{value}': {} 중 하나여야 합니다",
                super::one_of(lang, valid)
            ),
            Usage::Refused { arg, value, why } => {
                format!("'{arg}'에 쓸 수 없는 값 '{value}': {why}")
            }
            Usage::Unknown { arg } => format!("알 수 없는 인자: '{arg}'"),
            Usage::UnknownCommand { name } => format!("알 수 없는 명령: '{name}'"),
            Usage::Missing { args } => {
                format!("꼭 필요한 인자가 빠졌습니다: {}", args.join(", "))
            }
            Usage::Conflict { arg, other } => {
                format!("'{arg}'와 '{other}'는 함께 쓸 수 없습니다")
            }
            Usage::Other => format!("명령줄이 잘못되었습니다: {clap_line}"),
        },
    }
}

/// The valid values, after clap's line: `: expected tcp or udp`.
pub fn expected(lang: Lang, valid: &[String]) -> String {
    match lang {
        Lang::En => format!(": expected {}", super::one_of(lang, valid)),
        // The Korean sentence names them itself (see [`usage_error`]).
        Lang::Ko => String::new(),
    }
}

/// `connect` without a target: how to give one.
pub fn connect_needs_target(lang: Lang, port: u16) -> String {
    let example = format!(
        "  sameport connect 127.0.0.1:{port} --count 3 --from 127.0.0.2,127.0.0.3,127.0.0.4 --message hello"
    );
    match lang {
        Lang::En => {
            format!("connect needs a server address; for a server on this machine try:\n{example}")
        }
        Lang::Ko => format!(
            "connect에는 서버 주소가 필요합니다. 이 컴퓨터의 서버라면 이렇게 해 보세요:\n{example}"
        ),
    }
}

/// `man` with a command that does not exist.
pub fn no_such_command(lang: Lang, name: &str, commands: &[String]) -> String {
    match lang {
        Lang::En => format!(
            "no command '{name}'; the commands are {}",
            commands.join(", ")
        ),
        Lang::Ko => format!(
            "그런 명령은 없습니다: '{name}'. 명령은 {}입니다",
            commands.join(", ")
        ),
    }
}
