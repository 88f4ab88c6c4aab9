//! The seal's library core: every form seals and verifies in both modes; tampering, a foreign signer, a revoked
//! signer and an unknown key id give their verdicts. (QR symbols in the PDF, `verify-document` and the zbarimg
//! interop come with the rest of issue 5.)

use crate::common;
use crate::common::seal::{content, opts, signer, vector_content};
use qoltanba::CmsSigner;
use qoltanba::{seal, verify_seal, SealError, SealMode, PART_CAPACITY};
use qoltanba::{Code, VerifyOptions};

const ISSUED: i64 = 1_795_428_000; // 2026-11-23T10:00:00Z

#[test]
fn every_form_seals_and_verifies_in_both_modes() {
    let store = qoltanba::demo_trust_store().expect("store");
    let provider = qoltanba::demo_provider_signer().expect("provider");
    for id in qoltanba::catalogue().expect("forms").keys() {
        let c = content(id);
        for mode in [SealMode::Compact, SealMode::Full] {
            let texts = seal(&c, &provider, mode).expect("seal");
            assert!(
                texts.iter().all(|t| t.len() <= PART_CAPACITY),
                "{id}: symbol too long"
            );
            assert_eq!(
                seal(&c, &provider, mode).expect("seal"),
                texts,
                "{id}: deterministic"
            );
            // Parts in any order.
            let mut refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            refs.reverse();
            let r = verify_seal(common::trust(&store), &refs, &opts()).expect("verify");
            assert!(r.report.valid, "{id} {mode:?}: {:?}", r.report.messages);
            assert_eq!(r.mode, mode);
            assert_eq!(
                r.content.as_ref().map(|c| &c.signed),
                Some(&c),
                "{id}: the signed content comes back"
            );
            assert_eq!(r.issued.as_deref(), Some("2026-11-23T10:00:00Z"));
            assert_eq!(
                r.report
                    .subject
                    .as_ref()
                    .and_then(|s| s.iin.clone())
                    .as_deref(),
                Some("761103300456")
            );
        }
        // Compact fits one symbol for the short forms.
        if id.starts_with("reference.birth") || id.starts_with("licence") {
            assert_eq!(
                seal(&c, &provider, SealMode::Compact).expect("seal").len(),
                1,
                "{id}"
            );
        }
    }
}

/// Space is a Base45 digit and parts are cut wherever a symbol's capacity ends, so a part may end in a space:
/// it must survive the join (a reader's or a paste's line ends and leading blanks are still ignored).
#[test]
fn a_part_ending_in_a_space_keeps_it() {
    let store = qoltanba::demo_trust_store().expect("store");
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let texts = seal(
        &content("licence.private-bailiff"),
        &provider,
        SealMode::Full,
    )
    .expect("seal");
    assert!(texts.len() > 1, "a full seal has parts");
    // The Base45 text, from the parts in order (each `QLT1P:k/n:ID:` + its slice).
    let whole: String = texts
        .iter()
        .map(|t| t.splitn(4, ':').nth(3).expect("part text"))
        .collect();
    // Cut it again so that the first part ends in a space.
    let cut = whole[..PART_CAPACITY - 32]
        .rfind(' ')
        .expect("a space in the first part's reach")
        + 1;
    let rest: Vec<&str> = whole.as_bytes()[cut..]
        .chunks(PART_CAPACITY - 32)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    let n = rest.len() + 1;
    let digest = ring::digest::digest(&ring::digest::SHA256, whole.as_bytes());
    let id: String = digest.as_ref()[..4]
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let mut parts = vec![format!("QLT1P:1/{n}:{id}:{}", &whole[..cut])];
    parts.extend(
        rest.iter()
            .enumerate()
            .map(|(k, c)| format!("QLT1P:{}/{n}:{id}:{c}", k + 2)),
    );
    assert!(parts[0].ends_with(' '));
    // As a reader gives them: with line ends, one with leading blanks.
    parts[0].push_str("\r\n");
    parts[1].insert_str(0, "  ");
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    let r = verify_seal(common::trust(&store), &refs, &opts()).expect("the parts join");
    assert!(r.report.valid, "{:?}", r.report.messages);
}

