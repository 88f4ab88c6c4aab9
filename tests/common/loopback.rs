//! Loopback servers for tests and benches: std only, so a bench can include this file too
//! (`#[path = "../tests/common/loopback.rs"]`) — reading one HTTP/1.1 request, and an OCSP responder that runs
//! the OpenSSL CLI (`openssl ocsp -index … -reqin -respout`, Debian package `openssl`) per request, since
//! `openssl ocsp -port` listens on every interface.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

static EXCHANGES: AtomicUsize = AtomicUsize::new(0);

/// Reads one HTTP/1.1 request from a test server's connection: the head as text (up to the blank line) and the
/// body `Content-Length` announces (none when absent).
pub fn read_request(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    use std::io::Read;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = stream.read_exact(&mut body);
    (head, body)
}

/// How an `openssl ocsp` responder answers the next requests.
#[derive(Clone, Copy, PartialEq)]
pub enum Mode {
    /// `openssl ocsp` signing with `<signer>.pem` and `<signer>.key`, for `<ca>.pem`, over `index.txt` (all in
    /// the responder's directory).
    Sign(&'static str, &'static str),
    /// An unsigned `tryLater`.
    TryLater,
    /// A captive portal's HTML.
    Garbage,
    /// No answer for five seconds, then a closed connection.
    Silent,
}

/// Starts a responder answering as `mode` says at the time of each request, in `dir`; returns its URL.
pub fn openssl_ocsp_responder(dir: PathBuf, mode: Arc<Mutex<Mode>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (dir, mode) = (dir.clone(), mode.clone());
            // One thread a connection: a silent answer must not hold up the next request.
            std::thread::spawn(move || {
                let mut stream = stream;
                let (_, request) = read_request(&mut stream);
                let current = *mode.lock().expect("mode");
                let body = match current {
                    Mode::Silent => {
                        std::thread::sleep(Duration::from_secs(5));
                        return;
                    }
                    Mode::TryLater => vec![0x30, 0x03, 0x0a, 0x01, 0x03],
                    Mode::Garbage => b"<html>captive portal</html>".to_vec(),
                    Mode::Sign(signer, ca) => {
                        // Responders may share a directory: files are named by a process-wide counter.
                        let n = EXCHANGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let req = dir.join(format!("ocsp-req{n}.der"));
                        let resp = dir.join(format!("ocsp-resp{n}.der"));
                        std::fs::write(&req, &request).expect("request");
                        let out = Command::new("openssl")
                            .args([
                                "ocsp",
                                "-index",
                                "index.txt",
                                "-CA",
                                &format!("{ca}.pem"),
                                "-rsigner",
                            ])
                            .arg(format!("{signer}.pem"))
                            .arg("-rkey")
                            .arg(format!("{signer}.key"))
                            .arg("-reqin")
                            .arg(&req)
                            .arg("-respout")
                            .arg(&resp)
                            .current_dir(&dir)
                            .output()
                            .expect("openssl ocsp");
                        assert!(
                            out.status.success(),
                            "{}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                        std::fs::read(&resp).expect("response")
                    }
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            });
        }
    });
    url
}

/// Starts a timestamp authority answering each request with `openssl ts -reply` (Debian package `openssl`): the
/// configuration `ts.cnf`, the signer `<signer>.pem` and `<signer>.key` and the chain `chain.pem` in `dir`.
/// Returns its URL and a counter of the requests answered.
pub fn openssl_tsa(dir: PathBuf, signer: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/tsa", listener.local_addr().expect("addr"));
    let answered = Arc::new(AtomicUsize::new(0));
    let count = answered.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let (head, request) = read_request(&mut stream);
            let n = EXCHANGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let req = dir.join(format!("tsa-req{n}.tsq"));
            let resp = dir.join(format!("tsa-resp{n}.tsr"));
            std::fs::write(&req, &request).expect("request");
            let out = Command::new("openssl")
                .args(["ts", "-reply", "-config", "ts.cnf", "-queryfile"])
                .arg(&req)
                .arg("-signer")
                .arg(format!("{signer}.pem"))
                .arg("-inkey")
                .arg(format!("{signer}.key"))
                .args(["-chain", "chain.pem", "-out"])
                .arg(&resp)
                .current_dir(&dir)
                .output()
                .expect("openssl ts");
            let body = if out.status.success() {
                std::fs::read(&resp).expect("response")
            } else {
                Vec::new()
            };
            assert!(
                head.contains("application/timestamp-query"),
                "a TSA request is sent as application/timestamp-query: {head}"
            );
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let status = if body.is_empty() {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (url, answered)
}
