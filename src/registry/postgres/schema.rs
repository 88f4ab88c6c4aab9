//! The PostgreSQL schema: migrations applied in order inside one transaction, under an advisory lock so two nodes
//! starting at once do not both migrate; `schema_version` records how many ran, and a newer schema is refused.
//!
//! The first migration is the SQLite schema as it stands after its eleventh (the audit chain included), in
//! PostgreSQL's types. Append-only tables have a trigger that refuses UPDATE, DELETE and TRUNCATE, and the role
//! that migrates revokes those privileges from itself and from PUBLIC: a service role that is not the tables'
//! owner (README, "Several nodes on PostgreSQL") never had them; the owner would have to grant them back, which
//! the audit chain would still show.

use tokio_postgres::Client;

use super::pg;
use crate::registry::RegistryError;

/// The advisory lock key migrations take (an arbitrary constant: "QLTN" "MIGR").
const MIGRATION_LOCK: i64 = 0x514c_544e_4d49_4752;

pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE number_counter (
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (form, year)
);
CREATE TABLE document (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL,
    copy INTEGER NOT NULL DEFAULT 0,
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    sequence BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    canonical_data BYTEA NOT NULL,
    seal TEXT NOT NULL,
    pdf BYTEA NOT NULL,
    UNIQUE (number, copy),
    UNIQUE (form, year, sequence, copy)
);
CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    chain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
CREATE INDEX audit_by_chain ON audit (chain, seq, id);
CREATE TABLE audit_chain (
    chain TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
CREATE TABLE token (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    sha256 BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    provider TEXT
);
CREATE TABLE application (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    service TEXT NOT NULL,
    applicant TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    content BYTEA NOT NULL,
    cms BYTEA NOT NULL,
    verification TEXT NOT NULL,
    status TEXT NOT NULL,
    payment_reference TEXT,
    registered_at BIGINT,
    due_date TEXT,
    decided_at BIGINT,
    document_id BIGINT REFERENCES document(id),
    pending_until BIGINT,
    signed_sha256 BYTEA,
    provider TEXT NOT NULL DEFAULT ''
);
CREATE INDEX application_pending ON application (id) WHERE status = 'verificationPending';
CREATE INDEX application_by_state ON application (service, status, submitted_at);
CREATE UNIQUE INDEX application_by_signature ON application (signed_sha256) WHERE signed_sha256 IS NOT NULL;
CREATE INDEX application_by_applicant ON application (applicant);
CREATE INDEX application_by_provider ON application (provider, status, submitted_at);
CREATE TABLE document_event (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES document(id),
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    related_document BIGINT REFERENCES document(id)
);
CREATE INDEX document_event_by_document ON document_event (document_id);
CREATE INDEX document_event_by_related ON document_event (related_document);
CREATE TABLE idempotency (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 BYTEA NOT NULL,
    document_id BIGINT REFERENCES document(id),
    application_id BIGINT REFERENCES application(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE TABLE application_event (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES application(id),
    at BIGINT NOT NULL,
    status TEXT NOT NULL,
    document_id BIGINT REFERENCES document(id)
);
CREATE TABLE delivery_cursor (
    name TEXT PRIMARY KEY,
    last_event BIGINT NOT NULL
);
CREATE TABLE step_signature (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES application(id),
    step TEXT NOT NULL,
    at BIGINT NOT NULL,
    signer TEXT NOT NULL,
    cms BYTEA NOT NULL,
    verification TEXT NOT NULL
);
CREATE INDEX step_signature_by_application ON step_signature (application_id);
CREATE FUNCTION qoltanba_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION qoltanba_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION qoltanba_append_only();
CREATE TRIGGER audit_chain_kept BEFORE DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION qoltanba_append_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION qoltanba_append_only();
CREATE TRIGGER document_event_append_only BEFORE UPDATE OR DELETE ON document_event
    FOR EACH ROW EXECUTE FUNCTION qoltanba_append_only();
CREATE TRIGGER application_event_append_only BEFORE UPDATE OR DELETE ON application_event
    FOR EACH ROW EXECUTE FUNCTION qoltanba_append_only();
CREATE TRIGGER step_signature_append_only BEFORE UPDATE OR DELETE ON step_signature
    FOR EACH ROW EXECUTE FUNCTION qoltanba_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit, document_event, application_event, step_signature
    FROM PUBLIC, CURRENT_USER;
REVOKE DELETE, TRUNCATE ON audit_chain FROM PUBLIC, CURRENT_USER;
"#,
    // Tokens are revoked, not removed (SQLite's twelfth).
    r#"
ALTER TABLE token ADD COLUMN revoked_at BIGINT;
"#,
    // References are numbered ahead of rendering (`postgres::reserve_ahead`): a number reserved and not yet
    // issued, and the numbers that never will be, with why.
    r#"
CREATE TABLE number_reservation (
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    sequence BIGINT NOT NULL,
    node TEXT NOT NULL,
    reserved_at BIGINT NOT NULL,
    PRIMARY KEY (form, year, sequence)
);
CREATE INDEX number_reservation_by_node ON number_reservation (node);
CREATE TABLE voided_number (
    form TEXT NOT NULL,
    year INTEGER NOT NULL,
    sequence BIGINT NOT NULL,
    at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (form, year, sequence)
);
CREATE TRIGGER voided_number_append_only BEFORE UPDATE OR DELETE ON voided_number
    FOR EACH ROW EXECUTE FUNCTION qoltanba_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON voided_number FROM PUBLIC, CURRENT_USER;
"#,
    // A document's PDF is compressed with lz4 instead of PostgreSQL's default pglz: pglz took the database about
    // 4 ms of CPU a reference (more than rendering it), lz4 under 2 ms — 140–177 → 207–242 references a second with
    // 32 clients on one 2-core machine (`benches/wrk/issue_postgres.sh`, README). New rows only; a server built
    // without lz4 (or older than 14) keeps pglz, and says so. The statement is run with EXECUTE so that a server
    // older than 14, which does not know `SET COMPRESSION`, raises its syntax error when the statement runs, inside
    // the handler, not when PL/pgSQL compiles the block.
    r#"
DO $$
BEGIN
    EXECUTE 'ALTER TABLE document ALTER COLUMN pdf SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'lz4 is not available here: documents stay compressed with pglz';
END
$$;
"#,
];

/// Brings the schema up to date; refuses one written by a newer build.
pub(super) async fn migrate(client: &mut Client) -> Result<(), RegistryError> {
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .await
        .map_err(pg)?;
    let version: i64 = tx
        .query_opt("SELECT version FROM schema_version", &[])
        .await
        .map_err(pg)?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(RegistryError::SchemaTooNew {
            found: version,
            supported,
        });
    }
    if version == supported {
        return Ok(());
    }
    for sql in MIGRATIONS.iter().skip(version.max(0) as usize) {
        tx.batch_execute(sql).await.map_err(pg)?;
    }
    tx.execute("DELETE FROM schema_version", &[])
        .await
        .map_err(pg)?;
    tx.execute(
        "INSERT INTO schema_version (version) VALUES ($1)",
        &[&supported],
    )
    .await
    .map_err(pg)?;
    tx.commit().await.map_err(pg)?;
    tracing::info!(from = version, to = supported, "registry schema migrated");
    Ok(())
}
