//! CRLs parsed once into a compact index.
//!
//! The revoked-certificate list is read with a streaming DER reader straight into a sorted arena of serial
//! numbers, so a 22 MB NCA CRL with 422 000 entries costs a few tens of megabytes once, and every later lookup is a
//! binary search. Signatures are checked where CRLs are added to the [`crate::pki::TrustStore`], because only
//! the store knows the candidate issuers.

use std::cmp::Ordering;

use thiserror::Error;
use x509_parser::extensions::{GeneralName, ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;

use crate::clock::UnixTime;
use crate::crypto::AlgorithmId;
use crate::encoding::asn1::{self as asn1, DerError, Reader};
use crate::encoding::oid::{self, ext, ObjectIdentifier};
use crate::encoding::sha256;
use crate::pki::dp::{parse_issuing_distribution_point, GenName, IssuingDistributionPoint};
use crate::pki::name::Name;
pub(crate) use crate::pki::reason::{Reason, ALL_REASONS};

/// Why bytes are not a CRL this reader accepts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CrlError {
    /// Empty input.
    #[error("empty input")]
    Empty,
    /// Not a DER CRL: …
    #[error("not a DER CRL: {0}")]
    Der(#[from] DerError),
    /// CRL issuer name is malformed.
    #[error("CRL issuer name is malformed")]
    BadIssuer,
    /// CRL extension … is malformed.
    #[error("CRL extension {0} is malformed")]
    BadExtension(String),
    #[error(
        "CRL entry serial number longer than {} bytes",
        crate::pki::cert::MAX_SERIAL_LEN
    )]
    /// An entry's serial number is longer than any certificate's may be.
    SerialTooLong,
    /// Trailing bytes after the CRL.
    #[error("trailing bytes after the CRL")]
    TrailingData,
    /// CRL has more than 4 294 967 295 bytes of serial numbers.
    #[error("CRL has more than 4 294 967 295 bytes of serial numbers")]
    TooLarge,
}

/// A revoked certificate as found in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    /// When the certificate was revoked (Unix seconds).
    pub revoked_at: UnixTime,
    /// The entry's reason code, when it has one.
    pub reason: Option<Reason>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The first 8 serial bytes, big-endian, zero-padded: most comparisons end here without touching the arena.
    prefix: u64,
    serial_start: u32,
    serial_len: u8,
    reason: u8,
    /// Index into `Crl::entry_issuers`; 0 is the CRL issuer itself.
    issuer: u16,
    revoked_at: i64,
}

const NO_REASON: u8 = 0xff;
/// Most distinct unknown critical extensions named in a report (any one makes the CRL unusable).
const MAX_UNSUPPORTED_LISTED: usize = 16;

/// A parsed CRL.
#[derive(Debug)]
pub struct Crl {
    /// SHA-256 of the whole CRL, to tell copies apart in reports and caches.
    pub fingerprint: [u8; 32],
    /// The issuer's name, as signed.
    pub issuer: Name,
    /// `thisUpdate` (Unix seconds).
    pub this_update: UnixTime,
    /// `nextUpdate` (Unix seconds), when present.
    pub next_update: Option<UnixTime>,
    /// cRLNumber, big-endian, without leading zeros.
    pub number: Option<Vec<u8>>,
    /// deltaCRLIndicator's base CRL number when this is a delta CRL.
    pub delta_base: Option<Vec<u8>>,
    /// A delta CRL by where it came from (a FreshestCRL source) although it carries no deltaCRLIndicator: the
    /// NCA's 2026 profiles mark deltas with a critical freshestCRL instead (see [`Crl::mark_as_delta`]).
    delta_by_source: bool,
    /// The issuing distribution point extension: the CRL's scope.
    pub idp: Option<IssuingDistributionPoint>,
    /// The authority key identifier, to find the signer among CAs of the same name.
    pub authority_key_id: Option<Vec<u8>>,
    /// The outer `signatureAlgorithm`.
    pub signature_algorithm: AlgorithmId,
    /// The `signature` field inside TBSCertList; must equal the outer one.
    pub inner_signature_algorithm: AlgorithmId,
    /// The signature value's bytes.
    pub signature: Vec<u8>,
    /// Critical CRL or entry extensions we do not understand: the CRL must not be used (RFC 5280 §5.2, §5.3).
    pub unsupported_critical: Vec<String>,
    /// Names used by certificateIssuer entry extensions in an indirect CRL; index 0 is the CRL issuer.
    entry_issuers: Vec<Name>,
    /// The index of each name of `entry_issuers`: found in constant time, however many there are.
    entry_issuer_index: std::collections::HashMap<Name, u16>,
    /// `unsupported_critical` as a set, so that each entry's extensions are checked in constant time.
    unsupported_seen: std::collections::HashSet<Vec<u8>>,
    /// Where tbsCertList lies in the DER this CRL was parsed from.
    tbs_range: std::ops::Range<usize>,
    serials: Vec<u8>,
    entries: Vec<Entry>,
}

