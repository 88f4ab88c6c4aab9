#![deny(unsafe_code)]
#![warn(unreachable_pub, missing_docs, unnameable_types)]
//! Qoltanba: verify Kazakh EDS certificates and signatures, issue signed documents.
//!
//! The core is I/O-free: it decides on parsed values. The CLI (`src/main.rs`) and, later, the HTTP layer are
//! thin shells over it.

// The modules are private: what the CLI, the HTTP shell's callers, benches, fuzz targets and tests may use is
// re-exported below, layer by layer (ARCHITECTURE.md has the layers). Anything not named here is an
// implementation detail that may change without notice.
mod cancel;
mod clock;
mod cms;
mod credentials;
mod crypto;
mod demo_pki;
mod document;
mod encoding;
mod forms;
mod http;
mod identity;
mod issuance;
mod pdf;
mod pki;
mod registry;
mod render;
mod seal;
mod service;
mod xml;

// Encodings and small shared types.
pub use cancel::Cancel;
pub use clock::{local_date, local_year, rfc3339, UnixTime};
pub use encoding::asn1;
pub use encoding::oid;
pub use encoding::pem::der_blocks;

// Signature algorithms and key files.
pub use credentials::read_signing_identity;
#[doc(hidden)]
pub use crypto::gost::verify_as_first_sighting as gost_verify_as_first_sighting;
pub use crypto::gost::Streebog;
pub use crypto::{
    signing_key_from_pkcs8, AlgorithmId, AlgorithmRegistry, PublicKeyInfo, SigningKey,
};

// Certificates, CRLs, paths.
pub use pki::load::{build_store, load_certificates, load_crls, read_limited, MAX_CERT_FILE};
pub use pki::store::RECENT_CERTIFICATE_BYTES;
pub use pki::{
    CertError, Certificate, Code, Crl, Etsi, Findings, Indication, Purpose, Report, RevocationMode,
    SubIndication, TrustStore, VerifyOptions,
};

// Subjects and signatures.
pub use cms::{
    attached_content, verify_cms, CmsError, CmsReport, CmsSigner, StoreValidationData,
    ValidationData, ValidationDataSource, MAX_CMS_SIZE,
};
pub use cms::{
    read_timestamp, timestamp_request, token_from_response, verify_timestamp, TimestampInfo,
    TimestampReport, Timestamper, TspError,
};
pub use identity::{Bin, Iin, Role};
pub use xml::{
    application_json as xml_application_json, canonicalize as canonicalize_xml, challenge_xml,
    is_xml, read_challenge, sign_wsse, sign_xml, step_json as xml_step_json, verify_xml,
    ChallengeFields, Coverage, CoveredNode, KeyInfoKind, ReferenceReport, WsuTimestamp, XmlError,
    XmlProfile, XmlReport, XmlSignError, XmlSignatureReport, APPLICATION_NS, CHALLENGE_NS,
    MAX_XML_ATTRIBUTES, MAX_XML_DEPTH, MAX_XML_NAMESPACES, MAX_XML_NODES, MAX_XML_SIGNATURES,
    MAX_XML_SIZE, STEP_NS,
};

// Forms, PDFs, the barcode seal and the documents they make.
pub use document::{
    attach, embedded_file, issue, verify_barcode, verify_document, verify_pdf, Attachment,
    DocumentReport, FieldComparison, IssueError, PdfReport, PdfSignatureKind, PdfSignatureReport,
    Sealing, DATA_FILE_NAME, MAX_ISSUED_PDF, MAX_PDF,
};
pub use document::{
    sign_pdf, validation_report, ValidatedDocument, ValidationObject, ValidationReport,
};
pub use forms::{
    catalogue, form, FieldError, FieldType, FormId, FormIdError, FormKind, FormTemplate,
    TemplateBlock, MAX_DATA_CHARS, MAX_ROWS,
};
pub use pdf::write::{file_of, IncrementalUpdate};
pub use pdf::{Budget, Dict, Object, PdfFile};
pub use render::{render, Block, Fonts, Item, Layouter, PdfInfo};
pub use seal::{
    base45_decode, decode as decode_seal, seal, verification_code, verify_decoded, verify_seal,
    IssueEvidence, IssuerRule, Issuers, SealContent, SealError, SealMode, SealReport, SealTrust,
    PART_CAPACITY,
};

// Applications, licences and the registry that stores them.
/// The services of the regulations as data (`templates/services.json`).
pub mod services {
    pub use crate::issuance::catalogue::{
        catalogue, service, Action, Actor, ApplicantKind, Binding, Catalogue, CatalogueError,
        DocumentSpec, Due, Fee, LicenceChange, Names, Reason, ServiceSpec, Source, State, Term,
        EDS_NOT_CONFIRMED, LICENCE_FIELD, REFUSED, STATED, VERIFICATION_PENDING,
    };
}
pub use issuance::{
    AttachedFile, LicenceStatus, LifecycleAction, MediaType, Provider, WorkingCalendar,
    DUPLICATE_MARK, MAX_ATTACHMENTS,
};
pub use registry::chain::{
    verify as verify_audit, Break as AuditBreak, ChainHead, ChainReport, ChainedEntry,
};
pub use registry::{
    Advance, ApplicationEvent, ApplicationFilter, ApplicationId, ApplicationRecord, AuditEntry,
    DocumentId, DocumentNumber, DocumentStanding, IdempotencyKey, NewApplication,
    PendingApplication, PostgresRegistry, Registry, RegistryError, Remembered, Render, RenderError,
    RenderForApplication, RenderedDocument, SqliteRegistry, StoredDocument, TokenHolder, TokenRole,
    VoidedNumber,
};

