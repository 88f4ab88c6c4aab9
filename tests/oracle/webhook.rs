//! The portal's webhook (issue 17, item 8) against a real HTTP receiver on loopback: every status change of an
//! application signed by the OpenSSL CLI (Debian package `openssl`) is POSTed in order, each notification's
//! detached CMS signature (the provider's key) verified by `openssl cms -verify` over the exact body; a receiver
//! that fails gets the same notification again, and nothing after it first.

use crate::common;
use crate::common::client::{bearer, cert_iin, openssl_sign, request_with, service_with};
use crate::common::loopback::read_request;
use base64::Engine;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// What the receiver saw: each request's `Qoltanba-Event-Id`, its `Qoltanba-Signature` and its body.
type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A receiver that answers 500 to its first `failures` requests and 204 after; returns its URL.
fn receiver(failures: usize, seen: Seen) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/hooks/qoltanba",
        listener.local_addr().expect("addr")
    );
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let (head, body) = read_request(&mut stream);
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                    })
                    .unwrap_or_default()
            };
            seen.lock().expect("seen").push((
                header("Qoltanba-Event-Id"),
                header("Qoltanba-Signature"),
                body,
            ));
            let status = if n < failures {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            let _ = stream.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    url
}

/// Whether `openssl cms -verify` accepts `signature` (base64 DER, detached) over `body`, against the demo PKI.
fn openssl_verifies(signature: &str, body: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let sig = dir.path().join("sig.der");
    let content = dir.path().join("body.json");
    std::fs::write(&sig, B64.decode(signature).expect("base64")).expect("write");
    std::fs::write(&content, body).expect("write");
    let certs = common::project_dir().join("certs");
    std::process::Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(&sig)
        .arg("-content")
        .arg(&content)
        .arg("-CAfile")
        .arg(certs.join("root-ca.pem"))
        .arg("-certfile")
        .arg(certs.join("issuing-ca.pem"))
        .args(["-out", "/dev/null"])
        .output()
        .expect("openssl")
        .status
        .success()
}

#[test]
fn every_status_change_reaches_the_portal_signed_in_order_and_retried() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let seen: Seen = Arc::default();
    let url = receiver(1, seen.clone());
    let webhook =
        Arc::new(qoltanba::Webhook::new(&url, std::time::Duration::from_secs(5)).expect("url"));
    let mut node = None;
    let svc = service_with(|mut state| {
        state.webhook = Some(webhook.clone());
        node = Some((*state).clone());
        state
    });
    let node = node.expect("node");
    let deliver = || {
        webhook.deliver(
            node.registry.as_ref(),
            &node.offices,
            qoltanba::UnixTime::now().secs(),
        )
    };
    // The feed starts now: nothing before this is replayed.
    assert_eq!(deliver().expect("start"), 0);

    let application = json!({
        "service": "licence.private-bailiff",
        "applicant": {"iin": cert_iin("individual-sign"), "name": "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"},
        "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
    });
    let cms = openssl_sign(application.to_string().as_bytes(), "individual-sign", false);
    let call = |path: &str, token: &str, body: Value| {
        let a = request_with(
            svc.addr,
            "POST",
            path,
            "application/json",
            &bearer(token),
            body.to_string().as_bytes(),
        );
        assert!(a.status < 300, "{}", String::from_utf8_lossy(&a.body));
        a.json()
    };
    let app = call(
        "/v1/applications",
        &svc.portal,
        json!({"cms": B64.encode(cms)}),
    );
    let id = &app["id"];

    // The receiver fails the first notification: nothing is delivered, and nothing after it is sent.
    assert!(deliver().is_err());
    assert_eq!(seen.lock().expect("seen").len(), 1);
    call(
        &format!("/v1/applications/{id}/steps/pay"),
        &svc.portal,
        json!({"reference": "KZ-PAY"}),
    );
    // Within the wait after a failure, nothing is tried.
    assert_eq!(deliver().expect("waiting"), 0);
    assert_eq!(seen.lock().expect("seen").len(), 1);
    let approved = call(
        &format!("/v1/applications/{id}/steps/approve"),
        &svc.operator,
        json!({}),
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(deliver().expect("delivered"), 3);
    assert_eq!(deliver().expect("nothing more"), 0);

    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 4, "one failure, then three notifications");
    // The failed one again, with the same id; then the rest in order.
    assert_eq!(seen[0].0, seen[1].0);
    assert_eq!(seen[0].2, seen[1].2);
    let bodies: Vec<Value> = seen[1..]
        .iter()
        .map(|(_, _, b)| serde_json::from_slice(b).expect("json"))
        .collect();
    let statuses: Vec<&str> = bodies
        .iter()
        .map(|b| b["application"]["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["awaitingPayment", "registered", "approved"]);
    let ids: Vec<i64> = bodies
        .iter()
        .map(|b| b["id"].as_i64().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    for (b, (event_id, _, _)) in bodies.iter().zip(&seen[1..]) {
        assert_eq!(b["id"].to_string(), *event_id);
        assert_eq!(b["event"], "application.status");
        assert_eq!(b["application"]["id"], *id);
        assert_eq!(b["application"]["provider"], "main");
        assert!(
            b["application"].get("applicant").is_none(),
            "no personal data"
        );
    }
    assert_eq!(
        bodies[2]["application"]["document"],
        approved["document"]["number"]
    );
    // Each signed by the provider's key over the exact body; a changed byte does not verify.
    for (_, signature, body) in &seen[1..] {
        assert!(openssl_verifies(signature, body));
        let mut changed = body.clone();
        changed[0] = b' ';
        assert!(!openssl_verifies(signature, &changed));
    }
}
