//! The layers of ARCHITECTURE.md, checked: no top-level module imports one of a higher rank, no two top-level
//! modules import each other round a cycle, and inside `pki` the only cycle is `validate` ↔ `revocation`.
//!
//! A small reader of `crate::` paths (and `qoltanba::` in the binary) rather than a tool: it needs nothing beyond
//! the repository, and the table it checks against is the one in ARCHITECTURE.md, so the document cannot drift.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `(rank, module)` rows of ARCHITECTURE.md's layer table.
fn layer_table(architecture: &str) -> BTreeMap<String, u32> {
    let mut ranks = BTreeMap::new();
    for line in architecture.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 {
            continue;
        }
        let Ok(rank) = cells[1].parse::<u32>() else {
            continue;
        };
        for module in cells[2].split(',') {
            let module = module.trim().trim_matches('`');
            if !module.is_empty() {
                ranks.insert(module.to_string(), rank);
            }
        }
    }
    ranks
}

/// A source file's code without its comments (`//` to the end of the line; doc links are not imports).
fn code_of(source: &str) -> String {
    source
        .lines()
        .map(|l| match l.find("//") {
            // `"http://…"` in a string is cut too: only the rest of that line is lost, which names no module.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names after each `prefix` (`crate::`) in `code`.
fn paths_after<'a>(code: &'a str, prefix: &str) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 {
            out.insert(&rest[..end]);
        }
    }
    out
}

/// The top-level module a file of `src/` belongs to: `pki` for `pki/validate.rs`, `cli` for the binary.
fn top_module(relative: &str) -> Option<&str> {
    match relative {
        "lib.rs" => None,
        "main.rs" => Some("cli"),
        r => Some(
            r.split('/')
                .next()
                .map(|first| first.trim_end_matches(".rs"))
                .unwrap_or(r),
        ),
    }
}

/// Every rule broken by `files` (path relative to `src/`, contents) against `ranks`.
fn violations(files: &[(String, String)], ranks: &BTreeMap<String, u32>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, source) in files {
        let Some(from) = top_module(path) else {
            continue;
        };
        let Some(&from_rank) = ranks.get(from) else {
            problems.push(format!(
                "src/{path}: module `{from}` is not in ARCHITECTURE.md's layer table"
            ));
            continue;
        };
        let code = code_of(source);
        let prefix = if from == "cli" {
            "qoltanba::"
        } else {
            "crate::"
        };
        let mut targets = paths_after(&code, prefix);
        if from == "cli" {
            targets.extend(paths_after(&code, "crate::"));
        }
        for to in targets {
            if to == from {
                continue;
            }
            let Some(&to_rank) = ranks.get(to) else {
                if from != "cli" {
                    problems.push(format!(
                        "src/{path}: imports `{to}`, which is not in the table"
                    ));
                }
                continue;
            };
            if to_rank > from_rank {
                problems.push(format!(
                    "src/{path}: `{from}` (rank {from_rank}) imports `{to}` (rank {to_rank}), a layer above it"
                ));
            }
            edges.insert((from.to_string(), to.to_string()));
        }
    }
    for cycle in cycles(&edges) {
        problems.push(format!(
            "top-level modules import each other: {}",
            cycle.join(" -> ")
        ));
    }
    problems
}

/// The strongly connected groups (of more than one module) of a directed graph, each listed in order.
fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let reaches = |from: &String, to: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            for (a, b) in edges {
                if a == n && seen.insert(b) {
                    if b == to {
                        return true;
                    }
                    stack.push(b);
                }
            }
        }
        false
    };
    let mut groups: Vec<Vec<String>> = Vec::new();
    for n in &nodes {
        if groups.iter().any(|g| g.contains(n)) {
            continue;
        }
        let group: Vec<String> = nodes
            .iter()
            .filter(|m| *m == n || (reaches(n, m) && reaches(m, n)))
            .map(|m| m.to_string())
            .collect();
        if group.len() > 1 {
            groups.push(group);
        }
    }
    groups
}

/// `src/`'s `.rs` files, relative paths with `/`.
fn sources(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(base)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((relative, std::fs::read_to_string(&path).expect("source")));
        }
    }
}

