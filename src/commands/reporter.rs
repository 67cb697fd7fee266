//! Printing a snapshot of the port after every accept, without slowing the
//! server down.
//!
//! Reading the socket table is a blocking system call that can take tens of
//! milliseconds on a busy port, so it never runs on the async worker threads
//! that echo bytes: it runs on tokio's blocking pool (`spawn_blocking`).
//!
//! Snapshots are **coalesced**: at most one read is in flight. The server
//! publishes its [`Activity`] through a `watch` channel, which keeps only the
//! latest value; accepts that arrive while a read is running are folded into
//! the next snapshot, which says how many it covers. A burst of 10,000
//! connections therefore costs a handful of table reads, not 10,000.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::sync::watch;

use crate::claim::snapshot::{Role, Snapshot};
use crate::claim::verdict::Verdict;
use crate::claim::{Look, Observation, observe_off_thread};
use crate::kernel::{Attribution, Proto, Query, SocketTable};
use crate::net::tcp_server::Activity;
use crate::net::udp_server::Clients;
use crate::output::Output;
use crate::view::labels::Labels;

/// What to read and how to say it.
pub struct Reporter {
    pub table: Arc<dyn SocketTable>,
    pub query: Query,
    pub attribution: Attribution,
    pub output: Arc<Output>,
    /// UDP: the clients the server heard from (the table cannot show them).
    pub udp_clients: Option<Clients>,
    /// Where to note the sockets each table showed serving clients, for
    /// `--capture`'s sentence; `None` when nobody asks.
    pub seen: Option<SeenSockets>,
}

/// The sockets the socket table has shown serving clients, over every table
/// read during a run.
///
/// `serve --capture` says "the kernel delivered the segments to N different
/// sockets". N must come from the socket table, as in `demo`: counting the
/// clients in the capture instead would assume the very claim the tool is
/// proving (one socket per 4-tuple).
#[derive(Clone, Debug, Default)]
pub struct SeenSockets(Arc<Mutex<Seen>>);

#[derive(Debug, Default)]
struct Seen {
    /// TCP: the remote end of every accepted socket (one per connection).
    accepted_peers: HashSet<SocketAddr>,
    /// UDP: the server sockets, by local end and inode.
    udp_servers: HashSet<(SocketAddr, Option<u64>)>,
}

impl SeenSockets {
    /// Notes the serving sockets of one snapshot.
    pub fn record(&self, snapshot: &Snapshot) {
        let mut seen = self.lock();
        for row in &snapshot.rows {
            match row.role {
                Role::Accepted | Role::Queued => {
                    if let Some(remote) = row.socket.remote {
                        seen.accepted_peers.insert(remote);
                    }
                }
                Role::Server => {
                    seen.udp_servers
                        .insert((row.socket.local, row.socket.inode));
                }
                _ => {}
            }
        }
    }

