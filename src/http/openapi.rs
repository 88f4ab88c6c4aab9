//! The OpenAPI 3.1 description of the routes, served at `/openapi.json` so portals can generate clients.
//! `tests/hermetic/http.rs` checks that it lists every route the router answers, and `tests/hermetic/openapi.rs`
//! that every field of every answer is described here.

use serde_json::{json, Value};

fn body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn report() -> Value {
    report_of("Report", "the verification report (README, Reports)")
}

fn report_of(schema: &str, description: &str) -> Value {
    json!({"200": {"description": description,
                   "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}},
           "400": {"$ref": "#/components/responses/Problem"}})
}

fn string() -> Value {
    json!({"type": "string"})
}

/// The document, built once per request (it is small and served rarely).
pub(super) fn document() -> Value {
    let b64 = json!({"type": "string", "contentEncoding": "base64"});
    let bearer = json!([{"bearer": []}]);
    let doc_id =
        json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]);
    let revocation_data = json!({"type": "object", "required": ["type"],
                    "description": "one CRL (type crl) or OCSP answer (type ocsp) a revocation verdict rests on",
                    "properties": {"type": {"type": "string", "enum": ["crl", "ocsp"]},
                        "issuer": string(),
                        "source": {"type": "string", "description": "crl: the URL it was fetched from, or `configured`"},
                        "origin": {"type": "string", "enum": ["loaded", "fetched", "cached"]},
                        "number": {"type": "string", "description": "cRLNumber, hex"},
                        "delta": {"type": "boolean"}, "sha256": string(),
                        "responder": {"type": "string", "description": "ocsp: the responder's URL"},
                        "signer": {"type": "string", "description": "ocsp: who signed the answer"},
                        "cached": {"type": "boolean", "description": "ocsp: served from the cache"},
                        "producedAt": {"type": "string", "format": "date-time"},
                        "thisUpdate": {"type": "string", "format": "date-time"},
                        "nextUpdate": {"type": "string", "format": "date-time"}}});
    let health = json!({"responses": {"200": {"description": "the service is up (`ok`), or up with revocation data that is stale or failing to refresh, or an OCSP responder whose last exchange failed (`degraded`); `demo: true` on the embedded demo PKI",
                "content": {"application/json": {"schema": {"type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["ok", "degraded"]}, "demo": {"type": "boolean"},
                        "revocation": {"type": "array", "description": "each CRL source kept fresh by the service",
                            "items": {"type": "object", "properties": {
                                "url": string(), "delta": {"type": "boolean"},
                                "state": {"type": "string", "enum": ["fresh", "stale", "missing"]},
                                "thisUpdate": {"type": "string", "format": "date-time"},
                                "nextUpdate": {"type": "string", "format": "date-time"},
                                "number": string(),
                                "lastSuccess": {"type": "string", "format": "date-time"},
                                "lastError": string(),
                                "nextFetch": {"type": "string", "format": "date-time"}}}},
                        "ocsp": {"type": "array", "description": "the last exchange with each OCSP responder asked so far",
                            "items": {"type": "object", "properties": {
                                "url": string(),
                                "lastSuccess": {"type": "string", "format": "date-time"},
                                "lastError": string()}}}}}}}}}});
    let paths = json!({
            "/health": {"get": health},
            "/metrics": {"get": {"responses": {"200": {"description": "counters in the Prometheus text format: CRL fetches and OCSP answers by outcome, OCSP cache hits",
                "content": {"text/plain": {"schema": string()}}}}}},
            "/v1/verify/certificate": {"post": {
                "requestBody": body(json!({"type": "object", "required": ["certificate"],
                    "properties": {"certificate": b64, "iin": string(), "bin": string(),
                                   "at": {"type": "string", "format": "date-time"}}})),
                "responses": report()}},
            "/v1/verify/cms": {"post": {
                "requestBody": body(json!({"type": "object", "required": ["cms"],
                    "properties": {"cms": b64, "data": b64, "iin": string(), "bin": string()}})),
                "responses": report_of("CmsReport", "the verification report of the CMS and of each signer")}},
            "/v1/verify/seal": {"post": {
                "requestBody": body(json!({"type": "object", "required": ["barcode"],
                    "properties": {"barcode": {"type": "array", "items": string()}}})),
                "responses": report_of("SealReport", "the seal's verification report, with the registry's standing when this node issued it")}},
            "/v1/verify/document": {"post": {
                "requestBody": {"required": true, "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"type": "object", "required": ["pdf"],
                                                    "properties": {"pdf": b64}}}}},
                "responses": {"200": {"description": "the verification report with the document compared field by field",
                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentReport"}}}},
                              "400": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/sign/cms": {"post": {
                "security": bearer,
                "requestBody": body(json!({"type": "object", "required": ["data"],
                    "properties": {"data": b64, "detached": {"type": "boolean", "default": false}}})),
                "description": "the portal signing service: off unless configured with a key of its own (never the provider's); each signature carries a contentHint saying so",
                "responses": {"200": {"description": "the CMS SignedData",
                    "content": {"application/json": {"schema": {"type": "object",
                        "properties": {"cms": b64}}}}},
                    "401": {"$ref": "#/components/responses/Problem"},
                    "403": {"$ref": "#/components/responses/Problem"},
                    "501": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/documents": {"post": {
                "security": bearer,
                "requestBody": body(json!({"type": "object", "required": ["form", "data"],
                    "properties": {"form": {"type": "string", "pattern": "^reference\\."},
                                   "data": {"type": "object"}}})),
                "responses": {"201": {"description": "the issued reference", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
                    "422": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/documents/{id}": {"get": {"security": bearer, "parameters": doc_id,
                "responses": {"200": {"description": "the document with its data", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
                              "404": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/documents/{id}/pdf": {"get": {"security": bearer, "parameters": doc_id,
                "responses": {"200": {"description": "the PDF",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}},
            "/v1/documents/by-number/{number}/status": {"get": {
                "parameters": [{"name": "number", "in": "path", "required": true, "schema": string()},
                               {"name": "code", "in": "query", "required": true, "schema": string(),
                                "description": "the verification code printed on the document (XXXX-XXXX)"}],
                "responses": {"200": {"description": "the document's status", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Standing"}}}},
                              "400": {"$ref": "#/components/responses/Problem"},
                              "404": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/documents/{id}/{action}": {"post": {"security": bearer,
                "description": "an operator's change to a licence: re-issue (new number, replaces this one), duplicate (same number, marked), suspend, resume, terminate",
                "parameters": [doc_id[0].clone(), {"name": "action", "in": "path", "required": true,
                    "schema": {"type": "string", "enum": ["reissue", "duplicate", "suspend", "resume", "terminate"]}}],
                "requestBody": body(json!({"type": "object", "required": ["reason"],
                    "properties": {"reason": string(), "fields": {"type": "object",
                        "description": "re-issue only: the licence fields that change"}}})),
                "responses": {"200": {"description": "the licence's standing, with the new document for re-issue and duplicate", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Standing"}}}},
                    "409": {"$ref": "#/components/responses/Problem"},
                    "422": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications": {"post": {"security": bearer,
                "description": "submit a CMS-signed application {service, applicant: {iin|bin, name}, fields?, paymentReference?}; a signature that does not verify is refused at once with a refusal document",
                "requestBody": body(json!({"type": "object", "required": ["cms"],
                    "properties": {"cms": b64, "data": b64}})),
                "responses": {"201": {"description": "the application (awaitingPayment; verificationPending when revocation data is unavailable; or refused with its document)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                    "400": {"$ref": "#/components/responses/Problem"},
                    "422": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications/{id}": {"get": {"security": bearer, "parameters": doc_id,
                "responses": {"200": {"description": "the application", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                              "404": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications/{id}/payment": {"post": {"security": bearer, "parameters": doc_id,
                "requestBody": body(json!({"type": "object", "required": ["paid"],
                    "properties": {"paid": {"type": "boolean"}, "reference": string()}})),
                "responses": {"200": {"description": "registered with its due date, or refused for no payment", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                    "409": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications/{id}/decision": {"post": {"security": bearer, "parameters": doc_id,
                "requestBody": body(json!({"type": "object", "required": ["decision"],
                    "properties": {"decision": {"type": "string", "enum": ["approve", "refuse"]},
                                   "reason": string(),
                                   "fields": {"type": "object", "description": "special_conditions, note, validity"}}})),
                "responses": {"200": {"description": "approved with the licence, or refused with the reasoned refusal", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                    "409": {"$ref": "#/components/responses/Problem"},
                    "422": {"$ref": "#/components/responses/Problem"}}}},
            "/openapi.json": {"get": {"responses": {"200": {"description": "this document"}}}}
    });
    let schemas = json!({
                "Names": {"type": "object", "properties": {"kk": string(), "ru": string(), "en": string()}},
                "Subject": {"type": "object", "description": "who the certificate names (the NCA profile)",
                    "properties": {"iin": string(), "bin": string(), "commonName": string(),
                        "role": {"type": "string", "description": "the most specific NCA role"},
                        "roleNames": {"$ref": "#/components/schemas/Names"},
                        "profile": {"type": "object", "properties": {
                            "iin": string(), "bin": string(), "commonName": string(), "surname": string(),
                            "patronymic": string(), "organization": string(), "country": string(),
                            "email": string(), "roles": {"type": "array", "items": string()}}}}},
                "ChainEntry": {"type": "object", "description": "one certificate of the path, end entity first",
                    "properties": {"subject": string(), "issuer": string(), "serial": string(),
                        "notBefore": {"type": "string", "format": "date-time"},
                        "notAfter": {"type": "string", "format": "date-time"},
                        "sha256": string(), "signatureAlgorithm": string(),
                        "revocation": {"type": "string", "description": "good, revoked, unknown, not checked, revoked later, trust anchor"},
                        "revokedLater": {"type": "object", "description": "revoked after the validation time",
                            "properties": {"at": {"type": "string", "format": "date-time"}, "reason": string()}},
                        "trustAnchor": {"type": "boolean"},
                        "revocationData": {"type": "array", "description": "the CRLs and OCSP answers the revocation verdict rests on",
                            "items": {"$ref": "#/components/schemas/RevocationData"}}}},
                "RevocationData": revocation_data,
                "Report": {"type": "object", "required": ["valid", "indication", "codes", "messages", "chain", "validationTime", "revocationChecked"],
                    "properties": {"valid": {"type": "boolean"},
                                   "indication": {"type": "string", "enum": ["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"]},
                                   "codes": {"type": "array", "items": string()},
                                   "messages": {"type": "array", "items": string()},
                                   "subject": {"$ref": "#/components/schemas/Subject"},
                                   "chain": {"type": "array", "items": {"$ref": "#/components/schemas/ChainEntry"}},
                                   "validationTime": {"type": "string", "format": "date-time"},
                                   "revocationChecked": {"type": "string", "enum": ["all", "leaf", "none"]}}},
                "SignerReport": {"allOf": [{"$ref": "#/components/schemas/Report"}, {"type": "object",
                    "properties": {"signingTime": {"type": "string", "format": "date-time"},
                                   "digestAlgorithm": string(), "signatureAlgorithm": string(),
                                   "signedAttributes": {"type": "boolean"}}}]},
                "CmsReport": {"allOf": [{"$ref": "#/components/schemas/Report"}, {"type": "object",
                    "properties": {"detached": {"type": "boolean"}, "contentSize": {"type": "integer"},
                                   "signers": {"type": "array", "items": {"$ref": "#/components/schemas/SignerReport"}}}}]},
                "SealReport": {"allOf": [{"$ref": "#/components/schemas/Report"}, {"type": "object",
                    "properties": {"mode": {"type": "string", "enum": ["compact", "full"]},
                        "parts": {"type": "integer"},
                        "content": {"type": "object", "description": "what the seal signs",
                            "properties": {"form": string(), "formName": {"$ref": "#/components/schemas/Names"},
                                           "number": string(), "issuedAt": {"type": "integer", "description": "Unix seconds"},
                                           "data": {"type": "string", "description": "the canonical JSON of the form's data"}}},
                        "issued": {"type": "string", "format": "date-time"},
                        "provider": {"type": "string", "description": "the issuer that authorised the signer"},
                        "issueTimeProof": {"type": "string", "description": "`registry` when the registry's record proved the issue time"},
                        "demo": {"type": "boolean", "description": "made with the published demo key"},
                        "registry": {"$ref": "#/components/schemas/Standing"}}}]},
                "DocumentReport": {"allOf": [{"$ref": "#/components/schemas/SealReport"}, {"type": "object",
                    "required": ["symbols"],
                    "properties": {"symbols": {"type": "integer"},
                        "fields": {"type": "array", "items": {"type": "object", "required": ["name", "signed", "printed"],
                            "properties": {"name": string(), "signed": string(), "embedded": string(),
                                           "embeddedMissing": {"type": "boolean"}, "printed": {"type": "boolean"}}}},
                        "file": {"type": "object", "required": ["signature", "coversWholeFile"],
                            "properties": {"signature": {"type": "string", "enum": ["valid", "invalid", "absent"]},
                                           "coversWholeFile": {"type": "boolean"},
                                           "appended": {"type": "array", "items": string()},
                                           "registryCopy": {"type": "boolean"}}}}}]},
                "Document": {"type": "object", "required": ["id", "number", "form", "issuedAt", "seal", "pdf"],
                    "properties": {"id": {"type": "integer"}, "number": string(), "form": string(),
                        "issuedAt": {"type": "string", "format": "date-time"},
                        "seal": {"type": "array", "items": string(), "description": "the seal's barcode texts"},
                        "pdf": {"type": "string", "description": "where the PDF is"},
                        "duplicate": {"type": "integer", "description": "a duplicate's copy number"},
                        "data": {"type": "object", "description": "the form's data (reading one document only)"}}},
                "Standing": {"type": "object", "required": ["number", "form", "issuedAt", "status", "events", "duplicates"],
                    "properties": {"number": string(), "form": string(),
                        "issuedAt": {"type": "string", "format": "date-time"},
                        "status": {"type": "string", "enum": ["valid", "suspended", "terminated", "replaced"]},
                        "events": {"type": "array", "items": {"type": "object",
                            "properties": {"at": {"type": "string", "format": "date-time"}, "event": string(),
                                           "reason": string(), "document": string()}}},
                        "duplicates": {"type": "integer"}, "replacedBy": string(), "replaces": string(),
                        "document": {"$ref": "#/components/schemas/Document"}}},
                "Application": {"type": "object", "required": ["id", "number", "service", "applicant", "status", "submittedAt"],
                    "properties": {"id": {"type": "integer"}, "number": string(), "service": string(),
                        "applicant": {"type": "object", "properties": {"id": {"type": "string", "description": "IIN or BIN"}, "name": string()}},
                        "status": {"type": "string", "enum": ["verificationPending", "awaitingPayment", "registered", "approved", "refused"],
                            "description": "verificationPending: the EDS could not be checked to the end for want of revocation data (REVOCATION_UNKNOWN); the service verifies it again until verificationDeadline, then it moves on to awaitingPayment or refused"},
                        "submittedAt": {"type": "string", "format": "date-time"},
                        "verificationDeadline": {"type": "string", "format": "date-time"},
                        "verification": {"$ref": "#/components/schemas/CmsReport"},
                        "paymentReference": string(),
                        "registeredAt": {"type": "string", "format": "date-time"},
                        "dueDate": {"type": "string", "format": "date"},
                        "decidedAt": {"type": "string", "format": "date-time"},
                        "document": {"type": "object", "properties": {"id": {"type": "integer"}, "number": string(),
                                                                    "href": string(), "pdf": string()}}}},
                "Problem": {"type": "object", "required": ["type", "title", "status", "code", "detail"],
                    "properties": {"type": string(), "title": string(), "status": {"type": "integer"},
                                   "code": {"type": "string", "enum": super::problem::ProblemCode::ALL},
                                   "detail": string()}}
    });
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Qoltanba", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Verify Kazakh EDS signatures and issue signed documents."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
            "responses": {"Problem": {"description": "RFC 9457 problem with a stable code",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
        }
    })
}
