//! The hermetic half of the tests: needs only Rust and this repository (no outside tools, no `../shared`).
//! `cargo test --lib --test hermetic`.

mod layers;
