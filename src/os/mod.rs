//! Everything that differs between operating systems, in one place.
//!
//! The rest of sameport calls these functions and never looks at `cfg`:
//!
//! * [`read_socket_table`]: the sockets on a port and their holders. Linux has a
//!   fast path (`sock_diag` netlink and a targeted `/proc` walk); every other OS
//!   uses the portable path of the `netstat2` crate ([`portable`]).
//! * [`socket_fd`] and [`socket_inode`]: how a process names a socket it holds,
//!   so a server can attribute its own sockets without searching.
//! * [`raise_fd_limit`]: every socket is an open file; this is the ceiling.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as imp;
#[cfg(target_os = "linux")]
pub use linux::{netns, packet};
#[cfg(not(target_os = "linux"))]
pub use other::netns;

#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
use other as imp;

pub mod portable;

pub use imp::{
    AsSocket, attribute, defer_port_choice, kernel_tcp_memory, prepare_child, raise_fd_limit,
    read_socket_table, socket_fd, socket_inode,
};

use crate::socket_table::Holder;

/// A holder whose name and user are filled in later.
fn holder(pid: u32, fd: Option<i32>) -> Holder {
    Holder {
        pid,
        fd,
        process: None,
        user: None,
        label: None,
    }
}

#[cfg(unix)]
fn unix_raise_fd_limit() -> Option<u64> {
    // SAFETY: `limit` is a valid, writable rlimit for getrlimit to fill.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit; lowering or keeping the hard limit is allowed.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    // rlim_t is u64 on Linux and macOS but not on every Unix.
    #[allow(clippy::unnecessary_cast)]
    Some(limit.rlim_cur as u64)
}

/// The fd a child of `scale` receives its listening socket as.
pub const INHERITED_FD: i32 = 3;

/// In a forked child, before exec: make `fd` the child's fd 3, inheritable.
/// `dup2` gives the copy no close-on-exec flag; if `fd` is already 3 the flag
/// is cleared by hand.
#[cfg(unix)]
fn move_to_fd_3(fd: i32) -> std::io::Result<()> {
    // SAFETY: plain fd syscalls on fds this process owns, in the child.
    let rc = unsafe {
        if fd == INHERITED_FD {
            libc::fcntl(fd, libc::F_SETFD, 0)
        } else {
            libc::dup2(fd, INHERITED_FD)
        }
    };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}
