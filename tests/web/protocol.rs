//! HTTP and the echo on one port: the sniffing, the routes, keep-alive, the
//! limits and the event streams, on real loopback sockets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sameport::kernel::{
    Attribution, Holder, Kernel, KernelSocket, Query, SocketState, SocketTable, TableError,
    TableRead,
};
use sameport::net::activity::Activity;
use sameport::web::sniff::PREFIX_WAIT;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::server::{Server, Setup, ask, closed, get, head_response, read_until, response};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Sends `data` and reads back exactly as many bytes (at most 5 s).
async fn echo_of(stream: &mut TcpStream, data: &[u8]) -> Vec<u8> {
    stream.write_all(data).await.unwrap();
    let mut back = vec![0u8; data.len()];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut back))
        .await
        .expect("the echo within 5 s")
        .unwrap();
    back
}

/// A request line gets the page; anything else on the same port is echoed.
#[test]
fn a_browser_gets_the_page_and_nc_gets_the_echo_on_one_port() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let page = ask(&server, &get("/")).await;
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.contains("Content-Type: text/html; charset=utf-8\r\n"));
        assert!(page.contains("Set-Cookie: sameport-viewer="));
        assert!(page.contains("<!doctype html>"));
        let mut nc = server.connect().await;
        assert_eq!(echo_of(&mut nc, b"hello\n").await, b"hello\n");
        // Bytes that merely look like the start of a request are echoed too.
        assert_eq!(
            echo_of(&mut nc, b"GET / HTTP/1.1\r\n").await,
            b"GET / HTTP/1.1\r\n"
        );
        server.stop().await;
    });
}

/// A client that sends a lone `G` and waits gets its `G` back (after the
/// short wait for the rest of a method name), and everything after it is
/// echoed too, even a request line: the connection was decided.
#[test]
fn a_lone_g_then_a_pause_is_echo() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let mut stream = server.connect().await;
        let started = Instant::now();
        assert_eq!(echo_of(&mut stream, b"G").await, b"G");
        assert!(started.elapsed() < Duration::from_secs(2));
        let rest = b"ET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(echo_of(&mut stream, rest).await, rest);
        server.stop().await;
    });
}

/// Lines typed into `nc` that start like a request but have no HTTP version
/// are echoed, at once (the line's end decides), as the lesson promises.
#[test]
fn a_request_line_without_a_version_is_echo() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        for line in [
            b"GET /\n".as_slice(),
            b"GET /\r\n",
            b"HEAD x\n",
            b"GET me a coffee\n",
        ] {
            let mut stream = server.connect().await;
            let started = Instant::now();
            assert_eq!(echo_of(&mut stream, line).await, line);
            assert!(started.elapsed() < PREFIX_WAIT, "waited: {line:?}");
        }
        server.stop().await;
    });
}

/// The wait for the first byte has no limit: a browser's idle preconnect
/// that sends its request a second later is still HTTP, and a slow typist's
/// line is still echoed.
#[test]
fn the_first_byte_may_come_late() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let mut browser = server.connect().await;
        let mut typist = server.connect().await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        browser
            .write_all(get("/snapshot.json").as_bytes())
            .await
            .unwrap();
        let (answer, _) = response(&mut browser).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert_eq!(echo_of(&mut typist, b"hi\n").await, b"hi\n");
        server.stop().await;
    });
}

/// A request line cut between two segments (`GE` + `T / ...`) is still a
/// request when the rest follows promptly.
#[test]
fn a_request_line_split_across_segments_is_http() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let mut stream = server.connect().await;
        stream.write_all(b"HE").await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        stream
            .write_all(b"AD / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let answer = head_response(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n"), "HEAD has no body");
        server.stop().await;
    });
}

/// Every byte value, in a stream that starts like a method name, comes back
/// exactly: peeking took nothing.
#[test]
fn binary_bytes_that_start_like_a_method_are_echoed_exactly() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let mut data = b"GET".to_vec(); // no space: not a request line
        for i in 0..64 * 1024u32 {
            data.push((i.wrapping_mul(2_654_435_761) >> 24) as u8);
        }
        let mut stream = server.connect().await;
        let (mut rd, mut wr) = stream.split();
        let expected = data.clone();
        let (_, back) = tokio::join!(async { wr.write_all(&data).await.unwrap() }, async {
            let mut back = vec![0u8; expected.len()];
            tokio::time::timeout(Duration::from_secs(10), rd.read_exact(&mut back))
                .await
                .unwrap()
                .unwrap();
            back
        });
        assert!(back == expected, "the echo differs");
        server.stop().await;
    });
}

