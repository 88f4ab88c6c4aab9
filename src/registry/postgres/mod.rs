//! The registry on PostgreSQL: several nodes on one database, with the same guarantees as the SQLite file.
//!
//! The [`Registry`] trait is synchronous — the service calls it from blocking threads, never from an async worker
//! (`tests/hermetic/blocking.rs`) — while the driver (`tokio-postgres`, pooled by `deadpool-postgres`) is async.
//! The registry therefore owns a small runtime of its own that drives the connections, and each call blocks its
//! calling thread on that runtime until the database answers. The renderer a transaction calls runs on the
//! calling thread, between two statements, as with SQLite.
//!
//! Concurrency comes from PostgreSQL's row locks, so any number of nodes can share one database:
//! - numbers: `UPDATE number_counter … RETURNING` locks the series' row until commit, so numbers stay gap-free
//!   per form and year (a rolled-back issuance gives its number back with the lock);
//! - application steps and licence changes read their row `FOR UPDATE` before checking the state machine: two
//!   operators deciding the same application on two nodes are serialised, and the second sees the first's state;
//! - a signed request submitted twice at once, and an idempotency key used twice at once, wait on an advisory
//!   lock of their hash, then find what the first made;
//! - the audit log's chain head (`registry::chain`) is locked by the first audit entry of a transaction; entries
//!   are appended last, so that lock lasts only until the commit.
//!
//! Locks are always taken in the order application or licence row, series counter(s) (the application series
//! before a document's), chain head, so no two transactions wait on each other in a cycle.

mod applications;
mod licences;
mod schema;

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use super::ahead::{self, Expected};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{GenericClient, NoTls, Row};

use super::chain::{ChainHead, ChainedEntry, Content};
use super::{
    Advance, ApplicationEvent, ApplicationFilter, ApplicationId, ApplicationRecord, AuditEntry,
    DocumentId, DocumentNumber, DocumentStanding, IdempotencyKey, NewApplication,
    PendingApplication, Registry, RegistryError, Remembered, Render, RenderForApplication,
    RenderedDocument, StoredDocument, TokenHolder,
};
use crate::clock::UnixTime;
use crate::forms::FormId;
use crate::issuance::LifecycleAction;

/// How long a caller waits for a pooled connection, or for a new one, before the registry is unavailable.
const CONNECTION_WAIT: Duration = Duration::from_secs(10);

/// The registry in a PostgreSQL database.
pub struct PostgresRegistry {
    pool: Pool,
    /// Drives the connections; `None` only while being dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// This node's audit chain (and its name on its number reservations).
    chain: String,
    /// Numbers this node reserved, gave up on, and could not settle at once (the database was unreachable):
    /// settled by the next [`Registry::settle_reservations`].
    unsettled: std::sync::Mutex<Vec<(DocumentNumber, String)>>,
}

