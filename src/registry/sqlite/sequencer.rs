//! Issuing on the one SQLite writer without serialising the work: numbers handed out in memory, documents rendered
//! and sealed outside the write lock on the callers' own threads (in parallel), and stored in number order by one
//! transaction — one commit, one fsync — for every document ready by then (group commit).
//!
//! Why: rendering and sealing a document take milliseconds of CPU. Inside the writer's transaction they put every
//! issuance on one core and each paid its own fsync: 154 references a second with 32 clients on 2 cores, while one
//! takes 4.7 ms in-process (`benches/wrk/run.sh`, `cargo bench --bench issue`, 2026-12-03); 314–344 a second with
//! this queue (README, "Issuance with 32 clients").
//!
//! Numbers stay gap-free because what is committed is always the next run of each series: a ticket's number is
//! its place in its series' queue after the last stored number, and only a run of ready tickets from the head of
//! the queue is stored. A ticket that drops out (its render failed or panicked, its idempotency key was taken
//! meanwhile, its insert failed) leaves the queue, so the ones behind it move down a number and render again; the
//! counter read inside the committing transaction is the authority, so another writer that took numbers meanwhile
//! (an application's step, another process on the file) only makes the outstanding tickets render again, and the
//! committer then renders its own inside the transaction, as before, so it always makes progress.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::{
    applications, finish, last_number, reserve, row_to_document, store_document, SqliteRegistry,
};
use super::{SELECT_DOCUMENT, YEARS};
use crate::forms::FormId;
use crate::registry::{
    DocumentNumber, IdempotencyKey, RegistryError, Remembered, Render, RenderedDocument,
    StoredDocument,
};

/// Most documents stored by one commit: a commit holds the writer for every other writer too.
const MAX_BATCH: usize = 64;
/// How long a waiting ticket sleeps before it looks at its state again even if nobody woke it.
const RECHECK: Duration = Duration::from_millis(500);

type SeriesKey = (FormId, i32);
type Outcome = Result<(StoredDocument, bool), RegistryError>;
/// What a commit took: per series, the last stored number it expects and the ready tickets after it, in order.
type Batch = Vec<(SeriesKey, u64, Vec<(u64, Pending)>)>;

/// An idempotency key owned by its ticket, for the thread that stores it.
struct OwnedKey {
    caller: String,
    key: String,
    request: [u8; 32],
}

impl OwnedKey {
    fn of(key: &IdempotencyKey<'_>) -> Self {
        OwnedKey {
            caller: key.caller.to_string(),
            key: key.key.to_string(),
            request: key.request,
        }
    }

    fn borrowed(&self) -> IdempotencyKey<'_> {
        IdempotencyKey {
            caller: &self.caller,
            key: &self.key,
            request: self.request,
        }
    }
}

/// A rendered document waiting to be stored, with what goes with it.
struct Pending {
    rendered: RenderedDocument,
    actor: String,
    key: Option<OwnedKey>,
}

/// Where a ticket stands.
enum Slot {
    /// Its owner is rendering it (or about to).
    Rendering,
    /// Rendered for the number given: stored as it is if that is still its number when a commit comes.
    Ready(u64, Pending),
    /// Taken by a commit in progress.
    Committing,
    /// Its document was taken by a commit that did not store it: its owner renders it again.
    Stale,
}

struct Ticket {
    id: u64,
    slot: Slot,
}

/// One series (form and year): the last number stored, and the tickets after it in number order.
struct Series {
    stored: u64,
    queue: VecDeque<Ticket>,
}

#[derive(Default)]
struct State {
    series: HashMap<SeriesKey, Series>,
    next_id: u64,
    /// What a commit made of tickets it finished, for their owners to take.
    done: HashMap<u64, Outcome>,
    /// A commit is in progress (one at a time: they share the one writer).
    committing: bool,
    /// Commits made, for tests of the grouping.
    commits: u64,
}

