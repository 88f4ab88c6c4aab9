//! GOST R 34.10-2012 elliptic curves in short Weierstrass form y² = x³ + ax + b over GF(p), with the parameter
//! sets of R 1323565.1.024-2019 / RFC 7836 (the TC26 sets, which include the CryptoPro ones). Every set's p and q
//! fit 512 bits. The arithmetic ([`super::ec::Ec`]) is generic over the field: the special-form field where
//! p = 2^512 − c (the NCA's paramSetA, and paramSetC), crypto-bigint's Montgomery form for the rest.
//!
//! Points cross this module's boundary as affine coordinates; verification works on public data only, so its
//! multi-scalar multiplication is variable-time; signing's multiplications are constant-time.

use std::sync::OnceLock;

use crypto_bigint::modular::runtime_mod::DynResidueParams;
use crypto_bigint::U512;

use super::ec::Ec;
use super::field::{Field, Montgomery, PseudoMersenne};
use crate::encoding::oid::{curve, ObjectIdentifier};

/// Whether verification may use and make per-key tables (see [`super::ec`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyTables {
    /// A key's tables are built at its second sighting and used from then on.
    Cached,
    /// The key is treated as never seen: a table on the fly, nothing kept.
    Never,
}

/// A point in affine coordinates (x, y).
pub(crate) type Affine = (U512, U512);

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
    // The NCA's OID for its legacy GOST 34.310-2004 keys: CryptoPro A, checked against the legacy test CA's
    // signatures (every other 256-bit set puts its key off the curve).
    (curve::NCA_34310_A, &TC26_256_B),
];

fn u512(hex: &str) -> U512 {
    U512::from_be_hex(&format!("{hex:0>128}"))
}

/// The scalar multiplications of one curve, whatever its field.
trait Arithmetic: Send + Sync {
    fn generator(&self) -> Affine;
    fn is_on_curve(&self, x: &U512, y: &U512) -> bool;
    #[cfg(test)]
    fn mul_g_plus_vartime(&self, u: &U512, v: &U512, q: &Affine, t: KeyTables) -> Option<Affine>;
    fn g_plus_has_x(&self, u: &U512, v: &U512, q: &Affine, t: KeyTables, r: &U512) -> bool;
    #[cfg(test)]
    fn mul2_vartime(&self, u: &U512, p: &Affine, v: &U512, q: &Affine) -> Option<Affine>;
    fn mul_ct(&self, k: &U512, p: &Affine) -> Option<Affine>;
    fn mul_g_ct_x(&self, k: &U512) -> Option<U512>;
}

impl<F: Field> Arithmetic for Ec<F> {
    fn generator(&self) -> Affine {
        Ec::generator(self)
    }
    fn is_on_curve(&self, x: &U512, y: &U512) -> bool {
        Ec::is_on_curve(self, x, y)
    }
    #[cfg(test)]
    fn mul_g_plus_vartime(&self, u: &U512, v: &U512, q: &Affine, t: KeyTables) -> Option<Affine> {
        Ec::mul_g_plus_vartime(self, u, v, q, t == KeyTables::Cached)
    }
    fn g_plus_has_x(&self, u: &U512, v: &U512, q: &Affine, t: KeyTables, r: &U512) -> bool {
        Ec::g_plus_has_x(self, u, v, q, t == KeyTables::Cached, r)
    }
    #[cfg(test)]
    fn mul2_vartime(&self, u: &U512, p: &Affine, v: &U512, q: &Affine) -> Option<Affine> {
        Ec::mul2_vartime(self, u, p, v, q)
    }
    fn mul_ct(&self, k: &U512, p: &Affine) -> Option<Affine> {
        Ec::mul_ct(self, k, p)
    }
    fn mul_g_ct_x(&self, k: &U512) -> Option<U512> {
        Ec::mul_g_ct_x(self, k)
    }
}

/// A curve with its generator, ready to compute.
pub(crate) struct Curve {
    pub name: &'static str,
    /// Coordinate and signature-half size in bytes.
    pub size: usize,
    fq: DynResidueParams<8>,
    pub(crate) p: U512,
    pub(crate) q: U512,
    arithmetic: Box<dyn Arithmetic>,
}

