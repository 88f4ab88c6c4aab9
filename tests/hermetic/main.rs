//! The hermetic half of the tests: it needs only Rust and this repository — no outside tools, no `../shared`.
//! `cargo test --lib --test hermetic` (README). Each module was a test binary of its own; they share one binary
//! so the suite links once.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod blocking;
mod config;
mod demo_pki;
mod fetch;
mod forms;
mod fuzz_corpus;
mod hardening;
mod http;
mod layers;
mod live_crls;
mod openapi;
mod registry;
mod render;
mod revocation;
mod seal;
mod workflow_registry;
mod xml;
