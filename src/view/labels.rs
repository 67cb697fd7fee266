//! How values are written in the output: plain, redacted, or stable.
//!
//! Writers paste sameport's output into lecture notes and blog posts. Two
//! things get in their way, and this module handles both without touching the
//! data the verdict is computed from:
//!
//! * **redaction** (`--redact`): every address that is not loopback becomes a
//!   placeholder (`host-A`, `host-B` ... in order of first appearance, the same
//!   placeholder for the same address throughout the output); ports are kept,
//!   because the ports are the point;
//! * **stable labels** (`--reproducible`): PIDs, fd numbers, inodes and user
//!   names change on every run; they are replaced by the names of the parts
//!   (`server`, `client-2`), fds by `fd1`, `fd2` ... numbered per holder in
//!   order of first appearance, inodes by `i1`, `i2` ... likewise, and users by
//!   `user`. Two runs print the same bytes, and what the numbers showed is kept:
//!   the listener keeps its label from table to table, and every accepted
//!   socket has a label of its own.
//!
//! It also carries the **language** of the run ([`Labels::lang`]): the
//! words around the values (the verdict's explanation, notes, headings)
//! are written in it, the values themselves never change (JSON keys, roles
//! and states stay English; see [`crate::lang`]). Every view is handed a
//! `Labels`, so every view can write in the run's language, and stays a pure
//! function of what it is given.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use crate::kernel::{Holder, KernelSocket, is_loopback};
use crate::lang::Lang;

/// The PID an OS reports for a socket whose process it cannot name.
const UNKNOWN_PID: u32 = 0;

/// The way values are written. One `Labels` serves a whole run, so a redacted
/// address keeps its placeholder from the first table to the last.
#[derive(Debug, Default)]
pub struct Labels {
    redact: bool,
    stable: bool,
    /// The language of the words around the values.
    lang: Lang,
    placeholders: Mutex<HashMap<IpAddr, String>>,
    /// Stable mode: (holder label, fd) -> `fdN`, numbered per holder.
    fds: Mutex<HashMap<(String, i32), String>>,
    /// Stable mode: inode -> `iN`.
    inodes: Mutex<HashMap<u64, String>>,
}

impl Labels {
    /// Values as they are.
    pub fn plain() -> Self {
        Self::default()
    }

    pub fn new(redact: bool, stable: bool) -> Self {
        Labels {
            redact,
            stable,
            ..Labels::default()
        }
    }

    /// The same labels, writing words in `lang`.
    pub fn in_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// The language of the words around the values.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Whether addresses are replaced by placeholders (`--redact`).
    pub fn is_redacted(&self) -> bool {
        self.redact
    }

    /// Whether run-specific values are replaced by stable labels.
    pub fn is_stable(&self) -> bool {
        self.stable
    }

    /// An IP address, or its placeholder.
    pub fn ip(&self, ip: IpAddr) -> String {
        let mut text = String::new();
        let _ = self.write_ip(&mut text, ip);
        text
    }

    /// An (IP, port) pair as `ip:port`, with IPv6 addresses in brackets.
    pub fn addr(&self, addr: SocketAddr) -> String {
        let mut text = String::new();
        let _ = self.write_addr(&mut text, addr);
        text
    }

    /// Writes [`Labels::ip`] into `out`. A table of 19,000 sockets writes
    /// 57,000 addresses: written in place, none of them needs a `String` of
    /// its own (only a placeholder is looked up).
    pub fn write_ip(&self, out: &mut impl fmt::Write, ip: IpAddr) -> fmt::Result {
        match ip {
            IpAddr::V4(v4) if !self.hides(ip) => return write_ipv4(out, v4),
            IpAddr::V6(_) if !self.hides(ip) => return write!(out, "{ip}"),
            _ => {}
        }
        let mut placeholders = lock(&self.placeholders);
        let next = placeholders.len();
        let placeholder = placeholders
            .entry(ip)
            .or_insert_with(|| format!("host-{}", letters(next)));
        out.write_str(placeholder)
    }

    /// Writes [`Labels::addr`] into `out`.
    pub fn write_addr(&self, out: &mut impl fmt::Write, addr: SocketAddr) -> fmt::Result {
        match addr {
            SocketAddr::V4(v4) if !self.hides(addr.ip()) => {
                write_ipv4(out, *v4.ip())?;
                out.write_char(':')?;
                write_number(out, v4.port().into())
            }
            // A placeholder takes no brackets, whatever the family.
            SocketAddr::V6(_) if !self.hides(addr.ip()) => {
                write!(out, "[{}]:{}", addr.ip(), addr.port())
            }
            _ => {
                self.write_ip(out, addr.ip())?;
                write!(out, ":{}", addr.port())
            }
        }
    }

    /// Whether `ip` is written as a placeholder.
    fn hides(&self, ip: IpAddr) -> bool {
        self.redact && !is_loopback(ip) && !ip.is_unspecified()
    }

