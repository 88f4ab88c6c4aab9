//! XML signatures with the demo PKI: what we sign verifies (enveloped, co-signed, WS-Security), a changed byte
//! does not, a signature covering anything but what the application reads is `SIGNATURE_SCOPE` (ten published
//! wrapping shapes), a signature under another prefix is found, and hostile documents are refused by name.

use qoltanba::{verify_xml, Purpose, VerifyOptions, XmlError, XmlProfile, XmlReport};

use crate::common;

const AT: &str = "2026-12-01T00:00:00Z";

const APPLICATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a portal's request -->\n<application xmlns=\"urn:qoltanba:application\" xmlns:x=\"urn:unused\" service=\"licence.security\">\n  <applicant iin=\"870412300129\">ЖАҚСЫЛЫҚОВ Ерлан</applicant>\n  <note xml:lang=\"kk\">Өтініш &amp; құжаттар&#13;</note>\n</application>\n";

const ENVELOPE: &str = r#"<?xml version="1.0"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body><ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request><iin>870412300129</iin><amount>100</amount></request></ns3:SendMessage></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;

fn verify(xml: &[u8], profile: XmlProfile, purpose: Purpose) -> XmlReport {
    try_verify(xml, profile, purpose).expect("verifiable")
}

fn try_verify(xml: &[u8], profile: XmlProfile, purpose: Purpose) -> Result<XmlReport, XmlError> {
    let store = qoltanba::demo_trust_store().expect("store");
    let mut opts = VerifyOptions::at(common::unix(AT));
    opts.purpose = purpose;
    verify_xml(&store, xml, profile, &opts)
}

fn codes(report: &XmlReport) -> Vec<&'static str> {
    report.report.codes.iter().map(|c| c.as_str()).collect()
}

fn signed_application() -> Vec<u8> {
    qoltanba::sign_xml(
        APPLICATION.as_bytes(),
        &common::demo_signer("individual-sign"),
    )
    .expect("sign")
}

fn signed_envelope() -> String {
    String::from_utf8(
        qoltanba::sign_wsse(ENVELOPE.as_bytes(), &common::demo_signer("provider-signer"))
            .expect("sign"),
    )
    .expect("utf-8")
}

#[test]
fn an_enveloped_signature_verifies_and_a_changed_byte_does_not() {
    let signed = signed_application();
    let text = String::from_utf8(signed.clone()).expect("utf-8");
    // The original text is kept; the signature is the document element's last child.
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a portal's request -->")
    );
    assert!(text.trim_end().ends_with("</ds:Signature></application>"));
    let report = verify(&signed, XmlProfile::Enveloped, Purpose::Sign);
    assert!(report.report.valid, "{:?}", report.report.messages);
    assert_eq!(report.signed_element, "/application");
    let s = &report.signatures[0];
    assert_eq!(
        s.signature_method,
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    );
    assert_eq!(s.references[0].covers.as_ref().expect("covers").path, "/");
    assert_eq!(
        report
            .report
            .subject
            .as_ref()
            .and_then(|s| s.iin.clone())
            .as_deref(),
        Some("870412300129")
    );

    // Any change of the signed content: the digest no longer matches.
    for (from, to) in [
        ("Ерлан", "Ерлам"),
        (
            "service=\"licence.security\"",
            "service=\"licence.security2\"",
        ),
        ("&amp; құжаттар", "&amp; құжаттар "),
        ("&#13;</note>", "</note>"),
    ] {
        let tampered = text.replacen(from, to, 1);
        assert_ne!(tampered, text);
        let report = verify(tampered.as_bytes(), XmlProfile::Enveloped, Purpose::Sign);
        assert_eq!(codes(&report), ["SIGNATURE_INVALID"], "{from} -> {to}");
    }
    // Changes that canonicalisation removes keep it valid: the comment outside, attribute quotes, spacing in tags.
    let same = text
        .replacen("<!-- a portal's request -->", "<!-- edited -->", 1)
        .replacen(
            "service=\"licence.security\"",
            "service = 'licence.security'",
            1,
        );
    assert!(
        verify(same.as_bytes(), XmlProfile::Enveloped, Purpose::Sign)
            .report
            .valid
    );
}

