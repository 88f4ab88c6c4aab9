//! The provider's signature over the whole file: a PDF signature (ISO 32000-1 §12.8) in the PAdES baseline shape —
//! `/SubFilter /ETSI.CAdES.detached`, a detached CMS without signingTime (PAdES forbids it; the time is the
//! signature dictionary's `/M`) with signingCertificateV2 — appended together with the embedded data in one
//! incremental update after rendering. Its byte range covers every byte of the issued file but its own signature
//! value, so anything added later — an overlay, a page, an annotation, all of which can only append or rewrite — is
//! either outside the range or breaks the signature.

use crate::cancel::Cancel;
use crate::cms::{CmsSigner, SignOptions};
use crate::pdf::write::IncrementalUpdate;
use crate::pdf::{Budget, Dict, Object, PdfError, PdfFile};

/// A file to embed: its name, MIME type and bytes.
pub struct Attachment<'a> {
    /// The file's name in the PDF.
    pub name: &'a str,
    /// Its MIME type.
    pub mime: &'a str,
    /// Its bytes.
    pub data: &'a [u8],
}

/// The `/ByteRange` placeholder, overwritten in place with numbers padded to the same width.
const BYTE_RANGE_PLACEHOLDER: &[u8] = b"[0 0000000000 0000000000 0000000000]";

fn name(s: &str) -> Object {
    Object::Name(s.as_bytes().to_vec())
}

fn text(s: &str) -> Object {
    Object::String(s.as_bytes().to_vec())
}

