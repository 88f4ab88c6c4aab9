//! Applications in PostgreSQL: submission and the steps after it, as in the SQLite registry, with the row locks
//! that make them safe across nodes (the module documentation of `postgres` says which and in what order).

use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::{audit, issue_in, lock_hash, opt_time, pg, reserve, time, year_of, Tx};
use crate::clock::UnixTime;
use crate::forms::FormId;
use crate::issuance::catalogue::{REFUSED, VERIFICATION_PENDING};
use crate::issuance::TransitionError;
use crate::registry::{
    Advance, ApplicationEvent, ApplicationFilter, ApplicationId, ApplicationRecord, DocumentId,
    DocumentNumber, IdempotencyKey, NewApplication, PendingApplication, RegistryError, Remembered,
    RenderForApplication,
};

/// Application numbers share the document counters under this key: `QLT-APP-2026-000001`.
pub(super) const APPLICATION_SERIES: &str = "QLT-APP";

const SELECT_APPLICATION: &str =
    "SELECT a.id, a.number, a.service, a.applicant, a.applicant_name, a.submitted_at, a.content,
            a.verification, a.status, a.payment_reference, a.registered_at, a.due_date,
            a.decided_at, a.document_id, d.number, a.pending_until, a.provider
     FROM application a LEFT JOIN document d ON d.id = a.document_id";

fn record(r: &Row) -> ApplicationRecord {
    ApplicationRecord {
        id: ApplicationId(r.get(0)),
        number: r.get(1),
        service: r.get(2),
        applicant: r.get(3),
        applicant_name: r.get(4),
        submitted_at: time(r.get(5)),
        content: r.get(6),
        verification: r.get(7),
        status: r.get(8),
        payment_reference: r.get(9),
        registered_at: opt_time(r.get(10)),
        due_date: r.get(11),
        decided_at: opt_time(r.get(12)),
        pending_until: opt_time(r.get(15)),
        provider: r.get(16),
        document: match (r.get::<_, Option<i64>>(13), r.get::<_, Option<String>>(14)) {
            (Some(id), Some(number)) => Some((DocumentId(id), number)),
            _ => None,
        },
    }
}

pub(super) async fn by_signature<C: GenericClient>(
    conn: &C,
    sha256: &[u8; 32],
) -> Result<Option<ApplicationRecord>, RegistryError> {
    Ok(conn
        .query_opt(
            &format!("{SELECT_APPLICATION} WHERE a.signed_sha256 = $1"),
            &[&&sha256[..]],
        )
        .await
        .map_err(pg)?
        .as_ref()
        .map(record))
}

pub(super) async fn application<C: GenericClient>(
    conn: &C,
    id: ApplicationId,
) -> Result<Option<ApplicationRecord>, RegistryError> {
    Ok(conn
        .query_opt(&format!("{SELECT_APPLICATION} WHERE a.id = $1"), &[&id.0])
        .await
        .map_err(pg)?
        .as_ref()
        .map(record))
}

/// Serialises the requests that use `key`, until the caller's transaction ends.
pub(super) async fn lock_key(tx: &Tx<'_>, key: &IdempotencyKey<'_>) -> Result<(), RegistryError> {
    let mut named = Vec::with_capacity(key.caller.len() + key.key.len() + 1);
    named.extend_from_slice(key.caller.as_bytes());
    named.push(0);
    named.extend_from_slice(key.key.as_bytes());
    lock_hash(tx, &crate::encoding::sha256(&named)).await
}

