//! Point arithmetic on y² = x³ + ax + b over any [`Field`], and the three scalar multiplications GOST needs.
//!
//! - Verification, u·G + v·Q on public data, variable time: interleaved width-w NAF over tables of affine odd
//!   multiples (Straus–Shamir with wNAF; mixed Jacobian–affine additions). The generator's tables are built once
//!   per curve. A key seen a second time is treated as a CA key — a CA verifies thousands of certificates — and gets
//!   tables of its own, cached: u and v are then cut into 128-bit pieces over the bases 2^(128j)·G and 2^(128j)·Q,
//!   so the shared doublings fall from 512 to 128.
//! - Signing, k·G for a secret k: a fixed-base comb of affine odd multiples of 32^i·G with every digit of k recoded
//!   to a non-zero odd value (Joye–Tunstall), each row read whole through constant-time selections.
//! - Key derivation, k·P for a secret k: a Montgomery ladder with constant-time swaps.
//!
//! Points are Jacobian (X, Y, Z) ↦ (X/Z², Y/Z³), `None` the point at infinity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crypto_bigint::subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use crypto_bigint::{Limb, U512};

use super::field::Field;

/// A finite point in Jacobian coordinates.
type Jacobian<E> = (E, E, E);
/// A point in Jacobian coordinates; `None` is the point at infinity.
type Point<E> = Option<Jacobian<E>>;
/// A finite point in affine coordinates.
type Affine<E> = (E, E);

/// wNAF width of the generator's tables (32 odd multiples per base).
const G_WINDOW: u32 = 7;
/// wNAF width of a cached key's tables (16 odd multiples per base).
const KEY_WINDOW: u32 = 6;
/// wNAF width of the table built on the fly for a key seen once (8 odd multiples).
const ONCE_WINDOW: u32 = 5;
/// Bits per piece of a split scalar: two words.
const PIECE: usize = 128;
/// Keys whose tables are kept, at most (a trust store's CAs fit many times over).
const KEY_CACHE: usize = 256;
/// Bits per digit of the signing comb (16 odd multiples per row).
const COMB_WINDOW: usize = 5;

/// Odd multiples P, 3P, …, (2^(w−1) − 1)·P of each base 2^(PIECE·j)·P, affine.
struct SplitTables<E> {
    bases: Vec<Vec<Affine<E>>>,
    window: u32,
}

/// What the cache knows of a key: seen once, its tables, or that it has none (a point of small order).
enum Seen<E> {
    Once,
    Tables(Arc<SplitTables<E>>),
    NoTables,
}

/// A table of odd multiples and the wNAF digits of the scalar it is multiplied by.
type Term<'a, E> = (&'a [Affine<E>], Vec<i32>);

/// A key as the cache's index: its affine coordinates' words.
type KeyId = [u64; 16];

/// The fixed-base comb for signing: row i holds (2j + 1)·32^i·G for j in 0..16, affine.
struct Comb<E> {
    rows: Vec<[Affine<E>; 1 << (COMB_WINDOW - 1)]>,
}

/// A curve over the field `F`, with its generator's tables.
pub(crate) struct Ec<F: Field> {
    f: F,
    a: F::E,
    /// a = −3 (the TC26 512-bit sets A and B, 256-bit B–D): the cheaper doubling applies.
    a_is_minus_3: bool,
    b: F::E,
    g: Affine<F::E>,
    q: U512,
    /// Odd multiples of G for a full-length scalar.
    g_table: Vec<Affine<F::E>>,
    /// G's split tables, built on the first cached-key verification.
    g_split: OnceLock<SplitTables<F::E>>,
    comb: OnceLock<Comb<F::E>>,
    keys: Mutex<HashMap<KeyId, Seen<F::E>>>,
}

