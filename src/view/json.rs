//! The JSON view: one object per snapshot (documented in `docs/output.md`).
//!
//! Addresses are plain strings (`"127.0.0.2"`); an IPv4 client of a dual-stack
//! socket is written as IPv4, not `::ffff:127.0.0.2`. A value the OS could not
//! give is `null`, never a guess. Every row is written, however many.
//!
//! A program that asks for JSON reads every row, and a port can have 19,000
//! of them. Building them as [`serde_json::Value`]s (a map, its string keys
//! and a `String` per value, for every socket) took four times as long as
//! `ss` takes to print the same table, and handing serde a struct per row
//! still cost about 30 small writes per row. So [`Object::write_line`] writes
//! a row the way the text of a row is: a fixed sequence of keys, most of them
//! followed by a number or an address. The keys and punctuation are literal
//! bytes; numbers and addresses are formatted in place; every string that
//! could need escaping (names, notes, the verdict) goes through `serde_json`.
//! Keys come in sorted order, as a `serde_json::Map` (sorted by key) has
//! always written them; a test holds the two to the same bytes.

use std::fmt;
use std::io;
use std::net::IpAddr;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::claim::snapshot::{Row, Snapshot};
use crate::claim::verdict::{Outcome, Verdict};
use crate::kernel::{Holder, Proto};
use crate::view::labels::{Labels, LastText, has_pid};

/// One snapshot as a JSON object: `port`, `proto`, `sockets`, `notes`,
/// `peers` (UDP, when there are any), `verdict` (when given) and any fields
/// a caller adds (serve's `event`, scale's `scale`).
pub struct Object<'a> {
    snapshot: &'a Snapshot,
    labels: &'a Labels,
    verdict: Option<&'a Verdict>,
    /// The callers' fields; their keys differ from the snapshot's.
    extra: Vec<(&'a str, Value)>,
}

/// The text is handed to the writer in pieces of about this size.
const CHUNK: usize = 1 << 16;

impl<'a> Object<'a> {
    /// The sockets without a verdict (the client side's view).
    pub fn new(snapshot: &'a Snapshot, labels: &'a Labels) -> Self {
        Object {
            snapshot,
            labels,
            verdict: None,
            extra: Vec::new(),
        }
    }

    /// With the verdict.
    pub fn verdict(mut self, verdict: &'a Verdict) -> Self {
        self.verdict = Some(verdict);
        self
    }

    /// With one more field.
    pub fn field(mut self, key: &'a str, value: Value) -> Self {
        self.extra.push((key, value));
        self
    }

    /// Writes the object on one line, ending in a newline.
    pub fn write_line(&self, out: &mut impl io::Write) -> io::Result<()> {
        let snapshot = self.snapshot;
        let labels = self.labels;
        let mut json = Json::default();
        json.bytes(b"{");
        for (i, (key, field)) in self.fields().into_iter().enumerate() {
            if i > 0 {
                json.bytes(b",");
            }
            json.value(key);
            json.bytes(b":");
            match field {
                Field::Notes => {
                    // Notes are written in the run's language (the keys and
                    // values around them never are).
                    let notes: Vec<String> = snapshot
                        .notes
                        .iter()
                        .map(|note| super::note_text(note, labels.lang()))
                        .collect();
                    json.value(&notes)
                }
                Field::Peers => {
                    name_sockets_first(snapshot, labels);
                    json.bytes(b"[");
                    for (i, &peer) in snapshot.peers.iter().enumerate() {
                        if i > 0 {
                            json.bytes(b",");
                        }
                        json.bytes(b"\"");
                        let _ = labels.write_addr(&mut Bytes(&mut json.out), peer);
                        json.bytes(b"\"");
                    }
                    json.bytes(b"]");
                }
                Field::Port => json.number(snapshot.port.into()),
                Field::Proto => json.value(&snapshot.proto),
                Field::Sockets => {
                    json.bytes(b"[");
                    for (i, row) in snapshot.rows.iter().enumerate() {
                        if i > 0 {
                            json.bytes(b",");
                        }
                        json.socket(row, labels);
                        if json.out.len() >= CHUNK {
                            out.write_all(&json.out)?;
                            json.out.clear();
                        }
                    }
                    json.bytes(b"]");
                }
                Field::Verdict(verdict) => json.value(&VerdictJson::new(verdict, labels)),
                Field::Extra(value) => json.value(value),
            }
        }
        json.bytes(b"}\n");
        out.write_all(&json.out)
    }

