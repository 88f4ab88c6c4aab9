//! The seal's library core: every form seals and verifies in both modes; tampering, a foreign signer, a revoked
//! signer and an unknown key id give their verdicts. (QR symbols in the PDF, `verify-document` and the zbarimg
//! interop come with the rest of issue 5.)

use crate::common;
use crate::common::seal::{opts, vector_content};
use qoltanba::{seal, verify_seal, SealMode};

const ISSUED: i64 = 1_795_428_000; // 2026-11-23T10:00:00Z

/// Prints the vector's layers for docs/seal.md (`cargo test --test seal print_vector -- --ignored --nocapture`).
#[test]
#[ignore]
fn print_vector() {
    let _machine = crate::common::shared_machine();
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let texts = seal(&vector_content(), &provider, SealMode::Compact).expect("seal");
    println!("{}", texts[0]);
    let b45 = texts[0].strip_prefix("QLT1:").expect("prefix");
    let zlib = qoltanba::base45_decode(b45).expect("b45");
    let cose = miniz_oxide::inflate::decompress_to_vec_zlib(&zlib).expect("zlib");
    println!(
        "COSE_Sign1 ({} bytes): {}",
        cose.len(),
        cose.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
}

/// Every form issued with its seal: the QR symbols on the rendered pages (pdftoppm at 300 dpi, Debian package
/// `poppler-utils`) are read by an independent decoder (zbarimg, Debian package `zbar-tools`) as exactly the texts
/// we encoded, and those texts verify.
#[test]
fn printed_symbols_read_back_with_zbarimg_and_verify() {
    let _machine = crate::common::shared_machine();
    common::tools::need_tool("pdftoppm", "poppler-utils");
    common::tools::need_tool("zbarimg", "zbar-tools");
    let store = qoltanba::demo_trust_store().expect("store");
    let provider = qoltanba::demo_provider_signer().expect("provider");
    let dir = tempfile::tempdir().expect("tempdir");
    for id in qoltanba::catalogue().expect("forms").keys() {
        for mode in [SealMode::Compact, SealMode::Full] {
            let sample = qoltanba::form(id).expect("form").sample();
            let sealing = qoltanba::Sealing {
                signer: &provider,
                mode,
            };
            let doc = qoltanba::issue(id, &sample, "QLT-2026-000002", ISSUED, Some(sealing))
                .expect("issue");
            assert!(!doc.seal.is_empty());
            let pdf = dir.path().join(format!("{id}-{mode:?}.pdf"));
            std::fs::write(&pdf, &doc.pdf).expect("write");
            let prefix = dir.path().join(format!("{id}-{mode:?}"));
            let out = std::process::Command::new("pdftoppm")
                .args(["-r", "300", "-gray", "-png"])
                .arg(&pdf)
                .arg(&prefix)
                .output()
                .expect("pdftoppm");
            assert!(out.status.success());
            let pages: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
                .expect("dir")
                .map(|e| e.expect("entry").path())
                .filter(|p| {
                    p.to_string_lossy().starts_with(&*prefix.to_string_lossy())
                        && p.extension().is_some_and(|e| e == "png")
                })
                .collect();
            let out = std::process::Command::new("zbarimg")
                .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
                .args(&pages)
                .output()
                .expect("zbarimg");
            let mut read: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .filter(|l| !l.is_empty())
                .collect();
            let mut expected = doc.seal.clone();
            read.sort();
            expected.sort();
            assert_eq!(
                read, expected,
                "{id} {mode:?}: zbarimg reads what we encoded"
            );
            let refs: Vec<&str> = read.iter().map(String::as_str).collect();
            let r = verify_seal(common::trust(&store), &refs, &opts()).expect("verify");
            assert!(r.report.valid, "{id} {mode:?}: {:?}", r.report.messages);
            // And the PDF itself verifies: symbols found and decoded in-process, content matches the document.
            let d = qoltanba::verify_document(common::trust(&store), &doc.pdf, &opts())
                .expect("verify document");
            assert!(
                d.seal.report.valid,
                "{id} {mode:?}: {:?}",
                d.seal.report.messages
            );
            assert_eq!(d.symbols, doc.seal.len(), "{id} {mode:?}");
            for p in pages {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}
