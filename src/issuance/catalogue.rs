//! The services of the regulations as data (`templates/services.json`): who may apply, the fee and its window, the
//! states an application goes through, who acts at each step, the terms, the documents each step issues and where
//! each field of those documents comes from. The workflow ([`crate::service::workflow`]) reads this and nothing
//! else about a service, so a service whose documents are forms Qoltanba has is added by writing its entry.
//!
//! The catalogue is checked whole when it is loaded — every state reachable and named, every form known, every
//! field of every form bound to a source — so a mistake in it stops the service at start, never an application
//! half-way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;
use time::Date;

use super::calendar::{WorkingCalendar, MAX_WORKING_DAYS};

/// The state every application is in while its signature waits for revocation data.
pub const VERIFICATION_PENDING: &str = "verificationPending";
/// The state of a refused application; every service has it, final.
pub const REFUSED: &str = "refused";
/// The refusal reason given when the applicant's EDS is not confirmed at submission.
pub const EDS_NOT_CONFIRMED: &str = "edsNotConfirmed";
/// The refusal reason whose text the operator states.
pub const STATED: &str = "stated";

/// Why the catalogue cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogueError {
    /// Not the catalogue's JSON shape.
    #[error("services catalogue: {0}")]
    Json(String),
    /// The catalogue contradicts itself or the forms.
    #[error("services catalogue, service {service}: {message}")]
    Invalid {
        /// The service at fault.
        service: String,
        /// What is wrong.
        message: String,
    },
}

/// Names in the two languages of the documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// Who applies for a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ApplicantKind {
    /// An individual, by IIN.
    Individual,
    /// A legal entity, by BIN.
    LegalEntity,
}

/// Who takes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Actor {
    /// The portal (payment reports): a `portal` token.
    Portal,
    /// The provider's staff: an `operator` token.
    Operator,
}

/// A term, counted as the regulation counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Term {
    /// Working days (weekends and holidays of [`WorkingCalendar`] skipped), from the next day.
    WorkingDays(u32),
    /// Calendar days, from the next day.
    CalendarDays(u32),
    /// Hours, from the moment.
    Hours(u32),
    /// Minutes, from the moment (the action tables of seed 004).
    Minutes(u32),
}

/// When a term that started at some moment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// At the end of this local day.
    Day(Date),
    /// At this Unix second.
    Moment(i64),
}

impl Term {
    /// When the term started at `at` (Unix seconds) ends.
    pub fn due(self, calendar: &WorkingCalendar, at: i64) -> Option<Due> {
        match self {
            Term::WorkingDays(n) => calendar
                .add_working_days(crate::clock::local_date(at)?, n)
                .map(Due::Day),
            Term::CalendarDays(n) => crate::clock::local_date(at)?
                .checked_add(time::Duration::days(i64::from(n)))
                .map(Due::Day),
            Term::Hours(n) => at.checked_add(i64::from(n) * 3600).map(Due::Moment),
            Term::Minutes(n) => at.checked_add(i64::from(n) * 60).map(Due::Moment),
        }
    }

    fn check(self) -> Result<(), String> {
        let ok = match self {
            Term::WorkingDays(n) | Term::CalendarDays(n) => (1..=MAX_WORKING_DAYS).contains(&n),
            Term::Hours(n) => (1..=24 * 366).contains(&n),
            Term::Minutes(n) => (1..=60 * 24 * 366).contains(&n),
        };
        ok.then_some(())
            .ok_or_else(|| format!("term {self:?} out of range"))
    }
}

impl Due {
    /// As stored and shown: `YYYY-MM-DD` for a day, RFC 3339 in Astana time for a moment.
    pub fn as_string(self) -> String {
        match self {
            Due::Day(d) => d.to_string(),
            Due::Moment(at) => crate::clock::local_rfc3339(at).unwrap_or_else(|| at.to_string()),
        }
    }

