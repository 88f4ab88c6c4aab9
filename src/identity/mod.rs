//! Who someone is: IIN/BIN numbers and the identity carried in NCA certificates.

pub(crate) mod number;
pub(crate) mod profile;

pub(crate) use number::check_digit;
pub use number::{Bin, Iin};
pub use profile::Role;
pub(crate) use profile::{NameClaim, NameProblem, RoleNames, SubjectProfile};
