//! Arithmetic in GF(p) for the GOST curves, behind one trait the curve code is generic over.
//!
//! Two implementations:
//! - [`PseudoMersenne`] for p = 2^512 − c with a small c — the prime of id-tc26-gost-3410-12-512-paramSetA and
//!   paramSetC, the curves of every NCA key since 2022. Written here rather than taken from a crate because no
//!   maintained crate offers this prime and the measured difference is large: a multiplication is a schoolbook
//!   product and one fold of the high half times c, about 2.5× faster than crypto-bigint's run-time Montgomery
//!   form in a loop of dependent multiplications (75 vs 185 ns, 2026-12-02), and squaring saves a further
//!   quarter; `cargo bench --bench gost` and `--bench peers` show what it buys whole.
//! - [`Montgomery`]: crypto-bigint's run-time Montgomery form, for every other parameter set.
//!
//! Every operation of both runs in time independent of the values (no branch or index on them): signing uses the
//! same arithmetic as verification.

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use crypto_bigint::U512;

/// GF(p) with its constants: elements are `Self::E`, plain values the caller copies freely.
pub(crate) trait Field: Send + Sync + 'static {
    /// An element.
    type E: Copy + Send + Sync + std::fmt::Debug + 'static;
    /// p.
    fn modulus(&self) -> U512;
    /// `v` (below p) as an element.
    fn element(&self, v: &U512) -> Self::E;
    /// The element's value in [0, p).
    fn value(&self, a: &Self::E) -> U512;
    fn zero(&self) -> Self::E;
    fn one(&self) -> Self::E;
    fn add(&self, a: &Self::E, b: &Self::E) -> Self::E;
    fn sub(&self, a: &Self::E, b: &Self::E) -> Self::E;
    fn neg(&self, a: &Self::E) -> Self::E;
    fn mul(&self, a: &Self::E, b: &Self::E) -> Self::E;
    fn square(&self, a: &Self::E) -> Self::E;
    /// Whether `a` is zero, in constant time.
    fn is_zero(&self, a: &Self::E) -> Choice;
    /// 1/a, and whether a was invertible (for zero: zero and false).
    fn invert(&self, a: &Self::E) -> (Self::E, Choice);
    /// `b` when `choice` is set, else `a`.
    fn select(&self, a: &Self::E, b: &Self::E, choice: Choice) -> Self::E;

    /// k·a for a small k (2 to 255): the curve formulas' constants.
    fn mul_small(&self, a: &Self::E, k: u8) -> Self::E {
        let mut r = *a;
        for bit in (0..7 - k.leading_zeros()).rev() {
            r = self.add(&r, &r);
            if (k >> bit) & 1 == 1 {
                r = self.add(&r, a);
            }
        }
        r
    }

    /// Whether a and b are the same element, in constant time.
    fn equals(&self, a: &Self::E, b: &Self::E) -> Choice {
        self.is_zero(&self.sub(a, b))
    }
}

/// crypto-bigint's Montgomery form with run-time parameters: any odd p below 2^512.
pub(crate) struct Montgomery {
    params: DynResidueParams<8>,
}

impl Montgomery {
    pub(crate) fn new(p: &U512) -> Montgomery {
        Montgomery {
            params: DynResidueParams::new(p),
        }
    }
}

impl Field for Montgomery {
    type E = DynResidue<8>;

