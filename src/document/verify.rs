//! Verifying a document in two steps: [`read_document`] takes the PDF apart (the seal's QR symbols, the embedded
//! data and its CMS, the provider's file signature, what each page visibly shows), so the caller can look the
//! seal's document up in its registry; [`verify_read`] then decides, with that evidence if there is any:
//!
//! - the seal: signature, authority of its signer, path at the issue time ([`crate::seal::verify_decoded`]);
//! - the file: the provider's PDF signature verifies, is made by the seal's signer, and covers every byte of the
//!   file — anything appended after issue (an overlay, a page, an annotation) is `DOCUMENT_MISMATCH`, naming what
//!   was added; a file with no signature is accepted only when the registry holds exactly these bytes;
//! - the content: the embedded data is what the seal signs (and its CMS verifies, by the same signer), and each
//!   signed value is *visible* on the pages — text something was drawn over does not count (`crate::pdf`).

use serde::Serialize;

use super::pades::{signatures, FileSignature};
use crate::cancel::Cancel;
use crate::clock::UnixTime;
use crate::pdf::{Budget, Object, PageView, PdfError, PdfFile};
use crate::pki::{Code, Findings, RevocationMode, VerifyOptions};
use crate::seal::{Decoded, IssueEvidence, SealError, SealReport, SealTrust, MAX_PARTS};

/// Largest PDF accepted for verification.
pub const MAX_PDF: usize = 16 * 1024 * 1024;
/// Largest embedded file read (the data and its CMS are a few kilobytes).
const MAX_EMBEDDED: usize = 1024 * 1024;
/// Most `%%EOF` markers tried when the newest revision cannot be read.
const MAX_REVISION_TRIES: usize = 16;
/// Most objects named when describing what was appended.
const MAX_LISTED: usize = 12;

/// The verification of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReport {
    /// The seal's verdict, flattened into the document's report.
    #[serde(flatten)]
    pub seal: SealReport,
    /// QR symbols found in the PDF.
    pub symbols: usize,
    /// The signed content beside what the document holds and shows, field by field (empty when the seal could
    /// not be read), so a person sees *which* value was altered, not only that one was.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldComparison>,
    /// What the file's own signature says about the bytes.
    pub file: FileIntegrity,
}

/// One signed value compared with the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldComparison {
    /// The field's name in the data (`number` for the document number).
    pub name: String,
    /// The signed value as text (a table's rows on their own lines, cells joined by ` | `).
    pub signed: String,
    /// The document's embedded value when it differs from the signed one (`None`: equal, or the document holds
    /// no such field and `embeddedMissing` says so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded: Option<String>,
    /// The document's embedded data lacks this field.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub embedded_missing: bool,
    /// Whether the pages visibly show the signed value (text drawn over, hidden or unreadable does not count).
    pub printed: bool,
}

/// The provider's signature over a whole issued file, as reports spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileSignatureVerdict {
    /// Present, covering the file, by the seal's signer, and it verifies.
    Valid,
    /// Present but it does not verify, does not frame itself, or another certificate made it.
    Invalid,
    /// The file carries none.
    Absent,
}

impl std::fmt::Display for FileSignatureVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileSignatureVerdict::Valid => "valid",
            FileSignatureVerdict::Invalid => "invalid",
            FileSignatureVerdict::Absent => "absent",
        })
    }
}

/// The file's integrity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileIntegrity {
    /// The provider's signature over the file.
    pub signature: FileSignatureVerdict,
    /// Whether the signature's byte range reaches the end of the file (nothing was appended after signing).
    pub covers_whole_file: bool,
    /// What was appended after signing: revisions and the objects they add or replace.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub appended: Vec<String>,
    /// Whether the file is byte for byte the one the registry stored (online verification only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_copy: Option<bool>,
    /// The file signature's timestamp (PAdES-B-T), when it carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<SignatureTimestamp>,
    /// Whether what follows the signature only adds validation data (a `/DSS`: PAdES-B-LT).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub validation_data_appended: bool,
}

/// A signature's RFC 3161 timestamp as reports show it: when, by whom, and whether it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureTimestamp {
    /// The TSA's time (RFC 3339).
    pub gen_time: String,
    /// The TSA certificate's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsa: Option<String>,
    /// The TSA's policy (dotted OID).
    pub policy: String,
    /// The token's serial number, hex.
    pub serial: String,
    /// Whether the token verifies: the TSA's signature and path, its key usage, the imprint over the signature value.
    pub valid: bool,
    /// The token's failed checks' codes (empty when valid).
    pub codes: Vec<Code>,
}

