//! Verifying the signatures of any PDF — PAdES (`ETSI.CAdES.detached`), the older `adbe.pkcs7.detached`, and
//! document timestamps (`ETSI.RFC3161`) — whoever made them: an issued document, one a provider's software or an
//! auditor's signed, one signed by pyHanko or Adobe.
//!
//! Each signature is checked on its own: its byte range must start the file and leave out exactly its own
//! `/Contents` value (a range that skips anything else could hide a change), the CMS must verify over the bytes it
//! names — with the signer's path and revocation at the best signature time (its timestamp's, when one holds) —
//! and the report says whether the range reaches the end of the file. What was appended after a signature is
//! named, revision by revision and object by object; the file as a whole is valid only when every signature is and
//! the newest one covers every byte, so a revision appended after the last signature (a changed text, an overlay)
//! is reported and makes the file invalid as a whole, while the earlier signatures stay reported as they are.

use serde::Serialize;

use super::pades::{signatures, FileSignature};
use super::verify::SignatureTimestamp;
use crate::pdf::{Budget, PdfError, PdfFile};
use crate::pki::{Code, Findings, Report, TrustStore, VerifyOptions};
use crate::seal::SealError;

/// Why [`verify_pdf`] refuses a PDF without signatures (NCANode's 404 tells it from other errors).
pub(crate) const NO_SIGNATURES: &str = "the PDF carries no signature";

/// What kind of PDF signature a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PdfSignatureKind {
    /// A PAdES signature (`/SubFilter /ETSI.CAdES.detached`).
    Pades,
    /// A detached PKCS #7 signature (`/SubFilter /adbe.pkcs7.detached`, ISO 32000-1).
    Pkcs7Detached,
    /// A document timestamp (`/SubFilter /ETSI.RFC3161`): an RFC 3161 token over the byte range.
    DocumentTimestamp,
    /// Any other sub-filter: not verified.
    Unsupported,
}

/// One PDF signature, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PdfSignatureReport {
    /// The signer's path validation and the signature's own findings (design.md §3), with the range's.
    #[serde(flatten)]
    pub report: Report,
    /// The signature field's name.
    pub field: String,
    /// What kind of signature this is.
    pub kind: PdfSignatureKind,
    /// The `/SubFilter` as written.
    pub sub_filter: String,
    /// `[offset, length, offset, length]` of the signed bytes.
    pub byte_range: [usize; 4],
    /// Whether the range reaches the end of the file.
    pub covers_whole_file: bool,
    /// What was appended after this signature's range: each revision and the objects it adds or replaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub appended: Vec<String>,
    /// The time the signature dictionary claims (`/M`), RFC 3339 when it can be read — a claim, not a proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_signing_time: Option<String>,
    /// `/Reason`, `/Location`, `/ContactInfo` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `/Location`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `/ContactInfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_info: Option<String>,
    /// The signature's timestamp (the CMS signer's `signature-time-stamp`, or the document timestamp itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<SignatureTimestamp>,
    /// The best signature time: the timestamp's genTime when it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_signature_time: Option<String>,
    /// The digest algorithm's name, when the CMS could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_algorithm: Option<String>,
    /// The signature algorithm's name, when the CMS could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    /// The signature's CMS (or timestamp token), for callers that show its certificates in other shapes.
    #[serde(skip)]
    pub(crate) cms: Vec<u8>,
    /// The signer's digest algorithm OID (dotted), when the CMS could be read: NCANode's `digestAlgorithm`.
    #[serde(skip)]
    pub(crate) digest_oid: Option<String>,
}

/// Every signature of a PDF, verified, and the verdict on the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PdfReport {
    /// The file as a whole: every signature valid, and the newest covering every byte.
    #[serde(flatten)]
    pub report: Report,
    /// The signatures, the one covering the fewest bytes (the earliest) first.
    pub signatures: Vec<PdfSignatureReport>,
    /// How many revisions the file has (the original and its incremental updates).
    pub revisions: usize,
    /// Whether what follows the newest signature only adds validation data (a `/DSS`: PAdES-B-LT) — the one
    /// addition after the last signature that leaves the file valid as a whole.
    pub validation_data_appended: bool,
}

/// A text string of a PDF: UTF-16BE after its byte-order mark, else PDFDocEncoding read as Latin-1 (the two agree
/// on everything a name or a date uses).
fn text(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xfe, 0xff]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        None => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

