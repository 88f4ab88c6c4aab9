//! One function per command, each returning what it found as an [`Outcome`]; nothing here prints but the
//! tokens `serve` creates on a first start, and nothing here decides an exit code.

use std::path::PathBuf;

use qoltanba::CmsReport;
use qoltanba::UnixTime;
use qoltanba::{build_store, load_certificates};
use qoltanba::{Bin, Iin};
use qoltanba::{Code, Findings, Purpose, Report, VerifyOptions};

use super::args::*;
use crate::say;

/// What a command found: a report to print (and whose verdict sets the exit code), a line of success, or bad input.
pub(crate) enum Outcome {
    Certificate {
        report: Report,
        json: bool,
    },
    Cms {
        report: CmsReport,
        json: bool,
    },
    Xml {
        report: qoltanba::XmlReport,
        json: bool,
    },
    Pdf {
        report: qoltanba::PdfReport,
        json: bool,
    },
    Seal {
        report: qoltanba::SealReport,
        json: bool,
    },
    Document {
        report: qoltanba::DocumentReport,
        json: bool,
    },
    /// The audit chains as walked.
    Audit {
        chains: Vec<qoltanba::ChainReport>,
        json: bool,
    },
    /// Done; the line says what was done (empty: nothing to say).
    Done(String),
    /// Bad usage or unreadable input; with `json`, also a MALFORMED report.
    Bad {
        error: BadInput,
        json: bool,
    },
}

/// Runs `command`.
pub(crate) fn run(command: Command) -> Outcome {
    let bad = |json: bool| move |error: BadInput| Outcome::Bad { error, json };
    match command {
        Command::VerifyCert(args) => verify_cert(&args)
            .map(|report| Outcome::Certificate {
                report,
                json: args.pki.json,
            })
            .unwrap_or_else(bad(args.pki.json)),
        Command::VerifyCms(args) => verify_cms(&args)
            .map(|report| Outcome::Cms {
                report,
                json: args.pki.json,
            })
            .unwrap_or_else(bad(args.pki.json)),
        Command::VerifyPdf(args) => verify_pdf(&args)
            .map(|report| Outcome::Pdf {
                report,
                json: args.pki.json,
            })
            .unwrap_or_else(bad(args.pki.json)),
        Command::VerifyXml(args) => verify_xml(&args)
            .map(|report| Outcome::Xml {
                report,
                json: args.pki.json,
            })
            .unwrap_or_else(bad(args.pki.json)),
        Command::SignXml(args) => sign_xml(&args)
            .map(|n| {
                Outcome::Done(format!(
                    "wrote {n} bytes of signed XML to {}",
                    args.out.display()
                ))
            })
            .unwrap_or_else(bad(false)),
        Command::SignPdf(args) => sign_pdf(&args)
            .map(|n| {
                Outcome::Done(format!(
                    "wrote {n} bytes of signed PDF to {}",
                    args.out.display()
                ))
            })
            .unwrap_or_else(bad(false)),
        Command::SignCms(args) => sign_cms(&args)
            .map(|n| Outcome::Done(format!("wrote {n} bytes of CMS to {}", args.out.display())))
            .unwrap_or_else(bad(false)),
        Command::VerifySeal(args) => verify_seal(&args)
            .map(|report| Outcome::Seal {
                report,
                json: args.against.json,
            })
            .unwrap_or_else(bad(args.against.json)),
        Command::VerifyDocument(args) => verify_document(&args)
            .map(|report| Outcome::Document {
                report,
                json: args.against.json,
            })
            .unwrap_or_else(bad(args.against.json)),
        Command::NewToken => match qoltanba::generate_token() {
            Some(token) => Outcome::Done(format!(
                "token:  {token}\nsha256: {}",
                qoltanba::token_sha256_hex(&token)
            )),
            None => Outcome::Bad {
                error: BadInput("the system random generator failed".into()),
                json: false,
            },
        },
        Command::Serve {
            config,
            listen,
            data,
        } => serve(config.as_deref(), listen, data)
            .map(|()| Outcome::Done(String::new()))
            .unwrap_or_else(bad(false)),
        Command::RevokeToken { name, config, data } => revoke_token(&name, config.as_deref(), data)
            .map(Outcome::Done)
            .unwrap_or_else(bad(false)),
        Command::Audit {
            command: AuditCommand::Verify { config, data, json },
        } => audit_verify(config.as_deref(), data)
            .map(|chains| Outcome::Audit { chains, json })
            .unwrap_or_else(bad(false)),
        Command::Forms { command } => forms(&command)
            .map(Outcome::Done)
            .unwrap_or_else(bad(false)),
        Command::Issue(args) => issue(&args).map(Outcome::Done).unwrap_or_else(bad(false)),
        Command::DemoPki { out } => write_demo_pki(&out)
            .map(|n| Outcome::Done(format!("wrote {n} files to {}", out.display())))
            .unwrap_or_else(|e| Outcome::Bad {
                error: BadInput(e),
                json: false,
            }),
    }
}