    /// The remote end of a socket, or `ip:*` when it has none (netstat's way).
    pub fn remote(&self, socket: &KernelSocket) -> String {
        let mut text = String::new();
        let _ = self.write_remote(&mut text, socket);
        text
    }

    /// Writes [`Labels::remote`] into `out`.
    pub fn write_remote(&self, out: &mut impl fmt::Write, socket: &KernelSocket) -> fmt::Result {
        match socket.remote {
            Some(remote) => self.write_addr(out, remote),
            None if socket.local.is_ipv6() => out.write_str("[::]:*"),
            None => out.write_str("0.0.0.0:*"),
        }
    }

    /// A PID, or the holder's stable label; `None` when there is nothing
    /// true to print, which the views write as `-`.
    ///
    /// PID 0 is never a process that holds a socket: it is what an OS reports
    /// when it does not know the owner (Windows gives 0 for sockets of the
    /// "System Idle Process" and for TIME_WAIT; the kernel's own sockets have
    /// no process at all). Printing `0` would send a student looking for a
    /// process 0, so it is written as unknown, like netstat's `-`.
    pub fn pid(&self, holder: &Holder) -> Option<String> {
        if self.stable {
            holder.label.clone()
        } else if !has_pid(holder) {
            None
        } else {
            Some(holder.pid.to_string())
        }
    }

    /// Writes [`Labels::pid`] into `out`, `-` where it is `None`, without
    /// a `String` of its own.
    pub fn write_pid(&self, out: &mut impl fmt::Write, holder: &Holder) -> fmt::Result {
        if self.stable {
            out.write_str(holder.label.as_deref().unwrap_or("-"))
        } else if !has_pid(holder) {
            out.write_str("-")
        } else {
            write_number(out, holder.pid.into())
        }
    }

    /// A holder's fd number, or its stable label (`fd1`, `fd2` ... per holder).
    pub fn fd(&self, holder: &Holder) -> Option<String> {
        let fd = holder.fd?;
        if !self.stable {
            return Some(fd.to_string());
        }
        let owner = holder.label.clone().unwrap_or_default();
        let mut fds = lock(&self.fds);
        let next = 1 + fds.keys().filter(|(o, _)| *o == owner).count();
        Some(
            fds.entry((owner, fd))
                .or_insert_with(|| format!("fd{next}"))
                .clone(),
        )
    }

    /// A socket inode, or its stable label (`i1`, `i2` ...).
    pub fn inode(&self, inode: Option<u64>) -> Option<String> {
        let inode = inode?;
        if !self.stable {
            return Some(inode.to_string());
        }
        let mut inodes = lock(&self.inodes);
        let next = inodes.len() + 1;
        Some(
            inodes
                .entry(inode)
                .or_insert_with(|| format!("i{next}"))
                .clone(),
        )
    }

    /// A user name, or `user` with stable labels.
    pub fn user(&self, user: Option<&str>) -> Option<String> {
        self.user_str(user).map(str::to_string)
    }

    /// [`Labels::user`], borrowed.
    pub fn user_str<'a>(&self, user: Option<&'a str>) -> Option<&'a str> {
        match (self.stable, user) {
            (_, None) => None,
            (true, Some(_)) => Some("user"),
            (false, Some(user)) => Some(user),
        }
    }
}

/// Whether the OS told us who holds the socket: [`Labels::pid`] is `None`
/// for a holder without.
pub fn has_pid(holder: &Holder) -> bool {
    holder.pid != UNKNOWN_PID
}

/// The text last written for a value, copied while the next rows repeat the
/// value. A server's rows all show its own address, and sorted rows show
/// each client address in a run: copying the text instead of writing it digit
/// by digit took writing 10,000 JSON rows from 2.1 ms to 1.5 ms.
///
/// Correct only if the text depends on the value alone (for one [`Labels`]:
/// a placeholder, once given, never changes).
#[derive(Debug)]
pub struct LastText<K>(Option<(K, String)>);

impl<K> Default for LastText<K> {
    fn default() -> Self {
        LastText(None)
    }
}

impl<K: PartialEq> LastText<K> {
    /// Writes the text of `key` into `out`: the kept copy if `key` is the
    /// last key, else what `make` writes (kept for next time).
    pub fn write(
        &mut self,
        key: K,
        out: &mut impl fmt::Write,
        make: impl FnOnce(&mut String) -> fmt::Result,
    ) -> fmt::Result {
        match &mut self.0 {
            Some((last, text)) if *last == key => out.write_str(text),
            slot => {
                let mut text = slot.take().map(|(_, text)| text).unwrap_or_default();
                text.clear();
                make(&mut text)?;
                out.write_str(&text)?;
                *slot = Some((key, text));
                Ok(())
            }
        }
    }
}