/// `/snapshot.json` is the snapshot of `--format json` plus the caller's own
/// connection; anything else is 404 (nothing comes from the file system).
#[test]
fn the_routes() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let mut stream = server.connect().await;
        let me = stream.local_addr().unwrap();
        stream
            .write_all(get("/snapshot.json").as_bytes())
            .await
            .unwrap();
        let (answer, _) = response(&mut stream).await;
        assert!(
            answer.contains("Content-Type: application/json\r\n"),
            "{answer}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap();
        let json: Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["port"], server.addr.port());
        assert_eq!(json["sockets"][0]["role"], "listener");
        assert!(json["verdict"]["outcome"].is_string());
        assert_eq!(json["you"][0]["port"], me.port());
        // Our own connection is in the table, on the server's port.
        let ours = json["sockets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["remote_port"] == me.port())
            .expect("this connection's row");
        assert_eq!(ours["local_port"], server.addr.port());

        for path in [
            "/nope",
            "/index.html",
            "/../Cargo.toml",
            "/src/web/page.html",
            "//etc/passwd",
        ] {
            stream.write_all(get(path).as_bytes()).await.unwrap();
            let (answer, closed) = response(&mut stream).await;
            assert!(
                answer.starts_with("HTTP/1.1 404 Not Found"),
                "{path}: {answer}"
            );
            assert!(!closed, "a 404 keeps the connection");
        }
        server.stop().await;
    });
}

/// Several requests on one connection, also sent all at once (pipelined),
/// are answered in order; HTTP/1.0 without keep-alive closes; HEAD has the
/// headers of GET and no body.
#[test]
fn keep_alive_pipelining_and_head() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let mut stream = server.connect().await;
        let both = format!("{}{}", get("/nope"), get("/snapshot.json"));
        stream.write_all(both.as_bytes()).await.unwrap();
        let (first, _) = response(&mut stream).await;
        assert!(first.starts_with("HTTP/1.1 404"), "{first}");
        let (second, _) = response(&mut stream).await;
        assert!(second.starts_with("HTTP/1.1 200"), "{second}");

        stream
            .write_all(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let head = head_response(&mut stream).await;
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(length > 1000, "HEAD says the page's length");
        assert!(head.ends_with("\r\n\r\n"));
        // No body followed: the next response starts right away.
        stream.write_all(get("/nope").as_bytes()).await.unwrap();
        let (next, _) = response(&mut stream).await;
        assert!(next.starts_with("HTTP/1.1 404"), "{next}");

        let mut old = server.connect().await;
        old.write_all(b"GET /nope HTTP/1.0\r\n\r\n").await.unwrap();
        let (answer, _) = response(&mut old).await;
        assert!(answer.contains("Connection: close"), "{answer}");
        closed(&mut old).await;
        server.stop().await;
    });
}

/// Sends `request` and returns the response and whether the server closed
/// the connection after it.
async fn refused(server: &Server, request: &[u8]) -> (String, bool) {
    let mut stream = server.connect().await;
    // The server may answer before the last bytes are sent; a reset then is fine.
    let _ = stream.write_all(request).await;
    let (answer, mut was_closed) = response(&mut stream).await;
    if !was_closed {
        was_closed = read_until(&mut stream, |_| false).await.1;
    }
    (answer, was_closed)
}

