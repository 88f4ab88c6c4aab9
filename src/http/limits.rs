//! What the service lets requests use: connections, request bodies (per request and in flight together), and the
//! blocking work behind them — each kind of work in its own bounded pool, so a flood of one kind queues or is
//! refused with `503 BUSY` instead of taking every thread, and unauthenticated callers can never starve the
//! portals and operators. Every piece of blocking work carries a [`Cancel`] that its deadline and the shutdown
//! set, so work nobody waits for any more stops.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::Problem;
use crate::cancel::Cancel;
pub(crate) use crate::service::Limits;

/// Which pool a job runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Verification for anyone (no token).
    Public,
    /// Work of a caller holding a token.
    Private,
}

struct JobPool {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
}

/// The service's shared gates: job pools and the in-flight body budget.
pub struct Gates {
    /// The limits the gates enforce.
    pub limits: Limits,
    public: JobPool,
    private: JobPool,
    body_bytes: Arc<Semaphore>,
    /// Set at shutdown: every running job sees it.
    pub shutdown: Cancel,
}

impl Gates {
    /// Gates with `limits`, all open.
    pub fn new(limits: Limits) -> Gates {
        let pool = |n: usize| JobPool {
            slots: Arc::new(Semaphore::new(n.max(1))),
            waiting: AtomicUsize::new(0),
        };
        Gates {
            public: pool(limits.public_jobs),
            private: pool(limits.jobs),
            body_bytes: Arc::new(Semaphore::new(
                limits.inflight_body_bytes.min(Semaphore::MAX_PERMITS),
            )),
            shutdown: Cancel::new(),
            limits,
        }
    }

    /// Runs `job` on tokio's blocking pool once `pool` has a slot, within the job timeout. The job gets a
    /// [`Cancel`] that is set when its timeout passes or the service stops; its slot stays taken until it has
    /// really ended.
    pub async fn run<T: Send + 'static>(
        &self,
        pool: Pool,
        job: impl FnOnce(&Cancel) -> Result<T, Problem> + Send + 'static,
    ) -> Result<T, Problem> {
        let p = match pool {
            Pool::Public => &self.public,
            Pool::Private => &self.private,
        };
        if p.waiting.fetch_add(1, Ordering::AcqRel) >= self.limits.queue {
            p.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Problem::busy("too many requests are waiting for a worker"));
        }
        let permit =
            tokio::time::timeout(self.limits.queue_wait, p.slots.clone().acquire_owned()).await;
        p.waiting.fetch_sub(1, Ordering::AcqRel);
        let permit = match permit {
            Ok(Ok(permit)) => permit,
            _ => return Err(Problem::busy("every worker is busy")),
        };
        let cancel = Cancel::new();
        let job_cancel = cancel.and(&self.shutdown);
        let handle = tokio::task::spawn_blocking(move || {
            let result = job(&job_cancel);
            drop(permit);
            result
        });
        match tokio::time::timeout(self.limits.job_timeout, handle).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(Problem::internal()),
            Err(_) => {
                cancel.cancel();
                Err(Problem::timeout())
            }
        }
    }

    /// Reserves room for a request's body in the in-flight budget: its declared length, the route's whole limit for
    /// a chunked body, nothing for a request without a body. `None` when the budget is spent.
    fn reserve(
        &self,
        request: &Request,
        limit: usize,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        // HTTP/1.1 (RFC 9112 §6.3): a request with neither Content-Length nor Transfer-Encoding has no body, as
        // most clients send a GET; only a chunked body of unknown length reserves the route's whole limit.
        let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
        let bytes = match declared {
            Some(n) => n.min(limit),
            None if chunked => limit,
            None => 0,
        };
        if bytes == 0 {
            return self.body_bytes.clone().try_acquire_many_owned(0).ok();
        }
        let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
        self.body_bytes.clone().try_acquire_many_owned(bytes).ok()
    }
}

/// Middleware: a body declared larger than the route's limit is refused at once (`413`), unread; any other request
/// holds its share of the in-flight body budget until its answer is ready, and when the budget is spent it is
/// refused at once (`503 BUSY`) rather than buffered.
pub(crate) async fn body_budget(
    gates: Arc<Gates>,
    limit: usize,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > limit as u64) {
        return Problem::payload_too_large(format!(
            "the body is {n} bytes; this route accepts at most {limit}"
        ))
        .into_response();
    }
    let Some(permit) = gates.reserve(&request, limit) else {
        return Problem::busy("too many request bodies are being received").into_response();
    };
    let response = next.run(request).await;
    drop(permit);
    response
}

/// Maps `f` over `items` on every core from inside one blocking job (a batch's items), the results in the items'
/// order. Once `cancel` is set, the items not started yet get `stopped()` instead: the job's deadline bounds the
/// whole batch.
pub(crate) fn parallel_map<T: Send, R: Send>(
    items: Vec<T>,
    cancel: &Cancel,
    f: impl Fn(T) -> R + Sync,
    stopped: impl Fn() -> R + Sync,
) -> Vec<R> {
    let slots: Vec<std::sync::Mutex<Option<T>>> = items
        .into_iter()
        .map(|i| std::sync::Mutex::new(Some(i)))
        .collect();
    let out: Vec<std::sync::Mutex<Option<R>>> = (0..slots.len())
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(slots.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let (Some(slot), Some(o)) = (slots.get(i), out.get(i)) else {
                    break;
                };
                let item = slot.lock().ok().and_then(|mut s| s.take());
                let result = match item {
                    _ if cancel.check().is_err() => stopped(),
                    Some(item) => f(item),
                    None => stopped(),
                };
                if let Ok(mut o) = o.lock() {
                    *o = Some(result);
                }
            });
        }
    });
    out.into_iter()
        .map(|m| m.into_inner().ok().flatten().unwrap_or_else(&stopped))
        .collect()
}
