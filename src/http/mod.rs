//! The HTTP layer (ARCHITECTURE.md): a thin axum shell over the core's verifiers and the service's
//! workflow. Requests are JSON with base64 for binary data; answers are the verification reports of README, "Reports";
//! bad input is an RFC 9457 problem document with a stable code.
//!
//! Nothing here blocks an async worker: callers are recognised from an in-memory token map ([`auth`]), and every
//! verification, rendering or registry call runs on a bounded pool of job threads of its own ([`limits`]), with
//! a deadline that cancels the work. Public routes get a smaller body limit and their own job
//! pool; connections and the bytes of bodies being received are limited too.

mod applications;
mod attachments;
pub(crate) mod auth;
mod documents;
mod extract;
mod idempotency;
pub(crate) mod limits;
mod ncanode;
mod openapi;
mod page;
pub(crate) mod problem;
mod sched;
mod services;
pub(crate) mod verify;
mod views;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;

use crate::cms::CmsSigner;
use crate::pki::TrustStore;
use crate::registry::{Registry, RegistryError};
pub(crate) use crate::service::Node;
pub(crate) use crate::service::ServeOptions;
pub(crate) use limits::Limits;
pub(crate) use limits::{Gates, Pool};
pub(crate) use problem::Problem;

/// What every handler shares: the service, loaded once at start, and the gates that bound its use.
#[derive(Clone)]
pub struct AppState {
    /// The node: trust, registry, signer, provider. Behind one `Arc`: axum clones the state for every request, and
    /// a `Node` is fifteen `Arc`s (their clones and drops showed in the profile of `/v1/verify/cms`, issue 21).
    pub node: Arc<Node>,
    /// Job pools, body budget and the shutdown flag.
    pub gates: Arc<Gates>,
}

impl AppState {
    /// [`Node::new`] with default limits.
    pub fn new(
        store: TrustStore,
        registry: Arc<dyn Registry>,
        signer: CmsSigner,
    ) -> Result<Self, RegistryError> {
        Ok(AppState::with(
            Node::new(store, registry, signer)?,
            Limits::default(),
        ))
    }

    /// A service behind `limits`.
    pub fn with(node: Node, limits: Limits) -> Self {
        AppState {
            node: Arc::new(node),
            gates: Arc::new(Gates::new(limits)),
        }
    }

    /// The same state with other limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.gates = Arc::new(Gates::new(limits));
        self
    }
}

/// Handlers reach the service's parts directly (`state.store`, `state.registry`).
impl std::ops::Deref for AppState {
    type Target = Node;
    fn deref(&self) -> &Node {
        &self.node
    }
}

/// Changing a part (tests, the CLI's setup) copies the node first if a clone of the state shares it.
impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Node {
        Arc::make_mut(&mut self.node)
    }
}

/// Why the service stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Runtime: …
    #[error("runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// Listen `addr`: `source`.
    #[error("listen {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why binding failed.
        #[source]
        source: std::io::Error,
    },
    /// Server: …
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
}

