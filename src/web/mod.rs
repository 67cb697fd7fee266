//! The live classroom view: the echo server's own port also speaks HTTP.
//!
//! The textbook's example of "many clients, one port" is a Web server: many
//! browsers, port 80, one socket per connection. So `sameport serve` lets
//! every browser in the room be a client. A connection whose first bytes are
//! a request line (`GET /`) is served a page; any other is echoed as before.
//! Both kinds are accepted by the same listening socket, both show up in the
//! same table, and both have the same local port: the page shows exactly
//! that, live, with the viewer's own connections marked.
//!
//! * [`sniff`]: tell HTTP from echo by peeking at the first bytes;
//! * [`http`]: read one request within bounds, write a response;
//! * [`events`]: the event stream, one serialisation per snapshot for every
//!   viewer, a bounded queue each;
//! * [`browsers`]: which connections are one browser's ("you");
//! * [`page`]: the page itself, built into the binary.
//!
//! Three routes, nothing from the file system:
//!
//! | route            | what                                                     |
//! |------------------|----------------------------------------------------------|
//! | `/`              | the live page                                            |
//! | `/events`        | Server-Sent Events: `you` (this viewer's connections), a `snapshot` (the JSON of `--format json`), then a `change` after every change |
//! | `/snapshot.json` | one snapshot, read now, with `you`                       |
//!
//! Everything else is `404`. The page is one more consumer of the one
//! pipeline ([`crate::claim::observe`]): it shows what `inspect` and the
//! terminal show, judged the same way.

pub mod browsers;
pub mod events;
pub mod http;
pub mod page;
pub mod sniff;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

use crate::claim::snapshot::Row;
use crate::claim::{Look, Observation, observe_off_thread};
use crate::kernel::SocketTable;
use crate::os::throttle::Throttle;
use crate::output::Output;
use crate::view::labels::Labels;

use browsers::{Browsers, Ties};
use events::{Hub, Subscription};
use http::{Incoming, Method, Response};
pub use page::Where;

/// At most this many viewers, unless `--max-viewers` says otherwise.
pub const DEFAULT_MAX_VIEWERS: usize = 64;

/// How long an event stream may be silent before a heartbeat is sent.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);

/// After an error response, how long to keep reading (and discarding)
/// before closing, and how much. Closing a socket with unread bytes in it
/// makes the kernel send a reset, which can destroy the response before the
/// client reads it; draining first lets the client see why it was refused.
const LINGER: Duration = Duration::from_millis(500);
const LINGER_BYTES: usize = 64 * 1024;

/// Where the page's snapshots come from: a socket table and what to look
/// at, through [`crate::claim::observe`].
#[derive(Clone)]
pub struct Source {
    pub table: Arc<dyn SocketTable>,
    pub look: Look,
}

/// The web side of one server. Cheap to clone: every clone is the same hub.
#[derive(Clone)]
pub struct Web(Arc<Inner>);

struct Inner {
    source: Source,
    /// How values are written (`--redact` applies to the page too); the
    /// same labels as the terminal's, so a placeholder means one address.
    output: Arc<Output>,
    hub: Arc<Hub>,
    browsers: Arc<Browsers>,
    page: page::Page,
    /// One `/snapshot.json` table read at a time: a flood of requests
    /// queues here instead of filling the blocking pool.
    reads: Semaphore,
    /// How many browsers were turned away at `--max-viewers`, and how often
    /// the teacher is told (once a minute, so a full class cannot flood the log).
    turned_away: std::sync::Mutex<(u64, Throttle)>,
}

impl fmt::Debug for Web {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Web")
            .field("viewers", &self.0.hub.viewers())
            .finish_non_exhaustive()
    }
}

