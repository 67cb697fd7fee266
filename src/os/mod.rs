//! Process and file-descriptor helpers: the few raw OS calls that are not
//! about the socket table.
//!
//! * [`raise_fd_limit`] and [`connections_within`]: every socket is an open
//!   file, so the open-file limit is the ceiling on connections per process;
//! * [`socket_inode_of`]: whether an fd is a socket, and which one;
//! * [`defer_port_choice`]: a client socket option that lets one source IP
//!   reach the whole ephemeral range toward each server;
//! * [`prepare_child`], [`INHERITED_FD`] and [`terminate`]: `scale` hands its
//!   listening socket to child processes and stops them by PID;
//! * [`stdout_columns`]: the terminal's width, which the output fits.
//!
//! * [`shutdown`]: waiting for Ctrl-C or SIGTERM;
//! * [`stderr`]: messages on stderr that never panic when it is closed.
//!
//! This module imports nothing else from the crate, so any layer may use it.

use std::io;

pub mod shutdown;
pub mod stderr;
pub mod throttle;

/// Whether SO_REUSEADDR is safe on a listening socket. On Unix it lets a
/// restarted server bind while the previous run's connections sit in
/// TIME_WAIT; on Windows it would let another program steal a port in use.
pub const REUSE_ADDRESS_IS_SAFE: bool = cfg!(unix);

/// A few words on why accept failed, for the errors that mean "out of open
/// files" (each connection is one), or nothing.
pub fn out_of_files_hint(e: &io::Error) -> &'static str {
    #[cfg(unix)]
    match e.raw_os_error() {
        Some(libc::EMFILE) => " (this process has reached its open-file limit, `ulimit -n`)",
        Some(libc::ENFILE) => " (the system-wide open-file table is full)",
        _ => "",
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        ""
    }
}

/// A type a socket can be borrowed from (`AsFd` on Unix, `AsSocket` on Windows).
#[cfg(unix)]
pub use std::os::fd::AsFd as AsSocket;
#[cfg(windows)]
pub use std::os::windows::io::AsSocket;

/// Open files a process keeps for everything that is not a client connection
/// (stdio, the listener, the netlink socket of a table read, the runtime ...).
pub const RESERVED_FDS: u64 = 64;

/// How many connections fit under an open-file limit of `fd_limit`, after the
/// reserve (a quarter of the limit when the limit is tiny, so `ulimit -n 64`
/// still serves clients).
pub fn connections_within(fd_limit: u64) -> usize {
    let reserve = RESERVED_FDS.min(fd_limit / 4);
    usize::try_from(fd_limit.saturating_sub(reserve).max(1)).unwrap_or(usize::MAX)
}

/// Raises this process's soft open-file limit to the hard limit and returns
/// the new soft limit, or `None` where the OS has no such limit to read.
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        unix::raise_fd_limit()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The inode of the socket open as `fd`, or `None` if `fd` is not an open
/// socket. The inode is the number the socket table reports for the socket,
/// so this is how a process names a socket it holds.
#[cfg(unix)]
pub fn socket_inode_of(fd: std::os::fd::BorrowedFd<'_>) -> Option<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: an all-zero `stat` is a valid value to be overwritten by fstat.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the fd is borrowed, so open for the call; `stat` is writable.
    let rc = unsafe { libc::fstat(fd.as_raw_fd(), &mut stat) };
    if rc == 0 {
        socket_inode_in(&stat)
    } else {
        None
    }
}

/// The socket inode a `stat` result describes, if it describes a socket.
#[cfg(unix)]
pub fn socket_inode_in(stat: &libc::stat) -> Option<u64> {
    // The cast is needed on the BSDs, where st_ino is not u64.
    #[allow(clippy::unnecessary_cast)]
    (stat.st_mode & libc::S_IFMT == libc::S_IFSOCK).then_some(stat.st_ino as u64)
}

/// Lets the kernel choose a client's source port at `connect()` rather than at
/// `bind()` (Linux's IP_BIND_ADDRESS_NO_PORT). Bound to an IP with port 0, a
/// socket would otherwise get a port that is unique for *every* destination;
/// deferred, the port only has to make the 4-tuple unique, so each source IP
/// offers the whole ephemeral range toward each server. Elsewhere a no-op.
pub fn defer_port_choice<S: AsSocket>(socket: &S) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: the fd is borrowed from a live socket; `on` outlives the call.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_fd().as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_BIND_ADDRESS_NO_PORT,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = socket;
        Ok(())
    }
}

/// The fd a child of `scale` receives its listening socket as (the convention
/// of systemd's socket activation, with `LISTEN_FDS=1`).
pub const INHERITED_FD: i32 = 3;