/// Bad input: printed, and as a MALFORMED report with `--json`; exit code 2.
pub(crate) struct BadInput(pub(crate) String);

pub(crate) fn bad_input_report(message: &str, at: i64) -> Report {
    let mut f = Findings::default();
    f.add(Code::Malformed, message);
    f.into_report(
        None,
        Vec::new(),
        qoltanba::rfc3339(at),
        qoltanba::RevocationMode::None,
    )
}

fn parse_time(s: &str) -> Result<i64, BadInput> {
    UnixTime::parse_rfc3339(s)
        .map(UnixTime::secs)
        .map_err(|e| BadInput(format!("--at: {e}")))
}

pub(crate) fn now() -> i64 {
    UnixTime::now().secs()
}

impl PkiArgs {
    /// The trust store and the verification options these arguments describe.
    fn load(&self, purpose: Purpose) -> Result<(qoltanba::TrustStore, VerifyOptions), BadInput> {
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
        let revocation = self.revocation.into();
        let mut opts = VerifyOptions::at(at);
        opts.purpose = purpose;
        opts.revocation = revocation;
        opts.iin = iin;
        opts.bin = bin;
        opts.source = match self.revocation_source {
            Some(source) => source.into(),
            None if !self.ocsp.is_empty() => qoltanba::RevocationSource::OcspThenCrl,
            None => qoltanba::RevocationSource::Crl,
        };
        if opts.source != qoltanba::RevocationSource::Crl {
            let policy = qoltanba::OcspPolicy {
                responders: self.ocsp.clone(),
                ..qoltanba::OcspPolicy::default()
            };
            let client = qoltanba::OcspClient::new(
                qoltanba::Fetcher::new(qoltanba::FetchPolicy::default()),
                policy,
            );
            opts.ocsp = Some(qoltanba::SharedOcsp(std::sync::Arc::new(client)));
        }
        Ok((store, opts))
    }
}

fn one_certificate(path: &std::path::Path) -> Result<qoltanba::Certificate, BadInput> {
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
    let purpose = args.purpose.into();
    let leaf = one_certificate(&args.cert)?;
    let (store, opts) = args.pki.load(purpose)?;
    Ok(store.verify_certificate(&leaf, &[], &opts))
}

