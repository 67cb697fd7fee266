//! The notes under a table: what the table read could not see
//! (`kernel::Note`, written here in words).

use super::Lang;
use crate::words;

/// The word before a note: `note: ...`.
pub fn label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "note",
        Lang::Ko => "참고",
    }
}

/// `processes` processes could not be read; `sockets` sockets have no holder.
pub fn unreadable(lang: Lang, processes: usize, sockets: usize) -> String {
    match lang {
        Lang::En => format!(
            "{} could not be read (permission denied); {} show - \
             for PID (run as root to see every owner)",
            words::count_irregular(processes, "process", "processes"),
            words::count(sockets, "socket")
        ),
        Lang::Ko => format!(
            "프로세스 {processes}개를 읽을 수 없었다(권한 없음). 그래서 소켓 {sockets}개의 \
             PID가 -로 표시된다(모든 소유자를 보려면 root로 실행한다)."
        ),
    }
}

/// The portable reader skipped `sockets` entries it could not read (a
/// process that exited during a macOS walk); `first` is the first error.
pub fn sockets_unreadable(lang: Lang, sockets: usize, first: &str) -> String {
    match lang {
        Lang::En => format!(
            "{} could not be read (first: {first})",
            words::count(sockets, "socket")
        ),
        Lang::Ko => format!("소켓 {sockets}개를 읽을 수 없었다(첫 오류: {first})."),
    }
}

/// The process list at `path` could not be read.
pub fn no_process_list(lang: Lang, path: &str, error: &str) -> String {
    match lang {
        Lang::En => format!("cannot read {path}: {error}; the PID columns show -"),
        Lang::Ko => {
            format!("{path} 디렉터리를 읽을 수 없다({error}). 그래서 PID 열이 -로 표시된다.")
        }
    }
}

/// `inspect --side client`: the verdict is about the side not shown.
pub fn client_side_only(lang: Lang, port: u16) -> String {
    match lang {
        Lang::En => format!(
            "--side client shows only the clients' sockets; the verdict is about both sides of \
             port {port} (the server's side too, which --side server or --side both shows)"
        ),
        Lang::Ko => format!(
            "--side client는 클라이언트의 소켓만 보여 준다. 판정은 {port}번 포트의 양쪽(서버 쪽 \
             포함)을 보고 내린 것이며, 서버 쪽은 --side server나 --side both로 볼 수 있다."
        ),
    }
}
