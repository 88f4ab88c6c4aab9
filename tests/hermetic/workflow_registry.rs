//! The registry's side of the workflow (issue 6): applications move only forward, each step's document is
//! stored in the step's transaction, licence events change the public standing, duplicates share their
//! original's number, and a registry written by the previous schema upgrades without losing a document.

use qoltanba::IssueError;
use qoltanba::{
    Advance, ApplicationId, DocumentNumber, NewApplication, Registry, RegistryError, RenderError,
    RenderedDocument, SqliteRegistry,
};
use qoltanba::{LicenceStatus, LifecycleAction};
use std::sync::Arc;

const AT: i64 = 1_795_000_000; // 2026-11-18

fn cheap(number: &DocumentNumber) -> Result<RenderedDocument, RenderError> {
    Ok(RenderedDocument {
        issued_at: qoltanba::UnixTime::from_secs(AT),
        canonical_data: format!("{{\"number\":\"{number}\"}}").into_bytes(),
        seal: vec![format!("QLT1:{number}")],
        pdf: b"%PDF-1.7 stand-in".to_vec(),
    })
}

fn new_application() -> NewApplication<'static> {
    NewApplication {
        service: "licence.private-bailiff",
        applicant: "870412300129",
        applicant_name: "ТЕСТОВ ТЕСТ",
        submitted_at: qoltanba::UnixTime::from_secs(AT),
        content: b"{}",
        cms: b"\x30\x00",
        verification: "{\"valid\":true}",
        pending_until: None,
        start: "awaitingPayment",
        start_due: None,
        provider: "main",
        signed_sha256: {
            // Each application a signed request of its own (the same digest is the same application).
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut d = [0u8; 32];
            d[..4].copy_from_slice(&n.to_be_bytes());
            d
        },
    }
}

/// The licence services' steps, as the workflow would decide them from the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Verified,
    NotVerified,
    Paid,
    Approve,
    Refuse,
}

fn step(step: Step) -> Advance<'static, 'static> {
    let (from, to, audit) = match step {
        Step::Verified => (
            "verificationPending",
            "awaitingPayment",
            "application.verified",
        ),
        Step::NotVerified => (
            "verificationPending",
            "refused",
            "application.refused.edsNotConfirmed",
        ),
        Step::Paid => ("awaitingPayment", "registered", "application.registered"),
        Step::Approve => ("registered", "approved", "application.approved"),
        Step::Refuse => ("registered", "refused", "application.refused"),
    };
    Advance {
        from,
        to,
        audit,
        registers: step == Step::Paid,
        decides: matches!(to, "approved" | "refused"),
        at: qoltanba::UnixTime::from_secs(AT + 60),
        payment_reference: None,
        due_date: None,
        document: None,
        verification: None,
        change: None,
        idempotency: None,
        number: None,
        signature: None,
    }
}

/// The same signed request submitted again is the application it made: no second row, no number used, and the
/// registry finds it by the request's digest.
#[test]
fn the_same_signed_request_is_one_application() {
    let r = SqliteRegistry::in_memory().expect("registry");
    let first = new_application();
    let a = r.submit_application(&first, "portal", None).expect("a");
    let again = r.submit_application(&first, "portal", None).expect("again");
    assert_eq!(again.id, a.id);
    assert_eq!(again.number, a.number);
    let b = r
        .submit_application(&new_application(), "portal", None)
        .expect("b");
    assert_ne!(b.id, a.id);
    // Numbers run on with no gap: the retry used none.
    let seq = |n: &str| {
        n.rsplit('-')
            .next()
            .expect("seq")
            .parse::<u32>()
            .expect("n")
    };
    assert_eq!(seq(&b.number), seq(&a.number) + 1);
    let found = r
        .application_by_signature(&first.signed_sha256)
        .expect("read")
        .expect("found");
    assert_eq!(found.id, a.id);
    assert!(r
        .application_by_signature(&[0xee; 32])
        .expect("read")
        .is_none());
}

