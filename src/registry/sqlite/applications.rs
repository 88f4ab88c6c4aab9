//! Applications in SQLite: submission (with the refusal issued at once when the EDS is not confirmed) and the
//! steps after it. Every function runs inside the caller's transaction; a step is taken only if the application
//! is still in the state the workflow decided it in, checked here after the row was read under the write lock.

use rusqlite::{params, Connection, OptionalExtension};

use super::{audit, issue_in, reserve, year_of};
use crate::clock::UnixTime;
use crate::forms::FormId;
use crate::issuance::catalogue::{REFUSED, VERIFICATION_PENDING};
use crate::issuance::TransitionError;
use crate::registry::{
    Advance, ApplicationId, ApplicationRecord, DocumentId, DocumentNumber, IdempotencyKey,
    NewApplication, PendingApplication, RegistryError, Remembered, RenderForApplication,
};

/// Application numbers share the document counters under this key: `QLT-APP-2026-000001`.
pub(super) const APPLICATION_SERIES: &str = "QLT-APP";

pub(super) fn by_signature(
    conn: &Connection,
    sha256: &[u8; 32],
) -> Result<Option<ApplicationRecord>, RegistryError> {
    Ok(conn
        .query_row(
            &format!("{SELECT_APPLICATION} WHERE a.signed_sha256 = ?1"),
            [&sha256[..]],
            record,
        )
        .optional()?)
}

/// What the first request with `key` made; an error when the key was used for a different request.
pub(super) fn remembered(
    conn: &Connection,
    key: &IdempotencyKey<'_>,
) -> Result<Option<Remembered>, RegistryError> {
    let row: Option<(Vec<u8>, Option<i64>, Option<i64>)> = conn
        .query_row(
            "SELECT request_sha256, document_id, application_id FROM idempotency
             WHERE caller = ?1 AND key = ?2",
            params![key.caller, key.key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some((request, _, _)) if request != key.request => {
            Err(RegistryError::IdempotencyKeyReused(key.key.to_string()))
        }
        Some((_, Some(d), _)) => Ok(Some(Remembered::Document(DocumentId(d)))),
        Some((_, None, Some(a))) => Ok(Some(Remembered::Application(ApplicationId(a)))),
        Some(_) => Err(RegistryError::Corrupt(format!(
            "idempotency key {:?} remembers nothing",
            key.key
        ))),
    }
}

/// Records what the request with `key` made, in the caller's transaction.
pub(super) fn remember(
    conn: &Connection,
    key: &IdempotencyKey<'_>,
    made: Remembered,
    at: UnixTime,
) -> Result<(), RegistryError> {
    let (document, application) = match made {
        Remembered::Document(d) => (Some(d.0), None),
        Remembered::Application(a) => (None, Some(a.0)),
    };
    conn.execute(
        "INSERT INTO idempotency (caller, key, request_sha256, document_id, application_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key.caller, key.key, &key.request[..], document, application, at],
    )?;
    Ok(())
}

pub(super) fn submit(
    conn: &Connection,
    app: &NewApplication<'_>,
    actor: &str,
    refusal: Option<&mut RenderForApplication<'_>>,
) -> Result<ApplicationId, RegistryError> {
    // The same signed request again (a retry racing the first): that application, no number used.
    if let Some(existing) = by_signature(conn, &app.signed_sha256)? {
        return Ok(existing.id);
    }
    let year = year_of(app.submitted_at)?;
    let number = reserve(conn, &FormId::parse(APPLICATION_SERIES)?, year)?.to_string();
    let (status, decided_at, document): (&str, _, _) = match refusal {
        Some(render) => {
            let doc = issue_in(
                conn,
                &FormId::parse("refusal")?,
                year,
                actor,
                &mut |n: &DocumentNumber| render(&number, n),
                None,
            )?;
            (REFUSED, Some(app.submitted_at), Some(doc.id.0))
        }
        None if app.pending_until.is_some() => (VERIFICATION_PENDING, None, None),
        None => (app.start, None, None),
    };
    let pending_until = (status == VERIFICATION_PENDING)
        .then_some(app.pending_until)
        .flatten();
    let (registered_at, due_date) = match &app.start_due {
        Some(due) if status == app.start => (Some(app.submitted_at), Some(due.as_str())),
        _ => (None, None),
    };
    conn.execute(
        "INSERT INTO application (number, service, applicant, applicant_name, submitted_at, content, cms,
                                  verification, status, decided_at, document_id, pending_until,
                                  registered_at, due_date, signed_sha256, provider)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            number,
            app.service,
            app.applicant,
            app.applicant_name,
            app.submitted_at,
            app.content,
            app.cms,
            app.verification,
            status,
            decided_at,
            document,
            pending_until,
            registered_at,
            due_date,
            &app.signed_sha256[..],
            app.provider
        ],
    )?;
    let id = conn.last_insert_rowid();
    event(conn, ApplicationId(id), app.submitted_at, status, document)?;
    audit(
        conn,
        app.submitted_at,
        actor,
        "application.submitted",
        &number,
    )?;
    if status == REFUSED {
        audit(
            conn,
            app.submitted_at,
            actor,
            "application.refused",
            &number,
        )?;
    }
    if status == VERIFICATION_PENDING {
        audit(
            conn,
            app.submitted_at,
            actor,
            "application.verification-pending",
            &number,
        )?;
    }
    Ok(ApplicationId(id))
}

