//! GOST R 34.10-2012 elliptic curves in short Weierstrass form y² = x³ + ax + b over GF(p), with the parameter
//! sets of R 1323565.1.024-2019 / RFC 7836 (the TC26 sets, which include the CryptoPro ones). Every set's p and q
//! fit 512 bits, so one 512-bit Montgomery arithmetic (crypto-bigint) serves them all.
//!
//! Points are kept in Jacobian coordinates (X, Y, Z) ↦ (X/Z², Y/Z³). Verification works on public data only, so
//! its multi-scalar multiplication is variable-time; signing uses [`Curve::mul_ct`], a Montgomery ladder with
//! constant-time swaps over a scalar of fixed bit length.

use std::sync::OnceLock;

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use crypto_bigint::{Limb, U512};

use crate::encoding::oid::{curve, ObjectIdentifier};

pub(crate) type Fe = DynResidue<8>;

/// One parameter set: hexadecimal constants as published.
struct Hex {
    name: &'static str,
    /// Size of coordinates and of the signature halves, in bytes (32 or 64).
    size: usize,
    p: &'static str,
    a: &'static str,
    b: &'static str,
    q: &'static str,
    x: &'static str,
    y: &'static str,
}

const TC26_256_A: Hex = Hex {
    name: "id-tc26-gost-3410-12-256-paramSetA",
    size: 32,
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97",
    a: "c2173f1513981673af4892c23035a27ce25e2013bf95aa33b22c656f277e7335",
    b: "295f9bae7428ed9ccc20e7c359a9d41a22fccd9108e17bf7ba9337a6f8ae9513",
    q: "400000000000000000000000000000000fd8cddfc87b6635c115af556c360c67",
    x: "91e38443a5e82c0d880923425712b2bb658b9196932e02c78b2582fe742daa28",
    y: "32879423ab1a0375895786c4bb46e9565fde0b5344766740af268adb32322e5c",
};

/// Also CryptoPro-A and CryptoPro-XchA.
const TC26_256_B: Hex = Hex {
    name: "id-tc26-gost-3410-12-256-paramSetB",
    size: 32,
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97",
    a: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd94",
    b: "a6",
    q: "ffffffffffffffffffffffffffffffff6c611070995ad10045841b09b761b893",
    x: "1",
    y: "8d91e471e0989cda27df505a453f2b7635294f2ddf23e3b122acc99c9e9f1e14",
};

/// Also CryptoPro-B.
const TC26_256_C: Hex = Hex {
    name: "id-tc26-gost-3410-12-256-paramSetC",
    size: 32,
    p: "8000000000000000000000000000000000000000000000000000000000000c99",
    a: "8000000000000000000000000000000000000000000000000000000000000c96",
    b: "3e1af419a269a5f866a7d3c25c3df80ae979259373ff2b182f49d4ce7e1bbc8b",
    q: "800000000000000000000000000000015f700cfff1a624e5e497161bcc8a198f",
    x: "1",
    y: "3fa8124359f96680b83d1c3eb2c070e5c545c9858d03ecfb744bf8d717717efc",
};

/// Also CryptoPro-C and CryptoPro-XchB.
const TC26_256_D: Hex = Hex {
    name: "id-tc26-gost-3410-12-256-paramSetD",
    size: 32,
    p: "9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d759b",
    a: "9b9f605f5a858107ab1ec85e6b41c8aacf846e86789051d37998f7b9022d7598",
    b: "805a",
    q: "9b9f605f5a858107ab1ec85e6b41c8aa582ca3511eddfb74f02f3a6598980bb9",
    x: "0",
    y: "41ece55743711a8c3cbf3783cd08c0ee4d4dc440d4641a8f366e550dfdb3bb67",
};

