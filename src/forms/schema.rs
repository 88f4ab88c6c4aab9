//! Form data: field types with their formats, and validation that names the field at fault.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::identity::{Bin, Iin};

/// The type of one field's value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    /// Free text (names, addresses): printable characters the document font has.
    Text,
    /// An IIN that passes the checksum.
    Iin,
    /// A BIN that passes the checksum.
    Bin,
    /// A date written DD.MM.YYYY.
    Date,
    /// A civil-registry act record number, NN-NNN-YY-NNNNNNN.
    ActRecord,
    /// Digits only (request numbers).
    Number,
    /// Rows of a table: a JSON array of rows, each an array of `columns` strings (cells may be empty).
    Table {
        /// How many cells each row has.
        columns: usize,
    },
}

/// Most rows a table field may have.
pub const MAX_ROWS: usize = 100;
/// Most rows all of a document's tables may have together.
pub(crate) const MAX_TOTAL_ROWS: usize = 200;
/// Most characters of text a document's data may hold, all fields and cells together. With the rows limit this is
/// what one request may make the service render and seal: a few pages, a few milliseconds, a seal every verifier
/// reads (the largest real reference, with four tables, has about 2 000).
pub const MAX_DATA_CHARS: usize = 20_000;

/// A validated value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// A text field's value.
    Text(String),
    /// A table field's rows of cells.
    Rows(Vec<Vec<String>>),
}

/// Why data does not fit a form.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldError {
    /// The data must be a JSON object of fields.
    #[error("the data must be a JSON object of fields")]
    NotAnObject,
    /// Field … is missing.
    #[error("field {0} is missing")]
    Missing(String),
    /// Field … is not part of this form.
    #[error("field {0} is not part of this form")]
    Unknown(String),
    /// Field `field` must be a string.
    #[error("field {field} must be a string")]
    NotAString {
        /// The field's name.
        field: String,
    },
    /// Field `field` is empty.
    #[error("field {field} is empty")]
    Empty {
        /// The field's name.
        field: String,
    },
    /// Field `field` is `len` characters long, more than `max`.
    #[error("field {field} is {len} characters long, more than {max}")]
    TooLong {
        /// The field's name.
        field: String,
        /// Its length in characters.
        len: usize,
        /// The most the form allows.
        max: usize,
    },
    /// Field `field` contains a control character (U+`code`)
    #[error("field {field} contains a control character (U+{code:04X})")]
    ControlCharacter {
        /// The field's name.
        field: String,
        /// The character's code point.
        code: u32,
    },
    /// Field `field` contains a character the document font cannot print (U+`code`)
    #[error("field {field} contains a character the document font cannot print (U+{code:04X})")]
    Unprintable {
        /// The field's name.
        field: String,
        /// The character's code point.
        code: u32,
    },
    /// Field `field`: `message`.
    #[error("field {field}: {message}")]
    Format {
        /// The field's name.
        field: String,
        /// What the format requires.
        message: String,
    },
    /// The data is too large for one document: …
    #[error("the data is too large for one document: {0}")]
    TooLarge(String),
}

/// Validated form data: field name → value, in a canonical (sorted) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormData {
    values: BTreeMap<String, FieldValue>,
}

impl FormData {
    /// A text field's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(FieldValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// A table field's rows.
    pub fn rows(&self, name: &str) -> Option<&[Vec<String>]> {
        match self.values.get(name) {
            Some(FieldValue::Rows(r)) => Some(r),
            _ => None,
        }
    }

    /// This data with the document's number and issue date added for printing (not part of the canonical data).
    pub fn with_document(&self, number: &str, issue_date: &str) -> FormData {
        let mut values = self.values.clone();
        values.insert(
            "document_number".into(),
            FieldValue::Text(number.to_string()),
        );
        values.insert(
            "issue_date".into(),
            FieldValue::Text(issue_date.to_string()),
        );
        if let Some(kk) = kazakh_date(issue_date) {
            values.insert("issue_date_kk".into(), FieldValue::Text(kk));
        }
        FormData { values }
    }

    /// The fields by name.
    pub fn values(&self) -> &BTreeMap<String, FieldValue> {
        &self.values
    }

