//! Snapshots for the live views (the page and `serve --live`), kept current.
//!
//! The printed log needs a table after every accept; a live view also needs
//! to see connections *go*, and sockets change state. So the feed reads the
//! table, through the one pipeline ([`observe_off_thread`]), when
//!
//! * the server accepts a connection (its [`Activity`] changes);
//! * the number of sockets this process holds changes (a connection
//!   closed), looked at every [`LOOK_EVERY`];
//! * nothing else happened for [`REREAD_EVERY`] (a state changed, another
//!   program's socket came or went).
//!
//! Reads are coalesced like the reporter's: one at a time, and at most one
//! every [`MIN_GAP`], however fast connections arrive. A snapshot equal to
//! the last one is not sent again. The observations go out on a `watch`
//! channel, which keeps only the latest: a consumer that is busy skips to
//! the newest instead of falling behind.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::claim::{Look, Observation, observe_off_thread};
use crate::kernel::{OwnSockets, SocketTable};
use crate::net::activity::Activity;
use crate::net::udp_server::Clients;
use crate::{lang, output};

/// How often to look whether a connection of ours closed (a lock and a
/// count, no table read).
pub const LOOK_EVERY: Duration = Duration::from_millis(100);
/// How long to go without reading the table when nothing seems to change.
pub const REREAD_EVERY: Duration = Duration::from_secs(2);
/// The least time between two reads.
pub const MIN_GAP: Duration = Duration::from_millis(40);

/// The latest observation of the port (`None` before the first read).
pub type Latest = watch::Receiver<Option<Arc<Observation>>>;

/// What to read, and what tells the feed to read again.
pub struct Feed {
    pub table: Arc<dyn SocketTable>,
    pub look: Look,
    /// This process's sockets (their count changing means a close).
    pub own: OwnSockets,
    /// UDP: the clients the server heard from.
    pub udp_clients: Option<Clients>,
}

impl Feed {
    /// Starts reading; the feed ends when the server drops its activity
    /// sender (it stopped) or nobody listens any more.
    pub fn start(
        self,
        activity: watch::Receiver<Activity>,
    ) -> (Latest, tokio::task::JoinHandle<()>) {
        let (tx, rx) = watch::channel(None);
        let task = tokio::spawn(self.run(activity, tx));
        (rx, task)
    }

    async fn run(
        self,
        mut activity: watch::Receiver<Activity>,
        tx: watch::Sender<Option<Arc<Observation>>>,
    ) {
        let mut last_error = String::new();
        loop {
            let read_at = Instant::now();
            let held = self.own.len();
            let peers = self.udp_clients.as_ref().map(Clients::list);
            let look = self.look.clone().with_udp_peers(peers);
            match observe_off_thread(self.table.clone(), look).await {
                Ok(observation) => {
                    let same = tx
                        .borrow()
                        .as_ref()
                        .is_some_and(|last| last.snapshot == observation.snapshot);
                    if !same {
                        tx.send_replace(Some(Arc::new(observation)));
                    }
                    last_error.clear();
                }
                Err(e) => {
                    // Say it once, not on every read.
                    let message = format!("{e:#}");
                    if message != last_error {
                        output::say(&lang::serve::live_read_failed(lang::current(), &message));
                        last_error = message;
                    }
                }
            }
            // Wait for a reason to read again.
            loop {
                tokio::select! {
                    changed = activity.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        break;
                    }
                    () = tokio::time::sleep(LOOK_EVERY) => {
                        if self.own.len() != held || read_at.elapsed() >= REREAD_EVERY {
                            break;
                        }
                    }
                    () = tx.closed() => return,
                }
            }
            tokio::time::sleep_until(read_at + MIN_GAP).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{Attribution, PortSide, Proto, Query, TableError, TableRead};
    use crate::testing::{accepted, listener};
    use std::sync::Mutex;

    /// A table whose rows the test sets.
    #[derive(Default)]
    struct Rows(Mutex<Vec<crate::kernel::KernelSocket>>);

    impl SocketTable for Rows {
        fn read(&self, _: &Query, _: &Attribution) -> Result<TableRead, TableError> {
            Ok(TableRead {
                sockets: self.0.lock().unwrap().clone(),
                notes: vec![],
            })
        }
    }

    /// How many rows the latest snapshot has.
    fn rows(latest: &mut Latest) -> usize {
        latest
            .borrow_and_update()
            .as_ref()
            .map_or(0, |o| o.snapshot.rows.len())
    }

    /// An accept brings a fresh snapshot at once; a change nobody announced
    /// (a row gone) shows up by the periodic read.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn accepts_and_quiet_changes_both_reach_the_feed() {
        let table = Arc::new(Rows::default());
        *table.0.lock().unwrap() = vec![listener("0.0.0.0:12000")];
        let feed = Feed {
            table: table.clone(),
            look: Look::new(
                Query {
                    proto: Proto::Tcp,
                    port: 12000,
                    side: PortSide::Local,
                },
                Attribution::None,
            ),
            own: OwnSockets::new(),
            udp_clients: None,
        };
        let (activity_tx, activity_rx) = watch::channel(Activity::default());
        let (mut latest, task) = feed.start(activity_rx);
        latest.changed().await.unwrap();
        assert_eq!(rows(&mut latest), 1);

        table
            .0
            .lock()
            .unwrap()
            .push(accepted("127.0.0.1:12000", "127.0.0.2:50426"));
        activity_tx.send_replace(Activity {
            accepted: 1,
            ..Activity::default()
        });
        tokio::time::timeout(Duration::from_millis(500), latest.changed())
            .await
            .expect("a snapshot soon after the accept")
            .unwrap();
        assert_eq!(rows(&mut latest), 2);

        table.0.lock().unwrap().pop();
        tokio::time::timeout(REREAD_EVERY * 2, latest.changed())
            .await
            .expect("the periodic read sees the row go")
            .unwrap();
        assert_eq!(rows(&mut latest), 1);

        drop(activity_tx);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the feed ends with the server")
            .unwrap();
    }
}
