//! The Mermaid view: the claim as a picture that renders on GitHub.
//!
//! TCP: every client's arrow goes to the **one** port, and from there to a
//! socket of its own, named by its 4-tuple (plus the listening socket that
//! accepted them):
//!
//! ```text
//! client 127.0.0.2:50426 --> (port 12000) --> socket (127.0.0.2:50426 -> 127.0.0.1:12000)
//! client 127.0.0.3:50427 --> (port 12000) --> socket (127.0.0.3:50427 -> 127.0.0.1:12000)
//! ```
//!
//! UDP: every arrow goes to the one port and on to the **same** socket.
//!
//! The output is a fenced ```` ```mermaid ```` block, ready to paste into
//! Markdown. Long tables are cut to their first clients and a "... N more" node.
//!
//! Every node has an id of its own (`c1`, `l1`, `s1`, `u1` ...): Mermaid
//! merges nodes that share an id and keeps only the last label, so a server
//! with an IPv4 and an IPv6 listener on one port (nginx, redis) must give
//! `l1` and `l2`, or one listener silently disappears from the picture.

use std::fmt::Write;
use std::net::SocketAddr;

use crate::claim::snapshot::{Role, Snapshot};
use crate::claim::verdict::udp_clients;
use crate::kernel::Proto;
use crate::lang::diagram::{self as says, Many};
use crate::lang::{Lang, Transport};
use crate::view::labels::Labels;

/// How many clients the picture draws before "... N more".
const DRAWN: usize = 8;

/// A Mermaid flowchart of the server side of `snapshot`, fenced for Markdown.
pub fn diagram(snapshot: &Snapshot, labels: &Labels) -> String {
    let mut out = String::from("```mermaid\nflowchart LR\n");
    let port = snapshot.port;
    match snapshot.proto {
        Proto::Tcp => tcp(&mut out, snapshot, labels),
        Proto::Udp => udp(&mut out, snapshot, labels),
    }
    let _ = writeln!(out, "    classDef port fill:#d4f7d4,stroke:#2a7a2a;");
    let _ = writeln!(out, "    class p{port} port;");
    out.push_str("```\n");
    out
}

fn tcp(out: &mut String, snapshot: &Snapshot, labels: &Labels) {
    let port = snapshot.port;
    let connections: Vec<(SocketAddr, SocketAddr)> = snapshot
        .with_role(Role::Accepted)
        .filter_map(|row| Some((row.socket.local, row.socket.remote?)))
        .collect();
    let lang = labels.lang();
    clients(out, connections.iter().map(|&(_, remote)| remote), labels);
    let server = says::server(lang, Transport::Tcp, port);
    let _ = writeln!(out, "    subgraph server[\"{server}\"]");
    let _ = writeln!(out, "        p{port}((\"{}\"))", says::port(lang, port));
    let listeners: Vec<SocketAddr> = snapshot
        .with_role(Role::Listener)
        .map(|row| row.socket.local)
        .collect();
    for (i, local) in listeners.iter().enumerate() {
        let _ = writeln!(
            out,
            "        l{}[\"{}<br/>{} LISTEN\"]",
            i + 1,
            says::listening_socket(lang),
            labels.addr(*local)
        );
    }
    for (i, &(local, remote)) in connections.iter().take(DRAWN).enumerate() {
        let _ = writeln!(
            out,
            "        s{}[\"{}\"]",
            i + 1,
            says::connection_socket(lang, i + 1, &labels.addr(remote), &labels.addr(local))
        );
    }
    more(out, Many::Sockets, connections.len(), lang);
    out.push_str("    end\n");
    let to_port = says::to_port(lang, port);
    for i in 0..connections.len().min(DRAWN) {
        let _ = writeln!(out, "    c{} -->|\"{to_port}\"| p{port}", i + 1);
        let own = says::own_socket(lang);
        let _ = writeln!(out, "    p{port} -->|\"{own}\"| s{}", i + 1);
    }
    for i in 0..listeners.len() {
        let new = says::new_connections(lang);
        let _ = writeln!(out, "    p{port} -.->|\"{new}\"| l{}", i + 1);
    }
}

fn udp(out: &mut String, snapshot: &Snapshot, labels: &Labels) {
    let port = snapshot.port;
    // The clients the verdict counts: a client row of this host that sends
    // to another host's port is not drawn as this server's client.
    let peers = udp_clients(snapshot);
    clients(out, peers.iter().copied(), labels);
    let servers: Vec<SocketAddr> = snapshot
        .with_role(Role::Server)
        .map(|r| r.socket.local)
        .collect();
    let lang = labels.lang();
    let server = says::server(lang, Transport::Udp, port);
    let _ = writeln!(out, "    subgraph server[\"{server}\"]");
    let _ = writeln!(out, "        p{port}((\"{}\"))", says::port(lang, port));
    for (i, local) in servers.iter().enumerate() {
        let socket = says::udp_socket(lang, &labels.addr(*local));
        let _ = writeln!(out, "        u{}[\"{socket}\"]", i + 1);
    }
    out.push_str("    end\n");
    let to_port = says::to_port(lang, port);
    for i in 0..peers.len().min(DRAWN) {
        let _ = writeln!(out, "    c{} -->|\"{to_port}\"| p{port}", i + 1);
    }
    for i in 0..servers.len() {
        let every = says::every_datagram(lang);
        let _ = writeln!(out, "    p{port} -->|\"{every}\"| u{}", i + 1);
    }
}