/// Writes `n` in decimal. A table of 19,000 sockets writes some 200,000
/// numbers (ports, octets, queues, PIDs); `fmt` costs more than the digits
/// themselves, and a digit-by-digit loop spends its time dividing by ten, so
/// they are written by `itoa` (two digits per step, from a table).
pub fn write_number(out: &mut impl fmt::Write, n: u64) -> fmt::Result {
    out.write_str(itoa::Buffer::new().format(n))
}

/// `a.b.c.d`, written as [`write_number`] writes numbers.
fn write_ipv4(out: &mut impl fmt::Write, ip: Ipv4Addr) -> fmt::Result {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.write_char('.')?;
        }
        write_number(out, octet.into())?;
    }
    Ok(())
}

/// Each label map is changed by single inserts: a poisoned lock is still consistent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// 0 -> A, 25 -> Z, 26 -> AA ...
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_text_is_reused_only_for_the_same_key() {
        let mut last = LastText::default();
        let mut made = 0;
        let mut out = String::new();
        for key in [1, 1, 2, 2, 1] {
            let _ = last.write(key, &mut out, |text| {
                made += 1;
                fmt::Write::write_fmt(text, format_args!("<{key}>"))
            });
        }
        assert_eq!(out, "<1><1><2><2><1>");
        assert_eq!(made, 3, "made once per run of equal keys");
    }

    #[test]
    fn redaction_is_consistent_and_keeps_ports_and_loopback() {
        let labels = Labels::new(true, false);
        assert_eq!(
            labels.addr("192.0.2.7:12000".parse().unwrap()),
            "host-A:12000"
        );
        assert_eq!(
            labels.addr("198.51.100.1:50426".parse().unwrap()),
            "host-B:50426"
        );
        assert_eq!(
            labels.addr("192.0.2.7:50427".parse().unwrap()),
            "host-A:50427"
        );
        assert_eq!(
            labels.addr("127.0.0.2:50428".parse().unwrap()),
            "127.0.0.2:50428"
        );
        assert_eq!(
            labels.addr("[2001:db8::1]:80".parse().unwrap()),
            "host-C:80"
        );
        assert_eq!(labels.addr("[::]:80".parse().unwrap()), "[::]:80");
    }

    #[test]
    fn plain_labels_show_values() {
        let labels = Labels::plain();
        assert_eq!(labels.addr("[::1]:12000".parse().unwrap()), "[::1]:12000");
        let holder = Holder {
            pid: 7,
            fd: Some(5),
            process: None,
            user: None,
            label: None,
        };
        assert_eq!(labels.fd(&holder), Some("5".into()));
    }

    #[test]
    fn stable_labels_number_in_order_of_appearance() {
        let labels = Labels::new(false, true);
        let holder = |label: &str, fd| Holder {
            pid: 4242,
            fd: Some(fd),
            process: None,
            user: Some("ada".into()),
            label: Some(label.into()),
        };
        assert_eq!(labels.pid(&holder("server", 9)), Some("server".into()));
        assert_eq!(labels.fd(&holder("server", 9)), Some("fd1".into()));
        assert_eq!(labels.fd(&holder("server", 12)), Some("fd2".into()));
        assert_eq!(labels.fd(&holder("client-1", 12)), Some("fd1".into()));
        assert_eq!(labels.fd(&holder("server", 9)), Some("fd1".into()));
        assert_eq!(labels.inode(Some(81_000)), Some("i1".into()));
        assert_eq!(labels.inode(Some(70_000)), Some("i2".into()));
        assert_eq!(labels.inode(Some(81_000)), Some("i1".into()));
        assert_eq!(labels.user(Some("ada")), Some("user".into()));
    }

    #[test]
    fn placeholder_letters_go_past_z() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
    }

    proptest::proptest! {
        /// Numbers and addresses written by hand read as `Display` writes them.
        #[test]
        fn written_as_display_writes_them(n: u64, ip: Ipv4Addr, port: u16, v6: std::net::Ipv6Addr) {
            let labels = Labels::plain();
            let mut text = String::new();
            write_number(&mut text, n).unwrap();
            proptest::prop_assert_eq!(text, n.to_string());
            for addr in [SocketAddr::from((ip, port)), SocketAddr::from((v6, port))] {
                proptest::prop_assert_eq!(labels.addr(addr), addr.to_string());
                proptest::prop_assert_eq!(labels.ip(addr.ip()), addr.ip().to_string());
            }
        }
    }

    #[test]
    fn numbers_at_the_edges() {
        for n in [0, 9, 10, 255, 65_535, u64::MAX] {
            let mut text = String::new();
            write_number(&mut text, n).unwrap();
            assert_eq!(text, n.to_string());
        }
        let labels = Labels::plain();
        assert_eq!(
            labels.addr("255.255.255.255:65535".parse().unwrap()),
            "255.255.255.255:65535"
        );
        assert_eq!(labels.addr("0.0.0.0:0".parse().unwrap()), "0.0.0.0:0");
    }
}
