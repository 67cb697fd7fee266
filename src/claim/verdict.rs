//! The verdict: does the socket table bear out the textbook's claim?
//!
//! **TCP.** A server calls `listen()` on one socket bound to port P. Each
//! `accept()` returns a *new* socket, but the new socket's local port is still
//! P: no new port is allocated. The kernel can still deliver each arriving
//! segment to the right socket because it looks up the whole 4-tuple
//! (source IP, source port, destination IP, destination port), and no two
//! connections share all four. So the claim holds when, on port P:
//!
//! * there is a listening socket (otherwise there is no server to speak of);
//! * there are at least two accepted sockets (one proves nothing about sharing);
//! * every accepted socket has local port P;
//! * no two accepted sockets have the same 4-tuple.
//!
//! **UDP.** A UDP socket is not connected to anyone: the kernel delivers a
//! datagram by its destination (IP, port) alone, so one socket bound to P
//! receives from every client. The claim holds when exactly one unconnected
//! socket is bound to each local address on P, no per-client (connected)
//! socket sits on P, and at least two distinct clients were seen.
//!
//! Seeing UDP clients is the hard part, and it is the lesson: the server
//! keeps **no socket per client**, so its side of the table never names one.
//! A client shows up in only two ways: the server itself heard from it (the
//! peers `serve` passes in, see [`Snapshot::peers`]), or the client runs on
//! this host and called `connect()`, so that its own socket has remote port
//! P (a `client` row). A client that uses `sendto()` without `connect()`, or
//! one on another host, leaves no row here at all, and the verdict says so.
//!
//! The verdict is a pure function of a [`Snapshot`]: it is tested on hand-built
//! rows as well as on the real table.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;

use serde::Serialize;

use crate::claim::snapshot::{Role, Snapshot};
use crate::kernel::{KernelSocket, Proto, addr_key, is_loopback};
use crate::lang::{Lang, verdict as says};

/// Whether the claim holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The table shows the claim.
    Holds,
    /// The table contradicts the claim.
    Fails,
    /// The table does not show enough to say (no listener, fewer than two clients).
    NotEnoughEvidence,
}

/// Why the table contradicts the claim. (Ordered so that a verdict lists its
/// problems in the same order on every run.)
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    /// An accepted socket whose local port is not the listening port.
    OtherLocalPort {
        local: SocketAddr,
        remote: SocketAddr,
    },
    /// Two accepted sockets with the same 4-tuple (the kernel could not tell them apart).
    DuplicateTuple {
        local: SocketAddr,
        remote: SocketAddr,
    },
    /// UDP: more than one unconnected socket bound to the same local address
    /// (SO_REUSEPORT): the kernel spreads datagrams over them.
    SharedUdpAddress { local: SocketAddr, count: usize },
    /// UDP: a connected socket on the port, which takes that client's
    /// datagrams instead of the one server socket.
    ConnectedUdpSocket {
        local: SocketAddr,
        remote: SocketAddr,
    },
}

/// What is missing before the claim can be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// No socket listens on (TCP) or is bound to (UDP) the port.
    NoServer,
    /// Fewer than two accepted sockets (TCP) or clients (UDP); the count seen.
    TooFewClients(usize),
    /// UDP: fewer than two clients in the server's own record of who sent
    /// (so none is missing for want of a row in the table); the count.
    TooFewHeard(usize),
}

/// The verdict on one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub proto: Proto,
    pub port: u16,
    /// TCP: accepted sockets on the port. UDP: clients seen.
    pub accepted: usize,
    /// The distinct remote (IP, port) pairs among them.
    pub distinct_remotes: usize,
    /// The first few remote ends (at most 8), in table order: what tells the
    /// accepted sockets apart. The explanation lists them.
    pub remotes: Vec<SocketAddr>,
    /// UDP: how many server sockets serve them; TCP: how many listening sockets.
    pub servers: usize,
    /// TCP: connections whose handshake is done but that no program has
    /// accepted yet (they wait in the listener's queue; not counted above).
    pub queued: usize,
    /// TCP: whether some remote end repeats and only the local address
    /// (a server with several IPs) tells those sockets apart.
    pub local_ip_disambiguates: bool,
    pub problems: Vec<Problem>,
    pub missing: Option<Missing>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        self.outcome == Outcome::Holds
    }
}

