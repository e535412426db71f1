//! Unit tests of the channel state machine.

use super::*;
use crate::core::frame::encode;
use serde_json::json;

const TOPIC: &str = "chat:key:lobby";
const SECOND: Duration = Duration::from_secs(1);

/// A channel, its socket's refs and a clock under the test's control.
struct Harness {
    channel: Channel<&'static str>,
    refs: Refs,
    now: Instant,
}

impl Harness {
    fn new() -> Self {
        let channel = Channel::new(TOPIC, json!({}), Link::Up);
        Self {
            channel,
            refs: Refs::new(),
            now: Instant::now(),
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    fn join(&mut self) -> Frame {
        let frame = self.channel.join(&mut self.refs, self.now).unwrap();
        frame.expect("the socket is up, so the join is sent")
    }

    fn push(&mut self, event: &str, token: &'static str) -> PushOutcome {
        let (refs, now) = (&mut self.refs, self.now);
        let outcome = self
            .channel
            .push(event, json!({}), token, refs, now, 10 * SECOND);
        outcome.unwrap_or_else(|refused| panic!("push refused: {}", refused.error))
    }

    fn receive(&mut self, frame: Frame) -> ChannelEvent<&'static str> {
        self.channel.on_frame(frame, &mut self.refs, self.now)
    }

    fn tick(&mut self) -> Tick<&'static str> {
        self.channel.on_timeout(&mut self.refs, self.now)
    }

    fn reply_to(&mut self, frame: &Frame, payload: Value) -> ChannelEvent<&'static str> {
        let reply = Frame::new(
            frame.join_ref.clone(),
            frame.reference.clone(),
            TOPIC,
            PHX_REPLY,
            payload,
        );
        self.receive(reply)
    }

    fn joined(&mut self) -> Frame {
        let join = self.join();
        let event = self.reply_to(&join, json!({"status": "ok", "response": {}}));
        assert!(matches!(event, ChannelEvent::Joined { .. }), "{event:?}");
        join
    }

    fn server_event(&mut self, join_ref: Option<&str>, event: &str) -> ChannelEvent<&'static str> {
        let join_ref = join_ref.map(str::to_owned);
        self.receive(Frame::new(join_ref, None, TOPIC, event, json!({})))
    }
}

fn sent(outcome: PushOutcome) -> Frame {
    match outcome {
        PushOutcome::Send(frame) => frame,
        PushOutcome::Buffered => panic!("expected the push to be sent, it was held"),
    }
}

fn ok() -> Value {
    json!({"status": "ok", "response": {}})
}

#[test]
fn join_sends_phx_join_with_the_join_ref_as_its_ref() {
    let mut h = Harness::new();
    h.channel
        .set_join_payload(json!({"query": {"after": "2026-01-01T00:00:00"}}));
    let join = h.join();
    assert_eq!(
        encode(&join),
        r#"["1","1","chat:key:lobby","phx_join",{"query":{"after":"2026-01-01T00:00:00"}}]"#
    );
    assert_eq!(h.channel.state(), &ChannelState::Joining);
    assert_eq!(h.channel.join_ref(), Some("1"));
    assert_eq!(
        h.channel.next_deadline(),
        Some(h.now + DEFAULT_PUSH_TIMEOUT)
    );
}

#[test]
fn an_ok_join_reply_joins_and_hands_back_the_response() {
    let mut h = Harness::new();
    let join = h.join();
    let event = h.reply_to(&join, json!({"status": "ok", "response": {"messages": []}}));
    let ChannelEvent::Joined {
        response,
        released,
        expired,
    } = event
    else {
        panic!("expected Joined, got {event:?}");
    };
    assert_eq!(response, json!({"messages": []}));
    assert!(released.is_empty() && expired.is_empty());
    assert_eq!(h.channel.state(), &ChannelState::Joined);
    assert_eq!(h.channel.next_deadline(), None);
}

#[test]
fn joining_twice_is_refused() {
    let mut h = Harness::new();
    h.join();
    let err = h.channel.join(&mut h.refs, h.now).unwrap_err();
    assert_eq!(
        err,
        ChannelError::AlreadyJoined {
            topic: TOPIC.into()
        }
    );
}