fn pdf_date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| {
            format!(
                "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
        .unwrap_or_else(|_| "D:19700101000000Z".into())
}

/// Signs a PDF with the provider's signature over the whole file, made at `signed_at` (Unix seconds): one
/// incremental update with an invisible signature field, in the PAdES baseline shape (B-B, or B-T when the
/// signer has a timestamp authority). The PDF must use a classic cross-reference table and have no form yet.
pub fn sign_pdf(pdf: Vec<u8>, signer: &CmsSigner, signed_at: i64) -> Result<Vec<u8>, String> {
    finish(pdf, &[], Some(signer), signed_at)
}

/// Appends `files` to a PDF as embedded files, unsigned (tests build documents with it that Qoltanba would never
/// issue, to see them refused).
pub fn attach(pdf: Vec<u8>, files: &[Attachment<'_>]) -> Result<Vec<u8>, String> {
    finish(pdf, files, None, 0)
}

/// Appends `files` as embedded files (the catalog's `/Names` and `/AF`) and, with `signer`, the provider's
/// signature over the whole file, made at `signed_at`. Returns the finished PDF.
pub(crate) fn finish(
    pdf: Vec<u8>,
    files: &[Attachment<'_>],
    signer: Option<&CmsSigner>,
    signed_at: i64,
) -> Result<Vec<u8>, String> {
    let structure = |e: PdfError| format!("the rendered PDF cannot be updated: {e}");
    let file = PdfFile::open(&pdf, Budget::for_verification(Cancel::never())).map_err(structure)?;
    let Some(Object::Ref(catalog_number, _)) = file.trailer().get(b"Root").cloned() else {
        return Err("the rendered PDF has no catalog reference".into());
    };
    let mut catalog = file.catalog().map_err(structure)?;
    if !files.is_empty() && catalog.get(b"Names").is_some() {
        return Err("the PDF's catalog already has a name tree".into());
    }
    if signer.is_some() && catalog.get(b"AcroForm").is_some() {
        return Err(
            "the PDF already has a form (an earlier signature, or fields): signing it is not supported".into(),
        );
    }
    let mut update = IncrementalUpdate::new(&file).map_err(structure)?;

    let mut specs: Vec<(&str, u32)> = Vec::new();
    for f in files {
        let mut d = Dict::default();
        d.set(b"Type", name("EmbeddedFile"));
        d.set(b"Subtype", name(f.mime));
        d.set(
            b"Params",
            Object::Dict(Dict(vec![(
                b"Size".to_vec(),
                Object::Int(f.data.len() as i64),
            )])),
        );
        let stream = update.add_stream(&d, f.data);
        let spec = Dict(vec![
            (b"Type".to_vec(), name("Filespec")),
            (b"F".to_vec(), text(f.name)),
            (b"UF".to_vec(), text(f.name)),
            (b"AFRelationship".to_vec(), name("Data")),
            (
                b"EF".to_vec(),
                Object::Dict(Dict(vec![(b"F".to_vec(), Object::Ref(stream, 0))])),
            ),
        ]);
        specs.push((f.name, update.add_dict(&spec)));
    }
    if !specs.is_empty() {
        // A name tree's keys are sorted.
        specs.sort_by(|a, b| a.0.cmp(b.0));
        let tree = Dict(vec![(
            b"Names".to_vec(),
            Object::Array(
                specs
                    .iter()
                    .flat_map(|(n, o)| [text(n), Object::Ref(*o, 0)])
                    .collect(),
            ),
        )]);
        let tree = update.add_dict(&tree);
        catalog.set(
            b"Names",
            Object::Dict(Dict(vec![(
                b"EmbeddedFiles".to_vec(),
                Object::Ref(tree, 0),
            )])),
        );
        catalog.set(
            b"AF",
            Object::Array(specs.iter().map(|(_, o)| Object::Ref(*o, 0)).collect()),
        );
    }

    let mut placeholder = None;
    if let Some(signer) = signer {
        let reserve = signer.detached_size_bound();
        let mut body = format!(
            "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M({})/ByteRange",
            pdf_date(signed_at)
        )
        .into_bytes();
        let range_at = body.len();
        body.extend_from_slice(BYTE_RANGE_PLACEHOLDER);
        body.extend_from_slice(b"/Contents ");
        let contents_at = body.len();
        body.push(b'<');
        body.resize(body.len() + 2 * reserve, b'0');
        body.extend_from_slice(b">>>");
        let sig = update.add(body);
        let page = file
            .pages()
            .map_err(structure)?
            .into_iter()
            .next()
            .ok_or("the rendered PDF has no page")?;
        let widget = Dict(vec![
            (b"Type".to_vec(), name("Annot")),
            (b"Subtype".to_vec(), name("Widget")),
            (b"FT".to_vec(), name("Sig")),
            (b"T".to_vec(), text("Qoltanba")),
            // Print and Locked: an invisible signature field nobody edits.
            (b"F".to_vec(), Object::Int(132)),
            (b"Rect".to_vec(), Object::Array(vec![Object::Int(0); 4])),
            (b"V".to_vec(), Object::Ref(sig, 0)),
            (b"P".to_vec(), Object::Ref(page.object, 0)),
        ]);
        let widget = update.add_dict(&widget);
        let mut page_dict = page.dict.clone();
        let mut annots = match file.get_in(&page.dict, b"Annots").map_err(structure)? {
            Some(a) => a.as_array().map(<[Object]>::to_vec).unwrap_or_default(),
            None => Vec::new(),
        };
        annots.push(Object::Ref(widget, 0));
        page_dict.set(b"Annots", Object::Array(annots));
        update.replace_dict(page.object, &page_dict);
        catalog.set(
            b"AcroForm",
            Object::Dict(Dict(vec![
                (
                    b"Fields".to_vec(),
                    Object::Array(vec![Object::Ref(widget, 0)]),
                ),
                (b"SigFlags".to_vec(), Object::Int(3)),
            ])),
        );
        placeholder = Some((signer, sig, range_at, contents_at, reserve));
    }
    update.replace_dict(catalog_number, &catalog);
    let (mut out, bodies) = update.finish();

    if let Some((signer, sig, range_at, contents_at, reserve)) = placeholder {
        let body = bodies
            .iter()
            .find(|(n, _)| *n == sig)
            .map(|(_, at)| *at)
            .ok_or("the signature dictionary was not written")?;
        let a = body + contents_at;
        let b = a + 2 * reserve + 2;
        let c = out.len() - b;
        let range = format!("[0 {a:<10} {b:<10} {c:<10}]");
        if range.len() != BYTE_RANGE_PLACEHOLDER.len() {
            return Err("the file is too large to sign".into());
        }
        out[body + range_at..body + range_at + range.len()].copy_from_slice(range.as_bytes());
        let mut signed = Vec::with_capacity(a + c);
        signed.extend_from_slice(&out[..a]);
        signed.extend_from_slice(&out[b..]);
        let cms = signer
            .sign_with(
                &signed,
                &SignOptions {
                    detached: true,
                    signing_time: None,
                    content_hint: None,
                },
            )
            .map_err(|e| e.to_string())?;
        if cms.len() > reserve {
            return Err(format!(
                "the file signature is {} bytes, more than the {reserve} reserved",
                cms.len()
            ));
        }
        let hex = crate::encoding::hex(&cms).to_uppercase();
        out[a + 1..a + 1 + hex.len()].copy_from_slice(hex.as_bytes());
        if let Some(source) = signer.validation_data_source() {
            // The TSA's certificates come with its token: their paths are validated too.
            let token_certs: Vec<crate::pki::Certificate> = crate::cms::signature_timestamps(&cms)
                .into_iter()
                .flatten()
                .flat_map(|token| crate::cms::embedded_certificates(&token))
                .collect();
            let mut subjects: Vec<&crate::pki::Certificate> = vec![signer.certificate()];
            subjects.extend(token_certs.iter());
            let data = source.validation_data(
                &subjects,
                &token_certs,
                crate::clock::UnixTime::from_secs(signed_at),
            );
            if !data.is_empty() {
                out = append_validation_data(out, &data)?;
            }
        }
    }
    Ok(out)
}

/// Appends a revision whose catalog carries a `/DSS` (PAdES-B-LT, ETSI EN 319 142-1 §5.4.2) with `data`: after the
/// signature, outside its byte range, as every B-LT document does; the verifiers accept a revision that adds
/// nothing else ([`only_validation_data_after`]).
fn append_validation_data(
    pdf: Vec<u8>,
    data: &crate::cms::ValidationData,
) -> Result<Vec<u8>, String> {
    let structure = |e: PdfError| format!("the signed PDF cannot be extended: {e}");
    let file = PdfFile::open(&pdf, Budget::for_verification(Cancel::never())).map_err(structure)?;
    let Some(Object::Ref(catalog_number, _)) = file.trailer().get(b"Root").cloned() else {
        return Err("the signed PDF has no catalog reference".into());
    };
    let mut catalog = file.catalog().map_err(structure)?;
    let mut update = IncrementalUpdate::new(&file).map_err(structure)?;
    let mut dss = Dict::default();
    for (key, list) in [
        (&b"Certs"[..], &data.certificates),
        (&b"CRLs"[..], &data.crls),
        (&b"OCSPs"[..], &data.ocsps),
    ] {
        if list.is_empty() {
            continue;
        }
        let refs = list
            .iter()
            .map(|der| Object::Ref(update.add_stream(&Dict::default(), der), 0))
            .collect();
        dss.set(key, Object::Array(refs));
    }
    catalog.set(b"DSS", Object::Dict(dss));
    update.replace_dict(catalog_number, &catalog);
    Ok(update.finish().0)
}

/// Whether everything after byte `from` (the end of the newest signature's range) only adds validation data:
/// each later revision defines new objects (none replaces one the signature covers) but for the catalog, and the
/// catalog differs from the signed one by its `/DSS` alone. A page, an annotation, a form value, anything a
/// reader would show, makes it false.
pub(crate) fn only_validation_data_after(pdf: &[u8], from: usize, cancel: &Cancel) -> bool {
    let (Some(signed_part), true) = (pdf.get(..from), from < pdf.len()) else {
        return false;
    };
    let open = |bytes| PdfFile::open(bytes, Budget::for_verification(cancel.clone())).ok();
    let (Some(full), Some(signed)) = (open(pdf), open(signed_part)) else {
        return false;
    };
    let root = |f: &PdfFile<'_>| match f.trailer().get(b"Root") {
        Some(Object::Ref(n, _)) => Some(*n),
        _ => None,
    };
    let Some(catalog_number) = root(&full).filter(|n| root(&signed) == Some(*n)) else {
        return false;
    };
    let earlier: std::collections::HashSet<u32> = full
        .revisions()
        .iter()
        .filter(|r| r.end <= from)
        .flat_map(|r| r.objects.iter().copied())
        .collect();
    let later_replace_nothing = full
        .revisions()
        .iter()
        .filter(|r| r.end > from)
        .flat_map(|r| r.objects.iter())
        .all(|n| *n == catalog_number || !earlier.contains(n));
    let without_dss = |d: Dict| Dict(d.0.into_iter().filter(|(k, _)| k != b"DSS").collect());
    match (full.catalog(), signed.catalog()) {
        (Ok(now), Ok(then)) => {
            later_replace_nothing
                && now.get(b"DSS").is_some()
                && without_dss(now) == without_dss(then)
        }
        _ => false,
    }
}

/// A PDF signature as found in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileSignature {
    /// `[offset, length, offset, length]`.
    pub byte_range: [usize; 4],
    /// The CMS, without the zero padding after its DER.
    pub cms: Vec<u8>,
    pub sub_filter: Vec<u8>,
    /// The signature field's name (`/T`).
    pub field: Vec<u8>,
    /// The signature dictionary's text entries a signer claims: `/M`, `/Reason`, `/Location`, `/ContactInfo`.
    pub claimed: Claimed,
}

/// What a signature dictionary says about itself (nothing of it is signed proof).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Claimed {
    /// `/M`, as written (`D:20261202195506+00'00'`).
    pub time: Option<Vec<u8>>,
    /// `/Reason`.
    pub reason: Option<Vec<u8>>,
    /// `/Location`.
    pub location: Option<Vec<u8>>,
    /// `/ContactInfo`.
    pub contact: Option<Vec<u8>>,
}