impl SignatureTimestamp {
    pub(crate) fn of(report: &crate::cms::TimestampReport) -> SignatureTimestamp {
        SignatureTimestamp {
            gen_time: report.info.gen_time.clone(),
            tsa: report.info.tsa.clone(),
            policy: report.info.policy.clone(),
            serial: report.info.serial.clone(),
            valid: report.report.valid,
            codes: report.report.codes.clone(),
        }
    }
}

/// What a registry knows of the document whose seal this is: its record of issue for exactly this seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DocumentEvidence {
    /// When the registry stored it, Unix seconds.
    pub issued_at: UnixTime,
    /// The SHA-256 of the PDF the registry stored.
    pub pdf_sha256: [u8; 32],
}

/// A PDF taken apart, not yet verified.
pub(crate) struct ReadDocument {
    /// The QR texts found on the pages, in order.
    pub seal_texts: Vec<String>,
    decoded: Option<Decoded>,
    embedded_data: Option<Vec<u8>>,
    embedded_cms: Option<Vec<u8>>,
    signatures: Vec<FileSignature>,
    /// The signed bytes of each of `signatures`.
    signed_bytes: Vec<Option<Vec<u8>>>,
    /// The visible text of all pages, or why the pages cannot be read.
    pages: Result<(String, String), String>,
    /// Descriptions of what was appended after the first signature's range, or after the last readable revision.
    appended: Vec<String>,
    /// Bytes after the last revision that could be read (a revision written in a form this reader refuses).
    unreadable_tail: Option<usize>,
    len: usize,
    sha256: [u8; 32],
}

impl ReadDocument {
    /// The seal decoded from the document's symbols, if any were found.
    pub(crate) fn seal(&self) -> Option<&Decoded> {
        self.decoded.as_ref()
    }
}

fn unreadable(e: PdfError) -> SealError {
    match e {
        PdfError::Limit(what) => SealError::TooLarge(what.to_string()),
        e => SealError::Unreadable(e.to_string()),
    }
}

/// Opens the newest readable revision: the whole file, or — when something appended cannot be read — the longest
/// prefix ending in a `%%EOF` that can. Returns the file and how many bytes were left unread.
fn open_readable<'a>(
    pdf: &'a [u8],
    cancel: &Cancel,
) -> Result<(PdfFile<'a>, Option<usize>), SealError> {
    let first = match PdfFile::open(pdf, Budget::for_verification(cancel.clone())) {
        Ok(f) => return Ok((f, None)),
        Err(PdfError::Cancelled) => return Err(SealError::Cancelled),
        Err(e) => e,
    };
    let mut end = pdf.len();
    for _ in 0..MAX_REVISION_TRIES {
        let Some(at) = pdf[..end].windows(5).rposition(|w| w == b"%%EOF") else {
            break;
        };
        let mut cut = at + 5;
        if pdf.get(cut) == Some(&b'\r') {
            cut += 1;
        }
        if pdf.get(cut) == Some(&b'\n') {
            cut += 1;
        }
        if cut < pdf.len() {
            if let Ok(f) = PdfFile::open(&pdf[..cut], Budget::for_verification(cancel.clone())) {
                return Ok((f, Some(pdf.len() - cut)));
            }
        }
        end = at;
    }
    Err(unreadable(first))
}

/// An embedded file of the catalog's `/EmbeddedFiles` name tree (a flat one, as Qoltanba writes it).
fn embedded(file: &PdfFile<'_>, wanted: &str) -> Result<Option<Vec<u8>>, PdfError> {
    let catalog = file.catalog()?;
    let Some(names) = file.dict_in(&catalog, b"Names")? else {
        return Ok(None);
    };
    let Some(tree) = file.dict_in(&names, b"EmbeddedFiles")? else {
        return Ok(None);
    };
    let Some(list) = file.get_in(&tree, b"Names")? else {
        return Ok(None);
    };
    let list = list.as_array().unwrap_or(&[]);
    for pair in list.chunks(2).take(64) {
        let [key, spec] = pair else { continue };
        if file.resolve(key)?.as_string() != Some(wanted.as_bytes()) {
            continue;
        }
        let spec = file.resolve(spec)?;
        let Some(ef) = spec
            .as_dict()
            .map(|d| file.dict_in(d, b"EF"))
            .transpose()?
            .flatten()
        else {
            return Ok(None);
        };
        let Some(stream) = file.get_in(&ef, b"F")? else {
            return Ok(None);
        };
        let Object::Stream(s) = &*stream else {
            return Ok(None);
        };
        return match file.decoded(s, MAX_EMBEDDED) {
            Ok(data) => Ok(Some(data)),
            Err(PdfError::Limit(_)) => Ok(None),
            Err(e) => Err(e),
        };
    }
    Ok(None)
}