#[test]
fn a_joined_push_is_sent_and_its_reply_resolves_its_token() {
    let mut h = Harness::new();
    h.joined();
    let frame = sent(h.push("message:new", "m1"));
    assert_eq!(frame.join_ref.as_deref(), Some("1"));
    assert_eq!(frame.reference.as_deref(), Some("2"));

    let event = h.reply_to(&frame, ok());
    let ChannelEvent::Reply { token, reply } = event else {
        panic!("expected Reply, got {event:?}");
    };
    assert_eq!(token, "m1");
    assert!(reply.unwrap().is_ok());
    assert!(matches!(h.reply_to(&frame, ok()), ChannelEvent::Ignored));
}

#[test]
fn pushes_made_while_joining_are_sent_in_order_after_the_join() {
    let mut h = Harness::new();
    let join = h.join();
    assert_eq!(h.push("message:new", "first"), PushOutcome::Buffered);
    assert_eq!(h.push("message:new", "second"), PushOutcome::Buffered);

    let event = h.reply_to(&join, ok());
    let ChannelEvent::Joined {
        released, expired, ..
    } = event
    else {
        panic!("expected Joined, got {event:?}");
    };
    assert!(expired.is_empty());
    let refs: Vec<_> = released
        .iter()
        .map(|frame| frame.reference.as_deref())
        .collect();
    assert_eq!(refs, [Some("2"), Some("3")]);
    assert!(released.iter().all(|frame| frame.join_ref == join.join_ref));

    let event = h.reply_to(&released[1], ok());
    assert!(
        matches!(
            event,
            ChannelEvent::Reply {
                token: "second",
                ..
            }
        ),
        "{event:?}"
    );
}

#[test]
fn a_held_push_past_its_deadline_fails_and_is_never_sent() {
    let mut h = Harness::new();
    let join = h.join();
    let (refs, now) = (&mut h.refs, h.now);
    let short = h
        .channel
        .push("message:new", json!({}), "short", refs, now, 2 * SECOND);
    assert_eq!(short.unwrap(), PushOutcome::Buffered);
    h.push("message:new", "long");

    // The join is answered after the short push's deadline.
    h.advance(3 * SECOND);
    let event = h.reply_to(&join, ok());
    let ChannelEvent::Joined {
        released, expired, ..
    } = event
    else {
        panic!("expected Joined, got {event:?}");
    };
    assert_eq!(expired, ["short"]);
    assert_eq!(released.len(), 1);
}

#[test]
fn a_held_push_times_out_while_the_join_is_pending() {
    let mut h = Harness::new();
    let join = h.join();
    let (refs, now) = (&mut h.refs, h.now);
    let outcome = h
        .channel
        .push("message:new", json!({}), "held", refs, now, 2 * SECOND);
    assert_eq!(outcome.unwrap(), PushOutcome::Buffered);
    assert_eq!(h.channel.next_deadline(), Some(h.now + 2 * SECOND));

    h.advance(2 * SECOND);
    let tick = h.tick();
    assert_eq!(tick.timed_out, ["held"]);
    assert!(tick.frames.is_empty());

    let ChannelEvent::Joined { released, .. } = h.reply_to(&join, ok()) else {
        panic!("expected Joined");
    };
    assert!(released.is_empty());
}

#[test]
fn a_sent_push_times_out_and_its_late_reply_is_ignored() {
    let mut h = Harness::new();
    h.joined();
    let frame = sent(h.push("message:new", "m1"));
    h.advance(10 * SECOND);
    assert_eq!(h.tick().timed_out, ["m1"]);
    assert!(matches!(h.reply_to(&frame, ok()), ChannelEvent::Ignored));
}

