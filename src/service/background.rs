//! Work a node does on its own, beside the requests: keeping CRLs fresh, verifying pending applications again.
//! Each runs on a thread of its own (the work blocks: fetches, signatures, the registry) and stops when its
//! [`Background`] handle is dropped.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A thread that runs `tick` over and over, sleeping between two runs as long as `tick` says, until this handle
/// is dropped.
pub struct Background {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Starts `tick` on a thread named `name`. `tick` returns how long to sleep before its next run.
    pub fn spawn(name: &str, mut tick: impl FnMut() -> Duration + Send + 'static) -> Background {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || loop {
                let wait = tick();
                let (stopped, wake) = &*flag;
                let guard = match stopped.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                let (guard, _) = match wake.wait_timeout_while(guard, wait, |s| !*s) {
                    Ok(r) => r,
                    Err(p) => p.into_inner(),
                };
                if *guard {
                    break;
                }
            });
        if let Err(e) = &thread {
            tracing::error!(name, error = %e, "a background thread could not start");
        }
        Background {
            stop,
            thread: thread.ok(),
        }
    }

    /// Whether the thread started and has not ended.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        match stopped.lock() {
            Ok(mut g) => *g = true,
            Err(p) => *p.into_inner() = true,
        }
        wake.notify_all();
        // The thread may be in the middle of a run (a fetch bounded by its timeouts): it is not waited for, so a
        // shutdown never waits for a slow CRL server. It sees the flag when the run ends.
        drop(self.thread.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn it_runs_until_dropped() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let worker = Background::spawn("test", move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Duration::from_millis(5)
        });
        while runs.load(Ordering::SeqCst) < 3 {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(worker.is_running());
        drop(worker);
        std::thread::sleep(Duration::from_millis(50));
        let after = runs.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(runs.load(Ordering::SeqCst), after, "stopped");
    }
}
