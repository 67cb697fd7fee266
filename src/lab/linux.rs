//! Linux: a small network in namespaces, so clients come from other subnets.
//!
//! On one machine, every client of a local server normally comes from a
//! loopback address (127.0.0.x). The textbook's picture has client *hosts on
//! other networks*. A **network namespace** gives us those hosts: it is a
//! complete, separate network stack inside the same kernel, with its own
//! interfaces, addresses, routes, port numbers and socket table. Two namespaces
//! joined by a **veth pair** (a virtual cable: what goes in one end comes out
//! of the other) behave like two machines on one Ethernet segment.
//!
//! [`Lab::create`] builds this, with `clients_per_subnet` addresses per client
//! host (10.200.1.2, 10.200.1.3 ...):
//!
//! ```text
//!   client host c1                                        client host c2
//!   eth0: 10.200.1.2/24, .3 ...                   eth0: 10.200.2.2/24, .3 ...
//!   default via 10.200.1.1                        default via 10.200.2.1
//!        |  veth                                                veth  |
//!        |                     server host srv                        |
//!        +--- to-c1: 10.200.1.1/24               to-c2: 10.200.2.1/24 +
//!                        lo: 10.200.0.1/32  <- the server listens here
//! ```
//!
//! Every client connects to the one server address 10.200.0.1. Its packets
//! leave through its default route to its gateway, which is the server host:
//! the server host is the router between the two subnets (forwarding is on),
//! and also the destination. So the server's accepted sockets all share local
//! port 12000 while their remote ends come from two different networks.
//!
//! Nothing here touches the machine's own network: the veth ends are created
//! directly inside the namespaces (never in the host's namespace), and the
//! 10.200.x.x addresses exist only in namespaces this module made. Deleting a
//! namespace deletes its interfaces, so dropping the [`Lab`] removes everything.
//!
//! The topology is built with the `ip` command from iproute2, the same
//! commands a student would type. A program *uses* a namespace through
//! [`Namespace::run`]: a fresh thread joins the namespace with `setns()` and
//! runs a closure there. Every socket that closure creates belongs to the
//! namespace for the rest of its life, whichever thread uses it later.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::lang::{self, errors as says};

/// Where `ip netns add NAME` keeps a handle on the namespace (a bind mount of
/// the namespace file, which keeps it alive with no process inside). This is
/// iproute2's compiled-in directory; `/var/run` is `/run` on current systems.
const NETNS_DIR: &str = "/var/run/netns";

/// The address the server listens on, on the server host's loopback
/// interface. It belongs to neither client subnet, so every client reaches it
/// through its gateway, like a real server on another network.
pub const SERVER_ADDR: Ipv4Addr = Ipv4Addr::new(10, 200, 0, 1);

/// The third byte of each client subnet: 10.200.1.0/24 and 10.200.2.0/24.
/// Private addresses (RFC 1918) that only ever exist inside our namespaces.
const SUBNETS: [u8; 2] = [1, 2];

/// The most client addresses one /24 subnet can give: .2 to .254 (.1 is the
/// gateway, .0 names the network and .255 is the broadcast address).
pub const MAX_CLIENTS_PER_SUBNET: usize = 253;

/// How long one `ip` command may take before it is stopped. They normally
/// take a few milliseconds; the limit keeps cleanup bounded even so.
const IP_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a running `ip` command is checked for completion.
const IP_POLL: Duration = Duration::from_millis(2);

/// How many lab numbers to try when a name is taken (by a leftover of an
/// earlier process that had this PID and was killed before it cleaned up).
const NAME_ATTEMPTS: usize = 16;

/// The next lab number in this process: with the PID, it makes every lab's
/// names unique, across processes and across labs of one process.
static NEXT_LAB: AtomicUsize = AtomicUsize::new(0);

