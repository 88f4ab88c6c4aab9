//! The workflow of README, "The application flow" as decisions with no I/O: what an application is, which services exist and how
//! long they take, which step may follow which, what goes on a licence or a refusal. The registry stores, the
//! HTTP layer carries; both ask this module what is allowed.

mod application;
mod calendar;
mod status;

pub use application::{
    duplicate_data, form_date, licence_data, refusal_data, reissue_data, service, ApplicantId,
    ApplicantKind, Application, ApplicationError, Provider, RefusalReason, Service,
    DECISION_FIELDS, DUPLICATE_MARK, MAX_APPLICATION, SERVICES,
};
pub use calendar::{WorkingCalendar, MAX_WORKING_DAYS};
pub use status::{
    ApplicationStatus, ApplicationStep, LicenceStatus, LifecycleAction, TransitionError,
};

pub use crate::clock::{local_date, local_year, LOCAL_OFFSET_SECONDS};
