//! Deterministic ECDSA P-256 signing (RFC 6979 nonces, SHA-256) with k·G from a table built once per process.
//!
//! Why not `p256::ecdsa::SigningKey::sign`: it computes k·G by double-and-add over the generator (primeorder leaves
//! "precomputed basepoint tables" as a TODO), and that was most of the 21 % of issuing a reference the two P-256
//! signatures of a document took (`perf` of `cargo bench --bench issue`, 2026-12-03). Here k·G is 64 additions of
//! points read from a table of j·16ⁱ·G (j < 16, i < 64). The signature is the p256 crate's, byte for byte — same
//! nonce (its `rfc6979` crate), same formulas (tests compare the two for many keys and messages) — so documents
//! sealed before and after are the same bytes.
//!
//! The work does not depend on the secrets: every window reads its whole row of the table with constant-time
//! selection and adds the point found — the identity for a zero digit, through the crate's complete addition
//! formulas — so the same operations run for every nonce; the nonce and its inverse are wiped after use.

use std::sync::OnceLock;

use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::subtle::{ConditionallySelectable, ConstantTimeEq};
use p256::elliptic_curve::{Curve, FieldBytesEncoding, PrimeField};
use p256::{FieldBytes, NistP256, NonZeroScalar, ProjectivePoint, Scalar, U256};
use zeroize::Zeroize;

/// Bits a window of the scalar holds.
const WINDOW_BITS: usize = 4;
/// Windows of a 256-bit scalar.
const WINDOWS: usize = 256 / WINDOW_BITS;
/// Points in a window's row: the multiples 0..16 of its base.
const ROW: usize = 1 << WINDOW_BITS;

/// Row `i` holds j·16ⁱ·G for j in 0..16 (j = 0: the identity). 64 × 16 projective points, about 96 KB.
fn table() -> &'static [[ProjectivePoint; ROW]] {
    static TABLE: OnceLock<Vec<[ProjectivePoint; ROW]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows = Vec::with_capacity(WINDOWS);
        let mut base = ProjectivePoint::GENERATOR;
        for _ in 0..WINDOWS {
            let mut row = [ProjectivePoint::IDENTITY; ROW];
            for j in 1..ROW {
                row[j] = row[j - 1] + base;
            }
            base = row[ROW - 1] + base;
            rows.push(row);
        }
        rows
    })
}

/// k·G: the sum over the windows of the row entry the window's digit picks, each row read whole.
fn mul_generator(k: &Scalar) -> ProjectivePoint {
    let mut bytes = k.to_bytes();
    let mut sum = ProjectivePoint::IDENTITY;
    for (i, row) in table().iter().enumerate() {
        // Window i is bits 4i..4i+4: the low or high half of byte i/2 counted from the end (big-endian).
        let byte = bytes[31 - i / 2];
        let digit = if i % 2 == 0 { byte & 0x0f } else { byte >> 4 };
        let mut picked = ProjectivePoint::IDENTITY;
        for (j, entry) in row.iter().enumerate() {
            picked.conditional_assign(entry, (j as u8).ct_eq(&digit));
        }
        sum += picked;
    }
    bytes.zeroize();
    sum
}

/// The ECDSA signature (r, s) of the SHA-256 digest `digest` by the secret `d`, its nonce from RFC 6979 as the
/// p256 crate derives it; `None` only in the cases ECDSA itself excludes (r or s zero), which RFC 6979 nonces make
/// negligible.
pub(crate) fn sign_digest(d: &NonZeroScalar, digest: &[u8; 32]) -> Option<p256::ecdsa::Signature> {
    let z = FieldBytes::from(*digest);
    let order = <U256 as FieldBytesEncoding<NistP256>>::encode_field_bytes(&NistP256::ORDER);
    let mut k_bytes = rfc6979::generate_k::<sha2::Sha256, _>(&d.to_repr(), &order, &z, &[]);
    let k = Option::<Scalar>::from(Scalar::from_repr(k_bytes));
    k_bytes.zeroize();
    let mut k = k?;
    let k_inv = Option::<Scalar>::from(k.invert());
    let point = mul_generator(&k).to_affine();
    k.zeroize();
    let mut k_inv = k_inv?;
    let r = <Scalar as Reduce<U256>>::reduce_bytes(&point.x());
    let z = <Scalar as Reduce<U256>>::reduce_bytes(&z);
    let s = k_inv * (z + r * d.as_ref());
    k_inv.zeroize();
    p256::ecdsa::Signature::from_scalars(r, s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;

    /// A deterministic stream of bytes (splitmix64), so that a failure names the case that failed.
    fn bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) as u8
            })
            .collect()
    }

    #[test]
    fn the_table_multiplies_as_the_crate_does() {
        let scalars = [
            Scalar::ZERO,
            Scalar::ONE,
            Scalar::from(15u64),
            Scalar::from(16u64),
            // n − 1, and 2²⁵⁶ − 1 reduced: digits of 15 in almost every window.
            -Scalar::ONE,
            <Scalar as Reduce<U256>>::reduce_bytes(&FieldBytes::from([0xff; 32])),
        ];
        let random = (0..200u64).map(|seed| {
            let repr: [u8; 32] = bytes(seed, 32).try_into().expect("32 bytes");
            <Scalar as Reduce<U256>>::reduce_bytes(&FieldBytes::from(repr))
        });
        for (n, k) in scalars.into_iter().chain(random).enumerate() {
            assert_eq!(
                mul_generator(&k).to_affine(),
                (ProjectivePoint::GENERATOR * k).to_affine(),
                "scalar {n}"
            );
        }
        assert_eq!(
            mul_generator(&Scalar::ZERO),
            ProjectivePoint::IDENTITY,
            "0·G"
        );
    }

    /// RFC 6979, A.2.5: P-256, SHA-256, the message "sample".
    #[test]
    fn the_rfc_6979_vector() {
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
                .collect()
        };
        let key = p256::ecdsa::SigningKey::from_slice(&hex(
            "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
        ))
        .expect("key");
        let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, b"sample")
            .as_ref()
            .try_into()
            .expect("32 bytes");
        let signature = sign_digest(key.as_nonzero_scalar(), &digest).expect("signs");
        let expected = [
            hex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"),
            hex("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"),
        ]
        .concat();
        assert_eq!(&signature.to_bytes()[..], &expected[..]);
    }

    #[test]
    fn signatures_are_the_p256_crates_byte_for_byte() {
        for seed in 0..300u64 {
            let secret = bytes(seed, 32);
            let Ok(key) = p256::ecdsa::SigningKey::from_slice(&secret) else {
                continue;
            };
            let message = bytes(seed ^ 0xabcd, (seed % 97) as usize);
            let theirs: p256::ecdsa::Signature = key.sign(&message);
            let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, &message)
                .as_ref()
                .try_into()
                .expect("32 bytes");
            let ours = sign_digest(key.as_nonzero_scalar(), &digest).expect("signs");
            assert_eq!(ours, theirs, "key and message {seed}");
        }
    }
}
