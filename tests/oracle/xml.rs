//! XML signatures against what no one here wrote: the NCA's own library (Kalkan-made signatures in
//! `../shared/conformance/nca-xml`), `xmlsec1` (Debian package `xmlsec1`) both ways for RSA and ECDSA, Python's
//! `lxml` canonicalisation (PyPI `lxml`) over 1 000+ generated documents, and `lxml` + `gostcrypto` (PyPI) for GOST.

use crate::common::der::{der, oid_der};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

fn nca_xml(name: &str) -> String {
    common::tools::conformance_dir()
        .join("nca-xml")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn legacy(name: &str) -> String {
    common::tools::conformance_dir()
        .join("nca-test-pki/legacy")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn gost(name: &str) -> String {
    common::tools::conformance_dir()
        .join("nca-test-pki/gost2015")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn verify(path: &str, at: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let legacy_ca = legacy("ca/nca_rsa_test.crt");
    let gost_ca = gost("nca_gost2022_test.cer");
    let mut args = vec![
        "verify-xml",
        "--xml",
        path,
        "--trust",
        &legacy_ca,
        "--trust",
        &gost_ca,
        "--at",
        at,
        "--revocation",
        "none",
    ];
    args.extend_from_slice(extra);
    common::run_json(&args)
}

/// The Kalkan-made signatures verify at their signers' times; every signature of the co-signed document is
/// valid; a changed byte of the signed content is `SIGNATURE_INVALID`.
#[test]
fn kalkan_made_signatures_verify() {
    let _machine = common::shared_machine();
    let rsa = nca_xml("rsa-enveloped.xml");
    let (code, r) = verify(&rsa, "2021-06-01T00:00:00Z", &[]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["subject"]["iin"], "123456789011");
    assert_eq!(
        r["signatures"][0]["references"][0]["covers"]["node"],
        "document"
    );
    assert_eq!(r["signatures"][0]["keyInfo"], "x509Certificate");

    // RSA then GOST: the RSA signature covers the document without the GOST one; each valid at its signer's time.
    let two = nca_xml("rsa-then-gost-two-signers.xml");
    for (at, valid) in [("2021-06-01T00:00:00Z", 0), ("2023-01-01T00:00:00Z", 1)] {
        let (_, r) = verify(&two, at, &[]);
        let s = &r["signatures"][valid];
        assert_eq!(s["valid"], true, "signature {} at {at}: {r}", valid + 1);
        assert_eq!(r["signatures"][0]["references"][0]["digestValid"], true);
        assert_eq!(r["signatures"][1]["references"][0]["digestValid"], true);
        assert_eq!(
            r["signatures"][0]["references"][0]["covers"]["withoutSignatures"],
            serde_json::json!([2])
        );
        // The other one fails only by its certificate's dates, never by its signature.
        let other = &r["signatures"][1 - valid];
        assert!(
            common::codes(other).iter().all(|c| c.starts_with("CERT_")),
            "{other}"
        );
    }
    assert_eq!(
        verify(&two, "2023-01-01T00:00:00Z", &[]).1["signatures"][1]["signatureMethod"],
        "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512"
    );

    // SmartBridge's envelope: WS-Security, KeyIdentifier, exclusive C14N, covering the Body.
    let wsse = nca_xml("wsse-soap-rsa.xml");
    let (code, r) = verify(&wsse, "2021-06-01T00:00:00Z", &["--wsse"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["signedElement"], "/SOAP-ENV:Envelope/SOAP-ENV:Body");
    assert_eq!(r["signatures"][0]["keyInfo"], "keyIdentifier");
    // Read as an application's XML, its signature covers a child, not the document element.
    let (code, r) = verify(&wsse, "2021-06-01T00:00:00Z", &[]);
    assert_eq!(
        (code, common::codes(&r)),
        (1, vec!["SIGNATURE_SCOPE".to_string()])
    );

    // A changed byte of the signed content.
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, from, to, extra, at) in [
        (
            &rsa,
            "<b>test</b>",
            "<b>tesT</b>",
            &[][..],
            "2021-06-01T00:00:00Z",
        ),
        (
            &two,
            "<b>test</b>",
            "<b>Test</b>",
            &[][..],
            "2023-01-01T00:00:00Z",
        ),
        (
            &wsse,
            "<iin>931002451325</iin>",
            "<iin>931002451326</iin>",
            &["--wsse"][..],
            "2021-06-01T00:00:00Z",
        ),
        (
            &wsse,
            "<senderId>smartbridge</senderId>",
            "<senderId>smartbridgf</senderId>",
            &["--wsse"][..],
            "2021-06-01T00:00:00Z",
        ),
    ] {
        let text = std::fs::read_to_string(file).expect("read");
        assert!(text.contains(from));
        let path = dir.path().join("tampered.xml");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
        let (code, r) = verify(&path.to_string_lossy(), at, extra);
        assert_eq!(code, 1, "{r}");
        assert!(
            common::codes(&r).contains(&"SIGNATURE_INVALID".to_string()),
            "{from}: {r}"
        );
    }
}

/// A CA and an RSA signer made by the OpenSSL CLI: (ca.pem, key.pem, cert.pem).
fn openssl_rsa_signer(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| common::tools::openssl(dir, args);
    std::fs::write(
        dir.join("leaf.ext"),
        "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\nbasicConstraints=CA:FALSE\n",
    )
    .expect("ext");
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=XML Test CA/C=KZ",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=ТЕСТОВ ТЕСТ/serialNumber=IIN870412300129/C=KZ",
        "-utf8",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "20",
        "-extfile",
        "leaf.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("key.pem"),
        dir.join("cert.pem"),
    )
}

fn xmlsec1(args: &[&str]) -> (bool, String) {
    common::tools::need_tool("xmlsec1", "xmlsec1");
    let out = Command::new("xmlsec1")
        .args(args)
        .output()
        .expect("xmlsec1");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const DOCUMENT: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<application xmlns=\"urn:qoltanba:application\" service=\"licence.security\">\n  <applicant iin=\"870412300129\">ЖАҚСЫЛЫҚОВ Ерлан</applicant>\n  <note>Өтініш &amp; құжаттар</note>\n</application>\n";

/// NCALayer's profile as an xmlsec1 template: the signature's values left empty for xmlsec1 to fill.
fn template(method: &str) -> String {
    DOCUMENT.replace(
        "</application>",
        &format!(
            "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n<ds:SignedInfo>\n\
<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>\n\
<ds:SignatureMethod Algorithm=\"{method}\"/>\n<ds:Reference URI=\"\">\n<ds:Transforms>\n\
<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\n\
<ds:Transform Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments\"/>\n</ds:Transforms>\n\
<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n<ds:DigestValue/>\n</ds:Reference>\n\
</ds:SignedInfo>\n<ds:SignatureValue/>\n<ds:KeyInfo>\n<ds:X509Data>\n<ds:X509Certificate/>\n</ds:X509Data>\n\
</ds:KeyInfo>\n</ds:Signature></application>"
        ),
    )
}

/// Our signatures verify in xmlsec1, and xmlsec1's (NCALayer-profile templates) verify here: RSA (an OpenSSL
/// CA) and ECDSA P-256 (the demo PKI); WS-Security too.
#[test]
fn xmlsec1_both_ways_rsa_and_ecdsa() {
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (ca, rsa_key, rsa_cert) = openssl_rsa_signer(d);
    let project = common::project_dir();
    let demo = |f: &str| project.join("certs").join(f);
    let signers: [(&str, PathBuf, PathBuf, Vec<String>, &str); 2] = [
        (
            "rsa",
            rsa_key,
            rsa_cert,
            vec![
                "--trust".into(),
                ca.to_string_lossy().into_owned(),
                "--revocation".into(),
                "none".into(),
            ],
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        ),
        (
            "ecdsa",
            demo("individual-sign.key.pem"),
            demo("individual-sign.pem"),
            vec![
                "--trust".into(),
                demo("root-ca.pem").to_string_lossy().into_owned(),
                "--intermediates".into(),
                demo("issuing-ca.pem").to_string_lossy().into_owned(),
                "--crl".into(),
                demo("crl").to_string_lossy().into_owned(),
                "--at".into(),
                "2026-12-01T00:00:00Z".into(),
            ],
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        ),
    ];
    let input = d.join("document.xml");
    std::fs::write(&input, DOCUMENT).expect("write");
    let envelope = d.join("envelope.xml");
    std::fs::copy(
        common::tools::conformance_dir().join("nca-xml/wsse-soap-unsigned.xml"),
        &envelope,
    )
    .expect("copy");
    for (name, key, cert, trust, method) in &signers {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        // Ours → xmlsec1.
        let ours = d.join(format!("{name}-ours.xml"));
        let (code, out, err) = common::run_qoltanba(&[
            "sign-xml",
            "--key",
            &s(key),
            "--cert",
            &s(cert),
            "--in",
            &s(&input),
            "--out",
            &s(&ours),
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let (ok, said) = xmlsec1(&[
            "--verify",
            "--insecure",
            "--enabled-key-data",
            "x509",
            &s(&ours),
        ]);
        assert!(ok, "{name}: xmlsec1 refuses our signature: {said}");
        // A changed byte: xmlsec1 refuses it too (the check above is not vacuous).
        let tampered = d.join(format!("{name}-tampered.xml"));
        std::fs::write(
            &tampered,
            std::fs::read_to_string(&ours)
                .expect("read")
                .replace("Ерлан", "Ерлам"),
        )
        .expect("write");
        assert!(
            !xmlsec1(&[
                "--verify",
                "--insecure",
                "--enabled-key-data",
                "x509",
                &s(&tampered)
            ])
            .0
        );

        // xmlsec1 → ours.
        let tmpl = d.join(format!("{name}-template.xml"));
        std::fs::write(&tmpl, template(method)).expect("write");
        let theirs = d.join(format!("{name}-xmlsec1.xml"));
        let keys = format!("{},{}", s(key), s(cert));
        let (ok, said) = xmlsec1(&[
            "--sign",
            "--privkey-pem",
            &keys,
            "--output",
            &s(&theirs),
            &s(&tmpl),
        ]);
        assert!(ok, "{name}: xmlsec1 --sign: {said}");
        let verify_here = |path: &Path| {
            let mut args = vec!["verify-xml".to_string(), "--xml".into(), s(path)];
            args.extend(trust.iter().cloned());
            common::run_json(&args.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let (code, report) = verify_here(&theirs);
        assert_eq!(code, 0, "{name}: xmlsec1's signature here: {report}");
        assert_eq!(report["signatures"][0]["signatureMethod"], *method);
        std::fs::write(
            &tampered,
            std::fs::read_to_string(&theirs)
                .expect("read")
                .replace("Ерлан", "Ерлам"),
        )
        .expect("write");
        let (code, report) = verify_here(&tampered);
        assert_eq!(code, 1, "{report}");
        assert_eq!(common::codes(&report), ["SIGNATURE_INVALID"]);

        // WS-Security: ours → xmlsec1, with the Body's wsu:Id as the id attribute.
        let signed = d.join(format!("{name}-wsse.xml"));
        let (code, out, err) = common::run_qoltanba(&[
            "sign-xml",
            "--wsse",
            "--key",
            &s(key),
            "--cert",
            &s(cert),
            "--in",
            &s(&envelope),
            "--out",
            &s(&signed),
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let (ok, said) = xmlsec1(&[
            "--verify",
            "--pubkey-cert-pem",
            &s(cert),
            "--id-attr:Id",
            "http://schemas.xmlsoap.org/soap/envelope/:Body",
            &s(&signed),
        ]);
        assert!(
            ok,
            "{name}: xmlsec1 refuses our WS-Security signature: {said}"
        );
        let mut args = vec![
            "verify-xml".to_string(),
            "--wsse".into(),
            "--xml".into(),
            s(&signed),
        ];
        args.extend(trust.iter().cloned());
        let (code, report) = common::run_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 0, "{name}: {report}");
    }
}

/// Generates documents exercising what canonicalisation must get right and canonicalises each with lxml (libxml2)
/// in every mode; prints one JSON object a line.
const C14N_GENERATOR: &str = r##"
import json, random, base64, sys
from io import BytesIO
from lxml import etree

R = random.Random(20261202)
URIS = ["urn:a", "urn:b", "http://example.org/c", "http://www.w3.org/2000/09/xmldsig#"]
PREFIXES = ["a", "b", "c", "ds", "x"]
TEXTS = ["", "x", " sp ", "a&amp;b", "&lt;tag&gt;", "&#13;", "line\r\nnext", "cr\rhere", "\"q\"", "'", "&#x9;tab",
         "қазақ тілі", "<![CDATA[ <raw> & ]]> ", "&#169;", ">", "]]&gt;", "\n  ", "&#xD;&#xA;"]
VALUES = ["v", "a b", "&amp;", "&lt;", "&quot;", " \t\n ", "&#13;&#10;&#9;", "қ", "&gt;", "x'y", "", "<>".replace("<", "&lt;")]
LOCALS = ["id", "b", "a", "z", "Id", "name", "a1"]

def element(depth, scope, state):
    decls = {}
    for _ in range(R.choice([0, 0, 1, 2, 3])):
        p = R.choice(PREFIXES + [None])
        if p is None:
            decls[""] = R.choice(URIS + [""])
        else:
            decls[p] = R.choice(URIS)
    inner = dict(scope); inner.update(decls)
    prefixed = [p for p in inner if p]
    name_prefix = R.choice(prefixed + [None, None]) if prefixed else None
    local = R.choice(["e", "doc", "Body", "item", "f"])
    qname = f"{name_prefix}:{local}" if name_prefix else local
    attrs = []; seen = set()
    for _ in range(R.choice([0, 1, 2, 3, 4])):
        if prefixed and R.random() < 0.4:
            p = R.choice(prefixed); l = R.choice(LOCALS)
            key = (inner[p], l)
            qa = f"{p}:{l}"
        elif R.random() < 0.1:
            l = R.choice(["lang", "space"]); key = ("xml", l); qa = f"xml:{l}"
            if depth > 0 and state.get("target_set") is False:
                pass
        else:
            l = R.choice(LOCALS); key = ("", l); qa = l
            if l == "id":
                continue
        if key in seen:
            continue
        seen.add(key)
        v = R.choice(VALUES) if qa != "xml:space" else R.choice(["preserve", "default"])
        q = R.choice(['"', "'"])
        v = v.replace(q, "&quot;" if q == '"' else "&apos;")
        attrs.append(f"{qa}={q}{v}{q}")
    if not state["target"] and depth > 0 and R.random() < 0.3:
        attrs.append('id="t"'); state["target"] = True
    decl_text = "".join(
        (f' xmlns="{u}"' if p == "" else f' xmlns:{p}="{u}"') for p, u in decls.items())
    ws = R.choice([" ", "  ", "\n   ", "\t"])
    head = f"<{qname}{decl_text}" + "".join(ws + a for a in attrs)
    if depth >= 4 or R.random() < 0.2:
        return head + R.choice(["/>", " />", f"></{qname}>"])
    body = []
    for _ in range(R.randint(0, 4)):
        k = R.random()
        if k < 0.35:
            body.append(R.choice(TEXTS))
        elif k < 0.45:
            body.append(R.choice(["<!-- c -->", "<!---->", "<!-- қ & < -->"]))
        elif k < 0.5:
            body.append(R.choice(["<?pi data?>", "<?pi?>", "<?pi   spaced  data ?>"]))
        else:
            body.append(element(depth + 1, inner, state))
    return head + ">" + "".join(body) + f"</{qname}>"

def document():
    state = {"target": False}
    prolog = "".join(R.choice(["", "<!-- before -->\n", "<?pi before?>\n", "\n"]) for _ in range(2))
    epilog = "".join(R.choice(["", "\n<!-- after -->", "<?pi after?>", "\n"]) for _ in range(2))
    decl = R.choice(["", '<?xml version="1.0" encoding="UTF-8"?>\n', "<?xml version='1.0'?>"])
    return decl + prolog + element(0, {}, state) + epilog

MODES = [(False, False), (False, True), (True, False), (True, True)]
n = 0; skipped = 0
while n < int(sys.argv[1]) if len(sys.argv) > 1 else n < 1100:
    text = document()
    try:
        tree = etree.parse(BytesIO(text.encode("utf-8")), etree.XMLParser(resolve_entities=False, remove_blank_text=False))
    except etree.XMLSyntaxError:
        skipped += 1
        continue
    targets = tree.xpath('//*[@id="t"]')
    for exclusive, comments in MODES:
        # lxml passes on only prefixes its document dictionary holds, so "#default" never reaches libxml2: the
        # default namespace in the prefix list is checked against the specification's text in the unit tests.
        prefixes = R.sample(PREFIXES, R.randint(0, 2)) if exclusive else []
        case = {"xml": text, "exclusive": exclusive, "comments": comments, "prefixes": prefixes}
        case["expected"] = base64.b64encode(etree.tostring(
            tree, method="c14n", exclusive=exclusive, with_comments=comments,
            inclusive_ns_prefixes=prefixes or None)).decode()
        print(json.dumps(case))
        if targets:
            t = targets[0]
            # lxml canonicalises a subtree in a copy of it under a fake root: inherited xml: attributes are lost,
            # and a default namespace in scope comes out undeclared again (xmlns="") on descendants that declare
            # other namespaces — libxml2 no longer sees the original declarations. Compare subtrees only where
            # neither can happen (whole documents cover default namespaces); both cases are checked against the
            # specification's text in the unit tests.
            inherited_default = any(None in e.nsmap for e in t.iter()) or any(None in a.nsmap for a in t.iterancestors())
            inherited_xml = any(k.startswith("{http://www.w3.org/XML/1998/namespace}") for a in t.iterancestors() for k in a.attrib)
            if not inherited_default and not inherited_xml:
                sub = dict(case); sub["id"] = "t"
                sub["expected"] = base64.b64encode(etree.tostring(
                    t, method="c14n", exclusive=exclusive, with_comments=comments,
                    inclusive_ns_prefixes=prefixes or None)).decode()
                print(json.dumps(sub))
    n += 1
print(json.dumps({"done": n, "skipped": skipped}))
"##;

/// Our canonicalisation gives lxml's bytes, every mode, over 1 100 generated documents (whole documents and
/// subtrees): default and redeclared namespaces, unused declarations, `xml:` attributes, attribute order,
/// character and entity references, CDATA, PIs, comments, CR/LF and `&#13;`, whitespace outside the document
/// element.
#[test]
fn canonicalisation_matches_lxml_over_generated_documents() {
    let _machine = common::shared_machine();
    common::tools::need_python_module("lxml", "lxml");
    let out = common::tools::run_python(C14N_GENERATOR, b"");
    let mut compared = 0;
    let mut documents = 0;
    let mut subtrees = 0;
    for line in String::from_utf8(out).expect("utf-8").lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("json");
        if let Some(done) = case.get("done") {
            documents = done.as_u64().expect("n");
            continue;
        }
        let exclusive = case["exclusive"].as_bool().expect("bool");
        let comments = case["comments"].as_bool().expect("bool");
        let algorithm = match (exclusive, comments) {
            (false, false) => "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
            (false, true) => "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
            (true, false) => "http://www.w3.org/2001/10/xml-exc-c14n#",
            (true, true) => "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        };
        let prefixes: Vec<String> = case["prefixes"]
            .as_array()
            .expect("prefixes")
            .iter()
            .map(|p| p.as_str().expect("str").to_string())
            .collect();
        let xml = case["xml"].as_str().expect("xml");
        let id = case.get("id").and_then(|v| v.as_str());
        subtrees += usize::from(id.is_some());
        let ours = qoltanba::canonicalize_xml(xml.as_bytes(), algorithm, &prefixes, id)
            .unwrap_or_else(|e| panic!("{e}: {xml}"));
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD
            .decode(case["expected"].as_str().expect("expected"))
            .expect("base64");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&expected),
            "{algorithm} {prefixes:?} subtree {id:?} of:\n{xml}"
        );
        compared += 1;
    }
    assert!(documents >= 1000, "{documents} documents");
    assert!(
        compared >= 4000 && subtrees >= 400,
        "{compared} comparisons, {subtrees} subtrees"
    );
}

/// GOST: our XML signature with an NCA key verifies in an independent implementation — lxml canonicalises the
/// document without the signature and SignedInfo, gostcrypto checks the Streebog-512 digest and the signature in
/// the NCA's little-endian layout; a changed byte fails there too.
#[test]
fn our_gost_xml_signatures_verify_in_lxml_and_gostcrypto() {
    let _machine = common::shared_machine();
    common::tools::need_python_module("lxml", "lxml");
    common::tools::need_python_module("gostcrypto", "gostcrypto");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("document.xml");
    std::fs::write(&input, DOCUMENT).expect("write");
    let out = dir.path().join("signed.xml");
    let key = gost("legal/valid/head.p12");
    let (code, o, e) = common::run_qoltanba(&[
        "sign-xml",
        "--key",
        &key,
        "--password",
        "Qwerty12",
        "--in",
        &input.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{o}{e}");
    let signed = std::fs::read(&out).expect("signed");
    // Valid here, through the NCA's 2022 hierarchy and its CRL.
    let (code, report) = common::run_json(&[
        "verify-xml",
        "--xml",
        &out.to_string_lossy(),
        "--trust",
        &gost("root_test_gost_2022.cer"),
        "--intermediates",
        &gost("nca_gost2022_test.cer"),
        "--crl",
        &gost("nca_gost2022_test.crl"),
        "--revocation",
        "leaf",
        "--at",
        "2026-12-01T00:00:00Z",
    ]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["subject"]["bin"], "123456789021");

    let public =
        qoltanba::read_signing_identity(&std::fs::read(&key).expect("p12"), Some("Qwerty12"))
            .expect("key")
            .key
            .public_key()
            .key;
    let point = qoltanba::asn1::Reader::new(&public)
        .read(0x04)
        .expect("OCTET STRING")
        .value
        .to_vec();
    let script = r#"
import json, sys, base64
from io import BytesIO
from lxml import etree
from gostcrypto import gostsignature, gosthash
case = json.loads(sys.stdin.read())
DS = "http://www.w3.org/2000/09/xmldsig#"
def check(xml):
    tree = etree.parse(BytesIO(xml.encode("utf-8")))
    sig = tree.find(".//{%s}Signature" % DS)
    signed_info = sig.find("{%s}SignedInfo" % DS)
    si = etree.tostring(signed_info, method="c14n")
    digest_value = base64.b64decode("".join(sig.find(".//{%s}DigestValue" % DS).text.split()))
    value = base64.b64decode("".join(sig.find("{%s}SignatureValue" % DS).text.split()))
    sig.getparent().remove(sig)
    body = etree.tostring(tree, method="c14n")
    if gosthash.new("streebog512", data=body).digest() != digest_value:
        return False
    key = bytes.fromhex(case["key_le"])
    x, y = key[:64][::-1], key[64:][::-1]
    r, s = value[:64][::-1], value[64:][::-1]
    h = gosthash.new("streebog512", data=si).digest()
    v = gostsignature.new(gostsignature.MODE_512, gostsignature.CURVES_R_1323565_1_024_2019["id-tc26-gost-3410-12-512-paramSetA"])
    return v.verify(bytearray(x + y), bytearray(h[::-1]), bytearray(r + s))
print(json.dumps([check(case["xml"]), check(case["xml"].replace("Ерлан", "Ерлам"))]))
"#;
    let case = serde_json::json!({
        "xml": String::from_utf8(signed).expect("utf-8"),
        "key_le": point.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    });
    let verdicts: Vec<bool> = serde_json::from_slice(&common::tools::run_python(
        script,
        case.to_string().as_bytes(),
    ))
    .expect("json");
    assert_eq!(verdicts, [true, false]);
}

/// A certificate for the GOST R 34.10-2012 512-bit key `key`, issued by the demo issuing CA (ECDSA) for signing.
fn gost_certificate(key: &dyn qoltanba::SigningKey) -> Vec<u8> {
    use x509_parser::prelude::FromDer;
    let project = common::project_dir();
    let ca_der = qoltanba::der_blocks(
        &std::fs::read(project.join("certs/issuing-ca.pem")).expect("ca"),
        &["CERTIFICATE"],
    )
    .expect("pem")
    .remove(0);
    let (_, ca) = x509_parser::certificate::X509Certificate::from_der(&ca_der).expect("ca");
    let public = key.public_key();
    let spki = der(
        0x30,
        &[
            der(
                0x30,
                &[
                    der(0x06, public.algorithm.oid.as_bytes()),
                    public.algorithm.params.clone().unwrap_or_default(),
                ]
                .concat(),
            ),
            der(0x03, &[&[0u8][..], &public.key].concat()),
        ]
        .concat(),
    );
    let ecdsa_sha256 = der(0x30, &oid_der("1.2.840.10045.4.3.2"));
    let rdn = |oid: &str, tag: u8, value: &str| {
        der(
            0x31,
            &der(0x30, &[oid_der(oid), der(tag, value.as_bytes())].concat()),
        )
    };
    let subject = der(
        0x30,
        &[
            rdn("2.5.4.3", 0x0c, "GOST XML ТЕСТ"),
            rdn("2.5.4.5", 0x13, "IIN870412300129"),
            rdn("2.5.4.6", 0x13, "KZ"),
        ]
        .concat(),
    );
    let key_usage = der(
        0x30,
        &[
            oid_der("2.5.29.15"),
            der(0x01, &[0xff]),
            der(0x04, &[0x03, 0x02, 0x06, 0xc0]),
        ]
        .concat(),
    );
    let tbs = der(
        0x30,
        &[
            der(0xa0, &der(0x02, &[2])),
            der(0x02, &[0x51, 0x0b, 0xa7, 0x77]),
            ecdsa_sha256.clone(),
            ca.tbs_certificate.subject.as_raw().to_vec(),
            der(
                0x30,
                &[der(0x17, b"260101000000Z"), der(0x17, b"271231000000Z")].concat(),
            ),
            subject,
            spki,
            der(0xa3, &der(0x30, &key_usage)),
        ]
        .concat(),
    );
    let ca_key = qoltanba::read_signing_identity(
        &std::fs::read(project.join("certs/issuing-ca.key.pem")).expect("key"),
        None,
    )
    .expect("ca key")
    .key;
    let signature = ca_key.sign(&tbs).expect("sign");
    der(
        0x30,
        &[
            tbs,
            ecdsa_sha256,
            der(0x03, &[&[0u8][..], &signature].concat()),
        ]
        .concat(),
    )
}

/// GOST the other way: a document signed in Python — lxml's canonicalisation, gostcrypto's GOST R 34.10-2012
/// 512-bit signature in the NCA's little-endian layout under the pkigovkz URIs — verifies here (its certificate
/// issued by the demo CA for the key gostcrypto signs with); a changed byte does not.
#[test]
fn gostcrypto_made_xml_signatures_verify_here() {
    let _machine = common::shared_machine();
    common::tools::need_python_module("lxml", "lxml");
    common::tools::need_python_module("gostcrypto", "gostcrypto");
    // A key both sides know: the scalar little-endian, as PKCS#8 carries GOST keys.
    let mut scalar = vec![0x4du8; 64];
    scalar[63] = 0x01;
    let alg = der(
        0x30,
        &[
            oid_der("1.2.643.7.1.1.1.2"),
            der(0x30, &oid_der("1.2.643.7.1.2.1.2.1")),
        ]
        .concat(),
    );
    let pkcs8 = der(
        0x30,
        &[der(0x02, &[0]), alg, der(0x04, &der(0x04, &scalar))].concat(),
    );
    let key = qoltanba::signing_key_from_pkcs8(&pkcs8).expect("GOST key");
    let cert = gost_certificate(key.as_ref());
    use base64::Engine;
    let case = serde_json::json!({
        "d_le": scalar.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "cert": base64::engine::general_purpose::STANDARD.encode(&cert),
        "xml": "<application service=\"licence.private-bailiff\"><applicant iin=\"870412300129\">ЖАҚСЫЛЫҚОВ Ерлан</applicant><note>Өтініш &amp; құжаттар</note></application>",
    });
    let script = r#"
import json, sys, base64
from io import BytesIO
from lxml import etree
from gostcrypto import gostsignature, gosthash
c = json.loads(sys.stdin.read())
DS = "http://www.w3.org/2000/09/xmldsig#"
K = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:"
tree = etree.parse(BytesIO(c["xml"].encode("utf-8")))
root = tree.getroot()
digest = gosthash.new("streebog512", data=etree.tostring(tree, method="c14n")).digest()
E = lambda parent, name, **a: etree.SubElement(parent, "{%s}%s" % (DS, name), **a)
sig = etree.SubElement(root, "{%s}Signature" % DS, nsmap={"ds": DS})
si = E(sig, "SignedInfo")
E(si, "CanonicalizationMethod", Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
E(si, "SignatureMethod", Algorithm=K + "gostr34102015-gostr34112015-512")
ref = E(si, "Reference", URI="")
ts = E(ref, "Transforms")
E(ts, "Transform", Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature")
E(ts, "Transform", Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments")
E(ref, "DigestMethod", Algorithm=K + "gostr34112015-512")
E(ref, "DigestValue").text = base64.b64encode(digest).decode()
value = E(sig, "SignatureValue")
E(E(E(sig, "KeyInfo"), "X509Data"), "X509Certificate").text = c["cert"]
h = gosthash.new("streebog512", data=etree.tostring(si, method="c14n")).digest()
signer = gostsignature.new(gostsignature.MODE_512,
                           gostsignature.CURVES_R_1323565_1_024_2019["id-tc26-gost-3410-12-512-paramSetA"])
d = int.from_bytes(bytes.fromhex(c["d_le"]), "little")
# gostcrypto reads the digest big-endian; the NCA reads it little-endian: hand it the reversed bytes.
s = signer.sign(bytearray(d.to_bytes(64, "big")), bytearray(h[::-1]))
value.text = base64.b64encode(bytes(s[:64])[::-1] + bytes(s[64:])[::-1]).decode()
sys.stdout.write(etree.tostring(tree, xml_declaration=True, encoding="UTF-8").decode("utf-8"))
"#;
    let signed = common::tools::run_python(script, case.to_string().as_bytes());
    let store = qoltanba::demo_trust_store().expect("store");
    let opts = qoltanba::VerifyOptions::at(common::unix("2026-12-01T00:00:00Z"));
    let report = qoltanba::verify_xml(&store, &signed, qoltanba::XmlProfile::Enveloped, &opts)
        .expect("verifiable");
    assert!(
        report.report.valid,
        "{:?}\n{}",
        report.report.messages,
        String::from_utf8_lossy(&signed)
    );
    assert!(report.signatures[0].references[0].digest_valid);
    let tampered = String::from_utf8(signed)
        .expect("utf-8")
        .replace("Ерлан", "Ерлам");
    let report = qoltanba::verify_xml(
        &store,
        tampered.as_bytes(),
        qoltanba::XmlProfile::Enveloped,
        &opts,
    )
    .expect("verifiable");
    assert_eq!(report.report.codes, [qoltanba::Code::SignatureInvalid]);
}

/// A WS-Security message whose signature covers the Body and a fresh `wsu:Timestamp`, made by xmlsec1 (two
/// references, exclusive C14N, the certificate in X509Data): valid here; once its Timestamp has expired (checked at
/// a later time), `MESSAGE_EXPIRED`.
#[test]
fn xmlsec1_signed_timestamps_are_checked() {
    let _machine = common::shared_machine();
    let dir = tempfile::tempdir().expect("tempdir");
    let now = time::OffsetDateTime::now_utc();
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("time")
    };
    let (created, expires) = (
        fmt(now - time::Duration::seconds(5)),
        fmt(now + time::Duration::minutes(5)),
    );
    let wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    let exc = "http://www.w3.org/2001/10/xml-exc-c14n#";
    let reference = |id: &str| {
        format!(
        "<ds:Reference URI=\"#{id}\"><ds:Transforms><ds:Transform Algorithm=\"{exc}\"/></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/></ds:Reference>"
    )
    };
    let template = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:wsu=\"{wsu}\"><soap:Header><wsse:Security xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" soap:mustUnderstand=\"1\"><wsu:Timestamp wsu:Id=\"TS-1\"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{exc}\"/><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>{}{}</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature></wsse:Security></soap:Header><soap:Body wsu:Id=\"Body-1\"><m><iin>870412300129</iin></m></soap:Body></soap:Envelope>",
        reference("TS-1"),
        reference("Body-1"),
    );
    let tmpl = dir.path().join("template.xml");
    std::fs::write(&tmpl, template).expect("write");
    let out = dir.path().join("signed.xml");
    let project = common::project_dir();
    let keys = format!(
        "{},{}",
        project.join("certs/provider-signer.key.pem").display(),
        project.join("certs/provider-signer.pem").display()
    );
    let (ok, said) = xmlsec1(&[
        "--sign",
        "--privkey-pem",
        &keys,
        "--id-attr:Id",
        &format!("{wsu}:Timestamp"),
        "--id-attr:Id",
        "http://schemas.xmlsoap.org/soap/envelope/:Body",
        "--output",
        &out.to_string_lossy(),
        &tmpl.to_string_lossy(),
    ]);
    assert!(ok, "xmlsec1 --sign: {said}");
    let verify_at = |at: &str| {
        common::run_json(&[
            "verify-xml",
            "--wsse",
            "--xml",
            &out.to_string_lossy(),
            "--trust",
            &project.join("certs/root-ca.pem").to_string_lossy(),
            "--intermediates",
            &project.join("certs/issuing-ca.pem").to_string_lossy(),
            "--crl",
            &project.join("certs/crl").to_string_lossy(),
            "--at",
            at,
        ])
    };
    let (code, report) = verify_at(&fmt(now));
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["timestamp"]["created"], created.as_str());
    assert_eq!(
        report["signatures"][0]["references"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let (code, report) = verify_at(&fmt(now + time::Duration::minutes(10)));
    assert_eq!(
        (code, common::codes(&report)),
        (1, vec!["MESSAGE_EXPIRED".to_string()]),
        "{report}"
    );
}
