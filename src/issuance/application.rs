//! What an applicant signs, and the documents the flow issues from it.

use serde::Deserialize;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::identity::{Bin, Iin};

use super::catalogue::{ApplicantKind, ServiceSpec};

/// The applicant's identifier, checked (checksum included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApplicantId {
    Iin(Iin),
    Bin(Bin),
}

impl ApplicantId {
    pub(crate) fn as_string(&self) -> String {
        match self {
            ApplicantId::Iin(i) => i.as_string(),
            ApplicantId::Bin(b) => b.as_string(),
        }
    }
}

/// A parsed, checked application: what the applicant signed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Application {
    pub service: &'static ServiceSpec,
    pub applicant: ApplicantId,
    /// Full name (individual) or name and address (legal entity), as printed on the licence.
    pub applicant_name: String,
    /// The application's own data (qualifications, documents): stored for the operator, not printed.
    pub fields: Map<String, Value>,
    pub payment_reference: Option<String>,
    /// The files the applicant attaches, as their signature lists them (the bytes are uploaded beside).
    pub attachments: Vec<AttachedFile>,
    /// The provider the applicant addresses (a regional department, the body at the property's location); `None`:
    /// the node's default.
    pub provider: Option<String>,
}

/// Why signed content is not an application this service accepts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApplicationError {
    /// The signed content is not an application: …
    #[error("the signed content is not an application: {0}")]
    NotJson(String),
    /// Unknown service …
    #[error("unknown service {0:?}")]
    UnknownService(String),
    /// The applicant is not one this service accepts (IIN/BIN missing or of the wrong kind).
    #[error("{0}")]
    Applicant(String),
    /// An attachment's entry is malformed.
    #[error("{0}")]
    AttachedFile(String),
    /// A field is longer than allowed.
    #[error("{0} is too long")]
    TooLong(&'static str),
}

/// The longest application accepted, in bytes of JSON.
pub(crate) const MAX_APPLICATION: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawApplication {
    service: String,
    applicant: RawApplicant,
    #[serde(default)]
    fields: Map<String, Value>,
    payment_reference: Option<String>,
    provider: Option<String>,
    #[serde(default)]
    attachments: Vec<RawAttachment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttachment {
    name: String,
    #[serde(rename = "type")]
    media_type: String,
    size: u64,
    sha256: String,
}

/// The kinds of file an application may carry (the regulations' item 11: scans and certificates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `application/pdf`
    Pdf,
    /// `image/jpeg`
    Jpeg,
    /// `image/png`
    Png,
}

impl MediaType {
    /// The type a media type names (parameters after `;` ignored), if it is one of ours.
    pub fn parse(s: &str) -> Option<MediaType> {
        match s
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "application/pdf" => Some(MediaType::Pdf),
            "image/jpeg" => Some(MediaType::Jpeg),
            "image/png" => Some(MediaType::Png),
            _ => None,
        }
    }

    /// What a file's first bytes say it is: the formats' own signatures, so a file cannot claim a type it is not.
    pub fn sniff(head: &[u8]) -> Option<MediaType> {
        if head.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else {
            None
        }
    }

    /// The media type.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
        }
    }

    /// How documents print it.
    pub fn label(self) -> &'static str {
        match self {
            MediaType::Pdf => "PDF",
            MediaType::Jpeg => "JPEG",
            MediaType::Png => "PNG",
        }
    }
}

/// A file attached to an application, as the applicant's signature lists it: the signature covers its digest, so
/// a file changed by one byte is not the one signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedFile {
    /// The applicant's name for it (a label, never a path).
    pub name: String,
    /// Its type.
    pub media_type: MediaType,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
}

/// The most attachments one application lists.
pub const MAX_ATTACHMENTS: usize = 20;

