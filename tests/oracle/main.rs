//! The oracle half of the tests: everything checked against an independent tool or data no one here wrote — the
//! OpenSSL CLI, poppler, zbar, Python's `cryptography` and `gostcrypto`, npm, Chromium, NIST PKITS and the NCA's
//! test PKI in `../shared`, and the real binary killed or flooded. `cargo test --test oracle`; `.ci/run` installs
//! the tools. A test whose tool or data is missing fails, naming what to install: nothing here passes unchecked.

#[path = "../common/mod.rs"]
mod common;

mod applications;
mod attachments;
mod browser;
mod cms;
mod config;
mod crash_server;
mod demo_pki;
mod flood;
mod forms;
mod gost;
mod hardening;
mod http;
mod nca;
mod ncanode;
mod ocsp;
mod ocsp_live;
mod openssl_interop;
mod pades;
mod pkits;
mod postgres;
mod providers;
mod render;
mod seal;
mod services;
mod tsp;
mod webhook;
mod xml;
