//! The PostgreSQL the oracle half runs the registry against (`.ci/postgres start` starts Debian's `postgresql`
//! and prints the two URLs; `.ci/run` exports them): `QOLTANBA_TEST_POSTGRES`, the service's role (may create
//! databases, is no superuser), and `QOLTANBA_TEST_POSTGRES_ADMIN`, a superuser — the administrator who can drop
//! triggers and grants and rewrite rows, whom the audit chain must still catch. Each test gets a database of its
//! own, dropped at the end. `psql` (Debian `postgresql-client`) is the independent client.

use std::process::Command;
use std::sync::Arc;

use super::registry_suite::Database;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "this check needs PostgreSQL: set {name} (`eval \"$(.ci/postgres start)\"` prints it; .ci/run does it; \
             Debian package postgresql)"
        )
    })
}

/// The service role's URL, on database `db`.
pub fn service_url(db: &str) -> String {
    on_database(&var("QOLTANBA_TEST_POSTGRES"), db)
}

/// The superuser's URL, on database `db`.
pub fn admin_url(db: &str) -> String {
    on_database(&var("QOLTANBA_TEST_POSTGRES_ADMIN"), db)
}

fn on_database(url: &str, db: &str) -> String {
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    format!("{base}/{db}")
}

/// Runs `sql` with `psql` at `url`; its output (unaligned, tuples only), or its error.
pub fn psql(url: &str, sql: &str) -> Result<String, String> {
    super::tools::need_tool("psql", "postgresql-client");
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            url,
            "-c",
            sql,
        ])
        .output()
        .expect("run psql");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// A database of its own for one test, owned by the service role; dropped (connections closed) at the end.
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    /// Held while the database is used: a test that restarts the server takes the machine alone.
    _machine: Option<std::sync::RwLockReadGuard<'static, ()>>,
}

impl TestDatabase {
    /// Creates an empty database, sharing the server with other tests.
    pub fn new() -> TestDatabase {
        let machine = super::shared_machine();
        let mut db = Self::for_whole_machine();
        db._machine = Some(machine);
        db
    }

    /// Creates an empty database for a test that holds [`super::whole_machine`] (and may restart the server).
    pub fn for_whole_machine() -> TestDatabase {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "qoltanba_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        psql(
            &admin_url("postgres"),
            &format!("CREATE DATABASE {name} OWNER qoltanba"),
        )
        .expect("create the test database");
        TestDatabase {
            name,
            _machine: None,
        }
    }

    /// The service role's URL for it.
    pub fn url(&self) -> String {
        service_url(&self.name)
    }

    /// The superuser's URL for it.
    pub fn admin(&self) -> String {
        admin_url(&self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = psql(
            &admin_url("postgres"),
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// A fresh database for the registry suite; node `n` appends to audit chain `node-n`.
pub fn database() -> Database {
    let db = TestDatabase::new();
    let url = db.url();
    Database {
        open: Box::new(move |n| {
            Arc::new(
                qoltanba::PostgresRegistry::connect(&url, None, &format!("node-{n}"), 8)
                    .expect("connect to PostgreSQL"),
            )
        }),
        keep: Box::new(db),
    }
}

/// Restarts the PostgreSQL server (`.ci/postgres restart`: a fast shutdown, then up again). Only for a test holding
/// [`super::whole_machine`].
pub fn restart_server() {
    let ok = Command::new(super::project_dir().join(".ci/postgres"))
        .arg("restart")
        .status()
        .expect("run .ci/postgres restart")
        .success();
    assert!(ok, "the PostgreSQL server did not restart");
}