const TC26_512_A: Hex = Hex {
    name: "id-tc26-gost-3410-12-512-paramSetA",
    size: 64,
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc7",
    a: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc4",
    b: "e8c2505dedfc86ddc1bd0b2b6667f1da34b82574761cb0e879bd081cfd0b6265ee3cb090f30d27614cb4574010da90dd862ef9d4ebee4761503190785a71c760",
    q: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff27e69532f48d89116ff22b8d4e0560609b4b38abfad2b85dcacdb1411f10b275",
    x: "3",
    y: "7503cfe87a836ae3a61b8816e25450e6ce5e1c93acf1abc1778064fdcbefa921df1626be4fd036e93d75e6a50e3a41e98028fe5fc235f5b889a589cb5215f2a4",
};

const TC26_512_B: Hex = Hex {
    name: "id-tc26-gost-3410-12-512-paramSetB",
    size: 64,
    p: "8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006f",
    a: "8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006c",
    b: "687d1b459dc841457e3e06cf6f5e2517b97c7d614af138bcbf85dc806c4b289f3e965d2db1416d217f8b276fad1ab69c50f78bee1fa3106efb8ccbc7c5140116",
    q: "800000000000000000000000000000000000000000000000000000000000000149a1ec142565a545acfdb77bd9d40cfa8b996712101bea0ec6346c54374f25bd",
    x: "2",
    y: "1a8f7eda389b094c2c071e3647a8940f3c123b697578c213be6dd9e6c8ec7335dcb228fd1edf4a39152cbcaaf8c0398828041055f94ceeec7e21340780fe41bd",
};

const TC26_512_C: Hex = Hex {
    name: "id-tc26-gost-3410-12-512-paramSetC",
    size: 64,
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc7",
    a: "dc9203e514a721875485a529d2c722fb187bc8980eb866644de41c68e143064546e861c0e2c9edd92ade71f46fcf50ff2ad97f951fda9f2a2eb6546f39689bd3",
    b: "b4c4ee28cebc6c2c8ac12952cf37f16ac7efb6a9f69f4b57ffda2e4f0de5ade038cbc2fff719d2c18de0284b8bfef3b52b8cc7a5f5bf0a3c8d2319a5312557e1",
    q: "3fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc98cdba46506ab004c33a9ff5147502cc8eda9e7a769a12694623cef47f023ed",
    x: "e2e31edfc23de7bdebe241ce593ef5de2295b7a9cbaef021d385f7074cea043aa27272a7ae602bf2a7b9033db9ed3610c6fb85487eae97aac5bc7928c1950148",
    y: "f5ce40d95b5eb899abbccff5911cb8577939804d6527378b8c108c3d2090ff9be18e2d33e3021ed2ef32d85822423b6304f726aa854bae07d0396e9a9addc40f",
};

/// The test curve of GOST R 34.10-2012 appendix A.1 (RFC 7091 §7.1), for its worked example.
#[cfg(test)]
const RFC7091_TEST_256: Hex = Hex {
    name: "GOST R 34.10-2012 A.1 test curve",
    size: 32,
    p: "8000000000000000000000000000000000000000000000000000000000000431",
    a: "7",
    b: "5fbff498aa938ce739b8e022fbafef40563f6e6a3472fc2a514c0ce9dae23b7e",
    q: "8000000000000000000000000000000150fe8a1892976154c59cfc193accf5b3",
    x: "2",
    y: "08e2a8a0e65147d4bd6316030e16d19c85c97f0a9ca267122b96abbcea7e8fc8",
};

