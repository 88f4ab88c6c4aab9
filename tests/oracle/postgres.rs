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

use crate::common::client::{free_addr, post_as, printed_tokens, signal, spawn_server};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const FORM: &str = "reference.birth";

/// Starts `qoltanba serve` as node `name` on the database, in a data directory of its own.
fn node(db: &TestDatabase, name: &str, dir: &std::path::Path) -> (std::process::Child, SocketAddr) {
    let addr = free_addr();
    let url = db.url();
    let child = spawn_server(
        &["serve", "--listen", &addr.to_string()],
        &[("QOLTANBA_REGISTRY", &url), ("QOLTANBA_NODE", name)],
        dir,
        addr,
    );
    (child, addr)
}

/// Stops the nodes with SIGTERM; each must exit cleanly.
fn stop_nodes(nodes: [std::process::Child; 2]) {
    for mut child in nodes {
        signal(&child, "TERM");
        assert!(child.wait().expect("wait").success());
    }
}

/// What one issuance request got: the number, a retryable refusal, or no answer (the node is gone).
enum Issued {
    Number(String),
    Retry,
    Gone,
}

fn issue_at(addr: SocketAddr, portal: &str) -> Issued {
    let sample = qoltanba::form(FORM).expect("form").sample();
    let body = serde_json::json!({"form": FORM, "data": sample}).to_string();
    let answer =
        std::panic::catch_unwind(|| post_as(addr, "/v1/documents", portal, body.as_bytes()));
    match answer {
        Ok(a) if a.status == 201 => {
            Issued::Number(a.json()["number"].as_str().expect("number").into())
        }
        Ok(a) if a.status == 503 => {
            let code = a.json()["code"].as_str().unwrap_or("").to_string();
            assert!(
                ["REGISTRY_UNAVAILABLE", "BUSY", "TIMEOUT"].contains(&code.as_str()),
                "503 with {code}"
            );
            Issued::Retry
        }
        Ok(a) => panic!("{}: {}", a.status, String::from_utf8_lossy(&a.body)),
        Err(_) => Issued::Gone,
    }
}

/// After a burst: the numbers run 1..n with no gap, every acknowledged number is stored, every stored document's
/// seal verifies, and every node's audit chain holds.
fn check_after_burst(db: &TestDatabase, acknowledged: &[String]) {
    let registry = PostgresRegistry::connect(&db.url(), None, "checker", 2).expect("connect");
    // Reservations the nodes could not settle themselves (the database was away each time they tried) are what
    // any node settles once they are older than any request runs: the nodes are stopped, so that is now.
    let now = qoltanba::UnixTime::now();
    let swept = registry
        .settle_reservations(false, qoltanba::UnixTime::from_secs(now.secs() + 1), now)
        .expect("settle");
    eprintln!("reservations left by the nodes, settled after them: {swept}");
    let year =
        qoltanba::local_year(time::OffsetDateTime::now_utc().unix_timestamp()).expect("year");
    let numbers = registry
        .numbers(&crate::common::form_id(FORM), year)
        .expect("numbers");
    // A number reserved by a node killed before it issued the document is voided with its reason when the node
    // starts again, and one whose document could not be stored (the connection dropped) at once: issued and
    // voided together run from 1 with no gap, and each voided number is in the audit log.
    let voided = registry
        .voided_numbers(&crate::common::form_id(FORM), year)
        .expect("voided");
    let audit = registry.audit().expect("audit");
    for v in &voided {
        assert!(
            v.reason.contains("stopped before issuing it") || v.reason.contains("unavailable"),
            "{v:?}"
        );
        let number = format!("{FORM}-{year}-{:06}", v.sequence);
        assert!(
            audit
                .iter()
                .any(|e| e.action == "number.voided" && e.subject.starts_with(&number)),
            "{number} voided without an audit entry"
        );
    }
    if !voided.is_empty() {
        eprintln!("voided: {voided:?}");
    }
    let mut accounted: Vec<u64> = numbers
        .iter()
        .copied()
        .chain(voided.iter().map(|v| v.sequence))
        .collect();
    accounted.sort_unstable();
    let n = accounted.len() as u64;
    assert_eq!(accounted, (1..=n).collect::<Vec<_>>(), "a gap");
    assert!(numbers.len() >= acknowledged.len());
    let mut unique = acknowledged.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), acknowledged.len(), "a number given twice");
    let store = qoltanba::demo_trust_store().expect("store");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for number in acknowledged {
        let doc = registry
            .document_by_number(number)
            .expect("read")
            .unwrap_or_else(|| panic!("{number} was acknowledged and is gone"));
        let texts: Vec<&str> = doc.seal.iter().map(String::as_str).collect();
        let report = qoltanba::verify_barcode(
            crate::common::trust(&store),
            &texts,
            &qoltanba::VerifyOptions::at(now),
        )
        .expect("seal");
        assert!(
            report.report.valid,
            "{number}: {:?}",
            report.report.messages
        );
        // And the whole PDF: its QR symbols found and decoded, compared with the seal, the file signature.
        let whole = qoltanba::verify_document(
            crate::common::trust(&store),
            &doc.pdf,
            &qoltanba::VerifyOptions::at(now),
        )
        .expect("verify document");
        assert!(whole.seal.report.valid, "{number}");
        assert!(whole.file.covers_whole_file, "{number}");
    }
    for chain in qoltanba::verify_audit(&registry).expect("walk") {
        assert_eq!(chain.broken, None, "chain {}", chain.head.chain);
    }
    let (code, out) = audit_verify(db);
    assert_eq!(code, 0, "{out}");
}