    fn modulus(&self) -> U512 {
        *self.params.modulus()
    }
    fn element(&self, v: &U512) -> Self::E {
        DynResidue::new(v, self.params)
    }
    fn value(&self, a: &Self::E) -> U512 {
        a.retrieve()
    }
    fn zero(&self) -> Self::E {
        DynResidue::zero(self.params)
    }
    fn one(&self) -> Self::E {
        DynResidue::one(self.params)
    }
    fn add(&self, a: &Self::E, b: &Self::E) -> Self::E {
        a.add(b)
    }
    fn sub(&self, a: &Self::E, b: &Self::E) -> Self::E {
        a.sub(b)
    }
    fn neg(&self, a: &Self::E) -> Self::E {
        a.neg()
    }
    fn mul(&self, a: &Self::E, b: &Self::E) -> Self::E {
        a.mul(b)
    }
    fn square(&self, a: &Self::E) -> Self::E {
        a.square()
    }
    fn is_zero(&self, a: &Self::E) -> Choice {
        // Zero in Montgomery form is zero.
        a.as_montgomery().ct_eq(&U512::ZERO)
    }
    fn invert(&self, a: &Self::E) -> (Self::E, Choice) {
        let (inv, ok) = a.invert();
        (inv, ok.into())
    }
    fn select(&self, a: &Self::E, b: &Self::E, choice: Choice) -> Self::E {
        DynResidue::conditional_select(a, b, choice)
    }
}

/// Eight 64-bit limbs, least significant first.
type Limbs = [u64; 8];

/// GF(p) for p = 2^512 − c, 0 < c < 2^32. Elements are any 512-bit value (not necessarily below p): 2^512 ≡ c
/// folds every carry back in, and values are brought below p only where they are read ([`Field::value`],
/// [`Field::is_zero`]).
pub(crate) struct PseudoMersenne {
    c: u64,
    /// p − 2 (the inversion exponent) as a run of `ones` one-bits above `low_bits` bits of value `low`.
    ones: u32,
    low_bits: u32,
    low: u64,
}

/// a + b + carry, and the carry out.
#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let (s, c1) = a.overflowing_add(b);
    let (s, c2) = s.overflowing_add(carry);
    (s, u64::from(c1 | c2))
}

/// a − b − borrow, and the borrow out (0 or 1).
#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let (d, b1) = a.overflowing_sub(b);
    let (d, b2) = d.overflowing_sub(borrow);
    (d, u64::from(b1 | b2))
}

/// r += w (below 2^128) across all limbs; the carry out of the top.
#[inline(always)]
fn add_wide(r: &mut Limbs, w: u128) -> u64 {
    let (l0, c) = adc(r[0], w as u64, 0);
    r[0] = l0;
    let (l1, mut c) = adc(r[1], (w >> 64) as u64, c);
    r[1] = l1;
    for limb in r.iter_mut().skip(2) {
        let (v, cc) = adc(*limb, 0, c);
        *limb = v;
        c = cc;
    }
    c
}

/// r −= w across all limbs; the borrow out of the top.
#[inline(always)]
fn sub_word(r: &mut Limbs, w: u64) -> u64 {
    let (l0, mut b) = sbb(r[0], w, 0);
    r[0] = l0;
    for limb in r.iter_mut().skip(1) {
        let (v, bb) = sbb(*limb, 0, b);
        *limb = v;
        b = bb;
    }
    b
}

impl PseudoMersenne {
    /// The field for `p` when p = 2^512 − c with 0 < c < 2^32 (and p odd), else `None`.
    pub(crate) fn new(p: &U512) -> Option<PseudoMersenne> {
        let c = U512::ZERO.wrapping_sub(p); // 2^512 − p
        let words = c.as_words();
        if words[1..].iter().any(|&w| w != 0) || words[0] == 0 || words[0] >= 1 << 32 {
            return None;
        }
        if p.as_words()[0] & 1 == 0 {
            return None;
        }
        // p − 2 = 2^512 − (c + 2): ones from the top down to the highest zero bit of its low word.
        let e = p.wrapping_sub(&U512::from_u64(2));
        let low_word = e.as_words()[0];
        let low_bits = 64 - (!low_word).leading_zeros();
        Some(PseudoMersenne {
            c: words[0],
            ones: 512 - low_bits,
            low_bits,
            low: low_word & ((1u64 << low_bits) - 1),
        })
    }

