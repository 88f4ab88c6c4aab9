//! A real socket to a real service: the server on an ephemeral loopback port, and a minimal HTTP/1.1 client.

use qoltanba::create_token;
use qoltanba::{SqliteRegistry, TokenRole};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

pub struct Service {
    pub addr: SocketAddr,
    pub portal: String,
    pub operator: String,
    pub registry: std::sync::Arc<SqliteRegistry>,
}

/// Starts the service on an ephemeral loopback port with an in-memory registry holding a portal and an operator
/// token; it lives as long as the test process.
pub fn service() -> Service {
    service_with(|state| state)
}

/// [`service`] with its state changed by `configure` first (limits, a portal signer, ...).
pub fn service_with(configure: impl FnOnce(qoltanba::AppState) -> qoltanba::AppState) -> Service {
    let store = qoltanba::demo_trust_store().expect("store");
    let registry = std::sync::Arc::new(SqliteRegistry::in_memory().expect("registry"));
    let portal = create_token(
        registry.as_ref(),
        &qoltanba::TokenHolder::new("portal-1", TokenRole::Portal),
        0,
    )
    .expect("token");
    let operator = create_token(
        registry.as_ref(),
        &qoltanba::TokenHolder::new("operator-1", TokenRole::Operator),
        0,
    )
    .expect("token");
    let state = qoltanba::AppState::new(
        store,
        registry.clone(),
        qoltanba::demo_provider_signer().expect("signer"),
    )
    .expect("state");
    Service {
        addr: serve(configure(state), None),
        portal,
        operator,
        registry,
    }
}

/// Serves `state` on an ephemeral loopback port from a thread of its own, on a runtime with `workers` worker
/// threads (tokio's default, one per core, when `None`); it lives as long as the test process.
pub fn serve(state: qoltanba::AppState, workers: Option<usize>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = workers {
            rt.worker_threads(n);
        }
        let rt = rt.enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            qoltanba::serve(listener, state).await.expect("serve");
        });
    });
    rx.recv().expect("address")
}

pub fn start() -> SocketAddr {
    service().addr
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A minimal HTTP/1.1 client: one request per connection, so the answer ends when the server closes.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Answer {
    request_with(addr, method, path, content_type, "", body)
}

pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    extra_headers: &str,
    body: &[u8],
) -> Answer {
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra_headers}Connection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("head");
    // The server may answer 413 and close before the whole body is sent.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head[9..12].parse().expect("status");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        content_type,
        body,
    }
}

pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = usize::from_str_radix(
            std::str::from_utf8(&data[..line_end]).expect("utf8").trim(),
            16,
        )
        .expect("hex");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
}

pub fn post_json(addr: SocketAddr, path: &str, body: &Value) -> Answer {
    request(
        addr,
        "POST",
        path,
        "application/json",
        body.to_string().as_bytes(),
    )
}

/// A JSON POST with the bearer `token` (none when empty).
pub fn post_as(addr: SocketAddr, path: &str, token: &str, body: &[u8]) -> Answer {
    let headers = if token.is_empty() {
        String::new()
    } else {
        bearer(token)
    };
    request_with(addr, "POST", path, "application/json", &headers, body)
}

pub fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

pub fn assert_problem(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.content_type, "application/problem+json");
    let p = a.json();
    assert_eq!(p["code"], code, "{p}");
    assert_eq!(p["status"], status);
}

pub fn issue_reference(svc: &Service, form: &str, data: &Value) -> Answer {
    let body = serde_json::json!({"form": form, "data": data}).to_string();
    request_with(
        svc.addr,
        "POST",
        "/v1/documents",
        "application/json",
        &bearer(&svc.portal),
        body.as_bytes(),
    )
}

/// A free loopback port (bound and released: another process could take it, which fails the test loudly).
pub fn free_addr() -> SocketAddr {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    format!("127.0.0.1:{port}").parse().expect("addr")
}

/// Starts the `qoltanba` binary with `args` and `envs` in `dir` and waits until `addr` accepts connections.
/// Its standard output (the tokens printed on first start) is captured.
pub fn spawn_server(
    args: &[&str],
    envs: &[(&str, &str)],
    dir: &std::path::Path,
    addr: SocketAddr,
) -> std::process::Child {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qoltanba"))
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("the server exited with {status:?}: {err}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}

/// The tokens `qoltanba serve` prints on its first start: (portal, operator). Reads the child's stdout up to them.
pub fn printed_tokens(child: &mut std::process::Child) -> (String, String) {
    use std::io::BufRead;
    let out = child.stdout.take().expect("stdout");
    let mut portal = None;
    let mut operator = None;
    for line in std::io::BufReader::new(out).lines() {
        let line = line.expect("line");
        let token = line.rsplit(' ').next().unwrap_or("").to_string();
        if line.starts_with("created portal token") {
            portal = Some(token);
        } else if line.starts_with("created operator token") {
            operator = Some(token);
        }
        if portal.is_some() && operator.is_some() {
            break;
        }
    }
    (
        portal.expect("portal token printed"),
        operator.expect("operator token printed"),
    )
}

/// Sends SIGTERM or SIGKILL (`signal` is `TERM` or `KILL`) to the child.
pub fn signal(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// `GET path` with a bearer token.
pub fn get(addr: SocketAddr, path: &str, token: &str) -> Answer {
    request_with(addr, "GET", path, "application/json", &bearer(token), b"")
}

/// Signs `content` with the demo key `name` (`certs/{name}.pem`, `certs/{name}.key.pem`) using the OpenSSL CLI
/// (Debian package `openssl`), as an applicant's EDS tool would. Attached unless `detached`.
pub fn openssl_sign(content: &[u8], name: &str, detached: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("application.json");
    std::fs::write(&input, content).expect("write");
    let out = dir.path().join("application.p7s");
    let project = super::project_dir();
    let mut cmd = std::process::Command::new("openssl");
    cmd.args(["cms", "-sign", "-binary", "-outform", "DER", "-in"])
        .arg(&input)
        .arg("-signer")
        .arg(project.join(format!("certs/{name}.pem")))
        .arg("-inkey")
        .arg(project.join(format!("certs/{name}.key.pem")))
        .arg("-out")
        .arg(&out);
    if !detached {
        cmd.arg("-nodetach");
    }
    assert!(cmd.status().expect("openssl").success());
    std::fs::read(&out).expect("cms")
}

/// The IIN in the demo certificate `certs/{name}.pem`.
pub fn cert_iin(name: &str) -> String {
    let certs =
        qoltanba::load_certificates(&super::project_dir().join(format!("certs/{name}.pem")))
            .expect("cert");
    certs[0].profile().iin.clone().expect("iin")
}
