//! Where captured frames come from: the OS's raw packet socket
//! ([`super::packet`] on Linux), or a fake source in tests.

use std::io;
use std::time::SystemTime;

pub use crate::lang::errors::Capturing;
use crate::lang::{self, errors as says};

/// Why a capture could not start or went wrong. Each message is one line,
/// in the run's language.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// A raw packet socket sees every process's traffic, so the kernel asks
    /// for a privilege.
    #[error("{}", says::capture_needs_privilege(lang::current()))]
    NeedsPrivilege,
    #[error("{}", says::capture_unsupported(lang::current()))]
    Unsupported,
    #[error("{}", says::no_interface(lang::current(), .0))]
    NoInterface(String),
    /// Any other failure of the OS, with what we were doing at the time.
    #[error("{}", says::capture_failed(lang::current(), *doing, cause))]
    Io { doing: Capturing, cause: io::Error },
    #[error("{}", says::capture_thread_lost(lang::current()))]
    ThreadLost,
}

impl CaptureError {
    /// An OS error while `doing` something (opening a packet socket ...).
    pub fn io(doing: Capturing, cause: io::Error) -> Self {
        CaptureError::Io { doing, cause }
    }
}

/// One frame as a [`FrameSource`] hands it over.
///
/// A frame is the bytes the network interface carried: an Ethernet header,
/// then IP, then TCP or UDP. On loopback the Ethernet addresses are zero.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'b> {
    pub bytes: &'b [u8],
    /// When the kernel received it, if the source knows. A thread reading a
    /// queue of frames reads several at once; the kernel's stamp says when
    /// each one actually arrived.
    pub received: Option<SystemTime>,
}

/// Where frames come from: the OS's raw packet socket, or a fake in tests.
pub trait FrameSource: Send {
    /// Waits a short while (tens of milliseconds) for the next frame and
    /// returns it, or `None` if none came: the caller uses the pause to see
    /// whether it was asked to stop.
    fn next_frame<'b>(&mut self, buf: &'b mut [u8]) -> Result<Option<Frame<'b>>, CaptureError>;

    /// How many frames the kernel dropped because they were not read in time
    /// (since the last call). Zero when the source cannot tell.
    fn dropped(&mut self) -> u64 {
        0
    }
}
