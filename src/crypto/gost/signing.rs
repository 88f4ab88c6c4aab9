//! A GOST R 34.10-2012 private key that signs: the provider's NCA key. Nonces are deterministic (RFC 6979's
//! HMAC-DRBG construction over HMAC-Streebog-512, seeded with the key and the digest), so the same document signed
//! twice gives the same signature and no random-number failure can leak the key; the scalar multiplication is
//! constant-time; the secret scalar is wiped on drop, and so are each signature's nonce, the DRBG state seeded
//! with the key, and the modular copies of both.

use crypto_bigint::modular::runtime_mod::DynResidue;
use crypto_bigint::{Encoding, U512};
use hmac::{Hmac, Mac};
use zeroize::{Zeroize, Zeroizing};

use super::curve::Curve;
use super::{le, Layout, Streebog, KEY_OIDS};
use crate::crypto::digest::DigestAlgorithm;
use crate::crypto::signer::SigningKey;
use crate::crypto::{AlgorithmId, CryptoError, PublicKeyInfo};
use crate::encoding::asn1::{self as asn1, Reader};
use crate::encoding::oid::{self, ObjectIdentifier};

type HmacStreebog = Hmac<streebog::Streebog512>;

pub(crate) struct GostKey {
    curve: &'static Curve,
    d: U512,
    x: U512,
    y: U512,
    key_oid: ObjectIdentifier,
    key_params: Vec<u8>,
    hash: Streebog,
    layout: Layout,
}

impl Drop for GostKey {
    fn drop(&mut self) {
        // The scalar does not outlive the key (zeroize's writes are volatile: the optimiser keeps them).
        self.d.zeroize();
    }
}

pub(super) fn bytes_le(v: &U512, size: usize) -> Vec<u8> {
    let mut be = v.to_be_bytes().to_vec();
    be.reverse();
    be.truncate(size);
    be
}

impl GostKey {
    /// A key from PKCS#8 (`PrivateKeyInfo`) with a GOST key OID: the private key is an OCTET STRING of the scalar
    /// little-endian (the NCA's form) or an INTEGER.
    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<GostKey, CryptoError> {
        let bad = |e: &dyn std::fmt::Display| CryptoError::KeyMismatch(format!("GOST PKCS#8: {e}"));
        let top = Reader::new(der).read(asn1::SEQUENCE).map_err(|e| bad(&e))?;
        let mut r = Reader::new(top.value);
        r.read(asn1::INTEGER).map_err(|e| bad(&e))?;
        let alg = r.read(asn1::SEQUENCE).map_err(|e| bad(&e))?;
        let mut a = Reader::new(alg.value);
        let key_oid = oid::from_der_contents(a.read(asn1::OID).map_err(|e| bad(&e))?.value)
            .map_err(|e| bad(&e))?;
        if !KEY_OIDS.contains(&key_oid) {
            return Err(bad(&format!("{key_oid} is not a GOST key")));
        }
        let params = a.read(asn1::SEQUENCE).map_err(|e| bad(&e))?;
        let curve_oid = oid::from_der_contents(
            Reader::new(params.value)
                .read(asn1::OID)
                .map_err(|e| bad(&e))?
                .value,
        )
        .map_err(|e| bad(&e))?;
        let curve = Curve::by_oid(&curve_oid)
            .ok_or_else(|| CryptoError::UnsupportedAlgorithm(format!("GOST curve {curve_oid}")))?;
        let private = r.read(asn1::OCTET_STRING).map_err(|e| bad(&e))?.value;
        let d = match Reader::new(private).read_any() {
            Ok(t) if t.tag == asn1::OCTET_STRING && t.value.len() == curve.size => le(t.value),
            Ok(t) if t.tag == asn1::INTEGER && t.value.len() <= curve.size + 1 => {
                let v = t.value.strip_prefix(&[0]).unwrap_or(t.value);
                if v.len() > 64 {
                    return Err(bad(&"private key too long"));
                }
                super::be(v)
            }
            _ if private.len() == curve.size => le(private),
            _ => return Err(bad(&"private key encoding")),
        };
        if d == U512::ZERO || d >= curve.q {
            return Err(bad(&"private key out of range"));
        }
        let (x, y) = curve
            .mul_ct(&d, &curve.generator())
            .ok_or_else(|| bad(&"private key gives no public key"))?;
        let nca = key_oid == oid::key::GOST_NCA;
        Ok(GostKey {
            curve,
            d,
            x,
            y,
            key_oid,
            key_params: params.raw.to_vec(),
            hash: if curve.size == 64 {
                Streebog::Bits512
            } else {
                Streebog::Bits256
            },
            layout: if nca { Layout::Nca } else { Layout::Rfc },
        })
    }

