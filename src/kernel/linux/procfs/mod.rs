//! Finding the processes that hold the sockets, through `/proc/PID/fd`.
//!
//! ## What a holder is
//!
//! A socket is a kernel object; a program reaches it through a *file
//! descriptor*, a small number in that process's fd table (fd 5 of PID 4242).
//! The **holder** of a socket is a process with an fd for it; after `fork()`
//! parent and child both hold it. The socket table names each socket by its
//! inode number but does not say who holds it, so `ss -p`, `lsof` and this
//! module look through the processes' fd tables: `/proc/PID/fd/N` is a link
//! to the open file, and for a socket, `stat` through that link gives the
//! socket's inode. The simple way (bandwhich's) reads every link of every
//! process: a few microseconds per open file on the whole machine, most of
//! `ss -p`'s time. This module reads the same links, faster, for three reasons.
//!
//! ## Why `pidfd_getfd`
//!
//! A path lookup through `/proc/PID/fd/N` is the expensive part. Where we
//! may (root, or the same user without ptrace restrictions), the kernel lends
//! us a copy of the process's fd instead (`pidfd_getfd`), and `fstat` on the
//! copy gives the inode: three cheap system calls instead of a path walk
//! (measured: 2.0 µs per fd against 2.6 µs). See [`fds`].
//!
//! ## Why two threads
//!
//! Reading the socket table (a netlink dump) and reading fd tables are
//! independent, so they overlap: while the main thread dumps the table, a
//! helper thread makes a [`survey`] of the processes (how many fds each has,
//! and a small sample of each big one's fds), then starts reading the biggest
//! process, betting it is the server. Once the sockets are known, a big
//! process is read by both threads, each taking chunks of its fd numbers.
//!
//! ## Why the walk can stop early
//!
//! The question is "who holds *these* sockets", not "list every fd". So the
//! processes whose sample hit one of the sockets are read first (a server
//! with 10,000 connections is found at once, even if a client process holds
//! 10,000 sockets too; a wrong bet is abandoned), then the small processes,
//! then the rest, and the [`walk`] stops as soon as every socket has a holder.
//!
//! Fd numbers are probed directly (0, 1, 2 ...) instead of listing the
//! directory first: a process's fds are almost always dense from 0, and
//! listing would cost a third as much again. When the probes find fewer open
//! fds than the process has, the directory is listed for the rest.
//!
//! A process that exits or cannot be read is skipped; what could not be read
//! is reported once as a note, never as an error.

mod fds;
mod survey;
mod targets;
mod walk;

pub use targets::{Found, Targets};

use std::iter::Peekable;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::kernel::model::PortSide;

use survey::{ProcessInfo, Survey};
use walk::{Job, Walk};

/// Processes with at least this many fds are read by both threads.
const SHARE_ABOVE: usize = 256;

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
                let threads = Threads {
                    helper: &to_helper,
                    done: &done,
                };
                coordinate(survey, bet, &targets, threads)
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

/// The main thread's ends of the channels to and from the helper thread.
#[derive(Clone, Copy)]
struct Threads<'a> {
    helper: &'a Sender<Arc<Job>>,
    done: &'a Receiver<Message>,
}

impl Threads<'_> {
    /// Waits until the helper has finished its share of the current job.
    fn wait_for_helper(self) {
        let _ = self.done.recv();
    }
}

/// The helper thread: survey, bet on the biggest process, then help with
/// whatever jobs the main thread sends until it hangs up.
fn helper(
    proc_root: &Path,
    port: Option<(u16, PortSide)>,
    jobs: Receiver<Arc<Job>>,
    done: Sender<Message>,
) {
    let survey = survey::survey(proc_root, port);
    let bet = bet_on(&survey).and_then(|p| Job::open(proc_root, p).ok());
    let bet = bet.map(Arc::new);
    if done.send(Message::Surveyed(survey, bet.clone())).is_err() {
        return;
    }
    for job in bet.into_iter().chain(jobs) {
        job.work();
        if done.send(Message::Finished).is_err() {
            return;
        }
    }
}