    /// A 1024-bit product folded to 512 bits: lo + hi·c, then the top word times c once more, then a last carry.
    #[inline(always)]
    fn reduce(&self, t: &[u64; 16]) -> Limbs {
        let c = u128::from(self.c);
        let mut r = [0u64; 8];
        let mut carry = 0u64;
        for i in 0..8 {
            let v = u128::from(t[8 + i]) * c + u128::from(t[i]) + u128::from(carry);
            r[i] = v as u64;
            carry = (v >> 64) as u64;
        }
        // carry < 2^33: carry·2^512 ≡ carry·c < 2^65.
        let top = add_wide(&mut r, u128::from(carry) * c);
        // A carry here leaves r below 2^65 (r[1] ≤ 1): adding c < 2^32 carries at most into r[1].
        let (low, carry) = adc(r[0], top * self.c, 0);
        r[0] = low;
        r[1] += carry;
        r
    }

    fn limbs(v: &U512) -> Limbs {
        *v.as_words()
    }
}

impl Field for PseudoMersenne {
    type E = Limbs;

    fn modulus(&self) -> U512 {
        U512::ZERO.wrapping_sub(&U512::from_u64(self.c))
    }
    fn element(&self, v: &U512) -> Limbs {
        Self::limbs(v)
    }

    fn value(&self, a: &Limbs) -> U512 {
        // a ≥ p exactly when a + c carries out of 512 bits; then a − p = a + c mod 2^512.
        let mut s = *a;
        let carry = add_wide(&mut s, u128::from(self.c));
        let take = Choice::from(carry as u8);
        let mut out = [0u64; 8];
        for i in 0..8 {
            out[i] = u64::conditional_select(&a[i], &s[i], take);
        }
        U512::from_words(out)
    }

    fn zero(&self) -> Limbs {
        [0; 8]
    }

    fn one(&self) -> Limbs {
        [1, 0, 0, 0, 0, 0, 0, 0]
    }

    fn add(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let mut s = [0u64; 8];
        let mut carry = 0;
        for i in 0..8 {
            (s[i], carry) = adc(a[i], b[i], carry);
        }
        let again = add_wide(&mut s, u128::from(carry * self.c));
        // A second carry leaves s below c < 2^32: the fold stays in the low word.
        s[0] += again * self.c;
        s
    }

    fn sub(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let mut d = [0u64; 8];
        let mut borrow = 0;
        for i in 0..8 {
            (d[i], borrow) = sbb(a[i], b[i], borrow);
        }
        // −2^512 ≡ −c; a second borrow leaves d at least 2^512 − c, its low word at least 2^64 − c > c: the second
        // fold stays in the low word.
        let again = sub_word(&mut d, borrow * self.c);
        d[0] -= again * self.c;
        d
    }

    fn neg(&self, a: &Limbs) -> Limbs {
        self.sub(&[0; 8], a)
    }

    /// One pass of word products, then the top word (below k) folded as top·c: cheaper than a chain of additions.
    fn mul_small(&self, a: &Limbs, k: u8) -> Limbs {
        let k = u128::from(k);
        let mut r = [0u64; 8];
        let mut carry = 0u64;
        for i in 0..8 {
            let v = u128::from(a[i]) * k + u128::from(carry);
            r[i] = v as u64;
            carry = (v >> 64) as u64;
        }
        // carry < 256: a second carry leaves r below 256·c, where adding c stays in the low word.
        let again = add_wide(&mut r, u128::from(carry * self.c));
        r[0] += again * self.c;
        r
    }

    fn mul(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let mut t = [0u64; 16];
        for i in 0..8 {
            let mut carry = 0u64;
            for j in 0..8 {
                let v =
                    u128::from(a[i]) * u128::from(b[j]) + u128::from(t[i + j]) + u128::from(carry);
                t[i + j] = v as u64;
                carry = (v >> 64) as u64;
            }
            t[i + 8] = carry;
        }
        self.reduce(&t)
    }

