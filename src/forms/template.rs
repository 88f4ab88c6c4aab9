//! The template file format and turning a template plus validated data into render blocks.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use super::schema::{
    check_rows, check_value, string_of, FieldError, FieldType, FieldValue, FormData,
    MAX_DATA_CHARS, MAX_TOTAL_ROWS,
};
use crate::render::Block;

/// Why a form template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// No form …
    #[error("no form {0}")]
    UnknownForm(String),
    /// Template is not valid: …
    #[error("template is not valid: {0}")]
    Invalid(String),
}

/// Names in Kazakh and Russian.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Bilingual {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
}

/// A field of the form's data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldSpec {
    /// The field's name in the data (and in `{placeholders}`).
    pub name: String,
    /// What the field is, in words (for `forms list` and error messages).
    pub description: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Whether the data may leave it out.
    #[serde(default)]
    pub optional: bool,
    /// Longest value accepted, in characters.
    #[serde(default = "default_max")]
    pub max: usize,
    /// The value from the seed's sample document (a string, or rows for a table).
    pub sample: Value,
}

fn default_max() -> usize {
    300
}

/// One block of the form's layout; text may hold `{field}` placeholders.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemplateBlock {
    /// Top line (the authority's name).
    Header(String),
    /// Centred bold title.
    Title(String),
    /// A paragraph.
    Paragraph(String),
    /// A bold line.
    Subtitle(String),
    /// A label and its value.
    Field {
        /// The label.
        label: String,
        /// The value, usually a placeholder.
        value: String,
        /// Small print under the value.
        #[serde(default)]
        caption: Option<String>,
    },
    /// Small print.
    Note(String),
    /// A table whose rows come from a table field; widths are proportions.
    DataTable {
        /// The table field.
        field: String,
        /// Column headers.
        headers: Vec<String>,
        /// Column widths, as proportions.
        widths: Vec<f32>,
    },
    /// One group of label/value lines per row of a table field: a heading (`{n}` is the row's number, `{cell1}`
    /// its first cell), an optional caption under it, then `labels` against the row's (remaining) cells.
    Repeat {
        /// The table field.
        field: String,
        /// The group's heading.
        heading: String,
        /// Small print under the heading.
        #[serde(default)]
        caption: Option<String>,
        /// Labels for the row's cells.
        labels: Vec<String>,
        /// Printed instead when there are no rows (a reference must say that nothing is registered, not stay
        /// silent).
        #[serde(default)]
        empty: Option<String>,
    },
    /// A table with fixed rows whose cells may hold placeholders; widths are proportions.
    Table {
        /// Column headers.
        headers: Vec<String>,
        /// Column widths, as proportions.
        widths: Vec<f32>,
        /// The rows' cells.
        rows: Vec<Vec<String>>,
    },
    /// The signed 2-D barcode's place, with its caption lines (Kazakh, then Russian).
    Seal(Vec<String>),
    /// Vertical space in points.
    Space(f32),
}

/// A form template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FormTemplate {
    /// The form id (design.md §4).
    pub id: String,
    /// Forms of one family share a layout (civil-registry, real-estate, legal-entity, licence, refusal...).
    pub family: String,
    /// The form's name in Kazakh and Russian.
    pub name: Bilingual,
    /// Where the text comes from (seed and section).
    pub source: String,
    /// The fields the data must (or may) give.
    pub fields: Vec<FieldSpec>,
    /// The layout, top to bottom.
    pub blocks: Vec<TemplateBlock>,
}

/// Placeholders every form may use, filled at issue: the document's number and issue date (DD.MM.YYYY).
pub(super) const BUILTIN_PLACEHOLDERS: [&str; 3] =
    ["document_number", "issue_date", "issue_date_kk"];

/// `{name}` placeholders of a text.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(&rest[start + 1..start + len]);
        rest = &rest[start + len + 1..];
    }
    out
}

/// The column count of the table field a `what` block (table, repeat) of `t` names; an error when the field is
/// missing or not a table.
fn table_columns(t: &FormTemplate, field: &str, what: &str) -> Result<usize, TemplateError> {
    let Some(spec) = t.fields.iter().find(|f| f.name == field) else {
        return Err(TemplateError::Invalid(format!(
            "{}: {what} names no field {field}",
            t.id
        )));
    };
    let FieldType::Table { columns } = spec.kind else {
        return Err(TemplateError::Invalid(format!(
            "{}: {field} is not a table field",
            t.id
        )));
    };
    Ok(columns)
}