impl State {
    fn position(&self, series: &SeriesKey, id: u64) -> Option<usize> {
        self.series
            .get(series)?
            .queue
            .iter()
            .position(|t| t.id == id)
    }

    /// A queued ticket's number now: its place after the last stored number.
    fn number(&self, series: &SeriesKey, id: u64) -> Option<u64> {
        let at = self.position(series, id)?;
        Some(self.series.get(series)?.stored + 1 + at as u64)
    }

    fn ticket(&mut self, series: &SeriesKey, id: u64) -> Option<&mut Ticket> {
        self.series
            .get_mut(series)?
            .queue
            .iter_mut()
            .find(|t| t.id == id)
    }

    /// Takes a ticket out of its queue: the ones behind it move down a number.
    fn remove(&mut self, series: &SeriesKey, id: u64) {
        if let Some(s) = self.series.get_mut(series) {
            s.queue.retain(|t| t.id != id);
        }
    }

    /// Tickets taken by a commit that did not store them render again.
    fn unclaim(&mut self) {
        for s in self.series.values_mut() {
            for t in &mut s.queue {
                if matches!(t.slot, Slot::Committing) {
                    t.slot = Slot::Stale;
                }
            }
        }
    }
}

/// The issuing queue of one SQLite registry.
#[derive(Default)]
pub(super) struct Sequencer {
    state: Mutex<State>,
    changed: Condvar,
}

/// What a commit did for one series.
struct SeriesResult {
    series: SeriesKey,
    /// The counter the transaction found.
    found: u64,
    /// Whether it was the one this process expected (otherwise nothing of the batch was stored).
    expected: bool,
    /// Tickets stored, in order, with their documents.
    stored: Vec<(u64, StoredDocument)>,
    /// The ticket that stopped the run (the next after `stored`), with its answer.
    stopper: Option<(u64, Outcome)>,
}

/// How a ready document fared in the committing transaction.
enum Stored {
    New(StoredDocument),
    /// Its idempotency key was taken meanwhile by the same request: that document, not a new one.
    Replay(StoredDocument),
}

impl Sequencer {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent between statements (a panic in a render happens outside the lock), so a
        // poisoned lock is taken as it is.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a change of `state` (a commit ended, a ticket ahead moved) — waiting, not computing: the job pool
    /// may run another request on a core meanwhile.
    fn wait(&self, state: MutexGuard<'_, State>) {
        crate::cancel::waiting(|| drop(self.changed.wait_timeout(state, RECHECK)));
    }

    /// How many commits stored the documents so far.
    #[cfg(test)]
    pub(super) fn commits(&self) -> u64 {
        self.lock().commits
    }