#[test]
fn changed_characters_break_the_seal() {
    let store = qoltanba::demo_trust_store().expect("store");
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let texts = seal(
        &content("licence.private-bailiff"),
        &provider,
        SealMode::Compact,
    )
    .expect("seal");
    let original = &texts[0];
    let mut broken = 0;
    // Change every 7th character of the Base45 text to another alphabet character.
    for i in (6..original.len()).step_by(7) {
        let mut bytes = original.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).expect("ascii");
        let r = verify_seal(common::trust(&store), &[&changed], &opts())
            .expect("a verdict, not an error");
        assert!(!r.report.valid, "change at {i} went unnoticed");
        assert_eq!(
            r.report.codes,
            vec![Code::SignatureInvalid],
            "change at {i}"
        );
        broken += 1;
    }
    assert!(broken > 50);
    // The untouched text still verifies.
    let r = verify_seal(common::trust(&store), &[original.as_str()], &opts()).expect("verify");
    assert!(r.report.valid);
}

#[test]
fn foreign_revoked_and_unknown_signers() {
    let store = qoltanba::demo_trust_store().expect("store");
    let c = content("licence.private-bailiff");
    // A signer outside the trust store (the OpenSSL interop PKI, RSA): full mode says who; it is untrusted, and no
    // configured provider's.
    let foreign = signer(
        "tests/fixtures/openssl/out/leaf-rsa.key",
        "tests/fixtures/openssl/out/leaf-rsa.pem",
        "tests/fixtures/openssl/out/inter.pem",
    );
    let texts = seal(&c, &foreign, SealMode::Full).expect("seal");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let r = verify_seal(common::trust(&store), &refs, &opts()).expect("verify");
    assert_eq!(
        r.report.codes,
        vec![Code::ChainUntrusted, Code::SignerNotAuthorised],
        "{:?}",
        r.report.messages
    );
    // In compact mode its key id names nothing the verifier knows.
    let texts = seal(&c, &foreign, SealMode::Compact).expect("seal");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    assert_eq!(
        verify_seal(common::trust(&store), &refs, &opts()).err(),
        Some(SealError::UnknownSigner)
    );
}

/// Finding 1 of the hardening issue: every certificate chains to the NCA, so a seal is a provider's only when its
/// signer is a configured provider's authorised person. A citizen's signing key, the CA's own key and an expired
/// provider key are refused with the code; the provider's key is valid.
#[test]
fn only_an_authorised_issuer_seals() {
    let store = qoltanba::demo_trust_store().expect("store");
    let c = content("licence.private-bailiff");
    let verdict = |signer: &CmsSigner, issuers: &qoltanba::Issuers| {
        let texts = seal(&c, signer, SealMode::Full).expect("seal");
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let trust = qoltanba::SealTrust {
            store: &store,
            issuers,
        };
        verify_seal(trust, &refs, &VerifyOptions::at(ISSUED)).expect("verify")
    };
    let demo = common::demo_issuers();
    // The demo citizen's signing key: its path, validity and revocation are all in order.
    let citizen = signer(
        "certs/individual-sign.key.pem",
        "certs/individual-sign.pem",
        "certs/issuing-ca.pem",
    );
    let r = verdict(&citizen, demo);
    assert_eq!(
        r.report.codes,
        vec![Code::SignerNotAuthorised],
        "{:?}",
        r.report.messages
    );
    assert!(!r.report.valid);
    assert!(
        r.report
            .messages
            .iter()
            .any(|m| m.contains("ТЕСТОВ ТЕСТ") && m.contains("870412300129")),
        "the message names the signer: {:?}",
        r.report.messages
    );
    // The issuing CA's own key.
    let ca = signer(
        "certs/issuing-ca.key.pem",
        "certs/issuing-ca.pem",
        "certs/root-ca.pem",
    );
    let r = verdict(&ca, demo);
    assert!(
        r.report.codes.contains(&Code::SignerNotAuthorised),
        "{:?}",
        r.report.codes
    );
    assert!(!r.report.valid);
    // A provider whose key has expired: authorised by configuration, but not at the issue time.
    let expired = signer(
        "certs/expired.key.pem",
        "certs/expired.pem",
        "certs/issuing-ca.pem",
    );
    let issuers = qoltanba::Issuers::new(vec![qoltanba::IssuerRule::certificate(
        "a provider with an expired key",
        expired.certificate(),
    )]);
    let r = verdict(&expired, &issuers);
    assert_eq!(
        r.report.codes,
        vec![Code::CertExpired],
        "{:?}",
        r.report.messages
    );
    // The same provider's key is no issuer of the demo configuration.
    assert!(verdict(&expired, demo)
        .report
        .codes
        .contains(&Code::SignerNotAuthorised));
    // The demo provider itself: valid, named, and marked as the demonstration it is.
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let r = verdict(&provider, demo);
    assert!(r.report.valid, "{:?}", r.report.messages);
    assert!(r.demo);
    assert!(r.provider.as_deref().is_some_and(|p| p.contains("demo")));
    // A provider configured by its BIN and roles: its first head may seal, its employee may not.
    let head = signer(
        "certs/legal-head.key.pem",
        "certs/legal-head.pem",
        "certs/issuing-ca.pem",
    );
    let employee = signer(
        "certs/legal-employee.key.pem",
        "certs/legal-employee.pem",
        "certs/issuing-ca.pem",
    );
    let by_bin = qoltanba::Issuers::new(vec![qoltanba::IssuerRule::organisation(
        "ЖШС «ДАЛА ТЕХ»",
        qoltanba::Bin::parse("040840001231").expect("bin"),
        Vec::new(),
    )]);
    assert!(verdict(&head, &by_bin).report.valid);
    assert_eq!(
        verdict(&employee, &by_bin).report.codes,
        vec![Code::SignerNotAuthorised]
    );
    // Rules may be limited to forms.
    let licences_only = qoltanba::Issuers::new(vec![qoltanba::IssuerRule::certificate(
        "provider",
        provider.certificate(),
    )
    .for_forms(vec!["reference.*".into()])]);
    let r = verdict(&provider, &licences_only);
    assert_eq!(r.report.codes, vec![Code::SignerNotAuthorised]);
    assert!(r.report.messages[0].contains("not for form licence.private-bailiff"));
}

