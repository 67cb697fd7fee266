//! Linux: an `AF_PACKET` raw socket on the loopback interface.
//!
//! This is how `tcpdump` and Wireshark see traffic on Linux. An ordinary
//! socket receives the payload of the segments addressed to *it*, after the
//! kernel has read and removed the headers. A packet socket receives a copy of
//! every whole frame an interface carries, headers and all, before TCP or UDP
//! decide which socket gets it. That is why it needs root or `CAP_NET_RAW`: it
//! sees every process's traffic.
//!
//! Four details matter, each explained where it happens:
//!
//! * the socket is created listening to no protocol and then bound to one
//!   interface, so no frame from another interface slips in between;
//! * on loopback every frame is seen twice (leaving, then arriving), and we
//!   keep one copy;
//! * reads time out every [`POLL_INTERVAL`], so the capture thread can notice
//!   it was asked to stop;
//! * the kernel counts the frames it dropped because we read too slowly.
//!
//! Loopback frames carry a 14-byte Ethernet header with zero addresses, which
//! the parser in [`crate::capture`] reads like any Ethernet frame.

use std::ffi::CString;
use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::source::{CaptureError, Capturing, Frame, FrameSource};

/// The loopback interface: where the demo's clients and server talk.
pub const LOOPBACK: &str = "lo";

/// How long a read waits before returning empty-handed.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The receive buffer we ask for (the kernel caps it at `net.core.rmem_max`).
/// Loopback frames can be 64 KiB each; the default buffer holds only a few.
const RECEIVE_BUFFER: libc::c_int = 4 * 1024 * 1024;

/// Room for the control messages of one read (the timestamp needs 32 bytes),
/// in words so that it is aligned as a `cmsghdr` must be.
const CONTROL_WORDS: usize = 16;

#[repr(C)]
struct ControlBuffer([u64; CONTROL_WORDS]);

/// What one read returned.
struct Received {
    /// Bytes of the frame now in the buffer.
    len: usize,
    /// `PACKET_HOST` (arriving), `PACKET_OUTGOING` (leaving) ...
    packet_type: u8,
    /// When the kernel received the frame.
    stamp: Option<SystemTime>,
}

/// A raw packet socket bound to one interface.
#[derive(Debug)]
pub struct RawCapture {
    fd: OwnedFd,
}

impl RawCapture {
    /// Opens a packet socket on the loopback interface.
    pub fn open() -> Result<RawCapture, CaptureError> {
        RawCapture::open_on(LOOPBACK)
    }

    /// Opens a packet socket on the interface named `interface` (`lo`, `eth0`).
    pub fn open_on(interface: &str) -> Result<RawCapture, CaptureError> {
        let ifindex = interface_index(interface)?;
        let fd = packet_socket()?;
        // A frame sent on loopback passes the packet tap twice: once on its
        // way out (packet type PACKET_OUTGOING) and once on its way back in
        // (PACKET_HOST). Since Linux 4.20 this option makes the kernel skip
        // the outgoing copy. Older kernels refuse the option; `next_frame`
        // drops the outgoing copies itself, so the refusal does not matter.
        let _ = set_option(&fd, libc::SOL_PACKET, libc::PACKET_IGNORE_OUTGOING, 1);
        // A bigger buffer only makes drops less likely; the default works too.
        let _ = set_option(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, RECEIVE_BUFFER);
        // Ask the kernel to stamp each frame with the time it arrived; each
        // read then carries the stamp as a control message. Without stamps
        // the times are when our thread got round to reading, which bunches
        // them up.
        let _ = set_option(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1);
        set_option(
            &fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            timeval(POLL_INTERVAL),
        )
        .map_err(|e| CaptureError::io(Capturing::SetTimeout, e))?;
        bind_to_interface(&fd, ifindex)
            .map_err(|e| CaptureError::io(Capturing::BindInterface, e))?;
        Ok(RawCapture { fd })
    }

    /// Reads one frame into `buf`, with what the kernel says about it.
    fn receive(&self, buf: &mut [u8]) -> io::Result<Received> {
        let mut from = empty_sockaddr_ll();
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let mut control = ControlBuffer([0; CONTROL_WORDS]);
        // SAFETY: an all-zero msghdr (null pointers, zero lengths) is valid.
        let mut msg: libc::msghdr = unsafe { mem::zeroed() };
        msg.msg_name = (&mut from as *mut libc::sockaddr_ll).cast();
        msg.msg_namelen = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.0.as_mut_ptr().cast();
        msg.msg_controllen = mem::size_of::<ControlBuffer>() as _;
        // SAFETY: every pointer in `msg` points at a live, writable buffer
        // (`from`, `buf` through `iov`, `control`) of the size stated next to it.
        let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Received {
            // Without MSG_TRUNC, recvmsg returns at most `buf.len()` bytes.
            len: n.unsigned_abs().min(buf.len()),
            packet_type: from.sll_pkttype,
            stamp: kernel_timestamp(&msg),
        })
    }
}

