//! Applications with attachments (issue 17, item 4) over real HTTP: files uploaded (streamed, hashed as they
//! arrive), listed by name, type, size and SHA-256 in the application the applicant signs with the OpenSSL CLI
//! (Debian package `openssl`), so the signature covers them; a file changed by one byte, of another size or type,
//! is refused; one over the limit is refused with 413 while it streams; the documents the applicant receives list
//! what was attached (read by `pdftotext`, Debian package `poppler-utils`, and checked by `qoltanba
//! verify-document`); and the server's peak memory (`VmHWM`, Linux) while 50 MB arrive stays under 100 MB.

use crate::common;
use crate::common::client::{
    assert_problem, bearer, cert_iin, get, openssl_sign, request_with, service, Answer, Service,
};
use base64::Engine;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;
const MB: usize = 1024 * 1024;

/// A scan of `size` bytes: a PDF header, then bytes that differ from file to file with `seed`.
fn scan(size: usize, seed: u8) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut x = u32::from(seed) + 1;
    while out.len() < size {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        out.push((x >> 16) as u8);
    }
    out
}

/// SHA-256 as `openssl dgst` computes it.
fn openssl_sha256(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("f");
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-r"])
        .arg(&path)
        .output()
        .expect("openssl");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

fn upload(addr: SocketAddr, token: &str, content_type: &str, bytes: &[u8]) -> Answer {
    request_with(
        addr,
        "POST",
        "/v1/attachments",
        content_type,
        &bearer(token),
        bytes,
    )
}

/// Uploads `size` bytes with `Transfer-Encoding: chunked` (no length announced), generated as they are sent, so
/// the server learns the size only as the bytes arrive. Returns the status.
fn upload_chunked(addr: SocketAddr, token: &str, size: usize, seed: u8) -> u16 {
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /v1/attachments HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/pdf\r\n{}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        bearer(token)
    );
    s.write_all(head.as_bytes()).expect("head");
    let data = scan(size, seed);
    for chunk in data.chunks(256 * 1024) {
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|_| s.write_all(chunk))
            .and_then(|_| s.write_all(b"\r\n"))
            .is_err()
        {
            break; // the server answered and closed: read its answer
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    String::from_utf8_lossy(raw.get(9..12).unwrap_or_default())
        .parse()
        .expect("status")
}

fn listed(name: &str, media_type: &str, bytes: &[u8]) -> Value {
    json!({"name": name, "type": media_type, "size": bytes.len(), "sha256": openssl_sha256(bytes)})
}

fn application(attachments: Vec<Value>) -> Value {
    json!({
        "service": "licence.private-bailiff",
        "applicant": {"iin": cert_iin("individual-sign"), "name": "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"},
        "fields": {"qualification": "сот орындаушысының біліктілік емтиханы, 2026"},
        "attachments": attachments,
    })
}

fn submit(svc: &Service, application: &Value) -> Answer {
    let cms = openssl_sign(application.to_string().as_bytes(), "individual-sign", false);
    request_with(
        svc.addr,
        "POST",
        "/v1/applications",
        "application/json",
        &bearer(&svc.portal),
        json!({"cms": B64.encode(cms)}).to_string().as_bytes(),
    )
}

fn post(svc: &Service, path: &str, token: &str, body: &Value) -> Value {
    let a = request_with(
        svc.addr,
        "POST",
        path,
        "application/json",
        &bearer(token),
        body.to_string().as_bytes(),
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()
}

#[test]
fn twenty_megabytes_attached_signed_stored_listed_and_printed() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    common::tools::need_tool("pdftotext", "poppler-utils");
    let svc = service();
    let diploma = scan(20 * MB, 1);
    let photo = std::fs::read(common::project_dir().join("docs/forms/licence.png")).expect("png");

    // Uploaded: each answered with the digest OpenSSL computes, its size and type.
    for (bytes, media_type) in [(&diploma, "application/pdf"), (&photo, "image/png")] {
        let a = upload(svc.addr, &svc.portal, media_type, bytes);
        assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
        let answer = a.json();
        assert_eq!(answer["sha256"], openssl_sha256(bytes));
        assert_eq!(answer["size"], bytes.len());
        assert_eq!(answer["type"], media_type);
    }

    // The signed application lists them: stored, listed in the application, served back byte for byte.
    let files = vec![
        listed("диплом.pdf", "application/pdf", &diploma),
        listed("photo.png", "image/png", &photo),
    ];
    let a = submit(&svc, &application(files.clone()));
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let app = a.json();
    let shown = app["attachments"].as_array().expect("attachments");
    assert_eq!(shown.len(), 2);
    for (shown, (file, bytes)) in shown.iter().zip(files.iter().zip([&diploma, &photo])) {
        for key in ["name", "type", "size", "sha256"] {
            assert_eq!(shown[key], file[key], "{key}");
        }
        let back = get(
            svc.addr,
            shown["href"].as_str().expect("href"),
            &svc.operator,
        );
        assert_eq!(back.status, 200);
        assert_eq!(back.content_type, file["type"]);
        assert!(back.body == **bytes, "the file served is the file uploaded");
    }

    // The licence the applicant receives lists what was attached, with each file's digest.
    let id = &app["id"];
    post(
        &svc,
        &format!("/v1/applications/{id}/steps/pay"),
        &svc.portal,
        &json!({"reference": "KZ-PAY"}),
    );
    let decided = post(
        &svc,
        &format!("/v1/applications/{id}/steps/approve"),
        &svc.operator,
        &json!({}),
    );
    let pdf = get(
        svc.addr,
        decided["document"]["pdf"].as_str().expect("pdf"),
        &svc.operator,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("licence.pdf");
    std::fs::write(&path, &pdf.body).expect("write");
    let (code, report) = common::run_json(&["verify-document", path.to_str().expect("path")]);
    assert_eq!(code, 0, "{report}");
    let text = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text: String = String::from_utf8(text.stdout)
        .expect("utf-8")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Приложенные документы"), "{text}");
    assert!(text.contains("диплом.pdf"), "{text}");
    // The digests may wrap: compared without spaces.
    let joined: String = text.split_whitespace().collect();
    for file in &files {
        assert!(
            joined.contains(file["sha256"].as_str().expect("sha")),
            "{text}"
        );
    }
}

#[test]
fn what_is_not_the_signed_file_is_refused() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("openssl", "openssl");
    let svc = service();
    let original = scan(MB, 2);
    let mut changed = original.clone();
    changed[MB / 2] ^= 0x01;

    // Only the changed file was uploaded: the application lists the original's digest, which nothing has.
    assert_eq!(
        upload(svc.addr, &svc.portal, "application/pdf", &changed).status,
        201
    );
    assert_problem(
        &submit(
            &svc,
            &application(vec![listed("d.pdf", "application/pdf", &original)]),
        ),
        422,
        "ATTACHMENT_MISMATCH",
    );
    // The changed file listed with another size, or as another type: refused.
    let mut wrong_size = listed("d.pdf", "application/pdf", &changed);
    wrong_size["size"] = json!(changed.len() + 1);
    assert_problem(
        &submit(&svc, &application(vec![wrong_size])),
        422,
        "ATTACHMENT_MISMATCH",
    );
    assert_problem(
        &submit(
            &svc,
            &application(vec![listed("d.png", "image/png", &changed)]),
        ),
        422,
        "ATTACHMENT_MISMATCH",
    );
    // A file whose first bytes are not its Content-Type's: 415.
    assert_problem(
        &upload(svc.addr, &svc.portal, "image/png", &changed),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    // Over the limit, announced or not: 413 while it streams.
    assert_problem(
        &upload(
            svc.addr,
            &svc.portal,
            "application/pdf",
            &scan(20 * MB + 1, 3),
        ),
        413,
        "PAYLOAD_TOO_LARGE",
    );
    assert_eq!(upload_chunked(svc.addr, &svc.portal, 21 * MB, 4), 413);
    // More than 50 MB listed in one application: 413 before any file is read.
    let fake = |n: u8| {
        json!({"name": format!("{n}.pdf"), "type": "application/pdf", "size": 20 * MB,
               "sha256": format!("{n:02x}").repeat(32)})
    };
    assert_problem(
        &submit(&svc, &application(vec![fake(1), fake(2), fake(3)])),
        413,
        "PAYLOAD_TOO_LARGE",
    );
    // Uploads need a portal token.
    assert_problem(
        &upload(svc.addr, "", "application/pdf", &original),
        401,
        "UNAUTHENTICATED",
    );
}

/// The server's peak resident memory (`VmHWM` in `/proc/<pid>/status`), in bytes.
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM");
    kb * 1024
}

/// Memory while 50 MB arrive, measured on the real binary (`qoltanba serve`, embedded default): three files of
/// 16.7 MB streamed without a length, then the application listing them submitted (each file read again and
/// hashed). The peak resident memory of the whole process stays under 100 MB.
#[test]
fn fifty_megabytes_arrive_in_under_a_hundred_megabytes_of_memory() {
    let _machine = crate::common::whole_machine();
    common::tools::need_tool("openssl", "openssl");
    if !std::path::Path::new("/proc/self/status").exists() {
        panic!("this test reads /proc (Linux)");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = common::client::free_addr();
    let mut child = common::client::spawn_server(
        &["serve", "--listen", &addr.to_string()],
        &[],
        dir.path(),
        addr,
    );
    let (portal, _operator) = common::client::printed_tokens(&mut child);
    let before = peak_memory(child.id());
    let size = 50 * MB / 3;
    let mut files = Vec::new();
    for seed in 0..3u8 {
        assert_eq!(upload_chunked(addr, &portal, size, seed + 10), 201);
        files.push(listed(
            &format!("scan-{seed}.pdf"),
            "application/pdf",
            &scan(size, seed + 10),
        ));
    }
    let svc = Service {
        addr,
        portal,
        operator: String::new(),
        registry: std::sync::Arc::new(qoltanba::SqliteRegistry::in_memory().expect("unused")),
    };
    let a = submit(&svc, &application(files));
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let peak = peak_memory(child.id());
    common::client::signal(&child, "KILL");
    let _ = child.wait();
    eprintln!(
        "peak resident memory: {} MB before the uploads, {} MB after 50 MB",
        before / MB as u64,
        peak / MB as u64
    );
    assert!(
        peak < 100 * MB as u64,
        "peak resident memory {} MB",
        peak / MB as u64
    );
}
