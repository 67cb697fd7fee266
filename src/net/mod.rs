//! The sockets that carry data: the echo servers and the clients.
//!
//! * [`activity`]: what a server has done so far, published for watchers;
//! * [`bind`]: open a listening socket (dual-stack, a large backlog) and
//!   explain, in one line, why a port cannot be had;
//! * [`tcp_server`]: the TCP echo server: one listening socket, one accepted
//!   socket per client, all on the same local port;
//! * [`udp_server`]: the UDP echo server: one socket for every client;
//! * [`interfaces`]: the addresses other machines can reach this one on;
//! * [`client`]: TCP and UDP clients, from chosen source addresses.

pub mod activity;
pub mod bind;
pub mod client;
pub mod interfaces;
pub mod tcp_server;
pub mod udp_server;