fn read_input(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, BadInput> {
    qoltanba::read_limited(path, limit).map_err(|e| BadInput(e.to_string()))
}

fn verify_cms(args: &VerifyCmsArgs) -> Result<CmsReport, BadInput> {
    let limit = qoltanba::MAX_CMS_SIZE as u64;
    let data = read_input(&args.cms, limit)?;
    let cms = qoltanba::der_blocks(&data, &["CMS", "PKCS7"])
        .map_err(|e| BadInput(format!("{}: {e}", args.cms.display())))?
        .remove(0);
    let content = args
        .content
        .as_deref()
        .map(|p| read_input(p, limit))
        .transpose()?;
    let (store, opts) = args.pki.load(Purpose::Sign)?;
    qoltanba::verify_cms(&store, &cms, content.as_deref(), &[], &opts)
        .map_err(|e| BadInput(format!("{}: {e}", args.cms.display())))
}

fn verify_pdf(args: &VerifyPdfArgs) -> Result<qoltanba::PdfReport, BadInput> {
    let pdf = read_input(&args.pdf, qoltanba::MAX_PDF as u64)?;
    let (store, opts) = args.pki.load(Purpose::Sign)?;
    qoltanba::verify_pdf(&store, &pdf, &opts)
        .map_err(|e| BadInput(format!("{}: {e}", args.pdf.display())))
}

fn verify_xml(args: &VerifyXmlArgs) -> Result<qoltanba::XmlReport, BadInput> {
    let xml = read_input(&args.xml, qoltanba::MAX_XML_SIZE as u64)?;
    let (store, opts) = args.pki.load(args.purpose.into())?;
    let profile = if args.wsse {
        qoltanba::XmlProfile::Wsse
    } else {
        qoltanba::XmlProfile::Enveloped
    };
    qoltanba::verify_xml(&store, &xml, profile, &opts)
        .map_err(|e| BadInput(format!("{}: {e}", args.xml.display())))
}

fn sign_xml(args: &SignXmlArgs) -> Result<usize, BadInput> {
    let signer = load_signer(
        &args.key,
        args.cert.as_deref(),
        args.password.as_deref(),
        &[],
    )?;
    let xml = read_input(&args.input, qoltanba::MAX_XML_SIZE as u64)?;
    let signed = if args.wsse {
        qoltanba::sign_wsse(&xml, &signer)
    } else {
        qoltanba::sign_xml(&xml, &signer)
    }
    .map_err(|e| BadInput(format!("{}: {e}", args.input.display())))?;
    std::fs::write(&args.out, &signed)
        .map_err(|e| BadInput(format!("{}: {e}", args.out.display())))?;
    Ok(signed.len())
}

/// A key file (with its password, or QOLTANBA_KEY_PASSWORD), paired with its certificate and chain.
impl SignerArgs {
    fn load(&self) -> Result<qoltanba::CmsSigner, BadInput> {
        load_signer(
            &self.key,
            self.cert.as_deref(),
            self.password.as_deref(),
            &self.chain,
        )
    }
}

fn load_signer(
    key: &std::path::Path,
    cert: Option<&std::path::Path>,
    password: Option<&str>,
    chain_paths: &[PathBuf],
) -> Result<qoltanba::CmsSigner, BadInput> {
    let key_data = read_input(key, qoltanba::MAX_CERT_FILE)?;
    let password = password
        .map(str::to_string)
        .or_else(|| std::env::var("QOLTANBA_KEY_PASSWORD").ok());
    let identity = qoltanba::read_signing_identity(&key_data, password.as_deref())
        .map_err(|e| BadInput(format!("{}: {e}", key.display())))?;
    let mut chain = Vec::new();
    for path in chain_paths {
        chain.extend(load_certificates(path).map_err(|e| BadInput(e.to_string()))?);
    }
    let cert = cert.map(one_certificate).transpose()?;
    qoltanba::CmsSigner::from_identity(identity, cert, chain).map_err(|e| {
        BadInput(match e {
            qoltanba::CmsError::NoCertificateForKey => {
                "--cert is needed: the key file holds no certificate for this key".into()
            }
            e => e.to_string(),
        })
    })
}

fn sign_cms(args: &SignCmsArgs) -> Result<usize, BadInput> {
    let signer = args.signer.load()?;
    let content = read_input(&args.input, qoltanba::MAX_CMS_SIZE as u64)?;
    let cms = signer
        .sign(&content, args.detached, now())
        .map_err(|e| BadInput(e.to_string()))?;
    std::fs::write(&args.out, &cms)
        .map_err(|e| BadInput(format!("{}: {e}", args.out.display())))?;
    Ok(cms.len())
}

fn sign_pdf(args: &SignPdfArgs) -> Result<usize, BadInput> {
    let signer = args.signer.load()?;
    let pdf = read_input(&args.input, qoltanba::MAX_PDF as u64)?;
    let signed = qoltanba::sign_pdf(pdf, &signer, now())
        .map_err(|e| BadInput(format!("{}: {e}", args.input.display())))?;
    std::fs::write(&args.out, &signed)
        .map_err(|e| BadInput(format!("{}: {e}", args.out.display())))?;
    Ok(signed.len())
}

/// The trust store, issuers and options of the seal and document verifiers: the configuration's, the ones given, or
/// the embedded demo PKI's.
fn seal_trust(
    args: &SealTrustArgs,
) -> Result<(qoltanba::TrustStore, qoltanba::Issuers, VerifyOptions), BadInput> {
    let (store, issuers) = match (&args.config, args.trust.is_empty()) {
        (Some(config), _) => {
            qoltanba::ServiceConfig::load(Some(config), |name| std::env::var(name).ok())
                .and_then(|c| c.verification())
                .map_err(|e| BadInput(e.to_string()))?
        }
        (None, true) => (
            qoltanba::demo_trust_store().map_err(|e| BadInput(e.to_string()))?,
            qoltanba::demo_issuers().map_err(|e| BadInput(e.to_string()))?,
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
                    rules.push(qoltanba::IssuerRule::certificate(
                        format!("{} ({})", cert.subject(), path.display()),
                        &cert,
                    ));
                    pinned.push(path.clone());
                }
            }
            for bin in &args.issuer_bin {
                let bin = Bin::parse(bin).map_err(|e| BadInput(format!("--issuer-bin: {e}")))?;
                rules.push(qoltanba::IssuerRule::organisation(
                    format!("BIN {bin}"),
                    bin,
                    Vec::new(),
                ));
            }
            let intermediates: Vec<PathBuf> =
                args.intermediates.iter().cloned().chain(pinned).collect();
            let store = build_store(&args.trust, &intermediates, &args.crl)
                .map_err(|e| BadInput(e.to_string()))?;
            (store, qoltanba::Issuers::new(rules))
        }
    };
    let mut opts = VerifyOptions::at(now());
    opts.revocation = args.revocation.into();
    Ok((store, issuers, opts))
}