/// Why the lab could not be built or used, in one line a student can act on.
/// (Written in the run's language: see [`crate::lang::errors`].)
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    #[error("{}", says::netns_not_root(lang::current()))]
    NotRoot,
    #[error("{}", says::netns_ip_missing(lang::current()))]
    IpMissing,
    #[error("{}", says::netns_unsupported(lang::current()))]
    Unsupported,
    #[error("{}", says::netns_client_count(lang::current(), MAX_CLIENTS_PER_SUBNET, *asked))]
    ClientCount { asked: usize },
    #[error("{}", says::netns_refused(lang::current(), name, reason))]
    NamespaceRefused { name: String, reason: String },
    #[error("{}", says::netns_step(lang::current(), command, stderr))]
    Step { command: String, stderr: String },
    #[error("{}", says::netns_enter(lang::current(), name, reason))]
    Enter { name: String, reason: String },
}

/// Checks, without changing anything, that a [`Lab`] can be built here: the
/// kernel has network namespaces, we are root and the `ip` command exists.
///
/// Lets a command fail fast with one line before it opens any socket.
pub fn check() -> Result<(), NetnsError> {
    // Every process has a network namespace; the file is missing only on
    // kernels built without CONFIG_NET_NS.
    if !Path::new("/proc/self/ns/net").exists() {
        return Err(NetnsError::Unsupported);
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err(NetnsError::NotRoot);
    }
    run_ip(&["-V"]).map(|_| ())
}

/// The namespaces still listed by `ip netns list` whose names start with this
/// process's prefix (`sp-<pid>-`). Empty when every lab has been dropped.
pub fn leftovers() -> Result<Vec<String>, NetnsError> {
    let prefix = format!("sp-{}-", std::process::id());
    let listed = run_ip(&["netns", "list"])?;
    Ok(netns_names(&listed)
        .filter(|name| name.starts_with(&prefix))
        .map(str::to_string)
        .collect())
}

/// The names in the output of `ip netns list`, one a line, where a line may
/// carry a suffix such as `sp-1-0-srv (id: 3)`.
fn netns_names(listed: &str) -> impl Iterator<Item = &str> {
    listed
        .lines()
        .filter_map(|line| line.split_whitespace().next())
}

/// A server host and two client hosts on different subnets, each a network
/// namespace. Dropping the lab deletes them all.
#[derive(Debug)]
pub struct Lab {
    /// The server host: the server address, and the gateway of both subnets.
    server: Namespace,
    /// The client hosts, one per subnet.
    subnets: Vec<Subnet>,
    /// The namespaces actually created so far, in order. Cleanup deletes
    /// exactly these (never a name that merely looks like ours) and empties
    /// the list, so a second cleanup does nothing.
    created: Vec<Namespace>,
}

/// One client subnet: a client host, the veth cable to the server host, and
/// the addresses at both ends.
#[derive(Debug)]
struct Subnet {
    /// The client host.
    host: Namespace,
    /// The server host's end of the cable, named inside the server host. Names
    /// of interfaces are per namespace, so fixed names cannot collide.
    server_link: String,
    /// The server host's address on this subnet: the clients' default gateway.
    gateway: Ipv4Addr,
    /// The client host's addresses, one per client, from .2 upward.
    clients: Vec<Ipv4Addr>,
}

/// The client host's end of each cable, as a real machine would name it.
const CLIENT_LINK: &str = "eth0";

impl Lab {
    /// Builds the lab: three namespaces, two veth cables, the addresses and
    /// routes of the picture in the module docs, and forwarding on the server
    /// host.
    ///
    /// On any error, whatever was already created is deleted before returning.
    pub fn create(clients_per_subnet: usize) -> Result<Lab, NetnsError> {
        if !(1..=MAX_CLIENTS_PER_SUBNET).contains(&clients_per_subnet) {
            return Err(NetnsError::ClientCount {
                asked: clients_per_subnet,
            });
        }
        check()?;
        let mut lab = Lab::plan(&fresh_prefix(), clients_per_subnet);
        // If a step fails, `?` drops `lab`, and Drop deletes what was made.
        lab.build()?;
        Ok(lab)
    }

    /// The server host, where the server's sockets must be created.
    pub fn server(&self) -> &Namespace {
        &self.server
    }

    /// The address the server listens on (10.200.0.1).
    pub fn server_addr(&self) -> IpAddr {
        IpAddr::V4(SERVER_ADDR)
    }

