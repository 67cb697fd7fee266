//! How a table read finds the processes that hold the sockets: search the
//! machine (as `ss -p` and `lsof` do), trust what this process registered,
//! or not at all.

use super::own::OwnSockets;

/// How to find the processes that hold the sockets.
#[derive(Clone, Debug)]
pub enum Attribution {
    /// Search the processes of the machine, as `ss -p` and `lsof` do, but stop as
    /// soon as every socket has a holder.
    Search,
    /// The caller holds the sockets it cares about and registered them (by inode,
    /// or by their ends where there are no inodes): no search at all. Sockets
    /// not registered are left without a holder.
    Own(OwnSockets),
    /// Leave every socket without a holder.
    None,
}
