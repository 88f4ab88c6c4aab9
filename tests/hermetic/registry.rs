//! The SQLite registry (issue 6, first part): gap-free unique numbers under concurrency, rollback of failed
//! renders, persistence across reopen, the append-only audit log, and hostile files.

use crate::common;
use qoltanba::IssueError;
use qoltanba::{
    DocumentNumber, Registry, RegistryError, RenderError, RenderedDocument, SqliteRegistry,
};
use std::sync::Arc;

const ISSUED: i64 = 1_790_000_000;

fn cheap(number: &DocumentNumber) -> Result<RenderedDocument, RenderError> {
    Ok(RenderedDocument {
        issued_at: qoltanba::UnixTime::from_secs(ISSUED),
        canonical_data: format!("{{\"number\":\"{number}\"}}").into_bytes(),
        seal: vec![format!("QLT1:{number}")],
        pdf: b"%PDF-1.7 stand-in".to_vec(),
    })
}

/// Issues `form` in 2026 as `actor` with the stand-in renderer.
fn issue_cheap(r: &SqliteRegistry, form: &str, actor: &str) -> qoltanba::StoredDocument {
    r.issue(&crate::common::form_id(form), 2026, actor, &mut cheap)
        .expect("issue")
}

#[test]
fn a_real_document_is_numbered_stored_and_still_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = SqliteRegistry::open(&dir.path().join("registry.db")).expect("open");
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let form = "licence.private-bailiff";
    let t = qoltanba::form(form).expect("form");
    let stored = registry
        .issue(
            &crate::common::form_id(form),
            2026,
            "operator-1",
            &mut |n| {
                let doc = qoltanba::issue(
                    form,
                    &t.sample(),
                    &n.to_string(),
                    ISSUED,
                    Some(qoltanba::Sealing {
                        signer: &provider,
                        mode: qoltanba::SealMode::Compact,
                    }),
                )?;
                Ok(RenderedDocument::from(doc))
            },
        )
        .expect("issue");
    assert_eq!(stored.number, "licence.private-bailiff-2026-000001");

    let back = registry
        .document_by_number(&stored.number)
        .expect("read")
        .expect("present");
    assert_eq!(back.pdf, stored.pdf);
    assert_eq!(back.seal, stored.seal);
    assert_eq!(back.id, stored.id);
    let store = qoltanba::demo_trust_store().expect("store");
    let report = qoltanba::verify_document(
        common::trust(&store),
        &back.pdf,
        &qoltanba::VerifyOptions::at(0),
    )
    .expect("verify");
    assert!(
        report.seal.report.valid,
        "{:?}",
        report.seal.report.messages
    );
    assert_eq!(
        report.seal.content.map(|c| c.signed.number),
        Some(stored.number.clone())
    );
    let audit = registry.audit().expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "operator-1");
    assert_eq!(audit[0].action, "document.issued");
    assert_eq!(audit[0].subject, stored.number);
    // The entry carries the issuance's own time, not a second reading of a clock.
    assert_eq!(audit[0].at.secs(), ISSUED);
}

#[test]
fn numbers_are_unique_and_gap_free_under_concurrency_across_connections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    // Two registries on one file stand for two server processes; four threads share each.
    let registries: Vec<Arc<SqliteRegistry>> = (0..2)
        .map(|_| Arc::new(SqliteRegistry::open(&path).expect("open")))
        .collect();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let r = Arc::clone(&registries[i % 2]);
            std::thread::spawn(move || {
                (0..50)
                    .map(|_| issue_cheap(&r, "reference.birth", "portal"))
                    .map(|d| d.number)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 400, "every number unique");
    let numbers = registries[0]
        .numbers(&crate::common::form_id("reference.birth"), 2026)
        .expect("numbers");
    assert_eq!(numbers, (1..=400).collect::<Vec<u64>>(), "none missing");
    assert_eq!(registries[1].audit().expect("audit").len(), 400);
}

