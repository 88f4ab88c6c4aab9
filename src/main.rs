//! The `qoltanba` command: a thin shell over the library. Exit codes (README, "The CLI"): 0 valid, 1 verified and
//! invalid, 2 bad usage or unreadable input.

use std::path::PathBuf;

/// `println!` that ends the process quietly when stdout is closed (`qoltanba forms list | head`), as command-line
/// tools do, instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if writeln!(out, $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use qoltanba::clock::UnixTime;
use qoltanba::cms::CmsReport;
use qoltanba::identity::{Bin, Iin};
use qoltanba::pki::load::{build_store, load_certificates};
use qoltanba::pki::{Code, Findings, Purpose, Report, RevocationMode, VerifyOptions};

#[derive(Parser)]
#[command(
    name = "qoltanba",
    version,
    about = "Verify Kazakh EDS certificates and signatures; issue signed documents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a certificate: path to a trust anchor, validity, revocation, key usage, IIN/BIN.
    VerifyCert(VerifyCertArgs),
    /// Verify a CMS SignedData: every signer's signature, attributes and certificate.
    VerifyCms(VerifyCmsArgs),
    /// Sign content as CMS SignedData (attached or detached).
    SignCms(SignCmsArgs),
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
struct SealTrustArgs {
    /// The service's configuration file: its trust store and issuers (the signer's key is not read).
    #[arg(long, conflicts_with = "trust")]
    config: Option<PathBuf>,
    /// Trust anchors (default: the embedded demo PKI, with the demo provider's certificate for compact seals).
    #[arg(long)]
    trust: Vec<PathBuf>,
    /// An authorised issuer's certificate (the provider's signer); may repeat. Also found by compact seals.
    #[arg(long, requires = "trust")]
    issuer_cert: Vec<PathBuf>,
    /// An authorised issuer's BIN: its certificates with the first-head or right-to-sign role may seal; may repeat.
    #[arg(long, requires = "trust")]
    issuer_bin: Vec<String>,
    /// Intermediate CA and provider certificates.
    #[arg(long)]
    intermediates: Vec<PathBuf>,
    /// CRLs.
    #[arg(long)]
    crl: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "all")]
    revocation: RevocationArg,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct VerifySealArgs {
    /// The barcode text; repeat for each part of a seal split over several symbols.
    #[arg(long, required = true)]
    barcode: Vec<String>,
    #[command(flatten)]
    against: SealTrustArgs,
}

#[derive(Args)]
struct VerifyDocumentArgs {
    /// The PDF.
    pdf: PathBuf,
    #[command(flatten)]
    against: SealTrustArgs,
}

#[derive(Subcommand)]
enum FormsCommand {
    /// List the form ids with their names and fields.
    List,
    /// Print a form's sample data (the seed's sample values) as JSON.
    Sample {
        /// The form id (see `forms list`).
        form: String,
    },
}

#[derive(Args)]
struct IssueArgs {
    /// The form id (see `forms list`).
    #[arg(long)]
    form: String,
    /// The data: a JSON object of the form's fields (see `forms sample`).
    #[arg(long)]
    data: PathBuf,
    /// Where to write the PDF.
    #[arg(long)]
    out: PathBuf,
    /// The document number (default: DEMO- and the issue time).
    #[arg(long)]
    number: Option<String>,
    /// Issue time, RFC 3339 (default: now). The same data and time give the same PDF.
    #[arg(long)]
    issued_at: Option<String>,
    /// How the seal names the signer: by key id (compact, one QR symbol) or with its certificate (full).
    #[arg(long, value_enum, default_value = "compact")]
    seal_mode: SealModeArg,
    /// Configuration file (reserved for the service; not read yet).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum SealModeArg {
    Compact,
    Full,
}

#[derive(Clone, Copy, ValueEnum)]
enum PurposeArg {
    Sign,
    Auth,
    Any,
}

#[derive(Clone, Copy, ValueEnum)]
enum RevocationArg {
    All,
    Leaf,
    None,
}

