//! The registry on PostgreSQL (issue 19): the same suite as on SQLite, against a real server.

/// The registry's guarantees across nodes, on PostgreSQL.
mod suite {
    crate::common::registry_suite::registry_suite!(crate::common::postgres::database);
}

use crate::common::postgres::{psql, TestDatabase};
use qoltanba::{DocumentNumber, PostgresRegistry, Registry, RenderError, RenderedDocument};

fn cheap(number: &DocumentNumber) -> Result<RenderedDocument, RenderError> {
    Ok(RenderedDocument {
        issued_at: qoltanba::UnixTime::from_secs(1_795_000_000),
        canonical_data: format!("{{\"number\":\"{number}\"}}").into_bytes(),
        seal: vec![format!("QLT1:{number}")],
        pdf: b"%PDF-1.7 stand-in".to_vec(),
    })
}

/// Runs `qoltanba audit verify` on the database (the URL from the environment, as a node would get it).
fn audit_verify(db: &TestDatabase) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qoltanba"))
        .args(["audit", "verify"])
        .env("QOLTANBA_REGISTRY", db.url())
        .output()
        .expect("run qoltanba");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The service's role may not change or remove audit entries (its grants, not only a trigger); the database's
/// superuser can, and `qoltanba audit verify` names the entry changed, then the one removed, in its node's chain.
#[test]
fn the_service_role_cannot_rewrite_the_audit_log_and_the_administrator_is_caught() {
    let db = TestDatabase::new();
    let (a, b) = (
        PostgresRegistry::connect(&db.url(), None, "node-a", 4).expect("node a"),
        PostgresRegistry::connect(&db.url(), None, "node-b", 4).expect("node b"),
    );
    for i in 0..6 {
        let node: &dyn Registry = if i % 2 == 0 { &a } else { &b };
        node.issue(
            &crate::common::form_id("reference.birth"),
            2026,
            "portal",
            &mut cheap,
        )
        .expect("issue");
    }
    let (code, out) = audit_verify(&db);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("chain node-a: 3 entries checked, intact"),
        "{out}"
    );
    assert!(
        out.contains("chain node-b: 3 entries checked, intact"),
        "{out}"
    );

    for sql in [
        "UPDATE audit SET actor = 'someone else'",
        "DELETE FROM audit",
        "TRUNCATE audit",
        "DELETE FROM audit_chain",
    ] {
        let refused = psql(&db.url(), sql).expect_err(sql);
        assert!(refused.contains("permission denied"), "{sql}: {refused}");
    }

    let admin = db.admin();
    psql(
        &admin,
        "ALTER TABLE audit DISABLE TRIGGER USER;
         UPDATE audit SET subject = 'reference.birth-2026-000099' WHERE chain = 'node-b' AND seq = 2;",
    )
    .expect("the superuser rewrites an entry");
    let row = psql(
        &admin,
        "SELECT id FROM audit WHERE chain = 'node-b' AND seq = 2",
    )
    .expect("row id");
    let (code, out) = audit_verify(&db);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("chain node-a: 3 entries checked, intact"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "chain node-b: 1 entries checked, BROKEN at entry 2 (row {row}): changed"
        )),
        "{out}"
    );

    psql(
        &admin,
        "DELETE FROM audit WHERE chain = 'node-a' AND seq = 3;",
    )
    .expect("the superuser removes the last entry");
    let (code, out) = audit_verify(&db);
    assert_eq!(code, 1);
    assert!(
        out.contains("chain node-a: 2 entries checked, BROKEN at its end: the head says 3 entries, the log has 2"),
        "{out}"
    );
}
