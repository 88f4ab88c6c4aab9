//! Issuances a second on the PostgreSQL registry, beside `pgbench`'s bare counter-row figure measured in the same
//! run on the same server (issue 19). Run: `eval "$(.ci/postgres start | sed 's/^/export /')"; cargo bench --bench
//! postgres` (Debian `postgresql`, `postgresql-contrib` for pgbench). Not criterion: throughput under concurrency
//! is the figure, so each case runs 8 threads for a fixed time and counts.
//!
//! - `pgbench`: per transaction, the series' counter row `UPDATE … RETURNING`, a 2 KB document row and an audit
//!   row, committed (synchronous commit): the bound for the database alone, no rendering.
//! - `reserve-ahead`: `Registry::issue` — a reference rendered, sealed (demo provider, RSA) and stored; its number
//!   reserved in a short transaction before rendering.
//! - `in-lock`: the same document through `Registry::issue_once` (a fresh key each time), whose number is taken
//!   inside the one transaction that renders and stores, as SQLite does: the series' lock lasts the render.
//! - `render only`: the rendering and sealing alone on 8 threads, no database: the CPU bound of this machine.
//!
//! Each on one series (one form and year) and on 16 (16 years), with one registry ("one node") and with two
//! registries of their own pools on the same database ("two nodes" in one process: the CPU is the same).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qoltanba::{IdempotencyKey, PostgresRegistry, Registry, RenderedDocument, SealMode, Sealing};

const THREADS: usize = 8;
const SECONDS: u64 = 8;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("set {name}: `eval \"$(.ci/postgres start | sed 's/^/export /')\"` starts PostgreSQL and prints it")
    })
}

fn url(base: &str, db: &str) -> String {
    format!("{}/{db}", base.rsplit_once('/').map_or(base, |(b, _)| b))
}

fn psql(url: &str, sql: &str) {
    let ok = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .status()
        .expect("psql (Debian postgresql-client)")
        .success();
    assert!(ok, "{sql}");
}

/// Runs `work(thread, i)` on 8 threads for the fixed time; returns completions a second.
fn throughput(work: impl Fn(usize, u64) + Sync) -> f64 {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (stop, done, work) = (&stop, &done, &work);
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    work(t, i);
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(SECONDS));
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn pgbench(admin: &str, series: u32) -> f64 {
    let db = format!("qoltanba_bench_pgbench_{series}");
    psql(
        &url(admin, "postgres"),
        &format!("DROP DATABASE IF EXISTS {db}"),
    );
    psql(&url(admin, "postgres"), &format!("CREATE DATABASE {db}"));
    let target = url(admin, &db);
    psql(
        &target,
        "CREATE TABLE series (id INT PRIMARY KEY, last BIGINT NOT NULL);
         CREATE TABLE doc (id BIGSERIAL PRIMARY KEY, series INT, n BIGINT, body TEXT, UNIQUE (series, n));
         CREATE TABLE audit (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ DEFAULT now(), subject TEXT);",
    );
    psql(
        &target,
        &format!("INSERT INTO series SELECT g, 0 FROM generate_series(1, {series}) g"),
    );
    let script = std::env::temp_dir().join(format!("qoltanba-pgbench-{series}.sql"));
    std::fs::write(
        &script,
        format!(
            "\\set s random(1, {series})\nBEGIN;\nUPDATE series SET last = last + 1 WHERE id = :s RETURNING last \\gset\n\
             INSERT INTO doc (series, n, body) VALUES (:s, :last, repeat('x', 2048));\n\
             INSERT INTO audit (subject) VALUES (:s || '-' || :last);\nCOMMIT;\n"
        ),
    )
    .expect("script");
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-c", "8", "-j", "2", "-T", &SECONDS.to_string(), "-f"])
        .arg(&script)
        .arg(&target)
        .output()
        .expect("pgbench (Debian postgresql-contrib)");
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("pgbench: {text}{}", String::from_utf8_lossy(&out.stderr)));
    psql(
        &url(admin, "postgres"),
        &format!("DROP DATABASE {db} WITH (FORCE)"),
    );
    tps
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it with no argument: only build it then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let service = var("QOLTANBA_TEST_POSTGRES");
    let admin = var("QOLTANBA_TEST_POSTGRES_ADMIN");
    let signer = Arc::new(qoltanba::demo_provider_signer().expect("provider"));
    let data = qoltanba::form("reference.birth").expect("form").sample();
    let form = qoltanba::FormId::parse("reference.birth").expect("form id");
    let render = |number: &qoltanba::DocumentNumber| {
        let doc = qoltanba::issue(
            "reference.birth",
            &data,
            &number.to_string(),
            1_795_428_000,
            Some(Sealing {
                signer: &signer,
                mode: SealMode::Compact,
            }),
        )?;
        Ok(RenderedDocument::from(doc))
    };

    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let cpu = throughput(|_, i| {
        let number = qoltanba::DocumentNumber {
            form: form.clone(),
            year: 2026,
            sequence: i + 1,
            assigned: None,
        };
        render(&number).expect("render");
    });
    println!("render only (8 threads, no database): {cpu:.0} documents/s");
    for series in [1u32, 16] {
        println!(
            "pgbench, {series} series: {:.0} transactions/s",
            pgbench(&admin, series)
        );
        for nodes in [1usize, 2] {
            for in_lock in [false, true] {
                let db = format!("qoltanba_bench_{series}_{nodes}_{}", u8::from(in_lock));
                psql(
                    &url(&admin, "postgres"),
                    &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                );
                psql(
                    &url(&admin, "postgres"),
                    &format!("CREATE DATABASE {db} OWNER qoltanba"),
                );
                let registries: Vec<PostgresRegistry> = (0..nodes)
                    .map(|n| {
                        PostgresRegistry::connect(
                            &url(&service, &db),
                            None,
                            &format!("node-{n}"),
                            8,
                        )
                        .expect("connect")
                    })
                    .collect();
                let rate = throughput(|t, i| {
                    let registry = &registries[t % nodes];
                    let year = 2026 + (i as i32 * THREADS as i32 + t as i32) % series as i32;
                    let mut render = render;
                    if in_lock {
                        let name = format!("{t}-{i}");
                        let key = IdempotencyKey {
                            caller: "bench",
                            key: &name,
                            request: [0; 32],
                        };
                        registry
                            .issue_once(&key, &form, year, "bench", &mut render)
                            .expect("issue");
                    } else {
                        registry
                            .issue(&form, year, "bench", &mut render)
                            .expect("issue");
                    }
                });
                println!(
                    "{}, {series} series, {nodes} node(s): {rate:.0} issuances/s",
                    if in_lock { "in-lock" } else { "reserve-ahead" }
                );
                drop(registries);
                psql(
                    &url(&admin, "postgres"),
                    &format!("DROP DATABASE {db} WITH (FORCE)"),
                );
            }
        }
    }
}