    /// Whether `at` (Unix seconds) is past the term.
    pub fn is_past(self, at: i64) -> bool {
        match self {
            Due::Day(d) => crate::clock::local_date(at).is_none_or(|today| today > d),
            Due::Moment(m) => at > m,
        }
    }
}

/// The fee of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fee {
    /// What is paid, as the regulation says it (`1 АЕК / 1 МРП`).
    pub amount: String,
    /// The time from submission within which it must be paid, when the regulation sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_within: Option<Term>,
    /// The step taken instead of a payment reported after `pay_within`: it refuses, "term expired".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<String>,
}

/// A refusal reason of a service: printed on the refusal with its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The stable code printed beside the text.
    pub code: String,
    /// The text, Kazakh then Russian. Empty for [`STATED`]: the operator writes it.
    #[serde(default)]
    pub text: String,
}

/// Where a field of an issued document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The applicant's name, as signed (and matched with the certificate).
    ApplicantName,
    /// The applicant's IIN or BIN.
    ApplicantId,
    /// The application's number, `QLT-APP-YYYY-NNNNNN`.
    ApplicationNumber,
    /// The application number's sequence, digits only (forms that print a request number).
    ApplicationSequence,
    /// The day the application was submitted, `DD.MM.YYYY`.
    ApplicationDate,
    /// A field of the signed application (`fields.<name>`).
    Field(String),
    /// A value the operator gives with the step (`decision.<name>`).
    Decision(String),
    /// The provider's authority (the body that issues).
    ProviderAuthority,
    /// The provider's authorised person.
    ProviderHead,
    /// That person's position.
    ProviderHeadPosition,
    /// Where the provider issues.
    ProviderPlace,
    /// The service's name in Kazakh.
    ServiceNameKk,
    /// The service's name in Russian.
    ServiceNameRu,
    /// The day of the step, `DD.MM.YYYY`.
    Today,
    /// The refusal's reason text.
    RefusalText,
    /// The refusal's reason codes.
    RefusalCodes,
}

impl Source {
    fn parse(s: &str) -> Option<Source> {
        Some(match s {
            "applicant.name" => Source::ApplicantName,
            "applicant.id" => Source::ApplicantId,
            "application.number" => Source::ApplicationNumber,
            "application.sequence" => Source::ApplicationSequence,
            "application.date" => Source::ApplicationDate,
            "provider.authority" => Source::ProviderAuthority,
            "provider.head" => Source::ProviderHead,
            "provider.headPosition" => Source::ProviderHeadPosition,
            "provider.place" => Source::ProviderPlace,
            "service.name.kk" => Source::ServiceNameKk,
            "service.name.ru" => Source::ServiceNameRu,
            "today" => Source::Today,
            "refusal.text" => Source::RefusalText,
            "refusal.codes" => Source::RefusalCodes,
            _ => {
                let name = |prefix: &str| {
                    s.strip_prefix(prefix)
                        .filter(|n| {
                            !n.is_empty()
                                && n.len() <= 64
                                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        })
                        .map(str::to_string)
                };
                if let Some(n) = name("fields.") {
                    Source::Field(n)
                } else if let Some(n) = name("decision.") {
                    Source::Decision(n)
                } else {
                    return None;
                }
            }
        })
    }
}

/// A document field's binding: a source, a source with a default, or fixed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// Always from this source; required.
    From(Source),
    /// From this source when given, else the default.
    Or(Source, String),
    /// This text.
    Text(String),
    /// The text this map gives for the source's value; any other value is refused (an application asking for a
    /// kind of certificate the service does not issue).
    Map(Source, BTreeMap<String, String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawBinding {
    Source(String),
    Full {
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        default: Option<String>,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        map: Option<BTreeMap<String, String>>,
    },
}

/// The document a step issues, and where each of its fields comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSpec {
    /// The form id.
    pub form: String,
    /// Every field of the form, bound.
    pub data: BTreeMap<String, Binding>,
}

