//! The addresses other machines can reach this one on: what `serve` prints
//! for the class to connect to, and what the live page's QR code holds.

use std::net::IpAddr;

/// The addresses of this machine's network interfaces that other machines
/// can reach: not loopback, not IPv6 link-local (which needs an interface
/// name to be usable), and IPv6 only if the server listens on IPv6.
pub fn reachable(ipv6: bool) -> Vec<(String, IpAddr)> {
    let Ok(networks) = sysinfo::Networks::new_with_refreshed_list() else {
        return Vec::new();
    };
    let mut addresses: Vec<(String, IpAddr)> = networks
        .iter()
        .flat_map(|(name, data)| {
            let name = name.to_string_lossy().into_owned();
            data.ip_networks()
                .iter()
                .map(move |net| (name.clone(), net.addr))
        })
        .filter(|(_, ip)| !ip.is_loopback() && !ip.is_unspecified())
        .filter(|(_, ip)| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => ipv6 && !v6.is_unicast_link_local(),
        })
        .collect();
    addresses.sort();
    addresses
}
