//! Kazakh individual (IIN) and business (BIN) identification numbers.
//!
//! Both are 12 digits with the same check digit: weights 1..11 mod 11, and when that gives 10 a second pass with
//! weights 3..11,1,2; a second 10 means no valid number has these 11 digits. The constructors are the only way to
//! build the types, so an [`Iin`] or [`Bin`] in hand always passed the checksum.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use thiserror::Error;

/// Which of the two identification numbers a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// An individual identification number (ЖСН/ИИН).
    Iin,
    /// A business identification number (БСН/БИН).
    Bin,
}

impl std::fmt::Display for IdKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IdKind::Iin => "IIN",
            IdKind::Bin => "BIN",
        })
    }
}

/// Why a string is not a valid identification number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdNumberError {
    /// `kind` must be exactly 12 digits, got `len` characters.
    #[error("{kind} must be exactly 12 digits, got {len} characters")]
    Length {
        /// `IIN` or `BIN`.
        kind: IdKind,
        /// How many characters were given.
        len: usize,
    },
    /// `kind` must contain only digits 0-9.
    #[error("{kind} must contain only digits 0-9")]
    NotDigits {
        /// `IIN` or `BIN`.
        kind: IdKind,
    },
    /// `kind` checksum does not match (last digit should be `expected`)
    #[error("{kind} checksum does not match (last digit should be {expected})")]
    Checksum {
        /// `IIN` or `BIN`.
        kind: IdKind,
        /// The check digit the first 11 digits call for.
        expected: String,
    },
    /// `kind` has no valid check digit for its first 11 digits.
    #[error("{kind} has no valid check digit for its first 11 digits")]
    NoCheckDigit {
        /// `IIN` or `BIN`.
        kind: IdKind,
    },
    /// IIN encodes an impossible birth date.
    #[error("IIN encodes an impossible birth date")]
    BirthDate,
}

const FIRST_WEIGHTS: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND_WEIGHTS: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// The check digit for the first 11 digits, or `None` when both passes give 10.
pub(crate) fn check_digit(first11: &[u8; 11]) -> Option<u8> {
    let sum = |w: &[u32; 11]| -> u32 {
        first11
            .iter()
            .zip(w)
            .map(|(d, w)| u32::from(*d) * w)
            .sum::<u32>()
            % 11
    };
    match sum(&FIRST_WEIGHTS) {
        10 => match sum(&SECOND_WEIGHTS) {
            10 => None,
            d => Some(d as u8),
        },
        d => Some(d as u8),
    }
}

fn parse_digits(kind: IdKind, s: &str) -> Result<[u8; 12], IdNumberError> {
    let bytes = s.as_bytes();
    if bytes.len() != 12 {
        return Err(IdNumberError::Length {
            kind,
            len: s.chars().count(),
        });
    }
    let mut digits = [0u8; 12];
    for (slot, b) in digits.iter_mut().zip(bytes) {
        if !b.is_ascii_digit() {
            return Err(IdNumberError::NotDigits { kind });
        }
        *slot = b - b'0';
    }
    let mut first11 = [0u8; 11];
    first11.copy_from_slice(&digits[..11]);
    match check_digit(&first11) {
        None => Err(IdNumberError::NoCheckDigit { kind }),
        Some(d) if d == digits[11] => Ok(digits),
        Some(d) => Err(IdNumberError::Checksum {
            kind,
            expected: d.to_string(),
        }),
    }
}

fn digits_to_string(d: &[u8; 12]) -> String {
    d.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Sex encoded in the 7th digit of an IIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Male (7th digit odd).
    Male,
    /// Female (7th digit even).
    Female,
}

/// An individual identification number (ЖСН / ИИН) that passed the checksum.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iin([u8; 12]);

impl Iin {
    /// Parses 12 digits, checking the check digit and the birth date.
    pub fn parse(s: &str) -> Result<Self, IdNumberError> {
        let digits = parse_digits(IdKind::Iin, s)?;
        let iin = Iin(digits);
        // The century digit 0 is used for some foreign residents; only 1..6 carry a birth date we can check.
        if iin.century_digit() != 0 && iin.birth_date().is_none() {
            return Err(IdNumberError::BirthDate);
        }
        Ok(iin)
    }