/// What every verification takes: the trust configuration, the request's identity, time and revocation policy.
#[derive(Args)]
struct PkiArgs {
    /// Trust anchors: a file or a directory; may repeat.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// Intermediate CA certificates: a file or a directory; may repeat.
    #[arg(long)]
    intermediates: Vec<PathBuf>,
    /// CRLs: a file or a directory; may repeat.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// IIN stated in the request, compared with the certificate.
    #[arg(long)]
    iin: Option<String>,
    /// BIN stated in the request, compared with the certificate.
    #[arg(long)]
    bin: Option<String>,
    /// Validation time, RFC 3339 (default: now).
    #[arg(long)]
    at: Option<String>,
    #[arg(long, value_enum, default_value = "all")]
    revocation: RevocationArg,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct VerifyCertArgs {
    /// The certificate to verify (PEM or DER).
    #[arg(long)]
    cert: PathBuf,
    #[arg(long, value_enum, default_value = "sign")]
    purpose: PurposeArg,
    #[command(flatten)]
    pki: PkiArgs,
}

#[derive(Args)]
struct VerifyCmsArgs {
    /// The CMS SignedData (DER, or PEM "CMS"/"PKCS7").
    #[arg(long)]
    cms: PathBuf,
    /// The signed content, for a detached signature.
    #[arg(long)]
    content: Option<PathBuf>,
    #[command(flatten)]
    pki: PkiArgs,
}

#[derive(Args)]
struct SignCmsArgs {
    /// The signing key: PKCS#8 PEM/DER, or PKCS#12 with --password.
    #[arg(long)]
    key: PathBuf,
    /// The signer's certificate (optional when the PKCS#12 file holds it).
    #[arg(long)]
    cert: Option<PathBuf>,
    /// CA certificates to include: a file or a directory; may repeat.
    #[arg(long)]
    chain: Vec<PathBuf>,
    /// PKCS#12 password (or set QOLTANBA_KEY_PASSWORD, which stays out of the process list).
    #[arg(long)]
    password: Option<String>,
    /// Leave the content out of the CMS.
    #[arg(long)]
    detached: bool,
    /// The content to sign.
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the DER CMS.
    #[arg(long)]
    out: PathBuf,
}

/// Bad input: printed, and as a MALFORMED report with `--json`; exit code 2.
struct BadInput(String);

impl BadInput {
    fn exit(self, json: bool) -> ExitCode {
        eprintln!("error: {}", self.0);
        if json {
            print_report(&bad_input_report(&self.0, now()), true);
        }
        ExitCode::from(2)
    }
}

fn bad_input_report(message: &str, at: i64) -> Report {
    let mut f = Findings::default();
    f.add(Code::Malformed, message);
    f.into_report(None, Vec::new(), qoltanba::clock::rfc3339(at), "none")
}

fn parse_time(s: &str) -> Result<i64, BadInput> {
    UnixTime::parse_rfc3339(s)
        .map(UnixTime::secs)
        .map_err(|e| BadInput(format!("--at: {e}")))
}

fn now() -> i64 {
    UnixTime::now().secs()
}

impl PkiArgs {
    /// The trust store and the verification options these arguments describe.
    fn load(
        &self,
        purpose: Purpose,
    ) -> Result<(qoltanba::pki::TrustStore, VerifyOptions), BadInput> {
        let at = match &self.at {
            Some(s) => parse_time(s)?,
            None => now(),
        };
        let iin = self
            .iin
            .as_deref()
            .map(Iin::parse)
            .transpose()
            .map_err(|e| BadInput(format!("--iin: {e}")))?;
        let bin = self
            .bin
            .as_deref()
            .map(Bin::parse)
            .transpose()
            .map_err(|e| BadInput(format!("--bin: {e}")))?;
        let store = build_store(&self.trust, &self.intermediates, &self.crl)
            .map_err(|e| BadInput(e.to_string()))?;
        let revocation = match self.revocation {
            RevocationArg::All => RevocationMode::All,
            RevocationArg::Leaf => RevocationMode::Leaf,
            RevocationArg::None => RevocationMode::None,
        };
        let mut opts = VerifyOptions::at(at);
        opts.purpose = purpose;
        opts.revocation = revocation;
        opts.iin = iin;
        opts.bin = bin;
        Ok((store, opts))
    }
}

fn one_certificate(path: &std::path::Path) -> Result<qoltanba::pki::Certificate, BadInput> {
    let mut certs = load_certificates(path).map_err(|e| BadInput(e.to_string()))?;
    if certs.len() != 1 {
        return Err(BadInput(format!(
            "{}: expected one certificate, found {}",
            path.display(),
            certs.len()
        )));
    }
    Ok(certs.remove(0))
}

fn verify_cert(args: &VerifyCertArgs) -> Result<Report, BadInput> {
    let purpose = match args.purpose {
        PurposeArg::Sign => Purpose::Sign,
        PurposeArg::Auth => Purpose::Auth,
        PurposeArg::Any => Purpose::Any,
    };
    let leaf = one_certificate(&args.cert)?;
    let (store, opts) = args.pki.load(purpose)?;
    Ok(store.verify_certificate(&leaf, &[], &opts))
}

fn read_input(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, BadInput> {
    qoltanba::pki::load::read_limited(path, limit).map_err(|e| BadInput(e.to_string()))
}

fn verify_cms(args: &VerifyCmsArgs) -> Result<CmsReport, BadInput> {
    let limit = qoltanba::cms::MAX_CMS_SIZE as u64;
    let data = read_input(&args.cms, limit)?;
    let cms = qoltanba::encoding::pem::der_blocks(&data, &["CMS", "PKCS7"])
        .map_err(|e| BadInput(format!("{}: {e}", args.cms.display())))?
        .remove(0);
    let content = args
        .content
        .as_deref()
        .map(|p| read_input(p, limit))
        .transpose()?;
    let (store, opts) = args.pki.load(Purpose::Sign)?;
    qoltanba::cms::verify_cms(&store, &cms, content.as_deref(), &[], &opts)
        .map_err(|e| BadInput(format!("{}: {e}", args.cms.display())))
}

fn sign_cms(args: &SignCmsArgs) -> Result<usize, BadInput> {
    let key_data = read_input(&args.key, qoltanba::pki::load::MAX_CERT_FILE)?;
    let password = args
        .password
        .clone()
        .or_else(|| std::env::var("QOLTANBA_KEY_PASSWORD").ok());
    let identity = qoltanba::credentials::read_signing_identity(&key_data, password.as_deref())
        .map_err(|e| BadInput(format!("{}: {e}", args.key.display())))?;
    let mut chain = Vec::new();
    for path in &args.chain {
        chain.extend(load_certificates(path).map_err(|e| BadInput(e.to_string()))?);
    }
    let cert = args.cert.as_deref().map(one_certificate).transpose()?;
    let signer = qoltanba::cms::CmsSigner::from_identity(identity, cert, chain).map_err(|e| {
        BadInput(match e {
            qoltanba::cms::CmsError::NoCertificateForKey => {
                "--cert is needed: the key file holds no certificate for this key".into()
            }
            e => e.to_string(),
        })
    })?;
    let content = read_input(&args.input, qoltanba::cms::MAX_CMS_SIZE as u64)?;
    let cms = signer
        .sign(&content, args.detached, now())
        .map_err(|e| BadInput(e.to_string()))?;
    std::fs::write(&args.out, &cms)
        .map_err(|e| BadInput(format!("{}: {e}", args.out.display())))?;
    Ok(cms.len())
}

/// The trust store, issuers and options of the seal and document verifiers: the configuration's, the ones given, or
/// the embedded demo PKI's.
fn seal_trust(
    args: &SealTrustArgs,
) -> Result<
    (
        qoltanba::pki::TrustStore,
        qoltanba::seal::Issuers,
        VerifyOptions,
    ),
    BadInput,
> {
    let (store, issuers) = match (&args.config, args.trust.is_empty()) {
        (Some(config), _) => qoltanba::service::config::ServiceConfig::load(Some(config), |name| {
            std::env::var(name).ok()
        })
        .and_then(|c| c.verification())
        .map_err(|e| BadInput(e.to_string()))?,
        (None, true) => (
            qoltanba::demo_pki::default_store().map_err(|e| BadInput(e.to_string()))?,
            qoltanba::demo_pki::issuers().map_err(|e| BadInput(e.to_string()))?,
        ),
        (None, false) => {
            if args.issuer_cert.is_empty() && args.issuer_bin.is_empty() {
                return Err(BadInput(
                    "--trust needs the authorised issuers: --issuer-cert F or --issuer-bin BIN (or use --config)"
                        .into(),
                ));
            }
            let mut rules = Vec::new();
            let mut pinned = Vec::new();
            for path in &args.issuer_cert {
                for cert in load_certificates(path).map_err(|e| BadInput(e.to_string()))? {
                    rules.push(qoltanba::seal::IssuerRule::certificate(
                        format!("{} ({})", cert.subject, path.display()),
                        &cert,
                    ));
                    pinned.push(path.clone());
                }
            }
            for bin in &args.issuer_bin {
                let bin = Bin::parse(bin).map_err(|e| BadInput(format!("--issuer-bin: {e}")))?;
                rules.push(qoltanba::seal::IssuerRule::organisation(
                    format!("BIN {bin}"),
                    bin,
                    Vec::new(),
                ));
            }
            let intermediates: Vec<PathBuf> =
                args.intermediates.iter().cloned().chain(pinned).collect();
            let store = build_store(&args.trust, &intermediates, &args.crl)
                .map_err(|e| BadInput(e.to_string()))?;
            (store, qoltanba::seal::Issuers::new(rules))
        }
    };
    let mut opts = VerifyOptions::at(now());
    opts.revocation = match args.revocation {
        RevocationArg::All => RevocationMode::All,
        RevocationArg::Leaf => RevocationMode::Leaf,
        RevocationArg::None => RevocationMode::None,
    };
    Ok((store, issuers, opts))
}

fn serve(
    config: Option<&std::path::Path>,
    listen: Option<std::net::SocketAddr>,
    data: Option<PathBuf>,
) -> Result<(), BadInput> {
    let mut config =
        qoltanba::service::config::ServiceConfig::load(config, |name| std::env::var(name).ok())
            .map_err(|e| BadInput(e.to_string()))?;
    if let Some(listen) = listen {
        config.listen = listen;
    }
    if let Some(data) = data {
        config.data = data;
    }
    let started = qoltanba::service::start(&config, now()).map_err(|e| BadInput(e.to_string()))?;
    for (role, token) in &started.new_tokens {
        say!(
            "created {} token (shown once, keep it): {token}",
            role.as_str()
        );
    }
    if started.node.demo {
        eprintln!(
            "WARNING: running on the embedded demo PKI: documents are sealed with the demo provider's key, which is \
             published in the repository. They are demonstrations, not documents; configure trust and signer \
             (README, Configuration) for real use."
        );
    }
    qoltanba::http::run(started.node, &config, |listen| {
        say!("Qoltanba listening on http://{listen}")
    })
    .map_err(|e| BadInput(e.to_string()))
}

fn verify_seal(args: &VerifySealArgs) -> Result<qoltanba::seal::SealReport, BadInput> {
    let (store, issuers, opts) = seal_trust(&args.against)?;
    let texts: Vec<&str> = args.barcode.iter().map(String::as_str).collect();
    let trust = qoltanba::seal::SealTrust {
        store: &store,
        issuers: &issuers,
    };
    qoltanba::seal::verify_seal(trust, &texts, &opts).map_err(|e| BadInput(e.to_string()))
}

fn verify_document(
    args: &VerifyDocumentArgs,
) -> Result<qoltanba::document::DocumentReport, BadInput> {
    let (store, issuers, opts) = seal_trust(&args.against)?;
    let pdf = read_input(&args.pdf, qoltanba::document::MAX_PDF as u64)?;
    let trust = qoltanba::seal::SealTrust {
        store: &store,
        issuers: &issuers,
    };
    qoltanba::document::verify_document(trust, &pdf, &opts)
        .map_err(|e| BadInput(format!("{}: {e}", args.pdf.display())))
}

fn print_seal(report: &qoltanba::seal::SealReport) {
    print_report(&report.report, false);
    if let Some(c) = &report.content {
        say!(
            "document {} ({}), issued {}{}",
            c.number,
            c.form,
            report.issued.as_deref().unwrap_or(""),
            if report.issue_time_proof.is_some() {
                " (the registry's record)"
            } else {
                " (as the seal says)"
            }
        );
        say!("signed data: {}", c.data);
    }
    if let Some(p) = &report.provider {
        say!("issuer: {p}");
    }
    if report.demo {
        say!("NOTE: sealed with the demo provider's published key: a demonstration, not a real document");
    }
}

fn forms(command: &FormsCommand) -> Result<(), BadInput> {
    let catalogue = qoltanba::forms::catalogue().map_err(|e| BadInput(e.to_string()))?;
    match command {
        FormsCommand::List => {
            for t in catalogue.values() {
                say!("{}  [{}]  {} / {}", t.id, t.family, t.name.kk, t.name.ru);
                for f in &t.fields {
                    say!(
                        "    {:<24} {:<10} {}",
                        f.name,
                        format!("{:?}", f.kind).to_lowercase(),
                        f.description
                    );
                }
            }
        }
        FormsCommand::Sample { form } => {
            let t = qoltanba::forms::form(form).map_err(|e| BadInput(e.to_string()))?;
            print_json(&t.sample());
        }
    }
    Ok(())
}

fn issue(args: &IssueArgs) -> Result<String, BadInput> {
    if let Some(config) = &args.config {
        return Err(BadInput(format!(
            "{}: --config is not supported yet (the service issue adds it)",
            config.display()
        )));
    }
    let raw = read_input(&args.data, 16 * 1024 * 1024)?;
    let data: serde_json::Value = serde_json::from_slice(&raw)
        .map_err(|e| BadInput(format!("{}: not JSON: {e}", args.data.display())))?;
    let issued_at = match &args.issued_at {
        Some(s) => {
            parse_time(s).map_err(|_| BadInput("--issued-at: not an RFC 3339 time".into()))?
        }
        None => now(),
    };
    let number = args
        .number
        .clone()
        .unwrap_or_else(|| format!("DEMO-{issued_at}"));
    // The embedded default signs with the demo provider's key (a configured signer comes with the service).
    let signer = qoltanba::demo_pki::provider_signer().map_err(|e| BadInput(e.to_string()))?;
    let sealing = qoltanba::document::Sealing {
        signer: &signer,
        mode: match args.seal_mode {
            SealModeArg::Compact => qoltanba::seal::SealMode::Compact,
            SealModeArg::Full => qoltanba::seal::SealMode::Full,
        },
    };
    let doc = qoltanba::document::issue(&args.form, &data, &number, issued_at, Some(sealing))
        .map_err(|e| BadInput(e.to_string()))?;
    std::fs::write(&args.out, &doc.pdf)
        .map_err(|e| BadInput(format!("{}: {e}", args.out.display())))?;
    Ok(format!(
        "wrote {} ({} bytes), document {}",
        args.out.display(),
        doc.pdf.len(),
        doc.number
    ))
}

fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => say!("{s}"),
        Err(e) => eprintln!("cannot print the report: {e}"),
    }
}

