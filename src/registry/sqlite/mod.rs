//! The embedded default registry: one SQLite file in WAL mode.
//!
//! Writers take the database lock at the start of their transaction (`BEGIN IMMEDIATE`), so two processes on
//! the same file cannot read the same counter; with `synchronous=FULL` a commit survives a power cut, not only a
//! killed process.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

mod applications;
mod licences;
mod sequencer;
mod turns;

use turns::{Turn, Turns};

use super::ahead::{self, Expected};

use super::{
    year_of, Advance, ApplicationId, ApplicationRecord, AuditEntry, DocumentId, DocumentNumber,
    DocumentStanding, NewApplication, PendingApplication, Registry, RegistryError, Render,
    RenderForApplication, RenderedDocument, StoredDocument, TokenHolder,
};
use crate::clock::UnixTime;
use crate::forms::FormId;
use crate::issuance::LifecycleAction;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE number_counter (
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (form, year)
);
CREATE TABLE document (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    canonical_data BLOB NOT NULL,
    seal TEXT NOT NULL,
    pdf BLOB NOT NULL,
    UNIQUE (form, year, sequence)
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    r#"
CREATE TABLE token (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    sha256 BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
"#,
    // Duplicates share their original's number (copy 1, 2, ...), so the number alone is no longer unique;
    // applications and licence events arrive.
    r#"
CREATE TABLE document_v3 (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL,
    copy INTEGER NOT NULL DEFAULT 0,
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    canonical_data BLOB NOT NULL,
    seal TEXT NOT NULL,
    pdf BLOB NOT NULL,
    UNIQUE (number, copy),
    UNIQUE (form, year, sequence, copy)
);
INSERT INTO document_v3 (id, number, copy, form, year, sequence, issued_at, canonical_data, seal, pdf)
    SELECT id, number, 0, form, year, sequence, issued_at, canonical_data, seal, pdf FROM document;
DROP TABLE document;
ALTER TABLE document_v3 RENAME TO document;
CREATE TABLE application (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    service TEXT NOT NULL,
    applicant TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    content BLOB NOT NULL,
    cms BLOB NOT NULL,
    verification TEXT NOT NULL,
    status TEXT NOT NULL,
    payment_reference TEXT,
    registered_at INTEGER,
    due_date TEXT,
    decided_at INTEGER,
    document_id INTEGER REFERENCES document(id)
);
CREATE TABLE document_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES document(id),
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    related_document INTEGER REFERENCES document(id)
);
CREATE INDEX document_event_by_document ON document_event (document_id);
CREATE INDEX document_event_by_related ON document_event (related_document);
CREATE TRIGGER document_event_no_update BEFORE UPDATE ON document_event
    BEGIN SELECT RAISE(ABORT, 'licence events are append-only'); END;
CREATE TRIGGER document_event_no_delete BEFORE DELETE ON document_event
    BEGIN SELECT RAISE(ABORT, 'licence events are append-only'); END;
"#,
    // Applications waiting for revocation data: the deadline of their verification, and an index to find them.
    r#"
ALTER TABLE application ADD COLUMN pending_until INTEGER;
CREATE INDEX application_pending ON application (id) WHERE status = 'verificationPending';
"#,
    // Applications by service and state, oldest first: the fee windows' sweep, and the queues.
    r#"
CREATE INDEX application_by_state ON application (service, status, submitted_at);
"#,
    // Retries: an application is identified by its signed request; a caller's idempotency key by what it made.
    r#"
ALTER TABLE application ADD COLUMN signed_sha256 BLOB;
CREATE UNIQUE INDEX application_by_signature ON application (signed_sha256) WHERE signed_sha256 IS NOT NULL;
CREATE TABLE idempotency (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 BLOB NOT NULL,
    document_id INTEGER REFERENCES document(id),
    application_id INTEGER REFERENCES application(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (caller, key)
);
"#,
    // An applicant's applications (`GET /v1/applications?applicant=`).
    r#"
CREATE INDEX application_by_applicant ON application (applicant);
"#,
    // Several providers in one node: each application goes to one (`''`: the node's first, for applications
    // stored before there were several), and an operator's token may belong to one.
    r#"
ALTER TABLE application ADD COLUMN provider TEXT NOT NULL DEFAULT '';
CREATE INDEX application_by_provider ON application (provider, status, submitted_at);
ALTER TABLE token ADD COLUMN provider TEXT;
"#,
    // Every status change of an application, in order: the feed webhooks are delivered from, and where each
    // delivery stands.
    r#"
CREATE TABLE application_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES application(id),
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    document_id INTEGER REFERENCES document(id)
);
CREATE TRIGGER application_event_no_update BEFORE UPDATE ON application_event
    BEGIN SELECT RAISE(ABORT, 'application events are append-only'); END;
CREATE TRIGGER application_event_no_delete BEFORE DELETE ON application_event
    BEGIN SELECT RAISE(ABORT, 'application events are append-only'); END;
CREATE TABLE delivery_cursor (
    name TEXT PRIMARY KEY,
    last_event INTEGER NOT NULL
);
"#,
    // A head's own signature on a step (their decision), kept with the step as evidence.
    r#"
CREATE TABLE step_signature (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES application(id),
    step TEXT NOT NULL,
    at INTEGER NOT NULL,
    signer TEXT NOT NULL,
    cms BLOB NOT NULL,
    verification TEXT NOT NULL
);
CREATE INDEX step_signature_by_application ON step_signature (application_id);
CREATE TRIGGER step_signature_no_update BEFORE UPDATE ON step_signature
    BEGIN SELECT RAISE(ABORT, 'step signatures are append-only'); END;
CREATE TRIGGER step_signature_no_delete BEFORE DELETE ON step_signature
    BEGIN SELECT RAISE(ABORT, 'step signatures are append-only'); END;
"#,
    // The audit log's hash chain (`registry::chain`): every entry's place and hash, and the chain's head. The
    // entries written before are chained in id order by `chain_earlier_entries` (one process wrote them, in that
    // order), which also restores the append-only trigger dropped here to do it.
    r#"
DROP TRIGGER IF EXISTS audit_no_update;
ALTER TABLE audit ADD COLUMN chain TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN hash BLOB NOT NULL DEFAULT x'';
CREATE INDEX audit_by_chain ON audit (chain, seq, id);
CREATE TABLE audit_chain (
    chain TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
    BEGIN SELECT RAISE(ABORT, 'audit chains are never removed'); END;
"#,
    // Tokens are revoked, not removed: the name stays taken and the audit log's entries keep their meaning.
    r#"
ALTER TABLE token ADD COLUMN revoked_at INTEGER;
"#,
];

/// The migration (counted from 1) that adds the audit chain.
const CHAIN_MIGRATION: usize = 11;

/// The chain of a SQLite registry: one file has one writer at a time, so one chain.
const CHAIN: &str = "main";

/// Chains the audit entries written before the chain existed, in id order, then makes the log append-only again.
fn chain_earlier_entries(tx: &Connection) -> Result<(), RegistryError> {
    let entries: Vec<(i64, UnixTime, String, String, String)> = {
        let mut stmt =
            tx.prepare("SELECT id, at, actor, action, subject FROM audit ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut previous = super::chain::GENESIS;
    let mut seq = 0i64;
    for (id, at, actor, action, subject) in entries {
        seq += 1;
        let content = super::chain::Content {
            at,
            actor: &actor,
            action: &action,
            subject: &subject,
        };
        previous = super::chain::link(&previous, CHAIN, seq, &content);
        tx.execute(
            "UPDATE audit SET chain = ?2, seq = ?3, hash = ?4 WHERE id = ?1",
            params![id, CHAIN, seq, &previous[..]],
        )?;
    }
    tx.execute(
        "INSERT INTO audit_chain (chain, seq, hash) VALUES (?1, ?2, ?3)",
        params![CHAIN, seq, &previous[..]],
    )?;
    tx.execute_batch(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    )?;
    Ok(())
}

impl From<rusqlite::Error> for RegistryError {
    fn from(e: rusqlite::Error) -> Self {
        RegistryError::Storage(Box::new(e))
    }
}

/// The registry in one SQLite file (or in memory): the embedded default.
pub struct SqliteRegistry {
    /// The connection that writes, served first come, first served.
    conn: Turns<Connection>,
    /// A read-only connection for lookups when the registry is a file. With WAL a reader sees the last committed
    /// state and never waits for the writer, so reading a document or a token never queues behind an issuance
    /// (or behind a step whose guessed number was taken and renders again inside its transaction). An in-memory
    /// registry reads through its one connection.
    reader: Option<Turns<Connection>>,
    /// References and other documents issued at once: rendered outside the writer, stored by group commits.
    sequencer: sequencer::Sequencer,
}

impl SqliteRegistry {
    /// The schema version this build writes (`PRAGMA user_version`).
    pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

    /// Opens (creating if needed) the registry file and brings its schema up to date. The file is private to the
    /// service's user (0600; SQLite gives its WAL and shared-memory files the same mode): it holds personal data.
    pub fn open(path: &Path) -> Result<Self, RegistryError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            let private = |e: std::io::Error| {
                RegistryError::Corrupt(format!("{}: cannot make it private: {e}", path.display()))
            };
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .map_err(private)?;
            for suffix in ["", "-wal", "-shm"] {
                let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
                if let Ok(meta) = std::fs::metadata(&file) {
                    if meta.permissions().mode() & 0o077 != 0 {
                        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                            .map_err(private)?;
                    }
                }
            }
        }
        let mut registry = Self::init(Connection::open(path)?)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(Duration::from_secs(30))?;
        registry.reader = Some(Turns::new(reader));
        Ok(registry)
    }

    /// A registry that lives in memory only (tests, benchmarks).
    pub fn in_memory() -> Result<Self, RegistryError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, RegistryError> {
        conn.busy_timeout(Duration::from_secs(30))?;
        // journal_mode answers with a row; in-memory databases answer "memory".
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Turns::new(conn),
            reader: None,
            sequencer: sequencer::Sequencer::default(),
        })
    }

    /// The connection for lookups outside a transaction.
    fn reader(&self) -> Turn<'_, Connection> {
        match &self.reader {
            Some(reader) => reader.take(),
            None => self.conn(),
        }
    }

    fn conn(&self) -> Turn<'_, Connection> {
        // A panic while holding the connection cannot leave a half-done transaction behind: rusqlite rolls back
        // on drop, so the connection is safe to reuse.
        self.conn.take()
    }

    /// The application's number and its refusal's that a submission refused at once is expected to take, as the
    /// reader sees the registry now; `None` for a request already submitted (no number is used then) or when a
    /// lookup fails.
    fn expected_submission(
        &self,
        application: &NewApplication<'_>,
    ) -> Option<(String, DocumentNumber)> {
        let conn = self.reader();
        if !matches!(
            applications::by_signature(&conn, &application.signed_sha256),
            Ok(None)
        ) {
            return None;
        }
        let year = year_of(application.submitted_at).ok()?;
        let last = |series: &str| {
            let form = FormId::parse(series).ok()?;
            last_number(&conn, &form, year)
                .ok()
                .map(|n| n.max(0) as u64)
        };
        ahead::expected_submission(
            application.submitted_at,
            applications::APPLICATION_SERIES,
            last(applications::APPLICATION_SERIES)?,
            last("refusal")?,
        )
    }

    /// The number a step's document is expected to take, as the reader sees the registry now; `None` when the
    /// step issues none, will not issue one (a retry of a step already taken, an application no longer in the
    /// step's state) or a lookup fails — the transaction decides in every case.
    fn expected_number(
        &self,
        application: Option<(ApplicationId, &str)>,
        key: Option<&super::IdempotencyKey<'_>>,
        expected: Option<Expected<'_>>,
        at: UnixTime,
    ) -> Option<DocumentNumber> {
        let expected = expected?;
        let conn = self.reader();
        if let Some(key) = key {
            if !matches!(applications::remembered(&conn, key), Ok(None)) {
                return None;
            }
        }
        if let Some((id, from)) = application {
            match applications::application(&conn, id) {
                Ok(Some(a)) if a.status == from => {}
                _ => return None,
            }
        }
        let original = match expected.licence() {
            Some(licence) => Some(licences::original_of(&conn, licence).ok()?),
            None => None,
        };
        let last = match expected.series(original.as_ref(), at) {
            Some((form, year)) => Some(last_number(&conn, &form, year).ok()?.max(0) as u64),
            None => None,
        };
        ahead::resolve(expected, at, original, last)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(RegistryError::SchemaTooNew {
            found: version,
            supported,
        });
    }
    for (done, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        tx.execute_batch(sql)?;
        if done + 1 == CHAIN_MIGRATION {
            chain_earlier_entries(&tx)?;
        }
        tx.pragma_update(None, "user_version", done as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Instants are stored as Unix seconds (`INTEGER`).
impl rusqlite::types::ToSql for UnixTime {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.secs()))
    }
}

