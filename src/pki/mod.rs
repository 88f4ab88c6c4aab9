//! Public-key infrastructure: certificates, CRLs, the trust store, path validation and reports.

pub mod cert;
pub mod crl;
pub mod dp;
pub mod load;
pub mod name;
pub mod report;
pub mod revocation;
pub mod store;
pub mod validate;
mod walk;

#[cfg(test)]
mod rfc5280_tests;

pub use cert::{CertError, Certificate};
pub use crl::{Crl, CrlError, Reason};
pub use name::Name;
pub use report::{ChainEntry, Code, Findings, Indication, LaterRevocation, Report, SubjectSummary};
pub use revocation::RevocationStatus;
pub use store::{TrustStore, TrustStoreBuilder};
pub use validate::{Purpose, RevocationMode, VerifyOptions};
