//! The classroom side of `serve`: the live page on the echo's own port, and
//! the live screen (`--live`).
//!
//! Both are consumers of one [`Feed`] of snapshots. The page needs nothing
//! else from the server than a hand-off: the echo server gives it every
//! connection that starts with an HTTP request line (see [`crate::web`]).
//! On start, `serve` prints the page's address for every interface, and a
//! QR code of the first, so that phones can join.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use crate::claim::Look;
use crate::commands::feed::Feed;
use crate::commands::live::{self, Live};
use crate::kernel::{Attribution, Kernel, OwnSockets, Proto, Query};
use crate::lang::serve::{self as says, PagePlace, Stopped};
use crate::net::activity::Activity;
use crate::net::interfaces;
use crate::net::udp_server::Clients;
use crate::os::shutdown::stop_and_say;
use crate::output::{self, Output};
use crate::view::live::PageLink;
use crate::view::qr;
use crate::web::{self, Source, Web, Where};

/// What `--no-web`, `--max-viewers` and `--live` asked for.
#[derive(Clone, Debug)]
pub struct Classroom {
    /// Serve the live page on the same port (TCP only; off with `--no-web`).
    pub web: bool,
    /// At most this many event streams at once (`--max-viewers`).
    pub max_viewers: usize,
    /// The live terminal screen instead of the log (`--live`).
    pub live: bool,
}

impl Default for Classroom {
    fn default() -> Self {
        Classroom {
            web: true,
            max_viewers: web::DEFAULT_MAX_VIEWERS,
            live: false,
        }
    }
}