#[test]
fn a_failed_render_uses_no_number_and_stores_nothing() {
    let registry = SqliteRegistry::in_memory().expect("open");
    issue_cheap(&registry, "licence.pawnshop", "op");
    let err = registry
        .issue(
            &crate::common::form_id("licence.pawnshop"),
            2026,
            "op",
            &mut |_| {
                Err(RenderError::Issue(IssueError::Render(
                    "template refused the data".into(),
                )))
            },
        )
        .expect_err("render fails");
    match err {
        RegistryError::Render { number, source } => {
            assert_eq!(number, "licence.pawnshop-2026-000002");
            assert_eq!(
                source.to_string(),
                "rendering failed: template refused the data"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let next = issue_cheap(&registry, "licence.pawnshop", "op");
    assert_eq!(next.number, "licence.pawnshop-2026-000002");
    assert_eq!(
        registry
            .numbers(&crate::common::form_id("licence.pawnshop"), 2026)
            .expect("numbers"),
        [1, 2]
    );
    assert_eq!(registry.audit().expect("audit").len(), 2);
}

#[test]
fn sequences_are_per_form_and_year() {
    let registry = SqliteRegistry::in_memory().expect("open");
    let a = issue_cheap(&registry, "licence.pawnshop", "op");
    let b = registry
        .issue(
            &crate::common::form_id("licence.pawnshop"),
            2027,
            "op",
            &mut cheap,
        )
        .expect("b");
    let c = issue_cheap(&registry, "reference.birth", "op");
    assert_eq!(
        [a.number, b.number, c.number],
        [
            "licence.pawnshop-2026-000001",
            "licence.pawnshop-2027-000001",
            "reference.birth-2026-000001"
        ]
    );
}

#[test]
fn documents_survive_reopening_and_numbering_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    {
        let r = SqliteRegistry::open(&path).expect("open");
        issue_cheap(&r, "reference.birth", "portal");
    }
    let r = SqliteRegistry::open(&path).expect("reopen");
    let d = r
        .document_by_number("reference.birth-2026-000001")
        .expect("read")
        .expect("present");
    assert_eq!(d.seal, ["QLT1:reference.birth-2026-000001"]);
    assert_eq!(
        r.document(d.id).expect("by id").map(|x| x.number),
        Some(d.number)
    );
    let next = issue_cheap(&r, "reference.birth", "portal");
    assert_eq!(next.number, "reference.birth-2026-000002");
    assert!(r
        .document_by_number("reference.birth-2026-000009")
        .expect("read")
        .is_none());
}

#[test]
fn the_audit_log_is_append_only_even_for_raw_sql() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    let r = SqliteRegistry::open(&path).expect("open");
    issue_cheap(&r, "reference.birth", "portal");
    let raw = rusqlite::Connection::open(&path).expect("raw");
    let update = raw.execute("UPDATE audit SET actor = 'someone else'", []);
    assert!(
        update.is_err_and(|e| e.to_string().contains("append-only")),
        "update must be refused"
    );
    let delete = raw.execute("DELETE FROM audit", []);
    assert!(delete.is_err_and(|e| e.to_string().contains("append-only")));
    assert_eq!(r.audit().expect("audit")[0].actor, "portal");
}

#[test]
fn hostile_inputs_and_files_get_clear_errors() {
    let registry = SqliteRegistry::in_memory().expect("open");
    // A form id that could not stand in a document number cannot even be made, so no registry call gets one.
    for form in ["", "a b", "../x", "licence;DROP", &"x".repeat(49)] {
        assert!(qoltanba::FormId::parse(form).is_err(), "{form:?}");
    }
    let longest = qoltanba::FormId::parse(&"x".repeat(48)).expect("48 characters");
    assert_eq!(longest.kind(), qoltanba::FormKind::Other);
    assert!(matches!(
        registry.issue(
            &crate::common::form_id("reference.birth"),
            12026,
            "op",
            &mut cheap
        ),
        Err(RegistryError::BadYear(12026))
    ));

    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).expect("write");
    assert!(matches!(
        SqliteRegistry::open(&garbage),
        Err(RegistryError::Storage(_))
    ));

    let future = dir.path().join("future.db");
    {
        let c = rusqlite::Connection::open(&future).expect("create");
        c.pragma_update(None, "user_version", 99).expect("version");
    }
    assert!(matches!(
        SqliteRegistry::open(&future),
        Err(RegistryError::SchemaTooNew {
            found: 99,
            supported: SqliteRegistry::SCHEMA_VERSION
        })
    ));
}

const CRASH_DB: &str = "QOLTANBA_CRASH_DB";

/// The child of `a_kill_9_during_a_burst_loses_nothing_committed`: issues documents until it is killed.
/// Ignored so that it runs only when that test starts it.
#[test]
#[ignore]
fn crash_child_issues_until_killed() {
    let Ok(path) = std::env::var(CRASH_DB) else {
        return;
    };
    let r = SqliteRegistry::open(std::path::Path::new(&path)).expect("open");
    for _ in 0..1_000_000 {
        issue_cheap(&r, "reference.birth", "portal");
    }
}

#[test]
fn a_kill_9_during_a_burst_loses_nothing_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    let mut committed_before = 0;
    for round in 0..3 {
        let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
            .args([
                "--exact",
                "registry::crash_child_issues_until_killed",
                "--ignored",
                "--nocapture",
            ])
            .env(CRASH_DB, &path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Wait until the child has committed more documents, then SIGKILL it mid-burst.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let seen = SqliteRegistry::open(&path)
                .and_then(|r| r.numbers(&crate::common::form_id("reference.birth"), 2026))
                .map(|n| n.len())
                .unwrap_or(0);
            if seen > committed_before + 20 || std::time::Instant::now() > deadline {
                break;
            }
        }
        child.kill().expect("kill -9"); // SIGKILL on Unix
        child.wait().expect("reap");

        let r = SqliteRegistry::open(&path).expect("reopen after kill");
        let numbers = r
            .numbers(&crate::common::form_id("reference.birth"), 2026)
            .expect("numbers");
        let n = numbers.len() as u64;
        assert!(
            n as usize > committed_before,
            "round {round}: child committed nothing"
        );
        assert_eq!(numbers, (1..=n).collect::<Vec<u64>>(), "round {round}: gap");
        assert_eq!(r.audit().expect("audit").len() as u64, n, "round {round}");
        for s in [1, n] {
            let number = format!("reference.birth-2026-{s:06}");
            let d = r
                .document_by_number(&number)
                .expect("read")
                .expect("present");
            assert_eq!(d.seal, [format!("QLT1:{number}")]);
        }
        let raw = rusqlite::Connection::open(&path).expect("raw");
        let check: String = raw
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .expect("integrity_check");
        assert_eq!(check, "ok");
        // Numbering continues after the crash without reuse.
        let next = issue_cheap(&r, "reference.birth", "portal");
        assert_eq!(next.number, format!("reference.birth-2026-{:06}", n + 1));
        committed_before = n as usize + 1;
    }
}

