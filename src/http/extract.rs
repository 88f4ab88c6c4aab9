//! A JSON body whose rejection is our problem document: a handler takes `Body(request): Body<T>` and never sees
//! axum's own rejection text.

use axum::extract::{FromRequest, Request};
use axum::Json;
use serde::de::DeserializeOwned;

use super::Problem;

/// A request body decoded from JSON (`Content-Type: application/json`), or `400 MALFORMED` /
/// `415 UNSUPPORTED_MEDIA_TYPE` / `413 PAYLOAD_TOO_LARGE` as a problem document.
pub(crate) struct Body<T>(pub(crate) T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| Body(value))
            .map_err(Problem::from_json)
    }
}
