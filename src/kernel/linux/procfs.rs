//! Finding the process that holds a socket, through `/proc/PID/fd`.
//!
//! The socket table names a socket by its inode number; each process's
//! `/proc/PID/fd/N` is a link to the open file, and for a socket, `stat`
//! through that link gives the socket's inode. `ss -p` and `lsof` read every
//! link of every process: a few microseconds per open file on the whole
//! machine, most of their time.
//!
//! This walk reads the same links, in a better order, on both cores, and
//! stops early:
//!
//! 1. while one thread dumps the socket table, the other makes a **survey**:
//!    the processes, how many fds each has (on Linux ≥ 6.2 `fstat` of
//!    `/proc/PID/fd` says so in `st_size`), and a small *sample* of the fds of
//!    each big process. Then it starts on the biggest process right away,
//!    betting that the server is the process with the most open files;
//! 2. once the sockets are known, processes whose sample hit one of them are
//!    read first (a server with 10,000 connections is found at once, even if
//!    a client process holds 10,000 sockets too; a wrong bet is abandoned),
//!    then the small processes, then the rest. A big process is read by both
//!    threads, each taking chunks of its fd numbers;
//! 3. the walk stops as soon as every socket has a holder.
//!
//! Fd numbers are probed directly (0, 1, 2 ...) instead of listing the
//! directory first: a process's fds are almost always dense from 0, and
//! listing would cost a third as much again. When the probes find fewer open
//! fds than the process has, the directory is listed for the rest.
//!
//! A process that exits or cannot be read is skipped; what could not be read
//! is reported once as a note, never as an error.

use std::ffi::CString;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use crate::kernel::model::PortSide;

/// Processes with more fds than this are sampled during the survey.
const SAMPLE_ABOVE: usize = 64;
/// How many fds of a big process the survey reads.
const SAMPLE_SIZE: usize = 16;
/// Processes with at least this many fds are read by both threads.
const SHARE_ABOVE: usize = 256;
/// How many fd numbers a thread takes at a time from a shared process.
const CHUNK: usize = 128;
/// Fd numbers probed past the count, so a few closed low fds (a daemon that
/// closed stdin) do not force a directory listing.
const PROBE_SLACK: usize = 64;

/// What the survey learned about one process.
#[derive(Debug)]
struct ProcessInfo {
    pid: u32,
    /// The number of open fds, `None` on kernels that do not report it.
    fd_count: Option<usize>,
    /// Socket inodes found among the sampled fds, with their fd numbers.
    sample: Vec<(u64, i32)>,
    /// How many sampled sockets are on the port (known before the dump
    /// ends, when the kernel lends us the fds; see [`PidFd`]).
    on_port: usize,
}

