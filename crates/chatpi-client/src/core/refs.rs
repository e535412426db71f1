//! The ref counter of one socket: every push (joins, leaves, heartbeats and
//! channel events) takes the next ref, and its reply echoes it.
//!
//! Refs must be unique per socket, so the caller keeps one [`Refs`] per socket
//! and passes it to every part of the core that makes a frame. A new socket may
//! start a new counter: a reply never outlives its socket.

/// Hands out `"1"`, `"2"`, ... like the `phoenix` JS client's `makeRef`.
#[derive(Debug, Default, Clone)]
pub struct Refs {
    last: u64,
}

impl Refs {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next ref. A u64 does not run out in practice; if it ever did, the
    /// count would start again at 1 rather than panic.
    pub fn next_ref(&mut self) -> String {
        self.last = self.last.checked_add(1).unwrap_or(1);
        self.last.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one() {
        let mut refs = Refs::new();
        assert_eq!(refs.next_ref(), "1");
        assert_eq!(refs.next_ref(), "2");
        assert_eq!(refs.next_ref(), "3");
    }

    #[test]
    fn never_repeats_in_a_long_run() {
        let mut refs = Refs::new();
        let seen: std::collections::HashSet<String> =
            (0..10_000).map(|_| refs.next_ref()).collect();
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn starts_again_at_one_after_the_last_u64() {
        let mut refs = Refs { last: u64::MAX - 1 };
        assert_eq!(refs.next_ref(), u64::MAX.to_string());
        assert_eq!(refs.next_ref(), "1");
    }
}