impl DocumentSpec {
    /// The values the operator may give with a step issuing this document, and whether each is required.
    pub fn decision_fields(&self) -> BTreeMap<&str, bool> {
        self.data
            .values()
            .filter_map(|b| match b {
                Binding::From(Source::Decision(n)) | Binding::Map(Source::Decision(n), _) => {
                    Some((n.as_str(), true))
                }
                Binding::Or(Source::Decision(n), _) => Some((n.as_str(), false)),
                _ => None,
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    form: String,
    data: BTreeMap<String, RawBinding>,
}

/// A step an application may take from a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Who takes it.
    pub by: Actor,
    /// The state it leads to.
    pub to: String,
    /// It records the payment (a reference is required).
    pub payment: bool,
    /// The term that starts with it (the application is registered and gets its due date).
    pub term: Option<Term>,
    /// The refusal reason it gives: the application is refused with the service's refusal document.
    pub refuses: Option<String>,
    /// The document it issues (not with `refuses`).
    pub document: Option<DocumentSpec>,
    /// The licence it re-issues or duplicates: the one the application names (`fields.licence`).
    pub changes: Option<LicenceChange>,
    /// What it is, for people.
    pub description: String,
}

/// A step that re-issues or duplicates the licence an application names (`fields.licence`, its number): the
/// applicant must be its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceChange {
    /// The licence form it applies to.
    pub licence: String,
    /// `reissue` (a new number replaces the old) or `duplicate` (the same number, marked).
    pub action: crate::issuance::LifecycleAction,
}

/// The application field that names the licence a re-issue or duplicate is for.
pub const LICENCE_FIELD: &str = "licence";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    by: Actor,
    to: String,
    #[serde(default)]
    payment: bool,
    #[serde(default)]
    term: Option<Term>,
    #[serde(default)]
    refuses: Option<String>,
    #[serde(default)]
    document: Option<RawDocument>,
    #[serde(default)]
    changes: Option<LicenceChange>,
    description: String,
}

/// A state of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// What it means, for people.
    pub description: String,
    /// The steps that may follow, by name; none for a final state.
    pub actions: BTreeMap<String, Action>,
}

impl State {
    /// Whether the application ends here.
    pub fn is_final(&self) -> bool {
        self.actions.is_empty()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    description: String,
    #[serde(default)]
    actions: BTreeMap<String, RawAction>,
}

/// One service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// The contract id (`licence.security`, `civil-registry.duplicate-certificate`, …).
    pub id: String,
    /// Its name.
    pub name: Names,
    /// Where in the seeds it comes from.
    pub source: String,
    /// Who may apply.
    pub applicants: BTreeSet<ApplicantKind>,
    /// The fee, if any.
    pub fee: Option<Fee>,
    /// The state an application enters when its signature is confirmed.
    pub start: String,
    /// The term that starts at submission, when the service has no payment step to start it.
    pub start_term: Option<Term>,
    /// The states, by name (`refused` among them).
    pub states: BTreeMap<String, State>,
    /// The refusal reasons allowed, by name (`edsNotConfirmed` among them).
    pub refusals: BTreeMap<String, Reason>,
    /// The refusal document.
    pub refusal: DocumentSpec,
    /// The NCA roles whose certificates may sign its applications (empty: any): a legal entity's application is
    /// its first head's or a person with the right to sign, not any employee's.
    pub signer_roles: Vec<crate::identity::Role>,
    /// How the seals of its documents name the signer: `full` (the certificate in the barcode) where the seed
    /// defines the barcode so (seed 004: "the certificate and signature of the official"), else `compact`.
    pub seal_mode: crate::seal::SealMode,
}

impl ServiceSpec {
    /// Whether applicants of this kind may apply.
    pub fn accepts(&self, kind: ApplicantKind) -> bool {
        self.applicants.contains(&kind)
    }