/// An embedded file of a PDF by name (`pdfdetach` reads the same), if the file can be read and holds it.
pub fn embedded_file(pdf: &[u8], name: &str) -> Option<Vec<u8>> {
    let file = PdfFile::open(pdf, Budget::for_verification(Cancel::never())).ok()?;
    embedded(&file, name).ok().flatten()
}

/// Names the objects the revisions ending after `from` define.
pub(super) fn describe_appended(file: &PdfFile<'_>, from: usize) -> Vec<String> {
    let revisions = file.revisions();
    let mut out = Vec::new();
    for (i, rev) in revisions.iter().enumerate().filter(|(_, r)| r.end > from) {
        let mut listed: Vec<String> = Vec::new();
        for n in rev.objects.iter().take(MAX_LISTED) {
            let replaced = revisions[..i].iter().any(|r| r.objects.contains(n));
            let kind = file
                .get(*n)
                .ok()
                .and_then(|o| {
                    let d = o.as_dict()?;
                    let name = |k: &[u8]| {
                        d.get(k)
                            .and_then(Object::as_name)
                            .map(|n| String::from_utf8_lossy(n).into_owned())
                    };
                    let parts: Vec<String> = [name(b"Type"), name(b"Subtype")]
                        .into_iter()
                        .flatten()
                        .collect();
                    (!parts.is_empty()).then(|| parts.join(" "))
                })
                .unwrap_or_else(|| "data".into());
            listed.push(format!(
                "object {n} ({kind}, {})",
                if replaced {
                    "replacing the signed one"
                } else {
                    "new"
                }
            ));
        }
        if rev.objects.len() > MAX_LISTED {
            listed.push(format!("and {} more", rev.objects.len() - MAX_LISTED));
        }
        out.push(format!("revision {}: {}", i + 1, listed.join(", ")));
    }
    out
}

/// Takes the PDF apart: nothing is verified yet.
pub(crate) fn read_document(pdf: &[u8], cancel: &Cancel) -> Result<ReadDocument, SealError> {
    if pdf.len() > MAX_PDF {
        return Err(SealError::TooLarge(format!(
            "the PDF is {} bytes, more than {MAX_PDF}",
            pdf.len()
        )));
    }
    if !pdf.starts_with(b"%PDF-") {
        return Err(SealError::Structure("not a PDF"));
    }
    let (file, unreadable_tail) = open_readable(pdf, cancel)?;
    let cancelled = |e: &PdfError| matches!(e, PdfError::Cancelled);

    let mut views: Vec<PageView> = Vec::new();
    let pages = match file.pages() {
        Ok(pages) => {
            let mut problem = None;
            for p in &pages {
                match crate::pdf::visible_page(&file, p) {
                    Ok(v) => views.push(v),
                    Err(e) if cancelled(&e) => return Err(SealError::Cancelled),
                    Err(e) => {
                        problem = Some(e.to_string());
                        break;
                    }
                }
            }
            match problem {
                Some(p) => Err(p),
                None => {
                    let n = views.len();
                    let join = |text: fn(&PageView) -> String| -> String {
                        views
                            .iter()
                            .enumerate()
                            .map(|(k, v)| without_page_number(text(v), k + 1, n))
                            .collect()
                    };
                    Ok((join(PageView::visible_text), join(PageView::all_text)))
                }
            }
        }
        Err(e) if cancelled(&e) => return Err(SealError::Cancelled),
        Err(e) => Err(e.to_string()),
    };
    let images: Vec<_> = views
        .iter()
        .flat_map(|v| v.images.iter().cloned())
        .collect();
    let seal_texts = super::qr::seal_texts(&file, &images, MAX_PARTS).map_err(unreadable)?;
    let decoded = if seal_texts.is_empty() {
        None
    } else {
        let refs: Vec<&str> = seal_texts.iter().map(String::as_str).collect();
        Some(crate::seal::decode(&refs)?)
    };
    let embedded_data = embedded(&file, super::DATA_FILE_NAME).map_err(unreadable)?;
    let embedded_cms = embedded(&file, super::SIGNATURE_FILE_NAME).map_err(unreadable)?;
    let signatures = match signatures(&file) {
        Ok(s) => s,
        Err(e) if cancelled(&e) => return Err(SealError::Cancelled),
        // Unreadable signature fields: as if unsigned, which is refused unless the registry vouches for the bytes.
        Err(_) => Vec::new(),
    };
    let signed_bytes = signatures.iter().map(|s| s.signed_bytes(pdf)).collect();
    let signed_end = signatures.iter().map(FileSignature::end).min();
    let appended = match signed_end {
        Some(end) if end < file.data().len() => describe_appended(&file, end),
        _ => Vec::new(),
    };
    Ok(ReadDocument {
        seal_texts,
        decoded,
        embedded_data,
        embedded_cms,
        signatures,
        signed_bytes,
        pages,
        appended,
        unreadable_tail,
        len: pdf.len(),
        sha256: crate::encoding::sha256(pdf),
    })
}

