//! Configuration of `qoltanba serve` (issue 6): a TOML file with environment overrides sets the trust store,
//! CRLs, the provider's signer, provider details, calendar decrees and hashed tokens; mistakes are reported by
//! setting, and a signer whose certificate would not verify keeps the service from starting.

use crate::common;
use crate::common::config::config_dir;
use qoltanba::{ConfigError, ServiceConfig};
use qoltanba::{Registry, SqliteRegistry, TokenRole};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

const NOW: i64 = 1_795_000_000; // 2026-11-18

fn load(dir: &Path, vars: &[(&str, &str)]) -> Result<ServiceConfig, ConfigError> {
    ServiceConfig::load(Some(&dir.join("qoltanba.toml")), env(vars))
}

#[test]
fn no_configuration_is_the_embedded_default() {
    let c = ServiceConfig::load(None, env(&[])).expect("default");
    assert!(c.is_demo());
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.data, Path::new("data"));
    let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
    let state = c.node(registry, NOW).expect("state");
    assert_eq!(state.provider.place, "Астана қ.");
}

#[test]
fn a_file_sets_trust_signer_provider_calendar_and_tokens() {
    let token = "qlt_test-token-for-the-config";
    let hash = qoltanba::token_sha256_hex(token);
    // The portal signing service, on: a key of its own (the employee's), never the provider's.
    let dir = config_dir(&format!(
        "\n[[tokens]]\nname = \"egov\"\nrole = \"portal\"\nsha256 = \"{hash}\"\n\n[portal_signer]\nkey = \"pki/legal-employee.key.pem\"\ncert = \"pki/legal-employee.pem\"\n"
    ));
    let c = load(dir.path(), &[]).expect("load");
    assert!(!c.is_demo());
    assert_eq!(c.listen.to_string(), "127.0.0.1:9999");
    // Relative paths are the file's directory's.
    assert_eq!(c.data, dir.path().join("state"));
    assert_eq!(c.anchors, [dir.path().join("pki/root-ca.pem")]);
    assert_eq!(c.days_off.len(), 1);
    let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
    let state = c.node(registry.clone(), NOW).expect("state");
    assert_eq!(state.provider.place, "Алматы қ.");
    assert!(!state
        .calendar
        .is_working_day(time::macros::date!(2026 - 05 - 27)));
    assert_eq!(c.install_tokens(registry.as_ref(), 0).expect("tokens"), 1);
    assert_eq!(c.install_tokens(registry.as_ref(), 0).expect("again"), 0);
    let found = registry
        .token_by_hash(&qoltanba::token_sha256(token))
        .expect("lookup");
    assert_eq!(
        found,
        Some(qoltanba::TokenHolder::new("egov", TokenRole::Portal))
    );

    // The environment overrides the file.
    let c = load(
        dir.path(),
        &[
            ("QOLTANBA_LISTEN", "127.0.0.1:7000"),
            ("QOLTANBA_DATA", "/tmp/q"),
        ],
    )
    .expect("load");
    assert_eq!(c.listen.to_string(), "127.0.0.1:7000");
    assert_eq!(c.data, Path::new("/tmp/q"));
}

