//! The echo server, driven on a real loopback socket (port 0): every byte comes
//! back, in order, whatever it is; half-close, banner, limits and shutdown.

use std::time::Duration;

use rand::RngExt;
use sameport::net::activity::Activity;
use sameport::net::tcp_server::{self, Config, Hooks, Summary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Echo {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Summary>,
}

impl Echo {
    async fn start(config: Config) -> Echo {
        Echo::start_with(config, Hooks::default()).await
    }

    async fn start_with(config: Config, hooks: Hooks) -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(tcp_server::run(listener, stopped, config, hooks));
        Echo { addr, stop, task }
    }

    async fn stop(self) -> Summary {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("stops")
            .unwrap()
    }
}

/// Sends `data` and reads back exactly as many bytes, reading while sending
/// (a client that only writes would stall against the server's backpressure).
async fn round_trip(stream: TcpStream, data: Vec<u8>) -> Vec<u8> {
    let (mut rd, mut wr) = stream.into_split();
    let len = data.len();
    let writer = tokio::spawn(async move {
        wr.write_all(&data).await.unwrap();
        wr
    });
    let mut back = vec![0u8; len];
    tokio::time::timeout(Duration::from_secs(20), rd.read_exact(&mut back))
        .await
        .expect("echo in time")
        .unwrap();
    drop(writer.await.unwrap());
    back
}

/// 1 MiB of random bytes (all 256 values, invalid UTF-8 everywhere) comes back
/// byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mebibyte_of_random_bytes_is_echoed_exactly() {
    let echo = Echo::start(Config::default()).await;
    let mut data = vec![0u8; 1 << 20];
    rand::rng().fill(&mut data[..]);
    let stream = TcpStream::connect(echo.addr).await.unwrap();
    let back = round_trip(stream, data.clone()).await;
    assert!(back == data, "echo differs from what was sent");
    let summary = echo.stop().await;
    assert_eq!(summary.bytes_echoed, 1 << 20);
}

/// A 2,049-byte message whose 3-byte UTF-8 character is cut in two between
/// two writes (and so between two reads on the server) comes back intact.
/// The first half is echoed before the second is sent, which proves the
/// server really read (and echoed) a piece that ends inside the character.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_character_split_across_reads_is_echoed_intact() {
    let echo = Echo::start(Config::default()).await;
    let mut message = "a".repeat(1023).into_bytes();
    message.extend("€".as_bytes()); // 3 bytes: E2 82 AC
    message.extend("b".repeat(2049 - 1026).into_bytes());
    assert_eq!(message.len(), 2049);
    let mut stream = TcpStream::connect(echo.addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    stream.write_all(&message[..1024]).await.unwrap(); // ends inside the €
    let mut first = vec![0u8; 1024];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut first))
        .await
        .expect("the first piece echoed on its own")
        .unwrap();
    assert!(
        std::str::from_utf8(&first).is_err(),
        "the first piece must end inside the character"
    );
    stream.write_all(&message[1024..]).await.unwrap();
    let mut rest = vec![0u8; message.len() - 1024];
    stream.read_exact(&mut rest).await.unwrap();
    let back = [first, rest].concat();
    assert_eq!(back, message);
    assert_eq!(
        std::str::from_utf8(&back).unwrap(),
        std::str::from_utf8(&message).unwrap()
    );
    echo.stop().await;
}

/// Half-close: the client shuts its sending side; the server echoes what it
/// read, then closes its side, so the client reads everything and then EOF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_gets_the_rest_then_eof() {
    let echo = Echo::start(Config::default()).await;
    let mut stream = TcpStream::connect(echo.addr).await.unwrap();
    stream.write_all(b"last words").await.unwrap();
    stream.shutdown().await.unwrap();
    let mut back = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut back))
        .await
        .expect("EOF in time")
        .unwrap();
    assert_eq!(back, b"last words");
    echo.stop().await;
}

/// The banner is sent on accept, before any echo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_comes_first() {
    let config = Config {
        banner: Some(b"Welcome to the Server\n".to_vec()),
        ..Config::default()
    };
    let echo = Echo::start(config).await;
    let mut stream = TcpStream::connect(echo.addr).await.unwrap();
    let mut banner = vec![0u8; 22];
    stream.read_exact(&mut banner).await.unwrap();
    assert_eq!(banner, b"Welcome to the Server\n");
    stream.write_all(b"hi").await.unwrap();
    let mut back = [0u8; 2];
    stream.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"hi");
    echo.stop().await;
}