#[test]
fn identity_and_purpose_are_checked() {
    let signed = signed_application();
    let store = qoltanba::demo_trust_store().expect("store");
    let mut opts = VerifyOptions::at(common::unix(AT));
    opts.iin = Some(qoltanba::Iin::parse("870412300129").expect("iin"));
    assert!(
        verify_xml(&store, &signed, XmlProfile::Enveloped, &opts)
            .expect("ok")
            .report
            .valid
    );
    opts.iin = Some(qoltanba::Iin::parse("881215300896").expect("iin"));
    let report = verify_xml(&store, &signed, XmlProfile::Enveloped, &opts).expect("ok");
    assert_eq!(codes(&report), ["IIN_MISMATCH"]);
    // The SIGN key is not an AUTH key, and the AUTH key is not a SIGN key.
    let report = verify(&signed, XmlProfile::Enveloped, Purpose::Auth);
    assert_eq!(codes(&report), ["KEY_USAGE"]);
    let auth = qoltanba::sign_xml(
        APPLICATION.as_bytes(),
        &common::demo_signer("individual-auth"),
    )
    .expect("sign");
    assert!(
        verify(&auth, XmlProfile::Enveloped, Purpose::Auth)
            .report
            .valid
    );
    assert_eq!(
        codes(&verify(&auth, XmlProfile::Enveloped, Purpose::Sign)),
        ["KEY_USAGE"]
    );
    // A revoked signer.
    let revoked =
        qoltanba::sign_xml(APPLICATION.as_bytes(), &common::demo_signer("revoked")).expect("sign");
    assert_eq!(
        codes(&verify(&revoked, XmlProfile::Enveloped, Purpose::Any)),
        ["CERT_REVOKED"]
    );
}

#[test]
fn co_signatures_verify_serially_and_side_by_side() {
    let first = signed_application();
    let both = qoltanba::sign_xml(&first, &common::demo_signer("legal-head")).expect("co-sign");
    let report = verify(&both, XmlProfile::Enveloped, Purpose::Sign);
    assert!(report.report.valid, "{:?}", report.report.messages);
    assert_eq!(report.signatures.len(), 2);
    // The first signature covers the document without the second (NCANode's order); the second, everything.
    let covers = |i: usize| {
        report.signatures[i].references[0]
            .covers
            .clone()
            .expect("covers")
    };
    assert_eq!(covers(0).without_signatures, [2]);
    assert!(covers(1).without_signatures.is_empty());

    // Side by side: two signers sign the same document independently; the signatures are put together.
    let other = qoltanba::sign_xml(APPLICATION.as_bytes(), &common::demo_signer("legal-head"))
        .expect("sign");
    let other = String::from_utf8(other).expect("utf-8");
    let start = other.find("<ds:Signature").expect("signature");
    let end = other.find("</ds:Signature>").expect("end") + "</ds:Signature>".len();
    let first_text = String::from_utf8(first).expect("utf-8");
    let at = first_text.rfind("</application>").expect("end tag");
    let merged = format!(
        "{}{}{}",
        &first_text[..at],
        &other[start..end],
        &first_text[at..]
    );
    let report = verify(merged.as_bytes(), XmlProfile::Enveloped, Purpose::Sign);
    assert!(report.report.valid, "{:?}", report.report.messages);
    assert_eq!(
        report.signatures[0].references[0]
            .covers
            .as_ref()
            .expect("c")
            .without_signatures,
        [2]
    );
    assert_eq!(
        report.signatures[1].references[0]
            .covers
            .as_ref()
            .expect("c")
            .without_signatures,
        [1]
    );
}

#[test]
fn a_ws_security_envelope_verifies_and_covers_the_body() {
    let signed = signed_envelope();
    assert!(signed.contains("SOAP-ENV:mustUnderstand=\"1\""));
    assert!(signed.contains("wsu:Id=\"id-"));
    let report = verify(signed.as_bytes(), XmlProfile::Wsse, Purpose::Sign);
    assert!(report.report.valid, "{:?}", report.report.messages);
    assert_eq!(report.signed_element, "/SOAP-ENV:Envelope/SOAP-ENV:Body");
    assert_eq!(
        report.signatures[0].key_info,
        qoltanba::KeyInfoKind::KeyIdentifier
    );
    // The same envelope read as an application's XML: its signature covers the Body, not the document element.
    let report = verify(signed.as_bytes(), XmlProfile::Enveloped, Purpose::Sign);
    assert_eq!(codes(&report), ["SIGNATURE_SCOPE"]);
    // A changed Body.
    let tampered = signed.replace("<amount>100</amount>", "<amount>900</amount>");
    assert_eq!(
        codes(&verify(
            tampered.as_bytes(),
            XmlProfile::Wsse,
            Purpose::Sign
        )),
        ["SIGNATURE_INVALID"]
    );
    // A header without its Header element: created.
    let bare = ENVELOPE.replace("<SOAP-ENV:Header/>", "");
    let signed = qoltanba::sign_wsse(bare.as_bytes(), &common::demo_signer("provider-signer"))
        .expect("sign");
    assert!(
        verify(&signed, XmlProfile::Wsse, Purpose::Sign)
            .report
            .valid
    );
}

/// The signed Body of `signed` (its start tag to its end tag) and the rest around it.
fn body_of(signed: &str) -> (usize, usize) {
    let start = signed.find("<SOAP-ENV:Body").expect("body");
    let end = signed.find("</SOAP-ENV:Body>").expect("end") + "</SOAP-ENV:Body>".len();
    (start, end)
}

const EVIL_BODY: &str = "<SOAP-ENV:Body><ns3:SendMessage xmlns:ns3=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request><iin>870412300129</iin><amount>900000</amount></request></ns3:SendMessage></SOAP-ENV:Body>";

