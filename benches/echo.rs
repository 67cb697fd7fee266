//! Echo benchmarks (being written).
fn main() {}