    fn square(&self, a: &Limbs) -> Limbs {
        // The products a_i·a_j for i < j once, doubled, plus the squares a_i².
        let mut t = [0u64; 16];
        for i in 0..7 {
            let mut carry = 0u64;
            for j in (i + 1)..8 {
                let v =
                    u128::from(a[i]) * u128::from(a[j]) + u128::from(t[i + j]) + u128::from(carry);
                t[i + j] = v as u64;
                carry = (v >> 64) as u64;
            }
            t[i + 8] = carry;
        }
        let mut high = 0u64;
        for limb in t.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | high;
            high = next;
        }
        let mut carry = 0u64;
        for i in 0..8 {
            let sq = u128::from(a[i]) * u128::from(a[i]);
            let (lo, c1) = adc(t[2 * i], sq as u64, carry);
            let (hi, c2) = adc(t[2 * i + 1], (sq >> 64) as u64, c1);
            t[2 * i] = lo;
            t[2 * i + 1] = hi;
            carry = c2;
        }
        self.reduce(&t)
    }

    fn is_zero(&self, a: &Limbs) -> Choice {
        let v = self.value(a);
        v.as_words().iter().fold(0u64, |acc, w| acc | w).ct_eq(&0)
    }

    /// a^(p−2) by a fixed chain: a^(2^k − 1) for the run of k ones at the top of p − 2 (k squarings and about
    /// 2·log k multiplications), then its low bits one by one. The sequence depends on p alone.
    fn invert(&self, a: &Limbs) -> (Limbs, Choice) {
        let mut x = *a; // a^(2^m − 1)
        let mut m = 1u32;
        for bit in (0..31 - self.ones.leading_zeros()).rev() {
            let mut y = x;
            for _ in 0..m {
                y = self.square(&y);
            }
            x = self.mul(&y, &x);
            m *= 2;
            if (self.ones >> bit) & 1 == 1 {
                x = self.mul(&self.square(&x), a);
                m += 1;
            }
        }
        for bit in (0..self.low_bits).rev() {
            x = self.square(&x);
            if (self.low >> bit) & 1 == 1 {
                x = self.mul(&x, a);
            }
        }
        (x, !self.is_zero(a))
    }

    fn select(&self, a: &Limbs, b: &Limbs, choice: Choice) -> Limbs {
        let mut out = [0u64; 8];
        for i in 0..8 {
            out[i] = u64::conditional_select(&a[i], &b[i], choice);
        }
        out
    }
}

/// A field that records the sequence of operations it performs (the constant-time tests compare sequences).
#[cfg(test)]
pub(crate) struct Traced<F> {
    inner: F,
    pub(crate) trace: std::sync::Mutex<Vec<&'static str>>,
}