impl RawAttachment {
    fn check(self, i: usize) -> Result<AttachedFile, ApplicationError> {
        let bad = |m: String| ApplicationError::AttachedFile(format!("attachments[{i}]: {m}"));
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(bad("name: 1–200 characters, no control characters".into()));
        }
        let media_type = MediaType::parse(&self.media_type).ok_or_else(|| {
            bad(format!(
                "type {:?}: application/pdf, image/jpeg or image/png",
                self.media_type
            ))
        })?;
        if self.size == 0 {
            return Err(bad("size: an empty file is not a document".into()));
        }
        let mut sha256 = [0u8; 32];
        if self.sha256.len() != 64
            || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit())
            || (0..32).any(|k| {
                u8::from_str_radix(&self.sha256[2 * k..2 * k + 2], 16)
                    .map(|v| sha256[k] = v)
                    .is_err()
            })
        {
            return Err(bad("sha256: 64 hexadecimal digits".into()));
        }
        Ok(AttachedFile {
            name,
            media_type,
            size: self.size,
            sha256,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplicant {
    iin: Option<String>,
    bin: Option<String>,
    name: String,
}

impl Application {
    /// Parses the signed content: `{"service", "applicant": {"iin"|"bin", "name"}, "fields"?, "paymentReference"?,
    /// "provider"?, "attachments"?: [{"name", "type", "size", "sha256"}]}`.
    pub(crate) fn parse(content: &[u8]) -> Result<Application, ApplicationError> {
        if content.len() > MAX_APPLICATION {
            return Err(ApplicationError::TooLong("the application"));
        }
        let raw: RawApplication = serde_json::from_slice(content)
            .map_err(|e| ApplicationError::NotJson(e.to_string()))?;
        let service = super::catalogue::service(&raw.service)
            .ok_or(ApplicationError::UnknownService(raw.service.clone()))?;
        let individual = service.accepts(ApplicantKind::Individual);
        let legal_entity = service.accepts(ApplicantKind::LegalEntity);
        let applicant = match (raw.applicant.iin, raw.applicant.bin) {
            (Some(iin), None) if individual => ApplicantId::Iin(
                Iin::parse(&iin).map_err(|e| ApplicationError::Applicant(format!("iin: {e}")))?,
            ),
            (None, Some(bin)) if legal_entity => ApplicantId::Bin(
                Bin::parse(&bin).map_err(|e| ApplicationError::Applicant(format!("bin: {e}")))?,
            ),
            _ if !legal_entity => {
                return Err(ApplicationError::Applicant(format!(
                    "{} is for individuals: give applicant.iin only",
                    service.id
                )))
            }
            _ if !individual => {
                return Err(ApplicationError::Applicant(format!(
                    "{} is for legal entities: give applicant.bin only",
                    service.id
                )))
            }
            _ => {
                return Err(ApplicationError::Applicant(format!(
                    "{} is for individuals and legal entities: give applicant.iin or applicant.bin",
                    service.id
                )))
            }
        };
        let name = raw.applicant.name.trim().to_string();
        if name.is_empty() {
            return Err(ApplicationError::Applicant(
                "applicant.name is empty".into(),
            ));
        }
        if name.chars().count() > 500 {
            return Err(ApplicationError::TooLong("applicant.name"));
        }
        if raw
            .payment_reference
            .as_ref()
            .is_some_and(|p| p.chars().count() > 100)
        {
            return Err(ApplicationError::TooLong("paymentReference"));
        }
        if raw.attachments.len() > MAX_ATTACHMENTS {
            return Err(ApplicationError::AttachedFile(format!(
                "attachments: at most {MAX_ATTACHMENTS}"
            )));
        }
        let attachments = raw
            .attachments
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.check(i))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, a) in attachments.iter().enumerate() {
            if attachments[..i].iter().any(|b| b.sha256 == a.sha256) {
                return Err(ApplicationError::AttachedFile(format!(
                    "attachments[{i}]: the same file as an earlier one"
                )));
            }
        }
        Ok(Application {
            attachments,
            service,
            applicant,
            applicant_name: name,
            fields: raw.fields,
            payment_reference: raw.payment_reference,
            provider: raw.provider,
        })
    }
}