/// Judges a snapshot.
pub fn judge(snapshot: &Snapshot) -> Verdict {
    match snapshot.proto {
        Proto::Tcp => judge_tcp(snapshot),
        Proto::Udp => judge_udp(snapshot),
    }
}

fn judge_tcp(snapshot: &Snapshot) -> Verdict {
    let port = snapshot.port;
    let listeners = snapshot.with_role(Role::Listener).count();
    let accepted: Vec<(SocketAddr, SocketAddr)> = snapshot
        .with_role(Role::Accepted)
        .filter_map(|row| Some((row.socket.local, row.socket.remote?)))
        .collect();

    let mut problems: Vec<Problem> = accepted
        .iter()
        .filter(|(local, _)| local.port() != port)
        .map(|&(local, remote)| Problem::OtherLocalPort { local, remote })
        .collect();
    // Two sockets with the same 4-tuple are adjacent once the tuples are
    // sorted. A snapshot's rows already are, so usually no copy is sorted.
    let tuple_key =
        |&(local, remote): &(SocketAddr, SocketAddr)| (addr_key(local), addr_key(remote));
    let mut sorted = Cow::Borrowed(&accepted[..]);
    if !sorted.is_sorted_by_key(tuple_key) {
        sorted.to_mut().sort_unstable_by_key(tuple_key);
    }
    let mut distinct_tuples = usize::from(!sorted.is_empty());
    for pair in sorted.windows(2) {
        if tuple_key(&pair[0]) == tuple_key(&pair[1]) {
            let (local, remote) = pair[1];
            problems.push(Problem::DuplicateTuple { local, remote });
        } else {
            distinct_tuples += 1;
        }
    }
    let distinct_remotes = count_distinct(accepted.iter().map(|&(_, remote)| addr_key(remote)));
    let missing = if listeners == 0 {
        Some(Missing::NoServer)
    } else if accepted.len() < 2 {
        Some(Missing::TooFewClients(accepted.len()))
    } else {
        None
    };
    Verdict {
        outcome: outcome(&problems, missing),
        proto: Proto::Tcp,
        port,
        accepted: accepted.len(),
        distinct_remotes,
        local_ip_disambiguates: distinct_remotes < distinct_tuples,
        remotes: accepted
            .iter()
            .take(LISTED_REMOTES)
            .map(|&(_, remote)| remote)
            .collect(),
        servers: listeners,
        queued: snapshot.with_role(Role::Queued).count(),
        problems,
        missing,
    }
}

fn judge_udp(snapshot: &Snapshot) -> Verdict {
    let port = snapshot.port;
    let mut per_address: HashMap<SocketAddr, usize> = HashMap::new();
    for row in snapshot.with_role(Role::Server) {
        *per_address.entry(row.socket.local).or_default() += 1;
    }
    let mut problems: Vec<Problem> = per_address
        .iter()
        .filter(|&(_, &count)| count > 1)
        .map(|(&local, &count)| Problem::SharedUdpAddress { local, count })
        .collect();
    problems.sort();
    for row in &snapshot.rows {
        let s = &row.socket;
        if let (Proto::Udp, Some(remote)) = (s.proto, s.remote)
            && s.local.port() == port
        {
            problems.push(Problem::ConnectedUdpSocket {
                local: s.local,
                remote,
            });
        }
    }
    let remotes = udp_clients(snapshot);
    let servers: usize = per_address.values().sum();
    let missing = if servers == 0 {
        Some(Missing::NoServer)
    } else if remotes.len() < 2 && snapshot.peers_counted {
        Some(Missing::TooFewHeard(remotes.len()))
    } else if remotes.len() < 2 {
        Some(Missing::TooFewClients(remotes.len()))
    } else {
        None
    };
    Verdict {
        outcome: outcome(&problems, missing),
        proto: Proto::Udp,
        port,
        accepted: remotes.len(),
        distinct_remotes: remotes.len(),
        remotes: remotes.into_iter().take(LISTED_REMOTES).collect(),
        servers,
        queued: 0,
        local_ip_disambiguates: false,
        problems,
        missing,
    }
}

