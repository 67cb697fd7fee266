//! The live classroom view, tested as people use it: raw HTTP and echo
//! clients on one port ([`protocol`]), the page in a real browser
//! ([`browser`], through a small DevTools client, [`cdp`]), and the live
//! terminal screen in tmux at 80 columns ([`terminal`]).

#[path = "../common/mod.rs"]
mod common;

mod browser;
mod cdp;
mod protocol;
mod server;
mod terminal;
