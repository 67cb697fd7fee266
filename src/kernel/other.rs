//! macOS, Windows and the BSDs: the portable `netstat2` path for everything.
//!
//! These systems report the PIDs that hold each socket directly, but neither an
//! inode nor an fd number, so the FD and NODE columns show `-`.

use super::model::{Attribution, KernelSocket, Note, Query, TableError, TableRead};

pub fn read_socket_table(
    query: &Query,
    attribution: &Attribution,
) -> Result<TableRead, TableError> {
    let mut read = super::portable::read_socket_table(query)?;
    read.notes = attribute(&mut read.sockets, attribution);
    Ok(read)
}

/// netstat2 already attached the PIDs; only "no attribution" has work to do.
pub fn attribute(sockets: &mut [KernelSocket], attribution: &Attribution) -> Vec<Note> {
    if let Attribution::None = attribution {
        for socket in sockets.iter_mut() {
            socket.holders.clear();
        }
    }
    Vec::new()
}

/// The kernel's TCP memory is read from Linux's /proc only.
pub fn kernel_tcp_memory() -> Option<u64> {
    None
}
