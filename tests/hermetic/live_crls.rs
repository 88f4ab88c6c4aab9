//! CRLs that keep themselves fresh, against a loopback HTTP server that misbehaves on cue: a good list is
//! installed and named in reports; "not modified" is asked for and honoured; 404, an empty body, a truncated list,
//! garbage, a forged list, an older authentic list (rollback), a stale one, a body that drips and one of 300 MB
//! are each refused with their own code while the last good list stays in use; the disk cache brings the list back
//! after a restart with the server gone; a list whose nextUpdate passes while the refresher runs is replaced in
//! time; and an application that arrives while the data is stale waits instead of being refused.

use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qoltanba::{
    Code, CrlOrigin, CrlRefresher, CrlSchedule, CrlSource, FetchPolicy, Fetcher, InstallRules,
    Metrics, RefreshOutcome, TrustStore, UnixTime, VerifyOptions,
};

use crate::common;
use crate::common::demo_pki::{cert, crl, fresh_crl as list, issuing_ca, odt};
use crate::common::http::{reply, serve};

/// What the CRL server does with the next request.
#[derive(Clone)]
enum Act {
    /// The list, with its ETag; "304" when the request names that ETag.
    List(Vec<u8>, &'static str),
    Status(&'static str),
    Body(Vec<u8>),
    /// One byte every 100 ms, for a minute.
    Drip,
    /// 300 MB, announced and sent until the client hangs up.
    Huge,
}

fn crl_server(act: Arc<Mutex<Act>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let (addr, seen) = serve(move |_, head, s: &mut TcpStream| {
        let now = act.lock().expect("act").clone();
        match now {
            Act::List(der, etag) => {
                if head.contains(&format!("If-None-Match: {etag}"))
                    || head.contains(&format!("if-none-match: {etag}"))
                {
                    reply(s, "304 Not Modified", &format!("ETag: {etag}\r\n"), b"");
                } else {
                    reply(s, "200 OK", &format!("ETag: {etag}\r\n"), &der);
                }
            }
            Act::Status(status) => reply(s, status, "", b"no"),
            Act::Body(body) => reply(s, "200 OK", "", &body),
            Act::Drip => {
                let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n");
                for _ in 0..600 {
                    if s.write_all(b"0").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            Act::Huge => {
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                    300u64 << 20
                );
                let chunk = vec![0x30u8; 1 << 16];
                for _ in 0..(300 * 16) {
                    if s.write_all(&chunk).is_err() {
                        return;
                    }
                }
            }
        }
    });
    (format!("{addr}/issuing-ca.crl"), seen)
}

/// The demo root and issuing CA with the root's CRL (the CA's own status), and no list of the CA.
fn store() -> Arc<TrustStore> {
    let mut b = TrustStore::builder()
        .anchor(cert("root-ca.pem"))
        .intermediate(cert("issuing-ca.pem"));
    for der in
        qoltanba::load_crls(&common::project_dir().join("certs/crl/root-ca.crl")).expect("root crl")
    {
        b.add_crl_der(der).expect("parses");
    }
    Arc::new(b.build())
}

fn fetcher() -> Fetcher {
    Fetcher::new(FetchPolicy {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_millis(1500),
        max_bytes: 4 << 20,
        retries: 0,
        backoff: Duration::from_millis(10),
        ..FetchPolicy::default()
    })
}

fn refresher(
    store: &Arc<TrustStore>,
    url: &str,
    cache: Option<std::path::PathBuf>,
    metrics: &Arc<Metrics>,
) -> CrlRefresher {
    CrlRefresher::new(
        store.clone(),
        fetcher(),
        vec![CrlSource {
            url: url.to_string(),
            delta: false,
        }],
        CrlSchedule {
            retry_min: Duration::from_secs(1),
            before_next_update: Duration::from_secs(2),
            ..CrlSchedule::default()
        },
        cache,
        metrics.clone(),
    )
}

fn verify(store: &TrustStore, name: &str) -> qoltanba::Report {
    store.verify_certificate(&cert(name), &[], &VerifyOptions::at(UnixTime::now().secs()))
}

fn failed_with(outcomes: &[(String, RefreshOutcome)], code: &str) {
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    match &outcomes[0].1 {
        RefreshOutcome::Failed { code: got, .. } => assert_eq!(*got, code, "{outcomes:?}"),
        other => panic!("expected {code}, got {other:?}"),
    }
}

#[test]
fn the_last_good_list_stays_through_every_misbehaviour() {
    let revoked = cert("revoked.pem");
    let good = list(5, 60, 3600, &[&revoked]);
    let act = Arc::new(Mutex::new(Act::List(good.clone(), "\"v5\"")));
    let (url, seen) = crl_server(act.clone());
    let store = store();
    let metrics = Arc::new(Metrics::default());
    let r = refresher(&store, &url, None, &metrics);

    // Before any list: unknown.
    assert_eq!(
        verify(&store, "individual-sign.pem").codes,
        [Code::RevocationUnknown]
    );
    let now = UnixTime::now();
    assert_eq!(
        r.refresh(now, true),
        [(url.clone(), RefreshOutcome::Installed)]
    );
    let fine = verify(&store, "individual-sign.pem");
    assert!(fine.valid, "{:?}", fine.messages);
    assert_eq!(verify(&store, "revoked.pem").codes, [Code::CertRevoked]);
    // The report names the list it rests on: fetched, from this URL, number 05.
    let json = serde_json::to_value(&fine).expect("json");
    let data = &json["chain"][0]["revocationData"][0];
    assert_eq!(data["type"], "crl", "{json}");
    assert_eq!(data["source"], url.as_str());
    assert_eq!(data["origin"], "fetched");
    assert_eq!(data["number"], "05");
    // Nothing is due yet; forced, the server is asked conditionally and says "not modified".
    assert!(r.refresh(now, false).is_empty());
    assert_eq!(
        r.refresh(now, true),
        [(url.clone(), RefreshOutcome::Unchanged)]
    );
    assert!(
        seen.lock()
            .expect("seen")
            .last()
            .expect("a request")
            .to_ascii_lowercase()
            .contains("if-none-match: \"v5\""),
        "{:?}",
        seen.lock().expect("seen").last()
    );

    let forged = crl(
        &issuing_ca(true),
        &[],
        odt(now.plus_secs(-10)),
        odt(now.plus_secs(3600)),
        9,
    );
    let older = list(4, 120, 3600, &[]);
    let stale = list(9, 7200, 3600, &[]);
    let cases: Vec<(Act, &str)> = vec![
        (Act::Status("404 Not Found"), "fetch"),
        (Act::Status("503 Service Unavailable"), "fetch"),
        (Act::Body(Vec::new()), "malformed"),
        (Act::Body(good[..good.len() / 2].to_vec()), "malformed"),
        (
            Act::Body(b"<html>captive portal</html>".to_vec()),
            "malformed",
        ),
        (Act::Body(forged), "bad_signature"),
        (Act::Body(older), "rollback"),
        (Act::Body(stale), "stale"),
        (Act::Drip, "fetch"),
        (Act::Huge, "fetch"),
    ];
    for (misbehaviour, code) in cases {
        *act.lock().expect("act") = misbehaviour;
        let started = std::time::Instant::now();
        failed_with(&r.refresh(UnixTime::now(), true), code);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{code}: bounded in time"
        );
        // The good list is still the one in use: the revoked certificate stays revoked, the other good.
        assert_eq!(
            verify(&store, "revoked.pem").codes,
            [Code::CertRevoked],
            "after {code}"
        );
        assert!(verify(&store, "individual-sign.pem").valid, "after {code}");
        let health = &r.health(UnixTime::now())[0];
        assert_eq!(health.state, qoltanba::Freshness::Fresh);
        assert!(
            health
                .last_error
                .as_deref()
                .is_some_and(|e| e.starts_with(code)),
            "{health:?}"
        );
    }
    assert_eq!(metrics.crl_fetches("rollback"), 1);
    assert_eq!(metrics.crl_fetches("fetch"), 4);
    assert_eq!(metrics.crl_fetches("malformed"), 3);

    // A newer list replaces it, and the error is cleared.
    *act.lock().expect("act") = Act::List(list(6, 30, 3600, &[]), "\"v6\"");
    assert_eq!(
        r.refresh(UnixTime::now(), true),
        [(url.clone(), RefreshOutcome::Installed)]
    );
    assert!(verify(&store, "revoked.pem").valid, "v6 does not list it");
    assert_eq!(r.health(UnixTime::now())[0].last_error, None);
    assert_eq!(r.health(UnixTime::now())[0].number.as_deref(), Some("06"));
}

#[test]
fn a_restart_reads_the_disk_cache_and_works_offline() {
    let dir = tempfile::tempdir().expect("dir");
    let cache = dir.path().join("crls");
    let act = Arc::new(Mutex::new(Act::List(
        list(3, 60, 3600, &[&cert("revoked.pem")]),
        "\"v3\"",
    )));
    let (url, _) = crl_server(act.clone());
    let metrics = Arc::new(Metrics::default());
    {
        let first = store();
        let r = refresher(&first, &url, Some(cache.clone()), &metrics);
        assert_eq!(
            r.refresh(UnixTime::now(), true),
            [(url.clone(), RefreshOutcome::Installed)]
        );
    }
    // The server is gone; a new process with an empty store loads the cached list.
    *act.lock().expect("act") = Act::Status("404 Not Found");
    let second = store();
    let r = refresher(&second, &url, Some(cache.clone()), &metrics);
    assert_eq!(r.load_cache(UnixTime::now()), 1);
    assert_eq!(verify(&second, "revoked.pem").codes, [Code::CertRevoked]);
    let fine = serde_json::to_value(verify(&second, "individual-sign.pem")).expect("json");
    assert_eq!(fine["valid"], true, "{fine}");
    assert_eq!(fine["chain"][0]["revocationData"][0]["origin"], "cached");
    // A failed fetch keeps it.
    failed_with(&r.refresh(UnixTime::now(), true), "fetch");
    assert_eq!(verify(&second, "revoked.pem").codes, [Code::CertRevoked]);
    // A cached list past its nextUpdate is not loaded.
    let third = store();
    let r = refresher(&third, &url, Some(cache), &metrics);
    assert_eq!(r.load_cache(UnixTime::now().plus_secs(7200)), 0);
}

#[test]
fn installing_checks_the_list_and_never_goes_back() {
    let store = store();
    let now = UnixTime::now();
    let rules = InstallRules::default();
    let origin = || CrlOrigin::Fetched("http://127.0.0.1/x.crl".into());
    let v2 = list(2, 60, 3600, &[]);
    let installed = store.install_crl(&v2, origin(), rules, now).expect("v2");
    assert!(installed.changed);
    assert!(
        !store
            .install_crl(&v2, origin(), rules, now)
            .expect("same")
            .changed
    );
    // Same thisUpdate order but a lower number: refused.
    let lower = list(1, 30, 3600, &[]);
    let refused = store
        .install_crl(&lower, origin(), rules, now)
        .expect_err("rollback");
    assert_eq!(refused.code(), "rollback", "{refused}");
    // From the future.
    let future = list(3, -3600, 7200, &[]);
    assert_eq!(
        store
            .install_crl(&future, origin(), rules, now)
            .expect_err("future")
            .code(),
        "from_the_future"
    );
    assert_eq!(store.crl_count(), 2, "the root's and v2");
}

/// A list that lives 8 seconds, served fresh on every request: the refresher's thread replaces it before its
/// nextUpdate, so verifications at the real time stay valid across several generations, without a restart.
#[test]
fn a_list_whose_next_update_passes_is_replaced_while_running() {
    let store = store();
    let counter = Arc::new(Mutex::new(10u8));
    let (addr, _) = serve({
        let counter = counter.clone();
        move |_, _, s: &mut TcpStream| {
            let mut n = counter.lock().expect("n");
            *n += 1;
            reply(s, "200 OK", "", &list(*n, 0, 8, &[]));
        }
    });
    let url = format!("{addr}/short.crl");
    let metrics = Arc::new(Metrics::default());
    let r = Arc::new(refresher(&store, &url, None, &metrics));
    let worker = r.clone().spawn();
    let started = std::time::Instant::now();
    let mut checks = 0;
    // Wait for the first list.
    while !verify(&store, "individual-sign.pem").valid && started.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    while started.elapsed() < Duration::from_secs(19) {
        let report = verify(&store, "individual-sign.pem");
        assert!(
            report.valid,
            "after {:?}: {:?}",
            started.elapsed(),
            report.messages
        );
        checks += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    drop(worker);
    assert!(checks > 40);
    assert!(
        *counter.lock().expect("n") >= 13,
        "at least three generations were fetched"
    );
    assert_eq!(
        r.health(UnixTime::now())[0].state,
        qoltanba::Freshness::Fresh
    );
}

const APPLICATION: &str = r#"{"service": "licence.private-bailiff",
    "applicant": {"iin": "870412300129", "name": "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"},
    "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"}}"#;

const XML_APPLICATION: &str = "<application xmlns=\"urn:qoltanba:application:1\" service=\"licence.private-bailiff\"><applicant iin=\"870412300129\">ТЕСТОВ ТЕСТ ТЕСТОВИЧ</applicant><field name=\"qualification\">сот орындаушысының біліктілік емтиханы, 2026</field></application>";

/// A node over `store()` whose CRL source is `url`, waiting `deadline` seconds for pending verifications.
fn node_with(url: &str, deadline: i64) -> (qoltanba::Node, Arc<CrlRefresher>) {
    let registry = Arc::new(qoltanba::SqliteRegistry::in_memory().expect("registry"));
    let signer = qoltanba::demo_provider_signer().expect("signer");
    let store = Arc::try_unwrap(store()).ok().expect("one owner");
    let mut node = qoltanba::Node::new(store, registry, signer).expect("node");
    let crls = Arc::new(refresher(
        &node.store,
        url,
        None,
        &Arc::new(Metrics::default()),
    ));
    node.revocation = Arc::new(qoltanba::RevocationPolicy {
        crls: Some(crls.clone()),
        pending_deadline_secs: deadline,
        ..qoltanba::RevocationPolicy::default()
    });
    (node, crls)
}

fn submit(node: &qoltanba::Node, at: i64) -> qoltanba::ApplicationRecord {
    let cms = common::demo_signer("individual-sign")
        .sign(APPLICATION.as_bytes(), false, at)
        .expect("sign");
    qoltanba::submit(node.context(), &cms, None, "portal-1", at).expect("submitted")
}

/// With the source down past its list's nextUpdate, an application is not refused: it waits with a deadline;
/// verified again, it waits while the source is down, is refused once the deadline passes, and moves on to payment
/// once the source comes back with a fresh list.
#[test]
fn an_application_waits_for_revocation_data_instead_of_being_refused() {
    use qoltanba::Reverified;
    // A list that lives three seconds is installed; then the source goes down and the list's nextUpdate passes.
    let act = Arc::new(Mutex::new(Act::Body(list(1, 0, 3, &[]))));
    let (url, _) = crl_server(act.clone());
    let (node, crls) = node_with(&url, 3600);
    assert_eq!(
        crls.refresh(UnixTime::now(), true),
        [(url.clone(), RefreshOutcome::Installed)]
    );
    assert!(verify(&node.store, "individual-sign.pem").valid);
    *act.lock().expect("act") = Act::Status("503 Service Unavailable");
    std::thread::sleep(Duration::from_millis(4200));
    failed_with(&crls.refresh(UnixTime::now(), true), "fetch");
    assert_eq!(
        verify(&node.store, "individual-sign.pem").codes,
        [Code::RevocationUnknown]
    );
    assert_eq!(
        crls.health(UnixTime::now())[0].state,
        qoltanba::Freshness::Stale
    );
    let now = UnixTime::now().secs();

    let a = submit(&node, now);
    assert_eq!(a.status, "verificationPending", "{}", a.verification);
    assert_eq!(a.document, None, "no refusal");
    assert_eq!(a.pending_until, Some(UnixTime::from_secs(now + 3600)));
    assert!(a.verification.contains("REVOCATION_UNKNOWN"));
    // A second one, a second later: its deadline is a second later too.
    let b = submit(&node, now + 1);
    assert_eq!(b.status, "verificationPending");
    assert!(qoltanba::reverify_pending(node.context(), "qoltanba", now)
        .expect("again")
        .is_empty());

    // At a's deadline, still no data: a is refused, b keeps waiting.
    let outcomes =
        qoltanba::reverify_pending(node.context(), "qoltanba", now + 3600).expect("again");
    assert_eq!(outcomes, [(a.number.clone(), Reverified::Expired)]);
    let a = node.registry.application(a.id).expect("read").expect("a");
    assert_eq!(a.status, "refused");
    assert!(a.document.is_some(), "the refusal document");
    let b_now = node.registry.application(b.id).expect("read").expect("b");
    assert_eq!(b_now.status, "verificationPending");

    // The source comes back.
    *act.lock().expect("act") = Act::List(list(2, 1, 3600, &[]), "\"v2\"");
    assert_eq!(
        crls.refresh(UnixTime::now(), true),
        [(url, RefreshOutcome::Installed)]
    );
    let outcomes = qoltanba::reverify_pending(node.context(), "qoltanba", now).expect("again");
    assert_eq!(outcomes, [(b.number.clone(), Reverified::Confirmed)]);
    let b = node.registry.application(b.id).expect("read").expect("b");
    assert_eq!(b.status, "awaitingPayment");
    assert_eq!(b.pending_until, None);
    assert!(
        b.verification.contains("\"valid\":true"),
        "{}",
        b.verification
    );
    assert!(qoltanba::reverify_pending(node.context(), "qoltanba", now)
        .expect("none left")
        .is_empty());
}

/// A pending application whose list, when it comes, revokes the applicant's certificate is refused with its
/// document: a definite negative.
#[test]
fn a_pending_application_is_refused_when_the_list_revokes_the_applicant() {
    use qoltanba::Reverified;
    let act = Arc::new(Mutex::new(Act::Status("404 Not Found")));
    let (url, _) = crl_server(act.clone());
    let (node, crls) = node_with(&url, 3600);
    let now = UnixTime::now().secs();
    let a = submit(&node, now);
    assert_eq!(a.status, "verificationPending");
    // The same applicant's application signed as XML waits too, and is verified again as XML.
    let xml = qoltanba::sign_xml(
        XML_APPLICATION.as_bytes(),
        &common::demo_signer("individual-sign"),
    )
    .expect("sign");
    let x = qoltanba::submit_xml(node.context(), &xml, "portal-1", now).expect("submitted");
    assert_eq!(x.status, "verificationPending", "{}", x.verification);
    *act.lock().expect("act") = Act::Body(list(2, 60, 3600, &[&cert("individual-sign.pem")]));
    crls.refresh(UnixTime::now(), true);
    let outcomes = qoltanba::reverify_pending(node.context(), "qoltanba", now).expect("again");
    assert_eq!(
        outcomes,
        [
            (a.number.clone(), Reverified::Refused),
            (x.number.clone(), Reverified::Refused)
        ]
    );
    let x = node.registry.application(x.id).expect("read").expect("x");
    assert_eq!(x.status, "refused");
    assert!(
        x.verification.contains("\"profile\":\"enveloped\""),
        "{}",
        x.verification
    );
    assert!(
        x.verification.contains("CERT_REVOKED"),
        "{}",
        x.verification
    );
    let a = node.registry.application(a.id).expect("read").expect("a");
    assert_eq!(a.status, "refused");
    assert!(
        a.verification.contains("CERT_REVOKED"),
        "{}",
        a.verification
    );
    assert!(a.document.is_some());
}

fn health(addr: std::net::SocketAddr) -> serde_json::Value {
    common::client::request(addr, "GET", "/health", "text/plain", b"").json()
}

/// `qoltanba serve` with `[revocation] crls`: the running binary fetches the list at start, verifications name
/// it, `/metrics` counts it and the disk cache keeps it; when the server starts failing, `/health` turns
/// `degraded` with the reason while the last good list is still used.
#[test]
fn the_service_keeps_its_lists_fresh_and_says_when_it_cannot() {
    let act = Arc::new(Mutex::new(Act::List(list(5, 60, 3600, &[]), "\"v5\"")));
    let (url, _) = crl_server(act.clone());
    let dir = tempfile::tempdir().expect("dir");
    let addr = common::client::free_addr();
    std::fs::write(
        dir.path().join("qoltanba.toml"),
        format!(
            "listen = \"{addr}\"\ndata = \"state\"\n[revocation]\ncrls = [\"{url}\"]\ncrl_refresh_secs = 1\nretry_min_secs = 1\nretry_max_secs = 1\n"
        ),
    )
    .expect("config");
    let mut child = common::client::spawn_server(
        &["serve", "--config", "qoltanba.toml"],
        &[],
        dir.path(),
        addr,
    );
    let wait_for = |what: &dyn Fn(&serde_json::Value) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let h = health(addr);
            if what(&h) {
                return h;
            }
            assert!(std::time::Instant::now() < deadline, "{h}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let h = wait_for(&|h| h["revocation"][0]["state"] == "fresh");
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["revocation"][0]["number"], "05");

    let der = cert("individual-sign.pem").der().to_vec();
    let body = serde_json::json!({"certificate": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der)});
    let report = common::client::post_json(addr, "/v1/verify/certificate", &body).json();
    assert_eq!(report["valid"], true, "{report}");
    let data = &report["chain"][0]["revocationData"][0];
    assert_eq!(
        (&data["origin"], &data["source"]),
        (&"fetched".into(), &url.clone().into()),
        "{report}"
    );
    let metrics = common::client::request(addr, "GET", "/metrics", "text/plain", b"");
    let text = String::from_utf8_lossy(&metrics.body).into_owned();
    assert!(
        text.contains("qoltanba_crl_fetches_total{outcome=\"installed\"} 1"),
        "{text}"
    );
    let cached = std::fs::read_dir(dir.path().join("state/crls"))
        .expect("cache dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "crl"))
        })
        .count();
    assert_eq!(cached, 1);

    *act.lock().expect("act") = Act::Status("404 Not Found");
    let h = wait_for(&|h| h["status"] == "degraded");
    assert_eq!(h["revocation"][0]["state"], "fresh", "{h}");
    assert!(
        h["revocation"][0]["lastError"]
            .as_str()
            .is_some_and(|e| e.starts_with("fetch")),
        "{h}"
    );
    let report = common::client::post_json(addr, "/v1/verify/certificate", &body).json();
    assert_eq!(
        report["valid"], true,
        "the last good list is still used: {report}"
    );
    // Killed (std's kill, not the `kill` command: the hermetic half runs where only Rust is installed).
    let _ = child.kill();
    let _ = child.wait();
}

