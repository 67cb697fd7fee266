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
//!
//! Departures are coalesced the same way, but cost no table read: a
//! departure is one line (who left, how many remain), and the next table
//! shows the rest. (JSON and Mermaid, which have no lines, get a snapshot.)
//!
//! A heading counts what its table shows; see [`heading`] for why it cannot
//! simply repeat the accept count.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::sync::watch;

use crate::claim::snapshot::{Role, Snapshot};
use crate::claim::verdict::Verdict;
use crate::claim::{Look, Observation, observe_off_thread};
use crate::kernel::{Attribution, Proto, Query, SocketTable};
use crate::lang::Lang;
use crate::lang::serve::{self as says, After, Shows};
use crate::net::activity::Activity;
use crate::net::udp_server::Clients;
use crate::output::{self, Output};
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
    /// Prints the table once now, then, until the sender is dropped, a line
    /// for every departure and a table after every accept (coalesced, see
    /// the module documentation). Returns the last verdict.
    pub async fn follow(self, mut activity: watch::Receiver<Activity>) -> Option<Verdict> {
        let mut last_verdict = None;
        // What the output printed so far has told: the activity as of the
        // last table or line.
        let mut told = Activity::default();
        let mut current = activity.borrow_and_update().clone();
        let mut first = true;
        loop {
            let labels = &self.output.labels;
            let departures = current.departed.saturating_sub(told.departed);
            if departures > 0 {
                let line = departure_line(&current, departures, labels);
                if !matches!(output::print(&self.output.event_line(&line)), Ok(true)) {
                    return last_verdict; // stdout is gone: keep serving, stop printing
                }
            }
            let wanted = first
                || current.accepted > told.accepted
                || (departures > 0 && self.output.snapshot_on_every_change());
            let mut covered = current.clone();
            if wanted {
                match self.snapshot().await {
                    Ok((snapshot, verdict)) => {
                        let during = activity.borrow_and_update().clone();
                        if shows_all_open(&verdict, &current, &during) {
                            covered = during;
                        }
                        let heading =
                            heading(&self.query, &told, &covered, &verdict, labels.lang());
                        let event = event_json(&told, &covered, labels);
                        // Writing out thousands of rows is blocking work too
                        // (and stdout may be a slow pipe): off the async threads.
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
                    Err(e) => crate::os::stderr::line(&format!("sameport: {e}")),
                }
            }
            told = covered;
            first = false;
            // Whatever happened since (during the read, or while printing)
            // is told next, without waiting for yet another change.
            let latest = activity.borrow_and_update().clone();
            if latest != told {
                current = latest;
                continue;
            }
            if activity.changed().await.is_err() {
                return last_verdict;
            }
            current = activity.borrow_and_update().clone();
        }
    }

    /// Reads the table off the async threads and judges it, through the one
    /// pipeline.
    pub async fn snapshot(&self) -> anyhow::Result<(Snapshot, Verdict)> {
        let peers = self.udp_clients.as_ref().map(Clients::list);
        let look = Look::new(self.query, self.attribution.clone()).with_udp_peers(peers);
        let Observation { snapshot, verdict } =
            observe_off_thread(self.table.clone(), look).await?;
        if let Some(seen) = &self.seen {
            seen.record(&snapshot);
        }
        Ok((snapshot, verdict))
    }
}

/// Whether a table read after `before` also shows everything up to `during`
/// (the activity when the read was done): accepts that completed while the
/// table was read are in it when, with no departure meanwhile, it holds as
/// many accepted sockets (UDP: clients) as were open by then. Open
/// connections only grew, so the table's are all of them. The table then
/// covers those accepts too, and the next table is not a copy of this one.
fn shows_all_open(verdict: &Verdict, before: &Activity, during: &Activity) -> bool {
    let open = during.accepted.saturating_sub(during.departed);
    during.departed == before.departed
        && during.accepted > before.accepted
        && verdict.accepted as u64 == open
}