    /// The state named `name`; [`VERIFICATION_PENDING`] is every service's and has no actions here.
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }

    /// The licence change the service's steps make, if any: its applications name a licence.
    pub fn licence_change(&self) -> Option<&LicenceChange> {
        self.states
            .values()
            .flat_map(|s| s.actions.values())
            .find_map(|a| a.changes.as_ref())
    }

    /// The step `action` from state `state`.
    pub fn action(&self, state: &str, action: &str) -> Option<&Action> {
        self.states.get(state)?.actions.get(action)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawService {
    id: String,
    name: Names,
    source: String,
    applicants: BTreeSet<ApplicantKind>,
    #[serde(default)]
    fee: Option<Fee>,
    start: String,
    #[serde(default)]
    start_term: Option<Term>,
    states: BTreeMap<String, RawState>,
    refusals: BTreeMap<String, Reason>,
    #[serde(default)]
    refusal: Option<RawDocument>,
    #[serde(default)]
    seal_mode: Option<crate::seal::SealMode>,
    #[serde(default)]
    signer_roles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    /// The refusal document every service uses unless it has its own.
    refusal: RawDocument,
    services: Vec<RawService>,
}

/// Every service, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    services: BTreeMap<String, ServiceSpec>,
}

/// The embedded catalogue's source.
const SOURCE: &str = include_str!("../../templates/services.json");

static CATALOGUE: OnceLock<Result<Catalogue, CatalogueError>> = OnceLock::new();

/// The node's catalogue, parsed and checked once: the one [`install`]ed at start, else the built-in one.
pub fn catalogue() -> Result<&'static Catalogue, CatalogueError> {
    CATALOGUE
        .get_or_init(|| Catalogue::parse(SOURCE))
        .as_ref()
        .map_err(Clone::clone)
}

/// Makes `source` (a provider's own `services.json`, checked whole first) the node's catalogue. Only before the
/// catalogue is first used — at start, from the configuration — since applications hold its services for the
/// process's life; later it is refused.
pub(crate) fn install(source: &str) -> Result<(), CatalogueError> {
    let parsed = Catalogue::parse(source)?;
    CATALOGUE
        .set(Ok(parsed))
        .map_err(|_| CatalogueError::Invalid {
            service: "*".into(),
            message: "the catalogue is already in use: install it at start".into(),
        })
}

/// One built-in service by id.
pub fn service(id: &str) -> Option<&'static ServiceSpec> {
    catalogue().ok()?.get(id)
}

impl Catalogue {
    /// Parses and checks a catalogue.
    pub fn parse(source: &str) -> Result<Catalogue, CatalogueError> {
        let raw: RawCatalogue =
            serde_json::from_str(source).map_err(|e| CatalogueError::Json(e.to_string()))?;
        let mut services = BTreeMap::new();
        for s in raw.services {
            let id = s.id.clone();
            let invalid = |message: String| CatalogueError::Invalid {
                service: id.clone(),
                message,
            };
            let spec = ServiceSpec::from_raw(s, &raw.refusal).map_err(invalid)?;
            if services.insert(id.clone(), spec).is_some() {
                return Err(invalid("listed twice".into()));
            }
        }
        Ok(Catalogue { services })
    }

    /// The service `id`.
    pub fn get(&self, id: &str) -> Option<&ServiceSpec> {
        self.services.get(id)
    }

    /// Every service, by id.
    pub fn services(&self) -> impl Iterator<Item = &ServiceSpec> {
        self.services.values()
    }
}

