//! A first-come, first-served gate in front of the registry's one connection.
//!
//! `std::sync::Mutex` lets a thread that arrives while the lock is being handed over take it ahead of the
//! waiter that was woken, so under a stream of issuances a reader could wait through several of them. Tickets
//! served in order bound every caller's wait to the work queued ahead of it when it arrived.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// A value handed to its users one at a time, in the order they asked.
pub(super) struct Turns<T> {
    tickets: Mutex<Tickets>,
    turn: Condvar,
    value: Mutex<T>,
}

#[derive(Default)]
struct Tickets {
    next: u64,
    serving: u64,
}

impl<T> Turns<T> {
    pub(super) fn new(value: T) -> Self {
        Turns {
            tickets: Mutex::new(Tickets::default()),
            turn: Condvar::new(),
            value: Mutex::new(value),
        }
    }

    /// Waits for this caller's turn. A panic while holding the value cannot leave it half-changed for the next
    /// holder (the registry's transactions roll back on drop), so a poisoned lock is taken as it is.
    pub(super) fn take(&self) -> Turn<'_, T> {
        let mut tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = tickets.next;
        tickets.next += 1;
        while tickets.serving != mine {
            tickets = self
                .turn
                .wait(tickets)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(tickets);
        Turn {
            value: self.value.lock().unwrap_or_else(PoisonError::into_inner),
            _done: Done(self),
        }
    }
}

/// The value, held until dropped; then the next ticket is served.
pub(super) struct Turn<'a, T> {
    // Dropped first: the value is released before the next caller is let in.
    value: MutexGuard<'a, T>,
    _done: Done<'a, T>,
}

struct Done<'a, T>(&'a Turns<T>);

impl<T> Drop for Done<'_, T> {
    fn drop(&mut self) {
        let turns = self.0;
        turns
            .tickets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .serving += 1;
        turns.turn.notify_all();
    }
}

impl<T> Deref for Turn<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Turn<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Callers are served in the order they asked, even when a newcomer arrives just as the value is released.
    #[test]
    fn callers_are_served_in_arrival_order() {
        let turns = Arc::new(Turns::new(Vec::new()));
        let first = turns.take();
        let waiters: Vec<_> = (0..8)
            .map(|i| {
                let mine = turns.clone();
                let handle = std::thread::spawn(move || mine.take().push(i));
                // Each waiter has taken its ticket before the next one starts.
                while turns.tickets.lock().map(|t| t.next).unwrap_or(0) < i + 2 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                handle
            })
            .collect();
        drop(first);
        for w in waiters {
            w.join().expect("waiter");
        }
        assert_eq!(*turns.take(), (0..8).collect::<Vec<u64>>());
    }

    #[test]
    fn a_panicking_holder_passes_the_turn_on() {
        let turns = Arc::new(Turns::new(0));
        let t = turns.clone();
        let _ = std::thread::spawn(move || {
            let _held = t.take();
            panic!("holder fails");
        })
        .join();
        *turns.take() += 1;
        assert_eq!(*turns.take(), 1);
    }
}