/// Oversized, broken and unsupported requests get 431, 400 and 405, and the
/// connection is closed; the server goes on serving everyone else.
#[test]
fn limits_and_refusals() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let mut big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Fill: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', 9 * 1024));
        big.extend(b"\r\n\r\n");
        let (answer, was_closed) = refused(&server, &big).await;
        assert!(
            answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
            "{answer}"
        );
        assert!(was_closed);

        // 8 KiB in total, not per line: many short headers are too large too.
        let mut many = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..200 {
            many.extend(format!("X-{i}: 1\r\n").bytes());
        }
        many.extend(b"\r\n");
        let (answer, was_closed) = refused(&server, &many).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
        assert!(was_closed);

        // A request line and headers that never end are cut at 8 KiB.
        let endless = [b"GET /".as_slice(), &[b'x'; 20_000]].concat();
        let (answer, was_closed) = refused(&server, &endless).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
        assert!(was_closed);

        for bad in [
            b"GET / HTTP/1.1\r\nbroken header\r\n\r\n".as_slice(),
            b"GET / HTTP/1.1\r\n\r\n",                  // no Host
            b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",       // no such version
            b"GET nowhere HTTP/1.1\r\nHost: x\r\n\r\n", // not a path
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
            b"GET \x00\x01 HTTP/1.1\r\n\r\n",
        ] {
            let (answer, was_closed) = refused(&server, bad).await;
            assert!(
                answer.starts_with("HTTP/1.1 400 Bad Request"),
                "{:?}: {answer}",
                String::from_utf8_lossy(bad)
            );
            assert!(was_closed);
        }
        // A second request with another method, on a kept-alive connection.
        let mut stream = server.connect().await;
        stream.write_all(get("/nope").as_bytes()).await.unwrap();
        response(&mut stream).await;
        stream
            .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        let (answer, _) = response(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
        assert!(answer.contains("Allow: GET, HEAD"));
        closed(&mut stream).await;

        let after = ask(&server, &get("/snapshot.json")).await;
        assert!(after.starts_with("HTTP/1.1 200"), "still serving: {after}");
        server.stop().await;
    });
}

/// Reads events from an event stream until one satisfies `want`.
async fn next_event(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    want: impl Fn(&str, &str) -> bool,
) -> (String, String) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = find(buffer, b"\n\n") {
            let event: Vec<u8> = buffer.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&event).into_owned();
            let name = text
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or("")
                .to_string();
            let data: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect();
            let data = data.join("\n");
            if want(&name, &data) {
                return (name, data);
            }
        }
        let mut chunk = vec![0u8; 65536];
        let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
            .await
            .expect("an event within 10 s")
            .unwrap();
        assert!(n > 0, "the stream ended");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Opens `/events` (with `cookie`, if any) and returns the stream and the
/// bytes after the response head.
async fn open_events(server: &Server, cookie: Option<&str>) -> (TcpStream, Vec<u8>) {
    let mut stream = server.connect().await;
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n{cookie}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let (bytes, _) = read_until(&mut stream, |b| find(b, b"\r\n\r\n").is_some()).await;
    let end = find(&bytes, b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/event-stream\r\n"));
    (stream, bytes[end..].to_vec())
}

/// The event stream says which connection is the viewer's, then sends the
/// whole snapshot, then after every accept and close only what changed:
/// the new row (on the server's port), or the ends of the row that went.
#[test]
fn the_event_stream_follows_accepts_and_closes() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let port = server.addr.port();
        let (mut events, mut buffer) = open_events(&server, None).await;
        let me = events.local_addr().unwrap();
        let (_, you) = next_event(&mut events, &mut buffer, |name, _| name == "you").await;
        let you: Value = serde_json::from_str(&you).unwrap();
        assert_eq!(you[0]["port"], me.port());
        assert_eq!(you[0]["addr"], "127.0.0.1");
        let (_, whole) = next_event(&mut events, &mut buffer, |name, _| name == "snapshot").await;
        let whole: Value = serde_json::from_str(&whole).unwrap();
        assert_eq!(whole["port"], port);
        assert_eq!(whole["sockets"][0]["role"], "listener");
        assert!(whole["verdict"]["outcome"].is_string());

        let mut echo = server.connect().await;
        let theirs = echo.local_addr().unwrap().port();
        assert_eq!(echo_of(&mut echo, b"x").await, b"x");
        let (_, change) = next_event(&mut events, &mut buffer, |name, data| {
            name == "change" && data.contains(&format!("\"remote_port\":{theirs}"))
        })
        .await;
        let change: Value = serde_json::from_str(&change).unwrap();
        let row = change["changed"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["remote_port"] == theirs)
            .unwrap();
        assert_eq!(row["local_port"], port, "the same port as everyone");
        assert_eq!(row["role"], "accepted");
        assert!(change["verdict"]["explanation"].is_string());

        drop(echo);
        let gone = |data: &str| {
            serde_json::from_str::<Value>(data).is_ok_and(|c| {
                c["gone"]
                    .as_array()
                    .is_some_and(|g| g.iter().any(|r| r["remote_port"] == theirs))
            })
        };
        let (_, change) = next_event(&mut events, &mut buffer, |name, data| {
            name == "change" && gone(data)
        })
        .await;
        assert!(change.contains(&format!("\"local_port\":{port}")));
        server.stop().await;
    });
}

