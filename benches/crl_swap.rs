//! Swapping a 422 000-entry CRL under load (issue 15): `POST /v1/verify/cms` on an in-process service driven by
//! `wrk` (Debian package `wrk`), first steady, then while the service's CRL refresher fetches and installs a new
//! 22 MB list of the same CA every two seconds from a loopback server. Reports both wrk runs (requests per second,
//! latency percentiles, any answer other than 200), how many lists were installed, and the process's peak memory.
//! Run: `cargo bench --bench crl_swap [-- seconds connections]` (defaults 20 s, 32 connections).

mod common;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use qoltanba::{
    load_certificates, signing_key_from_pkcs8, CmsSigner, CrlRefresher, CrlSchedule, CrlSource,
    FetchPolicy, Fetcher, Metrics, RefreshOutcome, TrustStore, UnixTime,
};

use common::{big_crl_issued, read_der, FIXTURES};

/// UTCTime text of `now - secs_ago`.
fn utc_time(secs_ago: i64) -> Vec<u8> {
    let t =
        time::OffsetDateTime::from_unix_timestamp(UnixTime::now().secs() - secs_ago).expect("time");
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

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn wrk(url: &str, body: &std::path::Path, seconds: u64, connections: u32) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/wrk/post.lua");
    let out = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
            script,
            url,
        ])
        .env("WRK_BODY", body)
        .output()
        .expect("wrk (Debian package wrk)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(20);
    let connections: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(32);
    let load = |n: &str| {
        load_certificates(std::path::Path::new(&format!("{FIXTURES}/{n}")))
            .expect("cert")
            .remove(0)
    };
    let (root, inter, signer_cert) = (load("root.pem"), load("inter.pem"), load("leaf-sha512.pem"));
    let revoked = load("leaf-rsa.pem");

    // The lists: the one loaded at start, and one newer list per swap (each a fresh 22 MB body).
    let swaps = (seconds / 2 + 2) as usize;
    eprintln!("building {} lists of 422 000 entries…", swaps + 1);
    let lists: Vec<Vec<u8>> = (0..=swaps)
        .map(|i| {
            big_crl_issued(
                revoked.serial(),
                &utc_time(3600 - 10 * i as i64),
                Some(100 + i as u32),
            )
        })
        .collect();
    let mut builder = TrustStore::builder()
        .anchor(root)
        .intermediate(inter.clone());
    builder.add_crl_der(lists[0].clone()).expect("crl");
    builder
        .add_crl_der(read_der("root.crl", "X509 CRL"))
        .expect("root crl");
    let store = builder.build();
    // The bench itself holds every list it will serve (22 MB each): the service's share is what comes on top.
    println!(
        "peak memory with the lists built and the first installed, before serving (VmHWM): {}",
        peak_memory()
    );

    // A loopback server handing out the next list on each GET.
    let served = Arc::new(AtomicUsize::new(1));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let crl_url = format!("http://{}/inter.crl", listener.local_addr().expect("addr"));
    let lists = Arc::new(lists);
    {
        let (served, lists) = (served.clone(), lists.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let i = served.fetch_add(1, Ordering::SeqCst).min(lists.len() - 1);
                let body = &lists[i];
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(body);
            }
        });
    }

    let registry = Arc::new(qoltanba::SqliteRegistry::in_memory().expect("registry"));
    let node = qoltanba::Node::new(
        store,
        registry,
        qoltanba::demo_provider_signer().expect("signer"),
    )
    .expect("node");
    let refresher = Arc::new(CrlRefresher::new(
        node.store.clone(),
        Fetcher::new(FetchPolicy::default()),
        vec![CrlSource {
            url: crl_url,
            delta: false,
        }],
        CrlSchedule::default(),
        None,
        Arc::new(Metrics::default()),
    ));

    // The request: an attached CMS of 1 KB signed by the interop leaf.
    let signer = CmsSigner::new(
        signing_key_from_pkcs8(&read_der("leaf-sha512.key", "PRIVATE KEY")).expect("key"),
        signer_cert,
        vec![inter],
    )
    .expect("signer");
    let content: Vec<u8> =
        br#"{"service":"licence.private-bailiff"}"#.iter().copied().cycle().take(1024).collect();
    let cms = signer
        .sign(&content, false, UnixTime::now().secs())
        .expect("sign");
    let dir = tempfile::tempdir().expect("dir");
    let body_path = dir.path().join("verify.json");
    std::fs::write(
        &body_path,
        format!(
            "{{\"cms\":\"{}\"}}",
            base64::engine::general_purpose::STANDARD.encode(&cms)
        ),
    )
    .expect("body");

    // The service, on a runtime of its own.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    let state = qoltanba::AppState::with(node, qoltanba::Limits::default());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            qoltanba::serve_with(
                listener,
                state,
                qoltanba::ServeOptions::default(),
                std::future::pending(),
            )
            .await
        })
        .expect("serve");
    });
    std::thread::sleep(Duration::from_millis(300));
    let url = format!("http://{addr}/v1/verify/cms");
    let check = std::process::Command::new("curl")
        .args([
            "-s",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
        ])
        .arg(format!("@{}", body_path.display()))
        .arg(&url)
        .output();
    if let Ok(out) = check {
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        eprintln!(
            "one verification: valid {} codes {} revocationData {}",
            report["valid"], report["codes"], report["chain"][0]["revocationData"]
        );
    }

    println!("== steady: POST /v1/verify/cms, {connections} connections, {seconds} s, the 422 000-entry list installed");
    println!("{}", wrk(&url, &body_path, seconds, connections));
    println!("peak memory so far (VmHWM): {}", peak_memory());

    let swapping = Arc::new(AtomicBool::new(true));
    let installed = Arc::new(AtomicUsize::new(0));
    let swapper = {
        let (swapping, installed, refresher) =
            (swapping.clone(), installed.clone(), refresher.clone());
        std::thread::spawn(move || {
            while swapping.load(Ordering::SeqCst) {
                let started = std::time::Instant::now();
                for (_, outcome) in refresher.refresh(UnixTime::now(), true) {
                    match outcome {
                        RefreshOutcome::Installed => {
                            installed.fetch_add(1, Ordering::SeqCst);
                            eprintln!(
                                "swap {} in {:?}",
                                installed.load(Ordering::SeqCst),
                                started.elapsed()
                            );
                        }
                        other => eprintln!("swap refused: {other:?}"),
                    }
                }
                std::thread::sleep(Duration::from_secs(2).saturating_sub(started.elapsed()));
            }
        })
    };
    println!("== swapping a 422 000-entry list every 2 s: POST /v1/verify/cms, {connections} connections, {seconds} s");
    println!("{}", wrk(&url, &body_path, seconds, connections));
    swapping.store(false, Ordering::SeqCst);
    let _ = swapper.join();
    println!(
        "lists installed during the run: {}",
        installed.load(Ordering::SeqCst)
    );
    println!("peak memory (VmHWM): {}", peak_memory());
}
