//! The command line as clap types, and one `From` per argument enum into the library's type.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use qoltanba::SealMode;
use qoltanba::{Purpose, RevocationMode};

#[derive(Parser)]
#[command(
    name = "qoltanba",
    version,
    about = "Verify Kazakh EDS certificates and signatures; issue signed documents"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Verify a certificate: path to a trust anchor, validity, revocation, key usage, IIN/BIN.
    VerifyCert(VerifyCertArgs),
    /// Verify a CMS SignedData: every signer's signature, attributes and certificate.
    VerifyCms(VerifyCmsArgs),
    /// Sign content as CMS SignedData (attached or detached).
    SignCms(SignCmsArgs),
    /// Sign a PDF over the whole file (PAdES baseline: an incremental update with an invisible signature field).
    SignPdf(SignPdfArgs),
    /// Verify every XML signature of a document (enveloped, or WS-Security with --wsse): signature, digests, what
    /// each covers, and each signer's certificate.
    VerifyXml(VerifyXmlArgs),
    /// Sign an XML document: an enveloped signature in NCALayer's profile (a co-signature when already signed), or
    /// a SOAP envelope with WS-Security in SmartBridge's profile (--wsse).
    SignXml(SignXmlArgs),
    /// The output forms: list them, or print one's sample data.
    Forms {
        #[command(subcommand)]
        command: FormsCommand,
    },
    /// Issue a document: fill a form with data and render the PDF.
    Issue(IssueArgs),
    /// Verify a document's signed 2-D barcode from its text (one or several parts, any order).
    VerifySeal(VerifySealArgs),
    /// Verify an issued PDF: finds and decodes its QR symbols, verifies the seal, compares it with the document.
    VerifyDocument(VerifyDocumentArgs),
    /// Verify every signature of any PDF (PAdES, adbe.pkcs7.detached, document timestamps): each one's CMS over
    /// its byte range, its signer's path, what was appended after it, and the file as a whole.
    VerifyPdf(VerifyPdfArgs),
    /// Run the HTTP service. With no config: the embedded default (demo PKI and signer, SQLite in ./data,
    /// 127.0.0.1:8080). Environment variables QOLTANBA_* override the config file; flags override both.
    Serve {
        /// TOML configuration file (see README: trust, signer, provider, calendar, tokens).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Directory of the SQLite registry, created if missing (default ./data).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Make a new API token: prints the token (give it to the caller) and its SHA-256 (put it in the config's
    /// [[tokens]]).
    NewToken,
    /// Revoke an API token by its holder's name, in the registry the configuration names: every node refuses it
    /// within 5 seconds. The name stays taken; the audit log records the revocation.
    RevokeToken {
        /// The token holder's name.
        name: String,
        /// TOML configuration file (the registry and data directory; QOLTANBA_* variables override it).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Directory of the SQLite registry (default ./data).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// The registry's audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Generate the demo PKI (NCA profile) into a directory.
    DemoPki {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Where a seal's signer is checked against: shared by `verify-seal` and `verify-document`. A seal counts only when
/// its signer is an authorised issuer: the service's configuration names them (`--config`), or `--issuer-cert` /
/// `--issuer-bin` do with `--trust`; with none of these, the embedded demo PKI and its demo provider.
#[derive(Args)]
pub(crate) struct SealTrustArgs {
    /// The service's configuration file: its trust store and issuers (the signer's key is not read).
    #[arg(long, conflicts_with = "trust")]
    pub(crate) config: Option<PathBuf>,
    /// Trust anchors (default: the embedded demo PKI, with the demo provider's certificate for compact seals).
    #[arg(long)]
    pub(crate) trust: Vec<PathBuf>,
    /// An authorised issuer's certificate (the provider's signer); may repeat. Also found by compact seals.
    #[arg(long, requires = "trust")]
    pub(crate) issuer_cert: Vec<PathBuf>,
    /// An authorised issuer's BIN: its certificates with the first-head or right-to-sign role may seal; may repeat.
    #[arg(long, requires = "trust")]
    pub(crate) issuer_bin: Vec<String>,
    /// Intermediate CA and provider certificates.
    #[arg(long)]
    pub(crate) intermediates: Vec<PathBuf>,
    /// CRLs.
    #[arg(long)]
    pub(crate) crl: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "all")]
    pub(crate) revocation: RevocationArg,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RevocationSourceArg {
    Crl,
    Ocsp,
    OcspThenCrl,
    CrlThenOcsp,
}

impl From<RevocationSourceArg> for qoltanba::RevocationSource {
    fn from(arg: RevocationSourceArg) -> Self {
        match arg {
            RevocationSourceArg::Crl => qoltanba::RevocationSource::Crl,
            RevocationSourceArg::Ocsp => qoltanba::RevocationSource::Ocsp,
            RevocationSourceArg::OcspThenCrl => qoltanba::RevocationSource::OcspThenCrl,
            RevocationSourceArg::CrlThenOcsp => qoltanba::RevocationSource::CrlThenOcsp,
        }
    }
}

#[derive(Args)]
pub(crate) struct VerifySealArgs {
    /// The barcode text; repeat for each part of a seal split over several symbols.
    #[arg(long, required = true)]
    pub(crate) barcode: Vec<String>,
    #[command(flatten)]
    pub(crate) against: SealTrustArgs,
}

#[derive(Args)]
pub(crate) struct VerifyDocumentArgs {
    /// The PDF.
    pub(crate) pdf: PathBuf,
    #[command(flatten)]
    pub(crate) against: SealTrustArgs,
}

#[derive(Subcommand)]
pub(crate) enum FormsCommand {
    /// List the form ids with their names and fields.
    List,
    /// Print a form's sample data (the seed's sample values) as JSON.
    Sample {
        /// The form id (see `forms list`).
        form: String,
    },
}

#[derive(Args)]
pub(crate) struct IssueArgs {
    /// The form id (see `forms list`).
    #[arg(long)]
    pub(crate) form: String,
    /// The data: a JSON object of the form's fields (see `forms sample`).
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Where to write the PDF.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// The document number (default: DEMO- and the issue time).
    #[arg(long)]
    pub(crate) number: Option<String>,
    /// Issue time, RFC 3339 (default: now). The same data and time give the same PDF.
    #[arg(long)]
    pub(crate) issued_at: Option<String>,
    /// How the seal names the signer: by key id (compact, one QR symbol) or with its certificate (full).
    #[arg(long, value_enum, default_value = "compact")]
    pub(crate) seal_mode: SealModeArg,
    /// Configuration file: issue with its provider's signer (checked against its trust, as `serve` checks it)
    /// and its timestamp authority (`[tsa]`); without it, the demo provider.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SealModeArg {
    Compact,
    Full,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum PurposeArg {
    Sign,
    Auth,
    Any,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RevocationArg {
    All,
    Leaf,
    None,
}

/// What every verification takes: the trust configuration, the request's identity, time and revocation policy.
#[derive(Args)]
pub(crate) struct PkiArgs {
    /// Trust anchors: a file or a directory; may repeat.
    #[arg(long, required = true)]
    pub(crate) trust: Vec<PathBuf>,
    /// Intermediate CA certificates: a file or a directory; may repeat.
    #[arg(long)]
    pub(crate) intermediates: Vec<PathBuf>,
    /// CRLs: a file or a directory; may repeat.
    #[arg(long)]
    pub(crate) crl: Vec<PathBuf>,
    /// IIN stated in the request, compared with the certificate.
    #[arg(long)]
    pub(crate) iin: Option<String>,
    /// BIN stated in the request, compared with the certificate.
    #[arg(long)]
    pub(crate) bin: Option<String>,
    /// Validation time, RFC 3339 (default: now).
    #[arg(long)]
    pub(crate) at: Option<String>,
    #[arg(long, value_enum, default_value = "all")]
    pub(crate) revocation: RevocationArg,
    /// An OCSP responder's URL, asked before those the certificate names; may repeat.
    #[arg(long)]
    pub(crate) ocsp: Vec<String>,
    /// Which revocation data is consulted (default: ocsp-then-crl when --ocsp is given, else crl).
    #[arg(long, value_enum)]
    pub(crate) revocation_source: Option<RevocationSourceArg>,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct VerifyCertArgs {
    /// The certificate to verify (PEM or DER).
    #[arg(long)]
    pub(crate) cert: PathBuf,
    #[arg(long, value_enum, default_value = "sign")]
    pub(crate) purpose: PurposeArg,
    #[command(flatten)]
    pub(crate) pki: PkiArgs,
}

#[derive(Args)]
pub(crate) struct VerifyCmsArgs {
    /// The CMS SignedData (DER, or PEM "CMS"/"PKCS7").
    #[arg(long)]
    pub(crate) cms: PathBuf,
    /// The signed content, for a detached signature.
    #[arg(long)]
    pub(crate) content: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) pki: PkiArgs,
}

#[derive(Args)]
pub(crate) struct VerifyPdfArgs {
    /// The signed PDF.
    pub(crate) pdf: PathBuf,
    #[command(flatten)]
    pub(crate) pki: PkiArgs,
}

#[derive(Args)]
pub(crate) struct VerifyXmlArgs {
    /// The signed XML document.
    #[arg(long)]
    pub(crate) xml: PathBuf,
    /// A SOAP envelope signed with WS-Security: the signatures must stand in its Security header and cover the Body.
    #[arg(long)]
    pub(crate) wsse: bool,
    /// What the signers' certificates are checked for (auth: a login challenge signed with the AUTH key).
    #[arg(long, value_enum, default_value = "sign")]
    pub(crate) purpose: PurposeArg,
    #[command(flatten)]
    pub(crate) pki: PkiArgs,
}

#[derive(Args)]
pub(crate) struct SignXmlArgs {
    /// The signing key: PKCS#8 PEM/DER, or PKCS#12 with --password.
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// The signer's certificate (optional when the PKCS#12 file holds it).
    #[arg(long)]
    pub(crate) cert: Option<PathBuf>,
    /// PKCS#12 password (or set QOLTANBA_KEY_PASSWORD, which stays out of the process list).
    #[arg(long)]
    pub(crate) password: Option<String>,
    /// Sign a SOAP envelope with WS-Security (SmartBridge) instead of an enveloped signature.
    #[arg(long)]
    pub(crate) wsse: bool,
    /// The XML to sign.
    #[arg(long = "in")]
    pub(crate) input: PathBuf,
    /// Where to write the signed XML.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Args)]
pub(crate) struct SignCmsArgs {
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// Leave the content out of the CMS.
    #[arg(long)]
    pub(crate) detached: bool,
    /// The content to sign.
    #[arg(long = "in")]
    pub(crate) input: PathBuf,
    /// Where to write the DER CMS.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

/// Who signs: a key file, its certificate and the chain to include.
#[derive(Args)]
pub(crate) struct SignerArgs {
    /// The signing key: PKCS#8 PEM/DER, or PKCS#12 with --password.
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// The signer's certificate (optional when the PKCS#12 file holds it).
    #[arg(long)]
    pub(crate) cert: Option<PathBuf>,
    /// CA certificates to include: a file or a directory; may repeat.
    #[arg(long)]
    pub(crate) chain: Vec<PathBuf>,
    /// PKCS#12 password (or set QOLTANBA_KEY_PASSWORD, which stays out of the process list).
    #[arg(long)]
    pub(crate) password: Option<String>,
}

#[derive(Args)]
pub(crate) struct SignPdfArgs {
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// The PDF to sign.
    #[arg(long = "in")]
    pub(crate) input: PathBuf,
    /// Where to write the signed PDF.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

impl From<SealModeArg> for SealMode {
    fn from(arg: SealModeArg) -> Self {
        match arg {
            SealModeArg::Compact => SealMode::Compact,
            SealModeArg::Full => SealMode::Full,
        }
    }
}

impl From<PurposeArg> for Purpose {
    fn from(arg: PurposeArg) -> Self {
        match arg {
            PurposeArg::Sign => Purpose::Sign,
            PurposeArg::Auth => Purpose::Auth,
            PurposeArg::Any => Purpose::Any,
        }
    }
}

impl From<RevocationArg> for RevocationMode {
    fn from(arg: RevocationArg) -> Self {
        match arg {
            RevocationArg::All => RevocationMode::All,
            RevocationArg::Leaf => RevocationMode::Leaf,
            RevocationArg::None => RevocationMode::None,
        }
    }
}

/// What to do with the audit log.
#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk every audit chain of the registry the configuration names (SQLite in the data directory, or
    /// PostgreSQL) and name the first broken link of each: an entry changed, removed or slipped in. Prints each
    /// chain's head (keep them elsewhere: a chain cut short together with its head rewritten shows only against
    /// a head kept before). Exit 0 intact, 1 broken, 2 registry unreadable.
    Verify {
        /// TOML configuration file (the registry and data directory; QOLTANBA_* variables override it).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Directory of the SQLite registry (default ./data).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Print the chains as JSON.
        #[arg(long)]
        json: bool,
    },
}
