//! The capture table (Wireshark-like) and its JSON. Being written.