impl FileSignature {
    /// The bytes the signature covers, if the range is inside the file.
    pub(super) fn signed_bytes(&self, pdf: &[u8]) -> Option<Vec<u8>> {
        let [a, b, c, d] = self.byte_range;
        let first = pdf.get(a..a.checked_add(b)?)?;
        let second = pdf.get(c..c.checked_add(d)?)?;
        Some([first, second].concat())
    }

    /// Whether the range is one gap that holds exactly this signature's `/Contents` and nothing else, starting at
    /// the file's first byte.
    pub(super) fn range_is_sound(&self, pdf: &[u8]) -> bool {
        let [a, b, c, _] = self.byte_range;
        if a != 0 || c <= b || c > pdf.len() || pdf.get(b) != Some(&b'<') || pdf[c - 1] != b'>' {
            return false;
        }
        let hex = &pdf[b + 1..c - 1];
        hex.len().is_multiple_of(2)
            && hex.chunks(2).enumerate().all(|(i, pair)| {
                let byte = std::str::from_utf8(pair)
                    .ok()
                    .and_then(|p| u8::from_str_radix(p, 16).ok());
                byte.is_some_and(|v| v == self.cms.get(i).copied().unwrap_or(0))
            })
    }

    /// Whether the range ends where the file ends.
    pub(super) fn covers_to_end(&self, pdf: &[u8]) -> bool {
        let [_, _, c, d] = self.byte_range;
        c.checked_add(d) == Some(pdf.len())
    }