/// What the first request with `key` made; an error when the key was used for a different request.
pub(super) async fn remembered<C: GenericClient>(
    conn: &C,
    key: &IdempotencyKey<'_>,
) -> Result<Option<Remembered>, RegistryError> {
    let row = conn
        .query_opt(
            "SELECT request_sha256, document_id, application_id FROM idempotency
             WHERE caller = $1 AND key = $2",
            &[&key.caller, &key.key],
        )
        .await
        .map_err(pg)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let request: Vec<u8> = row.get(0);
    match (row.get::<_, Option<i64>>(1), row.get::<_, Option<i64>>(2)) {
        _ if request != key.request => {
            Err(RegistryError::IdempotencyKeyReused(key.key.to_string()))
        }
        (Some(d), _) => Ok(Some(Remembered::Document(DocumentId(d)))),
        (None, Some(a)) => Ok(Some(Remembered::Application(ApplicationId(a)))),
        (None, None) => Err(RegistryError::Corrupt(format!(
            "idempotency key {:?} remembers nothing",
            key.key
        ))),
    }
}

/// Records what the request with `key` made, in the caller's transaction.
pub(super) async fn remember(
    tx: &Tx<'_>,
    key: &IdempotencyKey<'_>,
    made: Remembered,
    at: UnixTime,
) -> Result<(), RegistryError> {
    let (document, application) = match made {
        Remembered::Document(d) => (Some(d.0), None),
        Remembered::Application(a) => (None, Some(a.0)),
    };
    tx.execute(
            "INSERT INTO idempotency (caller, key, request_sha256, document_id, application_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &key.caller,
                &key.key,
                &&key.request[..],
                &document,
                &application,
                &at.secs(),
            ],
        ).await?;
    Ok(())
}

pub(super) async fn submit(
    tx: &Tx<'_>,
    app: &NewApplication<'_>,
    actor: &str,
    refusal: Option<&mut RenderForApplication<'_>>,
) -> Result<ApplicationId, RegistryError> {
    // The same signed request again, perhaps at this moment on another node: wait for the first, then it is that
    // application, no number used.
    lock_hash(tx, &app.signed_sha256).await?;
    if let Some(existing) = by_signature(&*tx.tx, &app.signed_sha256).await? {
        return Ok(existing.id);
    }
    let year = year_of(app.submitted_at)?;
    let number = reserve(tx, &FormId::parse(APPLICATION_SERIES)?, year)
        .await?
        .to_string();
    let (status, decided_at, document): (&str, _, _) = match refusal {
        Some(render) => {
            let doc = issue_in(
                tx,
                &FormId::parse("refusal")?,
                year,
                actor,
                &mut |n: &DocumentNumber| render(&number, n),
                None,
            )
            .await?;
            (REFUSED, Some(app.submitted_at.secs()), Some(doc.id.0))
        }
        None if app.pending_until.is_some() => (VERIFICATION_PENDING, None, None),
        None => (app.start, None, None),
    };
    let pending_until = (status == VERIFICATION_PENDING)
        .then_some(app.pending_until)
        .flatten()
        .map(UnixTime::secs);
    let (registered_at, due_date) = match &app.start_due {
        Some(due) if status == app.start => (Some(app.submitted_at.secs()), Some(due.as_str())),
        _ => (None, None),
    };
    let row = tx.query_one(
            "INSERT INTO application (number, service, applicant, applicant_name, submitted_at, content, cms,
                                      verification, status, decided_at, document_id, pending_until,
                                      registered_at, due_date, signed_sha256, provider)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             RETURNING id",
            &[
                &number,
                &app.service,
                &app.applicant,
                &app.applicant_name,
                &app.submitted_at.secs(),
                &app.content,
                &app.cms,
                &app.verification,
                &status,
                &decided_at,
                &document,
                &pending_until,
                &registered_at,
                &due_date,
                &&app.signed_sha256[..],
                &app.provider,
            ],
        ).await?;
    let id = ApplicationId(row.get(0));
    event(tx, id, app.submitted_at, status, document).await?;
    audit(
        tx,
        app.submitted_at,
        actor,
        "application.submitted",
        &number,
    )
    .await?;
    if status == REFUSED {
        audit(tx, app.submitted_at, actor, "application.refused", &number).await?;
    }
    if status == VERIFICATION_PENDING {
        audit(
            tx,
            app.submitted_at,
            actor,
            "application.verification-pending",
            &number,
        )
        .await?;
    }
    Ok(id)
}

