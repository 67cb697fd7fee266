//! Finding the process that holds a socket, through `/proc/PID/fd`.
//!
//! The socket table names a socket by its inode number; each process's
//! `/proc/PID/fd/N` is a symbolic link whose target reads `socket:[INODE]`.
//! `ss -p` and `lsof` read every link of every process. That costs a few
//! microseconds per open file on the whole machine, and is most of their time.
//!
//! This walk does the same reading in a better order and stops early:
//!
//! 1. a **survey** lists the processes and how many fds each has (on Linux ≥ 6.2
//!    `fstat` of `/proc/PID/fd` says so in `st_size`) and reads a small *sample*
//!    of the fds of each big process; it runs while the socket table is dumped;
//! 2. once the sockets are known, processes whose sample already hit one of them
//!    are read first (a server with 10,000 connections is found at once, even if a
//!    client process on the same machine holds 10,000 sockets too), then the
//!    small processes, then the rest;
//! 3. the walk stops as soon as every socket has a holder.
//!
//! A process that vanishes or cannot be read is skipped; what was not read is
//! reported once as a note, never as an error.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Processes with more fds than this are sampled during the survey.
const SAMPLE_ABOVE: usize = 64;
/// How many fds of a big process the survey reads.
const SAMPLE_SIZE: usize = 16;

/// What the survey learned about one process.
#[derive(Debug)]
struct ProcessInfo {
    pid: u32,
    /// The number of open fds, `None` on kernels that do not report it.
    fd_count: Option<usize>,
    /// Socket inodes found among the sampled fds, with their fd numbers.
    sample: Vec<(u64, i32)>,
}

/// The list of processes, made before the sockets are known.
#[derive(Debug)]
pub struct Survey {
    proc_root: std::path::PathBuf,
    processes: Vec<ProcessInfo>,
    /// Why `/proc` itself could not be listed, if it could not.
    unlisted: Option<String>,
}

/// The holders found for the target sockets: inode -> (pid, fd) pairs.
#[derive(Debug, Default)]
pub struct Found {
    pub holders: HashMap<u64, Vec<(u32, i32)>>,
    pub notes: Vec<String>,
    /// How many processes' fd tables were read in full (for benchmarks and tests).
    pub processes_walked: usize,
}

/// Lists the processes under `proc_root` and samples the big ones.
pub fn survey(proc_root: &Path) -> Survey {
    let mut survey = Survey {
        proc_root: proc_root.to_path_buf(),
        processes: Vec::new(),
        unlisted: None,
    };
    let entries = match std::fs::read_dir(proc_root) {
        Ok(entries) => entries,
        Err(e) => {
            survey.unlisted = Some(format!("cannot read {}: {e}", proc_root.display()));
            return survey;
        }
    };
    let counts_work = fd_counts_are_reported(proc_root);
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // A process can exit between the listing and this open: skip it.
        let Ok(dir) = FdDir::open(proc_root, pid) else {
            survey.processes.push(ProcessInfo {
                pid,
                fd_count: None,
                sample: Vec::new(),
            });
            continue;
        };
        let fd_count = counts_work.then(|| dir.fd_count()).flatten();
        // Kernel threads have no fd table at all: nothing to find there.
        if fd_count == Some(0) {
            continue;
        }
        let sample = match fd_count {
            Some(n) if n > SAMPLE_ABOVE => dir.sample(n),
            _ => Vec::new(),
        };
        survey.processes.push(ProcessInfo {
            pid,
            fd_count,
            sample,
        });
    }
    survey
}