/// Replaces `{name}` placeholders in one pass, so that a value containing braces is printed as it is.
fn fill(text: &str, data: &FormData) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(len) => {
                out.push_str(data.get(&rest[start + 1..start + len]).unwrap_or(""));
                rest = &rest[start + len + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The label/value groups of a repeated block.
fn repeat_blocks(
    rows: &[Vec<String>],
    heading: &str,
    caption: Option<&str>,
    labels: &[String],
) -> Vec<Block> {
    let first_in_heading = heading.contains("{cell1}");
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let first = row.first().map(String::as_str).unwrap_or("");
        out.push(Block::Subtitle(
            heading
                .replace("{n}", &(i + 1).to_string())
                .replace("{cell1}", first),
        ));
        if let Some(c) = caption {
            out.push(Block::Note(c.to_string()));
        }
        let cells = if first_in_heading {
            row.get(1..).unwrap_or_default()
        } else {
            &row[..]
        };
        for (label, value) in labels.iter().zip(cells) {
            out.push(Block::Field {
                label: label.clone(),
                value: value.clone(),
                caption: None,
            });
        }
        out.push(Block::Space(4.0));
    }
    out
}

impl FormTemplate {
    /// Parses a template and checks that every placeholder names a field, and every field is used.
    pub fn parse(source: &str) -> Result<FormTemplate, TemplateError> {
        let t: FormTemplate =
            serde_json::from_str(source).map_err(|e| TemplateError::Invalid(e.to_string()))?;
        let names: Vec<&str> = t.fields.iter().map(|f| f.name.as_str()).collect();
        let mut used = Vec::new();
        for block in &t.blocks {
            let texts: Vec<&str> = match block {
                TemplateBlock::Header(s)
                | TemplateBlock::Title(s)
                | TemplateBlock::Paragraph(s)
                | TemplateBlock::Subtitle(s)
                | TemplateBlock::Note(s) => vec![s],
                TemplateBlock::Field {
                    label,
                    value,
                    caption,
                } => {
                    let mut v = vec![label.as_str(), value.as_str()];
                    v.extend(caption.as_deref());
                    v
                }
                TemplateBlock::Seal(lines) => lines.iter().map(String::as_str).collect(),
                TemplateBlock::Table { headers, rows, .. } => headers
                    .iter()
                    .chain(rows.iter().flatten())
                    .map(String::as_str)
                    .collect(),
                TemplateBlock::DataTable {
                    field,
                    headers,
                    widths,
                } => {
                    let columns = table_columns(&t, field, "table")?;
                    if headers.len() != columns || widths.len() != columns {
                        return Err(TemplateError::Invalid(format!(
                            "{}: table {field} needs {columns} headers and widths",
                            t.id
                        )));
                    }
                    used.push(field.clone());
                    headers.iter().map(String::as_str).collect()
                }
                TemplateBlock::Repeat {
                    field,
                    heading,
                    caption,
                    labels,
                    empty,
                } => {
                    let columns = table_columns(&t, field, "repeat")?;
                    let first_in_heading = heading.contains("{cell1}");
                    if labels.len() + usize::from(first_in_heading) != columns {
                        return Err(TemplateError::Invalid(format!(
                            "{}: repeat {field} needs a label per cell",
                            t.id
                        )));
                    }
                    used.push(field.clone());
                    let mut v: Vec<&str> = labels.iter().map(String::as_str).collect();
                    v.extend(caption.as_deref());
                    v.extend(empty.as_deref());
                    v
                }
                TemplateBlock::Space(_) => vec![],
            };
            for text in texts {
                for p in placeholders(text) {
                    if BUILTIN_PLACEHOLDERS.contains(&p) {
                        continue;
                    }
                    if !names.contains(&p) {
                        return Err(TemplateError::Invalid(format!(
                            "{}: placeholder {{{p}}} names no field",
                            t.id
                        )));
                    }
                    used.push(p.to_string());
                }
            }
        }
        if let Some(unused) = names.iter().find(|n| !used.iter().any(|u| u == *n)) {
            return Err(TemplateError::Invalid(format!(
                "{}: field {unused} is never printed",
                t.id
            )));
        }
        if !t.blocks.iter().any(|b| matches!(b, TemplateBlock::Seal(_))) {
            return Err(TemplateError::Invalid(format!(
                "{}: no place for the barcode",
                t.id
            )));
        }
        for f in &t.fields {
            let checked = match (&f.kind, &f.sample) {
                (FieldType::Table { columns }, rows) => {
                    check_rows(&f.name, *columns, rows, f.max, |_| true).map(|_| ())
                }
                (kind, Value::String(s)) => check_value(&f.name, kind, s, f.max, |_| true),
                // An optional field may have no sample: the seed's document does not show it.
                (_, Value::Null) if f.optional => Ok(()),
                _ => Err(FieldError::NotAString {
                    field: f.name.clone(),
                }),
            };
            checked.map_err(|e| TemplateError::Invalid(format!("{}: sample {e}", t.id)))?;
        }
        Ok(t)
    }

    /// The seed's sample values, as a JSON object.
    pub fn sample(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .filter(|f| !f.sample.is_null())
                .map(|f| (f.name.clone(), f.sample.clone()))
                .collect(),
        )
    }

    /// Validates data for this form: every field present and well-formed, no unknown fields.
    pub fn validate(
        &self,
        data: &Value,
        printable: impl Fn(char) -> bool,
    ) -> Result<FormData, FieldError> {
        let obj = data.as_object().ok_or(FieldError::NotAnObject)?;
        if let Some(unknown) = obj
            .keys()
            .find(|k| !self.fields.iter().any(|f| &f.name == *k))
        {
            return Err(FieldError::Unknown(unknown.clone()));
        }
        let mut values = BTreeMap::new();
        for f in &self.fields {
            match obj.get(&f.name) {
                None | Some(Value::Null) if f.optional => {}
                None | Some(Value::Null) => return Err(FieldError::Missing(f.name.clone())),
                Some(v) => {
                    let value = match f.kind {
                        FieldType::Table { columns } => {
                            FieldValue::Rows(check_rows(&f.name, columns, v, f.max, &printable)?)
                        }
                        ref kind => {
                            let s = string_of(&f.name, v)?;
                            check_value(&f.name, kind, &s, f.max, &printable)?;
                            FieldValue::Text(s)
                        }
                    };
                    values.insert(f.name.clone(), value);
                }
            }
        }
        let (mut chars, mut rows) = (0usize, 0usize);
        for v in values.values() {
            match v {
                FieldValue::Text(t) => chars += t.chars().count(),
                FieldValue::Rows(r) => {
                    rows += r.len();
                    chars += r.iter().flatten().map(|c| c.chars().count()).sum::<usize>();
                }
            }
        }
        if rows > MAX_TOTAL_ROWS {
            return Err(FieldError::TooLarge(format!(
                "{rows} table rows, more than {MAX_TOTAL_ROWS}"
            )));
        }
        if chars > MAX_DATA_CHARS {
            return Err(FieldError::TooLarge(format!(
                "{chars} characters of text, more than {MAX_DATA_CHARS}"
            )));
        }
        Ok(FormData::from_checked(values))
    }

    /// The render blocks of this form filled with `data`.
    /// `codes` are the seal's barcode texts, printed where the template puts the seal.
    pub fn blocks(&self, data: &FormData, codes: &[String]) -> Vec<Block> {
        self.blocks
            .iter()
            .flat_map(|b| render_block(b, data, codes))
            .collect()
    }
}

