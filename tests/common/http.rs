//! Helpers the hermetic and oracle halves share for http.

use crate::common::client::Answer;

use serde_json::json;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// A verdict (HTTP 200) that is invalid and names `code`.
pub fn assert_invalid_with(a: &Answer, code: &str) {
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let r = a.json();
    assert_eq!(r["valid"], false, "{r}");
    assert!(
        r["codes"].as_array().expect("codes").contains(&json!(code)),
        "{code} missing: {r}"
    );
}

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

/// A server answering each connection with `answer(index, request head)`; returns its address and the heads seen.
pub fn serve(
    answer: impl Fn(usize, &str, &mut TcpStream) + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let (head, body) = read_request(&mut stream);
            log.lock()
                .expect("log")
                .push(format!("{head}{}", String::from_utf8_lossy(&body)));
            answer(i, &head, &mut stream);
        }
    });
    (addr, seen)
}

pub fn reply(stream: &mut TcpStream, status: &str, headers: &str, body: &[u8]) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
        body.len()
    );
    let _ = stream.write_all(body);
}
