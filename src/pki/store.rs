//! The trust store: anchors, known intermediates and CRLs, loaded and indexed once and shared by every
//! verification (it is `Sync`; wrap it in an `Arc`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use crate::crypto::{AlgorithmRegistry, CryptoError};
use crate::pki::cert::Certificate;
use crate::pki::crl::{Crl, CrlError};
use crate::pki::evidence::RevocationEvidence;
use crate::pki::name::Name;

/// A CRL with what loading learnt about its signature, and where it came from.
#[derive(Debug)]
pub(crate) struct StoredCrl {
    pub crl: Crl,
    /// The CRL as reports name it (issuer, where it came from, times, number), built once.
    pub evidence: Arc<RevocationEvidence>,
    /// Pool certificates whose key verifies the CRL's signature (candidates chosen by subject = CRL issuer).
    pub signed_by: Vec<usize>,
    /// Why the signature could not be accepted, when `signed_by` is empty.
    pub signature_problem: Option<SignatureProblem>,
    /// The CRL's DER, kept when no configured certificate is named like its issuer (then the issuer may arrive
    /// with a request — a CA certificate inside a CMS — and the signature is checked against it then), and when
    /// it is small enough to embed in a signed PDF's validation data ([`MAX_EMBEDDABLE_CRL`]).
    pub der: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub(crate) enum SignatureProblem {
    /// No certificate named like the CRL issuer is known.
    NoCandidate,
    /// Candidates exist, and the signature verifies with none of them.
    Invalid(String),
    /// The algorithm is not supported.
    Unsupported(String),
}

/// Where a CRL of the store came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrlOrigin {
    /// Given at start (a file of the configuration, or bytes handed to the builder).
    Loaded,
    /// Fetched from this URL by the service while it runs.
    Fetched(String),
    /// Read from the service's disk cache at start; it was fetched from this URL earlier.
    Cached(String),
}

/// The CRLs a store holds at one moment. Installing a CRL builds a new set beside this one and swaps the pointer
/// (copy-on-write: the unchanged CRLs are shared, not copied), so a validation takes one consistent set at its
/// start, keeps it to its end, and never waits for an installation; the replaced list is freed when the last
/// validation holding it ends.
#[derive(Debug, Default)]
pub(crate) struct CrlSet {
    pub crls: Vec<Arc<StoredCrl>>,
    pub by_issuer: HashMap<Name, Vec<usize>>,
}

impl CrlSet {
    fn with(crls: Vec<Arc<StoredCrl>>) -> CrlSet {
        let mut by_issuer: HashMap<Name, Vec<usize>> = HashMap::new();
        for (ix, stored) in crls.iter().enumerate() {
            by_issuer
                .entry(stored.crl.issuer.clone())
                .or_default()
                .push(ix);
        }
        CrlSet { crls, by_issuer }
    }
}

/// Largest CRL whose bytes the store keeps to embed in PAdES validation data (`/DSS`): the NCA's full lists (about
/// 22 MB) are not embedded in every document — their OCSP answers or delta lists are what fit.
pub(crate) const MAX_EMBEDDABLE_CRL: usize = 1024 * 1024;

/// A CRL's SHA-256 and a candidate issuer's SHA-256.
type CrlAndIssuer = ([u8; 32], [u8; 32]);

/// A CRL as reports name it: built once, when the CRL is stored, and shared by every report that rests on it.
fn crl_evidence(crl: &Crl, origin: &CrlOrigin) -> RevocationEvidence {
    let (source, origin) = match origin {
        CrlOrigin::Loaded => ("configured".to_string(), "loaded"),
        CrlOrigin::Fetched(url) => (url.clone(), "fetched"),
        CrlOrigin::Cached(url) => (url.clone(), "cached"),
    };
    RevocationEvidence::Crl {
        issuer: crl.issuer.to_string(),
        source,
        origin,
        this_update: crl.this_update,
        next_update: crl.next_update,
        number: crl.number.as_deref().map(crate::encoding::hex),
        delta: crl.is_delta(),
        sha256: crate::encoding::hex(&crl.fingerprint),
    }
}

