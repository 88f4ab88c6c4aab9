//! A JSON body whose rejection is our problem document: a handler takes `Body(request): Body<T>` and never sees
//! axum's own rejection text.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::de::DeserializeOwned;

use super::Problem;

/// Bodies longer than this are parsed on a blocking thread, not on the I/O thread that read them. Parsing takes
/// about a millisecond a megabyte (a public route's body may be 4 MB, a token holder's 16 MB), and all that time
/// no other connection of that I/O thread is served — there is one I/O thread for every two cores
/// (`limits.io_threads`). Below it, the hand-off would cost more than the parse.
const PARSED_IN_PLACE_UP_TO: usize = 64 * 1024;

/// A request body decoded from JSON (`Content-Type: application/json`), or `400 MALFORMED` /
/// `415 UNSUPPORTED_MEDIA_TYPE` / `413 PAYLOAD_TOO_LARGE` as a problem document.
pub(crate) struct Body<T>(pub(crate) T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned + Send + 'static,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        if !is_json(request.headers()) {
            return Err(Problem::unsupported_media_type("send application/json"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(Problem::from_bytes)?;
        if bytes.len() <= PARSED_IN_PLACE_UP_TO {
            return parse(&bytes);
        }
        tokio::task::spawn_blocking(move || parse(&bytes))
            .await
            .map_err(|_| Problem::internal())?
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<Body<T>, Problem> {
    Json::<T>::from_bytes(bytes)
        .map(|Json(value)| Body(value))
        .map_err(Problem::from_json)
}

/// What axum's `Json` accepts (its own check is private): `application/json`, or `application/…+json`,
/// parameters aside.
pub(super) fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub.as_bytes()[sub.len() - 5..].eq_ignore_ascii_case(b"+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::problem::ProblemCode;
    use serde::{Deserialize, Deserializer};
    use std::thread::ThreadId;

    /// Any JSON; remembers the thread that parsed it.
    struct ParsedOn(ThreadId);

    impl<'de> Deserialize<'de> for ParsedOn {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            serde::de::IgnoredAny::deserialize(d)?;
            Ok(ParsedOn(std::thread::current().id()))
        }
    }

    fn request(content_type: &str, body: Vec<u8>, declared: bool) -> Request {
        let mut r = axum::http::Request::builder()
            .method("POST")
            .uri("/")
            .header(header::CONTENT_TYPE, content_type);
        if declared {
            r = r.header(header::CONTENT_LENGTH, body.len());
        }
        r.body(axum::body::Body::from(body)).expect("request")
    }

    fn extract(r: Request) -> Result<ThreadId, Problem> {
        // One thread runs the request: the thread that read the body is this one.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async { Body::<ParsedOn>::from_request(r, &()).await.map(|b| b.0 .0) })
    }

    fn json_of(len: usize) -> Vec<u8> {
        format!("{{\"x\":\"{}\"}}", "a".repeat(len)).into_bytes()
    }

    #[test]
    fn small_bodies_are_parsed_in_place_and_large_ones_on_another_thread() {
        let here = std::thread::current().id();
        let small = extract(request("application/json", json_of(1000), true));
        assert_eq!(small.ok(), Some(here));
        for declared in [true, false] {
            let large = extract(request("application/json", json_of(200_000), declared));
            assert!(
                large.as_ref().is_ok_and(|t| *t != here),
                "declared {declared}"
            );
        }
        // Undeclared but small: in place.
        let chunked_small = extract(request("application/json", json_of(10), false));
        assert_eq!(chunked_small.ok(), Some(here));
    }

    #[test]
    fn large_bodies_are_refused_as_small_ones_are() {
        let wrong_type = extract(request("text/plain", json_of(200_000), true));
        assert_eq!(
            wrong_type.err().map(|p| p.code),
            Some(ProblemCode::UnsupportedMediaType)
        );
        let mut broken = json_of(200_000);
        broken.truncate(150_000);
        let broken = extract(request("application/json", broken, true));
        assert_eq!(broken.err().map(|p| p.code), Some(ProblemCode::Malformed));
        let suffixed = extract(request(
            "application/problem+json; charset=utf-8",
            json_of(200_000),
            true,
        ));
        assert!(suffixed.is_ok());
        for bad in [
            "application/jsonx",
            "application",
            "text/json",
            "application/+jso",
        ] {
            assert!(!is_json(request(bad, Vec::new(), false).headers()), "{bad}");
        }
    }
}
