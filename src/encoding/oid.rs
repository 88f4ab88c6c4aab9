//! Object identifiers as values (`const_oid::ObjectIdentifier`), and the ones Qoltanba names, in one place.
//!
//! Every algorithm, extension, extended key usage, attribute and content type the code compares is a constant here,
//! so a comparison is between two typed values and a typo cannot compile into a silently different OID. OIDs read
//! from input are turned into `ObjectIdentifier` once, where they are read ([`from_der_contents`]). const-oid
//! holds at most 39 bytes of arcs, far beyond any OID registered for an algorithm or an extension; a longer one in
//! input is either an error of the structure that carries it or, where unknown OIDs are allowed and only compared
//! against ours (extended key usages), an OID that can never be one of ours.

pub use const_oid::ObjectIdentifier;

use super::asn1::DerError;

/// The OID whose DER contents octets (no tag, no length) are `value`.
pub fn from_der_contents(value: &[u8]) -> Result<ObjectIdentifier, DerError> {
    ObjectIdentifier::from_bytes(value)
        .map_err(|_| DerError::BadValue("OID that cannot be decoded"))
}

const fn oid(dotted: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(dotted)
}

/// Digest algorithms.
pub mod digest {
    use super::{oid, ObjectIdentifier};
    /// id-sha1.
    pub const SHA1: ObjectIdentifier = oid("1.3.14.3.2.26");
    /// id-sha256.
    pub const SHA256: ObjectIdentifier = oid("2.16.840.1.101.3.4.2.1");
    /// id-sha384.
    pub const SHA384: ObjectIdentifier = oid("2.16.840.1.101.3.4.2.2");
    /// id-sha512.
    pub const SHA512: ObjectIdentifier = oid("2.16.840.1.101.3.4.2.3");
    /// id-tc26-gost3411-12-256 (Streebog-256).
    pub const STREEBOG256: ObjectIdentifier = oid("1.2.643.7.1.1.2.2");
    /// id-tc26-gost3411-12-512 (Streebog-512).
    pub const STREEBOG512: ObjectIdentifier = oid("1.2.643.7.1.1.2.3");
    /// GOST 34.311-95 under the NCA's arc (the legacy GOST digest; Kalkan's `GOST34311`).
    pub const NCA_GOST34311: ObjectIdentifier = oid("1.2.398.3.10.1.3.1");
    /// The NCA's own arc for Streebog-512.
    pub const NCA_STREEBOG512: ObjectIdentifier = oid("1.2.398.3.10.1.3.3");
}

/// Public-key algorithms and curves.
pub mod key {
    use super::{oid, ObjectIdentifier};
    /// rsaEncryption.
    pub const RSA: ObjectIdentifier = oid("1.2.840.113549.1.1.1");
    /// id-ecPublicKey.
    pub const EC: ObjectIdentifier = oid("1.2.840.10045.2.1");
    /// secp256r1 (P-256).
    pub const P256: ObjectIdentifier = oid("1.2.840.10045.3.1.7");
    /// secp384r1 (P-384).
    pub const P384: ObjectIdentifier = oid("1.3.132.0.34");
    /// The NCA's GOST R 34.10-2015 public key.
    pub const GOST_NCA: ObjectIdentifier = oid("1.2.398.3.10.1.1.2.2");
    /// The NCA's legacy GOST 34.310-2004 public key (verified, never used to sign).
    pub const GOST_NCA_34310: ObjectIdentifier = oid("1.2.398.3.10.1.1.1.1");
    /// id-tc26-gost3410-12-256.
    pub const GOST_TC26_256: ObjectIdentifier = oid("1.2.643.7.1.1.1.1");
    /// id-tc26-gost3410-12-512.
    pub const GOST_TC26_512: ObjectIdentifier = oid("1.2.643.7.1.1.1.2");
}