/// A page's text without the "k / n" Qoltanba prints at its foot (drawn last), so text that runs on from one page
/// to the next reads as one.
fn without_page_number(mut text: String, k: usize, n: usize) -> String {
    let number = format!("{k}/{n}");
    if text.ends_with(&number) {
        text.truncate(text.len() - number.len());
    }
    // Pages after the first begin with the document's title marked as continued (`render::layout`): read past
    // it, so a value that runs over a page break is still one value. Only a heading near the top counts; what
    // stands before the mark is never read as a value, so cutting it can only hide a value, never show one.
    if k > 1 {
        let mark: String = format!("({})", crate::render::layout::CONTINUED)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if let Some(at) = text.find(&mark).filter(|at| *at <= 1024) {
            text.drain(..at + mark.len());
        }
    }
    text
}

/// Verifies a PDF offline: [`read_document`], then [`verify_read`] with no registry evidence.
pub fn verify_document(
    trust: SealTrust<'_>,
    pdf: &[u8],
    opts: &VerifyOptions,
) -> Result<DocumentReport, SealError> {
    let doc = read_document(pdf, &opts.cancel)?;
    verify_read(trust, &doc, pdf, opts, None)
}

/// The SHA-256 fingerprint (hex) of the certificate that signed a CMS, when it has exactly one signer whose
/// signature verifies over `content`, with that signer's timestamp; otherwise why not.
fn cms_signer(
    trust: SealTrust<'_>,
    cms: &[u8],
    content: &[u8],
    at: UnixTime,
    cancel: &Cancel,
) -> Result<(String, Option<SignatureTimestamp>), String> {
    let mut opts = VerifyOptions::at_time(at);
    opts.revocation = RevocationMode::None;
    opts.cancel = cancel.clone();
    let report = crate::cms::verify_cms(trust.store, cms, Some(content), &[], &opts)
        .map_err(|e| e.to_string())?;
    let [signer] = report.signers.as_slice() else {
        return Err(format!("it has {} signers, not one", report.signers.len()));
    };
    if signer.report.codes.contains(&Code::SignatureInvalid) {
        return Err(signer.report.messages.join("; "));
    }
    let fingerprint = signer
        .report
        .chain
        .first()
        .map(|c| c.certificate.sha256.clone())
        .ok_or_else(|| "its signer's certificate is unknown".to_string())?;
    Ok((
        fingerprint,
        signer.timestamp.as_ref().map(SignatureTimestamp::of),
    ))
}