/// Width-`w` NAF digits of `k`, lowest first, `len` of them (at least bitlen(k) + 1): each zero or odd in
/// (−2^(w−1), 2^(w−1)), Σ digit·2^i = k, at most one non-zero digit in any w consecutive.
fn wnaf(k: &U512, w: u32, len: usize) -> Vec<i32> {
    let words = k.as_words();
    let bits = |at: usize, count: u32| -> u32 {
        // `count` ≤ 8 bits from bit `at` (zero past the end).
        let word = at / 64;
        let shift = at % 64;
        let mut v = words.get(word).copied().unwrap_or(0) >> shift;
        if shift + count as usize > 64 {
            v |= words.get(word + 1).copied().unwrap_or(0) << (64 - shift);
        }
        (v & ((1u64 << count) - 1)) as u32
    };
    let mut digits = vec![0i32; len];
    let mut carry = 0u32;
    let mut i = 0usize;
    while i < len {
        if bits(i, 1) == carry {
            i += 1;
            continue;
        }
        let mut word = bits(i, w) + carry;
        carry = (word >> (w - 1)) & 1;
        word = word.wrapping_sub(carry << w);
        digits[i] = word as i32;
        i += w as usize;
    }
    digits
}

impl<F: Field> Ec<F> {
    /// The curve with coefficients a, b and generator (x, y), all below p; q is the generator's order.
    pub(crate) fn new(f: F, a: &U512, b: &U512, gx: &U512, gy: &U512, q: U512) -> Ec<F> {
        let a = f.element(a);
        let minus_3 = f.neg(&f.element(&U512::from_u8(3)));
        let a_is_minus_3 = bool::from(f.equals(&a, &minus_3));
        let g = (f.element(gx), f.element(gy));
        let mut ec = Ec {
            b: f.element(b),
            f,
            a,
            a_is_minus_3,
            g,
            q,
            g_table: Vec::new(),
            g_split: OnceLock::new(),
            comb: OnceLock::new(),
            keys: Mutex::new(HashMap::new()),
        };
        ec.g_table = ec
            .odd_multiples(&[ec.lift(&g)], G_WINDOW)
            .expect("the generator has order q")
            .remove(0);
        ec
    }

    fn lift(&self, p: &Affine<F::E>) -> Jacobian<F::E> {
        (p.0, p.1, self.f.one())
    }

    /// The field (the tests read a traced one's record).
    #[cfg(test)]
    pub(crate) fn field(&self) -> &F {
        &self.f
    }

    pub(crate) fn generator(&self) -> (U512, U512) {
        (self.f.value(&self.g.0), self.f.value(&self.g.1))
    }

    /// The point (x, y) if it lies on the curve (coordinates below p are the caller's to check).
    fn affine_point(&self, x: &U512, y: &U512) -> Option<Affine<F::E>> {
        let f = &self.f;
        let (x, y) = (f.element(x), f.element(y));
        let rhs = f.add(
            &f.add(&f.mul(&f.square(&x), &x), &f.mul(&self.a, &x)),
            &self.b,
        );
        bool::from(f.equals(&f.square(&y), &rhs)).then_some((x, y))
    }

    pub(crate) fn is_on_curve(&self, x: &U512, y: &U512) -> bool {
        self.affine_point(x, y).is_some()
    }

    fn double(&self, p: &Point<F::E>) -> Point<F::E> {
        let f = &self.f;
        let (x, y, z) = (*p)?;
        if bool::from(f.is_zero(&y)) {
            return None;
        }
        let zz = f.square(&z);
        let yy = f.square(&y);
        let m = if self.a_is_minus_3 {
            // 3(X − Z²)(X + Z²)
            f.mul_small(&f.mul(&f.sub(&x, &zz), &f.add(&x, &zz)), 3)
        } else {
            let xx = f.square(&x);
            f.add(&f.mul_small(&xx, 3), &f.mul(&self.a, &f.square(&zz)))
        };
        // S = 4XY², X3 = M² − 2S, Y3 = M(S − X3) − 8Y⁴, Z3 = 2YZ
        let s = f.mul_small(&f.mul(&x, &yy), 4);
        let x3 = f.sub(&f.square(&m), &f.mul_small(&s, 2));
        let y3 = f.sub(&f.mul(&m, &f.sub(&s, &x3)), &f.mul_small(&f.square(&yy), 8));
        let z3 = f.mul_small(&f.mul(&y, &z), 2);
        Some((x3, y3, z3))
    }

