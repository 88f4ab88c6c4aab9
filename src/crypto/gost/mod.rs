//! GOST R 34.10-2012 signatures over GOST R 34.11-2012 (Streebog) digests: what the NCA of Kazakhstan issues to
//! citizens and companies since 2022 (512-bit keys on id-tc26-gost-3410-12-512-paramSetA), plugged into the
//! [`SignatureAlgorithm`] trait so certificates, CRLs and CMS verify through the same code as RSA and ECDSA.
//!
//! Encodings (RFC 9215, as the NCA test PKI uses them): the public key is an OCTET STRING of X ‖ Y, each
//! little-endian. The digest is read as a little-endian integer e (mod q; 0 → 1). The NCA's signature OIDs carry
//! r ‖ s little-endian; the RFC 9215 OIDs carry s ‖ r big-endian — the same bytes reversed.
//!
//! The NCA's legacy GOST 34.310-2004 (its keys until 2022) is verified too, so that what was signed in those years
//! can still be checked: it is GOST R 34.10-2001 on the CryptoPro-A curve over GOST 34.311-95 — GOST R 34.11-94 with
//! the test S-boxes (`gost94::Gost94Test`) — in the same byte layout as the NCA's 2015 signatures. Those facts come
//! from the NCA legacy test PKI: its CA's certificates, CRL, OCSP answers and TSA token verify with exactly these
//! choices. Nothing is signed with it any more.

mod curve;
mod ec;
mod field;
mod signing;

pub(crate) use curve::{Curve, KeyTables};
pub(crate) use signing::GostKey;

use crypto_bigint::modular::runtime_mod::DynResidue;
use crypto_bigint::U512;
use digest::Digest;

use super::{AlgorithmRegistry, CryptoError, PublicKeyInfo, SignatureAlgorithm};
use crate::encoding::asn1::{self as asn1, Reader};
use crate::encoding::oid::{self, key as key_oid, signature as sig_oid, ObjectIdentifier};

/// Public-key OIDs whose parameters name a GOST curve.
const KEY_OIDS: &[ObjectIdentifier] = &[
    key_oid::GOST_NCA,
    key_oid::GOST_TC26_256,
    key_oid::GOST_TC26_512,
];

/// Keys that verify but never sign: the NCA's GOST 34.310-2004.
const LEGACY_KEY_OIDS: &[ObjectIdentifier] = &[key_oid::GOST_NCA_34310];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// r ‖ s, each little-endian.
    Nca,
    /// s ‖ r, each big-endian.
    Rfc,
}

/// GOST R 34.11-2012.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streebog {
    /// GOST R 34.11-2012, 256-bit.
    Bits256,
    /// GOST R 34.11-2012, 512-bit.
    Bits512,
}

impl Streebog {
    /// The digest of `message`.
    pub fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Streebog::Bits256 => streebog::Streebog256::digest(message).to_vec(),
            Streebog::Bits512 => streebog::Streebog512::digest(message).to_vec(),
        }
    }

    fn size(self) -> usize {
        match self {
            Streebog::Bits256 => 32,
            Streebog::Bits512 => 64,
        }
    }
}

/// GOST 34.311-95 (the NCA's legacy digest): GOST R 34.11-94 with the test S-boxes.
pub(crate) fn gost34311(message: &[u8]) -> Vec<u8> {
    gost94::Gost94Test::digest(message).to_vec()
}

/// The digest a GOST signature is made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Streebog(Streebog),
    /// The legacy GOST 34.310-2004 signatures' digest, with the legacy key OID only.
    Gost34311,
}

impl Hash {
    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Streebog(s) => s.digest(message),
            Hash::Gost34311 => gost34311(message),
        }
    }

    fn size(self) -> usize {
        match self {
            Hash::Streebog(s) => s.size(),
            Hash::Gost34311 => 32,
        }
    }
}

struct GostSignature {
    name: &'static str,
    hash: Hash,
    layout: Layout,
}