/// An application whose verification could not end waits in verificationPending with its deadline, is listed
/// as pending, cannot be paid for, and leaves the list when verified (with the new report stored) or refused (with
/// its refusal document).
#[test]
fn a_pending_application_waits_then_is_verified_or_refused() {
    let r = SqliteRegistry::in_memory().expect("registry");
    let deadline = qoltanba::UnixTime::from_secs(AT + 3600);
    let waiting = NewApplication {
        pending_until: Some(deadline),
        verification: "{\"valid\":false,\"codes\":[\"REVOCATION_UNKNOWN\"]}",
        ..new_application()
    };
    let a = r.submit_application(&waiting, "portal", None).expect("a");
    let other = NewApplication {
        signed_sha256: [0xbb; 32],
        ..waiting.clone()
    };
    let b = r.submit_application(&other, "portal", None).expect("b");
    assert_eq!(a.status, "verificationPending");
    assert_eq!(a.pending_until, Some(deadline));
    let pending = r.pending_applications(None, 10).expect("pending");
    assert_eq!(
        pending.iter().map(|p| p.id).collect::<Vec<_>>(),
        [a.id, b.id]
    );
    // Paged by id: after a, b alone; one at a time, a alone.
    let after_a = r.pending_applications(Some(a.id), 10).expect("page");
    assert_eq!(after_a.iter().map(|p| p.id).collect::<Vec<_>>(), [b.id]);
    let first = r.pending_applications(None, 1).expect("page");
    assert_eq!(first.iter().map(|p| p.id).collect::<Vec<_>>(), [a.id]);
    assert_eq!(pending[0].pending_until, deadline);
    assert_eq!(pending[0].cms, b"\x30\x00");
    let pay = r.advance_application(
        a.id,
        "portal",
        Advance {
            payment_reference: Some("PAY-1"),
            ..step(Step::Paid)
        },
    );
    assert!(matches!(pay, Err(RegistryError::Transition(_))), "{pay:?}");

    let verified = r
        .advance_application(
            a.id,
            "service",
            Advance {
                verification: Some("{\"valid\":true}"),
                ..step(Step::Verified)
            },
        )
        .expect("verified");
    assert_eq!(verified.status, "awaitingPayment");
    assert_eq!(verified.verification, "{\"valid\":true}");
    assert_eq!(verified.pending_until, None);
    assert_eq!(verified.decided_at, None);

    let mut render = cheap;
    let refused = r
        .advance_application(
            b.id,
            "service",
            Advance {
                document: Some(("refusal", &mut render)),
                ..step(Step::NotVerified)
            },
        )
        .expect("refused");
    assert_eq!(refused.status, "refused");
    assert!(refused.document.is_some());
    assert!(r.pending_applications(None, 10).expect("none").is_empty());
}

#[test]
fn an_application_goes_from_submission_to_licence() {
    let r = SqliteRegistry::in_memory().expect("registry");
    let app = r
        .submit_application(&new_application(), "portal", None)
        .expect("submit");
    assert_eq!(app.number, "QLT-APP-2026-000001");
    assert_eq!(app.status, "awaitingPayment");

    // Deciding before payment is refused by the state machine, inside the transaction.
    let early = r.advance_application(app.id, "operator", step(Step::Approve));
    assert!(
        matches!(early, Err(RegistryError::Transition(_))),
        "{early:?}"
    );

    let paid = r
        .advance_application(
            app.id,
            "portal",
            Advance {
                payment_reference: Some("PAY-1"),
                due_date: Some("2026-12-09".into()),
                ..step(Step::Paid)
            },
        )
        .expect("paid");
    assert_eq!(paid.status, "registered");
    assert_eq!(paid.due_date.as_deref(), Some("2026-12-09"));
    assert_eq!(paid.payment_reference.as_deref(), Some("PAY-1"));
    assert_eq!(
        paid.registered_at,
        Some(qoltanba::UnixTime::from_secs(AT + 60))
    );

    let mut render = cheap;
    let approved = r
        .advance_application(
            app.id,
            "operator",
            Advance {
                document: Some(("licence.private-bailiff", &mut render)),
                ..step(Step::Approve)
            },
        )
        .expect("approve");
    assert_eq!(approved.status, "approved");
    let (doc_id, number) = approved.document.expect("licence");
    assert_eq!(number, "licence.private-bailiff-2026-000001");
    assert!(r.document(doc_id).expect("read").is_some());
    // Twice is once too many.
    let again = r.advance_application(app.id, "operator", step(Step::Refuse));
    assert!(matches!(again, Err(RegistryError::Transition(_))));

    let actions: Vec<String> = r
        .audit()
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "application.submitted",
            "application.registered",
            "document.issued",
            "application.approved"
        ]
    );
    assert!(matches!(
        r.advance_application(ApplicationId(99), "operator", step(Step::Paid)),
        Err(RegistryError::NotFound(_))
    ));
}