/// The test curve of GOST R 34.10-2012 appendix A.2 (RFC 7091 §7.2).
#[cfg(test)]
const RFC7091_TEST_512: Hex = Hex {
    name: "GOST R 34.10-2012 A.2 test curve",
    size: 64,
    p: "4531acd1fe0023c7550d267b6b2fee80922b14b2ffb90f04d4eb7c09b5d2d15df1d852741af4704a0458047e80e4546d35b8336fac224dd81664bbf528be6373",
    a: "7",
    b: "1cff0806a31116da29d8cfa54e57eb748bc5f377e49400fdd788b649eca1ac4361834013b2ad7322480a89ca58e0cf74bc9e540c2add6897fad0a3084f302adc",
    q: "4531acd1fe0023c7550d267b6b2fee80922b14b2ffb90f04d4eb7c09b5d2d15da82f2d7ecb1dbac719905c5eecc423f1d86e25edbe23c595d644aaf187e6e6df",
    x: "24d19cc64572ee30f396bf6ebbfd7a6c5213b3b3d7057cc825f91093a68cd762fd60611262cd838dc6b60aa7eee804e28bc849977fac33b4b530f1b120248a9a",
    y: "2bb312a43bd2ce6e0d020613c857acddcfbf061e91e5f2c3f32447c259f39b2c83ab156d77f1496bf7eb3351e1ee4e43dc1a18b91b24640b6dbb92cb1add371e",
};

/// The test curves of GOST R 34.10-2012 appendix A (256, then 512 bits).
#[cfg(test)]
pub(crate) fn rfc7091_test_curves() -> [Curve; 2] {
    [Curve::new(&RFC7091_TEST_256), Curve::new(&RFC7091_TEST_512)]
}

/// Curve OIDs (TC26, CryptoPro, and the NCA's own for 512-bit set A) to parameter sets.
const CURVES: &[(ObjectIdentifier, &Hex)] = &[
    (curve::TC26_256_A, &TC26_256_A),
    (curve::TC26_256_B, &TC26_256_B),
    (curve::TC26_256_C, &TC26_256_C),
    (curve::TC26_256_D, &TC26_256_D),
    (curve::CRYPTOPRO_A, &TC26_256_B),
    (curve::CRYPTOPRO_B, &TC26_256_C),
    (curve::CRYPTOPRO_C, &TC26_256_D),
    (curve::CRYPTOPRO_XCH_A, &TC26_256_B),
    (curve::CRYPTOPRO_XCH_B, &TC26_256_D),
    (curve::TC26_512_A, &TC26_512_A),
    (curve::TC26_512_B, &TC26_512_B),
    (curve::TC26_512_C, &TC26_512_C),
    // The NCA's OID for its 512-bit keys: the curve of id-tc26-gost-3410-12-512-paramSetA
    // (the NCA test PKI's), checked against the NCA test root's self-signature.
    (curve::NCA_512_A, &TC26_512_A),
];

fn u512(hex: &str) -> U512 {
    U512::from_be_hex(&format!("{hex:0>128}"))
}

/// Zero in Montgomery form is zero: no reduction needed to test it.
fn is_zero(f: &Fe) -> bool {
    f.as_montgomery() == &U512::ZERO
}

/// Window width of the odd-multiple tables used in verification.
const WINDOW: usize = 5;

/// The odd multiples P, 3P, …, (2^WINDOW − 1)P.
type OddMultiples = Vec<Point>;

/// A scalar as (bit position, odd digit) pairs, highest first: Σ digit·2^position = k (sliding windows).
fn sliding_windows(k: &U512) -> Vec<(usize, usize)> {
    let mut digits = Vec::with_capacity(512 / (WINDOW + 1) + 1);
    let mut i = 512usize;
    while i > 0 {
        i -= 1;
        if !k.bit_vartime(i) {
            continue;
        }
        // The window [low, i], shortened so its lowest bit is set.
        let mut low = i.saturating_sub(WINDOW - 1);
        while !k.bit_vartime(low) {
            low += 1;
        }
        let mut d = 0usize;
        for b in (low..=i).rev() {
            d = (d << 1) | usize::from(k.bit_vartime(b));
        }
        digits.push((low, d));
        i = low;
    }
    digits
}

/// A point in Jacobian coordinates; `None` is the point at infinity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Point(Option<(Fe, Fe, Fe)>);