/// UTCTime text of `t`.
fn utc_time(t: UnixTime) -> Vec<u8> {
    let t = odt(t);
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
    .into_bytes()
}

/// A delta CRL as the NCA's 2026 profiles draw it: no deltaCRLIndicator, a critical freshestCRL, listing
/// `revoked`; signed with the demo issuing CA's key (ECDSA P-256, SHA-256).
fn delta_without_indicator(revoked: &qoltanba::Certificate, number: u8) -> Vec<u8> {
    use qoltanba::asn1::encode as enc;
    let now = UnixTime::now();
    let ca = cert("issuing-ca.pem");
    let ecdsa_sha256 = enc(
        0x30,
        &enc(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
    );
    let entry = enc(
        0x30,
        &[
            enc(0x02, revoked.serial()),
            enc(0x17, &utc_time(now.plus_secs(-600))),
        ]
        .concat(),
    );
    let ext = |oid: &[u8], critical: bool, value: Vec<u8>| {
        let mut e = enc(0x06, oid);
        if critical {
            e.extend(enc(0x01, &[0xff]));
        }
        e.extend(enc(0x04, &value));
        enc(0x30, &e)
    };
    let uri = enc(0x86, b"http://127.0.0.1/nca_d_gost_2022.crl");
    // FreshestCRL ::= SEQUENCE OF DistributionPoint { [0] { [0] GeneralNames } }
    let freshest = enc(0x30, &enc(0x30, &enc(0xa0, &enc(0xa0, &uri))));
    let extensions = enc(
        0xa0,
        &enc(
            0x30,
            &[
                ext(&[0x55, 0x1d, 0x14], false, enc(0x02, &[number])),
                ext(&[0x55, 0x1d, 0x2e], true, freshest),
            ]
            .concat(),
        ),
    );
    let tbs = enc(
        0x30,
        &[
            enc(0x02, &[1]),
            ecdsa_sha256.clone(),
            ca.subject_der().to_vec(),
            enc(0x17, &utc_time(now.plus_secs(-30))),
            enc(0x17, &utc_time(now.plus_secs(3600))),
            enc(0x30, &entry),
            extensions,
        ]
        .concat(),
    );
    let key_pem =
        std::fs::read(common::project_dir().join("certs/issuing-ca.key.pem")).expect("key");
    let key_der = qoltanba::der_blocks(&key_pem, &["PRIVATE KEY"])
        .expect("pem")
        .remove(0);
    let rng = ring::rand::SystemRandom::new();
    let key = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &key_der,
        &rng,
    )
    .expect("key");
    let sig = key.sign(&rng, &tbs).expect("sign");
    let mut bits = vec![0u8];
    bits.extend_from_slice(sig.as_ref());
    enc(0x30, &[tbs, ecdsa_sha256, enc(0x03, &bits)].concat())
}