/// The provider that issues: printed on licences and refusals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The licensor / the body that refuses, in full.
    pub authority: String,
    /// Where documents are issued (a city).
    pub place: String,
    /// The authorised person who signs: surname, name, patronymic.
    pub head: String,
    /// The authorised person's position.
    pub head_position: String,
}

impl Provider {
    /// The provider as its signer's certificate names it: the organisation is the authority, the holder (name
    /// and patronymic, NCA profile) the head. Issued in Astana unless configured otherwise.
    pub fn from_signer(signer: &crate::cms::CmsSigner) -> Provider {
        let p = &signer.certificate().profile;
        let head = [p.common_name.as_deref(), p.patronymic.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Provider {
            authority: p.organization.clone().unwrap_or_else(|| head.clone()),
            place: "Астана қ.".into(),
            head,
            head_position: "Уәкілетті тұлға / Уполномоченное лицо".into(),
        }
    }
}

/// Why an application is refused: the text printed and the codes beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefusalReason {
    text: String,
    codes: String,
}

impl RefusalReason {
    /// The applicant's EDS is not confirmed: the service's text for it, with the verification's codes.
    pub(crate) fn eds_not_confirmed(service: &ServiceSpec, codes: &[String]) -> RefusalReason {
        let listed = Self::listed(service, super::catalogue::EDS_NOT_CONFIRMED);
        RefusalReason {
            codes: if codes.is_empty() {
                listed.codes
            } else {
                codes.join(", ")
            },
            text: listed.text,
        }
    }

    /// A reason the service lists, by name. The catalogue is checked at load, so a name a step gives exists; an
    /// unknown one is printed as its name.
    pub(crate) fn listed(service: &ServiceSpec, name: &str) -> RefusalReason {
        match service.refusals.get(name) {
            Some(r) => RefusalReason {
                text: r.text.clone(),
                codes: r.code.clone(),
            },
            None => RefusalReason {
                text: name.to_string(),
                codes: name.to_string(),
            },
        }
    }

    /// The operator's stated reasons, under the service's code for them.
    pub(crate) fn stated(service: &ServiceSpec, text: &str) -> RefusalReason {
        RefusalReason {
            text: text.to_string(),
            codes: Self::listed(service, super::catalogue::STATED).codes,
        }
    }

    /// The reason as printed, Kazakh then Russian (the seeds' wording where they have one).
    pub(crate) fn text(&self) -> String {
        self.text.clone()
    }

    /// The stable codes printed beside the reason.
    pub(crate) fn codes(&self) -> String {
        self.codes.clone()
    }
}