/// XML Signature Wrapping (Somorovsky et al., "On Breaking SAML", 2012; McIntosh & Austel, 2005): the signed
/// element is kept, so the digest still matches, and the application is shown another one.
#[test]
fn signature_wrapping_is_signature_scope() {
    let signed = signed_envelope();
    let (start, end) = body_of(&signed);
    let body = &signed[start..end];
    let id = {
        let at = body.find("wsu:Id=\"").expect("id") + 8;
        body[at..at + body[at..].find('"').expect("quote")].to_string()
    };
    let security_end = signed.find("</wsse:Security>").expect("security");
    let signature_end = signed.find("</ds:Signature>").expect("signature");
    let with_body =
        |body_text: &str| format!("{}{}{}", &signed[..start], body_text, &signed[end..]);
    let moved_into = |at: usize, wrapper: (&str, &str), body_text: &str| {
        let mut doc = with_body(body_text);
        doc.insert_str(at, &format!("{}{}{}", wrapper.0, body, wrapper.1));
        doc
    };
    let evil_with_id = EVIL_BODY.replace(
        "<SOAP-ENV:Body>",
        &format!("<SOAP-ENV:Body xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" wsu:Id=\"{id}\">"),
    );
    let variants: Vec<(&str, String, XmlProfile)> = vec![
        (
            "the signed Body moved into a header of its own, an unsigned Body in its place",
            moved_into(security_end + "</wsse:Security>".len(), ("<Wrapper>", "</Wrapper>"), EVIL_BODY),
            XmlProfile::Wsse,
        ),
        (
            "the signed Body moved into the Security header (an extension)",
            moved_into(security_end, ("<Extension>", "</Extension>"), EVIL_BODY),
            XmlProfile::Wsse,
        ),
        (
            "the signed Body moved into the signature's Object",
            moved_into(signature_end, ("<ds:Object>", "</ds:Object>"), EVIL_BODY),
            XmlProfile::Wsse,
        ),
        (
            "a duplicated id: the unsigned Body carries the signed one's id",
            moved_into(security_end + "</wsse:Security>".len(), ("<Wrapper>", "</Wrapper>"), &evil_with_id),
            XmlProfile::Wsse,
        ),
        (
            "the signed Body wrapped inside the unsigned Body",
            with_body(&EVIL_BODY.replace("</SOAP-ENV:Body>", &format!("<Wrapper>{body}</Wrapper></SOAP-ENV:Body>"))),
            XmlProfile::Wsse,
        ),
        (
            "a second envelope: the signed one nested in the unsigned Body",
            with_body(&EVIL_BODY.replace(
                "</SOAP-ENV:Body>",
                &format!("<SOAP-ENV:Envelope>{body}</SOAP-ENV:Envelope></SOAP-ENV:Body>"),
            )),
            XmlProfile::Wsse,
        ),
        (
            "a signature over a child element, read as an application's XML",
            signed.clone(),
            XmlProfile::Enveloped,
        ),
        (
            "the signature moved out of the Security header into the Body",
            {
                let sig_start = signed.find("<ds:Signature").expect("sig");
                let sig_end = signature_end + "</ds:Signature>".len();
                let sig = signed[sig_start..sig_end].replacen(
                    "<ds:Signature ",
                    "<ds:Signature xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" ",
                    1,
                );
                let without = format!("{}{}", &signed[..sig_start], &signed[sig_end..]);
                let at = without.find("</SOAP-ENV:Body>").expect("body end");
                format!("{}{}{}", &without[..at], sig, &without[at..])
            },
            XmlProfile::Wsse,
        ),
        (
            "the signed Body moved after the Body (a sibling)",
            with_body(EVIL_BODY).replacen(
                "</SOAP-ENV:Envelope>",
                &format!("<Trailer>{body}</Trailer></SOAP-ENV:Envelope>"),
                1,
            ),
            XmlProfile::Wsse,
        ),
        (
            "a signed Timestamp-free message wrapped in a reference to the whole Security header id",
            signed.replace(&format!("URI=\"#{id}\""), "URI=\"#nothing\""),
            XmlProfile::Wsse,
        ),
    ];
    for (what, doc, profile) in variants {
        match try_verify(doc.as_bytes(), profile, Purpose::Sign) {
            Ok(report) => assert!(
                codes(&report).contains(&"SIGNATURE_SCOPE"),
                "{what}: {:?} {:?}",
                codes(&report),
                report.report.messages
            ),
            // Only the element put beside the Body breaks the envelope's shape itself: refused before any
            // signature is looked at.
            Err(XmlError::NotSoap(_)) if what.contains("after the Body") => {}
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

/// NCANode finds signatures by the qualified name `ds:Signature`; we find them by namespace, under any prefix.
#[test]
fn a_signature_under_another_prefix_is_found() {
    let signed = String::from_utf8(signed_application()).expect("utf-8");
    // A second, forged signature written with the prefix `dsig:`: NCANode would not see it; we check it and fail.
    let at = signed.rfind("</application>").expect("end");
    let forged = signed[signed.find("<ds:Signature").expect("s")..at]
        .replace("ds:", "dsig:")
        .replace("xmlns:ds=", "xmlns:dsig=");
    let doc = format!("{}{}{}", &signed[..at], forged, &signed[at..]);
    let report = verify(doc.as_bytes(), XmlProfile::Enveloped, Purpose::Sign);
    assert_eq!(report.signatures.len(), 2);
    assert_eq!(report.signatures[1].path, "/application/dsig:Signature");
    assert!(!report.report.valid);
    // A signature in the default namespace, with no prefix at all.
    let unprefixed = signed.replace("ds:", "").replace("xmlns:ds=", "xmlns=");
    let report = verify(unprefixed.as_bytes(), XmlProfile::Enveloped, Purpose::Sign);
    assert_eq!(report.signatures.len(), 1);
}

#[test]
fn hostile_documents_are_refused_by_name() {
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><lolz>&lol3;</lolz>";
    let external = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><a>&xxe;</a>";
    let deep = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
    let huge = vec![b' '; 60 * 1024 * 1024];
    let mut big_cert = String::from_utf8(signed_application()).expect("utf-8");
    let at = big_cert.find("<ds:X509Certificate>").expect("cert") + "<ds:X509Certificate>".len();
    big_cert.insert_str(at, &"QUJD".repeat(40 * 1024));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("billion laughs", laughs.into(), "DOCTYPE"),
        ("external entity", external.into(), "DOCTYPE"),
        ("10 000 levels", deep.into_bytes(), "deeper than"),
        (
            "60 MB",
            [b"<a>".as_slice(), &huge, b"</a>"].concat(),
            "larger than",
        ),
        ("invalid UTF-8", b"<a>\xc3\x28</a>".to_vec(), "not UTF-8"),
        ("a 160 KB certificate", big_cert.into_bytes(), "longer than"),
        (
            "not XML",
            b"{\"cms\": \"MIIB\"}".to_vec(),
            "not well-formed",
        ),
        ("no signature", b"<a><b/></a>".to_vec(), "no XML signature"),
        ("unclosed", b"<a><b></a>".to_vec(), "not well-formed"),
        ("empty", Vec::new(), "empty"),
    ];
    for (what, doc, expected) in cases {
        let err = try_verify(&doc, XmlProfile::Enveloped, Purpose::Sign).expect_err(what);
        assert!(err.to_string().contains(expected), "{what}: {err}");
    }
    // 32 signatures of 16 references each over a 2 MB document: 1 GB of canonicalisation asked, refused at the
    // budget (64 MB + 4 × the document) instead of working for seconds.
    let signed = String::from_utf8(signed_application()).expect("utf-8");
    let start = signed.find("<ds:Signature").expect("signature");
    let end = signed.find("</ds:Signature>").expect("end") + "</ds:Signature>".len();
    let signature = &signed[start..end];
    let r0 = signature.find("<ds:Reference").expect("reference");
    let r1 = signature.find("</ds:Reference>").expect("end") + "</ds:Reference>".len();
    let many = format!(
        "{}{}{}",
        &signature[..r1],
        signature[r0..r1].repeat(15),
        &signature[r1..]
    );
    let at = signed.rfind("</application>").expect("end tag");
    let doc = format!(
        "{}<pad>{}</pad>{}{}",
        &signed[..start],
        "x".repeat(2 * 1024 * 1024),
        many.repeat(32),
        &signed[at..]
    );
    let err =
        try_verify(doc.as_bytes(), XmlProfile::Enveloped, Purpose::Sign).expect_err("too much");
    assert!(matches!(err, XmlError::TooMuchWork(_)), "{err}");

    // A SOAP check on something else.
    let err =
        try_verify(&signed_application(), XmlProfile::Wsse, Purpose::Sign).expect_err("not SOAP");
    assert!(matches!(err, XmlError::NotSoap(_)), "{err}");
}

#[test]
fn refused_transforms_and_uris_say_why() {
    let signed = String::from_utf8(signed_application()).expect("utf-8");
    // A namespaced attribute named like the one that counts is not read in its place: the reference is URI=""
    // (its digest matches the whole document); only SignedInfo's signature fails, since the attribute was added.
    let decoy = signed.replacen(
        "URI=\"\"",
        "xmlns:evil=\"urn:evil\" evil:URI=\"#elsewhere\" URI=\"\"",
        1,
    );
    let report = verify(decoy.as_bytes(), XmlProfile::Enveloped, Purpose::Sign);
    let reference = &report.signatures[0].references[0];
    assert_eq!((reference.uri.as_str(), reference.digest_valid), ("", true));
    assert_eq!(codes(&report), ["SIGNATURE_INVALID"]);
    for (from, to, code) in [
        (
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments\"/>",
            "http://www.w3.org/TR/1999/REC-xpath-19991116\"/>",
            "UNSUPPORTED_ALGORITHM",
        ),
        (
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments\"/>",
            "http://www.w3.org/TR/1999/REC-xslt-19991116\"/>",
            "UNSUPPORTED_ALGORITHM",
        ),
        (
            "URI=\"\"",
            "URI=\"http://example.com/doc.xml\"",
            "SIGNATURE_SCOPE",
        ),
        ("URI=\"\"", "URI=\"doc.xml\"", "SIGNATURE_SCOPE"),
        ("URI=\"\"", "URI=\"#xpointer(/)\"", "SIGNATURE_SCOPE"),
        (
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311",
            "UNSUPPORTED_ALGORITHM",
        ),
    ] {
        let doc = signed.replacen(from, to, 1);
        let report = verify(doc.as_bytes(), XmlProfile::Enveloped, Purpose::Sign);
        assert!(
            codes(&report).contains(&code),
            "{to}: {:?}",
            report.report.messages
        );
        assert!(!report.report.valid);
    }
}

mod over_http {
    use crate::common;
    use crate::common::client::{assert_problem, post_as, post_json, service, service_with};
    use serde_json::json;

    /// Signs `challenge` as NCALayer's `signXml` does, with the demo key `name`.
    fn answer(challenge: &str, name: &str) -> String {
        String::from_utf8(
            qoltanba::sign_xml(challenge.as_bytes(), &common::demo_signer(name)).expect("sign"),
        )
        .expect("utf-8")
    }

    #[test]
    fn verify_and_sign_xml_and_wsse() {
        let svc = service_with(|mut state| {
            state.portal_signer = Some(std::sync::Arc::new(common::demo_signer("legal-employee")));
            state
        });
        let signed = super::signed_application();
        let a = post_json(
            svc.addr,
            "/v1/verify/xml",
            &json!({"xml": String::from_utf8(signed).expect("utf-8")}),
        );
        assert_eq!(a.status, 200);
        let r = a.json();
        assert_eq!(r["valid"], true, "{r}");
        assert_eq!(
            r["signatures"][0]["references"][0]["covers"]["node"],
            "document"
        );
        let a = post_json(
            svc.addr,
            "/v1/verify/wsse",
            &json!({"xml": super::signed_envelope()}),
        );
        assert_eq!(a.json()["valid"], true, "{}", a.json());
        assert_eq!(a.json()["profile"], "wsse");
        assert_problem(
            &post_json(svc.addr, "/v1/verify/xml", &json!({"xml": "<a>"})),
            400,
            "MALFORMED",
        );
        assert_problem(
            &post_json(
                svc.addr,
                "/v1/verify/xml",
                &json!({"xml": "<!DOCTYPE a [<!ENTITY b 'c'>]><a>&b;</a>"}),
            ),
            400,
            "MALFORMED",
        );

        // Signing needs a portal token and the portal signer.
        let body = json!({"xml": super::APPLICATION}).to_string();
        let a = post_as(svc.addr, "/v1/sign/xml", "", body.as_bytes());
        assert_eq!(a.status, 401);
        let a = post_as(svc.addr, "/v1/sign/xml", &svc.portal, body.as_bytes());
        assert_eq!(a.status, 200);
        let xml = a.json()["xml"].as_str().expect("xml").to_string();
        let r = post_json(svc.addr, "/v1/verify/xml", &json!({"xml": xml})).json();
        assert_eq!(r["valid"], true, "{r}");
        assert_eq!(r["subject"]["iin"], "950721400231", "{r}");
        let body = json!({"xml": super::ENVELOPE}).to_string();
        let a = post_as(svc.addr, "/v1/sign/wsse", &svc.portal, body.as_bytes());
        assert_eq!(a.status, 200);
        let r = post_json(
            svc.addr,
            "/v1/verify/wsse",
            &json!({"xml": a.json()["xml"]}),
        )
        .json();
        assert_eq!(r["valid"], true, "{r}");
        // Signing the application XML as SOAP: a clear 400.
        let body = json!({"xml": super::APPLICATION}).to_string();
        let a = post_as(svc.addr, "/v1/sign/wsse", &svc.portal, body.as_bytes());
        assert_problem(&a, 400, "MALFORMED");
        // Off unless configured.
        let off = service();
        let a = post_as(off.addr, "/v1/sign/xml", &off.portal, body.as_bytes());
        assert_problem(&a, 501, "NOT_CONFIGURED");
    }

    fn refused(a: &crate::common::client::Answer, reason: &str) {
        assert_eq!(a.status, 401, "{}", String::from_utf8_lossy(&a.body));
        let p = a.json();
        assert_eq!(p["code"], "LOGIN_REFUSED", "{p}");
        assert_eq!(p["reason"], reason, "{p}");
    }

    /// Login by EDS end to end: a challenge, signed with the demo AUTH key, accepted once; replayed, expired,
    /// signed with a SIGN key, revoked, or for another challenge → refused with a code.
    #[test]
    fn login_by_eds() {
        let svc = service();
        let challenge = || {
            let a = post_json(svc.addr, "/v1/auth/challenge", &json!({}));
            assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
            a.json()
        };
        let c = challenge();
        let nonce = c["nonce"].as_str().expect("nonce").to_string();
        assert_eq!(nonce.len(), 43);
        let xml = c["challenge"].as_str().expect("challenge").to_string();
        assert!(xml.contains(&nonce));
        let signed = answer(&xml, "individual-auth");
        let a = post_json(
            svc.addr,
            "/v1/auth/verify",
            &json!({"nonce": nonce, "xml": signed}),
        );
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        let r = a.json();
        assert_eq!(r["authenticated"], true);
        assert_eq!(r["identity"]["iin"], "870412300129", "{r}");
        assert_eq!(r["report"]["valid"], true);
        // Replayed.
        refused(
            &post_json(
                svc.addr,
                "/v1/auth/verify",
                &json!({"nonce": nonce, "xml": signed}),
            ),
            "CHALLENGE_USED",
        );
        // Signed with the SIGN key.
        let c = challenge();
        let signed = answer(c["challenge"].as_str().expect("c"), "individual-sign");
        refused(
            &post_json(
                svc.addr,
                "/v1/auth/verify",
                &json!({"nonce": c["nonce"], "xml": signed}),
            ),
            "KEY_USAGE",
        );
        // ... and that challenge is spent.
        let signed = answer(c["challenge"].as_str().expect("c"), "individual-auth");
        refused(
            &post_json(
                svc.addr,
                "/v1/auth/verify",
                &json!({"nonce": c["nonce"], "xml": signed}),
            ),
            "CHALLENGE_USED",
        );
        // Revoked.
        let c = challenge();
        let signed = answer(c["challenge"].as_str().expect("c"), "revoked");
        let a = post_json(
            svc.addr,
            "/v1/auth/verify",
            &json!({"nonce": c["nonce"], "xml": signed}),
        );
        assert_eq!(a.status, 401);
        assert!(
            a.json()["detail"]
                .as_str()
                .expect("detail")
                .contains("revoked"),
            "{}",
            a.json()
        );
        // For another challenge: the answer to the first names the second.
        let (first, second) = (challenge(), challenge());
        let signed = answer(first["challenge"].as_str().expect("c"), "individual-auth");
        refused(
            &post_json(
                svc.addr,
                "/v1/auth/verify",
                &json!({"nonce": second["nonce"], "xml": signed}),
            ),
            "CHALLENGE_MISMATCH",
        );
        // A nonce never issued.
        refused(
            &post_json(
                svc.addr,
                "/v1/auth/verify",
                &json!({"nonce": "x", "xml": signed}),
            ),
            "CHALLENGE_UNKNOWN",
        );
        // The challenge edited before signing: its signature is the signer's, but the nonce is not ours.
        let edited = answer(
            &first["challenge"]
                .as_str()
                .expect("c")
                .replace(first["nonce"].as_str().expect("n"), "forged"),
            "individual-auth",
        );
        refused(
            &post_json(
                svc.addr,
                "/v1/auth/verify",
                &json!({"nonce": "forged", "xml": edited}),
            ),
            "CHALLENGE_UNKNOWN",
        );
        // An answer changed after signing.
        let tampered = answer(first["challenge"].as_str().expect("c"), "individual-auth")
            .replace("<audience>qoltanba", "<audience>qoltanbb");
        refused(
            &post_json(
                svc.addr,
                "/v1/auth/verify",
                &json!({"nonce": first["nonce"], "xml": tampered}),
            ),
            "SIGNATURE_INVALID",
        );
    }

    /// Applications may arrive signed as XML: the same rules as CMS (identity, name, refusal with its document).
    #[test]
    fn applications_arrive_as_signed_xml() {
        let svc = service();
        let application = |iin: &str, name: &str| {
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<application xmlns=\"urn:qoltanba:application:1\" service=\"licence.private-bailiff\">\n  <applicant iin=\"{iin}\">{name}</applicant>\n  <paymentReference>KZ-PAY-1</paymentReference>\n  <field name=\"qualification\">сот орындаушысының біліктілік емтиханы, 2026</field>\n</application>\n"
            )
        };
        let submit = |xml: &str| {
            let body = json!({"xml": xml}).to_string();
            post_as(svc.addr, "/v1/applications", &svc.portal, body.as_bytes())
        };
        let signed = answer(
            &application("870412300129", "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"),
            "individual-sign",
        );
        let a = submit(&signed);
        assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
        let r = a.json();
        assert_eq!(r["status"], "awaitingPayment", "{r}");
        assert_eq!(r["applicant"]["id"], "870412300129");
        assert_eq!(r["verification"]["profile"], "enveloped");
        assert_eq!(r["verification"]["valid"], true);
        // Another person's IIN: refused at once, with the refusal document.
        let signed = answer(
            &application("881215300896", "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"),
            "individual-sign",
        );
        let r = submit(&signed).json();
        assert_eq!(r["status"], "refused", "{r}");
        assert!(r["document"]["number"].is_string(), "{r}");
        assert!(
            r["verification"]["codes"]
                .to_string()
                .contains("IIN_MISMATCH"),
            "{r}"
        );
        // Changed after signing: the signature no longer verifies, refused.
        let signed = answer(
            &application("870412300129", "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"),
            "individual-sign",
        )
        .replace("KZ-PAY-1", "KZ-PAY-2");
        let r = submit(&signed).json();
        assert_eq!(r["status"], "refused", "{r}");
        assert!(
            r["verification"]["codes"]
                .to_string()
                .contains("SIGNATURE_INVALID"),
            "{r}"
        );
        // Not an application, both forms at once, or neither: 400.
        assert_problem(&submit(&super::signed_envelope()), 400, "MALFORMED");
        let both = json!({"xml": "<a/>", "cms": "MA=="}).to_string();
        let a = post_as(svc.addr, "/v1/applications", &svc.portal, both.as_bytes());
        assert_problem(&a, 400, "MALFORMED");
        let a = post_as(svc.addr, "/v1/applications", &svc.portal, b"{}");
        assert_problem(&a, 400, "MALFORMED");
    }

    /// Expiry is checked with the clock passed in: the library's challenges expire after their time to live.
    #[test]
    fn expired_challenges_are_refused() {
        let challenges = qoltanba::Challenges::new(60, "test");
        let t0 = qoltanba::UnixTime::now();
        let c = challenges.issue(t0).expect("challenge");
        let signed = answer(&c.challenge, "individual-auth");
        let store = qoltanba::demo_trust_store().expect("store");
        let later = qoltanba::UnixTime::from_secs(t0.secs() + 61);
        let refused = challenges
            .redeem(
                &store,
                &c.nonce,
                signed.as_bytes(),
                qoltanba::VerifyOptions::at_time(later),
                later,
            )
            .expect_err("expired");
        assert_eq!(refused.code(), "MESSAGE_EXPIRED");
        let ok = challenges
            .redeem(
                &store,
                &c.nonce,
                signed.as_bytes(),
                qoltanba::VerifyOptions::at_time(t0),
                t0,
            )
            .expect("in time");
        assert!(ok.authenticated);
    }
}

const X509V3: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";

/// The signed envelope with its KeyInfo replaced by `key_info` and `tokens` put first in the Security header
/// (KeyInfo is not signed, so the signature stays valid).
fn with_key_info(key_info: &str, tokens: &str) -> String {
    let signed = signed_envelope();
    let start = signed.find("<wsse:SecurityTokenReference>").expect("str");
    let end = signed.find("</wsse:SecurityTokenReference>").expect("end")
        + "</wsse:SecurityTokenReference>".len();
    let replaced = format!("{}{}{}", &signed[..start], key_info, &signed[end..]);
    let at = replaced.find("<ds:Signature").expect("signature");
    format!("{}{}{}", &replaced[..at], tokens, &replaced[at..])
}

/// WS-Security's other ways to name the signer's certificate: a Reference to a BinarySecurityToken of the same
/// header (NCANode's issue #209), and an X509IssuerSerial; a token the header does not hold is an error.
#[test]
fn binary_security_tokens_and_issuer_serial_name_the_signer() {
    use base64::Engine;
    let cert = common::demo_pki::cert("provider-signer.pem");
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.der());
    let token = format!(
        "<wsse:BinarySecurityToken xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" wsu:Id=\"X509-1\" ValueType=\"{X509V3}\" EncodingType=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary\">{b64}</wsse:BinarySecurityToken>"
    );
    let by_reference = with_key_info(
        &format!("<wsse:SecurityTokenReference><wsse:Reference URI=\"#X509-1\" ValueType=\"{X509V3}\"/></wsse:SecurityTokenReference>"),
        &token,
    );
    let report = verify(by_reference.as_bytes(), XmlProfile::Wsse, Purpose::Sign);
    assert!(report.report.valid, "{:?}", report.report.messages);
    assert_eq!(
        report.signatures[0].key_info,
        qoltanba::KeyInfoKind::BinarySecurityToken
    );

    let serial = cert
        .serial()
        .iter()
        .fold(num_decimal(), |acc, b| acc.times_256_plus(*b));
    let issuer_serial = format!(
        "<wsse:SecurityTokenReference><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (DEMO),C=KZ</ds:X509IssuerName><ds:X509SerialNumber>{}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></wsse:SecurityTokenReference>",
        serial.text()
    );
    // Found among the header's tokens, and (the provider's certificate being configured) in the trust store.
    for tokens in [token.as_str(), ""] {
        let doc = with_key_info(&issuer_serial, tokens);
        let report = verify(doc.as_bytes(), XmlProfile::Wsse, Purpose::Sign);
        assert!(report.report.valid, "{:?}", report.report.messages);
        assert_eq!(
            report.signatures[0].key_info,
            qoltanba::KeyInfoKind::IssuerSerial
        );
    }
    // A reference to a token the header does not hold, and a serial no certificate has.
    let missing = with_key_info(
        &format!("<wsse:SecurityTokenReference><wsse:Reference URI=\"#X509-2\" ValueType=\"{X509V3}\"/></wsse:SecurityTokenReference>"),
        &token,
    );
    let err =
        try_verify(missing.as_bytes(), XmlProfile::Wsse, Purpose::Sign).expect_err("no token");
    assert!(err.to_string().contains("X509-2"), "{err}");
    let wrong = with_key_info(&issuer_serial.replace(&serial.text(), "12345"), &token);
    let err =
        try_verify(wrong.as_bytes(), XmlProfile::Wsse, Purpose::Sign).expect_err("no such serial");
    assert!(err.to_string().contains("X509IssuerSerial"), "{err}");
}

