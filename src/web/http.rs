//! Just enough HTTP/1.1: read one request head within a bound, and write a
//! response.
//!
//! An HTTP/1.1 request is text: a *request line* (`GET /events HTTP/1.1`),
//! header lines (`Host: 192.168.1.10:12000`), and an empty line. The page needs
//! nothing else: its three routes take no request body. The response is the
//! same shape: a status line (`HTTP/1.1 200 OK`), headers, an empty line, and
//! then the body, whose length the `Content-Length` header gives, so that
//! the connection can carry the next request afterwards (a *persistent*
//! connection, HTTP/1.1's default; Kurose & Ross section 2.2.2).
//!
//! Everything a client sends is bounded before it is looked at: the head may
//! have at most [`MAX_HEAD`] bytes and [`MAX_HEADERS`] header lines. A client
//! that sends more gets `431 Request Header Fields Too Large`, one that sends
//! something that is not HTTP gets `400 Bad Request`, and either way the
//! connection is closed: after a broken request the server cannot know where
//! the next one would start. The tokenising is done by the `httparse` crate,
//! which never allocates and never panics on any input.

use std::fmt::Write as _;
use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most bytes a request line and its headers may take, together.
pub const MAX_HEAD: usize = 8 * 1024;
/// The most header lines a request may have.
pub const MAX_HEADERS: usize = 64;
/// The longest cookie value looked at (the page's own is about 30 bytes).
const MAX_COOKIE: usize = 64;

/// The two methods served. Both are *safe*: they only read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    /// Like GET, but the response has no body (only its headers).
    Head,
}

/// One parsed request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The path, without the query string (`/events` of `/events?x=1`).
    pub path: String,
    /// Whether the client keeps the connection open after the response.
    pub keep_alive: bool,
    /// The value of the page's cookie, if the request carried one.
    pub viewer_cookie: Option<String>,
}

/// Why a request is refused; each maps to a status and closes the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The head is longer than [`MAX_HEAD`], or has more than [`MAX_HEADERS`] lines: 431.
    TooLarge,
    /// Not HTTP/1.x, or broken: 400, with the reason in the body.
    Malformed(&'static str),
    /// A method other than GET and HEAD: 405.
    Method,
}

impl Refusal {
    /// The response that explains the refusal.
    pub fn response(self) -> Response {
        match self {
            Refusal::TooLarge => Response::text(
                431,
                "the request line and headers may take at most 8 KiB and 64 lines\n",
            ),
            Refusal::Malformed(why) => Response::text(400, &format!("bad request: {why}\n")),
            Refusal::Method => Response::text(405, "this server only answers GET and HEAD\n")
                .header("Allow", "GET, HEAD"),
        }
    }
}

/// What reading a request head gave.
#[derive(Debug)]
pub enum Incoming {
    Request(Request),
    Refused(Refusal),
    /// The client closed the connection (between requests, or mid-request).
    Closed,
}

/// The name of the cookie that ties a browser's connections together.
pub const COOKIE_NAME: &str = "sameport-viewer";

/// Reads one request head from `stream`. `buffer` holds bytes already read
/// past the previous request (a client may send several requests at once:
/// *pipelining*); the bytes past this head are left in it for the next call.
pub async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> io::Result<Incoming> {
    loop {
        match parse(buffer) {
            Parsed::Complete(length, outcome) => {
                buffer.drain(..length);
                return Ok(match outcome {
                    Ok(request) => Incoming::Request(request),
                    Err(refusal) => Incoming::Refused(refusal),
                });
            }
            Parsed::Refused(refusal) => return Ok(Incoming::Refused(refusal)),
            Parsed::Partial if buffer.len() >= MAX_HEAD => {
                return Ok(Incoming::Refused(Refusal::TooLarge));
            }
            Parsed::Partial => {}
        }
        // Read at most up to the bound, so a flood of bytes cannot grow the
        // buffer past it.
        let room = MAX_HEAD - buffer.len();
        let mut chunk = vec![0u8; room.min(4096)];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Incoming::Closed);
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// The outcome of parsing what has arrived so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole head of this many bytes, and what it asks for.
    Complete(usize, Result<Request, Refusal>),
    /// Not a whole head yet.
    Partial,
    /// Broken before its end.
    Refused(Refusal),
}