pub(super) async fn find<C: GenericClient>(
    conn: &C,
    filter: &ApplicationFilter<'_>,
    after: Option<ApplicationId>,
    limit: usize,
) -> Result<Vec<ApplicationRecord>, RegistryError> {
    // Only the parts given are in the statement, so PostgreSQL can use the matching index.
    let mut sql = format!("{SELECT_APPLICATION} WHERE a.id > $1");
    let mut values: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(after.map_or(0, |a| a.0))];
    let mut part = |column: &str, op: &str, value: Box<dyn ToSql + Sync + Send>| {
        values.push(value);
        sql.push_str(&format!(" AND a.{column} {op} ${}", values.len()));
    };
    if let Some(v) = filter.applicant {
        part("applicant", "=", Box::new(v.to_string()));
    }
    if let Some(v) = filter.service {
        part("service", "=", Box::new(v.to_string()));
    }
    if let Some(v) = filter.status {
        part("status", "=", Box::new(v.to_string()));
    }
    if let Some(v) = filter.submitted_before {
        part("submitted_at", "<", Box::new(v.secs()));
    }
    if !filter.providers.is_empty() {
        let providers: Vec<String> = filter.providers.iter().map(|p| p.to_string()).collect();
        values.push(Box::new(providers));
        sql.push_str(&format!(" AND a.provider = ANY(${})", values.len()));
    }
    values.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
    sql.push_str(&format!(" ORDER BY a.id LIMIT ${}", values.len()));
    let params: Vec<&(dyn ToSql + Sync)> = values
        .iter()
        .map(|v| v.as_ref() as &(dyn ToSql + Sync))
        .collect();
    Ok(conn
        .query(&sql, &params)
        .await
        .map_err(pg)?
        .iter()
        .map(record)
        .collect())
}

pub(super) async fn advance(
    tx: &Tx<'_>,
    id: ApplicationId,
    actor: &str,
    advance: Advance<'_, '_>,
) -> Result<(), RegistryError> {
    // The row is locked before its state is read: a step decided on another node at the same time waits here and
    // then reads the state that step left.
    let locked = tx
        .query_opt(
            "SELECT id FROM application WHERE id = $1 FOR UPDATE",
            &[&id.0],
        )
        .await?;
    if locked.is_none() {
        return Err(RegistryError::NotFound(format!("application {}", id.0)));
    }
    let current = application(&*tx.tx, id)
        .await?
        .ok_or_else(|| RegistryError::NotFound(format!("application {}", id.0)))?;
    if let Some(key) = &advance.idempotency {
        lock_key(tx, key).await?;
        match remembered(&*tx.tx, key).await? {
            Some(Remembered::Application(a)) if a == id => return Ok(()),
            Some(_) => return Err(RegistryError::IdempotencyKeyReused(key.key.to_string())),
            None => remember(tx, key, Remembered::Application(id), advance.at).await?,
        }
    }
    if current.status != advance.from {
        return Err(TransitionError {
            what: "an application",
            action: advance.audit.trim_start_matches("application.").to_string(),
            state: current.status,
        }
        .into());
    }
    let document = match (advance.change, advance.document) {
        (Some((licence, action, reason)), Some((_, render))) => {
            let (_, made) = super::licences::change(
                tx,
                licence,
                actor,
                action,
                reason,
                advance.at,
                Some(render),
            )
            .await?;
            made.map(|d| d.id)
        }
        (Some(_), None) => {
            return Err(RegistryError::Corrupt(
                "a licence change with no renderer".into(),
            ))
        }
        (None, Some((form, render))) => Some(
            issue_in(
                tx,
                &FormId::parse(form)?,
                year_of(advance.at)?,
                actor,
                render,
                advance.number,
            )
            .await?
            .id,
        ),
        (None, None) => None,
    };
    let registered_at = advance.registers.then_some(advance.at.secs());
    let decided_at = advance.decides.then_some(advance.at.secs());
    let document = document.map(|d| d.0);
    tx.execute(
        "UPDATE application SET status = $2,
                    payment_reference = COALESCE($3, payment_reference),
                    registered_at = COALESCE($4, registered_at),
                    due_date = COALESCE($5, due_date),
                    decided_at = COALESCE($6, decided_at),
                    document_id = COALESCE($7, document_id),
                    verification = COALESCE($8, verification),
                    pending_until = CASE WHEN $2 = 'verificationPending' THEN pending_until END
             WHERE id = $1",
        &[
            &id.0,
            &advance.to,
            &advance.payment_reference,
            &registered_at,
            &advance.due_date,
            &decided_at,
            &document,
            &advance.verification,
        ],
    )
    .await?;
    event(tx, id, advance.at, advance.to, document).await?;
    if let Some((cms, signer, verification)) = advance.signature {
        tx.execute(
            "INSERT INTO step_signature (application_id, step, at, signer, cms, verification)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id.0,
                &advance.to,
                &advance.at.secs(),
                &signer,
                &cms,
                &verification,
            ],
        )
        .await?;
        audit(
            tx,
            advance.at,
            actor,
            "application.step.signed",
            &format!("{} {} by {signer}", current.number, advance.to),
        )
        .await?;
    }
    audit(tx, advance.at, actor, advance.audit, &current.number).await
}

