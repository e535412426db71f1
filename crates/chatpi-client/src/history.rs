//! Reading history under a real server's window rules: a query returns the
//! newest 50 messages strictly between its bounds, oldest first, and
//! timestamps have one-second precision. Reading more means paging
//! backwards; this module owns that walk.
//!
//! Paging with `before` = the oldest timestamp received would skip every
//! unseen message that shares that second, so each page asks for one
//! second more and drops what it already has by id. Only when more than a
//! page's worth of messages share one second is that impossible; the walk
//! then steps past the second and says so.

use std::{collections::HashSet, future::Future};

use time::PrimitiveDateTime;
use time::{format_description::FormatItem, macros::format_description, Duration};

use crate::{model::HistoryQuery, Error, Message, Result};

/// A real server returns at most this many messages per window.
pub const PAGE_SIZE: usize = 50;

const SECONDS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
const WITH_FRACTION: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");

/// Parses a naive ISO-8601 UTC timestamp (a fraction and a `Z` tolerated).
pub fn parse_timestamp(text: &str) -> Result<PrimitiveDateTime> {
    let bare = text.strip_suffix('Z').unwrap_or(text);
    PrimitiveDateTime::parse(bare, SECONDS)
        .or_else(|_| PrimitiveDateTime::parse(bare, WITH_FRACTION))
        .map_err(|_| Error::Timestamp(text.to_owned()))
}

/// Formats as the server expects: naive UTC, whole seconds.
pub fn format_timestamp(t: PrimitiveDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(SECONDS).unwrap_or_default()
}

/// `t` shifted by whole seconds, formatted for a query.
pub fn shift_timestamp(text: &str, seconds: i64) -> Result<String> {
    Ok(format_timestamp(
        parse_timestamp(text)? + Duration::seconds(seconds),
    ))
}

/// Reads every message strictly between `query`'s bounds, oldest first,
/// by paging backwards through `fetch`. `limit` caps how many are read.
pub async fn read_window<F, Fut>(
    query: HistoryQuery,
    limit: usize,
    mut fetch: F,
) -> Result<Vec<Message>>
where
    F: FnMut(HistoryQuery) -> Fut,
    Fut: Future<Output = Result<Vec<Message>>>,
{
    let mut pages: Vec<Vec<Message>> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut total = 0;
    let mut next = query.clone();
    loop {
        let page = fetch(next.clone()).await?;
        let full = page.len() >= PAGE_SIZE;
        let Some(oldest) = page.first().map(|m| m.inserted_at.clone()) else {
            break;
        };
        let fresh: Vec<Message> = page
            .into_iter()
            .filter(|m| seen.insert(m.id.clone()))
            .collect();
        let progressed = !fresh.is_empty();
        total += fresh.len();
        pages.push(fresh);
        if !full || total >= limit {
            break;
        }
        let widened = shift_timestamp(&oldest, 1)?;
        next.before = if progressed && next.before.as_deref() != Some(widened.as_str()) {
            Some(widened)
        } else {
            // More than a page in one second: nothing more can be read in
            // it. Step past it rather than loop.
            tracing::warn!(second = %oldest, "more than a page of messages share one second");
            Some(oldest)
        };
    }
    // Pages came newest-window first; each is oldest first inside.
    let mut out: Vec<Message> = pages.into_iter().rev().flatten().collect();
    if out.len() > limit {
        out.drain(..out.len() - limit);
    }
    Ok(out)
}
