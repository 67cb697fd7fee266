//! The `inspect` command: the same proof for any server already running.
//!
//! `sameport inspect --port 80` reads the sockets whose local port is 80,
//! whoever owns them (nginx, a Python server, a database ...), attributes them
//! to processes the way `ss -p` and `lsof` do (but stopping as soon as every
//! socket has an owner), prints the tables and the verdict once, and exits
//! with the verdict as its exit code (see [`crate::exit`]).
//!
//! Sockets of other users' processes can only be attributed by root; without
//! it their PID columns show `-` and a note says why. The verdict does not
//! depend on PIDs, so it is the same either way.

use std::process::ExitCode;

use crate::claim::{Look, Observation, observe};
use crate::exit;
use crate::kernel::{Attribution, PortSide, Proto, Query, SocketTable};
use crate::output::{self, Output};

/// Reads, judges and prints port `port` once. `table` is the kernel's
/// ([`crate::kernel::Kernel`]) except in tests.
pub fn inspect(
    table: &dyn SocketTable,
    port: u16,
    proto: Proto,
    output: &Output,
) -> anyhow::Result<ExitCode> {
    let query = Query {
        proto,
        port,
        side: PortSide::Local,
    };
    let Observation { snapshot, verdict } = observe(table, &Look::new(query, Attribution::Search))?;
    let heading = format!("Sockets on {proto} port {port} on this host");
    let text = output.snapshot(&snapshot, &verdict, &heading, None);
    output::print(&text)?;
    Ok(exit::for_verdict(&verdict))
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
        let code = inspect(&holds, 8080, Proto::Tcp, &output()).unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let alone = FixedTable(vec![listener("0.0.0.0:8080")]);
        let code = inspect(&alone, 8080, Proto::Tcp, &output()).unwrap();
        assert_eq!(code, ExitCode::from(exit::NOT_ENOUGH_EVIDENCE));
    }
}
