//! The two state machines of the flow: an application's (README, "The application flow" steps 1–5) and an issued licence's
//! (issued, re-issued, duplicate, suspended, resumed, terminated). They are pure: the registry asks them inside
//! its transaction, so two operators acting at once cannot both move the same thing.

use serde::Serialize;
use thiserror::Error;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ApplicationStatus {
    /// The signature could not be checked to the end because revocation data was not available (ours is stale
    /// or the NCA's responder and lists are unreachable): nothing negative is known. The service verifies it
    /// again until its deadline; the applicant is not refused for our data.
    VerificationPending,
    /// The signature verified; the portal has not reported the payment yet.
    AwaitingPayment,
    /// Paid and registered, with a due date; waiting for the operator.
    Registered,
    /// The operator approved: the licence is issued.
    Approved,
    /// Refused: EDS not confirmed, no payment, or the operator's reasoned refusal.
    Refused,
}

/// What can happen to an application after submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationStep {
    /// A pending verification ended well: the EDS is confirmed.
    Verified,
    /// A pending verification ended with a definite negative result, or its deadline passed: refused.
    NotVerified,
    /// The fee was paid.
    Paid,
    /// The fee was not paid in time.
    NotPaid,
    /// The provider approved: the licence is issued.
    Approve,
    /// The provider refused: the reasoned refusal is issued.
    Refuse,
}

/// A step that the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot {action} {what} that is {state}")]
pub struct TransitionError {
    /// What was acted on (`application`, `licence`).
    pub what: &'static str,
    /// The action tried.
    pub action: String,
    /// The state it is in.
    pub state: String,
}

impl ApplicationStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::VerificationPending => "verificationPending",
            ApplicationStatus::AwaitingPayment => "awaitingPayment",
            ApplicationStatus::Registered => "registered",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Refused => "refused",
        }
    }

    /// The status of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ApplicationStatus::VerificationPending,
            ApplicationStatus::AwaitingPayment,
            ApplicationStatus::Registered,
            ApplicationStatus::Approved,
            ApplicationStatus::Refused,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// The status after `step`, if `step` may happen now.
    pub fn after(self, step: ApplicationStep) -> Result<ApplicationStatus, TransitionError> {
        use ApplicationStatus::*;
        use ApplicationStep::*;
        match (self, step) {
            (VerificationPending, Verified) => Ok(AwaitingPayment),
            (VerificationPending, NotVerified) => Ok(Refused),
            (AwaitingPayment, Paid) => Ok(Registered),
            (AwaitingPayment, NotPaid) => Ok(Refused),
            (Registered, Approve) => Ok(Approved),
            (Registered, Refuse) => Ok(Refused),
            (state, step) => Err(TransitionError {
                what: "an application",
                action: format!("{step:?}").to_lowercase(),
                state: state.as_str().to_string(),
            }),
        }
    }
}

/// A licence's standing, as the public status check shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LicenceStatus {
    /// In force.
    Valid,
    /// Suspended; may be resumed.
    Suspended,
    /// Terminated for good.
    Terminated,
    /// Re-issued: a newer document replaces this one.
    Replaced,
}

impl LicenceStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LicenceStatus::Valid => "valid",
            LicenceStatus::Suspended => "suspended",
            LicenceStatus::Terminated => "terminated",
            LicenceStatus::Replaced => "replaced",
        }
    }
}

/// An operator's action on an issued licence (`POST /v1/documents/{id}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleAction {
    /// A new document with a new number replaces this one (переоформление).
    Reissue,
    /// A copy with the same number, marked as a duplicate.
    Duplicate,
    /// Suspend a valid licence.
    Suspend,
    /// Resume a suspended licence.
    Resume,
    /// Terminate a licence.
    Terminate,
}

impl LifecycleAction {
    /// The action of its API name (`suspend`, `resume`, `terminate`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "reissue" => LifecycleAction::Reissue,
            "duplicate" => LifecycleAction::Duplicate,
            "suspend" => LifecycleAction::Suspend,
            "resume" => LifecycleAction::Resume,
            "terminate" => LifecycleAction::Terminate,
            _ => return None,
        })
    }

    /// The event's name as stored and shown: what happened to the licence.
    pub fn event(self) -> &'static str {
        match self {
            LifecycleAction::Reissue => "reissued",
            LifecycleAction::Duplicate => "duplicated",
            LifecycleAction::Suspend => "suspended",
            LifecycleAction::Resume => "resumed",
            LifecycleAction::Terminate => "terminated",
        }
    }

    /// The action of a stored audit event name.
    pub fn from_event(s: &str) -> Option<Self> {
        [
            LifecycleAction::Reissue,
            LifecycleAction::Duplicate,
            LifecycleAction::Suspend,
            LifecycleAction::Resume,
            LifecycleAction::Terminate,
        ]
        .into_iter()
        .find(|a| a.event() == s)
    }

    fn verb(self) -> &'static str {
        match self {
            LifecycleAction::Reissue => "reissue",
            LifecycleAction::Duplicate => "duplicate",
            LifecycleAction::Suspend => "suspend",
            LifecycleAction::Resume => "resume",
            LifecycleAction::Terminate => "terminate",
        }
    }
}