impl Web {
    /// The web side for a server whose table is read from `source`, writing
    /// values with `output`'s labels.
    pub fn new(source: Source, output: Arc<Output>, place: &Where, max_viewers: usize) -> Web {
        // The page speaks the run's language, like everything else it prints.
        let page = page::Page::new(place, output.labels.lang());
        Web(Arc::new(Inner {
            source,
            output,
            hub: Hub::new(max_viewers),
            browsers: Browsers::new(),
            page,
            reads: Semaphore::new(1),
            turned_away: std::sync::Mutex::new((0, Throttle::new(Duration::from_secs(60), 1))),
        }))
    }

    /// Tells the teacher (stderr) that a browser got no live updates: at the
    /// first one, then at most once a minute, with the count so far.
    fn note_turned_away(&self) {
        let mut turned_away = self.0.turned_away.lock().unwrap_or_else(|p| p.into_inner());
        let (so_far, throttle) = &mut *turned_away;
        *so_far += 1;
        if throttle.due().is_none() {
            return;
        }
        let lang = self.labels().lang();
        let text = crate::lang::serve::viewers_turned_away(lang, self.0.hub.max_viewers(), *so_far);
        crate::os::stderr::line(&crate::output::message(&text));
    }

    fn labels(&self) -> &Labels {
        &self.0.output.labels
    }

