//! Helpers the hermetic and oracle halves share for http.

use crate::common::client::Answer;

use serde_json::json;

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