fn print_report(report: &Report, json: bool) {
    if json {
        print_json(report);
        return;
    }
    let verdict = match report.indication {
        qoltanba::pki::Indication::TotalPassed => "VALID",
        qoltanba::pki::Indication::TotalFailed => "INVALID",
        qoltanba::pki::Indication::Indeterminate => "INDETERMINATE",
    };
    say!(
        "{verdict} ({:?}) at {}",
        report.indication,
        report.validation_time
    );
    if let Some(s) = &report.subject {
        let mut who = vec![s.common_name.clone().unwrap_or_default()];
        if let Some(iin) = &s.iin {
            who.push(format!("IIN {iin}"));
        }
        if let Some(bin) = &s.bin {
            who.push(format!("BIN {bin}"));
        }
        if let Some(role) = &s.role_names {
            who.push(role.en.to_string());
        }
        say!("subject: {}", who.join(", "));
    }
    for (i, c) in report.chain.iter().enumerate() {
        say!(
            "  [{i}] {}{} (serial {}, revocation: {})",
            c.certificate.subject,
            if c.trust_anchor {
                " [trust anchor]"
            } else {
                ""
            },
            c.certificate.serial,
            c.revocation
        );
    }
    if report.revocation_checked == "none" && !report.chain.is_empty() {
        say!("revocation was not checked (--revocation none)");
    }
    for code in &report.codes {
        say!("code: {}", code.as_str());
    }
    for m in &report.messages {
        say!("- {m}");
    }
}