    /// Every client: the host to create its socket in and the source address
    /// to bind, alternating between the subnets (10.200.1.2, 10.200.2.2,
    /// 10.200.1.3 ...), so any first N clients come from both networks.
    pub fn clients(&self) -> Vec<(&Namespace, IpAddr)> {
        let per_subnet = self.subnets.first().map_or(0, |s| s.clients.len());
        (0..per_subnet)
            .flat_map(|index| {
                self.subnets
                    .iter()
                    .filter_map(move |s| Some((&s.host, IpAddr::V4(*s.clients.get(index)?))))
            })
            .collect()
    }

    /// The names of the lab's namespaces, server host first.
    pub fn names(&self) -> Vec<&str> {
        std::iter::once(&self.server)
            .chain(self.subnets.iter().map(|s| &s.host))
            .map(Namespace::name)
            .collect()
    }

    /// Deletes every namespace of the lab now (Drop does the same). Errors are
    /// ignored: there is nothing better to do during cleanup, and each `ip`
    /// command is bounded by a timeout. Calling it again does nothing.
    pub fn remove(&mut self) {
        // Client hosts first: the reverse of creation.
        for namespace in std::mem::take(&mut self.created).iter().rev() {
            // `ip netns del` removes the name at once; the kernel frees the
            // stack (and the veth ends in it) when the last socket or thread
            // in it is gone.
            let _ = run_ip(&["netns", "del", namespace.name()]);
        }
    }

    /// The names and addresses of a lab, before anything exists.
    fn plan(prefix: &str, clients_per_subnet: usize) -> Lab {
        let subnets = SUBNETS
            .iter()
            .map(|&net| Subnet {
                host: Namespace::named(&format!("{prefix}-c{net}")),
                server_link: format!("to-c{net}"),
                gateway: Ipv4Addr::new(10, 200, net, 1),
                // At most 253 clients, so the last byte stays in 2..=254.
                clients: (0..clients_per_subnet)
                    .map(|i| Ipv4Addr::new(10, 200, net, 2 + i as u8))
                    .collect(),
            })
            .collect();
        Lab {
            server: Namespace::named(&format!("{prefix}-srv")),
            subnets,
            created: Vec::new(),
        }
    }

    /// Creates the namespaces and wires them as planned.
    fn build(&mut self) -> Result<(), NetnsError> {
        let hosts: Vec<Namespace> = std::iter::once(self.server.clone())
            .chain(self.subnets.iter().map(|s| s.host.clone()))
            .collect();
        for host in &hosts {
            self.add_namespace(host)?;
        }
        // A fresh namespace has one interface, `lo`, and it is down: even
        // connections to its own addresses fail until it is up.
        for host in &hosts {
            host.ip(&["link", "set", "lo", "up"])?;
        }
        // The server address on loopback is reachable from every interface of
        // the server host: Linux accepts a packet for any of its addresses,
        // whichever interface it arrived on.
        let server_addr = format!("{SERVER_ADDR}/32");
        self.server
            .ip(&["addr", "add", &server_addr, "dev", "lo"])?;
        for subnet in &self.subnets {
            wire(&self.server, subnet)?;
        }
        enable_forwarding(&self.server)
    }

    /// `ip netns add NAME`, remembering the namespace for cleanup at once.
    fn add_namespace(&mut self, namespace: &Namespace) -> Result<(), NetnsError> {
        run_ip(&["netns", "add", namespace.name()]).map_err(|e| NetnsError::NamespaceRefused {
            name: namespace.name().to_string(),
            reason: match e {
                NetnsError::Step { stderr, .. } => stderr,
                other => other.to_string(),
            },
        })?;
        self.created.push(namespace.clone());
        Ok(())
    }
}

impl Drop for Lab {
    /// Deletes the namespaces, also when the lab is dropped by an error, a
    /// panic or the caller's Ctrl-C handler.
    fn drop(&mut self) {
        self.remove();
    }
}

impl fmt::Display for Lab {
    /// The topology in a few lines, for a lab write-up.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "server host {}: {SERVER_ADDR}", self.server.name())?;
        for subnet in &self.subnets {
            let clients: Vec<String> = subnet.clients.iter().map(|c| c.to_string()).collect();
            writeln!(
                f,
                "client host {}: {} via gateway {} ({} on the server host)",
                subnet.host.name(),
                clients.join(", "),
                subnet.gateway,
                subnet.server_link,
            )?;
        }
        Ok(())
    }
}