#[test]
fn a_message_of_an_earlier_join_is_dropped_but_broadcasts_never_are() {
    let mut h = Harness::new();
    let first = h.joined();
    h.server_event(first.join_ref.as_deref(), PHX_ERROR);
    h.advance(SECOND);
    let rejoin = h.tick().frames.pop().unwrap();
    h.reply_to(&rejoin, ok());
    assert_eq!(h.channel.join_ref(), Some("2"));

    let stale = h.server_event(first.join_ref.as_deref(), "presence_state");
    assert!(matches!(stale, ChannelEvent::Stale), "{stale:?}");
    let stale_crash = h.server_event(first.join_ref.as_deref(), PHX_ERROR);
    assert!(
        matches!(stale_crash, ChannelEvent::Stale),
        "{stale_crash:?}"
    );
    assert_eq!(h.channel.state(), &ChannelState::Joined);

    let current = h.server_event(Some("2"), "presence_state");
    assert!(
        matches!(current, ChannelEvent::Message { .. }),
        "{current:?}"
    );
    let broadcast = h.server_event(None, "message:new");
    let ChannelEvent::Message { event, .. } = broadcast else {
        panic!("expected the broadcast, got {broadcast:?}");
    };
    assert_eq!(event, "message:new");
}

#[test]
fn broadcasts_pass_even_while_errored() {
    let mut h = Harness::new();
    let join = h.joined();
    h.server_event(join.join_ref.as_deref(), PHX_ERROR);
    assert_eq!(h.channel.join_ref(), None);
    let broadcast = h.server_event(None, "presence_diff");
    assert!(
        matches!(broadcast, ChannelEvent::Message { .. }),
        "{broadcast:?}"
    );
}

#[test]
fn phx_error_fails_pushes_in_flight_and_schedules_a_rejoin() {
    let mut h = Harness::new();
    let join = h.joined();
    sent(h.push("message:new", "m1"));
    sent(h.push("reaction:new", "r1"));

    let event = h.server_event(join.join_ref.as_deref(), PHX_ERROR);
    let ChannelEvent::Errored { failed, rejoin_at } = event else {
        panic!("expected Errored, got {event:?}");
    };
    assert_eq!(failed, ["m1", "r1"]);
    assert_eq!(rejoin_at, Some(h.now + SECOND));
    assert_eq!(h.channel.state(), &ChannelState::Errored);
    assert_eq!(h.channel.next_deadline(), rejoin_at);

    // Pushes made now wait for the rejoin.
    assert_eq!(h.push("message:new", "m2"), PushOutcome::Buffered);
    h.advance(SECOND);
    let tick = h.tick();
    assert_eq!(tick.frames.len(), 1);
    assert_eq!(tick.frames[0].event, PHX_JOIN);
    assert_eq!(h.channel.state(), &ChannelState::Joining);
}

#[test]
fn rejoins_back_off_and_reset_after_a_successful_join() {
    let mut h = Harness::new();
    let mut join = h.join();
    let mut delays = Vec::new();
    for _ in 0..4 {
        let event = h.reply_to(
            &join,
            json!({"status": "error", "response": {"reason": "boom"}}),
        );
        let ChannelEvent::JoinFailed {
            rejoin_at: Some(at),
            response,
        } = event
        else {
            panic!("expected JoinFailed, got {event:?}");
        };
        assert_eq!(response, json!({"reason": "boom"}));
        delays.push(at - h.now);
        h.now = at;
        join = h.tick().frames.pop().unwrap();
    }
    assert_eq!(delays, [SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND]);

    h.reply_to(&join, ok());
    let event = h.server_event(join.join_ref.as_deref(), PHX_ERROR);
    let ChannelEvent::Errored { rejoin_at, .. } = event else {
        panic!("expected Errored, got {event:?}");
    };
    assert_eq!(rejoin_at, Some(h.now + SECOND));
}

#[test]
fn an_unauthorized_join_is_final_and_never_rejoined() {
    let mut h = Harness::new();
    let join = h.join();
    h.push("message:new", "held");
    let payload = json!({"status": "error", "response": {"reason": "unauthorized"}});
    let event = h.reply_to(&join, payload);
    let ChannelEvent::Rejected { reason, failed } = event else {
        panic!("expected Rejected, got {event:?}");
    };
    assert_eq!(reason, "unauthorized");
    assert_eq!(failed, ["held"]);
    assert_eq!(
        h.channel.state(),
        &ChannelState::Rejected {
            reason: "unauthorized".into()
        }
    );

    assert_eq!(h.channel.next_deadline(), None);
    h.advance(60 * SECOND);
    assert!(h.tick().frames.is_empty());
    assert_eq!(h.channel.on_socket_open(&mut h.refs, h.now), None);

    let (refs, now) = (&mut h.refs, h.now);
    let refused = h
        .channel
        .push("message:new", json!({}), "late", refs, now, SECOND)
        .unwrap_err();
    assert_eq!(refused.token, "late");
    assert!(matches!(refused.error, ChannelError::NotJoined { .. }));
}

