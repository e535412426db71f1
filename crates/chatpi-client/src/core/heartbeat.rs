//! Heartbeat bookkeeping for one socket: when the next heartbeat is due, and
//! whether the last one was answered.
//!
//! The caller resets it when a socket opens, calls [`Heartbeat::on_tick`] when
//! [`Heartbeat::next_due`] passes and writes the frame it returns, and hands it
//! every `phx_reply` on the `phoenix` topic. On [`HeartbeatAction::Dead`] the
//! link is dead: drop the socket at once (no close handshake) and reconnect.

use std::time::{Duration, Instant};

use serde_json::json;

use super::frame::{Frame, HEARTBEAT, PHOENIX_TOPIC};
use super::refs::Refs;

/// The `phoenix` JS client's heartbeat interval. Chatpi closes a socket silent
/// for 45 s, so a longer interval would be cut off.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);

/// What a tick asks of the caller.
#[derive(Debug, Clone, PartialEq)]
pub enum HeartbeatAction {
    /// Nothing is due yet.
    NotDue,
    /// Write this heartbeat.
    Send(Frame),
    /// The previous heartbeat is still unanswered: the link is dead.
    Dead,
}

#[derive(Debug, Clone)]
pub struct Heartbeat {
    interval: Duration,
    next_due: Instant,
    /// The ref of the heartbeat still waiting for its reply.
    pending: Option<String>,
}

impl Heartbeat {
    /// Starts the count for a socket that opened at `now`.
    pub fn new(interval: Duration, now: Instant) -> Self {
        Self {
            interval,
            next_due: now + interval,
            pending: None,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// When [`Heartbeat::on_tick`] next has something to do.
    pub fn next_due(&self) -> Instant {
        self.next_due
    }

    /// Forgets the old socket's heartbeat; call when a (new) socket opens.
    pub fn reset(&mut self, now: Instant) {
        self.pending = None;
        self.next_due = now + self.interval;
    }

    pub fn on_tick(&mut self, now: Instant, refs: &mut Refs) -> HeartbeatAction {
        if now < self.next_due {
            return HeartbeatAction::NotDue;
        }
        if self.pending.is_some() {
            return HeartbeatAction::Dead;
        }

        let reference = refs.next_ref();
        self.pending = Some(reference.clone());
        self.next_due = now + self.interval;
        HeartbeatAction::Send(Frame::new(
            None,
            Some(reference),
            PHOENIX_TOPIC,
            HEARTBEAT,
            json!({}),
        ))
    }

    /// Takes a reply on the `phoenix` topic; true when it answers the heartbeat.
    pub fn on_reply(&mut self, reference: &str) -> bool {
        if self.pending.as_deref() == Some(reference) {
            self.pending = None;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::frame::encode;

    const INTERVAL: Duration = Duration::from_secs(30);

    fn sent(action: HeartbeatAction) -> Frame {
        match action {
            HeartbeatAction::Send(frame) => frame,
            other => panic!("expected a heartbeat, got {other:?}"),
        }
    }

    #[test]
    fn sends_the_phoenix_heartbeat_frame_when_due() {
        let start = Instant::now();
        let mut refs = Refs::new();
        let mut heartbeat = Heartbeat::new(INTERVAL, start);
        assert_eq!(heartbeat.next_due(), start + INTERVAL);
        assert_eq!(
            heartbeat.on_tick(start + INTERVAL / 2, &mut refs),
            HeartbeatAction::NotDue
        );

        let frame = sent(heartbeat.on_tick(start + INTERVAL, &mut refs));
        assert_eq!(encode(&frame), r#"[null,"1","phoenix","heartbeat",{}]"#);
        assert_eq!(heartbeat.next_due(), start + INTERVAL * 2);
    }

    #[test]
    fn an_answered_heartbeat_keeps_the_link_alive() {
        let start = Instant::now();
        let mut refs = Refs::new();
        let mut heartbeat = Heartbeat::new(INTERVAL, start);
        for n in 1..=3 {
            let frame = sent(heartbeat.on_tick(start + INTERVAL * n, &mut refs));
            assert!(!heartbeat.on_reply("other"));
            assert!(heartbeat.on_reply(frame.reference.as_deref().unwrap()));
        }
    }

    #[test]
    fn an_unanswered_heartbeat_is_dead_when_the_next_is_due() {
        let start = Instant::now();
        let mut refs = Refs::new();
        let mut heartbeat = Heartbeat::new(INTERVAL, start);
        sent(heartbeat.on_tick(start + INTERVAL, &mut refs));
        assert_eq!(
            heartbeat.on_tick(start + INTERVAL * 3 / 2, &mut refs),
            HeartbeatAction::NotDue
        );
        assert_eq!(
            heartbeat.on_tick(start + INTERVAL * 2, &mut refs),
            HeartbeatAction::Dead
        );
    }

    #[test]
    fn a_late_reply_from_before_the_reset_is_ignored() {
        let start = Instant::now();
        let mut refs = Refs::new();
        let mut heartbeat = Heartbeat::new(INTERVAL, start);
        let old = sent(heartbeat.on_tick(start + INTERVAL, &mut refs));

        let reconnected = start + INTERVAL * 2;
        heartbeat.reset(reconnected);
        assert_eq!(heartbeat.next_due(), reconnected + INTERVAL);
        assert!(!heartbeat.on_reply(old.reference.as_deref().unwrap()));
        sent(heartbeat.on_tick(reconnected + INTERVAL, &mut refs));
    }
}
