//! The network-namespace lab behind `demo --subnets`: client hosts on two
//! other subnets, inside this one kernel.
//!
//! The lab is built from Linux network namespaces ([`linux`]); on every other
//! OS the same API says, in one line, that it cannot be built.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(not(target_os = "linux"))]
pub use other::*;