/// A curve with its generator, ready to compute.
pub(crate) struct Curve {
    pub name: &'static str,
    /// Coordinate and signature-half size in bytes.
    pub size: usize,
    fp: DynResidueParams<8>,
    fq: DynResidueParams<8>,
    pub(crate) p: U512,
    pub(crate) q: U512,
    a: Fe,
    /// a = −3 (all the TC26 512-bit sets A and B, 256-bit B–D): a cheaper doubling applies.
    a_is_minus_3: bool,
    b: Fe,
    g: Point,
    /// Odd multiples of the generator, computed once.
    g_table: OddMultiples,
    /// The signing table (odd multiples of 16^i·G), built on first use.
    fixed_base: OnceLock<Option<FixedBase>>,
}

impl Curve {
    fn new(h: &Hex) -> Curve {
        let p = u512(h.p);
        let q = u512(h.q);
        let fp = DynResidueParams::new(&p);
        let fq = DynResidueParams::new(&q);
        let fe = |s: &str| Fe::new(&u512(s), fp);
        let a = fe(h.a);
        let three = Fe::new(&U512::from_u8(3), fp);
        let mut curve = Curve {
            name: h.name,
            size: h.size,
            fp,
            fq,
            p,
            q,
            a,
            a_is_minus_3: is_zero(&a.add(&three)),
            b: fe(h.b),
            g: Point(Some((fe(h.x), fe(h.y), Fe::one(fp)))),
            g_table: Vec::new(),
            fixed_base: OnceLock::new(),
        };
        curve.g_table = curve.odd_multiples(&curve.g);
        curve
    }

    fn odd_multiples(&self, p: &Point) -> OddMultiples {
        let twice = self.double(p);
        let mut table = Vec::with_capacity(1 << (WINDOW - 1));
        table.push(*p);
        for i in 1..(1 << (WINDOW - 1)) {
            let next = self.add(&table[i - 1], &twice);
            table.push(next);
        }
        table
    }

