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
    let key = json!({"name": "Idempotency-Key", "in": "header", "required": false,
        "description": "1–255 visible ASCII characters: a retry with the same key and request gets what the first made (no second number); the same key for another request is 422 IDEMPOTENCY_KEY_REUSED",
        "schema": {"type": "string", "maxLength": 255}});
    let id_and_key = json!([doc_id[0].clone(), key.clone()]);
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
    let xml_signature = json!({"allOf": [{"$ref": "#/components/schemas/Report"}, {"type": "object",
        "required": ["path", "signatureMethod", "canonicalizationMethod", "keyInfo", "references"],
        "properties": {"path": {"type": "string", "description": "where the Signature element stands"},
            "signatureMethod": string(), "canonicalizationMethod": string(),
            "keyInfo": {"type": "string", "enum": ["x509Certificate", "keyIdentifier", "binarySecurityToken", "issuerSerial"]},
            "references": {"type": "array", "items": {"type": "object",
                "required": ["uri", "transforms", "digestMethod", "digestValid"],
                "properties": {"uri": string(), "transforms": {"type": "array", "items": string()},
                    "digestMethod": string(), "digestValid": {"type": "boolean"},
                    "covers": {"type": "object", "description": "what the reference covers",
                        "properties": {"node": {"type": "string", "enum": ["document", "element"]},
                            "path": string(), "id": string(),
                            "withoutSignatures": {"type": "array", "items": {"type": "integer"},
                                "description": "other signatures (1-based) left out of the digest: later ones of serial co-signing, or all others of signatures made side by side"}}}}}}}}]});
    let xml_report = json!({"allOf": [{"$ref": "#/components/schemas/Report"}, {"type": "object",
        "required": ["profile", "signedElement", "signatures"],
        "properties": {"profile": {"type": "string", "enum": ["enveloped", "wsse"]},
            "signedElement": {"type": "string", "description": "what the application reads: the document element or the SOAP Body"},
            "signatures": {"type": "array", "items": {"$ref": "#/components/schemas/XmlSignatureReport"}},
            "timestamp": {"type": "object", "properties": {"created": {"type": "string", "format": "date-time"},
                                                           "expires": {"type": "string", "format": "date-time"}}}}}]});
    // PDF signatures: a literal of their own, as one would pass serde_json's macro recursion limit.
    let pdf_paths = json!({
            "/v1/verify/pdf": {"post": {
                "description": "every signature of any PDF — PAdES (ETSI.CAdES.detached), adbe.pkcs7.detached, document timestamps (ETSI.RFC3161): each one's CMS over its byte range, the range framing exactly its own value, the signer's path at the best signature time, what was appended after it; valid as a whole when every signature is and the newest covers the whole file",
                "requestBody": {"required": true, "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"type": "object", "required": ["pdf"],
                                                    "properties": {"pdf": b64}}}}},
                "responses": {"200": {"description": "the report of the file and of each signature",
                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PdfReport"}}}},
                              "400": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/verify/pdf/report": {"post": {
                "security": bearer,
                "description": "the verification of /v1/verify/pdf as a validation report an auditor can file: JSON (type qoltanba-validation-report: validator, policy, validationTime, the file's sha256 and size, validationObjects — every certificate, CRL or OCSP answer and timestamp the verdicts rest on — and the report) inside an attached CMS signed by the provider, timestamped when a TSA is configured; verify it with openssl cms -verify or POST /v1/verify/cms",
                "requestBody": {"required": true, "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"type": "object", "required": ["pdf"],
                                                    "properties": {"pdf": b64}}}}},
                "responses": {"200": {"description": "the signed report (DER CMS), as an attachment",
                                      "content": {"application/pkcs7-mime": {"schema": {"type": "string", "format": "binary"}}}},
                              "400": {"$ref": "#/components/responses/Problem"},
                              "401": {"$ref": "#/components/responses/Problem"},
                              "503": {"$ref": "#/components/responses/Problem"}}}}
    });
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
                    "properties": {"cms": b64, "data": b64, "iin": string(), "bin": string(),
                                   "at": {"type": "string", "format": "date-time"}}})),
                "responses": report_of("CmsReport", "the verification report of the CMS and of each signer")}},
            "/v1/verify/xml": {"post": {
                "requestBody": body(json!({"type": "object", "required": ["xml"],
                    "properties": {"xml": {"type": "string", "description": "the signed XML document, as text (UTF-8)"},
                                   "iin": string(), "bin": string(),
                                   "purpose": {"type": "string", "enum": ["sign", "auth"], "default": "sign"}}})),
                "description": "every XML signature of an application's XML (NCALayer signXml), under any prefix: SignedInfo's signature, each reference's digest, what it covers (the document element, or SIGNATURE_SCOPE), and each signer's certificate",
                "responses": report_of("XmlReport", "the verification report of the document and of each signature")}},
            "/v1/verify/wsse": {"post": {
                "requestBody": body(json!({"type": "object", "required": ["xml"],
                    "properties": {"xml": {"type": "string"}, "iin": string(), "bin": string(),
                                   "purpose": {"type": "string", "enum": ["sign", "auth"], "default": "sign"}}})),
                "description": "a SOAP envelope signed with WS-Security (SmartBridge): each signature in the wsse:Security header covering the Body (and the wsu:Timestamp, checked for freshness)",
                "responses": report_of("XmlReport", "the verification report of the envelope and of each signature")}},
            "/v1/auth/challenge": {"post": {
                "description": "login by EDS, step 1: a single-use XML challenge for the browser to sign with NCALayer and the AUTH key",
                "responses": {"201": {"description": "the challenge",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Challenge"}}}},
                    "503": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/auth/verify": {"post": {
                "description": "login by EDS, step 2: the signed challenge, accepted once before its expiry when its signature covers the whole challenge and its certificate passes for the purpose auth",
                "requestBody": body(json!({"type": "object", "required": ["nonce", "xml"],
                    "properties": {"nonce": string(), "xml": {"type": "string", "description": "the challenge signed with NCALayer signXml"}}})),
                "responses": {"200": {"description": "who logged in",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Login"}}}},
                    "400": {"$ref": "#/components/responses/Problem"},
                    "401": {"$ref": "#/components/responses/Problem"}}}},
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
            "/v1/sign/xml": {"post": {
                "security": bearer,
                "requestBody": body(json!({"type": "object", "required": ["xml"], "properties": {"xml": string()}})),
                "description": "an enveloped signature in NCALayer's profile (a co-signature when the document is already signed) with the portal signing key: off unless configured",
                "responses": {"200": {"description": "the signed XML",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignedXml"}}}},
                    "400": {"$ref": "#/components/responses/Problem"},
                    "401": {"$ref": "#/components/responses/Problem"},
                    "501": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/sign/wsse": {"post": {
                "security": bearer,
                "requestBody": body(json!({"type": "object", "required": ["xml"], "properties": {"xml": string()}})),
                "description": "a SOAP envelope signed with WS-Security in SmartBridge's profile (Body wsu:Id, exclusive C14N, KeyIdentifier X509v3) with the portal signing key: off unless configured",
                "responses": {"200": {"description": "the signed envelope",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignedXml"}}}},
                    "400": {"$ref": "#/components/responses/Problem"},
                    "401": {"$ref": "#/components/responses/Problem"},
                    "501": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/documents": {"post": {
                "security": bearer, "parameters": [key.clone()],
                "requestBody": body(json!({"type": "object", "required": ["form", "data"],
                    "properties": {"provider": {"type": "string", "description": "the issuing provider's id (default: the node's first)"},
                                   "form": {"type": "string", "pattern": "^reference\\."},
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
                "description": "an operator's change to a licence: suspend, resume, terminate. Re-issue and duplicate answer 422 NEEDS_APPLICATION: they are the licensee's applications (services licence.<kind>.reissue and licence.<kind>.duplicate, fields.licence = the number)",
                "parameters": [doc_id[0].clone(), {"name": "action", "in": "path", "required": true,
                    "schema": {"type": "string", "enum": ["reissue", "duplicate", "suspend", "resume", "terminate"]}}],
                "requestBody": body(json!({"type": "object", "required": ["reason"],
                    "properties": {"reason": string()}})),
                "responses": {"200": {"description": "the licence's standing after the change", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Standing"}}}},
                    "409": {"$ref": "#/components/responses/Problem"},
                    "422": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications": {"post": {"security": bearer,
                "description": "submit an application signed as CMS over {service, applicant: {iin|bin, name}, fields?, paymentReference?, provider?}, or as XML (NCALayer signXml) over <application xmlns=\"urn:qoltanba:application:1\" service=…><applicant iin|bin=…>name</applicant><paymentReference/>?<field name=…/>*</application>; a signature that does not verify is refused at once with a refusal document; the same signed request again is the application it made (200)",
                "requestBody": body(json!({"type": "object",
                    "description": "either cms (with data when detached) or xml",
                    "properties": {"cms": b64, "data": b64, "xml": {"type": "string", "description": "the signed XML application, as text"}}})),
                "responses": {"201": {"description": "the new application (its service's start state; verificationPending when revocation data is unavailable; or refused with its document)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                    "200": {"description": "the same signed request was submitted before: the application it made, as it stands", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                    "400": {"$ref": "#/components/responses/Problem"},
                    "422": {"$ref": "#/components/responses/Problem"}}},
                "get": {"security": bearer,
                    "description": "lists applications — an applicant's, a service's, those in a state, those overdue — oldest first; every read is recorded in the audit log (applications.read, with the filter)",
                    "parameters": [{"name": "applicant", "in": "query", "schema": string(), "description": "IIN or BIN"},
                                   {"name": "service", "in": "query", "schema": string()},
                                   {"name": "status", "in": "query", "schema": string()},
                                   {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                                   {"name": "provider", "in": "query", "schema": string()},
                                   {"name": "after", "in": "query", "schema": {"type": "integer"}, "description": "the previous page's next"},
                                   {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
                    "responses": {"200": {"description": "a page of applications; next when there may be more", "content": {"application/json": {"schema": {"type": "object", "required": ["applications"],
                        "properties": {"applications": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}}, "next": {"type": "integer"}}}}}},
                        "400": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications/{id}": {"get": {"security": bearer, "parameters": doc_id,
                "responses": {"200": {"description": "the application", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                              "404": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications/{id}/payment": {"post": {"security": bearer, "parameters": id_and_key,
                "requestBody": body(json!({"type": "object", "required": ["paid"],
                    "properties": {"paid": {"type": "boolean"}, "reference": string()}})),
                "responses": {"200": {"description": "registered with its due date, or refused for no payment", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                    "409": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications/{id}/decision": {"post": {"security": bearer, "parameters": id_and_key,
                "requestBody": body(json!({"type": "object", "required": ["decision"],
                    "properties": {"decision": {"type": "string", "enum": ["approve", "refuse"]},
                                   "reason": string(),
                                   "fields": {"type": "object", "description": "special_conditions, note, validity"},
                                   "number": {"type": "string", "description": "approve: the number E-licensing assigned, instead of ours"}}})),
                "responses": {"200": {"description": "approved with the licence, or refused with the reasoned refusal", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                    "409": {"$ref": "#/components/responses/Problem"},
                    "422": {"$ref": "#/components/responses/Problem"}}}},
            "/openapi.json": {"get": {"responses": {"200": {"description": "this document"}}}}
    });
    let mut paths = paths;
    let services = json!({
            "/v1/applications/{id}/steps/{step}": {"post": {"security": bearer,
                "description": "takes a step of the application's service from its current state (the application's `next`; GET /v1/services/{id} lists every step): the portal's steps with a portal token, the operator's with an operator token",
                "parameters": [doc_id[0].clone(), {"name": "step", "in": "path", "required": true, "schema": string()}, key.clone()],
                "requestBody": body(json!({"type": "object",
                    "properties": {"reference": {"type": "string", "description": "payment steps: the gateway's reference"},
                                   "reason": {"type": "string", "description": "steps that refuse with stated reasons"},
                                   "fields": {"type": "object", "description": "the values the step's document takes (the step's `takes`)"},
                                   "number": {"type": "string", "description": "a step that issues a licence: the number E-licensing assigned, instead of ours"},
                                   "signature": {"type": "string", "description": "the head's own signature on the step: an attached CMS, base64, over {application, step, fields?, reason?, number?}"},
                                   "signatureXml": {"type": "string", "description": "or the step as XML signed with NCALayer: <step xmlns=\"urn:qoltanba:step:1\" application=… name=…>"}}})),
                "responses": {"200": {"description": "the application after the step, with the document it issued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
                    "400": {"$ref": "#/components/responses/Problem"},
                    "403": {"$ref": "#/components/responses/Problem"},
                    "409": {"$ref": "#/components/responses/Problem"},
                    "422": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/services": {"get": {
                "description": "the service catalogue (templates/services.json): every service of the regulations Qoltanba runs",
                "responses": {"200": {"description": "the services", "content": {"application/json": {"schema": {"type": "object", "required": ["services"],
                    "properties": {"services": {"type": "array", "items": {"$ref": "#/components/schemas/Service"}}}}}}}}}},
            "/v1/services/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": string()}],
                "responses": {"200": {"description": "the service", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Service"}}}},
                    "404": {"$ref": "#/components/responses/Problem"}}}}
    });
    if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), services) {
        all.extend(more);
    }
    let batch = json!({
            "/v1/verify/batch": {"post": {
                "description": "up to 1000 verifications in one request, verified in parallel: each item the body of one verification endpoint ({cms…}, {xml…, profile?: enveloped|wsse}, {certificate…}, {barcode}); each result that endpoint's report, or a problem document for an item that fails alone, in the items' order",
                "requestBody": body(json!({"type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "maxItems": 1000, "items": {"type": "object"}}}})),
                "responses": {"200": {"description": "the results", "content": {"application/json": {"schema": {"type": "object", "required": ["results"],
                    "properties": {"results": {"type": "array", "items": {"type": "object"}}}}}}},
                    "400": {"$ref": "#/components/responses/Problem"}}}}
    });
    if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), batch) {
        all.extend(more);
    }
    let attachments = json!({
            "/v1/attachments": {"post": {"security": bearer,
                "description": "uploads a file an application will list (streamed; at most [attachments] max_bytes, 20 MB by default): the body is the file, Content-Type its type, which its first bytes must confirm",
                "requestBody": {"required": true, "content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
                "responses": {"201": {"description": "stored under its SHA-256, waiting for an application to list it", "content": {"application/json": {"schema": {"type": "object", "required": ["sha256", "size", "type"],
                    "properties": {"sha256": string(), "size": {"type": "integer"}, "type": string()}}}}},
                    "413": {"$ref": "#/components/responses/Problem"},
                    "415": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/applications/{id}/attachments/{n}": {"get": {"security": bearer,
                "description": "the application's n-th attached file (from 0), checked against the digest the applicant signed; the read is recorded in the audit log",
                "parameters": [doc_id[0].clone(), {"name": "n", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "the file"},
                    "403": {"$ref": "#/components/responses/Problem"},
                    "404": {"$ref": "#/components/responses/Problem"}}}}
    });
    if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), attachments) {
        all.extend(more);
    }
    let term = json!({"type": "object", "description": "exactly one of these",
        "properties": {"workingDays": {"type": "integer"}, "calendarDays": {"type": "integer"},
                       "hours": {"type": "integer"}, "minutes": {"type": "integer"}}});
    let step_schema = json!({"type": "object", "required": ["step", "by", "to", "description"],
        "properties": {"step": string(), "by": {"type": "string", "enum": ["portal", "operator"]}, "to": string(),
            "description": string(), "payment": {"type": "boolean"}, "term": term.clone(),
            "refuses": {"type": "string", "description": "the refusal reason it gives (stated: the operator writes it)"},
            "document": {"type": "string", "description": "the form it issues"},
            "takes": {"type": "array", "items": {"type": "object", "properties": {"field": string(), "required": {"type": "boolean"}}}}}});
    let service_schema = json!({
                "Service": {"type": "object", "required": ["id", "name", "source", "applicants", "applicationFields", "start", "states", "refusals", "sealMode"],
                    "properties": {"id": string(), "name": {"$ref": "#/components/schemas/Names"}, "source": string(),
                        "applicants": {"type": "array", "items": {"type": "string", "enum": ["individual", "legalEntity"]}},
                        "applicationFields": {"type": "array", "items": string(), "description": "the `fields` of the signed application its documents print"},
                        "fee": {"type": "object", "required": ["amount"], "properties": {"amount": string(), "payWithin": term.clone(),
                            "late": {"type": "string", "description": "the step a payment after payWithin takes instead (it refuses)"}}},
                        "start": {"type": "string", "description": "the state an application enters when its signature is confirmed"},
                        "startTerm": term.clone(),
                        "states": {"type": "array", "items": {"type": "object", "required": ["state", "description", "final", "steps"],
                            "properties": {"state": string(), "description": string(), "final": {"type": "boolean"},
                                "steps": {"type": "array", "items": step_schema}}}},
                        "signerRoles": {"type": "array", "items": string(), "description": "the NCA roles whose certificates may sign its applications (SIGNER_NOT_AUTHORISED otherwise)"},
                        "sealMode": {"type": "string", "enum": ["compact", "full"], "description": "how its documents' seals name the signer: full carries the certificate (seed 004's barcode)"},
                        "refusals": {"type": "object", "additionalProperties": {"type": "object",
                            "properties": {"code": string(), "text": string()}}}}}
    });
    // PDF signatures and timestamps: a second literal, as one would pass serde_json's macro recursion limit.
    let signature_schemas = json!({
                "TimestampReport": {"type": "object",
                    "description": "an RFC 3161 signature timestamp and its own verification",
                    "properties": {"report": {"$ref": "#/components/schemas/Report"},
                                   "info": {"type": "object", "properties": {
                                       "genTime": {"type": "string", "format": "date-time"}, "policy": string(),
                                       "serial": string(), "imprintAlgorithm": string(), "imprint": string(),
                                       "nonce": string(), "tsa": string()}},
                                   "imprintMatches": {"type": "boolean"}}},
                "SignatureTimestamp": {"type": "object", "required": ["genTime", "policy", "serial", "valid", "codes"],
                    "properties": {"genTime": {"type": "string", "format": "date-time"},
                        "tsa": string(), "policy": string(), "serial": string(),
                        "valid": {"type": "boolean"},
                        "codes": {"type": "array", "items": string()}}},
                "PdfSignatureReport": {"allOf": [{"$ref": "#/components/schemas/Report"}, {"type": "object",
                    "properties": {"field": string(),
                        "kind": {"type": "string", "enum": ["pades", "pkcs7Detached", "documentTimestamp", "unsupported"]},
                        "subFilter": string(),
                        "byteRange": {"type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 4},
                        "coversWholeFile": {"type": "boolean"},
                        "appended": {"type": "array", "items": string(), "description": "each revision after this signature and the objects it adds or replaces"},
                        "claimedSigningTime": {"type": "string", "format": "date-time", "description": "the dictionary's /M: a claim"},
                        "reason": string(), "location": string(), "contactInfo": string(),
                        "timestamp": {"$ref": "#/components/schemas/SignatureTimestamp"},
                        "bestSignatureTime": {"type": "string", "format": "date-time"},
                        "digestAlgorithm": string(), "signatureAlgorithm": string()}}]},
                "PdfReport": {"allOf": [{"$ref": "#/components/schemas/Report"}, {"type": "object",
                    "properties": {"revisions": {"type": "integer"},
                        "validationDataAppended": {"type": "boolean", "description": "what follows the newest signature only adds validation data (/DSS, PAdES-B-LT)"},
                        "signatures": {"type": "array", "items": {"$ref": "#/components/schemas/PdfSignatureReport"}}}}]}
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
                                   "indication": {"type": "string", "enum": ["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"],
                                       "description": "by the Kazakh rule: an expired or revoked certificate is negative"},
                                   "etsi": {"type": "object", "required": ["indication", "proofOfExistence"],
                                       "description": "the same verdict in ETSI EN 319 102-1 terms; differs from indication where the rules do (an expired certificate without a timestamp: INDETERMINATE/OUT_OF_BOUNDS_NO_POE)",
                                       "properties": {"indication": {"type": "string", "enum": ["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"]},
                                           "subIndication": {"type": "string", "enum": ["FORMAT_FAILURE", "HASH_FAILURE", "SIG_CRYPTO_FAILURE", "REVOKED",
                                               "NOT_YET_VALID", "EXPIRED", "OUT_OF_BOUNDS_NO_POE", "REVOKED_NO_POE", "NO_CERTIFICATE_CHAIN_FOUND",
                                               "CERTIFICATE_CHAIN_GENERAL_FAILURE", "TRY_LATER", "CHAIN_CONSTRAINTS_FAILURE",
                                               "CRYPTO_CONSTRAINTS_FAILURE", "SIG_CONSTRAINTS_FAILURE"]},
                                           "proofOfExistence": {"type": "boolean", "description": "a timestamp dated the signature: its certificate was checked at that time"}}},
                                   "codes": {"type": "array", "items": string()},
                                   "messages": {"type": "array", "items": string()},
                                   "subject": {"$ref": "#/components/schemas/Subject"},
                                   "chain": {"type": "array", "items": {"$ref": "#/components/schemas/ChainEntry"}},
                                   "validationTime": {"type": "string", "format": "date-time"},
                                   "revocationChecked": {"type": "string", "enum": ["all", "leaf", "none"]}}},
                "SignerReport": {"allOf": [{"$ref": "#/components/schemas/Report"}, {"type": "object",
                    "properties": {"signingTime": {"type": "string", "format": "date-time"},
                                   "digestAlgorithm": string(), "signatureAlgorithm": string(),
                                   "signedAttributes": {"type": "boolean"},
                                   "timestamp": {"$ref": "#/components/schemas/TimestampReport"},
                                   "bestSignatureTime": {"type": "string", "format": "date-time",
                                       "description": "the timestamp's genTime when it holds: the signer's certificate was checked at it"}}}]},
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
                                           "registryCopy": {"type": "boolean"},
                                           "timestamp": {"$ref": "#/components/schemas/SignatureTimestamp"},
                                           "validationDataAppended": {"type": "boolean"}}}}}]},
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
                        "duplicates": {"type": "integer"}, "replacedBy": string(), "replaces": string()}},
                "Application": {"type": "object", "required": ["id", "number", "service", "provider", "applicant", "status", "submittedAt"],
                    "properties": {"id": {"type": "integer"}, "number": string(), "service": string(),
                        "provider": {"type": "string", "description": "the id of the provider the application goes to"},
                        "attachments": {"type": "array", "description": "the files the applicant's signature lists (absent when none)",
                            "items": {"type": "object", "required": ["name", "type", "size", "sha256", "href"],
                                "properties": {"name": string(), "type": {"type": "string", "enum": ["application/pdf", "image/jpeg", "image/png"]},
                                               "size": {"type": "integer"}, "sha256": string(), "href": string()}}},
                        "applicant": {"type": "object", "properties": {"id": {"type": "string", "description": "IIN or BIN"}, "name": string()}},
                        "status": {"type": "string",
                            "description": "a state of the application's service (GET /v1/services/{id}; the licences: awaitingPayment, registered, approved, refused). Every service has verificationPending: the EDS could not be checked to the end for want of revocation data (REVOCATION_UNKNOWN); the service verifies it again until verificationDeadline, then it moves on to the service's start or refused"},
                        "next": {"type": "array", "description": "the steps the service allows from here; empty once final",
                            "items": {"type": "object", "required": ["step", "by", "href"],
                                "properties": {"step": string(), "by": {"type": "string", "enum": ["portal", "operator"]}, "href": string()}}},
                        "submittedAt": {"type": "string", "format": "date-time"},
                        "verificationDeadline": {"type": "string", "format": "date-time"},
                        "verification": {"description": "the verification report as stored: the CMS report, or the XML report for an application signed as XML",
                            "oneOf": [{"$ref": "#/components/schemas/CmsReport"}, {"$ref": "#/components/schemas/XmlReport"}]},
                        "paymentReference": string(),
                        "registeredAt": {"type": "string", "format": "date-time"},
                        "dueDate": {"type": "string", "description": "YYYY-MM-DD for terms in days; RFC 3339 (Astana time) for terms in hours or minutes"},
                        "overdue": {"type": "boolean", "description": "present (true) when the deadline passed and the application is not final"},
                        "decidedAt": {"type": "string", "format": "date-time"},
                        "document": {"type": "object", "properties": {"id": {"type": "integer"}, "number": string(),
                                                                    "href": string(), "pdf": string()}}}},
                "XmlReport": xml_report,
                "XmlSignatureReport": xml_signature,
                "SignedXml": {"type": "object", "required": ["xml"], "properties": {"xml": string()}},
                "Challenge": {"type": "object", "required": ["nonce", "challenge", "issuedAt", "expiresAt"],
                    "properties": {"nonce": string(), "challenge": {"type": "string", "description": "the XML to sign"},
                                   "issuedAt": {"type": "string", "format": "date-time"},
                                   "expiresAt": {"type": "string", "format": "date-time"}}},
                "Login": {"type": "object", "required": ["authenticated", "nonce", "report"],
                    "properties": {"authenticated": {"type": "boolean"}, "nonce": string(),
                                   "identity": {"$ref": "#/components/schemas/Subject"},
                                   "report": {"$ref": "#/components/schemas/XmlReport"}}},
                "Problem": {"type": "object", "required": ["type", "title", "status", "code", "detail"],
                    "properties": {"type": string(), "title": string(), "status": {"type": "integer"},
                                   "code": {"type": "string", "enum": super::problem::ProblemCode::ALL},
                                   "detail": string(),
                                   "reason": {"type": "string", "description": "LOGIN_REFUSED only: CHALLENGE_UNKNOWN, CHALLENGE_USED, CHALLENGE_MISMATCH, MESSAGE_EXPIRED, or the report's first code"}}}
    });
    if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), pdf_paths) {
        all.extend(more);
    }
    let mut schemas = schemas;
    if let Some(all) = schemas.as_object_mut() {
        for more in [service_schema, signature_schemas] {
            if let Value::Object(more) = more {
                all.extend(more);
            }
        }
    }
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
