//! # sameport
//!
//! A networking textbook (Kurose & Ross, section 3.2) says: every TCP socket a
//! server accepts shares the listening socket's local port, and the kernel
//! tells them apart by the 4-tuple (source IP, source port, destination IP,
//! destination port); UDP demultiplexes by destination (IP, port) alone, so one
//! UDP socket serves every client. sameport shows it on a real kernel.
//!
//! Data flows one way, and each step has its own module:
//!
//! 1. [`socket_table`]: ask the kernel which sockets are on the port and which
//!    processes hold them (the OS calls live in [`os`]);
//! 2. [`snapshot`]: give each socket its role (listener, accepted, client ...);
//! 3. [`verdict`]: check the claim on the snapshot (pure);
//! 4. [`view`]: write it as netstat- and lsof-style tables or JSON (pure), with
//!    values written through [`labels`] (plain, redacted, or stable).
//!
//! Only these modules touch sockets:
//!
//! * [`server`] (TCP) and [`udp_server`] (UDP): the echo servers, opened by [`bind`];
//! * [`client`]: the clients (`connect`);
//! * [`serve`] and [`inspect`]: the commands that read the table on a live
//!   port, with [`reporter`] printing a snapshot after every accept;
//! * [`demo`]: the whole experiment in one process, as a lab write-up;
//! * [`scale`]: more than 65,536 connections on one port, over child processes.
//!
//! [`cli`] turns the command line into calls to these, [`output`] writes the
//! results, [`exit`] lists the exit codes and [`shutdown`] waits for Ctrl-C.

pub mod bind;
pub mod capture;
pub mod cli;
pub mod client;
pub mod demo;
pub mod exit;
pub mod inspect;
pub mod labels;
pub mod os;
pub mod output;
pub mod reporter;
pub mod scale;
pub mod serve;
pub mod server;
pub mod shutdown;
pub mod snapshot;
pub mod socket_table;
pub mod udp_server;
pub mod verdict;
pub mod view;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod testing;
