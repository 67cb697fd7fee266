//! `scale`: more than 65,536 connections on one port, in words.

use super::Lang;
use crate::words;

/// The plan, before the children start.
pub fn plan(
    lang: Lang,
    (connections, port): (usize, u16),
    (workers, client_processes, sources): (usize, usize, usize),
    fd_limit: u64,
) -> String {
    match lang {
        Lang::En => format!(
            "{} on port {port}: {} accepting from one listening socket, \
             {} from {} (open-file limit {fd_limit} per process)",
            words::count(connections, "connection"),
            words::count_irregular(workers, "worker process", "worker processes"),
            words::count_irregular(client_processes, "client process", "client processes"),
            words::count_irregular(sources, "source address", "source addresses"),
        ),
        Lang::Ko => format!(
            "{port}번 포트에 연결 {connections}개. 작업 프로세스 {workers}개가 환영 소켓 \
             하나에서 수락하고, 클라이언트 프로세스 {client_processes}개가 출발지 주소 {sources}개에서 \
             연결합니다(프로세스당 열린 파일 한도 {fd_limit}개)"
        ),
    }
}

/// Filling took longer than `--timeout`.
pub fn fill_timed_out(lang: Lang, connections: usize, secs: u64) -> String {
    match lang {
        Lang::En => format!(
            "filling {} took longer than {secs} s",
            words::count(connections, "connection")
        ),
        Lang::Ko => format!("연결 {connections}개를 채우는 데 {secs}초를 넘겼습니다"),
    }
}

/// Why the hold ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldEnd<'a> {
    Signal(&'a str),
    TimeUp,
}

/// The hold ended; the connections close.
pub fn hold_over(lang: Lang, end: HoldEnd<'_>, connections: usize) -> String {
    match (lang, end) {
        (Lang::En, HoldEnd::Signal(signal)) => {
            format!("stopped by {signal}; closing the {connections} connections")
        }
        (Lang::En, HoldEnd::TimeUp) => {
            format!("the hold time is over; closing the {connections} connections")
        }
        (Lang::Ko, HoldEnd::Signal(signal)) => {
            format!("{signal} 신호를 받아 멈췄습니다. 연결 {connections}개를 닫습니다")
        }
        (Lang::Ko, HoldEnd::TimeUp) => {
            format!("유지 시간이 끝났습니다. 연결 {connections}개를 닫습니다")
        }
    }
}

/// A child exited while holding.
pub fn child_exited(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "a child process exited",
        Lang::Ko => "자식 프로세스가 끝났습니다",
    }
}

/// While holding, something went wrong.
pub fn while_holding(lang: Lang, why: &str) -> String {
    match lang {
        Lang::En => format!("while holding the connections: {why}; some are closed"),
        Lang::Ko => format!("연결을 유지하는 동안: {why}. 연결 일부가 닫혔습니다"),
    }
}

/// How long the hold lasts, for [`holding`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HowLong {
    Secs(f64),
    UntilStopped,
}

/// The start of the hold, and the heading over the commands to look with.
pub fn holding(lang: Lang, connections: usize, port: u16, how_long: HowLong) -> String {
    match lang {
        Lang::En => {
            let how_long = match how_long {
                HowLong::Secs(s) => format!("for {s} s"),
                HowLong::UntilStopped => "until Ctrl-C".to_string(),
            };
            format!(
                "holding {connections} connections on port {port} {how_long} (Ctrl-C closes them now).\n\
                 Look at them from another terminal:"
            )
        }
        Lang::Ko => {
            let how_long = match how_long {
                HowLong::Secs(s) => format!("{s}초 동안"),
                HowLong::UntilStopped => "Ctrl-C를 누를 때까지".to_string(),
            };
            format!(
                "{port}번 포트의 연결 {connections}개를 {how_long} 유지합니다(Ctrl-C를 누르면 \
                 바로 닫습니다).\n다른 터미널에서 살펴보세요:"
            )
        }
    }
}

/// What `ss -s` shows.
pub fn shows_kernel_counts(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "the kernel's counts (TCP: ... estab ...)",
        Lang::Ko => "커널이 센 수 (TCP: ... estab ...)",
    }
}

/// What the count with `ss` shows.
pub fn shows_count(lang: Lang, connections: usize, port: u16) -> String {
    match lang {
        Lang::En => format!("{connections}: every one with local port {port}"),
        Lang::Ko => format!("{connections}: 모두 로컬 포트 {port}번"),
    }
}

/// What `sameport inspect` shows.
pub fn shows_table(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "the table and the verdict",
        Lang::Ko => "표와 판정",
    }
}

/// `--connections 0`.
pub fn connections_at_least_one(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "--connections must be at least 1",
        Lang::Ko => "--connections는 1 이상이어야 합니다",
    }
}

/// Too few workers for the connections.
pub fn too_few_workers(
    lang: Lang,
    workers: usize,
    can_hold: usize,
    fd_limit: u64,
    needed: usize,
) -> String {
    match lang {
        Lang::En => format!(
            "{} can hold at most {} with an open-file limit of {fd_limit}; use at least {}",
            words::count(workers, "worker"),
            words::count(can_hold, "connection"),
            words::count(needed, "worker")
        ),
        Lang::Ko => format!(
            "열린 파일 한도가 {fd_limit}개일 때 작업 프로세스 {workers}개는 연결을 {can_hold}개까지만 \
             유지할 수 있습니다. 작업 프로세스를 {needed}개 이상 쓰세요"
        ),
    }
}

