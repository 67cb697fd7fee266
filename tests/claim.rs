//! The claim, checked on the real kernel: a server on one port, clients from
//! three different addresses, and the kernel's own socket table.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use sameport::claim::snapshot::{Role, Snapshot};
use sameport::claim::verdict::{self, Outcome};
use sameport::kernel::SocketState;
use sameport::kernel::{self, Attribution, OwnSockets, PortSide, Proto, Query};
use sameport::net::bind;
use sameport::net::client::{self, Conn};
use sameport::net::tcp_server::{self, Config, Hooks};

/// A dual-stack echo server on a free port, run in this process.
struct TestServer {
    port: u16,
    own: OwnSockets,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<tcp_server::Summary>,
}

async fn start_server() -> TestServer {
    let listener = bind::tcp_listener("[::]:0".parse().unwrap()).expect("bind");
    let port = listener.local_addr().unwrap().port();
    let own = OwnSockets::new();
    let registration = own.register(&listener, "server");
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let hooks = Hooks {
        own: own.clone(),
        activity: None,
    };
    let task = tokio::spawn(async move {
        let summary = tcp_server::run(listener, stopped, Config::default(), hooks).await;
        drop(registration);
        summary
    });
    TestServer {
        port,
        own,
        stop,
        task,
    }
}

async fn clients_from(port: u16, sources: &[&str]) -> Vec<(Conn, SocketAddr)> {
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut clients = Vec::new();
    for source in sources {
        let source: SocketAddr = format!("{source}:0").parse().unwrap();
        let stream = client::open_tcp(target, Some(source))
            .await
            .expect("connect");
        let local = stream.local_addr().unwrap();
        clients.push((Conn::Tcp(stream), local));
    }
    clients
}

fn server_side(port: u16, own: &OwnSockets) -> Snapshot {
    let query = Query {
        proto: Proto::Tcp,
        port,
        side: PortSide::Local,
    };
    let read = kernel::read(&query, &Attribution::Own(own.clone())).expect("read table");
    Snapshot::new(port, Proto::Tcp, read.sockets, read.notes)
}

/// The textbook's experiment: three client hosts (here 127.0.0.2, .3 and .4,
/// all this machine on Linux) connect to one server port. The kernel shows one
/// listener and three accepted sockets, all with the listener's local port,
/// told apart by their remote ends; the verdict holds. The dual-stack
/// listener's IPv4 clients appear as plain IPv4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_share_the_listening_port() {
    let server = start_server().await;
    let clients = clients_from(server.port, &["127.0.0.2", "127.0.0.3", "127.0.0.4"]).await;
    for (conn, _) in &clients {
        assert_eq!(client::exchange(conn, b"hello").await.unwrap(), b"hello");
    }

    let snapshot = server_side(server.port, &server.own);
    let verdict = verdict::judge(&snapshot);
    assert_eq!(verdict.outcome, Outcome::Holds, "{snapshot:#?}");
    assert_eq!(verdict.accepted, 3);
    assert_eq!(verdict.distinct_remotes, 3);

    let listeners: Vec<_> = snapshot.with_role(Role::Listener).collect();
    assert_eq!(listeners.len(), 1);
    assert_eq!(listeners[0].socket.local.port(), server.port);

    let accepted: Vec<_> = snapshot.with_role(Role::Accepted).collect();
    assert_eq!(accepted.len(), 3);
    let pid = std::process::id();
    for row in &accepted {
        assert_eq!(
            row.socket.local.port(),
            server.port,
            "every accepted socket has the listening port"
        );
        assert_eq!(
            row.socket.local.to_string(),
            format!("127.0.0.1:{}", server.port),
            "IPv4, not ::ffff:"
        );
        assert_eq!(row.socket.holders.len(), 1);
        assert_eq!(row.socket.holders[0].pid, pid);
        assert!(row.socket.inode.is_some());
    }
    let remotes: BTreeSet<SocketAddr> = accepted.iter().filter_map(|r| r.socket.remote).collect();
    let expected: BTreeSet<SocketAddr> = clients.iter().map(|&(_, local)| local).collect();
    assert_eq!(
        remotes, expected,
        "the remote ends are exactly the clients' local ends"
    );

    if common::have_ss() {
        assert_eq!(
            ss_remote_ends(server.port),
            expected,
            "ss sees the same connections"
        );
    } else {
        eprintln!("skipped the comparison with ss: ss (iproute2) is not installed");
    }
    drop(clients);
    let _ = server.stop.send(());
    let summary = server.task.await.unwrap();
    assert_eq!(summary.accepted, 3);
}

/// The client side is the mirror image: each client socket has its own local
/// port and the server's port as its remote port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_sockets_are_the_mirror_image() {
    let server = start_server().await;
    let own = OwnSockets::new();
    let clients = clients_from(server.port, &["127.0.0.2", "127.0.0.3"]).await;
    let _registrations: Vec<_> = clients
        .iter()
        .map(|(conn, _)| match conn {
            Conn::Tcp(s) => own.register(s, "client"),
            Conn::Udp(s) => own.register(s, "client"),
        })
        .collect();
    let snapshot = sameport::commands::connect::client_snapshot(Proto::Tcp, server.port, &own)
        .await
        .unwrap();
    let rows: Vec<_> = snapshot.with_role(Role::Client).collect();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row.socket.remote.unwrap().port(), server.port);
        assert_ne!(row.socket.local.port(), server.port);
        assert_eq!(row.socket.state, SocketState::Established);
    }
    let _ = server.stop.send(());
}