fn serve(
    config: Option<&std::path::Path>,
    listen: Option<std::net::SocketAddr>,
    data: Option<PathBuf>,
) -> Result<(), BadInput> {
    let mut config = qoltanba::ServiceConfig::load(config, |name| std::env::var(name).ok())
        .map_err(|e| BadInput(e.to_string()))?;
    if let Some(listen) = listen {
        config.listen = listen;
    }
    if let Some(data) = data {
        config.data = data;
    }
    let started = qoltanba::start(&config, now()).map_err(|e| BadInput(e.to_string()))?;
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
    qoltanba::serve_node(started.node, &config, |listen| {
        say!("Qoltanba listening on http://{listen}")
    })
    .map_err(|e| BadInput(e.to_string()))
}

fn revoke_token(
    name: &str,
    config: Option<&std::path::Path>,
    data: Option<PathBuf>,
) -> Result<String, BadInput> {
    let registry = existing_registry(config, data)?;
    match registry.revoke_token(name, "qoltanba revoke-token", now()) {
        Ok(true) => Ok(format!("token {name:?} revoked")),
        Ok(false) => Err(BadInput(format!("no token named {name:?} is in force"))),
        Err(e) => Err(BadInput(e.to_string())),
    }
}

fn audit_verify(
    config: Option<&std::path::Path>,
    data: Option<PathBuf>,
) -> Result<Vec<qoltanba::ChainReport>, BadInput> {
    let registry = existing_registry(config, data)?;
    qoltanba::verify_audit(registry.as_ref()).map_err(|e| BadInput(e.to_string()))
}

