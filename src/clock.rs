//! Time as the core decides on it: whole seconds since the Unix epoch, UTC.
//!
//! The core never reads a clock: the shells (CLI, HTTP) read it once per request with [`UnixTime::now`] and pass
//! the value down, so a verification, the document it issues and the audit entry that records it carry the same
//! instant, and tests can set any time. This is the one place that formats and parses RFC 3339 and that turns an
//! instant into the date a reader in Kazakhstan sees on the calendar.

#![warn(missing_docs)]

use std::fmt;

use thiserror::Error;

/// Kazakhstan keeps one time zone, UTC+5, since 1 March 2024: dates printed and deadlines counted are local.
pub(crate) const LOCAL_OFFSET_SECONDS: i32 = 5 * 3600;

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

/// Text that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not an RFC 3339 time: {0}")]
pub struct TimeError(String);

impl UnixTime {
    /// The instant `secs` seconds after the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        UnixTime(secs)
    }

    /// Seconds since the epoch.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// The instant `secs` seconds later (earlier when negative), saturating at the ends of time.
    pub const fn plus_secs(self, secs: i64) -> Self {
        UnixTime(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to this instant (negative when `earlier` is later), saturating.
    pub const fn secs_since(self, earlier: UnixTime) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The system clock: read by the shells only.
    pub fn now() -> Self {
        UnixTime(time::OffsetDateTime::now_utc().unix_timestamp())
    }

    /// Parses an RFC 3339 time (any offset).
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|t| UnixTime(t.unix_timestamp()))
            .map_err(|e| TimeError(e.to_string()))
    }

    /// RFC 3339 in UTC (`2026-12-01T18:00:00Z`). An instant outside the years 1–9999 (which no certificate,
    /// CRL or document can carry) is written as its number of seconds.
    pub fn rfc3339(self) -> String {
        time::OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| self.0.to_string())
    }

    /// The local (Astana) date.
    pub fn local_date(self) -> Option<time::Date> {
        let offset = time::UtcOffset::from_whole_seconds(LOCAL_OFFSET_SECONDS).ok()?;
        time::OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .map(|t| t.to_offset(offset).date())
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl serde::Serialize for UnixTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// RFC 3339 of Unix seconds: for the values still carried as plain seconds.
pub fn rfc3339(secs: i64) -> String {
    UnixTime(secs).rfc3339()
}

/// The local (Astana) date of Unix seconds.
pub fn local_date(secs: i64) -> Option<time::Date> {
    UnixTime(secs).local_date()
}

/// RFC 3339 of Unix seconds in Astana time (`2026-12-13T09:00:00+05:00`): deadlines in hours, as people there
/// read them.
pub(crate) fn local_rfc3339(secs: i64) -> Option<String> {
    let offset = time::UtcOffset::from_whole_seconds(LOCAL_OFFSET_SECONDS).ok()?;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .to_offset(offset)
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// The local (Astana) year of Unix seconds: documents are numbered in it, so a document dated 1 January locally
/// is numbered in the new year even while it is still 31 December in UTC.
pub fn local_year(secs: i64) -> Option<i32> {
    local_date(secs).map(|d| d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        UnixTime::parse_rfc3339(s).expect("time").secs()
    }

    #[test]
    fn rfc3339_round_trips_in_utc() {
        let t = UnixTime::parse_rfc3339("2026-12-01T23:30:00+05:00").expect("time");
        assert_eq!(t.rfc3339(), "2026-12-01T18:30:00Z");
        assert_eq!(UnixTime::parse_rfc3339(&t.to_string()), Ok(t));
        assert!(UnixTime::parse_rfc3339("yesterday").is_err());
        assert_eq!(
            UnixTime::from_secs(i64::MAX).rfc3339(),
            i64::MAX.to_string()
        );
        assert_eq!(
            serde_json::to_string(&UnixTime::from_secs(0)).expect("json"),
            "\"1970-01-01T00:00:00Z\""
        );
    }

    #[test]
    fn the_local_year_turns_at_local_midnight() {
        assert_eq!(local_year(at("2026-12-31T18:59:59Z")), Some(2026));
        assert_eq!(local_year(at("2026-12-31T19:00:00Z")), Some(2027));
        assert_eq!(
            local_date(at("2026-12-31T19:00:00Z")),
            Some(time::macros::date!(2027 - 01 - 01))
        );
    }
}