impl std::fmt::Debug for PostgresRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresRegistry")
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresRegistry {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which is not allowed on an async worker (where the last `Arc` of a node may
        // go): let its threads finish in the background instead.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A database error, as the registry reports it: a lost or refused connection, a server shutting down, a
/// statement cancelled by its timeout or a deadlock is [`RegistryError::Unavailable`] (the caller may retry);
/// anything else is a storage failure.
pub(super) fn pg(e: tokio_postgres::Error) -> RegistryError {
    let retryable = match e.code() {
        None => true,
        Some(code) => {
            let code = code.code();
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
                || matches!(code, "40001" | "40P01" | "55P03" | "57014")
        }
    };
    if retryable {
        RegistryError::Unavailable(Box::new(e))
    } else {
        RegistryError::Storage(Box::new(e))
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> RegistryError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg(e),
        e => RegistryError::Unavailable(Box::new(e)),
    }
}

impl PostgresRegistry {
    /// The schema version this build writes.
    pub const SCHEMA_VERSION: i64 = schema::MIGRATIONS.len() as i64;

    /// Connects to the database at `url` (`postgres://user@host:port/db`, or libpq's `key=value` form) with
    /// `password` (from the environment: never the configuration file), brings the schema up to date, and
    /// appends this node's audit entries to the chain `chain`. `pool` is the most connections it opens.
    pub fn connect(
        url: &str,
        password: Option<&str>,
        chain: &str,
        pool: usize,
    ) -> Result<Self, RegistryError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| RegistryError::Unavailable(Box::new(e)))?;
        if let Some(password) = password {
            config.password(password);
        }
        config
            .application_name("qoltanba")
            .connect_timeout(CONNECTION_WAIT)
            .keepalives_idle(Duration::from_secs(30))
            // A statement that waits this long for a lock or runs this long is cancelled: a request fails
            // cleanly (retryable) instead of hanging; a transaction left open by a vanished node is ended.
            .options(
                "-c statement_timeout=30s -c lock_timeout=30s \
                 -c idle_in_transaction_session_timeout=60s",
            );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("qoltanba-postgres")
            .enable_all()
            .build()
            .map_err(|e| RegistryError::Storage(Box::new(e)))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECTION_WAIT))
            .create_timeout(Some(CONNECTION_WAIT))
            .recycle_timeout(Some(CONNECTION_WAIT))
            .build()
            .map_err(|e| RegistryError::Storage(Box::new(e)))?;
        let registry = PostgresRegistry {
            pool,
            runtime: Some(runtime),
            chain: chain.to_string(),
            unsettled: std::sync::Mutex::new(Vec::new()),
        };
        registry.run(async {
            let mut pooled = registry.pool.get().await.map_err(pool_error)?;
            let client: &mut tokio_postgres::Client = &mut pooled;
            schema::migrate(client).await?;
            client
                .execute(
                    "INSERT INTO audit_chain (chain, seq, hash) VALUES ($1, 0, $2)
                     ON CONFLICT (chain) DO NOTHING",
                    &[&registry.chain, &&super::chain::GENESIS[..]],
                )
                .await
                .map_err(pg)?;
            Ok(())
        })?;
        Ok(registry)
    }

    /// Runs `work` on the registry's runtime, blocking the calling thread (never an async worker) until it ends.
    fn run<T>(
        &self,
        work: impl Future<Output = Result<T, RegistryError>>,
    ) -> Result<T, RegistryError> {
        match &self.runtime {
            Some(runtime) => runtime.block_on(work),
            None => Err(RegistryError::Corrupt("the registry is closing".into())),
        }
    }

    /// Runs `work` in one transaction on a pooled connection: committed when it succeeds, rolled back otherwise.
    fn transaction<T>(
        &self,
        work: impl AsyncFnOnce(&Tx<'_>) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        self.run(async {
            let mut pooled = self.pool.get().await.map_err(pool_error)?;
            let tx = pooled.transaction().await.map_err(pg)?;
            let scope = Tx {
                tx,
                chain: &self.chain,
            };
            let out = work(&scope).await?;
            scope.tx.commit().await.map_err(pg)?;
            Ok(out)
        })
    }

    /// The application's number and its refusal's that a submission refused at once is expected to take, as a
    /// lookup sees the registry now; `None` for a request already submitted (no number is used then) or when a
    /// lookup fails.
    fn expected_submission(
        &self,
        application: &NewApplication<'_>,
    ) -> Option<(String, DocumentNumber)> {
        let year = year_of(application.submitted_at).ok()?;
        let found = self.read(async |c| {
            if applications::by_signature(c, &application.signed_sha256)
                .await?
                .is_some()
            {
                return Ok(None);
            }
            let last_application = last_number(c, applications::APPLICATION_SERIES, year).await?;
            Ok(Some((
                last_application,
                last_number(c, "refusal", year).await?,
            )))
        });
        let (last_application, last_refusal) = found.ok().flatten()?;
        ahead::expected_submission(
            application.submitted_at,
            applications::APPLICATION_SERIES,
            last_application,
            last_refusal,
        )
    }

    /// The number a step's document is expected to take, as a lookup sees the registry now; `None` when the step
    /// issues none, will not issue one (a retry of a step already taken, an application no longer in the step's
    /// state) or a lookup fails — the transaction decides in every case.
    fn expected_number(
        &self,
        application: Option<(ApplicationId, &str)>,
        key: Option<&IdempotencyKey<'_>>,
        expected: Option<Expected<'_>>,
        at: UnixTime,
    ) -> Option<DocumentNumber> {
        let expected = expected?;
        let found = self.read(async |c| {
            if let Some(key) = key {
                if applications::remembered(c, key).await?.is_some() {
                    return Ok(None);
                }
            }
            if let Some((id, from)) = application {
                match applications::application(c, id).await? {
                    Some(a) if a.status == from => {}
                    _ => return Ok(None),
                }
            }
            let original = match expected.licence() {
                Some(licence) => Some(licences::original_of(c, licence).await?),
                None => None,
            };
            let last = match expected.series(original.as_ref(), at) {
                Some((form, year)) => Some(last_number(c, form.as_str(), year).await?),
                None => None,
            };
            Ok(Some((original, last)))
        });
        let (original, last) = found.ok().flatten()?;
        ahead::resolve(expected, at, original, last)
    }

    /// Runs `work` on a pooled connection, outside a transaction (lookups).
    fn read<T>(
        &self,
        work: impl AsyncFnOnce(&tokio_postgres::Client) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        self.run(async {
            let client = self.pool.get().await.map_err(pool_error)?;
            let client: &tokio_postgres::Client = &client;
            work(client).await
        })
    }
}