/// Verifies a document taken apart by [`read_document`] (`pdf` is the same file). `evidence` is the registry's
/// record of exactly this seal, when verifying online.
pub(crate) fn verify_read(
    trust: SealTrust<'_>,
    doc: &ReadDocument,
    pdf: &[u8],
    opts: &VerifyOptions,
    evidence: Option<&DocumentEvidence>,
) -> Result<DocumentReport, SealError> {
    let decoded = doc.decoded.as_ref().ok_or(SealError::Structure(
        "no Qoltanba seal (QR symbol) found in the PDF",
    ))?;
    let seal_evidence = evidence.map(|e| IssueEvidence {
        issued_at: e.issued_at,
    });
    let mut report = crate::seal::verify_decoded(trust, decoded, opts, seal_evidence.as_ref())?;
    super::name_the_form(&mut report);
    let mut f = Findings::default();
    f.absorb(&report.report);
    let seal_signer = report
        .report
        .chain
        .first()
        .map(|c| c.certificate.sha256.clone());
    let issued_at = evidence
        .map(|e| e.issued_at)
        .or(report.content.as_ref().map(|c| c.issued_at))
        .unwrap_or(opts.at);
    let registry_copy = evidence.map(|e| e.pdf_sha256 == doc.sha256);

    // The file: its signature, by the seal's signer, over every byte.
    let mut file = FileIntegrity {
        signature: FileSignatureVerdict::Absent,
        covers_whole_file: false,
        appended: doc.appended.clone(),
        registry_copy,
        timestamp: None,
        validation_data_appended: false,
    };
    match doc.signatures.first() {
        None if registry_copy == Some(true) => {}
        None => f.add(
            Code::DocumentMismatch,
            "the file carries no signature over its bytes, so changes made after issue cannot be ruled out (verify \
             it online against the issuing registry)",
        ),
        Some(sig) => {
            let sound = sig.sub_filter == b"ETSI.CAdES.detached" && sig.range_is_sound(pdf);
            let verdict = match (sound, doc.signed_bytes.first().cloned().flatten()) {
                (true, Some(bytes)) => cms_signer(trust, &sig.cms, &bytes, issued_at, &opts.cancel),
                _ => Err("its byte range does not frame its own signature value".into()),
            };
            if let Ok((_, stamp)) = &verdict {
                file.timestamp = stamp.clone();
            }
            match (verdict.map(|(signer, _)| signer), &seal_signer) {
                (Ok(signer), Some(seal)) if signer == *seal => file.signature = FileSignatureVerdict::Valid,
                (Ok(_), Some(_)) => {
                    file.signature = FileSignatureVerdict::Invalid;
                    f.add(
                        Code::SignatureInvalid,
                        "the file is signed by another certificate than the seal's",
                    );
                }
                (Ok(_), None) => file.signature = FileSignatureVerdict::Valid,
                (Err(why), _) => {
                    file.signature = FileSignatureVerdict::Invalid;
                    f.add(
                        Code::SignatureInvalid,
                        format!("the provider's signature over the file does not verify ({why}): the file was altered"),
                    );
                }
            }
            file.covers_whole_file = sig.covers_to_end(pdf);
            file.validation_data_appended = !file.covers_whole_file
                && super::pades::only_validation_data_after(pdf, sig.end(), &opts.cancel);
            if !file.covers_whole_file && !file.validation_data_appended {
                let added = doc.len.saturating_sub(sig.end());
                let what = if doc.appended.is_empty() {
                    String::new()
                } else {
                    format!(": {}", doc.appended.join("; "))
                };
                f.add(
                    Code::DocumentMismatch,
                    format!("the file was changed after the provider signed it: {added} bytes were appended{what}"),
                );
            }
            if doc.signatures.len() > 1 {
                f.add(
                    Code::DocumentMismatch,
                    format!(
                        "the file carries {} signatures; an issued document has one",
                        doc.signatures.len()
                    ),
                );
            }
        }
    }
    if let Some(n) = doc.unreadable_tail {
        f.add(
            Code::DocumentMismatch,
            format!("{n} bytes after the document's last readable revision were not written by Qoltanba"),
        );
        if file.appended.is_empty() {
            file.appended.push(format!("{n} unreadable bytes"));
        }
    }

    let mut fields = Vec::new();
    if let Some(content) = &report.content {
        let embedded = doc.embedded_data.as_deref();
        match embedded {
            Some(data) if data == content.data.as_bytes() => {}
            Some(_) => f.add(
                Code::DocumentMismatch,
                "the document's embedded data differs from what its seal signs",
            ),
            None => f.add(
                Code::DocumentMismatch,
                "the document holds no embedded data to compare with its seal",
            ),
        }
        match (&doc.embedded_cms, embedded, &seal_signer) {
            (Some(cms), Some(data), Some(seal)) => {
                match cms_signer(trust, cms, data, issued_at, &opts.cancel) {
                    Ok((signer, _)) if signer == *seal => {}
                    Ok(_) => f.add(
                        Code::SignatureInvalid,
                        "the embedded data's CMS is signed by another certificate than the seal's",
                    ),
                    Err(why) => f.add(
                        Code::SignatureInvalid,
                        format!("the embedded data's CMS signature does not verify ({why})"),
                    ),
                }
            }
            (None, Some(_), _) => f.add(
                Code::DocumentMismatch,
                "the document holds no signature of its embedded data",
            ),
            _ => {}
        }
        fields = compare_fields(doc, content, embedded, &mut f);
    }
    let subject = report.report.subject.clone();
    let chain = report.report.chain.clone();
    let time = report.report.validation_time.clone();
    let checked = report.report.revocation_checked;
    report.report = f.into_report(subject, chain, time, checked);
    Ok(DocumentReport {
        seal: report,
        symbols: doc.seal_texts.len(),
        fields,
        file,
    })
}