/// Most results kept by the cache of CRL signatures checked against request-supplied issuers; past it the cache
/// starts again (requests choose those issuers, so the cache must not grow with them).
const LATE_CRL_CACHE_ENTRIES: usize = 4096;
/// Most results kept by the cache of signer certificates' signatures; past it the cache starts again (requests
/// bring those certificates, so the cache must not grow with them: about 60 bytes an entry).
const LEAF_SIGNATURE_CACHE_ENTRIES: usize = 65_536;

/// A request-supplied certificate (its SHA-256) and the pool certificate that issued it.
type LeafAndIssuer = ([u8; 32], usize);

/// Trust anchors, intermediates and CRLs.
pub struct TrustStore {
    pub(crate) certs: Vec<Arc<Certificate>>,
    pub(crate) is_anchor: Vec<bool>,
    pub(crate) by_subject: HashMap<Name, Vec<usize>>,
    pub(crate) by_fingerprint: HashMap<[u8; 32], usize>,
    /// The current CRLs; replaced whole by [`TrustStore::install_crl`].
    crls: RwLock<Arc<CrlSet>>,
    /// Held while a CRL is installed, so two installations never build from the same set and lose one.
    installing: Mutex<()>,
    /// Results of certificate signature checks between two pool certificates: signatures do not depend on the
    /// validation time, so a CA certificate is verified once per process, not once per request.
    pub(crate) signature_cache: RwLock<HashMap<(usize, usize), Result<(), CryptoError>>>,
    /// Results of checking a kept CRL's signature against a request-supplied issuer: (CRL SHA-256, issuer
    /// SHA-256). Bounded by [`LATE_CRL_CACHE_ENTRIES`].
    late_crl_cache: RwLock<HashMap<CrlAndIssuer, bool>>,
    /// Results of checking a request-supplied certificate's signature (a signer's, by its SHA-256) against a pool
    /// certificate: an applicant signs many requests with one certificate, and its issuer's RSA or GOST check then
    /// runs once. Bounded by [`LEAF_SIGNATURE_CACHE_ENTRIES`].
    pub(crate) leaf_signature_cache: RwLock<HashMap<LeafAndIssuer, Result<(), CryptoError>>>,
    pub(crate) algorithms: &'static AlgorithmRegistry,
    /// Certificates that arrived with requests (a signer's certificate inside a CMS), parsed once and kept for the
    /// signer's next request. Bounded: the oldest entries leave first.
    recent: Mutex<RecentCertificates>,
}

/// Most certificates kept by [`TrustStore::parse_certificate`].
pub(crate) const RECENT_CERTIFICATES: usize = 10_000;
/// Most DER bytes of certificates kept by [`TrustStore::parse_certificate`] (the parsed form costs about three times
/// as much): 10 000 ordinary 1.5 KB certificates fit, while requests carrying large certificates cannot make the
/// cache grow past a few tens of megabytes.
pub const RECENT_CERTIFICATE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Default)]
struct RecentCertificates {
    by_fingerprint: HashMap<[u8; 32], Arc<Certificate>>,
    order: VecDeque<[u8; 32]>,
    bytes: usize,
}

impl RecentCertificates {
    fn remember(&mut self, cert: Arc<Certificate>) {
        let size = cert.der().len();
        if self.by_fingerprint.contains_key(&cert.fingerprint) || size > RECENT_CERTIFICATE_BYTES {
            return;
        }
        while self.order.len() >= RECENT_CERTIFICATES
            || self.bytes + size > RECENT_CERTIFICATE_BYTES
        {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(c) = self.by_fingerprint.remove(&old) {
                self.bytes -= c.der().len();
            }
        }
        self.bytes += size;
        self.order.push_back(cert.fingerprint);
        self.by_fingerprint.insert(cert.fingerprint, cert);
    }
}

/// Collects certificates and CRLs, then builds the [`TrustStore`].
#[derive(Default)]
pub struct TrustStoreBuilder {
    anchors: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    /// Each CRL with the DER it was parsed from, kept until `build` has checked its signature.
    crls: Vec<(Crl, Vec<u8>)>,
}

