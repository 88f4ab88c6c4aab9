//! Helpers the hermetic and oracle halves share for http.

use crate::common::client::Answer;

use serde_json::json;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// A verdict (HTTP 200) that is invalid and names `code`.
pub fn assert_invalid_with(a: &Answer, code: &str) {
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let r = a.json();
    assert_eq!(r["valid"], false, "{r}");
    assert!(
        r["codes"].as_array().expect("codes").contains(&json!(code)),
        "{code} missing: {r}"
    );
}