fn document(raw: &RawDocument) -> Result<DocumentSpec, String> {
    let form = crate::forms::form(&raw.form).map_err(|e| format!("form {}: {e}", raw.form))?;
    let mut data = BTreeMap::new();
    for (field, b) in &raw.data {
        if !form.fields.iter().any(|f| &f.name == field) {
            return Err(format!("form {} has no field {field}", raw.form));
        }
        let source =
            |s: &str| Source::parse(s).ok_or_else(|| format!("{field}: unknown source {s:?}"));
        let binding = match b {
            RawBinding::Source(s) => Binding::From(source(s)?),
            RawBinding::Full {
                from: Some(s),
                default: Some(d),
                text: None,
                map: None,
            } => Binding::Or(source(s)?, d.clone()),
            RawBinding::Full {
                from: Some(s),
                default: None,
                text: None,
                map: None,
            } => Binding::From(source(s)?),
            RawBinding::Full {
                from: Some(s),
                default: None,
                text: None,
                map: Some(m),
            } if !m.is_empty() => Binding::Map(source(s)?, m.clone()),
            RawBinding::Full {
                from: None,
                default: None,
                text: Some(t),
                map: None,
            } => Binding::Text(t.clone()),
            RawBinding::Full { .. } => {
                return Err(format!(
                    "{field}: give a source, {{\"from\", \"default\"}}, {{\"from\", \"map\"}} or {{\"text\"}}"
                ))
            }
        };
        data.insert(field.clone(), binding);
    }
    if let Some(missing) = form
        .fields
        .iter()
        .find(|f| !f.optional && !data.contains_key(&f.name))
    {
        return Err(format!(
            "form {}: field {} is bound to nothing",
            raw.form, missing.name
        ));
    }
    Ok(DocumentSpec {
        form: raw.form.clone(),
        data,
    })
}

