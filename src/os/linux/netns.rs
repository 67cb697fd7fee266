//! Linux: network namespaces for `demo --subnets`. Being written.
