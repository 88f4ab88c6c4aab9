//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/conformance` beside the project, or `None` (after saying why) when this clone has no `../shared`.
/// Under CI (`CI=true`) a missing directory fails the test instead: CI always has it.
pub fn conformance_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{} is missing, and CI must have it", dir.display());
    }
    eprintln!(
        "SKIPPED: {} is not here (a clone without ../shared)",
        dir.display()
    );
    None
}

pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses an RFC 3339 time to Unix seconds.
pub fn unix(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .expect("valid RFC 3339 time")
        .unix_timestamp()
}