/// The list of processes, made before the sockets are known.
#[derive(Debug)]
pub struct Survey {
    proc_root: PathBuf,
    processes: Vec<ProcessInfo>,
    /// Why `/proc` itself could not be listed, if it could not.
    unlisted: Option<String>,
}

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

    fn position(&self, inode: u64) -> Option<usize> {
        self.0.binary_search_by_key(&inode, |&(i, _)| i).ok()
    }

    fn contains(&self, inode: u64) -> bool {
        self.position(inode).is_some()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The holders found for the target sockets.
#[derive(Debug, Default)]
pub struct Found {
    /// (index of the socket, pid, fd), sorted: a socket's holders are adjacent.
    pub holders: Vec<(usize, u32, i32)>,
    pub notes: Vec<String>,
    /// How many processes' fd tables were read (for tests).
    pub processes_walked: usize,
}

/// Runs `dump` on this thread while a second thread surveys `/proc` and
/// starts reading the biggest process; then finds the holders of the sockets
/// `dump` returned, whose inodes `prepare` gives. (`prepare` may also do other
/// work on the dump: it runs while the helper keeps reading fds.)
pub fn dump_and_attribute<T, E>(
    proc_root: &Path,
    port: Option<(u16, PortSide)>,
    dump: impl FnOnce() -> Result<T, E>,
    prepare: impl FnOnce(&mut T) -> Targets,
) -> Result<(T, Found), E> {
    std::thread::scope(|scope| {
        let (to_helper, jobs) = channel::<Arc<Job>>();
        let (helper_done, done) = channel::<Message>();
        let root = proc_root.to_path_buf();
        scope.spawn(move || helper(&root, port, jobs, helper_done));
        // If the dump fails, returning drops `to_helper`, which stops the
        // helper once it finishes what it is doing.
        let mut dumped = dump()?;
        let targets = prepare(&mut dumped);
        let found = match done.recv() {
            Ok(Message::Surveyed(survey, bet)) => {
                coordinate(survey, bet, &targets, &to_helper, &done)
            }
            _ => Found::default(),
        };
        drop(to_helper);
        Ok((dumped, found))
    })
}

/// What the helper thread tells the main thread.
enum Message {
    /// The survey, and the job the helper started on before the sockets were known.
    Surveyed(Survey, Option<Arc<Job>>),
    /// The helper finished (or gave up) its share of a job.
    Finished,
}

/// The helper thread: survey, bet on the biggest process, then help with
/// whatever jobs the main thread sends until it hangs up.
fn helper(
    proc_root: &Path,
    port: Option<(u16, PortSide)>,
    jobs: Receiver<Arc<Job>>,
    done: Sender<Message>,
) {
    let survey = survey(proc_root, port);
    // The bet: the big process with the most sampled sockets on the port, or
    // failing that knowledge, the one with the most fds.
    let bet = survey
        .processes
        .iter()
        .filter(|p| p.pid != std::process::id())
        .filter(|p| p.fd_count.is_some_and(|n| n >= SHARE_ABOVE))
        .max_by_key(|p| (p.on_port, p.fd_count))
        .and_then(|p| Job::open(proc_root, p).ok())
        .map(Arc::new);
    if done.send(Message::Surveyed(survey, bet.clone())).is_err() {
        return;
    }
    if let Some(job) = bet {
        job.work();
        if done.send(Message::Finished).is_err() {
            return;
        }
    }
    while let Ok(job) = jobs.recv() {
        job.work();
        if done.send(Message::Finished).is_err() {
            return;
        }
    }
}

/// The main thread's part once the sockets are known: decide the order, keep
/// or abandon the helper's bet, read processes until every target has a holder.
fn coordinate(
    survey: Survey,
    bet: Option<Arc<Job>>,
    targets: &Targets,
    helper: &Sender<Arc<Job>>,
    done: &Receiver<Message>,
) -> Found {
    let mut walk = Walk::new(targets);
    if let Some(why) = &survey.unlisted {
        if !targets.is_empty() {
            walk.found
                .notes
                .push(format!("{why}; the PID columns show -"));
        }
        if bet.is_some() {
            let _ = done.recv();
        }
        return walk.found;
    }
    let order = walk_order(survey.processes, targets);
    let mut order = order.into_iter().peekable();
    if let Some(job) = bet {
        // Keep the bet if the sample says this process holds target sockets
        // (or if there are targets and nothing better is known); otherwise
        // call the helper off at once.
        let first_hit = order
            .peek()
            .is_some_and(|p| p.pid == job.pid && !p.sample.is_empty());
        if first_hit && !targets.is_empty() {
            order.next();
            job.work();
        } else {
            job.abort.store(true, Ordering::Relaxed);
        }
        let _ = done.recv();
        if !job.abort.load(Ordering::Relaxed) {
            walk.finish_job(&job, &survey.proc_root);
        }
    }
    for process in order {
        if walk.remaining == 0 {
            break;
        }
        let Ok(job) = Job::open(&survey.proc_root, &process) else {
            walk.unreadable += 1;
            continue;
        };
        let job = Arc::new(job);
        let shared =
            process.fd_count.is_some_and(|n| n >= SHARE_ABOVE) && helper.send(job.clone()).is_ok();
        job.work();
        if shared {
            let _ = done.recv();
        }
        walk.finish_job(&job, &survey.proc_root);
    }
    walk.finish()
}

/// The state of one attribution.
struct Walk<'a> {
    targets: &'a Targets,
    /// `attributed[i]`: target `i` has a holder.
    attributed: Vec<bool>,
    /// Targets without a holder yet.
    remaining: usize,
    unreadable: usize,
    found: Found,
}

impl<'a> Walk<'a> {
    fn new(targets: &'a Targets) -> Self {
        Walk {
            targets,
            attributed: vec![false; targets.len()],
            remaining: targets.len(),
            unreadable: 0,
            found: Found::default(),
        }
    }