// The service: configuration, start-up, tokens, the workflow, and the HTTP shell over them.
pub use http::{run as serve_node, serve, serve_ncanode, serve_with, AppState};
pub use service::background::Background;
pub use service::config::ConfiguredToken;
pub use service::config::{
    ConfigError, RegistryLocation, RevocationConfig, ServiceConfig, ENV_VARS,
};
pub use service::crls::{
    CrlRefresher, CrlSchedule, CrlSource, Freshness, RefreshOutcome, SourceHealth,
};
pub use service::fetch::{FetchError, FetchPolicy, Fetched, Fetcher, Validators};
pub use service::login::{
    Challenge, Challenges, LoginIdentity, LoginRefused, CHALLENGE_TTL_SECS, MAX_CHALLENGES,
};
pub use service::metrics::Metrics;
pub use service::ocsp::{OcspClient, OcspPolicy, ResponderFailure, ResponderHealth};
pub use service::start::{open_registry, StartError, Started};
pub use service::tokens::{
    create_token, generate_token, sha256 as token_sha256, sha256_hex as token_sha256_hex,
};
pub use service::tokens::{Caller, TokenCache};
pub use service::tsa::{TsaClient, TsaSettings};
pub use service::workflow::WorkflowError;
pub use service::workflow::{
    act, decide, expire_unpaid, issue_reference, issue_reference_once, report_payment,
    reverify_pending, submit, submit_request, submit_xml, Context, Decision, Reverified,
    SignedApplication, SignedStep, Step, Submitted,
};
pub use service::{
    start, AttachmentError, AttachmentLimits, AttachmentStore, CheckFor, Limits, NcanodeAccess,
    Office, OfficeError, Offices, RevocationPolicy, ServeOptions, Webhook, WebhookError,
    DEFAULT_OFFICE,
};

// The demo PKI in `certs/` (`generate-demo-pki` and the tests).
pub use demo_pki::{
    default_store as demo_trust_store, generate as generate_demo_pki, issuers as demo_issuers,
    provider_signer as demo_provider_signer,
};

// Types that the items above take or return, so a caller can name them.
pub use cancel::Cancelled;
pub use clock::TimeError;
pub use cms::sign::SignOptions;
pub use cms::SignerReport;
pub use credentials::keyfile::{KeyFileError, SigningIdentity};
pub use crypto::digest::DigestAlgorithm;
pub use crypto::{CryptoError, SignatureAlgorithm};
pub use demo_pki::{DemoFile, DemoPkiError};
pub use document::issue::IssuedDocument;
pub use document::verify::{FileIntegrity, FileSignatureVerdict, SignatureTimestamp};
pub use encoding::pem::PemError;
pub use forms::schema::{FieldValue, FormData};
pub use forms::template::{Bilingual, FieldSpec, TemplateError};
pub use http::limits::{Gates, Pool};
pub use http::problem::{Problem, ProblemCode};
pub use http::RunError;
pub use identity::number::{EntityAttribute, EntityType, IdKind, IdNumberError, Sex};
pub use identity::profile::{NameClaim, NameProblem, RoleNames, SubjectProfile};
pub use issuance::application::ApplicationError;
pub use issuance::status::TransitionError;
pub use pdf::file::{Page as PdfPage, Revision};
pub use pdf::object::Stream as PdfStream;
pub use pdf::PdfError;
pub use pki::cert::KeyUsage;
pub use pki::crl::{CrlError, Revocation};
pub use pki::dp::{DpName, GenName, IssuingDistributionPoint};
pub use pki::install::{CrlInstalled, CrlRefused, InstallRules};
pub use pki::load::InputError;
pub use pki::name::{Attribute as NameAttribute, Name};
pub use pki::ocsp::{
    check_response as check_ocsp_response, AnswerSource, CertId as OcspCertId, CertIdHash,
    OcspAnswer, OcspCheck, OcspError, OcspLookup, OcspRequest, OcspStatus, ResponderKind,
    RevocationSource, SharedOcsp, Unavailable as OcspUnavailable, MAX_OCSP_RESPONSE,
};
pub use pki::reason::Reason as RevocationReason;
pub use pki::report::{
    CertSummary, ChainEntry, LaterRevocation, RevocationEvidence, RevocationVerdict, SubjectSummary,
};
pub use pki::store::{CrlOrigin, TrustStoreBuilder};
pub use registry::LicenceEvent;
pub use render::font::FontError;
pub use render::layout::Page as LayoutPage;
pub use seal::{Decoded, DecodedSeal, FormName, IssueTimeProof, ReportedContent};
pub use service::config::{ConfiguredIssuer, ConfiguredProvider, SignerPaths};
pub use service::Node;
