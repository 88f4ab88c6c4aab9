//! What an applicant signs, and the documents the flow issues from it.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::identity::{Bin, Iin};

/// Who may apply for a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplicantKind {
    /// An individual, identified by IIN.
    Individual,
    /// A legal entity, identified by BIN.
    LegalEntity,
}

/// A service that goes through the operator's decision; its result is the form of the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Service {
    /// The service id is the id of the licence form it issues (README, "HTTP API").
    pub id: &'static str,
    pub applicant: ApplicantKind,
    /// The term of the provider's review, in working days from registration.
    pub due_working_days: u32,
    /// Where the term comes from.
    pub source: &'static str,
}

/// The services Qoltanba runs applications for.
pub(crate) const SERVICES: &[Service] = &[
    Service {
        id: "licence.private-bailiff",
        applicant: ApplicantKind::Individual,
        due_working_days: 15,
        source: "seed 003, table of actions, PEP channel: electronic licence, 15 working days",
    },
    Service {
        id: "licence.security",
        applicant: ApplicantKind::LegalEntity,
        due_working_days: 15,
        source: "seed 001 gives no term in its surviving text; the 15 working days of seed 003 are assumed",
    },
    Service {
        id: "licence.advocacy",
        applicant: ApplicantKind::Individual,
        due_working_days: 15,
        source: "seed 002, table 3 step 12: electronic licence, 15 working days",
    },
];

pub(crate) fn service(id: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.id == id)
}

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
    pub service: &'static Service,
    pub applicant: ApplicantId,
    /// Full name (individual) or name and address (legal entity), as printed on the licence.
    pub applicant_name: String,
    /// The application's own data (qualifications, documents): stored for the operator, not printed.
    pub fields: Map<String, Value>,
    pub payment_reference: Option<String>,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplicant {
    iin: Option<String>,
    bin: Option<String>,
    name: String,
}

