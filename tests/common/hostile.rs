//! Hostile inputs of the hardening issue, shared by its regression tests and the flood test.
#![allow(dead_code)]

/// A PDF of `objects` (object i + 1 is `objects[i]`, its body without `obj`/`endobj`), catalog first.
pub fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
    qoltanba::file_of(objects)
}

pub fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<<{dict}/Length {}>>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

pub fn deflated(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 9)
}

/// One page whose resources and contents are given; objects 1–3 are catalog, pages and page.
pub fn one_page(resources: &str, contents: &str, rest: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = vec![
        b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
        format!("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources{resources}/Contents {contents}>>")
            .into_bytes(),
    ];
    objects.extend(rest);
    pdf_of(&objects)
}

/// The PDF bombs of finding 3: none holds a seal, each once cost the old reader gigabytes or hours.
pub fn pdf_bombs() -> Vec<(&'static str, Vec<u8>)> {
    let zeros = deflated(&vec![0u8; 64 * 1024 * 1024]);
    let mut finders = Vec::new();
    // A 185×185 image (the largest symbol shape) drawn full of finder patterns, and a 4000×4000 one.
    for (side, name) in [(185usize, "finders"), (4000, "huge")] {
        let pixels: Vec<u8> = (0..side * side)
            .map(|i| {
                let (x, y) = ((i % side) % 7, (i / side) % 7);
                if x == 0
                    || x == 6
                    || y == 0
                    || y == 6
                    || (2..=4).contains(&x) && (2..=4).contains(&y)
                {
                    0
                } else {
                    255
                }
            })
            .collect();
        finders.push((
            name,
            one_page(
                "<</XObject<</Im1 4 0 R>>>>",
                "5 0 R",
                vec![
                    stream(
                        &format!("/Type/XObject/Subtype/Image/Width {side}/Height {side}/BitsPerComponent 8/ColorSpace/DeviceGray/Filter/FlateDecode"),
                        &deflated(&pixels),
                    ),
                    stream("", b"q 500 0 0 500 50 50 cm /Im1 Do Q"),
                ],
            ),
        ));
    }
    let mut cases: Vec<(&'static str, Vec<u8>)> = vec![
        // An image declaring 60000 × 60000 pixels over a small stream (the old reader allocated its declared size).
        (
            "image",
            one_page(
                "<</XObject<</Im1 4 0 R>>>>",
                "5 0 R",
                vec![
                    stream(
                        "/Type/XObject/Subtype/Image/Width 60000/Height 60000/BitsPerComponent 8/ColorSpace/DeviceGray/Filter/FlateDecode",
                        &zeros,
                    ),
                    stream("", b"q 500 0 0 500 50 50 cm /Im1 Do Q"),
                ],
            ),
        ),
        // A content stream that inflates to 64 MB, listed 40 times in /Contents.
        (
            "contents",
            one_page(
                "<<>>",
                &format!("[{}]", "4 0 R ".repeat(40)),
                vec![stream("/Filter/FlateDecode", &zeros)],
            ),
        ),
        // 40 levels of form XObjects, each drawing the next twice (2^40 draws if followed naively).
        ("forms", {
            let mut objects = vec![
                b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
                b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</F 5 0 R>>>>/Contents 4 0 R>>".to_vec(),
                stream("", b"/F Do /F Do"),
            ];
            for level in 0..40 {
                let next = 5 + level + 1;
                objects.push(stream(
                    &format!("/Type/XObject/Subtype/Form/BBox[0 0 595 842]/Resources<</XObject<</F {next} 0 R>>>>"),
                    b"/F Do /F Do",
                ));
            }
            objects.push(stream("/Type/XObject/Subtype/Form/BBox[0 0 1 1]", b"0 0 1 1 re f"));
            pdf_of(&objects)
        }),
        // 1.7 MB of "/Subtype/Image" (the old reader scanned backwards from each for "<<").
        ("scan", {
            let junk = "/Subtype/Image ".repeat(110_000);
            one_page("<<>>", "4 0 R", vec![stream("", junk.as_bytes())])
        }),
    ];
    cases.extend(finders);
    cases
}

pub fn rcgen_key() -> rcgen::KeyPair {
    rcgen::KeyPair::generate().expect("key")
}

/// A certificate of `n` distinct (non-critical) extensions, each `size` bytes, issued by `issuer` (or self-signed).
pub fn certificate_with_extensions(n: usize, size: usize) -> (rcgen::Certificate, rcgen::KeyPair) {
    let mut params = rcgen::CertificateParams::new(vec![]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Many extensions");
    params.custom_extensions = (0..n)
        .map(|i| {
            rcgen::CustomExtension::from_oid_content(
                &[
                    1,
                    3,
                    6,
                    1,
                    4,
                    1,
                    99999,
                    (i / 1000) as u64,
                    (i % 1000) as u64,
                ],
                vec![0x04, 0x00]
                    .into_iter()
                    .chain(std::iter::repeat_n(0, size))
                    .collect(),
            )
        })
        .collect();
    let key = rcgen_key();
    let cert = params.self_signed(&key).expect("certificate");
    (cert, key)
}

/// A small CMS signed by a leaf whose issuer is named like eighteen certificates it carries (each self-issued by
/// its own key): without a budget, path building tries every ordering of them.
pub fn same_named_cms() -> Vec<u8> {
    let name = || {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "Loop CA");
        dn
    };
    let mut cas = Vec::new();
    for _ in 0..18 {
        let mut p = rcgen::CertificateParams::new(vec![]).expect("params");
        p.distinguished_name = name();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen_key();
        let cert = p.self_signed(&key).expect("ca");
        cas.push((cert, key, p));
    }
    let mut leaf = rcgen::CertificateParams::new(vec![]).expect("params");
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "Leaf");
    let leaf_key = rcgen_key();
    let (_, ca_key, ca_params) = &cas[0];
    let issuer = rcgen::Issuer::from_params(ca_params, ca_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf");
    let parse = |der: &[u8]| qoltanba::Certificate::from_der(der).expect("certificate");
    let identity =
        qoltanba::read_signing_identity(leaf_key.serialize_pem().as_bytes(), None).expect("key");
    let chain: Vec<_> = cas.iter().map(|(c, _, _)| parse(c.der())).collect();
    let signer =
        qoltanba::CmsSigner::new(identity.key, parse(leaf_cert.der()), chain).expect("signer");
    signer.sign(b"hello", false, 1_795_428_000).expect("sign")
}