/// Lays the cable of one subnet and gives both ends their addresses.
fn wire(server: &Namespace, subnet: &Subnet) -> Result<(), NetnsError> {
    // Created inside the server host, with the peer end placed straight into
    // the client host: no end ever appears in the machine's own namespace.
    server.ip(&[
        "link",
        "add",
        "name",
        &subnet.server_link,
        "type",
        "veth",
        "peer",
        "name",
        CLIENT_LINK,
        "netns",
        subnet.host.name(),
    ])?;
    let gateway = format!("{}/24", subnet.gateway);
    server.ip(&["addr", "add", &gateway, "dev", &subnet.server_link])?;
    server.ip(&["link", "set", &subnet.server_link, "up"])?;

    // Several addresses on one interface: each client binds its own, so the
    // server sees N hosts on this subnet.
    for client in &subnet.clients {
        let address = format!("{client}/24");
        subnet
            .host
            .ip(&["addr", "add", &address, "dev", CLIENT_LINK])?;
    }
    subnet.host.ip(&["link", "set", CLIENT_LINK, "up"])?;
    // The /24 route to the gateway appeared with the address; everything else
    // (the server's 10.200.0.1 included) goes to the gateway.
    let gateway = subnet.gateway.to_string();
    subnet
        .host
        .ip(&["route", "add", "default", "via", &gateway])
}

/// Turns the server host into a router between the two subnets.
///
/// The server's own traffic does not need it (packets for 10.200.0.1 are
/// delivered locally), but a host that is some subnet's gateway forwards. The
/// setting lives in `/proc/sys/net`, which shows the values of the namespace
/// of the thread that opens it: so it is written from inside the server host.
fn enable_forwarding(server: &Namespace) -> Result<(), NetnsError> {
    const FORWARDING: &str = "/proc/sys/net/ipv4/ip_forward";
    server
        .run(|| std::fs::write(FORWARDING, "1"))?
        .map_err(|e| NetnsError::Step {
            command: format!("echo 1 > {FORWARDING} (in {})", server.name()),
            stderr: e.to_string(),
        })
}

/// A prefix `sp-<pid>-<n>` whose lab names are all free.
///
/// The PID keeps two processes apart and the counter two labs of one process.
/// A name can still be taken by a leftover of a killed process that had our
/// PID; then the next number is tried. If all are taken, the last prefix is
/// returned and `ip netns add` reports the clash.
fn fresh_prefix() -> String {
    let pid = std::process::id();
    let mut prefix = String::new();
    for _ in 0..NAME_ATTEMPTS {
        prefix = format!("sp-{pid}-{}", NEXT_LAB.fetch_add(1, Ordering::Relaxed));
        let taken = ["srv", "c1", "c2"].iter().any(|host| {
            Path::new(NETNS_DIR)
                .join(format!("{prefix}-{host}"))
                .exists()
        });
        if !taken {
            break;
        }
    }
    prefix
}

/// A network namespace made by `ip netns add`, known by its name.
///
/// The value only names the namespace: creating and deleting is the
/// [`Lab`]'s job, so a `Namespace` can be cloned and handed around freely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    name: String,
}

impl Namespace {
    /// The namespace `ip netns add NAME` made (it need not exist yet;
    /// [`Namespace::run`] says if it does not).
    pub fn named(name: &str) -> Namespace {
        Namespace {
            name: name.to_string(),
        }
    }

    /// The name `ip netns list` shows.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file that stands for the namespace; opening it gives the handle
    /// `setns()` takes.
    pub fn path(&self) -> PathBuf {
        Path::new(NETNS_DIR).join(&self.name)
    }

