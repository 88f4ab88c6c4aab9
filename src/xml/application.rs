//! An application signed as XML (NCALayer's `signXml`) rather than CMS: its elements read into the JSON shape the
//! service's rules read (`{"service", "applicant": {"iin"|"bin", "name"}, "fields"?, "paymentReference"?}`), so the
//! rest of the flow is the same. Only elements of [`APPLICATION_NS`] count; signatures and anything else in
//! another namespace are not the application's. Nothing is verified here.
//!
//! ```xml
//! <application xmlns="urn:qoltanba:application:1" service="licence.private-bailiff" provider="south">
//!   <applicant iin="870412300129">ТЕСТОВ ТЕСТ ТЕСТОВИЧ</applicant>
//!   <paymentReference>KZ-PAY-1</paymentReference>
//!   <field name="special_conditions">…</field>
//!   <attachment name="diploma.pdf" type="application/pdf" size="123456" sha256="…"/>
//! </application>
//! ```

use serde_json::{Map, Value};

use super::parse::{self, attr};
use super::XmlError;

/// The namespace of an application's XML.
pub const APPLICATION_NS: &str = "urn:qoltanba:application:1";

fn bad(reason: impl Into<String>) -> XmlError {
    XmlError::Parse(format!("application: {}", reason.into()))
}

/// The application JSON an application's XML says, as bytes.
pub fn application_json(xml: &[u8]) -> Result<Vec<u8>, XmlError> {
    let doc = parse::parse(parse::text_of(xml)?)?;
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(APPLICATION_NS)
        || root.tag_name().name() != "application"
    {
        return Err(bad(format!(
            "the document element is {}, not {{{APPLICATION_NS}}}application",
            root.qname()
        )));
    }
    let service = attr(root, "service").ok_or_else(|| bad("no service attribute"))?;
    let mut applicant = None;
    let mut payment_reference = None;
    let mut fields = Map::new();
    let mut attachments = Vec::new();
    for child in root.children().filter(|c| c.is_element()) {
        if child.tag_name().namespace() != Some(APPLICATION_NS) {
            continue;
        }
        let text = child.text().unwrap_or("").trim().to_string();
        match child.tag_name().name() {
            "applicant" => {
                let mut a = Map::new();
                for key in ["iin", "bin"] {
                    if let Some(v) = attr(child, key) {
                        a.insert(key.into(), Value::String(v.to_string()));
                    }
                }
                a.insert("name".into(), Value::String(text));
                if applicant.replace(Value::Object(a)).is_some() {
                    return Err(bad("two applicant elements"));
                }
            }
            "paymentReference" => {
                if payment_reference.replace(Value::String(text)).is_some() {
                    return Err(bad("two paymentReference elements"));
                }
            }
            "attachment" => {
                let mut a = Map::new();
                for key in ["name", "type", "sha256"] {
                    let v = attr(child, key)
                        .ok_or_else(|| bad(format!("an attachment without {key}")))?;
                    a.insert(key.into(), Value::String(v.to_string()));
                }
                let size = attr(child, "size")
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| bad("an attachment without a size in bytes"))?;
                a.insert("size".into(), Value::from(size));
                attachments.push(Value::Object(a));
            }
            "field" => {
                let name = attr(child, "name").ok_or_else(|| bad("a field without a name"))?;
                if fields
                    .insert(name.to_string(), Value::String(text))
                    .is_some()
                {
                    return Err(bad(format!("field {name} given twice")));
                }
            }
            other => return Err(bad(format!("unknown element {other}"))),
        }
    }
    let mut out = Map::new();
    out.insert("service".into(), Value::String(service.to_string()));
    out.insert(
        "applicant".into(),
        applicant.ok_or_else(|| bad("no applicant element"))?,
    );
    if !fields.is_empty() {
        out.insert("fields".into(), Value::Object(fields));
    }
    if let Some(p) = payment_reference {
        out.insert("paymentReference".into(), p);
    }
    if let Some(p) = attr(root, "provider") {
        out.insert("provider".into(), Value::String(p.to_string()));
    }
    if !attachments.is_empty() {
        out.insert("attachments".into(), Value::Array(attachments));
    }
    serde_json::to_vec(&Value::Object(out)).map_err(|e| bad(e.to_string()))
}

/// The namespace of a step's XML (a head's signed decision).
pub const STEP_NS: &str = "urn:qoltanba:step:1";

/// The JSON of a step a head signed as XML (NCALayer's `signXml`), as bytes — what [`crate::service::workflow`]
/// reads from a CMS-signed one:
///
/// ```xml
/// <step xmlns="urn:qoltanba:step:1" application="QLT-APP-2026-000001" name="approve">
///   <field name="special_conditions">…</field>
///   <reason>…</reason>
///   <number>KZ79LAA00031584</number>
/// </step>
/// ```
pub fn step_json(xml: &[u8]) -> Result<Vec<u8>, XmlError> {
    let doc = parse::parse(parse::text_of(xml)?)?;
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(STEP_NS) || root.tag_name().name() != "step" {
        return Err(XmlError::Parse(format!(
            "step: the document element is {}, not {{{STEP_NS}}}step",
            root.qname()
        )));
    }
    let bad = |m: &str| XmlError::Parse(format!("step: {m}"));
    let mut out = Map::new();
    out.insert(
        "application".into(),
        Value::String(
            attr(root, "application")
                .ok_or_else(|| bad("no application attribute"))?
                .to_string(),
        ),
    );
    out.insert(
        "step".into(),
        Value::String(
            attr(root, "name")
                .ok_or_else(|| bad("no name attribute"))?
                .to_string(),
        ),
    );
    let mut fields = Map::new();
    for child in root.children().filter(|c| c.is_element()) {
        if child.tag_name().namespace() != Some(STEP_NS) {
            continue;
        }
        let text = child.text().unwrap_or("").trim().to_string();
        match child.tag_name().name() {
            "field" => {
                let name = attr(child, "name").ok_or_else(|| bad("a field without a name"))?;
                if fields
                    .insert(name.to_string(), Value::String(text))
                    .is_some()
                {
                    return Err(bad("a field given twice"));
                }
            }
            key @ ("reason" | "number") => {
                if out.insert(key.into(), Value::String(text)).is_some() {
                    return Err(bad("reason or number given twice"));
                }
            }
            _ => return Err(bad("unknown element")),
        }
    }
    if !fields.is_empty() {
        out.insert("fields".into(), Value::Object(fields));
    }
    serde_json::to_vec(&Value::Object(out)).map_err(|e| bad(&e.to_string()))
}

/// Whether stored signature bytes are XML (a DER CMS starts with a SEQUENCE, 0x30).
pub fn is_xml(signed: &[u8]) -> bool {
    let s = signed.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(signed);
    s.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_and_attachments_read_as_the_json_application_has_them() {
        let xml = format!(
            r#"<application xmlns="{APPLICATION_NS}" service="licence.security" provider="south">
                 <applicant bin="040840001231">ТОО «Қорған»</applicant>
                 <attachment name="устав.pdf" type="application/pdf" size="1024" sha256="{}"/>
               </application>"#,
            "ab".repeat(32)
        );
        let json: Value =
            serde_json::from_slice(&application_json(xml.as_bytes()).expect("read")).expect("json");
        assert_eq!(json["provider"], "south");
        assert_eq!(
            json["attachments"],
            serde_json::json!([{"name": "устав.pdf", "type": "application/pdf", "size": 1024,
                                "sha256": "ab".repeat(32)}])
        );
        let no_size = xml.replace(r#" size="1024""#, "");
        assert!(application_json(no_size.as_bytes()).is_err());
    }
}
