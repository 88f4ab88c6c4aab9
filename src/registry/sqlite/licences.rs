//! Licences' lives in SQLite: their events (re-issue, duplicate, suspension, resumption, termination) and the
//! standing they add up to. Every function runs inside the caller's transaction; [`crate::issuance`]'s state
//! machine decides what may happen, here, after the rows were read under the write lock.

use rusqlite::{params, Connection, OptionalExtension};

use super::{audit, issue_in, store_document, year_of};
use crate::clock::UnixTime;
use crate::forms::FormId;
use crate::issuance::LifecycleAction;
use crate::registry::ahead::Original;
use crate::registry::{
    has_lifecycle, status_of, DocumentId, DocumentNumber, DocumentStanding, LicenceEvent,
    RegistryError, Render, RenderError, StoredDocument,
};

/// The original document of `id` (a duplicate's id leads to its original): id, number, form, year, sequence.
fn original(
    conn: &Connection,
    id: DocumentId,
) -> Result<(DocumentId, String, FormId, i32, u64), RegistryError> {
    let found: Option<(i64, String, FormId, i32, i64)> = conn
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

/// The original of the licence with row id `id` (its own, or a duplicate's), for guessing a new document's number.
pub(super) fn original_of(conn: &Connection, id: DocumentId) -> Result<Original, RegistryError> {
    let (_, number, form, year, sequence) = original(conn, id)?;
    Ok(Original {
        form,
        year,
        sequence,
        number,
    })
}

fn events(conn: &Connection, id: DocumentId) -> Result<Vec<LicenceEvent>, RegistryError> {
    let mut stmt = conn.prepare(
        "SELECT e.at, e.event, e.reason, r.number
         FROM document_event e LEFT JOIN document r ON r.id = e.related_document
         WHERE e.document_id = ?1 ORDER BY e.id",
    )?;
    let rows = stmt.query_map([id.0], |r| {
        Ok((
            r.get::<_, UnixTime>(0)?,
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

pub(super) fn change(
    conn: &Connection,
    id: DocumentId,
    actor: &str,
    action: LifecycleAction,
    reason: &str,
    at: UnixTime,
    render: Option<&mut Render<'_>>,
) -> Result<(String, Option<StoredDocument>), RegistryError> {
    let (id, number, form, year, sequence) = original(conn, id)?;
    if !has_lifecycle(&form) {
        return Err(RegistryError::NoLifecycle(form.to_string()));
    }
    status_of(&events(conn, id)?)?.after(action)?;
    let made = match (action, render) {
        (LifecycleAction::Reissue, Some(render)) => {
            Some(issue_in(conn, &form, year_of(at)?, actor, render, None)?)
        }
        (LifecycleAction::Duplicate, Some(render)) => {
            let copy: u32 = conn.query_row(
                "SELECT COALESCE(MAX(copy), 0) + 1 FROM document WHERE number = ?1",
                [&number],
                |r| r.get(0),
            )?;
            // The original's number as stored: ours, or the one assigned outside.
            let same = DocumentNumber {
                form: form.clone(),
                year,
                sequence,
                assigned: Some(number.clone()),
            };
            let rendered = render(&same).map_err(|source| RegistryError::Render {
                number: number.clone(),
                source,
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
                source: RenderError::Issue(crate::document::IssueError::Render(
                    "no renderer for the new document".into(),
                )),
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
    let found: Option<(i64, String, FormId, UnixTime)> = conn
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