#[test]
fn a_refusal_at_submission_is_stored_with_the_application() {
    let r = SqliteRegistry::in_memory().expect("registry");
    let mut seen = None;
    let app = r
        .submit_application(
            &new_application(),
            "portal",
            Some(&mut |app_number: &str, n: &DocumentNumber| {
                seen = Some(app_number.to_string());
                cheap(n)
            }),
        )
        .expect("submit");
    assert_eq!(seen.as_deref(), Some("QLT-APP-2026-000001"));
    assert_eq!(app.status, "refused");
    assert_eq!(app.decided_at, Some(qoltanba::UnixTime::from_secs(AT)));
    assert_eq!(app.document.expect("refusal").1, "refusal-2026-000001");
}

#[test]
fn a_failed_render_leaves_the_application_where_it_was() {
    let r = SqliteRegistry::in_memory().expect("registry");
    let app = r
        .submit_application(&new_application(), "portal", None)
        .expect("submit");
    r.advance_application(app.id, "portal", step(Step::Paid))
        .expect("paid");
    let mut broken = |_: &DocumentNumber| -> Result<RenderedDocument, RenderError> {
        Err(RenderError::Issue(IssueError::Render(
            "the printer is on fire".into(),
        )))
    };
    let failed = r.advance_application(
        app.id,
        "operator",
        Advance {
            document: Some(("licence.private-bailiff", &mut broken)),
            ..step(Step::Approve)
        },
    );
    assert!(matches!(failed, Err(RegistryError::Render { .. })));
    let after = r.application(app.id).expect("read").expect("present");
    assert_eq!(after.status, "registered");
    assert!(r
        .numbers(&crate::common::form_id("licence.private-bailiff"), 2026)
        .expect("numbers")
        .is_empty());
}

