//! Asking what one fd of another process is: a socket (and which one), some
//! other file, or nothing.
//!
//! Two ways, from fastest to always-available:
//!
//! * [`PidFd`]: the kernel lends us a copy of the process's fd
//!   (`pidfd_getfd`, Linux 5.6) and `fstat` on the copy gives the socket's
//!   inode. It needs ptrace permission over the process (root, or the same
//!   user where ptrace is not restricted);
//! * [`FdDir`]: `stat` through the link `/proc/PID/fd/N`, which any process
//!   allowed to read `/proc/PID/fd` may do. It costs a path lookup per fd,
//!   which is most of the walk's time when it is the only way.

use std::ffi::CString;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::kernel::model::{PortSide, canonical};
use crate::os;

/// What one fd number turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// A socket, with its inode: the number the socket table knows it by.
    Socket(u64),
    OtherFile,
    Closed,
}

impl Probe {
    /// The inode, if the fd is a socket.
    pub fn socket_inode(self) -> Option<u64> {
        match self {
            Probe::Socket(inode) => Some(inode),
            _ => None,
        }
    }
}

/// A socket's local end and, if connected, its remote end.
pub type Ends = (SocketAddr, Option<SocketAddr>);

/// A pidfd: a handle on a process through which, with ptrace permission, the
/// kernel lends us a copy of one of its fds. Closing the copy leaves the
/// original untouched. Three cheap system calls (borrow, `fstat`, close) cost
/// less than one path lookup through `/proc/PID/fd/N`.
pub struct PidFd(OwnedFd);

impl PidFd {
    /// A pidfd for `pid`, or `None` if the process is gone or the kernel is
    /// older than 5.3.
    pub fn open(pid: u32) -> Option<PidFd> {
        let pid = libc::pid_t::try_from(pid).ok()?;
        // SAFETY: pidfd_open takes a pid and flags; it returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let fd = i32::try_from(fd).ok().filter(|&fd| fd >= 0)?;
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        Some(PidFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// What fd `fd` of the process is. `Err` when the kernel refuses to lend
    /// fds of this process at all (no ptrace permission).
    pub fn probe(&self, fd: i32) -> io::Result<Probe> {
        Ok(match self.borrow(fd)? {
            Some(copy) => stat_probe(&copy),
            None => Probe::Closed,
        })
    }

    /// Like [`PidFd::probe`], and for a socket also its two ends
    /// (`getsockname`/`getpeername` on the copy): enough to tell, before the
    /// socket table is read, whether a socket is on the port.
    pub fn probe_ends(&self, fd: i32) -> io::Result<(Probe, Option<Ends>)> {
        let Some(copy) = self.borrow(fd)? else {
            return Ok((Probe::Closed, None));
        };
        let probe = stat_probe(&copy);
        if probe.socket_inode().is_none() {
            return Ok((probe, None));
        }
        let socket = socket2::SockRef::from(&copy);
        let local = socket.local_addr().ok().and_then(|a| a.as_socket());
        let remote = socket.peer_addr().ok().and_then(|a| a.as_socket());
        Ok((probe, local.map(|l| (canonical(l), remote.map(canonical)))))
    }

    /// A copy of the process's fd `fd`, `None` if it is not open.
    fn borrow(&self, fd: i32) -> io::Result<Option<OwnedFd>> {
        // SAFETY: pidfd_getfd takes our pidfd, the target fd and flags 0.
        let copy = unsafe { libc::syscall(libc::SYS_pidfd_getfd, self.0.as_raw_fd(), fd, 0) };
        if copy < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                // Not open; or the process exited: nothing more to find in it.
                Some(libc::EBADF) | Some(libc::ESRCH) => Ok(None),
                _ => Err(e),
            };
        }
        let copy = i32::try_from(copy).map_err(|_| io::Error::other("fd out of range"))?;
        // SAFETY: the kernel just installed `copy` in our fd table for us.
        Ok(Some(unsafe { OwnedFd::from_raw_fd(copy) }))
    }
}

/// Whether a socket with these ends is on the port, where both are known.
pub fn is_on_port(port: Option<(u16, PortSide)>, ends: Option<Ends>) -> bool {
    match (port, ends) {
        (Some((port, side)), Some((local, remote))) => side.matches(port, local, remote),
        _ => false,
    }
}

/// `fstat` on an fd of ours: a socket and its inode, or another kind of file.
fn stat_probe(fd: &OwnedFd) -> Probe {
    match os::socket_inode_of(fd.as_fd()) {
        Some(inode) => Probe::Socket(inode),
        None => Probe::OtherFile,
    }
}

/// An open `/proc/PID/fd` directory. Looking up fds relative to it
/// (`fstatat(dir, "5")`) saves the kernel from resolving `/proc/PID/fd` again
/// for every fd, which reading `/proc/PID/fd/5` by full path would cost.
pub struct FdDir(OwnedFd);