/// Signature algorithms.
pub mod signature {
    use super::{oid, ObjectIdentifier};
    /// sha1WithRSAEncryption.
    pub const RSA_SHA1: ObjectIdentifier = oid("1.2.840.113549.1.1.5");
    /// sha256WithRSAEncryption.
    pub const RSA_SHA256: ObjectIdentifier = oid("1.2.840.113549.1.1.11");
    /// sha384WithRSAEncryption.
    pub const RSA_SHA384: ObjectIdentifier = oid("1.2.840.113549.1.1.12");
    /// sha512WithRSAEncryption.
    pub const RSA_SHA512: ObjectIdentifier = oid("1.2.840.113549.1.1.13");
    /// RSASSA-PSS.
    pub const RSA_PSS: ObjectIdentifier = oid("1.2.840.113549.1.1.10");
    /// id-mgf1 (RSASSA-PSS parameters).
    pub const MGF1: ObjectIdentifier = oid("1.2.840.113549.1.1.8");
    /// ecdsa-with-SHA1.
    pub const ECDSA_SHA1: ObjectIdentifier = oid("1.2.840.10045.4.1");
    /// ecdsa-with-SHA256.
    pub const ECDSA_SHA256: ObjectIdentifier = oid("1.2.840.10045.4.3.2");
    /// ecdsa-with-SHA384.
    pub const ECDSA_SHA384: ObjectIdentifier = oid("1.2.840.10045.4.3.3");
    /// ecdsa-with-SHA512.
    pub const ECDSA_SHA512: ObjectIdentifier = oid("1.2.840.10045.4.3.4");
    /// The NCA's GOST R 34.10-2015 with Streebog-256.
    pub const GOST_NCA_256: ObjectIdentifier = oid("1.2.398.3.10.1.1.2.3.1");
    /// The NCA's GOST R 34.10-2015 with Streebog-512.
    pub const GOST_NCA_512: ObjectIdentifier = oid("1.2.398.3.10.1.1.2.3.2");
    /// The NCA's legacy GOST 34.310-2004 with GOST 34.311-95 (verified, never used to sign).
    pub const GOST_NCA_34310: ObjectIdentifier = oid("1.2.398.3.10.1.1.1.2");
    /// id-tc26-signwithdigest-gost3410-12-256.
    pub const GOST_TC26_256: ObjectIdentifier = oid("1.2.643.7.1.1.3.2");
    /// id-tc26-signwithdigest-gost3410-12-512.
    pub const GOST_TC26_512: ObjectIdentifier = oid("1.2.643.7.1.1.3.3");
    /// id-dsa-with-sha1 (named in messages, never supported).
    pub const DSA_SHA1: ObjectIdentifier = oid("1.2.840.10040.4.3");
    /// id-dsa-with-sha256 (named in messages, never supported).
    pub const DSA_SHA256: ObjectIdentifier = oid("2.16.840.1.101.3.4.3.2");
    /// Ed25519 (named in messages, not supported).
    pub const ED25519: ObjectIdentifier = oid("1.3.101.112");
}

/// GOST R 34.10 curve parameter sets.
pub mod curve {
    use super::{oid, ObjectIdentifier};
    /// id-tc26-gost-3410-12-256-paramSetA.
    pub const TC26_256_A: ObjectIdentifier = oid("1.2.643.7.1.2.1.1.1");
    /// id-tc26-gost-3410-12-256-paramSetB.
    pub const TC26_256_B: ObjectIdentifier = oid("1.2.643.7.1.2.1.1.2");
    /// id-tc26-gost-3410-12-256-paramSetC.
    pub const TC26_256_C: ObjectIdentifier = oid("1.2.643.7.1.2.1.1.3");
    /// id-tc26-gost-3410-12-256-paramSetD.
    pub const TC26_256_D: ObjectIdentifier = oid("1.2.643.7.1.2.1.1.4");
    /// id-GostR3410-2001-CryptoPro-A-ParamSet (= TC26 256 B).
    pub const CRYPTOPRO_A: ObjectIdentifier = oid("1.2.643.2.2.35.1");
    /// id-GostR3410-2001-CryptoPro-B-ParamSet (= TC26 256 C).
    pub const CRYPTOPRO_B: ObjectIdentifier = oid("1.2.643.2.2.35.2");
    /// id-GostR3410-2001-CryptoPro-C-ParamSet (= TC26 256 D).
    pub const CRYPTOPRO_C: ObjectIdentifier = oid("1.2.643.2.2.35.3");
    /// id-GostR3410-2001-CryptoPro-XchA-ParamSet (= TC26 256 B).
    pub const CRYPTOPRO_XCH_A: ObjectIdentifier = oid("1.2.643.2.2.36.0");
    /// id-GostR3410-2001-CryptoPro-XchB-ParamSet (= TC26 256 D).
    pub const CRYPTOPRO_XCH_B: ObjectIdentifier = oid("1.2.643.2.2.36.1");
    /// id-tc26-gost-3410-12-512-paramSetA.
    pub const TC26_512_A: ObjectIdentifier = oid("1.2.643.7.1.2.1.2.1");
    /// id-tc26-gost-3410-12-512-paramSetB.
    pub const TC26_512_B: ObjectIdentifier = oid("1.2.643.7.1.2.1.2.2");
    /// id-tc26-gost-3410-12-512-paramSetC.
    pub const TC26_512_C: ObjectIdentifier = oid("1.2.643.7.1.2.1.2.3");
    /// The NCA's name for TC26 512 A.
    pub const NCA_512_A: ObjectIdentifier = oid("1.2.398.3.10.1.1.2.2.1");
    /// The NCA's curve for its legacy GOST 34.310-2004 keys (= CryptoPro A).
    pub const NCA_34310_A: ObjectIdentifier = oid("1.2.398.3.10.1.1.1.1.1");
}