/// The registry the configuration names, which must exist already (a command that reads or changes it never
/// creates an empty one by mistake).
fn existing_registry(
    config: Option<&std::path::Path>,
    data: Option<PathBuf>,
) -> Result<std::sync::Arc<dyn qoltanba::Registry>, BadInput> {
    let mut config = qoltanba::ServiceConfig::load(config, |name| std::env::var(name).ok())
        .map_err(|e| BadInput(e.to_string()))?;
    if let Some(data) = data {
        config.data = data;
    }
    if config.registry == qoltanba::RegistryLocation::Sqlite
        && !config.data.join("registry.db").is_file()
    {
        return Err(BadInput(format!(
            "{}: no registry here",
            config.data.join("registry.db").display()
        )));
    }
    let (registry, _) = qoltanba::open_registry(&config).map_err(|e| BadInput(e.to_string()))?;
    Ok(registry)
}

fn verify_seal(args: &VerifySealArgs) -> Result<qoltanba::SealReport, BadInput> {
    let (store, issuers, opts) = seal_trust(&args.against)?;
    let texts: Vec<&str> = args.barcode.iter().map(String::as_str).collect();
    let trust = qoltanba::SealTrust {
        store: &store,
        issuers: &issuers,
    };
    qoltanba::verify_barcode(trust, &texts, &opts).map_err(|e| BadInput(e.to_string()))
}

fn verify_document(args: &VerifyDocumentArgs) -> Result<qoltanba::DocumentReport, BadInput> {
    let (store, issuers, opts) = seal_trust(&args.against)?;
    let pdf = read_input(&args.pdf, qoltanba::MAX_PDF as u64)?;
    let trust = qoltanba::SealTrust {
        store: &store,
        issuers: &issuers,
    };
    qoltanba::verify_document(trust, &pdf, &opts)
        .map_err(|e| BadInput(format!("{}: {e}", args.pdf.display())))
}

fn forms(command: &FormsCommand) -> Result<String, BadInput> {
    use std::fmt::Write;
    let catalogue = qoltanba::catalogue().map_err(|e| BadInput(e.to_string()))?;
    let mut out = String::new();
    match command {
        FormsCommand::List => {
            for t in catalogue.values() {
                let _ = writeln!(
                    out,
                    "{}  [{}]  {} / {}",
                    t.id, t.family, t.name.kk, t.name.ru
                );
                for f in &t.fields {
                    let _ = writeln!(
                        out,
                        "    {:<24} {:<10} {}",
                        f.name,
                        format!("{:?}", f.kind).to_lowercase(),
                        f.description
                    );
                }
            }
        }
        FormsCommand::Sample { form } => {
            let t = qoltanba::form(form).map_err(|e| BadInput(e.to_string()))?;
            out = serde_json::to_string_pretty(&t.sample()).map_err(|e| BadInput(e.to_string()))?;
        }
    }
    Ok(out.trim_end().to_string())
}

fn issue(args: &IssueArgs) -> Result<String, BadInput> {
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
    // The embedded default signs with the demo provider's key; a configuration with its provider's.
    let signer = match &args.config {
        Some(config) => {
            qoltanba::ServiceConfig::load(Some(config), |name| std::env::var(name).ok())
                .and_then(|c| c.issuing_signer(now()))
                .map_err(|e| BadInput(format!("{}: {e}", config.display())))?
        }
        None => qoltanba::demo_provider_signer().map_err(|e| BadInput(e.to_string()))?,
    };
    let sealing = qoltanba::Sealing {
        signer: &signer,
        mode: args.seal_mode.into(),
    };
    let doc = qoltanba::issue(&args.form, &data, &number, issued_at, Some(sealing))
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

fn write_demo_pki(out: &std::path::Path) -> Result<usize, String> {
    let files = qoltanba::generate_demo_pki().map_err(|e| e.to_string())?;
    for f in &files {
        let path = out.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &f.contents).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(files.len())
}