#[test]
fn mistakes_are_reported_by_setting() {
    let err = |extra: &str, vars: &[(&str, &str)]| {
        let dir = config_dir(extra);
        load(dir.path(), vars).expect_err("must fail").to_string()
    };
    assert!(
        err("surprise = 1\n", &[]).contains("unknown field"),
        "{}",
        err("surprise = 1\n", &[])
    );
    assert!(err("", &[("QOLTANBA_LISTEN", "nowhere")]).contains("listen"));
    let bad_token = "\n[[tokens]]\nname = \"x\"\nrole = \"portal\"\nsha256 = \"abc\"\n";
    assert!(err(bad_token, &[]).contains("tokens.x.sha256"));
    let bad_role = format!(
        "\n[[tokens]]\nname = \"x\"\nrole = \"admin\"\nsha256 = \"{}\"\n",
        "0".repeat(64)
    );
    assert!(err(&bad_role, &[]).contains("tokens.role"));
    // A token bound to a provider the node does not have.
    let stray = format!(
        "\n[[tokens]]\nname = \"x\"\nrole = \"operator\"\nprovider = \"north\"\nsha256 = \"{}\"\n",
        "0".repeat(64)
    );
    assert!(
        err(&stray, &[]).contains("tokens.x.provider"),
        "{}",
        err(&stray, &[])
    );
    let missing = ServiceConfig::load(Some(Path::new("/nonexistent/q.toml")), env(&[]));
    assert!(matches!(missing, Err(ConfigError::File { .. })));

    // Trust without a signer (or a signer without trust) is refused rather than guessed.
    let only_trust = ServiceConfig::load(None, env(&[("QOLTANBA_TRUST", "certs/root-ca.pem")]));
    assert!(
        matches!(only_trust, Err(ConfigError::Incomplete(_))),
        "{only_trust:?}"
    );

    // A key that is not the certificate's.
    let dir = config_dir("");
    let certs = common::project_dir().join("certs");
    let wrong_key = certs.join("individual-sign.key.pem");
    let c = load(
        dir.path(),
        &[
            ("QOLTANBA_SIGNER_KEY", wrong_key.to_str().expect("path")),
            (
                "QOLTANBA_SIGNER_CERT",
                dir.path()
                    .join("pki/provider-signer.pem")
                    .to_str()
                    .expect("path"),
            ),
        ],
    )
    .expect("load");
    let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
    let e = match c.node(registry, NOW) {
        Ok(_) => panic!("a key that is not the certificate's was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("signer"), "{e}");

    // The portal signing service with the provider's own key: refused (it would mint provider signatures).
    let dir = config_dir(
        "\n[portal_signer]\nkey = \"pki/provider-signer.key.pem\"\ncert = \"pki/provider-signer.pem\"\n",
    );
    let c = load(dir.path(), &[]).expect("load");
    let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
    let e = c.node(registry, NOW).err().expect("refused").to_string();
    assert!(
        e.contains("portal_signer") && e.contains("never the provider's"),
        "{e}"
    );
    // Issuers, limits.
    assert!(err("\n[[issuers]]\nname = \"x\"\n", &[]).contains("certificates, a bin"));
    assert!(err(
        "\n[[issuers]]\nname = \"x\"\nbin = \"040840001231\"\nroles = [\"king\"]\n",
        &[]
    )
    .contains("not a role"));
    assert!(
        err("\n[[issuers]]\nname = \"x\"\nbin = \"040840001239\"\n", &[]).contains("issuers.x.bin")
    );
    assert!(err("\n[limits]\npublic_body_limit = 1000\n", &[]).contains("public_body_limit"));
    assert!(err("\n[limits]\njobs = 0\n", &[]).contains("at least 1"));
    assert!(err("\n[limits]\nio_threads = 0\n", &[]).contains("I/O threads"));
    let dir = config_dir("\n[limits]\nio_threads = 3\n");
    assert_eq!(load(dir.path(), &[]).expect("load").limits.io_threads, 3);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let dir = config_dir("");
    assert_eq!(
        load(dir.path(), &[]).expect("load").limits.io_threads,
        (cores / 2).max(1),
        "half the cores by default"
    );
    // Issuers that leave out the signer: its documents would not verify.
    let dir = config_dir("\n[[issuers]]\nname = \"other\"\nbin = \"040840001231\"\n");
    let c = load(dir.path(), &[]).expect("load");
    let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
    let e = c.node(registry, NOW).err().expect("refused").to_string();
    assert!(e.contains("not among the issuers"), "{e}");
}

#[test]
fn a_signer_that_would_not_verify_keeps_the_service_from_starting() {
    let dir = config_dir("");
    // No CRLs: the signer's revocation status is unknown, and the service's own verifier would say so.
    let c = load(dir.path(), &[("QOLTANBA_CRL", "")]).expect("load");
    let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
    let Err(e) = c.node(registry, NOW) else {
        panic!("a signer with no revocation information was accepted");
    };
    assert!(
        matches!(&e, ConfigError::SignerUntrusted(codes) if codes.contains("REVOCATION_UNKNOWN")),
        "{e}"
    );
    // After its validity, neither.
    let c = load(dir.path(), &[]).expect("load");
    let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
    let late = c.node(registry, 4_102_444_800); // 2100
    assert!(matches!(late, Err(ConfigError::SignerUntrusted(_))));
}

/// The example in `docs/` is a working configuration.
#[test]
fn the_documented_example_loads() {
    let path = common::project_dir().join("docs/qoltanba.example.toml");
    let c = ServiceConfig::load(Some(&path), env(&[])).expect("example");
    assert!(!c.is_demo());
    let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
    assert!(c.node(registry, NOW).is_ok());
}

/// Every environment variable the service reads is documented in README's configuration table, so an operator
/// never meets a setting only the source mentions.
#[test]
fn every_environment_variable_is_in_the_readme() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    assert!(qoltanba::ENV_VARS.len() >= 8, "{:?}", qoltanba::ENV_VARS);
    for (name, what) in qoltanba::ENV_VARS {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README does not document {name} ({what})"
        );
    }
}