/// Serves `node` as `config` says (listen address, limits, timeouts) until SIGINT or SIGTERM, on a runtime of
/// its own; `listening` is told the address once it accepts connections. Running jobs are cancelled at the signal
/// and connections get the grace period; a job that has not yet noticed its cancellation gets half a second more,
/// then this returns anyway.
pub fn run(
    node: Node,
    config: &crate::service::config::ServiceConfig,
    listening: impl FnOnce(std::net::SocketAddr),
) -> Result<(), RunError> {
    // The CRL refresher: lists cached by an earlier run first (a restart works offline until their
    // nextUpdate), then a thread that keeps them fresh until this returns.
    let _refresher = node.revocation.crls.clone().map(|crls| {
        let loaded = crls.load_cache(crate::clock::UnixTime::now());
        tracing::info!(
            sources = crls.sources().len(),
            loaded,
            "CRL refresher starting"
        );
        crls.spawn()
    });
    // Applications waiting for revocation data are verified again on a schedule, and those whose fee window
    // passed are refused ("term expired").
    let _reverifier = {
        let node = node.clone();
        let every = node.revocation.reverify_every;
        crate::service::background::Background::spawn("qoltanba-reverify", move || {
            let now = crate::clock::UnixTime::now().secs();
            if let Err(e) =
                crate::service::workflow::reverify_pending(node.context(), "qoltanba", now)
            {
                tracing::warn!(error = %e, "pending applications could not be verified again");
            }
            if let Err(e) = crate::service::workflow::expire_unpaid(node.context(), "qoltanba", now)
            {
                tracing::warn!(error = %e, "unpaid applications could not be refused");
            }
            match node.registry.settle_reservations(
                false,
                crate::clock::UnixTime::from_secs(
                    now - crate::service::start::ABANDONED_AFTER_SECS,
                ),
                crate::clock::UnixTime::from_secs(now),
            ) {
                Ok(0) => {}
                Ok(settled) => tracing::warn!(settled, "abandoned number reservations settled"),
                Err(e) => tracing::warn!(error = %e, "number reservations could not be settled"),
            }
            let swept = node.attachments.sweep(std::time::SystemTime::now());
            if swept > 0 {
                tracing::info!(swept, "unclaimed attachments removed");
            }
            every
        })
    };
    // Tokens added or revoked elsewhere — by another node on the same database, or `qoltanba revoke-token` — are
    // seen within this period: the map requests are checked against is read again from the registry.
    let _tokens = {
        let node = node.clone();
        crate::service::background::Background::spawn("qoltanba-tokens", move || {
            if let Err(e) = node.tokens.reload(node.registry.as_ref()) {
                tracing::warn!(error = %e, "tokens could not be read again");
            }
            crate::service::tokens::REFRESH
        })
    };
    // The portal's webhook: what changed is sent as soon as it is stored (polled every second), in order.
    let _webhook = node.webhook.clone().map(|webhook| {
        let node = node.clone();
        crate::service::background::Background::spawn("qoltanba-webhook", move || {
            let now = crate::clock::UnixTime::now().secs();
            if let Ok(sent @ 1..) = webhook.deliver(node.registry.as_ref(), &node.offices, now) {
                tracing::debug!(sent, "webhook notifications delivered");
            }
            std::time::Duration::from_secs(1)
        })
    });
    let state = AppState::with(node, config.limits.clone());
    let listen = config.listen;
    let ncanode_listen = config.ncanode_listen;
    let options = config.serve;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.limits.io_threads)
        .thread_name("qoltanba-io")
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    let served = runtime.block_on(async move {
        let listener = bind(listen).map_err(|source| RunError::Listen {
            addr: listen,
            source,
        })?;
        tracing::info!(%listen, demo = state.demo, "listening");
        // One signal stops every listener.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let ncanode = match ncanode_listen {
            Some(addr) => {
                let l = bind(addr).map_err(|source| RunError::Listen { addr, source })?;
                tracing::info!(%addr, "NCANode's API listening");
                Some(tokio::spawn(serve_ncanode(
                    l,
                    state.clone(),
                    options,
                    until(stopped.clone()),
                )))
            }
            None => None,
        };
        listening(listen);
        let served = serve_with(listener, state, options, until(stopped))
            .await
            .map_err(RunError::Serve);
        if let Some(task) = ncanode {
            let _ = task.await;
        }
        served
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    served
}

/// How many connections the kernel may queue before the accept loop takes them (the kernel clamps it to
/// `net.core.somaxconn`). tokio's `TcpListener::bind` asks for 128, as the standard library does; a burst of a few
/// hundred clients overflows that, and the kernel then drops SYNs, which clients resend only after a second — a
/// `/health` probe caught in such a burst took 1 s in the flood test. Connections beyond
/// `limits.max_connections` wait here too.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` with address reuse and [`LISTEN_BACKLOG`].
fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `router(state)` on `listener` until SIGINT or SIGTERM, then lets requests in flight finish.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(listener, state, ServeOptions::default(), shutdown_signal()).await
}

/// Serves HTTP/1.1 with `options` until `shutdown` completes. Each connection is served by hyper directly
/// (axum's own `serve` has no header timeout). At shutdown every running job is cancelled, and requests in flight
/// get the grace period to answer.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let gates = state.gates.clone();
    serve_app(listener, router(state), gates, options, shutdown).await
}