fn project() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_module_imports_upward_or_round_a_cycle() {
    let architecture =
        std::fs::read_to_string(project().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let ranks = layer_table(&architecture);
    assert!(
        ranks.len() >= 15,
        "the layer table was not found: {ranks:?}"
    );
    let src = project().join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    let problems = violations(&files, &ranks);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every module in the table exists.
    for module in ranks.keys().filter(|m| *m != "cli") {
        assert!(
            src.join(module).is_dir() || src.join(format!("{module}.rs")).is_file(),
            "ARCHITECTURE.md lists `{module}`, which src/ does not have"
        );
    }
}

#[test]
fn inside_pki_the_only_cycle_is_validation_and_revocation() {
    let dir = project().join("src/pki");
    let mut edges = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("pki") {
        let path = entry.expect("entry").path();
        let from = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .to_string();
        if from == "mod" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).expect("source"));
        for prefix in ["crate::pki::", "super::"] {
            for to in paths_after(&code, prefix) {
                if to != from && dir.join(format!("{to}.rs")).is_file() {
                    edges.insert((from.clone(), to.to_string()));
                }
            }
        }
    }
    assert_eq!(
        cycles(&edges),
        vec![vec!["revocation".to_string(), "validate".to_string()]]
    );
}

/// The check itself fails on a planted upward import, a cycle, and a module missing from the table.
#[test]
fn the_check_catches_an_upward_import_and_a_cycle() {
    let ranks =
        layer_table("| 0 | `encoding` | x |\n| 3 | `pki` | y |\n| 5 | `cms`, `seal` | z |\n");
    let file = |path: &str, code: &str| (path.to_string(), code.to_string());
    let clean = [
        file("pki/cert.rs", "use crate::encoding::hex;"),
        file(
            "cms/mod.rs",
            "use crate::pki::Certificate; // see crate::http",
        ),
        file("seal/mod.rs", "use crate::cms::CmsSigner;"),
    ];
    assert_eq!(violations(&clean, &ranks), Vec::<String>::new());

    let upward = [file("pki/validate.rs", "fn f() { crate::cms::verify(); }")];
    let found = violations(&upward, &ranks);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("a layer above it"), "{found:?}");

    let cycle = [
        file("cms/mod.rs", "use crate::seal::Seal;"),
        file("seal/mod.rs", "use crate::cms::CmsSigner;"),
    ];
    let found = violations(&cycle, &ranks);
    assert!(found.iter().any(|p| p.contains("cms -> seal")), "{found:?}");

    let unknown = [file("xml/mod.rs", "")];
    assert!(violations(&unknown, &ranks)[0].contains("not in ARCHITECTURE.md"));
}

/// A dotted OID written as a string literal in `code`, if any (e.g. `"2.5.29.19"`).
fn dotted_oid_literal(code: &str) -> Option<&str> {
    code.split('"').skip(1).step_by(2).find(|s| {
        let arcs: Vec<&str> = s.split('.').collect();
        // An OID's first arc is 0, 1 or 2 (which also tells it from a version such as "3.1.0").
        arcs.len() >= 3
            && matches!(arcs[0], "0" | "1" | "2")
            && arcs
                .iter()
                .all(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Every OID the code compares is a typed constant of `encoding::oid` (ARCHITECTURE.md, "Layers"): a dotted string
/// anywhere else is an OID compared as text, where a typo compiles into a different OID.
#[test]
fn oids_are_named_in_one_place() {
    assert_eq!(
        dotted_oid_literal(r#"match o { "2.5.29.19" => 1 }"#),
        Some("2.5.29.19")
    );
    assert_eq!(
        dotted_oid_literal(r#"let v = "1.2"; let w = "a.b.c";"#),
        None
    );
    let src = project().join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    let mut found = Vec::new();
    for (path, source) in &files {
        if path == "encoding/oid.rs" {
            continue;
        }
        // Unit tests may spell an OID out to check a decoder independently of the table.
        let code = code_of(source.split("#[cfg(test)]").next().unwrap_or(source));
        for line in code.lines() {
            if let Some(oid) = dotted_oid_literal(line) {
                found.push(format!("{path}: {oid}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "dotted OIDs outside encoding/oid.rs:\n{}",
        found.join("\n")
    );
}
