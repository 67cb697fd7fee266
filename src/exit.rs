//! Exit codes, so scripts and tests can check the claim without parsing text.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | the claim holds (`inspect`, `demo`, `scale`), or the command finished normally (`serve`, `connect`) |
//! | 1 | an error: the port is in use, a host cannot be resolved, a connection was refused ... |
//! | 2 | the command line is wrong (unknown flag, port 70000 ...) |
//! | 3 | not enough evidence: no listener on the port, or fewer than two clients |
//! | 4 | the claim does not hold on this table |

use std::process::ExitCode;

use crate::claim::verdict::{Outcome, Verdict};

pub const ERROR: u8 = 1;
pub const USAGE: u8 = 2;
pub const NOT_ENOUGH_EVIDENCE: u8 = 3;
pub const CLAIM_FAILS: u8 = 4;

/// Every exit code and what it means, for the man pages' EXIT STATUS.
pub const MEANINGS: [(u8, &str); 5] = [
    (
        0,
        "the claim holds (inspect, demo, scale), or the command finished normally (serve, connect)",
    ),
    (
        ERROR,
        "an error: the port is in use, a host cannot be resolved, a connection was refused ...",
    ),
    (
        USAGE,
        "the command line is wrong (unknown flag, port 70000 ...)",
    ),
    (
        NOT_ENOUGH_EVIDENCE,
        "not enough evidence: no listener on the port, or fewer than two clients",
    ),
    (CLAIM_FAILS, "the claim does not hold on this table"),
];

/// The exit code for a verdict.
pub fn for_verdict(verdict: &Verdict) -> ExitCode {
    ExitCode::from(match verdict.outcome {
        Outcome::Holds => 0,
        Outcome::NotEnoughEvidence => NOT_ENOUGH_EVIDENCE,
        Outcome::Fails => CLAIM_FAILS,
    })
}
