//! # sameport
//!
//! A networking textbook (Kurose & Ross, section 3.2) says: every TCP socket a
//! server accepts shares the listening socket's local port, and the kernel
//! tells them apart by the 4-tuple (source IP, source port, destination IP,
//! destination port); UDP demultiplexes by destination (IP, port) alone, so one
//! UDP socket serves every client. sameport shows it on a real kernel.
//!
//! Data flows one way, and each step has its own folder:
//!
//! 1. [`kernel`]: ask the kernel which sockets are on the port and which
//!    processes hold them (one reader per OS: `sock_diag` and `/proc` on
//!    Linux, the `netstat2` crate elsewhere);
//! 2. [`claim`]: give each socket its role (listener, accepted, client ...) in
//!    a [`claim::snapshot`], and check the claim on it in a [`claim::verdict`]
//!    (pure). [`claim::observe`] is the one pipeline from 1 to 2 that every
//!    command uses;
//! 3. [`view`]: write it as netstat- and lsof-style tables, JSON, Markdown or
//!    Mermaid (pure), with values written through [`view::labels`] (plain,
//!    redacted, or stable). [`output`] is the one place `--format` is decided.
//!
//! Only these folders touch sockets:
//!
//! * [`net`]: the echo servers (TCP and UDP) and the clients;
//! * [`commands`]: one file per subcommand (`demo`, `serve`, `connect`,
//!   `inspect`, `scale`), the only place that wires the others together.
//!
//! Beside the pipeline: [`capture`] records the segments on the wire
//! (`--capture`), [`lab`] builds client hosts on other subnets in network
//! namespaces (`demo --subnets`), and [`os`] holds the process and
//! file-descriptor helpers. `cfg` and raw OS calls live only in `kernel`,
//! `capture`, `lab` and `os`.
//!
//! The live classroom view, [`web`], is one more consumer of the pipeline:
//! the echo's own port also serves a page (HTTP, sniffed from the first
//! bytes) that shows the table live to every browser in the room.
//!
//! [`cli`] turns the command line into calls to [`commands`], [`exit`] lists
//! the exit codes, [`os::shutdown`] waits for Ctrl-C and [`words`] writes
//! counts in English ("1 client", "2 clients"). [`lang`] holds every
//! sentence the program says, in English and Korean (`--lang en|ko`, or the
//! locale), as a table the compiler checks.

pub mod capture;
pub mod claim;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod kernel;
pub mod lab;
pub mod lang;
pub mod net;
pub mod os;
pub mod output;
pub mod view;
pub mod web;
pub mod words;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod testing;