impl rusqlite::types::FromSql for UnixTime {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        i64::column_result(value).map(UnixTime::from_secs)
    }
}

/// Form ids are stored as their text; one that no longer parses is corrupt data.
impl rusqlite::types::ToSql for FormId {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
    }
}

impl rusqlite::types::FromSql for FormId {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        FormId::parse(value.as_str()?)
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// The years a document may be numbered in.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// The last number stored in the series of `form` in `year` (0: none yet).
fn last_number(conn: &Connection, form: &FormId, year: i32) -> Result<i64, RegistryError> {
    Ok(conn
        .query_row(
            "SELECT last FROM number_counter WHERE form = ?1 AND year = ?2",
            params![form, year],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// Reserves the next sequence of `form` in `year` (the caller's transaction makes it final or undoes it).
fn reserve(conn: &Connection, form: &FormId, year: i32) -> Result<DocumentNumber, RegistryError> {
    if !YEARS.contains(&year) {
        return Err(RegistryError::BadYear(year));
    }
    let last = last_number(conn, form, year)?;
    conn.execute(
        "INSERT INTO number_counter (form, year, last) VALUES (?1, ?2, ?3)
         ON CONFLICT (form, year) DO UPDATE SET last = excluded.last",
        params![form, year, last + 1],
    )?;
    Ok(DocumentNumber {
        form: form.clone(),
        year,
        sequence: last as u64 + 1,
        assigned: None,
    })
}

/// Reserves a number, renders the document for it and stores it with its audit entry.
fn issue_in(
    conn: &Connection,
    form: &FormId,
    year: i32,
    actor: &str,
    render: &mut Render<'_>,
    assigned: Option<&str>,
) -> Result<StoredDocument, RegistryError> {
    if let Some(n) = assigned {
        let taken: Option<i64> = conn
            .query_row("SELECT id FROM document WHERE number = ?1", [n], |r| {
                r.get(0)
            })
            .optional()?;
        if taken.is_some() {
            return Err(RegistryError::NumberTaken(n.to_string()));
        }
    }
    let mut number = reserve(conn, form, year)?;
    number.assigned = assigned.map(str::to_string);
    let rendered = render(&number).map_err(|source| RegistryError::Render {
        number: number.to_string(),
        source,
    })?;
    store_document(conn, &number, 0, rendered, actor, "document.issued")
}

fn store_document(
    conn: &Connection,
    number: &DocumentNumber,
    copy: u32,
    rendered: RenderedDocument,
    actor: &str,
    action: &str,
) -> Result<StoredDocument, RegistryError> {
    let text = number.to_string();
    let seal = serde_json::to_string(&rendered.seal)
        .map_err(|e| RegistryError::Corrupt(format!("seal of {text}: {e}")))?;
    conn.execute(
        "INSERT INTO document (number, copy, form, year, sequence, issued_at, canonical_data, seal, pdf)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            text,
            copy,
            number.form,
            number.year,
            number.sequence as i64,
            rendered.issued_at,
            rendered.canonical_data,
            seal,
            rendered.pdf
        ],
    )?;
    let id = conn.last_insert_rowid();
    audit(conn, rendered.issued_at, actor, action, &text)?;
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

/// Appends to the audit log at `at`: the time of the operation it records, given by the caller.
fn audit(
    conn: &Connection,
    at: UnixTime,
    actor: &str,
    action: &str,
    subject: &str,
) -> Result<(), RegistryError> {
    // The chain's head row is written first: in a transaction that is already the writer nothing waits here.
    let (seq, previous): (i64, Vec<u8>) = conn.query_row(
        "SELECT seq, hash FROM audit_chain WHERE chain = ?1",
        [CHAIN],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let previous: [u8; 32] = previous
        .try_into()
        .map_err(|_| RegistryError::Corrupt("the audit chain's head is not a hash".into()))?;
    let seq = seq + 1;
    let content = super::chain::Content {
        at,
        actor,
        action,
        subject,
    };
    let hash = super::chain::link(&previous, CHAIN, seq, &content);
    conn.execute(
        "INSERT INTO audit (at, actor, action, subject, chain, seq, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, actor, action, subject, CHAIN, seq, &hash[..]],
    )?;
    conn.execute(
        "UPDATE audit_chain SET seq = ?2, hash = ?3 WHERE chain = ?1",
        params![CHAIN, seq, &hash[..]],
    )?;
    Ok(())
}

fn row_to_document(row: &rusqlite::Row<'_>) -> rusqlite::Result<(StoredDocument, String)> {
    Ok((
        StoredDocument {
            id: DocumentId(row.get(0)?),
            number: row.get(1)?,
            copy: row.get(7)?,
            form: row.get(2)?,
            issued_at: row.get(3)?,
            canonical_data: row.get(4)?,
            seal: Vec::new(),
            pdf: row.get(6)?,
        },
        row.get(5)?,
    ))
}

const SELECT_DOCUMENT: &str =
    "SELECT id, number, form, issued_at, canonical_data, seal, pdf, copy FROM document";

fn finish(
    found: Option<(StoredDocument, String)>,
) -> Result<Option<StoredDocument>, RegistryError> {
    found
        .map(|(mut doc, seal)| {
            doc.seal = serde_json::from_str(&seal)
                .map_err(|e| RegistryError::Corrupt(format!("seal of {}: {e}", doc.number)))?;
            Ok(doc)
        })
        .transpose()
}

impl Registry for SqliteRegistry {
    fn issue(
        &self,
        form: &FormId,
        year: i32,
        actor: &str,
        render: &mut Render<'_>,
    ) -> Result<StoredDocument, RegistryError> {
        self.sequencer
            .issue(self, form, year, actor, render, None)
            .map(|(doc, _)| doc)
    }

    fn issue_once(
        &self,
        key: &super::IdempotencyKey<'_>,
        form: &FormId,
        year: i32,
        actor: &str,
        render: &mut Render<'_>,
    ) -> Result<(StoredDocument, bool), RegistryError> {
        // A key stored already answers at once; one stored while this request renders is found again by the
        // committing transaction.
        let remembered = applications::remembered(&self.reader(), key)?;
        if let Some(first) = remembered {
            let super::Remembered::Document(id) = first else {
                return Err(RegistryError::IdempotencyKeyReused(key.key.to_string()));
            };
            let doc = self
                .document(id)?
                .ok_or_else(|| RegistryError::Corrupt(format!("document {} vanished", id.0)))?;
            return Ok((doc, true));
        }
        self.sequencer
            .issue(self, form, year, actor, render, Some(key))
    }

    fn remembered(
        &self,
        key: &super::IdempotencyKey<'_>,
    ) -> Result<Option<super::Remembered>, RegistryError> {
        applications::remembered(&self.reader(), key)
    }

    fn application_by_signature(
        &self,
        sha256: &[u8; 32],
    ) -> Result<Option<ApplicationRecord>, RegistryError> {
        applications::by_signature(&self.reader(), sha256)
    }

    fn submit_application(
        &self,
        application: &NewApplication<'_>,
        actor: &str,
        refusal: Option<&mut RenderForApplication<'_>>,
    ) -> Result<ApplicationRecord, RegistryError> {
        // A refusal at submission is rendered before the writer is taken (`registry::ahead`).
        let guess = || self.expected_submission(application);
        ahead::submitting(refusal, guess, |refusal| {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id = applications::submit(&tx, application, actor, refusal)?;
            let record = applications::application(&tx, id)?
                .ok_or_else(|| RegistryError::Corrupt("a submitted application vanished".into()))?;
            tx.commit()?;
            Ok(record)
        })
    }

    fn application(&self, id: ApplicationId) -> Result<Option<ApplicationRecord>, RegistryError> {
        applications::application(&self.reader(), id)
    }

    fn pending_applications(
        &self,
        after: Option<ApplicationId>,
        limit: usize,
    ) -> Result<Vec<PendingApplication>, RegistryError> {
        applications::pending(&self.reader(), after, limit)
    }

    fn find_applications(
        &self,
        filter: &super::ApplicationFilter<'_>,
        after: Option<ApplicationId>,
        limit: usize,
    ) -> Result<Vec<ApplicationRecord>, RegistryError> {
        applications::find(&self.reader(), filter, after, limit)
    }

    fn advance_application(
        &self,
        id: ApplicationId,
        actor: &str,
        advance: Advance<'_, '_>,
    ) -> Result<ApplicationRecord, RegistryError> {
        // The step's document is rendered before the writer is taken (`registry::ahead`).
        let guess = self.expected_number(
            Some((id, advance.from)),
            advance.idempotency.as_ref(),
            Expected::of_step(&advance),
            advance.at,
        );
        ahead::advancing(advance, guess, |advance| {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            applications::advance(&tx, id, actor, advance)?;
            let record = applications::application(&tx, id)?
                .ok_or_else(|| RegistryError::NotFound(format!("application {}", id.0)))?;
            tx.commit()?;
            Ok(record)
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
        // A re-issue's or duplicate's document is rendered before the writer is taken (`registry::ahead`).
        let guess = || self.expected_number(None, None, Expected::of_change(id, action), at);
        ahead::changing(render, guess, |render| {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (number, made) = licences::change(&tx, id, actor, action, reason, at, render)?;
            let standing = licences::standing(&tx, &number)?
                .ok_or_else(|| RegistryError::Corrupt(format!("{number} vanished")))?;
            tx.commit()?;
            Ok((standing, made))
        })
    }

    fn standing(&self, number: &str) -> Result<Option<DocumentStanding>, RegistryError> {
        licences::standing(&self.reader(), number)
    }

    fn document(&self, id: DocumentId) -> Result<Option<StoredDocument>, RegistryError> {
        let conn = self.reader();
        let found = conn
            .query_row(
                &format!("{SELECT_DOCUMENT} WHERE id = ?1"),
                [id.0],
                row_to_document,
            )
            .optional()?;
        finish(found)
    }

    fn document_by_number(&self, number: &str) -> Result<Option<StoredDocument>, RegistryError> {
        let conn = self.reader();
        let found = conn
            .query_row(
                &format!("{SELECT_DOCUMENT} WHERE number = ?1 AND copy = 0"),
                [number],
                row_to_document,
            )
            .optional()?;
        finish(found)
    }

    fn documents_by_number(&self, number: &str) -> Result<Vec<StoredDocument>, RegistryError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "{SELECT_DOCUMENT} WHERE number = ?1 ORDER BY copy LIMIT 100"
        ))?;
        let rows = stmt.query_map([number], row_to_document)?;
        let mut out = Vec::new();
        for row in rows {
            if let Some(doc) = finish(Some(row?))? {
                out.push(doc);
            }
        }
        Ok(out)
    }

    fn numbers(&self, form: &FormId, year: i32) -> Result<Vec<u64>, RegistryError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT sequence FROM document WHERE form = ?1 AND year = ?2 AND copy = 0 ORDER BY sequence",
        )?;
        let rows = stmt.query_map(params![form, year], |r| r.get::<_, i64>(0))?;
        rows.map(|r| Ok(r? as u64)).collect()
    }

    fn audit(&self) -> Result<Vec<AuditEntry>, RegistryError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare("SELECT id, at, actor, action, subject FROM audit ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
            })
        })?;
        rows.map(|r| Ok(r?)).collect()
    }

    /// SQLite renders inside the issuing transaction: a number is issued or never used.
    fn voided_numbers(
        &self,
        _form: &FormId,
        _year: i32,
    ) -> Result<Vec<super::VoidedNumber>, RegistryError> {
        Ok(Vec::new())
    }

    fn settle_reservations(
        &self,
        _own: bool,
        _older_than: UnixTime,
        _at: UnixTime,
    ) -> Result<u64, RegistryError> {
        Ok(0)
    }

    fn audit_heads(&self) -> Result<Vec<super::chain::ChainHead>, RegistryError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT chain, seq, hash FROM audit_chain
             UNION ALL SELECT DISTINCT chain, 0, x'' FROM audit
                 WHERE chain NOT IN (SELECT chain FROM audit_chain)
             ORDER BY 1",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(super::chain::ChainHead {
                chain: r.get(0)?,
                seq: r.get(1)?,
                hash: crate::encoding::hex(&r.get::<_, Vec<u8>>(2)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn audit_chain(
        &self,
        chain: &str,
        after: (i64, i64),
        limit: usize,
    ) -> Result<Vec<super::chain::ChainedEntry>, RegistryError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, chain, seq, at, actor, action, subject, hash FROM audit
             WHERE chain = ?1 AND (seq, id) > (?2, ?3) ORDER BY seq, id LIMIT ?4",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![chain, after.0, after.1, limit], |r| {
            Ok(super::chain::ChainedEntry {
                id: r.get(0)?,
                chain: r.get(1)?,
                seq: r.get(2)?,
                at: r.get(3)?,
                actor: r.get(4)?,
                action: r.get(5)?,
                subject: r.get(6)?,
                hash: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record(
        &self,
        at: UnixTime,
        actor: &str,
        action: &str,
        subject: &str,
    ) -> Result<(), RegistryError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        audit(&tx, at, actor, action, subject)?;
        tx.commit()?;
        Ok(())
    }

    fn add_token(
        &self,
        holder: &TokenHolder,
        sha256: &[u8; 32],
        at: i64,
    ) -> Result<(), RegistryError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO token (name, role, sha256, created_at, provider) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![holder.name, holder.role.as_str(), &sha256[..], at, holder.provider],
        )?;
        audit(
            &tx,
            UnixTime::from_secs(at),
            "qoltanba",
            "token.created",
            &holder.name,
        )?;
        tx.commit()?;
        Ok(())
    }

    fn revoke_token(&self, name: &str, actor: &str, at: i64) -> Result<bool, RegistryError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let revoked = tx.execute(
            "UPDATE token SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            params![name, at],
        )?;
        if revoked > 0 {
            audit(&tx, UnixTime::from_secs(at), actor, "token.revoked", name)?;
        }
        tx.commit()?;
        Ok(revoked > 0)
    }

    fn token_by_hash(&self, sha256: &[u8; 32]) -> Result<Option<TokenHolder>, RegistryError> {
        let found: Option<(String, String, Option<String>)> = self
            .reader()
            .query_row(
                "SELECT name, role, provider FROM token WHERE sha256 = ?1 AND revoked_at IS NULL",
                [&sha256[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        found
            .map(|(name, role, provider)| TokenHolder::stored(name, &role, provider))
            .transpose()
    }

    fn tokens(&self) -> Result<Vec<(TokenHolder, [u8; 32])>, RegistryError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT name, role, sha256, provider FROM token WHERE revoked_at IS NULL ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, role, hash, provider) = row?;
            let hash: [u8; 32] = hash.try_into().map_err(|_| {
                RegistryError::Corrupt(format!("token {name}: hash is not 32 bytes"))
            })?;
            out.push((TokenHolder::stored(name, &role, provider)?, hash));
        }
        Ok(out)
    }

    fn application_events(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<super::ApplicationEvent>, RegistryError> {
        applications::events(&self.reader(), after, limit)
    }

    fn delivery_cursor(&self, name: &str) -> Result<i64, RegistryError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A feed starts where it is first asked for: a webhook configured later does not replay the past.
        tx.execute(
            "INSERT OR IGNORE INTO delivery_cursor (name, last_event)
             SELECT ?1, COALESCE(MAX(id), 0) FROM application_event",
            [name],
        )?;
        let last = tx.query_row(
            "SELECT last_event FROM delivery_cursor WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(last)
    }

    fn set_delivery_cursor(&self, name: &str, last_event: i64) -> Result<(), RegistryError> {
        self.conn().execute(
            "UPDATE delivery_cursor SET last_event = MAX(last_event, ?2) WHERE name = ?1",
            params![name, last_event],
        )?;
        Ok(())
    }

    fn token_count(&self) -> Result<u64, RegistryError> {
        let n: i64 = self
            .reader()
            .query_row("SELECT count(*) FROM token", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}