/// A transaction and the chain its audit entries go to. Its statements are prepared once per connection and
/// cached (deadpool's statement cache): an issuance runs a dozen, each a round trip saved.
pub(super) struct Tx<'a> {
    pub(super) tx: deadpool_postgres::Transaction<'a>,
    pub(super) chain: &'a str,
}

type Params<'p> = [&'p (dyn tokio_postgres::types::ToSql + Sync)];

impl Tx<'_> {
    pub(super) async fn execute(
        &self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<u64, RegistryError> {
        let statement = self.tx.prepare_cached(sql).await.map_err(pg)?;
        self.tx.execute(&statement, params).await.map_err(pg)
    }

    pub(super) async fn query_one(
        &self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Row, RegistryError> {
        let statement = self.tx.prepare_cached(sql).await.map_err(pg)?;
        self.tx.query_one(&statement, params).await.map_err(pg)
    }

    pub(super) async fn query_opt(
        &self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, RegistryError> {
        let statement = self.tx.prepare_cached(sql).await.map_err(pg)?;
        self.tx.query_opt(&statement, params).await.map_err(pg)
    }
}

/// Takes a transaction-scoped advisory lock named by the first eight bytes of a SHA-256: a second transaction
/// with the same hash waits here until the first commits, then sees what it stored.
pub(super) async fn lock_hash(tx: &Tx<'_>, sha256: &[u8; 32]) -> Result<(), RegistryError> {
    let mut key = [0u8; 8];
    key.copy_from_slice(&sha256[..8]);
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&i64::from_be_bytes(key)],
    )
    .await?;
    Ok(())
}

pub(super) use super::year_of;

fn form_of(text: &str) -> Result<FormId, RegistryError> {
    FormId::parse(text).map_err(|e| RegistryError::Corrupt(format!("stored form {text:?}: {e}")))
}

fn time(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn opt_time(secs: Option<i64>) -> Option<UnixTime> {
    secs.map(UnixTime::from_secs)
}

/// Reserves the next sequence of `form` in `year`: the counter row stays locked until the caller's transaction
/// ends, which makes the number final or gives it back.
/// The last number taken in the series of `form` in `year` (0: none yet), read without a lock.
async fn last_number<C: GenericClient>(
    conn: &C,
    form: &str,
    year: i32,
) -> Result<u64, RegistryError> {
    let row = conn
        .query_opt(
            "SELECT last FROM number_counter WHERE form = $1 AND year = $2",
            &[&form, &year],
        )
        .await
        .map_err(pg)?;
    Ok(row.map_or(0, |r| r.get::<_, i64>(0)).max(0) as u64)
}

pub(super) async fn reserve(
    tx: &Tx<'_>,
    form: &FormId,
    year: i32,
) -> Result<DocumentNumber, RegistryError> {
    if !(1970..=9999).contains(&year) {
        return Err(RegistryError::BadYear(year));
    }
    let row = tx
        .query_one(
            "INSERT INTO number_counter (form, year, last) VALUES ($1, $2, 1)
             ON CONFLICT (form, year) DO UPDATE SET last = number_counter.last + 1
             RETURNING last",
            &[&form.as_str(), &year],
        )
        .await?;
    let last: i64 = row.get(0);
    Ok(DocumentNumber {
        form: form.clone(),
        year,
        sequence: last as u64,
        assigned: None,
    })
}

/// How a document number is reserved ahead of its rendering, so the series' lock is held for a counter update
/// and a commit rather than for the render and seal (about 3 ms): many issuances of one series render at once.
///
/// 1. a short transaction takes the next number and records it in `number_reservation` (node, time);
/// 2. the document is rendered and sealed outside any transaction;
/// 3. a second transaction stores the document with its audit entry and removes the reservation.
///
/// A number is never lost nor reused: if rendering fails, or the second transaction cannot run, the number is
/// given back when it is still its series' last, and voided with the reason otherwise (`voided_number`, an audit
/// entry `number.voided`); a node that stops between 1 and 3 leaves its reservation, which it settles when it
/// starts again, and which any node settles once it is older than any request may run
/// ([`Registry::settle_reservations`]). With `numbers`, `voided_numbers` accounts for every number from 1 to the
/// last. Application steps keep their number inside their one transaction: the step's state check and its
/// document must commit together, and a conflict there would void numbers for nothing.
async fn reserve_ahead(
    registry: &PostgresRegistry,
    form: &FormId,
    year: i32,
) -> Result<DocumentNumber, RegistryError> {
    let at = UnixTime::now().secs();
    let mut pooled = registry.pool.get().await.map_err(pool_error)?;
    let tx = pooled.transaction().await.map_err(pg)?;
    let scope = Tx {
        tx,
        chain: &registry.chain,
    };
    let number = reserve(&scope, form, year).await?;
    scope
        .execute(
            "INSERT INTO number_reservation (form, year, sequence, node, reserved_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &form.as_str(),
                &year,
                &(number.sequence as i64),
                &registry.chain,
                &at,
            ],
        )
        .await?;
    scope.tx.commit().await.map_err(pg)?;
    Ok(number)
}