    /// Issues one document of `form` in `year`: a number, `render` for it (again if the number changes before it
    /// is stored), stored with its audit entry (and `key`, when given) in the next group commit. With `key`, a
    /// request whose key was stored meanwhile answers that document, with `true`.
    pub(super) fn issue(
        &self,
        registry: &SqliteRegistry,
        form: &FormId,
        year: i32,
        actor: &str,
        render: &mut Render<'_>,
        key: Option<&IdempotencyKey<'_>>,
    ) -> Outcome {
        if !YEARS.contains(&year) {
            return Err(RegistryError::BadYear(year));
        }
        let series: SeriesKey = (form.clone(), year);
        let id = self.enqueue(registry, &series)?;
        let mut ticket = Leave {
            sequencer: self,
            series: &series,
            id,
            queued: true,
        };
        loop {
            let mut state = self.lock();
            if let Some(outcome) = state.done.remove(&id) {
                ticket.queued = false;
                return outcome;
            }
            let Some(number) = state.number(&series, id) else {
                ticket.queued = false;
                return Err(RegistryError::Corrupt(
                    "an issuing ticket left its queue unanswered".into(),
                ));
            };
            let head = state.position(&series, id) == Some(0);
            let committing = state.committing;
            let Some(mine) = state.ticket(&series, id) else {
                ticket.queued = false;
                return Err(RegistryError::Corrupt(
                    "an issuing ticket left its queue unanswered".into(),
                ));
            };
            match &mine.slot {
                Slot::Ready(n, _) if *n == number => {
                    if head && !committing {
                        state.committing = true;
                        drop(state);
                        self.commit(registry, &series, id, render);
                    } else {
                        self.wait(state);
                    }
                    continue;
                }
                Slot::Committing => {
                    self.wait(state);
                    continue;
                }
                Slot::Rendering | Slot::Ready(..) | Slot::Stale => mine.slot = Slot::Rendering,
            }
            drop(state);
            let document_number = DocumentNumber {
                form: form.clone(),
                year,
                sequence: number,
                assigned: None,
            };
            let rendered = render(&document_number);
            let mut state = self.lock();
            match rendered {
                Err(source) => {
                    state.remove(&series, id);
                    ticket.queued = false;
                    drop(state);
                    self.changed.notify_all();
                    return Err(RegistryError::Render {
                        number: document_number.to_string(),
                        source,
                    });
                }
                Ok(rendered) => {
                    if let Some(mine) = state.ticket(&series, id) {
                        mine.slot = Slot::Ready(
                            number,
                            Pending {
                                rendered,
                                actor: actor.to_string(),
                                key: key.map(OwnedKey::of),
                            },
                        );
                    }
                }
            }
        }
    }

    /// Queues a ticket at the end of its series, reading the stored counter when the queue is empty (another
    /// writer may have moved it since this process last looked).
    fn enqueue(&self, registry: &SqliteRegistry, series: &SeriesKey) -> Result<u64, RegistryError> {
        let idle = self
            .lock()
            .series
            .get(series)
            .is_none_or(|s| s.queue.is_empty());
        let found = if idle {
            Some(counter(&registry.reader(), series)?)
        } else {
            None
        };
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        let s = state.series.entry(series.clone()).or_insert(Series {
            stored: 0,
            queue: VecDeque::new(),
        });
        if let (Some(found), true) = (found, s.queue.is_empty()) {
            s.stored = found;
        }
        s.queue.push_back(Ticket {
            id,
            slot: Slot::Rendering,
        });
        Ok(id)
    }

    /// Stores every run of ready tickets from the heads of the queues in one transaction, then tells their
    /// owners. Called by the owner of the ready head of `own` (ticket `id`), with `committing` set.
    fn commit(&self, registry: &SqliteRegistry, own: &SeriesKey, id: u64, render: &mut Render<'_>) {
        let _release = Release(self);
        let mut conn = registry.conn();
        let batch = self.claim(own);
        let result = store_batch(&mut conn, batch, own, id, render);
        let mut state = self.lock();
        state.commits += 1;
        match result {
            Ok(results) => {
                for r in results {
                    let State { series, done, .. } = &mut *state;
                    let Some(s) = series.get_mut(&r.series) else {
                        continue;
                    };
                    if !r.expected {
                        s.stored = r.found;
                    }
                    for (ticket, doc) in r.stored {
                        s.queue.retain(|t| t.id != ticket);
                        s.stored += 1;
                        tracing::info!(number = %doc.number, form = %r.series.0, "document issued");
                        done.insert(ticket, Ok((doc, false)));
                    }
                    if let Some((ticket, outcome)) = r.stopper {
                        state.remove(&r.series, ticket);
                        state.done.insert(ticket, outcome);
                    }
                }
            }
            Err(e) => {
                // Nothing was stored: the committer's own ticket takes the error, the others render again.
                state.remove(own, id);
                state.done.insert(id, Err(e));
            }
        }
        // Tickets taken but not finished go back to rendering when `_release` drops.
    }

