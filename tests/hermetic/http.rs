//! The HTTP verification endpoints over a real socket (issue 6, first part): reports for certificates, CMS from
//! the OpenSSL CLI (Debian package `openssl`), seals and PDFs; problem+json with stable codes for bad input.

use crate::common;
use crate::common::client::{
    assert_problem, bearer, issue_reference, post_json, request, request_with, service,
    service_with, start,
};
use crate::common::http::assert_invalid_with;
use base64::Engine;
use std::net::{SocketAddr, TcpStream};

use qoltanba::Registry;
use serde_json::json;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

fn pem_der(path: &str) -> Vec<u8> {
    let certs = qoltanba::load_certificates(&common::project_dir().join(path)).expect("cert");
    certs[0].der().to_vec()
}

#[test]
fn health_and_unknown_paths() {
    let addr = start();
    let a = request(addr, "GET", "/health", "text/plain", b"");
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["status"], "ok");
    assert_problem(
        &request(addr, "GET", "/v1/nothing", "text/plain", b""),
        404,
        "NOT_FOUND",
    );
}

#[test]
fn certificates_are_verified_with_the_request_identity() {
    let addr = start();
    let der = B64.encode(pem_der("certs/individual-sign.pem"));
    let good = post_json(
        addr,
        "/v1/verify/certificate",
        &json!({"certificate": der, "iin": "870412300129"}),
    );
    assert_eq!(good.status, 200);
    let r = good.json();
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["chain"].as_array().map(Vec::len), Some(3), "{r}");

    let revoked = post_json(
        addr,
        "/v1/verify/certificate",
        &json!({"certificate": B64.encode(pem_der("certs/revoked.pem"))}),
    );
    assert_invalid_with(&revoked, "CERT_REVOKED");

    // Another checksum-valid IIN than the certificate's.
    let mismatch = post_json(
        addr,
        "/v1/verify/certificate",
        &json!({"certificate": der, "iin": "800105300127"}),
    );
    assert_invalid_with(&mismatch, "IIN_MISMATCH");
    // Validation in the past, before the certificate existed.
    let early = post_json(
        addr,
        "/v1/verify/certificate",
        &json!({"certificate": der, "at": "2001-01-01T00:00:00Z"}),
    )
    .json();
    assert_eq!(early["valid"], false);
}

#[test]
fn seals_and_pdfs_are_verified() {
    let addr = start();
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let form = "reference.birth";
    let t = qoltanba::form(form).expect("form");
    let issued_at = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    let doc = qoltanba::issue(
        form,
        &t.sample(),
        "reference.birth-2026-000001",
        issued_at,
        Some(qoltanba::Sealing {
            signer: &provider,
            mode: qoltanba::SealMode::Compact,
        }),
    )
    .expect("issue");

    let seal = post_json(addr, "/v1/verify/seal", &json!({"barcode": doc.seal}));
    assert_eq!(seal.status, 200);
    let s = seal.json();
    assert_eq!(s["valid"], true, "{s}");
    assert_eq!(s["content"]["number"], "reference.birth-2026-000001", "{s}");
    // The form's name from the catalogue beside its id, in both languages (not part of what the seal signs).
    assert_eq!(s["content"]["form"], form, "{s}");
    assert_eq!(s["content"]["formName"]["kk"], t.name.kk.as_str(), "{s}");
    assert_eq!(s["content"]["formName"]["ru"], t.name.ru.as_str(), "{s}");

    let raw = request(
        addr,
        "POST",
        "/v1/verify/document",
        "application/pdf",
        &doc.pdf,
    );
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json()["valid"], true, "{}", raw.json());
    assert_eq!(raw.json()["content"]["formName"]["ru"], t.name.ru.as_str());
    let wrapped = post_json(
        addr,
        "/v1/verify/document",
        &json!({"pdf": B64.encode(&doc.pdf)}),
    );
    assert_eq!(wrapped.status, 200);
    assert_eq!(wrapped.json()["valid"], true);

    // A changed barcode is a verdict, not bad input.
    let mut bad = doc.seal.clone();
    let last = bad[0].pop().expect("char");
    bad[0].push(if last == 'A' { 'B' } else { 'A' });
    let tampered = post_json(addr, "/v1/verify/seal", &json!({"barcode": bad}));
    assert_eq!(tampered.status, 200);
    assert_eq!(tampered.json()["valid"], false);

    assert_problem(
        &request(addr, "POST", "/v1/verify/document", "text/plain", &doc.pdf),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    assert_problem(
        &request(
            addr,
            "POST",
            "/v1/verify/document",
            "application/pdf",
            b"not a pdf",
        ),
        400,
        "MALFORMED",
    );
}

