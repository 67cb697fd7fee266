//! Linux: the socket table through `sock_diag` netlink, holders through `/proc`.

mod procfs;
mod sock_diag;

use std::io;
use std::path::Path;

use super::attribution::Attribution;
use super::model::{KernelSocket, Note, Query, TableError, TableRead, holder, sort_sockets};

/// Reads the sockets matching `query` and finds their holders.
///
/// With [`Attribution::Search`], the process survey runs on a second thread while
/// this one dumps the socket table, so the two costs overlap.
pub fn read_socket_table(
    query: &Query,
    attribution: &Attribution,
) -> Result<TableRead, TableError> {
    let dumped = match attribution {
        Attribution::Search => {
            let prepare = |sockets: &mut Vec<KernelSocket>| {
                // Sorting here costs nothing extra: the helper thread is busy
                // reading fds meanwhile.
                sort_sockets(sockets);
                targets(sockets)
            };
            procfs::dump_and_attribute(
                Path::new("/proc"),
                Some((query.port, query.side)),
                || sock_diag::dump(query),
                prepare,
            )
            .map(|(mut sockets, found)| {
                let notes = attribute_found(&mut sockets, found);
                (sockets, notes)
            })
        }
        _ => sock_diag::dump(query).map(|mut sockets| {
            let notes = attribute(&mut sockets, attribution);
            (sockets, notes)
        }),
    };
    match dumped {
        Ok((sockets, notes)) => Ok(TableRead { sockets, notes }),
        // Kernels built without sock_diag (rare) still have the portable path,
        // which the caller takes on this error.
        Err(e) if is_unsupported(&e) => Err(TableError::Unsupported(e.to_string())),
        Err(e) => Err(TableError::Dump(e.to_string())),
    }
}

/// Fills in the holders of sockets read without them (the portable path's).
pub fn attribute(sockets: &mut [KernelSocket], attribution: &Attribution) -> Vec<Note> {
    match attribution {
        Attribution::Search => {
            let found = procfs::dump_and_attribute(
                Path::new("/proc"),
                None,
                || Ok::<_, ()>(()),
                |_: &mut ()| targets(sockets),
            );
            match found {
                Ok(((), found)) => attribute_found(sockets, found),
                Err(()) => Vec::new(),
            }
        }
        Attribution::Own(own) => {
            let pid = std::process::id();
            for socket in sockets.iter_mut() {
                if let Some(mine) = own.find(socket) {
                    let mut holder = holder(pid, mine.fd);
                    holder.label = Some(mine.label);
                    socket.holders = vec![holder];
                }
            }
            Vec::new()
        }
        Attribution::None => Vec::new(),
    }
}

fn targets(sockets: &[KernelSocket]) -> procfs::Targets {
    procfs::Targets::new(
        sockets
            .iter()
            .enumerate()
            .filter_map(|(index, s)| Some((s.inode?, index))),
    )
}

/// Gives each socket the holders found for it (`found.holders` names sockets
/// by their index in `sockets`).
fn attribute_found(sockets: &mut [KernelSocket], found: procfs::Found) -> Vec<Note> {
    for (index, pid, fd) in found.holders {
        if let Some(socket) = sockets.get_mut(index) {
            // Nearly every socket has one holder. A first `push` would reserve
            // room for four, and for 10,000 sockets that is 2 MB of memory the
            // kernel must hand over page by page (measured at 10,000 sockets:
            // 1.8 ms before, 0.6-1.0 ms with room for one).
            if socket.holders.capacity() == 0 {
                socket.holders.reserve_exact(1);
            }
            socket.holders.push(holder(pid, Some(fd)));
        }
    }
    // Two threads found them in no particular order; a socket that several
    // processes share (after a fork) lists them by PID and fd.
    for socket in sockets.iter_mut().filter(|s| s.holders.len() > 1) {
        socket.holders.sort_unstable_by_key(|h| (h.pid, h.fd));
    }
    found.notes
}

fn is_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EPROTONOSUPPORT) | Some(libc::ENOENT) | Some(libc::EAFNOSUPPORT)
    )
}

/// The kernel's memory for TCP sockets, in bytes (`mem` in /proc/net/sockstat,
/// counted in pages), or `None` if it cannot be read.
pub fn kernel_tcp_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let line = text.lines().find(|l| l.starts_with("TCP:"))?;
    let mut words = line.split_whitespace();
    let pages: u64 = words
        .by_ref()
        .skip_while(|&w| w != "mem")
        .nth(1)?
        .parse()
        .ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}
