//! What the service lets requests use: connections, request bodies (per request and in flight together), and the
//! blocking work behind them — each kind of work in its own bounded pool, so a flood of one kind queues or is
//! refused with `503 BUSY` instead of taking every thread, and unauthenticated callers can never starve the
//! portals and operators. Every piece of blocking work carries a [`Cancel`] that its deadline and the shutdown
//! set, so work nobody waits for any more stops.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Instant;

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::Problem;
use crate::cancel::Cancel;
pub(crate) use crate::service::Limits;

thread_local! {
    /// Whether this thread runs jobs: a pool's worker, or one of [`parallel_map`]'s.
    static JOB_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread runs jobs. Request decoding asserts it in debug builds, so every test that sends a
/// request checks where its body is decoded: a body of megabytes decoded on an I/O thread stalls every other
/// connection that thread serves (one I/O thread for two cores by default).
pub(crate) fn in_job() -> bool {
    JOB_THREAD.with(std::cell::Cell::get)
}

fn mark_job_thread() {
    JOB_THREAD.with(|j| j.set(true));
}

/// Which pool a job runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Verification for anyone (no token).
    Public,
    /// Work of a caller holding a token.
    Private,
}

/// A pool of threads of its own that drain one queue, at most `threads` jobs computing at once: a thread that ends
/// a job takes the next one without sleeping, so under load a job costs no thread wake-up. (tokio's blocking pool
/// behind a semaphore did: each freed slot woke the waiting request's task, which then woke an idle pool thread —
/// 2.7 context switches a request, a quarter of the server's CPU on `/v1/verify/cms`, issue 21.) Threads start as
/// work arrives and end after a minute idle, or when the pool is dropped.
///
/// A job that waits for other threads rather than computing says so ([`crate::cancel::waiting`]: an issued
/// document waiting for the group commit that stores it), and its slot goes to the next job meanwhile, on another
/// thread: otherwise, with every slot's job waiting for one commit, a core sat idle while requests queued (11–14 %
/// of the machine idle issuing references with 32 clients, `/proc/stat`, 2026-12-03). At most
/// [`THREADS_PER_SLOT`] threads a slot, so waiting jobs are bounded too. Its threads run as batch work
/// ([`super::sched`]): a job woken does not preempt the I/O thread that queued it.
struct JobPool {
    shared: Arc<Shared>,
    /// Jobs queued and not yet started or given up: `limits.queue` bounds it.
    waiting: Arc<AtomicUsize>,
}

/// Most threads a pool runs for each of its slots: one computing, the others jobs waiting.
const THREADS_PER_SLOT: usize = 4;

struct Shared {
    state: Mutex<Queue>,
    available: Condvar,
    /// Jobs computing at once, at most.
    threads: usize,
    name: &'static str,
}

struct Queue {
    tasks: VecDeque<Task>,
    /// Threads waiting for a task.
    idle: usize,
    /// Threads started that have not yet looked at the queue: each will take a task without being woken.
    starting: usize,
    /// Threads alive.
    running: usize,
    /// Threads running a job that is not waiting: at most `threads`, but for a job whose wait just ended.
    busy: usize,
    closed: bool,
}

type Task = Box<dyn FnOnce() + Send>;

/// How long a thread waits for work before it ends.
const IDLE_THREAD: std::time::Duration = std::time::Duration::from_secs(60);

