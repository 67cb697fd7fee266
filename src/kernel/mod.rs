//! Asking the kernel which sockets use a port.
//!
//! `netstat`, `ss` and `lsof` all answer the same question: *which sockets exist, and
//! which process holds each one?* The kernel keeps that answer in two places:
//!
//! 1. its **socket table**: one entry per socket, with the local and remote
//!    (IP, port), the TCP state, the queue sizes, the owner's uid and the inode
//!    number of the socket;
//! 2. each process's **file-descriptor table**: fd 5 of PID 4242 points at socket
//!    inode 81234. The socket table does not say which process holds a socket, so
//!    a tool has to look through the processes' fds to attribute it.
//!
//! This module reads both and returns plain [`KernelSocket`] values. It never
//! decides what a socket *means* for the claim (that is `claim::snapshot`) and
//! never formats anything (that is `view`).

//!
//! Layout: [`model`] holds the plain values (a socket, its holders, a query),
//! [`own`] the sockets this process registered, and one reader per OS:
//! [`linux`] (sock_diag netlink and `/proc`) and [`portable`] (the `netstat2`
//! crate, used everywhere else). This module chooses between them with `cfg`
//! and imports nothing from the layers above it.

use std::sync::Arc;

#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "linux")]
use linux as imp;
#[cfg(not(target_os = "linux"))]
pub mod other;
#[cfg(not(target_os = "linux"))]
use other as imp;

pub mod attribution;
pub mod model;
pub mod own;
pub mod portable;

pub use attribution::Attribution;
pub use model::*;
pub use own::{AsSocket, OwnSocket, OwnSockets, Registration, SocketId, socket_fd, socket_inode};

/// Something that answers socket-table queries.
///
/// The real one is [`Kernel`]; tests of the server can put a fake in its place.
/// Everything that proves the claim uses the real one.
pub trait SocketTable: Send + Sync {
    fn read(&self, query: &Query, attribution: &Attribution) -> Result<TableRead, TableError>;
}

/// The running kernel's socket table.
#[derive(Clone, Copy, Debug, Default)]
pub struct Kernel;

impl SocketTable for Kernel {
    fn read(&self, query: &Query, attribution: &Attribution) -> Result<TableRead, TableError> {
        read(query, attribution)
    }
}

/// Reads the sockets on `query.port` and attributes them to processes.
///
/// This is the one function the rest of the program calls to ask the kernel.
pub fn read(query: &Query, attribution: &Attribution) -> Result<TableRead, TableError> {
    match imp::read_socket_table(query, attribution) {
        Err(TableError::Unsupported(_)) => read_portable(query, attribution),
        read => finish(query, read?),
    }
}

/// Reads the table the portable way, through the `netstat2` crate, whatever the OS.
///
/// On Linux this is the slower path that [`read`] takes only when the fast one
/// is missing; a test checks that both paths see the same sockets.
pub fn read_portable(query: &Query, attribution: &Attribution) -> Result<TableRead, TableError> {
    let mut read = portable::read_socket_table(query)?;
    read.notes
        .extend(imp::attribute(&mut read.sockets, attribution));
    finish(query, read)
}

/// Keeps only the sockets the query asked for (the kernel's filter is a
/// speed-up, not something to rely on) and names their holders.
fn finish(query: &Query, mut read: TableRead) -> Result<TableRead, TableError> {
    read.sockets
        .retain(|s| s.proto == query.proto && query.side.matches(query.port, s.local, s.remote));
    sort_sockets(&mut read.sockets);
    name_holders(&mut read.sockets);
    Ok(read)
}

/// Fills in the program name and user of every holder, asking the OS (through
/// sysinfo) about those PIDs only, never about every process.
fn name_holders(sockets: &mut [KernelSocket]) {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

    let mut pids: Vec<Pid> = sockets
        .iter()
        .flat_map(|s| s.holders.iter().map(|h| Pid::from_u32(h.pid)))
        .collect();
    if pids.is_empty() {
        return;
    }
    pids.sort_unstable();
    pids.dedup();
    // Names are a nicety: if the OS will not say, the columns show `-`.
    let Ok(mut system) = System::new() else {
        return;
    };
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&pids),
        true,
        ProcessRefreshKind::nothing().with_user(UpdateKind::Always),
    );
    let users = user_list();
    type Names = (Option<Arc<str>>, Option<Arc<str>>);
    // In PID order, like `pids`: a few holders' PIDs among tens of thousands
    // of sockets are found by binary search faster than by hashing.
    let names: Vec<(u32, Names)> = pids
        .iter()
        .map(|&pid| {
            let process = system.process(pid);
            let name = process.map(|p| Arc::from(p.name().to_string_lossy().as_ref()));
            let user = process.and_then(|p| p.user_id()).map(|uid| {
                let known = users.as_ref().and_then(|users| users.get_user_by_id(uid));
                Arc::from(known.map_or_else(|| uid.to_string(), |u| u.name().to_string()))
            });
            (pid.as_u32(), (name, user))
        })
        .collect();
    for holder in sockets.iter_mut().flat_map(|s| s.holders.iter_mut()) {
        // A process that exited since the table was read keeps `-`.
        if let Ok(i) = names.binary_search_by_key(&holder.pid, |&(pid, _)| pid) {
            let (name, user) = &names[i].1;
            holder.process.clone_from(name);
            holder.user.clone_from(user);
        }
    }
}

/// The machine's users, to turn a holder's user id into a name.
#[cfg(unix)]
fn user_list() -> Option<sysinfo::Users> {
    sysinfo::Users::new_with_refreshed_list().ok()
}

/// On Windows the user stays its SID (`S-1-5-21-...`, what `whoami /user`
/// prints). sysinfo 0.40 lists Windows users through
/// `LsaEnumerateLogonSessions` and builds a slice from its result without
/// checking for a null pointer, which Wine returns with zero sessions:
/// undefined behaviour, on which the debug build aborts. A user name is not
/// worth that.
#[cfg(not(unix))]
fn user_list() -> Option<sysinfo::Users> {
    None
}

/// The kernel's memory for TCP sockets in bytes, where the OS says
/// (Linux's `/proc/net/sockstat`); `None` elsewhere.
pub fn kernel_tcp_memory() -> Option<u64> {
    imp::kernel_tcp_memory()
}
