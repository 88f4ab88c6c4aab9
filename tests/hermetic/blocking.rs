//! The HTTP shell never blocks an async worker: while issuances hold the registry's only connection, token checks
//! and verifications keep answering. Hermetic: the demo PKI and an in-memory registry.

use crate::common;
use crate::common::client::bearer;
use base64::Engine;
use qoltanba::LifecycleAction;
use qoltanba::{
    Advance, ApplicationId, ApplicationRecord, AuditEntry, DocumentId, DocumentNumber,
    DocumentStanding, NewApplication, Registry, RegistryError, Render, RenderForApplication,
    SqliteRegistry, StoredDocument, TokenRole,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// How long each issuance holds the registry (inside its transaction, so behind the registry's lock).
const HOLD: Duration = Duration::from_millis(300);

/// The SQLite registry, with every issuance's render step made `HOLD` slower.
struct SlowRegistry {
    inner: SqliteRegistry,
    issuing: AtomicUsize,
}

impl Registry for SlowRegistry {
    fn issue(
        &self,
        form: &qoltanba::FormId,
        year: i32,
        actor: &str,
        render: &mut Render<'_>,
    ) -> Result<StoredDocument, RegistryError> {
        let mut slow = |n: &DocumentNumber| {
            self.issuing.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(HOLD);
            render(n)
        };
        self.inner.issue(form, year, actor, &mut slow)
    }
    fn submit_application(
        &self,
        application: &NewApplication<'_>,
        actor: &str,
        refusal: Option<&mut RenderForApplication<'_>>,
    ) -> Result<ApplicationRecord, RegistryError> {
        self.inner.submit_application(application, actor, refusal)
    }
    fn application(&self, id: ApplicationId) -> Result<Option<ApplicationRecord>, RegistryError> {
        self.inner.application(id)
    }
    fn pending_applications(
        &self,
        after: Option<ApplicationId>,
        limit: usize,
    ) -> Result<Vec<qoltanba::PendingApplication>, RegistryError> {
        self.inner.pending_applications(after, limit)
    }
    fn issue_once(
        &self,
        key: &qoltanba::IdempotencyKey<'_>,
        form: &qoltanba::FormId,
        year: i32,
        actor: &str,
        render: &mut qoltanba::Render<'_>,
    ) -> Result<(qoltanba::StoredDocument, bool), RegistryError> {
        self.inner.issue_once(key, form, year, actor, render)
    }
    fn remembered(
        &self,
        key: &qoltanba::IdempotencyKey<'_>,
    ) -> Result<Option<qoltanba::Remembered>, RegistryError> {
        self.inner.remembered(key)
    }
    fn application_by_signature(
        &self,
        sha256: &[u8; 32],
    ) -> Result<Option<qoltanba::ApplicationRecord>, RegistryError> {
        self.inner.application_by_signature(sha256)
    }
    fn find_applications(
        &self,
        filter: &qoltanba::ApplicationFilter<'_>,
        after: Option<ApplicationId>,
        limit: usize,
    ) -> Result<Vec<qoltanba::ApplicationRecord>, RegistryError> {
        self.inner.find_applications(filter, after, limit)
    }
    fn advance_application(
        &self,
        id: ApplicationId,
        actor: &str,
        advance: Advance<'_, '_>,
    ) -> Result<ApplicationRecord, RegistryError> {
        self.inner.advance_application(id, actor, advance)
    }
    fn change_document(
        &self,
        id: DocumentId,
        actor: &str,
        action: LifecycleAction,
        reason: &str,
        at: qoltanba::UnixTime,
        render: Option<&mut Render<'_>>,
    ) -> Result<(DocumentStanding, Option<StoredDocument>), RegistryError> {
        self.inner
            .change_document(id, actor, action, reason, at, render)
    }
    fn standing(&self, number: &str) -> Result<Option<DocumentStanding>, RegistryError> {
        self.inner.standing(number)
    }
    fn document(&self, id: DocumentId) -> Result<Option<StoredDocument>, RegistryError> {
        self.inner.document(id)
    }
    fn document_by_number(&self, number: &str) -> Result<Option<StoredDocument>, RegistryError> {
        self.inner.document_by_number(number)
    }
    fn documents_by_number(&self, number: &str) -> Result<Vec<StoredDocument>, RegistryError> {
        self.inner.documents_by_number(number)
    }
    fn numbers(&self, form: &qoltanba::FormId, year: i32) -> Result<Vec<u64>, RegistryError> {
        self.inner.numbers(form, year)
    }
    fn audit(&self) -> Result<Vec<AuditEntry>, RegistryError> {
        self.inner.audit()
    }
    fn revoke_token(&self, name: &str, actor: &str, at: i64) -> Result<bool, RegistryError> {
        self.inner.revoke_token(name, actor, at)
    }
    fn voided_numbers(
        &self,
        form: &qoltanba::FormId,
        year: i32,
    ) -> Result<Vec<qoltanba::VoidedNumber>, RegistryError> {
        self.inner.voided_numbers(form, year)
    }
    fn settle_reservations(
        &self,
        own: bool,
        older_than: qoltanba::UnixTime,
        at: qoltanba::UnixTime,
    ) -> Result<u64, RegistryError> {
        self.inner.settle_reservations(own, older_than, at)
    }
    fn audit_heads(&self) -> Result<Vec<qoltanba::ChainHead>, RegistryError> {
        self.inner.audit_heads()
    }
    fn audit_chain(
        &self,
        chain: &str,
        after: (i64, i64),
        limit: usize,
    ) -> Result<Vec<qoltanba::ChainedEntry>, RegistryError> {
        self.inner.audit_chain(chain, after, limit)
    }
    fn record(
        &self,
        at: qoltanba::UnixTime,
        actor: &str,
        action: &str,
        subject: &str,
    ) -> Result<(), RegistryError> {
        self.inner.record(at, actor, action, subject)
    }
    fn add_token(
        &self,
        holder: &qoltanba::TokenHolder,
        sha256: &[u8; 32],
        at: i64,
    ) -> Result<(), RegistryError> {
        self.inner.add_token(holder, sha256, at)
    }
    fn token_by_hash(
        &self,
        sha256: &[u8; 32],
    ) -> Result<Option<qoltanba::TokenHolder>, RegistryError> {
        self.inner.token_by_hash(sha256)
    }
    fn tokens(&self) -> Result<Vec<(qoltanba::TokenHolder, [u8; 32])>, RegistryError> {
        self.inner.tokens()
    }
    fn token_count(&self) -> Result<u64, RegistryError> {
        self.inner.token_count()
    }
    fn application_events(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<qoltanba::ApplicationEvent>, RegistryError> {
        self.inner.application_events(after, limit)
    }
    fn delivery_cursor(&self, name: &str) -> Result<i64, RegistryError> {
        self.inner.delivery_cursor(name)
    }
    fn set_delivery_cursor(&self, name: &str, last_event: i64) -> Result<(), RegistryError> {
        self.inner.set_delivery_cursor(name, last_event)
    }
}

/// One client issues references back to back, each holding the registry's writer for `HOLD`; meanwhile 25
/// authenticated reads and 25 unauthenticated certificate verifications arrive at once, on a runtime of two
/// workers. Token checks never touch the registry, verifications never either, and reads go through the registry's
/// read connection: all answer well within one issuance.
#[test]
fn issuances_holding_the_registry_never_stall_other_requests() {
    // A registry file, as a node keeps it: its reads go through a connection of their own.
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Arc::new(SlowRegistry {
        inner: SqliteRegistry::open(&dir.path().join("registry.db")).expect("registry"),
        issuing: AtomicUsize::new(0),
    });
    let portal = qoltanba::create_token(
        registry.as_ref(),
        &qoltanba::TokenHolder::new("portal-1", TokenRole::Portal),
        0,
    )
    .expect("token");
    let state = qoltanba::AppState::new(
        qoltanba::demo_trust_store().expect("store"),
        registry.clone(),
        qoltanba::demo_provider_signer().expect("signer"),
    )
    .expect("state");
    let addr = common::client::serve(state, Some(2));
    let svc = common::client::Service {
        addr,
        portal: portal.clone(),
        operator: String::new(),
        registry: Arc::new(SqliteRegistry::in_memory().expect("unused")),
    };
    let sample = qoltanba::form("reference.birth").expect("form").sample();

    // A document to read back.
    let first = common::client::issue_reference(&svc, "reference.birth", &sample);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let id = first.json()["id"].as_i64().expect("id");

    // The issuing client, back to back until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let issuer = {
        let stop = stop.clone();
        let svc = common::client::Service {
            addr,
            portal: portal.clone(),
            operator: String::new(),
            registry: Arc::new(SqliteRegistry::in_memory().expect("unused")),
        };
        let sample = sample.clone();
        std::thread::spawn(move || {
            let mut longest = Duration::ZERO;
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                let a = common::client::issue_reference(&svc, "reference.birth", &sample);
                assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
                longest = longest.max(started.elapsed());
            }
            longest
        })
    };
    // Wait until an issuance holds the registry.
    let before = registry.issuing.load(Ordering::SeqCst);
    while registry.issuing.load(Ordering::SeqCst) == before {
        std::thread::sleep(Duration::from_millis(5));
    }

    let cert_der = pem::parse(
        std::fs::read(common::project_dir().join("certs/individual-sign.pem")).expect("cert"),
    )
    .expect("pem")
    .into_contents();
    let verify_body = serde_json::json!({
        "certificate": base64::engine::general_purpose::STANDARD.encode(&cert_der)
    })
    .to_string();
    let start = Arc::new(Barrier::new(50));
    // Each client connects and sends all but the last byte of its request first, so that all fifty arrive at
    // once when the barrier lets them finish, however slowly fifty threads start on a loaded machine.
    let clients: Vec<_> = (0..50)
        .map(|i| {
            let start = start.clone();
            let request = if i % 2 == 0 {
                format!(
                    "GET /v1/documents/{id} HTTP/1.1\r\nHost: {addr}\r\n{}Connection: close\r\n\r\n",
                    bearer(&portal)
                )
            } else {
                format!(
                    "POST /v1/verify/certificate HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{verify_body}",
                    verify_body.len()
                )
            };
            std::thread::spawn(move || {
                let what = if i % 2 == 0 { "read" } else { "verify" };
                let mut s = TcpStream::connect(addr).expect("connect");
                let (most, last) = request.as_bytes().split_at(request.len() - 1);
                s.write_all(most).expect("request");
                start.wait();
                let t = Instant::now();
                s.write_all(last).expect("last byte");
                let mut answer = Vec::new();
                s.read_to_end(&mut answer).expect("answer");
                let took = t.elapsed();
                let text = String::from_utf8_lossy(&answer);
                let status: u16 = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
                if what == "verify" {
                    assert!(text.contains("\"valid\":true"), "{text}");
                }
                (what, status, took)
            })
        })
        .collect();
    let answers: Vec<_> = clients
        .into_iter()
        .map(|c| c.join().expect("client"))
        .collect();
    stop.store(true, Ordering::SeqCst);
    let longest_issuance = issuer.join().expect("issuer");
    assert!(longest_issuance >= HOLD, "{longest_issuance:?}");

    let mut ms: Vec<_> = answers
        .iter()
        .map(|(w, _, t)| (t.as_millis(), *w))
        .collect();
    ms.sort();
    for (what, status, took) in &answers {
        assert_eq!(*status, 200, "{what}");
        // Neither kind waits for the registry's writer: well within one issuance.
        let bound = HOLD / 2;
        assert!(
            *took < bound,
            "a {what} took {took:?} (bound {bound:?}) while issuances held the registry; all (ms): {ms:?}"
        );
    }
}