    /// The fan-out, for whoever publishes snapshots and for tests.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.0.hub
    }

    /// The snapshot as `--format json` writes it, on one line.
    fn json(&self, observation: &Observation) -> String {
        let object =
            crate::view::json::snapshot(&observation.snapshot, &observation.verdict, self.labels());
        Value::Object(object).to_string()
    }

    /// What changed from `before` to `after`, as a `change` event says it:
    /// the rows that came or changed (as `--format json` writes rows), the
    /// ends of the rows that went, the notes and the verdict. A row whose
    /// only change is in its queue counts (Recv-Q, Send-Q, which move with
    /// every byte in flight, and which the page does not show) is left out;
    /// `None` when nothing else changed.
    fn change(&self, before: &Observation, after: &Observation) -> Option<String> {
        type Key = (crate::kernel::Proto, SocketAddr, Option<SocketAddr>);
        let key = |row: &Row| -> Key { (row.socket.proto, row.socket.local, row.socket.remote) };
        let labels = self.labels();
        let old: HashMap<Key, &Row> = before.snapshot.rows.iter().map(|r| (key(r), r)).collect();
        let now: HashSet<Key> = after.snapshot.rows.iter().map(key).collect();
        let changed: Vec<Value> = after
            .snapshot
            .rows
            .iter()
            .filter(|row| {
                old.get(&key(row))
                    .is_none_or(|old| differs_beyond_queues(old, row))
            })
            .map(|row| crate::view::json::socket(row, labels))
            .collect();
        let gone: Vec<Value> = before
            .snapshot
            .rows
            .iter()
            .filter(|row| !now.contains(&key(row)))
            .map(|row| {
                let s = &row.socket;
                json!({
                    "proto": s.proto,
                    "local_addr": labels.ip(s.local.ip()),
                    "local_port": s.local.port(),
                    "remote_addr": s.remote.map(|r| labels.ip(r.ip())),
                    "remote_port": s.remote.map(|r| r.port()),
                })
            })
            .collect();
        let same_verdict = before.verdict.outcome == after.verdict.outcome
            && before
                .verdict
                .explanation(labels.lang(), &|a| labels.addr(a))
                == after
                    .verdict
                    .explanation(labels.lang(), &|a| labels.addr(a));
        if changed.is_empty() && gone.is_empty() && same_verdict {
            return None;
        }
        let change = json!({
            "port": after.snapshot.port,
            "proto": after.snapshot.proto,
            "changed": changed,
            "gone": gone,
            "notes": after
                .snapshot
                .notes
                .iter()
                .map(|note| crate::view::note_text(note, labels.lang()))
                .collect::<Vec<_>>(),
            "verdict": crate::view::json::verdict_json(&after.verdict, labels),
        });
        Some(change.to_string())
    }

    /// Publishes every observation `feed` carries, until it closes; then
    /// lets every viewer go. The change goes out first; the whole snapshot,
    /// which only viewers that join later need, is written after it. Both
    /// are written on the blocking pool: for ten thousand rows the whole
    /// takes milliseconds that the echo should not wait.
    pub async fn follow(self, mut feed: watch::Receiver<Option<Arc<Observation>>>) {
        let mut previous: Option<Arc<Observation>> = None;
        loop {
            let latest = feed.borrow_and_update().clone();
            if let Some(observation) = latest {
                if let Some(before) = previous.take() {
                    let (web, after) = (self.clone(), observation.clone());
                    let change =
                        tokio::task::spawn_blocking(move || web.change(&before, &after)).await;
                    if let Ok(Some(change)) = change {
                        self.0.hub.publish_change(&change);
                    }
                    let (web, after) = (self.clone(), observation.clone());
                    if let Ok(whole) = tokio::task::spawn_blocking(move || web.json(&after)).await {
                        self.0.hub.keep(&whole);
                    }
                } else {
                    let (web, after) = (self.clone(), observation.clone());
                    if let Ok(whole) = tokio::task::spawn_blocking(move || web.json(&after)).await {
                        self.0.hub.publish_whole(&whole);
                    }
                }
                previous = Some(observation);
            }
            if feed.changed().await.is_err() {
                break;
            }
        }
        self.0.hub.close();
    }

    /// Serves one HTTP connection (whose first bytes were a request line)
    /// until the client closes it, a request ends it, or an event stream
    /// ends. `idle` is the server's `--idle-timeout`: the longest wait for
    /// the next request (an event stream, where the server does the
    /// talking, has no such limit).
    pub async fn serve(
        &self,
        mut stream: TcpStream,
        peer: SocketAddr,
        idle: Option<Duration>,
    ) -> io::Result<()> {
        let mut buffer = Vec::new();
        let mut ties = Ties::new(self.0.browsers.clone(), peer);
        loop {
            let next = http::read_request(&mut stream, &mut buffer);
            let incoming = match idle {
                Some(limit) => match tokio::time::timeout(limit, next).await {
                    Ok(incoming) => incoming?,
                    Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "idle")),
                },
                None => next.await?,
            };
            let request = match incoming {
                Incoming::Request(request) => request,
                Incoming::Closed => return Ok(()),
                Incoming::Refused(refusal) => {
                    refusal
                        .response()
                        .write(&mut stream, Method::Get, false)
                        .await?;
                    return linger_and_close(stream).await;
                }
            };
            let token = request
                .viewer_cookie
                .as_deref()
                .filter(|t| self.0.browsers.is_ours(t))
                .map(str::to_string);
            if let Some(token) = &token {
                ties.tie(token);
            }
            let response = match request.path.as_str() {
                "/" => self.page(&mut ties, token.is_none()),
                "/snapshot.json" => self.snapshot_json(peer, token.as_deref()).await,
                "/events" if request.method == Method::Get => {
                    // No request follows an event stream: free the buffer
                    // for the hours the stream may stay open.
                    drop(std::mem::take(&mut buffer));
                    return self.events(stream, peer, token).await;
                }
                "/events" => Response::new(200, "text/event-stream", Vec::new()),
                _ => Response::text(
                    404,
                    "not found: this server has /, /events and /snapshot.json\n",
                ),
            };
            response
                .write(&mut stream, request.method, request.keep_alive)
                .await?;
            if !request.keep_alive {
                return stream.shutdown().await;
            }
        }
    }

    /// The page; a browser without a token gets one (a cookie), and this
    /// connection is tied to it.
    fn page(&self, ties: &mut Ties, mint: bool) -> Response {
        let response = self.0.page.response();
        if !mint {
            return response;
        }
        let token = self.0.browsers.mint();
        ties.tie(&token);
        response.header(
            "Set-Cookie",
            format!(
                "{}={token}; Path=/; HttpOnly; SameSite=Strict",
                http::COOKIE_NAME
            ),
        )
    }

    /// One snapshot read now, with this viewer's connections.
    async fn snapshot_json(&self, peer: SocketAddr, token: Option<&str>) -> Response {
        let observed = {
            let _turn = self.0.reads.acquire().await;
            observe_off_thread(self.0.source.table.clone(), self.0.source.look.clone()).await
        };
        match observed {
            Ok(observation) => {
                let mut object = crate::view::json::snapshot(
                    &observation.snapshot,
                    &observation.verdict,
                    self.labels(),
                );
                object.insert("you".into(), self.yours(peer, token));
                Response::new(
                    200,
                    "application/json",
                    format!("{}\n", Value::Object(object)).into_bytes(),
                )
            }
            Err(e) => Response::text(503, &format!("cannot read the socket table: {e:#}\n")),
        }
    }

    /// This viewer's connections as `[{"addr": ..., "port": ...}]`, written
    /// the way the snapshot writes remote ends, so the page can match them.
    fn yours(&self, peer: SocketAddr, token: Option<&str>) -> Value {
        let mut connections = token
            .map(|t| self.0.browsers.connections_of(t))
            .unwrap_or_default();
        if !connections.contains(&peer) {
            connections.push(peer);
        }
        connections.sort();
        Value::Array(
            connections
                .iter()
                .map(|c| json!({ "addr": self.labels().ip(c.ip()), "port": c.port() }))
                .collect(),
        )
    }

    /// An event stream on this connection, until the viewer goes, falls
    /// behind, or the server stops.
    async fn events(
        &self,
        mut stream: TcpStream,
        peer: SocketAddr,
        token: Option<String>,
    ) -> io::Result<()> {
        let mut subscription = match self.0.hub.subscribe() {
            Ok(subscription) => subscription,
            Err(full) => {
                self.note_turned_away();
                Response::text(503, &format!("{full}; try again later\n"))
                    .header("Retry-After", "10")
                    .write(&mut stream, Method::Get, false)
                    .await?;
                return linger_and_close(stream).await;
            }
        };
        let mut changes = self.0.browsers.watch();
        let (mut reader, mut writer) = stream.split();
        writer.write_all(events::stream_head().as_bytes()).await?;
        let mut sent_yours = self.yours(peer, token.as_deref());
        writer
            .write_all(&events::event("you", None, &sent_yours.to_string()))
            .await?;
        let Subscription { frames, let_go, .. } = &mut subscription;
        // The viewer sends nothing on this connection after its request, so
        // reading it only ever says one thing: it closed (EOF), and its seat
        // is free at once rather than at the next failed write.
        let mut ignored = [0u8; 512];
        loop {
            let next = tokio::select! {
                biased;
                _ = &mut *let_go => return Ok(()),
                read = reader.read(&mut ignored) => match read {
                    Ok(0) | Err(_) => return Ok(()),
                    Ok(_) => continue,
                },
                frame = frames.recv() => match frame {
                    Some(frame) => Some(frame),
                    None => return Ok(()),
                },
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    None
                }
                () = tokio::time::sleep(HEARTBEAT_EVERY) => {
                    if !write_unless_let_go(&mut writer, events::HEARTBEAT, let_go).await? {
                        return Ok(());
                    }
                    continue;
                }
            };
            let yours = self.yours(peer, token.as_deref());
            if yours != sent_yours {
                let event = events::event("you", None, &yours.to_string());
                if !write_unless_let_go(&mut writer, &event, let_go).await? {
                    return Ok(());
                }
                sent_yours = yours;
            }
            if let Some(frame) = next
                && !write_unless_let_go(&mut writer, &frame, let_go).await?
            {
                return Ok(());
            }
        }
    }
}

