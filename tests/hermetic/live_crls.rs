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
    Certificate, Code, CrlOrigin, CrlRefresher, CrlSchedule, CrlSource, FetchPolicy, Fetcher,
    InstallRules, Metrics, RefreshOutcome, TrustStore, UnixTime, VerifyOptions,
};
use rcgen::RevocationReason;
use time::OffsetDateTime;

use crate::common;
use crate::common::demo_pki::{cert, crl, issuing_ca};
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

fn odt(t: UnixTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.secs()).expect("time")
}

/// A list of the demo issuing CA, issued `age` seconds ago, usable for `life` seconds from then, listing `revoked`.
fn list(number: u8, age: i64, life: i64, revoked: &[&Certificate]) -> Vec<u8> {
    let now = UnixTime::now();
    let at = odt(now.plus_secs(-age - 3600));
    let revoked: Vec<_> = revoked
        .iter()
        .map(|c| (*c, at, RevocationReason::KeyCompromise))
        .collect();
    crl(
        &issuing_ca(false),
        &revoked,
        odt(now.plus_secs(-age)),
        odt(now.plus_secs(life - age)),
        number,
    )
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
        assert_eq!(health.state, "fresh");
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
    assert_eq!(r.health(UnixTime::now())[0].state, "fresh");
}