/// Settles one reservation in the caller's transaction: removes it, then gives the number back when it is still
/// its series' last (the counter locked meanwhile), or voids it with `reason`. `false` when it was settled already.
async fn settle(
    tx: &Tx<'_>,
    number: &DocumentNumber,
    reason: &str,
    at: UnixTime,
) -> Result<bool, RegistryError> {
    let sequence = number.sequence as i64;
    // The counter first, as every issuance locks it: no other order to wait in.
    tx.execute(
        "SELECT last FROM number_counter WHERE form = $1 AND year = $2 FOR UPDATE",
        &[&number.form.as_str(), &number.year],
    )
    .await?;
    let removed = tx
        .execute(
            "DELETE FROM number_reservation WHERE form = $1 AND year = $2 AND sequence = $3",
            &[&number.form.as_str(), &number.year, &sequence],
        )
        .await?;
    if removed == 0 {
        return Ok(false);
    }
    let given_back = tx
        .execute(
            "UPDATE number_counter SET last = last - 1 WHERE form = $1 AND year = $2 AND last = $3",
            &[&number.form.as_str(), &number.year, &sequence],
        )
        .await?;
    if given_back == 0 {
        tx.execute(
                "INSERT INTO voided_number (form, year, sequence, at, reason) VALUES ($1, $2, $3, $4, $5)",
                &[&number.form.as_str(), &number.year, &sequence, &at.secs(), &reason],
            ).await?;
        audit(
            tx,
            at,
            "qoltanba",
            "number.voided",
            &format!("{number}: {reason}"),
        )
        .await?;
        tracing::warn!(%number, reason, "a reserved number was voided");
    }
    Ok(true)
}

/// Reserves a number, renders the document for it and stores it with its audit entry.
pub(super) async fn issue_in(
    tx: &Tx<'_>,
    form: &FormId,
    year: i32,
    actor: &str,
    render: &mut Render<'_>,
    assigned: Option<&str>,
) -> Result<StoredDocument, RegistryError> {
    if let Some(n) = assigned {
        let taken = tx
            .query_opt("SELECT id FROM document WHERE number = $1", &[&n])
            .await?;
        if taken.is_some() {
            return Err(RegistryError::NumberTaken(n.to_string()));
        }
    }
    let mut number = reserve(tx, form, year).await?;
    number.assigned = assigned.map(str::to_string);
    let rendered = render(&number).map_err(|source| RegistryError::Render {
        number: number.to_string(),
        source,
    })?;
    store_document(tx, &number, 0, rendered, actor, "document.issued").await
}

pub(super) async fn store_document(
    tx: &Tx<'_>,
    number: &DocumentNumber,
    copy: u32,
    rendered: RenderedDocument,
    actor: &str,
    action: &str,
) -> Result<StoredDocument, RegistryError> {
    let text = number.to_string();
    let seal = serde_json::to_string(&rendered.seal)
        .map_err(|e| RegistryError::Corrupt(format!("seal of {text}: {e}")))?;
    let row = tx.query_one(
            "INSERT INTO document (number, copy, form, year, sequence, issued_at, canonical_data, seal, pdf)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &text,
                &(copy as i32),
                &number.form.as_str(),
                &number.year,
                &(number.sequence as i64),
                &rendered.issued_at.secs(),
                &rendered.canonical_data,
                &seal,
                &rendered.pdf,
            ],
        ).await?;
    let id: i64 = row.get(0);
    audit(tx, rendered.issued_at, actor, action, &text).await?;
    Ok(StoredDocument {
        id: DocumentId(id),
        number: text,
        copy,
        form: number.form.clone(),
        issued_at: rendered.issued_at,
        canonical_data: rendered.canonical_data,
        seal: rendered.seal,
        pdf: rendered.pdf,
    })
}