/// Parses a request head (pure).
pub fn parse(bytes: &[u8]) -> Parsed {
    let bytes = &bytes[..bytes.len().min(MAX_HEAD)];
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(length)) => Parsed::Complete(length, understand(&request)),
        Ok(httparse::Status::Partial) => Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => Parsed::Refused(Refusal::TooLarge),
        Err(e) => Parsed::Refused(Refusal::Malformed(malformed(e))),
    }
}

fn malformed(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::Version => "not an HTTP/1.0 or HTTP/1.1 request line",
        httparse::Error::Token => "the method or a header name is malformed",
        httparse::Error::HeaderName => "a header name is malformed",
        httparse::Error::HeaderValue => "a header value is malformed",
        httparse::Error::NewLine => "a line does not end with CRLF",
        _ => "not an HTTP request",
    }
}

/// Checks what a well-formed head asks for.
fn understand(request: &httparse::Request<'_, '_>) -> Result<Request, Refusal> {
    let method = match request.method {
        Some("GET") => Method::Get,
        Some("HEAD") => Method::Head,
        _ => return Err(Refusal::Method),
    };
    let target = request.path.unwrap_or("");
    let path = path_of(target).ok_or(Refusal::Malformed("the request target is not a path"))?;
    let minor = request.version.unwrap_or(0);
    let mut host = false;
    let mut connection_close = false;
    let mut connection_keep_alive = false;
    let mut viewer_cookie = None;
    for header in request.headers.iter() {
        let value = std::str::from_utf8(header.value).unwrap_or("");
        if header.name.eq_ignore_ascii_case("host") {
            host = true;
        } else if header.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                connection_close |= token.eq_ignore_ascii_case("close");
                connection_keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if header.name.eq_ignore_ascii_case("content-length") {
            if value.trim() != "0" {
                return Err(Refusal::Malformed("a GET or HEAD request has no body here"));
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Refusal::Malformed("a GET or HEAD request has no body here"));
        } else if header.name.eq_ignore_ascii_case("cookie") {
            viewer_cookie = viewer_cookie.or_else(|| cookie_value(value));
        }
    }
    // RFC 9112, section 3.2: an HTTP/1.1 request without Host gets 400.
    if minor == 1 && !host {
        return Err(Refusal::Malformed(
            "an HTTP/1.1 request needs a Host header",
        ));
    }
    // HTTP/1.1 keeps the connection open unless told otherwise; HTTP/1.0
    // closes it unless told otherwise.
    let keep_alive = if minor == 1 {
        !connection_close
    } else {
        connection_keep_alive && !connection_close
    };
    Ok(Request {
        method,
        path,
        keep_alive,
        viewer_cookie,
    })
}

/// The path of a request target: `/events?x` -> `/events`; the absolute form
/// a proxy sends (`http://host:port/events`) -> `/events`.
fn path_of(target: &str) -> Option<String> {
    let target = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => target,
    };
    if !target.starts_with('/') {
        return None;
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    Some(path.to_string())
}

/// The page's cookie in a `Cookie:` header (`a=1; sameport-viewer=…`).
fn cookie_value(header: &str) -> Option<String> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE_NAME && value.len() <= MAX_COOKIE).then(|| value.to_string())
    })
}