/// The heading over a table: which accepts (or new UDP clients) it is the
/// first table after, and what the table itself shows, counted from the
/// table (the verdict counts its accepted sockets).
///
/// Accepts go on while the table is read, and a burst is covered by one
/// table, so the table can hold more accepted sockets than the accepts it
/// names, and fewer once clients have left. Counting from the table keeps
/// the heading true to what is under it:
///
/// `Sockets on TCP port 12000 after accepts #2 and #3: 3 accepted sockets`
fn heading(
    query: &Query,
    told: &Activity,
    current: &Activity,
    verdict: &Verdict,
    lang: Lang,
) -> String {
    let (proto, port) = (query.proto, query.port);
    if current.accepted == 0 {
        return says::heading_listening(lang, proto.into(), port);
    }
    let (from, to) = (told.accepted + 1, current.accepted);
    let after = match to.saturating_sub(from) {
        _ if to < from => After::Departure,
        0 => After::One(to),
        1 => After::Two(from, to),
        _ => After::Range(from, to),
    };
    let shows = match proto {
        Proto::Tcp => Shows::Tcp {
            accepted: verdict.accepted,
            queued: verdict.queued,
        },
        Proto::Udp => Shows::Udp {
            sockets: verdict.servers,
            clients: verdict.accepted,
        },
    };
    says::heading(lang, proto.into(), port, after, shows)
}

/// One line for the connections that ended since the last output: who left
/// (the last of them, in a burst) and how many remain.
///
/// `127.0.0.2:50426 disconnected; 2 clients remain connected.`
fn departure_line(current: &Activity, departures: u64, labels: &Labels) -> String {
    let open = current.accepted.saturating_sub(current.departed);
    let who = current.last_departed.map(|p| labels.addr(p));
    says::departure(labels.lang(), who.as_deref(), departures, open)
}