/// Appends to the audit log, chained after the chain's head (locked until the transaction ends).
pub(super) async fn audit(
    tx: &Tx<'_>,
    at: UnixTime,
    actor: &str,
    action: &str,
    subject: &str,
) -> Result<(), RegistryError> {
    let head = tx
        .query_opt(
            "SELECT seq, hash FROM audit_chain WHERE chain = $1 FOR UPDATE",
            &[&tx.chain],
        )
        .await?;
    let (seq, previous): (i64, Vec<u8>) = match head {
        Some(row) => (row.get(0), row.get(1)),
        None => (0, super::chain::GENESIS.to_vec()),
    };
    let previous: [u8; 32] = previous
        .try_into()
        .map_err(|_| RegistryError::Corrupt("the audit chain's head is not a hash".into()))?;
    let seq = seq + 1;
    let content = Content {
        at,
        actor,
        action,
        subject,
    };
    let hash = super::chain::link(&previous, tx.chain, seq, &content);
    tx.execute(
        "INSERT INTO audit (at, actor, action, subject, chain, seq, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &at.secs(),
            &actor,
            &action,
            &subject,
            &tx.chain,
            &seq,
            &&hash[..],
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO audit_chain (chain, seq, hash) VALUES ($1, $2, $3)
             ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        &[&tx.chain, &seq, &&hash[..]],
    )
    .await?;
    Ok(())
}

const SELECT_DOCUMENT: &str =
    "SELECT id, number, form, issued_at, canonical_data, seal, pdf, copy FROM document";

fn row_to_document(row: &Row) -> Result<StoredDocument, RegistryError> {
    let number: String = row.get(1);
    let seal: String = row.get(5);
    let seal = serde_json::from_str(&seal)
        .map_err(|e| RegistryError::Corrupt(format!("seal of {number}: {e}")))?;
    let copy: i32 = row.get(7);
    Ok(StoredDocument {
        id: DocumentId(row.get(0)),
        form: form_of(row.get(2))?,
        issued_at: time(row.get(3)),
        canonical_data: row.get(4),
        seal,
        pdf: row.get(6),
        copy: u32::try_from(copy)
            .map_err(|_| RegistryError::Corrupt(format!("copy {copy} of {number}")))?,
        number,
    })
}

pub(super) async fn document_by_id<C: GenericClient>(
    conn: &C,
    id: DocumentId,
) -> Result<Option<StoredDocument>, RegistryError> {
    conn.query_opt(&format!("{SELECT_DOCUMENT} WHERE id = $1"), &[&id.0])
        .await
        .map_err(pg)?
        .as_ref()
        .map(row_to_document)
        .transpose()
}

impl Registry for PostgresRegistry {
    fn issue(
        &self,
        form: &FormId,
        year: i32,
        actor: &str,
        render: &mut Render<'_>,
    ) -> Result<StoredDocument, RegistryError> {
        let number = self.run(reserve_ahead(self, form, year))?;
        let rendered = render(&number);
        let stored = match rendered {
            Ok(rendered) => self.transaction(async |tx| {
                let sequence = number.sequence as i64;
                let removed = tx.execute(
                        "DELETE FROM number_reservation WHERE form = $1 AND year = $2 AND sequence = $3",
                        &[&form.as_str(), &year, &sequence],
                    ).await?;
                if removed == 0 {
                    return Err(RegistryError::Corrupt(format!(
                        "the reservation of {number} was settled as abandoned before the document was stored"
                    )));
                }
                store_document(tx, &number, 0, rendered, actor, "document.issued").await
            }),
            Err(source) => Err(RegistryError::Render {
                number: number.to_string(),
                source,
            }),
        };
        match stored {
            Ok(doc) => {
                tracing::info!(number = %doc.number, %form, "document issued");
                Ok(doc)
            }
            Err(e) => {
                // The number goes back or is voided now, tried a few times; if the database stays away, the
                // node settles it later (`settle_reservations`, run every minute), and any node after ten.
                let reason = format!("not issued: {e}");
                let mut settled = false;
                for pause in [0, 50, 250] {
                    std::thread::sleep(std::time::Duration::from_millis(pause));
                    let at = UnixTime::now();
                    match self.transaction(async |tx| settle(tx, &number, &reason, at).await) {
                        Ok(_) => {
                            settled = true;
                            break;
                        }
                        Err(settling) => {
                            tracing::warn!(%number, error = %settling, "a reservation could not be settled yet")
                        }
                    }
                }
                if !settled {
                    self.unsettled
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((number, reason));
                }
                Err(e)
            }
        }
    }