impl ServiceSpec {
    fn from_raw(s: RawService, default_refusal: &RawDocument) -> Result<ServiceSpec, String> {
        if s.id.is_empty()
            || s.id.len() > 100
            || !s
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return Err("the id must be lower-case letters, digits, dots and hyphens".into());
        }
        if s.applicants.is_empty() {
            return Err("applicants: at least one kind".into());
        }
        let signer_roles = s
            .signer_roles
            .iter()
            .map(|r| {
                crate::identity::Role::parse(r).ok_or_else(|| {
                    let known: Vec<&str> = crate::identity::Role::ALL
                        .iter()
                        .map(|r| r.code())
                        .collect();
                    format!("signerRoles: {r:?} is not one of {}", known.join(", "))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let refusal = document(s.refusal.as_ref().unwrap_or(default_refusal))?;
        if !s.refusals.contains_key(EDS_NOT_CONFIRMED) {
            return Err(format!("refusals: {EDS_NOT_CONFIRMED} is required"));
        }
        let mut states = BTreeMap::new();
        for (name, raw) in s.states {
            if name == VERIFICATION_PENDING {
                return Err(format!("{VERIFICATION_PENDING} is built in"));
            }
            let mut actions = BTreeMap::new();
            for (action_name, a) in raw.actions {
                let doc = a.document.as_ref().map(document).transpose()?;
                if let Some(t) = a.term {
                    t.check()?;
                }
                let at = |m: &str| format!("{name}.{action_name}: {m}");
                match (&a.refuses, &doc) {
                    (Some(_), Some(_)) => return Err(at("a refusal issues the refusal document")),
                    (Some(r), None) if !s.refusals.contains_key(r) => {
                        return Err(at(&format!("unknown refusal reason {r}")))
                    }
                    (Some(_), None) if a.to != REFUSED => {
                        return Err(at("a refusal leads to refused"))
                    }
                    _ => {}
                }
                if let Some(c) = &a.changes {
                    use crate::issuance::LifecycleAction as L;
                    if doc.is_some() || a.refuses.is_some() {
                        return Err(at("a change issues the licence it changes, nothing else"));
                    }
                    if !matches!(c.action, L::Reissue | L::Duplicate) {
                        return Err(at("changes: reissue or duplicate"));
                    }
                    let form = crate::forms::FormId::parse(&c.licence)
                        .map_err(|e| at(&format!("changes: {e}")))?;
                    if form.kind() != crate::forms::FormKind::Licence
                        || crate::forms::form(&c.licence).is_err()
                    {
                        return Err(at(&format!("changes: {} is not a licence form", c.licence)));
                    }
                }
                if a.payment && s.fee.is_none() {
                    return Err(at("a payment step in a service with no fee"));
                }
                if let Some(d) = &doc {
                    if d.form == "refusal" {
                        return Err(at("refusals are issued with `refuses`"));
                    }
                }
                actions.insert(
                    action_name,
                    Action {
                        by: a.by,
                        to: a.to,
                        payment: a.payment,
                        term: a.term,
                        refuses: a.refuses,
                        document: doc,
                        changes: a.changes,
                        description: a.description,
                    },
                );
            }
            states.insert(
                name,
                State {
                    description: raw.description,
                    actions,
                },
            );
        }
        match states.get(REFUSED) {
            Some(r) if r.is_final() => {}
            _ => return Err(format!("{REFUSED}: a final state is required")),
        }
        let unknown = |to: &str| !states.contains_key(to);
        if unknown(&s.start) {
            return Err(format!("start: no state {}", s.start));
        }
        for (name, state) in &states {
            for (a, action) in &state.actions {
                if unknown(&action.to) {
                    return Err(format!("{name}.{a}: no state {}", action.to));
                }
            }
        }
        if let Some(t) = s.start_term {
            t.check()?;
        }
        if let Some(fee) = &s.fee {
            if let Some(t) = fee.pay_within {
                t.check()?;
            }
            match (&fee.pay_within, &fee.late) {
                (Some(_), Some(late)) => {
                    // Wherever a payment may be reported, the late step must be there too.
                    for (name, state) in &states {
                        if state.actions.values().any(|a| a.payment)
                            && state.actions.get(late).is_none_or(|l| l.refuses.is_none())
                        {
                            return Err(format!(
                                "fee.late: {name} takes payments but has no refusing step {late}"
                            ));
                        }
                    }
                }
                (None, None) => {}
                _ => return Err("fee: payWithin and late go together".into()),
            }
        }
        // Every state can be reached from the start.
        let mut reached = BTreeSet::from([s.start.as_str(), REFUSED]);
        let mut frontier = vec![s.start.as_str()];
        while let Some(st) = frontier.pop() {
            for a in states[st].actions.values() {
                if reached.insert(a.to.as_str()) {
                    frontier.push(a.to.as_str());
                }
            }
        }
        if let Some(lost) = states.keys().find(|k| !reached.contains(k.as_str())) {
            return Err(format!("state {lost} cannot be reached"));
        }
        Ok(ServiceSpec {
            id: s.id,
            name: s.name,
            source: s.source,
            applicants: s.applicants,
            fee: s.fee,
            start: s.start,
            start_term: s.start_term,
            states,
            refusals: s.refusals,
            refusal,
            seal_mode: s.seal_mode.unwrap_or(crate::seal::SealMode::Compact),
            signer_roles,
        })
    }
}

/// What a document's data is filled from.
pub(crate) struct Inputs<'a> {
    /// The service.
    pub service: &'a ServiceSpec,
    /// The provider.
    pub provider: &'a super::Provider,
    /// The applicant's name.
    pub applicant_name: &'a str,
    /// The applicant's IIN or BIN.
    pub applicant_id: &'a str,
    /// The application number.
    pub application_number: &'a str,
    /// The day it was submitted.
    pub application_date: Date,
    /// The signed application's fields.
    pub fields: &'a Map<String, Value>,
    /// What the operator gave with the step.
    pub decision: &'a Map<String, Value>,
    /// The day of the step.
    pub today: Date,
    /// The refusal reason, for refusal documents.
    pub refusal: Option<&'a super::RefusalReason>,
}

impl DocumentSpec {
    /// The document's data, every field from its source. Refuses operator values the step does not take, and a
    /// required value that nobody gave.
    pub(crate) fn fill(&self, inputs: &Inputs<'_>) -> Result<Value, String> {
        let allowed = self.decision_fields();
        if let Some(other) = inputs
            .decision
            .keys()
            .find(|k| !allowed.contains_key(k.as_str()))
        {
            let names: Vec<&str> = allowed.keys().copied().collect();
            return Err(if names.is_empty() {
                format!("{other}: this step takes no fields")
            } else {
                format!("{other}: this step takes only {}", names.join(", "))
            });
        }
        let mut out = Map::new();
        for (field, binding) in &self.data {
            let value = match binding {
                Binding::Text(t) => Some(Value::String(t.clone())),
                Binding::From(s) => Some(value(s, inputs).ok_or_else(|| missing(s))?),
                Binding::Or(s, d) => Some(value(s, inputs).unwrap_or(Value::String(d.clone()))),
                Binding::Map(s, map) => {
                    let v = value(s, inputs).ok_or_else(|| missing(s))?;
                    let key = v.as_str().unwrap_or_default();
                    let text = map.get(key).ok_or_else(|| {
                        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                        format!("{}: one of {}", name(s), keys.join(", "))
                    })?;
                    Some(Value::String(text.clone()))
                }
            };
            if let Some(v) = value {
                out.insert(field.clone(), v);
            }
        }
        Ok(Value::Object(out))
    }
}

fn name(s: &Source) -> String {
    match s {
        Source::Field(n) => format!("fields.{n}"),
        Source::Decision(n) => n.clone(),
        other => format!("{other:?}"),
    }
}

fn missing(s: &Source) -> String {
    match s {
        Source::Field(_) => format!("{}: the application does not give it", name(s)),
        Source::Decision(_) => format!("{}: required with this step", name(s)),
        other => format!("{}: not available at this step", name(other)),
    }
}

fn value(s: &Source, i: &Inputs<'_>) -> Option<Value> {
    let text = |t: &str| Some(Value::String(t.to_string()));
    match s {
        Source::ApplicantName => text(i.applicant_name),
        Source::ApplicantId => text(i.applicant_id),
        Source::ApplicationNumber => text(i.application_number),
        Source::ApplicationSequence => text(
            i.application_number
                .rsplit('-')
                .next()
                .unwrap_or(i.application_number),
        ),
        Source::ApplicationDate => text(&super::application::form_date(i.application_date)),
        Source::Field(n) => i.fields.get(n).filter(|v| !v.is_null()).cloned(),
        Source::Decision(n) => i.decision.get(n).filter(|v| !v.is_null()).cloned(),
        Source::ProviderAuthority => text(&i.provider.authority),
        Source::ProviderHead => text(&i.provider.head),
        Source::ProviderHeadPosition => text(&i.provider.head_position),
        Source::ProviderPlace => text(&i.provider.place),
        Source::ServiceNameKk => text(&i.service.name.kk),
        Source::ServiceNameRu => text(&i.service.name.ru),
        Source::Today => text(&super::application::form_date(i.today)),
        Source::RefusalText => i.refusal.map(|r| Value::String(r.text())),
        Source::RefusalCodes => i.refusal.map(|r| Value::String(r.codes())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_is_consistent() {
        let c = catalogue().expect("the embedded catalogue");
        for id in [
            "licence.private-bailiff",
            "licence.security",
            "licence.advocacy",
            "civil-registry.duplicate-certificate",
            "civil-registry.marriage-registration",
            "attestation.advocacy",
        ] {
            assert!(c.get(id).is_some(), "{id}");
        }
        for s in c.services() {
            assert!(s.state(REFUSED).is_some_and(State::is_final), "{}", s.id);
        }
    }

    fn with(change: impl FnOnce(&mut Value)) -> Result<Catalogue, CatalogueError> {
        let mut v: Value = serde_json::from_str(SOURCE).unwrap();
        change(&mut v);
        Catalogue::parse(&v.to_string())
    }

    fn first_service(v: &mut Value) -> &mut Value {
        &mut v["services"][0]
    }

    #[test]
    fn a_catalogue_that_contradicts_itself_is_refused() {
        type Change = Box<dyn FnOnce(&mut Value)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "no state",
                Box::new(|v| first_service(v)["start"] = "nowhere".into()),
            ),
            (
                "no form nothing",
                Box::new(|v| v["refusal"]["form"] = "nothing".into()),
            ),
            (
                "no field",
                Box::new(|v| v["refusal"]["data"]["no_such_field"] = "today".into()),
            ),
            (
                "unknown source",
                Box::new(|v| v["refusal"]["data"]["addressee"] = "applicant.shoe_size".into()),
            ),
            (
                "bound to nothing",
                Box::new(|v| {
                    v["refusal"]["data"]
                        .as_object_mut()
                        .unwrap()
                        .remove("addressee");
                }),
            ),
            (
                "edsNotConfirmed",
                Box::new(|v| {
                    first_service(v)["refusals"]
                        .as_object_mut()
                        .unwrap()
                        .remove("edsNotConfirmed");
                }),
            ),
            (
                "refused",
                Box::new(|v| {
                    first_service(v)["states"]
                        .as_object_mut()
                        .unwrap()
                        .remove("refused");
                }),
            ),
            (
                "cannot be reached",
                Box::new(|v| {
                    first_service(v)["states"]["island"] =
                        serde_json::json!({"description": "nobody comes here"});
                }),
            ),
            (
                "listed twice",
                Box::new(|v| {
                    let s = v["services"][0].clone();
                    v["services"].as_array_mut().unwrap().push(s);
                }),
            ),
            (
                "unknown field",
                Box::new(|v| first_service(v)["colour"] = "blue".into()),
            ),
            (
                "is not one of",
                Box::new(|v| first_service(v)["signerRoles"] = serde_json::json!(["boss"])),
            ),
        ];
        for (expect, change) in cases {
            let err = with(change).expect_err(expect).to_string();
            assert!(err.contains(expect), "{expect}: {err}");
        }
    }

    #[test]
    fn terms_count_as_the_regulations_say() {
        use time::macros::{date, datetime};
        let cal = WorkingCalendar::kazakhstan();
        let at = |d: time::PrimitiveDateTime| {
            d.assume_offset(time::macros::offset!(+5)).unix_timestamp()
        };
        // (term, started at (Astana time), due)
        let cases = [
            // Friday 11 December 2026 + 1 working day: Monday. Tuesday 15th + 2: Independence Day (Wednesday
            // 16th) is off, so Friday.
            (
                Term::WorkingDays(1),
                datetime!(2026-12-11 10:00),
                Due::Day(date!(2026 - 12 - 14)),
            ),
            (
                Term::WorkingDays(2),
                datetime!(2026-12-15 10:00),
                Due::Day(date!(2026 - 12 - 18)),
            ),
            (
                Term::CalendarDays(1),
                datetime!(2026-12-31 23:30),
                Due::Day(date!(2027 - 01 - 01)),
            ),
            (
                Term::CalendarDays(5),
                datetime!(2026-12-12 09:00),
                Due::Day(date!(2026 - 12 - 17)),
            ),
            (
                Term::Hours(24),
                datetime!(2026-12-12 09:00),
                Due::Moment(at(datetime!(2026-12-13 09:00))),
            ),
        ];
        for (term, start, due) in cases {
            assert_eq!(
                term.due(&cal, at(start)),
                Some(due),
                "{term:?} from {start}"
            );
        }
        let due = Term::Hours(24)
            .due(&cal, at(datetime!(2026-12-12 09:00)))
            .unwrap();
        assert!(!due.is_past(at(datetime!(2026-12-13 09:00))));
        assert!(due.is_past(at(datetime!(2026-12-13 09:00)) + 1));
        let day = Due::Day(date!(2026 - 12 - 14));
        assert!(!day.is_past(at(datetime!(2026-12-14 23:59))));
        assert!(day.is_past(at(datetime!(2026-12-15 00:00))));
        assert_eq!(due.as_string(), "2026-12-13T09:00:00+05:00");
    }
}