/// Finds the holders of `targets`, reading as few processes as it can.
pub fn attribute(survey: Survey, targets: &HashSet<u64>) -> Found {
    let mut found = Found::default();
    if let Some(why) = &survey.unlisted {
        if !targets.is_empty() {
            found.notes.push(format!("{why}; the PID columns show -"));
        }
        return found;
    }
    let mut remaining: HashSet<u64> = targets.clone();
    let mut unreadable = 0usize;
    for process in walk_order(survey.processes, targets) {
        if remaining.is_empty() {
            break;
        }
        let dir = match FdDir::open(&survey.proc_root, process.pid) {
            Ok(dir) => dir,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(_) => {
                unreadable += 1;
                continue;
            }
        };
        let Ok(fds) = dir.list() else {
            unreadable += 1;
            continue;
        };
        found.processes_walked += 1;
        for fd in fds {
            if let Some(inode) = dir.socket_inode(fd)
                && targets.contains(&inode)
            {
                remaining.remove(&inode);
                found
                    .holders
                    .entry(inode)
                    .or_default()
                    .push((process.pid, fd));
            }
        }
    }
    if !remaining.is_empty() && unreadable > 0 {
        found.notes.push(format!(
            "{unreadable} processes could not be read (permission denied); \
             {} sockets show - for PID (run as root to see every owner)",
            remaining.len()
        ));
    }
    found
}

/// The order in which to read processes: those whose sample hit a target first
/// (most hits first), then small processes (cheap to read), then big ones.
fn walk_order(mut processes: Vec<ProcessInfo>, targets: &HashSet<u64>) -> Vec<ProcessInfo> {
    let own_pid = std::process::id();
    processes.retain(|p| p.pid != own_pid);
    let hits = |p: &ProcessInfo| {
        p.sample
            .iter()
            .filter(|(inode, _)| targets.contains(inode))
            .count()
    };
    processes.sort_by_cached_key(|p| {
        let h = hits(p);
        let size = p.fd_count.unwrap_or(usize::MAX);
        if h > 0 {
            (0, usize::MAX - h, usize::MAX - size)
        } else {
            (1, 0, size)
        }
    });
    processes
}

/// Whether this kernel reports the number of open fds as the size of
/// `/proc/PID/fd` (Linux ≥ 6.2). Checked on our own process, which has at least
/// stdin, stdout and stderr.
fn fd_counts_are_reported(proc_root: &Path) -> bool {
    FdDir::open(proc_root, std::process::id())
        .ok()
        .and_then(|dir| dir.fd_count())
        .is_some_and(|n| n > 0)
}

/// An open `/proc/PID/fd` directory. Reading links relative to this directory
/// (`readlinkat`) saves the kernel from resolving `/proc/PID/fd` again for
/// every fd, which is what reading `/proc/PID/fd/N` by full path costs.
struct FdDir(OwnedFd);