    fn issue_once(
        &self,
        key: &IdempotencyKey<'_>,
        form: &FormId,
        year: i32,
        actor: &str,
        render: &mut Render<'_>,
    ) -> Result<(StoredDocument, bool), RegistryError> {
        let (doc, again) = self.transaction(async |tx| {
            applications::lock_key(tx, key).await?;
            if let Some(first) = applications::remembered(&*tx.tx, key).await? {
                let Remembered::Document(id) = first else {
                    return Err(RegistryError::IdempotencyKeyReused(key.key.to_string()));
                };
                let doc = document_by_id(&*tx.tx, id)
                    .await?
                    .ok_or_else(|| RegistryError::Corrupt(format!("document {} vanished", id.0)))?;
                return Ok((doc, true));
            }
            let doc = issue_in(tx, form, year, actor, render, None).await?;
            applications::remember(tx, key, Remembered::Document(doc.id), doc.issued_at).await?;
            Ok((doc, false))
        })?;
        if !again {
            tracing::info!(number = %doc.number, %form, "document issued");
        }
        Ok((doc, again))
    }

    fn remembered(&self, key: &IdempotencyKey<'_>) -> Result<Option<Remembered>, RegistryError> {
        self.read(async |c| applications::remembered(c, key).await)
    }

    fn application_by_signature(
        &self,
        sha256: &[u8; 32],
    ) -> Result<Option<ApplicationRecord>, RegistryError> {
        self.read(async |c| applications::by_signature(c, sha256).await)
    }

    fn submit_application(
        &self,
        application: &NewApplication<'_>,
        actor: &str,
        refusal: Option<&mut RenderForApplication<'_>>,
    ) -> Result<ApplicationRecord, RegistryError> {
        // A refusal at submission is rendered before any row is locked (`registry::ahead`).
        let guess = || self.expected_submission(application);
        ahead::submitting(refusal, guess, |refusal| {
            self.transaction(async |tx| {
                let id = applications::submit(tx, application, actor, refusal).await?;
                applications::application(&*tx.tx, id)
                    .await?
                    .ok_or_else(|| {
                        RegistryError::Corrupt("a submitted application vanished".into())
                    })
            })
        })
    }

    fn application(&self, id: ApplicationId) -> Result<Option<ApplicationRecord>, RegistryError> {
        self.read(async |c| applications::application(c, id).await)
    }

    fn pending_applications(
        &self,
        after: Option<ApplicationId>,
        limit: usize,
    ) -> Result<Vec<PendingApplication>, RegistryError> {
        self.read(async |c| applications::pending(c, after, limit).await)
    }

    fn find_applications(
        &self,
        filter: &ApplicationFilter<'_>,
        after: Option<ApplicationId>,
        limit: usize,
    ) -> Result<Vec<ApplicationRecord>, RegistryError> {
        self.read(async |c| applications::find(c, filter, after, limit).await)
    }

    fn advance_application(
        &self,
        id: ApplicationId,
        actor: &str,
        advance: Advance<'_, '_>,
    ) -> Result<ApplicationRecord, RegistryError> {
        // The step's document is rendered before the series' counter is locked (`registry::ahead`).
        let guess = self.expected_number(
            Some((id, advance.from)),
            advance.idempotency.as_ref(),
            Expected::of_step(&advance),
            advance.at,
        );
        ahead::advancing(advance, guess, |advance| {
            self.transaction(async |tx| {
                applications::advance(tx, id, actor, advance).await?;
                applications::application(&*tx.tx, id)
                    .await?
                    .ok_or_else(|| RegistryError::NotFound(format!("application {}", id.0)))
            })
        })
    }

    fn change_document(
        &self,
        id: DocumentId,
        actor: &str,
        action: LifecycleAction,
        reason: &str,
        at: UnixTime,
        render: Option<&mut Render<'_>>,
    ) -> Result<(DocumentStanding, Option<StoredDocument>), RegistryError> {
        // A re-issue's or duplicate's document is rendered before any row is locked (`registry::ahead`).
        let guess = || self.expected_number(None, None, Expected::of_change(id, action), at);
        ahead::changing(render, guess, |render| {
            self.transaction(async |tx| {
                let (number, made) =
                    licences::change(tx, id, actor, action, reason, at, render).await?;
                let standing = licences::standing(&*tx.tx, &number)
                    .await?
                    .ok_or_else(|| RegistryError::Corrupt(format!("{number} vanished")))?;
                Ok((standing, made))
            })
        })
    }