/// Finding 8: a seal's issue time is written by its signer. A provider key revoked for key compromise could seal a
/// document today dated before the revocation; offline that is INDETERMINATE (`REVOKED_NO_POE`), never valid. The
/// registry's record of issue settles it either way.
#[test]
fn a_compromised_key_cannot_back_date_a_seal() {
    let store = qoltanba::demo_trust_store().expect("store");
    // The demo "revoked" key, revoked 2026-06-01 for keyCompromise, configured as a provider's signer.
    let revoked = signer(
        "certs/revoked.key.pem",
        "certs/revoked.pem",
        "certs/issuing-ca.pem",
    );
    let issuers = qoltanba::Issuers::new(vec![qoltanba::IssuerRule::certificate(
        "a provider whose key was stolen",
        revoked.certificate(),
    )]);
    let trust = qoltanba::SealTrust {
        store: &store,
        issuers: &issuers,
    };
    let now = ISSUED; // 2026-11-23, after the revocation
    let mut c = content("licence.private-bailiff");
    // Sealed after the revocation and dated so: revoked at the issue time.
    let texts = seal(&c, &revoked, SealMode::Full).expect("seal");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let r = verify_seal(trust, &refs, &VerifyOptions::at(now)).expect("verify");
    assert_eq!(r.report.codes, vec![Code::CertRevoked]);
    // Dated 2026-05-01, before the revocation: the date is the signer's own claim.
    c.issued_at = qoltanba::UnixTime::from_secs(1_777_593_600);
    let texts = seal(&c, &revoked, SealMode::Full).expect("seal");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let r = verify_seal(trust, &refs, &VerifyOptions::at(now)).expect("verify");
    assert_eq!(
        r.report.codes,
        vec![Code::RevokedNoPoe],
        "{:?}",
        r.report.messages
    );
    assert_eq!(r.report.indication, qoltanba::Indication::Indeterminate);
    assert!(!r.report.valid);
    assert!(r.report.chain[0].revoked_later.is_some());
    // The registry says it issued exactly this seal on 2026-05-01: proven before the revocation, valid.
    let decoded = qoltanba::decode_seal(&refs).expect("decode");
    let before = qoltanba::IssueEvidence {
        issued_at: qoltanba::UnixTime::from_secs(1_777_593_600),
    };
    let r = qoltanba::verify_decoded(trust, &decoded, &VerifyOptions::at(now), Some(&before))
        .expect("verify");
    assert!(r.report.valid, "{:?}", r.report.messages);
    assert_eq!(
        r.issue_time_proof.map(|p| serde_json::json!(p)),
        Some(serde_json::json!("registry"))
    );
    // The registry recorded it after the revocation: revoked.
    let after = qoltanba::IssueEvidence {
        issued_at: qoltanba::UnixTime::from_secs(now),
    };
    let r = qoltanba::verify_decoded(trust, &decoded, &VerifyOptions::at(now), Some(&after))
        .expect("verify");
    assert_eq!(r.report.codes, vec![Code::CertRevoked]);
}

/// The text between `<!-- name -->` markers in docs/seal.md.
fn doc_vector(name: &str) -> String {
    let doc =
        std::fs::read_to_string(common::project_dir().join("docs/seal.md")).expect("docs/seal.md");
    let start = doc.find(&format!("<!-- {name} -->")).expect("start marker") + name.len() + 9;
    let end = doc[start..].find("<!-- end -->").expect("end marker") + start;
    doc[start..end].trim().trim_matches('`').trim().to_string()
}

