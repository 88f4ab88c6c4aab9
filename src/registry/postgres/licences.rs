//! Licences' lives in PostgreSQL, as in the SQLite registry: the original's row is locked before its history is
//! read, so two changes of one licence on two nodes are decided one after the other.

use tokio_postgres::GenericClient;

use super::{audit, form_of, issue_in, pg, store_document, time, year_of, Tx};
use crate::clock::UnixTime;
use crate::forms::FormId;
use crate::issuance::LifecycleAction;
use crate::registry::ahead::Original;
use crate::registry::{
    has_lifecycle, status_of, DocumentId, DocumentNumber, DocumentStanding, LicenceEvent,
    RegistryError, Render, RenderError, StoredDocument,
};

/// The original document of `id` (a duplicate's id leads to its original), locked for the rest of the transaction.
async fn original(
    tx: &Tx<'_>,
    id: DocumentId,
) -> Result<(DocumentId, String, FormId, i32, u64), RegistryError> {
    let row = tx
        .query_opt(
            "SELECT o.id, o.number, o.form, o.year, o.sequence
             FROM document d JOIN document o ON o.number = d.number AND o.copy = 0
             WHERE d.id = $1 FOR UPDATE OF o",
            &[&id.0],
        )
        .await?
        .ok_or_else(|| RegistryError::NotFound(format!("document {}", id.0)))?;
    let sequence: i64 = row.get(4);
    Ok((
        DocumentId(row.get(0)),
        row.get(1),
        form_of(row.get(2))?,
        row.get(3),
        sequence as u64,
    ))
}

/// The original of the licence with row id `id` (its own, or a duplicate's), read without a lock, for guessing a
/// new document's number (`registry::ahead`).
pub(super) async fn original_of<C: GenericClient>(
    conn: &C,
    id: DocumentId,
) -> Result<Original, RegistryError> {
    let row = conn
        .query_opt(
            "SELECT o.number, o.form, o.year, o.sequence
             FROM document d JOIN document o ON o.number = d.number AND o.copy = 0
             WHERE d.id = $1",
            &[&id.0],
        )
        .await
        .map_err(pg)?
        .ok_or_else(|| RegistryError::NotFound(format!("document {}", id.0)))?;
    let sequence: i64 = row.get(3);
    Ok(Original {
        number: row.get(0),
        form: form_of(row.get(1))?,
        year: row.get(2),
        sequence: sequence as u64,
    })
}

async fn events<C: GenericClient>(
    conn: &C,
    id: DocumentId,
) -> Result<Vec<LicenceEvent>, RegistryError> {
    let rows = conn
        .query(
            "SELECT e.at, e.event, e.reason, r.number
             FROM document_event e LEFT JOIN document r ON r.id = e.related_document
             WHERE e.document_id = $1 ORDER BY e.id",
            &[&id.0],
        )
        .await
        .map_err(pg)?;
    rows.iter()
        .map(|r| {
            let event: String = r.get(1);
            let event = LifecycleAction::from_event(&event)
                .ok_or_else(|| RegistryError::Corrupt(format!("licence event {event:?}")))?;
            Ok(LicenceEvent {
                at: time(r.get(0)),
                event,
                reason: r.get(2),
                document: r.get(3),
            })
        })
        .collect()
}

pub(super) async fn change(
    tx: &Tx<'_>,
    id: DocumentId,
    actor: &str,
    action: LifecycleAction,
    reason: &str,
    at: UnixTime,
    render: Option<&mut Render<'_>>,
) -> Result<(String, Option<StoredDocument>), RegistryError> {
    let (id, number, form, year, sequence) = original(tx, id).await?;
    if !has_lifecycle(&form) {
        return Err(RegistryError::NoLifecycle(form.to_string()));
    }
    status_of(&events(&*tx.tx, id).await?)?.after(action)?;
    let made = match (action, render) {
        (LifecycleAction::Reissue, Some(render)) => {
            Some(issue_in(tx, &form, year_of(at)?, actor, render, None).await?)
        }
        (LifecycleAction::Duplicate, Some(render)) => {
            let copy: i32 = tx
                .query_one(
                    "SELECT COALESCE(MAX(copy), 0) + 1 FROM document WHERE number = $1",
                    &[&number],
                )
                .await?
                .get(0);
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
            Some(
                store_document(
                    tx,
                    &same,
                    copy.max(1) as u32,
                    rendered,
                    actor,
                    "document.duplicated",
                )
                .await?,
            )
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
    let related = made.as_ref().map(|d| d.id.0);
    tx.execute(
        "INSERT INTO document_event (document_id, at, event, actor, reason, related_document)
             VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &id.0,
            &at.secs(),
            &action.event(),
            &actor,
            &reason,
            &related,
        ],
    )
    .await?;
    audit(
        tx,
        at,
        actor,
        &format!("licence.{}", action.event()),
        &number,
    )
    .await?;
    Ok((number, made))
}

pub(super) async fn standing<C: GenericClient>(
    conn: &C,
    number: &str,
) -> Result<Option<DocumentStanding>, RegistryError> {
    let Some(row) = conn
        .query_opt(
            "SELECT id, number, form, issued_at FROM document WHERE number = $1 AND copy = 0",
            &[&number],
        )
        .await
        .map_err(pg)?
    else {
        return Ok(None);
    };
    let id = DocumentId(row.get(0));
    let number: String = row.get(1);
    let form = form_of(row.get(2))?;
    let issued_at = time(row.get(3));
    let events = events(conn, id).await?;
    let status = status_of(&events)?;
    let replaced_by = events
        .iter()
        .find(|e| e.event == LifecycleAction::Reissue)
        .and_then(|e| e.document.clone());
    let replaces: Option<String> = conn
        .query_opt(
            "SELECT d.number FROM document_event e JOIN document d ON d.id = e.document_id
             WHERE e.related_document = $1 AND e.event = 'reissued'",
            &[&id.0],
        )
        .await
        .map_err(pg)?
        .map(|r| r.get(0));
    let duplicates: i64 = conn
        .query_one(
            "SELECT COUNT(*) FROM document WHERE number = $1 AND copy > 0",
            &[&number],
        )
        .await
        .map_err(pg)?
        .get(0);
    Ok(Some(DocumentStanding {
        id,
        number,
        form,
        issued_at,
        status,
        events,
        replaced_by,
        replaces,
        duplicates: u32::try_from(duplicates).unwrap_or(u32::MAX),
    }))
}
