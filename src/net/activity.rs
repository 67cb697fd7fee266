//! What an echo server has done so far, published for whoever watches it.
//!
//! Both servers ([`super::tcp_server`] and [`super::udp_server`]) publish an
//! [`Activity`] on a `tokio::sync::watch` channel after every change. A watch
//! channel keeps only the latest value, so a slow watcher (the reporter that
//! reads the socket table, the live page) never holds a server up: it sees
//! the newest counts when it looks, and a burst of accepts folds into one.

use std::net::SocketAddr;

/// What a server has done so far; published after every accept and every
/// departure (TCP) or new client (UDP), so a watcher (the snapshot printer)
/// can react to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Connections accepted (TCP) or distinct clients heard from (UDP) so far.
    pub accepted: u64,
    /// The remote end of the last one.
    pub last_peer: Option<SocketAddr>,
    /// TCP: connections that ended (the client closed, or was idle too
    /// long) so far; `accepted - departed` are open. Connections the server
    /// closes when it stops are not counted: nobody watches by then.
    pub departed: u64,
    /// The remote end of the last connection that ended.
    pub last_departed: Option<SocketAddr>,
}
