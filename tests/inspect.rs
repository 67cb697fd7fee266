//! `inspect` against servers it did not start, on the real socket table:
//! both ends of the port with their roles, UDP servers and their clients,
//! and a server with an IPv4 and an IPv6 listener on one port.

mod common;

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::Output;
use std::time::{Duration, Instant};

use common::{Running, sameport};
use serde_json::Value;

/// `sameport inspect ARGS --format json`: the exit code and the one JSON object.
fn inspect_json(args: &[&str]) -> (Option<i32>, Value) {
    let out = sameport()
        .arg("inspect")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run inspect");
    (out.status.code(), json_of(&out))
}

fn json_of(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn roles(value: &Value) -> Vec<String> {
    value["sockets"]
        .as_array()
        .expect("sockets")
        .iter()
        .map(|s| s["role"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// A socket's `local` or `remote` end from its JSON fields.
fn end(socket: &Value, side: &str) -> Option<SocketAddr> {
    let ip: std::net::IpAddr = socket[format!("{side}_addr")].as_str()?.parse().ok()?;
    let port = socket[format!("{side}_port")].as_u64()?;
    Some(SocketAddr::new(ip, u16::try_from(port).ok()?))
}

/// Runs `inspect ARGS --format json` until `done` says the answer is in, for
/// at most 10 s (the server may still be accepting), and returns the last.
fn inspect_until(
    args: &[&str],
    done: impl Fn(Option<i32>, &Value) -> bool,
) -> (Option<i32>, Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, value) = inspect_json(args);
        if done(code, &value) || Instant::now() > deadline {
            return (code, value);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Two TCP clients of this host, from 127.0.0.2 and 127.0.0.3.
fn tcp_clients(port: u16) -> Vec<TcpStream> {
    ["127.0.0.2", "127.0.0.3"]
        .iter()
        .map(|ip| {
            let socket =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            let from: SocketAddr = format!("{ip}:0").parse().unwrap();
            let to: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            socket.bind(&from.into()).unwrap();
            socket.connect(&to.into()).unwrap();
            socket.into()
        })
        .collect()
}

/// `inspect` reads both ends by default, as `netstat -tanp | grep :P` does:
/// the listener and the accepted sockets (local port P), and the clients'
/// own sockets on this host (remote port P), each with its role. The client
/// rows are the mirror image: each one's two ends are an accepted socket's
/// ends swapped. `--side server` and `--side client` give one end each.
#[test]
fn inspect_shows_both_sides_with_their_roles() {
    let (server, port) = Running::serve_json(&[]);
    let clients = tcp_clients(port);
    let port_text = port.to_string();
    let (code, both) = inspect_until(&["--port", &port_text], |code, _| code == Some(0));
    assert_eq!(code, Some(0), "{both:#}");
    assert_eq!(
        roles(&both),
        ["listener", "accepted", "accepted", "client", "client"],
        "{both:#}"
    );
    let sockets = both["sockets"].as_array().unwrap();
    let pairs = |role: &str| -> Vec<(SocketAddr, SocketAddr)> {
        let mut pairs: Vec<_> = sockets
            .iter()
            .filter(|s| s["role"] == role)
            .map(|s| (end(s, "local").unwrap(), end(s, "remote").unwrap()))
            .collect();
        pairs.sort();
        pairs
    };
    let mut mirrored: Vec<_> = pairs("accepted").into_iter().map(|(l, r)| (r, l)).collect();
    mirrored.sort();
    assert_eq!(
        pairs("client"),
        mirrored,
        "the client rows mirror the accepted ones"
    );
    let ours = std::process::id();
    for client in sockets.iter().filter(|s| s["role"] == "client") {
        assert_eq!(client["pid"], ours, "the clients are this test's sockets");
    }
    let mut locals: Vec<SocketAddr> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
    locals.sort();
    let client_ends: Vec<SocketAddr> = pairs("client").into_iter().map(|(l, _)| l).collect();
    assert_eq!(client_ends, locals);

    let (code, server_side) = inspect_json(&["--port", &port_text, "--side", "server"]);
    assert_eq!(code, Some(0));
    assert_eq!(roles(&server_side), ["listener", "accepted", "accepted"]);
    // Only the clients' rows are shown, but the verdict still judges both
    // sides: the server is there, so it holds (exit 0), as with --side both.
    let (code, client_side) = inspect_json(&["--port", &port_text, "--side", "client"]);
    assert_eq!(
        code,
        Some(0),
        "the verdict judges both sides: {client_side:#}"
    );
    assert_eq!(client_side["verdict"]["outcome"], "holds");
    assert_eq!(client_side["verdict"], both["verdict"]);
    assert_eq!(roles(&client_side), ["client", "client"]);
    let text = sameport()
        .args(["inspect", "--port", &port_text, "--side", "client"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("HOLDS"), "{text}");
    assert!(!text.contains("No socket is listening"), "{text}");
    assert!(
        text.contains("--side client shows only the clients' sockets"),
        "{text}"
    );

    // The table format names the two sides and says what the clients show.
    let text = sameport()
        .args(["inspect", "--port", &port_text, "--view", "netstat"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    let server_at = text.find("The server's side").expect(&text);
    let clients_at = text.find("The clients' side").expect(&text);
    assert!(server_at < clients_at, "{text}");
    assert!(
        text.contains("the mirror image of the server's accepted sockets"),
        "{text}"
    );
    drop(clients);
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// A UDP server nobody here wrote (a plain std socket, like a Python
/// server), and two clients on this host that called connect() and sent a
/// datagram: their own sockets (remote port P) are the clients the table can
/// show, so `inspect --proto udp` says HOLDS. Clients that use sendto()
/// without connect() leave no row: not enough evidence, and the verdict
/// says precisely what the table can and cannot show.
#[test]
fn inspect_udp_sees_the_clients_of_this_host() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let port_text = port.to_string();
    let mut connected = Vec::new();
    for ip in ["127.0.0.2", "127.0.0.3"] {
        let client = UdpSocket::bind(format!("{ip}:0")).unwrap();
        client.connect(("127.0.0.1", port)).unwrap();
        client.send(b"hello").unwrap();
        connected.push(client);
    }
    let mut buf = [0u8; 16];
    let mut heard = Vec::new();
    for _ in 0..2 {
        let (n, from) = server.recv_from(&mut buf).expect("a datagram");
        assert_eq!(&buf[..n], b"hello");
        heard.push(from);
    }
    let (code, value) = inspect_json(&["--port", &port_text, "--proto", "udp"]);
    assert_eq!(code, Some(0), "{value:#}");
    assert_eq!(value["verdict"]["outcome"], "holds");
    assert_eq!(value["verdict"]["accepted"], 2);
    assert_eq!(roles(&value), ["server", "client", "client"]);
    // --side client shows the two client rows, and the same verdict.
    let (code, clients_only) =
        inspect_json(&["--port", &port_text, "--proto", "udp", "--side", "client"]);
    assert_eq!(code, Some(0), "{clients_only:#}");
    assert_eq!(clients_only["verdict"], value["verdict"]);
    assert_eq!(roles(&clients_only), ["client", "client"]);
    let mut seen: Vec<SocketAddr> = value["sockets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == "client")
        .map(|s| end(s, "local").unwrap())
        .collect();
    seen.sort();
    heard.sort();
    assert_eq!(
        seen, heard,
        "the client rows are the senders the server heard"
    );

    // The same clients without connect(): sendto() leaves no remote end.
    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let unconnected: Vec<UdpSocket> = ["127.0.0.2", "127.0.0.3"]
        .iter()
        .map(|ip| {
            let client = UdpSocket::bind(format!("{ip}:0")).unwrap();
            client.send_to(b"hello", ("127.0.0.1", other_port)).unwrap();
            client
        })
        .collect();
    let (code, value) = inspect_json(&["--port", &other_port.to_string(), "--proto", "udp"]);
    assert_eq!(code, Some(3), "{value:#}");
    assert_eq!(roles(&value), ["server"]);
    let explanation = value["verdict"]["explanation"].as_str().unwrap();
    for part in [
        "0 clients of UDP port",
        "no socket per client",
        "sendto()",
        "other hosts",
    ] {
        assert!(explanation.contains(part), "{part}: {explanation}");
    }
    drop(unconnected);
}

/// sameport's own UDP server and four `sameport connect --proto udp`
/// clients in another process: `inspect --proto udp` sees the four client
/// sockets and one server socket, and says HOLDS.
#[test]
fn inspect_udp_holds_against_sameports_own_server() {
    let (server, port) = Running::serve_json(&["--proto", "udp"]);
    let target = format!("127.0.0.1:{port}");
    let clients = Running::spawn(&[
        "connect",
        &target,
        "--proto",
        "udp",
        "--count",
        "4",
        "--from",
        "127.0.0.2,127.0.0.3",
        "--message",
        "hello",
        "--hold",
        "20",
    ]);
    let port_text = port.to_string();
    let (code, value) = inspect_until(&["--port", &port_text, "--proto", "udp"], |code, _| {
        code == Some(0)
    });
    assert_eq!(code, Some(0), "{value:#}");
    assert_eq!(value["verdict"]["accepted"], 4);
    assert_eq!(
        roles(&value),
        ["server", "client", "client", "client", "client"]
    );
    let client_pid = clients.child.id();
    for socket in value["sockets"].as_array().unwrap() {
        let pid = if socket["role"] == "client" {
            client_pid
        } else {
            server.child.id()
        };
        assert_eq!(socket["pid"], pid, "{socket}");
    }
    drop(clients);
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// nginx and redis listen on `0.0.0.0:P` and on `[::]:P` (IPV6_V6ONLY): two
/// listening sockets on one port. The Mermaid picture of the real table has
/// a node for each, with ids of their own (Mermaid merges equal ids).
#[test]
fn mermaid_draws_both_listeners_of_a_dual_listener_server() {
    use socket2::{Domain, Socket, Type};
    let mut pair = None;
    for _ in 0..20 {
        let v4 = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let port = v4.local_addr().unwrap().port();
        let v6 = Socket::new(Domain::IPV6, Type::STREAM, None).unwrap();
        v6.set_only_v6(true).unwrap();
        let addr: SocketAddr = format!("[::]:{port}").parse().unwrap();
        if v6.bind(&addr.into()).is_ok() && v6.listen(16).is_ok() {
            pair = Some((v4, v6, port));
            break;
        }
    }
    let (_v4, _v6, port) = pair.expect("a port free on IPv4 and IPv6");
    let out = sameport()
        .args([
            "inspect",
            "--port",
            &port.to_string(),
            "--format",
            "mermaid",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("l1[\"listening socket<br/>[::]:{port} LISTEN\"]")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "l2[\"listening socket<br/>0.0.0.0:{port} LISTEN\"]"
        )),
        "{text}"
    );
    let ids: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("subgraph") && !l.contains("->"))
        .filter_map(|l| l.find(['[', '(']).map(|at| &l[..at]))
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "each node id once: {ids:?}");
}

/// A side that does not exist: one line on stderr naming it, exit 2.
#[test]
fn an_unknown_side_is_one_clear_line() {
    let out = sameport()
        .args(["inspect", "--side", "north"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("'north'") && stderr.contains("--side"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