#[test]
fn the_documented_test_vector_is_what_we_produce_and_it_verifies() {
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let texts = seal(&vector_content(), &provider, SealMode::Compact).expect("seal");
    assert_eq!(texts.len(), 1);
    assert_eq!(
        texts[0],
        doc_vector("compact-vector"),
        "docs/seal.md is out of date (the demo keys changed?)"
    );
    let (code, report) = common::run_json(&["verify-seal", "--barcode", &texts[0]]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["content"]["number"], "QLT-2026-000001");
    assert_eq!(report["mode"], "compact");
    let mut changed = texts[0].clone().into_bytes();
    changed[20] = if changed[20] == b'0' { b'1' } else { b'0' };
    let (code, report) = common::run_json(&[
        "verify-seal",
        "--barcode",
        &String::from_utf8(changed).expect("ascii"),
    ]);
    assert_eq!(
        (code, common::codes(&report)),
        (1, vec!["SIGNATURE_INVALID".to_string()])
    );
    let (code, report) = common::run_json(&["verify-seal", "--barcode", "not a seal"]);
    assert_eq!(
        (code, common::codes(&report)),
        (2, vec!["MALFORMED".to_string()])
    );
}

#[test]
fn verify_document_finds_the_seal_and_compares_the_content() {
    let store = qoltanba::demo_trust_store().expect("store");
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let id = "licence.private-bailiff";
    let t = qoltanba::form(id).expect("form");
    for mode in [SealMode::Compact, SealMode::Full] {
        let sealing = qoltanba::Sealing {
            signer: &provider,
            mode,
        };
        let doc = qoltanba::issue(id, &t.sample(), "QLT-2026-000003", ISSUED, Some(sealing))
            .expect("issue");
        let r =
            qoltanba::verify_document(common::trust(&store), &doc.pdf, &opts()).expect("verify");
        assert!(
            r.seal.report.valid,
            "{mode:?}: {:?}",
            r.seal.report.messages
        );
        assert_eq!(r.symbols, doc.seal.len());
        assert_eq!(
            r.seal.content.as_ref().map(|c| c.number.as_str()),
            Some("QLT-2026-000003")
        );
        // Field by field: every signed value is embedded alike and printed, the number first.
        assert_eq!(r.fields[0].name, "number");
        assert_eq!(r.fields[0].signed, "QLT-2026-000003");
        assert!(
            r.fields.len() > 2
                && r.fields
                    .iter()
                    .all(|c| c.printed && c.embedded.is_none() && !c.embedded_missing),
            "{:?}",
            r.fields
        );
    }

    // The seal of another document (another licensee) printed on this one: the content differs.
    let sealing = qoltanba::Sealing {
        signer: &provider,
        mode: SealMode::Compact,
    };
    let mut other = t.sample();
    other["licensee"] = "БАСҚА АДАМ".into();
    let other_doc =
        qoltanba::issue(id, &other, "QLT-2026-000004", ISSUED, Some(sealing)).expect("issue");
    let fonts = qoltanba::Fonts::get().expect("fonts");
    let data = t.validate(&t.sample(), |c| fonts.covers(c)).expect("valid");
    let blocks = t.blocks(
        &data.with_document("QLT-2026-000004", "23.11.2026"),
        &other_doc.seal,
    );
    let info = qoltanba::PdfInfo {
        title: "forged".into(),
        subject: id.into(),
        keywords: vec![],
        issued_at: qoltanba::UnixTime::from_secs(ISSUED),
    };
    let pdf = qoltanba::render(&blocks, &info).expect("render");
    let pdf = qoltanba::attach(
        pdf,
        &[qoltanba::Attachment {
            name: qoltanba::DATA_FILE_NAME,
            mime: "application/json",
            data: data.canonical_json().as_bytes(),
        }],
    )
    .expect("attach");
    let r = qoltanba::verify_document(common::trust(&store), &pdf, &opts()).expect("verify");
    assert_eq!(
        r.seal.report.codes,
        vec![Code::DocumentMismatch],
        "{:?}",
        r.seal.report.messages
    );
    assert!(
        r.seal
            .report
            .messages
            .iter()
            .any(|m| m.contains("БАСҚА АДАМ")),
        "{:?}",
        r.seal.report.messages
    );
    // The comparison names the field the page does not show.
    let unshown: Vec<(&str, &str)> = r
        .fields
        .iter()
        .filter(|c| !c.printed)
        .map(|c| (c.name.as_str(), c.signed.as_str()))
        .collect();
    assert!(unshown.contains(&("licensee", "БАСҚА АДАМ")), "{unshown:?}");

    // The embedded data changed after issuing.
    let doc =
        qoltanba::issue(id, &t.sample(), "QLT-2026-000005", ISSUED, Some(sealing)).expect("issue");
    let mut changed = doc.pdf.clone();
    let at = changed
        .windows(12)
        .position(|w| w == b"870412300129")
        .expect("IIN in the embedded data");
    changed[at + 11] = b'8';
    let r = qoltanba::verify_document(common::trust(&store), &changed, &opts()).expect("verify");
    assert!(
        r.seal.report.codes.contains(&Code::DocumentMismatch),
        "{:?}",
        r.seal.report.messages
    );
    // The altered field is shown beside its signed value; the page still prints the signed one.
    let altered: Vec<_> = r.fields.iter().filter(|c| c.embedded.is_some()).collect();
    assert_eq!(altered.len(), 1, "{:?}", r.fields);
    assert_eq!(altered[0].signed, "870412300129");
    assert_eq!(altered[0].embedded.as_deref(), Some("870412300128"));
    assert!(altered[0].printed);

    // A PDF without a seal, and not a PDF.
    let unsealed =
        qoltanba::issue(id, &t.sample(), "QLT-2026-000006", ISSUED, None).expect("issue");
    assert!(matches!(
        qoltanba::verify_document(common::trust(&store), &unsealed.pdf, &opts()),
        Err(SealError::Structure(_))
    ));
    assert!(qoltanba::verify_document(common::trust(&store), b"hello", &opts()).is_err());
}

