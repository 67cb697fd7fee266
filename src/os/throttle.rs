//! How often a repeating message may be printed.
//!
//! Some events can come by the thousand (a full server refusing every
//! newcomer, a class of browsers over `--max-viewers`, accept() failing at
//! the fd limit). A [`Throttle`] lets the first few of each interval through
//! and counts the rest, so the log names a few and stays readable.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Throttle {
    every: Duration,
    burst: u32,
    /// When the current interval began, and how many were let through in it.
    window: Option<(Instant, u32)>,
    held_back: u64,
}

impl Throttle {
    /// At most `burst` messages per `every`.
    pub fn new(every: Duration, burst: u32) -> Self {
        Throttle {
            every,
            burst,
            window: None,
            held_back: 0,
        }
    }

    /// Whether the message for one more event may be printed now: `Some(n)`
    /// with the `n` held back since the last one printed (for "n more"), or
    /// `None` if it is held back (and counted) too.
    pub fn due(&mut self) -> Option<u64> {
        let now = Instant::now();
        let printed = match &mut self.window {
            Some((start, printed)) if now.duration_since(*start) < self.every => printed,
            window => &mut window.insert((now, 0)).1,
        };
        if *printed >= self.burst {
            self.held_back += 1;
            return None;
        }
        *printed += 1;
        Some(std::mem::take(&mut self.held_back))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few at once are let through; a flood is held back and counted.
    #[test]
    fn a_burst_is_let_through_and_a_flood_counted() {
        let mut throttle = Throttle::new(Duration::from_secs(3600), 5);
        let due: Vec<Option<u64>> = (0..8).map(|_| throttle.due()).collect();
        assert_eq!(
            due,
            [
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                None,
                None,
                None
            ]
        );
        assert_eq!(throttle.held_back, 3);
        // A new interval lets one through, with the count of those held back.
        let mut throttle = Throttle::new(Duration::ZERO, 1);
        throttle.held_back = 3;
        assert_eq!(throttle.due(), Some(3));
        assert_eq!(throttle.due(), Some(0));
    }
}
