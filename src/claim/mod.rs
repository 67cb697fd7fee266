//! The claim, checked on a snapshot of the socket table.
//!
//! * [`observe`]: the one pipeline every command uses: read the table for a
//!   query, build the snapshot, judge it;
//! * [`snapshot`]: give each socket its role (listener, accepted, client ...);
//! * [`verdict`]: check the claim on the snapshot (pure).

pub mod observe;
pub mod snapshot;
pub mod verdict;

pub use observe::{Look, Observation, observe, observe_off_thread};
