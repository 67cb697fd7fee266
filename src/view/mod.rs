//! Writing a snapshot and its verdict for people and for programs.
//!
//! Every function here is pure: it takes a [`Snapshot`], a [`Verdict`] and the
//! [`Labels`] that say how to write values, and returns text. Nothing here
//! touches a socket, so the views are tested on hand-built rows.
//!
//! * [`netstat`]: the columns of `netstat -tanp`, one row per socket;
//! * [`lsof`]: the columns of `lsof -i`, one row per process holding a socket;
//! * [`json`]: one JSON object per snapshot, documented in `docs/output.md`.
//!
//! A table with more rows than `--max-rows` is cut to its first and last rows,
//! after a summary of what the cut rows hold (JSON always has every row).
//!
//! Text for people fits a width ([`TableOptions::width`]): prose is wrapped
//! at spaces, and a table too wide for it first closes up its columns, then
//! (netstat) leaves out Recv-Q and Send-Q. An address is never cut: a
//! student copies it into `connect` or compares it with `ss`.
//! The netstat table, which can be asked for whole, is written by
//! [`columns`] (padded in two passes, as fast as `ss` prints); comfy-table
//! draws the rest.

pub mod capture;
pub mod columns;
pub mod json;
pub mod labels;
pub mod live;
pub mod lsof;
pub mod mermaid;
pub mod netstat;
mod options;
pub mod qr;
pub mod report;
mod table;
mod text;

use table::{Fit, fit, markdown_style, push_table, rows_to_show};

pub use options::{Format, TableOptions, ViewKind};
pub use text::{
    display_width, note_line, note_text, outcome_word, prose, show, underline, underlined, wrap,
};

use std::collections::{BTreeMap, HashSet};

use crate::kernel::{SocketState, addr_key};

use crate::claim::snapshot::{Role, Row, Snapshot};
use crate::claim::verdict::{Outcome, Verdict};
use crate::lang::tables::RoleWord;
use crate::lang::{self, Lang};
use crate::view::labels::Labels;

// Colours must read on a black terminal and on a white projector screen
// alike: the dark (standard) green and magenta do; yellow and the bright
// colours all but vanish on white.

/// The tables and the verdict, as text ending in a newline.
///
/// A snapshot of both ends of the port (`inspect`, which reads like
/// `netstat -tanp | grep :P`) holds the server's sockets *and* the sockets
/// of its clients on this host. They are drawn as two tables, each under a
/// line that names its side, the clients' table followed by what it shows
/// (the mirror image), so that nobody reads a client's socket as one more
/// socket of the server.
pub fn tables(
    snapshot: &Snapshot,
    verdict: &Verdict,
    options: &TableOptions,
    labels: &Labels,
) -> String {
    let port = snapshot.port;
    let server_rows = snapshot
        .rows
        .iter()
        .filter(|row| row.socket.local.port() == port)
        .count();
    let mut out = if server_rows == snapshot.rows.len() {
        socket_tables(snapshot, options, labels)
    } else if server_rows == 0 {
        let mut out = socket_tables(snapshot, options, labels);
        out.push_str(&mirror_line_if_any(snapshot, options, labels.lang()));
        out
    } else {
        both_sides(snapshot, options, labels)
    };
    out.push_str(&prose(
        &verdict_line(verdict, labels, options.color),
        options,
    ));
    out
}

/// The server's side (local port P) and the clients' side (remote port P)
/// of one snapshot, each under its own line, and the notes once at the end.
fn both_sides(snapshot: &Snapshot, options: &TableOptions, labels: &Labels) -> String {
    let port = snapshot.port;
    let side = |server: bool| Snapshot {
        port,
        proto: snapshot.proto,
        rows: snapshot
            .rows
            .iter()
            .filter(|row| (row.socket.local.port() == port) == server)
            .cloned()
            .collect(),
        notes: Vec::new(),
        peers: snapshot.peers.clone(),
        peers_counted: snapshot.peers_counted,
    };
    let (server, clients) = (side(true), side(false));
    let lang = labels.lang();
    let mut out = format!("{}\n", lang::tables::server_side(lang, port));
    out.push_str(&socket_tables(&server, options, labels));
    out.push_str(&format!("\n{}\n", lang::tables::clients_side(lang, port)));
    out.push_str(&socket_tables(&clients, options, labels));
    out.push_str(&mirror_line_if_any(&clients, options, lang));
    for note in &snapshot.notes {
        out.push_str(&format!("{}\n", note_line(note, lang)));
    }
    out
}