/// Certificate and CRL extensions.
pub mod ext {
    use super::{oid, ObjectIdentifier};
    /// subjectKeyIdentifier.
    pub const SUBJECT_KEY_ID: ObjectIdentifier = oid("2.5.29.14");
    /// keyUsage.
    pub const KEY_USAGE: ObjectIdentifier = oid("2.5.29.15");
    /// subjectAltName.
    pub const SUBJECT_ALT_NAME: ObjectIdentifier = oid("2.5.29.17");
    /// issuerAltName.
    pub const ISSUER_ALT_NAME: ObjectIdentifier = oid("2.5.29.18");
    /// basicConstraints.
    pub const BASIC_CONSTRAINTS: ObjectIdentifier = oid("2.5.29.19");
    /// cRLNumber.
    pub const CRL_NUMBER: ObjectIdentifier = oid("2.5.29.20");
    /// reasonCode (CRL entry).
    pub const REASON_CODE: ObjectIdentifier = oid("2.5.29.21");
    /// deltaCRLIndicator.
    pub const DELTA_CRL_INDICATOR: ObjectIdentifier = oid("2.5.29.27");
    /// issuingDistributionPoint.
    pub const ISSUING_DISTRIBUTION_POINT: ObjectIdentifier = oid("2.5.29.28");
    /// certificateIssuer (CRL entry).
    pub const CERTIFICATE_ISSUER: ObjectIdentifier = oid("2.5.29.29");
    /// cRLDistributionPoints.
    pub const CRL_DISTRIBUTION_POINTS: ObjectIdentifier = oid("2.5.29.31");
    /// certificatePolicies.
    pub const CERTIFICATE_POLICIES: ObjectIdentifier = oid("2.5.29.32");
    /// authorityKeyIdentifier.
    pub const AUTHORITY_KEY_ID: ObjectIdentifier = oid("2.5.29.35");
    /// extKeyUsage.
    pub const EXT_KEY_USAGE: ObjectIdentifier = oid("2.5.29.37");
    /// holdInstructionCode (CRL entry).
    pub const HOLD_INSTRUCTION_CODE: ObjectIdentifier = oid("2.5.29.23");
    /// invalidityDate (CRL entry).
    pub const INVALIDITY_DATE: ObjectIdentifier = oid("2.5.29.24");
    /// freshestCRL.
    pub const FRESHEST_CRL: ObjectIdentifier = oid("2.5.29.46");
    /// authorityInfoAccess.
    pub const AUTHORITY_INFO_ACCESS: ObjectIdentifier = oid("1.3.6.1.5.5.7.1.1");
    /// subjectInfoAccess.
    pub const SUBJECT_INFO_ACCESS: ObjectIdentifier = oid("1.3.6.1.5.5.7.1.11");
}

/// Attribute types of distinguished names.
pub mod attr {
    use super::{oid, ObjectIdentifier};
    /// id-aa-signatureTimeStampToken (RFC 3161 Appendix A): a signer's unsigned attribute holding a token over
    /// its signature value.
    pub const SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier = oid("1.2.840.113549.1.9.16.2.14");
    /// commonName (CN).
    pub const COMMON_NAME: ObjectIdentifier = oid("2.5.4.3");
    /// surname (SURNAME).
    pub const SURNAME: ObjectIdentifier = oid("2.5.4.4");
    /// serialNumber (SERIALNUMBER): the NCA writes `IIN…` or `BIN…` here.
    pub const SERIAL_NUMBER: ObjectIdentifier = oid("2.5.4.5");
    /// countryName (C).
    pub const COUNTRY: ObjectIdentifier = oid("2.5.4.6");
    /// localityName (L).
    pub const LOCALITY: ObjectIdentifier = oid("2.5.4.7");
    /// organizationName (O).
    pub const ORGANIZATION: ObjectIdentifier = oid("2.5.4.10");
    /// organizationalUnitName (OU): the NCA writes `BIN…` here.
    pub const ORGANIZATIONAL_UNIT: ObjectIdentifier = oid("2.5.4.11");
    /// givenName (G): the NCA writes the patronymic here.
    pub const GIVEN_NAME: ObjectIdentifier = oid("2.5.4.42");
    /// emailAddress (PKCS#9).
    pub const EMAIL: ObjectIdentifier = oid("1.2.840.113549.1.9.1");
}

