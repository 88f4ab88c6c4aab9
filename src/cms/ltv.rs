//! Validation data for long-term signatures: what PAdES-B-LT keeps in the PDF's `/DSS` (ETSI EN 319 142-1
//! §5.4) so that the signature can be validated later without asking anyone — the certificates of the signer's
//! and the TSA's paths, and the revocation data that answered for them.
//!
//! The data comes from the trust store the signer's certificate was just validated against: the chain the path
//! validation built, and the revocation data its check rested on — OCSP answers as the responder sent them, and
//! CRLs when the store kept their bytes (lists up to 1 MB; the NCA's full 22 MB lists are not copied into every
//! document: its OCSP answers, about 1.3 KB each, are).

use std::sync::Arc;

use crate::clock::UnixTime;
use crate::pki::report::RevocationEvidence;
use crate::pki::{Certificate, TrustStore, VerifyOptions};

/// Certificates and revocation data to embed, each as DER, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationData {
    /// Certificates of the paths (end entities, CAs, anchors).
    pub certificates: Vec<Vec<u8>>,
    /// CRLs that answered for them.
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses that answered for them.
    pub ocsps: Vec<Vec<u8>>,
}

impl ValidationData {
    /// Whether there is nothing to embed.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.crls.is_empty() && self.ocsps.is_empty()
    }

    fn push_unique(list: &mut Vec<Vec<u8>>, der: Vec<u8>) {
        if !list.contains(&der) {
            list.push(der);
        }
    }
}

/// Where a signer finds the validation data of the certificates its signatures rest on.
pub trait ValidationDataSource: Send + Sync {
    /// The validation data of `certificates` (the signer's, a TSA's) at `at`; `extra` are certificates that
    /// came with them (a timestamp token's).
    fn validation_data(
        &self,
        certificates: &[&Certificate],
        extra: &[Certificate],
        at: UnixTime,
    ) -> ValidationData;
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Validation data from a trust store, with revocation checked as `options` say (the node's sources: its CRLs,
/// its OCSP responders).
pub struct StoreValidationData {
    store: Arc<TrustStore>,
    options: Box<dyn Fn(UnixTime) -> VerifyOptions + Send + Sync>,
}

impl StoreValidationData {
    /// Validation data from `store`, each certificate validated with `options(at)`.
    pub fn new(
        store: Arc<TrustStore>,
        options: impl Fn(UnixTime) -> VerifyOptions + Send + Sync + 'static,
    ) -> StoreValidationData {
        StoreValidationData {
            store,
            options: Box::new(options),
        }
    }
}

impl ValidationDataSource for StoreValidationData {
    fn validation_data(
        &self,
        certificates: &[&Certificate],
        extra: &[Certificate],
        at: UnixTime,
    ) -> ValidationData {
        let mut data = ValidationData::default();
        let others: Vec<&Certificate> = extra.iter().collect();
        let opts = (self.options)(at);
        for cert in certificates {
            let report = self.store.verify_certificate(cert, &others, &opts);
            for entry in &report.chain {
                let Some(fingerprint) = unhex(&entry.certificate.sha256) else {
                    continue;
                };
                let der = if cert.fingerprint == fingerprint {
                    Some(cert.der().to_vec())
                } else {
                    self.store
                        .find_by_fingerprint(&fingerprint)
                        .or_else(|| extra.iter().find(|c| c.fingerprint == fingerprint))
                        .map(|c| c.der().to_vec())
                };
                if let Some(der) = der {
                    ValidationData::push_unique(&mut data.certificates, der);
                }
                for evidence in &entry.revocation_data {
                    match evidence.as_ref() {
                        RevocationEvidence::Crl { .. } => {
                            if let Some(der) = self.store.crl_der(evidence) {
                                ValidationData::push_unique(&mut data.crls, der);
                            }
                        }
                        RevocationEvidence::Ocsp { response, .. } => {
                            ValidationData::push_unique(&mut data.ocsps, response.to_vec());
                        }
                    }
                }
            }
        }
        data
    }
}