/// The live views of a running server.
pub struct Running {
    /// The page, handed to the echo server (`None`: every connection echoes).
    pub web: Option<Web>,
    live: Option<Live>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Ctrl-C and SIGTERM, caught from the start (before the first table
    /// says the server is ready), and which one came.
    signal: Option<(StopFuture, oneshot::Receiver<&'static str>)>,
}

type StopFuture = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// How long, after the server stops, the views get to finish.
const FINISH_GRACE: Duration = Duration::from_secs(2);

impl Running {
    /// Whether the live screen takes the place of the printed log.
    pub fn replaces_log(&self) -> bool {
        self.live.is_some()
    }

    /// Like [`crate::commands::serve::stop_on_signal`] (whose signals were
    /// caught when the views started, before the first table says the
    /// server is ready), and also `q` or Ctrl-C on the live screen.
    pub fn stop_on_signal_or_quit(
        &mut self,
    ) -> (impl Future<Output = ()> + use<>, oneshot::Receiver<Stopped>) {
        let (signal, signal_rx) = self.signal.take().unwrap_or_else(|| {
            let (stop, rx) = stop_and_say();
            (Box::pin(stop), rx)
        });
        let (why_tx, why_rx) = oneshot::channel();
        let quit = self.live.as_ref().map(Live::quit_pressed);
        let stop = async move {
            let quit = async move {
                match quit {
                    Some(quit) => quit.await,
                    None => std::future::pending().await,
                }
            };
            let why = tokio::select! {
                () = signal => Stopped::Signal(signal_rx.await.unwrap_or("a signal")),
                () = quit => Stopped::LiveScreen,
            };
            let _ = why_tx.send(why);
        };
        (stop, why_rx)
    }

    /// Waits for the views to end after the server stopped (the screen is
    /// put back before the summary line is printed).
    pub async fn finish(self) {
        if let Some(live) = self.live {
            live.finish().await;
        }
        for task in self.tasks {
            let _ = tokio::time::timeout(FINISH_GRACE, task).await;
        }
    }
}

/// The server the classroom watches.
#[derive(Clone, Copy)]
pub struct Server<'a> {
    pub proto: Proto,
    /// Where it listens.
    pub local: SocketAddr,
    /// Its own sockets, for the table reads.
    pub own: &'a OwnSockets,
    pub output: &'a Arc<Output>,
    /// Whether it sends a banner first (`--banner`), which rules the page out.
    pub banner: bool,
}

/// Starts what `wants` asks for, on `server`.
pub fn start_classroom(
    wants: &Classroom,
    server: Server<'_>,
    activity: watch::Receiver<Activity>,
    udp_clients: Option<Clients>,
) -> Running {
    let Server {
        proto,
        local,
        own,
        output,
        banner,
    } = server;
    let web_possible = proto == Proto::Tcp && wants.web;
    if web_possible && banner {
        output::say(says::no_page_with_banner(output.lang()));
    }
    let web_on = web_possible && !banner;
    let (stop, signal) = stop_and_say();
    let mut running = Running {
        web: None,
        live: None,
        tasks: Vec::new(),
        signal: Some((Box::pin(stop), signal)),
    };
    if !web_on && !wants.live {
        return running;
    }
    let look = Look::new(
        Query::server_side(proto, local.port()),
        Attribution::Own(own.clone()),
    );
    let feed = Feed {
        table: Arc::new(Kernel),
        look: look.clone(),
        own: own.clone(),
        udp_clients,
    };
    let (latest, feed_task) = feed.start(activity);
    running.tasks.push(feed_task);
    let mut link = None;
    if web_on {
        let urls = page_urls(local);
        link = urls.first().and_then(|(url, _)| page_link(url, output));
        announce_page(&urls, output);
        let first = urls.first().map(|(url, _)| url.clone());
        let place = Where {
            port: local.port(),
            host: first.as_deref().and_then(host_of),
            url: first,
        };
        // --redact hides addresses on the page as in the tables.
        let place = if output.labels.is_redacted() {
            Where {
                url: None,
                host: None,
                ..place
            }
        } else {
            place
        };
        let source = Source {
            table: Arc::new(Kernel),
            look,
        };
        let web = Web::new(source, output.clone(), &place, wants.max_viewers);
        running
            .tasks
            .push(tokio::spawn(web.clone().follow(latest.clone())));
        running.web = Some(web);
    }
    if wants.live {
        running.live = live::start(latest, output.clone(), link);
    }
    running
}

/// The page's address on every interface other machines can reach, with
/// the interface's name, then this machine's own (loopback) address.
fn page_urls(local: SocketAddr) -> Vec<(String, PagePlace)> {
    let port = local.port();
    let url = |ip: IpAddr| format!("http://{}/", SocketAddr::new(ip, port));
    if !local.ip().is_unspecified() {
        return vec![(url(local.ip()), PagePlace::BoundAddress)];
    }
    let mut urls: Vec<(String, PagePlace)> = interfaces::reachable(local.is_ipv6())
        .into_iter()
        .map(|(interface, ip)| (url(ip), PagePlace::Interface(interface)))
        .collect();
    urls.push((url(IpAddr::V4(Ipv4Addr::LOCALHOST)), PagePlace::ThisMachine));
    urls
}

/// The page's first address for the live screen, with its QR code; under
/// `--redact` the address as the tables write it, and no code (it would
/// give the address away).
fn page_link(url: &str, output: &Output) -> Option<PageLink> {
    if !output.labels.is_redacted() {
        return Some(PageLink {
            url: url.to_string(),
            qr: qr::text(url),
        });
    }
    Some(PageLink {
        url: redacted_url(url, output),
        qr: None,
    })
}

/// `http://HOST:PORT/` with HOST written through the labels (`host-A`
/// under `--redact`).
fn redacted_url(url: &str, output: &Output) -> String {
    let addr = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .and_then(|authority| authority.parse::<SocketAddr>().ok());
    match addr {
        Some(addr) => format!("http://{}/", output.labels.addr(addr)),
        None => url.to_string(),
    }
}

/// `192.168.1.10` of `http://192.168.1.10:12000/`, as `nc` takes it (an
/// IPv6 address without its brackets).
fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split('/').next()?;
    let colon = authority.rfind(':')?;
    let host = &authority[..colon];
    Some(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
}

/// Prints where the page is (stderr, with the other start-up lines), and a
/// QR code of the first address.
///
/// Under `--redact` the addresses are written through the labels (`host-A`),
/// and there is no QR code: it would carry the real address.
fn announce_page(urls: &[(String, PagePlace)], output: &Output) {
    let lang = output.lang();
    output::say(says::live_page_intro(lang));
    for (url, place) in urls {
        // Addresses are never wrapped: one per line, indented.
        let url = redacted_url(url, output);
        crate::os::stderr::line(&says::live_page_url(lang, &url, place));
    }
    if output.labels.is_redacted() {
        output::say(says::no_qr_when_redacted(lang));
    } else if let Some(code) = urls.first().and_then(|(url, _)| qr::text(url)) {
        output::say(&says::scan_to_open(lang, &urls[0].0));
        crate::os::stderr::write(&code);
        crate::os::stderr::line("");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_address_is_the_only_url() {
        let urls = page_urls("127.0.0.1:12000".parse().unwrap());
        assert_eq!(urls.len(), 1);
        assert_eq!(urls[0].0, "http://127.0.0.1:12000/");
        let urls = page_urls("[2001:db8::1]:8080".parse().unwrap());
        assert_eq!(urls[0].0, "http://[2001:db8::1]:8080/");
    }

    #[test]
    fn every_interface_then_this_machine() {
        let urls = page_urls("[::]:12000".parse().unwrap());
        assert_eq!(urls.last().unwrap().0, "http://127.0.0.1:12000/");
        assert!(urls.iter().all(|(u, _)| u.ends_with(":12000/")));
    }

    #[test]
    fn the_host_of_a_url() {
        assert_eq!(
            host_of("http://10.0.0.1:12000/").as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            host_of("http://[2001:db8::1]:12000/").as_deref(),
            Some("2001:db8::1")
        );
    }
}