/// A PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, ISO 32000-1 §7.9.4; every part after the year optional) as RFC 3339.
fn pdf_date(bytes: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(bytes).ok()?;
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |from: usize, len: usize, default: u32| -> Option<u32> {
        match s.get(from..from + len) {
            Some(part) if part.bytes().all(|b| b.is_ascii_digit()) => part.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = digits(0, 4, 0)?;
    let (month, day) = (digits(4, 2, 1)?, digits(6, 2, 1)?);
    let (hour, minute, second) = (digits(8, 2, 0)?, digits(10, 2, 0)?, digits(12, 2, 0)?);
    let offset = match s.get(14..15) {
        None | Some("Z") => "Z".to_string(),
        Some(sign @ ("+" | "-")) => {
            let hh = digits(15, 2, 0)?;
            let mm = s
                .get(18..20)
                .and_then(|m| m.parse::<u32>().ok())
                .unwrap_or(0);
            format!("{sign}{hh:02}:{mm:02}")
        }
        Some(_) => return None,
    };
    let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{offset}");
    crate::clock::UnixTime::parse_rfc3339(&text)
        .ok()
        .map(|t| t.rfc3339())
}

/// A report about no certificate, at the options' time: for a signature whose CMS could not be verified at all.
fn bare(opts: &VerifyOptions) -> Report {
    Findings::default().into_report(None, Vec::new(), opts.at.rfc3339(), opts.revocation)
}

fn kind_of(sub_filter: &[u8]) -> PdfSignatureKind {
    match sub_filter {
        b"ETSI.CAdES.detached" => PdfSignatureKind::Pades,
        b"adbe.pkcs7.detached" => PdfSignatureKind::Pkcs7Detached,
        b"ETSI.RFC3161" => PdfSignatureKind::DocumentTimestamp,
        _ => PdfSignatureKind::Unsupported,
    }
}

fn unreadable(e: PdfError) -> SealError {
    match e {
        PdfError::Limit(what) => SealError::TooLarge(what.to_string()),
        PdfError::Cancelled => SealError::Cancelled,
        e => SealError::Unreadable(e.to_string()),
    }
}

/// Verifies every signature of `pdf` against `store`, as `opts` say (time, purpose, revocation). A PDF without
/// signatures is an error (`SealError::Structure`), as is one that cannot be read.
pub fn verify_pdf(
    store: &TrustStore,
    pdf: &[u8],
    opts: &VerifyOptions,
) -> Result<PdfReport, SealError> {
    if pdf.len() > super::MAX_PDF {
        return Err(SealError::TooLarge(format!(
            "the PDF is {} bytes, more than {}",
            pdf.len(),
            super::MAX_PDF
        )));
    }
    if !pdf.starts_with(b"%PDF-") {
        return Err(SealError::Structure("not a PDF"));
    }
    let file =
        PdfFile::open(pdf, Budget::for_verification(opts.cancel.clone())).map_err(unreadable)?;
    let found = signatures(&file).map_err(unreadable)?;
    if found.is_empty() {
        return Err(SealError::Structure(NO_SIGNATURES));
    }
    let newest_end = found.iter().map(FileSignature::end).max().unwrap_or(0);
    let mut reports = Vec::with_capacity(found.len());
    for sig in &found {
        if opts.cancel.is_cancelled() {
            return Err(SealError::Cancelled);
        }
        reports.push(verify_one(store, &file, pdf, sig, opts));
    }
    let mut all = Findings::default();
    let several = reports.len() > 1;
    for (i, r) in reports.iter().enumerate() {
        all.absorb_prefixed(&r.report, several.then_some(i + 1));
    }
    let validation_data = newest_end != pdf.len()
        && super::pades::only_validation_data_after(pdf, newest_end, &opts.cancel);
    if newest_end != pdf.len() && !validation_data {
        let appended = super::verify::describe_appended(&file, newest_end);
        all.add(
            Code::DocumentMismatch,
            format!(
                "{} bytes were appended after the last signature, signed by nobody{}",
                pdf.len().saturating_sub(newest_end),
                if appended.is_empty() {
                    String::new()
                } else {
                    format!(": {}", appended.join("; "))
                }
            ),
        );
    }
    let report = match reports.first() {
        Some(r) => all.into_report_about(&r.report),
        None => all.into_report_about(&bare(opts)),
    };
    Ok(PdfReport {
        report,
        revisions: file.revisions().len(),
        validation_data_appended: validation_data,
        signatures: reports,
    })
}

fn verify_one(
    store: &TrustStore,
    file: &PdfFile<'_>,
    pdf: &[u8],
    sig: &FileSignature,
    opts: &VerifyOptions,
) -> PdfSignatureReport {
    let kind = kind_of(&sig.sub_filter);
    let mut f = Findings::default();
    let mut out = PdfSignatureReport {
        report: bare(opts),
        field: text(&sig.field),
        kind,
        sub_filter: String::from_utf8_lossy(&sig.sub_filter).into_owned(),
        byte_range: sig.byte_range,
        covers_whole_file: sig.covers_to_end(pdf),
        appended: if sig.covers_to_end(pdf) {
            Vec::new()
        } else {
            super::verify::describe_appended(file, sig.end())
        },
        claimed_signing_time: sig.claimed.time.as_deref().and_then(pdf_date),
        reason: sig.claimed.reason.as_deref().map(text),
        location: sig.claimed.location.as_deref().map(text),
        contact_info: sig.claimed.contact.as_deref().map(text),
        timestamp: None,
        best_signature_time: None,
        digest_algorithm: None,
        signature_algorithm: None,
        cms: sig.cms.clone(),
        digest_oid: crate::cms::digest_algorithm_oids(&sig.cms)
            .into_iter()
            .next(),
    };
    let signed = match (sig.range_is_sound(pdf), sig.signed_bytes(pdf)) {
        (true, Some(bytes)) => bytes,
        _ => {
            f.add(
                Code::SignatureInvalid,
                "the byte range does not frame exactly this signature's value: bytes it leaves out could have \
                 been changed",
            );
            out.report = f.into_report_about(&bare(opts));
            return out;
        }
    };
    match kind {
        PdfSignatureKind::Pades | PdfSignatureKind::Pkcs7Detached => {
            match crate::cms::verify_cms(store, &sig.cms, Some(&signed), &[], opts) {
                Ok(cms) => {
                    if cms.signers.len() != 1 {
                        f.add(
                            Code::SignatureInvalid,
                            format!(
                                "a PDF signature has one signer, this one {}",
                                cms.signers.len()
                            ),
                        );
                    }
                    if !cms.detached {
                        f.add(
                            Code::SignatureInvalid,
                            "the CMS carries content of its own: a PDF signature is detached",
                        );
                    }
                    // verify_cms refuses a SignedData without signers: there is a first.
                    if let Some(signer) = cms.signers.first() {
                        if kind == PdfSignatureKind::Pades && signer.signing_time.is_some() {
                            // EN 319 142-1 §6.3: the time of a PAdES signature is /M or a timestamp, never signingTime.
                            f.add(
                                Code::Malformed,
                                "a PAdES signature carries signingTime, which EN 319 142-1 forbids",
                            );
                        }
                        out.timestamp = signer.timestamp.as_ref().map(SignatureTimestamp::of);
                        out.best_signature_time = signer.best_signature_time.clone();
                        out.digest_algorithm = Some(signer.digest_algorithm.clone());
                        out.signature_algorithm = Some(signer.signature_algorithm.clone());
                    }
                    f.absorb(&cms.report);
                    out.report = f.into_report_about(&cms.report);
                }
                Err(e) => {
                    f.add(
                        Code::Malformed,
                        format!("the signature's CMS cannot be read: {e}"),
                    );
                    out.report = f.into_report_about(&bare(opts));
                }
            }
        }
        PdfSignatureKind::DocumentTimestamp => {
            match crate::cms::verify_timestamp(store, &sig.cms, &signed, None, opts) {
                Ok(ts) => {
                    out.timestamp = Some(SignatureTimestamp::of(&ts));
                    if ts.report.valid {
                        out.best_signature_time = Some(ts.info.gen_time.clone());
                    }
                    f.absorb(&ts.report);
                    out.report = f.into_report_about(&ts.report);
                }
                Err(e) => {
                    f.add(
                        Code::Malformed,
                        format!("the document timestamp cannot be read: {e}"),
                    );
                    out.report = f.into_report_about(&bare(opts));
                }
            }
        }
        PdfSignatureKind::Unsupported => {
            f.add(
                Code::UnsupportedAlgorithm,
                format!("signature sub-filter {} is not verified", out.sub_filter),
            );
            out.report = f.into_report_about(&bare(opts));
        }
    }
    out
}

/// One object a validation rested on (ETSI TS 119 102-2's validation objects): a certificate of a path, the
/// revocation data that answered for one, a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum ValidationObject {
    /// A certificate of a signer's (or a TSA's) path.
    #[serde(rename = "certificate", rename_all = "camelCase")]
    Certificate {
        /// SHA-256 of its DER, hex.
        sha256: String,
        /// Its subject.
        subject: String,
        /// Its issuer.
        issuer: String,
        /// Its serial number, hex.
        serial: String,
    },
    /// A CRL or an OCSP answer, and the certificate it answered for.
    #[serde(rename = "revocation", rename_all = "camelCase")]
    Revocation {
        /// The SHA-256 of the certificate it answered for.
        for_certificate: String,
        /// The CRL or OCSP answer, as reports describe it.
        data: std::sync::Arc<crate::pki::report::RevocationEvidence>,
    },
    /// An RFC 3161 timestamp (a signature's, or a document timestamp).
    #[serde(rename = "timestamp", rename_all = "camelCase")]
    Timestamp {
        /// Its description and verdict.
        #[serde(flatten)]
        timestamp: SignatureTimestamp,
    },
}

/// A validation report an auditor can file: what was validated (the file's SHA-256), when, under which rules, on
/// what objects, and the report itself. Signed by the provider ([`crate::CmsSigner`]) by the shells that hand it
/// out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationReport {
    /// `qoltanba-validation-report`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The report format's version (1).
    pub version: u32,
    /// Who validated: Qoltanba and its version.
    pub validator: String,
    /// The rules applied.
    pub policy: &'static str,
    /// The validation time, RFC 3339.
    pub validation_time: String,
    /// The file validated: SHA-256 (hex) and size.
    pub document: ValidatedDocument,
    /// Every certificate, revocation answer and timestamp the verdicts rest on, once each.
    pub validation_objects: Vec<ValidationObject>,
    /// The verification report.
    pub report: PdfReport,
}

