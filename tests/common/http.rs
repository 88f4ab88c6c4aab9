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

pub use super::loopback::read_request;

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
