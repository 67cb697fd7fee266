//! `sameport`: see the crate documentation (`src/lib.rs`) for a tour.

fn main() -> std::process::ExitCode {
    sameport::cli::main()
}