/// The file a validation report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatedDocument {
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: usize,
}

/// The rules a validation report names.
const POLICY: &str = "Qoltanba: RFC 5280 path validation with revocation; a PDF valid when every signature verifies \
     over a byte range framing only its own value and the newest covers the whole file; indication by the Kazakh \
     rule (an expired or revoked certificate is negative), with the ETSI EN 319 102-1 indication beside it";

/// The filable report of `report`, the verification of `pdf`.
pub fn validation_report(pdf: &[u8], report: PdfReport) -> ValidationReport {
    let mut objects: Vec<ValidationObject> = Vec::new();
    for sig in &report.signatures {
        for entry in &sig.report.chain {
            let c = &entry.certificate;
            let known = objects.iter().any(|o| {
                matches!(o, ValidationObject::Certificate { sha256, .. } if *sha256 == c.sha256)
            });
            if !known {
                objects.push(ValidationObject::Certificate {
                    sha256: c.sha256.clone(),
                    subject: c.subject.clone(),
                    issuer: c.issuer.clone(),
                    serial: c.serial.clone(),
                });
            }
            for data in &entry.revocation_data {
                let object = ValidationObject::Revocation {
                    for_certificate: c.sha256.clone(),
                    data: data.clone(),
                };
                if !objects.contains(&object) {
                    objects.push(object);
                }
            }
        }
        if let Some(t) = &sig.timestamp {
            objects.push(ValidationObject::Timestamp {
                timestamp: t.clone(),
            });
        }
    }
    ValidationReport {
        kind: "qoltanba-validation-report",
        version: 1,
        validator: format!("Qoltanba {}", env!("CARGO_PKG_VERSION")),
        policy: POLICY,
        validation_time: report.report.validation_time.clone(),
        document: ValidatedDocument {
            sha256: crate::encoding::hex(&crate::encoding::sha256(pdf)),
            size: pdf.len(),
        },
        validation_objects: objects,
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_read_as_rfc_3339() {
        assert_eq!(
            pdf_date(b"D:20261202195506+05'00'").as_deref(),
            Some("2026-12-02T14:55:06Z")
        );
        assert_eq!(
            pdf_date(b"D:20261202195506Z").as_deref(),
            Some("2026-12-02T19:55:06Z")
        );
        assert_eq!(pdf_date(b"D:2026").as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(pdf_date(b"D:2026x2"), None);
        assert_eq!(pdf_date(b"yesterday"), None);
    }

    #[test]
    fn text_strings_are_utf16_after_a_bom_and_latin1_otherwise() {
        assert_eq!(text(b"Signature1"), "Signature1");
        assert_eq!(text(&[0xfe, 0xff, 0x04, 0x1a, 0x00, 0x21]), "К!");
    }
}