    /// The curve named by an OID, its arithmetic set up once per process.
    pub(crate) fn by_oid(oid: &ObjectIdentifier) -> Option<&'static Curve> {
        static BUILT: OnceLock<Vec<(ObjectIdentifier, Curve)>> = OnceLock::new();
        BUILT
            .get_or_init(|| CURVES.iter().map(|(o, h)| (*o, Curve::new(h))).collect())
            .iter()
            .find(|(o, _)| o == oid)
            .map(|(_, c)| c)
    }

    /// The curve of a parameter-set name (the unit tests).
    #[cfg(test)]
    pub(crate) fn by_name(name: &str) -> Option<&'static Curve> {
        let oid = CURVES.iter().find(|(_, h)| h.name == name)?.0;
        Curve::by_oid(&oid)
    }

    pub(crate) fn fq(&self) -> DynResidueParams<8> {
        self.fq
    }

    /// The affine point (x, y) if it lies on the curve (coordinates below p).
    pub(crate) fn point(&self, x: &U512, y: &U512) -> Option<Point> {
        if x >= &self.p || y >= &self.p {
            return None;
        }
        let (x, y) = (Fe::new(x, self.fp), Fe::new(y, self.fp));
        let lhs = y.square();
        let rhs = x.square().mul(&x).add(&self.a.mul(&x)).add(&self.b);
        (lhs.retrieve() == rhs.retrieve()).then_some(Point(Some((x, y, Fe::one(self.fp)))))
    }

    pub(crate) fn generator(&self) -> Point {
        self.g
    }

    fn double(&self, p: &Point) -> Point {
        let Some((x, y, z)) = p.0 else {
            return *p;
        };
        if is_zero(&y) {
            return Point(None);
        }
        if self.a_is_minus_3 {
            // dbl-2001-b: alpha = 3(X − Z²)(X + Z²).
            let delta = z.square();
            let gamma = y.square();
            let beta = x.mul(&gamma);
            let t = x.sub(&delta).mul(&x.add(&delta));
            let alpha = t.add(&t).add(&t);
            let beta4 = {
                let b2 = beta.add(&beta);
                b2.add(&b2)
            };
            let x3 = alpha.square().sub(&beta4).sub(&beta4);
            let z3 = y.add(&z).square().sub(&gamma).sub(&delta);
            let gamma2_8 = {
                let g2 = gamma.square();
                let g4 = g2.add(&g2);
                let g8 = g4.add(&g4);
                g8.add(&g8)
            };
            let y3 = alpha.mul(&beta4.sub(&x3)).sub(&gamma2_8);
            return Point(Some((x3, y3, z3)));
        }
        let xx = x.square();
        let yy = y.square();
        let yyyy = yy.square();
        let zz = z.square();
        let t = x.add(&yy).square().sub(&xx).sub(&yyyy);
        let s = t.add(&t);
        let m = xx.add(&xx).add(&xx).add(&self.a.mul(&zz.square()));
        let x3 = m.square().sub(&s).sub(&s);
        let eight_yyyy = {
            let two = yyyy.add(&yyyy);
            let four = two.add(&two);
            four.add(&four)
        };
        let y3 = m.mul(&s.sub(&x3)).sub(&eight_yyyy);
        let z3 = y.add(&z).square().sub(&yy).sub(&zz);
        Point(Some((x3, y3, z3)))
    }

    fn add(&self, p: &Point, q: &Point) -> Point {
        let (Some((x1, y1, z1)), Some((x2, y2, z2))) = (p.0, q.0) else {
            return if p.0.is_none() { *q } else { *p };
        };
        let z1z1 = z1.square();
        let z2z2 = z2.square();
        let u1 = x1.mul(&z2z2);
        let u2 = x2.mul(&z1z1);
        let s1 = y1.mul(&z2).mul(&z2z2);
        let s2 = y2.mul(&z1).mul(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1);
        if is_zero(&h) {
            return if is_zero(&r) {
                self.double(p)
            } else {
                Point(None)
            };
        }
        let r = r.add(&r);
        let i = h.add(&h).square();
        let j = h.mul(&i);
        let v = u1.mul(&i);
        let x3 = r.square().sub(&j).sub(&v).sub(&v);
        let s1j = s1.mul(&j);
        let y3 = r.mul(&v.sub(&x3)).sub(&s1j).sub(&s1j);
        let z3 = z1.add(&z2).square().sub(&z1z1).sub(&z2z2).mul(&h);
        Point(Some((x3, y3, z3)))
    }

    /// u·G + v·Q on public data: interleaved sliding windows over odd multiples (the generator's computed once).
    /// Variable time.
    pub(crate) fn mul_g_plus_vartime(&self, u: &U512, v: &U512, q: &Point) -> Point {
        let q_table = self.odd_multiples(q);
        let du = sliding_windows(u);
        let dv = sliding_windows(v);
        let (mut iu, mut iv) = (0, 0);
        let mut acc = Point(None);
        let top = du
            .first()
            .map_or(0, |d| d.0 + WINDOW)
            .max(dv.first().map_or(0, |d| d.0 + WINDOW));
        for i in (0..top.min(512)).rev() {
            acc = self.double(&acc);
            if iu < du.len() && du[iu].0 == i {
                acc = self.add(&acc, &self.g_table[du[iu].1 / 2]);
                iu += 1;
            }
            if iv < dv.len() && dv[iv].0 == i {
                acc = self.add(&acc, &q_table[dv[iv].1 / 2]);
                iv += 1;
            }
        }
        acc
    }

    /// u·P + v·Q the plain way (Shamir's trick, bit by bit): the reference the windowed form is tested against,
    /// and the ladder's fallback for its negligible corner cases.
    pub(crate) fn mul2_vartime(&self, u: &U512, p: &Point, v: &U512, q: &Point) -> Point {
        let pq = self.add(p, q);
        let mut acc = Point(None);
        for i in (0..512).rev() {
            acc = self.double(&acc);
            match (u.bit_vartime(i), v.bit_vartime(i)) {
                (true, true) => acc = self.add(&acc, &pq),
                (true, false) => acc = self.add(&acc, p),
                (false, true) => acc = self.add(&acc, q),
                (false, false) => {}
            }
        }
        acc
    }

    /// k·P for a secret k in [1, q): a Montgomery ladder whose sequence of operations does not depend on k.
    /// k is first replaced by k + q or k + 2q (the same point), whichever has bit t = bitlen(q) set, so the ladder
    /// always runs t steps from (P, 2P); the swaps are constant-time selections, and the field arithmetic is
    /// crypto-bigint's constant-time Montgomery form. (The point formulas branch only when the two ladder points
    /// coincide or one is at infinity, which for k < q happens with negligible probability.)
    pub(crate) fn mul_ct(&self, k: &U512, p: &Point) -> Point {
        let t = self.q.bits_vartime(); // public: a property of the curve
                                       // k + q and k + 2q are as secret as k: wiped when done.
        let (s1, c1) = k.adc(&self.q, Limb::ZERO);
        let s1 = zeroize::Zeroizing::new(s1);
        let s2 = zeroize::Zeroizing::new(s1.adc(&self.q, c1).0);
        let top = |s: &U512, c: Limb| -> Choice {
            if t == 512 {
                Choice::from((c.0 & 1) as u8)
            } else {
                Choice::from(s.bit(t))
            }
        };
        // Use k + q when its bit t is set, else k + 2q.
        let use_first = top(&s1, c1);
        let scalar = zeroize::Zeroizing::new(U512::conditional_select(&s2, &s1, use_first));
        let Some((x, y, z)) = p.0 else {
            return Point(None);
        };
        let mut r0 = (x, y, z);
        let Some(twice) = self.double(p).0 else {
            return Point(None);
        };
        let mut r1 = twice;
        for i in (0..t).rev() {
            let bit = Choice::from(scalar.bit(i));
            cswap(&mut r0, &mut r1, bit);
            let sum = self.add(&Point(Some(r0)), &Point(Some(r1)));
            let dbl = self.double(&Point(Some(r0)));
            match (sum.0, dbl.0) {
                (Some(a), Some(b)) => {
                    r1 = a;
                    r0 = b;
                }
                // Negligible for a random k; still correct: fall back to the plain result.
                _ => return self.mul2_vartime(k, p, &U512::ZERO, p),
            }
            cswap(&mut r0, &mut r1, bit);
        }
        Point(Some(r0))
    }

    /// A point with the x coordinate of k·G, for a secret k in [1, q): the fixed-base table when it can be built
    /// (always, for the published curves), else the ladder.
    pub(crate) fn mul_g_ct(&self, k: &U512) -> Point {
        match self.fixed_base.get_or_init(|| FixedBase::new(self)) {
            Some(table) => table.mul(self, k),
            None => self.mul_ct(k, &self.g),
        }
    }

    /// The affine coordinates, or `None` at infinity.
    pub(crate) fn affine(&self, p: &Point) -> Option<(U512, U512)> {
        let (x, y, z) = p.0?;
        let (zinv, ok) = z.invert();
        if !bool::from(ok) {
            return None;
        }
        let zinv2 = zinv.square();
        Some((
            x.mul(&zinv2).retrieve(),
            y.mul(&zinv2).mul(&zinv).retrieve(),
        ))
    }
}