/// The GOST signature OIDs: name, digest and byte layout.
const ALGORITHMS: [(ObjectIdentifier, &str, Hash, Layout); 5] = [
    (
        sig_oid::GOST_NCA_256,
        "GOST R 34.10-2015 256-bit (NCA)",
        Hash::Streebog(Streebog::Bits256),
        Layout::Nca,
    ),
    (
        sig_oid::GOST_NCA_512,
        "GOST R 34.10-2015 512-bit (NCA)",
        Hash::Streebog(Streebog::Bits512),
        Layout::Nca,
    ),
    (
        sig_oid::GOST_TC26_256,
        "id-tc26-signwithdigest-gost3410-12-256",
        Hash::Streebog(Streebog::Bits256),
        Layout::Rfc,
    ),
    (
        sig_oid::GOST_TC26_512,
        "id-tc26-signwithdigest-gost3410-12-512",
        Hash::Streebog(Streebog::Bits512),
        Layout::Rfc,
    ),
    (
        sig_oid::GOST_NCA_34310,
        "GOST 34.310-2004 (NCA)",
        Hash::Gost34311,
        Layout::Nca,
    ),
];

/// Registers the GOST signature OIDs.
pub(crate) fn register_gost_algorithms(r: &mut AlgorithmRegistry) {
    for (oid, name, hash, layout) in ALGORITHMS {
        r.register(oid, Box::new(GostSignature { name, hash, layout }));
    }
}

/// GOST verification as for a key never seen before: no per-key tables are used or made. The benchmarks measure
/// both paths with it; it is not part of the API.
#[doc(hidden)]
pub fn verify_as_first_sighting(
    algorithm: &crate::crypto::AlgorithmId,
    key: &PublicKeyInfo,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let (_, name, hash, layout) = ALGORITHMS
        .into_iter()
        .find(|a| a.0 == algorithm.oid)
        .ok_or_else(|| CryptoError::UnsupportedAlgorithm(algorithm.oid.to_string()))?;
    GostSignature { name, hash, layout }.check(key, message, signature, KeyTables::Never)
}

/// Whether a PKCS#8 key names a GOST key algorithm (its errors are then GOST's to tell).
pub(crate) fn is_gost_pkcs8(der: &[u8]) -> bool {
    let algorithm = || -> Option<ObjectIdentifier> {
        let top = Reader::new(der).read(asn1::SEQUENCE).ok()?;
        let mut r = Reader::new(top.value);
        r.read(asn1::INTEGER).ok()?;
        let alg = r.read(asn1::SEQUENCE).ok()?;
        oid::from_der_contents(Reader::new(alg.value).read(asn1::OID).ok()?.value).ok()
    };
    algorithm().is_some_and(|oid| KEY_OIDS.contains(&oid))
}

/// A big-endian byte string (at most 64 bytes) as a 512-bit integer.
fn be(bytes: &[u8]) -> U512 {
    let mut buf = [0u8; 64];
    buf[64 - bytes.len()..].copy_from_slice(bytes);
    U512::from_be_slice(&buf)
}

/// A little-endian byte string (at most 64 bytes) as a 512-bit integer.
fn le(bytes: &[u8]) -> U512 {
    let mut rev = bytes.to_vec();
    rev.reverse();
    be(&rev)
}

/// The curve a GOST public key names, and its point (X, Y).
pub(crate) fn public_key(key: &PublicKeyInfo) -> Result<(&'static Curve, U512, U512), CryptoError> {
    let mismatch = |why: &str| CryptoError::KeyMismatch(why.to_string());
    if !KEY_OIDS.contains(&key.algorithm.oid) && !LEGACY_KEY_OIDS.contains(&key.algorithm.oid) {
        return Err(mismatch(&format!(
            "{} is not a GOST key",
            key.algorithm.oid
        )));
    }
    let params = key
        .algorithm
        .meaningful_params()
        .ok_or_else(|| mismatch("GOST key without parameters"))?;
    let seq = Reader::new(params)
        .read(asn1::SEQUENCE)
        .map_err(|e| mismatch(&format!("key parameters: {e}")))?;
    let curve_oid = Reader::new(seq.value)
        .read(asn1::OID)
        .and_then(|o| oid::from_der_contents(o.value))
        .map_err(|e| mismatch(&format!("key parameters: {e}")))?;
    let curve = Curve::by_oid(&curve_oid)
        .ok_or_else(|| CryptoError::UnsupportedAlgorithm(format!("GOST curve {curve_oid}")))?;
    let octets = Reader::new(&key.key)
        .read(asn1::OCTET_STRING)
        .map_err(|e| mismatch(&format!("public key: {e}")))?;
    if octets.value.len() != 2 * curve.size {
        return Err(mismatch(&format!(
            "public key of {} bytes for {}",
            octets.value.len(),
            curve.name
        )));
    }
    let (x, y) = octets.value.split_at(curve.size);
    Ok((curve, le(x), le(y)))
}