    /// The deterministic nonces for digest integer `e`, in order (RFC 6979 §3.2 with HMAC-Streebog-512).
    /// Every buffer derived from the key (its octets, the DRBG's K and V, each candidate) is wiped when dropped.
    fn nonces(&self, e: &U512) -> impl Iterator<Item = Zeroizing<U512>> + '_ {
        let size = self.curve.size;
        let qbits = self.curve.q.bits_vartime();
        let int2octets =
            |v: &U512| Zeroizing::new(Zeroizing::new(v.to_be_bytes())[64 - size..].to_vec());
        let hmac = |k: &[u8], parts: &[&[u8]]| -> Zeroizing<Vec<u8>> {
            let mut m = HmacStreebog::new_from_slice(k).expect("HMAC takes any key length");
            for p in parts {
                m.update(p);
            }
            Zeroizing::new(m.finalize().into_bytes().to_vec())
        };
        let x = int2octets(&self.d);
        let h = int2octets(e);
        let mut v = Zeroizing::new(vec![0x01u8; 64]);
        let mut k = Zeroizing::new(vec![0x00u8; 64]);
        k = hmac(&k, &[&v, &[0x00], &x, &h]);
        v = hmac(&k, &[&v]);
        k = hmac(&k, &[&v, &[0x01], &x, &h]);
        v = hmac(&k, &[&v]);
        let q = self.curve.q;
        std::iter::from_fn(move || loop {
            let mut t = Zeroizing::new(Vec::with_capacity(size + 64));
            while t.len() < size {
                v = hmac(&k, &[&v]);
                t.extend_from_slice(&v);
            }
            t.truncate(size);
            // bits2int: the leftmost qbits bits.
            let mut candidate = Zeroizing::new(super::be(&t));
            if size * 8 > qbits {
                *candidate = candidate.shr_vartime(size * 8 - qbits);
            }
            k = hmac(&k, &[&v, &[0x00]]);
            v = hmac(&k, &[&v]);
            if *candidate != U512::ZERO && *candidate < q {
                return Some(candidate);
            }
        })
    }
}

impl SigningKey for GostKey {
    fn signature_algorithm(&self) -> AlgorithmId {
        let oid = match (self.layout, self.curve.size) {
            (Layout::Nca, 64) => oid::signature::GOST_NCA_512,
            (Layout::Nca, _) => oid::signature::GOST_NCA_256,
            (Layout::Rfc, 64) => oid::signature::GOST_TC26_512,
            (Layout::Rfc, _) => oid::signature::GOST_TC26_256,
        };
        AlgorithmId::new(oid, None)
    }

    fn digest_algorithm(&self) -> DigestAlgorithm {
        match self.hash {
            Streebog::Bits512 => DigestAlgorithm::Streebog512,
            Streebog::Bits256 => DigestAlgorithm::Streebog256,
        }
    }

    fn public_key(&self) -> PublicKeyInfo {
        let size = self.curve.size;
        let point = [bytes_le(&self.x, size), bytes_le(&self.y, size)].concat();
        PublicKeyInfo {
            algorithm: AlgorithmId::new(self.key_oid, Some(self.key_params.clone())),
            key: asn1::encode(asn1::OCTET_STRING, &point),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let curve = self.curve;
        let q = curve.q;
        let mut e = le(&self.hash.digest(message)).wrapping_rem(&q);
        if e == U512::ZERO {
            e = U512::ONE;
        }
        let fq = curve.fq();
        for k in self.nonces(&e).take(16) {
            let Some(cx) = curve.mul_g_ct_x(&k) else {
                continue;
            };
            let r = cx.wrapping_rem(&q);
            if r == U512::ZERO {
                continue;
            }
            // s = r·d + k·e (mod q); the Montgomery forms of d, k and the products are secret too.
            let d = Zeroizing::new(DynResidue::new(&self.d, fq));
            let kr = Zeroizing::new(DynResidue::new(&k, fq));
            let rd = Zeroizing::new(DynResidue::new(&r, fq).mul(&d));
            let ke = Zeroizing::new(kr.mul(&DynResidue::new(&e, fq)));
            let s = rd.add(&ke).retrieve();
            if s == U512::ZERO {
                continue;
            }
            let size = curve.size;
            return Ok(match self.layout {
                Layout::Nca => [bytes_le(&r, size), bytes_le(&s, size)].concat(),
                Layout::Rfc => {
                    let mut sig = [bytes_le(&r, size), bytes_le(&s, size)].concat();
                    sig.reverse();
                    sig
                }
            });
        }
        Err(CryptoError::SigningFailed)
    }
}
