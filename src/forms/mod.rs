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

/// What documents of a form are, read from the form id's first segment (the ids are a contract: README,
/// "Output forms"): one place decides it, instead of each layer comparing prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FormKind {
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
    pub(crate) fn of(form_id: &str) -> FormKind {
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
}