#[test]
fn a_malformed_join_reply_is_a_failed_join() {
    let mut h = Harness::new();
    let join = h.join();
    let event = h.reply_to(&join, json!({"status": "maybe"}));
    assert!(
        matches!(
            event,
            ChannelEvent::JoinFailed {
                rejoin_at: Some(_),
                ..
            }
        ),
        "{event:?}"
    );
    assert_eq!(h.channel.state(), &ChannelState::Errored);
}

#[test]
fn a_join_timeout_leaves_the_half_made_join_and_rejoins() {
    let mut h = Harness::new();
    let join = h.join();
    h.advance(DEFAULT_PUSH_TIMEOUT);
    let tick = h.tick();
    assert_eq!(tick.frames.len(), 1);
    assert_eq!(tick.frames[0].event, PHX_LEAVE);
    assert_eq!(tick.frames[0].join_ref, join.join_ref);
    assert_eq!(h.channel.state(), &ChannelState::Errored);

    // The late reply of the timed-out join is stale now.
    assert!(matches!(h.reply_to(&join, ok()), ChannelEvent::Stale));
    h.advance(SECOND);
    let rejoin = h.tick().frames.pop().unwrap();
    assert_eq!(rejoin.event, PHX_JOIN);
    assert_ne!(rejoin.join_ref, join.join_ref);
}

#[test]
fn leave_sends_phx_leave_and_its_reply_closes() {
    let mut h = Harness::new();
    let join = h.joined();
    let in_flight = sent(h.push("message:new", "m1"));
    let leave = h.channel.leave(&mut h.refs, h.now);
    let frame = leave.frame.unwrap();
    assert_eq!(frame.event, PHX_LEAVE);
    assert_eq!(frame.join_ref, join.join_ref);
    assert_eq!(h.channel.state(), &ChannelState::Leaving);

    // A push sent before the leave may still be answered.
    assert!(matches!(
        h.reply_to(&in_flight, ok()),
        ChannelEvent::Reply { token: "m1", .. }
    ));
    let event = h.reply_to(&frame, ok());
    assert!(matches!(event, ChannelEvent::Closed { .. }), "{event:?}");
    assert_eq!(h.channel.state(), &ChannelState::Closed);
    assert!(matches!(
        h.server_event(join.join_ref.as_deref(), PHX_CLOSE),
        ChannelEvent::Ignored
    ));
}

#[test]
fn leave_fails_held_pushes_and_an_errored_channel_closes_at_once() {
    let mut h = Harness::new();
    let join = h.joined();
    h.server_event(join.join_ref.as_deref(), PHX_ERROR);
    h.push("message:new", "held");
    let leave = h.channel.leave(&mut h.refs, h.now);
    assert!(leave.frame.is_none());
    assert_eq!(leave.failed, ["held"]);
    assert_eq!(h.channel.state(), &ChannelState::Closed);
    assert_eq!(h.channel.next_deadline(), None);
}

#[test]
fn a_leave_that_times_out_closes_anyway() {
    let mut h = Harness::new();
    h.joined();
    h.channel.leave(&mut h.refs, h.now);
    h.advance(DEFAULT_PUSH_TIMEOUT);
    assert!(h.tick().frames.is_empty());
    assert_eq!(h.channel.state(), &ChannelState::Closed);
}

#[test]
fn phx_close_from_the_server_closes_and_fails_what_is_pending() {
    let mut h = Harness::new();
    let join = h.joined();
    sent(h.push("message:new", "m1"));
    let event = h.server_event(join.join_ref.as_deref(), PHX_CLOSE);
    let ChannelEvent::Closed { failed } = event else {
        panic!("expected Closed, got {event:?}");
    };
    assert_eq!(failed, ["m1"]);
    assert_eq!(h.channel.state(), &ChannelState::Closed);
    h.advance(60 * SECOND);
    assert!(h.tick().frames.is_empty());
}

