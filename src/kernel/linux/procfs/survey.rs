//! The survey: which processes exist, how many fds each has, and a peek at
//! a few fds of each big one, made *before* the socket table is known.
//!
//! The peek is what lets the walk read the right process first: a server
//! with 10,000 connections shows sockets on the port in almost any sample
//! of its fds, while a process with 10,000 files and no such socket does not.

use std::path::{Path, PathBuf};

use crate::kernel::model::PortSide;

use super::fds::{FdDir, PidFd, Probe, is_on_port};
use super::targets::Targets;

/// Processes with more fds than this are sampled during the survey.
const SAMPLE_ABOVE: usize = 64;
/// How many fds of a big process the survey reads.
const SAMPLE_SIZE: usize = 16;

/// What the survey learned about one process.
#[derive(Debug)]
pub struct ProcessInfo {
    pub pid: u32,
    /// The number of open fds, `None` on kernels that do not report it.
    pub fd_count: Option<usize>,
    /// Socket inodes found among the sampled fds, with their fd numbers.
    pub sample: Vec<(u64, i32)>,
    /// How many sampled sockets are on the port (known before the dump
    /// ends, when the kernel lends us the fds; see [`PidFd`]).
    pub on_port: usize,
}

/// The list of processes, made before the sockets are known.
#[derive(Debug)]
pub struct Survey {
    pub proc_root: PathBuf,
    pub processes: Vec<ProcessInfo>,
    /// Why `/proc` itself could not be listed, if it could not.
    pub unlisted: Option<crate::kernel::Note>,
}

/// Lists the processes under `proc_root` and samples the big ones.
pub fn survey(proc_root: &Path, port: Option<(u16, PortSide)>) -> Survey {
    let mut survey = Survey {
        proc_root: proc_root.to_path_buf(),
        processes: Vec::new(),
        unlisted: None,
    };
    let entries = match std::fs::read_dir(proc_root) {
        Ok(entries) => entries,
        Err(e) => {
            survey.unlisted = Some(crate::kernel::Note::NoProcessList {
                path: proc_root.display().to_string(),
                error: e.to_string(),
            });
            return survey;
        }
    };
    let counts_work = fd_counts_are_reported(proc_root);
    let pids = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok());
    survey.processes = pids
        .filter_map(|pid| look_at(proc_root, pid, counts_work, port))
        .collect();
    survey
}

/// What the survey records of one process, or `None` for a kernel thread.
fn look_at(
    proc_root: &Path,
    pid: u32,
    counts_work: bool,
    port: Option<(u16, PortSide)>,
) -> Option<ProcessInfo> {
    // One `stat` per process (no open): on Linux ≥ 6.2 its size is the number
    // of open fds. A process we may not read still has a size; it is kept so
    // the walk can count it as unreadable.
    let fd_count = if counts_work {
        fd_count_of(proc_root, pid)
    } else {
        None
    };
    // Kernel threads have no fd table at all: nothing to find there.
    if fd_count == Some(0) {
        return None;
    }
    let (sample, on_port) = match fd_count {
        Some(n) if n > SAMPLE_ABOVE => sample(proc_root, pid, n, port),
        _ => (Vec::new(), 0),
    };
    Some(ProcessInfo {
        pid,
        fd_count,
        sample,
        on_port,
    })
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
    let fds: Vec<i32> = (0..SAMPLE_SIZE)
        .filter_map(|i| i32::try_from(i * step + step / 2).ok())
        .collect();
    let borrowed = PidFd::open(pid).and_then(|pidfd| sample_borrowed(&pidfd, &fds, port));
    borrowed.unwrap_or_else(|| (sample_links(proc_root, pid, &fds), 0))
}

/// The sample through a pidfd, or `None` if the kernel will not lend this
/// process's fds (or none of them was a socket: try the links then).
fn sample_borrowed(
    pidfd: &PidFd,
    fds: &[i32],
    port: Option<(u16, PortSide)>,
) -> Option<(Vec<(u64, i32)>, usize)> {
    let mut sockets = Vec::new();
    let mut on_port = 0;
    for &fd in fds {
        // An error means "not allowed": the links are read instead.
        let (probe, ends) = pidfd.probe_ends(fd).ok()?;
        if let Probe::Socket(inode) = probe {
            sockets.push((inode, fd));
            on_port += usize::from(is_on_port(port, ends));
        }
    }
    (!sockets.is_empty()).then_some((sockets, on_port))
}

/// The sample through `/proc/PID/fd` links: socket inodes only.
fn sample_links(proc_root: &Path, pid: u32, fds: &[i32]) -> Vec<(u64, i32)> {
    let Ok(dir) = FdDir::open(proc_root, pid) else {
        return Vec::new();
    };
    fds.iter()
        .filter_map(|&fd| dir.socket_inode(fd).map(|inode| (inode, fd)))
        .collect()
}

/// The order in which to read processes: those whose sample hit a target first
/// (most hits first), then small processes (cheap to read), then big ones.
/// This process itself is skipped: the tool never holds the sockets it inspects.
pub fn walk_order(mut processes: Vec<ProcessInfo>, targets: &Targets) -> Vec<ProcessInfo> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, fd_count: usize, sample: Vec<(u64, i32)>) -> ProcessInfo {
        ProcessInfo {
            pid,
            fd_count: Some(fd_count),
            sample,
            on_port: 0,
        }
    }

    #[test]
    fn processes_whose_sample_hit_are_walked_first() {
        let targets = Targets::new([(7, 0), (8, 1)]);
        let processes = vec![
            process(1, 3, vec![]),
            process(2, 20_000, vec![(99, 5)]),
            process(3, 10_000, vec![(7, 5), (8, 6)]),
            process(4, 10_000, vec![(7, 5)]),
        ];
        let order: Vec<u32> = walk_order(processes, &targets)
            .iter()
            .map(|p| p.pid)
            .collect();
        assert_eq!(order, vec![3, 4, 1, 2]);
    }

    #[test]
    fn a_process_holding_many_sockets_on_the_port_is_sampled_on_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let clients: Vec<_> = (0..100)
            .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        let me = std::process::id();
        let Some(count) = fd_count_of(Path::new("/proc"), me).filter(|&n| n > SAMPLE_ABOVE) else {
            eprintln!("skipped: this kernel does not report fd counts (Linux < 6.2)");
            return;
        };
        let (sockets, on_port) = sample(
            Path::new("/proc"),
            me,
            count,
            Some((port, PortSide::Remote)),
        );
        assert!(!sockets.is_empty(), "no socket in the sample");
        // Where the kernel lends fds, the sample knows which are on the port.
        if PidFd::open(me).is_some_and(|p| p.probe(0).is_ok()) {
            assert!(on_port > 0, "{sockets:?}");
        }
        drop(clients);
    }
}