fn strip_leading_zeros(v: &[u8]) -> Vec<u8> {
    let skip = v.iter().take_while(|b| **b == 0).count();
    v[skip..].to_vec()
}

/// Compares two non-negative big-endian integers stored without leading zeros.
pub(crate) fn cmp_uint(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn serial_prefix(serial: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = serial.len().min(8);
    b[..n].copy_from_slice(&serial[..n]);
    u64::from_be_bytes(b)
}

/// Counts the entries of a revokedCertificates list and the bytes of their serial numbers.
fn count_entries(mut data: &[u8]) -> Result<(usize, usize), CrlError> {
    let (mut count, mut serial_bytes) = (0usize, 0usize);
    while !data.is_empty() {
        let mut list = Reader::new(data);
        let entry = list.read(asn1::SEQUENCE)?;
        let serial = Reader::new(entry.value).read(asn1::INTEGER)?;
        serial_bytes += serial.value.len();
        count += 1;
        data = &data[entry.raw.len()..];
    }
    Ok((count, serial_bytes))
}

fn alg_id(tlv: asn1::Tlv<'_>) -> Result<AlgorithmId, DerError> {
    let mut r = Reader::new(tlv.value);
    let oid = oid::from_der_contents(r.read(asn1::OID)?.value)?;
    let params = if r.is_empty() {
        None
    } else {
        Some(r.read_any()?.raw.to_vec())
    };
    Ok(AlgorithmId::new(oid, params))
}

fn read_time(r: &mut Reader<'_>) -> Result<i64, DerError> {
    match r.peek_tag() {
        Some(asn1::UTC_TIME) | Some(asn1::GENERALIZED_TIME) => asn1::time_to_unix(&r.read_any()?),
        _ => Err(DerError::BadValue("expected a time")),
    }
}

fn read_optional_time(r: &mut Reader<'_>) -> Result<Option<i64>, DerError> {
    match r.peek_tag() {
        Some(asn1::UTC_TIME) | Some(asn1::GENERALIZED_TIME) => {
            asn1::time_to_unix(&r.read_any()?).map(Some)
        }
        _ => Ok(None),
    }
}

impl Crl {
    /// Parses a DER CRL into its index.
    pub fn from_der(data: &[u8]) -> Result<Crl, CrlError> {
        if data.is_empty() {
            return Err(CrlError::Empty);
        }
        let mut top = Reader::new(data);
        let cert_list = top.read(asn1::SEQUENCE)?;
        if !top.is_empty() {
            return Err(CrlError::TrailingData);
        }
        let mut outer = Reader::new(cert_list.value);
        let tbs = outer.read(asn1::SEQUENCE)?;
        let signature_algorithm = alg_id(outer.read(asn1::SEQUENCE)?)?;
        let sig_bits = outer.read(asn1::BIT_STRING)?;
        // A signature BIT STRING with unused bits cannot be a valid signature; it is kept empty so that it never
        // verifies, and reported as a bad signature rather than unreadable input (PKITS 4.4.4).
        let signature = match sig_bits.value.split_first() {
            Some((0, rest)) => rest.to_vec(),
            _ => Vec::new(),
        };
        if !outer.is_empty() {
            return Err(DerError::BadValue("extra fields after the CRL signature").into());
        }

        let mut r = Reader::new(tbs.value);
        let version = r.read_optional(asn1::INTEGER)?;
        if let Some(v) = version {
            if asn1::small_uint(v.value)? != 1 {
                return Err(DerError::BadValue("unknown CRL version").into());
            }
        }
        let inner_signature_algorithm = alg_id(r.read(asn1::SEQUENCE)?)?;
        let issuer_tlv = r.read(asn1::SEQUENCE)?;
        let issuer = Name::from_der(issuer_tlv.raw).ok_or(CrlError::BadIssuer)?;
        let this_update = read_time(&mut r)?;
        let next_update = read_optional_time(&mut r)?;

        let mut crl = Crl {
            fingerprint: sha256(data),
            issuer: issuer.clone(),
            this_update: UnixTime::from_secs(this_update),
            next_update: next_update.map(UnixTime::from_secs),
            number: None,
            delta_base: None,
            delta_by_source: false,
            idp: None,
            authority_key_id: None,
            signature_algorithm,
            inner_signature_algorithm,
            signature,
            unsupported_critical: Vec::new(),
            entry_issuer_index: std::collections::HashMap::from([(issuer.clone(), 0)]),
            entry_issuers: vec![issuer],
            unsupported_seen: std::collections::HashSet::new(),
            tbs_range: {
                let start = tbs.raw.as_ptr() as usize - data.as_ptr() as usize;
                start..start + tbs.raw.len()
            },
            serials: Vec::new(),
            entries: Vec::new(),
        };

        if let Some(revoked) = r.read_optional(asn1::SEQUENCE)? {
            crl.read_entries(revoked.value)?;
        }
        if let Some(exts) = r.read_optional(0xa0)? {
            crl.read_extensions(exts.value)?;
        }
        if !r.is_empty() {
            return Err(DerError::BadValue("unexpected field in tbsCertList").into());
        }
        crl.sort_entries();
        Ok(crl)
    }

    fn read_entries(&mut self, mut data: &[u8]) -> Result<(), CrlError> {
        let mut current_issuer: u16 = 0;
        // A first pass over the headers counts entries and serial bytes, so the arena is allocated once and
        // exactly: on a 22 MB CRL, growth by doubling would cost up to twice the memory.
        let (count, serial_bytes) = count_entries(data)?;
        self.entries.reserve_exact(count);
        self.serials.reserve_exact(serial_bytes);
        while !data.is_empty() {
            let mut list = Reader::new(data);
            let entry = list.read(asn1::SEQUENCE)?;
            let consumed = entry.raw.len();
            let mut e = Reader::new(entry.value);
            let serial = e.read(asn1::INTEGER)?.value;
            if serial.is_empty() {
                return Err(DerError::BadValue("empty serial number").into());
            }
            if serial.len() > crate::pki::cert::MAX_SERIAL_LEN {
                return Err(CrlError::SerialTooLong);
            }
            let serial_len = u8::try_from(serial.len()).map_err(|_| CrlError::SerialTooLong)?;
            let revoked_at = read_time(&mut e)?;
            let mut reason = NO_REASON;
            if let Some(exts) = e.read_optional(asn1::SEQUENCE)? {
                let mut er = Reader::new(exts.value);
                while !er.is_empty() {
                    let ext = er.read(asn1::SEQUENCE)?;
                    let mut x = Reader::new(ext.value);
                    let oid = x.read(asn1::OID)?.value;
                    let critical = match x.read_optional(asn1::BOOLEAN)? {
                        Some(b) => b.value.first().copied().unwrap_or(0) != 0,
                        None => false,
                    };
                    let value = x.read(asn1::OCTET_STRING)?.value;
                    // Compared as encoded bytes: this loop runs once per entry of a 22 MB CRL.
                    match oid {
                        o if o == ext::REASON_CODE.as_bytes() => {
                            let code = Reader::new(value).read(asn1::ENUMERATED)?;
                            reason = match code.value {
                                [c] if Reason::from_code(*c).is_some() => *c,
                                _ => {
                                    return Err(CrlError::BadExtension(
                                        ext::REASON_CODE.to_string(),
                                    ))
                                }
                            };
                        }
                        o if o == ext::CERTIFICATE_ISSUER.as_bytes() => {
                            current_issuer =
                                self.entry_issuer_index(value, ext::CERTIFICATE_ISSUER)?;
                        }
                        // invalidityDate and holdInstructionCode are informational.
                        o if o == ext::INVALIDITY_DATE.as_bytes()
                            || o == ext::HOLD_INSTRUCTION_CODE.as_bytes() => {}
                        // The CRL is unusable with any one of them; the list only names the first few.
                        _ if critical
                            && self.unsupported_seen.insert(oid.to_vec())
                            && self.unsupported_critical.len() < MAX_UNSUPPORTED_LISTED =>
                        {
                            self.unsupported_critical.push(asn1::oid_to_string(oid)?);
                        }
                        _ => {}
                    }
                }
            }
            if !e.is_empty() {
                return Err(DerError::BadValue("unexpected field in a CRL entry").into());
            }
            let serial_start = u32::try_from(self.serials.len()).map_err(|_| CrlError::TooLarge)?;
            self.serials.extend_from_slice(serial);
            self.entries.push(Entry {
                prefix: serial_prefix(serial),
                serial_start,
                serial_len,
                reason,
                issuer: current_issuer,
                revoked_at,
            });
            data = &data[consumed..];
        }
        Ok(())
    }

    /// Registers the directory name of a certificateIssuer entry extension and returns its index.
    fn entry_issuer_index(&mut self, value: &[u8], oid: ObjectIdentifier) -> Result<u16, CrlError> {
        let bad = || CrlError::BadExtension(oid.to_string());
        let seq = Reader::new(value).read(asn1::SEQUENCE).map_err(|_| bad())?;
        let mut names = Reader::new(seq.value);
        let mut found = None;
        while !names.is_empty() {
            let tlv = names.read_any().map_err(|_| bad())?;
            let (_, gn) = GeneralName::from_der(tlv.raw).map_err(|_| bad())?;
            if let GeneralName::DirectoryName(n) = gn {
                found = Some(Name::from_x509(&n));
                break;
            }
        }
        let name = found.ok_or_else(bad)?;
        if let Some(i) = self.entry_issuer_index.get(&name) {
            return Ok(*i);
        }
        let i = u16::try_from(self.entry_issuers.len()).map_err(|_| bad())?;
        self.entry_issuer_index.insert(name.clone(), i);
        self.entry_issuers.push(name);
        Ok(i)
    }

    fn read_extensions(&mut self, explicit: &[u8]) -> Result<(), CrlError> {
        let seq = Reader::new(explicit).read(asn1::SEQUENCE)?;
        let mut r = Reader::new(seq.value);
        while !r.is_empty() {
            let tlv = r.read(asn1::SEQUENCE)?;
            let (_, ext) = X509Extension::from_der(tlv.raw)
                .map_err(|_| CrlError::BadExtension("(unreadable)".into()))?;
            let bad = || CrlError::BadExtension(ext.oid.to_id_string());
            match (
                oid::from_der_contents(ext.oid.as_bytes()).ok(),
                ext.parsed_extension(),
            ) {
                (Some(ext::CRL_NUMBER), _) => {
                    let int = Reader::new(ext.value)
                        .read(asn1::INTEGER)
                        .map_err(|_| bad())?;
                    self.number = Some(strip_leading_zeros(int.value));
                }
                (Some(ext::DELTA_CRL_INDICATOR), _) => {
                    let int = Reader::new(ext.value)
                        .read(asn1::INTEGER)
                        .map_err(|_| bad())?;
                    self.delta_base = Some(strip_leading_zeros(int.value));
                }
                (Some(ext::ISSUING_DISTRIBUTION_POINT), _) => {
                    self.idp =
                        Some(parse_issuing_distribution_point(ext.value).map_err(|_| bad())?);
                }
                (_, ParsedExtension::AuthorityKeyIdentifier(aki)) => {
                    self.authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                // freshestCRL and authorityInfoAccess only point to other data.
                (
                    Some(ext::FRESHEST_CRL | ext::AUTHORITY_INFO_ACCESS | ext::ISSUER_ALT_NAME),
                    _,
                ) => {}
                _ if ext.critical => self.unsupported_critical.push(ext.oid.to_id_string()),
                _ => {}
            }
        }
        Ok(())
    }

    /// The signed bytes, given the DER this CRL was parsed from.
    pub fn tbs<'a>(&self, der: &'a [u8]) -> Option<&'a [u8]> {
        der.get(self.tbs_range.clone())
    }

    /// Index order: issuer, then serial (first by its prefix, then by all bytes).
    fn order(&self, e: &Entry, issuer: u16, prefix: u64, serial: &[u8]) -> Ordering {
        e.issuer
            .cmp(&issuer)
            .then(e.prefix.cmp(&prefix))
            .then_with(|| self.serial_of(e).cmp(serial))
    }

    fn serial_of(&self, e: &Entry) -> &[u8] {
        let start = e.serial_start as usize;
        &self.serials[start..start + usize::from(e.serial_len)]
    }

    fn sort_entries(&mut self) {
        let mut entries = std::mem::take(&mut self.entries);
        // Unstable sort: no scratch buffer (duplicate serials, if any, are equal for lookups anyway).
        entries.sort_unstable_by(|a, b| self.order(a, b.issuer, b.prefix, self.serial_of(b)));
        self.entries = entries;
    }

    /// Number of revoked entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list revokes nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether this is a delta CRL (it carries deltaCRLIndicator, or came from a FreshestCRL source).
    pub fn is_delta(&self) -> bool {
        self.delta_base.is_some() || self.delta_by_source
    }

    /// Treats this CRL as a delta because it came from a FreshestCRL source. A list with a deltaCRLIndicator is a
    /// delta already; one without is taken as a delta that completes any base of its issuer and scope issued
    /// before it — the reading the NCA's 2026 profiles need, whose deltas carry a critical freshestCRL extension
    /// (understood here: it only points to other data) and no indicator.
    pub fn mark_as_delta(&mut self) {
        self.delta_by_source = true;
    }

    /// Whether the CRL is indirect (its entries may name another issuer).
    pub fn is_indirect(&self) -> bool {
        self.idp.as_ref().is_some_and(|i| i.indirect)
    }

    /// Looks up a certificate by its issuer and serial number (the DER INTEGER contents).
    pub fn lookup(&self, cert_issuer: &Name, serial: &[u8]) -> Option<Revocation> {
        let issuer_ix = if *cert_issuer == self.entry_issuers[0] && !self.is_indirect() {
            0u16
        } else {
            *self.entry_issuer_index.get(cert_issuer)?
        };
        let prefix = serial_prefix(serial);
        let ix = self
            .entries
            .binary_search_by(|e| self.order(e, issuer_ix, prefix, serial))
            .ok()?;
        let e = &self.entries[ix];
        Some(Revocation {
            revoked_at: UnixTime::from_secs(e.revoked_at),
            reason: Reason::from_code(e.reason),
        })
    }

    /// Bytes held by the index (serial arena and entries), for memory figures.
    pub fn index_bytes(&self) -> usize {
        self.serials.capacity() + self.entries.capacity() * std::mem::size_of::<Entry>()
    }
}

/// Full names of a GeneralNames list that are directory names.
pub(crate) fn directory_names(names: &[GenName]) -> impl Iterator<Item = &Name> {
    names.iter().filter_map(|g| match g {
        GenName::Directory(n) => Some(n),
        _ => None,
    })
}
