//! The NCA's PKCS#12 key files, read directly: they are BER (indefinite lengths, nested), which the general
//! PKCS#12 reader refuses. The MAC (HMAC-SHA-1, RFC 7292 key derivation) is checked over the file's own bytes;
//! then the shrouded key bag (pbeWithSHAAnd3-KeyTripleDES-CBC) is decrypted into the PKCS#8 key, and the
//! certificate bags (in data encrypted with pbeWithSHAAnd40BitRC2-CBC, or in the clear) give the certificates.

use des::cipher::{BlockCipherDecrypt, KeyInit};
use zeroize::Zeroizing;

use crate::encoding::asn1::ber_to_der;
use crate::encoding::asn1::{self as asn1, Reader};

use crate::encoding::oid::digest::SHA1;
use crate::encoding::oid::pkcs::{
    CERT_BAG, DATA, ENCRYPTED_DATA, PBE_SHA1_3DES, PBE_SHA1_RC2_40, SHROUDED_KEY_BAG,
    X509_CERTIFICATE,
};
use crate::encoding::oid::{self, ObjectIdentifier};
/// More than any key file uses; bounds the work a hostile file can ask for.
const MAX_ITERATIONS: u64 = 100_000;

/// Why an NCA key file could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Pkcs12Error {
    #[error("not a PKCS#12 file: {0}")]
    /// The bytes are not the PKCS#12 structure expected.
    Structure(String),
    #[error("the password is wrong or the file is damaged (MAC mismatch)")]
    /// The MAC does not verify: a wrong password or a damaged file.
    Mac,
    #[error("unsupported PKCS#12 protection {0}")]
    /// A protection scheme we do not implement.
    Unsupported(String),
    /// No shrouded key bag.
    #[error("the file holds no shrouded private key")]
    NoKey,
}

fn bad(e: impl std::fmt::Display) -> Pkcs12Error {
    Pkcs12Error::Structure(e.to_string())
}

fn read_oid(r: &mut Reader<'_>) -> Result<ObjectIdentifier, Pkcs12Error> {
    let o = r.read(asn1::OID).map_err(bad)?;
    oid::from_der_contents(o.value).map_err(bad)
}

/// RFC 7292 appendix B.2 with SHA-1 (u = 20, v = 64): `id` 1 = key, 2 = IV, 3 = MAC key.
fn kdf(password: &str, salt: &[u8], id: u8, iterations: u64, n: usize) -> Zeroizing<Vec<u8>> {
    const V: usize = 64;
    let pass: Zeroizing<Vec<u8>> = Zeroizing::new(
        password
            .encode_utf16()
            .flat_map(|c| c.to_be_bytes())
            .chain([0, 0])
            .collect(),
    );
    let fill = |src: &[u8]| -> Vec<u8> {
        if src.is_empty() {
            return Vec::new();
        }
        let len = src.len().div_ceil(V) * V;
        src.iter().cycle().take(len).copied().collect()
    };
    let mut i: Zeroizing<Vec<u8>> = Zeroizing::new([fill(salt), fill(&pass)].concat());
    let d = [id; V];
    let mut out = Zeroizing::new(Vec::with_capacity(n + 20));
    while out.len() < n {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(&d);
        ctx.update(&i);
        let mut a = ctx.finish().as_ref().to_vec();
        for _ in 1..iterations {
            a = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &a)
                .as_ref()
                .to_vec();
        }
        out.extend_from_slice(&a);
        let b: Vec<u8> = a.iter().cycle().take(V).copied().collect();
        for block in i.chunks_mut(V) {
            let mut carry = 1u16;
            for k in (0..V).rev() {
                let sum = block[k] as u16 + b[k] as u16 + carry;
                block[k] = sum as u8;
                carry = sum >> 8;
            }
        }
    }
    out.truncate(n);
    out
}

