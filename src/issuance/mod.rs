//! The workflow of README, "The application flow" as decisions with no I/O: what an application is, which services exist and how
//! long they take, which step may follow which, what goes on a licence or a refusal. The registry stores, the
//! HTTP layer carries; both ask this module what is allowed.

pub(crate) mod application;
pub(crate) mod calendar;
pub(crate) mod catalogue;
pub(crate) mod status;

pub(crate) use application::{
    duplicate_data, reissue_data, ApplicantId, Application, ApplicationError, RefusalReason,
};
pub use application::{AttachedFile, MediaType, Provider, DUPLICATE_MARK, MAX_ATTACHMENTS};
pub use calendar::WorkingCalendar;
pub(crate) use status::TransitionError;
pub use status::{LicenceStatus, LifecycleAction};

pub(crate) use crate::clock::{local_date, local_year};
