//! Server-Sent Events: every snapshot, serialised once, to every viewer.
//!
//! A page that should change by itself needs the server to *push*. The
//! simplest way a browser offers is an `EventSource`: it sends an ordinary
//! GET, and the server answers with `Content-Type: text/event-stream` and
//! then never ends the body. Each event is a few `field: value` lines and an
//! empty line:
//!
//! ```text
//! event: snapshot
//! id: 7
//! data: {"port":12000,"proto":"tcp","sockets":[...],"verdict":{...}}
//!
//! ```
//!
//! If the connection drops, the browser reconnects by itself after the
//! `retry:` time the server gave.
//!
//! A viewer gets the whole snapshot once, when it connects (`event:
//! snapshot`, the JSON of `--format json`), and from then on only what
//! changed (`event: change`: the rows that came or changed, each written as
//! in `--format json`, the 4-tuples of the rows that went, and the new
//! verdict; a row whose queue counts alone moved is not sent again). With a thousand connections on the port a snapshot is about
//! 400 KB; a change after one accept is about one row. Two hundred viewers
//! receive kilobytes per accept instead of eighty megabytes.
//!
//! The [`Hub`] is the fan-out. Each change is turned into its event **once**
//! (a [`Frame`]) and the same bytes, behind a reference count, go to every
//! viewer's queue; the whole snapshot is kept, also written once, for the
//! viewers that join next. The queues are bounded ([`QUEUE_FRAMES`]) and publishing
//! never waits: a viewer whose queue is full has stopped reading (a phone
//! that went to sleep, a stalled network), and it is dropped on the spot,
//! its connection closed, rather than slowing down the snapshot loop, the
//! echo or the other viewers. Its browser reconnects when it wakes and gets
//! the latest snapshot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot};

/// One event, ready to write; shared by every viewer's queue.
pub type Frame = Arc<[u8]>;

/// How many events may wait for one viewer. Snapshots come at most every
/// few tens of milliseconds, so a viewer eight behind has stopped reading.
pub const QUEUE_FRAMES: usize = 8;

/// How long a browser waits before reconnecting, in milliseconds.
pub const RETRY_MS: u64 = 2000;

/// `--max-viewers` is reached.
#[derive(Debug, thiserror::Error)]
#[error("already {} (--max-viewers)", live_viewers(.0))]
pub struct Full(pub usize);

/// `1 live viewer`, `2 live viewers`.
fn live_viewers(n: &usize) -> String {
    crate::words::count(*n, "live viewer")
}

/// The fan-out of snapshots to the event streams.
#[derive(Debug)]
pub struct Hub {
    state: Mutex<State>,
    max_viewers: usize,
    /// Viewers dropped for falling behind, over the run.
    dropped: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    next_seq: u64,
    /// The last whole snapshot, for viewers that join next ...
    latest: Option<Frame>,
    /// ... and the changes sent since it was written (a change goes out
    /// before the whole snapshot is written, so that the viewers do not
    /// wait for it; a newcomer gets both).
    since: Vec<Frame>,
    viewers: HashMap<u64, Seat>,
}

/// The hub's end of one viewer.
#[derive(Debug)]
struct Seat {
    queue: mpsc::Sender<Frame>,
    /// Never sent on: dropping it (with the seat) tells the viewer's writer
    /// that it has been let go, even while it is stuck in a write.
    _let_go: oneshot::Sender<()>,
}

/// A viewer's end: its queue of events, and the signal that it was dropped.
/// Dropping the subscription frees its seat.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<Hub>,
    id: u64,
    pub frames: mpsc::Receiver<Frame>,
    pub let_go: oneshot::Receiver<()>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.lock().viewers.remove(&self.id);
    }
}

/// What one publish did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Viewers whose queue took the event.
    pub queued: usize,
    /// Viewers dropped because their queue was full.
    pub dropped: usize,
}

impl State {
    /// The next event, numbered.
    fn frame(&mut self, name: &str, data: &str) -> Frame {
        let seq = self.next_seq;
        self.next_seq += 1;
        Frame::from(event(name, Some(seq), data))
    }
}

impl Hub {
    pub fn new(max_viewers: usize) -> Arc<Hub> {
        Arc::new(Hub {
            state: Mutex::new(State::default()),
            max_viewers,
            dropped: AtomicU64::new(0),
        })
    }

    /// Takes a seat, with the latest snapshot already queued, or refuses
    /// when every seat is taken.
    pub fn subscribe(self: &Arc<Self>) -> Result<Subscription, Full> {
        let mut state = self.lock();
        if state.viewers.len() >= self.max_viewers {
            return Err(Full(self.max_viewers));
        }
        let (queue, frames) = mpsc::channel(QUEUE_FRAMES);
        let (let_go_tx, let_go) = oneshot::channel();
        for frame in state.latest.iter().chain(&state.since) {
            let _ = queue.try_send(frame.clone());
        }
        let id = state.next_id;
        state.next_id += 1;
        state.viewers.insert(
            id,
            Seat {
                queue,
                _let_go: let_go_tx,
            },
        );
        Ok(Subscription {
            hub: self.clone(),
            id,
            frames,
            let_go,
        })
    }

    /// Sends the whole snapshot to every viewer, and keeps it for the
    /// viewers that join next. `snapshot` is JSON already written, once.
    /// Never waits.
    pub fn publish_whole(&self, snapshot: &str) -> Delivery {
        let mut state = self.lock();
        let frame = state.frame("snapshot", snapshot);
        state.latest = Some(frame.clone());
        state.since.clear();
        self.send(&mut state, frame)
    }

