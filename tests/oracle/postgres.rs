//! The registry on PostgreSQL (issue 19): the same suite as on SQLite, against a real server.

/// The registry's guarantees across nodes, on PostgreSQL.
mod suite {
    crate::common::registry_suite::registry_suite!(crate::common::postgres::database);
}