/// Extended key usages.
pub mod eku {
    use super::{oid, ObjectIdentifier};
    /// anyExtendedKeyUsage.
    pub const ANY: ObjectIdentifier = oid("2.5.29.37.0");
    /// id-kp-serverAuth.
    pub const SERVER_AUTH: ObjectIdentifier = oid("1.3.6.1.5.5.7.3.1");
    /// id-kp-clientAuth.
    pub const CLIENT_AUTH: ObjectIdentifier = oid("1.3.6.1.5.5.7.3.2");
    /// id-kp-codeSigning.
    pub const CODE_SIGNING: ObjectIdentifier = oid("1.3.6.1.5.5.7.3.3");
    /// id-kp-emailProtection.
    pub const EMAIL_PROTECTION: ObjectIdentifier = oid("1.3.6.1.5.5.7.3.4");
    /// id-kp-timeStamping.
    pub const TIME_STAMPING: ObjectIdentifier = oid("1.3.6.1.5.5.7.3.8");
    /// id-kp-OCSPSigning.
    pub const OCSP_SIGNING: ObjectIdentifier = oid("1.3.6.1.5.5.7.3.9");
    /// The NCA's role: an individual.
    pub const NCA_INDIVIDUAL: ObjectIdentifier = oid("1.2.398.3.3.4.1.1");
    /// The NCA's role: an employee of a legal entity.
    pub const NCA_LEGAL_ENTITY: ObjectIdentifier = oid("1.2.398.3.3.4.1.2");
    /// The NCA's role: the first head.
    pub const NCA_FIRST_HEAD: ObjectIdentifier = oid("1.2.398.3.3.4.1.2.1");
    /// The NCA's role: a person with the right to sign.
    pub const NCA_RIGHT_TO_SIGN: ObjectIdentifier = oid("1.2.398.3.3.4.1.2.2");
    /// The NCA's role: a person signing financial documents.
    pub const NCA_FINANCIAL_SIGNER: ObjectIdentifier = oid("1.2.398.3.3.4.1.2.3");
    /// The NCA's role: a human-resources officer.
    pub const NCA_HUMAN_RESOURCES: ObjectIdentifier = oid("1.2.398.3.3.4.1.2.4");
    /// The NCA's role: an employee.
    pub const NCA_EMPLOYEE: ObjectIdentifier = oid("1.2.398.3.3.4.1.2.5");
    /// The NCA's role: an information system.
    pub const NCA_INFORMATION_SYSTEM: ObjectIdentifier = oid("1.2.398.3.3.4.1.2.6");
    /// NCANode's `keyUser` names of the NCA's role and privilege OIDs (its `CertificateKeyUser`), in its order.
    pub const NCANODE_KEY_USERS: [(ObjectIdentifier, &str); 15] = [
        (NCA_INDIVIDUAL, "INDIVIDUAL"),
        (NCA_LEGAL_ENTITY, "ORGANIZATION"),
        (NCA_FIRST_HEAD, "CEO"),
        (NCA_RIGHT_TO_SIGN, "CAN_SIGN"),
        (NCA_FINANCIAL_SIGNER, "CAN_SIGN_FINANCIAL"),
        (NCA_HUMAN_RESOURCES, "HR"),
        (NCA_EMPLOYEE, "EMPLOYEE"),
        (oid("1.2.398.3.3.4.2"), "NCA_PRIVILEGES"),
        (oid("1.2.398.3.3.4.2.1"), "NCA_ADMIN"),
        (oid("1.2.398.3.3.4.2.2"), "NCA_MANAGER"),
        (oid("1.2.398.3.3.4.2.3"), "NCA_OPERATOR"),
        (oid("1.2.398.3.3.4.3"), "IDENTIFICATION"),
        (oid("1.2.398.3.3.4.3.1"), "IDENTIFICATION_CON"),
        (oid("1.2.398.3.3.4.3.2"), "IDENTIFICATION_REMOTE"),
        (
            oid("1.2.398.3.3.4.3.2.1"),
            "IDENTIFICATION_REMOTE_DIGITAL_ID",
        ),
    ];
}

