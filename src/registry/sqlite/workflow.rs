//! Applications and licence events in SQLite. Every function runs inside the caller's transaction; the state
//! machines of [`crate::issuance`] decide what may happen, here, after the row was read under the write lock.

use rusqlite::{params, Connection, OptionalExtension};

use super::{audit, issue_in, reserve, store_document, year_of};
use crate::issuance::{ApplicationStatus, ApplicationStep, LicenceStatus, LifecycleAction};
use crate::registry::{
    has_lifecycle, Advance, ApplicationId, ApplicationRecord, DocumentId, DocumentNumber,
    DocumentStanding, LicenceEvent, NewApplication, RegistryError, Render, RenderForApplication,
    StoredDocument,
};

/// Application numbers share the document counters under this key: `QLT-APP-2026-000001`.
const APPLICATION_SERIES: &str = "QLT-APP";

pub(super) fn submit(
    conn: &Connection,
    app: &NewApplication<'_>,
    actor: &str,
    refusal: Option<&mut RenderForApplication<'_>>,
) -> Result<ApplicationId, RegistryError> {
    let year = year_of(app.submitted_at)?;
    let number = reserve(conn, APPLICATION_SERIES, year)?.to_string();
    let (status, decided_at, document) = match refusal {
        Some(render) => {
            let doc = issue_in(conn, "refusal", year, actor, &mut |n: &DocumentNumber| {
                render(&number, n)
            })?;
            (
                ApplicationStatus::Refused,
                Some(app.submitted_at),
                Some(doc.id.0),
            )
        }
        None => (ApplicationStatus::AwaitingPayment, None, None),
    };
    conn.execute(
        "INSERT INTO application (number, service, applicant, applicant_name, submitted_at, content, cms,
                                  verification, status, decided_at, document_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            number,
            app.service,
            app.applicant,
            app.applicant_name,
            app.submitted_at,
            app.content,
            app.cms,
            app.verification,
            status.as_str(),
            decided_at,
            document
        ],
    )?;
    let id = conn.last_insert_rowid();
    audit(
        conn,
        app.submitted_at,
        actor,
        "application.submitted",
        &number,
    )?;
    if status == ApplicationStatus::Refused {
        audit(
            conn,
            app.submitted_at,
            actor,
            "application.refused",
            &number,
        )?;
    }
    Ok(ApplicationId(id))
}

pub(super) fn application(
    conn: &Connection,
    id: ApplicationId,
) -> Result<Option<ApplicationRecord>, RegistryError> {
    let row = conn
        .query_row(
            "SELECT a.id, a.number, a.service, a.applicant, a.applicant_name, a.submitted_at, a.content,
                    a.verification, a.status, a.payment_reference, a.registered_at, a.due_date,
                    a.decided_at, a.document_id, d.number
             FROM application a LEFT JOIN document d ON d.id = a.document_id
             WHERE a.id = ?1",
            [id.0],
            |r| {
                Ok((
                    ApplicationRecord {
                        id: ApplicationId(r.get(0)?),
                        number: r.get(1)?,
                        service: r.get(2)?,
                        applicant: r.get(3)?,
                        applicant_name: r.get(4)?,
                        submitted_at: r.get(5)?,
                        content: r.get(6)?,
                        verification: r.get(7)?,
                        status: ApplicationStatus::Refused,
                        payment_reference: r.get(9)?,
                        registered_at: r.get(10)?,
                        due_date: r.get(11)?,
                        decided_at: r.get(12)?,
                        document: match (r.get::<_, Option<i64>>(13)?, r.get(14)?) {
                            (Some(id), Some(number)) => Some((DocumentId(id), number)),
                            _ => None,
                        },
                    },
                    r.get::<_, String>(8)?,
                ))
            },
        )
        .optional()?;
    row.map(|(mut record, status)| {
        record.status = ApplicationStatus::parse(&status).ok_or_else(|| {
            RegistryError::Corrupt(format!("status {status:?} of {}", record.number))
        })?;
        Ok(record)
    })
    .transpose()
}

pub(super) fn advance(
    conn: &Connection,
    id: ApplicationId,
    actor: &str,
    advance: Advance<'_, '_>,
) -> Result<(), RegistryError> {
    let current = application(conn, id)?
        .ok_or_else(|| RegistryError::NotFound(format!("application {}", id.0)))?;
    let next = current.status.after(advance.step)?;
    let document = match advance.document {
        Some((form, render)) => Some(issue_in(conn, form, year_of(advance.at)?, actor, render)?.id),
        None => None,
    };
    let registered_at = (advance.step == ApplicationStep::Paid).then_some(advance.at);
    let decided_at = (next != ApplicationStatus::Registered).then_some(advance.at);
    conn.execute(
        "UPDATE application SET status = ?2,
                payment_reference = COALESCE(?3, payment_reference),
                registered_at = COALESCE(?4, registered_at),
                due_date = COALESCE(?5, due_date),
                decided_at = COALESCE(?6, decided_at),
                document_id = COALESCE(?7, document_id)
         WHERE id = ?1",
        params![
            id.0,
            next.as_str(),
            advance.payment_reference,
            registered_at,
            advance.due_date,
            decided_at,
            document.map(|d| d.0)
        ],
    )?;
    let action = match advance.step {
        ApplicationStep::Paid => "application.registered",
        ApplicationStep::NotPaid => "application.refused.no-payment",
        ApplicationStep::Approve => "application.approved",
        ApplicationStep::Refuse => "application.refused",
    };
    audit(conn, advance.at, actor, action, &current.number)
}

