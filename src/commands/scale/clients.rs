//! A `scale` client process: opens COUNT connections to the target and holds
//! them until SIGTERM or Ctrl-C.
//!
//! Connections go out from the `--from` addresses in turn. Each client socket
//! is bound to its source IP with port 0 *and* IP_BIND_ADDRESS_NO_PORT, so
//! the kernel picks the port at `connect()`, when it knows the destination:
//! a port then only has to be unique per 4-tuple, and every source IP offers
//! the whole ephemeral range toward the server.
//!
//! At most `IN_FLIGHT` connects are pending at once, so the server's accept
//! queue never overflows (a full queue drops SYNs, and the client would wait
//! a second to retry). It prints `connected N` on stdout as it goes.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::net::client;
use crate::os::{self, shutdown};

/// Connects pending at once.
const IN_FLIGHT: usize = 256;

/// Opens `count` connections from `sources` to `target` and holds them.
pub async fn clients(
    target: SocketAddr,
    count: usize,
    sources: Vec<IpAddr>,
) -> anyhow::Result<ExitCode> {
    os::raise_fd_limit();
    if sources.is_empty() {
        bail!(crate::lang::scale::clients_need_from(crate::lang::current()));
    }
    let mut held: Vec<TcpStream> = Vec::with_capacity(count);
    let mut pending = JoinSet::new();
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut stdout = tokio::io::stdout();
    let mut last_report = Instant::now();
    let mut next = 0;
    while held.len() < count {
        // Start connects while there are slots, then collect one result.
        while next < count && slots.available_permits() > 0 {
            let permit = slots.clone().acquire_owned().await?;
            let source = SocketAddr::new(sources[next % sources.len()], 0);
            pending.spawn(async move {
                let stream = client::open_tcp(target, Some(source)).await;
                drop(permit);
                stream
            });
            next += 1;
        }
        let Some(done) = pending.join_next().await else {
            break;
        };
        let stream = done??;
        // An abortive close at the end (RST, not FIN): tens of thousands of
        // connections would otherwise sit in TIME_WAIT for a minute.
        stream.set_zero_linger()?;
        held.push(stream);
        if last_report.elapsed() >= Duration::from_millis(100) || held.len() == count {
            stdout
                .write_all(format!("connected {}\n", held.len()).as_bytes())
                .await?;
            stdout.flush().await?;
            last_report = Instant::now();
        }
    }
    shutdown::signal().await;
    Ok(ExitCode::SUCCESS)
}
