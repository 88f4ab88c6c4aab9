//! Replays the fuzz corpora kept in `fuzz/corpus/` (and any crasher kept in `fuzz/regressions/`) through the very
//! functions the fuzz targets run (`fuzz/targets.rs`): every input must be answered without a panic. This keeps what
//! the fuzzers found (README, "Fuzzing") as a regression suite that needs neither a nightly feature nor libFuzzer.

#[path = "../../fuzz/targets.rs"]
mod targets;

fn replay(target: &str, run: fn(&[u8])) {
    replay_corpus(target, target, run);
}

/// Replays the corpus `corpus` and the crashers kept for `target`.
fn replay_corpus(corpus: &str, target: &str, run: fn(&[u8])) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for (kind, name) in [("corpus", corpus), ("regressions", target)] {
        let dir = root.join(kind).join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert!(kind == "regressions", "{} is missing", dir.display());
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("read");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{} panicked", file.display());
            count += 1;
        }
    }
    assert!(count > 0, "no corpus for {target}");
}

#[test]
fn certificate() {
    replay("certificate", targets::certificate);
}

#[test]
fn crl() {
    replay("crl", targets::crl);
}

#[test]
fn cms() {
    replay("cms", targets::cms);
}

#[test]
fn keyfile() {
    replay("keyfile", targets::keyfile);
}

#[test]
fn seal() {
    replay("seal", targets::seal);
}

#[test]
fn pdf() {
    replay("pdf", targets::pdf);
}

#[test]
fn form_data() {
    replay("form_data", targets::form_data);
}

#[test]
fn config() {
    replay("config", targets::config);
}

#[test]
fn xml() {
    replay("xml", targets::xml);
}

#[test]
fn xml_differential() {
    // The differential fuzzes the XML corpus (fuzz/run.sh).
    replay_corpus("xml", "xml_differential", targets::xml_differential);
}