/// Two `qoltanba serve` processes on one database; 8 clients × 200 issuances spread over both; node b killed with
/// `kill -9` in the middle of the burst (its clients go on at node a) and restarted (they come back): every number
/// unique, none missing, nothing acknowledged lost, every document verifies, every audit chain intact.
#[test]
fn two_nodes_on_one_database_stay_gap_free_through_a_kill_9() {
    let _machine = crate::common::whole_machine();
    let db = TestDatabase::for_whole_machine();
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (mut a, addr_a) = node(&db, "a", dir_a.path());
    let (portal, _) = printed_tokens(&mut a);
    let (b, addr_b) = node(&db, "b", dir_b.path());
    let b_addr = Arc::new(Mutex::new(Some(addr_b)));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (b_addr, acknowledged, count, portal) = (
                b_addr.clone(),
                acknowledged.clone(),
                count.clone(),
                portal.clone(),
            );
            std::thread::spawn(move || {
                for i in 0..200 {
                    loop {
                        // Even clients start at node b on odd requests and the other way round; while b is down
                        // (or its answer cut), a.
                        let to_b = (c + i) % 2 == 1;
                        let target = match *b_addr.lock().expect("lock") {
                            Some(b) if to_b => b,
                            _ => addr_a,
                        };
                        match issue_at(target, &portal) {
                            Issued::Number(n) => {
                                acknowledged.lock().expect("lock").push(n);
                                count.fetch_add(1, Ordering::SeqCst);
                                break;
                            }
                            Issued::Retry => {
                                std::thread::sleep(std::time::Duration::from_millis(20))
                            }
                            Issued::Gone => {
                                if target != addr_a {
                                    *b_addr.lock().expect("lock") = None;
                                }
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let wait_for = |n: usize| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while count.load(Ordering::SeqCst) < n {
            assert!(std::time::Instant::now() < deadline, "no progress past {n}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    wait_for(400);
    signal(&b, "KILL");
    let mut b = b;
    b.wait().expect("wait");
    *b_addr.lock().expect("lock") = None;
    wait_for(800);
    let (b, addr_b) = node(&db, "b", dir_b.path());
    *b_addr.lock().expect("lock") = Some(addr_b);
    for c in clients {
        c.join().expect("client");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert_eq!(acknowledged.len(), 1600);
    stop_nodes([a, b]);
    check_after_burst(&db, &acknowledged);
}

/// The database drops every node's connections again and again under load, then the server is restarted: the
/// requests in flight fail cleanly with a retryable 503, the nodes reconnect by themselves, and the numbers have
/// no gap and lose nothing.
#[test]
fn nodes_reconnect_when_the_database_drops_them() {
    let _machine = crate::common::whole_machine();
    let db = TestDatabase::for_whole_machine();
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (mut a, addr_a) = node(&db, "a", dir_a.path());
    let (portal, _) = printed_tokens(&mut a);
    let (b, addr_b) = node(&db, "b", dir_b.path());
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let retried = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (acknowledged, retried, done, portal) = (
                acknowledged.clone(),
                retried.clone(),
                done.clone(),
                portal.clone(),
            );
            std::thread::spawn(move || {
                let target = if c % 2 == 0 { addr_a } else { addr_b };
                while !done.load(Ordering::SeqCst) {
                    match issue_at(target, &portal) {
                        Issued::Number(n) => acknowledged.lock().expect("lock").push(n),
                        Issued::Retry => {
                            retried.fetch_add(1, Ordering::SeqCst);
                        }
                        Issued::Gone => panic!("a node stopped answering"),
                    }
                }
            })
        })
        .collect();
    for _ in 0..10 {
        std::thread::sleep(std::time::Duration::from_millis(300));
        psql(
            &crate::common::postgres::admin_url("postgres"),
            &format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{}'",
                db.name
            ),
        )
        .expect("terminate the nodes' connections");
    }
    // And the server itself restarted: refused connections while it is down, then served again.
    crate::common::postgres::restart_server();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Then the nodes serve again, without a restart of theirs.
    let before = acknowledged.lock().expect("lock").len();
    std::thread::sleep(std::time::Duration::from_secs(2));
    done.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("client");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() > before,
        "no issuance after the last drop"
    );
    assert!(
        retried.load(Ordering::SeqCst) > 0,
        "no request was in flight when its connection dropped: the test proved nothing"
    );
    stop_nodes([a, b]);
    check_after_burst(&db, &acknowledged);
}

/// A token revoked with `qoltanba revoke-token` (on the database both nodes share) is refused by both nodes within
/// their refresh period, without a restart; another token goes on working.
#[test]
fn a_token_revoked_once_is_refused_by_every_node() {
    let db = TestDatabase::new();
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (mut a, addr_a) = node(&db, "a", dir_a.path());
    let (portal, operator) = printed_tokens(&mut a);
    let (b, addr_b) = node(&db, "b", dir_b.path());
    for addr in [addr_a, addr_b] {
        assert!(matches!(issue_at(addr, &portal), Issued::Number(_)));
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qoltanba"))
        .args(["revoke-token", "portal"])
        .env("QOLTANBA_REGISTRY", db.url())
        .output()
        .expect("run qoltanba");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("token \"portal\" revoked"));
    let sample = qoltanba::form(FORM).expect("form").sample();
    let body = serde_json::json!({"form": FORM, "data": sample}).to_string();
    for addr in [addr_a, addr_b] {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let a = post_as(addr, "/v1/documents", &portal, body.as_bytes());
            if a.status == 401 {
                crate::common::client::assert_problem(&a, 401, "UNAUTHENTICATED");
                break;
            }
            assert_eq!(a.status, 201);
            assert!(
                std::time::Instant::now() < deadline,
                "{addr} still takes the revoked token"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        // The operator's token is another's, and still works.
        let list = crate::common::client::get(addr, "/v1/applications", &operator);
        assert_eq!(list.status, 200, "{}", String::from_utf8_lossy(&list.body));
    }
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_qoltanba"))
        .args(["revoke-token", "portal"])
        .env("QOLTANBA_REGISTRY", db.url())
        .output()
        .expect("run qoltanba");
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no token named \"portal\" is in force")
    );
    stop_nodes([a, b]);
}

/// A reference's number is reserved before its rendering, so other issuances of the series go on meanwhile. When
/// the rendering then fails, the number is voided with the reason, since a later one was issued already: numbers
/// and voided numbers account for every number, and the audit log says so.
#[test]
fn a_render_that_fails_after_a_later_number_was_issued_voids_its_number() {
    let db = TestDatabase::new();
    let first = Arc::new(PostgresRegistry::connect(&db.url(), None, "a", 4).expect("a"));
    let second = PostgresRegistry::connect(&db.url(), None, "b", 4).expect("b");
    let (reserved, issued) = (
        Arc::new(std::sync::Barrier::new(2)),
        Arc::new(std::sync::Barrier::new(2)),
    );
    let slow = {
        let (first, reserved, issued) = (first.clone(), reserved.clone(), issued.clone());
        std::thread::spawn(move || {
            first.issue(&crate::common::form_id(FORM), 2026, "portal", &mut |_| {
                reserved.wait();
                issued.wait();
                Err(RenderError::Cancelled)
            })
        })
    };
    reserved.wait();
    // While the first is rendering (no lock held), the second issues the next number.
    let next = second
        .issue(&crate::common::form_id(FORM), 2026, "portal", &mut cheap)
        .expect("the next number is not held up");
    assert_eq!(next.number, format!("{FORM}-2026-000002"));
    issued.wait();
    assert!(matches!(
        slow.join().expect("thread"),
        Err(qoltanba::RegistryError::Render { .. })
    ));
    let form = crate::common::form_id(FORM);
    assert_eq!(second.numbers(&form, 2026).expect("numbers"), [2]);
    let voided = second.voided_numbers(&form, 2026).expect("voided");
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0].sequence, 1);
    assert!(voided[0].reason.contains("cancelled"), "{:?}", voided[0]);
    assert!(second
        .audit()
        .expect("audit")
        .iter()
        .any(|e| e.action == "number.voided"
            && e.subject.starts_with(&format!("{FORM}-2026-000001"))));
    // A failure on the series' last number gives it back instead.
    assert!(first
        .issue(&form, 2026, "portal", &mut |_| Err(RenderError::Cancelled))
        .is_err());
    assert_eq!(
        first
            .issue(&form, 2026, "portal", &mut cheap)
            .expect("next")
            .number,
        format!("{FORM}-2026-000003")
    );
    assert_eq!(second.voided_numbers(&form, 2026).expect("voided").len(), 1);
    for chain in qoltanba::verify_audit(first.as_ref()).expect("walk") {
        assert_eq!(chain.broken, None);
    }
}

/// A node that stops between reserving a number and storing its document (here: its renderer panics, so nothing
/// settles it) leaves the reservation; when the node starts again it settles it — voided, since a later number
/// was issued by another node — and a run of abandoned numbers at the series' end goes back whole.
#[test]
fn numbers_a_stopped_node_reserved_are_settled_when_it_starts_again() {
    let db = TestDatabase::new();
    let form = crate::common::form_id(FORM);
    let stopping = PostgresRegistry::connect(&db.url(), None, "x", 2).expect("x");
    let other = PostgresRegistry::connect(&db.url(), None, "y", 2).expect("y");
    let crash = |r: &PostgresRegistry| {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            r.issue(&form, 2026, "portal", &mut |_| {
                panic!("the node stops mid-render")
            })
        }));
        assert!(outcome.is_err());
    };
    crash(&stopping);
    other.issue(&form, 2026, "portal", &mut cheap).expect("2");
    crash(&stopping);
    crash(&stopping);
    drop(stopping);
    // Another node settles only what is older than any request may run.
    let now = qoltanba::UnixTime::now();
    assert_eq!(
        other
            .settle_reservations(false, qoltanba::UnixTime::from_secs(now.secs() - 600), now)
            .expect("settle"),
        0
    );
    let restarted = PostgresRegistry::connect(&db.url(), None, "x", 2).expect("x again");
    assert_eq!(
        restarted
            .settle_reservations(true, qoltanba::UnixTime::from_secs(now.secs() - 600), now)
            .expect("settle"),
        3
    );
    assert_eq!(restarted.numbers(&form, 2026).expect("numbers"), [2]);
    let voided = restarted.voided_numbers(&form, 2026).expect("voided");
    assert_eq!(voided.iter().map(|v| v.sequence).collect::<Vec<_>>(), [1]);
    assert!(voided[0].reason.contains("node x"), "{voided:?}");
    // Numbers 3 and 4 went back: the next issuance takes 3.
    assert_eq!(
        other
            .issue(&form, 2026, "portal", &mut cheap)
            .expect("3")
            .number,
        format!("{FORM}-2026-000003")
    );
    for chain in qoltanba::verify_audit(&other).expect("walk") {
        assert_eq!(chain.broken, None);
    }
}

