//! The `inspect` command: the same proof for any server already running.
//!
//! `sameport inspect --port 80` reads the sockets whose local port is 80,
//! whoever owns them (nginx, a Python server, a database ...), attributes them
//! to processes the way `ss -p` and `lsof` do (but stopping as soon as every
//! socket has an owner), prints the tables and the verdict once, and exits
//! with the verdict as its exit code (see [`crate::exit`]).
//!
//! Sockets of other users' processes can only be attributed by root; without
//! it their PID columns show `-` and a note says why. The verdict does not
//! depend on PIDs, so it is the same either way.

use std::process::ExitCode;

use crate::claim::snapshot::Snapshot;
use crate::claim::verdict;
use crate::exit;
use crate::kernel::{self, Attribution, PortSide, Proto, Query};
use crate::output::{self, Output};

/// Reads, judges and prints port `port` once.
pub fn inspect(port: u16, proto: Proto, output: &Output) -> anyhow::Result<ExitCode> {
    let query = Query {
        proto,
        port,
        side: PortSide::Local,
    };
    let read = kernel::read(&query, &Attribution::Search)?;
    let snapshot = Snapshot::new(port, proto, read.sockets, read.notes);
    let verdict = verdict::judge(&snapshot);
    let heading = format!("Sockets on {proto} port {port} on this host");
    let text = output.snapshot(&snapshot, &verdict, &heading, None);
    output::print(&text)?;
    let code = exit::for_verdict(&verdict);
    // The process exits next. Freeing tens of thousands of rows one by one
    // would cost a millisecond or two that the OS does for free at exit.
    std::mem::forget(snapshot);
    Ok(code)
}
