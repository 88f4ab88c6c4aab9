//! The `qoltanba` command: a thin shell over the library. Exit codes (design.md §4): 0 valid, 1 verified and
//! invalid, 2 bad usage or unreadable input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Generate the demo PKI (NCA profile) into a directory.
    DemoPki {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
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

#[derive(Args)]
struct VerifyCertArgs {
    /// The certificate to verify (PEM or DER).
    #[arg(long)]
    cert: PathBuf,
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
    #[arg(long, value_enum, default_value = "sign")]
    purpose: PurposeArg,
    #[arg(long, value_enum, default_value = "all")]
    revocation: RevocationArg,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Bad input: printed, and as a MALFORMED report with `--json`; exit code 2.
struct BadInput(String);

fn bad_input_report(message: &str, at: i64) -> Report {
    let mut f = Findings::default();
    f.add(Code::Malformed, message);
    f.into_report(None, Vec::new(), rfc3339(at), "none")
}

fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn parse_time(s: &str) -> Result<i64, BadInput> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| BadInput(format!("--at: not an RFC 3339 time ({e})")))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn verify_cert(args: &VerifyCertArgs) -> Result<Report, BadInput> {
    let at = match &args.at {
        Some(s) => parse_time(s)?,
        None => now(),
    };
    let iin = args
        .iin
        .as_deref()
        .map(Iin::parse)
        .transpose()
        .map_err(|e| BadInput(format!("--iin: {e}")))?;
    let bin = args
        .bin
        .as_deref()
        .map(Bin::parse)
        .transpose()
        .map_err(|e| BadInput(format!("--bin: {e}")))?;
    let mut certs = load_certificates(&args.cert).map_err(|e| BadInput(e.to_string()))?;
    if certs.len() != 1 {
        return Err(BadInput(format!(
            "{}: expected one certificate, found {}",
            args.cert.display(),
            certs.len()
        )));
    }
    let leaf = certs.remove(0);
    let store = build_store(&args.trust, &args.intermediates, &args.crl)
        .map_err(|e| BadInput(e.to_string()))?;
    let opts = VerifyOptions {
        at,
        purpose: match args.purpose {
            PurposeArg::Sign => Purpose::Sign,
            PurposeArg::Auth => Purpose::Auth,
            PurposeArg::Any => Purpose::Any,
        },
        revocation: match args.revocation {
            RevocationArg::All => RevocationMode::All,
            RevocationArg::Leaf => RevocationMode::Leaf,
            RevocationArg::None => RevocationMode::None,
        },
        iin,
        bin,
    };
    Ok(store.verify_certificate(&leaf, &[], &opts))
}

fn print_report(report: &Report, json: bool) {
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("cannot print the report: {e}"),
        }
        return;
    }
    let verdict = match report.indication {
        qoltanba::pki::Indication::TotalPassed => "VALID",
        qoltanba::pki::Indication::TotalFailed => "INVALID",
        qoltanba::pki::Indication::Indeterminate => "INDETERMINATE",
    };
    println!(
        "{verdict} ({:?}) at {}",
        report.indication, report.validation_time
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
        println!("subject: {}", who.join(", "));
    }
    for (i, c) in report.chain.iter().enumerate() {
        println!(
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
        println!("revocation was not checked (--revocation none)");
    }
    for code in &report.codes {
        println!("code: {}", code.as_str());
    }
    for m in &report.messages {
        println!("- {m}");
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
                print_report(&report, args.json);
                exit_for(&report)
            }
            Err(BadInput(message)) => {
                eprintln!("error: {message}");
                if args.json {
                    print_report(&bad_input_report(&message, now()), true);
                }
                ExitCode::from(2)
            }
        },
        Command::DemoPki { out } => match write_demo_pki(&out) {
            Ok(n) => {
                println!("wrote {n} files to {}", out.display());
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