/// A browser's other connections are "you" once they carry the page's
/// cookie; the page's own connection is tied when the cookie is made, and
/// a made-up cookie ties nothing.
#[test]
fn the_cookie_ties_a_browsers_connections() {
    rt().block_on(async {
        let server = Server::start(Setup::default()).await;
        let mut page = server.connect().await;
        page.write_all(get("/").as_bytes()).await.unwrap();
        let (answer, _) = response(&mut page).await;
        let cookie = answer
            .lines()
            .find_map(|l| l.strip_prefix("Set-Cookie: "))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let mut other = server.connect().await;
        other
            .write_all(
                format!("GET /nope HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
        response(&mut other).await;
        let (mut events, mut buffer) = open_events(&server, Some(&cookie)).await;
        let (_, you) = next_event(&mut events, &mut buffer, |name, _| name == "you").await;
        let you: Value = serde_json::from_str(&you).unwrap();
        let mut ports: Vec<u64> = you
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["port"].as_u64().unwrap())
            .collect();
        ports.sort();
        let mut expected: Vec<u64> = [&page, &other, &events]
            .iter()
            .map(|s| u64::from(s.local_addr().unwrap().port()))
            .collect();
        expected.sort();
        assert_eq!(ports, expected);
        // A connection that closes is no longer "you".
        drop(other);
        let (_, you) = next_event(&mut events, &mut buffer, |name, data| {
            name == "you"
                && serde_json::from_str::<Value>(data)
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .len()
                    == 2
        })
        .await;
        assert!(!you.is_empty());

        let (mut stranger, mut buffer) =
            open_events(&server, Some("sameport-viewer=1.0123456789abcdef")).await;
        let (_, you) = next_event(&mut stranger, &mut buffer, |name, _| name == "you").await;
        let you: Value = serde_json::from_str(&you).unwrap();
        assert_eq!(
            you.as_array().unwrap().len(),
            1,
            "only its own stream: {you}"
        );
        server.stop().await;
    });
}

/// More event streams than `--max-viewers` get 503; a seat freed is taken.
#[test]
fn viewers_beyond_the_limit_get_503() {
    rt().block_on(async {
        let server = Server::start(Setup {
            max_viewers: 2,
            ..Setup::default()
        })
        .await;
        let (first, _) = open_events(&server, None).await;
        let (_second, _) = open_events(&server, None).await;
        server.wait_for_viewers(2).await;
        let (answer, was_closed) = refused(&server, get("/events").as_bytes()).await;
        assert!(
            answer.starts_with("HTTP/1.1 503 Service Unavailable"),
            "{answer}"
        );
        assert!(answer.contains("Retry-After: 10"));
        assert!(was_closed);
        // The page itself is still served.
        assert!(ask(&server, &get("/")).await.starts_with("HTTP/1.1 200"));
        drop(first);
        server.wait_for_viewers(1).await;
        let (_third, _) = open_events(&server, None).await;
        server.wait_for_viewers(2).await;
        server.stop().await;
    });
}

/// A socket table that answers the real one plus `extra` made-up
/// connections, one of which changes at every read, so that every read is
/// a new snapshot of about `extra` rows.
struct Padded {
    extra: usize,
    reads: AtomicU64,
}

impl SocketTable for Padded {
    fn read(&self, query: &Query, attribution: &Attribution) -> Result<TableRead, TableError> {
        let mut read = Kernel.read(query, attribution)?;
        let n = self.reads.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.extra {
            let port = 10_000 + (i as u64 + n * 7) % 50_000;
            read.sockets.push(KernelSocket {
                proto: sameport::kernel::Proto::Tcp,
                ipv6: false,
                local: format!("127.0.0.1:{}", query.port).parse().unwrap(),
                remote: Some(format!("127.0.0.9:{port}").parse().unwrap()),
                state: SocketState::Established,
                recv_q: Some(0),
                send_q: Some(0),
                uid: Some(0),
                inode: Some(1_000_000 + i as u64),
                holders: vec![Holder {
                    pid: 1,
                    fd: Some(100 + i as i32),
                    process: Some("padding".into()),
                    user: Some("nobody".into()),
                    label: None,
                }],
            });
        }
        Ok(read)
    }
}

/// A viewer that stops reading is dropped once its queue is full, and never
/// holds up the snapshots, the other viewers or the echo.
#[test]
fn a_stalled_viewer_is_dropped_and_blocks_nobody() {
    rt().block_on(async {
        // 3,000 extra rows: every snapshot is about 1 MB, so a viewer that
        // does not read fills its socket buffers within a few snapshots.
        let server = Server::start(Setup {
            table: Arc::new(Padded {
                extra: 3000,
                reads: AtomicU64::new(0),
            }),
            ..Setup::default()
        })
        .await;
        // The stalled viewer asks for a small receive buffer and never reads.
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stalled = socket.connect(server.addr).await.unwrap();
        stalled.write_all(get("/events").as_bytes()).await.unwrap();
        let (mut reader, mut buffer) = open_events(&server, None).await;
        server.wait_for_viewers(2).await;
        let mut echo = server.connect().await;
        assert_eq!(echo_of(&mut echo, b"warm").await, b"warm");

        let mut slowest_echo = Duration::ZERO;
        let mut last_seq = 0u64;
        for round in 1..=40u64 {
            server.activity.send_replace(Activity {
                accepted: round,
                ..Activity::default()
            });
            let started = Instant::now();
            assert_eq!(echo_of(&mut echo, b"ping").await, b"ping");
            slowest_echo = slowest_echo.max(started.elapsed());
            // The reading viewer keeps up: it sees a newer snapshot each round.
            let (_, _) = next_event(&mut reader, &mut buffer, |name, _| {
                name == "snapshot" || name == "change"
            })
            .await;
            last_seq += 1;
            if server.web.hub().viewers() == 1 && round > 20 {
                break;
            }
        }
        assert_eq!(
            server.web.hub().viewers(),
            1,
            "the stalled viewer was dropped"
        );
        assert!(server.web.hub().dropped() >= 1);
        assert!(
            last_seq >= QUEUE_ROUNDS,
            "the reader saw {last_seq} snapshots"
        );
        assert!(
            slowest_echo < Duration::from_secs(1),
            "an echo took {slowest_echo:?} while a viewer stalled"
        );
        // The stalled viewer finds its stream ended when it reads at last.
        closed(&mut stalled).await;
        server.stop().await;
    });
}

/// Enough rounds to fill a queue.
const QUEUE_ROUNDS: u64 = sameport::web::events::QUEUE_FRAMES as u64;

/// The page carries no value from the socket table: every row arrives as
/// JSON and is written by the page's script as text.
#[test]
fn the_page_itself_has_no_values_from_the_table() {
    rt().block_on(async {
        let server = Server::start(Setup {
            table: Arc::new(crate::browser::Hostile),
            ..Setup::default()
        })
        .await;
        let page = ask(&server, &get("/")).await;
        assert!(!page.contains(crate::browser::HOSTILE_NAME));
        let json = ask(&server, &get("/snapshot.json")).await;
        let body = json.split("\r\n\r\n").nth(1).unwrap();
        let value: Value = serde_json::from_str(body).unwrap();
        assert_eq!(value["sockets"][0]["process"], crate::browser::HOSTILE_NAME);
        server.stop().await;
    });
}

/// `--no-web` is the textbook's echo server: a request line is echoed like
/// anything else. `--banner` also turns the page off, and says why.
#[test]
fn no_web_and_banner_echo_request_lines() {
    use std::io::{Read, Write};
    for flags in [&["--no-web"][..], &["--banner", "Welcome\n"][..]] {
        let (server, port) = crate::common::Running::serve_json(flags);
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let banner = if flags[0] == "--banner" {
            "Welcome\n"
        } else {
            ""
        };
        let request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        stream.write_all(request.as_bytes()).unwrap();
        let mut back = vec![0u8; banner.len() + request.len()];
        stream.read_exact(&mut back).unwrap();
        assert_eq!(
            String::from_utf8(back).unwrap(),
            format!("{banner}{request}")
        );
        drop(stream);
        let (status, stderr) = server.interrupt();
        assert!(status.success());
        assert!(!stderr.contains("live page to any browser"), "{stderr}");
        if flags[0] == "--banner" {
            assert!(stderr.contains("no live page with --banner"), "{stderr}");
        }
    }
}

/// `serve` says where the page is, with a QR code, and `--max-viewers 0`
/// is refused as a usage error.
#[test]
fn serve_announces_the_page() {
    let (server, port) = crate::common::Running::serve_json(&[]);
    let (_, stderr) = server.interrupt();
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{port}/   (this machine)")),
        "{stderr}"
    );
    assert!(stderr.contains("scan to open http://"), "{stderr}");
    assert!(
        stderr.contains('▀') || stderr.contains('▄'),
        "the QR code: {stderr}"
    );
    let usage = crate::common::sameport()
        .args(["serve", "--max-viewers", "0"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