    /// Takes the ready runs from the heads of the queues (at most [`MAX_BATCH`] documents) for a commit.
    fn claim(&self, own: &SeriesKey) -> Batch {
        let mut state = self.lock();
        let mut batch = Vec::new();
        let mut total = 0;
        // The committer's own series first: its head must be in the batch whatever the limit.
        let mut series: Vec<(&SeriesKey, &mut Series)> = state.series.iter_mut().collect();
        series.sort_by_key(|(key, _)| *key != own);
        for (key, s) in series {
            let mut members = Vec::new();
            for (at, t) in s.queue.iter_mut().enumerate() {
                let number = s.stored + 1 + at as u64;
                if total == MAX_BATCH || !matches!(t.slot, Slot::Ready(n, _) if n == number) {
                    break;
                }
                if let Slot::Ready(_, pending) = std::mem::replace(&mut t.slot, Slot::Committing) {
                    members.push((t.id, pending));
                    total += 1;
                }
            }
            if !members.is_empty() {
                batch.push((key.clone(), s.stored, members));
            }
        }
        batch
    }
}

/// Ends a commit: the next may start, tickets it took but did not finish render again, waiters look again.
struct Release<'a>(&'a Sequencer);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.committing = false;
        state.unclaim();
        drop(state);
        self.0.changed.notify_all();
    }
}

/// A caller's ticket: taken out of its queue if the caller leaves without an answer (an error, a panic in its
/// renderer), so the tickets behind it are not left waiting for its number.
struct Leave<'a> {
    sequencer: &'a Sequencer,
    series: &'a SeriesKey,
    id: u64,
    queued: bool,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if !self.queued {
            return;
        }
        let mut state = self.sequencer.lock();
        state.remove(self.series, self.id);
        state.done.remove(&self.id);
        drop(state);
        self.sequencer.changed.notify_all();
    }
}

/// The last number stored in a series.
fn counter(conn: &Connection, (form, year): &SeriesKey) -> Result<u64, RegistryError> {
    Ok(last_number(conn, form, *year)?.max(0) as u64)
}

/// One transaction for the whole batch. A series whose counter moved under this process stores nothing of the
/// batch, except the committer's own document, rendered again here for the right number; in a series, a document
/// that cannot be stored ends its run (savepoint rolled back), the run before it is kept.
fn store_batch(
    conn: &mut Connection,
    batch: Batch,
    own: &SeriesKey,
    own_id: u64,
    render: &mut Render<'_>,
) -> Result<Vec<SeriesResult>, RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(batch.len());
    let mut own_claimed = false;
    for (series, expected, members) in batch {
        let found = counter(&tx, &series)?;
        let mut result = SeriesResult {
            series,
            found,
            expected: found == expected,
            stored: Vec::new(),
            stopper: None,
        };
        if !result.expected {
            if &result.series == own {
                own_claimed = true;
                if let Some((_, pending)) = members.into_iter().find(|(t, _)| *t == own_id) {
                    // Rendered again inside the transaction, for the number it is now: the old way, so the
                    // committer always gets its document stored even while another writer keeps moving the counter.
                    let number = DocumentNumber {
                        form: result.series.0.clone(),
                        year: result.series.1,
                        sequence: found + 1,
                        assigned: None,
                    };
                    let outcome = match render(&number) {
                        Ok(rendered) => store_one(
                            &tx,
                            &result.series,
                            found + 1,
                            Pending {
                                rendered,
                                ..pending
                            },
                        ),
                        Err(source) => Err(RegistryError::Render {
                            number: number.to_string(),
                            source,
                        }),
                    };
                    match outcome {
                        Ok(Stored::New(doc)) => result.stored.push((own_id, doc)),
                        Ok(Stored::Replay(doc)) => {
                            result.stopper = Some((own_id, Ok((doc, true))));
                        }
                        Err(e) => result.stopper = Some((own_id, Err(e))),
                    }
                }
            }
            results.push(result);
            continue;
        }
        for (ticket, pending) in members {
            own_claimed |= ticket == own_id;
            let number = result.found + 1 + result.stored.len() as u64;
            tx.execute_batch("SAVEPOINT issue_one")?;
            match store_one(&tx, &result.series, number, pending) {
                Ok(Stored::New(doc)) => {
                    tx.execute_batch("RELEASE issue_one")?;
                    result.stored.push((ticket, doc));
                }
                Ok(Stored::Replay(doc)) => {
                    tx.execute_batch("RELEASE issue_one")?;
                    result.stopper = Some((ticket, Ok((doc, true))));
                    break;
                }
                Err(e) => {
                    tx.execute_batch("ROLLBACK TO issue_one; RELEASE issue_one")?;
                    result.stopper = Some((ticket, Err(e)));
                    break;
                }
            }
        }
        results.push(result);
    }
    if !own_claimed {
        return Err(RegistryError::Corrupt(
            "the committing ticket was not in its own commit".into(),
        ));
    }
    tx.commit()?;
    Ok(results)
}