    fn standing(&self, number: &str) -> Result<Option<DocumentStanding>, RegistryError> {
        self.read(async |c| licences::standing(c, number).await)
    }

    fn document(&self, id: DocumentId) -> Result<Option<StoredDocument>, RegistryError> {
        self.read(async |c| document_by_id(c, id).await)
    }

    fn document_by_number(&self, number: &str) -> Result<Option<StoredDocument>, RegistryError> {
        self.read(async |c| {
            c.query_opt(
                &format!("{SELECT_DOCUMENT} WHERE number = $1 AND copy = 0"),
                &[&number],
            )
            .await
            .map_err(pg)?
            .as_ref()
            .map(row_to_document)
            .transpose()
        })
    }

    fn documents_by_number(&self, number: &str) -> Result<Vec<StoredDocument>, RegistryError> {
        self.read(async |c| {
            c.query(
                &format!("{SELECT_DOCUMENT} WHERE number = $1 ORDER BY copy LIMIT 100"),
                &[&number],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(row_to_document)
            .collect()
        })
    }

    fn numbers(&self, form: &FormId, year: i32) -> Result<Vec<u64>, RegistryError> {
        self.read(async |c| {
            Ok(c.query(
                "SELECT sequence FROM document WHERE form = $1 AND year = $2 AND copy = 0
                 ORDER BY sequence",
                &[&form.as_str(), &year],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| r.get::<_, i64>(0) as u64)
            .collect())
        })
    }

    fn audit(&self) -> Result<Vec<AuditEntry>, RegistryError> {
        self.read(async |c| {
            Ok(c.query(
                "SELECT id, at, actor, action, subject FROM audit ORDER BY id",
                &[],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: time(r.get(1)),
                actor: r.get(2),
                action: r.get(3),
                subject: r.get(4),
            })
            .collect())
        })
    }

    fn voided_numbers(
        &self,
        form: &FormId,
        year: i32,
    ) -> Result<Vec<super::VoidedNumber>, RegistryError> {
        self.read(async |c| {
            Ok(c.query(
                "SELECT sequence, at, reason FROM voided_number WHERE form = $1 AND year = $2
                 ORDER BY sequence",
                &[&form.as_str(), &year],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| super::VoidedNumber {
                sequence: r.get::<_, i64>(0) as u64,
                at: time(r.get(1)),
                reason: r.get(2),
            })
            .collect())
        })
    }