    fn century_digit(&self) -> u8 {
        self.0[6]
    }

    /// Date of birth from digits 1–6 and the century in digit 7; `None` when digit 7 does not encode one.
    pub fn birth_date(&self) -> Option<time::Date> {
        let century = match self.century_digit() {
            1 | 2 => 1800,
            3 | 4 => 1900,
            5 | 6 => 2000,
            _ => return None,
        };
        let yy = i32::from(self.0[0] * 10 + self.0[1]);
        let month = time::Month::try_from(self.0[2] * 10 + self.0[3]).ok()?;
        let day = self.0[4] * 10 + self.0[5];
        time::Date::from_calendar_date(century + yy, month, day).ok()
    }

    /// Sex from digit 7 (odd = male, even = female); `None` when digit 7 is 0 or above 6.
    pub fn sex(&self) -> Option<Sex> {
        match self.century_digit() {
            1 | 3 | 5 => Some(Sex::Male),
            2 | 4 | 6 => Some(Sex::Female),
            _ => None,
        }
    }

    /// The 12 digits.
    pub fn as_string(&self) -> String {
        digits_to_string(&self.0)
    }
}

/// What kind of entity a BIN was formed for (digit 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntityType {
    /// A resident legal entity (5th digit 4).
    ResidentLegalEntity,
    /// A non-resident legal entity (5th digit 5).
    NonResidentLegalEntity,
    /// An individual entrepreneur's joint venture (5th digit 6).
    JointEntrepreneurship,
    /// Any other 5th digit.
    Other(u8),
}

/// Which unit of the entity a BIN belongs to (digit 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntityAttribute {
    /// A head office (6th digit 0).
    HeadOffice,
    /// A branch (6th digit 1).
    Branch,
    /// A representative office (6th digit 2).
    RepresentativeOffice,
    /// A peasant or farm enterprise (6th digit 3).
    PeasantFarm,
    /// Any other 6th digit.
    Other(u8),
}

/// A business identification number (БСН / БИН) that passed the checksum.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bin([u8; 12]);

impl Bin {
    /// Parses 12 digits, checking the check digit.
    pub fn parse(s: &str) -> Result<Self, IdNumberError> {
        parse_digits(IdKind::Bin, s).map(Bin)
    }

    /// Year and month of registration (digits 1–4), as written: `(yy, mm)`.
    pub fn registration(&self) -> (u8, u8) {
        (self.0[0] * 10 + self.0[1], self.0[2] * 10 + self.0[3])
    }

    /// The kind of entity (5th digit).
    pub fn entity_type(&self) -> EntityType {
        match self.0[4] {
            4 => EntityType::ResidentLegalEntity,
            5 => EntityType::NonResidentLegalEntity,
            6 => EntityType::JointEntrepreneurship,
            d => EntityType::Other(d),
        }
    }

    /// Head office, branch or representation (6th digit).
    pub fn attribute(&self) -> EntityAttribute {
        match self.0[5] {
            0 => EntityAttribute::HeadOffice,
            1 => EntityAttribute::Branch,
            2 => EntityAttribute::RepresentativeOffice,
            3 => EntityAttribute::PeasantFarm,
            d => EntityAttribute::Other(d),
        }
    }

    /// The 12 digits.
    pub fn as_string(&self) -> String {
        digits_to_string(&self.0)
    }
}

