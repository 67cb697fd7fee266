//! A server with its live page, run in this process on a free loopback port,
//! and a raw HTTP client that shows the bytes as they come.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sameport::claim::Look;
use sameport::commands::feed::Feed;
use sameport::kernel::{Attribution, Kernel, OwnSockets, PortSide, Proto, Query, SocketTable};
use sameport::net::activity::Activity;
use sameport::net::tcp_server::{self, Config, Hooks, Summary};
use sameport::output::Output;
use sameport::view::labels::Labels;
use sameport::view::{Format, ViewKind};
use sameport::web::{Source, Web, Where};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

/// How the test server is set up.
pub struct Setup {
    /// The socket table the page reads (the kernel's, unless a test says).
    pub table: Arc<dyn SocketTable>,
    pub max_viewers: usize,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            table: Arc::new(Kernel),
            max_viewers: 64,
        }
    }
}

/// The echo server with its page, on 127.0.0.1 and a free port.
pub struct Server {
    pub addr: SocketAddr,
    pub web: Web,
    /// Publishes "something was accepted": tests use it to make the feed read.
    pub activity: watch::Sender<Activity>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Summary>>,
}

impl Server {
    pub async fn start(setup: Setup) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let own = OwnSockets::new();
        let registration = own.register(&listener, "server");
        let look = Look::new(
            Query {
                proto: Proto::Tcp,
                port: addr.port(),
                side: PortSide::Local,
            },
            Attribution::Own(own.clone()),
        );
        let output = Arc::new(Output::new(
            Format::Json,
            ViewKind::Netstat,
            50,
            Labels::plain(),
        ));
        let place = Where {
            port: addr.port(),
            url: Some(format!("http://{addr}/")),
            host: Some(addr.ip().to_string()),
        };
        let web = Web::new(
            Source {
                table: setup.table.clone(),
                look: look.clone(),
            },
            output,
            &place,
            setup.max_viewers,
        );
        let (activity, activity_rx) = watch::channel(Activity::default());
        let feed = Feed {
            table: setup.table,
            look,
            own: own.clone(),
            udp_clients: None,
        };
        let (latest, _feed) = feed.start(activity_rx.clone());
        tokio::spawn(web.clone().follow(latest));
        let (stop, stopped) = oneshot::channel::<()>();
        let config = Config {
            web: Some(web.clone()),
            ..Config::default()
        };
        let hooks = Hooks {
            own,
            activity: Some(activity.clone()),
        };
        let task = tokio::spawn(async move {
            let summary = tcp_server::run(listener, stopped, config, hooks).await;
            drop(registration);
            summary
        });
        Server {
            addr,
            web,
            activity,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        stream
    }

    /// Waits until `n` event streams are open (at most 5 s).
    pub async fn wait_for_viewers(&self, n: usize) {
        for _ in 0..500 {
            if self.web.hub().viewers() == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{} viewers, not {n}", self.web.hub().viewers());
    }

    pub async fn stop(mut self) -> Summary {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task.take().unwrap())
            .await
            .expect("stops")
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Reads until `want` says the bytes so far are enough, or the peer closes,
/// or 5 s pass. Returns what came and whether the peer closed.
pub async fn read_until(stream: &mut TcpStream, want: impl Fn(&[u8]) -> bool) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if want(&got) {
            return (got, false);
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (got, true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "nothing more within 5 s; so far: {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
}

/// One whole response (head and Content-Length body), as text.
pub async fn response(stream: &mut TcpStream) -> (String, bool) {
    let (bytes, closed) = read_until(stream, |b| whole_response(b).is_some()).await;
    let length = whole_response(&bytes).unwrap_or(bytes.len());
    (
        String::from_utf8_lossy(&bytes[..length]).into_owned(),
        closed,
    )
}

/// The length of the first whole response in `bytes`, if one is there.
pub fn whole_response(bytes: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(bytes);
    let end = text.find("\r\n\r\n")? + 4;
    let length = text[..end]
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (bytes.len() >= end + length).then_some(end + length)
}

/// The head of a response to HEAD (which has no body, whatever its
/// Content-Length says).
pub async fn head_response(stream: &mut TcpStream) -> String {
    let (bytes, _) = read_until(stream, |b| b.windows(4).any(|w| w == b"\r\n\r\n")).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Sends `request` on a new connection and returns the response.
pub async fn ask(server: &Server, request: &str) -> String {
    let mut stream = server.connect().await;
    stream.write_all(request.as_bytes()).await.unwrap();
    response(&mut stream).await.0
}

/// `GET path` with a Host header, as a browser would send it.
pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

/// Waits until the peer closes (EOF or reset), reading and dropping bytes;
/// panics after 5 s.
pub async fn closed(stream: &mut TcpStream) {
    let _ = read_until(stream, |_| false).await;
}

/// A blocking client connected from `source` (127.0.0.2 ...) that has had
/// "hello" echoed, held open by the caller.
pub fn echo_client(source: &str, port: u16) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let from: SocketAddr = format!("{source}:0").parse().unwrap();
    socket.bind(&from.into()).unwrap();
    let to: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(5))
        .unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"hello\n").unwrap();
    let mut back = [0u8; 6];
    stream.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello\n");
    stream
}