/// The clients of a UDP server that a snapshot shows, each once, in order:
/// those the server heard from (its peers), then connected client sockets
/// of this host that send to one of the server sockets in the table.
pub fn udp_clients(snapshot: &Snapshot) -> Vec<SocketAddr> {
    let server_ends: Vec<SocketAddr> = snapshot
        .with_role(Role::Server)
        .map(|row| row.socket.local)
        .collect();
    let table_clients = snapshot
        .with_role(Role::Client)
        .filter(|row| sends_here(&row.socket, &server_ends))
        .map(|row| row.socket.local);
    let mut seen = BTreeSet::new();
    snapshot
        .peers
        .iter()
        .copied()
        .chain(table_clients)
        .filter(|client| seen.insert(*client))
        .collect()
}

/// Whether a client socket of this host sends to one of `servers`, the UDP
/// server sockets on the port, rather than to the same port on another host
/// (a DNS client asking 8.8.8.8:53 is no client of a local server on 53).
///
/// The table does not list this host's addresses, but a client tells where it
/// sends: its remote address is this host when it is a loopback address, the
/// address of a server socket, or the client's own local address (a datagram
/// to one of this host's own addresses leaves from that same address). And a
/// server socket receives it when it is bound to that address or to the
/// wildcard of the family (an IPv6 wildcard also takes IPv4, dual-stack).
fn sends_here(client: &KernelSocket, servers: &[SocketAddr]) -> bool {
    let Some(remote) = client.remote else {
        return false;
    };
    let ip = remote.ip();
    let this_host =
        is_loopback(ip) || ip == client.local.ip() || servers.iter().any(|s| s.ip() == ip);
    let received = servers
        .iter()
        .any(|s| s.ip() == ip || (s.ip().is_unspecified() && (s.is_ipv6() || ip.is_ipv4())));
    this_host && received
}

/// How many different values `keys` holds (by sorting: no hashing of
/// thousands of addresses).
fn count_distinct<K: Ord>(keys: impl Iterator<Item = K> + Clone) -> usize {
    // Keys in order (a server on one address sees its clients sorted) are
    // counted as they go by; others are collected and sorted first.
    if keys.clone().is_sorted() {
        let mut keys = keys.peekable();
        let mut distinct = 0;
        while let Some(key) = keys.next() {
            if keys.peek() != Some(&key) {
                distinct += 1;
            }
        }
        return distinct;
    }
    let mut keys: Vec<K> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    keys.len()
}

/// A contradiction outweighs missing evidence: a table that already breaks the
/// claim never "holds", however many clients connect later.
fn outcome(problems: &[Problem], missing: Option<Missing>) -> Outcome {
    if !problems.is_empty() {
        Outcome::Fails
    } else if missing.is_some() {
        Outcome::NotEnoughEvidence
    } else {
        Outcome::Holds
    }
}

/// How many remote ends the explanation lists before it says "and N more".
const LISTED_REMOTES: usize = 8;

impl Verdict {
    /// The verdict in words, in `lang` (the sentences are in
    /// [`crate::lang::verdict`]). `addr` formats an address, so the same text
    /// can be redacted or labelled for reproducible output.
    pub fn explanation(&self, lang: Lang, addr: &dyn Fn(SocketAddr) -> String) -> String {
        let text = match self.outcome {
            Outcome::Holds => self.explain_holds(lang, addr),
            Outcome::Fails => self.explain_fails(lang, addr),
            Outcome::NotEnoughEvidence => self.explain_missing(lang),
        };
        says::with_queued(lang, &text, self.queued)
    }