const SELECT_APPLICATION: &str =
    "SELECT a.id, a.number, a.service, a.applicant, a.applicant_name, a.submitted_at, a.content,
            a.verification, a.status, a.payment_reference, a.registered_at, a.due_date,
            a.decided_at, a.document_id, d.number, a.pending_until, a.provider
     FROM application a LEFT JOIN document d ON d.id = a.document_id";

pub(super) fn find(
    conn: &Connection,
    filter: &crate::registry::ApplicationFilter<'_>,
    after: Option<ApplicationId>,
    limit: usize,
) -> Result<Vec<ApplicationRecord>, RegistryError> {
    // Only the parts given are in the statement, so SQLite can use its indexes (`application_by_state` for the
    // fee windows' sweep); at most sixteen statements, each prepared once and cached.
    let mut sql = format!("{SELECT_APPLICATION} WHERE a.id > ?1");
    let mut values: Vec<rusqlite::types::Value> = vec![after.map_or(0, |a| a.0).into()];
    let mut part = |column: &str, op: &str, value: rusqlite::types::Value| {
        values.push(value);
        sql.push_str(&format!(" AND a.{column} {op} ?{}", values.len()));
    };
    if let Some(v) = filter.applicant {
        part("applicant", "=", v.to_string().into());
    }
    if let Some(v) = filter.service {
        part("service", "=", v.to_string().into());
    }
    if let Some(v) = filter.status {
        part("status", "=", v.to_string().into());
    }
    if let Some(v) = filter.submitted_before {
        part("submitted_at", "<", v.secs().into());
    }
    if !filter.providers.is_empty() {
        let first = values.len() + 1;
        values.extend(filter.providers.iter().map(|p| p.to_string().into()));
        let marks: Vec<String> = (first..=values.len()).map(|i| format!("?{i}")).collect();
        sql.push_str(&format!(" AND a.provider IN ({})", marks.join(", ")));
    }
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    sql.push_str(&format!(" ORDER BY a.id LIMIT ?{}", values.len()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), record)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApplicationRecord> {
    Ok(ApplicationRecord {
        id: ApplicationId(r.get(0)?),
        number: r.get(1)?,
        service: r.get(2)?,
        applicant: r.get(3)?,
        applicant_name: r.get(4)?,
        submitted_at: r.get(5)?,
        content: r.get(6)?,
        verification: r.get(7)?,
        status: r.get(8)?,
        payment_reference: r.get(9)?,
        registered_at: r.get(10)?,
        due_date: r.get(11)?,
        decided_at: r.get(12)?,
        pending_until: r.get(15)?,
        provider: r.get(16)?,
        document: match (r.get::<_, Option<i64>>(13)?, r.get(14)?) {
            (Some(id), Some(number)) => Some((DocumentId(id), number)),
            _ => None,
        },
    })
}

pub(super) fn application(
    conn: &Connection,
    id: ApplicationId,
) -> Result<Option<ApplicationRecord>, RegistryError> {
    Ok(conn
        .query_row(
            &format!("{SELECT_APPLICATION} WHERE a.id = ?1"),
            [id.0],
            record,
        )
        .optional()?)
}

pub(super) fn advance(
    conn: &Connection,
    id: ApplicationId,
    actor: &str,
    advance: Advance<'_, '_>,
) -> Result<(), RegistryError> {
    let current = application(conn, id)?
        .ok_or_else(|| RegistryError::NotFound(format!("application {}", id.0)))?;
    // A retry of a step already taken with this key: nothing more happens.
    if let Some(key) = &advance.idempotency {
        match remembered(conn, key)? {
            Some(Remembered::Application(a)) if a == id => return Ok(()),
            Some(_) => return Err(RegistryError::IdempotencyKeyReused(key.key.to_string())),
            None => remember(conn, key, Remembered::Application(id), advance.at)?,
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
                conn,
                licence,
                actor,
                action,
                reason,
                advance.at,
                Some(render),
            )?;
            made.map(|d| d.id)
        }
        (Some(_), None) => {
            return Err(RegistryError::Corrupt(
                "a licence change with no renderer".into(),
            ))
        }
        (None, Some((form, render))) => Some(
            issue_in(
                conn,
                &FormId::parse(form)?,
                year_of(advance.at)?,
                actor,
                render,
                advance.number,
            )?
            .id,
        ),
        (None, None) => None,
    };
    let registered_at = advance.registers.then_some(advance.at);
    let decided_at = advance.decides.then_some(advance.at);
    conn.execute(
        "UPDATE application SET status = ?2,
                payment_reference = COALESCE(?3, payment_reference),
                registered_at = COALESCE(?4, registered_at),
                due_date = COALESCE(?5, due_date),
                decided_at = COALESCE(?6, decided_at),
                document_id = COALESCE(?7, document_id),
                verification = COALESCE(?8, verification),
                pending_until = CASE WHEN ?2 = 'verificationPending' THEN pending_until END
         WHERE id = ?1",
        params![
            id.0,
            advance.to,
            advance.payment_reference,
            registered_at,
            advance.due_date,
            decided_at,
            document.map(|d| d.0),
            advance.verification
        ],
    )?;
    event(conn, id, advance.at, advance.to, document.map(|d| d.0))?;
    if let Some((cms, signer, verification)) = advance.signature {
        conn.execute(
            "INSERT INTO step_signature (application_id, step, at, signer, cms, verification)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id.0, advance.to, advance.at, signer, cms, verification],
        )?;
        audit(
            conn,
            advance.at,
            actor,
            "application.step.signed",
            &format!("{} {} by {signer}", current.number, advance.to),
        )?;
    }
    audit(conn, advance.at, actor, advance.audit, &current.number)
}

