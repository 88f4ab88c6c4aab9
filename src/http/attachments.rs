//! Applications' attachments over HTTP: a portal uploads a file (streamed to the store while it is hashed, never
//! held whole in memory, refused with 413 the moment it passes the limit), then the applicant's signed
//! application lists it by its SHA-256; staff download what an application carries.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;

use super::auth::{Portal, Staff};
use super::documents::storage_failure;
use super::{AppState, Pool, Problem};
use crate::issuance::MediaType;

/// Removes an upload's temporary file unless the upload completed: a client that breaks off, a file over the
/// limit, a failure — nothing is left behind.
struct Unfinished(Option<std::path::PathBuf>);

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Unlinking a file is a metadata operation; no data is written here.
            let _ = std::fs::remove_file(path);
        }
    }
}

fn io_failure(e: std::io::Error) -> Problem {
    tracing::error!(error = %e, "attachment store failure");
    Problem::internal()
}

/// `POST /v1/attachments` (portal): the body is the file, `Content-Type` its type (`application/pdf`,
/// `image/jpeg`, `image/png`, which its first bytes must confirm). → 201 `{"sha256", "size", "type"}`.
pub(super) async fn upload(
    State(state): State<AppState>,
    Portal(caller): Portal,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let limits = state.attachments.limits();
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(MediaType::parse)
        .ok_or_else(|| {
            Problem::unsupported_media_type(
                "an attachment is application/pdf, image/jpeg or image/png",
            )
        })?;
    let too_large = || {
        Problem::payload_too_large(format!(
            "an attachment has at most {} bytes",
            limits.max_bytes
        ))
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limits.max_bytes) {
        return Err(too_large());
    }
    let tmp = state.attachments.upload_path();
    let mut unfinished = Unfinished(Some(tmp.clone()));
    let mut file = tokio::fs::File::create(&tmp).await.map_err(io_failure)?;
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(8);
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Problem::malformed(format!("the upload broke off: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        size = size.saturating_add(data.len() as u64);
        if size > limits.max_bytes {
            return Err(too_large());
        }
        if head.len() < 8 {
            let want = 8 - head.len();
            head.extend(data.iter().take(want));
        }
        digest.update(&data);
        file.write_all(&data).await.map_err(io_failure)?;
    }
    file.sync_all().await.map_err(io_failure)?;
    drop(file);
    if size == 0 {
        return Err(Problem::malformed("the attachment is empty".into()));
    }
    if MediaType::sniff(&head) != Some(declared) {
        return Err(Problem::unsupported_media_type(&format!(
            "the file's first bytes are not those of {} (its Content-Type)",
            declared.as_str()
        )));
    }
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(digest.finish().as_ref());
    let store = state.attachments.clone();
    let registry = state.registry.clone();
    let hex = crate::encoding::hex(&sha256);
    let subject = format!("{hex} {size} {}", declared.as_str());
    state
        .gates
        .clone()
        .run(Pool::Private, move |_| {
            store.finish_upload(&tmp, &sha256).map_err(io_failure)?;
            registry
                .record(
                    crate::clock::UnixTime::now(),
                    &caller.name,
                    "attachment.uploaded",
                    &subject,
                )
                .map_err(storage_failure)
        })
        .await?;
    unfinished.0 = None;
    tracing::info!(sha256 = %hex, size, "attachment uploaded");
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"sha256": hex, "size": size, "type": declared.as_str()})),
    )
        .into_response())
}

/// `GET /v1/applications/{id}/attachments/{n}` (portal, operator of its provider): the application's `n`-th
/// attached file (from 0), checked against the digest the applicant signed before it is served; the read is
/// recorded in the audit log.
pub(super) async fn download(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Response, Problem> {
    let not_found = || {
        let mut p = Problem::not_found();
        p.detail = "no such attachment".into();
        p
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let gates = state.gates.clone();
    let (file, bytes) = gates
        .run(Pool::Private, move |cancel| {
            let record = state
                .registry
                .application(crate::registry::ApplicationId(id))
                .map_err(storage_failure)?
                .ok_or_else(not_found)?;
            let office = state.offices.get(&record.provider).ok_or_else(|| {
                Problem::from(crate::service::workflow::WorkflowError::UnknownProvider(
                    record.provider.clone(),
                ))
            })?;
            if !caller.serves(&office.id) {
                return Err(crate::service::workflow::WorkflowError::OtherProvider(format!(
                    "application {} is provider {:?}'s",
                    record.number, office.id
                ))
                .into());
            }
            let application = crate::issuance::Application::parse(&record.content)
                .map_err(|e| storage_failure(crate::registry::RegistryError::Corrupt(e.to_string())))?;
            let file = application.attachments.get(n).cloned().ok_or_else(not_found)?;
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(
                    state.attachments.open_kept(&file.sha256).map_err(io_failure)?,
                    file.size.saturating_add(1),
                ),
                &mut bytes,
            )
            .map_err(io_failure)?;
            cancel.check().map_err(|_| Problem::timeout())?;
            if crate::encoding::sha256(&bytes) != file.sha256 {
                tracing::error!(application = %record.number, attachment = n, "a kept attachment no longer hashes to what the applicant signed");
                return Err(Problem::internal());
            }
            state
                .registry
                .record(
                    crate::clock::UnixTime::now(),
                    &caller.name,
                    "attachment.read",
                    &format!("{} {n}", record.number),
                )
                .map_err(storage_failure)?;
            Ok((file, bytes))
        })
        .await?;
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        percent_encode(&file.name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, file.media_type.as_str().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// RFC 5987's encoding of a file name: what is not an unreserved character is `%XX`.
fn percent_encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