/// A response: status, headers, body.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body,
        }
    }

    /// A plain-text response (every error).
    pub fn text(status: u16, body: &str) -> Self {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            body.as_bytes().to_vec(),
        )
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The status line and headers, with the body's length; `keep_alive`
    /// says whether the connection stays open afterwards.
    pub fn head(&self, keep_alive: bool) -> String {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let _ = write!(head, "Content-Length: {}\r\n", self.body.len());
        head.push_str(STANDARD_HEADERS);
        if !keep_alive {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        head
    }

    /// Writes the response (without the body for HEAD).
    pub async fn write(
        &self,
        stream: &mut TcpStream,
        method: Method,
        keep_alive: bool,
    ) -> io::Result<()> {
        let mut bytes = self.head(keep_alive).into_bytes();
        if method == Method::Get {
            bytes.extend_from_slice(&self.body);
        }
        stream.write_all(&bytes).await
    }
}

/// Headers on every response: nothing is cached (the page is live), and the
/// browser must not guess a type other than the one given.
pub const STANDARD_HEADERS: &str = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(bytes: &[u8]) -> Result<Request, Refusal> {
        match parse(bytes) {
            Parsed::Complete(_, outcome) => outcome,
            Parsed::Refused(refusal) => Err(refusal),
            Parsed::Partial => panic!("partial: {:?}", String::from_utf8_lossy(bytes)),
        }
    }

    #[test]
    fn a_browser_request() {
        let r = request(
            b"GET /events?since=3 HTTP/1.1\r\nHost: 10.0.0.1:12000\r\n\
              Cookie: theme=dark; sameport-viewer=abc123\r\nAccept: text/event-stream\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.path, "/events");
        assert!(r.keep_alive);
        assert_eq!(r.viewer_cookie.as_deref(), Some("abc123"));
    }

    #[test]
    fn keep_alive_follows_the_version_and_the_connection_header() {
        let close = request(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        assert!(!close.keep_alive);
        let old = request(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert!(!old.keep_alive);
        let old_kept = request(b"HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
        assert!(old_kept.keep_alive);
        assert_eq!(old_kept.method, Method::Head);
    }

    #[test]
    fn a_typist_at_nc_sends_bare_newlines() {
        let r = request(b"GET /snapshot.json HTTP/1.1\nHost: x\n\n").unwrap();
        assert_eq!(r.path, "/snapshot.json");
    }

    #[test]
    fn a_head_is_parsed_only_when_it_is_whole() {
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost: x\r\n"), Parsed::Partial);
        match parse(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next") {
            Parsed::Complete(length, Ok(_)) => assert_eq!(length, 27),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_requests_are_refused_with_a_reason() {
        assert_eq!(
            request(b"GET / HTTP/1.1\r\n\r\n"),
            Err(Refusal::Malformed(
                "an HTTP/1.1 request needs a Host header"
            ))
        );
        assert!(matches!(
            request(b"GET / HTTP/2.0\r\n\r\n"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            request(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            request(b"GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            request(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"),
            Err(Refusal::Malformed(_))
        ));
        assert_eq!(
            request(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Err(Refusal::Method)
        );
    }

    #[test]
    fn too_many_headers_is_too_large() {
        let mut head = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..MAX_HEADERS {
            head.extend(format!("X-{i}: y\r\n").bytes());
        }
        head.extend(b"\r\n");
        assert_eq!(request(&head), Err(Refusal::TooLarge));
    }

    #[test]
    fn absolute_targets_and_queries_reduce_to_the_path() {
        assert_eq!(path_of("http://h:1/events?x").as_deref(), Some("/events"));
        assert_eq!(path_of("http://h:1").as_deref(), Some("/"));
        assert_eq!(path_of("/#frag").as_deref(), Some("/"));
        assert_eq!(path_of("events"), None);
    }

    #[test]
    fn a_response_head_says_its_length() {
        let head = Response::text(404, "no\n").head(true);
        assert!(head.starts_with("HTTP/1.1 404 Not Found\r\n"), "{head}");
        assert!(head.contains("Content-Length: 3\r\n"));
        assert!(!head.contains("Connection: close"));
        assert!(head.ends_with("\r\n\r\n"));
        assert!(
            Response::text(400, "x")
                .head(false)
                .contains("Connection: close\r\n")
        );
    }
}
