//! What the walk looks for ([`Targets`]) and what it found ([`Found`]).

/// The sockets to attribute: (inode, the socket's index in the caller's
/// list), sorted by inode, so that checking an inode is a binary search rather
/// than a hash (there may be tens of thousands), and a hit says directly which
/// socket it belongs to.
#[derive(Debug, Default)]
pub struct Targets(Vec<(u64, usize)>);

impl Targets {
    pub fn new(inodes: impl IntoIterator<Item = (u64, usize)>) -> Self {
        let mut inodes: Vec<(u64, usize)> = inodes.into_iter().collect();
        inodes.sort_unstable();
        inodes.dedup_by_key(|&mut (inode, _)| inode);
        Targets(inodes)
    }

    /// Where `inode` is among the targets.
    pub fn position(&self, inode: u64) -> Option<usize> {
        self.0.binary_search_by_key(&inode, |&(i, _)| i).ok()
    }

    /// The caller's index of the socket at `position`.
    pub fn socket_index(&self, position: usize) -> usize {
        self.0[position].1
    }

    pub fn contains(&self, inode: u64) -> bool {
        self.position(inode).is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The holders found for the target sockets.
#[derive(Debug, Default)]
pub struct Found {
    /// (index of the socket, pid, fd), in the order the threads found them.
    pub holders: Vec<(usize, u32, i32)>,
    pub notes: Vec<crate::kernel::Note>,
    /// How many processes' fd tables were read (for tests).
    pub processes_walked: usize,
}