/// Whether two rows of the same 4-tuple differ in more than their queue
/// counts.
fn differs_beyond_queues(a: &Row, b: &Row) -> bool {
    let (x, y) = (&a.socket, &b.socket);
    a.role != b.role
        || x.state != y.state
        || x.inode != y.inode
        || x.uid != y.uid
        || x.ipv6 != y.ipv6
        || x.holders != y.holders
}

/// Writes `bytes`, unless the hub lets this viewer go first (it fell
/// behind, or the server is stopping): a viewer that stopped reading blocks
/// its own write, and only its own. Returns whether the bytes were written.
async fn write_unless_let_go(
    stream: &mut (impl AsyncWriteExt + Unpin),
    bytes: &[u8],
    let_go: &mut tokio::sync::oneshot::Receiver<()>,
) -> io::Result<bool> {
    tokio::select! {
        biased;
        _ = let_go => Ok(false),
        written = stream.write_all(bytes) => written.map(|()| true),
    }
}

/// Closes a connection after an error response: our side first (FIN), then
/// a short wait that reads and discards what the client is still sending
/// (see [`LINGER`]).
async fn linger_and_close(mut stream: TcpStream) -> io::Result<()> {
    stream.shutdown().await?;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    let _ = tokio::time::timeout(LINGER, async {
        while drained < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::verdict::judge;
    use crate::kernel::{Attribution, Kernel, PortSide, Proto, Query, SocketState};
    use crate::testing::{accepted, listener, snapshot};
    use crate::view::{Format, ViewKind};

    fn web() -> Web {
        let look = Look::new(
            Query {
                proto: Proto::Tcp,
                port: 12000,
                side: PortSide::Local,
            },
            Attribution::None,
        );
        let output = Output::new(Format::Json, ViewKind::Netstat, 50, Labels::plain());
        Web::new(
            Source {
                table: Arc::new(Kernel),
                look,
            },
            Arc::new(output),
            &Where::default(),
            4,
        )
    }

    fn observation(sockets: Vec<crate::kernel::KernelSocket>) -> Observation {
        let snapshot = snapshot(12000, sockets);
        let verdict = judge(&snapshot);
        Observation { snapshot, verdict }
    }

    /// A change names the rows that came and went, and leaves out rows
    /// whose queue counts alone moved.
    #[test]
    fn a_change_has_what_came_what_went_and_nothing_else() {
        let web = web();
        let a = accepted("127.0.0.1:12000", "127.0.0.2:50426");
        let b = accepted("127.0.0.1:12000", "127.0.0.3:50427");
        let c = accepted("127.0.0.1:12000", "127.0.0.4:50428");
        let before = observation(vec![listener("0.0.0.0:12000"), a.clone(), b.clone()]);
        let mut busy = a.clone();
        busy.recv_q = Some(16);
        busy.send_q = Some(32);
        let after = observation(vec![listener("0.0.0.0:12000"), busy.clone(), c]);
        let change: Value = serde_json::from_str(&web.change(&before, &after).unwrap()).unwrap();
        let changed = change["changed"].as_array().unwrap();
        assert_eq!(changed.len(), 1, "{change}");
        assert_eq!(changed[0]["remote_port"], 50428);
        assert_eq!(change["gone"][0]["remote_port"], 50427);
        assert_eq!(change["gone"][0]["local_port"], 12000);
        assert_eq!(change["verdict"]["outcome"], "holds");

        // Only queues moved: nothing to say.
        let quiet = observation(vec![listener("0.0.0.0:12000"), a.clone(), b.clone()]);
        let noisy = observation(vec![listener("0.0.0.0:12000"), busy, b.clone()]);
        assert!(web.change(&quiet, &noisy).is_none());

        // A state change is a change.
        let mut closing = b.clone();
        closing.state = SocketState::CloseWait;
        let later = observation(vec![listener("0.0.0.0:12000"), a, closing]);
        let change: Value = serde_json::from_str(&web.change(&quiet, &later).unwrap()).unwrap();
        assert_eq!(change["changed"][0]["state"], "CLOSE_WAIT");
    }
}