/// A database migrated by a newer build is refused, not changed; one at this build's version opens.
#[test]
fn a_newer_schema_is_refused() {
    let db = TestDatabase::new();
    drop(PostgresRegistry::connect(&db.url(), None, "a", 1).expect("migrate"));
    let version = psql(&db.url(), "SELECT version FROM schema_version").expect("version");
    assert_eq!(version, PostgresRegistry::SCHEMA_VERSION.to_string());
    psql(&db.url(), "UPDATE schema_version SET version = version + 1").expect("a newer build");
    match PostgresRegistry::connect(&db.url(), None, "a", 1) {
        Err(qoltanba::RegistryError::SchemaTooNew { found, supported }) => {
            assert_eq!(
                (found, supported),
                (
                    PostgresRegistry::SCHEMA_VERSION + 1,
                    PostgresRegistry::SCHEMA_VERSION
                )
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A document's PDF is stored compressed with lz4, not PostgreSQL's default pglz (which cost the database more CPU
/// than rendering the document); Debian's PostgreSQL has lz4.
#[test]
fn documents_are_stored_compressed_with_lz4() {
    let db = TestDatabase::new();
    let registry = PostgresRegistry::connect(&db.url(), None, "a", 1).expect("connect");
    registry
        .issue(&crate::common::form_id(FORM), 2026, "portal", &mut |n| {
            let mut doc = cheap(n)?;
            // Over the 2 KB a value takes before PostgreSQL compresses it.
            doc.pdf = b"%PDF-1.7 compressible ".repeat(5_000);
            Ok(doc)
        })
        .expect("issue");
    assert_eq!(
        psql(&db.url(), "SELECT pg_column_compression(pdf) FROM document").expect("query"),
        "lz4"
    );
}

/// Event ids are handed out at insert, and a transaction that took a lower id may commit after one that took a
/// higher: the webhook feed holds the higher back until the lower is committed, so a cursor that moved past an
/// id never skips an event committed later.
#[test]
fn the_feed_never_passes_an_event_still_being_written() {
    let db = TestDatabase::new();
    let registry = PostgresRegistry::connect(&db.url(), None, "a", 2).expect("connect");
    let app = |n: u8| {
        let mut digest = [n; 32];
        digest[0] = 0xfe;
        registry
            .submit_application(
                &qoltanba::NewApplication {
                    service: "licence.private-bailiff",
                    applicant: "870412300129",
                    applicant_name: "ТЕСТОВ ТЕСТ",
                    submitted_at: qoltanba::UnixTime::from_secs(1_795_000_000),
                    content: b"{}",
                    cms: b"\x30\x00",
                    verification: "{}",
                    pending_until: None,
                    start: "awaitingPayment",
                    start_due: None,
                    provider: "main",
                    signed_sha256: digest,
                },
                "portal",
                None,
            )
            .expect("submit")
    };
    let first = app(1);
    let seen = |after: i64| -> Vec<i64> {
        registry
            .application_events(after, 100)
            .expect("events")
            .iter()
            .map(|e| e.id)
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while seen(0).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first event never shows"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let cursor = *seen(0).last().expect("one");
    // Another writer takes the next event id and keeps its transaction open for three seconds.
    let url = db.url();
    let slow = std::thread::spawn(move || {
        psql(
            &url,
            &format!(
                "BEGIN; INSERT INTO application_event (application_id, at, status) VALUES ({}, 1795000100, 'slow');
                 SELECT pg_sleep(3); COMMIT;",
                first.id.0
            ),
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Meanwhile this node stores a later event and commits it.
    let second = app(2);
    let mine = seen(cursor);
    assert!(
        mine.is_empty(),
        "an event was shown past one still being written: {mine:?}"
    );
    slow.join()
        .expect("thread")
        .expect("the slow writer commits");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut all = seen(cursor);
    while all.len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        all = seen(cursor);
    }
    assert_eq!(all.len(), 2, "both, once both are committed: {all:?}");
    assert!(all[0] < all[1]);
    let events = registry.application_events(cursor, 10).expect("events");
    assert_eq!(
        events[0].status, "slow",
        "the lower id, written first and committed last, comes first"
    );
    assert_eq!(events[1].application, second.id);
}