/// `[revocation]`: a responder makes ocsp-then-crl the default for both purposes, a purpose may choose its own,
/// the environment overrides the file, and OCSP without a responder, an unknown order or a URL that is not http(s)
/// is refused by setting.
#[test]
fn revocation_is_configured_per_purpose() {
    use qoltanba::RevocationSource as S;
    let parse = |text: &str, vars: &[(&str, &str)]| {
        ServiceConfig::from_toml(text, Path::new("."), env(vars))
    };
    let c = parse("", &[]).expect("default");
    assert_eq!(
        (c.revocation.verify, c.revocation.applications),
        (S::Crl, S::Crl)
    );
    assert!(c.revocation.crl_sources.is_empty());
    let c = parse(
        "[revocation]\nocsp = [\"http://ocsp.example/\"]\napplications_source = \"crl-then-ocsp\"\ncrls = [\"http://crl.example/a.crl\"]\ndelta_crls = [\"http://crl.example/d.crl\"]\n",
        &[],
    )
    .expect("ocsp");
    assert_eq!(c.revocation.verify, S::OcspThenCrl);
    assert_eq!(c.revocation.applications, S::CrlThenOcsp);
    assert_eq!(c.revocation.ocsp.responders, ["http://ocsp.example/"]);
    assert_eq!(
        c.revocation
            .crl_sources
            .iter()
            .map(|s| (s.url.as_str(), s.delta))
            .collect::<Vec<_>>(),
        [
            ("http://crl.example/a.crl", false),
            ("http://crl.example/d.crl", true)
        ]
    );
    let c = parse(
        "",
        &[
            ("QOLTANBA_OCSP", "http://a/ http://b/"),
            ("QOLTANBA_REVOCATION_SOURCE", "ocsp"),
        ],
    )
    .expect("env");
    assert_eq!(c.revocation.ocsp.responders, ["http://a/", "http://b/"]);
    assert_eq!(c.revocation.verify, S::Ocsp);
    // The scope: the whole path by default, the end entity only when asked (file or environment).
    use qoltanba::RevocationMode as M;
    assert_eq!(parse("", &[]).expect("default").revocation.scope, M::All);
    let leaf = parse("[revocation]\nscope = \"leaf\"\n", &[]).expect("leaf");
    assert_eq!(leaf.revocation.scope, M::Leaf);
    let env_chain = parse(
        "[revocation]\nscope = \"leaf\"\n",
        &[("QOLTANBA_REVOCATION_SCOPE", "chain")],
    )
    .expect("env");
    assert_eq!(env_chain.revocation.scope, M::All);
    for (text, setting) in [
        ("[revocation]\nscope = \"none\"\n", "revocation.scope"),
        ("[revocation]\nsource = \"ocsp\"\n", "revocation.source"),
        (
            "[revocation]\nsource = \"sometimes\"\n",
            "revocation.source",
        ),
        (
            "[revocation]\ncrls = [\"file:///etc/passwd\"]\n",
            "revocation.crls",
        ),
        (
            "[revocation]\nocsp_hash = \"md5\"\nocsp = [\"http://a/\"]\n",
            "revocation.ocsp_hash",
        ),
        (
            "[revocation]\nreverify_secs = 0\n",
            "revocation.reverify_secs",
        ),
    ] {
        match parse(text, &[]) {
            Err(ConfigError::Invalid { setting: s, .. }) => assert_eq!(s, setting, "{text}"),
            other => panic!("{text}: {:?}", other.map(|_| ())),
        }
    }
}

