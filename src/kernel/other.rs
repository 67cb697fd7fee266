//! macOS, Windows and the BSDs: the portable `netstat2` path for everything.
//!
//! These systems report the PIDs that hold each socket directly, but neither an
//! inode nor an fd number, so the FD and NODE columns show `-`.

use super::model::{Attribution, KernelSocket, Query, TableError, TableRead};

use crate::os::AsSocket;

pub fn read_socket_table(
    query: &Query,
    attribution: &Attribution,
) -> Result<TableRead, TableError> {
    let mut read = super::portable::read_socket_table(query)?;
    read.notes = attribute(&mut read.sockets, attribution);
    Ok(read)
}

/// netstat2 already attached the PIDs; only "no attribution" has work to do.
pub fn attribute(sockets: &mut [KernelSocket], attribution: &Attribution) -> Vec<String> {
    if let Attribution::None = attribution {
        for socket in sockets.iter_mut() {
            socket.holders.clear();
        }
    }
    Vec::new()
}

#[cfg(unix)]
pub fn socket_fd<S: AsSocket>(socket: &S) -> Option<i32> {
    use std::os::fd::AsRawFd;
    Some(socket.as_fd().as_raw_fd())
}

#[cfg(not(unix))]
pub fn socket_fd<S: AsSocket>(_socket: &S) -> Option<i32> {
    None
}

/// No socket inodes here: sockets are attributed by the PIDs netstat2 reports.
pub fn socket_inode<S: AsSocket>(_socket: &S) -> Option<u64> {
    None
}

/// The kernel's TCP memory is read from Linux's /proc only.
pub fn kernel_tcp_memory() -> Option<u64> {
    None
}