impl Curve {
    fn new(h: &Hex) -> Curve {
        let p = u512(h.p);
        let q = u512(h.q);
        let (a, b, x, y) = (u512(h.a), u512(h.b), u512(h.x), u512(h.y));
        let arithmetic: Box<dyn Arithmetic> = match PseudoMersenne::new(&p) {
            Some(f) => Box::new(Ec::new(f, &a, &b, &x, &y, q)),
            None => Box::new(Ec::new(Montgomery::new(&p), &a, &b, &x, &y, q)),
        };
        Curve {
            name: h.name,
            size: h.size,
            fq: DynResidueParams::new(&q),
            p,
            q,
            arithmetic,
        }
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

    /// Whether (x, y) is a point of the curve with coordinates below p.
    pub(crate) fn is_on_curve(&self, p: &Affine) -> bool {
        p.0 < self.p && p.1 < self.p && self.arithmetic.is_on_curve(&p.0, &p.1)
    }

    pub(crate) fn generator(&self) -> Affine {
        self.arithmetic.generator()
    }

    /// Whether u·G + v·Q (Q on the curve) is finite with x ≡ r (mod q), r below q: GOST verification's last
    /// step. Variable time.
    pub(crate) fn g_plus_has_x(
        &self,
        u: &U512,
        v: &U512,
        q: &Affine,
        tables: KeyTables,
        r: &U512,
    ) -> bool {
        self.arithmetic.g_plus_has_x(u, v, q, tables, r)
    }

    /// u·G + v·Q on public data (Q on the curve); `None` at infinity. Variable time.
    #[cfg(test)]
    pub(crate) fn mul_g_plus_vartime(
        &self,
        u: &U512,
        v: &U512,
        q: &Affine,
        tables: KeyTables,
    ) -> Option<Affine> {
        self.arithmetic.mul_g_plus_vartime(u, v, q, tables)
    }

    /// u·P + v·Q bit by bit: the reference the fast forms are tested against.
    #[cfg(test)]
    pub(crate) fn mul2_vartime(
        &self,
        u: &U512,
        p: &Affine,
        v: &U512,
        q: &Affine,
    ) -> Option<Affine> {
        self.arithmetic.mul2_vartime(u, p, v, q)
    }

    /// k·P for a secret k in [1, q), in constant time (the ladder).
    pub(crate) fn mul_ct(&self, k: &U512, p: &Affine) -> Option<Affine> {
        self.arithmetic.mul_ct(k, p)
    }

    /// The x coordinate of k·G for a secret k in [1, q), in constant time (the comb).
    pub(crate) fn mul_g_ct_x(&self, k: &U512) -> Option<U512> {
        self.arithmetic.mul_g_ct_x(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::gost::field::Traced;

    /// Signing's multiplications perform the same sequence of field operations whatever the secret scalar: the
    /// comb (k·G) and the ladder (k·P), on the NCA's curve, for odd and even, small and large k. (Each field
    /// operation is itself branch-free: `field`'s tests hold its results to crypto-bigint's.)
    #[test]
    fn signing_multiplications_do_the_same_work_for_every_scalar() {
        let h = &TC26_512_A;
        let (p, q) = (u512(h.p), u512(h.q));
        let field = Traced::new(PseudoMersenne::new(&p).expect("special form"));
        let ec = Ec::new(field, &u512(h.a), &u512(h.b), &u512(h.x), &u512(h.y), q);
        let g = ec.generator();
        let scalars = [
            U512::ONE,
            U512::from_u64(2),
            U512::from_u64(0xdead_beef),
            q.wrapping_sub(&U512::ONE),
            q.shr_vartime(1),
            u512("123456789abcdef0fedcba9876543210aa55"),
            u512("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff27e69532f48d89116ff22b8d4e0560609b4b38abfad2b85dcacdb1411f10b270"),
        ];
        let trace = |run: &dyn Fn()| {
            ec.field().trace.lock().expect("trace").clear();
            run();
            std::mem::take(&mut *ec.field().trace.lock().expect("trace"))
        };
        ec.mul_g_ct_x(&U512::ONE); // builds the comb
        let combs: Vec<_> = scalars
            .iter()
            .map(|k| trace(&|| assert!(ec.mul_g_ct_x(k).is_some())))
            .collect();
        // The ladder meets the point at infinity for k = 1 and k = q − 1 (its last prefix is then q·P) and takes its
        // plain fallback: those two are left out, as the negligible cases its documentation names.
        let ladders: Vec<_> = scalars
            .iter()
            .filter(|k| **k != U512::ONE && **k != q.wrapping_sub(&U512::ONE))
            .map(|k| trace(&|| assert!(ec.mul_ct(k, &g).is_some())))
            .collect();
        assert!(combs[0].len() > 1000 && ladders[0].len() > 1000);
        for (k, comb) in combs.iter().enumerate() {
            assert!(comb == &combs[0], "comb: scalar {k} differs");
        }
        for (k, ladder) in ladders.iter().enumerate() {
            assert!(ladder == &ladders[0], "ladder: scalar {k} differs");
        }
        // The verification multiplication, by contrast, is not: the test can tell.
        let (u1, u2) = (U512::from_u64(3), q.shr_vartime(1));
        let short = trace(&|| {
            ec.mul_g_plus_vartime(&u1, &u1, &g, false);
        });
        let long = trace(&|| {
            ec.mul_g_plus_vartime(&u2, &u2, &g, false);
        });
        assert!(short != long);
    }
}
