//! Output forms as data: each form of README, "HTTP API" is a template file in `templates/` (built into the binary)
//! with its bilingual text, field labels, captions, barcode caption, and a schema for its data. Issuing a
//! document from a form is [`crate::document`]'s.

pub(crate) mod schema;
pub(crate) mod template;

pub use schema::{FieldError, FieldType, MAX_DATA_CHARS, MAX_ROWS};
pub(crate) use template::TemplateError;
pub use template::{FormTemplate, TemplateBlock};

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A form id (README, "Output forms"): 1 to 48 ASCII letters, digits, `-` and `.`, so it can stand in a document
/// number (`{form}-{year}-{sequence}`) and a file name. Only [`FormId::parse`] makes one; it knows its
/// [`FormKind`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FormId(String);

/// Text that cannot be a form id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("form id {0:?} cannot be part of a document number (1 to 48 ASCII letters, digits, '-' and '.')")]
pub struct FormIdError(pub String);

impl FormId {
    /// The longest form id.
    pub const MAX_LEN: usize = 48;

    /// A form id, if `text` is one.
    pub fn parse(text: &str) -> Result<FormId, FormIdError> {
        let ok = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
        if ok {
            Ok(FormId(text.to_string()))
        } else {
            Err(FormIdError(text.chars().take(Self::MAX_LEN + 16).collect()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What documents of this form are.
    pub fn kind(&self) -> FormKind {
        FormKind::of(&self.0)
    }
}

impl std::fmt::Display for FormId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for FormId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl PartialEq<str> for FormId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for FormId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<&str> for FormId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// What documents of a form are, read from the form id's first segment (the ids are a contract: README,
/// "Output forms"): one place decides it, instead of each layer comparing prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FormKind {
    /// `reference.*`: issued at once from the portal's data.
    Reference,
    /// `licence.*`: issued on an approved application; has a lifecycle (re-issue, duplicate, suspension...).
    Licence,
    /// `refusal`: a reasoned refusal.
    Refusal,
    /// Anything else (notifications, attestations).
    Other,
}

impl FormKind {
    /// The kind of the form with id `form_id`.
    fn of(form_id: &str) -> FormKind {
        match form_id.split('.').next() {
            Some("reference") if form_id.len() > "reference.".len() => FormKind::Reference,
            Some("licence") if form_id.len() > "licence.".len() => FormKind::Licence,
            Some("refusal") if form_id == "refusal" => FormKind::Refusal,
            _ => FormKind::Other,
        }
    }
}

/// Embeds `templates/<id>.json` for each id.
macro_rules! templates {
    ($($id:literal),* $(,)?) => {
        &[$(($id, include_str!(concat!("../../templates/", $id, ".json")))),*]
    };
}

/// The template sources, embedded at build time (the files in `templates/` are their sources).
const SOURCES: &[(&str, &str)] = templates![
    "reference.birth",
    "reference.name-change",
    "reference.divorce",
    "reference.marriage",
    "reference.real-estate-rights",
    "reference.real-estate-presence",
    "reference.legal-entity",
    "reference.legal-entity-branches",
    "reference.legal-entity-participation",
    "reference.individual-participation",
    "notification.accepted",
    "notification.marriage-registration",
    "notification.attestation",
    "licence.private-bailiff",
    "licence.security",
    "licence.advocacy",
    "attestation.advocacy",
    "refusal",
];

/// Every built-in form, parsed once.
pub fn catalogue() -> Result<&'static BTreeMap<String, FormTemplate>, TemplateError> {
    static CATALOGUE: OnceLock<Result<BTreeMap<String, FormTemplate>, TemplateError>> =
        OnceLock::new();
    CATALOGUE
        .get_or_init(|| {
            let mut forms = BTreeMap::new();
            for (id, source) in SOURCES {
                let t = FormTemplate::parse(source)?;
                if t.id != *id {
                    return Err(TemplateError::Invalid(format!(
                        "template {id} declares id {}",
                        t.id
                    )));
                }
                forms.insert(t.id.clone(), t);
            }
            Ok(forms)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// One form by id.
pub fn form(id: &str) -> Result<&'static FormTemplate, TemplateError> {
    catalogue()?
        .get(id)
        .ok_or_else(|| TemplateError::UnknownForm(id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_id_says_its_kind() {
        assert_eq!(FormKind::of("reference.birth"), FormKind::Reference);
        assert_eq!(FormKind::of("licence.security"), FormKind::Licence);
        assert_eq!(FormKind::of("refusal"), FormKind::Refusal);
        assert_eq!(FormKind::of("notification.accepted"), FormKind::Other);
        assert_eq!(FormKind::of("licence."), FormKind::Other);
        assert_eq!(FormKind::of("referencebirth"), FormKind::Other);
        assert_eq!(FormKind::of("refusal.x"), FormKind::Other);
    }

    #[test]
    fn a_form_id_is_parsed_once_and_keeps_its_kind() {
        let id = FormId::parse("licence.private-bailiff").expect("id");
        assert_eq!(id.kind(), FormKind::Licence);
        assert_eq!(id.as_str(), "licence.private-bailiff");
        assert_eq!(id, "licence.private-bailiff");
        assert_eq!(
            serde_json::to_value(&id).ok(),
            Some(serde_json::json!("licence.private-bailiff"))
        );
        for bad in [
            "",
            "a b",
            "licence/x",
            "licence;x",
            "ліцензія",
            &"x".repeat(49),
        ] {
            assert!(FormId::parse(bad).is_err(), "{bad:?}");
        }
        // Every form of the catalogue has an id that parses, of the kind its prefix says.
        for (key, template) in catalogue().expect("catalogue") {
            let id = FormId::parse(key).expect("catalogue id");
            assert_eq!(id.as_str(), template.id);
        }
    }
}
