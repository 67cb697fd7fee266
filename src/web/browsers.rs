//! Which connections belong to one browser: the rows the page marks "you".
//!
//! The server sees connections, not browsers. One browser showing the page
//! holds several: the one that fetched the page, the one carrying the event
//! stream, perhaps one more it opened in advance. They all come from the
//! same IP address, but so do the connections of every other browser and
//! program on that machine, and of every machine behind the same NAT, so the
//! address alone would mark strangers as "you".
//!
//! The honest tie is a cookie. With the page, the server hands the browser a
//! token (`Set-Cookie`), and the browser sends it back with every later
//! request to this server, over whichever connection it uses. A connection
//! is then marked "you" when
//!
//! * it carries this page's event stream (the server knows that socket), or
//! * the browser sent a request with this page's token on it.
//!
//! A connection that carried no request yet (a *preconnect*) cannot be told
//! apart from a stranger's, so it is not marked; the page says so.
//!
//! Tokens are not stored when they are made: a token is a counter and a
//! keyed hash of it, so the server can check that it made a token without
//! remembering every one. Only the tokens of open connections are kept, at
//! most [`TOKENS_PER_CONNECTION`] per connection, so a client making up
//! tokens or opening page after page cannot grow the table.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

/// A connection is tied to at most this many browsers (normally one; a
/// proxy may carry requests of several browsers on one connection).
pub const TOKENS_PER_CONNECTION: usize = 2;

/// The browsers the server has handed the page to, and their connections.
#[derive(Debug)]
pub struct Browsers {
    /// The key of the hash that signs tokens (random per run).
    key: RandomState,
    next: AtomicU64,
    connections: Mutex<HashMap<String, BTreeSet<SocketAddr>>>,
    /// Bumped on every change, so event streams know to look again.
    changed: watch::Sender<u64>,
}

impl Default for Browsers {
    fn default() -> Self {
        Browsers {
            key: RandomState::new(),
            next: AtomicU64::new(1),
            connections: Mutex::new(HashMap::new()),
            changed: watch::channel(0).0,
        }
    }
}

impl Browsers {
    pub fn new() -> Arc<Browsers> {
        Arc::new(Browsers::default())
    }

    /// A new token for a browser that has none.
    pub fn mint(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{n:x}.{:016x}", self.key.hash_one(n))
    }

    /// Whether this server made `token`.
    pub fn is_ours(&self, token: &str) -> bool {
        let Some((n, mac)) = token.split_once('.') else {
            return false;
        };
        let (Ok(n), Ok(mac)) = (u64::from_str_radix(n, 16), u64::from_str_radix(mac, 16)) else {
            return false;
        };
        self.key.hash_one(n) == mac && token == format!("{n:x}.{mac:016x}")
    }

    /// The connections tied to `token` (its browser's), in address order.
    pub fn connections_of(&self, token: &str) -> Vec<SocketAddr> {
        self.lock()
            .get(token)
            .map(|set| set.iter().copied().collect())
            .unwrap_or_default()
    }

    /// A receiver that changes whenever a connection is tied or untied.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn tie(&self, token: &str, peer: SocketAddr) {
        let inserted = self
            .lock()
            .entry(token.to_string())
            .or_default()
            .insert(peer);
        if inserted {
            self.changed.send_modify(|v| *v += 1);
        }
    }

    fn untie(&self, token: &str, peer: SocketAddr) {
        let mut connections = self.lock();
        if let Some(set) = connections.get_mut(token) {
            set.remove(&peer);
            if set.is_empty() {
                connections.remove(token);
            }
        }
        drop(connections);
        self.changed.send_modify(|v| *v += 1);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, BTreeSet<SocketAddr>>> {
        // Every update is one insert or remove: a poisoned lock is still whole.
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One connection's ties; they are undone when it closes (on drop).
#[derive(Debug)]
pub struct Ties {
    browsers: Arc<Browsers>,
    peer: SocketAddr,
    tokens: Vec<String>,
}

impl Ties {
    pub fn new(browsers: Arc<Browsers>, peer: SocketAddr) -> Self {
        Ties {
            browsers,
            peer,
            tokens: Vec::new(),
        }
    }

    /// Ties this connection to `token`'s browser (a request carried it).
    pub fn tie(&mut self, token: &str) {
        if self.tokens.iter().any(|t| t == token) || self.tokens.len() >= TOKENS_PER_CONNECTION {
            return;
        }
        self.tokens.push(token.to_string());
        self.browsers.tie(token, self.peer);
    }
}

impl Drop for Ties {
    fn drop(&mut self) {
        for token in &self.tokens {
            self.browsers.untie(token, self.peer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_token_is_recognised_only_as_made() {
        let browsers = Browsers::new();
        let token = browsers.mint();
        assert!(browsers.is_ours(&token));
        assert!(!browsers.is_ours("1.0000000000000000"));
        assert!(!browsers.is_ours("nonsense"));
        assert!(
            !browsers.is_ours(&format!("0{token}")),
            "no second spelling"
        );
        let other = Browsers::new();
        assert!(!other.is_ours(&token), "another run's token");
    }

    #[test]
    fn connections_are_tied_while_open() {
        let browsers = Browsers::new();
        let token = browsers.mint();
        let mut page = Ties::new(browsers.clone(), addr("10.0.0.5:40001"));
        page.tie(&token);
        {
            let mut events = Ties::new(browsers.clone(), addr("10.0.0.5:40002"));
            events.tie(&token);
            assert_eq!(browsers.connections_of(&token).len(), 2);
        }
        assert_eq!(
            browsers.connections_of(&token),
            vec![addr("10.0.0.5:40001")]
        );
        drop(page);
        assert!(
            browsers.lock().is_empty(),
            "nothing kept for closed connections"
        );
    }

    #[test]
    fn one_connection_ties_to_few_tokens() {
        let browsers = Browsers::new();
        let mut ties = Ties::new(browsers.clone(), addr("10.0.0.5:40001"));
        for _ in 0..10 {
            ties.tie(&browsers.mint());
        }
        assert_eq!(browsers.lock().len(), TOKENS_PER_CONNECTION);
    }
}
