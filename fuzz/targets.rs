#![allow(dead_code)]
//! What each fuzz target does with its input, shared by the fuzz targets (`fuzz/fuzz_targets/`) and by the
//! regression test that replays the kept corpora (`tests/fuzz_corpus.rs`). Every function must answer any input —
//! a value or an error — without panicking, in bounded time and memory.

use std::sync::LazyLock;

use qoltanba::{TrustStore, VerifyOptions};

/// 2026-12-01T00:00:00Z: inside the demo PKI's validity.
const AT: i64 = 1_796_083_200;

static STORE: LazyLock<TrustStore> =
    LazyLock::new(|| qoltanba::demo_trust_store().expect("the demo trust store"));
static ISSUERS: LazyLock<qoltanba::Issuers> =
    LazyLock::new(|| qoltanba::demo_issuers().expect("the demo issuers"));

fn trust() -> qoltanba::SealTrust<'static> {
    qoltanba::SealTrust {
        store: &STORE,
        issuers: &ISSUERS,
    }
}

/// A DER certificate: parsed, then verified against the demo PKI.
pub fn certificate(data: &[u8]) {
    if let Ok(cert) = qoltanba::Certificate::from_der(data) {
        let _ = STORE.verify_certificate(&cert, &[], &VerifyOptions::at(AT));
    }
}

/// A DER CRL: parsed, then checked in a store under the demo root.
pub fn crl(data: &[u8]) {
    if qoltanba::Crl::from_der(data).is_ok() {
        let anchors: Vec<_> = STORE.anchors().cloned().collect();
        let mut builder = TrustStore::builder();
        for a in anchors {
            builder.add_anchor(a);
        }
        if builder.add_crl_der(data.to_vec()).is_ok() {
            let _ = builder.build();
        }
    }
}

/// A CMS SignedData: its content read, then verified attached and as detached.
pub fn cms(data: &[u8]) {
    let _ = qoltanba::attached_content(data);
    let opts = VerifyOptions::at(AT);
    let _ = qoltanba::verify_cms(&STORE, data, None, &[], &opts);
    let _ = qoltanba::verify_cms(&STORE, data, Some(b"content"), &[], &opts);
}

/// An XML document: every signature verified as an application's XML and as a SOAP envelope, and the document
/// canonicalised inclusively (with comments) and exclusively.
pub fn xml(data: &[u8]) {
    let opts = VerifyOptions::at(AT);
    let _ = qoltanba::verify_xml(&STORE, data, qoltanba::XmlProfile::Enveloped, &opts);
    let _ = qoltanba::verify_xml(&STORE, data, qoltanba::XmlProfile::Wsse, &opts);
    let _ = qoltanba::canonicalize_xml(
        data,
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
        &[],
        None,
    );
    let _ = qoltanba::canonicalize_xml(
        data,
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        &["#default".to_string(), "ds".to_string()],
        Some("t"),
    );
}

/// A key file (PKCS#8, PKCS#12 as the NCA writes them), with the NCA test password and without one.
pub fn keyfile(data: &[u8]) {
    let _ = qoltanba::read_signing_identity(data, Some("Qwerty12"));
    let _ = qoltanba::read_signing_identity(data, None);
}

/// Barcode texts, one a line: decoded and verified.
pub fn seal(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\n').collect();
    let _ = qoltanba::verify_seal(trust(), &parts, &VerifyOptions::at(AT));
}

/// A PDF: taken apart and verified as a document.
pub fn pdf(data: &[u8]) {
    let _ = qoltanba::verify_document(trust(), data, &VerifyOptions::at(AT));
}

/// A form (chosen by the first byte) and its data (the rest, as JSON): validated and, when it fits, rendered.
pub fn form_data(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let Ok(catalogue) = qoltanba::catalogue() else {
        return;
    };
    let ids: Vec<&String> = catalogue.keys().collect();
    let form = ids[usize::from(*first) % ids.len()];
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(rest) {
        let _ = qoltanba::issue(form, &value, "FUZZ-1", AT, None);
    }
}

/// A configuration file's text (no file it names is read: the paths lead nowhere).
pub fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ =
            qoltanba::ServiceConfig::from_toml(text, std::path::Path::new("/nonexistent"), |_| {
                None
            });
    }
}