impl TrustStoreBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trust anchor.
    pub fn anchor(mut self, cert: Certificate) -> Self {
        self.anchors.push(cert);
        self
    }

    /// Adds an intermediate CA certificate.
    pub fn intermediate(mut self, cert: Certificate) -> Self {
        self.intermediates.push(cert);
        self
    }

    /// Parses a DER CRL; its signature is checked by [`Self::build`], when every candidate issuer is known.
    pub fn crl_der(mut self, der: Vec<u8>) -> Result<Self, CrlError> {
        self.add_crl_der(der)?;
        Ok(self)
    }

    /// Adds a trust anchor.
    pub fn add_anchor(&mut self, cert: Certificate) {
        self.anchors.push(cert);
    }

    /// Adds an intermediate CA certificate.
    pub fn add_intermediate(&mut self, cert: Certificate) {
        self.intermediates.push(cert);
    }

    /// Parses and adds a CRL.
    pub fn add_crl_der(&mut self, der: Vec<u8>) -> Result<(), CrlError> {
        let crl = Crl::from_der(&der)?;
        self.crls.push((crl, der));
        Ok(())
    }

    /// The store, with its indexes built.
    pub fn build(self) -> TrustStore {
        self.build_with(AlgorithmRegistry::global())
    }

    /// Builds the store, verifying each CRL's signature against the certificates named like its issuer.
    pub fn build_with(self, algorithms: &'static AlgorithmRegistry) -> TrustStore {
        let mut store = TrustStore {
            certs: Vec::new(),
            is_anchor: Vec::new(),
            by_subject: HashMap::new(),
            by_fingerprint: HashMap::new(),
            crls: RwLock::new(Arc::new(CrlSet::default())),
            installing: Mutex::new(()),
            signature_cache: RwLock::new(HashMap::new()),
            late_crl_cache: RwLock::new(HashMap::new()),
            leaf_signature_cache: RwLock::new(HashMap::new()),
            algorithms,
            recent: Mutex::new(RecentCertificates::default()),
        };
        let mut seen = std::collections::HashSet::new();
        let tagged = self
            .anchors
            .into_iter()
            .map(|c| (c, true))
            .chain(self.intermediates.into_iter().map(|c| (c, false)));
        for (cert, anchor) in tagged {
            if !seen.insert(cert.fingerprint) {
                // The same certificate given twice: keep the first role (anchor wins, as anchors come first).
                continue;
            }
            let ix = store.certs.len();
            store
                .by_subject
                .entry(cert.subject.clone())
                .or_default()
                .push(ix);
            store.certs.push(Arc::new(cert));
            store.is_anchor.push(anchor);
        }
        let mut crls: Vec<Arc<StoredCrl>> = Vec::new();
        for (crl, der) in self.crls {
            if crls.iter().any(|s| s.crl.fingerprint == crl.fingerprint) {
                continue;
            }
            crls.push(Arc::new(store.check_crl_signature(
                crl,
                &der,
                CrlOrigin::Loaded,
            )));
        }
        let count = crls.len();
        store.crls = RwLock::new(Arc::new(CrlSet::with(crls)));
        tracing::debug!(
            certificates = store.certs.len(),
            crls = count,
            "trust store built"
        );
        store
    }
}

impl TrustStore {
    /// A builder for a store.
    pub fn builder() -> TrustStoreBuilder {
        TrustStoreBuilder::new()
    }