/// The render blocks of one template block: one, or a group per row for a repeated block.
fn render_block(b: &TemplateBlock, data: &FormData, codes: &[String]) -> Vec<Block> {
    let one = match b {
        TemplateBlock::Repeat {
            field,
            heading,
            caption,
            labels,
            empty,
        } => {
            let rows = data.rows(field).unwrap_or_default();
            if rows.is_empty() {
                return empty
                    .iter()
                    .map(|e| Block::Paragraph(fill(e, data)))
                    .collect();
            }
            return repeat_blocks(rows, heading, caption.as_deref(), labels);
        }
        TemplateBlock::Header(s) => Block::Header(fill(s, data)),
        TemplateBlock::Title(s) => Block::Title(fill(s, data)),
        TemplateBlock::Paragraph(s) => {
            let text = fill(s, data);
            // A paragraph made only of absent optional fields is left out rather than printed empty.
            if text.trim().is_empty() {
                return Vec::new();
            }
            Block::Paragraph(text)
        }
        TemplateBlock::Subtitle(s) => Block::Subtitle(fill(s, data)),
        TemplateBlock::Field {
            label,
            value,
            caption,
        } => Block::Field {
            label: fill(label, data),
            value: fill(value, data),
            caption: caption.as_ref().map(|c| fill(c, data)),
        },
        TemplateBlock::Note(s) => Block::Note(fill(s, data)),
        TemplateBlock::Seal(lines) => Block::Seal {
            codes: codes.to_vec(),
            size: 110.0,
            caption: lines.iter().map(|l| fill(l, data)).collect(),
        },
        TemplateBlock::DataTable {
            field,
            headers,
            widths,
        } => Block::Table {
            columns: headers.clone(),
            widths: widths.clone(),
            rows: data
                .rows(field)
                .map(<[Vec<String>]>::to_vec)
                .unwrap_or_default(),
        },
        TemplateBlock::Table {
            headers,
            widths,
            rows,
        } => Block::Table {
            columns: headers.iter().map(|h| fill(h, data)).collect(),
            widths: widths.clone(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| fill(c, data)).collect())
                .collect(),
        },
        TemplateBlock::Space(h) => Block::Space(*h),
    };
    vec![one]
}