impl Application {
    /// Parses the signed content: `{"service", "applicant": {"iin"|"bin", "name"}, "fields"?, "paymentReference"?}`.
    pub(crate) fn parse(content: &[u8]) -> Result<Application, ApplicationError> {
        if content.len() > MAX_APPLICATION {
            return Err(ApplicationError::TooLong("the application"));
        }
        let raw: RawApplication = serde_json::from_slice(content)
            .map_err(|e| ApplicationError::NotJson(e.to_string()))?;
        let service =
            service(&raw.service).ok_or(ApplicationError::UnknownService(raw.service.clone()))?;
        let applicant = match (service.applicant, raw.applicant.iin, raw.applicant.bin) {
            (ApplicantKind::Individual, Some(iin), None) => ApplicantId::Iin(
                Iin::parse(&iin).map_err(|e| ApplicationError::Applicant(format!("iin: {e}")))?,
            ),
            (ApplicantKind::LegalEntity, None, Some(bin)) => ApplicantId::Bin(
                Bin::parse(&bin).map_err(|e| ApplicationError::Applicant(format!("bin: {e}")))?,
            ),
            (ApplicantKind::Individual, _, _) => {
                return Err(ApplicationError::Applicant(format!(
                    "{} is for individuals: give applicant.iin only",
                    service.id
                )))
            }
            (ApplicantKind::LegalEntity, _, _) => {
                return Err(ApplicationError::Applicant(format!(
                    "{} is for legal entities: give applicant.bin only",
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

/// Why an application is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefusalReason {
    /// Step 1 failed: the verification's codes.
    EdsNotConfirmed(Vec<String>),
    /// Step 2: the portal reported no payment.
    NoPayment,
    /// Step 4: the operator's reasoned refusal.
    Decision(String),
}

impl RefusalReason {
    /// The reason as printed, Kazakh then Russian (the seeds' wording where they have one).
    pub(crate) fn text(&self) -> String {
        match self {
            RefusalReason::EdsNotConfirmed(_) => "Электрондық цифрлық қолтаңбаның түпнұсқалығы расталмады. / Подлинность ЭЦП не подтверждена.".into(),
            RefusalReason::NoPayment => "Лицензиялық алымның төленгені расталмады. / Оплата лицензионного сбора не подтверждена.".into(),
            RefusalReason::Decision(text) => text.clone(),
        }
    }

    /// The stable codes printed beside the reason.
    pub(crate) fn codes(&self) -> String {
        match self {
            RefusalReason::EdsNotConfirmed(codes) if codes.is_empty() => "EDS_NOT_CONFIRMED".into(),
            RefusalReason::EdsNotConfirmed(codes) => codes.join(", "),
            RefusalReason::NoPayment => "NO_PAYMENT".into(),
            RefusalReason::Decision(_) => "PROVIDER_DECISION".into(),
        }
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

/// The data of the `refusal` form for an application.
pub(crate) fn refusal_data(
    provider: &Provider,
    application_number: &str,
    application_date: time::Date,
    applicant_name: &str,
    reason: &RefusalReason,
) -> Value {
    json!({
        "addressee": applicant_name,
        "application_date": form_date(application_date),
        "application_number": application_number,
        "authority": provider.authority,
        "reason": reason.text(),
        "reason_codes": reason.codes(),
        "signer_name": provider.head,
        "signer_position": provider.head_position,
    })
}

/// The operator's choices printed on a licence; the rest comes from the application and the provider.
pub(crate) const DECISION_FIELDS: &[&str] = &["special_conditions", "note", "validity"];

/// The data of the licence form for an approved application. `decision` may set [`DECISION_FIELDS`].
pub(crate) fn licence_data(
    provider: &Provider,
    application: &Application,
    decision: &Map<String, Value>,
    first_issue: time::Date,
) -> Result<Value, String> {
    if let Some(other) = decision
        .keys()
        .find(|k| !DECISION_FIELDS.contains(&k.as_str()))
    {
        return Err(format!(
            "{other}: the decision may set only {}",
            DECISION_FIELDS.join(", ")
        ));
    }
    let choice = |name: &str, default: &str| {
        decision
            .get(name)
            .cloned()
            .unwrap_or_else(|| Value::String(default.to_string()))
    };
    Ok(json!({
        "licensee": application.applicant_name,
        "licensee_id": application.applicant.as_string(),
        "special_conditions": choice("special_conditions", "жоқ / нет"),
        "note": choice("note", "Иеліктен шығарылмайтын, 1-сынып / Неотчуждаемая, класс 1"),
        "validity": choice("validity", "мерзімсіз / бессрочная"),
        "licensor": provider.authority,
        "head": provider.head,
        "first_issue_date": form_date(first_issue),
        "place": provider.place,
    }))
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
            app(r#"{"service":"reference.birth","applicant":{"iin":"870412300129","name":"X"}}"#),
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
        let licence = licence_data(&provider, &a, &Map::new(), day).unwrap();
        let fonts = |_c: char| true;
        crate::forms::form(a.service.id)
            .unwrap()
            .validate(&licence, fonts)
            .unwrap();
        let dup = duplicate_data(&licence).unwrap();
        crate::forms::form(a.service.id)
            .unwrap()
            .validate(&dup, fonts)
            .unwrap();
        let mut bad = Map::new();
        bad.insert("licensee".into(), Value::String("someone else".into()));
        assert!(licence_data(&provider, &a, &bad, day).is_err());
        let refusal = refusal_data(
            &provider,
            "QLT-APP-2026-000001",
            day,
            "ТЕСТОВ ТЕСТ",
            &RefusalReason::EdsNotConfirmed(vec!["CERT_REVOKED".into()]),
        );
        crate::forms::form("refusal")
            .unwrap()
            .validate(&refusal, fonts)
            .unwrap();
        assert_eq!(refusal["reason_codes"], "CERT_REVOKED");
        let mut change = Map::new();
        change.insert("licensee_id".into(), Value::String("x".into()));
        assert!(reissue_data(&licence, &change).is_err());
        let reissued = reissue_data(&dup, &Map::new()).unwrap();
        assert!(reissued.get("duplicate").is_none());
    }
}
