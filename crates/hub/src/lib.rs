//! The Fieldscreen sync hub: receives sealed records it cannot open (age-encrypted to the unit's
//! custodians), keeps the device registry, revocations and the unit's signed configuration.
//!
//! It never holds a key that opens a record: it verifies device signatures on requests, stores
//! ciphertext with minimal metadata (record id, device id, size, SHA-256, received time), and
//! hands it to the custodian, who opens it elsewhere.

pub mod admin;
pub mod api;
pub mod check;
pub mod config;
pub mod metrics;
pub mod replica;
pub mod serve;
pub mod service;
pub mod store;
pub mod tls;

/// Times are RFC 3339 UTC with milliseconds: they sort as text.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