    /// Collects a finished job's sockets, reading any fds the probes missed.
    fn finish_job(&mut self, job: &Job, proc_root: &Path) {
        let mut result = job.take_result();
        if result.open < job.fd_count {
            // Some fds lie beyond the probed range: list the directory for them.
            if let Ok(listed) = FdDir::open(proc_root, job.pid).and_then(|dir| dir.list()) {
                for fd in listed
                    .into_iter()
                    .filter(|&fd| fd as usize >= job.probe_end)
                {
                    if let Some(inode) = job.dir.socket_inode(fd) {
                        result.sockets.push((inode, fd));
                    }
                }
            }
        }
        self.found.processes_walked += 1;
        for (inode, fd) in result.sockets {
            if let Some(i) = self.targets.position(inode) {
                if !self.attributed[i] {
                    self.attributed[i] = true;
                    self.remaining -= 1;
                }
                self.found.holders.push((self.targets.0[i].1, job.pid, fd));
            }
        }
    }

    fn finish(mut self) -> Found {
        if self.remaining > 0 && self.unreadable > 0 {
            self.found.notes.push(format!(
                "{} could not be read (permission denied); {} show - \
                 for PID (run as root to see every owner)",
                crate::words::count_irregular(self.unreadable, "process", "processes"),
                crate::words::count(self.remaining, "socket")
            ));
        }
        // Sorted by socket, then pid and fd, whichever thread found them.
        self.found.holders.sort_unstable();
        self.found
    }
}

/// Reading one process's fds, possibly by two threads at once.
struct Job {
    pid: u32,
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
    abort: AtomicBool,
    result: Mutex<JobResult>,
}

#[derive(Default)]
struct JobResult {
    /// Socket fds found: (inode, fd).
    sockets: Vec<(u64, i32)>,
    /// How many probed fd numbers were open (of any kind).
    open: usize,
}