/// NCANode's API alone, at NCANode's own paths (`/cms/verify`, …), on a listener of its own: what a portal
/// configured for NCANode's port calls unchanged.
pub async fn serve_ncanode(
    listener: tokio::net::TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let gates = state.gates.clone();
    let limit = gates.limits.public_body_limit;
    let budget = gates.clone();
    let app = ncanode::routes(state.clone())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(move |r, n| {
            limits::body_budget(budget.clone(), limit, r, n)
        }))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state);
    serve_app(listener, app, gates, options, shutdown).await
}

async fn serve_app(
    listener: tokio::net::TcpListener,
    app: Router,
    gates: Arc<limits::Gates>,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let deadline = options.request_deadline;
    let connections = Arc::new(tokio::sync::Semaphore::new(
        gates.limits.max_connections.max(1),
    ));
    let app = app.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(deadline, next.run(request)).await {
                Ok(response) => response,
                Err(_) => Problem::request_timeout().into_response(),
            }
        },
    ));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // At the connection limit, further connections wait in the listen backlog.
        let slot = tokio::select! {
            slot = connections.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Running out of file descriptors must not end the service: wait and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(options.header_read_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    // Work still running stops at its next check; its callers get TIMEOUT, and registry transactions roll back.
    gates.shutdown.cancel();
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the grace period were cut");
    }
    Ok(())
}

/// Completes at SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing requests in flight");
}

