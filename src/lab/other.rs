//! Network namespaces are a Linux feature: elsewhere `demo --subnets`
//! explains that, through the same API as the Linux lab.

use std::net::IpAddr;

/// Why the lab cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    #[error("{}", crate::lang::errors::netns_not_linux(crate::lang::current()))]
    Unsupported,
}

/// No value of this type exists: a `Lab` cannot be built here.
#[derive(Clone, Debug)]
enum Never {}

pub struct Lab(Never);

#[derive(Clone, Debug)]
pub struct Namespace(Never);

pub fn check() -> Result<(), NetnsError> {
    Err(NetnsError::Unsupported)
}

impl Lab {
    pub fn create(_clients_per_subnet: usize) -> Result<Lab, NetnsError> {
        Err(NetnsError::Unsupported)
    }
    pub fn server(&self) -> &Namespace {
        match self.0 {}
    }
    pub fn server_addr(&self) -> IpAddr {
        match self.0 {}
    }
    pub fn clients(&self) -> Vec<(&Namespace, IpAddr)> {
        match self.0 {}
    }
}

/// As on Linux, dropping a lab is what removes it (here there is none).
impl Drop for Lab {
    fn drop(&mut self) {
        match self.0 {}
    }
}

impl Namespace {
    pub fn run<T: Send>(&self, _f: impl FnOnce() -> T + Send) -> Result<T, NetnsError> {
        match self.0 {}
    }
}