impl Job {
    fn open(proc_root: &Path, process: &ProcessInfo) -> io::Result<Job> {
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

    /// Probes chunks of fd numbers until none are left (or the job is abandoned).
    fn work(&self) {
        let mut local = JobResult::default();
        while !self.abort.load(Ordering::Relaxed) {
            let start = self.cursor.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= self.probe_end {
                break;
            }
            for fd in start..(start + CHUNK).min(self.probe_end) {
                let Ok(fd) = i32::try_from(fd) else { break };
                match self.probe(fd) {
                    Probe::Socket(inode) => {
                        local.open += 1;
                        local.sockets.push((inode, fd));
                    }
                    Probe::OtherFile => local.open += 1,
                    Probe::Closed => {}
                }
            }
        }
        let mut result = self.result.lock().unwrap_or_else(|p| p.into_inner());
        result.open += local.open;
        result.sockets.append(&mut local.sockets);
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

    fn take_result(&self) -> JobResult {
        std::mem::take(&mut *self.result.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Lists the processes under `proc_root` and samples the big ones.
fn survey(proc_root: &Path, port: Option<(u16, PortSide)>) -> Survey {
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
        // One `stat` per process (no open): on Linux ≥ 6.2 its size is the
        // number of open fds. A process we may not read still has a size; it
        // is kept so the walk can count it as unreadable.
        let fd_count = if counts_work {
            fd_count_of(proc_root, pid)
        } else {
            None
        };
        // Kernel threads have no fd table at all: nothing to find there.
        if fd_count == Some(0) {
            continue;
        }
        let (sample, on_port) = match fd_count {
            Some(n) if n > SAMPLE_ABOVE => sample(proc_root, pid, n, port),
            _ => (Vec::new(), 0),
        };
        survey.processes.push(ProcessInfo {
            pid,
            fd_count,
            sample,
            on_port,
        });
    }
    survey
}

/// Reads `SAMPLE_SIZE` fds of a process spread evenly over `0..fd_count`:
/// the socket inodes found, and how many of those sockets are on the port
/// (only known when the kernel lends us the fds).
fn sample(
    proc_root: &Path,
    pid: u32,
    fd_count: usize,
    port: Option<(u16, PortSide)>,
) -> (Vec<(u64, i32)>, usize) {
    let step = (fd_count / SAMPLE_SIZE).max(1);
    let fds = (0..SAMPLE_SIZE).filter_map(|i| i32::try_from(i * step + step / 2).ok());
    if let Some(pidfd) = PidFd::open(pid) {
        let mut sockets = Vec::new();
        let mut on_port = 0;
        for fd in fds.clone() {
            match pidfd.probe_ends(fd) {
                Ok((Probe::Socket(inode), ends)) => {
                    sockets.push((inode, fd));
                    if let (Some((port, side)), Some((local, remote))) = (port, ends)
                        && side.matches(port, local, remote)
                    {
                        on_port += 1;
                    }
                }
                Ok(_) => {}
                Err(_) => break, // not allowed: read the links instead
            }
        }
        if !sockets.is_empty() || on_port > 0 {
            return (sockets, on_port);
        }
    }
    let Ok(dir) = FdDir::open(proc_root, pid) else {
        return (Vec::new(), 0);
    };
    (
        fds.filter_map(|fd| dir.socket_inode(fd).map(|inode| (inode, fd)))
            .collect(),
        0,
    )
}

/// The order in which to read processes: those whose sample hit a target first
/// (most hits first), then small processes (cheap to read), then big ones.
/// This process itself is skipped: the tool never holds the sockets it inspects.
fn walk_order(mut processes: Vec<ProcessInfo>, targets: &Targets) -> Vec<ProcessInfo> {
    let own_pid = std::process::id();
    processes.retain(|p| p.pid != own_pid);
    for p in &mut processes {
        p.sample.retain(|&(inode, _)| targets.contains(inode));
    }
    processes.sort_by_cached_key(|p| {
        let hits = p.sample.len();
        let size = p.fd_count.unwrap_or(usize::MAX);
        if hits > 0 {
            (0, usize::MAX - hits, usize::MAX - size)
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
    fd_count_of(proc_root, std::process::id()).is_some_and(|n| n > 0)
}

/// The size of `/proc/PID/fd`: the number of open fds (0 before Linux 6.2).
fn fd_count_of(proc_root: &Path, pid: u32) -> Option<usize> {
    let mut path = proc_root.to_path_buf();
    path.push(pid.to_string());
    path.push("fd");
    let size = std::fs::metadata(path).ok()?.len();
    usize::try_from(size).ok()
}

/// A pidfd: a handle on a process through which, with ptrace permission
/// (root, or the same user where ptrace is not restricted), the kernel lends
/// us a copy of one of its fds (`pidfd_getfd`, Linux 5.6). `fstat` on the
/// copy gives the inode, and closing the copy leaves the original untouched.
/// Three cheap system calls cost less than one path lookup through
/// `/proc/PID/fd/N`, which is most of the walk's time.
struct PidFd(OwnedFd);

impl PidFd {
    fn open(pid: u32) -> Option<PidFd> {
        let pid = libc::pid_t::try_from(pid).ok()?;
        // SAFETY: pidfd_open takes a pid and flags; it returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let fd = i32::try_from(fd).ok().filter(|&fd| fd >= 0)?;
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        Some(PidFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Like [`PidFd::probe`], and for a socket also its two ends
    /// (`getsockname`/`getpeername` on the copy).
    fn probe_ends(&self, fd: i32) -> io::Result<(Probe, Option<Ends>)> {
        let Some(copy) = self.borrow(fd)? else {
            return Ok((Probe::Closed, None));
        };
        let probe = stat_probe(&copy);
        if !matches!(probe, Probe::Socket(_)) {
            return Ok((probe, None));
        }
        let socket = socket2::SockRef::from(&copy);
        let local = socket.local_addr().ok().and_then(|a| a.as_socket());
        let remote = socket.peer_addr().ok().and_then(|a| a.as_socket());
        Ok((
            probe,
            local.map(|l| {
                (
                    crate::kernel::model::canonical(l),
                    remote.map(crate::kernel::model::canonical),
                )
            }),
        ))
    }

    /// `Err` when the kernel refuses to lend fds of this process at all.
    fn probe(&self, fd: i32) -> io::Result<Probe> {
        Ok(match self.borrow(fd)? {
            Some(copy) => stat_probe(&copy),
            None => Probe::Closed,
        })
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
        // SAFETY: the kernel just installed `copy` in our fd table for us.
        Ok(Some(unsafe { OwnedFd::from_raw_fd(copy as i32) }))
    }
}

/// A socket's local end and, if connected, its remote end.
type Ends = (SocketAddr, Option<SocketAddr>);

/// `fstat` on an fd of ours: a socket and its inode, or another kind of file.
fn stat_probe(fd: &OwnedFd) -> Probe {
    // SAFETY: an all-zero `stat` is a valid value to be overwritten.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open; `stat` is writable.
    let rc = unsafe { libc::fstat(fd.as_raw_fd(), &mut stat) };
    match rc {
        0 if stat.st_mode & libc::S_IFMT == libc::S_IFSOCK => Probe::Socket(stat.st_ino),
        _ => Probe::OtherFile,
    }
}

/// What one fd number turned out to be.
enum Probe {
    Socket(u64),
    OtherFile,
    Closed,
}

/// An open `/proc/PID/fd` directory. Looking up fds relative to it
/// (`fstatat(dir, "5")`) saves the kernel from resolving `/proc/PID/fd` again
/// for every fd, which reading `/proc/PID/fd/5` by full path would cost.
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

    /// The inode of the socket open as `fd`, if `fd` is an open socket.
    fn socket_inode(&self, fd: i32) -> Option<u64> {
        match self.probe(fd) {
            Probe::Socket(inode) => Some(inode),
            _ => None,
        }
    }

    /// `stat` through the fd's link: for a socket, the socket's inode.
    fn probe(&self, fd: i32) -> Probe {
        let name = decimal(fd);
        // SAFETY: an all-zero `stat` is a valid value to be overwritten.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `name` is NUL-terminated; `stat` is writable; the dir fd is open.
        let rc = unsafe { libc::fstatat(self.0.as_raw_fd(), name.as_ptr().cast(), &mut stat, 0) };
        if rc != 0 {
            return Probe::Closed;
        }
        if stat.st_mode & libc::S_IFMT == libc::S_IFSOCK {
            Probe::Socket(stat.st_ino)
        } else {
            Probe::OtherFile
        }
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

/// A non-negative fd as a NUL-terminated decimal string, on the stack.
fn decimal(fd: i32) -> [u8; 12] {
    let mut out = [0u8; 12];
    let mut digits = [0u8; 10];
    let mut n = fd.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        out[i] = digits[len - 1 - i];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_is_nul_terminated() {
        assert_eq!(&decimal(0)[..2], b"0\0");
        assert_eq!(&decimal(7)[..2], b"7\0");
        assert_eq!(&decimal(19999)[..6], b"19999\0");
        assert_eq!(&decimal(i32::MAX)[..11], b"2147483647\0");
    }

    #[test]
    fn our_own_socket_is_found_by_its_inode() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = crate::kernel::socket_inode(&listener).unwrap();
        let dir = FdDir::open(Path::new("/proc"), std::process::id()).unwrap();
        let fd = listener.as_raw_fd();
        assert!(dir.list().unwrap().contains(&fd));
        assert_eq!(dir.socket_inode(fd), Some(inode));
        assert!(matches!(dir.probe(0), Probe::OtherFile | Probe::Socket(_)));
    }

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
        let mut by_links = Job::open(Path::new("/proc"), &me).unwrap();
        by_links.pidfd = None;
        by_pidfd.work();
        by_links.work();
        let a = by_pidfd.take_result().sockets;
        let b = by_links.take_result().sockets;
        // Other tests open sockets meanwhile; ours must be in both.
        for listener in &listeners {
            let ours = (
                crate::kernel::socket_inode(listener).unwrap(),
                listener.as_raw_fd(),
            );
            assert!(a.contains(&ours) && b.contains(&ours), "{a:?} {b:?}");
        }
    }

    #[test]
    fn a_missing_proc_is_a_note_not_a_panic() {
        let (_, found) = dump_and_attribute(
            Path::new("/nonexistent-proc-root"),
            None,
            || Ok::<_, ()>(()),
            |_| Targets::new([(42, 0)]),
        )
        .unwrap();
        assert!(found.holders.is_empty());
        assert_eq!(found.notes.len(), 1, "{:?}", found.notes);
        assert!(found.notes[0].contains("/nonexistent-proc-root"));
    }

    #[test]
    fn a_failed_dump_stops_the_helper() {
        let result = dump_and_attribute(
            Path::new("/proc"),
            None,
            || Err::<(), _>("no"),
            |_| Targets::default(),
        );
        assert_eq!(result.err(), Some("no"));
    }

    #[test]
    fn processes_whose_sample_hit_are_walked_first() {
        let targets = Targets::new([(7, 0), (8, 1)]);
        let processes = vec![
            ProcessInfo {
                pid: 1,
                fd_count: Some(3),
                sample: vec![],
                on_port: 0,
            },
            ProcessInfo {
                pid: 2,
                fd_count: Some(20_000),
                sample: vec![(99, 5)],
                on_port: 0,
            },
            ProcessInfo {
                pid: 3,
                fd_count: Some(10_000),
                sample: vec![(7, 5), (8, 6)],
                on_port: 0,
            },
            ProcessInfo {
                pid: 4,
                fd_count: Some(10_000),
                sample: vec![(7, 5)],
                on_port: 0,
            },
        ];
        let order: Vec<u32> = walk_order(processes, &targets)
            .iter()
            .map(|p| p.pid)
            .collect();
        assert_eq!(order, vec![3, 4, 1, 2]);
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
