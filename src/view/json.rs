//! The JSON view: one object per snapshot (documented in `docs/output.md`).
//!
//! Addresses are plain strings (`"127.0.0.2"`); an IPv4 client of a dual-stack
//! socket is written as IPv4, not `::ffff:127.0.0.2`. A value the OS could not
//! give is `null`, never a guess. Every row is written, however many.

use serde_json::{Map, Value, json};

use crate::claim::snapshot::{Row, Snapshot};
use crate::claim::verdict::Verdict;
use crate::kernel::Holder;
use crate::view::labels::Labels;

/// The snapshot and its verdict as a JSON object; callers may add fields
/// (such as the event that triggered it) before writing it.
pub fn snapshot(snapshot: &Snapshot, verdict: &Verdict, labels: &Labels) -> Map<String, Value> {
    let mut object = sockets_map(snapshot, labels);
    object.insert("verdict".into(), verdict_json(verdict, labels));
    object
}

/// The sockets without a verdict (the client side's view).
pub fn sockets(snapshot: &Snapshot, labels: &Labels) -> Value {
    Value::Object(sockets_map(snapshot, labels))
}

fn sockets_map(snapshot: &Snapshot, labels: &Labels) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("port".into(), json!(snapshot.port));
    object.insert("proto".into(), json!(snapshot.proto));
    let sockets: Vec<Value> = snapshot
        .rows
        .iter()
        .map(|row| socket(row, labels))
        .collect();
    object.insert("sockets".into(), Value::Array(sockets));
    if !snapshot.peers.is_empty() {
        let peers: Vec<Value> = snapshot
            .peers
            .iter()
            .map(|&p| json!(labels.addr(p)))
            .collect();
        object.insert("peers".into(), Value::Array(peers));
    }
    let notes: Vec<String> = snapshot
        .notes
        .iter()
        .map(|note| super::note_text(note, labels.lang()))
        .collect();
    object.insert("notes".into(), json!(notes));
    object
}

/// The verdict object: `holds`, `outcome`, `accepted`, `distinct_remotes`, `explanation`.
pub fn verdict_json(verdict: &Verdict, labels: &Labels) -> Value {
    json!({
        "holds": verdict.holds(),
        "outcome": verdict.outcome,
        "accepted": verdict.accepted,
        "distinct_remotes": verdict.distinct_remotes,
        "explanation": verdict.explanation(labels.lang(), &|a| labels.addr(a)),
    })
}

/// One row of `sockets[]` (the live page's change events send rows alone).
pub fn socket(row: &Row, labels: &Labels) -> Value {
    let s = &row.socket;
    let holders: Vec<Value> = s.holders.iter().map(|h| holder(h, labels)).collect();
    let first = holders.first().cloned().unwrap_or_else(|| json!({}));
    json!({
        "proto": s.proto,
        "family": if s.is_ipv6() { "ipv6" } else { "ipv4" },
        "local_addr": labels.ip(s.local.ip()),
        "local_port": s.local.port(),
        "remote_addr": s.remote.map(|r| labels.ip(r.ip())),
        "remote_port": s.remote.map(|r| r.port()),
        "state": s.state,
        "recv_q": s.recv_q,
        "send_q": s.send_q,
        "pid": first.get("pid").cloned().unwrap_or(Value::Null),
        "process": first.get("process").cloned().unwrap_or(Value::Null),
        "user": first.get("user").cloned().unwrap_or(Value::Null),
        "fd": first.get("fd").cloned().unwrap_or(Value::Null),
        "inode": number_or_label(labels.inode(s.inode)),
        "role": row.role,
        "holders": holders,
    })
}

fn holder(h: &Holder, labels: &Labels) -> Value {
    json!({
        "pid": number_or_label(labels.pid(h)),
        "process": h.process,
        "user": labels.user(h.user.as_deref()),
        "fd": number_or_label(labels.fd(h)),
        "label": h.label,
    })
}

/// A number as a JSON number; a stable label (`--reproducible`) as a string.
fn number_or_label(text: Option<String>) -> Value {
    match text {
        Some(text) => text.parse::<u64>().map_or(Value::String(text), Value::from),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::verdict::judge;
    use crate::testing::{accepted, listener, snapshot as build};

    #[test]
    fn a_snapshot_as_json() {
        let mut snap = build(
            12000,
            vec![
                listener("[::]:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.3:50427"),
            ],
        );
        snap.rows[0].socket.holders.clear();
        snap.rows[0].socket.inode = None;
        let value = Value::Object(snapshot(&snap, &judge(&snap), &Labels::plain()));
        insta::assert_json_snapshot!(value);
        assert_eq!(value["sockets"][0]["pid"], Value::Null);
        assert_eq!(value["sockets"][0]["remote_port"], Value::Null);
        assert_eq!(value["verdict"]["holds"], json!(true));
    }
}
