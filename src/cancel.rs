//! Cooperative cancellation. The core never reads a clock to decide when to stop: its caller (the HTTP layer's
//! deadline timer, the shutdown signal) sets a flag, and the long loops of verification and rendering check it
//! and stop with an error, leaving nothing half-written (registry transactions roll back).

#![warn(missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
}