/// Verifies (r, s) over a digest with the public key (x, y) on `curve` (GOST R 34.10-2012 §6.2).
pub(crate) fn verify_digest(
    curve: &Curve,
    digest: &[u8],
    (x, y): (&U512, &U512),
    (r, s): (&U512, &U512),
    tables: KeyTables,
) -> Result<(), CryptoError> {
    let q = curve.q;
    if *r == U512::ZERO || *r >= q || *s == U512::ZERO || *s >= q {
        return Err(CryptoError::BadSignature);
    }
    let key = (*x, *y);
    if !curve.is_on_curve(&key) {
        return Err(CryptoError::KeyMismatch(
            "the public key is not on its curve".into(),
        ));
    }
    let mut e = le(digest).wrapping_rem(&q);
    if e == U512::ZERO {
        e = U512::ONE;
    }
    let fq = curve.fq();
    let (v, invertible) = DynResidue::new(&e, fq).invert();
    if !bool::from(invertible) {
        return Err(CryptoError::BadSignature);
    }
    let z1 = DynResidue::new(s, fq).mul(&v).retrieve();
    let z2 = DynResidue::new(r, fq).neg().mul(&v).retrieve();
    if curve.g_plus_has_x(&z1, &z2, &key, tables, r) {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
}

impl SignatureAlgorithm for GostSignature {
    fn name(&self) -> &'static str {
        self.name
    }

    fn verify(
        &self,
        _params: Option<&[u8]>,
        key: &PublicKeyInfo,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.check(key, message, signature, KeyTables::Cached)
    }
}

