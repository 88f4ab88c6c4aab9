//! Public-key infrastructure: certificates, CRLs, the trust store, path validation and reports.

pub(crate) mod cert;
pub(crate) mod crl;
pub(crate) mod dp;
pub(crate) mod evidence;
pub(crate) mod install;
pub(crate) mod load;
pub(crate) mod name;
pub(crate) mod ocsp;
pub(crate) mod reason;
pub(crate) mod report;
pub(crate) mod revocation;
pub(crate) mod store;
pub(crate) mod validate;
mod walk;

#[cfg(test)]
mod rfc5280_tests;

pub use cert::{CertError, Certificate};
pub use crl::Crl;
pub(crate) use name::Name;
pub use report::{Code, Etsi, Findings, Indication, Report, SubIndication};
pub use store::TrustStore;
pub use validate::{Purpose, RevocationMode, VerifyOptions};
