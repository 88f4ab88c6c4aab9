//! NCANode v3's JSON shapes (`../shared/notes/ncanode-v3-api.md`, read from NCANode's `dto/` and
//! `CertificateWrapper`), built from our certificates and reports: field names, which fields are `null` and which
//! absent, dates with milliseconds and `+00:00`, serials in lower-case hex without leading zeros, Kalkan's
//! algorithm names, the subject read as NCANode reads it. Only the shapes are NCANode's; every verdict is ours.

use base64::Engine;
use serde::Serialize;

use crate::encoding::oid;
use crate::pki::report::{ChainEntry, RevocationVerdict};
use crate::pki::Certificate;

/// `java.util.Date` as NCANode's Jackson writes it: ISO-8601, UTC, milliseconds, `+00:00`.
pub(crate) fn date(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000+00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `CertificateSubject` (`@JsonInclude(NON_NULL)`): absent fields are left out.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Subject {
    #[serde(skip_serializing_if = "Option::is_none")]
    common_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sur_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locality: Option<String>,
    dn: String,
}

/// A name as Java's `X500Principal.toString()` prints it, which is NCANode's `dn`: the attributes in reverse DER
/// order joined by `", "`, Java's keywords (`EMAILADDRESS`, `OID.…` for a type it has no keyword for), and a
/// value holding any of `,+=<>#;"\` or a line break, or beginning or ending with a space, quoted in `"`, its `"` and
/// `\` escaped. `None` when the name cannot be read.
pub(crate) fn java_dn(name_der: &[u8]) -> Option<String> {
    let (_, name) =
        <x509_parser::x509::X509Name as x509_parser::prelude::FromDer<'_, _>>::from_der(name_der)
            .ok()?;
    let mut parts: Vec<String> = crate::pki::name::text_attributes(&name)
        .map(|(attr, value)| {
            let keyword = match crate::pki::name::short_name(attr) {
                Some("E") => "EMAILADDRESS".to_string(),
                Some(k) => k.to_string(),
                None => match oid::from_der_contents(attr) {
                    Ok(o) => format!("OID.{o}"),
                    Err(_) => "OID".to_string(),
                },
            };
            let special = value.chars().any(|c| {
                matches!(
                    c,
                    ',' | '+' | '=' | '<' | '>' | '#' | ';' | '"' | '\\' | '\n' | '\r'
                )
            }) || value.starts_with(' ')
                || value.ends_with(' ');
            if special {
                let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
                format!("{keyword}=\"{escaped}\"")
            } else {
                format!("{keyword}={value}")
            }
        })
        .collect();
    parts.reverse();
    Some(parts.join(", "))
}

/// A name as Bouncy Castle's `X500Name.toString()` prints it (its default `BCStyle`), which is how NCANode's
/// `TspInfo.tsa` shows a TSA's directory name: the attributes in DER order joined by `","`, BC's keywords (the
/// dotted OID for a type it has no keyword for), and `,"\+=<>;` escaped with `\`, as are a leading `#` and
/// leading or trailing spaces.
pub(crate) fn bc_dn(name_der: &[u8]) -> Option<String> {
    let (_, name) =
        <x509_parser::x509::X509Name as x509_parser::prelude::FromDer<'_, _>>::from_der(name_der)
            .ok()?;
    let parts: Vec<String> = crate::pki::name::text_attributes(&name)
        .map(|(attr, value)| {
            let keyword = match crate::pki::name::short_name(attr) {
                Some(k) => k.to_string(),
                None => oid::from_der_contents(attr)
                    .map(|o| o.to_string())
                    .unwrap_or_default(),
            };
            let mut escaped = String::with_capacity(value.len());
            for c in value.chars() {
                if matches!(c, ',' | '"' | '\\' | '+' | '=' | '<' | '>' | ';') {
                    escaped.push('\\');
                }
                escaped.push(c);
            }
            if escaped.starts_with('#') || escaped.starts_with(' ') {
                escaped.insert(0, '\\');
            }
            if escaped.ends_with(' ') {
                escaped.insert(escaped.len() - 1, '\\');
            }
            format!("{keyword}={escaped}")
        })
        .collect();
    Some(parts.join(","))
}

/// NCANode's `TspInfo` of a signer's signature timestamp token, as read from its `TSTInfo`.
pub(crate) fn tsp_info(info: &crate::cms::TimestampInfo) -> serde_json::Value {
    let tsa = info.tsa_field.as_ref().and_then(|(tag, bytes)| match tag {
        4 => bc_dn(bytes).map(|dn| format!("4: {dn}")),
        1 | 2 | 6 => Some(format!("{tag}: {}", String::from_utf8_lossy(bytes))),
        _ => None,
    });
    // Kalkan's names for the imprint algorithms NCANode maps; none for Streebog (it has no mapping).
    let algorithm = [
        (oid::digest::SHA1, "SHA1"),
        (oid::digest::SHA256, "SHA256"),
        (oid::digest::SHA384, "SHA384"),
        (oid::digest::SHA512, "SHA512"),
        (oid::digest::NCA_GOST34311, "GOST34311"),
    ]
    .into_iter()
    .find(|(o, _)| o.to_string() == info.imprint_algorithm)
    .map(|(_, name)| name);
    serde_json::json!({
        "serialNumber": crate::encoding::hex(&info.serial_bytes),
        "genTime": date(info.gen_time_unix.secs()),
        "policy": info.policy,
        "tsa": tsa,
        "tspHashAlgorithm": algorithm,
        "hash": info.imprint,
    })
}

/// A subject or issuer name read as NCANode reads `X500Principal.toString()`: each attribute in DER order, a
/// later one overwriting an earlier; `SERIALNUMBER` gives the IIN (or, beginning with `BIN`, the BIN), any `OU`
/// the BIN; `GIVENNAME` and `ST` are never read (NCANode looks for `G` and `S`).
pub(crate) fn subject(name_der: &[u8], dn: String) -> Subject {
    let mut s = Subject {
        dn,
        ..Subject::default()
    };
    let Ok((_, name)) =
        <x509_parser::x509::X509Name as x509_parser::prelude::FromDer<'_, _>>::from_der(name_der)
    else {
        return s;
    };
    for (attr, value) in crate::pki::name::text_attributes(&name) {
        match attr {
            a if a == oid::attr::COMMON_NAME.as_bytes() => s.common_name = Some(value),
            a if a == oid::attr::SURNAME.as_bytes() => s.sur_name = Some(value),
            a if a == oid::attr::SERIAL_NUMBER.as_bytes() => match value.strip_prefix("BIN") {
                Some(bin) => s.bin = Some(bin.to_string()),
                None => s.iin = Some(value.strip_prefix("IIN").unwrap_or(&value).to_string()),
            },
            a if a == oid::attr::COUNTRY.as_bytes() => s.country = Some(value),
            a if a == oid::attr::LOCALITY.as_bytes() => s.locality = Some(value),
            a if a == oid::attr::EMAIL.as_bytes() => s.email = Some(value),
            a if a == oid::attr::ORGANIZATION.as_bytes() => s.organization = Some(value),
            a if a == oid::attr::ORGANIZATIONAL_UNIT.as_bytes() => {
                s.bin = Some(value.strip_prefix("BIN").unwrap_or(&value).to_string())
            }
            _ => {}
        }
    }
    s
}

/// `CertificateRevocationStatus`.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Revocation {
    revoked: bool,
    by: &'static str,
    revocation_time: Option<String>,
    reason: Option<String>,
}

