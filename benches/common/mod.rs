//! Fixtures shared by the benches: the OpenSSL interop PKI and a 422 000-entry CRL of its CA.
#![allow(dead_code)]

use qoltanba::asn1::encode as enc;
use qoltanba::der_blocks;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use x509_parser::prelude::FromDer;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openssl/out");
pub const ENTRIES: usize = 422_000;

pub fn read_der(name: &str, label: &str) -> Vec<u8> {
    let data = std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture");
    der_blocks(&data, &[label]).expect("pem").remove(0)
}

/// A CRL of the interop CA with `ENTRIES` entries (18-byte serials, a reason code each), signed with its key:
/// about 22 MB, the size of the NCA's full CRL. The serial of `revoked` is among them.
pub fn big_crl(revoked: &[u8]) -> Vec<u8> {
    big_crl_issued(revoked, b"261101000000Z", None)
}

/// [`big_crl`] issued at `this_update` (UTCTime text), with a cRLNumber when `number` is given: successive lists
/// of the same CA, each newer than the last.
pub fn big_crl_issued(revoked: &[u8], this_update: &[u8], number: Option<u32>) -> Vec<u8> {
    let ca = read_der("inter.pem", "CERTIFICATE");
    let (_, x) = x509_parser::certificate::X509Certificate::from_der(&ca).expect("ca");
    let issuer = x.tbs_certificate.subject.as_raw().to_vec();
    let alg = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
    ];
    let reason = enc(
        0x30,
        &enc(
            0x30,
            &[
                &[0x06, 0x03, 0x55, 0x1d, 0x15][..],
                &enc(0x04, &[0x0a, 0x01, 0x01]),
            ]
            .concat(),
        ),
    );
    let time = enc(0x17, b"260101000000Z");
    let mut entries = Vec::with_capacity(ENTRIES * 52);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..ENTRIES {
        let serial: Vec<u8> = if i == ENTRIES / 2 {
            revoked.to_vec()
        } else {
            (0..18)
                .map(|j| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let b = (state >> 24) as u8;
                    if j == 0 {
                        (b & 0x7f) | 0x01
                    } else {
                        b
                    }
                })
                .collect()
        };
        entries.extend(enc(
            0x30,
            &[enc(0x02, &serial), time.clone(), reason.clone()].concat(),
        ));
    }
    let tbs = enc(
        0x30,
        &[
            enc(0x02, &[1]),
            alg.to_vec(),
            issuer,
            enc(0x17, this_update),
            enc(0x17, b"301231000000Z"),
            enc(0x30, &entries),
            number.map_or_else(Vec::new, |n| {
                // [0] { SEQUENCE { cRLNumber (2.5.29.20), OCTET STRING { INTEGER n } } }
                let value = enc(0x04, &enc(0x02, &[&[0u8][..], &n.to_be_bytes()].concat()));
                let ext = enc(
                    0x30,
                    &[&[0x06, 0x03, 0x55, 0x1d, 0x14][..], &value].concat(),
                );
                enc(0xa0, &enc(0x30, &ext))
            }),
        ]
        .concat(),
    );
    let key = RsaKeyPair::from_pkcs8(&read_der("inter.key", "PRIVATE KEY")).expect("key");
    let mut sig = vec![0u8; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        &tbs,
        &mut sig,
    )
    .expect("sign");
    let mut bits = vec![0u8];
    bits.extend(sig);
    enc(0x30, &[tbs, alg.to_vec(), enc(0x03, &bits)].concat())
}