impl LicenceStatus {
    /// The status after `action`, if `action` may happen now. Terminated and replaced licences are final.
    pub fn after(self, action: LifecycleAction) -> Result<LicenceStatus, TransitionError> {
        use LicenceStatus::*;
        use LifecycleAction::*;
        match (self, action) {
            (Valid, Suspend) => Ok(Suspended),
            (Suspended, Resume) => Ok(Valid),
            (Valid | Suspended, Terminate) => Ok(Terminated),
            (Valid | Suspended, Reissue) => Ok(Replaced),
            (Valid, Duplicate) => Ok(Valid),
            (state, action) => Err(TransitionError {
                what: "a licence",
                action: action.verb().to_string(),
                state: state.as_str().to_string(),
            }),
        }
    }

    /// The status after a history of events, oldest first.
    pub fn from_history(
        events: impl IntoIterator<Item = LifecycleAction>,
    ) -> Result<LicenceStatus, TransitionError> {
        events
            .into_iter()
            .try_fold(LicenceStatus::Valid, LicenceStatus::after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON of a status is the string the registry stores and the reports print (a contract).
    #[test]
    fn statuses_serialise_as_their_names() {
        for s in [
            ApplicationStatus::AwaitingPayment,
            ApplicationStatus::Registered,
            ApplicationStatus::Approved,
            ApplicationStatus::Refused,
        ] {
            assert_eq!(
                serde_json::to_value(s).expect("json"),
                serde_json::json!(s.as_str())
            );
        }
        for s in [
            LicenceStatus::Valid,
            LicenceStatus::Suspended,
            LicenceStatus::Terminated,
            LicenceStatus::Replaced,
        ] {
            assert_eq!(
                serde_json::to_value(s).expect("json"),
                serde_json::json!(s.as_str())
            );
        }
    }
    use LifecycleAction::*;

    #[test]
    fn application_moves_only_forward() {
        use ApplicationStatus::*;
        use ApplicationStep::*;
        assert_eq!(AwaitingPayment.after(Paid), Ok(Registered));
        assert_eq!(AwaitingPayment.after(NotPaid), Ok(Refused));
        assert_eq!(Registered.after(Approve), Ok(Approved));
        assert_eq!(Registered.after(Refuse), Ok(Refused));
        assert!(AwaitingPayment.after(Approve).is_err());
        assert!(Registered.after(Paid).is_err());
        for done in [Approved, Refused] {
            for step in [Paid, NotPaid, Approve, Refuse] {
                assert!(done.after(step).is_err(), "{done:?} {step:?}");
            }
        }
        for st in [AwaitingPayment, Registered, Approved, Refused] {
            assert_eq!(ApplicationStatus::parse(st.as_str()), Some(st));
        }
    }

    #[test]
    fn licence_lifecycle() {
        assert_eq!(
            LicenceStatus::from_history([Suspend, Resume, Duplicate]),
            Ok(LicenceStatus::Valid)
        );
        assert_eq!(
            LicenceStatus::from_history([Suspend]),
            Ok(LicenceStatus::Suspended)
        );
        assert_eq!(
            LicenceStatus::from_history([Suspend, Terminate]),
            Ok(LicenceStatus::Terminated)
        );
        assert_eq!(
            LicenceStatus::from_history([Reissue]),
            Ok(LicenceStatus::Replaced)
        );
        let err = LicenceStatus::Terminated.after(Resume).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resume a licence that is terminated"
        );
        assert!(LicenceStatus::Valid.after(Resume).is_err());
        assert!(LicenceStatus::Suspended.after(Suspend).is_err());
        assert!(LicenceStatus::Suspended.after(Duplicate).is_err());
        assert!(LicenceStatus::Replaced.after(Reissue).is_err());
        for a in [Reissue, Duplicate, Suspend, Resume, Terminate] {
            assert_eq!(LifecycleAction::from_event(a.event()), Some(a));
            assert_eq!(LifecycleAction::parse(a.verb()), Some(a));
        }
    }
}