    /// Sends a change to every viewer. Never waits.
    pub fn publish_change(&self, change: &str) -> Delivery {
        let mut state = self.lock();
        let frame = state.frame("change", change);
        state.since.push(frame.clone());
        self.send(&mut state, frame)
    }

    /// Keeps `snapshot` for the viewers that join next (it includes every
    /// change sent so far), and sends nothing.
    pub fn keep(&self, snapshot: &str) {
        let mut state = self.lock();
        let frame = state.frame("snapshot", snapshot);
        state.latest = Some(frame);
        state.since.clear();
    }

    /// Queues `frame` for every viewer; a viewer whose queue is full is
    /// dropped on the spot.
    fn send(&self, state: &mut State, frame: Frame) -> Delivery {
        let mut delivery = Delivery::default();
        state
            .viewers
            .retain(|_, seat| match seat.queue.try_send(frame.clone()) {
                Ok(()) => {
                    delivery.queued += 1;
                    true
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    delivery.dropped += 1;
                    false
                }
                // The viewer's writer has gone; its subscription is being dropped.
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        self.dropped
            .fetch_add(delivery.dropped as u64, Ordering::Relaxed);
        delivery
    }

    /// Lets every viewer go (the server is stopping).
    pub fn close(&self) {
        self.lock().viewers.clear();
    }

    /// How many event streams are open.
    pub fn viewers(&self) -> usize {
        self.lock().viewers.len()
    }

    /// How many viewers were dropped for falling behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The most streams at once.
    pub fn max_viewers(&self) -> usize {
        self.max_viewers
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is a whole insert, remove or assignment, so a
        // poisoned lock still holds consistent values.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An event of type `name` whose data is `data`. A `data:` field ends at a
/// line break, so data with line breaks is split over several `data:` lines,
/// which the browser joins again with `\n`. (Compact JSON has none: every
/// line break inside a string is written `\n`.)
pub fn event(name: &str, id: Option<u64>, data: &str) -> Vec<u8> {
    let mut out = format!("event: {name}\n");
    if let Some(id) = id {
        out.push_str(&format!("id: {id}\n"));
    }
    for line in data.split(['\n', '\r']) {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out.into_bytes()
}

/// The first bytes of every stream: the response head, and how long the
/// browser should wait before reconnecting.
pub fn stream_head() -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n{}\r\nretry: {RETRY_MS}\n\n",
        super::http::STANDARD_HEADERS
    )
}

/// A comment line, sent when nothing happened for a while, so that a
/// viewer that vanished is noticed (the write fails) and idle-closing
/// middleboxes see traffic.
pub const HEARTBEAT: &[u8] = b": still here\n\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_frame_for_everyone_and_the_whole_snapshot_for_newcomers() {
        let hub = Hub::new(10);
        let mut a = hub.subscribe().unwrap();
        let mut b = hub.subscribe().unwrap();
        assert_eq!(hub.publish_whole("{\"n\":1}").queued, 2);
        let fa = a.frames.try_recv().unwrap();
        let fb = b.frames.try_recv().unwrap();
        assert!(Arc::ptr_eq(&fa, &fb), "the same bytes, not a copy");
        assert_eq!(&*fa, b"event: snapshot\nid: 0\ndata: {\"n\":1}\n\n");
        hub.publish_change("{\"d\":1}");
        assert_eq!(
            &*a.frames.try_recv().unwrap(),
            b"event: change\nid: 1\ndata: {\"d\":1}\n\n"
        );
        // A newcomer before the whole snapshot is written again gets the
        // last one and the change since ...
        let mut early = hub.subscribe().unwrap();
        assert_eq!(&*early.frames.try_recv().unwrap(), &*fa);
        assert_eq!(
            &*early.frames.try_recv().unwrap(),
            b"event: change\nid: 1\ndata: {\"d\":1}\n\n"
        );
        // ... and after, the new whole snapshot alone.
        hub.keep("{\"n\":2}");
        let mut late = hub.subscribe().unwrap();
        assert_eq!(
            &*late.frames.try_recv().unwrap(),
            b"event: snapshot\nid: 2\ndata: {\"n\":2}\n\n"
        );
        assert!(late.frames.try_recv().is_err());
    }

    #[test]
    fn a_full_queue_drops_the_viewer_and_nobody_waits() {
        let hub = Hub::new(10);
        let mut reader = hub.subscribe().unwrap();
        let mut stalled = hub.subscribe().unwrap();
        for n in 0..QUEUE_FRAMES {
            assert_eq!(hub.publish_change(&n.to_string()).dropped, 0);
            reader.frames.try_recv().unwrap();
        }
        let delivery = hub.publish_change("one too many");
        assert_eq!(
            delivery,
            Delivery {
                queued: 1,
                dropped: 1
            }
        );
        assert_eq!(hub.viewers(), 1);
        assert_eq!(hub.dropped(), 1);
        // The stalled viewer learns it was let go.
        assert!(matches!(
            stalled.let_go.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        ));
    }

    #[test]
    fn seats_are_limited_and_freed_on_drop() {
        let hub = Hub::new(2);
        let a = hub.subscribe().unwrap();
        let _b = hub.subscribe().unwrap();
        assert!(hub.subscribe().is_err());
        drop(a);
        assert!(hub.subscribe().is_ok());
    }

    #[test]
    fn one_viewer_is_singular() {
        assert_eq!(Full(1).to_string(), "already 1 live viewer (--max-viewers)");
        assert_eq!(
            Full(3).to_string(),
            "already 3 live viewers (--max-viewers)"
        );
    }

    #[test]
    fn data_with_line_breaks_becomes_several_data_lines() {
        assert_eq!(
            event("you", None, "a\nb"),
            b"event: you\ndata: a\ndata: b\n\n".to_vec()
        );
    }
}
