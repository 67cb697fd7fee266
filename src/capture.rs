//! Capturing the segments to and from a port (`--capture`). Being written.
