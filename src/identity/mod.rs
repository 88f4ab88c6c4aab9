//! Who someone is: IIN/BIN numbers and the identity carried in NCA certificates.

mod number;
mod profile;

pub use number::{check_digit, Bin, EntityAttribute, EntityType, IdNumberError, Iin, Sex};
pub use profile::{NameClaim, NameProblem, Role, RoleNames, SubjectProfile};