    fn explain_holds(&self, lang: Lang, addr: &dyn Fn(SocketAddr) -> String) -> String {
        let list = list_addresses(lang, &self.remotes, self.accepted, addr);
        match self.proto {
            Proto::Tcp => says::holds_tcp(
                lang,
                self.accepted,
                self.port,
                self.local_ip_disambiguates,
                &list,
            ),
            Proto::Udp => says::holds_udp(lang, self.servers, self.port, self.accepted, &list),
        }
    }

    fn explain_fails(&self, lang: Lang, addr: &dyn Fn(SocketAddr) -> String) -> String {
        let reasons: Vec<String> = self
            .problems
            .iter()
            .map(|problem| match *problem {
                Problem::OtherLocalPort { local, remote } => says::other_local_port(
                    lang,
                    &addr(local),
                    &addr(remote),
                    local.port(),
                    self.port,
                ),
                Problem::DuplicateTuple { local, remote } => {
                    says::duplicate_tuple(lang, &addr(local), &addr(remote))
                }
                Problem::SharedUdpAddress { local, count } => {
                    says::shared_udp_address(lang, count, &addr(local))
                }
                Problem::ConnectedUdpSocket { local, remote } => {
                    says::connected_udp_socket(lang, &addr(local), &addr(remote))
                }
            })
            .collect();
        says::fails(lang, &reasons)
    }

    fn explain_missing(&self, lang: Lang) -> String {
        match self.missing {
            Some(Missing::NoServer) | None => says::no_server(lang, self.proto.into(), self.port),
            Some(Missing::TooFewClients(n)) => {
                says::too_few_clients(lang, self.proto.into(), n, self.port)
            }
            Some(Missing::TooFewHeard(n)) => says::too_few_heard(lang, n, self.port),
        }
    }
}