impl FdDir {
    fn open(proc_root: &Path, pid: u32) -> io::Result<FdDir> {
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

    /// The number of open fds, from `st_size` (0 on kernels before 6.2).
    fn fd_count(&self) -> Option<usize> {
        // SAFETY: an all-zero `stat` is a valid value to be overwritten by fstat.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: the fd is open for the life of `self`; `stat` is writable.
        let rc = unsafe { libc::fstat(self.0.as_raw_fd(), &mut stat) };
        (rc == 0).then_some(usize::try_from(stat.st_size).unwrap_or(0))
    }

    /// Reads `SAMPLE_SIZE` fds spread evenly over `0..fd_count`. Fd numbers are
    /// usually dense from 0, so most probes hit an open fd.
    fn sample(&self, fd_count: usize) -> Vec<(u64, i32)> {
        let step = (fd_count / SAMPLE_SIZE).max(1);
        (0..SAMPLE_SIZE)
            .filter_map(|i| i32::try_from(i * step + step / 2).ok())
            .filter_map(|fd| self.socket_inode(fd).map(|inode| (inode, fd)))
            .collect()
    }

    /// The inode of the socket open as `fd`, or `None` if `fd` is not a socket
    /// (or was closed meanwhile).
    fn socket_inode(&self, fd: i32) -> Option<u64> {
        let mut name = itoa_buf(fd);
        let mut target = [0u8; 64];
        // SAFETY: `name` is NUL-terminated; `target` is writable for its length.
        let len = unsafe {
            libc::readlinkat(
                self.0.as_raw_fd(),
                name.as_mut_ptr().cast(),
                target.as_mut_ptr().cast(),
                target.len(),
            )
        };
        let len = usize::try_from(len).ok()?;
        parse_socket_link(target.get(..len)?)
    }

    /// Lists the open fd numbers with `getdents64`, without an allocation per entry.
    fn list(&self) -> io::Result<Vec<i32>> {
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
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            let n = n as usize;
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
        let name = &records[NAME_OFFSET..reclen];
        let name = name.split(|&b| b == 0).next().unwrap_or_default();
        if let Some(fd) = parse_decimal(name) {
            fds.push(fd);
        }
        records = &records[reclen..];
    }
}

/// `socket:[12345]` -> 12345; any other link target -> `None`.
fn parse_socket_link(target: &[u8]) -> Option<u64> {
    let digits = target.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn parse_decimal(digits: &[u8]) -> Option<i32> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Formats a non-negative fd as a NUL-terminated decimal string on the stack.
fn itoa_buf(fd: i32) -> [u8; 12] {
    let mut out = [0u8; 12];
    let text = fd.to_string();
    let len = text.len().min(11);
    out[..len].copy_from_slice(&text.as_bytes()[..len]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_links_are_parsed_and_others_ignored() {
        assert_eq!(parse_socket_link(b"socket:[81234]"), Some(81234));
        assert_eq!(parse_socket_link(b"pipe:[81234]"), None);
        assert_eq!(parse_socket_link(b"/dev/null"), None);
        assert_eq!(parse_socket_link(b"socket:[]"), None);
        assert_eq!(parse_socket_link(b"socket:[12"), None);
    }

    #[test]
    fn itoa_buf_is_nul_terminated() {
        assert_eq!(&itoa_buf(0)[..2], b"0\0");
        assert_eq!(&itoa_buf(19999)[..6], b"19999\0");
    }

    #[test]
    fn our_own_socket_is_found_by_its_inode() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = crate::os::socket_inode(&listener).unwrap();
        let survey = survey(Path::new("/proc"));
        // The walk skips its own process (inspect never holds the sockets it
        // looks for), so look ourselves up directly.
        let dir = FdDir::open(Path::new("/proc"), std::process::id()).unwrap();
        let fds = dir.list().unwrap();
        let fd = listener.as_raw_fd();
        assert!(fds.contains(&fd));
        assert_eq!(dir.socket_inode(fd), Some(inode));
        assert!(!survey.processes.is_empty());
    }

    #[test]
    fn a_missing_proc_is_a_note_not_a_panic() {
        let survey = survey(Path::new("/nonexistent-proc-root"));
        let found = attribute(survey, &HashSet::from([42]));
        assert!(found.holders.is_empty());
        assert_eq!(found.notes.len(), 1, "{:?}", found.notes);
        assert!(found.notes[0].contains("/nonexistent-proc-root"));
    }

    #[test]
    fn processes_whose_sample_hit_are_walked_first() {
        let targets = HashSet::from([7, 8]);
        let processes = vec![
            ProcessInfo {
                pid: 1,
                fd_count: Some(3),
                sample: vec![],
            },
            ProcessInfo {
                pid: 2,
                fd_count: Some(20_000),
                sample: vec![(99, 5)],
            },
            ProcessInfo {
                pid: 3,
                fd_count: Some(10_000),
                sample: vec![(7, 5), (8, 6)],
            },
            ProcessInfo {
                pid: 4,
                fd_count: Some(10_000),
                sample: vec![(7, 5)],
            },
        ];
        let order: Vec<u32> = walk_order(processes, &targets)
            .iter()
            .map(|p| p.pid)
            .collect();
        assert_eq!(order, vec![3, 4, 1, 2]);
    }
}