#[test]
fn hostile_requests_get_problem_documents() {
    let addr = start();
    let cases: [(&str, &[u8], u16, &str); 11] = [
        ("/v1/verify/certificate", b"{not json", 400, "MALFORMED"),
        (
            "/v1/verify/certificate",
            br#"{"certificate": "%%%"}"#,
            400,
            "MALFORMED",
        ),
        (
            "/v1/verify/certificate",
            br#"{"certificate": "AAAA"}"#,
            400,
            "MALFORMED",
        ),
        (
            "/v1/verify/certificate",
            br#"{"certificate": "AAAA", "extra": 1}"#,
            400,
            "MALFORMED",
        ),
        ("/v1/verify/cms", br#"{"data": "AAAA"}"#, 400, "MALFORMED"),
        // Decoded in the job, still a problem document with the field named.
        ("/v1/verify/cms", br#"{"cms": "!!!!"}"#, 400, "MALFORMED"),
        ("/v1/verify/pdf", br#"{"pdf": "!!!!"}"#, 400, "MALFORMED"),
        (
            "/v1/verify/document",
            br#"{"pdf": "!!!!"}"#,
            400,
            "MALFORMED",
        ),
        ("/v1/verify/document", br#"{"nope": 1}"#, 400, "MALFORMED"),
        (
            "/v1/verify/document",
            br#"{"pdf": "AAAA""#,
            400,
            "MALFORMED",
        ),
        (
            "/v1/verify/seal",
            br#"{"barcode": "not a list"}"#,
            400,
            "MALFORMED",
        ),
    ];
    for (path, body, status, code) in cases {
        let answer = request(addr, "POST", path, "application/json", body);
        assert_problem(&answer, status, code);
        if body.starts_with(br#"{"cms": "!"#) || body.starts_with(br#"{"pdf": "!"#) {
            let detail = answer.json()["detail"].as_str().unwrap_or("").to_string();
            assert!(detail.contains("not base64"), "{path}: {detail}");
        }
    }
    assert_problem(
        &request(addr, "POST", "/v1/verify/document", "text/plain", b"%PDF"),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let der = B64.encode(pem_der("certs/individual-sign.pem"));
    assert_problem(
        &post_json(
            addr,
            "/v1/verify/certificate",
            &json!({"certificate": der, "iin": "123"}),
        ),
        400,
        "MALFORMED",
    );
    assert_problem(
        &post_json(
            addr,
            "/v1/verify/certificate",
            &json!({"certificate": der, "at": "yesterday"}),
        ),
        400,
        "MALFORMED",
    );
    assert_problem(
        &request(addr, "POST", "/v1/verify/certificate", "text/plain", b"{}"),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    // 20 MB: over the 16 MB limit, for JSON and raw PDF bodies alike.
    let huge = vec![b' '; 20 * 1024 * 1024];
    assert_problem(
        &request(addr, "POST", "/v1/verify/cms", "application/json", &huge),
        413,
        "PAYLOAD_TOO_LARGE",
    );
    assert_problem(
        &request(
            addr,
            "POST",
            "/v1/verify/document",
            "application/pdf",
            &huge,
        ),
        413,
        "PAYLOAD_TOO_LARGE",
    );
}

/// Hardening finding 6: connections are limited; past the limit a client waits in the listen backlog until a
/// connection ends (then it is served), rather than the service taking every connection offered.
#[test]
fn connections_past_the_limit_wait_for_a_free_one() {
    let limits = qoltanba::Limits {
        max_connections: 2,
        ..qoltanba::Limits::default()
    };
    let svc = service_with(move |state| state.with_limits(limits));
    let idle: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(svc.addr).expect("connect"))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let addr = svc.addr;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(request(addr, "GET", "/health", "text/plain", b"").status);
    });
    assert!(
        rx.recv_timeout(std::time::Duration::from_secs(1)).is_err(),
        "a third connection was served while two were open"
    );
    drop(idle);
    assert_eq!(
        rx.recv_timeout(std::time::Duration::from_secs(5)),
        Ok(200),
        "served once a connection ended"
    );
}

/// Hardening finding 6: bodies are limited per route (public routes less), unauthenticated callers never get a
/// body read on a route that needs a token, and the bytes of bodies being received at once are bounded.
#[test]
fn bodies_are_limited_and_unauthenticated_ones_never_read() {
    let svc = service();
    // 5 MB to a public route: more than its limit.
    let big = vec![b'%'; 5 * 1024 * 1024];
    assert_problem(
        &request(
            svc.addr,
            "POST",
            "/v1/verify/document",
            "application/pdf",
            &big,
        ),
        413,
        "PAYLOAD_TOO_LARGE",
    );
    // A declared 15 MB body to a route that needs a token, with no token: refused before the body is read (the
    // client sends only the head, and the answer still comes).
    let mut s = TcpStream::connect(svc.addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    use std::io::{Read, Write};
    s.write_all(
        b"POST /v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15000000\r\nConnection: close\r\n\r\n",
    )
    .expect("head");
    let mut answer = vec![0u8; 4096];
    let n = s.read(&mut answer).expect("an answer without the body");
    let head = String::from_utf8_lossy(&answer[..n]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");

    // The in-flight budget: with room for one public body, a second upload is refused at once while the first is
    // still being received.
    let limits = qoltanba::Limits {
        inflight_body_bytes: 4 * 1024 * 1024,
        body_limit: 4 * 1024 * 1024,
        ..qoltanba::Limits::default()
    };
    let svc = service_with(move |state| state.with_limits(limits));
    let mut slow = TcpStream::connect(svc.addr).expect("connect");
    slow.write_all(
        b"POST /v1/verify/document HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\nContent-Length: 4194304\r\n\r\n%PDF-",
    )
    .expect("head");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_problem(
        &request(
            svc.addr,
            "POST",
            "/v1/verify/document",
            "application/pdf",
            b"%PDF-1.7",
        ),
        503,
        "BUSY",
    );
    drop(slow);
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Once it is gone, its room is free again.
    let after = request(
        svc.addr,
        "POST",
        "/v1/verify/document",
        "application/pdf",
        b"%PDF-1.7",
    );
    assert_eq!(
        after.status,
        400,
        "{}",
        String::from_utf8_lossy(&after.body)
    );
}

#[test]
fn concurrent_clients_get_unique_gap_free_numbers_and_valid_documents() {
    let svc = std::sync::Arc::new(service());
    let form = "reference.marriage";
    let sample = qoltanba::form(form).expect("form").sample();
    let (clients, each) = (8, 200);
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let svc = std::sync::Arc::clone(&svc);
            let sample = sample.clone();
            std::thread::spawn(move || {
                (0..each)
                    .map(|_| {
                        let a = issue_reference(&svc, form, &sample);
                        assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
                        a.json()["number"].as_str().expect("number").to_string()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut numbers: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client"))
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), clients * each);
    let year =
        qoltanba::local_year(time::OffsetDateTime::now_utc().unix_timestamp()).expect("year");
    let sequences = svc
        .registry
        .numbers(&crate::common::form_id(form), year)
        .expect("numbers");
    assert_eq!(sequences, (1..=(clients * each) as u64).collect::<Vec<_>>());
    let store = qoltanba::demo_trust_store().expect("store");
    let opts = qoltanba::VerifyOptions::at(time::OffsetDateTime::now_utc().unix_timestamp());
    for number in &numbers {
        let doc = svc
            .registry
            .document_by_number(number)
            .expect("read")
            .expect("stored");
        let r = qoltanba::verify_document(common::trust(&store), &doc.pdf, &opts).expect("verify");
        assert!(
            r.seal.report.valid,
            "{number}: {:?}",
            r.seal.report.messages
        );
        assert_eq!(
            r.seal.content.map(|c| c.signed.number).as_deref(),
            Some(number.as_str())
        );
    }
}

#[test]
fn the_openapi_document_lists_every_route_and_each_answers() {
    let svc = service();
    let doc = request(svc.addr, "GET", "/openapi.json", "text/plain", b"").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let expected = [
        ("/health", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
        ("/v1/verify/certificate", "post"),
        ("/v1/verify/cms", "post"),
        ("/v1/verify/xml", "post"),
        ("/v1/verify/wsse", "post"),
        ("/v1/auth/challenge", "post"),
        ("/v1/auth/verify", "post"),
        ("/v1/verify/seal", "post"),
        ("/v1/verify/document", "post"),
        ("/v1/verify/pdf", "post"),
        ("/v1/verify/pdf/report", "post"),
        ("/v1/verify/batch", "post"),
        ("/v1/sign/cms", "post"),
        ("/v1/sign/xml", "post"),
        ("/v1/sign/wsse", "post"),
        ("/v1/documents", "post"),
        ("/v1/documents/{id}", "get"),
        ("/v1/documents/{id}/pdf", "get"),
        ("/v1/documents/by-number/{number}/status", "get"),
        ("/v1/documents/{id}/{action}", "post"),
        ("/v1/applications", "post"),
        ("/v1/applications/{id}", "get"),
        ("/v1/applications/{id}/payment", "post"),
        ("/v1/applications/{id}/decision", "post"),
        ("/v1/applications/{id}/steps/{step}", "post"),
        ("/v1/applications/{id}/attachments/{n}", "get"),
        ("/v1/attachments", "post"),
        ("/v1/services", "get"),
        ("/v1/services/{id}", "get"),
    ];
    assert_eq!(
        paths.len(),
        expected.len(),
        "{:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for (path, method) in expected {
        assert!(paths[path][method].is_object(), "{method} {path} missing");
        // The router has the route: neither 405 nor the fallback's "no such route".
        let concrete = path
            .replace("{id}", "1")
            .replace("{number}", "x")
            .replace("{action}", "suspend")
            .replace("{step}", "pay")
            .replace("{n}", "0");
        let a = request_with(
            svc.addr,
            &method.to_uppercase(),
            &concrete,
            "application/json",
            &bearer(&svc.portal),
            b"{}",
        );
        assert_ne!(a.status, 405, "{method} {path}");
        if a.status == 404 {
            assert_ne!(a.json()["detail"], "no such route", "{method} {path}");
        }
    }
}

/// Starts a service with short client limits (1 s for headers and for the whole request).
fn impatient_service() -> SocketAddr {
    let store = qoltanba::demo_trust_store().expect("store");
    let registry = std::sync::Arc::new(qoltanba::SqliteRegistry::in_memory().expect("registry"));
    let state = qoltanba::AppState::new(
        store,
        registry,
        qoltanba::demo_provider_signer().expect("signer"),
    )
    .expect("state");
    let options = qoltanba::ServeOptions {
        header_read_timeout: std::time::Duration::from_secs(1),
        request_deadline: std::time::Duration::from_secs(1),
        shutdown_grace: std::time::Duration::from_secs(1),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            qoltanba::serve_with(listener, state, options, std::future::pending())
                .await
                .expect("serve");
        });
    });
    rx.recv().expect("address")
}

/// Slow clients cannot hold a connection: a header that never ends gets the connection closed, a body that
/// trickles gets `REQUEST_TIMEOUT`. (The client's own 20 s read timeout only guards the test from hanging.)
#[test]
fn slow_clients_are_cut_off() {
    use std::io::{Read, Write};
    let addr = impatient_service();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(b"POST /v1/verify/cms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        .expect("partial head");
    let mut answer = Vec::new();
    let read = s.read_to_end(&mut answer);
    assert!(
        read.is_ok(),
        "the server kept a half-sent header open: {read:?}"
    );

    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(
        b"POST /v1/verify/cms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"cms\":",
    )
    .expect("head");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("an answer, not a hang");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("REQUEST_TIMEOUT"), "{text}");

    // A prompt client on the same server is served.
    assert_eq!(
        request(addr, "GET", "/health", "text/plain", b"").status,
        200
    );
}

/// `POST /v1/verify/pdf` and NCANode's `/pdf/verify`: any PDF's signatures, the file as a whole, NCANode's shape.
#[test]
fn pdf_signatures_are_verified_and_a_revision_after_the_last_one_is_reported() {
    let addr = start();
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let doc = issued_reference(&provider, "R-1");

    let r = request(addr, "POST", "/v1/verify/pdf", "application/pdf", &doc.pdf);
    assert_eq!(r.status, 200);
    let r = r.json();
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["revisions"], 2, "{r}");
    let sig = &r["signatures"][0];
    assert_eq!(sig["kind"], "pades", "{r}");
    assert_eq!(sig["field"], "Qoltanba", "{r}");
    assert_eq!(sig["coversWholeFile"], true, "{r}");
    assert!(sig["claimedSigningTime"].is_string(), "{r}");
    assert_eq!(r["signatures"].as_array().map(Vec::len), Some(1));

    // NCANode's shape for the same file.
    let nca = post_json(
        addr,
        "/ncanode/pdf/verify",
        &json!({"pdf": B64.encode(&doc.pdf)}),
    );
    assert_eq!(nca.status, 200);
    let nca = nca.json();
    assert_eq!(nca["status"], 200, "{nca}");
    assert_eq!(nca["valid"], true, "{nca}");
    let signer = &nca["signers"][0];
    assert_eq!(signer["valid"], true, "{nca}");
    assert_eq!(signer["signatureAlgorithm"], "ETSI.CAdES.detached");
    assert_eq!(signer["digestAlgorithm"], "2.16.840.1.101.3.4.2.1");
    assert_eq!(
        signer["certificate"]["subject"]["iin"], "761103300456",
        "{nca}"
    );
    assert!(signer["signDate"].is_string(), "{nca}");
    assert!(signer["reason"].is_null());

    // A revision appended after the signature, drawing other text over the page: the signature still verifies
    // over what it covers, the file as a whole does not, and the report names what the revision replaced.
    let appended = common::hardening::overlay(&doc.pdf, "BT /QF1 14 Tf 60 700 Td (ANNULLED) Tj ET");
    let r = request(addr, "POST", "/v1/verify/pdf", "application/pdf", &appended).json();
    assert_eq!(r["valid"], false, "{r}");
    assert!(
        common::codes(&r).contains(&"DOCUMENT_MISMATCH".to_string()),
        "{r}"
    );
    let sig = &r["signatures"][0];
    assert_eq!(sig["valid"], true, "{r}");
    assert_eq!(sig["coversWholeFile"], false, "{r}");
    assert!(
        sig["appended"][0]
            .as_str()
            .is_some_and(|a| a.contains("Page, replacing the signed one")),
        "{r}"
    );
    let nca = post_json(
        addr,
        "/ncanode/pdf/verify",
        &json!({"pdf": B64.encode(&appended)}),
    )
    .json();
    assert_eq!(nca["valid"], false, "NCANode would say true here: {nca}");

    // A changed byte inside the range.
    let mut broken = doc.pdf.clone();
    let at = broken
        .windows(8)
        .position(|w| w == b"/Creator")
        .expect("info")
        + 2;
    broken[at] ^= 0x20;
    let r = request(addr, "POST", "/v1/verify/pdf", "application/pdf", &broken).json();
    assert_eq!(r["valid"], false, "{r}");
    assert!(
        common::codes(&r).contains(&"SIGNATURE_INVALID".to_string()),
        "{r}"
    );

    // No signature: a problem here, NCANode's 404 there.
    let sample = qoltanba::form("reference.birth").expect("form").sample();
    let unsigned =
        qoltanba::issue("reference.birth", &sample, "R-2", 1_795_428_000, None).expect("issue");
    assert_problem(
        &request(
            addr,
            "POST",
            "/v1/verify/pdf",
            "application/pdf",
            &unsigned.pdf,
        ),
        400,
        "MALFORMED",
    );
    let nca = post_json(
        addr,
        "/ncanode/pdf/verify",
        &json!({"pdf": B64.encode(&unsigned.pdf)}),
    );
    assert_eq!(nca.status, 404);
    assert_problem(
        &request(
            addr,
            "POST",
            "/v1/verify/pdf",
            "application/pdf",
            b"not a pdf",
        ),
        400,
        "MALFORMED",
    );
}

/// The provider's signer stamped by a TSA on a loopback port nobody listens on.
fn stamped_by_a_silent_tsa(mut state: qoltanba::AppState) -> qoltanba::AppState {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", closed.local_addr().expect("addr"));
    drop(closed);
    let tsa = qoltanba::TsaClient::new(
        qoltanba::TsaSettings {
            url,
            policy: None,
            timeout: std::time::Duration::from_secs(2),
        },
        state.store.clone(),
    )
    .expect("tsa");
    let signer = std::sync::Arc::new(
        qoltanba::demo_provider_signer()
            .expect("signer")
            .with_timestamper(std::sync::Arc::new(tsa)),
    );
    let offices = qoltanba::Offices::one(
        qoltanba::DEFAULT_OFFICE,
        state.provider.clone(),
        signer.clone(),
    )
    .expect("offices");
    state.offices = std::sync::Arc::new(offices);
    state.signer = signer;
    state
}

/// A configured TSA that does not answer: no document is issued without its timestamp, the portal gets a
/// retryable 503, and no number is used up.
#[test]
fn a_tsa_that_does_not_answer_is_a_retryable_503_and_uses_no_number() {
    let svc = service_with(stamped_by_a_silent_tsa);
    let sample = qoltanba::form("reference.birth").expect("form").sample();
    let a = issue_reference(&svc, "reference.birth", &sample);
    assert_problem(&a, 503, "TIMESTAMP_UNAVAILABLE");
    assert!(
        !String::from_utf8_lossy(&a.body).contains("127.0.0.1"),
        "the TSA's address is logged, not shown"
    );
    assert!(svc
        .registry
        .document(qoltanba::DocumentId(1))
        .expect("registry")
        .is_none());
}

/// `POST /v1/verify/pdf/report`: the verification as a file an auditor keeps — JSON inside a CMS the provider
/// signed, naming the PDF by its SHA-256 and every certificate and CRL the verdict rests on.
#[test]
fn a_validation_report_is_signed_by_the_provider_and_names_what_it_rests_on() {
    let svc = service();
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let doc = issued_reference(&provider, "R-9");
    assert_problem(
        &request(
            svc.addr,
            "POST",
            "/v1/verify/pdf/report",
            "application/pdf",
            &doc.pdf,
        ),
        401,
        "UNAUTHENTICATED",
    );
    let a = request_with(
        svc.addr,
        "POST",
        "/v1/verify/pdf/report",
        "application/pdf",
        &bearer(&svc.portal),
        &doc.pdf,
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert!(
        a.content_type.starts_with("application/pkcs7-mime"),
        "{}",
        a.content_type
    );
    let store = qoltanba::demo_trust_store().expect("store");
    let opts = qoltanba::VerifyOptions::at(time::OffsetDateTime::now_utc().unix_timestamp());
    let cms = qoltanba::verify_cms(&store, &a.body, None, &[], &opts).expect("cms");
    assert!(cms.report.valid, "{:?}", cms.report.messages);
    assert_eq!(
        cms.report.chain[0].certificate.sha256,
        provider.certificate().fingerprint_hex(),
        "signed by the provider"
    );
    let content = qoltanba::attached_content(&a.body)
        .expect("cms")
        .expect("content");
    let filed: serde_json::Value = serde_json::from_slice(&content).expect("json");
    assert_eq!(filed["type"], "qoltanba-validation-report");
    let sha256: String = ring::digest::digest(&ring::digest::SHA256, &doc.pdf)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(filed["document"]["sha256"], sha256, "{filed:#}");
    assert_eq!(filed["report"]["valid"], true, "{filed:#}");
    let objects = filed["validationObjects"].as_array().expect("objects");
    let certificates = objects
        .iter()
        .filter(|o| o["type"] == "certificate")
        .count();
    assert_eq!(certificates, 3, "provider, issuing CA, root: {filed:#}");
    assert!(
        objects
            .iter()
            .any(|o| o["type"] == "revocation" && o["data"]["type"] == "crl"),
        "{filed:#}"
    );
    assert!(filed["policy"]
        .as_str()
        .is_some_and(|p| p.contains("ETSI EN 319 102-1")));
}

/// A PAdES-B-LT document (the demo provider, validation data from the demo store): the `/DSS` revision after the
/// signature is accepted; a revision that adds a `/DSS` and also changes anything else in the catalog (here an
/// `/OpenAction`) is not.
#[test]
fn only_a_revision_that_adds_validation_data_alone_follows_a_signature() {
    use qoltanba::{Budget, Dict, IncrementalUpdate, Object, PdfFile};
    let store = std::sync::Arc::new(qoltanba::demo_trust_store().expect("store"));
    let signer = qoltanba::demo_provider_signer()
        .expect("provider")
        .with_validation_data(std::sync::Arc::new(qoltanba::StoreValidationData::new(
            store.clone(),
            qoltanba::VerifyOptions::at_time,
        )));
    let doc = issued_reference(&signer, "R-LT");
    let opts = qoltanba::VerifyOptions::at(time::OffsetDateTime::now_utc().unix_timestamp());
    let report = qoltanba::verify_pdf(&store, &doc.pdf, &opts).expect("pdf");
    assert!(report.report.valid, "{:?}", report.report.messages);
    assert!(report.validation_data_appended);
    assert_eq!(report.revisions, 3);
    let issued = qoltanba::verify_document(common::trust(&store), &doc.pdf, &opts).expect("doc");
    assert!(
        issued.seal.report.valid,
        "{:?}",
        issued.seal.report.messages
    );
    assert!(issued.file.validation_data_appended);

    // The same kind of revision, with an /OpenAction slipped into the catalog beside a /DSS.
    let file = PdfFile::open(
        &doc.pdf,
        Budget::for_verification(qoltanba::Cancel::never()),
    )
    .expect("open");
    let Some(Object::Ref(root, _)) = file.trailer().get(b"Root").cloned() else {
        panic!("no catalog");
    };
    let mut catalog = file.catalog().expect("catalog");
    let mut update = IncrementalUpdate::new(&file).expect("update");
    let action = update.add_dict(&Dict(vec![
        (b"S".to_vec(), Object::Name(b"URI".to_vec())),
        (
            b"URI".to_vec(),
            Object::String(b"https://example.invalid/".to_vec()),
        ),
    ]));
    catalog.set(b"OpenAction", Object::Ref(action, 0));
    catalog.set(b"DSS", Object::Dict(Dict::default()));
    update.replace_dict(root, &catalog);
    let tampered = update.finish().0;
    let report = qoltanba::verify_pdf(&store, &tampered, &opts).expect("pdf");
    assert!(!report.report.valid);
    assert!(!report.validation_data_appended);
    assert!(report
        .report
        .codes
        .contains(&qoltanba::Code::DocumentMismatch));
    let issued = qoltanba::verify_document(common::trust(&store), &tampered, &opts).expect("doc");
    assert!(!issued.seal.report.valid);
}

/// A birth reference (the form's sample) numbered `number`, issued a minute ago and sealed by `signer`.
fn issued_reference(signer: &qoltanba::CmsSigner, number: &str) -> qoltanba::IssuedDocument {
    let sample = qoltanba::form("reference.birth").expect("form").sample();
    let issued_at = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    qoltanba::issue(
        "reference.birth",
        &sample,
        number,
        issued_at,
        Some(qoltanba::Sealing {
            signer,
            mode: qoltanba::SealMode::Compact,
        }),
    )
    .expect("issue")
}

/// The threads of a running `qoltanba serve`: (name, scheduling policy) of each, from `/proc`.
#[cfg(target_os = "linux")]
fn threads(pid: u32) -> Vec<(String, u32)> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("tasks");
    let mut out = Vec::new();
    for task in tasks.flatten() {
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(task.path().join("comm")),
            std::fs::read_to_string(task.path().join("stat")),
        ) else {
            continue; // the thread ended meanwhile
        };
        // Field 41, the 39th after the command name's closing parenthesis.
        let policy = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split(' ').nth(38))
            .and_then(|p| p.parse().ok())
            .expect("policy");
        out.push((comm.trim().to_string(), policy));
    }
    out
}

/// `[limits] io_threads` sets the threads that read requests and write answers, and they stay under the default
/// policy while the job threads that verify run as batch work (`SCHED_BATCH`, 3), so a woken job never preempts
/// the I/O thread that queued it.
#[cfg(target_os = "linux")]
#[test]
fn io_threads_are_as_configured_and_job_threads_are_batch_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("q.toml"), "[limits]\nio_threads = 3\n").expect("config");
    let addr = common::client::free_addr();
    let listen = addr.to_string();
    let mut child = common::client::spawn_server(
        &["serve", "--config", "q.toml", "--listen", &listen],
        &[],
        dir.path(),
        addr,
    );
    let der = B64.encode(pem_der("certs/individual-sign.pem"));
    let answer = post_json(addr, "/v1/verify/certificate", &json!({"certificate": der}));
    assert_eq!(answer.status, 200);
    let threads = threads(child.id());
    let _ = child.kill();
    let _ = child.wait();
    // The server's main thread has the policy it was started with (SCHED_OTHER, 0, unless the tests run under
    // another); the I/O threads keep it.
    let main = threads
        .iter()
        .find(|(n, _)| n == "qoltanba")
        .map(|(_, p)| *p)
        .expect("the main thread");
    assert_ne!(
        main, 3,
        "the tests run under SCHED_BATCH: nothing to compare"
    );
    let io: Vec<_> = threads.iter().filter(|(n, _)| n == "qoltanba-io").collect();
    assert_eq!(io.len(), 3, "{threads:?}");
    assert!(io.iter().all(|(_, p)| *p == main), "{threads:?}");
    let jobs: Vec<_> = threads
        .iter()
        .filter(|(n, _)| n.starts_with("qoltanba-public"))
        .collect();
    assert!(!jobs.is_empty(), "{threads:?}");
    assert!(jobs.iter().all(|(_, p)| *p == 3), "{threads:?}");
}

/// An application whose CMS is not base64 is refused as before with the field named, now that the decoding runs
/// in the job rather than on the I/O thread; nothing is registered.
#[test]
fn an_application_that_is_not_base64_is_malformed_and_not_registered() {
    let svc = service();
    for body in [
        json!({"cms": "!!!!"}),
        json!({"cms": "AAAA", "data": "!!!!"}),
    ] {
        let answer = common::client::post_as(
            svc.addr,
            "/v1/applications",
            &svc.portal,
            body.to_string().as_bytes(),
        );
        assert_problem(&answer, 400, "MALFORMED");
        let detail = answer.json()["detail"].as_str().unwrap_or("").to_string();
        assert!(detail.contains("not base64"), "{detail}");
    }
    let listed = common::client::get(svc.addr, "/v1/applications", &svc.portal);
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.json()["applications"].as_array().map(Vec::len),
        Some(0),
        "{}",
        listed.json()
    );
}
