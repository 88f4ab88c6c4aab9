//! What a revocation verdict rests on, as reports name it: a module of its own so that the store (which
//! describes each CRL once, when it is installed) and the reports can both use it without a cycle.

use serde::Serialize;

/// One piece of revocation data a verdict rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum RevocationEvidence {
    /// A CRL (or a delta CRL) that covered the certificate.
    #[serde(rename = "crl", rename_all = "camelCase")]
    Crl {
        /// The CRL's issuer.
        issuer: String,
        /// Where it came from: the URL it was fetched from, or `configured` for a CRL loaded at start.
        source: String,
        /// `loaded` (from the configuration at start), `fetched` (by the service while running) or `cached`
        /// (from the data directory's cache, fetched before a restart).
        origin: &'static str,
        /// `thisUpdate`, RFC 3339.
        this_update: crate::clock::UnixTime,
        /// `nextUpdate`, RFC 3339.
        #[serde(skip_serializing_if = "Option::is_none")]
        next_update: Option<crate::clock::UnixTime>,
        /// cRLNumber, lower-case hex.
        #[serde(skip_serializing_if = "Option::is_none")]
        number: Option<String>,
        /// Whether it is a delta CRL.
        delta: bool,
        /// SHA-256 of the CRL's DER, lower-case hex.
        sha256: String,
    },
    /// An authentic OCSP answer.
    #[serde(rename = "ocsp", rename_all = "camelCase")]
    Ocsp {
        /// The responder's URL.
        responder: String,
        /// Who signed the answer.
        signer: String,
        /// `producedAt`, RFC 3339.
        produced_at: crate::clock::UnixTime,
        /// `thisUpdate`, RFC 3339.
        this_update: crate::clock::UnixTime,
        /// `nextUpdate`, RFC 3339, when the responder gave one.
        #[serde(skip_serializing_if = "Option::is_none")]
        next_update: Option<crate::clock::UnixTime>,
        /// Whether it came from the cache rather than from the responder now.
        cached: bool,
        /// The response's DER, to embed as validation data (not shown in reports).
        #[serde(skip)]
        response: std::sync::Arc<[u8]>,
    },
}