/// The bet: the big process with the most sampled sockets on the port, or
/// failing that knowledge, the one with the most fds.
fn bet_on(survey: &Survey) -> Option<&ProcessInfo> {
    survey
        .processes
        .iter()
        .filter(|p| p.pid != std::process::id())
        .filter(|p| p.fd_count.is_some_and(|n| n >= SHARE_ABOVE))
        .max_by_key(|p| (p.on_port, p.fd_count))
}

/// The main thread's part once the sockets are known: decide the order, keep
/// or abandon the helper's bet, read processes until every target has a holder.
fn coordinate(
    survey: Survey,
    bet: Option<Arc<Job>>,
    targets: &Targets,
    threads: Threads<'_>,
) -> Found {
    let mut walk = Walk::new(targets);
    if let Some(why) = &survey.unlisted {
        if !targets.is_empty() {
            walk.found.notes.push(why.clone());
        }
        if bet.is_some() {
            threads.wait_for_helper();
        }
        return walk.found;
    }
    let proc_root = survey.proc_root;
    let mut order = survey::walk_order(survey.processes, targets)
        .into_iter()
        .peekable();
    if let Some(job) = bet {
        settle_bet(&mut walk, &job, &mut order, &proc_root, threads);
    }
    for process in order {
        if walk.remaining == 0 {
            break;
        }
        read_process(&mut walk, &process, &proc_root, threads);
    }
    walk.finish()
}

/// Keeps the helper's bet if the sample says that process holds target
/// sockets (the main thread joins in), or calls the helper off at once.
fn settle_bet(
    walk: &mut Walk<'_>,
    job: &Job,
    order: &mut Peekable<impl Iterator<Item = ProcessInfo>>,
    proc_root: &Path,
    threads: Threads<'_>,
) {
    let first_hit = order
        .peek()
        .is_some_and(|p| p.pid == job.pid && !p.sample.is_empty());
    if first_hit && !walk.targets.is_empty() {
        order.next();
        job.work();
    } else {
        job.abort.store(true, Ordering::Relaxed);
    }
    threads.wait_for_helper();
    if !job.abort.load(Ordering::Relaxed) {
        walk.finish_job(job, proc_root);
    }
}

/// Reads one process's fds, sharing a big one with the helper thread.
fn read_process(
    walk: &mut Walk<'_>,
    process: &ProcessInfo,
    proc_root: &Path,
    threads: Threads<'_>,
) {
    let Ok(job) = Job::open(proc_root, process) else {
        walk.unreadable += 1;
        return;
    };
    let job = Arc::new(job);
    let big = process.fd_count.is_some_and(|n| n >= SHARE_ABOVE);
    let shared = big && threads.helper.send(job.clone()).is_ok();
    job.work();
    if shared {
        threads.wait_for_helper();
    }
    walk.finish_job(&job, proc_root);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

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
        assert!(
            matches!(&found.notes[0], crate::kernel::Note::NoProcessList { path, .. }
                if path.contains("/nonexistent-proc-root")),
            "{:?}",
            found.notes
        );
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
    fn our_own_sockets_are_attributed_to_us() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = crate::os::socket_inode_of(listener.as_fd()).unwrap();
        // The walk skips this process by design (the tool never holds what it
        // inspects), so a child holds a copy of the socket instead.
        let child = std::process::Command::new("sleep")
            .arg("5")
            .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(
                listener.try_clone().unwrap(),
            )))
            .spawn();
        let Ok(mut child) = child else {
            eprintln!("skipped: cannot start `sleep`");
            return;
        };
        let (_, found) = dump_and_attribute(
            Path::new("/proc"),
            None,
            || Ok::<_, ()>(()),
            |_| Targets::new([(inode, 0)]),
        )
        .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            found.holders.contains(&(0, child.id(), 0)),
            "{:?}",
            found.holders
        );
    }
}
