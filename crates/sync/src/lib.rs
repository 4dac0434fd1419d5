//! Fieldscreen sync. `wire` is what travels between devices, the custodian and the hub (the
//! hub builds on it alone). With the `device` feature (default) the rest is the device side,
//! for the app and the `fieldscreen` command:
//!
//! - [`device::enroll`]: register the device key with the hub, pin its CA and the unit key;
//! - [`device::sync_pass`]: one pass as prepare (under the vault: sign, seal once, keep the
//!   envelopes), send (no vault held, called off by a flag even while the hub hangs) and commit
//!   (under the vault: mark synced only on the hub's durable receipt, apply the unit
//!   configuration verified against the pinned unit key); [`device::VaultAccess`] is how a
//!   caller lends the vault for a moment at a time; [`device::sync_once`] is a pass on an owned
//!   vault;
//! - [`device::run`]: the one sync loop, for the app and `device sync --watch`: a pass, then
//!   the poll interval or a backoff with jitter that never gives up ([`device::RunOptions`]);
//! - [`device::status`]: online, pending, last sync and per-record errors, for the app;
//! - [`device::check_in`]: right after an unlock, before anything is shown: wipe if revoked,
//!   lock if offline for too long;
//! - [`device::carry_out_revocation`]: crypto-wipe when the hub says the device is revoked,
//!   and report it; [`device::retry_wipe_report`] sends a report the network lost, from a file
//!   that survives the wipe, until the hub acknowledges it.

pub mod wire;

#[cfg(feature = "device")]
pub mod backoff;
#[cfg(feature = "device")]
pub mod client;
#[cfg(feature = "device")]
pub mod device;
#[cfg(feature = "device")]
pub mod pin;
#[cfg(feature = "device")]
pub mod unit;

#[cfg(feature = "device")]
pub use client::{HubClient, KeySigner, RequestSigner, SyncError};
