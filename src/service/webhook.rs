//! The portal's webhook: every status change of an application, POSTed to the configured URL in the order the
//! changes happened, each signed by the application's provider (a detached CMS over the exact body, in the
//! `Qoltanba-Signature` header, base64), and retried until the portal answers 2xx.
//!
//! Nothing is lost between a change and its notification: the registry writes the change's event in the change's
//! own transaction (`application_event`), and this sender walks that feed from a cursor it moves only past what
//! the portal acknowledged. Delivery is at least once — a notification may arrive twice (a crash after the POST,
//! before the cursor moved), so the portal de-duplicates by `Qoltanba-Event-Id`. One failing notification holds
//! back the ones after it, so the portal never sees a later state before an earlier one; the sender waits longer
//! after each failure (1 s doubling to 5 minutes) and starts again at once after a success.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::registry::{ApplicationEvent, Registry, RegistryError};
use crate::service::Offices;

/// The feed's name in the registry's cursors.
const FEED: &str = "webhook";
/// Notifications sent in one run at most.
const BATCH: usize = 100;
/// The longest wait after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Why a run stopped before the feed's end.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The portal did not take the notification (transport failure, timeout, or an answer other than 2xx).
    #[error("event {event}: {reason}")]
    Refused {
        /// The event not delivered.
        event: i64,
        /// What went wrong.
        reason: String,
    },
    /// The provider's key could not sign the notification.
    #[error("event {0}: signing failed: {1}")]
    Sign(i64, String),
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

struct Backoff {
    failures: u32,
    not_before: Option<Instant>,
}

/// The webhook sender of a node.
pub struct Webhook {
    url: String,
    agent: ureq::Agent,
    backoff: Mutex<Backoff>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// A sender to `url` (`http://` or `https://`), each POST bounded by `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Webhook, String> {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) || url.len() > 2000 {
            return Err(format!("{url:?}: an http:// or https:// URL"));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent("qoltanba-webhook")
            .build()
            .into();
        Ok(Webhook {
            url: url.to_string(),
            agent,
            backoff: Mutex::new(Backoff {
                failures: 0,
                not_before: None,
            }),
        })
    }

    /// The notification of `event`: `{"event", "id", "application": {"id", "number", "service", "provider",
    /// "status", "at", "document"?}}`.
    pub fn body(event: &ApplicationEvent, offices: &Offices) -> Vec<u8> {
        let provider = offices
            .get(&event.provider)
            .map_or(event.provider.as_str(), |o| o.id.as_str());
        let mut application = serde_json::json!({
            "id": event.application.0,
            "number": event.number,
            "service": event.service,
            "provider": provider,
            "status": event.status,
            "at": event.at,
        });
        if let Some(d) = &event.document {
            application["document"] = serde_json::json!(d);
        }
        serde_json::json!({"event": "application.status", "id": event.id, "application": application})
            .to_string()
            .into_bytes()
    }

    /// Sends what is due, in order, unless a recent failure says to wait; returns how many the portal took. Stops
    /// at the first refusal (retried on a later run).
    pub fn deliver(
        &self,
        registry: &dyn Registry,
        offices: &Offices,
        now: i64,
    ) -> Result<usize, WebhookError> {
        if self.lock().not_before.is_some_and(|t| Instant::now() < t) {
            return Ok(0);
        }
        let cursor = registry.delivery_cursor(FEED)?;
        let events = registry.application_events(cursor, BATCH)?;
        let mut sent = 0;
        for event in &events {
            match self.send(event, offices, now) {
                Ok(()) => {
                    registry.set_delivery_cursor(FEED, event.id)?;
                    sent += 1;
                }
                Err(e) => {
                    let mut b = self.lock();
                    b.failures = b.failures.saturating_add(1);
                    let wait = Duration::from_secs(1)
                        .saturating_mul(1 << b.failures.min(9))
                        .min(MAX_BACKOFF);
                    b.not_before = Some(Instant::now() + wait);
                    tracing::warn!(url = %self.url, error = %e, retry_in_secs = wait.as_secs(), "webhook not delivered");
                    return Err(e);
                }
            }
        }
        let mut b = self.lock();
        b.failures = 0;
        b.not_before = None;
        Ok(sent)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Backoff> {
        match self.backoff.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn send(
        &self,
        event: &ApplicationEvent,
        offices: &Offices,
        now: i64,
    ) -> Result<(), WebhookError> {
        let body = Webhook::body(event, offices);
        let office = offices.get(&event.provider).unwrap_or(offices.first());
        let signature = office
            .signer
            .sign(&body, true, now)
            .map_err(|e| WebhookError::Sign(event.id, e.to_string()))?;
        let refused = |reason: String| WebhookError::Refused {
            event: event.id,
            reason,
        };
        let response = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Qoltanba-Event-Id", event.id.to_string())
            .header(
                "Qoltanba-Signature",
                base64::engine::general_purpose::STANDARD.encode(signature),
            )
            .send(&body[..])
            .map_err(|e| refused(e.to_string()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(refused(format!("HTTP {status}")))
        }
    }
}