#[test]
fn tokens_are_stored_only_as_hashes() {
    use qoltanba::TokenRole;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    let r = SqliteRegistry::open(&path).expect("open");
    let token = qoltanba::create_token(
        &r,
        &qoltanba::TokenHolder::new("portal-1", TokenRole::Portal),
        0,
    )
    .expect("token");
    assert!(token.starts_with("qlt_") && token.len() > 40);
    assert_eq!(r.token_count().expect("count"), 1);
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let hash: [u8; 32] = digest.as_ref().try_into().expect("32 bytes");
    assert_eq!(
        r.token_by_hash(&hash).expect("lookup"),
        Some(qoltanba::TokenHolder::new("portal-1", TokenRole::Portal))
    );
    assert_eq!(r.token_by_hash(&[0; 32]).expect("lookup"), None);
    // Names are unique: a second token with the same name is refused, not overwritten.
    assert!(qoltanba::create_token(
        &r,
        &qoltanba::TokenHolder::new("portal-1", TokenRole::Operator),
        0
    )
    .is_err());
    drop(r);
    let mut bytes = std::fs::read(&path).expect("db");
    for suffix in ["-wal"] {
        if let Ok(more) = std::fs::read(dir.path().join(format!("registry.db{suffix}"))) {
            bytes.extend(more);
        }
    }
    let secret = token.trim_start_matches("qlt_").as_bytes();
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret),
        "the token is in the file"
    );
}

/// A fresh SQLite file for the registry suite; every node opens it anew (its own connections, as another process
/// would).
fn sqlite_database() -> crate::common::registry_suite::Database {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    crate::common::registry_suite::Database {
        open: Box::new(move |_| Arc::new(SqliteRegistry::open(&path).expect("open"))),
        keep: Box::new(dir),
    }
}

/// The registry's guarantees across nodes, on SQLite (the oracle half runs the same on PostgreSQL).
mod suite {
    crate::common::registry_suite::registry_suite!(super::sqlite_database);
}

/// The file's owner can drop the append-only triggers and rewrite the log; the hash chain still names the entry
/// changed, then the one removed, and `qoltanba audit verify` says so with exit 1 (0 while intact).
#[test]
fn an_audit_entry_changed_or_removed_by_hand_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    let r = SqliteRegistry::open(&path).expect("open");
    for _ in 0..5 {
        issue_cheap(&r, "reference.birth", "portal");
    }
    let data = dir.path().to_str().expect("utf-8 path");
    let (code, out, err) = crate::common::run_qoltanba(&["audit", "verify", "--data", data]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("chain main: 5 entries checked, intact"),
        "{out}"
    );

    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute_batch(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
         UPDATE audit SET subject = 'reference.birth-2026-000099' WHERE seq = 3;",
    )
    .expect("the owner rewrites an entry");
    let broken = qoltanba::verify_audit(&r).expect("walk");
    assert_eq!(
        broken[0].broken,
        Some(qoltanba::AuditBreak::Altered { id: 3, seq: 3 })
    );
    let (code, out, _) = crate::common::run_qoltanba(&["audit", "verify", "--data", data]);
    assert_eq!(code, 1);
    assert!(
        out.contains("2 entries checked, BROKEN at entry 3 (row 3): changed"),
        "{out}"
    );

    // Put back as it was, then remove the second entry instead.
    raw.execute_batch(
        "UPDATE audit SET subject = 'reference.birth-2026-000003' WHERE seq = 3;
         DELETE FROM audit WHERE seq = 2;",
    )
    .expect("the owner removes an entry");
    let broken = qoltanba::verify_audit(&r).expect("walk");
    assert_eq!(
        broken[0].broken,
        Some(qoltanba::AuditBreak::OutOfSequence {
            id: 3,
            expected: 2,
            found: 3
        })
    );
    // And the last one: the chain's head still counts five.
    raw.execute_batch(
        "INSERT INTO audit (id, at, actor, action, subject, chain, seq, hash)
             SELECT 2, at, actor, action, 'reference.birth-2026-000002', chain, 2, x'' FROM audit WHERE seq = 1;",
    )
    .expect("insert");
    let (code, out, _) = crate::common::run_qoltanba(&["audit", "verify", "--data", data]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN at entry 2 (row 2): changed"), "{out}");
}