impl JobPool {
    fn new(threads: usize, name: &'static str) -> JobPool {
        JobPool {
            shared: Arc::new(Shared {
                state: Mutex::new(Queue {
                    tasks: VecDeque::new(),
                    idle: 0,
                    starting: 0,
                    running: 0,
                    busy: 0,
                    closed: false,
                }),
                available: Condvar::new(),
                threads: threads.max(1),
                name,
            }),
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Queues `task`, and gets a thread onto it if a slot is free.
    fn submit(&self, task: Task) {
        let mut q = lock(&self.shared.state);
        q.tasks.push_back(task);
        dispatch(&self.shared, q);
    }
}

/// Gets threads onto the queued tasks that free slots allow: wakes an idle thread if there are enough, or starts
/// one while under the thread limit (a failed start leaves the task to the threads already there, or to the
/// caller's queue wait). Threads still starting count as coming: without them, a burst of requests started a
/// thread for every request that arrived while the first ones were starting — up to the limit, 16 threads for 4
/// slots on `/v1/verify/cms`, each woken for a job in turn.
fn dispatch(shared: &Arc<Shared>, mut q: std::sync::MutexGuard<'_, Queue>) {
    let startable = shared.threads.saturating_sub(q.busy).min(q.tasks.len());
    if startable <= q.starting {
        return;
    }
    if startable <= q.idle + q.starting {
        drop(q);
        shared.available.notify_one();
    } else if q.running < shared.threads.saturating_mul(THREADS_PER_SLOT) {
        q.running += 1;
        q.starting += 1;
        drop(q);
        let pool = shared.clone();
        let started = std::thread::Builder::new()
            .name(format!("qoltanba-{}", shared.name))
            .spawn(move || worker(&pool));
        if let Err(e) = started {
            tracing::warn!(error = %e, "a job thread could not start");
            let mut q = lock(&shared.state);
            q.running -= 1;
            q.starting -= 1;
        }
    }
}

impl Drop for JobPool {
    fn drop(&mut self) {
        lock(&self.shared.state).closed = true;
        self.shared.available.notify_all();
    }
}

fn lock(m: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    // A task never runs under the lock, so a poisoned lock holds a consistent queue.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn worker(shared: &Arc<Shared>) {
    mark_job_thread();
    if let Err(e) = super::sched::as_batch() {
        tracing::debug!(error = %e, "a job thread keeps the default scheduling policy");
    }
    // A job on this thread that starts waiting gives its slot to the next task; when the wait ends it computes
    // again (the pool is over its bound until it finishes: no job is stopped in the middle).
    let pool = shared.clone();
    crate::cancel::set_wait_hook(Some(Arc::new(move |starts: bool| {
        let mut q = lock(&pool.state);
        if starts {
            q.busy = q.busy.saturating_sub(1);
            dispatch(&pool, q);
        } else {
            q.busy += 1;
        }
    })));
    let mut q = lock(&shared.state);
    q.starting -= 1;
    loop {
        if q.busy < shared.threads {
            if let Some(task) = q.tasks.pop_front() {
                q.busy += 1;
                drop(q);
                // A panicking job ends its own task (its caller sees the answer channel closed), not the thread.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task));
                q = lock(&shared.state);
                q.busy -= 1;
                continue;
            }
        }
        if q.closed {
            break;
        }
        q.idle += 1;
        let (next, timeout) = shared
            .available
            .wait_timeout(q, IDLE_THREAD)
            .unwrap_or_else(|e| e.into_inner());
        q = next;
        q.idle -= 1;
        if timeout.timed_out() && q.tasks.is_empty() {
            break;
        }
    }
    q.running -= 1;
    drop(q);
    crate::cancel::set_wait_hook(None);
}

/// Where a queued job stands, shared by the caller (who may give up on it) and the thread that runs it.
struct Ticket {
    phase: AtomicU8,
    started: OnceLock<Instant>,
}

const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const ABANDONED: u8 = 2;

impl Ticket {
    /// When the job started, if it has.
    fn started(&self) -> Option<Instant> {
        if self.phase.load(Ordering::Acquire) == RUNNING {
            self.started.get().copied()
        } else {
            None
        }
    }
}

/// The caller's hold on a queued job: dropping it (the caller gave up, or its request went away) takes the job off
/// the queue if it has not started. A started job runs to its end (or its cancel).
struct Waiter {
    ticket: Arc<Ticket>,
    waiting: Arc<AtomicUsize>,
}

impl Waiter {
    /// Gives the job up if it is still queued; whether it was.
    fn abandon(&self) -> bool {
        let given_up = self
            .ticket
            .phase
            .compare_exchange(QUEUED, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if given_up {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
        }
        given_up
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.abandon();
    }
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
        Gates {
            public: JobPool::new(limits.public_jobs, "public-job"),
            private: JobPool::new(limits.jobs, "job"),
            body_bytes: Arc::new(Semaphore::new(
                limits.inflight_body_bytes.min(Semaphore::MAX_PERMITS),
            )),
            shutdown: Cancel::new(),
            limits,
        }
    }

    /// Runs `job` on `pool`'s threads once one is free, within the job timeout. The job gets a [`Cancel`] that is
    /// set when its timeout passes or the service stops; its thread stays taken until it has really ended. A job
    /// still queued after `limits.queue_wait` is given up (`503 BUSY`) and never runs; so is one whose caller went
    /// away while it was queued.
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
        let queued_at = Instant::now();
        let waiter = Waiter {
            ticket: Arc::new(Ticket {
                phase: AtomicU8::new(QUEUED),
                started: OnceLock::new(),
            }),
            waiting: p.waiting.clone(),
        };
        let cancel = Cancel::new();
        let job_cancel = cancel.and(&self.shutdown);
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let (ticket, waiting) = (waiter.ticket.clone(), p.waiting.clone());
        p.submit(Box::new(move || {
            let _ = ticket.started.set(Instant::now());
            if ticket
                .phase
                .compare_exchange(QUEUED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                return; // its caller gave up waiting
            }
            waiting.fetch_sub(1, Ordering::AcqRel);
            let _ = tx.send(job(&job_cancel));
        }));
        let (queue_wait, job_timeout) = (self.limits.queue_wait, self.limits.job_timeout);
        loop {
            // Queued: wake at the queue deadline, or in one job timeout (the job cannot have run that long yet).
            // Running: wake at its own deadline.
            let now = Instant::now();
            let wake = match waiter.ticket.started() {
                Some(started) => started + job_timeout,
                None => (queued_at + queue_wait).min(now + job_timeout),
            };
            match tokio::time::timeout_at(wake.into(), &mut rx).await {
                Ok(Ok(result)) => return result,
                // The job panicked: its task ended without an answer.
                Ok(Err(_)) => return Err(Problem::internal()),
                Err(_) => {
                    let now = Instant::now();
                    match waiter.ticket.started() {
                        Some(started) if now >= started + job_timeout => {
                            cancel.cancel();
                            return Err(Problem::timeout());
                        }
                        None if now >= queued_at + queue_wait && waiter.abandon() => {
                            return Err(Problem::busy("every worker is busy"));
                        }
                        _ => {}
                    }
                }
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
                mark_job_thread();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::problem::ProblemCode;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    fn gates(jobs: usize, queue: usize, queue_wait_ms: u64, job_timeout_ms: u64) -> Arc<Gates> {
        Arc::new(Gates::new(Limits {
            public_jobs: jobs,
            queue,
            queue_wait: Duration::from_millis(queue_wait_ms),
            job_timeout: Duration::from_millis(job_timeout_ms),
            ..Limits::default()
        }))
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    /// A job that holds its thread for `ms`.
    fn hold(ms: u64) -> impl FnOnce(&Cancel) -> Result<u32, Problem> + Send + 'static {
        move |_| {
            std::thread::sleep(Duration::from_millis(ms));
            Ok(0)
        }
    }

    #[test]
    fn jobs_run_on_at_most_the_pools_threads_and_answer_their_callers() {
        let gates = gates(2, 256, 5_000, 30_000);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let answers = runtime().block_on(async {
            let calls: Vec<_> = (0..40u32)
                .map(|i| {
                    let (gates, running, most) = (gates.clone(), running.clone(), most.clone());
                    tokio::spawn(async move {
                        gates
                            .run(Pool::Public, move |_| {
                                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                                most.fetch_max(now, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(2));
                                running.fetch_sub(1, Ordering::SeqCst);
                                Ok(i * 2)
                            })
                            .await
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for c in calls {
                answers.push(c.await.expect("task").expect("answer"));
            }
            answers
        });
        assert_eq!(answers, (0..40).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 2, "two threads, both used");
    }

    /// A burst queued faster than threads start gets as many threads as slots, not one a job: the pool as it was
    /// started a thread for each job queued while the first were starting, up to `THREADS_PER_SLOT` a slot.
    #[test]
    fn a_burst_starts_no_more_threads_than_slots() {
        let pool = JobPool::new(2, "test-burst");
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..64u32 {
            let tx = tx.clone();
            pool.submit(Box::new(move || {
                std::thread::sleep(Duration::from_micros(200));
                let _ = tx.send(i);
            }));
        }
        let mut done: Vec<u32> = (0..64)
            .map(|_| rx.recv_timeout(Duration::from_secs(10)).expect("a job ran"))
            .collect();
        done.sort_unstable();
        assert_eq!(done, (0..64).collect::<Vec<_>>());
        assert_eq!(lock(&pool.shared.state).running, 2, "threads started");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn jobs_run_as_batch_work_and_their_callers_do_not() {
        let pool = JobPool::new(1, "test-batch");
        let ours = crate::http::sched::tests::policy();
        let (tx, rx) = std::sync::mpsc::channel();
        pool.submit(Box::new(move || {
            let _ = tx.send(crate::http::sched::tests::policy());
        }));
        let policy = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the job ran");
        assert_eq!(policy, libc::SCHED_BATCH as u32);
        assert_eq!(
            crate::http::sched::tests::policy(),
            ours,
            "the caller's thread"
        );
    }

    #[test]
    fn a_job_still_queued_after_the_queue_wait_is_refused_and_never_runs() {
        let gates = gates(1, 256, 100, 30_000);
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let (first, second) = runtime().block_on(async {
            let g = gates.clone();
            let first = tokio::spawn(async move { g.run(Pool::Public, hold(400)).await });
            tokio::time::sleep(Duration::from_millis(20)).await;
            let second = gates
                .run(Pool::Public, move |_| {
                    flag.store(true, Ordering::SeqCst);
                    Ok(1)
                })
                .await;
            (first.await.expect("task"), second)
        });
        assert!(first.is_ok());
        assert_eq!(second.expect_err("busy").code, ProblemCode::Busy);
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !ran.load(Ordering::SeqCst),
            "a job given up ran all the same"
        );
        assert_eq!(gates.public.waiting.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn past_the_queue_limit_a_job_is_refused_at_once() {
        let gates = gates(1, 1, 5_000, 30_000);
        let refused = runtime().block_on(async {
            let (a, b) = (gates.clone(), gates.clone());
            let first = tokio::spawn(async move { a.run(Pool::Public, hold(300)).await });
            tokio::time::sleep(Duration::from_millis(30)).await;
            let second = tokio::spawn(async move { b.run(Pool::Public, hold(1)).await });
            tokio::time::sleep(Duration::from_millis(30)).await;
            let started = Instant::now();
            let third = gates.run(Pool::Public, hold(1)).await;
            let waited = started.elapsed();
            assert!(first.await.expect("task").is_ok());
            assert!(second.await.expect("task").is_ok(), "the queued one runs");
            (third, waited)
        });
        assert_eq!(refused.0.expect_err("busy").code, ProblemCode::Busy);
        assert!(
            refused.1 < Duration::from_millis(250),
            "refused without waiting"
        );
    }

    #[test]
    fn a_job_past_its_timeout_is_answered_timeout_and_sees_its_cancel() {
        let gates = gates(1, 256, 5_000, 100);
        let saw = Arc::new(AtomicBool::new(false));
        let flag = saw.clone();
        let answer = runtime().block_on(gates.run(Pool::Public, move |cancel| {
            let until = Instant::now() + Duration::from_secs(5);
            while !cancel.is_cancelled() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            flag.store(cancel.is_cancelled(), Ordering::SeqCst);
            Ok(0u32)
        }));
        assert_eq!(answer.expect_err("timeout").code, ProblemCode::Timeout);
        std::thread::sleep(Duration::from_millis(100));
        assert!(saw.load(Ordering::SeqCst), "the job was not told to stop");
    }

    #[test]
    fn a_panicking_job_is_an_internal_error_and_its_thread_goes_on() {
        let gates = gates(1, 256, 5_000, 30_000);
        let rt = runtime();
        let failed = rt.block_on(gates.run(Pool::Public, |_| -> Result<u32, Problem> {
            panic!("a bug in a job")
        }));
        assert_eq!(failed.expect_err("internal").code, ProblemCode::Internal);
        assert_eq!(
            rt.block_on(gates.run(Pool::Public, |_| Ok(7)))
                .expect("runs"),
            7
        );
    }

    /// One slot: a job that waits (for another job, here) gives the slot to the next, which runs meanwhile — on the
    /// pool as it was, the first held the only thread and timed out.
    #[test]
    fn a_job_that_waits_gives_its_slot_to_the_next() {
        let gates = gates(1, 256, 5_000, 30_000);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (first, second) = runtime().block_on(async {
            let g = gates.clone();
            let first = tokio::spawn(async move {
                g.run(Pool::Public, move |_| {
                    Ok(crate::cancel::waiting(|| rx.recv_timeout(Duration::from_secs(5))).is_ok())
                })
                .await
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
            let second = gates
                .run(Pool::Public, move |_| Ok(tx.send(()).is_ok()))
                .await;
            (first.await.expect("task"), second)
        });
        assert!(second.expect("the second ran"));
        assert!(first.expect("the first ran"), "the first job's wait ended");
    }

    /// One slot and jobs that compute, wait, compute: the computing before a wait never overlaps another job's,
    /// waits do overlap, and no more than `THREADS_PER_SLOT` jobs are under way at once.
    #[test]
    fn waiting_jobs_overlap_but_computing_stays_within_the_slots() {
        let gates = gates(1, 256, 10_000, 30_000);
        let computing = Arc::new(AtomicUsize::new(0));
        let most_computing = Arc::new(AtomicUsize::new(0));
        let inside = Arc::new(AtomicUsize::new(0));
        let most_inside = Arc::new(AtomicUsize::new(0));
        runtime().block_on(async {
            let calls: Vec<_> = (0..12)
                .map(|_| {
                    let gates = gates.clone();
                    let (c, mc, i, mi) = (
                        computing.clone(),
                        most_computing.clone(),
                        inside.clone(),
                        most_inside.clone(),
                    );
                    tokio::spawn(async move {
                        gates
                            .run(Pool::Public, move |_| {
                                mi.fetch_max(
                                    i.fetch_add(1, Ordering::SeqCst) + 1,
                                    Ordering::SeqCst,
                                );
                                mc.fetch_max(
                                    c.fetch_add(1, Ordering::SeqCst) + 1,
                                    Ordering::SeqCst,
                                );
                                std::thread::sleep(Duration::from_millis(3));
                                c.fetch_sub(1, Ordering::SeqCst);
                                crate::cancel::waiting(|| {
                                    std::thread::sleep(Duration::from_millis(40))
                                });
                                i.fetch_sub(1, Ordering::SeqCst);
                                Ok(())
                            })
                            .await
                    })
                })
                .collect();
            for c in calls {
                c.await.expect("task").expect("answer");
            }
        });
        assert_eq!(most_computing.load(Ordering::SeqCst), 1, "one slot");
        let most = most_inside.load(Ordering::SeqCst);
        assert!(
            (2..=THREADS_PER_SLOT).contains(&most),
            "{most} jobs under way at once"
        );
    }
}
