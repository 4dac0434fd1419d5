//! The hub's storage: embedded SQLite by default, PostgreSQL through a URL. Both hold the same
//! tables and keep the same promises: a push is one transaction (its nonce, every stored record)
//! and returns only after the commit is durable; a record id is stored once and never
//! overwritten.

mod postgres;
mod sqlite;

use std::path::Path;

use sync::wire::{DeviceInfo, Incoming, ItemResult, ItemStatus, Receipt, RecordMeta};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage: {0}")]
    Backend(String),
    #[error("{0}")]
    Refused(String),
}

/// A registered device.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub device_id: String,
    pub officer_id: String,
    pub public_key: String,
    pub revoked: bool,
    pub wipe: bool,
}

/// A device to register, with the one-time code it presented (hashed).
pub struct NewDevice<'a> {
    pub code_hash: &'a str,
    pub device_id: &'a str,
    pub officer_id: &'a str,
    pub public_key: &'a str,
}

/// Why an enrollment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollRefusal {
    UnknownCode,
    UsedCode,
    ExpiredCode,
    DeviceExists,
}

/// A nonce to consume in the same transaction as the request's writes.
pub struct Nonce<'a> {
    pub signer: &'a str,
    pub nonce: &'a str,
}

/// The last published unit configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUnit {
    pub serial: i64,
    pub document: Vec<u8>,
    pub signature: String,
}

pub enum Store {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// What the storage URL names: `sqlite:PATH` (relative to `base`) or `postgres://...`.
pub fn describe(url: &str) -> &'static str {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        "postgresql"
    } else {
        "sqlite"
    }
}

pub(crate) fn item_result(id: &str, device: &str, existing: Option<(String, String, u64, String)>, sha: &str, stored_at: Option<(u64, &str)>) -> ItemResult {
    match (existing, stored_at) {
        (_, Some((size, at))) => ItemResult { id: id.into(), status: ItemStatus::Stored, receipt: Some(Receipt::new(id, device, sha, size, at)), error: None },
        (Some((dev, old_sha, size, at)), None) if dev == device && old_sha == sha => {
            ItemResult { id: id.into(), status: ItemStatus::Duplicate, receipt: Some(Receipt::new(id, device, sha, size, &at)), error: None }
        }
        (Some(_), None) => ItemResult {
            id: id.into(),
            status: ItemStatus::Conflict,
            receipt: None,
            error: Some(format!("record `{id}` is already stored with other content; it was not overwritten (send an amendment instead)")),
        },
        (None, None) => ItemResult { id: id.into(), status: ItemStatus::Conflict, receipt: None, error: Some(format!("record `{id}` could not be stored")) },
    }
}

impl Store {
    pub async fn open(url: &str, base: &Path) -> Result<Store, StoreError> {
        if describe(url) == "postgresql" {
            Ok(Store::Postgres(postgres::Postgres::connect(url).await?))
        } else {
            let path = url.strip_prefix("sqlite:").ok_or_else(|| StoreError::Refused(format!("storage `{url}` is neither sqlite:PATH nor postgres://...")))?;
            let p = Path::new(path.trim_start_matches("//"));
            let p = if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
            Ok(Store::Sqlite(sqlite::Sqlite::open(&p)?))
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgresql",
        }
    }

    pub async fn add_code(&self, code_hash: &str, officer: &str, now: &str, expires: &str) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.add_code(code_hash, officer, now, expires).await,
            Store::Postgres(s) => s.add_code(code_hash, officer, now, expires).await,
        }
    }

    /// Registers a device against an unused, unexpired code, and uses the code up, atomically.
    pub async fn enroll(&self, d: &NewDevice<'_>, now: &str) -> Result<Result<(), EnrollRefusal>, StoreError> {
        match self {
            Store::Sqlite(s) => s.enroll(d, now).await,
            Store::Postgres(s) => s.enroll(d, now).await,
        }
    }

    pub async fn device(&self, id: &str) -> Result<Option<Device>, StoreError> {
        match self {
            Store::Sqlite(s) => s.device(id).await,
            Store::Postgres(s) => s.device(id).await,
        }
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError> {
        match self {
            Store::Sqlite(s) => s.devices().await,
            Store::Postgres(s) => s.devices().await,
        }
    }

    /// Flags a device revoked (and whether it must wipe). False when there is no such device.
    pub async fn revoke(&self, id: &str, wipe: bool, now: &str) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => s.revoke(id, wipe, now).await,
            Store::Postgres(s) => s.revoke(id, wipe, now).await,
        }
    }

    pub async fn report_wipe(&self, id: &str, nonce: &Nonce<'_>, at: &str) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => s.report_wipe(id, nonce, at).await,
            Store::Postgres(s) => s.report_wipe(id, nonce, at).await,
        }
    }

    /// Consumes a nonce on its own (requests that write nothing). False when it was seen before.
    pub async fn use_nonce(&self, nonce: &Nonce<'_>, now: &str) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => s.use_nonce(nonce, now).await,
            Store::Postgres(s) => s.use_nonce(nonce, now).await,
        }
    }

    /// Stores a push in one transaction with its nonce. `None` when the nonce was seen before
    /// (nothing is written then).
    pub async fn put_records(&self, device: &str, nonce: &Nonce<'_>, items: Vec<Incoming>, now: &str) -> Result<Option<Vec<ItemResult>>, StoreError> {
        match self {
            Store::Sqlite(s) => s.put_records(device, nonce, items, now).await,
            Store::Postgres(s) => s.put_records(device, nonce, items, now).await,
        }
    }

    /// Records received after `after` (a sequence number), oldest first.
    pub async fn list_records(&self, after: i64, limit: i64) -> Result<Vec<RecordMeta>, StoreError> {
        match self {
            Store::Sqlite(s) => s.list_records(after, limit).await,
            Store::Postgres(s) => s.list_records(after, limit).await,
        }
    }

    pub async fn envelope(&self, id: &str) -> Result<Option<(RecordMeta, Vec<u8>)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.envelope(id).await,
            Store::Postgres(s) => s.envelope(id).await,
        }
    }

    pub async fn unit(&self) -> Result<Option<StoredUnit>, StoreError> {
        match self {
            Store::Sqlite(s) => s.unit().await,
            Store::Postgres(s) => s.unit().await,
        }
    }

    /// Stores a newer unit configuration; false when `serial` is not above the current one.
    pub async fn publish_unit(&self, u: &StoredUnit, nonce: &Nonce<'_>, now: &str) -> Result<Option<bool>, StoreError> {
        match self {
            Store::Sqlite(s) => s.publish_unit(u, nonce, now).await,
            Store::Postgres(s) => s.publish_unit(u, nonce, now).await,
        }
    }

    /// Forgets nonces older than `before`: older requests fail the time check anyway.
    pub async fn prune_nonces(&self, before: &str) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.prune_nonces(before).await,
            Store::Postgres(s) => s.prune_nonces(before).await,
        }
    }

    /// Every table's rows removed (tests only use this between runs on a shared PostgreSQL).
    pub async fn clear(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.clear().await,
            Store::Postgres(s) => s.clear().await,
        }
    }
}
