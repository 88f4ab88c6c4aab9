//! How outcomes are printed: reports as text or JSON on stdout, errors on stderr.

use std::process::ExitCode;

use qoltanba::Report;

use super::commands::{bad_input_report, now, Outcome};
use crate::say;

/// Prints `outcome` and gives the exit code it means (README, "The CLI"): 0 valid or done, 1 verified and
/// invalid, 2 bad usage or unreadable input.
pub(crate) fn finish(outcome: Outcome) -> ExitCode {
    match outcome {
        Outcome::Certificate { report, json } => {
            print_report(&report, json);
            exit_for(&report)
        }
        Outcome::Cms { report, json } => {
            if json {
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
        Outcome::Pdf { report, json } => {
            if json {
                print_json(&report);
            } else {
                print_report(&report.report, false);
                say!("revisions: {}", report.revisions);
                for (i, s) in report.signatures.iter().enumerate() {
                    say!(
                        "signature {} ({}, field \"{}\"): {:?}, {}{}{}",
                        i + 1,
                        s.sub_filter,
                        s.field,
                        s.report.indication,
                        if s.covers_whole_file {
                            "covers the whole file".to_string()
                        } else {
                            format!("covers bytes up to {}", s.byte_range[2] + s.byte_range[3])
                        },
                        s.best_signature_time
                            .as_deref()
                            .map(|t| format!(", timestamped {t}"))
                            .unwrap_or_default(),
                        s.claimed_signing_time
                            .as_deref()
                            .map(|t| format!(", claims {t}"))
                            .unwrap_or_default()
                    );
                    for a in &s.appended {
                        say!("  appended after it: {a}");
                    }
                }
            }
            exit_for(&report.report)
        }
        Outcome::Xml { report, json } => {
            if json {
                print_json(&report);
            } else {
                print_report(&report.report, false);
                say!("signed element: {}", report.signed_element);
                for (i, s) in report.signatures.iter().enumerate() {
                    say!(
                        "signature {} at {}: {:?}, {}",
                        i + 1,
                        s.path,
                        s.report.indication,
                        s.signature_method
                    );
                    for r in &s.references {
                        say!(
                            "  reference \"{}\": digest {}, covers {}",
                            r.uri,
                            if r.digest_valid { "valid" } else { "INVALID" },
                            r.covers
                                .as_ref()
                                .map(|c| c.path.as_str())
                                .unwrap_or("nothing")
                        );
                    }
                }
            }
            exit_for(&report.report)
        }
        Outcome::Seal { report, json } => {
            if json {
                print_json(&report);
            } else {
                print_seal(&report);
            }
            exit_for(&report.report)
        }
        Outcome::Document { report, json } => {
            if json {
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
        Outcome::Audit { chains, json } => {
            if json {
                print_json(&chains);
            } else {
                for c in &chains {
                    let state = match &c.broken {
                        None => "intact".to_string(),
                        Some(qoltanba::AuditBreak::Altered { id, seq }) => {
                            format!("BROKEN at entry {seq} (row {id}): changed")
                        }
                        Some(qoltanba::AuditBreak::OutOfSequence {
                            id,
                            expected,
                            found,
                        }) => format!(
                            "BROKEN at entry {expected}: missing (row {id} is entry {found})"
                        ),
                        Some(qoltanba::AuditBreak::Head { head_seq, last_seq }) => format!(
                            "BROKEN at its end: the head says {head_seq} entries, the log has {last_seq}"
                        ),
                    };
                    say!(
                        "chain {}: {} entries checked, {state}; head {} {}",
                        c.head.chain,
                        c.checked,
                        c.head.seq,
                        c.head.hash
                    );
                }
            }
            if chains.iter().any(|c| c.broken.is_some()) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Outcome::Done(line) => {
            if !line.is_empty() {
                say!("{line}");
            }
            ExitCode::SUCCESS
        }
        Outcome::Bad { error, json } => {
            eprintln!("error: {}", error.0);
            if json {
                print_report(&bad_input_report(&error.0, now()), true);
            }
            ExitCode::from(2)
        }
    }
}

fn print_seal(report: &qoltanba::SealReport) {
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

fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => say!("{s}"),
        Err(e) => eprintln!("cannot print the report: {e}"),
    }
}

pub(crate) fn print_report(report: &Report, json: bool) {
    if json {
        print_json(report);
        return;
    }
    let verdict = match report.indication {
        qoltanba::Indication::TotalPassed => "VALID",
        qoltanba::Indication::TotalFailed => "INVALID",
        qoltanba::Indication::Indeterminate => "INDETERMINATE",
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
    if report.revocation_checked == qoltanba::RevocationMode::None && !report.chain.is_empty() {
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
