//! A `scale` worker: the echo server, accepting from a listening socket it
//! inherited as fd 3 from its parent.
//!
//! Several workers accept from the same socket: each `accept()` takes the
//! next connection from the one queue the kernel keeps for that socket,
//! whichever worker calls it. A worker that has as many connections as its
//! open-file limit allows stops calling `accept()`, and the others go on.
//! It prints `accepted N` on stdout when its count changes (at most ten times
//! a second) and stops on SIGTERM or Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use crate::net::activity::Activity;
use crate::net::tcp_server::{self, Config, Hooks, WhenFull};
use crate::os::{self, shutdown};

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

/// Takes the listening socket `scale` passed as fd 3.
fn inherited_listener() -> anyhow::Result<tokio::net::TcpListener> {
    let listener = os::inherited_listener()?;
    listener
        .set_nonblocking(true)
        .context(crate::lang::errors::Doing::MakingInheritedSocketNonBlocking)?;
    tokio::net::TcpListener::from_std(listener)
        .context(crate::lang::errors::Doing::RegisteringInheritedSocket)
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