    /// The canonical JSON of the data: keys sorted, no whitespace. What a signature over the document covers.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(&self.values).unwrap_or_default()
    }

    pub(crate) fn from_checked(values: BTreeMap<String, FieldValue>) -> FormData {
        FormData { values }
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks one value against its type.
pub(crate) fn check_value(
    field: &str,
    kind: &FieldType,
    value: &str,
    max_len: usize,
    printable: impl Fn(char) -> bool,
) -> Result<(), FieldError> {
    let err = |message: &str| FieldError::Format {
        field: field.to_string(),
        message: message.to_string(),
    };
    if value.trim().is_empty() {
        return Err(FieldError::Empty {
            field: field.to_string(),
        });
    }
    let len = value.chars().count();
    if len > max_len {
        return Err(FieldError::TooLong {
            field: field.to_string(),
            len,
            max: max_len,
        });
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(FieldError::ControlCharacter {
            field: field.to_string(),
            code: u32::from(c),
        });
    }
    if let Some(c) = value.chars().find(|c| !c.is_whitespace() && !printable(*c)) {
        return Err(FieldError::Unprintable {
            field: field.to_string(),
            code: u32::from(c),
        });
    }
    match kind {
        FieldType::Text | FieldType::Table { .. } => Ok(()),
        FieldType::Iin => Iin::parse(value)
            .map(|_| ())
            .map_err(|e| err(&e.to_string())),
        FieldType::Bin => Bin::parse(value)
            .map(|_| ())
            .map_err(|e| err(&e.to_string())),
        FieldType::Number => {
            if digits(value) {
                Ok(())
            } else {
                Err(err("must contain only digits"))
            }
        }
        FieldType::Date => {
            let parts: Vec<&str> = value.split('.').collect();
            let ok = parts.len() == 3
                && parts[0].len() == 2
                && parts[1].len() == 2
                && parts[2].len() == 4
                && parts.iter().all(|p| digits(p));
            if !ok {
                return Err(err("must be a date written DD.MM.YYYY"));
            }
            let n = |s: &str| s.parse::<u16>().unwrap_or(0);
            let month =
                time::Month::try_from(n(parts[1]) as u8).map_err(|_| err("has no such month"))?;
            time::Date::from_calendar_date(i32::from(n(parts[2])), month, n(parts[0]) as u8)
                .map(|_| ())
                .map_err(|_| err("is not a calendar date"))
        }
        FieldType::ActRecord => {
            let parts: Vec<&str> = value.split('-').collect();
            let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
            if lens == [2, 3, 2, 7] && parts.iter().all(|p| digits(p)) {
                Ok(())
            } else {
                Err(err("must be an act record number NN-NNN-YY-NNNNNNN"))
            }
        }
    }
}

/// Checks a table field: rows of `columns` cells, each printable text (empty allowed).
pub(crate) fn check_rows(
    field: &str,
    columns: usize,
    v: &Value,
    max_len: usize,
    printable: impl Fn(char) -> bool,
) -> Result<Vec<Vec<String>>, FieldError> {
    let err = |message: String| FieldError::Format {
        field: field.to_string(),
        message,
    };
    let rows = v
        .as_array()
        .ok_or_else(|| err("must be an array of rows".into()))?;
    if rows.len() > MAX_ROWS {
        return Err(err(format!(
            "has {} rows, more than {MAX_ROWS}",
            rows.len()
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let cells = row
            .as_array()
            .filter(|c| c.len() == columns)
            .ok_or_else(|| {
                err(format!(
                    "row {} must be an array of {columns} strings",
                    i + 1
                ))
            })?;
        let mut r = Vec::with_capacity(columns);
        for (j, cell) in cells.iter().enumerate() {
            let name = format!("{field}[{}][{}]", i + 1, j + 1);
            let s = string_of(&name, cell)?;
            if !s.is_empty() {
                check_value(&name, &FieldType::Text, &s, max_len, &printable)?;
            }
            r.push(s);
        }
        out.push(r);
    }
    Ok(out)
}

/// The string value of a JSON field.
pub(crate) fn string_of(field: &str, v: &Value) -> Result<String, FieldError> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| FieldError::NotAString {
            field: field.to_string(),
        })
}

/// `DD.MM.YYYY` as the licence form writes a date: `2026 жылғы "02" желтоқсан` (seed 002, «Лицензия нысаны»:
/// `20 _____ жылғы "___" _____`).
fn kazakh_date(date: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "қаңтар",
        "ақпан",
        "наурыз",
        "сәуір",
        "мамыр",
        "маусым",
        "шілде",
        "тамыз",
        "қыркүйек",
        "қазан",
        "қараша",
        "желтоқсан",
    ];
    let mut parts = date.split('.');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    let month: usize = month.parse().ok()?;
    let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !ok(day, 2) || !ok(year, 4) {
        return None;
    }
    let name = MONTHS.get(month.checked_sub(1)?)?;
    Some(format!("{year} жылғы \"{day}\" {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: FieldType, v: &str) -> Result<(), FieldError> {
        check_value("f", &kind, v, 100, |_| true)
    }

    #[test]
    fn dates_are_written_as_the_licence_form_writes_them() {
        assert_eq!(
            super::kazakh_date("02.12.2026").as_deref(),
            Some("2026 жылғы \"02\" желтоқсан")
        );
        assert_eq!(
            super::kazakh_date("31.01.2027").as_deref(),
            Some("2027 жылғы \"31\" қаңтар")
        );
        for bad in [
            "2026-12-02",
            "02.13.2026",
            "02.00.2026",
            "2.12.2026",
            "02.12.2026.1",
            "",
        ] {
            assert_eq!(super::kazakh_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats() {
        assert!(check(FieldType::Iin, "870412300129").is_ok());
        assert!(
            matches!(check(FieldType::Iin, "870412300128"), Err(FieldError::Format { message, .. }) if message.contains("checksum"))
        );
        assert!(check(FieldType::Bin, "040840001231").is_ok());
        assert!(check(FieldType::Bin, "040840001239").is_err());
        assert!(check(FieldType::Date, "29.02.2024").is_ok());
        assert!(check(FieldType::Date, "29.02.2023").is_err());
        assert!(check(FieldType::Date, "1.02.2023").is_err());
        assert!(check(FieldType::ActRecord, "10-101-09-0000007").is_ok());
        assert!(check(FieldType::ActRecord, "10-101-09-000000x").is_err());
        assert!(check(FieldType::Number, "00154").is_ok());
        assert!(check(FieldType::Number, "0015a").is_err());
        assert!(matches!(
            check(FieldType::Text, &"x".repeat(101)),
            Err(FieldError::TooLong { len: 101, .. })
        ));
    }
}
