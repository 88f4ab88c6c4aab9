//! An issued licence's state machine (issued, re-issued, duplicate, suspended, resumed, terminated), and the
//! error every refused step gives. An application's states are its service's, in [`super::catalogue`]. Both are
//! pure: the registry checks the state inside its transaction, so two operators acting at once cannot both move
//! the same thing.

use serde::Serialize;
use thiserror::Error;

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

/// An operator's action on an issued licence (`POST /v1/documents/{id}/{action}`), or the licensee's re-issue
/// and duplicate applications' (the service catalogue names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleAction::Reissue => "reissue",
            LifecycleAction::Duplicate => "duplicate",
            LifecycleAction::Suspend => "suspend",
            LifecycleAction::Resume => "resume",
            LifecycleAction::Terminate => "terminate",
        }
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