    pub(crate) fn check_crl_signature(&self, crl: Crl, der: &[u8], origin: CrlOrigin) -> StoredCrl {
        let mut signed_by = Vec::new();
        let mut problem = None;
        let candidates = self
            .by_subject
            .get(&crl.issuer)
            .cloned()
            .unwrap_or_default();
        if !crl
            .signature_algorithm
            .same_as(&crl.inner_signature_algorithm)
        {
            problem = Some(SignatureProblem::Invalid(format!(
                "the CRL's inner and outer signature algorithms differ ({} / {})",
                crl.inner_signature_algorithm.oid, crl.signature_algorithm.oid
            )));
        } else {
            let tbs = crl.tbs(der).unwrap_or_default();
            for ix in candidates.iter().copied() {
                match self.algorithms.verify(
                    &crl.signature_algorithm,
                    &self.certs[ix].public_key,
                    tbs,
                    &crl.signature,
                ) {
                    Ok(()) => signed_by.push(ix),
                    Err(CryptoError::UnsupportedAlgorithm(a)) => {
                        problem = Some(SignatureProblem::Unsupported(a))
                    }
                    Err(e) => {
                        if !matches!(problem, Some(SignatureProblem::Unsupported(_))) {
                            problem = Some(SignatureProblem::Invalid(e.to_string()))
                        }
                    }
                }
            }
            if candidates.is_empty() {
                problem = Some(SignatureProblem::NoCandidate);
            }
        }
        let keep = (matches!(problem, Some(SignatureProblem::NoCandidate)) && signed_by.is_empty())
            || der.len() <= MAX_EMBEDDABLE_CRL;
        StoredCrl {
            evidence: Arc::new(crl_evidence(&crl, &origin)),
            crl,
            der: keep.then(|| der.to_vec()),
            signature_problem: if signed_by.is_empty() { problem } else { None },
            signed_by,
        }
    }

    /// How many certificates the store holds.
    pub fn certificate_count(&self) -> usize {
        self.certs.len()
    }

    /// How many CRLs the store holds.
    pub fn crl_count(&self) -> usize {
        self.crl_set().crls.len()
    }