#[cfg(test)]
impl<F: Field> Traced<F> {
    pub(crate) fn new(inner: F) -> Traced<F> {
        Traced {
            inner,
            trace: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn note(&self, op: &'static str) {
        self.trace.lock().expect("trace").push(op);
    }
}

#[cfg(test)]
impl<F: Field> Field for Traced<F> {
    type E = F::E;
    fn modulus(&self) -> U512 {
        self.inner.modulus()
    }
    fn element(&self, v: &U512) -> Self::E {
        self.note("from");
        self.inner.element(v)
    }
    fn value(&self, a: &Self::E) -> U512 {
        self.note("to");
        self.inner.value(a)
    }
    fn zero(&self) -> Self::E {
        self.inner.zero()
    }
    fn one(&self) -> Self::E {
        self.inner.one()
    }
    fn add(&self, a: &Self::E, b: &Self::E) -> Self::E {
        self.note("add");
        self.inner.add(a, b)
    }
    fn sub(&self, a: &Self::E, b: &Self::E) -> Self::E {
        self.note("sub");
        self.inner.sub(a, b)
    }
    fn neg(&self, a: &Self::E) -> Self::E {
        self.note("neg");
        self.inner.neg(a)
    }
    fn mul(&self, a: &Self::E, b: &Self::E) -> Self::E {
        self.note("mul");
        self.inner.mul(a, b)
    }
    fn square(&self, a: &Self::E) -> Self::E {
        self.note("square");
        self.inner.square(a)
    }
    fn is_zero(&self, a: &Self::E) -> Choice {
        self.note("is_zero");
        self.inner.is_zero(a)
    }
    fn invert(&self, a: &Self::E) -> (Self::E, Choice) {
        self.note("invert");
        self.inner.invert(a)
    }
    fn select(&self, a: &Self::E, b: &Self::E, choice: Choice) -> Self::E {
        self.note("select");
        self.inner.select(a, b, choice)
    }
    fn mul_small(&self, a: &Self::E, k: u8) -> Self::E {
        self.note("mul_small");
        self.inner.mul_small(a, k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift): the values need to be varied, not secret.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn limbs(&mut self) -> Limbs {
            std::array::from_fn(|_| self.next())
        }
    }

    /// The special-form field agrees with crypto-bigint's Montgomery form on every operation, for random values
    /// and the edges (0, 1, p − 1, p itself, 2^512 − 1 and the other non-canonical forms above p).
    #[test]
    fn pseudo_mersenne_agrees_with_montgomery() {
        let p = U512::from_be_hex(&format!("{:f>128}", "fdc7"));
        let fast = PseudoMersenne::new(&p).expect("2^512 − 569");
        assert_eq!(fast.c, 569);
        let slow = Montgomery::new(&p);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let minus = |k: u64| *U512::ZERO.wrapping_sub(&U512::from_u64(k)).as_words();
        let mut values: Vec<Limbs> = vec![
            [0; 8],
            [1, 0, 0, 0, 0, 0, 0, 0],
            minus(570), // p − 1
            minus(569), // p
            minus(568), // p + 1
            minus(1),   // 2^512 − 1
            [u64::MAX, 0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 1 << 63],
        ];
        values.extend((0..200).map(|_| rng.limbs()));
        let canon = |a: &Limbs| U512::from_words(*a).wrapping_rem(&p);
        for (i, a) in values.iter().enumerate() {
            let sa = slow.element(&canon(a));
            assert_eq!(fast.value(a), canon(a), "canonical {i}");
            assert_eq!(
                fast.value(&fast.square(a)),
                slow.value(&slow.square(&sa)),
                "square {i}"
            );
            assert_eq!(
                fast.value(&fast.neg(a)),
                slow.value(&slow.neg(&sa)),
                "neg {i}"
            );
            assert_eq!(
                bool::from(fast.is_zero(a)),
                canon(a) == U512::ZERO,
                "zero {i}"
            );
            let (inv, ok) = fast.invert(a);
            assert_eq!(bool::from(ok), canon(a) != U512::ZERO, "invertible {i}");
            if bool::from(ok) {
                assert_eq!(fast.value(&fast.mul(&inv, a)), U512::ONE, "inverse {i}");
            }
            for (j, b) in values.iter().enumerate().step_by(7) {
                let sb = slow.element(&canon(b));
                let pair = format!("{i}, {j}");
                assert_eq!(
                    fast.value(&fast.mul(a, b)),
                    slow.value(&slow.mul(&sa, &sb)),
                    "mul {pair}"
                );
                assert_eq!(
                    fast.value(&fast.add(a, b)),
                    slow.value(&slow.add(&sa, &sb)),
                    "add {pair}"
                );
                assert_eq!(
                    fast.value(&fast.sub(a, b)),
                    slow.value(&slow.sub(&sa, &sb)),
                    "sub {pair}"
                );
            }
        }
    }

    #[test]
    fn only_primes_just_below_2_512_take_the_special_form() {
        let p256 = U512::from_be_hex(&format!(
            "{:0>128}",
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd97"
        ));
        assert!(PseudoMersenne::new(&p256).is_none());
        let p512b = U512::from_be_hex(&format!("8{:0>127}", "6f"));
        assert!(PseudoMersenne::new(&p512b).is_none());
    }
}
