//! macOS, Windows and the BSDs: the portable `netstat2` path for everything.
//!
//! These systems report the PIDs that hold each socket directly, but neither an
//! inode nor an fd number, so the FD and NODE columns show `-`.

use crate::socket_table::{Attribution, KernelSocket, Query, TableError, TableRead};

#[cfg(unix)]
pub use std::os::fd::AsFd as AsSocket;
#[cfg(windows)]
pub use std::os::windows::io::AsSocket;

pub fn read_socket_table(
    query: &Query,
    attribution: &Attribution,
) -> Result<TableRead, TableError> {
    super::portable::read_socket_table(query, attribution)
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

/// Raises the soft open-file limit to the hard limit (Unix), or `None` where
/// the OS has no such limit to read.
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        super::unix_raise_fd_limit()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Other systems choose the source port at `bind()`; nothing to change.
pub fn defer_port_choice<S: AsSocket>(_socket: &S) -> std::io::Result<()> {
    Ok(())
}

/// Prepares a child process of `scale`: it gets `listener` as its fd 3
/// (`LISTEN_FDS=1`). (No parent-death signal outside Linux: the parent stops
/// its children itself.)
#[cfg(unix)]
pub fn prepare_child(command: &mut std::process::Command, listener: Option<i32>) {
    use std::os::unix::process::CommandExt;
    if let Some(fd) = listener {
        command.env("LISTEN_FDS", "1");
        // SAFETY: runs in the child between fork and exec; dup2 and fcntl
        // are async-signal-safe.
        unsafe {
            command.pre_exec(move || super::move_to_fd_3(fd));
        }
    }
}

/// Windows has no fd inheritance by number: `scale` refuses to start there.
#[cfg(not(unix))]
pub fn prepare_child(_command: &mut std::process::Command, _listener: Option<i32>) {}

/// The kernel's TCP memory is read from Linux's /proc only.
pub fn kernel_tcp_memory() -> Option<u64> {
    None
}

/// Network namespaces are a Linux feature: elsewhere `demo --subnets`
/// explains that, through the same API as Linux's `netns` module.
pub mod netns {
    use std::net::IpAddr;

    /// Why the lab cannot be built.
    #[derive(Debug, thiserror::Error)]
    pub enum NetnsError {
        #[error("clients on other subnets need Linux network namespaces")]
        Unsupported,
    }

    /// No value of this type exists: a `Lab` cannot be built here.
    #[derive(Clone, Debug)]
    enum Never {}

    pub struct Lab(Never);

    #[derive(Clone, Debug)]
    pub struct Namespace(Never);

    pub fn check() -> Result<(), NetnsError> {
        Err(NetnsError::Unsupported)
    }

    impl Lab {
        pub fn create(_clients_per_subnet: usize) -> Result<Lab, NetnsError> {
            Err(NetnsError::Unsupported)
        }
        pub fn server(&self) -> &Namespace {
            match self.0 {}
        }
        pub fn server_addr(&self) -> IpAddr {
            match self.0 {}
        }
        pub fn clients(&self) -> Vec<(&Namespace, IpAddr)> {
            match self.0 {}
        }
    }

    impl Namespace {
        pub fn run<T: Send>(&self, _f: impl FnOnce() -> T + Send) -> Result<T, NetnsError> {
            match self.0 {}
        }
    }
}
