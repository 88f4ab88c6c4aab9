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
    /// "provider"?}`.
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
        Ok(Application {
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