fn event_json(told: &Activity, current: &Activity, labels: &Labels) -> serde_json::Value {
    let open = current.accepted.saturating_sub(current.departed);
    if current.accepted == 0 {
        return json!({ "kind": "listening" });
    }
    if current.accepted > told.accepted {
        return json!({
            "kind": "accept",
            "accepted": current.accepted,
            "folded": current.accepted - told.accepted,
            "peer": current.last_peer.map(|p| labels.addr(p)),
            "departed": current.departed,
            "open": open,
        });
    }
    json!({
        "kind": "departure",
        "accepted": current.accepted,
        "departed": current.departed,
        "folded": current.departed.saturating_sub(told.departed),
        "peer": current.last_departed.map(|p| labels.addr(p)),
        "open": open,
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

    /// A socket table whose reads wait at a gate the test opens, and that
    /// counts its reads and notices two at once. (No sleeps: the test
    /// decides when a read ends, so the count is the same on every run.)
    struct GatedTable {
        /// Says "a read has started".
        started: Mutex<std::sync::mpsc::Sender<()>>,
        /// Each read takes one ticket before it returns.
        tickets: Mutex<std::sync::mpsc::Receiver<()>>,
        reads: AtomicUsize,
        in_flight: AtomicUsize,
        overlapped: AtomicUsize,
    }

    impl SocketTable for GatedTable {
        fn read(
            &self,
            _query: &Query,
            _attribution: &Attribution,
        ) -> Result<TableRead, TableError> {
            if self.in_flight.fetch_add(1, Ordering::SeqCst) > 0 {
                self.overlapped.fetch_add(1, Ordering::SeqCst);
            }
            let _ = self.started.lock().unwrap().send(());
            let _ = self.tickets.lock().unwrap().recv();
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

    /// 200 accepts that arrive while a read runs cost one more read, not
    /// 200: the reads never overlap, and the last table covers accept #200.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_accepts_is_coalesced() {
        let (started_tx, started) = std::sync::mpsc::channel();
        let (tickets, tickets_rx) = std::sync::mpsc::channel();
        let table = Arc::new(GatedTable {
            started: Mutex::new(started_tx),
            tickets: Mutex::new(tickets_rx),
            reads: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            overlapped: AtomicUsize::new(0),
        });
        let seen = SeenSockets::default();
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
            seen: Some(seen.clone()),
        };
        let (tx, rx) = watch::channel(Activity::default());
        let follower = tokio::spawn(reporter.follow(rx));
        // The first read (of the listening socket) is now under way ...
        tokio::task::spawn_blocking(move || started.recv().map(|()| started))
            .await
            .unwrap()
            .map(|started| {
                // ... and 200 accepts arrive while it runs.
                for accepted in 1..=200u64 {
                    tx.send_replace(Activity {
                        accepted,
                        ..Activity::default()
                    });
                }
                // Let the first read and the one after it finish, then stop.
                tickets.send(()).unwrap();
                tickets.send(()).unwrap();
                let second = started.recv_timeout(std::time::Duration::from_secs(10));
                assert!(second.is_ok(), "no read after the burst");
                drop(tx);
            })
            .unwrap();
        let last = follower.await.unwrap();
        assert!(last.is_some());
        assert_eq!(
            table.reads.load(Ordering::SeqCst),
            2,
            "reads for 200 accepts"
        );
        assert_eq!(
            table.overlapped.load(Ordering::SeqCst),
            0,
            "two reads at once"
        );
        assert_eq!(
            seen.serving(Proto::Tcp, &["127.0.0.2:50426".parse().unwrap()]),
            1
        );
    }

    fn tcp_query() -> Query {
        Query {
            proto: Proto::Tcp,
            port: 12000,
            side: crate::kernel::PortSide::Local,
        }
    }

    /// A verdict on a table with `n` accepted sockets.
    fn table_with(n: usize) -> Verdict {
        let mut sockets = vec![listener("0.0.0.0:12000")];
        for i in 0..n {
            sockets.push(accepted(
                "127.0.0.1:12000",
                &format!("127.0.0.2:{}", 50000 + i),
            ));
        }
        crate::claim::verdict::judge(&crate::testing::snapshot(12000, sockets))
    }

    fn after(accepted: u64, departed: u64) -> Activity {
        Activity {
            accepted,
            departed,
            last_peer: Some("127.0.0.4:50428".parse().unwrap()),
            last_departed: Some("127.0.0.2:50426".parse().unwrap()),
        }
    }

    /// The heading names the accepts since the last table and counts the
    /// sockets of the table under it, whatever the accept count says.
    #[test]
    fn a_heading_describes_the_table_under_it() {
        let q = tcp_query();
        assert_eq!(
            heading(
                &q,
                &Activity::default(),
                &Activity::default(),
                &table_with(0),
                Lang::En
            ),
            "Sockets on TCP port 12000: listening, before any client"
        );
        assert_eq!(
            heading(&q, &after(0, 0), &after(1, 0), &table_with(3), Lang::En),
            "Sockets on TCP port 12000 after accept #1: 3 accepted sockets"
        );
        assert_eq!(
            heading(&q, &after(1, 0), &after(3, 0), &table_with(3), Lang::En),
            "Sockets on TCP port 12000 after accepts #2 and #3: 3 accepted sockets"
        );
        assert_eq!(
            heading(&q, &after(3, 0), &after(9, 2), &table_with(1), Lang::En),
            "Sockets on TCP port 12000 after accepts #4 to #9: 1 accepted socket"
        );
    }

    /// A table covers the accepts made while it was read only when it shows
    /// every connection open by then.
    #[test]
    fn accepts_during_a_read_are_covered_only_when_the_table_shows_them() {
        assert!(shows_all_open(&table_with(3), &after(1, 0), &after(3, 0)));
        assert!(!shows_all_open(&table_with(2), &after(1, 0), &after(3, 0)));
        // A departure meanwhile: the counts prove nothing.
        assert!(!shows_all_open(&table_with(2), &after(1, 0), &after(3, 1)));
    }

    /// One line per departure, with how many remain; a burst is one line.
    #[test]
    fn departures_say_who_left_and_how_many_remain() {
        let labels = Labels::plain();
        assert_eq!(
            departure_line(&after(3, 1), 1, &labels),
            "127.0.0.2:50426 disconnected; 2 clients remain connected."
        );
        assert_eq!(
            departure_line(&after(3, 2), 1, &labels),
            "127.0.0.2:50426 disconnected; 1 client remains connected."
        );
        assert_eq!(
            departure_line(&after(5, 5), 4, &labels),
            "4 clients disconnected, the last 127.0.0.2:50426; 0 clients remain connected."
        );
    }
}
