//! One file per subcommand: the only place that wires sockets, the socket
//! table, the claim and the views together.
//!
//! * [`demo`]: the whole experiment in one process, as a lab write-up;
//! * [`serve`]: an echo server that prints the table after every accept,
//!   through its [`reporter`]; [`classroom`] adds the live page and the live
//!   screen, which a [`feed`] keeps current (the terminal side of `--live`
//!   is [`live`]);
//! * [`connect`]: clients, and their side of the table;
//! * [`inspect`]: the same proof for any server already running;
//! * [`scale`]: more than 65,536 connections on one port, over child processes.

pub mod classroom;
pub mod connect;
pub mod demo;
pub mod feed;
pub mod inspect;
pub mod live;
pub mod reporter;
pub mod scale;
pub mod serve;