fn cswap(a: &mut (Fe, Fe, Fe), b: &mut (Fe, Fe, Fe), swap: Choice) {
    Fe::conditional_swap(&mut a.0, &mut b.0, swap);
    Fe::conditional_swap(&mut a.1, &mut b.1, swap);
    Fe::conditional_swap(&mut a.2, &mut b.2, swap);
}

/// Digits of the signing table are odd in [−15, 15]: windows of 4 bits.
const FB_WINDOW: usize = 4;
const FB_ODD: usize = 1 << (FB_WINDOW - 1);

/// Fixed-base multiplication for signing: k·G from odd multiples of 16^i·G, with every digit of k recoded to a
/// non-zero odd value (Joye–Tunstall regular recoding), so the sequence of additions is the same for every k.
/// Each lookup reads all eight entries of its row through constant-time selections, and a negative digit negates
/// y by a constant-time selection.
struct FixedBase {
    /// Row i: (2j + 1)·16^i·G for j in 0..8, Jacobian.
    rows: Vec<[(Fe, Fe, Fe); FB_ODD]>,
}

impl FixedBase {
    fn new(curve: &Curve) -> Option<FixedBase> {
        let digits = curve.q.bits_vartime().div_ceil(FB_WINDOW) + 1;
        let mut rows = Vec::with_capacity(digits);
        let mut base = curve.g;
        for _ in 0..digits {
            let twice = curve.double(&base);
            let mut row = Vec::with_capacity(FB_ODD);
            let mut p = base;
            for _ in 0..FB_ODD {
                row.push(p.0?);
                p = curve.add(&p, &twice);
            }
            rows.push(row.try_into().ok()?);
            for _ in 0..FB_WINDOW {
                base = curve.double(&base);
            }
        }
        Some(FixedBase { rows })
    }

