//! The live page: one HTML file with its style and script inside, built into
//! the binary (`include_str!`), so nothing is read from the file system and
//! nothing is downloaded: a classroom may be offline.
//!
//! The server fills in only a few values (the port, the page's address and
//! its QR code) and escapes each one; everything else on the page comes
//! from the event stream as JSON, which the script writes with `textContent`,
//! so a value can never become markup. On top of that, the response's
//! Content-Security-Policy lets the browser run only the page's own script
//! and style (marked with a number used once, a *nonce*), load nothing from
//! anywhere, and connect only back to this server.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use super::http::Response;

/// The page, with `{{...}}` where values go.
const TEMPLATE: &str = include_str!("page.html");

/// What the page says about where it is.
#[derive(Clone, Debug, Default)]
pub struct Where {
    pub port: u16,
    /// The address to show and encode, e.g. `http://192.168.1.10:12000/`;
    /// `None` under `--redact`, which hides addresses.
    pub url: Option<String>,
    /// The host part of `url`, for the `nc HOST PORT` hint.
    pub host: Option<String>,
}

/// The page, filled in once; only the nonce changes per response.
#[derive(Debug)]
pub struct Page {
    html: String,
    nonces: Nonces,
}

impl Page {
    pub fn new(place: &Where) -> Page {
        let qr = place
            .url
            .as_deref()
            .and_then(crate::view::qr::svg)
            .unwrap_or_default();
        let url = place
            .url
            .as_deref()
            .map_or_else(|| "(address hidden: --redact)".to_string(), escape);
        let host = place
            .host
            .as_deref()
            .map_or_else(|| "HOST".to_string(), escape);
        let html = TEMPLATE
            .replace("{{PORT}}", &place.port.to_string())
            .replace("{{URL}}", &url)
            .replace("{{HOST}}", &host)
            .replace("{{QR}}", &qr);
        Page {
            html,
            nonces: Nonces::default(),
        }
    }

    /// The page as a response, with a fresh nonce in its policy.
    pub fn response(&self) -> Response {
        let nonce = self.nonces.next();
        let body = self.html.replace("{{NONCE}}", &nonce);
        Response::new(200, "text/html; charset=utf-8", body.into_bytes()).header(
            "Content-Security-Policy",
            format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
                 connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
                 frame-ancestors 'none'"
            ),
        )
    }
}

/// Numbers used once, unpredictable from outside (a keyed hash of a counter).
#[derive(Debug, Default)]
struct Nonces {
    key: RandomState,
    counter: AtomicU64,
}

impl Nonces {
    fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:016x}{:016x}",
            self.key.hash_one(n),
            self.key.hash_one(!n)
        )
    }
}

/// Text made safe to place in HTML, between tags or inside a quoted
/// attribute: the five characters that mean something there become entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_value_becomes_text() {
        assert_eq!(
            escape("<img src=x onerror=\"alert('1')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn the_page_is_filled_in_and_each_response_has_its_own_nonce() {
        let page = Page::new(&Where {
            port: 12000,
            url: Some("http://10.0.0.1:12000/<x>".into()),
            host: Some("10.0.0.1".into()),
        });
        let one = String::from_utf8(page.response().body).unwrap();
        let two = String::from_utf8(page.response().body).unwrap();
        assert!(!one.contains("{{"), "a placeholder left");
        assert!(one.contains("http://10.0.0.1:12000/&lt;x&gt;"));
        assert!(!one.contains("/<x>"));
        assert!(one.contains("<svg"), "the QR code");
        assert!(one.contains("nc 10.0.0.1 12000"));
        assert_ne!(one, two);
        let response = page.response();
        let policy = &response
            .headers
            .iter()
            .find(|(name, _)| *name == "Content-Security-Policy")
            .unwrap()
            .1;
        let body = String::from_utf8(response.body).unwrap();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert_eq!(body.matches(&format!("nonce=\"{nonce}\"")).count(), 2);
    }

    #[test]
    fn redacted_pages_show_no_address() {
        let page = Page::new(&Where {
            port: 12000,
            url: None,
            host: None,
        });
        let body = String::from_utf8(page.response().body).unwrap();
        assert!(body.contains("address hidden"));
        assert!(!body.contains("<svg"));
    }
}