/// The key and certificates of an NCA key file.
pub(crate) fn read_key_file(data: &[u8], password: &str) -> Result<KeyFile, Pkcs12Error> {
    let pfx = ber_to_der(data).map_err(bad)?;
    let top = Reader::new(&pfx).read(asn1::SEQUENCE).map_err(bad)?;
    let mut f = Reader::new(top.value);
    f.read(asn1::INTEGER).map_err(bad)?;
    let auth = f.read(asn1::SEQUENCE).map_err(bad)?;
    let mut a = Reader::new(auth.value);
    if read_oid(&mut a)? != DATA {
        return Err(Pkcs12Error::Unsupported("public-key integrity mode".into()));
    }
    let content = Reader::new(a.read(0xa0).map_err(bad)?.value)
        .read(asn1::OCTET_STRING)
        .map_err(bad)?
        .value;
    // The MAC covers the content octets as the file has them (joining a constructed string keeps them).
    let mac_data = f
        .read(asn1::SEQUENCE)
        .map_err(|_| Pkcs12Error::Unsupported("a file without MAC".into()))?;
    let mut m = Reader::new(mac_data.value);
    let digest_info = m.read(asn1::SEQUENCE).map_err(bad)?;
    let mut di = Reader::new(digest_info.value);
    let alg = di.read(asn1::SEQUENCE).map_err(bad)?;
    let mac_alg = read_oid(&mut Reader::new(alg.value))?;
    if mac_alg != SHA1 {
        return Err(Pkcs12Error::Unsupported(format!("MAC digest {mac_alg}")));
    }
    let mac = di.read(asn1::OCTET_STRING).map_err(bad)?.value;
    let salt = m.read(asn1::OCTET_STRING).map_err(bad)?.value;
    let iterations = match m.read_optional(asn1::INTEGER).map_err(bad)? {
        Some(i) => asn1::small_uint(i.value).map_err(bad)?,
        None => 1,
    };
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Pkcs12Error::Structure(format!(
            "{iterations} MAC iterations"
        )));
    }
    let key = kdf(password, salt, 3, iterations, 20);
    let hmac_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key);
    ring::hmac::verify(&hmac_key, content, mac).map_err(|_| Pkcs12Error::Mac)?;

    let safes = ber_to_der(content).map_err(bad)?;
    let list = Reader::new(&safes).read(asn1::SEQUENCE).map_err(bad)?;
    let mut infos = Reader::new(list.value);
    let mut key = None;
    let mut certificates = Vec::new();
    while !infos.is_empty() {
        let ci = infos.read(asn1::SEQUENCE).map_err(bad)?;
        let mut c = Reader::new(ci.value);
        let bags = match read_oid(&mut c)? {
            DATA => {
                let inner = Reader::new(c.read(0xa0).map_err(bad)?.value)
                    .read(asn1::OCTET_STRING)
                    .map_err(bad)?
                    .value;
                ber_to_der(inner).map_err(bad)?
            }
            ENCRYPTED_DATA => {
                let ed = Reader::new(c.read(0xa0).map_err(bad)?.value)
                    .read(asn1::SEQUENCE)
                    .map_err(bad)?;
                let plain = decrypt_data(ed.value, password)?;
                ber_to_der(&plain).map_err(bad)?
            }
            _ => continue,
        };
        let seq = Reader::new(&bags).read(asn1::SEQUENCE).map_err(bad)?;
        let mut bag_reader = Reader::new(seq.value);
        while !bag_reader.is_empty() {
            let bag = bag_reader.read(asn1::SEQUENCE).map_err(bad)?;
            let mut b = Reader::new(bag.value);
            match read_oid(&mut b)? {
                SHROUDED_KEY_BAG if key.is_none() => {
                    let value = Reader::new(b.read(0xa0).map_err(bad)?.value)
                        .read(asn1::SEQUENCE)
                        .map_err(bad)?;
                    key = Some(decrypt_key(value.value, password)?);
                }
                CERT_BAG => {
                    let cert_bag = Reader::new(b.read(0xa0).map_err(bad)?.value)
                        .read(asn1::SEQUENCE)
                        .map_err(bad)?;
                    let mut cb = Reader::new(cert_bag.value);
                    if read_oid(&mut cb)? == X509_CERTIFICATE {
                        let der = Reader::new(cb.read(0xa0).map_err(bad)?.value)
                            .read(asn1::OCTET_STRING)
                            .map_err(bad)?
                            .value;
                        certificates.push(der.to_vec());
                    }
                }
                _ => {}
            }
        }
    }
    Ok(KeyFile {
        key: key.ok_or(Pkcs12Error::NoKey)?,
        certificates,
    })
}

/// A decrypted key file: the PKCS#8 key and the certificates (DER) it carries.
pub(crate) struct KeyFile {
    /// The PKCS#8 private key, wiped when dropped.
    pub key: Zeroizing<Vec<u8>>,
    /// The certificates, DER.
    pub certificates: Vec<Vec<u8>>,
}

/// The salt and iteration count of a PKCS#12 PBE AlgorithmIdentifier's parameters.
fn pbe_params(alg: &[u8]) -> Result<(ObjectIdentifier, Vec<u8>, u64), Pkcs12Error> {
    let mut a = Reader::new(alg);
    let scheme = read_oid(&mut a)?;
    let params = a.read(asn1::SEQUENCE).map_err(bad)?;
    let mut p = Reader::new(params.value);
    let salt = p.read(asn1::OCTET_STRING).map_err(bad)?.value.to_vec();
    let iterations = asn1::small_uint(p.read(asn1::INTEGER).map_err(bad)?.value).map_err(bad)?;
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Pkcs12Error::Structure(format!(
            "{iterations} PBE iterations"
        )));
    }
    Ok((scheme, salt, iterations))
}