    /// P + Q, both Jacobian (add-2007-bl).
    fn add(&self, p: &Point<F::E>, q: &Point<F::E>) -> Point<F::E> {
        let f = &self.f;
        let (Some((x1, y1, z1)), Some((x2, y2, z2))) = (*p, *q) else {
            return p.or(*q);
        };
        let z1z1 = f.square(&z1);
        let z2z2 = f.square(&z2);
        let u1 = f.mul(&x1, &z2z2);
        let u2 = f.mul(&x2, &z1z1);
        let s1 = f.mul(&f.mul(&y1, &z2), &z2z2);
        let s2 = f.mul(&f.mul(&y2, &z1), &z1z1);
        let h = f.sub(&u2, &u1);
        if bool::from(f.is_zero(&h)) {
            return self.same_x(p, &f.sub(&s2, &s1));
        }
        let hh = f.square(&h);
        let (x3, y3) = self.sum_xy(&u1, &s1, &h, &hh, &f.sub(&s2, &s1));
        let z3 = f.mul(
            &f.sub(&f.sub(&f.square(&f.add(&z1, &z2)), &z1z1), &z2z2),
            &h,
        );
        Some((x3, y3, z3))
    }

    /// P + Q where P and Q have the same x: 2P when R = S2 − S1 is zero (P = Q), else the point at infinity.
    fn same_x(&self, p: &Point<F::E>, r: &F::E) -> Point<F::E> {
        if bool::from(self.f.is_zero(r)) {
            self.double(p)
        } else {
            None
        }
    }