impl FrameSource for RawCapture {
    fn next_frame<'b>(&mut self, buf: &'b mut [u8]) -> Result<Option<Frame<'b>>, CaptureError> {
        loop {
            let received = match self.receive(buf) {
                Ok(received) => received,
                // The timeout (EAGAIN) or a signal: nothing to read right now.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(CaptureError::io(Capturing::Read, e)),
            };
            // The outgoing copy of a loopback frame: the incoming copy follows,
            // and that is the one we count. (Only on kernels before 4.20.)
            if received.packet_type == libc::PACKET_OUTGOING {
                continue;
            }
            return Ok(Some(Frame {
                bytes: &buf[..received.len],
                received: received.stamp,
            }));
        }
    }

    fn dropped(&mut self) -> u64 {
        let mut stats = libc::tpacket_stats {
            tp_packets: 0,
            tp_drops: 0,
        };
        let mut len = mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: `stats` is a writable tpacket_stats whose size is in `len`.
        // Reading the statistics also resets them, as the trait expects.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut stats as *mut libc::tpacket_stats).cast(),
                &mut len,
            )
        };
        if rc == 0 {
            u64::from(stats.tp_drops)
        } else {
            0
        }
    }
}

/// The kernel's receive timestamp (`SCM_TIMESTAMPNS`) among the control
/// messages of a read, if there is one.
fn kernel_timestamp(msg: &libc::msghdr) -> Option<SystemTime> {
    // SAFETY: `msg` was filled in by recvmsg; CMSG_FIRSTHDR and CMSG_NXTHDR
    // return null or a header inside its control buffer.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !cmsg.is_null() {
        // SAFETY: `cmsg` is non-null and points at a header in the buffer.
        let (level, kind) = unsafe { ((*cmsg).cmsg_level, (*cmsg).cmsg_type) };
        if level == libc::SOL_SOCKET && kind == libc::SCM_TIMESTAMPNS {
            // SAFETY: this message's data is one timespec, possibly unaligned.
            let ts: libc::timespec =
                unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast()) };
            let since_epoch = Duration::new(
                u64::try_from(ts.tv_sec).ok()?,
                u32::try_from(ts.tv_nsec).ok()?,
            );
            return UNIX_EPOCH.checked_add(since_epoch);
        }
        // SAFETY: as for CMSG_FIRSTHDR.
        cmsg = unsafe { libc::CMSG_NXTHDR(msg, cmsg) };
    }
    None
}

/// The kernel's number for a network interface (`ip link` shows it first).
fn interface_index(interface: &str) -> Result<u32, CaptureError> {
    let missing = || CaptureError::NoInterface(interface.to_string());
    let name = CString::new(interface).map_err(|_| missing())?;
    // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index == 0 {
        Err(missing())
    } else {
        Ok(index)
    }
}

/// A packet socket that receives nothing yet.
///
/// Protocol 0 means "no protocol": the socket gets no frames until `bind`
/// names both the protocol and the interface. Asking for `ETH_P_ALL` here
/// would deliver frames from *every* interface until the bind.
fn packet_socket() -> Result<OwnedFd, CaptureError> {
    // SAFETY: socket() takes no pointers.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => CaptureError::NeedsPrivilege,
            _ => CaptureError::io(Capturing::OpenSocket, e),
        });
    }
    // SAFETY: `fd` was just returned by socket() and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Binds the socket to one interface, for every protocol (`ETH_P_ALL`: IPv4,
/// IPv6, ARP ...; the parser keeps what it understands).
fn bind_to_interface(fd: &OwnedFd, ifindex: u32) -> io::Result<()> {
    let mut addr = empty_sockaddr_ll();
    addr.sll_family = libc::AF_PACKET as libc::c_ushort;
    // Like every number on the wire, the protocol is in network byte order.
    addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
    addr.sll_ifindex = i32::try_from(ifindex).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: `addr` is a valid sockaddr_ll and its exact size is passed.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_ll).cast(),
            mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A sockaddr_ll with every field zero, to be filled in by us or the kernel.
fn empty_sockaddr_ll() -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain integers and arrays, for which all-zero is valid.
    unsafe { mem::zeroed() }
}

/// `duration` as the `timeval` that SO_RCVTIMEO takes.
fn timeval(duration: Duration) -> libc::timeval {
    libc::timeval {
        tv_sec: duration.as_secs() as libc::time_t,
        tv_usec: duration.subsec_micros() as libc::suseconds_t,
    }
}

/// setsockopt with a value of any plain type.
fn set_option<T>(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: T) -> io::Result<()> {
    // SAFETY: `value` lives until the call returns, and its size is passed with it.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const T).cast(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_interface_is_named_in_the_error() {
        let e = RawCapture::open_on("no-such-if0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "there is no network interface named \"no-such-if0\" to capture on"
        );
    }

    #[test]
    fn the_timeout_is_a_timeval() {
        let t = timeval(Duration::from_millis(1500));
        assert_eq!((t.tv_sec, t.tv_usec), (1, 500_000));
    }
}
