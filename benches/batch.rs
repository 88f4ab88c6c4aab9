//! Batch verification against single requests (issue 18). Run: `cargo bench --bench batch`.
//!
//! The service on loopback in this process (demo PKI, its CRLs), a thousand distinct CMS signed once with the demo
//! individual's key (ECDSA P-256), then, in one run:
//! - `batch_1000_cms/one_batch`: the thousand in one `POST /v1/verify/batch`;
//! - `batch_1000_cms/single_requests`: the thousand as `POST /v1/verify/cms`, one after another on one
//!   keep-alive connection, as a portal without batches sends them.
//!
//! Before measuring, every verdict of the batch is checked equal to its single request's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};

/// One HTTP/1.1 exchange on a keep-alive connection: the answer's body.
fn exchange(conn: &mut BufReader<TcpStream>, addr: SocketAddr, path: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    conn.get_mut().write_all(&request).expect("request");
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).expect("header");
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().expect("length");
        }
    }
    let mut out = vec![0u8; length];
    conn.read_exact(&mut out).expect("body");
    out
}

fn serve() -> SocketAddr {
    let store = qoltanba::demo_trust_store().expect("store");
    let registry = std::sync::Arc::new(qoltanba::SqliteRegistry::in_memory().expect("registry"));
    let state = qoltanba::AppState::new(
        store,
        registry,
        qoltanba::demo_provider_signer().expect("signer"),
    )
    .expect("state");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            qoltanba::serve(listener, state).await.expect("serve");
        });
    });
    rx.recv().expect("addr")
}

fn benches(c: &mut Criterion) {
    let certs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certs");
    let key = std::fs::read(certs.join("individual-sign.key.pem")).expect("key");
    let identity = qoltanba::read_signing_identity(&key, None).expect("identity");
    let cert = qoltanba::load_certificates(&certs.join("individual-sign.pem"))
        .expect("cert")
        .remove(0);
    let signer =
        qoltanba::CmsSigner::from_identity(identity, Some(cert), Vec::new()).expect("signer");
    let b64 = base64::engine::general_purpose::STANDARD;
    let cms: Vec<String> = (0..1000)
        .map(|i| {
            let content = format!("{{\"application\": {i}}}");
            b64.encode(
                signer
                    .sign(content.as_bytes(), false, 1_795_428_000)
                    .expect("sign"),
            )
        })
        .collect();
    let batch = serde_json::json!({
        "items": cms.iter().map(|c| serde_json::json!({"cms": c})).collect::<Vec<_>>()
    })
    .to_string();
    let singles: Vec<String> = cms
        .iter()
        .map(|c| serde_json::json!({"cms": c}).to_string())
        .collect();
    let addr = serve();
    let stream = TcpStream::connect(addr).expect("connect");
    // As any HTTP client: a request is written whole, not held back for an acknowledgement (Nagle).
    stream.set_nodelay(true).expect("nodelay");
    let mut conn = BufReader::new(stream);

    // The same verdicts both ways.
    let results: serde_json::Value = serde_json::from_slice(&exchange(
        &mut conn,
        addr,
        "/v1/verify/batch",
        batch.as_bytes(),
    ))
    .expect("json");
    for (i, single) in singles.iter().enumerate() {
        let one: serde_json::Value = serde_json::from_slice(&exchange(
            &mut conn,
            addr,
            "/v1/verify/cms",
            single.as_bytes(),
        ))
        .expect("json");
        assert_eq!(results["results"][i]["valid"], one["valid"], "item {i}");
        assert_eq!(one["valid"], true, "item {i}");
    }

    let mut group = c.benchmark_group("batch_1000_cms");
    group.sample_size(10);
    group.bench_function("one_batch", |b| {
        b.iter(|| exchange(&mut conn, addr, "/v1/verify/batch", batch.as_bytes()))
    });
    group.bench_function("single_requests", |b| {
        b.iter(|| {
            for single in &singles {
                exchange(&mut conn, addr, "/v1/verify/cms", single.as_bytes());
            }
        })
    });
    group.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