/// Records that application `id` entered `status`, in the caller's transaction: the webhook feed.
async fn event(
    tx: &Tx<'_>,
    id: ApplicationId,
    at: UnixTime,
    status: &str,
    document: Option<i64>,
) -> Result<(), RegistryError> {
    tx.execute(
        "INSERT INTO application_event (application_id, at, status, document_id)
             VALUES ($1, $2, $3, $4)",
        &[&id.0, &at.secs(), &status, &document],
    )
    .await?;
    Ok(())
}

/// Status changes after event `after`, oldest first.
///
/// Event ids are handed out at insert, and two nodes' transactions may commit out of id order; a reader that
/// skipped an uncommitted id would never come back for it. Only events older than every transaction still open
/// are returned: an event whose inserting transaction is older than the snapshot's `xmin` (compared by `age`, which
/// survives transaction-id wraparound) can have no uncommitted predecessor; a younger one waits for the next poll.
pub(super) async fn events<C: GenericClient>(
    conn: &C,
    after: i64,
    limit: usize,
) -> Result<Vec<ApplicationEvent>, RegistryError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(conn
        .query(
            "SELECT e.id, e.application_id, a.number, a.service, a.provider, e.status, e.at, d.number
             FROM application_event e JOIN application a ON a.id = e.application_id
                  LEFT JOIN document d ON d.id = e.document_id
             WHERE e.id > $1
               AND age(e.xmin) > age(xid(pg_snapshot_xmin(pg_current_snapshot())))
             ORDER BY e.id LIMIT $2",
            &[&after, &limit],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(|r| ApplicationEvent {
            id: r.get(0),
            application: ApplicationId(r.get(1)),
            number: r.get(2),
            service: r.get(3),
            provider: r.get(4),
            status: r.get(5),
            at: time(r.get(6)),
            document: r.get(7),
        })
        .collect())
}

pub(super) async fn pending<C: GenericClient>(
    conn: &C,
    after: Option<ApplicationId>,
    limit: usize,
) -> Result<Vec<PendingApplication>, RegistryError> {
    let after = after.map_or(0, |a| a.0);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(conn
        .query(
            "SELECT id, number, submitted_at, pending_until, content, cms FROM application
             WHERE status = 'verificationPending' AND id > $1 ORDER BY id LIMIT $2",
            &[&after, &limit],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(|r| PendingApplication {
            id: ApplicationId(r.get(0)),
            number: r.get(1),
            submitted_at: time(r.get(2)),
            pending_until: opt_time(r.get(3)).unwrap_or(UnixTime::from_secs(0)),
            content: r.get(4),
            cms: r.get(5),
        })
        .collect())
}