    /// The object on one line, ending in a newline.
    pub fn to_line(&self) -> String {
        let mut line = Vec::new();
        // Writing into a Vec cannot fail, and the text is UTF-8.
        let _ = self.write_line(&mut line);
        String::from_utf8_lossy(&line).into_owned()
    }

    /// The object as a `serde_json` map, for callers that merge it with
    /// fields of their own (the demo's steps): the line, read back.
    pub fn to_map(&self) -> Map<String, Value> {
        serde_json::from_str(&self.to_line()).unwrap_or_default()
    }

    /// The fields, in the order of their keys.
    fn fields(&self) -> Vec<(&str, Field<'_>)> {
        let mut fields = vec![
            ("notes", Field::Notes),
            ("port", Field::Port),
            ("proto", Field::Proto),
            ("sockets", Field::Sockets),
        ];
        if !self.snapshot.peers.is_empty() {
            fields.push(("peers", Field::Peers));
        }
        if let Some(verdict) = self.verdict {
            fields.push(("verdict", Field::Verdict(verdict)));
        }
        fields.extend(
            self.extra
                .iter()
                .map(|(key, value)| (*key, Field::Extra(value))),
        );
        fields.sort_by_key(|&(key, _)| key);
        fields
    }
}

/// The snapshot and its verdict as a JSON map (see [`Object`]).
pub fn snapshot(snapshot: &Snapshot, verdict: &Verdict, labels: &Labels) -> Map<String, Value> {
    Object::new(snapshot, labels).verdict(verdict).to_map()
}

/// The sockets without a verdict (the client side's view).
pub fn sockets(snapshot: &Snapshot, labels: &Labels) -> Value {
    Value::Object(Object::new(snapshot, labels).to_map())
}

/// One row of `sockets[]`, as a value (the live page's change events send
/// rows alone).
pub fn socket(row: &Row, labels: &Labels) -> Value {
    let mut json = Json::default();
    json.socket(row, labels);
    // The writer writes valid JSON; a row that somehow is not becomes null.
    serde_json::from_slice(&json.out).unwrap_or(Value::Null)
}

/// The verdict object: `holds`, `outcome`, `accepted`, `distinct_remotes`, `explanation`.
pub fn verdict_json(verdict: &Verdict, labels: &Labels) -> Value {
    serde_json::to_value(VerdictJson::new(verdict, labels)).unwrap_or(Value::Null)
}

