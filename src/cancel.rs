//! Cooperative cancellation. The core never reads a clock to decide when to stop: its caller (the HTTP layer's
//! deadline timer, the shutdown signal) sets a flag, and the long loops of verification and rendering check it
//! and stop with an error, leaving nothing half-written (registry transactions roll back).
//!
//! And the other half of how long work cooperates with the pool it runs on: [`waiting`] marks a stretch where the
//! work waits for other threads rather than computing (an issued document waiting for the group commit that
//! stores it), so that the pool — which bounds the jobs computing at once to the cores — can run another job
//! meanwhile instead of leaving a core idle. The pool installs its hook on its own threads
//! ([`set_wait_hook`]); elsewhere (CLI, tests, benchmarks) `waiting` just runs the wait.

#![warn(missing_docs)]

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What a pool is told when work on one of its threads starts (`true`) and stops (`false`) waiting.
pub(crate) type WaitHook = Arc<dyn Fn(bool) + Send + Sync>;

thread_local! {
    static WAIT_HOOK: RefCell<Option<WaitHook>> = const { RefCell::new(None) };
}

/// Installs (or with `None` removes) the hook [`waiting`] calls on this thread.
pub(crate) fn set_wait_hook(hook: Option<WaitHook>) {
    WAIT_HOOK.with(|h| *h.borrow_mut() = hook);
}

/// Runs `wait` — a blocking wait for other threads, not computation — with this thread's pool told about it, so
/// the pool may start another job meanwhile. The pool is told the wait ended even if `wait` panics.
pub(crate) fn waiting<R>(wait: impl FnOnce() -> R) -> R {
    struct Ended(Option<WaitHook>);
    impl Drop for Ended {
        fn drop(&mut self) {
            if let Some(hook) = &self.0 {
                hook(false);
            }
        }
    }
    let hook = WAIT_HOOK.with(|h| h.borrow().clone());
    if let Some(hook) = &hook {
        hook(true);
    }
    let _ended = Ended(hook);
    wait()
}

/// A set of flags; the work is cancelled when any of them is set. Cloning shares the flags.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flags: Vec<Arc<AtomicBool>>,
}

/// The work was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the work was cancelled (its deadline passed or the service is stopping)")]
pub struct Cancelled;

impl Cancel {
    /// A flag nobody sets: the work runs to its end (CLI, tests, benchmarks).
    pub fn never() -> Cancel {
        Cancel::default()
    }

    /// A new flag, not set.
    pub fn new() -> Cancel {
        Cancel {
            flags: vec![Arc::new(AtomicBool::new(false))],
        }
    }

    /// This token's flags and `other`'s: cancelled when either is (a request's deadline, or shutdown).
    pub fn and(&self, other: &Cancel) -> Cancel {
        let mut flags = self.flags.clone();
        flags.extend(other.flags.iter().cloned());
        Cancel { flags }
    }

    /// Sets this token's own flags (and so cancels every token made with [`Self::and`] from it).
    pub fn cancel(&self) {
        for f in &self.flags {
            f.store(true, Ordering::Relaxed);
        }
    }

    /// Whether any of the flags is set.
    pub fn is_cancelled(&self) -> bool {
        self.flags.iter().any(|f| f.load(Ordering::Relaxed))
    }

    /// `Err(Cancelled)` once cancelled: for `?` in loops.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_tokens_see_either_flag() {
        let request = Cancel::new();
        let shutdown = Cancel::new();
        let job = request.and(&shutdown);
        assert!(job.check().is_ok());
        shutdown.cancel();
        assert_eq!(job.check(), Err(Cancelled));
        assert!(!request.is_cancelled());
        assert!(!Cancel::never().is_cancelled());
    }

    #[test]
    fn a_wait_is_told_to_this_threads_hook_only_and_its_end_even_on_a_panic() {
        use std::sync::Mutex;
        let told = Arc::new(Mutex::new(Vec::new()));
        assert_eq!(waiting(|| 1), 1, "no hook: the wait just runs");
        let t = told.clone();
        set_wait_hook(Some(Arc::new(move |w| t.lock().expect("lock").push(w))));
        assert_eq!(waiting(|| 2), 2);
        std::thread::spawn(|| waiting(|| 3)).join().expect("thread");
        let panicked = std::panic::catch_unwind(|| waiting(|| panic!("inside the wait")));
        assert!(panicked.is_err());
        set_wait_hook(None);
        waiting(|| ());
        assert_eq!(*told.lock().expect("lock"), [true, false, true, false]);
    }
}
