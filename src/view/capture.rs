//! The capture table (Wireshark-like) and its JSON.
//!
//! ```text
//! No.  Time      Source           Destination      Protocol  Flags       Length  Data
//! 1    0.000000  127.0.0.2:50426  127.0.0.1:12000  TCP       [SYN]       0
//! 2    0.000031  127.0.0.1:12000  127.0.0.2:50426  TCP       [SYN, ACK]  0
//! 3    0.000049  127.0.0.2:50426  127.0.0.1:12000  TCP       [ACK]       0
//! 4    0.000180  127.0.0.2:50426  127.0.0.1:12000  TCP       [PSH, ACK]  5       hello
//! ```
//!
//! *Flags* are written as Wireshark's Info column writes them (`[PSH, ACK]`),
//! so the two can be compared line by line.
//!
//! Read down the *Destination* column of the client rows: every one ends in
//! `:12000`, whichever accepted socket the kernel handed it to.
//!
//! *Length* is the payload (what the application wrote), not the frame, so a
//! bare ACK has length 0. *Data* shows the first bytes of the payload as text,
//! with other bytes escaped (`\n`, `\x00`) and `...` when there is more.
//!
//! With stable labels (`--reproducible`) the Time column and `time_ms` are left
//! out: timings differ on every run, and the order is already in *No.*.

use comfy_table::Cell;
use serde_json::{Value, json};

use super::table::{apply_color_choice, markdown_style, new_table};
use crate::capture::{CaptureEvidence, Segment};
use crate::view::labels::Labels;

const HEADER: [&str; 8] = [
    "No.",
    "Time",
    "Source",
    "Destination",
    "Protocol",
    "Flags",
    "Length",
    "Data",
];

/// The Time column's position in [`HEADER`], left out with stable labels.
const TIME: usize = 1;