    /// A point with the x coordinate of k·G (k·G itself, or −k·G when k is even).
    fn mul(&self, curve: &Curve, k: &U512) -> Point {
        // An odd scalar: k, or q − k when k is even, whose multiple −k·G has the same x.
        let odd = Choice::from((k.as_words()[0] & 1) as u8);
        // The scalar's remainder is as secret as k: wiped when done.
        let mut rest = zeroize::Zeroizing::new(U512::conditional_select(
            &zeroize::Zeroizing::new(curve.q.wrapping_sub(k)),
            k,
            odd,
        ));
        let mut acc: Option<(Fe, Fe, Fe)> = None;
        let last = self.rows.len() - 1;
        for (i, row) in self.rows.iter().enumerate() {
            // d = (rest mod 32) − 16 is odd in [−15, 15]; rest − d = rest − (rest mod 32) + 16 is divisible by 16.
            // The last digit is what remains: odd and positive.
            let low = rest.as_words()[0] & ((1 << (FB_WINDOW + 1)) - 1);
            let d = if i == last {
                (rest.as_words()[0] & 0xff) as i64
            } else {
                low as i64 - (1 << FB_WINDOW)
            };
            if i != last {
                *rest = rest
                    .wrapping_sub(&U512::from_u64(low))
                    .wrapping_add(&U512::from_u64(1 << FB_WINDOW))
                    .shr_vartime(FB_WINDOW);
            }
            // |d| and its sign without a branch.
            let mask = d >> 63;
            let magnitude = ((d ^ mask) - mask) as u64;
            let index = magnitude >> 1;
            let mut entry = row[0];
            for (j, candidate) in row.iter().enumerate() {
                let hit = (j as u64).ct_eq(&index);
                entry.0 = Fe::conditional_select(&entry.0, &candidate.0, hit);
                entry.1 = Fe::conditional_select(&entry.1, &candidate.1, hit);
                entry.2 = Fe::conditional_select(&entry.2, &candidate.2, hit);
            }
            let negative = Choice::from((mask & 1) as u8);
            entry.1 = Fe::conditional_select(&entry.1, &entry.1.neg(), negative);
            acc = match acc {
                None => Some(entry),
                // Equal or opposite points meet with negligible probability; the sum is still right then.
                Some(a) => curve.add(&Point(Some(a)), &Point(Some(entry))).0,
            };
        }
        Point(acc)
    }
}