/// `CertificateInfo` (`@JsonInclude(NON_NULL)`).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CertificateInfo {
    /// Qoltanba's verdict on this certificate (its path, dates and revocation), not NCANode's one-hop check.
    valid: bool,
    revocations: Vec<Revocation>,
    not_before: String,
    not_after: String,
    key_usage: &'static str,
    serial_number: String,
    sign_alg: String,
    key_user: Vec<&'static str>,
    public_key: String,
    signature: String,
    subject: Subject,
    issuer: Subject,
}

/// Kalkan's name of a certificate's signature algorithm; the OID itself for one Kalkan has no name for (as
/// NCANode-Go does).
fn sign_alg(cert: &Certificate) -> String {
    use oid::signature as s;
    let alg = &cert.signature_algorithm().oid;
    let name = [
        (s::RSA_SHA1, "SHA1WithRSAEncryption"),
        (s::RSA_SHA256, "SHA256WithRSAEncryption"),
        (s::RSA_SHA384, "SHA384WithRSAEncryption"),
        (s::RSA_SHA512, "SHA512WithRSAEncryption"),
        (s::ECDSA_SHA256, "SHA256WITHECDSA"),
        (s::ECDSA_SHA384, "SHA384WITHECDSA"),
        (s::ECDSA_SHA512, "SHA512WITHECDSA"),
        (s::GOST_NCA_34310, "ECGOST34310"),
        (s::GOST_NCA_256, "ECGOST3410-2015-256"),
        (s::GOST_NCA_512, "ECGOST3410-2015-512"),
    ]
    .into_iter()
    .find(|(o, _)| o == alg)
    .map(|(_, n)| n.to_string());
    name.unwrap_or_else(|| alg.to_string())
}

