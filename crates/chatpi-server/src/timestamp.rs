//! Naive ISO-8601 UTC timestamps with one-second precision, as a real Chatpi
//! server stores them (`2026-12-03T14:56:01`, no zone).

use time::{format_description::FormatItem, macros::format_description, OffsetDateTime};
use time::{Duration, PrimitiveDateTime};

use crate::{Error, Result};

const SECONDS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
const WITH_FRACTION: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");

/// Now, truncated to the second.
pub fn now_naive() -> PrimitiveDateTime {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    PrimitiveDateTime::new(now.date(), now.time())
}

/// Formats at one-second precision.
pub fn format_naive(t: PrimitiveDateTime) -> String {
    // The format has no component that can fail for a valid datetime.
    t.format(SECONDS).unwrap_or_default()
}

/// Parses a naive timestamp, with or without a fraction of a second; a
/// trailing `Z` is tolerated since it names the zone the server assumes.
pub fn parse_naive(text: &str) -> Result<PrimitiveDateTime> {
    let bare = text.strip_suffix('Z').unwrap_or(text);
    PrimitiveDateTime::parse(bare, SECONDS)
        .or_else(|_| PrimitiveDateTime::parse(bare, WITH_FRACTION))
        .map_err(|_| Error::Timestamp(text.to_owned()))
}

/// The stored-form bound for "strictly after `t`": stored times have whole
/// seconds, so anything strictly after `t` is strictly after `floor(t)`.
pub fn after_bound(t: PrimitiveDateTime) -> String {
    format_naive(t.replace_nanosecond(0).unwrap_or(t))
}

/// The stored-form bound for "strictly before `t`": a fraction rounds up.
pub fn before_bound(t: PrimitiveDateTime) -> String {
    if t.nanosecond() == 0 {
        format_naive(t)
    } else {
        let floor = t.replace_nanosecond(0).unwrap_or(t);
        format_naive(floor + Duration::SECOND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_second_precision() {
        let t = parse_naive("2026-12-03T14:56:01").unwrap();
        assert_eq!(format_naive(t), "2026-12-03T14:56:01");
    }

    #[test]
    fn fractions_bound_correctly() {
        let t = parse_naive("2026-12-03T14:56:01.5").unwrap();
        assert_eq!(after_bound(t), "2026-12-03T14:56:01");
        assert_eq!(before_bound(t), "2026-12-03T14:56:02");
        assert!(parse_naive("2026-12-03T14:56:01Z").is_ok());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_naive("yesterday").is_err());
        assert!(parse_naive("2026-13-03T14:56:01").is_err());
    }
}
