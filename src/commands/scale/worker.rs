//! A `scale` worker: the echo server, accepting from a listening socket it
//! inherited as fd 3 from its parent.
//!
//! Several workers accept from the same socket: each `accept()` takes the
//! next connection from the one queue the kernel keeps for that socket,
//! whichever worker calls it. A worker that has as many connections as its
//! open-file limit allows stops calling `accept()`, and the others go on.
//! It prints `accepted N` on stdout when its count changes (at most ten times
//! a second) and stops on SIGTERM or Ctrl-C.

use std::os::fd::{FromRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use crate::net::tcp_server::{self, Activity, Config, Hooks, WhenFull};
use crate::{os, shutdown};

/// Runs a worker on the inherited listening socket.
pub async fn worker(max_clients: usize) -> anyhow::Result<ExitCode> {
    os::raise_fd_limit();
    let listener = inherited_listener()?;
    let (activity_tx, activity) = watch::channel(Activity::default());
    let progress = tokio::spawn(print_progress(activity));
    let config = Config {
        max_clients,
        when_full: WhenFull::Wait,
        ..Config::default()
    };
    let hooks = Hooks {
        activity: Some(activity_tx),
        ..Hooks::default()
    };
    tcp_server::run(listener, shutdown::signal(), config, hooks).await;
    progress.abort();
    Ok(ExitCode::SUCCESS)
}

/// Takes fd 3, after checking it is what the parent promised: `LISTEN_FDS=1`
/// and a socket.
fn inherited_listener() -> anyhow::Result<tokio::net::TcpListener> {
    if std::env::var("LISTEN_FDS").ok().as_deref() != Some("1") {
        bail!(
            "scale-worker is started by `sameport scale`, which passes it a listening socket as fd 3"
        );
    }
    // SAFETY: an all-zero `stat` is a valid value to be overwritten.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat only reads fd 3's metadata.
    let rc = unsafe { libc::fstat(os::INHERITED_FD, &mut stat) };
    if rc != 0 || stat.st_mode & libc::S_IFMT != libc::S_IFSOCK {
        bail!("fd 3 is not a socket: scale-worker must be started by `sameport scale`");
    }
    // SAFETY: fd 3 is open, is a socket, and was handed to this process to own.
    let fd = unsafe { OwnedFd::from_raw_fd(os::INHERITED_FD) };
    let listener = std::net::TcpListener::from(fd);
    listener
        .set_nonblocking(true)
        .context("making the inherited socket non-blocking")?;
    tokio::net::TcpListener::from_std(listener).context("registering the inherited socket")
}

/// Writes `accepted N` whenever the count changed, at most every 100 ms.
async fn print_progress(mut activity: watch::Receiver<Activity>) {
    let mut stdout = tokio::io::stdout();
    while activity.changed().await.is_ok() {
        let accepted = activity.borrow_and_update().accepted;
        if stdout
            .write_all(format!("accepted {accepted}\n").as_bytes())
            .await
            .is_err()
            || stdout.flush().await.is_err()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