/// The first addresses of `total`, then "and N more".
fn list_addresses(
    lang: Lang,
    first: &[SocketAddr],
    total: usize,
    addr: &dyn Fn(SocketAddr) -> String,
) -> String {
    let mut listed: Vec<String> = first
        .iter()
        .take(LISTED_REMOTES)
        .map(|&a| addr(a))
        .collect();
    if total > listed.len() {
        listed.push(says::and_more(lang, total - listed.len()));
    }
    listed.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::SocketState;
    use crate::testing::{accepted, client, listener, snapshot, tcp, udp};

    fn plain(a: SocketAddr) -> String {
        a.to_string()
    }

    #[test]
    fn three_clients_on_one_port_hold() {
        let verdict = judge(&snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.3:50427"),
                accepted("127.0.0.1:12000", "127.0.0.4:50428"),
            ],
        ));
        assert_eq!(verdict.outcome, Outcome::Holds);
        assert_eq!(verdict.accepted, 3);
        assert_eq!(verdict.distinct_remotes, 3);
        assert_eq!(
            verdict.explanation(Lang::En, &plain),
            "3 accepted sockets, all on local port 12000 like the listener; the kernel tells \
             them apart by the remote end: 127.0.0.2:50426, 127.0.0.3:50427, 127.0.0.4:50428. \
             The claim holds: one port, one socket per connection, each named by its own 4-tuple."
        );
    }

    #[test]
    fn one_client_is_not_enough_evidence() {
        let verdict = judge(&snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
            ],
        ));
        assert_eq!(verdict.outcome, Outcome::NotEnoughEvidence);
        assert_eq!(verdict.missing, Some(Missing::TooFewClients(1)));
        assert!(
            verdict
                .explanation(Lang::En, &plain)
                .contains("1 accepted socket on port 12000")
        );
    }

    #[test]
    fn no_listener_is_not_enough_evidence() {
        let verdict = judge(&snapshot(
            12000,
            vec![
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.3:50426"),
            ],
        ));
        assert_eq!(verdict.outcome, Outcome::NotEnoughEvidence);
        assert_eq!(verdict.missing, Some(Missing::NoServer));
    }

    #[test]
    fn duplicate_four_tuples_fail() {
        let verdict = judge(&snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.3:50426"),
            ],
        ));
        assert_eq!(verdict.outcome, Outcome::Fails);
        assert!(
            verdict
                .explanation(Lang::En, &plain)
                .contains("share the 4-tuple")
        );
    }

    #[test]
    fn an_accepted_socket_on_another_port_fails() {
        // Built by hand: the role says "accepted" but the port differs, as it
        // would if each connection really got its own server port.
        let mut rows = snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.3:50427"),
            ],
        );
        rows.rows[2].socket.local = "127.0.0.1:40001".parse().unwrap();
        let verdict = judge(&rows);
        assert_eq!(verdict.outcome, Outcome::Fails);
        assert!(
            verdict
                .explanation(Lang::En, &plain)
                .contains("has local port 40001")
        );
    }

    #[test]
    fn same_remote_end_on_two_local_ips_still_holds() {
        let verdict = judge(&snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.9:12000", "127.0.0.2:50426"),
            ],
        ));
        assert_eq!(verdict.outcome, Outcome::Holds);
        assert_eq!(verdict.distinct_remotes, 1);
        assert!(verdict.local_ip_disambiguates);
        assert!(
            verdict
                .explanation(Lang::En, &plain)
                .contains("by the local IP")
        );
    }

    #[test]
    fn client_rows_and_leftovers_do_not_count_as_accepted() {
        let verdict = judge(&snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                client("127.0.0.2:50426", "127.0.0.1:12000"),
                tcp(
                    "127.0.0.1:12000",
                    Some("127.0.0.3:50000"),
                    SocketState::TimeWait,
                ),
            ],
        ));
        assert_eq!(verdict.outcome, Outcome::NotEnoughEvidence);
        assert_eq!(verdict.accepted, 1);
    }

    #[test]
    fn one_udp_socket_serving_two_peers_holds() {
        let snap = snapshot(12000, vec![udp("0.0.0.0:12000", None)]).with_peers(Some(vec![
            "127.0.0.2:50426".parse().unwrap(),
            "127.0.0.3:50427".parse().unwrap(),
        ]));
        let verdict = judge(&snap);
        assert_eq!(verdict.outcome, Outcome::Holds, "{:?}", verdict);
        assert_eq!(verdict.servers, 1);
        assert!(
            verdict
                .explanation(Lang::En, &plain)
                .starts_with("1 UDP socket on port 12000 serves 2 clients")
        );
    }

    /// A server's own record of who sent leaves nobody out, so too few
    /// clients in it are said plainly, without the table's blind spot.
    #[test]
    fn too_few_clients_heard_by_the_server_skip_the_tables_blind_spot() {
        let heard = snapshot(12000, vec![udp("0.0.0.0:12000", None)])
            .with_peers(Some(vec!["127.0.0.2:50426".parse().unwrap()]));
        let verdict = judge(&heard);
        assert_eq!(verdict.outcome, Outcome::NotEnoughEvidence);
        assert_eq!(verdict.missing, Some(Missing::TooFewHeard(1)));
        let text = verdict.explanation(Lang::En, &plain);
        assert!(
            text.starts_with("So far the server heard from 1 client"),
            "{text}"
        );
        assert!(!text.contains("sendto()"), "{text}");
        // `inspect` has only the table: its blind spot is explained.
        let table_only = snapshot(12000, vec![udp("0.0.0.0:12000", None)]);
        let text = judge(&table_only).explanation(Lang::En, &plain);
        assert!(text.contains("sendto()"), "{text}");
    }

    #[test]
    fn udp_clients_in_the_table_count_once_with_peers() {
        let snap = snapshot(
            12000,
            vec![
                udp("0.0.0.0:12000", None),
                udp("127.0.0.2:50426", Some("127.0.0.1:12000")),
                udp("127.0.0.3:50427", Some("127.0.0.1:12000")),
            ],
        )
        .with_peers(Some(vec!["127.0.0.2:50426".parse().unwrap()]));
        let verdict = judge(&snap);
        assert_eq!(verdict.outcome, Outcome::Holds);
        assert_eq!(verdict.accepted, 2);
    }

    /// `inspect` knows no peers: connected client sockets on this host are
    /// the only clients it can see, and two of them are enough.
    #[test]
    fn udp_clients_of_this_host_hold_without_peers() {
        let snap = snapshot(
            9999,
            vec![
                udp("0.0.0.0:9999", None),
                udp("127.0.0.2:40001", Some("127.0.0.1:9999")),
                udp("192.0.2.5:40002", Some("192.0.2.5:9999")),
            ],
        );
        let verdict = judge(&snap);
        assert_eq!(verdict.outcome, Outcome::Holds, "{verdict:?}");
        assert_eq!(verdict.accepted, 2);
        assert_eq!(
            verdict.remotes,
            vec![
                "127.0.0.2:40001".parse::<SocketAddr>().unwrap(),
                "192.0.2.5:40002".parse().unwrap()
            ]
        );
    }

    /// A DNS client of this host asking another host's port 53 is no client
    /// of a local server on 53; neither is one sending where no server
    /// socket of the table receives.
    #[test]
    fn udp_clients_of_other_hosts_servers_do_not_count() {
        let snap = snapshot(
            53,
            vec![
                udp("127.0.0.53:53", None),
                udp("192.0.2.5:40001", Some("198.51.100.8:53")),
                udp("192.0.2.5:40002", Some("198.51.100.9:53")),
                udp("127.0.0.2:40003", Some("127.0.0.1:53")),
            ],
        );
        let verdict = judge(&snap);
        assert_eq!(verdict.outcome, Outcome::NotEnoughEvidence, "{verdict:?}");
        assert_eq!(verdict.accepted, 0);
    }

    /// Too few UDP clients: the explanation says what the table can and
    /// cannot show, since the clients may well have sent.
    #[test]
    fn too_few_udp_clients_explains_what_the_table_cannot_show() {
        let verdict = judge(&snapshot(9999, vec![udp("0.0.0.0:9999", None)]));
        assert_eq!(verdict.missing, Some(Missing::TooFewClients(0)));
        let text = verdict.explanation(Lang::En, &plain);
        assert!(text.starts_with("So far 0 clients of UDP port 9999"));
        for part in [
            "no socket per client",
            "connect()",
            "sendto()",
            "other hosts",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
        let tcp =
            judge(&snapshot(9999, vec![listener("0.0.0.0:9999")])).explanation(Lang::En, &plain);
        assert!(!tcp.contains("sendto()"), "{tcp}");
    }

    #[test]
    fn a_connected_udp_socket_on_the_port_fails() {
        let snap = snapshot(
            12000,
            vec![
                udp("0.0.0.0:12000", None),
                udp("127.0.0.1:12000", Some("127.0.0.2:50426")),
            ],
        )
        .with_peers(Some(vec![
            "127.0.0.2:50426".parse().unwrap(),
            "127.0.0.3:50427".parse().unwrap(),
        ]));
        assert_eq!(judge(&snap).outcome, Outcome::Fails);
    }

    #[test]
    fn two_udp_sockets_on_one_address_fail() {
        let snap = snapshot(
            12000,
            vec![udp("0.0.0.0:12000", None), udp("0.0.0.0:12000", None)],
        )
        .with_peers(Some(vec![
            "127.0.0.2:50426".parse().unwrap(),
            "127.0.0.3:50427".parse().unwrap(),
        ]));
        let verdict = judge(&snap);
        assert_eq!(verdict.outcome, Outcome::Fails);
        assert!(
            verdict
                .explanation(Lang::En, &plain)
                .contains("SO_REUSEPORT")
        );
    }

    #[test]
    fn long_lists_are_shortened() {
        let mut sockets = vec![listener("0.0.0.0:12000")];
        for i in 0..20 {
            sockets.push(accepted(
                "127.0.0.1:12000",
                &format!("127.0.0.2:{}", 50000 + i),
            ));
        }
        let text = judge(&snapshot(12000, sockets)).explanation(Lang::En, &plain);
        assert!(text.contains("and 12 more"), "{text}");
    }
}
