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
//! | `/events`        | Server-Sent Events: `you` (this viewer's connections), then a `snapshot` (the JSON of `--format json`) after every change |
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

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

use crate::claim::{Look, Observation, observe_off_thread};
use crate::kernel::SocketTable;
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
        Web(Arc::new(Inner {
            source,
            output,
            hub: Hub::new(max_viewers),
            browsers: Browsers::new(),
            page: page::Page::new(place),
            reads: Semaphore::new(1),
        }))
    }

    fn labels(&self) -> &Labels {
        &self.0.output.labels
    }

    /// The fan-out, for whoever publishes snapshots and for tests.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.0.hub
    }

    /// Writes one observation as JSON (once) and sends it to every viewer.
    pub fn publish(&self, observation: &Observation) -> events::Delivery {
        self.0.hub.publish(&self.json(observation))
    }

    /// The snapshot as `--format json` writes it, on one line.
    fn json(&self, observation: &Observation) -> String {
        let object =
            crate::view::json::snapshot(&observation.snapshot, &observation.verdict, self.labels());
        Value::Object(object).to_string()
    }

    /// Publishes every observation `feed` carries, until it closes; then
    /// lets every viewer go. The JSON is written on the blocking pool: for
    /// ten thousand rows it takes milliseconds that the echo should not wait.
    pub async fn follow(self, mut feed: watch::Receiver<Option<Arc<Observation>>>) {
        loop {
            let latest = feed.borrow_and_update().clone();
            if let Some(observation) = latest {
                let web = self.clone();
                let written = tokio::task::spawn_blocking(move || web.json(&observation)).await;
                if let Ok(json) = written {
                    self.0.hub.publish(&json);
                }
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