impl FdDir {
    pub fn open(proc_root: &Path, pid: u32) -> io::Result<FdDir> {
        let path = proc_root.join(pid.to_string()).join("fd");
        let path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
        // SAFETY: `path` is a valid NUL-terminated string; the returned fd, if
        // any, is owned by nobody else.
        let fd = unsafe {
            libc::open(
                path.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is not owned elsewhere.
        Ok(FdDir(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// The inode of the socket open as `fd`, if `fd` is an open socket.
    pub fn socket_inode(&self, fd: i32) -> Option<u64> {
        self.probe(fd).socket_inode()
    }

    /// `stat` through the fd's link: for a socket, the socket's inode.
    pub fn probe(&self, fd: i32) -> Probe {
        let name = nul_terminated_decimal(fd);
        // SAFETY: an all-zero `stat` is a valid value to be overwritten.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `name` is NUL-terminated; `stat` is writable; the dir fd is open.
        let rc = unsafe { libc::fstatat(self.0.as_raw_fd(), name.as_ptr().cast(), &mut stat, 0) };
        if rc != 0 {
            return Probe::Closed;
        }
        match os::socket_inode_in(&stat) {
            Some(inode) => Probe::Socket(inode),
            None => Probe::OtherFile,
        }
    }

    /// Lists the open fd numbers with `getdents64`, without an allocation per
    /// entry (`std::fs::read_dir` makes a `String` per name).
    pub fn list(&self) -> io::Result<Vec<i32>> {
        let mut fds = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: the fd is an open directory; `buf` is writable for its length.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    self.0.as_raw_fd(),
                    buf.as_mut_ptr(),
                    buf.len(),
                )
            };
            let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
            if n == 0 {
                return Ok(fds);
            }
            parse_dirents(&buf[..n], &mut fds);
        }
    }
}

/// Parses `linux_dirent64` records: d_ino (8 bytes), d_off (8), d_reclen (2),
/// d_type (1), then the NUL-terminated name. Names that are not numbers (`.`
/// and `..`) are skipped.
fn parse_dirents(mut records: &[u8], fds: &mut Vec<i32>) {
    const NAME_OFFSET: usize = 19;
    while records.len() > NAME_OFFSET {
        let reclen = usize::from(u16::from_ne_bytes([records[16], records[17]]));
        if reclen <= NAME_OFFSET || reclen > records.len() {
            return;
        }
        let name = records[NAME_OFFSET..reclen]
            .split(|&b| b == 0)
            .next()
            .unwrap_or_default();
        if let Some(fd) = std::str::from_utf8(name).ok().and_then(|n| n.parse().ok()) {
            fds.push(fd);
        }
        records = &records[reclen..];
    }
}

/// An fd number as the NUL-terminated name `fstatat` wants, on the stack: the
/// walk looks up tens of thousands of them, so no allocation per fd.
fn nul_terminated_decimal(fd: i32) -> [u8; 12] {
    // i32 has at most 11 characters ("-2147483648"), leaving room for the NUL.
    let mut out = [0u8; 12];
    let mut digits = itoa::Buffer::new();
    let text = digits.format(fd).as_bytes();
    out[..text.len()].copy_from_slice(text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_names_are_nul_terminated() {
        assert_eq!(&nul_terminated_decimal(0)[..2], b"0\0");
        assert_eq!(&nul_terminated_decimal(7)[..2], b"7\0");
        assert_eq!(&nul_terminated_decimal(19999)[..6], b"19999\0");
        assert_eq!(&nul_terminated_decimal(i32::MAX)[..11], b"2147483647\0");
    }

    #[test]
    fn our_own_socket_is_found_by_its_inode() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = os::socket_inode_of(listener.as_fd()).unwrap();
        let dir = FdDir::open(Path::new("/proc"), std::process::id()).unwrap();
        let fd = listener.as_raw_fd();
        assert!(dir.list().unwrap().contains(&fd));
        assert_eq!(dir.socket_inode(fd), Some(inode));
        assert!(matches!(dir.probe(0), Probe::OtherFile | Probe::Socket(_)));
    }

    #[test]
    fn a_borrowed_socket_has_the_same_inode_and_its_ends() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        let inode = os::socket_inode_of(listener.as_fd()).unwrap();
        let Some(pidfd) = PidFd::open(std::process::id()) else {
            eprintln!("skipped: this kernel has no pidfd_open");
            return;
        };
        match pidfd.probe_ends(listener.as_raw_fd()) {
            Ok((probe, ends)) => {
                assert_eq!(probe, Probe::Socket(inode));
                assert_eq!(ends, Some((local, None)));
                assert!(is_on_port(Some((local.port(), PortSide::Local)), ends));
                assert!(!is_on_port(Some((local.port(), PortSide::Remote)), ends));
            }
            // Borrowing our own fds can be refused under a strict ptrace policy.
            Err(e) => eprintln!("skipped: pidfd_getfd refused: {e}"),
        }
    }

    #[test]
    fn dirents_are_parsed() {
        let mut records = Vec::new();
        for name in [".", "..", "0", "17"] {
            let reclen = (19 + name.len() + 1 + 7) & !7;
            let mut rec = vec![0u8; reclen];
            rec[16..18].copy_from_slice(&(reclen as u16).to_ne_bytes());
            rec[19..19 + name.len()].copy_from_slice(name.as_bytes());
            records.extend(rec);
        }
        let mut fds = Vec::new();
        parse_dirents(&records, &mut fds);
        assert_eq!(fds, vec![0, 17]);
    }
}