#[test]
fn cli_issue_then_verify_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, pdf) = (dir.path().join("d.json"), dir.path().join("d.pdf"));
    let (_, sample, _) = common::run_qoltanba(&["forms", "sample", "reference.birth"]);
    std::fs::write(&data, sample).expect("write");
    let (d, p) = (
        data.to_string_lossy().into_owned(),
        pdf.to_string_lossy().into_owned(),
    );
    for mode in ["compact", "full"] {
        let (code, out, err) = common::run_qoltanba(&[
            "issue",
            "--form",
            "reference.birth",
            "--data",
            &d,
            "--out",
            &p,
            "--seal-mode",
            mode,
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, report) = common::run_json(&["verify-document", &p]);
        assert_eq!(code, 0, "{mode}: {report}");
        assert_eq!(report["mode"], mode);
        assert_eq!(report["content"]["form"], "reference.birth");
    }
    let (code, report) = common::run_json(&["verify-document", "no-such.pdf"]);
    assert_eq!(
        (code, common::codes(&report)),
        (2, vec!["MALFORMED".to_string()])
    );
}

/// A report names the form in Kazakh and Russian from the verifying node's catalogue; the seal itself carries only
/// the id, so the seal layer alone leaves the name out and a form this node does not know gets none.
#[test]
fn reports_name_the_form_from_the_catalogue() {
    let store = qoltanba::demo_trust_store().expect("store");
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let c = content("reference.birth");
    let texts = seal(&c, &provider, SealMode::Compact).expect("seal");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let template = qoltanba::form("reference.birth").expect("form");

    let plain = verify_seal(common::trust(&store), &refs, &opts()).expect("verify");
    assert_eq!(
        plain.content.as_ref().and_then(|c| c.form_name.as_ref()),
        None
    );

    let named = qoltanba::verify_barcode(common::trust(&store), &refs, &opts()).expect("verify");
    assert!(named.report.valid, "{:?}", named.report.messages);
    let name = named
        .content
        .as_ref()
        .and_then(|c| c.form_name.as_ref())
        .expect("named");
    assert_eq!(
        (name.kk.as_str(), name.ru.as_str()),
        (template.name.kk.as_str(), template.name.ru.as_str())
    );
    let json = serde_json::to_value(&named).expect("json");
    assert_eq!(json["content"]["formName"]["kk"], template.name.kk.as_str());
    assert_eq!(json["content"]["form"], "reference.birth");

    // A form this node does not know (sealed by the same provider) verifies, without a name.
    let mut other = c.clone();
    other.form = "reference.unknown-here".into();
    let texts = seal(&other, &provider, SealMode::Compact).expect("seal");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let r = qoltanba::verify_barcode(common::trust(&store), &refs, &opts()).expect("verify");
    assert_eq!(r.content.as_ref().and_then(|c| c.form_name.as_ref()), None);
    assert!(serde_json::to_value(&r).expect("json")["content"]
        .get("formName")
        .is_none());
}
