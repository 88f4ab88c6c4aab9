//! The registry's guarantees, written once and run against each backend (`registry_suite!`): the hermetic half
//! runs them on SQLite files, the oracle half on PostgreSQL databases. A [`Database`] opens any number of
//! registries on one store — each stands for a node (its own connections, and on PostgreSQL its own audit
//! chain) — so what must hold across nodes is tested across them.

use std::sync::Arc;

use qoltanba::{
    Advance, ApplicationId, DocumentNumber, IdempotencyKey, LicenceStatus, LifecycleAction,
    NewApplication, Registry, RegistryError, RenderError, RenderedDocument, TokenHolder, TokenRole,
};

/// One empty store, and how to open another node on it. Dropping it removes the store.
pub struct Database {
    /// Opens node `n` on the store.
    pub open: Box<dyn Fn(usize) -> Arc<dyn Registry> + Send + Sync>,
    /// Whatever must live as long as the store (a temporary directory, a database to drop).
    pub keep: Box<dyn std::any::Any>,
}

impl Database {
    /// Node `n` on this store.
    pub fn node(&self, n: usize) -> Arc<dyn Registry> {
        (self.open)(n)
    }
}

const AT: i64 = 1_795_000_000; // 2026-11-18

fn cheap(number: &DocumentNumber) -> Result<RenderedDocument, RenderError> {
    Ok(RenderedDocument {
        issued_at: qoltanba::UnixTime::from_secs(AT),
        canonical_data: format!("{{\"number\":\"{number}\"}}").into_bytes(),
        seal: vec![format!("QLT1:{number}")],
        pdf: b"%PDF-1.7 stand-in".to_vec(),
    })
}

fn form(id: &str) -> qoltanba::FormId {
    qoltanba::FormId::parse(id).expect("form id")
}

fn issue(r: &dyn Registry, form_id: &str) -> qoltanba::StoredDocument {
    r.issue(&form(form_id), 2026, "portal", &mut cheap)
        .expect("issue")
}

fn application(n: u32) -> NewApplication<'static> {
    let mut d = [0u8; 32];
    d[..4].copy_from_slice(&n.to_be_bytes());
    d[4] = 0xa5;
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
        signed_sha256: d,
    }
}

fn step<'a, 'r>(from: &'a str, to: &'a str, audit: &'a str) -> Advance<'a, 'r> {
    Advance {
        from,
        to,
        audit,
        registers: false,
        decides: false,
        at: qoltanba::UnixTime::from_secs(AT + 60),
        payment_reference: None,
        due_date: None,
        document: None,
        number: None,
        signature: None,
        change: None,
        idempotency: None,
        verification: None,
    }
}

