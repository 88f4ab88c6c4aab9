//! The revocation fetcher against a loopback HTTP server that misbehaves on cue: error statuses, a failure that
//! passes on retry, bodies over the cap (announced and not), a body that drips, redirects to another scheme,
//! conditional GETs, a closed port. Every case ends in its own error, in bounded time.

use crate::common::http::{reply, serve};
use qoltanba::{FetchError, FetchPolicy, Fetched, Fetcher, Validators};
use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

fn quick() -> FetchPolicy {
    FetchPolicy {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_millis(800),
        max_bytes: 1024,
        retries: 1,
        backoff: Duration::from_millis(20),
        ..FetchPolicy::default()
    }
}

#[test]
fn a_body_arrives_with_validators_and_a_user_agent() {
    let (addr, seen) = serve(|_, _, s| reply(s, "200 OK", "ETag: \"v1\"\r\n", b"the CRL"));
    let got = Fetcher::new(quick())
        .get(&format!("{addr}/nca.crl"), None)
        .expect("fetch");
    assert_eq!(
        got,
        Fetched::Body {
            bytes: b"the CRL".to_vec(),
            validators: Validators {
                etag: Some("\"v1\"".into()),
                last_modified: None
            },
        }
    );
    let head = seen.lock().expect("log")[0].to_ascii_lowercase();
    assert!(head.starts_with("get /nca.crl "), "{head}");
    assert!(head.contains("user-agent: qoltanba/"), "{head}");
}

#[test]
fn error_statuses_and_retries() {
    // A 404 is final: asked once.
    let (addr, seen) = serve(|_, _, s| reply(s, "404 Not Found", "", b""));
    assert_eq!(
        Fetcher::new(quick()).get(&addr, None),
        Err(FetchError::Status(404))
    );
    assert_eq!(seen.lock().expect("log").len(), 1);
    // A 503 may pass: asked again, and the second answer counts.
    let (addr, seen) = serve(|i, _, s| {
        if i == 0 {
            reply(s, "503 Service Unavailable", "", b"")
        } else {
            reply(s, "200 OK", "", b"ok")
        }
    });
    let got = Fetcher::new(quick()).get(&addr, None).expect("second try");
    assert!(matches!(got, Fetched::Body { bytes, .. } if bytes == b"ok"));
    assert_eq!(seen.lock().expect("log").len(), 2);
    // A closed port: a transport error after the retries, quickly.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let start = Instant::now();
    let err = Fetcher::new(quick()).get(&format!("http://127.0.0.1:{port}/x.crl"), None);
    assert!(matches!(err, Err(FetchError::Transport(_))), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn bodies_over_the_cap_are_refused_announced_or_not() {
    let (addr, _) = serve(|_, _, s| reply(s, "200 OK", "", &vec![b'x'; 4096]));
    assert_eq!(
        Fetcher::new(quick()).get(&addr, None),
        Err(FetchError::TooLarge(1024))
    );
    // No Content-Length: the body ends with the connection, and is cut at the cap.
    let (addr, _) = serve(|_, _, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        for _ in 0..64 {
            if s.write_all(&[b'y'; 1024]).is_err() {
                return;
            }
        }
    });
    assert_eq!(
        Fetcher::new(quick()).get(&addr, None),
        Err(FetchError::TooLarge(1024))
    );
}

#[test]
fn a_dripping_body_times_out() {
    let (addr, _) = serve(|_, _, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        for _ in 0..100 {
            if s.write_all(b"z").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let policy = FetchPolicy {
        retries: 0,
        ..quick()
    };
    let start = Instant::now();
    let err = Fetcher::new(policy).get(&addr, None);
    assert!(matches!(err, Err(FetchError::Transport(_))), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn redirects_stay_within_their_scheme() {
    let (addr, _) = serve(|_, _, s| {
        reply(
            s,
            "302 Found",
            "Location: https://elsewhere.example/x.crl\r\n",
            b"",
        )
    });
    assert!(matches!(
        Fetcher::new(quick()).get(&addr, None),
        Err(FetchError::Redirect(_))
    ));
    let (addr, _) = serve(|_, _, s| reply(s, "301 Moved", "Location: file:///etc/passwd\r\n", b""));
    assert!(matches!(
        Fetcher::new(quick()).get(&addr, None),
        Err(FetchError::Redirect(_))
    ));
    // Within the same scheme a redirect is followed.
    let (addr, seen) = serve(|i, _, s| {
        if i == 0 {
            reply(s, "302 Found", "Location: /moved.crl\r\n", b"")
        } else {
            reply(s, "200 OK", "", b"moved")
        }
    });
    let got = Fetcher::new(quick())
        .get(&format!("{addr}/old.crl"), None)
        .expect("followed");
    assert!(matches!(got, Fetched::Body { bytes, .. } if bytes == b"moved"));
    assert!(seen.lock().expect("log")[1].starts_with("GET /moved.crl "));
    // Only http and https are fetched at all.
    assert!(matches!(
        Fetcher::new(quick()).get("ldap://crl.example/x", None),
        Err(FetchError::Url(_))
    ));
}

#[test]
fn a_conditional_get_learns_nothing_changed() {
    let (addr, seen) = serve(|_, head, s| {
        if head.to_ascii_lowercase().contains("if-none-match: \"v1\"") {
            reply(s, "304 Not Modified", "", b"")
        } else {
            reply(s, "200 OK", "ETag: \"v1\"\r\n", b"the CRL")
        }
    });
    let fetcher = Fetcher::new(quick());
    let Fetched::Body { validators, .. } = fetcher.get(&addr, None).expect("first") else {
        panic!("a body first")
    };
    assert_eq!(
        fetcher.get(&addr, Some(&validators)),
        Ok(Fetched::NotModified)
    );
    assert_eq!(seen.lock().expect("log").len(), 2);
}

#[test]
fn an_ocsp_request_is_posted_as_such() {
    let (addr, seen) = serve(|_, _, s| {
        reply(
            s,
            "200 OK",
            "Content-Type: application/ocsp-response\r\n",
            b"answer",
        )
    });
    let got = Fetcher::new(quick())
        .post(&addr, "application/ocsp-request", b"request-der", 1024)
        .expect("post");
    assert_eq!(got, b"answer");
    let log = seen.lock().expect("log")[0].clone();
    assert!(log.starts_with("POST / "), "{log}");
    assert!(
        log.to_ascii_lowercase()
            .contains("content-type: application/ocsp-request"),
        "{log}"
    );
    assert!(log.ends_with("request-der"), "{log}");
}