/// The original document of `id` (a duplicate's id leads to its original): id, number, form, year, sequence.
fn original(
    conn: &Connection,
    id: DocumentId,
) -> Result<(DocumentId, String, String, i32, u64), RegistryError> {
    let found: Option<(i64, String, String, i32, i64)> = conn
        .query_row(
            "SELECT o.id, o.number, o.form, o.year, o.sequence
             FROM document d JOIN document o ON o.number = d.number AND o.copy = 0
             WHERE d.id = ?1",
            [id.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let (id, number, form, year, sequence) =
        found.ok_or_else(|| RegistryError::NotFound(format!("document {}", id.0)))?;
    Ok((DocumentId(id), number, form, year, sequence as u64))
}

fn events(conn: &Connection, id: DocumentId) -> Result<Vec<LicenceEvent>, RegistryError> {
    let mut stmt = conn.prepare(
        "SELECT e.at, e.event, e.reason, r.number
         FROM document_event e LEFT JOIN document r ON r.id = e.related_document
         WHERE e.document_id = ?1 ORDER BY e.id",
    )?;
    let rows = stmt.query_map([id.0], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (at, event, reason, document) = row?;
        let event = LifecycleAction::from_event(&event)
            .ok_or_else(|| RegistryError::Corrupt(format!("licence event {event:?}")))?;
        Ok(LicenceEvent {
            at,
            event,
            reason,
            document,
        })
    })
    .collect()
}

fn status_of(events: &[LicenceEvent]) -> Result<LicenceStatus, RegistryError> {
    LicenceStatus::from_history(events.iter().map(|e| e.event))
        .map_err(|e| RegistryError::Corrupt(format!("licence history: {e}")))
}

pub(super) fn change(
    conn: &Connection,
    id: DocumentId,
    actor: &str,
    action: LifecycleAction,
    reason: &str,
    at: i64,
    render: Option<&mut Render<'_>>,
) -> Result<(String, Option<StoredDocument>), RegistryError> {
    let (id, number, form, year, sequence) = original(conn, id)?;
    if !has_lifecycle(&form) {
        return Err(RegistryError::NoLifecycle(form));
    }
    status_of(&events(conn, id)?)?.after(action)?;
    let made = match (action, render) {
        (LifecycleAction::Reissue, Some(render)) => {
            Some(issue_in(conn, &form, year_of(at)?, actor, render)?)
        }
        (LifecycleAction::Duplicate, Some(render)) => {
            let copy: u32 = conn.query_row(
                "SELECT COALESCE(MAX(copy), 0) + 1 FROM document WHERE number = ?1",
                [&number],
                |r| r.get(0),
            )?;
            let same = DocumentNumber {
                form: form.clone(),
                year,
                sequence,
            };
            let rendered = render(&same).map_err(|reason| RegistryError::Render {
                number: number.clone(),
                reason,
            })?;
            Some(store_document(
                conn,
                &same,
                copy,
                rendered,
                actor,
                "document.duplicated",
            )?)
        }
        (LifecycleAction::Reissue | LifecycleAction::Duplicate, None) => {
            return Err(RegistryError::Render {
                number,
                reason: "no renderer for the new document".into(),
            })
        }
        _ => None,
    };
    conn.execute(
        "INSERT INTO document_event (document_id, at, event, actor, reason, related_document)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id.0,
            at,
            action.event(),
            actor,
            reason,
            made.as_ref().map(|d| d.id.0)
        ],
    )?;
    audit(
        conn,
        at,
        actor,
        &format!("licence.{}", action.event()),
        &number,
    )?;
    Ok((number, made))
}

pub(super) fn standing(
    conn: &Connection,
    number: &str,
) -> Result<Option<DocumentStanding>, RegistryError> {
    let found: Option<(i64, String, String, i64)> = conn
        .query_row(
            "SELECT id, number, form, issued_at FROM document WHERE number = ?1 AND copy = 0",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((id, number, form, issued_at)) = found else {
        return Ok(None);
    };
    let id = DocumentId(id);
    let events = events(conn, id)?;
    let status = status_of(&events)?;
    let replaced_by = events
        .iter()
        .find(|e| e.event == LifecycleAction::Reissue)
        .and_then(|e| e.document.clone());
    let replaces: Option<String> = conn
        .query_row(
            "SELECT d.number FROM document_event e JOIN document d ON d.id = e.document_id
             WHERE e.related_document = ?1 AND e.event = 'reissued'",
            [id.0],
            |r| r.get(0),
        )
        .optional()?;
    let duplicates: u32 = conn.query_row(
        "SELECT COUNT(*) FROM document WHERE number = ?1 AND copy > 0",
        [&number],
        |r| r.get(0),
    )?;
    Ok(Some(DocumentStanding {
        id,
        number,
        form,
        issued_at,
        status,
        events,
        replaced_by,
        replaces,
        duplicates,
    }))
}
