//! The auditors' page at `/verify`: HTML, script and style built into the binary, served with a content
//! security policy that allows nothing from outside this server. The page calls the public verification API.
//! Camera scanning needs a secure context: serve it over HTTPS (a reverse proxy) or open it on localhost.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

const HTML: &str = include_str!("verify.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("style.css");
/// The QR decoder for camera and photo scanning: npm's `jsqr`, pinned with its integrity in `package-lock.json`,
/// copied by `vendor/update.sh` and built into the binary, so the page needs no outside network.
/// `tests/http.rs` checks that this file is byte for byte the one in the pinned npm package.
const JSQR: &str = include_str!("vendor/jsQR.js");

/// Only this server: no CDN, no inline script, no outside connections.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// One built-in file: its type, its bytes and an entity tag computed once (the SHA-256 of the bytes), so a browser
/// revalidates with `If-None-Match` and gets `304 Not Modified` instead of the 250 KB decoder on every visit.
struct Asset {
    content_type: &'static str,
    body: &'static str,
    etag: std::sync::OnceLock<String>,
}

impl Asset {
    const fn new(content_type: &'static str, body: &'static str) -> Asset {
        Asset {
            content_type,
            body,
            etag: std::sync::OnceLock::new(),
        }
    }

    fn etag(&self) -> &str {
        self.etag.get_or_init(|| {
            let digest = ring::digest::digest(&ring::digest::SHA256, self.body.as_bytes());
            format!("\"{}\"", crate::encoding::hex(&digest.as_ref()[..16]))
        })
    }

    fn serve(&self, request: &HeaderMap) -> Response {
        let etag = self.etag();
        // `If-None-Match` lists tags separated by commas, or is `*`.
        let fresh = request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == etag
            });
        let headers = [
            (header::CONTENT_TYPE, self.content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::ETAG, etag),
        ];
        if fresh {
            (StatusCode::NOT_MODIFIED, headers).into_response()
        } else {
            (headers, self.body).into_response()
        }
    }
}

static PAGE: Asset = Asset::new("text/html; charset=utf-8", HTML);
static APP: Asset = Asset::new("text/javascript; charset=utf-8", SCRIPT);
static DECODER: Asset = Asset::new("text/javascript; charset=utf-8", JSQR);
static STYLESHEET: Asset = Asset::new("text/css; charset=utf-8", STYLE);

pub(super) async fn html(request: HeaderMap) -> Response {
    PAGE.serve(&request)
}

pub(super) async fn script(request: HeaderMap) -> Response {
    APP.serve(&request)
}

pub(super) async fn jsqr(request: HeaderMap) -> Response {
    DECODER.serve(&request)
}

pub(super) async fn style(request: HeaderMap) -> Response {
    STYLESHEET.serve(&request)
}