    /// Runs `f` inside this namespace, on a new thread, and returns its result.
    ///
    /// Why a thread: a namespace is a property of each *thread*. `setns()`
    /// moves the calling thread into the namespace for good, so doing it on a
    /// caller's thread (say, a tokio worker) would leave that thread in the
    /// lab. A fresh thread enters, runs `f`, and ends.
    ///
    /// Why it is enough: a socket belongs to the namespace of the thread that
    /// created it, for its whole life. A listener or client socket created in
    /// `f` can be returned and driven from any thread, even converted to a
    /// tokio socket; it still binds, routes and shows up in the socket table of
    /// this namespace. The same goes for the netlink socket that reads the
    /// socket table, so `kernel::read` inside `f` reads this namespace's
    /// table.
    ///
    /// A panic in `f` is passed on to the caller.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, NetnsError> {
        let handle = File::open(self.path()).map_err(|e| self.enter_error(e))?;
        std::thread::scope(|scope| {
            let thread = std::thread::Builder::new()
                .name(format!("netns {}", self.name))
                .spawn_scoped(scope, move || {
                    enter(&handle)?;
                    Ok(f())
                })
                .map_err(|e| self.enter_error(e))?;
            match thread.join() {
                Ok(result) => result.map_err(|e| self.enter_error(e)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Runs `ip -n NAME ARGS...`: the `ip` command, acting inside this namespace.
    fn ip(&self, args: &[&str]) -> Result<(), NetnsError> {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        run_ip(&full).map(|_| ())
    }

    fn enter_error(&self, e: io::Error) -> NetnsError {
        NetnsError::Enter {
            name: self.name.clone(),
            reason: e.to_string(),
        }
    }
}

/// Moves the calling thread into the network namespace `handle` stands for.
fn enter(handle: &File) -> io::Result<()> {
    // SAFETY: the fd is open for the whole call. CLONE_NEWNET makes the kernel
    // check that it is a network namespace and changes only this thread.
    let rc = unsafe { libc::setns(handle.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Runs `ip ARGS...` and returns what it printed, or an error naming the
/// command and the first line of its complaint.
fn run_ip(args: &[&str]) -> Result<String, NetnsError> {
    let command = format!("ip {}", args.join(" "));
    let step_error = |stderr: String| NetnsError::Step {
        command: command.clone(),
        stderr,
    };
    let child = Command::new("ip")
        .args(args)
        // Its own process group: a Ctrl-C typed in the terminal goes to the
        // foreground group only, so it reaches this program (which then cleans
        // up) and not an `ip` command halfway through that cleanup.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => NetnsError::IpMissing,
            _ => step_error(e.to_string()),
        })?;
    let (ok, stdout, stderr) = wait_bounded(child).map_err(|e| step_error(e.to_string()))?;
    if ok {
        Ok(stdout)
    } else {
        Err(step_error(first_line(&stderr)))
    }
}

/// Waits for `child` for at most [`IP_TIMEOUT`], then stops it. Returns
/// whether it succeeded, and its output.
fn wait_bounded(mut child: Child) -> io::Result<(bool, String, String)> {
    let polls = IP_TIMEOUT.as_millis() / IP_POLL.as_millis();
    for _ in 0..polls {
        if let Some(status) = child.try_wait()? {
            // `ip` prints a few lines at most, far less than a pipe holds, so
            // the output is read after it has exited.
            let mut stdout = String::new();
            let mut stderr = String::new();
            if let Some(mut out) = child.stdout.take() {
                out.read_to_string(&mut stdout)?;
            }
            if let Some(mut err) = child.stderr.take() {
                err.read_to_string(&mut stderr)?;
            }
            return Ok((status.success(), stdout, stderr));
        }
        std::thread::sleep(IP_POLL);
    }
    // Stop our own child (by its PID, through the handle) and reap it.
    let _ = child.kill();
    let _ = child.wait();
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no answer after {} s", IP_TIMEOUT.as_secs()),
    ))
}

/// The first non-empty line of a command's complaint, for a one-line error.
fn first_line(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("failed without a message")
        .to_string()
}

#[cfg(test)]
mod tests {
    //! The tests that build real namespaces need root and iproute2: they are
    //! `#[ignore]`d with that reason, and CI (as root) runs them with
    //! `cargo test -- --include-ignored`. Port 12000 here is inside the
    //! namespaces, which have ports of their own.

    use super::*;
    use std::collections::BTreeSet;
    use std::io::Write;
    use std::net::{SocketAddr, TcpListener, TcpStream};

    use socket2::{Domain, Protocol, Socket, Type};

    use crate::kernel::{self, Attribution, PortSide, Proto, Query, SocketState};

    const PORT: u16 = 12000;
    const TIMEOUT: Duration = Duration::from_secs(5);

    /// Fails with the reason where the lab cannot be built (these tests
    /// are `#[ignore]`d for that reason; CI runs them as root).
    fn require_lab() {
        if let Err(e) = check() {
            panic!("this test needs the lab: {e}");
        }
    }

    /// A client socket bound to `source`, connected to `server`. Call it
    /// inside the client host.
    fn connect_from(source: IpAddr, server: SocketAddr) -> io::Result<TcpStream> {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
        socket.bind(&SocketAddr::new(source, 0).into())?;
        socket.connect_timeout(&server.into(), TIMEOUT)?;
        let stream: TcpStream = socket.into();
        stream.set_read_timeout(Some(TIMEOUT))?;
        Ok(stream)
    }

    /// The next accepted connection, waiting at most [`TIMEOUT`].
    fn accept_within(listener: &TcpListener) -> (TcpStream, SocketAddr) {
        listener.set_nonblocking(true).unwrap();
        let poll = Duration::from_millis(1);
        for _ in 0..TIMEOUT.as_millis() / poll.as_millis() {
            match listener.accept() {
                Ok((stream, peer)) => {
                    stream.set_nonblocking(false).unwrap();
                    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
                    return (stream, peer);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(poll),
                Err(e) => panic!("accept failed: {e}"),
            }
        }
        panic!("no connection within {TIMEOUT:?}");
    }

    /// Sends a line from `client`, echoes it on `accepted`, and checks that
    /// both directions carried the bytes.
    fn exchange(client: &mut TcpStream, accepted: &mut TcpStream) {
        let message = format!("hello from {}\n", client.local_addr().unwrap());
        client.write_all(message.as_bytes()).unwrap();
        let mut received = vec![0; message.len()];
        accepted.read_exact(&mut received).unwrap();
        assert_eq!(received, message.as_bytes());
        accepted.write_all(&received).unwrap();
        let mut echoed = vec![0; message.len()];
        client.read_exact(&mut echoed).unwrap();
        assert_eq!(echoed, message.as_bytes());
    }

    /// The subnet (third byte of 10.200.x.y) an address is on.
    fn subnet_of(ip: IpAddr) -> Option<u8> {
        match ip {
            IpAddr::V4(v4) if v4.octets()[..2] == [10, 200] => Some(v4.octets()[2]),
            _ => None,
        }
    }

    /// Connects one client per entry of `lab.clients()` to a listener in the
    /// server host and returns the client and accepted sockets, paired.
    fn connect_all(lab: &Lab, listener: &TcpListener) -> Vec<(TcpStream, TcpStream, SocketAddr)> {
        let server = SocketAddr::new(lab.server_addr(), PORT);
        let mut pairs = Vec::new();
        for (host, source) in lab.clients() {
            let client = host.run(|| connect_from(source, server)).unwrap().unwrap();
            // connect() returned, so the handshake is done and the connection
            // waits in the listener's queue.
            let (accepted, peer) = accept_within(listener);
            assert_eq!(peer, client.local_addr().unwrap());
            pairs.push((client, accepted, peer));
        }
        pairs
    }

    /// The feature itself: clients on two subnets, one server port. Every
    /// accepted socket has local port 12000, and the remote ends come from
    /// 10.200.1.0/24 and 10.200.2.0/24. The kernel's socket table, read
    /// inside the server host, shows the listener and every accepted socket;
    /// read in the machine's own namespace, it shows none of them.
    #[test]
    #[ignore = "needs root: network namespaces (CI runs it with --include-ignored)"]
    fn clients_on_two_subnets_share_the_server_port() {
        require_lab();
        let lab = Lab::create(2).unwrap();
        let server = SocketAddr::new(lab.server_addr(), PORT);
        let listener = lab
            .server()
            .run(|| TcpListener::bind(server))
            .unwrap()
            .unwrap();

        let mut pairs = connect_all(&lab, &listener);
        assert_eq!(pairs.len(), 4);
        for (client, accepted, _) in &mut pairs {
            exchange(client, accepted);
            assert_eq!(accepted.local_addr().unwrap(), server);
        }
        let peers: BTreeSet<IpAddr> = pairs.iter().map(|(_, _, peer)| peer.ip()).collect();
        let subnets: BTreeSet<u8> = peers.iter().filter_map(|&ip| subnet_of(ip)).collect();
        assert_eq!(peers.len(), 4, "four distinct client addresses: {peers:?}");
        assert_eq!(subnets, BTreeSet::from([1, 2]), "clients from both subnets");

        let query = Query {
            proto: Proto::Tcp,
            port: PORT,
            side: PortSide::Local,
        };
        let table = lab
            .server()
            .run(|| kernel::read(&query, &Attribution::None))
            .unwrap()
            .unwrap();
        let listening: Vec<_> = table
            .sockets
            .iter()
            .filter(|s| s.state == SocketState::Listen)
            .collect();
        assert_eq!(listening.len(), 1, "{:?}", table.sockets);
        assert_eq!(listening[0].local, server);
        let remotes: BTreeSet<IpAddr> = table
            .sockets
            .iter()
            .filter(|s| s.state == SocketState::Established)
            .inspect(|s| assert_eq!(s.local, server))
            .filter_map(|s| s.remote.map(|r| r.ip()))
            .collect();
        assert_eq!(remotes, peers);

        // The machine's own table: the lab's sockets are not there.
        let own = kernel::read(&query, &Attribution::None).unwrap();
        assert!(
            own.sockets
                .iter()
                .all(|s| s.local.ip() != lab.server_addr()),
            "{:?}",
            own.sockets
        );
    }

    /// The server host forwards between the subnets, and that setting lives
    /// in its namespace.
    #[test]
    #[ignore = "needs root: network namespaces (CI runs it with --include-ignored)"]
    fn the_server_host_is_a_router() {
        require_lab();
        let lab = Lab::create(1).unwrap();
        let forwarding = lab
            .server()
            .run(|| std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward"))
            .unwrap()
            .unwrap();
        assert_eq!(forwarding.trim(), "1");
    }

    /// Dropping the lab deletes every namespace it made, also when the drop
    /// comes from a panic; and no veth end ever appears in the machine's own
    /// namespace.
    #[test]
    #[ignore = "needs root: network namespaces (CI runs it with --include-ignored)"]
    fn dropping_the_lab_removes_its_namespaces() {
        require_lab();
        let lab = Lab::create(1).unwrap();
        let names: Vec<String> = lab.names().iter().map(|n| n.to_string()).collect();
        assert_eq!(names.len(), 3);
        let listed = leftovers().unwrap();
        assert!(names.iter().all(|n| listed.contains(n)), "{listed:?}");
        let host_links = run_ip(&["-o", "link", "show"]).unwrap();
        assert!(!host_links.contains("to-c1"), "{host_links}");
        drop(lab);
        let listed = leftovers().unwrap();
        assert!(names.iter().all(|n| !listed.contains(n)), "{listed:?}");

        let mut panicked_names = Vec::new();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let lab = Lab::create(1).unwrap();
            panicked_names = lab.names().iter().map(|n| n.to_string()).collect();
            panic!("a demo failing halfway");
        }));
        assert!(outcome.is_err());
        assert_eq!(panicked_names.len(), 3);
        let listed = leftovers().unwrap();
        assert!(
            panicked_names.iter().all(|n| !listed.contains(n)),
            "{listed:?}"
        );
    }

    /// A step failing halfway (here: an interface name longer than the
    /// kernel's 15 characters) is a one-line error naming the command, and the
    /// namespaces made before it are deleted.
    #[test]
    #[ignore = "needs root: network namespaces (CI runs it with --include-ignored)"]
    fn a_failed_step_removes_what_was_made() {
        require_lab();
        let mut lab = Lab::plan(&fresh_prefix(), 1);
        lab.subnets[1].server_link = "a-name-too-long-for-linux".to_string();
        let names: Vec<String> = lab.names().iter().map(|n| n.to_string()).collect();
        let error = lab.build().unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, NetnsError::Step { .. }), "{message}");
        assert!(message.contains("a-name-too-long-for-linux"), "{message}");
        assert!(!message.contains('\n'), "{message}");
        assert_eq!(
            lab.created.len(),
            3,
            "all three were made before the failing step"
        );
        drop(lab);
        let listed = leftovers().unwrap();
        assert!(names.iter().all(|n| !listed.contains(n)), "{listed:?}");
    }