/// Prepares a child process of `scale`: it gets `listener` as its fd 3
/// (`LISTEN_FDS=1`) and, on Linux, is sent SIGTERM if this process dies, so
/// no worker outlives its parent. Only Unix passes fds by number; `scale`
/// refuses to start elsewhere before it gets here.
#[cfg(unix)]
pub fn prepare_child(command: &mut std::process::Command, listener: Option<i32>) {
    use std::os::unix::process::CommandExt;
    if listener.is_some() {
        command.env("LISTEN_FDS", "1");
    }
    // SAFETY: the closure runs in the child between fork and exec and calls
    // only async-signal-safe functions (prctl, dup2, fcntl).
    unsafe {
        command.pre_exec(move || {
            #[cfg(target_os = "linux")]
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            if let Some(fd) = listener {
                unix::move_to_fd_3(fd)?;
            }
            Ok(())
        });
    }
}

/// Whether `scale` can hand its listening socket to worker processes. On Unix
/// a child inherits the socket as fd 3 ([`prepare_child`]). Windows has no
/// descriptor numbers to inherit: sharing a listener there takes
/// `WSADuplicateSocket` and a channel to pass its result, which sameport does
/// not do, so `scale` refuses to start on Windows.
pub const CAN_SHARE_LISTENER: bool = cfg!(unix);

/// Prepares a child process of `scale` where descriptors cannot be passed by
/// number: nothing to do for a client process, and `scale` refuses before it
/// would start a worker (see [`CAN_SHARE_LISTENER`]).
#[cfg(not(unix))]
pub fn prepare_child(command: &mut std::process::Command, listener: Option<i32>) {
    let _ = (command, listener);
}

/// Takes the listening socket a parent passed as fd [`INHERITED_FD`], after
/// checking it is what the parent promised: `LISTEN_FDS=1` and a socket.
/// Only Unix passes fds by number.
pub fn inherited_listener() -> io::Result<std::net::TcpListener> {
    if std::env::var("LISTEN_FDS").ok().as_deref() != Some("1") {
        return Err(io::Error::other(
            "scale-worker is started by `sameport scale`, which passes it a listening socket as fd 3",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd};
        // SAFETY: fd 3 is only borrowed for the check; if it is not open,
        // fstat fails and nothing is taken.
        let inherited = unsafe { BorrowedFd::borrow_raw(INHERITED_FD) };
        if socket_inode_of(inherited).is_none() {
            return Err(io::Error::other(
                "fd 3 is not a socket: scale-worker must be started by `sameport scale`",
            ));
        }
        // SAFETY: fd 3 is open, is a socket, and was handed to this process to own.
        let fd = unsafe { OwnedFd::from_raw_fd(INHERITED_FD) };
        Ok(std::net::TcpListener::from(fd))
    }
    #[cfg(not(unix))]
    {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "inheriting a socket by fd number needs Unix",
        ))
    }
}

/// How many columns the terminal on stdout has, or `None` when stdout is not
/// a terminal (a file, a pipe) or the OS cannot say.
pub fn stdout_columns() -> Option<usize> {
    #[cfg(unix)]
    {
        // SAFETY: an all-zero winsize is a valid value for ioctl to overwrite.
        let mut size: libc::winsize = unsafe { std::mem::zeroed() };
        // SAFETY: TIOCGWINSZ only writes the winsize `size` points to; on a
        // descriptor that is not a terminal it fails and writes nothing.
        let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
        (rc == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Asks the child with this PID to stop (SIGTERM), so it can close its
/// connections in order. Windows has no such signal: there the caller's
/// `Child::kill` is the only way, and this does nothing.
pub fn terminate(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill() sends a signal; the caller passes a PID of its own,
        // not yet reaped, child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    #[cfg(not(unix))]
    let _ = pid;
}

#[cfg(unix)]
mod unix {
    use std::io;

    pub fn raise_fd_limit() -> Option<u64> {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid, writable rlimit for getrlimit to fill.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: `raised` is a valid rlimit; keeping the hard limit is allowed.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            }
        }
        // rlim_t is u64 on Linux and macOS but not on every Unix.
        #[allow(clippy::unnecessary_cast)]
        Some(limit.rlim_cur as u64)
    }

    /// In a forked child, before exec: make `fd` the child's fd 3, inheritable.
    /// `dup2` gives the copy no close-on-exec flag; if `fd` is already 3 the
    /// flag is cleared by hand.
    pub fn move_to_fd_3(fd: i32) -> io::Result<()> {
        // SAFETY: plain fd syscalls on fds this process owns, in the child.
        let rc = unsafe {
            if fd == super::INHERITED_FD {
                libc::fcntl(fd, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, super::INHERITED_FD)
            }
        };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}
