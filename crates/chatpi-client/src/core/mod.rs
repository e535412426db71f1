//! The pure protocol core: no I/O, no tokio, no clock of its own.
//!
//! Each module owns one concept of the Phoenix Channels protocol as Chatpi
//! speaks it (see `PROTOCOL.md`). Time comes in as explicit `now: Instant`
//! arguments, so the driver can run it under `tokio::time::pause`.

pub mod backfill;
pub mod backoff;
pub mod channel;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod heartbeat;
pub mod outbox;
pub mod presence;
pub mod push;
pub mod refs;

pub use backfill::{older_window, splice, SeenSet, Timeline, SEEN_CAPACITY};
pub use backoff::{reconnect_after, rejoin_after, Backoff, Schedule};
pub use channel::{
    Channel, ChannelError, ChannelEvent, ChannelState, Leave, Link, PushOutcome, Refused, Tick,
    FINAL_JOIN_REASONS,
};
pub use frame::{
    decode, decode_raw, decode_with_limit, encode, Frame, FrameError, RawFrame,
    DEFAULT_MAX_FRAME_BYTES,
};
pub use heartbeat::{Heartbeat, HeartbeatAction, DEFAULT_HEARTBEAT_INTERVAL};
pub use outbox::{OutboxEntry, OutboxQueue, OutboxState, Phase, RetryError, MAX_CRASHES};
pub use presence::{
    parse_diff, parse_state, sync_diff, sync_state, Changes, DiffPayload, Meta, Presence,
    PresenceDiff, PresenceEntry, PresenceError, PresenceJoin, PresenceLeave, PresenceState,
    PresenceUpdate, SyncStatus,
};
pub use push::{PushTable, Reply, ReplyError, ReplyStatus, DEFAULT_PUSH_TIMEOUT};
pub use refs::Refs;
