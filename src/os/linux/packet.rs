//! Linux: an AF_PACKET raw socket on the loopback interface. Being written.