macro_rules! number_traits {
    ($t:ident) => {
        impl FromStr for $t {
            type Err = IdNumberError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.as_string())
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($t), self.as_string())
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.as_string())
            }
        }
    };
}
number_traits!(Iin);
number_traits!(Bin);

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid number from 11 digits by appending the computed check digit.
    fn with_check(first11: &str) -> String {
        let mut d = [0u8; 11];
        for (slot, c) in d.iter_mut().zip(first11.bytes()) {
            *slot = c - b'0';
        }
        format!("{first11}{}", check_digit(&d).expect("has a check digit"))
    }

    #[test]
    fn first_pass_checksum() {
        // 8 7 0 4 1 2 3 0 0 1 2 -> sum of d*i = 8+14+0+16+5+12+21+0+0+10+22 = 108, 108 mod 11 = 9
        assert_eq!(check_digit(&[8, 7, 0, 4, 1, 2, 3, 0, 0, 1, 2]), Some(9));
        let iin = Iin::parse("870412300129").expect("valid");
        assert_eq!(iin.sex(), Some(Sex::Male));
        assert_eq!(iin.birth_date(), Some(time::macros::date!(1987 - 04 - 12)));
    }

    #[test]
    fn second_pass_checksum() {
        // Every 11-digit prefix of this birth date whose first pass gives 10 must be decided by the second weights.
        let mut checked = 0;
        for tail in 0..10_000u32 {
            let s = format!("8704123{tail:04}");
            let d: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
            let first: u32 = d
                .iter()
                .zip(FIRST_WEIGHTS)
                .map(|(a, w)| u32::from(*a) * w)
                .sum();
            if first % 11 != 10 {
                continue;
            }
            let second: u32 = d
                .iter()
                .zip(SECOND_WEIGHTS)
                .map(|(a, w)| u32::from(*a) * w)
                .sum();
            if second % 11 == 10 {
                continue;
            }
            let iin = format!("{s}{}", second % 11);
            assert!(Iin::parse(&iin).is_ok(), "{iin}");
            let wrong = format!("{s}{}", (second + 1) % 11 % 10);
            assert!(Iin::parse(&wrong).is_err(), "{wrong}");
            checked += 1;
        }
        assert!(checked > 100, "only {checked} second-pass numbers found");
    }

    #[test]
    fn rejects_bad_numbers() {
        assert!(matches!(
            Iin::parse("870412300128"),
            Err(IdNumberError::Checksum { .. })
        ));
        assert!(matches!(
            Iin::parse("87041230012"),
            Err(IdNumberError::Length { .. })
        ));
        assert!(matches!(
            Iin::parse("8704123001a9"),
            Err(IdNumberError::NotDigits { .. })
        ));
        assert!(matches!(
            Iin::parse("８７０４１２３００１２９"),
            Err(IdNumberError::Length { .. })
        ));
        // The NCA test PKI's placeholder does not pass.
        assert!(Iin::parse("123456789011").is_err());
        // 31 February
        assert_eq!(
            Iin::parse(&with_check("87023130012")),
            Err(IdNumberError::BirthDate)
        );
    }

    #[test]
    fn no_check_digit_is_invalid() {
        // Search for 11 digits where both passes give 10 and check that every 12th digit is rejected.
        let mut found = None;
        'outer: for n in 0u64..200_000 {
            let s = format!("{n:011}");
            let mut d = [0u8; 11];
            for (slot, c) in d.iter_mut().zip(s.bytes()) {
                *slot = c - b'0';
            }
            if check_digit(&d).is_none() {
                found = Some(s);
                break 'outer;
            }
        }
        let s = found.expect("such digits exist");
        for last in 0..10 {
            assert_eq!(
                Bin::parse(&format!("{s}{last}")),
                Err(IdNumberError::NoCheckDigit { kind: IdKind::Bin })
            );
        }
    }

    #[test]
    fn bin_fields() {
        let bin = Bin::parse(&with_check("04084000123")).expect("valid");
        assert_eq!(bin.registration(), (4, 8));
        assert_eq!(bin.entity_type(), EntityType::ResidentLegalEntity);
        assert_eq!(bin.attribute(), EntityAttribute::HeadOffice);
        let branch = Bin::parse(&with_check("10035100077")).expect("valid");
        assert_eq!(branch.entity_type(), EntityType::NonResidentLegalEntity);
        assert_eq!(branch.attribute(), EntityAttribute::Branch);
        assert_eq!(branch.to_string().len(), 12);
    }
}
