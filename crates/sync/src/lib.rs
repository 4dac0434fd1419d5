//! Fieldscreen sync. `wire` is what travels between devices, the custodian and the hub (the
//! hub builds on it alone). With the `device` feature (default) the rest is the device side,
//! for the app and the `fieldscreen` command:
//!
//! - [`device::enroll`]: register the device key with the hub, pin its CA and the unit key;
//! - [`device::sync_once`]: pull the unit configuration (verified against the pinned unit key),
//!   then drain the outbox in order, each record sealed once to the unit's custodians, marked
//!   synced only on the hub's durable receipt;
//! - [`device::run`]: probe reachability, sync when the hub is reachable, back off with jitter
//!   and never give up;
//! - [`device::status`]: online, pending, last sync and per-record errors, for the app;
//! - [`device::check_in`]: right after an unlock, before anything is shown: wipe if revoked,
//!   lock if offline for too long;
//! - [`device::carry_out_revocation`]: crypto-wipe when the hub says the device is revoked,
//!   and report it.

pub mod wire;

#[cfg(feature = "device")]
pub mod backoff;
#[cfg(feature = "device")]
pub mod client;
#[cfg(feature = "device")]
pub mod device;
#[cfg(feature = "device")]
pub mod unit;

#[cfg(feature = "device")]
pub use client::{HubClient, KeySigner, RequestSigner, SyncError};
