#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
//! Qoltanba: verify Kazakh EDS certificates and signatures, issue signed documents.
//!
//! The core is I/O-free: it decides on parsed values. The CLI (`src/main.rs`) and, later, the HTTP layer are
//! thin shells over it.

pub mod cancel;
pub mod clock;
pub mod cms;
pub mod credentials;
pub mod crypto;
pub mod demo_pki;
pub mod document;
pub mod encoding;
pub mod forms;
pub mod http;
pub mod identity;
pub mod issuance;
pub mod pdf;
pub mod pki;
pub mod registry;
pub mod render;
pub mod seal;
pub mod service;