/// Records that application `id` entered `status` (with the document it brought), in the caller's transaction:
/// the ordered, append-only feed the portal's webhook is delivered from.
fn event(
    conn: &Connection,
    id: ApplicationId,
    at: UnixTime,
    status: &str,
    document: Option<i64>,
) -> Result<(), RegistryError> {
    conn.execute(
        "INSERT INTO application_event (application_id, at, status, document_id) VALUES (?1, ?2, ?3, ?4)",
        params![id.0, at, status, document],
    )?;
    Ok(())
}

/// Status changes after event `after`, oldest first, with what a notification says of their application.
pub(super) fn events(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<crate::registry::ApplicationEvent>, RegistryError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.application_id, a.number, a.service, a.provider, e.status, e.at, d.number
         FROM application_event e JOIN application a ON a.id = e.application_id
              LEFT JOIN document d ON d.id = e.document_id
         WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok(crate::registry::ApplicationEvent {
            id: r.get(0)?,
            application: ApplicationId(r.get(1)?),
            number: r.get(2)?,
            service: r.get(3)?,
            provider: r.get(4)?,
            status: r.get(5)?,
            at: r.get(6)?,
            document: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub(super) fn pending(
    conn: &Connection,
    after: Option<ApplicationId>,
    limit: usize,
) -> Result<Vec<PendingApplication>, RegistryError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, number, submitted_at, pending_until, content, cms FROM application
         WHERE status = 'verificationPending' AND id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let after = after.map_or(0, |a| a.0);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok(PendingApplication {
            id: ApplicationId(r.get(0)?),
            number: r.get(1)?,
            submitted_at: r.get(2)?,
            pending_until: r
                .get::<_, Option<UnixTime>>(3)?
                .unwrap_or(UnixTime::from_secs(0)),
            content: r.get(4)?,
            cms: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