#[test]
fn a_closed_socket_errors_the_channel_and_its_return_rejoins_at_once() {
    let mut h = Harness::new();
    h.joined();
    sent(h.push("message:new", "in flight"));
    let failed = h.channel.on_socket_close();
    assert_eq!(failed, ["in flight"]);
    assert_eq!(h.channel.state(), &ChannelState::Errored);
    assert_eq!(h.push("message:new", "held"), PushOutcome::Buffered);

    // No rejoin timer runs while the socket is down.
    assert_eq!(h.channel.next_deadline(), Some(h.now + 10 * SECOND));
    h.advance(5 * SECOND);
    assert!(h.tick().frames.is_empty());

    h.channel
        .set_join_payload(json!({"query": {"after": "2026-01-01T00:00:00"}}));
    let rejoin = h.channel.on_socket_open(&mut h.refs, h.now).unwrap();
    assert_eq!(rejoin.event, PHX_JOIN);
    assert_eq!(
        rejoin.payload,
        json!({"query": {"after": "2026-01-01T00:00:00"}})
    );
    let ChannelEvent::Joined { released, .. } = h.reply_to(&rejoin, ok()) else {
        panic!("expected Joined");
    };
    assert_eq!(released.len(), 1);
}

#[test]
fn a_join_made_while_the_socket_is_down_goes_out_when_it_opens() {
    let mut h = Harness::new();
    h.channel = Channel::new(TOPIC, json!({}), Link::Down);
    assert_eq!(h.channel.join(&mut h.refs, h.now).unwrap(), None);
    assert_eq!(h.channel.state(), &ChannelState::Joining);
    assert_eq!(h.channel.next_deadline(), None);
    let join = h.channel.on_socket_open(&mut h.refs, h.now).unwrap();
    assert_eq!(join.event, PHX_JOIN);
    assert_eq!(h.channel.join_ref(), join.reference.as_deref());
}

#[test]
fn a_socket_closing_while_leaving_closes_the_channel() {
    let mut h = Harness::new();
    h.joined();
    h.channel.leave(&mut h.refs, h.now);
    h.channel.on_socket_close();
    assert_eq!(h.channel.state(), &ChannelState::Closed);
    assert_eq!(h.channel.on_socket_open(&mut h.refs, h.now), None);
}

#[test]
fn pushing_to_a_closed_channel_hands_the_token_back() {
    let mut h = Harness::new();
    let (refs, now) = (&mut h.refs, h.now);
    let refused = h
        .channel
        .push("message:new", json!({}), "t", refs, now, SECOND)
        .unwrap_err();
    assert_eq!(refused.token, "t");
    assert_eq!(
        refused.error.to_string(),
        "channel `chat:key:lobby` is not joined, so `message:new` cannot be pushed"
    );
}

#[test]
fn a_joined_channel_rejoins_on_request_and_drops_its_waiting_pushes() {
    let mut h = Harness::new();
    let first = h.joined();
    let push = sent(h.push("message:new", "m1"));
    let (frame, failed) = h.channel.rejoin(&mut h.refs, h.now);
    let join = frame.expect("a joined channel sends a fresh join");
    assert_eq!(join.event, PHX_JOIN);
    assert_ne!(join.join_ref, first.join_ref);
    assert_eq!(failed, ["m1"]);
    assert_eq!(h.channel.state(), &ChannelState::Joining);
    // The old push's reply belongs to the old join: stale.
    assert!(matches!(h.reply_to(&push, ok()), ChannelEvent::Stale));
    assert!(matches!(
        h.reply_to(&join, ok()),
        ChannelEvent::Joined { .. }
    ));

    // Not joined: nothing to do.
    h.server_event(join.join_ref.as_deref(), PHX_ERROR);
    let (frame, failed) = h.channel.rejoin(&mut h.refs, h.now);
    assert!(frame.is_none() && failed.is_empty());
}
