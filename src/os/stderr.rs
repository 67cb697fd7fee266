//! Writing to stderr without panicking.
//!
//! `eprintln!` panics when stderr is gone (a closed pipe: `sameport serve
//! 2>&1 >/dev/null | head -1` once `head` has exited), and the panic turns
//! a clean stop into exit 101. Messages on stderr are for a person; when
//! nobody reads them any more, they are dropped and the program goes on.

use std::io::{self, Write};

/// Writes `text` and a newline to stderr; a closed or failing stderr is
/// ignored.
pub fn line(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.write_all(b"\n"))
        .and_then(|()| stderr.flush());
}

/// Writes `text` to stderr as it is (no newline added); a closed or failing
/// stderr is ignored.
pub fn write(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}
