//! macOS, Windows and the BSDs: the portable `netstat2` path for everything.
//!
//! These systems report the PIDs that hold each socket directly, but neither an
//! inode nor an fd number, so the FD and NODE columns show `-`.
//!
//! What each OS's table leaves out (netstat2 0.11):
//!
//! * **Windows** reports one owner PID per socket, and PID 0 where it knows
//!   none (a socket in TIME_WAIT belongs to no process). Under Wine every
//!   socket is held by the `wineserver` process on the Linux side, so Wine
//!   reports PID 0 for a server's listening and accepted sockets; the server
//!   still finds its own sockets by their ends ([`super::SocketId::Ends`]).
//! * **macOS** has no call that lists the socket table: netstat2 walks every
//!   process's descriptors. So a socket that no process holds (TIME_WAIT) is
//!   not listed at all; without root, other users' processes cannot be read and
//!   their sockets are silently missing; a socket held by several processes
//!   (after `fork`) is listed once per holder; and a process that exits during
//!   the walk leaves an error item, which [`super::portable`] skips and counts.

use super::attribution::Attribution;
use super::model::{KernelSocket, Note, Query, TableError, TableRead, holder};

pub fn read_socket_table(
    query: &Query,
    attribution: &Attribution,
) -> Result<TableRead, TableError> {
    let mut read = super::portable::read_socket_table(query)?;
    read.notes.extend(attribute(&mut read.sockets, attribution));
    Ok(read)
}

/// netstat2 already attached the PIDs the OS reports, which is the search.
/// With [`Attribution::Own`], as on Linux, the registered sockets are ours
/// (with their labels), even where the OS could not say (Wine), and the
/// others are left without a holder.
pub fn attribute(sockets: &mut [KernelSocket], attribution: &Attribution) -> Vec<Note> {
    match attribution {
        Attribution::Search => {}
        Attribution::Own(own) => {
            let pid = std::process::id();
            for socket in sockets.iter_mut() {
                socket.holders = match own.find(socket) {
                    Some(mine) => {
                        let mut holder = holder(pid, mine.fd);
                        holder.label = Some(mine.label);
                        vec![holder]
                    }
                    None => Vec::new(),
                };
            }
        }
        Attribution::None => {
            for socket in sockets.iter_mut() {
                socket.holders.clear();
            }
        }
    }
    Vec::new()
}

/// The kernel's TCP memory is read from Linux's /proc only.
pub fn kernel_tcp_memory() -> Option<u64> {
    None
}