/// Further providers (`[[providers]]`): each with an id, its signer and its name. An id that is not one, an id or
/// a name given twice, a signer the trust store does not accept: each refused at start, naming the provider.
#[test]
fn further_providers_are_checked_at_start() {
    let node = |extra: &str| {
        let dir = config_dir(extra);
        let c = load(dir.path(), &[]).expect("load");
        let registry = Arc::new(SqliteRegistry::in_memory().expect("registry"));
        c.node(registry, NOW).map(|n| {
            n.offices
                .iter()
                .map(|o| {
                    (
                        o.id.clone(),
                        o.provider.authority.clone(),
                        o.provider.place.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let provider = |id: &str, authority: &str| {
        format!(
            "\n[[providers]]\nid = \"{id}\"\nauthority = \"{authority}\"\nplace = \"Шымкент қ.\"\n\
             [providers.signer]\nkey = \"pki/legal-employee.key.pem\"\ncert = \"pki/legal-employee.pem\"\n"
        )
    };
    let two = node(&provider("south", "Оңтүстік")).expect("two providers");
    assert_eq!(two.len(), 2);
    assert_eq!(two[0].0, "main");
    assert_eq!(
        two[1],
        ("south".into(), "Оңтүстік".into(), "Шымкент қ.".into())
    );
    let err = |extra: &str| node(extra).expect_err("refused").to_string();
    assert!(err(&provider("South!", "x")).contains("providers.South!"));
    assert!(err(&provider("main", "x")).contains("given twice"));
    let same_name = format!("{}{}", provider("a", "x"), provider("b", "x"));
    assert!(
        err(&same_name).contains("two providers are named"),
        "{}",
        err(&same_name)
    );
    let untrusted = provider("south", "x").replace("legal-employee", "provider-signer-missing");
    assert!(
        err(&untrusted).contains("providers.south.signer"),
        "{}",
        err(&untrusted)
    );
}

/// The registry is SQLite in the data directory unless a PostgreSQL URL is configured; the file may not hold its
/// password (the environment does), and nonsense is refused by setting.
#[test]
fn the_registry_setting_names_sqlite_or_postgres_and_keeps_passwords_out_of_the_file() {
    use qoltanba::RegistryLocation;
    let parse = |text: &str, vars: &[(&str, &str)]| {
        ServiceConfig::from_toml(text, Path::new("."), env(vars))
    };
    assert_eq!(
        parse("", &[]).expect("default").registry,
        RegistryLocation::Sqlite
    );
    let c = parse(
        "registry = \"postgres://qoltanba@db.example:5432/qoltanba\"\nnode = \"node-1\"",
        &[("QOLTANBA_REGISTRY_PASSWORD", "s3cret")],
    )
    .expect("postgres");
    assert_eq!(
        c.registry,
        RegistryLocation::Postgres {
            url: "postgres://qoltanba@db.example:5432/qoltanba".into(),
            password: Some("s3cret".into()),
            node: "node-1".into(),
        }
    );
    assert!(
        !format!("{c:?}").contains("s3cret"),
        "the password never shows in a debug print"
    );
    let e = parse(
        "registry = \"postgres://qoltanba:s3cret@db.example/qoltanba\"",
        &[],
    )
    .expect_err("a password in the file");
    assert!(e.to_string().contains("QOLTANBA_REGISTRY_PASSWORD"), "{e}");
    // The environment may carry the whole URL, and overrides the file.
    let c = parse(
        "registry = \"postgres://a@one/db\"",
        &[
            ("QOLTANBA_REGISTRY", "postgres://b:pw@two/db"),
            ("QOLTANBA_NODE", "n2"),
        ],
    )
    .expect("env");
    assert!(
        matches!(&c.registry, RegistryLocation::Postgres { url, node, .. } if url.contains("two") && node == "n2")
    );
    for bad in [
        "mysql://x/y",
        "postgres://host:notaport/db",
        "/var/lib/registry.db",
    ] {
        let e = parse(&format!("registry = {bad:?}"), &[]).expect_err(bad);
        assert!(e.to_string().contains("registry"), "{bad}: {e}");
    }
    assert_eq!(
        parse("registry = \"sqlite\"", &[])
            .expect("sqlite")
            .registry,
        RegistryLocation::Sqlite
    );
}

/// A PostgreSQL registry that cannot be reached keeps the node from starting, with a clear error naming it.
#[test]
fn an_unreachable_postgres_registry_is_a_clear_start_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let dir = tempfile::tempdir().expect("dir");
    let mut c = ServiceConfig::load(
        None,
        env(&[(
            "QOLTANBA_REGISTRY",
            &format!("postgres://nobody:s3cret-pw@127.0.0.1:{port}/none"),
        )]),
    )
    .expect("config");
    c.data = dir.path().join("data");
    let e = qoltanba::start(&c, NOW).err().expect("no database there");
    let text = e.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("unavailable"), "{text}");
    assert!(text.contains("postgres://nobody:***@127.0.0.1"), "{text}");
    assert!(!text.contains("s3cret-pw"), "the password leaks: {text}");
}
