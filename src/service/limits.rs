//! What the service lets its callers use, as the configuration states it (`[limits]`): plain values with
//! sane defaults. The HTTP layer enforces them.

use std::time::Duration;

/// The limits, all configurable (`[limits]` in the configuration file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Threads of the async runtime that read requests and write answers (the jobs have threads of their own).
    pub io_threads: usize,
    /// Largest request body from an authenticated caller.
    pub body_limit: usize,
    /// Largest request body of the public (unauthenticated) routes: an issued document, base64-encoded, fits.
    pub public_body_limit: usize,
    /// Request body bytes being received at once, all requests together.
    pub inflight_body_bytes: usize,
    /// Blocking jobs (verification, rendering, registry) of authenticated callers at once.
    pub jobs: usize,
    /// Blocking jobs of the public routes at once.
    pub public_jobs: usize,
    /// Requests that may wait for a job slot, per pool; more are refused at once.
    pub queue: usize,
    /// The longest a request waits for a job slot.
    pub queue_wait: Duration,
    /// The longest one job may run: then it is cancelled and the caller gets `503 TIMEOUT`.
    pub job_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Limits {
            max_connections: 1024,
            // Half the cores: reading and answering a request is a few tens of microseconds beside the job's
            // hundreds, and every I/O thread more is one more to wake and to preempt. On 2 cores, one I/O thread
            // with the job threads as batch work took the server's CPU a `/v1/verify/cms` request from 161 to
            // 149 µs (medians of six alternating runs; `http::sched`).
            io_threads: (cores / 2).max(1),
            body_limit: 16 * 1024 * 1024,
            public_body_limit: 4 * 1024 * 1024,
            inflight_body_bytes: 256 * 1024 * 1024,
            jobs: (2 * cores).max(2),
            public_jobs: (2 * cores).max(2),
            queue: 256,
            queue_wait: Duration::from_secs(5),
            job_timeout: Duration::from_secs(30),
        }
    }
}

/// Limits on slow or idle clients.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// A client must send a request's whole header within this time, or the connection is closed (slowloris).
    pub header_read_timeout: Duration,
    /// A request must be read and answered within this time, or it gets `REQUEST_TIMEOUT` (408): bounds slow
    /// uploads. Longer than the job timeout, which bounds the work itself.
    pub request_deadline: Duration,
    /// After a shutdown signal, how long requests in flight may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            request_deadline: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}