/// The tables alone (with the summary of a long table, and the notes).
pub fn socket_tables(snapshot: &Snapshot, options: &TableOptions, labels: &Labels) -> String {
    let lang = labels.lang();
    let mut out = String::new();
    let (shown, cut) = rows_to_show(&snapshot.rows, options.max_rows);
    if cut > 0 {
        out.push_str(&prose(&summary(snapshot, lang), options));
        let head = shown.len().div_ceil(2);
        out.push_str(&prose(
            &lang::tables::rows_shown(lang, head, shown.len() - head, cut),
            options,
        ));
    }
    if matches!(options.view, ViewKind::Netstat | ViewKind::Both) {
        // netstat's own flags: -t for TCP, -u for UDP.
        let title = lang::tables::netstat_title(lang, snapshot.proto.into());
        let fitted = netstat::push(&mut out, title, &shown, cut, options, labels);
        if fitted == Fit::LeftOut {
            out.push_str(&prose(
                &lang::tables::queues_left_out(lang, options.width),
                options,
            ));
        }
    }
    if matches!(options.view, ViewKind::Lsof | ViewKind::Both) {
        let mut table = lsof::table(&shown, cut, options.color, labels);
        markdown_style(&mut table, options.markdown);
        let fitted = fit(&mut table, options, &lsof::EXPENDABLE);
        push_table(&mut out, lang::tables::lsof_title(lang), &table);
        if fitted == Fit::LeftOut {
            out.push_str(&prose(
                &lang::tables::lsof_columns_left_out(lang, options.width),
                options,
            ));
        }
        let unheld = lsof::left_out(&shown);
        if unheld > 0 {
            out.push_str(&prose(&lang::tables::lsof_left_out(lang, unheld), options));
        }
    }
    for note in &snapshot.notes {
        out.push_str(&prose(&note_line(note, lang), options));
    }
    out
}

/// [`mirror_line`] when the snapshot has client sockets (the clients' side
/// may hold only leftovers, such as TIME_WAIT), wrapped as prose.
fn mirror_line_if_any(snapshot: &Snapshot, options: &TableOptions, lang: Lang) -> String {
    if snapshot.with_role(Role::Client).next().is_some() {
        prose(mirror_line(snapshot, lang).trim_end(), options)
    } else {
        String::new()
    }
}

/// What the clients' own sockets show: each has its own local port, and all
/// point at the server's one port.
pub fn mirror_line(snapshot: &Snapshot, lang: Lang) -> String {
    let clients: Vec<&Row> = snapshot.with_role(Role::Client).collect();
    let local_ends: HashSet<_> = clients.iter().map(|r| r.socket.local).collect();
    // Clients that chose one source port from several IPs (`--source-port`)
    // differ by IP alone: each port is listed once, and the line says so.
    let mut listed = HashSet::new();
    let ports: Vec<u16> = clients
        .iter()
        .map(|r| r.socket.local.port())
        .filter(|&port| listed.insert(port))
        .collect();
    let by_ip = ports.len() < local_ends.len();
    let shown: Vec<String> = ports.iter().take(8).map(u16::to_string).collect();
    let n = clients.len();
    if n == 0 {
        return format!("{}\n", lang::tables::no_client_socket(lang, snapshot.port));
    }
    let line = lang::tables::mirror(
        lang,
        snapshot.proto.into(),
        n,
        local_ends.len(),
        (&shown, ports.len(), by_ip),
        snapshot.port,
    );
    format!("{line}\n")
}