    /// Where the covered bytes end.
    pub(super) fn end(&self) -> usize {
        self.byte_range[2].saturating_add(self.byte_range[3])
    }
}

/// Most form fields looked at.
const MAX_FIELDS: usize = 64;

/// The PDF signatures of the file's newest revision (its form's signature fields), the one covering the fewest
/// bytes first.
pub(crate) fn signatures(file: &PdfFile<'_>) -> Result<Vec<FileSignature>, PdfError> {
    let catalog = file.catalog()?;
    let Some(form) = file.dict_in(&catalog, b"AcroForm")? else {
        return Ok(Vec::new());
    };
    let mut pending: Vec<(Object, usize)> = match file.get_in(&form, b"Fields")? {
        Some(f) => f
            .as_array()
            .unwrap_or(&[])
            .iter()
            .map(|o| (o.clone(), 0))
            .collect(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    let mut seen = 0;
    while let Some((field, depth)) = pending.pop() {
        seen += 1;
        if seen > MAX_FIELDS || depth > 4 {
            return Err(PdfError::Limit("too many form fields"));
        }
        let field = file.resolve(&field)?;
        let Some(d) = field.as_dict() else { continue };
        if let Some(kids) = file.get_in(d, b"Kids")? {
            pending.extend(
                kids.as_array()
                    .unwrap_or(&[])
                    .iter()
                    .map(|k| (k.clone(), depth + 1)),
            );
        }
        if !d.has_name(b"FT", b"Sig") {
            continue;
        }
        let Some(value) = file.dict_in(d, b"V")? else {
            continue;
        };
        let range: Vec<usize> = file
            .get_in(&value, b"ByteRange")?
            .and_then(|r| r.as_array().map(<[Object]>::to_vec))
            .unwrap_or_default()
            .iter()
            .filter_map(|o| o.as_int().and_then(|i| usize::try_from(i).ok()))
            .collect();
        let contents = file
            .get_in(&value, b"Contents")?
            .and_then(|c| c.as_string().map(<[u8]>::to_vec))
            .unwrap_or_default();
        let sub_filter = value
            .get(b"SubFilter")
            .and_then(Object::as_name)
            .unwrap_or(b"")
            .to_vec();
        let [a, b, c, e] = range[..] else {
            return Err(PdfError::Structure(
                "a signature's /ByteRange is not four offsets".into(),
            ));
        };
        let text = |key: &[u8]| -> Result<Option<Vec<u8>>, PdfError> {
            Ok(file
                .get_in(&value, key)?
                .and_then(|o| o.as_string().map(<[u8]>::to_vec)))
        };
        out.push(FileSignature {
            byte_range: [a, b, c, e],
            cms: der_prefix(&contents).to_vec(),
            sub_filter,
            field: file
                .get_in(d, b"T")?
                .and_then(|o| o.as_string().map(<[u8]>::to_vec))
                .unwrap_or_default(),
            claimed: Claimed {
                time: text(b"M")?,
                reason: text(b"Reason")?,
                location: text(b"Location")?,
                contact: text(b"ContactInfo")?,
            },
        });
    }
    // The earliest first: the issuer's own, when later ones were added.
    out.sort_by_key(FileSignature::end);
    Ok(out)
}

/// The DER element at the start of `bytes` (a signature value is padded with zeros after it).
fn der_prefix(bytes: &[u8]) -> &[u8] {
    let mut r = crate::encoding::asn1::Reader::new(bytes);
    match r.read_any() {
        Ok(tlv) if bytes[tlv.raw.len()..].iter().all(|b| *b == 0) => tlv.raw,
        _ => bytes,
    }
}
