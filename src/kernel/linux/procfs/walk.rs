//! Reading processes' fd tables until every socket has a holder.
//!
//! A [`Job`] reads one process's fds; two threads can share one job, each
//! taking the next chunk of fd numbers. A [`Walk`] collects what the jobs
//! found and counts the sockets still without a holder, so the caller can
//! stop the moment that count reaches zero.

use std::io;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::fds::{FdDir, PidFd, Probe};
use super::survey::ProcessInfo;
use super::targets::{Found, Targets};

/// How many fd numbers a thread takes at a time from a shared process.
const CHUNK: usize = 128;
/// Fd numbers probed past the count, so a few closed low fds (a daemon that
/// closed stdin) do not force a directory listing.
const PROBE_SLACK: usize = 64;

/// The state of one attribution.
pub struct Walk<'a> {
    pub targets: &'a Targets,
    /// `attributed[i]`: target `i` has a holder.
    attributed: Vec<bool>,
    /// Targets without a holder yet.
    pub remaining: usize,
    /// Processes whose fds we may not read.
    pub unreadable: usize,
    pub found: Found,
}

impl<'a> Walk<'a> {
    pub fn new(targets: &'a Targets) -> Self {
        Walk {
            targets,
            attributed: vec![false; targets.len()],
            remaining: targets.len(),
            unreadable: 0,
            found: Found::default(),
        }
    }

    /// Collects a finished job's sockets, reading any fds the probes missed.
    pub fn finish_job(&mut self, job: &Job, proc_root: &Path) {
        let mut result = job.take_result();
        if result.open < job.fd_count {
            result.sockets.extend(job.sockets_beyond_probes(proc_root));
        }
        self.found.processes_walked += 1;
        for (inode, fd) in result.sockets {
            self.record(inode, job.pid, fd);
        }
    }

    /// Notes that `pid` holds socket `inode` as `fd`, if it is a target.
    fn record(&mut self, inode: u64, pid: u32, fd: i32) {
        let Some(i) = self.targets.position(inode) else {
            return;
        };
        if !self.attributed[i] {
            self.attributed[i] = true;
            self.remaining -= 1;
        }
        self.found
            .holders
            .push((self.targets.socket_index(i), pid, fd));
    }

    /// The holders found, with a note if processes we could not read may
    /// hold the sockets still without a holder.
    pub fn finish(mut self) -> Found {
        if self.remaining > 0 && self.unreadable > 0 {
            self.found.notes.push(crate::kernel::Note::Unreadable {
                processes: self.unreadable,
                sockets: self.remaining,
            });
        }
        self.found
    }
}

/// Reading one process's fds, possibly by two threads at once.
pub struct Job {
    pub pid: u32,
    dir: FdDir,
    /// A pidfd, when the kernel lets us borrow this process's fds (see
    /// [`PidFd`]); `None` to read links in `dir` instead.
    pidfd: Option<PidFd>,
    /// Set when borrowing fds was refused: the rest goes through `dir`.
    pidfd_refused: AtomicBool,
    /// How many fds the process has (from the survey).
    fd_count: usize,
    /// Fd numbers `0..probe_end` are probed.
    probe_end: usize,
    /// The next fd number to hand out.
    cursor: AtomicUsize,
    /// Set when the job is no longer wanted.
    pub abort: AtomicBool,
    result: Mutex<JobResult>,
}

/// What the threads working on a job found.
#[derive(Default)]
pub struct JobResult {
    /// Socket fds found: (inode, fd).
    pub sockets: Vec<(u64, i32)>,
    /// How many probed fd numbers were open (of any kind).
    open: usize,
}

impl Job {
    pub fn open(proc_root: &Path, process: &ProcessInfo) -> io::Result<Job> {
        let dir = FdDir::open(proc_root, process.pid)?;
        // Without a count from the kernel, list the directory to learn it.
        let fd_count = match process.fd_count {
            Some(n) => n,
            None => dir.list()?.len(),
        };
        Ok(Job {
            pid: process.pid,
            dir,
            pidfd: PidFd::open(process.pid),
            pidfd_refused: AtomicBool::new(false),
            fd_count,
            probe_end: fd_count + PROBE_SLACK,
            cursor: AtomicUsize::new(0),
            abort: AtomicBool::new(false),
            result: Mutex::default(),
        })
    }

    /// Reads links instead of borrowing fds (to compare the two in tests).
    #[cfg(test)]
    pub fn without_pidfd(mut self) -> Job {
        self.pidfd = None;
        self
    }

    /// Probes chunks of fd numbers until none are left (or the job is
    /// abandoned). Safe to call from two threads at once: each takes the next
    /// chunk from the shared cursor.
    pub fn work(&self) {
        let mut local = JobResult::default();
        while !self.abort.load(Ordering::Relaxed) {
            let start = self.cursor.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= self.probe_end {
                break;
            }
            self.probe_chunk(start..(start + CHUNK).min(self.probe_end), &mut local);
        }
        let mut result = self.result.lock().unwrap_or_else(|p| p.into_inner());
        result.open += local.open;
        result.sockets.append(&mut local.sockets);
    }

    fn probe_chunk(&self, fds: std::ops::Range<usize>, into: &mut JobResult) {
        for fd in fds {
            let Ok(fd) = i32::try_from(fd) else { return };
            match self.probe(fd) {
                Probe::Socket(inode) => {
                    into.open += 1;
                    into.sockets.push((inode, fd));
                }
                Probe::OtherFile => into.open += 1,
                Probe::Closed => {}
            }
        }
    }

    /// What fd `fd` is: through the pidfd while allowed, else through /proc.
    fn probe(&self, fd: i32) -> Probe {
        if let Some(pidfd) = &self.pidfd
            && !self.pidfd_refused.load(Ordering::Relaxed)
        {
            match pidfd.probe(fd) {
                Ok(probe) => return probe,
                Err(_) => self.pidfd_refused.store(true, Ordering::Relaxed),
            }
        }
        self.dir.probe(fd)
    }

    /// The sockets among fds past the probed range, found by listing the
    /// directory (the probes found fewer open fds than the process has).
    fn sockets_beyond_probes(&self, proc_root: &Path) -> Vec<(u64, i32)> {
        let Ok(listed) = FdDir::open(proc_root, self.pid).and_then(|dir| dir.list()) else {
            return Vec::new();
        };
        listed
            .into_iter()
            .filter(|&fd| usize::try_from(fd).is_ok_and(|fd| fd >= self.probe_end))
            .filter_map(|fd| self.dir.socket_inode(fd).map(|inode| (inode, fd)))
            .collect()
    }

    pub fn take_result(&self) -> JobResult {
        std::mem::take(&mut *self.result.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd, AsRawFd};

    #[test]
    fn borrowing_fds_and_reading_links_find_the_same_sockets() {
        let listeners: Vec<_> = (0..3)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let me = ProcessInfo {
            pid: std::process::id(),
            fd_count: None,
            sample: Vec::new(),
            on_port: 0,
        };
        let by_pidfd = Job::open(Path::new("/proc"), &me).unwrap();
        let by_links = Job::open(Path::new("/proc"), &me).unwrap().without_pidfd();
        by_pidfd.work();
        by_links.work();
        let a = by_pidfd.take_result().sockets;
        let b = by_links.take_result().sockets;
        // Other tests open sockets meanwhile; ours must be in both.
        for listener in &listeners {
            let ours = (
                crate::os::socket_inode_of(listener.as_fd()).unwrap(),
                listener.as_raw_fd(),
            );
            assert!(a.contains(&ours) && b.contains(&ours), "{a:?} {b:?}");
        }
    }
}
