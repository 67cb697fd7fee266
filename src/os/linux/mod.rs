//! Linux: the socket table through `sock_diag` netlink, holders through `/proc`.

pub mod netns;
pub mod packet;
mod procfs;
mod sock_diag;

use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

pub use std::os::fd::AsFd as AsSocket;

use crate::socket_table::{Attribution, KernelSocket, Query, TableError, TableRead, sort_sockets};

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
        // Kernels built without sock_diag (rare) still have the portable path.
        Err(e) if is_unsupported(&e) => super::portable::read_socket_table(query, attribution),
        Err(e) => Err(TableError::Dump(e.to_string())),
    }
}

/// Fills in the holders of sockets read without them (used by the portable path).
pub fn attribute(sockets: &mut [KernelSocket], attribution: &Attribution) -> Vec<String> {
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
                if let Some(mine) = socket.inode.and_then(|inode| own.get(inode)) {
                    let mut holder = super::holder(pid, Some(mine.fd));
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
/// by their index in `sockets`, in order).
fn attribute_found(sockets: &mut [KernelSocket], found: procfs::Found) -> Vec<String> {
    for (index, pid, fd) in found.holders {
        if let Some(socket) = sockets.get_mut(index) {
            socket.holders.push(super::holder(pid, Some(fd)));
        }
    }
    found.notes
}

fn is_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EPROTONOSUPPORT) | Some(libc::ENOENT) | Some(libc::EAFNOSUPPORT)
    )
}

/// The fd number of a socket this process holds.
pub fn socket_fd<S: AsSocket>(socket: &S) -> Option<i32> {
    Some(socket.as_fd().as_raw_fd())
}

/// The inode number of a socket this process holds: `fstat` on the fd, no walk.
/// This is the number the socket table reports for it.
pub fn socket_inode<S: AsSocket>(socket: &S) -> Option<u64> {
    // SAFETY: an all-zero `stat` is a valid value to be overwritten by fstat.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the fd is borrowed from a live socket; `stat` is writable.
    let rc = unsafe { libc::fstat(socket.as_fd().as_raw_fd(), &mut stat) };
    (rc == 0).then_some(stat.st_ino)
}

/// Raises this process's soft open-file limit to the hard limit and returns
/// the new soft limit. Every socket is an open file, so this is the ceiling on
/// connections one process can hold.
pub fn raise_fd_limit() -> Option<u64> {
    super::unix_raise_fd_limit()
}

/// Lets the kernel choose a client's source port at `connect()` rather than at
/// `bind()` (IP_BIND_ADDRESS_NO_PORT). Bound to an IP with port 0, a socket
/// would otherwise get a port that is unique for *every* destination; deferred,
/// the port only has to make the 4-tuple unique, so each source IP offers the
/// whole ephemeral range toward each server.
pub fn defer_port_choice<S: AsSocket>(socket: &S) -> io::Result<()> {
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

/// Prepares a child process of `scale`: it gets `listener` as its fd 3 (the
/// convention of systemd's socket activation, `LISTEN_FDS=1`), and is sent
/// SIGTERM if this process dies, so no worker outlives its parent.
pub fn prepare_child(command: &mut std::process::Command, listener: Option<i32>) {
    use std::os::unix::process::CommandExt;
    if listener.is_some() {
        command.env("LISTEN_FDS", "1");
    }
    // SAFETY: the closure runs in the child between fork and exec and calls
    // only async-signal-safe functions (prctl, dup2, fcntl).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            if let Some(fd) = listener {
                super::move_to_fd_3(fd)?;
            }
            Ok(())
        });
    }
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