    /// How many different sockets the tables showed serving `clients`: for
    /// TCP the accepted sockets whose remote end is one of them, for UDP the
    /// server sockets (every client shares them).
    pub fn serving(&self, proto: Proto, clients: &[SocketAddr]) -> usize {
        let seen = self.lock();
        match proto {
            Proto::Tcp => clients
                .iter()
                .filter(|c| seen.accepted_peers.contains(c))
                .count(),
            Proto::Udp => seen.udp_servers.len(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        // Every update is a set insert, so a poisoned lock holds whole values.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Reporter {
    /// Prints the table once now, then after every change of `activity`
    /// (coalesced), until the sender is dropped. Returns the last verdict.
    pub async fn follow(self, mut activity: watch::Receiver<Activity>) -> Option<Verdict> {
        let mut last_verdict = None;
        let mut printed_up_to = 0u64;
        let mut current = activity.borrow_and_update().clone();
        loop {
            let labels = &self.output.labels;
            let heading = heading(
                self.query.proto,
                self.query.port,
                &current,
                printed_up_to,
                labels,
            );
            let event = event_json(&current, printed_up_to, labels);
            match self.snapshot().await {
                Ok((snapshot, verdict)) => {
                    // Writing out thousands of rows is blocking work too (and
                    // stdout may be a slow pipe): off the async threads.
                    let output = self.output.clone();
                    let printed = tokio::task::spawn_blocking(move || {
                        let printed =
                            output.print_snapshot(&snapshot, &verdict, &heading, Some(event));
                        (matches!(printed, Ok(true)), verdict)
                    })
                    .await;
                    match printed {
                        Ok((true, verdict)) => last_verdict = Some(verdict),
                        // stdout is gone (closed pipe): keep serving, stop printing.
                        Ok((false, verdict)) => return Some(verdict),
                        Err(_) => return last_verdict,
                    }
                }
                Err(e) => eprintln!("sameport: {e}"),
            }
            printed_up_to = current.accepted;
            if activity.changed().await.is_err() {
                return last_verdict;
            }
            current = activity.borrow_and_update().clone();
        }
    }

    /// Reads the table off the async threads and judges it, through the one
    /// pipeline.
    pub async fn snapshot(&self) -> anyhow::Result<(Snapshot, Verdict)> {
        let peers = self
            .udp_clients
            .as_ref()
            .map(Clients::list)
            .unwrap_or_default();
        let look = Look::new(self.query, self.attribution.clone()).with_udp_peers(peers);
        let Observation { snapshot, verdict } =
            observe_off_thread(self.table.clone(), look).await?;
        if let Some(seen) = &self.seen {
            seen.record(&snapshot);
        }
        Ok((snapshot, verdict))
    }
}

/// `Sockets on TCP port 12000 after accept #3 (from 127.0.0.4:50428)`.
fn heading(
    proto: Proto,
    port: u16,
    activity: &Activity,
    printed_up_to: u64,
    labels: &Labels,
) -> String {
    let what = match proto {
        Proto::Tcp => "accept",
        Proto::Udp => "new client",
    };
    let base = format!("Sockets on {proto} port {port}");
    if activity.accepted == 0 {
        return format!("{base}, listening, before any client");
    }
    let from = activity
        .last_peer
        .map(|p| format!(" (from {})", labels.addr(p)))
        .unwrap_or_default();
    let folded = activity.accepted.saturating_sub(printed_up_to);
    let folded = if folded > 1 {
        format!("; {} {what}s since the last table", folded)
    } else {
        String::new()
    };
    format!("{base} after {what} #{}{from}{folded}", activity.accepted)
}

fn event_json(activity: &Activity, printed_up_to: u64, labels: &Labels) -> serde_json::Value {
    if activity.accepted == 0 {
        return json!({ "kind": "listening" });
    }
    json!({
        "kind": "accept",
        "accepted": activity.accepted,
        "folded": activity.accepted.saturating_sub(printed_up_to),
        "peer": activity.last_peer.map(|p| labels.addr(p)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{Attribution, TableError, TableRead};
    use crate::testing::{accepted, listener};
    use crate::view::labels::Labels;
    use crate::view::{Format, ViewKind};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A socket table that takes 50 ms per read and counts its reads, and
    /// whose reads never overlap (the reporter must not start a second one
    /// while the first runs).
    #[derive(Default)]
    struct SlowTable {
        reads: AtomicUsize,
        in_flight: AtomicUsize,
        overlapped: AtomicUsize,
    }

    impl SocketTable for SlowTable {
        fn read(
            &self,
            _query: &Query,
            _attribution: &Attribution,
        ) -> Result<TableRead, TableError> {
            if self.in_flight.fetch_add(1, Ordering::SeqCst) > 0 {
                self.overlapped.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(50));
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(TableRead {
                sockets: vec![
                    listener("0.0.0.0:12000"),
                    accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                ],
                notes: vec![],
            })
        }
    }

    /// 200 accepts in a burst cost a handful of table reads, never two at once,
    /// and the last table covers the last accept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_accepts_is_coalesced() {
        let table = Arc::new(SlowTable::default());
        let reporter = Reporter {
            table: table.clone(),
            query: Query {
                proto: Proto::Tcp,
                port: 12000,
                side: crate::kernel::PortSide::Local,
            },
            attribution: Attribution::None,
            output: Arc::new(Output::new(
                Format::Json,
                ViewKind::Netstat,
                50,
                Labels::plain(),
            )),
            udp_clients: None,
            seen: None,
        };
        let (tx, rx) = watch::channel(Activity::default());
        let follower = tokio::spawn(reporter.follow(rx));
        for accepted in 1..=200u64 {
            tx.send_replace(Activity {
                accepted,
                last_peer: None,
            });
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(tx);
        let last = follower.await.unwrap();
        let reads = table.reads.load(Ordering::SeqCst);
        assert!(last.is_some());
        assert!(
            (2..=10).contains(&reads),
            "{reads} table reads for 200 accepts"
        );
        assert_eq!(
            table.overlapped.load(Ordering::SeqCst),
            0,
            "two reads at once"
        );
    }
}