impl GostSignature {
    fn check(
        &self,
        key: &PublicKeyInfo,
        message: &[u8],
        signature: &[u8],
        tables: KeyTables,
    ) -> Result<(), CryptoError> {
        let (curve, x, y) = public_key(key)?;
        // A legacy key verifies legacy signatures only, and only a legacy key does.
        if (self.hash == Hash::Gost34311) != LEGACY_KEY_OIDS.contains(&key.algorithm.oid) {
            return Err(CryptoError::KeyMismatch(format!(
                "a {} signature with a {} key",
                self.name,
                super::describe_oid(&key.algorithm.oid)
            )));
        }
        let n = self.hash.size();
        if curve.size != n {
            return Err(CryptoError::KeyMismatch(format!(
                "a {}-bit signature with a key on {}",
                n * 8,
                curve.name
            )));
        }
        if signature.len() != 2 * n {
            return Err(CryptoError::BadSignature);
        }
        let (first, second) = signature.split_at(n);
        let (r, s) = match self.layout {
            Layout::Nca => (le(first), le(second)),
            Layout::Rfc => (be(second), be(first)),
        };
        verify_digest(
            curve,
            &self.hash.digest(message),
            (&x, &y),
            (&r, &s),
            tables,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_bigint::Encoding;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// GOST R 34.11-2012 example 1 (RFC 6986 §10.1): the 63 ASCII digits. The expected values agree with the
    /// independent Python `gostcrypto` (tests/gost.rs checks more messages against it).
    #[test]
    fn streebog_test_vectors() {
        let m1 = b"012345678901234567890123456789012345678901234567890123456789012";
        assert_eq!(
            hex(&Streebog::Bits512.digest(m1)),
            "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
        );
        assert_eq!(
            hex(&Streebog::Bits256.digest(m1)),
            "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"
        );
    }

    /// GOST 34.311-95 is GOST R 34.11-94 with the test S-boxes: RFC 5831 §10's examples (one whole block; 50 bytes,
    /// a block and a padded one) and the empty message. The CryptoPro S-boxes give other digests, so this pins the set.
    #[test]
    fn gost34311_is_gost_r_34_11_94_with_the_test_sboxes() {
        assert_eq!(
            hex(&gost34311(b"This is message, length=32 bytes")),
            "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa"
        );
        assert_eq!(
            hex(&gost34311(
                b"Suppose the original message has length = 50 bytes"
            )),
            "471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208"
        );
        assert_eq!(
            hex(&gost34311(b"")),
            "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d"
        );
        assert_eq!(
            hex(&crate::crypto::DigestAlgorithm::Gost34311.digest(b"")),
            hex(&gost34311(b""))
        );
    }

    /// A legacy GOST 34.310 key verifies only legacy signatures, and only a legacy key does: the same point (the
    /// generator of CryptoPro A) under another key OID is a key mismatch either way, while under its own it gets
    /// as far as the signature (a bad one here).
    #[test]
    fn legacy_keys_and_legacy_signatures_go_together() {
        let c = Curve::by_oid(&oid::curve::NCA_34310_A).expect("the legacy curve");
        let (x, y) = c.generator();
        let point = [signing::bytes_le(&x, 32), signing::bytes_le(&y, 32)].concat();
        let key = |key: ObjectIdentifier, curve: ObjectIdentifier| PublicKeyInfo {
            algorithm: crate::crypto::AlgorithmId::new(
                key,
                Some(asn1::encode(
                    asn1::SEQUENCE,
                    &asn1::encode(asn1::OID, curve.as_bytes()),
                )),
            ),
            key: asn1::encode(asn1::OCTET_STRING, &point),
        };
        let legacy = key(key_oid::GOST_NCA_34310, oid::curve::NCA_34310_A);
        let modern = key(key_oid::GOST_TC26_256, oid::curve::CRYPTOPRO_A);
        let verify = |alg: ObjectIdentifier, k: &PublicKeyInfo| {
            AlgorithmRegistry::global().verify(
                &crate::crypto::AlgorithmId::new(alg, None),
                k,
                b"message",
                &[7u8; 64],
            )
        };
        assert!(matches!(
            verify(sig_oid::GOST_NCA_34310, &legacy),
            Err(CryptoError::BadSignature)
        ));
        assert!(matches!(
            verify(sig_oid::GOST_NCA_256, &legacy),
            Err(CryptoError::KeyMismatch(_))
        ));
        assert!(matches!(
            verify(sig_oid::GOST_NCA_34310, &modern),
            Err(CryptoError::KeyMismatch(_))
        ));
        assert!(matches!(
            verify(sig_oid::GOST_TC26_256, &modern),
            Err(CryptoError::BadSignature)
        ));
    }

    /// GOST R 34.10-2012 appendix A (RFC 7091 §7.1, §7.2): the 256- and 512-bit worked examples — public key
    /// from the private key, the signature from the given nonce, and its verification; a changed signature fails.
    #[test]
    fn rfc7091_examples() {
        let h = |s: &str| U512::from_be_hex(&format!("{s:0>128}"));
        let [c256, c512] = curve::rfc7091_test_curves();
        let examples = [
            (
                c256,
                "7a929ade789bb9be10ed359dd39a72c11b60961f49397eee1d19ce9891ec3b28",
                "7f2b49e270db6d90d8595bec458b50c58585ba1d4e9b788f6689dbd8e56fd80b",
                "26f1b489d6701dd185c8413a977b3cbbaf64d1c593d26627dffb101a87ff77da",
                "2dfbc1b372d89a1188c09c52e0eec61fce52032ab1022e8e67ece6672b043ee5",
                "77105c9b20bcd3122823c8cf6fcc7b956de33814e95b7fe64fed924594dceab3",
                "41aa28d2f1ab148280cd9ed56feda41974053554a42767b83ad043fd39dc0493",
                "01456c64ba4642a1653c235a98a60249bcd6d3f746b631df928014f6c5bf9c40",
            ),
            (
                c512,
                "0ba6048aadae241ba40936d47756d7c93091a0e8514669700ee7508e508b102072e8123b2200a0563322dad2827e2714a2636b7bfd18aadfc62967821fa18dd4",
                "115dc5bc96760c7b48598d8ab9e740d4c4a85a65be33c1815b5c320c854621dd5a515856d13314af69bc5b924c8b4ddff75c45415c1d9dd9dd33612cd530efe1",
                "37c7c90cd40b0f5621dc3ac1b751cfa0e2634fa0503b3d52639f5d7fb72afd61ea199441d943ffe7f0c70a2759a3cdb84c114e1f9339fdf27f35eca93677beec",
                "3754f3cfacc9e0615c4f4a7c4d8dab531b09b6f9c170c533a71d147035b0c5917184ee536593f4414339976c647c5d5a407adedb1d560c4fc6777d2972075b8c",
                "0359e7f4b1410feacc570456c6801496946312120b39d019d455986e364f365886748ed7a44b3e794434006011842286212273a6d14cf70ea3af71bb1ae679f1",
                "2f86fa60a081091a23dd795e1e3c689ee512a3c82ee0dcc2643c78eea8fcacd35492558486b20f1c9ec197c90699850260c93bcbcd9c5c3317e19344e173ae36",
                "1081b394696ffe8e6585e7a9362d26b6325f56778aadbc081c0bfbe933d52ff5823ce288e8c4f362526080df7f70ce406a6eeb1f56919cb92a9853bde73e5b4a",
            ),
        ];
        for (c, d, x, y, e, k, r, s) in examples {
            let (d, x, y, e, k, r, s) = (h(d), h(x), h(y), h(e), h(k), h(r), h(s));
            let g = c.generator();
            assert!(c.is_on_curve(&g), "{}: generator", c.name);
            assert_eq!(c.mul_ct(&d, &g), Some((x, y)), "{}: public key", c.name);
            let cx = c.mul_g_ct_x(&k).expect("kG");
            assert_eq!(cx.wrapping_rem(&c.q), r, "{}: r", c.name);
            let fq = c.fq();
            let computed_s = DynResidue::new(&r, fq)
                .mul(&DynResidue::new(&d, fq))
                .add(&DynResidue::new(&k, fq).mul(&DynResidue::new(&e, fq)))
                .retrieve();
            assert_eq!(computed_s, s, "{}: s", c.name);
            // The verifier reads the digest little-endian: hand it e's bytes that way.
            let mut e_le = e.to_be_bytes()[64 - c.size..].to_vec();
            e_le.reverse();
            for tables in [KeyTables::Never, KeyTables::Cached, KeyTables::Cached] {
                verify_digest(&c, &e_le, (&x, &y), (&r, &s), tables).expect("verifies");
                let s2 = s.wrapping_add(&U512::ONE);
                assert!(verify_digest(&c, &e_le, (&x, &y), (&r, &s2), tables).is_err());
            }
        }
    }

    /// A key from outside may be a point of small order on a curve with a cofactor (paramSetC has 4): here
    /// (x, 0), of order 2. Verified again and again — seen once, then twice (when a key's tables are built, and
    /// these cannot be), then after — it is a bad signature every time, never a panic.
    #[test]
    fn a_key_of_small_order_is_a_bad_signature_however_often_it_comes() {
        let c = Curve::by_name("id-tc26-gost-3410-12-512-paramSetC").expect("curve");
        let x = U512::from_be_hex("9a628f975594ecefd89ba28a2539ffb79c8ab238aeed0851fa5c1abb02b80b44c6734501b83a011dd625cd0b5145091a6d9acd4b1f5c5b1e21b2b249ddfd1271");
        assert!(c.is_on_curve(&(x, U512::ZERO)), "a point of order 2");
        let (r, s) = (U512::from_u64(12345), U512::from_u64(67890));
        for tables in [
            KeyTables::Cached,
            KeyTables::Cached,
            KeyTables::Cached,
            KeyTables::Never,
        ] {
            let verdict = verify_digest(c, &[7u8; 64], (&x, &U512::ZERO), (&r, &s), tables);
            assert!(
                matches!(verdict, Err(CryptoError::BadSignature)),
                "{verdict:?}"
            );
        }
    }

    #[test]
    fn every_curve_has_its_generator_on_it() {
        for name in [
            "id-tc26-gost-3410-12-256-paramSetA",
            "id-tc26-gost-3410-12-256-paramSetB",
            "id-tc26-gost-3410-12-256-paramSetC",
            "id-tc26-gost-3410-12-256-paramSetD",
            "id-tc26-gost-3410-12-512-paramSetA",
            "id-tc26-gost-3410-12-512-paramSetB",
            "id-tc26-gost-3410-12-512-paramSetC",
        ] {
            let c = Curve::by_name(name).expect(name);
            let g = c.generator();
            assert!(c.is_on_curve(&g), "{name}");
            // q·G is the point at infinity: q is the generator's order.
            let q = c.q;
            assert!(c.mul2_vartime(&q, &g, &U512::ZERO, &g).is_none(), "{name}");
            // The windowed multi-scalar multiplication agrees with the plain one: for a key seen once (a table
            // on the fly), seen twice (its tables built) and after (its cached tables).
            let key = c
                .mul2_vartime(&U512::from_u64(0xdead_beef_1234), &g, &U512::ZERO, &g)
                .expect("a point");
            for round in 0..3 {
                for (u, v) in [
                    (U512::from_u64(1), U512::from_u64(1)),
                    (q.wrapping_sub(&U512::ONE), U512::from_u64(31)),
                    (U512::from_u64(31), q.wrapping_sub(&U512::ONE)),
                    (
                        U512::from_be_hex(&format!("{:0>128}", "f00dfeedbeefcafe0123456789abcdef")),
                        q.shr_vartime(3),
                    ),
                    (q.shr_vartime(1), q.wrapping_sub(&U512::from_u64(12345))),
                    (U512::ZERO, U512::from_u64(32)),
                    (U512::from_u64(32), U512::ZERO),
                ] {
                    let slow = c.mul2_vartime(&u, &g, &v, &key);
                    let fast = c.mul_g_plus_vartime(&u, &v, &key, KeyTables::Cached);
                    assert_eq!(slow, fast, "{name}, round {round}");
                    // The inversion-free x check agrees (on paramSetC and 256 A, q < p/2: x mod q has several
                    // candidates below p).
                    if let Some((x, _)) = fast {
                        let r = x.wrapping_rem(&q);
                        assert!(c.g_plus_has_x(&u, &v, &key, KeyTables::Never, &r), "{name}");
                        let wrong = r.wrapping_add(&U512::ONE).wrapping_rem(&q);
                        assert!(
                            !c.g_plus_has_x(&u, &v, &key, KeyTables::Cached, &wrong),
                            "{name}"
                        );
                    }
                }
            }
            // u·G + v·Q at infinity: v·Q = −u·G.
            let u = U512::from_u64(0xdead_beef_1234);
            assert!(
                c.mul_g_plus_vartime(&u, &q.wrapping_sub(&U512::ONE), &key, KeyTables::Cached)
                    .is_none(),
                "{name}"
            );
            // The signing multiplications give k·G's x coordinate for odd and even k alike.
            for k in [
                U512::ONE,
                U512::from_u64(2),
                U512::from_u64(0xdead_beef),
                q.wrapping_sub(&U512::ONE),
                q.wrapping_sub(&U512::from_u64(2)),
                q.shr_vartime(1),
                U512::from_be_hex(&format!("{:0>128}", "123456789abcdef0fedcba9876543210aa55")),
            ] {
                let reference = c.mul2_vartime(&k, &g, &U512::ZERO, &g).map(|p| p.0);
                let comb = c.mul_g_ct_x(&k);
                let ladder = c.mul_ct(&k, &g).map(|p| p.0);
                assert_eq!(comb, reference, "{name}: comb");
                assert_eq!(ladder, reference, "{name}: ladder");
            }
        }
    }
}