/// A decimal number grown byte by byte, to write a serial as X509SerialNumber does.
struct Decimal(Vec<u8>);

fn num_decimal() -> Decimal {
    Decimal(vec![0])
}

impl Decimal {
    fn times_256_plus(mut self, b: u8) -> Decimal {
        let mut carry = u32::from(b);
        for d in self.0.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            self.0.push((carry % 10) as u8);
            carry /= 10;
        }
        self
    }

    fn text(&self) -> String {
        let s: String = self.0.iter().rev().map(|d| char::from(b'0' + d)).collect();
        let t = s.trim_start_matches('0');
        if t.is_empty() {
            "0".into()
        } else {
            t.into()
        }
    }
}

/// A wsu:Timestamp in the Security header: unsigned, it is `SIGNATURE_SCOPE`; expired or from the future, it is
/// `MESSAGE_EXPIRED`.
#[test]
fn a_timestamp_must_be_signed_and_fresh() {
    let stamp = |created: &str, expires: &str| {
        format!("<wsu:Timestamp xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>")
    };
    let signed = signed_envelope();
    let at = signed.find("<ds:Signature").expect("signature");
    let with = |s: &str| format!("{}{}{}", &signed[..at], s, &signed[at..]);
    let fresh = with(&stamp("2026-11-30T23:59:00Z", "2026-12-01T00:05:00Z"));
    assert_eq!(
        codes(&verify(fresh.as_bytes(), XmlProfile::Wsse, Purpose::Sign)),
        ["SIGNATURE_SCOPE"]
    );
    let expired = with(&stamp("2026-11-30T00:00:00Z", "2026-11-30T00:05:00Z"));
    let report = verify(expired.as_bytes(), XmlProfile::Wsse, Purpose::Sign);
    assert_eq!(
        codes(&report),
        ["SIGNATURE_SCOPE", "MESSAGE_EXPIRED"],
        "{:?}",
        report.report.messages
    );
    let future = with(&stamp("2026-12-01T01:00:00Z", "2026-12-01T01:05:00Z"));
    let report = verify(future.as_bytes(), XmlProfile::Wsse, Purpose::Sign);
    assert!(
        codes(&report).contains(&"MESSAGE_EXPIRED"),
        "{:?}",
        report.report.messages
    );
    assert!(report.timestamp.is_some());
}

