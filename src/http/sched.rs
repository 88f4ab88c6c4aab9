//! How job threads ask to be scheduled: as batch work (Linux `SCHED_BATCH`).
//!
//! Why: a job computes for a tenth of a millisecond to milliseconds at a stretch; the I/O threads read a request or
//! write an answer in microseconds between waits. Under the default policy a job thread woken for the next job
//! preempts the I/O thread that woke it, which then waits for a core while requests and answers pile up on its
//! sockets. `SCHED_BATCH` keeps the thread's nice value and its fair share of the CPU; it only lets a woken job
//! wait for the next scheduling tick instead of preempting (sched(7)). Measured on `/v1/verify/cms` with 32
//! clients on 2 cores, six alternating runs each (medians of the server's CPU a request): 161 µs as it was, 158
//! with batch job threads, 157 with one I/O thread, 149 with both (README, "Measured").
//!
//! This is the crate's one `unsafe` block (the crate denies `unsafe_code` and allows it here only): `rustix` and
//! `nix` do not wrap `sched_setscheduler`, and `thread-priority` sets the nice value with the policy (a thread of
//! a service started under `nice` would be refused, or moved). Nothing depends on it: where it fails or the
//! system is not Linux, the thread keeps the default policy.

/// Puts the calling thread under `SCHED_BATCH`, its nice value unchanged.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn as_batch() -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid `sched_param` that outlives the call, and the kernel only reads it; pid 0 is the
    // calling thread (sched_setscheduler(2)), so no other thread's policy changes.
    let done = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Elsewhere the default policy stays.
#[cfg(not(target_os = "linux"))]
pub(super) fn as_batch() -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(all(test, target_os = "linux"))]
pub(super) mod tests {
    /// The scheduling policy of the calling thread, from `/proc/thread-self/stat` (field 41, after the command
    /// name's closing parenthesis: the 39th).
    pub(crate) fn policy() -> u32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
        let after = stat.rsplit_once(") ").expect("comm").1;
        after
            .split(' ')
            .nth(38)
            .and_then(|f| f.parse().ok())
            .expect("policy")
    }

    #[test]
    fn a_thread_put_under_batch_is_batch_and_others_are_not() {
        let ours = policy();
        let (before, after, nice_before, nice_after) = std::thread::spawn(|| {
            let nice = || {
                let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
                let after = stat.rsplit_once(") ").expect("comm").1.to_owned();
                after.split(' ').nth(16).expect("nice").to_owned()
            };
            let (before, nice_before) = (policy(), nice());
            super::as_batch().expect("SCHED_BATCH needs no privilege");
            (before, policy(), nice_before, nice())
        })
        .join()
        .expect("thread");
        // A new thread has its creator's policy (SCHED_OTHER, 0, unless the tests run under another).
        assert_eq!(before, ours, "inherited");
        assert_eq!(after, libc::SCHED_BATCH as u32);
        assert_eq!(nice_before, nice_after, "the nice value is kept");
        assert_eq!(policy(), ours, "the calling thread only");
    }
}