/// The feed after event `after` once it holds `n` events (or after ten seconds, whatever it holds then).
fn events_eventually(r: &dyn Registry, after: i64, n: usize) -> Vec<qoltanba::ApplicationEvent> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let events = r.application_events(after, 1000).expect("events");
        if events.len() >= n || std::time::Instant::now() > deadline {
            return events;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The audit chains of `r` all hold.
fn chains_hold(r: &dyn Registry) {
    for chain in qoltanba::verify_audit(r).expect("walk the chains") {
        assert_eq!(chain.broken, None, "chain {}", chain.head.chain);
    }
}

/// Eight threads on four nodes issue 50 documents each of one series: every number unique, none missing, every
/// document with its audit entry, and every node's audit chain intact.
pub fn numbers_are_unique_and_gap_free_across_nodes(db: &Database) {
    let nodes: Vec<Arc<dyn Registry>> = (0..4).map(|n| db.node(n)).collect();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let r = Arc::clone(&nodes[i % 4]);
            std::thread::spawn(move || {
                (0..50)
                    .map(|_| issue(r.as_ref(), "reference.birth").number)
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
    let numbers = nodes[0]
        .numbers(&form("reference.birth"), 2026)
        .expect("numbers");
    assert_eq!(numbers, (1..=400).collect::<Vec<u64>>(), "none missing");
    let issued = nodes[1]
        .audit()
        .expect("audit")
        .iter()
        .filter(|e| e.action == "document.issued")
        .count();
    assert_eq!(issued, 400, "one audit entry per document");
    chains_hold(nodes[2].as_ref());
}

/// A renderer that fails gives its number back: the next document takes it, nothing is stored or audited.
pub fn a_failed_render_uses_no_number(db: &Database) {
    let r = db.node(0);
    issue(r.as_ref(), "licence.pawnshop");
    let err = r
        .issue(&form("licence.pawnshop"), 2026, "op", &mut |_| {
            Err(RenderError::Issue(qoltanba::IssueError::Render(
                "template refused the data".into(),
            )))
        })
        .expect_err("render fails");
    assert!(
        matches!(&err, RegistryError::Render { number, .. } if number == "licence.pawnshop-2026-000002"),
        "{err:?}"
    );
    assert_eq!(
        issue(r.as_ref(), "licence.pawnshop").number,
        "licence.pawnshop-2026-000002"
    );
    assert_eq!(r.audit().expect("audit").len(), 2);
    chains_hold(r.as_ref());
}

/// Series are per form and year; a document reads back whole, by number and by id, from another node.
pub fn series_are_per_form_and_year_and_documents_read_back(db: &Database) {
    let (a, b) = (db.node(0), db.node(1));
    let first = issue(a.as_ref(), "licence.pawnshop");
    let next_year = a
        .issue(&form("licence.pawnshop"), 2027, "op", &mut cheap)
        .expect("2027");
    let other = issue(b.as_ref(), "reference.birth");
    assert_eq!(
        [&first.number, &next_year.number, &other.number],
        [
            "licence.pawnshop-2026-000001",
            "licence.pawnshop-2027-000001",
            "reference.birth-2026-000001"
        ]
    );
    let read = b
        .document_by_number(&first.number)
        .expect("read")
        .expect("present");
    assert_eq!(read.seal, ["QLT1:licence.pawnshop-2026-000001"]);
    assert_eq!(read.pdf, first.pdf);
    assert_eq!(read.issued_at, first.issued_at);
    assert_eq!(
        b.document(first.id).expect("by id").map(|d| d.number),
        Some(first.number.clone())
    );
    assert!(b
        .document_by_number("licence.pawnshop-2026-000009")
        .expect("read")
        .is_none());
    assert!(matches!(
        a.issue(&form("licence.pawnshop"), 10_000, "op", &mut cheap),
        Err(RegistryError::BadYear(10_000))
    ));
}

/// The same signed request submitted on two nodes at once is one application with one number.
pub fn the_same_signed_request_is_one_application_across_nodes(db: &Database) {
    let nodes: Vec<Arc<dyn Registry>> = (0..2).map(|n| db.node(n)).collect();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let r = Arc::clone(&nodes[i % 2]);
            std::thread::spawn(move || {
                (0..10)
                    .map(|k| {
                        r.submit_application(&application(k), "portal", None)
                            .expect("submit")
                            .number
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<Vec<String>> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    for r in &results[1..] {
        assert_eq!(
            r, &results[0],
            "every node sees the same application per request"
        );
    }
    let numbers = nodes[0].numbers(&form("QLT-APP"), 2026).expect("numbers");
    assert_eq!(numbers.len(), 0, "application numbers are not documents");
    let mut distinct = results[0].clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10, "ten requests, ten applications");
    assert_eq!(
        distinct.last().map(String::as_str),
        Some("QLT-APP-2026-000010"),
        "no number used by a repeated request"
    );
    chains_hold(nodes[1].as_ref());
}

/// Two operators on two nodes decide the same twenty applications at once, one approving and one refusing:
/// each application is decided exactly once, with one document, and the licences' numbers have no gap.
pub fn two_operators_on_two_nodes_cannot_both_win(db: &Database) {
    let r = db.node(0);
    let mut ids = Vec::new();
    for k in 0..20 {
        let app = r
            .submit_application(&application(100 + k), "portal", None)
            .expect("submit");
        r.advance_application(
            app.id,
            "portal",
            step("awaitingPayment", "underReview", "application.paid"),
        )
        .expect("paid");
        ids.push(app.id);
    }
    let ids: Arc<Vec<ApplicationId>> = Arc::new(ids);
    let handles: Vec<_> = [
        ("approved", "licence.private-bailiff", 1),
        ("refused", "refusal", 2),
    ]
    .into_iter()
    .map(|(to, form_id, node)| {
        let ids = Arc::clone(&ids);
        let r = db.node(node);
        std::thread::spawn(move || {
            let mut wins = 0;
            for id in ids.iter() {
                let mut render = cheap;
                let advance = Advance {
                    document: Some((form_id, &mut render)),
                    decides: true,
                    ..step("underReview", to, "application.decided")
                };
                match r.advance_application(*id, "operator", advance) {
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
    assert_eq!(wins, 20, "each application decided exactly once");
    let licences = r
        .numbers(&form("licence.private-bailiff"), 2026)
        .expect("numbers");
    let refusals = r.numbers(&form("refusal"), 2026).expect("numbers");
    assert_eq!(licences.len() + refusals.len(), 20);
    assert_eq!(licences, (1..=licences.len() as u64).collect::<Vec<_>>());
    assert_eq!(refusals, (1..=refusals.len() as u64).collect::<Vec<_>>());
    for id in ids.iter() {
        let app = r.application(*id).expect("read").expect("present");
        assert!(app.document.is_some(), "{}", app.number);
        assert!(app.status == "approved" || app.status == "refused");
    }
    // Lists by state and provider, a page at a time.
    let approved = qoltanba::ApplicationFilter {
        status: Some("approved"),
        providers: &["main", "north"],
        ..Default::default()
    };
    let first_page = r.find_applications(&approved, None, 5).expect("find");
    let rest = r
        .find_applications(&approved, first_page.last().map(|a| a.id), 100)
        .expect("find");
    assert_eq!(first_page.len() + rest.len(), licences.len());
    assert!(first_page
        .iter()
        .chain(&rest)
        .all(|a| a.status == "approved"));
    let elsewhere = qoltanba::ApplicationFilter {
        providers: &["north"],
        ..Default::default()
    };
    assert!(r
        .find_applications(&elsewhere, None, 100)
        .expect("find")
        .is_empty());
    let theirs = qoltanba::ApplicationFilter {
        applicant: Some("870412300129"),
        service: Some("licence.private-bailiff"),
        submitted_before: Some(qoltanba::UnixTime::from_secs(AT + 1)),
        ..Default::default()
    };
    assert_eq!(
        r.find_applications(&theirs, None, 100).expect("find").len(),
        20
    );
    // The feed has every step, in order, once. On PostgreSQL an event younger than a transaction still open
    // anywhere on the server waits for a later poll (it might have an uncommitted predecessor), so poll a while.
    let events = events_eventually(r.as_ref(), 0, 60);
    assert_eq!(events.len(), 60, "submitted, paid, decided for twenty");
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    chains_hold(r.as_ref());
}

/// A licence's suspension decided on two nodes at once happens once; duplicates share its number; a re-issue
/// replaces it; the standing reads the same from either node.
pub fn licence_changes_are_serialised_across_nodes(db: &Database) {
    let (a, b) = (db.node(0), db.node(1));
    let licence = issue(a.as_ref(), "licence.pawnshop");
    let results: Vec<bool> = [Arc::clone(&a), Arc::clone(&b)]
        .into_iter()
        .map(|r| {
            let id = licence.id;
            std::thread::spawn(move || {
                r.change_document(
                    id,
                    "operator",
                    LifecycleAction::Suspend,
                    "inspection",
                    qoltanba::UnixTime::from_secs(AT + 100),
                    None,
                )
                .is_ok()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    assert_eq!(
        results.iter().filter(|ok| **ok).count(),
        1,
        "suspended once: {results:?}"
    );
    let (standing, _) = b
        .change_document(
            licence.id,
            "operator",
            LifecycleAction::Resume,
            "inspection passed",
            qoltanba::UnixTime::from_secs(AT + 200),
            None,
        )
        .expect("resume");
    assert_eq!(standing.status, LicenceStatus::Valid);
    let (_, copy) = a
        .change_document(
            licence.id,
            "operator",
            LifecycleAction::Duplicate,
            "lost",
            qoltanba::UnixTime::from_secs(AT + 300),
            Some(&mut cheap),
        )
        .expect("duplicate");
    let copy = copy.expect("a duplicate");
    assert_eq!(
        (copy.number.as_str(), copy.copy),
        (licence.number.as_str(), 1)
    );
    let (standing, replacement) = b
        .change_document(
            copy.id,
            "operator",
            LifecycleAction::Reissue,
            "new address",
            qoltanba::UnixTime::from_secs(AT + 400),
            Some(&mut cheap),
        )
        .expect("re-issue through the duplicate's id");
    let replacement = replacement.expect("a replacement");
    assert_eq!(standing.duplicates, 1);
    assert_eq!(
        standing.replaced_by.as_deref(),
        Some(replacement.number.as_str())
    );
    let seen = a.standing(&licence.number).expect("read").expect("present");
    assert_eq!(seen.status, standing.status);
    assert_eq!(seen.events.len(), 4);
    assert_eq!(
        a.standing(&replacement.number)
            .expect("read")
            .expect("present")
            .replaces
            .as_deref(),
        Some(licence.number.as_str())
    );
    assert_eq!(
        a.documents_by_number(&licence.number)
            .expect("copies")
            .len(),
        2
    );
    chains_hold(a.as_ref());
}

/// An idempotency key used on two nodes at once makes one document; the same key for another request is told.
pub fn an_idempotency_key_makes_one_document_across_nodes(db: &Database) {
    let made: Vec<(String, bool)> = (0..4)
        .map(|n| {
            let r = db.node(n);
            std::thread::spawn(move || {
                let key = IdempotencyKey {
                    caller: "portal",
                    key: "order-1",
                    request: [7; 32],
                };
                let (doc, again) = r
                    .issue_once(&key, &form("reference.birth"), 2026, "portal", &mut cheap)
                    .expect("issue once");
                (doc.number, again)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    assert!(made.iter().all(|(n, _)| n == &made[0].0), "{made:?}");
    assert_eq!(made.iter().filter(|(_, again)| !again).count(), 1);
    let r = db.node(0);
    assert_eq!(r.numbers(&form("reference.birth"), 2026).expect("n"), [1]);
    let other = IdempotencyKey {
        caller: "portal",
        key: "order-1",
        request: [8; 32],
    };
    assert!(matches!(
        r.remembered(&other),
        Err(RegistryError::IdempotencyKeyReused(_))
    ));
    // Another caller's key of the same name is its own.
    let theirs = IdempotencyKey {
        caller: "other portal",
        ..other
    };
    assert_eq!(r.remembered(&theirs).expect("remembered"), None);
}

/// A token added on one node is known on another; delivery cursors start at the newest event and never move
/// back.
pub fn tokens_and_cursors_are_shared_by_nodes(db: &Database) {
    let (a, b) = (db.node(0), db.node(1));
    let holder = TokenHolder {
        name: "Айгерим Нурланова".into(),
        role: TokenRole::Operator,
        provider: Some("main".into()),
    };
    a.add_token(&holder, &[9; 32], AT).expect("add");
    assert_eq!(
        b.token_by_hash(&[9; 32]).expect("read"),
        Some(holder.clone())
    );
    assert_eq!(b.token_count().expect("count"), 1);
    assert_eq!(b.tokens().expect("all"), [(holder.clone(), [9; 32])]);
    assert!(
        a.add_token(&holder, &[9; 32], AT).is_err(),
        "one name, one token"
    );
    // Revoked on one node: gone for the other, the name stays taken, the audit log says who.
    assert!(a
        .revoke_token(&holder.name, "admin", AT + 1)
        .expect("revoke"));
    assert_eq!(b.token_by_hash(&[9; 32]).expect("read"), None);
    assert!(b.tokens().expect("all").is_empty());
    assert_eq!(
        b.token_count().expect("count"),
        1,
        "revoked tokens still count"
    );
    assert!(!b
        .revoke_token(&holder.name, "admin", AT + 2)
        .expect("again"));
    assert!(
        b.add_token(&holder, &[10; 32], AT).is_err(),
        "the name stays taken"
    );
    assert!(b
        .audit()
        .expect("audit")
        .iter()
        .any(|e| e.action == "token.revoked" && e.actor == "admin" && e.subject == holder.name));
    let app = a
        .submit_application(&application(500), "portal", None)
        .expect("submit");
    let start = b.delivery_cursor("webhook").expect("cursor");
    assert_eq!(start, events_eventually(a.as_ref(), 0, 1)[0].id);
    a.advance_application(
        app.id,
        "portal",
        step("awaitingPayment", "underReview", "application.paid"),
    )
    .expect("paid");
    let after = events_eventually(b.as_ref(), start, 1);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].status, "underReview");
    b.set_delivery_cursor("webhook", after[0].id).expect("set");
    a.set_delivery_cursor("webhook", start).expect("never back");
    assert_eq!(a.delivery_cursor("webhook").expect("cursor"), after[0].id);
    chains_hold(b.as_ref());
}

/// A step renders its document before it takes the writer. While the first rendering runs, another node issues a
/// document of the same series from another thread: were the rendering inside the step's transaction, that node
/// would wait for it (on SQLite for the file's one writer, on PostgreSQL for the series' counter row) and never
/// answer in time. It takes the number the step guessed, so the step renders once more, inside, for the next one,
/// and stores a document that carries its own number. A step, a re-issue and a duplicate whose guess holds render
/// once.
pub fn steps_render_their_documents_before_the_transaction(db: &Database) {
    let r = db.node(0);
    let other = db.node(1);
    let mut ids = Vec::new();
    for k in 0..2 {
        let app = r
            .submit_application(&application(300 + k), "portal", None)
            .expect("submit");
        r.advance_application(
            app.id,
            "portal",
            step("awaitingPayment", "underReview", "application.paid"),
        )
        .expect("paid");
        ids.push(app.id);
    }
    let licence_form = "licence.private-bailiff";
    let decide = |id: ApplicationId, render: &mut qoltanba::Render<'_>| {
        let advance = Advance {
            document: Some((licence_form, render)),
            decides: true,
            ..step("underReview", "approved", "application.decided")
        };
        let app = r
            .advance_application(id, "operator", advance)
            .expect("approved");
        let (id, _) = app.document.expect("a licence");
        r.document(id).expect("read").expect("stored")
    };
    let carries_its_number = |d: &qoltanba::StoredDocument| {
        assert_eq!(
            d.canonical_data,
            format!("{{\"number\":\"{}\"}}", d.number).into_bytes(),
            "the stored document was rendered for its own number"
        );
    };

    let mut calls = Vec::new();
    let first = decide(ids[0], &mut |n: &DocumentNumber| {
        calls.push(n.sequence);
        cheap(n)
    });
    assert_eq!(calls, [1], "a guess that holds: rendered once");
    carries_its_number(&first);

    let mut calls = Vec::new();
    let mut elsewhere = None;
    let second = decide(ids[1], &mut |n: &DocumentNumber| {
        if calls.is_empty() {
            let other = Arc::clone(&other);
            let (answer, answered) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = answer.send(other.issue(&form(licence_form), 2026, "portal", &mut cheap));
            });
            let issued = answered
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("another node issues while the step renders: the rendering holds no lock")
                .expect("issued");
            elsewhere = Some(issued.number);
        }
        calls.push(n.sequence);
        cheap(n)
    });
    assert_eq!(
        calls,
        [2, 3],
        "the guessed number was taken: rendered again for the next"
    );
    let elsewhere = elsewhere.expect("issued elsewhere");
    assert!(elsewhere.ends_with("000002"), "{elsewhere}");
    carries_its_number(&second);
    assert!(second.number.ends_with("000003"), "{}", second.number);
    assert_eq!(
        r.numbers(&form(licence_form), 2026).expect("numbers"),
        [1, 2, 3]
    );

    // A re-issue and a duplicate of the licence, each rendered once, for the number it is stored with.
    for (action, number) in [
        (LifecycleAction::Duplicate, 3),
        (LifecycleAction::Reissue, 4),
    ] {
        let mut calls = Vec::new();
        let (_, made) = r
            .change_document(
                second.id,
                "operator",
                action,
                "lost",
                qoltanba::UnixTime::from_secs(AT + 120),
                Some(&mut |n: &DocumentNumber| {
                    calls.push(n.sequence);
                    cheap(n)
                }),
            )
            .expect("changed");
        let made = made.expect("a new document");
        assert_eq!(calls, [number], "{action:?}: rendered once");
        carries_its_number(&made);
    }
    chains_hold(r.as_ref());
}

/// A refusal at submission is rendered before the submission's transaction too, for the application's number and
/// the refusal's as a reader expects them: while it renders, another node issues a refusal (it would wait for the
/// transaction if the rendering ran inside), so it is rendered again inside for the next refusal number and stored
/// carrying its own numbers. A submission whose guess holds renders once.
pub fn a_refusal_at_submission_renders_before_the_transaction(db: &Database) {
    let r = db.node(0);
    let other = db.node(1);
    let mut calls = Vec::new();
    let first = r
        .submit_application(
            &application(400),
            "portal",
            Some(&mut |app: &str, n: &DocumentNumber| {
                calls.push((app.to_string(), n.sequence));
                cheap(n)
            }),
        )
        .expect("refused");
    assert_eq!(
        calls,
        [(first.number.clone(), 1)],
        "a guess that holds: rendered once"
    );

    let mut calls = Vec::new();
    let second = r
        .submit_application(
            &application(401),
            "portal",
            Some(&mut |app: &str, n: &DocumentNumber| {
                if calls.is_empty() {
                    let other = Arc::clone(&other);
                    let (answer, answered) = std::sync::mpsc::channel();
                    std::thread::spawn(move || {
                        let _ = answer.send(other.issue(&form("refusal"), 2026, "portal", &mut cheap));
                    });
                    answered
                        .recv_timeout(std::time::Duration::from_secs(10))
                        .expect("another node issues while the refusal renders: the rendering holds no lock")
                        .expect("issued");
                }
                calls.push((app.to_string(), n.sequence));
                cheap(n)
            }),
        )
        .expect("refused");
    assert_eq!(
        calls,
        [(second.number.clone(), 2), (second.number.clone(), 3)],
        "the guessed refusal number was taken: rendered again for the next"
    );
    assert_eq!(second.status, "refused");
    let (id, number) = second.document.expect("the refusal");
    assert!(number.ends_with("000003"), "{number}");
    let refusal = r.document(id).expect("read").expect("stored");
    assert_eq!(
        refusal.canonical_data,
        format!("{{\"number\":\"{number}\"}}").into_bytes()
    );
    assert_eq!(
        r.numbers(&form("refusal"), 2026).expect("numbers"),
        [1, 2, 3]
    );
    chains_hold(r.as_ref());
}

/// Every guarantee above as one `#[test]` each, on the backend `$database` (a function returning a fresh
/// [`Database`]).
macro_rules! registry_suite {
    ($database:path) => {
        #[test]
        fn numbers_are_unique_and_gap_free_across_nodes() {
            $crate::common::registry_suite::numbers_are_unique_and_gap_free_across_nodes(
                &$database(),
            )
        }
        #[test]
        fn a_failed_render_uses_no_number() {
            $crate::common::registry_suite::a_failed_render_uses_no_number(&$database())
        }
        #[test]
        fn series_are_per_form_and_year_and_documents_read_back() {
            $crate::common::registry_suite::series_are_per_form_and_year_and_documents_read_back(
                &$database(),
            )
        }
        #[test]
        fn the_same_signed_request_is_one_application_across_nodes() {
            $crate::common::registry_suite::the_same_signed_request_is_one_application_across_nodes(
                &$database(),
            )
        }
        #[test]
        fn two_operators_on_two_nodes_cannot_both_win() {
            $crate::common::registry_suite::two_operators_on_two_nodes_cannot_both_win(
                &$database(),
            )
        }
        #[test]
        fn licence_changes_are_serialised_across_nodes() {
            $crate::common::registry_suite::licence_changes_are_serialised_across_nodes(
                &$database(),
            )
        }
        #[test]
        fn an_idempotency_key_makes_one_document_across_nodes() {
            $crate::common::registry_suite::an_idempotency_key_makes_one_document_across_nodes(
                &$database(),
            )
        }
        #[test]
        fn steps_render_their_documents_before_the_transaction() {
            $crate::common::registry_suite::steps_render_their_documents_before_the_transaction(
                &$database(),
            )
        }
        #[test]
        fn a_refusal_at_submission_renders_before_the_transaction() {
            $crate::common::registry_suite::a_refusal_at_submission_renders_before_the_transaction(
                &$database(),
            )
        }
        #[test]
        fn tokens_and_cursors_are_shared_by_nodes() {
            $crate::common::registry_suite::tokens_and_cursors_are_shared_by_nodes(&$database())
        }
    };
}
pub(crate) use registry_suite;