/// A list from a delta source that carries a critical freshestCRL and no deltaCRLIndicator (the NCA's 2026
/// profiles) is installed as a delta and merged with its base: the certificate it lists is revoked, and the
/// report names both lists.
#[test]
fn a_delta_from_a_freshest_crl_source_completes_its_base() {
    let store = store();
    let now = UnixTime::now();
    let origin = || CrlOrigin::Fetched("http://127.0.0.1/x.crl".into());
    store
        .install_crl(
            &list(2, 60, 3600, &[]),
            origin(),
            InstallRules::default(),
            now,
        )
        .expect("base");
    assert!(verify(&store, "individual-sign.pem").valid);
    let delta = delta_without_indicator(&cert("individual-sign.pem"), 3);
    let installed = store
        .install_crl(
            &delta,
            origin(),
            InstallRules {
                delta_source: true,
                ..InstallRules::default()
            },
            now,
        )
        .expect("delta");
    assert!(installed.changed);
    assert_eq!(store.crl_count(), 3, "root, base and delta side by side");
    let report = verify(&store, "individual-sign.pem");
    assert_eq!(report.codes, [Code::CertRevoked], "{:?}", report.messages);
    let json = serde_json::to_value(&report).expect("json");
    let data = json["chain"][0]["revocationData"].as_array().expect("data");
    assert_eq!(
        data.iter().map(|d| d["delta"].clone()).collect::<Vec<_>>(),
        [false, true],
        "{json}"
    );
    // The other certificates of the CA are untouched by it.
    assert!(verify(&store, "legal-employee.pem").valid);
}
