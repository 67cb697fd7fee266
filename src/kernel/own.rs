//! This process's own sockets.
//!
//! A server knows which sockets it holds: it accepted them. Registering each
//! one by its inode lets a table read attribute them with a hash-table lookup,
//! instead of the walk through every process's fds that `ss -p` and `lsof` pay
//! for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use crate::os::AsSocket;

/// The sockets this process holds, by inode, so that a server can attribute its
/// own sockets without reading a single other process.
///
/// A server registers each socket when it accepts it and forgets it when it
/// closes. Looking up an inode is then a hash-table lookup, instead of the walk
/// through every process's fds that `ss -p` and `lsof` pay for.
#[derive(Clone, Debug, Default)]
pub struct OwnSockets {
    by_inode: Arc<Mutex<HashMap<u64, OwnSocket>>>,
}

/// One socket registered in [`OwnSockets`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnSocket {
    pub fd: i32,
    /// A name for the holder that is stable across runs (`server`, `client-2`),
    /// used by reproducible output in place of the PID.
    pub label: String,
}

/// A registration in [`OwnSockets`]; the socket is forgotten when it is dropped.
#[derive(Debug)]
pub struct Registration {
    sockets: OwnSockets,
    inode: Option<u64>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(inode) = self.inode {
            self.sockets.lock().remove(&inode);
        }
    }
}

impl OwnSockets {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `socket` is ours. On systems without socket inodes this
    /// records nothing and the OS's own PID attribution is used instead.
    pub fn register<S: AsSocket>(&self, socket: &S, label: &str) -> Registration {
        let fd = socket_fd(socket);
        let inode = socket_inode(socket);
        if let (Some(fd), Some(inode)) = (fd, inode) {
            let own = OwnSocket {
                fd,
                label: label.to_string(),
            };
            self.lock().insert(inode, own);
        }
        Registration {
            sockets: self.clone(),
            inode,
        }
    }

    /// The socket with this inode, if this process registered it.
    pub fn get(&self, inode: u64) -> Option<OwnSocket> {
        self.lock().get(&inode).cloned()
    }

    /// How many sockets are registered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, OwnSocket>> {
        // A panic while holding this lock cannot leave the map half-updated
        // (every operation is a single insert, remove or clone), so a poisoned
        // lock is still safe to use.
        self.by_inode
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The fd number of a socket this process holds (`None` on Windows, where
/// sockets are handles, not numbered fds).
pub fn socket_fd<S: AsSocket>(socket: &S) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        Some(socket.as_fd().as_raw_fd())
    }
    #[cfg(not(unix))]
    {
        let _ = socket;
        None
    }
}

/// The inode number of a socket this process holds: `fstat` on the fd, no
/// walk. This is the number the socket table reports for it, on Linux; other
/// systems' tables have no inodes, and their sockets are attributed by the
/// PIDs the OS reports.
pub fn socket_inode<S: AsSocket>(socket: &S) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        crate::os::socket_inode_of(socket.as_fd())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = socket;
        None
    }
}
