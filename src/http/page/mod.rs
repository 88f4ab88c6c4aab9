//! The auditors' page at `/verify` (issue 8): HTML, script and style built into the binary, served with a content
//! security policy that allows nothing from outside this server. The page calls the public verification API.
//! Camera scanning needs a secure context: serve it over HTTPS (a reverse proxy) or open it on localhost.

use axum::http::header;
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

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn html() -> Response {
    asset("text/html; charset=utf-8", HTML)
}

pub(super) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub(super) async fn jsqr() -> Response {
    asset("text/javascript; charset=utf-8", JSQR)
}

pub(super) async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}