/// NCANode's `keyUser`: the NCA roles and privileges among the certificate's extended key usages, in a fixed
/// order (NCANode's is a `HashSet`'s, unstable), unknown ones left out.
fn key_user(cert: &Certificate) -> Vec<&'static str> {
    oid::eku::NCANODE_KEY_USERS
        .iter()
        .filter(|(o, _)| cert.extended_key_usage().contains(o))
        .map(|(_, name)| *name)
        .collect()
}

/// NCANode's `keyUsage`: `SIGN` for digitalSignature and nonRepudiation, `AUTH` for digitalSignature and
/// keyEncipherment, else `UNKNOWN`.
fn key_usage(cert: &Certificate) -> &'static str {
    match cert.key_usage() {
        Some(k) if k.digital_signature && k.non_repudiation => "SIGN",
        Some(k) if k.digital_signature && k.key_encipherment => "AUTH",
        _ => "UNKNOWN",
    }
}

impl CertificateInfo {
    /// `cert` with our verdict `valid` and what answered the revocation question for it (`entry`, the chain's
    /// entry of this certificate, when it was validated).
    pub(crate) fn of(
        cert: &Certificate,
        valid: bool,
        entry: Option<&ChainEntry>,
    ) -> CertificateInfo {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let revoked = entry.is_some_and(|e| e.revocation == RevocationVerdict::Revoked);
        let revocations = entry
            .map(|e| {
                e.revocation_data
                    .iter()
                    .map(|r| match r.as_ref() {
                        crate::pki::evidence::RevocationEvidence::Crl { .. } => Revocation {
                            revoked,
                            by: "CRL",
                            revocation_time: None,
                            reason: revoked.then(String::new),
                        },
                        crate::pki::evidence::RevocationEvidence::Ocsp { .. } => Revocation {
                            revoked,
                            by: "OCSP",
                            revocation_time: None,
                            reason: Some("OK".into()),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        let serial = crate::encoding::hex(cert.serial());
        let serial = serial.trim_start_matches('0');
        CertificateInfo {
            valid,
            revocations,
            not_before: date(cert.not_before().secs()),
            not_after: date(cert.not_after().secs()),
            key_usage: key_usage(cert),
            serial_number: if serial.is_empty() {
                "0".into()
            } else {
                serial.to_string()
            },
            sign_alg: sign_alg(cert),
            key_user: key_user(cert),
            public_key: b64(cert.spki_der()),
            signature: b64(cert.signature()),
            subject: subject(
                cert.subject_der(),
                java_dn(cert.subject_der()).unwrap_or_else(|| cert.subject().to_string()),
            ),
            issuer: subject(
                cert.issuer_der(),
                java_dn(cert.issuer_der()).unwrap_or_else(|| cert.issuer().to_string()),
            ),
        }
    }
}