/// A field's value as a person reads it, and the pieces of text the page must show for it.
fn display(value: &serde_json::Value) -> (String, Vec<String>) {
    match value {
        serde_json::Value::String(s) => (s.clone(), vec![s.clone()]),
        serde_json::Value::Array(rows) => {
            let cells = |r: &serde_json::Value| -> Vec<String> {
                match r {
                    serde_json::Value::Array(cells) => cells
                        .iter()
                        .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                        .collect(),
                    other => vec![other
                        .as_str()
                        .map_or_else(|| other.to_string(), str::to_string)],
                }
            };
            let lines: Vec<String> = rows.iter().map(|r| cells(r).join(" | ")).collect();
            (lines.join("\n"), rows.iter().flat_map(cells).collect())
        }
        // Numbers and the like are not printed by any form; they are compared as embedded data only.
        other => (other.to_string(), Vec::new()),
    }
}

/// Every signed value must be in the embedded data and visible on the pages.
fn compare_fields(
    doc: &ReadDocument,
    content: &crate::seal::SealContent,
    embedded: Option<&[u8]>,
    f: &mut Findings,
) -> Vec<FieldComparison> {
    let Ok(serde_json::Value::Object(signed)) =
        serde_json::from_str::<serde_json::Value>(&content.data)
    else {
        f.add(
            Code::DocumentMismatch,
            "the seal's data is not a JSON object",
        );
        return Vec::new();
    };
    let embedded: Option<serde_json::Map<String, serde_json::Value>> = embedded
        .and_then(|e| serde_json::from_slice::<serde_json::Value>(e).ok())
        .and_then(|v| match v {
            serde_json::Value::Object(m) => Some(m),
            _ => None,
        });
    // A page that cannot be read, or a newest revision that cannot, shows nothing that can be trusted.
    let pages = match (&doc.pages, doc.unreadable_tail) {
        (Ok(p), None) => Some(p),
        (Ok(_), Some(_)) => None,
        (Err(why), _) => {
            f.add(
                Code::DocumentMismatch,
                format!("the document's pages cannot be read to compare with its seal ({why})"),
            );
            None
        }
    };
    let shows = |pieces: &[String], text: &str| -> bool {
        pieces.iter().all(|p| {
            let needle: String = p.split_whitespace().collect();
            needle.is_empty() || text.contains(&needle)
        })
    };
    let mut out = Vec::with_capacity(signed.len() + 1);
    let mut check = |name: String,
                     text: String,
                     pieces: Vec<String>,
                     embedded: Option<String>,
                     missing: bool| {
        let printed = pages.is_some_and(|(visible, _)| shows(&pieces, visible));
        if !printed {
            let hidden = pages.is_some_and(|(_, all)| shows(&pieces, all));
            if pages.is_some() || doc.unreadable_tail.is_some() {
                f.add(
                    Code::DocumentMismatch,
                    if hidden {
                        format!("the document does not visibly show the signed value \"{text}\": it is drawn, but covered or hidden")
                    } else {
                        format!("the document does not show the signed value \"{text}\"")
                    },
                );
            }
        }
        out.push(FieldComparison {
            name,
            signed: text,
            embedded,
            embedded_missing: missing,
            printed,
        });
    };
    let number = content.number.clone();
    check("number".into(), number.clone(), vec![number], None, false);
    for (name, value) in &signed {
        let (text, pieces) = display(value);
        let (embedded_text, embedded_missing) = match embedded.as_ref().map(|m| m.get(name)) {
            Some(Some(v)) if v == value => (None, false),
            Some(Some(v)) => (Some(display(v).0), false),
            Some(None) => (None, true),
            None => (None, false),
        };
        check(name.clone(), text, pieces, embedded_text, embedded_missing);
    }
    out
}