/// `DD.MM.YYYY`, as the forms print dates.
pub(crate) fn form_date(date: time::Date) -> String {
    format!(
        "{:02}.{:02}.{:04}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// The mark printed on (and sealed into) a duplicate.
pub const DUPLICATE_MARK: &str = "ТЕЛНҰСҚА / ДУБЛИКАТ";

/// The data of a re-issued licence: the old data with the operator's changes. The licensee's identity and the
/// first issue date carry over; a duplicate's mark does not.
pub(crate) fn reissue_data(old: &Value, changes: &Map<String, Value>) -> Result<Value, String> {
    let mut data = old
        .as_object()
        .cloned()
        .ok_or("the stored data is not an object")?;
    for (k, v) in changes {
        if matches!(k.as_str(), "licensee_id" | "first_issue_date" | "duplicate") {
            return Err(format!("{k} cannot change on re-issue"));
        }
        data.insert(k.clone(), v.clone());
    }
    data.remove("duplicate");
    Ok(Value::Object(data))
}

/// The data of a duplicate: the same data, marked.
pub(crate) fn duplicate_data(old: &Value) -> Result<Value, String> {
    let mut data = old
        .as_object()
        .cloned()
        .ok_or("the stored data is not an object")?;
    data.insert("duplicate".into(), Value::String(DUPLICATE_MARK.into()));
    Ok(Value::Object(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(json: &str) -> Result<Application, ApplicationError> {
        Application::parse(json.as_bytes())
    }

    #[test]
    fn parses_and_checks_the_applicant() {
        let a = app(r#"{"service":"licence.private-bailiff","applicant":{"iin":"870412300129","name":"ТЕСТОВ ТЕСТ"},"paymentReference":"PAY-1"}"#).unwrap();
        assert_eq!(a.service.id, "licence.private-bailiff");
        assert_eq!(a.applicant.as_string(), "870412300129");
        assert_eq!(a.payment_reference.as_deref(), Some("PAY-1"));
        assert!(matches!(
            app(
                r#"{"service":"licence.private-bailiff","applicant":{"iin":"870412300128","name":"X"}}"#
            ),
            Err(ApplicationError::Applicant(_))
        ));
        assert!(matches!(
            app(r#"{"service":"licence.security","applicant":{"iin":"870412300129","name":"X"}}"#),
            Err(ApplicationError::Applicant(_))
        ));
        assert!(matches!(
            app(r#"{"service":"reference.unicorn","applicant":{"iin":"870412300129","name":"X"}}"#),
            Err(ApplicationError::UnknownService(_))
        ));
        assert!(matches!(
            app(r#"{"service":"licence.advocacy","applicant":{"iin":"870412300129","name":" "}}"#),
            Err(ApplicationError::Applicant(_))
        ));
        assert!(matches!(app("not json"), Err(ApplicationError::NotJson(_))));
        assert!(matches!(
            app(
                r#"{"service":"licence.advocacy","applicant":{"iin":"870412300129","name":"X"},"extra":1}"#
            ),
            Err(ApplicationError::NotJson(_))
        ));
    }

    #[test]
    fn licence_and_refusal_data_fit_their_forms() {
        let provider = Provider {
            authority: "Әділет министрлігі".into(),
            place: "Астана қ.".into(),
            head: "НҰРЛАНОВ БЕРІК".into(),
            head_position: "Директор".into(),
        };
        let a = app(r#"{"service":"licence.private-bailiff","applicant":{"iin":"870412300129","name":"ТЕСТОВ ТЕСТ"}}"#).unwrap();
        let day = time::macros::date!(2026 - 11 - 23);
        let approve = a.service.action("registered", "approve").unwrap();
        let spec = approve.document.as_ref().unwrap();
        let decision = Map::new();
        let inputs = |decision, refusal| super::super::catalogue::Inputs {
            service: a.service,
            provider: &provider,
            applicant_name: &a.applicant_name,
            applicant_id: "870412300129",
            application_number: "QLT-APP-2026-000001",
            application_date: day,
            fields: &a.fields,
            decision,
            today: day,
            refusal,
        };
        let licence = spec.fill(&inputs(&decision, None)).unwrap();
        assert_eq!(licence["validity"], "мерзімсіз / бессрочная");
        let fonts = |_c: char| true;
        crate::forms::form(&a.service.id)
            .unwrap()
            .validate(&licence, fonts)
            .unwrap();
        let dup = duplicate_data(&licence).unwrap();
        crate::forms::form(&a.service.id)
            .unwrap()
            .validate(&dup, fonts)
            .unwrap();
        let mut bad = Map::new();
        bad.insert("licensee".into(), Value::String("someone else".into()));
        assert!(spec.fill(&inputs(&bad, None)).is_err());
        let reason = RefusalReason::eds_not_confirmed(a.service, &["CERT_REVOKED".into()]);
        let refusal = a
            .service
            .refusal
            .fill(&inputs(&Map::new(), Some(&reason)))
            .unwrap();
        crate::forms::form("refusal")
            .unwrap()
            .validate(&refusal, fonts)
            .unwrap();
        assert_eq!(refusal["reason_codes"], "CERT_REVOKED");
        assert_eq!(
            RefusalReason::stated(a.service, "no").codes(),
            "PROVIDER_DECISION"
        );
        let mut change = Map::new();
        change.insert("licensee_id".into(), Value::String("x".into()));
        assert!(reissue_data(&licence, &change).is_err());
        let reissued = reissue_data(&dup, &Map::new()).unwrap();
        assert!(reissued.get("duplicate").is_none());
    }
}