    /// X3 and Y3 of a sum from U1, S1, H = U2 − U1 (not zero), H² and R = S2 − S1: the part add-2007-bl and
    /// madd-2007-bl share.
    fn sum_xy(&self, u1: &F::E, s1: &F::E, h: &F::E, hh: &F::E, r: &F::E) -> (F::E, F::E) {
        let f = &self.f;
        let r = f.mul_small(r, 2);
        let i = f.mul_small(hh, 4);
        let j = f.mul(h, &i);
        let v = f.mul(u1, &i);
        let x3 = f.sub(&f.sub(&f.square(&r), &j), &f.mul_small(&v, 2));
        let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.mul_small(&f.mul(s1, &j), 2));
        (x3, y3)
    }

    /// P + Q with Q affine (madd-2007-bl): four multiplications fewer than [`Ec::add`].
    fn add_affine(&self, p: &Point<F::E>, q: &Affine<F::E>) -> Point<F::E> {
        let f = &self.f;
        let Some((x1, y1, z1)) = *p else {
            return Some(self.lift(q));
        };
        let (x2, y2) = q;
        let z1z1 = f.square(&z1);
        let u2 = f.mul(x2, &z1z1);
        let s2 = f.mul(&f.mul(y2, &z1), &z1z1);
        let h = f.sub(&u2, &x1);
        if bool::from(f.is_zero(&h)) {
            return self.same_x(p, &f.sub(&s2, &y1));
        }
        let hh = f.square(&h);
        let (x3, y3) = self.sum_xy(&x1, &y1, &h, &hh, &f.sub(&s2, &y1));
        let z3 = f.sub(&f.sub(&f.square(&f.add(&z1, &h)), &z1z1), &hh);
        Some((x3, y3, z3))
    }

    /// Affine forms of finite points with one inversion (Montgomery's trick); `None` if any is at infinity or
    /// has Z = 0.
    fn normalize(&self, points: &[Jacobian<F::E>]) -> Option<Vec<Affine<F::E>>> {
        let f = &self.f;
        let mut prefix = Vec::with_capacity(points.len());
        let mut acc = f.one();
        for p in points {
            prefix.push(acc);
            acc = f.mul(&acc, &p.2);
        }
        let (mut inv, ok) = f.invert(&acc);
        if !bool::from(ok) {
            return None;
        }
        let mut out = vec![(f.zero(), f.zero()); points.len()];
        for (k, p) in points.iter().enumerate().rev() {
            let zinv = f.mul(&inv, &prefix[k]);
            inv = f.mul(&inv, &p.2);
            let zinv2 = f.square(&zinv);
            out[k] = (f.mul(&p.0, &zinv2), f.mul(&f.mul(&p.1, &zinv2), &zinv));
        }
        Some(out)
    }

    /// For each base, its odd multiples up to (2^(w−1) − 1)·P, affine; `None` if one is at infinity. (For a point
    /// of order q none is; a key from outside may be a point of small order on a curve with a cofactor, and its
    /// tables then fail here rather than anything panicking.)
    fn odd_multiples(&self, bases: &[Jacobian<F::E>], w: u32) -> Option<Vec<Vec<Affine<F::E>>>> {
        let count = 1usize << (w - 2);
        let mut all = Vec::with_capacity(bases.len() * count);
        for base in bases {
            let p = Some(*base);
            let twice = self.double(&p);
            let mut m = p;
            for _ in 0..count {
                all.push(m?);
                m = self.add(&m, &twice);
            }
        }
        let affine = self.normalize(&all)?;
        Some(affine.chunks(count).map(<[_]>::to_vec).collect())
    }

    /// P, 2^step·P, 2^(2·step)·P, …: `count` bases; `None` if one is at infinity.
    fn spaced_bases(
        &self,
        p: &Affine<F::E>,
        step: usize,
        count: usize,
    ) -> Option<Vec<Jacobian<F::E>>> {
        let mut bases = Vec::with_capacity(count);
        let mut base = Some(self.lift(p));
        for _ in 0..count {
            bases.push(base?);
            for _ in 0..step {
                base = self.double(&base);
            }
        }
        Some(bases)
    }

    /// 2^(PIECE·j)·P for each piece of a scalar below q, and their odd multiples.
    fn split_tables(&self, p: &Affine<F::E>, w: u32) -> Option<SplitTables<F::E>> {
        let pieces = self.q.bits_vartime().div_ceil(PIECE);
        Some(SplitTables {
            bases: self.odd_multiples(&self.spaced_bases(p, PIECE, pieces)?, w)?,
            window: w,
        })
    }

    /// Σ digitsᵢ·tableᵢ: one shared run of doublings, each table's digit added as it comes.
    fn straus(&self, terms: &[Term<'_, F::E>]) -> Point<F::E> {
        let f = &self.f;
        let len = terms.iter().map(|t| t.1.len()).max().unwrap_or(0);
        let top = (0..len)
            .rev()
            .find(|&i| terms.iter().any(|t| t.1.get(i).is_some_and(|&d| d != 0)));
        let top = top?;
        let mut acc: Point<F::E> = None;
        for i in (0..=top).rev() {
            acc = self.double(&acc);
            for (table, digits) in terms {
                let d = digits.get(i).copied().unwrap_or(0);
                if d > 0 {
                    acc = self.add_affine(&acc, &table[(d / 2) as usize]);
                } else if d < 0 {
                    let (x, y) = table[(-d / 2) as usize];
                    acc = self.add_affine(&acc, &(x, f.neg(&y)));
                }
            }
        }
        acc
    }

    /// The affine coordinates of a point, or `None` at infinity.
    fn to_affine(&self, p: &Point<F::E>) -> Option<(U512, U512)> {
        let f = &self.f;
        let (x, y, z) = (*p)?;
        let (zinv, ok) = f.invert(&z);
        if !bool::from(ok) {
            return None;
        }
        let zinv2 = f.square(&zinv);
        Some((
            f.value(&f.mul(&x, &zinv2)),
            f.value(&f.mul(&f.mul(&y, &zinv2), &zinv)),
        ))
    }

    /// The tables of a key seen before, built on its second sighting; `None` on its first.
    fn key_tables(&self, q: &Affine<F::E>) -> Option<Arc<SplitTables<F::E>>> {
        let (x, y) = (self.f.value(&q.0), self.f.value(&q.1));
        let mut id = [0u64; 16];
        id[..8].copy_from_slice(x.as_words());
        id[8..].copy_from_slice(y.as_words());
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        match keys.get(&id) {
            Some(Seen::Tables(t)) => return Some(t.clone()),
            Some(Seen::NoTables) => return None,
            Some(Seen::Once) => {}
            None => {
                if keys.len() >= KEY_CACHE {
                    keys.retain(|_, s| !matches!(s, Seen::Once));
                    if keys.len() >= KEY_CACHE {
                        keys.clear();
                    }
                }
                keys.insert(id, Seen::Once);
                return None;
            }
        }
        drop(keys);
        // Built outside the lock: two threads may both build; the tables are equal either way.
        let tables = self.split_tables(q, KEY_WINDOW).map(Arc::new);
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.insert(id, tables.clone().map_or(Seen::NoTables, Seen::Tables));
        tables
    }

    /// u·G + v·Q on public data (u, v below q; Q on the curve), affine. Variable time. With `cache`, Q's tables
    /// are built at its second sighting and used from then on.
    #[cfg(test)]
    pub(crate) fn mul_g_plus_vartime(
        &self,
        u: &U512,
        v: &U512,
        q: &(U512, U512),
        cache: bool,
    ) -> Option<(U512, U512)> {
        self.to_affine(&self.g_plus(u, v, q, cache)?)
    }

    /// Whether u·G + v·Q is a finite point whose x coordinate is r modulo q (r below q): the verification's last
    /// step without an inversion — X = x·Z² is compared with each candidate x = r + jq below p times Z².
    pub(crate) fn g_plus_has_x(
        &self,
        u: &U512,
        v: &U512,
        q: &(U512, U512),
        cache: bool,
        r: &U512,
    ) -> bool {
        let f = &self.f;
        let Some(Some((x, _, z))) = self.g_plus(u, v, q, cache) else {
            return false;
        };
        if bool::from(f.is_zero(&z)) {
            return false;
        }
        let zz = f.square(&z);
        let p = f.modulus();
        let mut candidate = *r;
        while candidate < p {
            if bool::from(f.equals(&x, &f.mul(&f.element(&candidate), &zz))) {
                return true;
            }
            let (next, carry) = candidate.adc(&self.q, Limb::ZERO);
            if carry != Limb::ZERO {
                break;
            }
            candidate = next;
        }
        false
    }

    /// u·G + v·Q in Jacobian coordinates; `None` if Q is not on the curve.
    fn g_plus(&self, u: &U512, v: &U512, q: &(U512, U512), cache: bool) -> Option<Point<F::E>> {
        let q = self.affine_point(&q.0, &q.1)?;
        let bits = self.q.bits_vartime();
        let tables = if cache { self.key_tables(&q) } else { None };
        let sum = match tables {
            Some(key) => {
                let g = self.g_split.get_or_init(|| {
                    self.split_tables(&self.g, G_WINDOW)
                        .expect("the generator has order q")
                });
                let mut terms = Vec::with_capacity(2 * key.bases.len());
                for (scalar, tables) in [(u, g), (v, key.as_ref())] {
                    for (j, table) in tables.bases.iter().enumerate() {
                        // Bits [128j, 128j + 128): two words.
                        let words = scalar.as_words();
                        let mut piece = [0u64; 8];
                        piece[..2].copy_from_slice(&words[2 * j..2 * j + 2]);
                        let piece = U512::from_words(piece);
                        terms.push((table.as_slice(), wnaf(&piece, tables.window, PIECE + 1)));
                    }
                }
                self.straus(&terms)
            }
            None => {
                let q_table = self.odd_multiples(&[self.lift(&q)], ONCE_WINDOW)?.remove(0);
                self.straus(&[
                    (&self.g_table, wnaf(u, G_WINDOW, bits + 1)),
                    (&q_table, wnaf(v, ONCE_WINDOW, bits + 1)),
                ])
            }
        };
        Some(sum)
    }

    /// u·P + v·Q the plain way (bit by bit): the reference the fast forms are tested against, and the ladder's
    /// fallback for its negligible corner cases.
    pub(crate) fn mul2_vartime(
        &self,
        u: &U512,
        p: &(U512, U512),
        v: &U512,
        q: &(U512, U512),
    ) -> Option<(U512, U512)> {
        let (p, q) = (
            self.affine_point(&p.0, &p.1)?,
            self.affine_point(&q.0, &q.1)?,
        );
        let (p, q) = (Some(self.lift(&p)), Some(self.lift(&q)));
        let pq = self.add(&p, &q);
        let mut acc = None;
        for i in (0..512).rev() {
            acc = self.double(&acc);
            match (u.bit_vartime(i), v.bit_vartime(i)) {
                (true, true) => acc = self.add(&acc, &pq),
                (true, false) => acc = self.add(&acc, &p),
                (false, true) => acc = self.add(&acc, &q),
                (false, false) => {}
            }
        }
        self.to_affine(&acc)
    }

    fn cswap(&self, a: &mut Jacobian<F::E>, b: &mut Jacobian<F::E>, swap: Choice) {
        let f = &self.f;
        let (a0, b0) = (f.select(&a.0, &b.0, swap), f.select(&b.0, &a.0, swap));
        let (a1, b1) = (f.select(&a.1, &b.1, swap), f.select(&b.1, &a.1, swap));
        let (a2, b2) = (f.select(&a.2, &b.2, swap), f.select(&b.2, &a.2, swap));
        *a = (a0, a1, a2);
        *b = (b0, b1, b2);
    }

    /// k·P for a secret k in [1, q): a Montgomery ladder whose sequence of operations does not depend on k.
    /// k is first replaced by k + q or k + 2q (the same point), whichever has bit t = bitlen(q) set, so the ladder
    /// always runs t steps from (P, 2P); the swaps are constant-time selections. (The point formulas branch only
    /// when the two ladder points coincide or one is at infinity, which for k < q happens with negligible
    /// probability.)
    pub(crate) fn mul_ct(&self, k: &U512, p: &(U512, U512)) -> Option<(U512, U512)> {
        let base = self.affine_point(&p.0, &p.1)?;
        let t = self.q.bits_vartime(); // public: a property of the curve
                                       // k + q and k + 2q are as secret as k: wiped when done.
        let (s1, c1) = k.adc(&self.q, Limb::ZERO);
        let s1 = zeroize::Zeroizing::new(s1);
        let s2 = zeroize::Zeroizing::new(s1.adc(&self.q, c1).0);
        let use_first = if t == 512 {
            Choice::from((c1.0 & 1) as u8)
        } else {
            Choice::from(s1.bit(t))
        };
        let scalar = zeroize::Zeroizing::new(U512::conditional_select(&s2, &s1, use_first));
        let mut r0 = self.lift(&base);
        let mut r1 = self.double(&Some(r0))?;
        for i in (0..t).rev() {
            let bit = Choice::from(scalar.bit(i));
            self.cswap(&mut r0, &mut r1, bit);
            match (self.add(&Some(r0), &Some(r1)), self.double(&Some(r0))) {
                (Some(sum), Some(twice)) => {
                    r1 = sum;
                    r0 = twice;
                }
                // Negligible for a random k; still correct: fall back to the plain result.
                _ => return self.mul2_vartime(k, p, &U512::ZERO, p),
            }
            self.cswap(&mut r0, &mut r1, bit);
        }
        self.to_affine(&Some(r0))
    }

    fn comb(&self) -> &Comb<F::E> {
        self.comb.get_or_init(|| {
            let rows = self.q.bits_vartime().div_ceil(COMB_WINDOW) + 1;
            let tables = self
                .spaced_bases(&self.g, COMB_WINDOW, rows)
                .and_then(|bases| self.odd_multiples(&bases, COMB_WINDOW as u32 + 1))
                .expect("the generator has order q");
            Comb {
                rows: tables
                    .into_iter()
                    .map(|row| row.try_into().expect("16 odd multiples a row"))
                    .collect(),
            }
        })
    }

    /// The x coordinate of k·G for a secret k in [1, q) (k·G itself, or −k·G when k is even), in time that does
    /// not depend on k: every row of the comb adds one entry, read through selections over the whole row.
    pub(crate) fn mul_g_ct_x(&self, k: &U512) -> Option<U512> {
        let f = &self.f;
        let comb = self.comb();
        // An odd scalar: k, or q − k when k is even, whose multiple −k·G has the same x.
        let odd = Choice::from((k.as_words()[0] & 1) as u8);
        // The scalar's remainder is as secret as k: wiped when done.
        let mut rest = zeroize::Zeroizing::new(U512::conditional_select(
            &zeroize::Zeroizing::new(self.q.wrapping_sub(k)),
            k,
            odd,
        ));
        let mut acc: Point<F::E> = None;
        let last = comb.rows.len() - 1;
        for (i, row) in comb.rows.iter().enumerate() {
            // d = (rest mod 2^(w+1)) − 2^w is odd in [−(2^w − 1), 2^w − 1]; rest − d is divisible by 2^w.
            // The last digit is what remains: odd and positive.
            let low = rest.as_words()[0] & ((1 << (COMB_WINDOW + 1)) - 1);
            let d = if i == last {
                (rest.as_words()[0] & 0xff) as i64
            } else {
                low as i64 - (1 << COMB_WINDOW)
            };
            if i != last {
                *rest = rest
                    .wrapping_sub(&U512::from_u64(low))
                    .wrapping_add(&U512::from_u64(1 << COMB_WINDOW))
                    .shr_vartime(COMB_WINDOW);
            }
            // |d| and its sign without a branch.
            let mask = d >> 63;
            let magnitude = ((d ^ mask) - mask) as u64;
            let index = magnitude >> 1;
            let mut entry = row[0];
            for (j, candidate) in row.iter().enumerate() {
                let hit = (j as u64).ct_eq(&index);
                entry.0 = f.select(&entry.0, &candidate.0, hit);
                entry.1 = f.select(&entry.1, &candidate.1, hit);
            }
            let negative = Choice::from((mask & 1) as u8);
            entry.1 = f.select(&entry.1, &f.neg(&entry.1), negative);
            // Equal or opposite points meet with negligible probability; the sum is still right then.
            acc = self.add_affine(&acc, &entry);
        }
        self.to_affine(&acc).map(|p| p.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wnaf_digits_sum_to_the_scalar() {
        for (k, w) in [
            (U512::from_u64(0), 5),
            (U512::from_u64(1), 5),
            (U512::from_u64(0xffff_ffff_ffff_ffff), 6),
            (U512::ZERO.wrapping_sub(&U512::ONE), 7),
            (
                U512::from_be_hex(&format!(
                    "{:0>128}",
                    "8000000000000000f00dfeedbeefcafe0123456789abcdef"
                )),
                5,
            ),
        ] {
            let digits = wnaf(&k, w, 513);
            let mut sum = U512::ZERO;
            for (i, &d) in digits.iter().enumerate() {
                let m = U512::from_u64(d.unsigned_abs() as u64).shl_vartime(i);
                sum = if d >= 0 {
                    sum.wrapping_add(&m)
                } else {
                    sum.wrapping_sub(&m)
                };
                assert!(
                    d == 0 || (d % 2 != 0 && d.unsigned_abs() < 1 << (w - 1)),
                    "{d}"
                );
            }
            assert_eq!(sum, k);
        }
    }
}