    fn settle_reservations(
        &self,
        own: bool,
        older_than: UnixTime,
        at: UnixTime,
    ) -> Result<u64, RegistryError> {
        let abandoned: Vec<(String, i32, i64, String)> = self.read(async |c| {
            Ok(c.query(
                "SELECT form, year, sequence, node FROM number_reservation
                 WHERE ($1 AND node = $2) OR reserved_at < $3
                 ORDER BY form, year, sequence DESC",
                &[&own, &self.chain, &older_than.secs()],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect())
        })?;
        let mut settled = 0;
        let given_up: Vec<(DocumentNumber, String)> = std::mem::take(
            &mut *self
                .unsettled
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let mut left = Vec::new();
        for (number, reason) in given_up {
            match self.transaction(async |tx| settle(tx, &number, &reason, at).await) {
                Ok(true) => settled += 1,
                Ok(false) => {}
                Err(_) => left.push((number, reason)),
            }
        }
        self.unsettled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(left);
        // The last number of a series first: a run of abandoned numbers at its end goes back whole.
        for (form, year, sequence, node) in abandoned {
            let number = DocumentNumber {
                form: form_of(&form)?,
                year,
                sequence: sequence as u64,
                assigned: None,
            };
            let reason = format!("reserved by node {node}, which stopped before issuing it");
            if self.transaction(async |tx| settle(tx, &number, &reason, at).await)? {
                settled += 1;
            }
        }
        Ok(settled)
    }

    fn audit_heads(&self) -> Result<Vec<ChainHead>, RegistryError> {
        self.read(async |c| {
            Ok(c.query(
                "SELECT chain, seq, hash FROM audit_chain
                 UNION ALL SELECT DISTINCT chain, 0, '\\x'::bytea FROM audit
                     WHERE chain NOT IN (SELECT chain FROM audit_chain)
                 ORDER BY 1",
                &[],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| ChainHead {
                chain: r.get(0),
                seq: r.get(1),
                hash: crate::encoding::hex(&r.get::<_, Vec<u8>>(2)),
            })
            .collect())
        })
    }

    fn audit_chain(
        &self,
        chain: &str,
        after: (i64, i64),
        limit: usize,
    ) -> Result<Vec<ChainedEntry>, RegistryError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(async |c| {
            Ok(c.query(
                "SELECT id, chain, seq, at, actor, action, subject, hash FROM audit
                 WHERE chain = $1 AND (seq, id) > ($2, $3) ORDER BY seq, id LIMIT $4",
                &[&chain, &after.0, &after.1, &limit],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| ChainedEntry {
                id: r.get(0),
                chain: r.get(1),
                seq: r.get(2),
                at: time(r.get(3)),
                actor: r.get(4),
                action: r.get(5),
                subject: r.get(6),
                hash: r.get(7),
            })
            .collect())
        })
    }

    fn record(
        &self,
        at: UnixTime,
        actor: &str,
        action: &str,
        subject: &str,
    ) -> Result<(), RegistryError> {
        self.transaction(async |tx| audit(tx, at, actor, action, subject).await)
    }

    fn add_token(
        &self,
        holder: &TokenHolder,
        sha256: &[u8; 32],
        at: i64,
    ) -> Result<(), RegistryError> {
        self.transaction(async |tx| {
            tx.execute(
                "INSERT INTO token (name, role, sha256, created_at, provider)
                     VALUES ($1, $2, $3, $4, $5)",
                &[
                    &holder.name,
                    &holder.role.as_str(),
                    &&sha256[..],
                    &at,
                    &holder.provider,
                ],
            )
            .await?;
            audit(
                tx,
                UnixTime::from_secs(at),
                "qoltanba",
                "token.created",
                &holder.name,
            )
            .await
        })
    }

    fn revoke_token(&self, name: &str, actor: &str, at: i64) -> Result<bool, RegistryError> {
        self.transaction(async |tx| {
            let revoked = tx
                .execute(
                    "UPDATE token SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                    &[&name, &at],
                )
                .await?;
            if revoked > 0 {
                audit(tx, UnixTime::from_secs(at), actor, "token.revoked", name).await?;
            }
            Ok(revoked > 0)
        })
    }

    fn token_by_hash(&self, sha256: &[u8; 32]) -> Result<Option<TokenHolder>, RegistryError> {
        self.read(async |c| {
            c.query_opt(
                "SELECT name, role, provider FROM token WHERE sha256 = $1 AND revoked_at IS NULL",
                &[&&sha256[..]],
            )
            .await
            .map_err(pg)?
            .map(|r| TokenHolder::stored(r.get(0), r.get(1), r.get(2)))
            .transpose()
        })
    }

    fn tokens(&self) -> Result<Vec<(TokenHolder, [u8; 32])>, RegistryError> {
        self.read(async |c| {
            let rows = c
                .query(
                    "SELECT name, role, sha256, provider FROM token WHERE revoked_at IS NULL ORDER BY name",
                    &[],
                )
                .await
                .map_err(pg)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let name: String = r.get(0);
                let hash: Vec<u8> = r.get(2);
                let hash: [u8; 32] = hash.try_into().map_err(|_| {
                    RegistryError::Corrupt(format!("token {name}: hash is not 32 bytes"))
                })?;
                out.push((TokenHolder::stored(name, r.get(1), r.get(3))?, hash));
            }
            Ok(out)
        })
    }

    fn token_count(&self) -> Result<u64, RegistryError> {
        self.read(async |c| {
            let n: i64 = c
                .query_one("SELECT count(*) FROM token", &[])
                .await
                .map_err(pg)?
                .get(0);
            Ok(n as u64)
        })
    }

    fn application_events(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ApplicationEvent>, RegistryError> {
        self.read(async |c| applications::events(c, after, limit).await)
    }

    fn delivery_cursor(&self, name: &str) -> Result<i64, RegistryError> {
        self.transaction(async |tx| {
            // A feed starts where it is first asked for: a webhook configured later does not replay the past.
            tx.execute(
                "INSERT INTO delivery_cursor (name, last_event)
                     SELECT $1, COALESCE(MAX(id), 0) FROM application_event
                     ON CONFLICT (name) DO NOTHING",
                &[&name],
            )
            .await?;
            Ok(tx
                .query_one(
                    "SELECT last_event FROM delivery_cursor WHERE name = $1",
                    &[&name],
                )
                .await?
                .get(0))
        })
    }

    fn set_delivery_cursor(&self, name: &str, last_event: i64) -> Result<(), RegistryError> {
        self.read(async |c| {
            c.execute(
                "UPDATE delivery_cursor SET last_event = GREATEST(last_event, $2) WHERE name = $1",
                &[&name, &last_event],
            )
            .await
            .map_err(pg)?;
            Ok(())
        })
    }
}