/// `Verdict: HOLDS. 3 accepted sockets ...`
pub fn verdict_line(verdict: &Verdict, labels: &Labels, color: bool) -> String {
    let lang = labels.lang();
    let word = outcome_word(verdict.outcome, lang);
    let word = if color {
        // Bold, and green or red (standard, not bright: they read on white);
        // "not enough evidence" is a fact, not an alarm: bold alone.
        let code = match verdict.outcome {
            Outcome::Holds => "1;32",
            Outcome::Fails => "1;31",
            Outcome::NotEnoughEvidence => "1",
        };
        format!("\x1b[{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    };
    format!(
        "{}: {word}. {}",
        lang::verdict::label(lang),
        verdict.explanation(lang, &|a| labels.addr(a))
    )
}

/// A few lines that say what a long table holds: counts per state and role,
/// and how many distinct remote addresses and ends.
fn summary(snapshot: &Snapshot, lang: Lang) -> String {
    let mut states: BTreeMap<SocketState, usize> = BTreeMap::new();
    let mut roles: BTreeMap<Role, usize> = BTreeMap::new();
    let mut remote_ends = Vec::with_capacity(snapshot.rows.len());
    for row in &snapshot.rows {
        *states.entry(row.socket.state).or_default() += 1;
        *roles.entry(row.role).or_default() += 1;
        remote_ends.extend(row.socket.remote.map(addr_key));
    }
    remote_ends.sort_unstable();
    remote_ends.dedup();
    let mut remote_ips: Vec<u128> = remote_ends.iter().map(|&(ip, _)| ip).collect();
    remote_ips.dedup(); // sorted by IP already
    let states: Vec<String> = states
        .iter()
        .map(|(s, n)| lang::tables::state_count(lang, s.name(), *n))
        .collect();
    let roles: Vec<String> = roles
        .iter()
        .map(|(r, n)| lang::tables::role_count(lang, role_word(*r), *n))
        .collect();
    let line = lang::tables::summary(
        lang,
        snapshot.rows.len(),
        (snapshot.proto.into(), snapshot.port),
        &states.join(", "),
        &roles.join(", "),
        (remote_ips.len(), remote_ends.len()),
    );
    format!("{line}\n")
}

/// The word for a role in the summary of a long table.
fn role_word(role: Role) -> RoleWord {
    match role {
        Role::Listener => RoleWord::Listener,
        Role::Accepted => RoleWord::Accepted,
        Role::Queued => RoleWord::Queued,
        Role::Server => RoleWord::Server,
        Role::Client => RoleWord::Client,
        Role::Other => RoleWord::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::verdict::judge;
    use crate::testing::{accepted, client, listener, snapshot};

    /// Clients on one source port from two IPs are told apart by IP: the
    /// line says so instead of listing the same port twice.
    #[test]
    fn clients_on_one_port_differ_by_ip() {
        let same_port = snapshot(
            12000,
            vec![
                client("127.0.0.2:15556", "127.0.0.1:12000"),
                client("127.0.0.3:15556", "127.0.0.1:12000"),
            ],
        );
        let line = mirror_line(&same_port, Lang::En);
        assert!(
            line.contains("(port 15556; the IP addresses differ)"),
            "{line}"
        );
        let korean = mirror_line(&same_port, Lang::Ko);
        assert!(
            korean.contains("(포트 15556, IP 주소가 서로 다름)"),
            "{korean}"
        );
        let line = mirror_line(&three_clients(), Lang::En);
        assert!(!line.contains("IP addresses differ"), "{line}");
    }

    fn three_clients() -> Snapshot {
        snapshot(
            12000,
            vec![
                listener("0.0.0.0:12000"),
                accepted("127.0.0.1:12000", "127.0.0.2:50426"),
                accepted("127.0.0.1:12000", "127.0.0.3:50427"),
                accepted("127.0.0.1:12000", "127.0.0.4:50428"),
            ],
        )
    }

    fn options(view: ViewKind, max_rows: usize) -> TableOptions {
        TableOptions {
            view,
            color: false,
            max_rows,
            markdown: false,
            width: 1000,
        }
    }

    #[test]
    fn both_tables_and_the_verdict() {
        let snap = three_clients();
        let text = tables(
            &snap,
            &judge(&snap),
            &options(ViewKind::Both, 50),
            &Labels::plain(),
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn long_tables_are_summarised() {
        let mut sockets = vec![listener("0.0.0.0:12000")];
        for i in 0..60 {
            sockets.push(accepted(
                "127.0.0.1:12000",
                &format!("127.0.0.{}:{}", 2 + i % 3, 50000 + i),
            ));
        }
        let snap = snapshot(12000, sockets);
        let text = tables(
            &snap,
            &judge(&snap),
            &options(ViewKind::Netstat, 6),
            &Labels::plain(),
        );
        insta::assert_snapshot!(text);
    }

    /// Both ends of the port (what `inspect` reads): the server's sockets
    /// and its clients' sockets on this host, as two tables under lines that
    /// name the sides, the clients' followed by the mirror image.
    #[test]
    fn both_sides_are_drawn_apart() {
        let mut sockets = three_clients()
            .rows
            .into_iter()
            .map(|r| r.socket)
            .collect::<Vec<_>>();
        sockets.push(client("127.0.0.2:50426", "127.0.0.1:12000"));
        sockets.push(client("127.0.0.3:50427", "127.0.0.1:12000"));
        let snap = snapshot(12000, sockets);
        let text = tables(
            &snap,
            &judge(&snap),
            &options(ViewKind::Netstat, 50),
            &Labels::plain(),
        );
        insta::assert_snapshot!(text);
        let server = text.find("The server's side").unwrap();
        let clients = text.find("The clients' side").unwrap();
        assert!(server < clients);
        let client_rows = &text[clients..];
        assert_eq!(
            client_rows.matches("127.0.0.1:12000  ESTABLISHED").count(),
            2
        );
        assert!(!text[..clients].contains("127.0.0.1:12000  ESTABLISHED"));
        assert!(client_rows.contains("2 client sockets"));
    }

    /// A PID the OS reports as 0 (unknown: Windows does this for TIME_WAIT
    /// and the System Idle Process) prints as `-` in every view, never `0/-`
    /// or a process 0; a real PID still prints.
    #[test]
    fn an_unknown_pid_prints_as_a_dash() {
        let mut snap = three_clients();
        let unknown = &mut snap.rows[1].socket.holders[0];
        unknown.pid = 0;
        unknown.process = None;
        let verdict = judge(&snap);
        let text = tables(
            &snap,
            &verdict,
            &options(ViewKind::Both, 50),
            &Labels::plain(),
        );
        assert!(!text.contains("0/-"), "{text}");
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("127.0.0.2:50426") && l.contains("ESTABLISHED"))
            .collect();
        assert_eq!(rows.len(), 2, "one netstat and one lsof row: {text}");
        assert!(rows[0].ends_with("ESTABLISHED  -"), "netstat: {}", rows[0]);
        let lsof: Vec<&str> = rows[1].split_whitespace().collect();
        assert_eq!(&lsof[..2], ["-", "-"], "lsof COMMAND and PID: {}", rows[1]);
        // The other rows keep their real PID.
        assert!(text.contains("4242/sameport"), "{text}");
        let value = json::snapshot(&snap, &verdict, &Labels::plain());
        assert_eq!(value["sockets"][1]["pid"], serde_json::Value::Null);
        assert_eq!(
            value["sockets"][1]["holders"][0]["pid"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn colour_codes_only_when_asked() {
        let snap = three_clients();
        let verdict = judge(&snap);
        let plain = tables(
            &snap,
            &verdict,
            &options(ViewKind::Both, 50),
            &Labels::plain(),
        );
        assert!(!plain.contains('\x1b'));
        let mut coloured = options(ViewKind::Both, 50);
        coloured.color = true;
        assert!(tables(&snap, &verdict, &coloured, &Labels::plain()).contains('\x1b'));
    }

    #[test]
    fn wrap_breaks_at_spaces_only() {
        let text = "word ".repeat(40);
        let wrapped = wrap(text.trim_end(), 80);
        assert!(wrapped.lines().all(|l| l.chars().count() <= 80));
        assert_eq!(wrapped.replace('\n', " "), text.trim_end());
        let address = "[2001:db8:1234:5678:9abc:def0:1234:5678]:12000";
        assert_eq!(wrap(address, 10), address, "an address is never cut");
        // Colour codes take no columns.
        let coloured = format!("\x1b[1;32m{}\x1b[0m", "x".repeat(80));
        assert_eq!(wrap(&coloured, 80), coloured);
    }

    /// Hangul takes two columns a syllable: widths, wrapping and underlines
    /// count columns on screen, not characters or bytes.
    #[test]
    fn hangul_takes_two_columns() {
        assert_eq!(display_width("포트"), 4);
        assert_eq!(display_width("1단계. 판정"), 11);
        assert_eq!(display_width("\x1b[1;32m성립\x1b[0m"), 4);
        assert_eq!(underline("1단계. 판정", '-'), "-".repeat(11));
        assert_eq!(underline("Step 6. The verdict", '-').len(), 19);
        // Twenty 3-syllable words (6 columns each, 7 with the space) wrap
        // at 80 columns after 11 words (76 columns), not after 20 characters.
        let text = vec!["소켓은"; 20].join(" ");
        let wrapped = wrap(&text, 80);
        assert!(wrapped.lines().all(|l| display_width(l) <= 80), "{wrapped}");
        assert_eq!(display_width(wrapped.lines().next().unwrap()), 76);
    }

    /// At 80 columns the netstat table closes up (one space between columns),
    /// then leaves out Recv-Q and Send-Q and says so; addresses stay whole.
    #[test]
    fn tables_fit_80_columns_without_cutting_an_address() {
        let snap = three_clients();
        let verdict = judge(&snap);
        let wide = tables(
            &snap,
            &verdict,
            &options(ViewKind::Netstat, 50),
            &Labels::plain(),
        );
        let mut narrow = options(ViewKind::Netstat, 50);
        narrow.width = 80;
        let text = tables(&snap, &verdict, &narrow, &Labels::plain());
        assert!(
            wide.lines().any(|l| l.len() > 80),
            "the test needs a wide table"
        );
        assert!(text.lines().all(|l| l.len() <= 80), "{text}");
        assert!(
            text.contains("Recv-Q"),
            "one space between columns is enough here: {text}"
        );
        assert!(
            text.contains("127.0.0.1:12000 127.0.0.2:50426 ESTABLISHED"),
            "{text}"
        );

        let mut v6 = three_clients();
        v6.rows[1].socket.local = "[2001:db8:1234:5678:9abc:def0:1234:5678]:12000"
            .parse()
            .unwrap();
        let text = tables(&v6, &judge(&v6), &narrow, &Labels::plain());
        assert!(
            text.contains("[2001:db8:1234:5678:9abc:def0:1234:5678]:12000"),
            "{text}"
        );
        assert!(!text.contains("Recv-Q  "), "{text}");
        assert!(
            text.contains("Recv-Q and Send-Q are left out to fit 80 columns"),
            "{text}"
        );
        // The table is as wide as its widest address; the prose fits.
        for line in text
            .lines()
            .filter(|l| !l.starts_with("tcp") && !l.starts_with("Proto"))
        {
            assert!(line.len() <= 80, "{line}");
        }
    }

    /// Sockets no process holds (TIME_WAIT, the accept queue) are rows of
    /// netstat but not of lsof, and the text under the lsof table says so.
    #[test]
    fn lsof_shows_only_held_sockets_and_says_what_it_left_out() {
        use crate::kernel::SocketState;
        use crate::testing::tcp;
        let mut snap = three_clients();
        let mut time_wait = tcp(
            "127.0.0.1:12000",
            Some("127.0.0.5:40000"),
            SocketState::TimeWait,
        );
        time_wait.holders.clear();
        snap.rows.push(Row {
            socket: time_wait,
            role: Role::Other,
        });
        let text = tables(
            &snap,
            &judge(&snap),
            &options(ViewKind::Both, 50),
            &Labels::plain(),
        );
        let (netstat, lsof) = text.split_once("lsof -i view").unwrap();
        assert!(netstat.contains("127.0.0.5:40000"), "{netstat}");
        assert!(!lsof.contains("127.0.0.5:40000"), "{lsof}");
        assert!(!lsof.lines().any(|l| l.starts_with("-")), "{lsof}");
        assert!(
            lsof.contains("1 socket that no process holds (TIME_WAIT, or waiting in the accept queue) is left out here"),
            "{lsof}"
        );
    }

    /// The colours read on white and on black: no yellow, no bright colours.
    #[test]
    fn colours_read_on_a_white_screen() {
        let snap = three_clients();
        let mut coloured = options(ViewKind::Both, 50);
        coloured.color = true;
        let text = tables(&snap, &judge(&snap), &coloured, &Labels::plain());
        for unreadable in [
            "[33m", "[93m", "[1;33m", "38;5;3m", "38;5;11m", "38;5;10m", "[92m",
        ] {
            assert!(!text.contains(unreadable), "{unreadable:?} in {text:?}");
        }
        assert!(
            text.contains("38;5;2m") && text.contains("38;5;5m"),
            "{text:?}"
        );
    }
}