/// Stores one rendered document as `number` of its series, with its audit entry and idempotency key.
fn store_one(
    conn: &Connection,
    (form, year): &SeriesKey,
    number: u64,
    pending: Pending,
) -> Result<Stored, RegistryError> {
    if let Some(key) = &pending.key {
        match applications::remembered(conn, &key.borrowed())? {
            None => {}
            Some(Remembered::Document(id)) => {
                let doc = conn
                    .query_row(
                        &format!("{SELECT_DOCUMENT} WHERE id = ?1"),
                        [id.0],
                        row_to_document,
                    )
                    .optional()?;
                let doc = finish(doc)?
                    .ok_or_else(|| RegistryError::Corrupt(format!("document {} vanished", id.0)))?;
                return Ok(Stored::Replay(doc));
            }
            Some(Remembered::Application(_)) => {
                return Err(RegistryError::IdempotencyKeyReused(key.key.clone()))
            }
        }
    }
    let reserved = reserve(conn, form, *year)?;
    if reserved.sequence != number {
        return Err(RegistryError::Corrupt(format!(
            "the counter of {form} {year} gave {} where {number} was rendered",
            reserved.sequence
        )));
    }
    let doc = store_document(
        conn,
        &reserved,
        0,
        pending.rendered,
        &pending.actor,
        "document.issued",
    )?;
    if let Some(key) = &pending.key {
        applications::remember(
            conn,
            &key.borrowed(),
            Remembered::Document(doc.id),
            doc.issued_at,
        )?;
    }
    Ok(Stored::New(doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::UnixTime;
    use crate::registry::{Registry, RenderError};
    use std::sync::{Arc, Condvar, Mutex};

    fn form() -> FormId {
        FormId::parse("reference.birth").expect("form")
    }

    fn rendered(number: &DocumentNumber) -> RenderedDocument {
        RenderedDocument {
            issued_at: UnixTime::from_secs(1_790_000_000),
            canonical_data: format!("{{\"number\":\"{number}\"}}").into_bytes(),
            seal: vec![format!("QLT1:{number}")],
            pdf: b"%PDF-1.7 stand-in".to_vec(),
        }
    }

    /// `n` renders meet here: each waits until all have arrived (or 10 s have passed) and says whether all did.
    /// Under the old design, where a render ran inside the writer's transaction, they could never all arrive.
    struct Meeting {
        arrived: Mutex<usize>,
        all: Condvar,
        n: usize,
    }

    impl Meeting {
        fn new(n: usize) -> Arc<Self> {
            Arc::new(Meeting {
                arrived: Mutex::new(0),
                all: Condvar::new(),
                n,
            })
        }

        fn meet(&self) -> bool {
            let mut arrived = self.arrived.lock().expect("lock");
            *arrived += 1;
            self.all.notify_all();
            let (arrived, _) = self
                .all
                .wait_timeout_while(arrived, Duration::from_secs(10), |a| *a < self.n)
                .expect("lock");
            *arrived >= self.n
        }
    }

    fn registry() -> (tempfile::TempDir, Arc<SqliteRegistry>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let registry = SqliteRegistry::open(&dir.path().join("registry.db")).expect("open");
        (dir, Arc::new(registry))
    }

    #[test]
    fn documents_render_at_once_and_share_a_commit_without_gaps() {
        let (_dir, registry) = registry();
        let meeting = Meeting::new(8);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (registry, meeting) = (Arc::clone(&registry), Arc::clone(&meeting));
                std::thread::spawn(move || {
                    let mut all_met = true;
                    let doc = registry
                        .issue(&form(), 2026, "portal", &mut |number| {
                            all_met &= meeting.meet();
                            if number.sequence == 1 {
                                // The head finishes last, so the others are ready for its commit.
                                std::thread::sleep(Duration::from_millis(200));
                            }
                            Ok(rendered(number))
                        })
                        .expect("issue");
                    (doc.number, all_met)
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for t in threads {
            let (number, all_met) = t.join().expect("thread");
            assert!(all_met, "eight renders ran at the same time");
            numbers.push(number);
        }
        numbers.sort();
        let expected: Vec<String> = (1..=8)
            .map(|n| format!("reference.birth-2026-{n:06}"))
            .collect();
        assert_eq!(numbers, expected);
        assert_eq!(
            registry.numbers(&form(), 2026).expect("numbers"),
            (1..=8).collect::<Vec<u64>>()
        );
        assert!(
            registry.sequencer.commits() <= 2,
            "eight documents in {} commits",
            registry.sequencer.commits()
        );
        let chains = crate::registry::chain::verify(&*registry).expect("chains");
        assert!(chains.iter().all(|c| c.broken.is_none() && c.checked == 8));
    }

    #[test]
    fn a_render_that_fails_or_panics_among_others_leaves_no_gap() {
        let (_dir, registry) = registry();
        let meeting = Meeting::new(6);
        let threads: Vec<_> = (0..6)
            .map(|i| {
                let (registry, meeting) = (Arc::clone(&registry), Arc::clone(&meeting));
                std::thread::spawn(move || {
                    registry.issue(&form(), 2026, "portal", &mut |number| {
                        meeting.meet();
                        match i {
                            1 => Err(RenderError::Cancelled),
                            3 => panic!("a renderer's bug"),
                            _ => Ok(rendered(number)),
                        }
                    })
                })
            })
            .collect();
        let mut issued = Vec::new();
        for (i, t) in threads.into_iter().enumerate() {
            match (i, t.join()) {
                (3, Err(_)) => {}
                (1, Ok(Err(RegistryError::Render { .. }))) => {}
                (_, Ok(Ok(doc))) if i != 1 && i != 3 => issued.push(doc.number),
                (i, other) => panic!("thread {i}: {:?}", other.map(|r| r.map(|d| d.number))),
            }
        }
        issued.sort();
        let expected: Vec<String> = (1..=4)
            .map(|n| format!("reference.birth-2026-{n:06}"))
            .collect();
        assert_eq!(issued, expected, "the four others took 1 to 4");
        assert_eq!(
            registry.numbers(&form(), 2026).expect("numbers"),
            [1, 2, 3, 4]
        );
        assert_eq!(registry.audit().expect("audit").len(), 4);
        // The queue is empty again: the next document is number 5.
        let next = registry
            .issue(&form(), 2026, "portal", &mut |n| Ok(rendered(n)))
            .expect("issue");
        assert_eq!(next.number, "reference.birth-2026-000005");
    }

    #[test]
    fn a_number_taken_by_another_writer_meanwhile_is_rendered_again() {
        let (_dir, registry) = registry();
        let (started_tx, started) = std::sync::mpsc::channel();
        let (go_tx, go) = std::sync::mpsc::channel::<()>();
        let worker = {
            let registry = Arc::clone(&registry);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let doc = registry
                    .issue(&form(), 2026, "portal", &mut |number| {
                        seen.push(number.sequence);
                        if seen.len() == 1 {
                            started_tx.send(()).expect("send");
                            go.recv().expect("go");
                        }
                        Ok(rendered(number))
                    })
                    .expect("issue");
                (doc.number, seen)
            })
        };
        started.recv().expect("rendering");
        // Another writer (an application's step, another process) takes number 1 the old way.
        {
            let mut conn = registry.conn();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .expect("tx");
            let other =
                super::super::issue_in(&tx, &form(), 2026, "op", &mut |n| Ok(rendered(n)), None)
                    .expect("issue");
            assert_eq!(other.number, "reference.birth-2026-000001");
            tx.commit().expect("commit");
        }
        go_tx.send(()).expect("go");
        let (number, seen) = worker.join().expect("worker");
        assert_eq!(number, "reference.birth-2026-000002");
        assert_eq!(seen, [1, 2], "rendered for 1, then again for 2");
        assert_eq!(registry.numbers(&form(), 2026).expect("numbers"), [1, 2]);
    }

    /// A key reused for another request, found only by the committing transaction (both requests passed the
    /// check before rendering): that document's savepoint is rolled back, it answers IdempotencyKeyReused, and
    /// the document behind it takes its number.
    #[test]
    fn a_key_reused_for_another_request_inside_a_commit_leaves_no_gap() {
        let (_dir, registry) = registry();
        let meeting = Meeting::new(3);
        let threads: Vec<_> = [Some([1u8; 32]), Some([2u8; 32]), None]
            .into_iter()
            .map(|request| {
                let (registry, meeting) = (Arc::clone(&registry), Arc::clone(&meeting));
                std::thread::spawn(move || {
                    let mut render = |number: &DocumentNumber| {
                        meeting.meet();
                        Ok(rendered(number))
                    };
                    match request {
                        Some(request) => {
                            let key = IdempotencyKey {
                                caller: "portal",
                                key: "order-9",
                                request,
                            };
                            registry
                                .issue_once(&key, &form(), 2026, "portal", &mut render)
                                .map(|(doc, again)| (doc.number, again))
                        }
                        None => registry
                            .issue(&form(), 2026, "portal", &mut render)
                            .map(|doc| (doc.number, false)),
                    }
                })
            })
            .collect();
        let answers: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .collect();
        let reused = answers
            .iter()
            .filter(|a| matches!(a, Err(RegistryError::IdempotencyKeyReused(_))))
            .count();
        assert_eq!(reused, 1, "{answers:?}");
        let mut numbers: Vec<String> = answers
            .into_iter()
            .filter_map(|a| a.ok())
            .map(|(number, again)| {
                assert!(!again);
                number
            })
            .collect();
        numbers.sort();
        assert_eq!(
            numbers,
            ["reference.birth-2026-000001", "reference.birth-2026-000002"]
        );
        assert_eq!(registry.numbers(&form(), 2026).expect("numbers"), [1, 2]);
        assert_eq!(registry.audit().expect("audit").len(), 2);
    }

    #[test]
    fn one_key_sent_at_once_makes_one_document() {
        let (_dir, registry) = registry();
        let meeting = Meeting::new(4);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (registry, meeting) = (Arc::clone(&registry), Arc::clone(&meeting));
                std::thread::spawn(move || {
                    let key = IdempotencyKey {
                        caller: "portal",
                        key: "order-7",
                        request: [7; 32],
                    };
                    let (doc, again) = registry
                        .issue_once(&key, &form(), 2026, "portal", &mut |number| {
                            meeting.meet();
                            Ok(rendered(number))
                        })
                        .expect("issue once");
                    (doc.number, again)
                })
            })
            .collect();
        let made: Vec<(String, bool)> = threads
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .collect();
        assert!(
            made.iter().all(|(n, _)| n == "reference.birth-2026-000001"),
            "{made:?}"
        );
        assert_eq!(
            made.iter().filter(|(_, again)| !again).count(),
            1,
            "{made:?}"
        );
        assert_eq!(registry.numbers(&form(), 2026).expect("numbers"), [1]);
    }
}
