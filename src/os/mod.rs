//! Everything that differs between operating systems, in one place.
//!
//! The rest of sameport calls these functions and never looks at `cfg`:
//!
//! * [`read_socket_table`]: the sockets on a port and their holders. Linux has a
//!   fast path (`sock_diag` netlink and a targeted `/proc` walk); every other OS
//!   uses the portable path of the `netstat2` crate ([`portable`]).
//! * [`socket_fd`] and [`socket_inode`]: how a process names a socket it holds,
//!   so a server can attribute its own sockets without searching.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as imp;

#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
use other as imp;

pub mod portable;

pub use imp::{AsSocket, attribute, read_socket_table, socket_fd, socket_inode};

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
