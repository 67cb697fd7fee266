//! # sameport
//!
//! Proves on a real kernel that every socket a TCP server accepts shares the
//! listening socket's port, and that the kernel tells them apart by the 4-tuple.
pub mod labels;
pub mod os;
pub mod snapshot;
pub mod socket_table;
pub mod verdict;
pub mod view;

#[cfg(test)]
mod testing;