/// The clients' subgraph: the first `DRAWN` remote ends.
fn clients(out: &mut String, remotes: impl Iterator<Item = SocketAddr>, labels: &Labels) {
    let remotes: Vec<SocketAddr> = remotes.collect();
    let lang = labels.lang();
    let _ = writeln!(out, "    subgraph clients[\"{}\"]", says::clients(lang));
    for (i, remote) in remotes.iter().take(DRAWN).enumerate() {
        let _ = writeln!(out, "        c{}[\"{}\"]", i + 1, labels.addr(*remote));
    }
    more(out, Many::Clients, remotes.len(), lang);
    out.push_str("    end\n");
}

/// The box standing for what is not drawn: `... 12 more clients`.
fn more(out: &mut String, many: Many, total: usize, lang: Lang) {
    if total > DRAWN {
        // The node id stays English: `more_clients`, `more_sockets`.
        let id = match many {
            Many::Clients => "clients",
            Many::Sockets => "sockets",
        };
        let text = says::more(lang, many, total - DRAWN);
        let _ = writeln!(out, "        more_{id}[\"{text}\"]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{accepted, listener, snapshot, udp};

    #[test]
    fn tcp_draws_one_socket_per_connection() {
        let snap = snapshot(
            12000,
            vec![
                listener("127.0.0.1:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.3:50427"),
            ],
        );
        insta::assert_snapshot!(diagram(&snap, &Labels::plain()));
    }

    /// The ids of the nodes a diagram defines (`id[`, `id((`), in order.
    fn node_ids(text: &str) -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("subgraph") && !l.contains("-->") && !l.contains("-.->"))
            .filter_map(|l| {
                l.find('[')
                    .or_else(|| l.find('('))
                    .map(|at| l[..at].to_string())
            })
            .collect()
    }

    /// nginx and redis listen on `0.0.0.0:P` and `[::]:P`: two listening
    /// sockets, so two nodes, each with its own id and its own arrow.
    #[test]
    fn two_listeners_give_two_nodes() {
        let snap = snapshot(
            6379,
            vec![
                listener("0.0.0.0:6379"),
                listener("[::]:6379"),
                accepted("127.0.0.1:6379", "127.0.0.2:50426"),
                accepted("[::1]:6379", "[::1]:50427"),
            ],
        );
        let text = diagram(&snap, &Labels::plain());
        let ids = node_ids(&text);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            ids.len(),
            unique.len(),
            "every node id once: {ids:?}\n{text}"
        );
        assert!(
            text.contains("l2[\"listening socket<br/>0.0.0.0:6379 LISTEN\"]"),
            "{text}"
        );
        assert!(
            text.contains("l1[\"listening socket<br/>[::]:6379 LISTEN\"]"),
            "{text}"
        );
        assert_eq!(
            text.matches("-.->|\"new connections\"|").count(),
            2,
            "{text}"
        );
    }

    /// The UDP picture draws the clients the verdict counts: this host's
    /// connected clients of the server, not a client of another host's port.
    #[test]
    fn udp_draws_only_this_servers_clients() {
        let snap = snapshot(
            53,
            vec![
                udp("0.0.0.0:53", None),
                udp("127.0.0.2:40001", Some("127.0.0.1:53")),
                udp("192.0.2.5:40002", Some("198.51.100.8:53")),
            ],
        );
        let text = diagram(&snap, &Labels::plain());
        assert!(text.contains("c1[\"127.0.0.2:40001\"]"), "{text}");
        assert!(!text.contains("192.0.2.5"), "{text}");
    }

    #[test]
    fn udp_draws_one_socket_for_everyone() {
        let snap = snapshot(12000, vec![udp("127.0.0.1:12000", None)]).with_peers(Some(vec![
            "127.0.0.2:50426".parse().unwrap(),
            "127.0.0.3:50427".parse().unwrap(),
        ]));
        let text = diagram(&snap, &Labels::plain());
        assert_eq!(text.matches("u1[").count(), 1);
        assert_eq!(text.matches("-->|\"every datagram\"| u1").count(), 1);
        assert_eq!(text.matches("-->|\"to port 12000\"|").count(), 2);
    }
}