/// CBC decryption with PKCS#7 padding removed.
fn cbc_decrypt<C: BlockCipherDecrypt>(
    cipher: &C,
    iv: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    if data.is_empty() || !data.len().is_multiple_of(8) {
        return Err(Pkcs12Error::Structure("encrypted length".into()));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
    let mut prev = iv.to_vec();
    for chunk in data.chunks(8) {
        let mut block = des::cipher::Block::<C>::default();
        if block.len() != 8 {
            return Err(Pkcs12Error::Structure("block size".into()));
        }
        block.copy_from_slice(chunk);
        cipher.decrypt_block(&mut block);
        out.extend(block.iter().zip(&prev).map(|(b, p)| b ^ p));
        prev = chunk.to_vec();
    }
    let pad = *out.last().ok_or(Pkcs12Error::NoKey)? as usize;
    if pad == 0 || pad > 8 || out[out.len() - pad..].iter().any(|&b| b as usize != pad) {
        return Err(Pkcs12Error::Structure(
            "bad padding after decryption".into(),
        ));
    }
    let len = out.len() - pad;
    out.truncate(len);
    Ok(out)
}

/// EncryptedData (RFC 5652 §8) protected with pbeWithSHAAnd40BitRC2-CBC: the certificate bags of NCA key files.
fn decrypt_data(encrypted_data: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    let mut r = Reader::new(encrypted_data);
    r.read(asn1::INTEGER).map_err(bad)?;
    let eci = r.read(asn1::SEQUENCE).map_err(bad)?;
    let mut e = Reader::new(eci.value);
    read_oid(&mut e)?;
    let alg = e.read(asn1::SEQUENCE).map_err(bad)?;
    let (scheme, salt, iterations) = pbe_params(alg.value)?;
    // [0] IMPLICIT OCTET STRING: primitive (0x80), or constructed (0xa0) from OCTET STRING segments to join.
    let field = e.read_any().map_err(bad)?;
    let joined;
    let content: &[u8] = match field.tag {
        0x80 => field.value,
        0xa0 => {
            let mut parts = Reader::new(field.value);
            let mut all = Vec::new();
            while !parts.is_empty() {
                all.extend_from_slice(parts.read(asn1::OCTET_STRING).map_err(bad)?.value);
            }
            joined = all;
            &joined
        }
        other => {
            return Err(Pkcs12Error::Structure(format!(
                "encrypted content has tag 0x{other:02x}"
            )))
        }
    };
    match scheme {
        PBE_SHA1_RC2_40 => {
            let key = kdf(password, &salt, 1, iterations, 5);
            let iv = kdf(password, &salt, 2, iterations, 8);
            let cipher = rc2::Rc2::new_with_eff_key_len(&key, 40);
            cbc_decrypt(&cipher, &iv, content)
        }
        PBE_SHA1_3DES => {
            let key = kdf(password, &salt, 1, iterations, 24);
            let iv = kdf(password, &salt, 2, iterations, 8);
            let cipher = des::TdesEde3::new_from_slice(&key).map_err(bad)?;
            cbc_decrypt(&cipher, &iv, content)
        }
        other => Err(Pkcs12Error::Unsupported(format!("data encryption {other}"))),
    }
}

fn decrypt_key(epki: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    let mut r = Reader::new(epki);
    let alg = r.read(asn1::SEQUENCE).map_err(bad)?;
    let (scheme, salt, iterations) = pbe_params(alg.value)?;
    if scheme != PBE_SHA1_3DES {
        return Err(Pkcs12Error::Unsupported(format!("key encryption {scheme}")));
    }
    let encrypted = r.read(asn1::OCTET_STRING).map_err(bad)?.value;
    let key = kdf(password, &salt, 1, iterations, 24);
    let iv = kdf(password, &salt, 2, iterations, 8);
    let cipher = des::TdesEde3::new_from_slice(&key).map_err(bad)?;
    let plain = cbc_decrypt(&cipher, &iv, encrypted)?;
    Ok(Zeroizing::new(ber_to_der(&plain).map_err(bad)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_files_are_errors() {
        assert!(read_key_file(b"", "x").is_err());
        assert!(read_key_file(b"garbage that is not DER", "x").is_err());
        // A SEQUENCE holding a version only.
        assert!(read_key_file(&[0x30, 0x03, 0x02, 0x01, 0x03], "x").is_err());
    }

    /// RFC 7292's key derivation against the widely published test vector of this KDF (SHA-1, password "smeg",
    /// salt 0A58CF64530D823F, id 1, 1 iteration, 24 bytes). The NCA key files decrypting (tests/gost.rs) check
    /// the rest: MAC key (id 3), cipher key and IV with 1024 iterations.
    #[test]
    fn kdf_matches_the_known_vector() {
        let salt = [0x0a, 0x58, 0xcf, 0x64, 0x53, 0x0d, 0x82, 0x3f];
        let key = kdf("smeg", &salt, 1, 1, 24);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3");
    }
}
