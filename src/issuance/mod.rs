//! The workflow of design.md §1 as decisions with no I/O: what an application is, which services exist and how
//! long they take, which step may follow which, what goes on a licence or a refusal. The registry stores, the
//! HTTP layer carries; both ask this module what is allowed.

mod application;
mod calendar;
mod status;

pub use application::{
    duplicate_data, form_date, licence_data, refusal_data, reissue_data, service, ApplicantId,
    ApplicantKind, Application, ApplicationError, Provider, RefusalReason, Service,
    DECISION_FIELDS, DUPLICATE_MARK, MAX_APPLICATION, SERVICES,
};
pub use calendar::{WorkingCalendar, MAX_WORKING_DAYS};
pub use status::{
    ApplicationStatus, ApplicationStep, LicenceStatus, LifecycleAction, TransitionError,
};

/// Kazakhstan keeps one time zone, UTC+5, since 1 March 2024: dates printed and deadlines counted are local.
pub const LOCAL_OFFSET_SECONDS: i32 = 5 * 3600;

/// The local (Astana) year of a Unix time: documents are numbered in it.
pub fn local_year(unix: i64) -> Option<i32> {
    local_date(unix).map(|d| d.year())
}

/// The local (Astana) date of a Unix time.
pub fn local_date(unix: i64) -> Option<time::Date> {
    let offset = time::UtcOffset::from_whole_seconds(LOCAL_OFFSET_SECONDS).ok()?;
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .map(|t| t.to_offset(offset).date())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(s: &str) -> i64 {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .expect("time")
            .unix_timestamp()
    }

    #[test]
    fn the_local_year_turns_at_local_midnight() {
        assert_eq!(local_year(unix("2026-12-31T18:59:59Z")), Some(2026));
        assert_eq!(local_year(unix("2026-12-31T19:00:00Z")), Some(2027));
        assert_eq!(
            local_date(unix("2026-12-31T19:00:00Z")),
            Some(time::macros::date!(2027 - 01 - 01))
        );
    }
}