/// The service's routes: public ones (verification, status, the auditors' page) with the public body limit and job
/// pool, and those that need a token with the larger limit.
pub(crate) fn router(state: AppState) -> Router {
    let gates = state.gates.clone();
    let public_limit = gates.limits.public_body_limit;
    let private_limit = gates.limits.body_limit;
    let (g1, g2, g3) = (gates.clone(), gates.clone(), gates);
    // What needs no body and no work: never behind a budget.
    let static_routes = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/verify", get(page::html))
        .route("/verify/app.js", get(page::script))
        .route("/verify/jsqr.js", get(page::jsqr))
        .route("/verify/style.css", get(page::style))
        .route("/openapi.json", get(|| async { Json(openapi::document()) }));
    let public = Router::new()
        .route("/v1/verify/certificate", post(verify::certificate))
        .route("/v1/verify/cms", post(verify::cms))
        .route("/v1/verify/xml", post(verify::xml))
        .route("/v1/verify/wsse", post(verify::wsse))
        .route("/v1/auth/challenge", post(verify::challenge))
        .route("/v1/auth/verify", post(verify::login))
        .route("/v1/verify/seal", post(verify::seal))
        .route("/v1/verify/document", post(verify::document))
        .route("/v1/verify/pdf", post(verify::pdf))
        .route("/v1/verify/pdf/report", post(verify::pdf_report))
        .route(
            "/v1/documents/by-number/{number}/status",
            get(documents::status),
        )
        .layer(axum::middleware::from_fn(move |r, n| {
            limits::body_budget(g1.clone(), public_limit, r, n)
        }))
        .layer(DefaultBodyLimit::max(public_limit));
    let private = Router::new()
        .route("/v1/sign/cms", post(verify::sign_cms))
        .route("/v1/sign/xml", post(verify::sign_xml))
        .route("/v1/sign/wsse", post(verify::sign_wsse))
        .route("/v1/documents", post(documents::issue))
        .route("/v1/documents/{id}", get(documents::get))
        .route("/v1/documents/{id}/pdf", get(documents::pdf))
        .route("/v1/documents/{id}/{action}", post(documents::lifecycle))
        .route(
            "/v1/applications",
            post(applications::submit).get(applications::list),
        )
        .route("/v1/applications/{id}", get(applications::get))
        .route(
            "/v1/applications/{id}/attachments/{n}",
            get(attachments::download),
        )
        .route("/v1/applications/{id}/payment", post(applications::payment))
        .route(
            "/v1/applications/{id}/steps/{step}",
            post(applications::step),
        )
        .route("/v1/services", get(services::list))
        .route("/v1/services/{id}", get(services::get))
        .route(
            "/v1/applications/{id}/decision",
            post(applications::decision),
        )
        .layer(axum::middleware::from_fn(move |r, n| {
            limits::body_budget(g2.clone(), private_limit, r, n)
        }))
        .layer(DefaultBodyLimit::max(private_limit));
    // Uploads stream to the attachment store: no body limit of the JSON routes, no body budget (nothing is held
    // in memory); the store's own limit refuses a file the moment it passes it.
    let uploads = Router::new()
        .route("/v1/attachments", post(attachments::upload))
        .layer(DefaultBodyLimit::disable());
    // Batches: many verifications in one request, with the authenticated callers' larger body limit (1 000 CMS in
    // base64 pass the public one), still open to anyone like the single endpoints.
    let (g4, batch_limit) = (g3.clone(), private_limit);
    let batch = Router::new()
        .route("/v1/verify/batch", post(verify::batch))
        .layer(axum::middleware::from_fn(move |r, n| {
            limits::body_budget(g4.clone(), batch_limit, r, n)
        }))
        .layer(DefaultBodyLimit::max(batch_limit));
    // NCANode's v3 API, for portals that switch by changing a URL: verification, with the public limits.
    let ncanode_limit = public_limit;
    let ncanode = Router::new()
        .nest("/ncanode", ncanode::routes(state.clone()))
        .layer(axum::middleware::from_fn(move |r, n| {
            limits::body_budget(g3.clone(), ncanode_limit, r, n)
        }))
        .layer(DefaultBodyLimit::max(public_limit));
    static_routes
        .merge(public)
        .merge(private)
        .merge(uploads)
        .merge(batch)
        .merge(ncanode)
        .fallback(not_found)
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Json<views::Health> {
    let revocation = state.revocation.health(crate::clock::UnixTime::now());
    let ocsp = state.revocation.responders();
    let degraded = revocation
        .iter()
        .any(|s| s.state != crate::service::crls::Freshness::Fresh || s.last_error.is_some())
        || ocsp.iter().any(|r| r.last_error.is_some());
    Json(views::Health {
        status: if degraded {
            views::HealthStatus::Degraded
        } else {
            views::HealthStatus::Ok
        },
        demo: state.demo,
        revocation,
        ocsp,
    })
}

async fn metrics(State(state): State<AppState>) -> axum::response::Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.revocation.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Problem {
    let mut p = Problem::not_found();
    p.detail = "no such route".into();
    p
}

fn now() -> i64 {
    crate::clock::UnixTime::now().secs()
}

/// A base64 field of a request, decoded in the job that uses it (never on an I/O thread: [`limits::in_job`]).
fn b64(field: &str, value: &str) -> Result<Vec<u8>, Problem> {
    debug_assert!(limits::in_job(), "{field} decoded on an I/O thread");
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|e| Problem::malformed(format!("{field}: not base64 ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slow_work_is_cancelled_and_answers_a_problem() {
        let gates = Gates::new(Limits {
            job_timeout: std::time::Duration::from_millis(50),
            jobs: 1,
            ..Limits::default()
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let slow = gates
            .run(Pool::Private, move |cancel| {
                // Cooperative work: it stops when its deadline passes.
                while !cancel.is_cancelled() {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                let _ = tx.send(());
                Ok(())
            })
            .await;
        assert_eq!(slow.map_err(|p| p.code), Err(problem::ProblemCode::Timeout));
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("the abandoned job saw its cancellation and ended");
        // Its slot is free again.
        let quick = gates.run(Pool::Private, |_| Ok(7)).await;
        assert_eq!(quick.map_err(|p| p.code), Ok(7));
    }

    #[tokio::test]
    async fn a_full_pool_refuses_instead_of_queueing_forever() {
        let gates = Arc::new(Gates::new(Limits {
            public_jobs: 1,
            queue: 1,
            queue_wait: std::time::Duration::from_millis(100),
            ..Limits::default()
        }));
        let (hold, release) = std::sync::mpsc::channel::<()>();
        let g = gates.clone();
        let busy = tokio::spawn(async move {
            g.run(Pool::Public, move |_| {
                let _ = release.recv_timeout(std::time::Duration::from_secs(5));
                Ok(())
            })
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let waited = gates.run(Pool::Public, |_| Ok(())).await;
        assert_eq!(waited.map_err(|p| p.code), Err(problem::ProblemCode::Busy));
        // The private pool is not affected by the public one being full.
        assert!(gates.run(Pool::Private, |_| Ok(())).await.is_ok());
        drop(hold);
        assert!(busy.await.expect("join").is_ok());
    }
}
