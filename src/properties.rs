//! Property tests: the verdict and the views on arbitrary tables.
//!
//! Whatever rows the kernel (or a bug) produces, nothing panics, and the
//! verdict never says "holds" on a table where the claim fails. The claim is
//! re-checked here independently, straight from its definition.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;

use crate::claim::snapshot::{Role, Snapshot};
use crate::claim::verdict::{self, Outcome};
use crate::kernel::{Holder, KernelSocket, Proto, SocketState};
use crate::view::labels::Labels;
use crate::view::{self, TableOptions, ViewKind};

const PORT: u16 = 12000;

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (1u8..5).prop_map(|d| IpAddr::V4(Ipv4Addr::new(127, 0, 0, d))),
        (1u8..4).prop_map(|d| IpAddr::V4(Ipv4Addr::new(192, 0, 2, d))),
        Just(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        Just(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        Just(IpAddr::V6(
            "2001:db8::7".parse().unwrap_or(Ipv6Addr::LOCALHOST)
        )),
    ]
}

/// Ports collide often on purpose: the port under test, a few others.
fn port() -> impl Strategy<Value = u16> {
    prop_oneof![Just(PORT), Just(PORT), 50425u16..50429, Just(80)]
}

fn state() -> impl Strategy<Value = SocketState> {
    prop_oneof![
        Just(SocketState::Established),
        Just(SocketState::Established),
        Just(SocketState::Listen),
        Just(SocketState::TimeWait),
        Just(SocketState::CloseWait),
        Just(SocketState::SynRecv),
        Just(SocketState::Unconnected),
    ]
}

fn socket() -> impl Strategy<Value = KernelSocket> {
    (
        prop_oneof![Just(Proto::Tcp), Just(Proto::Tcp), Just(Proto::Udp)],
        (ip(), port()),
        proptest::option::of((ip(), port())),
        state(),
        proptest::option::of(1u64..50),
        0usize..3,
    )
        .prop_map(
            |(proto, local, remote, state, inode, holders)| KernelSocket {
                proto,
                ipv6: local.0.is_ipv6(),
                local: SocketAddr::new(local.0, local.1),
                remote: remote.map(|(ip, port)| SocketAddr::new(ip, port)),
                state,
                recv_q: Some(0),
                send_q: None,
                uid: None,
                inode,
                holders: (0..holders)
                    .map(|i| Holder {
                        pid: 100 + i as u32,
                        fd: Some(3 + i as i32),
                        process: Some("p".into()),
                        user: None,
                        label: None,
                    })
                    .collect(),
            },
        )
}

/// Any small table on [`PORT`], TCP or UDP.
pub(crate) fn snapshot() -> impl Strategy<Value = Snapshot> {
    (
        prop_oneof![Just(Proto::Tcp), Just(Proto::Udp)],
        proptest::collection::vec(socket(), 0..12),
    )
        .prop_map(|(proto, sockets)| Snapshot::new(PORT, proto, sockets, vec![]))
}

/// The TCP claim, from its definition: a listener on the port, at least two
/// accepted sockets, all with the listening port, no two with the same 4-tuple.
fn tcp_claim_holds(snapshot: &Snapshot) -> bool {
    let listener = snapshot
        .rows
        .iter()
        .any(|r| r.role == Role::Listener && r.socket.local.port() == PORT);
    let accepted: Vec<_> = snapshot.with_role(Role::Accepted).collect();
    let same_port = accepted.iter().all(|r| r.socket.local.port() == PORT);
    let tuples: HashSet<_> = accepted
        .iter()
        .map(|r| (r.socket.local, r.socket.remote))
        .collect();
    listener && accepted.len() >= 2 && same_port && tuples.len() == accepted.len()
}

proptest! {
    #[test]
    fn the_verdict_never_says_holds_when_the_claim_fails(mut snapshot in snapshot(), bump in 0usize..12) {
        // Sometimes break a row after classification, as a buggy kernel
        // reading would: an "accepted" socket on another port.
        if let Some(row) = snapshot.rows.get_mut(bump)
            && row.role == Role::Accepted
        {
            row.socket.local.set_port(PORT + 1);
        }
        let verdict = verdict::judge(&snapshot);
        if verdict.outcome == Outcome::Holds && snapshot.proto == Proto::Tcp {
            prop_assert!(tcp_claim_holds(&snapshot), "holds on {:#?}", snapshot);
        }
        if snapshot.proto == Proto::Tcp && tcp_claim_holds(&snapshot) {
            prop_assert_eq!(verdict.outcome, Outcome::Holds);
        }
        for lang in crate::lang::Lang::ALL {
            let _ = verdict.explanation(lang, &|a| a.to_string());
        }
    }

    #[test]
    fn every_view_renders_any_table(snapshot in snapshot(), max_rows in 1usize..20) {
        let verdict = verdict::judge(&snapshot);
        for markdown in [false, true] {
            let options = TableOptions { view: ViewKind::Both, color: markdown, max_rows, markdown, width: 80 };
            let text = view::tables(&snapshot, &verdict, &options, &Labels::plain());
            prop_assert!(text.contains("Verdict:"));
        }
        let json = view::json::snapshot(&snapshot, &verdict, &Labels::new(false, true));
        prop_assert_eq!(json["sockets"].as_array().map(Vec::len), Some(snapshot.rows.len()));
        let diagram = view::mermaid::diagram(&snapshot, &Labels::plain());
        prop_assert!(diagram.starts_with("```mermaid\nflowchart"), "{}", diagram);
        prop_assert!(diagram.ends_with("```\n"), "{}", diagram);
    }

    #[test]
    fn redaction_leaves_no_public_address(snapshot in snapshot()) {
        let verdict = verdict::judge(&snapshot);
        let labels = Labels::new(true, false);
        let options = TableOptions { view: ViewKind::Both, color: false, max_rows: 100, markdown: false, width: 80 };
        let mut text = view::tables(&snapshot, &verdict, &options, &labels);
        text.push_str(&serde_json::Value::Object(view::json::snapshot(&snapshot, &verdict, &labels)).to_string());
        text.push_str(&view::mermaid::diagram(&snapshot, &labels));
        for leak in ["192.0.2.", "2001:db8"] {
            prop_assert!(!text.contains(leak), "{} leaked in:\n{}", leak, text);
        }
    }
}