/// The segments as a table, one row per segment, ending in a newline; GitHub
/// Markdown when `markdown` is set.
pub fn table(segments: &[Segment], labels: &Labels, markdown: bool) -> String {
    let stable = labels.is_stable();
    let header: Vec<&str> = columns(HEADER.to_vec(), stable);
    let mut table = new_table(&header);
    apply_color_choice(&mut table, false);
    for (i, segment) in segments.iter().enumerate() {
        let mut cells = columns(row(i + 1, segment, labels), stable);
        if markdown {
            // A `|` inside a cell would end it.
            cells = cells.into_iter().map(|c| c.replace('|', "\\|")).collect();
        }
        table.add_row(cells.into_iter().map(Cell::new).collect::<Vec<_>>());
    }
    markdown_style(&mut table, markdown);
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The cells of one row, in [`HEADER`] order.
fn row(number: usize, s: &Segment, labels: &Labels) -> Vec<String> {
    vec![
        number.to_string(),
        format!("{:.6}", s.time.as_secs_f64()),
        labels.addr(s.src),
        labels.addr(s.dst),
        s.proto.to_string(),
        s.flags.map_or_else(|| "-".to_string(), |f| f.to_string()),
        s.len.to_string(),
        data(s),
    ]
}

/// Drops the Time column when output must be the same on every run.
fn columns<T>(mut cells: Vec<T>, stable: bool) -> Vec<T> {
    if stable {
        cells.remove(TIME);
    }
    cells
}

/// The first payload bytes as text: printable ASCII as it is, `\n`, `\r`,
/// `\t` and `\\` as in Rust, any other byte as `\xNN`; `...` when the payload
/// is longer than what was kept.
pub fn data(segment: &Segment) -> String {
    let mut text: String = segment
        .payload_head
        .iter()
        .map(|&b| match b {
            b'\\' => "\\\\".to_string(),
            b'\n' => "\\n".to_string(),
            b'\r' => "\\r".to_string(),
            b'\t' => "\\t".to_string(),
            b' '..=b'~' => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    if segment.len > segment.payload_head.len() {
        text.push_str("...");
    }
    text
}

/// One segment as a JSON object: `src_addr`, `src_port`, `dst_addr`,
/// `dst_port`, `proto`, `flags` (`"SYN, ACK"`: Wireshark's names and order,
/// without the Info column's brackets; `null` for UDP), `len`, `data`,
/// and `time_ms` (milliseconds since the capture started) unless labels are stable.
pub fn json(segment: &Segment, labels: &Labels) -> Value {
    let mut object = json!({
        "proto": segment.proto,
        "src_addr": labels.ip(segment.src.ip()),
        "src_port": segment.src.port(),
        "dst_addr": labels.ip(segment.dst.ip()),
        "dst_port": segment.dst.port(),
        "flags": segment.flags.map(|f| f.list()),
        "len": segment.len,
        "data": data(segment),
    });
    if !labels.is_stable() {
        // Microsecond precision: finer would be noise from the reading thread.
        let time_ms = segment.time.as_micros() as f64 / 1000.0;
        object["time_ms"] = json!(time_ms);
    }
    object
}

/// The capture's evidence as a JSON object: `port`, `proto`, `clients` (their
/// `ip:port`), `from_clients`, `to_port`, `all_to_port` and the `sentence`,
/// given how many sockets served the clients.
pub fn evidence_json(evidence: &CaptureEvidence, sockets: usize, labels: &Labels) -> Value {
    let clients: Vec<String> = evidence.clients.iter().map(|&c| labels.addr(c)).collect();
    json!({
        "port": evidence.port,
        "proto": evidence.proto,
        "clients": clients,
        "from_clients": evidence.from_clients,
        "to_port": evidence.to_port,
        "all_to_port": evidence.all_to_port(),
        "sentence": evidence.sentence(labels.lang(), sockets),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::TcpFlags;
    use crate::kernel::Proto;
    use std::time::Duration;

    fn tcp(ms: u64, src: &str, dst: &str, flags: TcpFlags, payload: &[u8]) -> Segment {
        Segment {
            time: Duration::from_micros(ms * 1000 + 123),
            proto: Proto::Tcp,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            flags: Some(flags),
            len: payload.len(),
            payload_head: payload.iter().copied().take(16).collect(),
        }
    }

    const SYN: TcpFlags = TcpFlags {
        syn: true,
        fin: false,
        rst: false,
        ack: false,
        psh: false,
        urg: false,
        ece: false,
        cwr: false,
    };
    const SYN_ACK: TcpFlags = TcpFlags { ack: true, ..SYN };
    const DATA: TcpFlags = TcpFlags {
        syn: false,
        psh: true,
        ..SYN_ACK
    };

    fn handshake() -> Vec<Segment> {
        vec![
            tcp(0, "127.0.0.2:50426", "127.0.0.1:12000", SYN, b""),
            tcp(1, "127.0.0.1:12000", "127.0.0.2:50426", SYN_ACK, b""),
            tcp(2, "127.0.0.2:50426", "127.0.0.1:12000", DATA, b"hello\n"),
            tcp(3, "192.0.2.7:50427", "127.0.0.1:12000", DATA, b"a|b"),
        ]
    }

    #[test]
    fn a_table_like_wireshark() {
        assert_eq!(
            table(&handshake(), &Labels::plain(), false),
            "\
No.  Time      Source           Destination      Protocol  Flags       Length  Data
1    0.000123  127.0.0.2:50426  127.0.0.1:12000  TCP       [SYN]       0
2    0.001123  127.0.0.1:12000  127.0.0.2:50426  TCP       [SYN, ACK]  0
3    0.002123  127.0.0.2:50426  127.0.0.1:12000  TCP       [PSH, ACK]  6       hello\\n
4    0.003123  192.0.2.7:50427  127.0.0.1:12000  TCP       [PSH, ACK]  3       a|b
"
        );
    }

    #[test]
    fn stable_and_redacted_markdown_has_no_time_and_no_host() {
        let labels = Labels::new(true, true);
        assert_eq!(
            table(&handshake(), &labels, true),
            "\
| No. | Source          | Destination     | Protocol | Flags      | Length | Data    |
|-----|-----------------|-----------------|----------|------------|--------|---------|
| 1   | 127.0.0.2:50426 | 127.0.0.1:12000 | TCP      | [SYN]      | 0      |         |
| 2   | 127.0.0.1:12000 | 127.0.0.2:50426 | TCP      | [SYN, ACK] | 0      |         |
| 3   | 127.0.0.2:50426 | 127.0.0.1:12000 | TCP      | [PSH, ACK] | 6      | hello\\n |
| 4   | host-A:50427    | 127.0.0.1:12000 | TCP      | [PSH, ACK] | 3      | a\\|b    |
"
        );
    }

    #[test]
    fn data_escapes_what_is_not_printable_and_marks_a_cut() {
        let mut s = tcp(0, "127.0.0.2:1", "127.0.0.1:2", DATA, b"GET /\r\n\x00\\");
        assert_eq!(data(&s), "GET /\\r\\n\\x00\\\\");
        s.len = 100;
        assert!(data(&s).ends_with("..."));
    }

    #[test]
    fn json_has_the_fields_of_the_issue() {
        let segments = handshake();
        let value = json(&segments[1], &Labels::plain());
        assert_eq!(
            value,
            json!({
                "proto": "tcp",
                "src_addr": "127.0.0.1",
                "src_port": 12000,
                "dst_addr": "127.0.0.2",
                "dst_port": 50426,
                "flags": "SYN, ACK",
                "len": 0,
                "data": "",
                "time_ms": 1.123,
            })
        );
        let stable = json(&segments[3], &Labels::new(true, true));
        assert_eq!(stable["src_addr"], "host-A");
        assert_eq!(stable.get("time_ms"), None);
    }

    #[test]
    fn udp_has_null_flags_and_a_dash_in_the_table() {
        let mut s = tcp(0, "127.0.0.2:50426", "127.0.0.1:12000", SYN, b"hi");
        s.proto = Proto::Udp;
        s.flags = None;
        assert_eq!(json(&s, &Labels::plain())["flags"], Value::Null);
        assert!(table(&[s], &Labels::new(false, true), false).contains("UDP       -      2"));
    }

    #[test]
    fn evidence_as_json() {
        let evidence = crate::capture::evidence(&handshake(), 12000, Proto::Tcp);
        let value = evidence_json(&evidence, 2, &Labels::new(true, false));
        assert_eq!(value["clients"], json!(["127.0.0.2:50426", "host-A:50427"]));
        assert_eq!(value["all_to_port"], json!(true));
        assert_eq!(value["from_clients"], json!(3));
    }
}
