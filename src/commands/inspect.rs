//! The `inspect` command: the same proof for any server already running.
//!
//! `sameport inspect --port 80` reads the sockets on port 80, whoever owns
//! them (nginx, a Python server, a database ...), attributes them to
//! processes the way `ss -p` and `lsof` do (but stopping as soon as every
//! socket has an owner), prints the tables and the verdict once, and exits
//! with the verdict as its exit code (see [`crate::exit`]).
//!
//! It reads both ends of the port, as `netstat -tanp | grep :80` does: the
//! server's sockets (local port 80) and, when clients run on this host, the
//! clients' own sockets (remote port 80), each shown with its role. The
//! client rows are the mirror image of the accepted ones. `--side server`
//! or `--side client` asks for one end only.
//!
//! For UDP the clients' side is the only way the table can show a client at
//! all: a UDP server keeps one socket for everyone and no socket per client.
//! Clients on this host that called `connect()` appear as `client` rows and
//! count for the verdict; clients elsewhere, or that use `sendto()` without
//! `connect()`, leave no trace, and the verdict says precisely that.
//!
//! Sockets of other users' processes can only be attributed by root; without
//! it their PID columns show `-` and a note says why. The verdict does not
//! depend on PIDs, so it is the same either way.

use std::process::ExitCode;

use crate::claim::{Look, Observation, observe};
use crate::exit;
use crate::kernel::{Attribution, Note, PortSide, Proto, Query, SocketTable};
use crate::lang::inspect::Sides;
use crate::lang::{self, Lang};
use crate::output::Output;

/// Reads, judges and prints port `port` once: the sockets on `side` of it
/// ([`PortSide::Either`] for both). The verdict (and the exit code) always
/// judges both sides, so it is the same whichever side is shown: a server
/// with clients holds even when only the clients' rows are printed. `table`
/// is the kernel's ([`crate::kernel::Kernel`]) except in tests.
pub fn inspect(
    table: &dyn SocketTable,
    port: u16,
    proto: Proto,
    side: PortSide,
    output: &Output,
) -> anyhow::Result<ExitCode> {
    let query = Query {
        proto,
        port,
        side: judged_side(proto, side),
    };
    let Observation {
        mut snapshot,
        verdict,
    } = observe(table, &Look::new(query, Attribution::Search))?;
    snapshot
        .rows
        .retain(|row| side.matches(port, row.socket.local, row.socket.remote));
    if side == PortSide::Remote {
        snapshot.notes.push(Note::ClientSideOnly { port });
    }
    let heading = heading(proto, port, side, output.lang());
    output.print_snapshot(&snapshot, &verdict, &heading, None)?;
    let code = exit::for_verdict(&verdict);
    // The process exits next, and the kernel takes its memory back at once.
    // Freeing 19,000 rows one by one first (each with its holders and their
    // shared names) took 2.2 ms of a 60 ms run, measured: skip it.
    std::mem::forget(snapshot);
    Ok(code)
}

/// The sockets the verdict needs, whatever `--side` shows. For TCP the
/// claim is about the server's side alone (the listener and its accepted
/// sockets), so `--side server` reads no more than `ss 'sport = :P'` does;
/// the clients' side alone cannot be judged, so it is read with the server's.
/// For UDP the clients on this host are evidence too (the server keeps no
/// socket per client), so both sides are read.
fn judged_side(proto: Proto, shown: PortSide) -> PortSide {
    match (proto, shown) {
        (Proto::Tcp, PortSide::Local) => PortSide::Local,
        _ => PortSide::Either,
    }
}

/// `Sockets on TCP port 80 on this host: ...`, naming the side(s) shown.
pub fn heading(proto: Proto, port: u16, side: PortSide, lang: Lang) -> String {
    let sides = match side {
        PortSide::Either => Sides::Both,
        PortSide::Local => Sides::Server,
        PortSide::Remote => Sides::Clients,
    };
    lang::inspect::heading(lang, proto.into(), port, sides)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{KernelSocket, TableError, TableRead};
    use crate::testing::{accepted, listener};
    use crate::view::labels::Labels;
    use crate::view::{Format, ViewKind};

    /// A table that answers every query with the same rows.
    struct FixedTable(Vec<KernelSocket>);

    impl SocketTable for FixedTable {
        fn read(&self, _: &Query, _: &Attribution) -> Result<TableRead, TableError> {
            Ok(TableRead {
                sockets: self.0.clone(),
                notes: Vec::new(),
            })
        }
    }

    fn output() -> Output {
        Output::new(Format::Json, ViewKind::Netstat, 50, Labels::plain())
    }

    #[test]
    fn the_exit_code_follows_the_verdict_on_the_table() {
        let holds = FixedTable(vec![
            listener("0.0.0.0:8080"),
            accepted("127.0.0.1:8080", "127.0.0.2:40000"),
            accepted("127.0.0.1:8080", "127.0.0.3:40000"),
        ]);
        let code = inspect(&holds, 8080, Proto::Tcp, PortSide::Local, &output()).unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let alone = FixedTable(vec![listener("0.0.0.0:8080")]);
        let code = inspect(&alone, 8080, Proto::Tcp, PortSide::Local, &output()).unwrap();
        assert_eq!(code, ExitCode::from(exit::NOT_ENOUGH_EVIDENCE));
    }

    /// `--side server` of TCP reads what `ss 'sport = :P'` reads, no more;
    /// every other case reads both sides, which the verdict needs.
    #[test]
    fn the_verdict_reads_the_sides_it_needs() {
        assert_eq!(judged_side(Proto::Tcp, PortSide::Local), PortSide::Local);
        assert_eq!(judged_side(Proto::Tcp, PortSide::Remote), PortSide::Either);
        assert_eq!(judged_side(Proto::Tcp, PortSide::Either), PortSide::Either);
        assert_eq!(judged_side(Proto::Udp, PortSide::Local), PortSide::Either);
    }
}