/// This system cannot pass sockets to children.
pub fn needs_unix(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "scale needs Unix: its worker processes inherit the listening socket as fd 3, \
             and on Windows sameport does not share a socket between processes"
        }
        Lang::Ko => {
            "scale은 유닉스 계열에서만 동작합니다: 작업 프로세스들이 리스닝 소켓을 fd 3으로 \
             물려받는데, Windows에서 sameport는 프로세스 사이에 소켓을 나누지 않습니다"
        }
    }
}

/// A child has no stdout to report on.
pub fn child_without_stdout(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "a child has no stdout",
        Lang::Ko => "자식 프로세스에 표준 출력이 없습니다",
    }
}

/// A child failed.
pub fn child_failed(lang: Lang, why: &str) -> String {
    match lang {
        Lang::En => format!("a child process failed: {why}"),
        Lang::Ko => format!("자식 프로세스가 실패했습니다: {why}"),
    }
}

/// A child exited while filling.
pub fn child_exited_early(lang: Lang, accepted: usize, connected: usize) -> String {
    match lang {
        Lang::En => {
            format!("a child process exited early ({accepted} accepted, {connected} connected)")
        }
        Lang::Ko => {
            format!("자식 프로세스가 일찍 끝났습니다(수락 {accepted}개, 연결 {connected}개)")
        }
    }
}

/// The progress bar's template (indicatif's placeholders stay as they are;
/// `{rate}` is sameport's own: connections per second, rounded, `9,627/s`).
pub fn progress(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "{bar:24} {pos}/{len} connections accepted ({rate}, {elapsed})",
        Lang::Ko => "{bar:24} {pos}/{len} 연결 수락 ({rate}, {elapsed})",
    }
}

/// The heading over the table.
pub fn heading(lang: Lang, connections: usize, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "{} on TCP port {port}",
            words::count(connections, "connection")
        ),
        Lang::Ko => format!("TCP {port}번 포트의 연결 {connections}개"),
    }
}

/// The table shows fewer connections than were made.
pub fn fewer_in_table(lang: Lang, established: usize, connections: usize) -> String {
    match lang {
        Lang::En => format!(
            "the table shows {}, not {connections}",
            words::count(established, "established connection")
        ),
        Lang::Ko => {
            format!("표에 ESTABLISHED 연결이 {connections}개가 아니라 {established}개 있습니다")
        }
    }
}

/// The facts under the table: sockets, 4-tuples, listeners and holders.
pub fn facts(
    lang: Lang,
    (established, port): (usize, u16),
    tuples: usize,
    listeners: usize,
    holders: usize,
) -> String {
    match lang {
        Lang::En => format!(
            "{} with local port {port}, {}, {} (held by {}).",
            words::count(established, "ESTABLISHED socket"),
            words::count(tuples, "distinct 4-tuple"),
            words::count(listeners, "listening socket"),
            words::count_irregular(holders, "worker process", "worker processes"),
        ),
        Lang::Ko => format!(
            "로컬 포트가 {port}번인 ESTABLISHED 소켓 {established}개, 서로 다른 4-튜플 {tuples}개, \
             환영 소켓 {listeners}개(작업 프로세스 {holders}개가 함께 가짐)."
        ),
    }
}

/// More connections than port numbers.
pub fn beyond_port_numbers(lang: Lang, established: usize) -> String {
    match lang {
        Lang::En => format!(
            "{established} > 65,536 = 2^16: one port holds more connections than there are port numbers. \
             The 16 bits limit the ports of a host, not the connections of a port, because a \
             connection is named by its whole 4-tuple."
        ),
        Lang::Ko => format!(
            "{established} > 65,536 = 2^16: 포트 하나가 포트 번호의 개수보다 많은 연결을 유지한다. \
             16비트가 제한하는 것은 호스트의 포트 수이지 포트 하나의 연결 수가 아니다. 연결은 \
             4-튜플 전체로 이름이 붙기 때문이다."
        ),
    }
}

/// How long it took, and the memory.
pub fn timing(lang: Lang, fill_secs: f64, read_ms: f64, memory: &str) -> String {
    match lang {
        Lang::En => format!(
            "Filled in {fill_secs:.1} s; one table read of them took {read_ms:.0} ms. Memory: {memory}."
        ),
        Lang::Ko => format!(
            "채우는 데 {fill_secs:.1}초, 그 연결들을 표로 한 번 읽는 데 {read_ms:.0}ms가 걸렸다. \
             메모리: {memory}."
        ),
    }
}

/// The memory used.
pub fn memory(
    lang: Lang,
    workers: &str,
    per_connection: f64,
    clients: &str,
    kernel: Option<&str>,
) -> String {
    match lang {
        Lang::En => {
            let mut text = format!(
                "workers {workers} RSS ({per_connection:.0} bytes per connection), clients {clients} RSS"
            );
            if let Some(kernel) = kernel {
                text.push_str(&format!(", kernel TCP buffers {kernel}"));
            }
            text
        }
        Lang::Ko => {
            let mut text = format!(
                "작업 프로세스 RSS {workers}(연결당 {per_connection:.0}바이트), 클라이언트 RSS {clients}"
            );
            if let Some(kernel) = kernel {
                text.push_str(&format!(", 커널 TCP 버퍼 {kernel}"));
            }
            text
        }
    }
}

/// `scale-clients` without `--from` (an internal helper).
pub fn clients_need_from(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "scale-clients needs at least one --from address",
        Lang::Ko => "scale-clients에는 --from 주소가 적어도 하나 필요합니다",
    }
}
