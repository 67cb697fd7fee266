//! The one pipeline: ask the kernel, give every socket its role, judge.
//!
//! Every command (`inspect`, `serve`'s reporter, `demo`, `connect`, `scale`)
//! gets its snapshot here, so all of them see the port the same way:
//!
//! ```text
//! SocketTable::read(query)  ->  Snapshot::new (roles)  ->  judge (verdict)
//! ```
//!
//! The table is a [`SocketTable`], not the kernel itself, so a unit test can
//! drive any command with a hand-built table. Everything that proves the
//! claim passes [`crate::kernel::Kernel`].

use std::net::SocketAddr;
use std::sync::Arc;

use crate::kernel::{Attribution, Query, SocketTable, TableError};

use super::snapshot::Snapshot;
use super::verdict::{self, Verdict};

/// What to look at.
#[derive(Clone, Debug)]
pub struct Look {
    pub query: Query,
    pub attribution: Attribution,
    /// Keep only the sockets this process holds: the demo's and the clients'
    /// own view, without other programs' sockets on the same port.
    pub only_ours: bool,
    /// For UDP: the clients the server has received datagrams from, which
    /// the table cannot show (see [`Snapshot::peers`]); `None` where no
    /// server of ours counts them.
    pub udp_peers: Option<Vec<SocketAddr>>,
}

impl Look {
    /// Every socket the query matches, attributed as asked.
    pub fn new(query: Query, attribution: Attribution) -> Self {
        Look {
            query,
            attribution,
            only_ours: false,
            udp_peers: None,
        }
    }

    /// Only the sockets this process holds.
    pub fn only_ours(mut self) -> Self {
        self.only_ours = true;
        self
    }

    /// With the UDP clients a server of ours heard from (`None`: it is not
    /// a UDP server of ours).
    pub fn with_udp_peers(mut self, peers: Option<Vec<SocketAddr>>) -> Self {
        self.udp_peers = peers;
        self
    }
}

/// A snapshot of the port and the verdict on it.
#[derive(Clone, Debug)]
pub struct Observation {
    pub snapshot: Snapshot,
    pub verdict: Verdict,
}

/// Reads the table, builds the snapshot and judges it. Blocking: the table
/// read is a system call that can take tens of milliseconds on a busy port
/// (see [`observe_off_thread`] for async callers).
pub fn observe(table: &dyn SocketTable, look: &Look) -> Result<Observation, TableError> {
    let mut read = table.read(&look.query, &look.attribution)?;
    if look.only_ours {
        read = read.only_ours();
    }
    let snapshot = Snapshot::new(look.query.port, look.query.proto, read.sockets, read.notes)
        .with_peers(look.udp_peers.clone());
    let verdict = verdict::judge(&snapshot);
    Ok(Observation { snapshot, verdict })
}

/// [`observe`] on tokio's blocking pool, so async threads that echo bytes
/// never wait for a table read.
pub async fn observe_off_thread(
    table: Arc<dyn SocketTable>,
    look: Look,
) -> anyhow::Result<Observation> {
    let observation = tokio::task::spawn_blocking(move || observe(table.as_ref(), &look)).await??;
    Ok(observation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::verdict::Outcome;
    use crate::kernel::{Note, PortSide, Proto, TableRead};
    use crate::testing::{accepted, listener};

    /// A table that always answers with the same rows.
    struct FixedTable(Vec<crate::kernel::KernelSocket>);

    impl SocketTable for FixedTable {
        fn read(&self, _: &Query, _: &Attribution) -> Result<TableRead, TableError> {
            Ok(TableRead {
                sockets: self.0.clone(),
                notes: vec![Note::ClientSideOnly { port: 12000 }],
            })
        }
    }

    fn look() -> Look {
        Look::new(
            Query {
                proto: Proto::Tcp,
                port: 12000,
                side: PortSide::Local,
            },
            Attribution::None,
        )
    }

    #[test]
    fn a_fake_table_goes_through_roles_and_verdict() {
        let table = FixedTable(vec![
            accepted("127.0.0.1:12000", "127.0.0.3:40000"),
            listener("0.0.0.0:12000"),
            accepted("127.0.0.1:12000", "127.0.0.2:40000"),
        ]);
        let seen = observe(&table, &look()).unwrap();
        assert_eq!(seen.verdict.outcome, Outcome::Holds);
        assert_eq!(seen.snapshot.rows.len(), 3);
        assert_eq!(
            seen.snapshot.notes,
            vec![Note::ClientSideOnly { port: 12000 }]
        );
    }

    #[test]
    fn only_ours_drops_sockets_of_other_processes() {
        // Hand-built rows have no holders, so none of them is ours.
        let table = FixedTable(vec![listener("0.0.0.0:12000")]);
        let seen = observe(&table, &look().only_ours()).unwrap();
        assert!(seen.snapshot.rows.is_empty());
        assert_eq!(seen.verdict.outcome, Outcome::NotEnoughEvidence);
    }
}