fn exit_for(report: &Report) -> ExitCode {
    if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::VerifyCert(args) => match verify_cert(&args) {
            Ok(report) => {
                print_report(&report, args.pki.json);
                exit_for(&report)
            }
            Err(bad) => bad.exit(args.pki.json),
        },
        Command::VerifyCms(args) => match verify_cms(&args) {
            Ok(report) => {
                if args.pki.json {
                    print_json(&report);
                } else {
                    print_report(&report.report, false);
                    for (i, s) in report.signers.iter().enumerate() {
                        say!(
                            "signer {}: {:?}, {} with {}{}",
                            i + 1,
                            s.report.indication,
                            s.signature_algorithm,
                            s.digest_algorithm,
                            s.signing_time
                                .as_deref()
                                .map(|t| format!(", signed at {t}"))
                                .unwrap_or_default()
                        );
                    }
                }
                exit_for(&report.report)
            }
            Err(bad) => bad.exit(args.pki.json),
        },
        Command::SignCms(args) => match sign_cms(&args) {
            Ok(n) => {
                say!("wrote {n} bytes of CMS to {}", args.out.display());
                ExitCode::SUCCESS
            }
            Err(bad) => bad.exit(false),
        },
        Command::VerifySeal(args) => match verify_seal(&args) {
            Ok(report) => {
                if args.against.json {
                    print_json(&report);
                } else {
                    print_seal(&report);
                }
                exit_for(&report.report)
            }
            Err(bad) => bad.exit(args.against.json),
        },
        Command::NewToken => match qoltanba::http::auth::generate_token() {
            Some(token) => {
                say!("token:  {token}");
                say!("sha256: {}", qoltanba::http::auth::sha256_hex(&token));
                ExitCode::SUCCESS
            }
            None => BadInput("the system random generator failed".into()).exit(false),
        },
        Command::Serve {
            config,
            listen,
            data,
        } => match serve(config.as_deref(), listen, data) {
            Ok(()) => ExitCode::SUCCESS,
            Err(bad) => bad.exit(false),
        },
        Command::VerifyDocument(args) => match verify_document(&args) {
            Ok(report) => {
                if args.against.json {
                    print_json(&report);
                } else {
                    print_seal(&report.seal);
                    say!("{} QR symbol(s) found in the PDF", report.symbols);
                    say!(
                        "file signature: {}{}",
                        report.file.signature,
                        if report.file.covers_whole_file {
                            ", covering the whole file"
                        } else {
                            ""
                        }
                    );
                    for a in &report.file.appended {
                        say!("  appended after signing: {a}");
                    }
                    for field in report.fields.iter().filter(|f| !f.printed) {
                        say!("  not visibly printed: {} = {}", field.name, field.signed);
                    }
                }
                exit_for(&report.seal.report)
            }
            Err(bad) => bad.exit(args.against.json),
        },
        Command::Forms { command } => match forms(&command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(bad) => bad.exit(false),
        },
        Command::Issue(args) => match issue(&args) {
            Ok(message) => {
                say!("{message}");
                ExitCode::SUCCESS
            }
            Err(bad) => bad.exit(false),
        },
        Command::DemoPki { out } => match write_demo_pki(&out) {
            Ok(n) => {
                say!("wrote {n} files to {}", out.display());
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        },
    }
}

fn write_demo_pki(out: &std::path::Path) -> Result<usize, String> {
    let files = qoltanba::demo_pki::generate().map_err(|e| e.to_string())?;
    for f in &files {
        let path = out.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &f.contents).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(files.len())
}
