//! Telling a browser from an echo client by its first bytes, without taking
//! them.
//!
//! Both arrive on the same port and the kernel hands both to `accept()` the
//! same way: nothing in the handshake says which protocol will follow. The
//! only clue is what the client sends first. An HTTP request starts with a
//! request line, a method, a target and a version (`GET / HTTP/1.1`); an
//! echo client sends whatever it likes, `GET /` typed into `nc` included. So the server *looks* at the first bytes with `peek` (the `MSG_PEEK`
//! flag of `recv`), which copies them out but leaves them in the kernel's
//! receive buffer: whichever side takes the connection then reads them again
//! from the start, and the echo stays byte-exact.
//!
//! Three rules keep this fair to both kinds of client:
//!
//! * **The first byte may take forever.** Browsers open connections in
//!   advance and leave them idle (*preconnects*); a student at `nc` may think
//!   for a minute before typing. Waiting for the first byte has no time limit
//!   here (only the server's `--idle-timeout`, which applies to every client).
//! * **Decide as soon as the bytes decide.** `hello` cannot become `GET `, so
//!   it is echo at once; a whole line `GET / HTTP/1.1` is HTTP at once, and
//!   a whole line `GET /` (no version) is echo.
//! * **A few bytes and a pause are echo.** `G` or `GET /ind` could still
//!   become a request line, so the server waits a moment ([`PREFIX_WAIT`])
//!   for the rest of the line. A browser sends its whole request in one
//!   segment, so the rest is there within microseconds; an echo client that
//!   sent a lone `G` and waits for its echo gets it after that moment instead
//!   of never.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

/// The request-line starts that make a connection HTTP: the two methods the
/// page answers, each with the space that ends a method name.
pub const HTTP_STARTS: [&[u8]; 2] = [b"GET ", b"HEAD "];

/// How long to wait for the rest of a request line once its first bytes came.
pub const PREFIX_WAIT: Duration = Duration::from_millis(250);

/// How much of a first line is looked at. A line that starts like a request
/// and goes on this long without ending is taken for HTTP (and answered
/// with an error by the page's side, which limits a request to 8 KiB).
pub const LINE_LIMIT: usize = 2048;

/// How often to look again while waiting for the rest. (There is no way to
/// wait for "more bytes than are already there": the socket stays readable
/// while anything is in its buffer, so the server looks again after a pause.)
const PEEK_AGAIN: Duration = Duration::from_millis(5);

/// Who is on the other end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A browser (or anyone else who sent a request line): the web page.
    Http,
    /// Everyone else: the echo.
    Echo,
}

/// What the bytes seen so far say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Decided(Protocol),
    /// The bytes so far are the start of a method name: wait for more.
    NeedMore,
}

/// Decides from the bytes seen so far (pure; the tests drive it with every
/// prefix).
pub fn classify(first: &[u8]) -> Decision {
    if first.is_empty() {
        return Decision::NeedMore;
    }
    if HTTP_STARTS.iter().any(|start| first.starts_with(start)) {
        return match first.iter().position(|&b| b == b'\n') {
            Some(end) if is_request_line(&first[..end]) => Decision::Decided(Protocol::Http),
            Some(_) => Decision::Decided(Protocol::Echo),
            None if first.len() >= LINE_LIMIT => Decision::Decided(Protocol::Http),
            None => Decision::NeedMore,
        };
    }
    if HTTP_STARTS.iter().any(|start| start.starts_with(first)) {
        return Decision::NeedMore;
    }
    Decision::Decided(Protocol::Echo)
}

/// Whether a first line (without its `\n`) is a request line: a method, a
/// target and an HTTP version (`GET / HTTP/1.1`). The version is what an
/// echo client's line (`GET /`, `GET me a coffee`) lacks.
fn is_request_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    words.len() == 3 && words[2].starts_with(b"HTTP/")
}

/// Looks at the first bytes on `stream` (without consuming them) and says
/// which protocol they start. Waits without limit for the first byte; a
/// connection closed before sending anything is echo (the echo sees the EOF
/// and closes too).
pub async fn sniff(stream: &TcpStream) -> io::Result<Protocol> {
    let mut first = vec![0u8; LINE_LIMIT];
    let n = stream.peek(&mut first).await?;
    if n == 0 {
        return Ok(Protocol::Echo);
    }
    let deadline = Instant::now() + PREFIX_WAIT;
    let mut seen = n;
    loop {
        if let Decision::Decided(protocol) = classify(&first[..seen]) {
            return Ok(protocol);
        }
        if Instant::now() >= deadline {
            // A few bytes and a pause: an echo client waiting for its echo.
            return Ok(Protocol::Echo);
        }
        tokio::time::sleep(PEEK_AGAIN).await;
        let now = stream.peek(&mut first).await?;
        if now == seen {
            continue;
        }
        if now == 0 {
            return Ok(Protocol::Echo);
        }
        seen = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_are_http_and_anything_else_is_echo() {
        assert_eq!(
            classify(b"GET / HTTP/1.1\r\n"),
            Decision::Decided(Protocol::Http)
        );
        assert_eq!(
            classify(b"HEAD / HTTP/1.0\r\nHost: x\r\n\r\n"),
            Decision::Decided(Protocol::Http)
        );
        // A version the page refuses is still HTTP (the page answers 400).
        assert_eq!(
            classify(b"GET / HTTP/9.9\r\n"),
            Decision::Decided(Protocol::Http)
        );
        // A line typed into nc that starts like a request is echoed.
        assert_eq!(classify(b"GET /\n"), Decision::Decided(Protocol::Echo));
        assert_eq!(classify(b"GET /\r\n"), Decision::Decided(Protocol::Echo));
        assert_eq!(
            classify(b"GET me a coffee\n"),
            Decision::Decided(Protocol::Echo)
        );
        // Until its line ends, a request line may still come.
        assert_eq!(classify(b"GET / HTTP/1.1"), Decision::NeedMore);
        let long = [b"GET /".as_slice(), &[b'x'; LINE_LIMIT]].concat();
        assert_eq!(classify(&long), Decision::Decided(Protocol::Http));
        assert_eq!(classify(b"hello"), Decision::Decided(Protocol::Echo));
        // Lower case, another method, no space: not a request line we serve.
        assert_eq!(classify(b"get / "), Decision::Decided(Protocol::Echo));
        assert_eq!(classify(b"POST "), Decision::Decided(Protocol::Echo));
        assert_eq!(classify(b"GET\n"), Decision::Decided(Protocol::Echo));
        assert_eq!(classify(b"GETS"), Decision::Decided(Protocol::Echo));
        assert_eq!(
            classify(&[0x16, 0x03, 0x01]),
            Decision::Decided(Protocol::Echo)
        );
    }

    #[test]
    fn every_proper_prefix_of_a_method_waits_for_more() {
        for start in HTTP_STARTS {
            for len in 0..start.len() {
                assert_eq!(classify(&start[..len]), Decision::NeedMore, "{len}");
            }
        }
        // "HE" could be "HEAD ", "GE" could be "GET ", but "GH" is nothing.
        assert_eq!(classify(b"GH"), Decision::Decided(Protocol::Echo));
    }
}