#[test]
fn two_operators_deciding_at_once_cannot_both_win() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    let r = SqliteRegistry::open(&path).expect("open");
    let mut ids = Vec::new();
    for _ in 0..20 {
        let app = r
            .submit_application(&new_application(), "portal", None)
            .expect("submit");
        r.advance_application(app.id, "portal", step(Step::Paid))
            .expect("paid");
        ids.push(app.id);
    }
    let ids = Arc::new(ids);
    // Two connections (two processes' worth of locking), one approving and one refusing every application.
    let handles: Vec<_> = [Step::Approve, Step::Refuse]
        .into_iter()
        .map(|decision| {
            let ids = Arc::clone(&ids);
            let path = path.clone();
            std::thread::spawn(move || {
                let r = SqliteRegistry::open(&path).expect("open");
                let form = match decision {
                    Step::Approve => "licence.private-bailiff",
                    _ => "refusal",
                };
                let mut wins = 0;
                for id in ids.iter() {
                    let mut render = cheap;
                    match r.advance_application(
                        *id,
                        "operator",
                        Advance {
                            document: Some((form, &mut render)),
                            ..step(decision)
                        },
                    ) {
                        Ok(_) => wins += 1,
                        Err(RegistryError::Transition(_)) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                wins
            })
        })
        .collect();
    let wins: u32 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    assert_eq!(wins, 20);
    let licences = r
        .numbers(&crate::common::form_id("licence.private-bailiff"), 2026)
        .expect("numbers");
    let refusals = r
        .numbers(&crate::common::form_id("refusal"), 2026)
        .expect("numbers");
    assert_eq!(licences.len() + refusals.len(), 20);
    assert_eq!(licences, (1..=licences.len() as u64).collect::<Vec<_>>());
    for id in ids.iter() {
        let app = r.application(*id).expect("read").expect("present");
        assert!(app.document.is_some(), "{}", app.number);
    }
}

#[test]
fn licence_events_change_the_standing() {
    let r = SqliteRegistry::in_memory().expect("registry");
    let licence = r
        .issue(
            &crate::common::form_id("licence.security"),
            2026,
            "operator",
            &mut cheap,
        )
        .expect("issue");
    let change = |action, render: Option<&mut dyn FnMut(&DocumentNumber) -> _>| {
        r.change_document(
            licence.id,
            "operator",
            action,
            "по заявлению",
            qoltanba::UnixTime::from_secs(AT + 100),
            render,
        )
    };
    let (standing, _) = change(LifecycleAction::Suspend, None).expect("suspend");
    assert_eq!(standing.status, LicenceStatus::Suspended);
    assert!(matches!(
        change(LifecycleAction::Suspend, None),
        Err(RegistryError::Transition(_))
    ));
    // A suspended licence gets no duplicate.
    assert!(matches!(
        change(LifecycleAction::Duplicate, Some(&mut cheap)),
        Err(RegistryError::Transition(_))
    ));
    let (standing, _) = change(LifecycleAction::Resume, None).expect("resume");
    assert_eq!(standing.status, LicenceStatus::Valid);

    let (standing, duplicate) =
        change(LifecycleAction::Duplicate, Some(&mut cheap)).expect("duplicate");
    let duplicate = duplicate.expect("made");
    assert_eq!(duplicate.number, licence.number);
    assert_eq!(duplicate.copy, 1);
    assert_eq!(standing.duplicates, 1);
    // The number still leads to the original; the duplicate's id leads to the original's events.
    assert_eq!(
        r.document_by_number(&licence.number)
            .expect("read")
            .expect("present")
            .id,
        licence.id
    );
    let (standing, replacement) = r
        .change_document(
            duplicate.id,
            "operator",
            LifecycleAction::Reissue,
            "смена наименования",
            qoltanba::UnixTime::from_secs(AT + 200),
            Some(&mut cheap),
        )
        .expect("reissue");
    let replacement = replacement.expect("made");
    assert_eq!(replacement.number, "licence.security-2026-000002");
    assert_eq!(standing.status, LicenceStatus::Replaced);
    assert_eq!(
        standing.replaced_by.as_deref(),
        Some(replacement.number.as_str())
    );
    let new = r
        .standing(&replacement.number)
        .expect("read")
        .expect("present");
    assert_eq!(new.status, LicenceStatus::Valid);
    assert_eq!(new.replaces.as_deref(), Some(licence.number.as_str()));
    assert!(matches!(
        change(LifecycleAction::Terminate, None),
        Err(RegistryError::Transition(_))
    ));
    let (ended, _) = r
        .change_document(
            replacement.id,
            "operator",
            LifecycleAction::Terminate,
            "",
            qoltanba::UnixTime::from_secs(AT),
            None,
        )
        .expect("terminate");
    assert_eq!(ended.status, LicenceStatus::Terminated);
    let events: Vec<_> = r
        .standing(&licence.number)
        .expect("read")
        .expect("present")
        .events
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        events,
        [
            LifecycleAction::Suspend,
            LifecycleAction::Resume,
            LifecycleAction::Duplicate,
            LifecycleAction::Reissue
        ]
    );

    let reference = r
        .issue(
            &crate::common::form_id("reference.birth"),
            2026,
            "portal",
            &mut cheap,
        )
        .expect("issue");
    assert!(matches!(
        r.change_document(
            reference.id,
            "operator",
            LifecycleAction::Suspend,
            "",
            qoltanba::UnixTime::from_secs(AT),
            None
        ),
        Err(RegistryError::NoLifecycle(_))
    ));
    assert_eq!(
        r.standing(&reference.number)
            .expect("read")
            .expect("present")
            .status,
        LicenceStatus::Valid
    );
}