    /// Cleanup can be asked for early; the drop after it does nothing.
    #[test]
    #[ignore = "needs root: network namespaces (CI runs it with --include-ignored)"]
    fn remove_is_idempotent() {
        require_lab();
        let mut lab = Lab::create(1).unwrap();
        let names: Vec<String> = lab.names().iter().map(|n| n.to_string()).collect();
        lab.remove();
        lab.remove();
        let listed = leftovers().unwrap();
        assert!(names.iter().all(|n| !listed.contains(n)), "{listed:?}");
    }

    /// Two labs built at the same moment get different names, and each works
    /// with the same addresses and port: namespaces do not see each other.
    #[test]
    #[ignore = "needs root: network namespaces (CI runs it with --include-ignored)"]
    fn two_labs_at_once_do_not_collide() {
        require_lab();
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| Lab::create(1));
            let b = scope.spawn(|| Lab::create(1));
            (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
        });
        let names_a: BTreeSet<&str> = a.names().into_iter().collect();
        let names_b: BTreeSet<&str> = b.names().into_iter().collect();
        assert!(names_a.is_disjoint(&names_b), "{names_a:?} {names_b:?}");

        for lab in [&a, &b] {
            let server = SocketAddr::new(lab.server_addr(), PORT);
            let listener = lab
                .server()
                .run(|| TcpListener::bind(server))
                .unwrap()
                .unwrap();
            for (client, accepted, _) in &mut connect_all(lab, &listener) {
                exchange(client, accepted);
            }
        }
    }

    /// Entering a namespace that does not exist is an error, not a panic.
    #[test]
    fn running_in_a_missing_namespace_is_an_error() {
        let name = format!("sp-{}-missing", std::process::id());
        let missing = Namespace::named(&name);
        let error = missing.run(|| 1).unwrap_err();
        assert!(matches!(error, NetnsError::Enter { .. }), "{error}");
        assert!(error.to_string().contains(&name), "{error}");
    }

    /// A lab needs at least one client per subnet and fits in a /24.
    #[test]
    fn client_counts_are_checked_first() {
        for asked in [0, MAX_CLIENTS_PER_SUBNET + 1] {
            let error = Lab::create(asked).unwrap_err();
            assert!(matches!(error, NetnsError::ClientCount { .. }), "{error}");
        }
    }

    /// Clients alternate between the subnets, and names carry the PID.
    #[test]
    fn the_plan_alternates_subnets() {
        let lab = Lab::plan("sp-1-0", 2);
        let clients: Vec<String> = lab
            .clients()
            .iter()
            .map(|(host, ip)| format!("{} {ip}", host.name()))
            .collect();
        assert_eq!(
            clients,
            [
                "sp-1-0-c1 10.200.1.2",
                "sp-1-0-c2 10.200.2.2",
                "sp-1-0-c1 10.200.1.3",
                "sp-1-0-c2 10.200.2.3",
            ]
        );
        assert_eq!(lab.names(), ["sp-1-0-srv", "sp-1-0-c1", "sp-1-0-c2"]);
        assert_eq!(
            lab.to_string(),
            "server host sp-1-0-srv: 10.200.0.1\n\
             client host sp-1-0-c1: 10.200.1.2, 10.200.1.3 via gateway 10.200.1.1 (to-c1 on the server host)\n\
             client host sp-1-0-c2: 10.200.2.2, 10.200.2.3 via gateway 10.200.2.1 (to-c2 on the server host)\n"
        );
        // Nothing was created, so dropping the plan deletes nothing.
        assert!(lab.created.is_empty());
    }

    #[test]
    fn first_line_keeps_errors_to_one_line() {
        assert_eq!(
            first_line("\nRTNETLINK answers: File exists\nmore\n"),
            "RTNETLINK answers: File exists"
        );
        assert_eq!(first_line(""), "failed without a message");
        let listed = "sp-1-0-srv (id: 2)\nother\n";
        assert_eq!(
            netns_names(listed).collect::<Vec<_>>(),
            ["sp-1-0-srv", "other"]
        );
    }
}