    /// The CRLs now: one consistent set, kept by the caller for the whole of a validation.
    pub(crate) fn crl_set(&self) -> Arc<CrlSet> {
        match self.crls.read() {
            Ok(set) => set.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the CRL set with what `change` makes of the current one, atomically: validations in flight keep
    /// the set they started with. `change` runs while no other installation can run, and may refuse (`Err`), in
    /// which case nothing changes.
    pub(crate) fn change_crls<T, E>(
        &self,
        change: impl FnOnce(&CrlSet) -> Result<(Vec<Arc<StoredCrl>>, T), E>,
    ) -> Result<T, E> {
        let _one_at_a_time = match self.installing.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let current = self.crl_set();
        let (crls, result) = change(&current)?;
        let next = Arc::new(CrlSet::with(crls));
        match self.crls.write() {
            Ok(mut set) => *set = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(result)
    }

    /// The trust anchors.
    pub fn anchors(&self) -> impl Iterator<Item = &Certificate> {
        self.certs
            .iter()
            .zip(&self.is_anchor)
            .filter(|(_, a)| **a)
            .map(|(c, _)| c.as_ref())
    }

    /// The pool index of a certificate equal to `cert`, if it is in the store.
    pub(crate) fn index_of(&self, cert: &Certificate) -> Option<usize> {
        self.by_fingerprint.get(&cert.fingerprint).copied()
    }

    /// A certificate from DER: the store's own when it is one of them, a recently parsed one when the same DER was
    /// seen lately, or freshly parsed (and remembered). Parsing a certificate costs more than verifying an RSA
    /// signature; an applicant's certificate arrives again with each of their requests.
    pub fn parse_certificate(&self, der: &[u8]) -> Result<Arc<Certificate>, crate::pki::CertError> {
        let fingerprint = crate::encoding::sha256(der);
        if let Some(ix) = self.by_fingerprint.get(&fingerprint) {
            return Ok(self.certs[*ix].clone());
        }
        if let Some(c) = self
            .recent
            .lock()
            .ok()
            .and_then(|r| r.by_fingerprint.get(&fingerprint).cloned())
        {
            return Ok(c);
        }
        let cert = Arc::new(Certificate::from_der_with_fingerprint(der, fingerprint)?);
        if let Ok(mut recent) = self.recent.lock() {
            recent.remember(cert.clone());
        }
        Ok(cert)
    }

    /// How many certificates, and how many DER bytes of them, [`Self::parse_certificate`] remembers now.
    pub fn remembered(&self) -> (usize, usize) {
        self.recent
            .lock()
            .map(|r| (r.order.len(), r.bytes))
            .unwrap_or_default()
    }

    /// The DER of the current CRL a report's `evidence` names (the store built that evidence when it stored the
    /// CRL), when the store kept its bytes.
    pub(crate) fn crl_der(&self, evidence: &RevocationEvidence) -> Option<Vec<u8>> {
        self.crl_set()
            .crls
            .iter()
            .find(|c| c.evidence.as_ref() == evidence)
            .and_then(|c| c.der.clone())
    }

    /// The store's certificate with this SHA-256 fingerprint.
    pub fn find_by_fingerprint(&self, fingerprint: &[u8; 32]) -> Option<&Certificate> {
        self.by_fingerprint
            .get(fingerprint)
            .map(|ix| self.certs[*ix].as_ref())
    }

    /// Checks a kept CRL's signature against a certificate that was not configured (see [`StoredCrl::der`]).
    pub(crate) fn late_crl_signature_ok(&self, stored: &StoredCrl, issuer: &Certificate) -> bool {
        let Some(der) = &stored.der else { return false };
        if issuer.subject != stored.crl.issuer {
            return false;
        }
        let key = (stored.crl.fingerprint, issuer.fingerprint);
        if let Some(ok) = self
            .late_crl_cache
            .read()
            .ok()
            .and_then(|c| c.get(&key).copied())
        {
            return ok;
        }
        let ok = stored
            .crl
            .signature_algorithm
            .same_as(&stored.crl.inner_signature_algorithm)
            && stored.crl.tbs(der).is_some_and(|tbs| {
                self.algorithms
                    .verify(
                        &stored.crl.signature_algorithm,
                        &issuer.public_key,
                        tbs,
                        &stored.crl.signature,
                    )
                    .is_ok()
            });
        if let Ok(mut cache) = self.late_crl_cache.write() {
            if cache.len() >= LATE_CRL_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, ok);
        }
        ok
    }

    /// Verifies `subject`'s signature with `issuer`'s key, through the cache when both are pool certificates.
    pub(crate) fn verify_cert_signature(
        &self,
        subject: (&Certificate, Option<usize>),
        issuer: (&Certificate, Option<usize>),
        walk: &mut crate::pki::walk::Walk,
    ) -> Result<(), CryptoError> {
        let key = match (subject.1, issuer.1) {
            (Some(s), Some(i)) => Some((s, i)),
            _ => None,
        };
        // A certificate from a request under a pool issuer: its fingerprint binds every byte it signed.
        let leaf_key = match (subject.1, issuer.1) {
            (None, Some(i)) => Some((subject.0.fingerprint, i)),
            _ => None,
        };
        if let Some(key) = key {
            if let Ok(cache) = self.signature_cache.read() {
                if let Some(r) = cache.get(&key) {
                    return r.clone();
                }
            }
        }
        if let Some(key) = leaf_key {
            if let Ok(cache) = self.leaf_signature_cache.read() {
                if let Some(r) = cache.get(&key) {
                    return r.clone();
                }
            }
        }
        if walk.signatures_left == 0 {
            walk.exhausted = true;
            return Err(CryptoError::Budget);
        }
        walk.signatures_left -= 1;
        let result = self.algorithms.verify(
            &subject.0.signature_algorithm,
            &issuer.0.public_key,
            subject.0.tbs(),
            &subject.0.signature,
        );
        if let Some(key) = key {
            if let Ok(mut cache) = self.signature_cache.write() {
                cache.insert(key, result.clone());
            }
        }
        // Every answer depends on the bytes and the key alone; a budget error is not an answer.
        if let (Some(key), false) = (leaf_key, matches!(result, Err(CryptoError::Budget))) {
            if let Ok(mut cache) = self.leaf_signature_cache.write() {
                if cache.len() >= LEAF_SIGNATURE_CACHE_ENTRIES {
                    cache.clear();
                }
                cache.insert(key, result.clone());
            }
        }
        result
    }
}
