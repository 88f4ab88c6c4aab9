//! `kill -9` of the running server during a burst of issuances (issue 6): after a restart on the same data
//! directory, every document a client was told about is there, numbers have no gaps and none is reused, the
//! audit log matches, and SQLite's integrity check passes.

use crate::common;
use crate::common::client::{
    free_addr, issue_reference, printed_tokens, request, signal, spawn_server, Service,
};
use qoltanba::{Registry, SqliteRegistry};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const FORM: &str = "reference.birth";

fn client(addr: SocketAddr, portal: &str, registry: &Arc<SqliteRegistry>) -> Service {
    Service {
        addr,
        portal: portal.to_string(),
        operator: String::new(),
        registry: registry.clone(),
    }
}

/// Issues references until the server stops answering; returns the numbers it was given.
fn burst(svc: Service, acknowledged: Arc<Mutex<Vec<String>>>, count: Arc<AtomicUsize>) {
    let sample = qoltanba::form(FORM).expect("form").sample();
    loop {
        let answer = std::panic::catch_unwind(|| issue_reference(&svc, FORM, &sample));
        match answer {
            Ok(a) if a.status == 201 => {
                let number = a.json()["number"].as_str().expect("number").to_string();
                acknowledged.lock().expect("lock").push(number);
                count.fetch_add(1, Ordering::SeqCst);
            }
            // The connection broke (the client helper panics on a cut answer) or the server is gone.
            _ => return,
        }
    }
}

#[test]
fn a_kill_9_of_the_server_during_issuance_loses_nothing_committed() {
    let _machine = crate::common::whole_machine();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("data/registry.db");
    let year =
        qoltanba::local_year(time::OffsetDateTime::now_utc().unix_timestamp()).expect("year");
    let mut portal = None;
    let mut acknowledged_total = 0;
    for round in 0..2 {
        let addr = free_addr();
        let mut child = spawn_server(
            &["serve", "--listen", &addr.to_string()],
            &[],
            dir.path(),
            addr,
        );
        if round == 0 {
            portal = Some(printed_tokens(&mut child).0);
        }
        let portal = portal.clone().expect("token");
        let registry = Arc::new(SqliteRegistry::open(&db).expect("open"));
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..4)
            .map(|_| {
                let svc = client(addr, &portal, &registry);
                let (acknowledged, count) = (acknowledged.clone(), count.clone());
                std::thread::spawn(move || burst(svc, acknowledged, count))
            })
            .collect();
        // Kill in the middle of the burst: after some documents, while more are in flight.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while count.load(Ordering::SeqCst) < 30 {
            assert!(std::time::Instant::now() < deadline, "no issuance progress");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        signal(&child, "KILL");
        child.wait().expect("wait");
        for c in clients {
            c.join().expect("client");
        }
        let acknowledged = acknowledged.lock().expect("lock").clone();
        acknowledged_total += acknowledged.len();

        // The registry is whole: what was acknowledged is stored, numbers run 1..n, the audit agrees.
        let numbers = registry
            .numbers(&crate::common::form_id(FORM), year)
            .expect("numbers");
        let n = numbers.len() as u64;
        assert_eq!(numbers, (1..=n).collect::<Vec<_>>(), "round {round}: a gap");
        assert!(
            n as usize >= acknowledged_total,
            "round {round}: acknowledged documents lost"
        );
        for number in &acknowledged {
            assert!(
                registry.document_by_number(number).expect("read").is_some(),
                "{number} was acknowledged and is gone"
            );
        }
        let issued = registry
            .audit()
            .expect("audit")
            .iter()
            .filter(|e| e.action == "document.issued")
            .count() as u64;
        assert_eq!(issued, n, "round {round}: audit and documents disagree");
        let raw = rusqlite::Connection::open(&db).expect("raw");
        let check: String = raw
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(check, "ok");

        // Restarted, the service continues the numbering and still verifies what it issued before.
        let addr = free_addr();
        let child = spawn_server(
            &["serve", "--listen", &addr.to_string()],
            &[],
            dir.path(),
            addr,
        );
        let sample = qoltanba::form(FORM).expect("form").sample();
        let next = issue_reference(&client(addr, &portal, &registry), FORM, &sample);
        assert_eq!(next.status, 201);
        assert_eq!(
            next.json()["number"],
            format!("{FORM}-{year}-{:06}", n + 1).as_str()
        );
        let last = acknowledged.last().expect("some acknowledged");
        let code = qoltanba::verification_code(
            &registry
                .document_by_number(last)
                .expect("read")
                .expect("stored")
                .seal,
        )
        .expect("code");
        let status = request(
            addr,
            "GET",
            &format!("/v1/documents/by-number/{last}/status?code={code}"),
            "application/json",
            b"",
        );
        assert_eq!(status.status, 200);
        let store = qoltanba::demo_trust_store().expect("store");
        let doc = registry
            .document_by_number(last)
            .expect("read")
            .expect("stored");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let report = qoltanba::verify_document(
            common::trust(&store),
            &doc.pdf,
            &qoltanba::VerifyOptions::at(now),
        )
        .expect("verify");
        assert!(
            report.seal.report.valid,
            "{:?}",
            report.seal.report.messages
        );
        signal(&child, "TERM");
        let mut child = child;
        assert!(child.wait().expect("wait").success());
        acknowledged_total += 1;
    }
}