/// Signing keeps what it is given: an empty document element is opened to take the signature; a Body that already
/// has a wsu:Id keeps it; an envelope already signed is refused for WS-Security (co-signing SOAP is not offered).
#[test]
fn signing_edge_cases() {
    let signer = common::demo_signer("individual-sign");
    for doc in [
        "<a/>",
        "<a x='1' />",
        "<p:a xmlns:p=\"urn:p\"/>",
        "<?xml version=\"1.0\"?><a></a>",
    ] {
        let signed = qoltanba::sign_xml(doc.as_bytes(), &signer).expect("sign");
        let report = verify(&signed, XmlProfile::Enveloped, Purpose::Sign);
        assert!(report.report.valid, "{doc}: {:?}", report.report.messages);
    }
    let with_id = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\"><s:Body wsu:Id=\"mine\"><x/></s:Body></s:Envelope>";
    let signed = String::from_utf8(qoltanba::sign_wsse(with_id.as_bytes(), &signer).expect("sign"))
        .expect("utf-8");
    assert!(signed.contains("URI=\"#mine\""), "{signed}");
    assert!(
        verify(signed.as_bytes(), XmlProfile::Wsse, Purpose::Sign)
            .report
            .valid
    );
    let again = qoltanba::sign_wsse(signed.as_bytes(), &signer).expect_err("already signed");
    assert!(
        matches!(again, qoltanba::XmlSignError::AlreadySigned),
        "{again}"
    );
    // A Header after the Body is not SOAP: refused, not spliced at the wrong place.
    let late = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><x/></s:Body><s:Header/></s:Envelope>";
    let err = qoltanba::sign_wsse(late.as_bytes(), &signer).expect_err("header after body");
    assert!(err.to_string().contains("after the Body"), "{err}");
    // An envelope in the default namespace gets a declared prefix for mustUnderstand.
    let unprefixed =
        "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\"><Body><x/></Body></Envelope>";
    let signed = qoltanba::sign_wsse(unprefixed.as_bytes(), &signer).expect("sign");
    assert!(
        verify(&signed, XmlProfile::Wsse, Purpose::Sign)
            .report
            .valid
    );
}