#[test]
fn licence_events_are_append_only_even_for_raw_sql() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    let r = SqliteRegistry::open(&path).expect("open");
    let licence = r
        .issue(
            &crate::common::form_id("licence.security"),
            2026,
            "operator",
            &mut cheap,
        )
        .expect("issue");
    r.change_document(
        licence.id,
        "operator",
        LifecycleAction::Suspend,
        "",
        qoltanba::UnixTime::from_secs(AT),
        None,
    )
    .expect("suspend");
    let raw = rusqlite::Connection::open(&path).expect("raw");
    assert!(raw.execute("DELETE FROM document_event", []).is_err());
    assert!(raw
        .execute("UPDATE document_event SET event = 'resumed'", [])
        .is_err());
    assert_eq!(
        r.standing(&licence.number)
            .expect("read")
            .expect("present")
            .status,
        LicenceStatus::Suspended
    );
}

/// A file written by schema 2 (before applications and duplicates), built here with that schema's SQL.
#[test]
fn a_registry_from_the_previous_schema_upgrades_without_losing_documents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("registry.db");
    {
        let raw = rusqlite::Connection::open(&path).expect("raw");
        raw.execute_batch(
            "CREATE TABLE number_counter (form TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL,
                                          PRIMARY KEY (form, year));
             CREATE TABLE document (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, form TEXT NOT NULL,
                                    year INTEGER NOT NULL, sequence INTEGER NOT NULL, issued_at INTEGER NOT NULL,
                                    canonical_data BLOB NOT NULL, seal TEXT NOT NULL, pdf BLOB NOT NULL,
                                    UNIQUE (form, year, sequence));
             CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
                                 action TEXT NOT NULL, subject TEXT NOT NULL);
             CREATE TABLE token (name TEXT PRIMARY KEY, role TEXT NOT NULL, sha256 BLOB NOT NULL UNIQUE,
                                 created_at INTEGER NOT NULL);
             INSERT INTO number_counter VALUES ('licence.security', 2026, 7);
             INSERT INTO document VALUES (5, 'licence.security-2026-000007', 'licence.security', 2026, 7, 1,
                                          X'7B7D', '[\"QLT1:x\"]', X'25504446');
             INSERT INTO audit (at, actor, action, subject)
                 VALUES (1, 'operator', 'document.issued', 'licence.security-2026-000007'),
                        (2, 'qoltanba', 'token.created', 'portal');
             PRAGMA user_version = 2;",
        )
        .expect("schema 2");
    }
    let r = SqliteRegistry::open(&path).expect("upgrade");
    let old = r
        .document_by_number("licence.security-2026-000007")
        .expect("read")
        .expect("kept");
    assert_eq!(
        (old.id.0, old.copy, old.pdf.as_slice()),
        (5, 0, &b"%PDF"[..])
    );
    let next = r
        .issue(
            &crate::common::form_id("licence.security"),
            2026,
            "operator",
            &mut cheap,
        )
        .expect("issue");
    assert_eq!(next.number, "licence.security-2026-000008");
    let (_, dup) = r
        .change_document(
            old.id,
            "operator",
            LifecycleAction::Duplicate,
            "",
            qoltanba::UnixTime::from_secs(AT),
            Some(&mut cheap),
        )
        .expect("duplicate of an upgraded document");
    assert_eq!(dup.expect("made").number, old.number);
    // The entries written before the chain existed were chained in their order, and the chain goes on.
    let chains = qoltanba::verify_audit(&r).expect("walk");
    assert_eq!(chains.len(), 1);
    assert_eq!((chains[0].checked, chains[0].broken.clone()), (5, None));
}

/// A reference issued at 20:00 UTC on 31 December is dated 1 January in Kazakhstan (UTC+5), so it is numbered in
/// the new year: the number and the printed date agree.
#[test]
fn numbering_follows_the_local_year() {
    let registry = Arc::new(qoltanba::SqliteRegistry::in_memory().expect("registry"));
    let state = qoltanba::AppState::new(
        qoltanba::demo_trust_store().expect("store"),
        registry,
        qoltanba::demo_provider_signer().expect("signer"),
    )
    .expect("state");
    let sample = qoltanba::form("reference.birth").expect("form").sample();
    let at = time::OffsetDateTime::parse(
        "2026-12-31T20:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time")
    .unix_timestamp();
    let doc =
        qoltanba::issue_reference(state.context(), "reference.birth", &sample, "portal-1", at)
            .expect("issue");
    assert_eq!(doc.number, "reference.birth-2027-000001");
}