/// A field of [`Object`].
enum Field<'a> {
    Notes,
    Peers,
    Port,
    Proto,
    Sockets,
    Verdict(&'a Verdict),
    Extra(&'a Value),
}

/// The verdict's fields, in key order.
#[derive(Serialize)]
struct VerdictJson {
    accepted: usize,
    distinct_remotes: usize,
    explanation: String,
    holds: bool,
    outcome: Outcome,
}

impl VerdictJson {
    fn new(verdict: &Verdict, labels: &Labels) -> Self {
        VerdictJson {
            accepted: verdict.accepted,
            distinct_remotes: verdict.distinct_remotes,
            explanation: verdict.explanation(labels.lang(), &|a| labels.addr(a)),
            holds: verdict.holds(),
            outcome: verdict.outcome,
        }
    }
}

/// Gives the sockets' addresses their `--redact` placeholders before the
/// peers' (which are written first, `peers` < `sockets`), in the order they
/// have always had: the order of the rows.
fn name_sockets_first(snapshot: &Snapshot, labels: &Labels) {
    let mut discard = String::new();
    for row in &snapshot.rows {
        for end in std::iter::once(row.socket.local).chain(row.socket.remote) {
            discard.clear();
            let _ = labels.write_ip(&mut discard, end.ip());
        }
    }
}

/// JSON text being written.
#[derive(Default)]
struct Json {
    out: Vec<u8>,
    /// The last local and the last remote address written (see [`LastText`]).
    last_local: LastText<IpAddr>,
    last_remote: LastText<IpAddr>,
}

/// Which end of a socket an address is.
#[derive(Clone, Copy)]
enum End {
    Local,
    Remote,
}

impl Json {
    /// Literal JSON: keys, punctuation.
    fn bytes(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn number(&mut self, n: u64) {
        self.bytes(itoa::Buffer::new().format(n).as_bytes());
    }

    fn opt_number(&mut self, n: Option<impl Into<u64>>) {
        match n {
            Some(n) => self.number(n.into()),
            None => self.bytes(b"null"),
        }
    }

    /// Any value serde can write; strings are escaped as JSON requires.
    fn value(&mut self, value: &(impl Serialize + ?Sized)) {
        // Writing into a Vec cannot fail, and every map key here is a string.
        let _ = serde_json::to_writer(&mut self.out, value);
    }

    /// A string. One with nothing JSON escapes (`"`, `\\`, control
    /// characters), as names nearly always are, is copied between quotes;
    /// any other goes through serde_json.
    fn string(&mut self, text: &str) {
        if text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            self.value(text);
        } else {
            self.bytes(b"\"");
            self.bytes(text.as_bytes());
            self.bytes(b"\"");
        }
    }

    /// One of the program's own names for things (`tcp`, `accepted`,
    /// `ESTABLISHED`): letters, digits and `_` (`FIN_WAIT1`), never escaped.
    fn name(&mut self, name: &'static str) {
        debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        self.bytes(b"\"");
        self.bytes(name.as_bytes());
        self.bytes(b"\"");
    }

    fn opt_string(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.string(text),
            None => self.bytes(b"null"),
        }
    }

    /// An address, or its placeholder. Neither ever needs escaping (digits,
    /// hex digits, `.`, `:`, `host-` and capitals), so it is written
    /// straight into the text, between quotes.
    fn ip(&mut self, labels: &Labels, ip: IpAddr, end: End) {
        self.bytes(b"\"");
        let last = match end {
            End::Local => &mut self.last_local,
            End::Remote => &mut self.last_remote,
        };
        let _ = last.write(ip, &mut Bytes(&mut self.out), |text| {
            labels.write_ip(text, ip)
        });
        self.bytes(b"\"");
    }

    /// A PID, fd or inode: a number, or a stable label (`--reproducible`)
    /// written as a string (`"server"`, `"fd1"`, `"i2"`), or `null`.
    fn id(&mut self, id: Option<Id>) {
        match id {
            Some(Id::Number(n)) => self.number(n),
            Some(Id::Label(text)) => self.string(&text),
            None => self.bytes(b"null"),
        }
    }

    /// One of `sockets`: `pid`, `process`, `user` and `fd` are those of the
    /// first holder.
    fn socket(&mut self, row: &Row, labels: &Labels) {
        let s = &row.socket;
        let first = s.holders.first();
        self.bytes(if s.is_ipv6() {
            br#"{"family":"ipv6","fd":"#
        } else {
            br#"{"family":"ipv4","fd":"#
        });
        self.id(first.and_then(|h| fd(h, labels)));
        self.bytes(br#","holders":["#);
        for (i, holder) in s.holders.iter().enumerate() {
            if i > 0 {
                self.bytes(b",");
            }
            self.holder(holder, labels);
        }
        self.bytes(br#"],"inode":"#);
        self.id(inode(s.inode, labels));
        self.bytes(br#","local_addr":"#);
        self.ip(labels, s.local.ip(), End::Local);
        self.bytes(br#","local_port":"#);
        self.number(s.local.port().into());
        self.bytes(br#","pid":"#);
        self.id(first.and_then(|h| pid(h, labels)));
        self.bytes(br#","process":"#);
        self.opt_string(first.and_then(|h| h.process.as_deref()));
        self.bytes(br#","proto":"#);
        self.name(proto_name(s.proto));
        self.bytes(br#","recv_q":"#);
        self.opt_number(s.recv_q);
        self.bytes(br#","remote_addr":"#);
        match s.remote {
            Some(remote) => self.ip(labels, remote.ip(), End::Remote),
            None => self.bytes(b"null"),
        }
        self.bytes(br#","remote_port":"#);
        self.opt_number(s.remote.map(|r| r.port()));
        self.bytes(br#","role":"#);
        self.name(row.role.name());
        self.bytes(br#","send_q":"#);
        self.opt_number(s.send_q);
        self.bytes(br#","state":"#);
        self.name(s.state.name());
        self.bytes(br#","user":"#);
        self.opt_string(first.and_then(|h| labels.user_str(h.user.as_deref())));
        self.bytes(b"}");
    }

    /// One of `holders`.
    fn holder(&mut self, h: &Holder, labels: &Labels) {
        self.bytes(br#"{"fd":"#);
        self.id(fd(h, labels));
        self.bytes(br#","label":"#);
        self.opt_string(h.label.as_deref());
        self.bytes(br#","pid":"#);
        self.id(pid(h, labels));
        self.bytes(br#","process":"#);
        self.opt_string(h.process.as_deref());
        self.bytes(br#","user":"#);
        self.opt_string(labels.user_str(h.user.as_deref()));
        self.bytes(b"}");
    }
}

/// How serde writes a [`Proto`] (lowercase), as [`Role::name`] and
/// [`SocketState::name`] are how it writes those (a test holds them to it).
///
/// [`Role::name`]: crate::claim::snapshot::Role::name
/// [`SocketState::name`]: crate::kernel::SocketState::name
fn proto_name(proto: Proto) -> &'static str {
    match proto {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

/// `fmt::Write` into bytes.
struct Bytes<'a>(&'a mut Vec<u8>);

impl fmt::Write for Bytes<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }

    /// One byte for ASCII (the dots of an address), without a copy call.
    #[inline]
    fn write_char(&mut self, c: char) -> fmt::Result {
        match u8::try_from(c) {
            Ok(byte) if byte.is_ascii() => self.0.push(byte),
            _ => self.write_str(c.encode_utf8(&mut [0; 4]))?,
        }
        Ok(())
    }
}

/// A PID, fd or inode as JSON has it: a number, or a stable label.
enum Id {
    Number(u64),
    Label(String),
}

impl Id {
    /// A label that reads as a number is written as one.
    fn from_label(text: String) -> Id {
        text.parse().map_or(Id::Label(text), Id::Number)
    }
}

// Without stable labels, [`Labels`] writes PIDs, fds and inodes as their
// numbers: those are written as numbers here, without the text in between.

/// `None` (JSON `null`) where there is no true PID to give (see
/// [`Labels::pid`]: an OS that does not know the owner reports 0).
fn pid(h: &Holder, labels: &Labels) -> Option<Id> {
    if labels.is_stable() {
        labels.pid(h).map(Id::from_label)
    } else {
        has_pid(h).then_some(Id::Number(h.pid.into()))
    }
}

fn fd(h: &Holder, labels: &Labels) -> Option<Id> {
    if labels.is_stable() {
        return labels.fd(h).map(Id::from_label);
    }
    h.fd.map(|fd| u64::try_from(fd).map_or_else(|_| Id::Label(fd.to_string()), Id::Number))
}

fn inode(inode: Option<u64>, labels: &Labels) -> Option<Id> {
    if labels.is_stable() {
        labels.inode(inode).map(Id::from_label)
    } else {
        inode.map(Id::Number)
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
        assert_eq!(value["verdict"]["holds"], Value::Bool(true));
    }

    /// Sockets with every kind of value: several holders, a holder without
    /// fd, name or user, a stable label, IPv6, a UDP peer.
    fn varied() -> Snapshot {
        let mut shared = listener("[::]:12000");
        shared.holders.push(Holder {
            pid: 4243,
            fd: None,
            process: None,
            user: None,
            label: Some("client-2".into()),
        });
        shared.holders[0].label = Some("server".into());
        let mut snap = build(
            12000,
            vec![
                shared,
                accepted("[2001:db8::1]:12000", "[2001:db8::2]:50426"),
                accepted("192.0.2.1:12000", "198.51.100.7:50427"),
            ],
        );
        snap.rows[2].socket.recv_q = None; // the IPv6 one: rows are in address order
        snap.peers = vec![
            "192.0.2.9:4000".parse().unwrap(),
            "[::1]:4001".parse().unwrap(),
        ];
        snap
    }

    /// The object is written field by field, in the order a sorted
    /// `serde_json::Map` of the same fields is written, for every way of
    /// labelling, with the fields callers add.
    #[test]
    fn written_straight_out_as_the_sorted_map_would_be() {
        let snap = varied();
        let verdict = judge(&snap);
        let event = || serde_json::json!({"kind": "accept", "accepted": 3});
        for (redact, stable) in [(false, false), (true, false), (false, true)] {
            let (streamed_labels, map_labels) =
                (Labels::new(redact, stable), Labels::new(redact, stable));
            let mut line = Vec::new();
            Object::new(&snap, &streamed_labels)
                .verdict(&verdict)
                .field("event", event())
                .field("scale", event())
                .write_line(&mut line)
                .unwrap();
            let map = Object::new(&snap, &map_labels)
                .verdict(&verdict)
                .field("event", event())
                .field("scale", event())
                .to_map();
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                [
                    "event", "notes", "peers", "port", "proto", "scale", "sockets", "verdict"
                ]
            );
            let expected = format!("{}\n", Value::Object(map));
            assert_eq!(
                String::from_utf8(line).unwrap(),
                expected,
                "{redact} {stable}"
            );
        }
    }

    /// Placeholders follow the rows, then the peers, as they always have.
    #[test]
    fn one_line_byte_for_byte() {
        let snap = varied();
        let mut line = Vec::new();
        Object::new(&snap, &Labels::new(true, false))
            .write_line(&mut line)
            .unwrap();
        let expected = concat!(
            r#"{"notes":[],"peers":["host-E:4000","[::1]:4001"],"port":12000,"proto":"tcp","sockets":["#,
            r#"{"family":"ipv6","fd":3,"holders":[{"fd":3,"label":"server","pid":4242,"process":"sameport","user":"student"},"#,
            r#"{"fd":null,"label":"client-2","pid":4243,"process":null,"user":null}],"inode":81000,"local_addr":"::","local_port":12000,"#,
            r#""pid":4242,"process":"sameport","proto":"tcp","recv_q":0,"remote_addr":null,"remote_port":null,"role":"listener","#,
            r#""send_q":0,"state":"LISTEN","user":"student"},"#,
            r#"{"family":"ipv4","fd":3,"holders":[{"fd":3,"label":null,"pid":4242,"process":"sameport","user":"student"}],"#,
            r#""inode":81000,"local_addr":"host-A","local_port":12000,"pid":4242,"process":"sameport","proto":"tcp","recv_q":0,"#,
            r#""remote_addr":"host-B","remote_port":50427,"role":"accepted","send_q":0,"state":"ESTABLISHED","user":"student"},"#,
            r#"{"family":"ipv6","fd":3,"holders":[{"fd":3,"label":null,"pid":4242,"process":"sameport","user":"student"}],"#,
            r#""inode":81000,"local_addr":"host-C","local_port":12000,"pid":4242,"process":"sameport","proto":"tcp","recv_q":null,"#,
            r#""remote_addr":"host-D","remote_port":50426,"role":"accepted","send_q":0,"state":"ESTABLISHED","user":"student"}]}"#,
            "\n"
        );
        assert_eq!(String::from_utf8(line).unwrap(), expected);
    }

    /// What this view wrote before it wrote rows by hand: `serde_json`
    /// values, built with `json!` and written as a (sorted) map.
    mod before {
        use super::super::*;
        use serde_json::json;

        pub fn line(
            snapshot: &Snapshot,
            verdict: Option<&Verdict>,
            labels: &Labels,
            extra: Option<(&str, Value)>,
        ) -> String {
            let mut object = Map::new();
            object.insert("port".into(), json!(snapshot.port));
            object.insert("proto".into(), json!(snapshot.proto));
            let sockets: Vec<Value> = snapshot.rows.iter().map(|r| socket(r, labels)).collect();
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
                .map(|note| crate::view::note_text(note, labels.lang()))
                .collect();
            object.insert("notes".into(), json!(notes));
            if let Some(verdict) = verdict {
                object.insert(
                    "verdict".into(),
                    json!({
                        "holds": verdict.holds(),
                        "outcome": verdict.outcome,
                        "accepted": verdict.accepted,
                        "distinct_remotes": verdict.distinct_remotes,
                        "explanation": verdict.explanation(labels.lang(), &|a| labels.addr(a)),
                    }),
                );
            }
            if let Some((key, value)) = extra {
                object.insert(key.into(), value);
            }
            format!("{}\n", Value::Object(object))
        }

        fn socket(row: &Row, labels: &Labels) -> Value {
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

        fn number_or_label(text: Option<String>) -> Value {
            match text {
                Some(text) => text.parse::<u64>().map_or(Value::String(text), Value::from),
                None => Value::Null,
            }
        }
    }

    /// Names that need JSON's escapes, and names that do not.
    fn name() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(prop_oneof![
            Just("sameport".to_string()),
            Just("say \"hi\"".to_string()),
            Just("back\\slash".to_string()),
            Just("new\nline\ttab\u{7f}".to_string()),
            Just("서버 日本".to_string()),
            Just("4242".to_string()),
            Just(String::new()),
        ])
    }

    use proptest::prelude::*;

    proptest! {
        /// Every snapshot, every way of labelling: the same bytes as before.
        #[test]
        fn the_same_bytes_as_the_values_wrote(
            mut snap in crate::properties::snapshot(),
            names in prop::collection::vec((name(), name(), name()), 1..4),
            fds in prop::collection::vec(proptest::option::of(-1i32..40), 1..4),
            notes in prop::collection::vec(name(), 0..2),
            peers in prop::collection::vec((0u8..3, 4000u16..4003), 0..3),
            redact: bool,
            stable: bool,
            with_verdict: bool,
        ) {
            let holders = snap.rows.iter_mut().flat_map(|r| r.socket.holders.iter_mut());
            for (i, h) in holders.enumerate() {
                let (process, user, label) = names[i % names.len()].clone();
                h.process = process.map(Into::into);
                h.user = user.map(Into::into);
                h.label = label;
                h.fd = fds[i % fds.len()];
            }
            // A note's words are whatever the name strategy gives (quotes,
            // control characters, Hangul ...), where the JSON must escape them.
            snap.notes = notes
                .into_iter()
                .flatten()
                .map(|error| crate::kernel::Note::NoProcessList {
                    path: "/proc".into(),
                    error,
                })
                .collect();
            snap.peers = peers
                .into_iter()
                .map(|(host, port)| match host {
                    0 => format!("192.0.2.{}:{port}", 9 + port % 3),
                    1 => format!("[2001:db8::{port}]:{port}"),
                    _ => format!("127.0.0.5:{port}"),
                })
                .map(|text| text.parse().unwrap())
                .collect();
            let verdict = judge(&snap);
            let verdict = with_verdict.then_some(&verdict);
            let event = serde_json::json!({"kind": "accept", "peer": "127.0.0.2:5"});
            let (now, then) = (Labels::new(redact, stable), Labels::new(redact, stable));
            let mut object = Object::new(&snap, &now).field("event", event.clone());
            if let Some(verdict) = verdict {
                object = object.verdict(verdict);
            }
            prop_assert_eq!(object.to_line(), before::line(&snap, verdict, &then, Some(("event", event))));
        }
    }
}