/// The fast Linux path (sock_diag + /proc) and the portable path (netstat2)
/// read the same sockets from the kernel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_and_portable_paths_agree() {
    let server = start_server().await;
    let _clients = clients_from(server.port, &["127.0.0.2", "127.0.0.3", "127.0.0.4"]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    for side in [PortSide::Local, PortSide::Remote, PortSide::Either] {
        let query = Query {
            proto: Proto::Tcp,
            port: server.port,
            side,
        };
        let own = Attribution::Own(server.own.clone());
        let fast = kernel::read(&query, &own).unwrap();
        let portable = kernel::read_portable(&query, &own).unwrap();
        let key =
            |s: &kernel::KernelSocket| (s.local, s.remote, s.state, s.inode, s.holders.clone());
        let fast: Vec<_> = fast.sockets.iter().map(key).collect();
        let portable: Vec<_> = portable.sockets.iter().map(key).collect();
        assert_eq!(fast, portable, "side {side:?}");
        assert!(!fast.is_empty());
    }
    let _ = server.stop.send(());
}

/// With the source port fixed, a second socket cannot take a 4-tuple that
/// already exists: the kernel refuses the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_four_tuple_exists_only_once() {
    let server = start_server().await;
    let target: SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let source_port = common::free_port();
    let source: SocketAddr = format!("127.0.0.3:{source_port}").parse().unwrap();
    let _first = client::open_tcp(target, Some(source))
        .await
        .expect("first connection");
    let second = client::open_tcp(target, Some(source)).await;
    let error = second.expect_err("the same 4-tuple twice").to_string();
    assert!(error.contains("4-tuple"), "{error}");
    // The same source port from another address is a different 4-tuple.
    let other: SocketAddr = format!("127.0.0.2:{source_port}").parse().unwrap();
    client::open_tcp(target, Some(other))
        .await
        .expect("different source IP");
    let _ = server.stop.send(());
}

/// Searching /proc (as `inspect` does) attributes sockets held by another
/// process: here a child `sameport serve`.
#[test]
fn search_finds_the_holder_in_another_process() {
    let port = common::free_port();
    let server =
        common::Running::spawn(&["serve", "--port", &port.to_string(), "--format", "json"]);
    server
        .wait_for(Duration::from_secs(10), |l| l.contains("\"listening\""))
        .expect("server started");
    let query = Query {
        proto: Proto::Tcp,
        port,
        side: PortSide::Local,
    };
    let read = kernel::read(&query, &Attribution::Search).unwrap();
    let listener = read
        .sockets
        .iter()
        .find(|s| s.state == SocketState::Listen)
        .expect("listener");
    assert_eq!(listener.holders.len(), 1, "{read:?}");
    assert_eq!(listener.holders[0].pid, server.child.id());
    assert_eq!(listener.holders[0].process.as_deref(), Some("sameport"));
    assert!(listener.holders[0].fd.is_some());
}

/// The remote ends of the established sockets on `port`, as ss lists them.
fn ss_remote_ends(port: u16) -> BTreeSet<SocketAddr> {
    let out = std::process::Command::new("ss")
        .args(["-Htn", "state", "established", &format!("sport = :{port}")])
        .output()
        .expect("run ss");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .map(|peer| peer.replace("[::ffff:", "").replace(']', ""))
        .filter_map(|peer| peer.parse().ok())
        .collect()
}

/// UDP: one socket bound to the port serves three clients from three
/// addresses; the table shows exactly one server socket on the port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_udp_socket_serves_every_client() {
    use sameport::net::udp_server::{self, Clients};
    let socket = bind::udp_socket("[::]:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let own = OwnSockets::new();
    let _registration = own.register(&socket, "server");
    let socket = tokio::net::UdpSocket::from_std(socket).unwrap();
    let clients = Clients::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(udp_server::run(socket, stopped, clients.clone(), None));

    let options = client::ConnectOptions {
        target: format!("127.0.0.1:{port}").parse().unwrap(),
        proto: Proto::Udp,
        count: 3,
        from: vec![
            "127.0.0.2".parse().unwrap(),
            "127.0.0.3".parse().unwrap(),
            "127.0.0.4".parse().unwrap(),
        ],
        source_port: None,
        message: None,
        hold: None,
    };
    let client_sockets = OwnSockets::new();
    let udp_clients = client::open_clients(&options, &client_sockets)
        .await
        .unwrap();
    for c in &udp_clients {
        assert_eq!(client::exchange(&c.conn, b"hello").await.unwrap(), b"hello");
    }

    let query = Query {
        proto: Proto::Udp,
        port,
        side: PortSide::Either,
    };
    let read = kernel::read(&query, &Attribution::Own(own.clone())).unwrap();
    let snapshot =
        Snapshot::new(port, Proto::Udp, read.sockets, read.notes).with_peers(Some(clients.list()));
    let servers: Vec<_> = snapshot.with_role(Role::Server).collect();
    assert_eq!(
        servers.len(),
        1,
        "exactly one server socket on the port: {snapshot:#?}"
    );
    assert_eq!(
        snapshot.with_role(Role::Client).count(),
        3,
        "the clients' connected sockets"
    );
    let verdict = verdict::judge(&snapshot);
    assert_eq!(verdict.outcome, Outcome::Holds, "{verdict:?}");
    assert_eq!(verdict.accepted, 3);
    let peers: BTreeSet<SocketAddr> = clients.list().into_iter().collect();
    let locals: BTreeSet<SocketAddr> = udp_clients.iter().map(|c| c.local).collect();
    assert_eq!(peers, locals);
    let _ = stop.send(());
    let summary = task.await.unwrap();
    assert_eq!(summary.clients, 3);
    assert_eq!(summary.datagrams, 3);
}