/// OCSP (RFC 6960, RFC 8954).
pub mod ocsp {
    use super::{oid, ObjectIdentifier};
    /// id-ad-ocsp: an authorityInfoAccess method naming a responder.
    pub const AD_OCSP: ObjectIdentifier = oid("1.3.6.1.5.5.7.48.1");
    /// id-pkix-ocsp-basic: the response type.
    pub const BASIC: ObjectIdentifier = oid("1.3.6.1.5.5.7.48.1.1");
    /// id-pkix-ocsp-nonce.
    pub const NONCE: ObjectIdentifier = oid("1.3.6.1.5.5.7.48.1.2");
    /// id-pkix-ocsp-nocheck: a responder certificate not to be checked for revocation.
    pub const NOCHECK: ObjectIdentifier = oid("1.3.6.1.5.5.7.48.1.5");
    /// id-pkix-ocsp-extended-revoke: `revoked` may answer for serials never issued.
    pub const EXTENDED_REVOKE: ObjectIdentifier = oid("1.3.6.1.5.5.7.48.1.9");
}

/// PKCS#7/CMS content types and attributes, and PKCS#12 bags.
pub mod pkcs {
    use super::{oid, ObjectIdentifier};
    /// id-data.
    pub const DATA: ObjectIdentifier = oid("1.2.840.113549.1.7.1");
    /// id-signedData.
    pub const SIGNED_DATA: ObjectIdentifier = oid("1.2.840.113549.1.7.2");
    /// id-ct-TSTInfo (RFC 3161): the content of a timestamp token.
    pub const TST_INFO: ObjectIdentifier = oid("1.2.840.113549.1.9.16.1.4");
    /// id-digestedData.
    pub const DIGESTED_DATA: ObjectIdentifier = oid("1.2.840.113549.1.7.5");
    /// id-encryptedData.
    pub const ENCRYPTED_DATA: ObjectIdentifier = oid("1.2.840.113549.1.7.6");
    /// id-contentType.
    pub const CONTENT_TYPE: ObjectIdentifier = oid("1.2.840.113549.1.9.3");
    /// id-messageDigest.
    pub const MESSAGE_DIGEST: ObjectIdentifier = oid("1.2.840.113549.1.9.4");
    /// id-signingTime.
    pub const SIGNING_TIME: ObjectIdentifier = oid("1.2.840.113549.1.9.5");
    /// id-aa-contentHint.
    pub const CONTENT_HINT: ObjectIdentifier = oid("1.2.840.113549.1.9.16.2.4");
    /// id-aa-signingCertificate.
    pub const SIGNING_CERTIFICATE: ObjectIdentifier = oid("1.2.840.113549.1.9.16.2.12");
    /// id-aa-signingCertificateV2.
    pub const SIGNING_CERTIFICATE_V2: ObjectIdentifier = oid("1.2.840.113549.1.9.16.2.47");
    /// x509Certificate (PKCS#9 certificate type).
    pub const X509_CERTIFICATE: ObjectIdentifier = oid("1.2.840.113549.1.9.22.1");
    /// pbeWithSHAAnd3-KeyTripleDES-CBC.
    pub const PBE_SHA1_3DES: ObjectIdentifier = oid("1.2.840.113549.1.12.1.3");
    /// pbewithSHAAnd40BitRC2-CBC.
    pub const PBE_SHA1_RC2_40: ObjectIdentifier = oid("1.2.840.113549.1.12.1.6");
    /// pkcs8ShroudedKeyBag.
    pub const SHROUDED_KEY_BAG: ObjectIdentifier = oid("1.2.840.113549.1.12.10.1.2");
    /// certBag.
    pub const CERT_BAG: ObjectIdentifier = oid("1.2.840.113549.1.12.10.1.3");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_octets_decode_to_the_named_constant() {
        let sha256_rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
        assert_eq!(from_der_contents(&sha256_rsa), Ok(signature::RSA_SHA256));
        assert_eq!(signature::RSA_SHA256.to_string(), "1.2.840.113549.1.1.11");
        assert!(from_der_contents(&[]).is_err());
        assert!(from_der_contents(&[0x2a, 0x86]).is_err(), "truncated arc");
        assert!(
            from_der_contents(&[0x2a; 60]).is_err(),
            "longer than const-oid holds"
        );
    }
}