/// A client that connects and sends nothing costs nothing and blocks no one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_does_not_block_others() {
    let echo = Echo::start(Config::default()).await;
    let _silent = TcpStream::connect(echo.addr).await.unwrap();
    let stream = TcpStream::connect(echo.addr).await.unwrap();
    assert_eq!(round_trip(stream, b"ping".to_vec()).await, b"ping");
    echo.stop().await;
}

/// Beyond --max-clients, a connection is told why in one line and closed at
/// once (a FIN, not a reset, even though it sent bytes first); the others
/// go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_closed_at_once() {
    let echo = Echo::start(Config {
        max_clients: 2,
        ..Config::default()
    })
    .await;
    let first = TcpStream::connect(echo.addr).await.unwrap();
    let second = TcpStream::connect(echo.addr).await.unwrap();
    // Make sure both are accepted before the third arrives.
    let first = {
        let mut s = first;
        s.write_all(b"1").await.unwrap();
        let mut b = [0u8; 1];
        s.read_exact(&mut b).await.unwrap();
        s
    };
    let mut third = TcpStream::connect(echo.addr).await.unwrap();
    third.write_all(b"let me in").await.unwrap();
    let mut said = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut said))
        .await
        .expect("closed in time")
        .expect("closed with a FIN, not a reset");
    assert_eq!(
        String::from_utf8_lossy(&said),
        tcp_server::refusal_line(2),
        "the third connection is told why, then closed"
    );
    assert!(tcp_server::refusal_line(2).contains("refused"));
    assert_eq!(round_trip(second, b"two".to_vec()).await, b"two");
    assert_eq!(round_trip(first, b"one".to_vec()).await, b"one");
    let summary = echo.stop().await;
    assert_eq!(summary.refused, 1);
}

/// --idle-timeout closes a connection that sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed() {
    let config = Config {
        idle_timeout: Some(Duration::from_millis(300)),
        ..Config::default()
    };
    let echo = Echo::start(config).await;
    let mut stream = TcpStream::connect(echo.addr).await.unwrap();
    let mut buf = [0u8; 1];
    let started = std::time::Instant::now();
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)));
    assert!(started.elapsed() >= Duration::from_millis(250));
    echo.stop().await;
}

/// Shutdown closes every open connection and reports what was served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_open_connections() {
    let echo = Echo::start(Config::default()).await;
    let mut open = TcpStream::connect(echo.addr).await.unwrap();
    open.write_all(b"x").await.unwrap();
    let mut b = [0u8; 1];
    open.read_exact(&mut b).await.unwrap();
    let summary = echo.stop().await;
    assert_eq!(summary.accepted, 1);
    assert_eq!(summary.open_at_shutdown, 1);
    let n = tokio::time::timeout(Duration::from_secs(5), open.read(&mut b))
        .await
        .expect("closed");
    assert!(matches!(n, Ok(0) | Err(_)));
}

/// Every connection that ends is published as a departure (how many so far,
/// and who left last), so `serve` can say so; the connections the server
/// closes when it stops are not departures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn departures_are_published() {
    let (tx, mut activity) = tokio::sync::watch::channel(Activity::default());
    let hooks = Hooks {
        activity: Some(tx),
        ..Hooks::default()
    };
    let echo = Echo::start_with(Config::default(), hooks).await;
    let leaving = TcpStream::connect(echo.addr).await.unwrap();
    let leaving_end = leaving.local_addr().unwrap();
    let staying = TcpStream::connect(echo.addr).await.unwrap();
    let leaving = round_trip(leaving, b"bye".to_vec()).await;
    assert_eq!(leaving, b"bye");
    let departed = tokio::time::timeout(
        Duration::from_secs(5),
        activity.wait_for(|a| a.departed == 1),
    )
    .await
    .expect("the departure is published")
    .unwrap()
    .clone();
    assert_eq!(departed.accepted, 2);
    assert_eq!(departed.last_departed, Some(leaving_end));
    echo.stop().await;
    assert_eq!(activity.borrow().departed, 1, "shutdown is not a departure");
    drop(staying);
}
