//! The hub's storage: embedded SQLite by default, PostgreSQL through a URL. Both hold the same
//! tables and keep the same promises: a push is one transaction (its nonce, every stored record)
//! and returns only after the commit is durable; a record id is stored once and never
//! overwritten.
//!
//! What both backends share lives here: the statements (written so that both parse them: `$N`
//! parameters, `ON CONFLICT`, `RETURNING`), reading rows into the hub's types, and the decisions
//! (may this code enroll, what a pushed record gets back). The backends only run statements.

/// Implements [`Cols`] for a backend's row type through its generic `get(row, i)`.
macro_rules! cols_via {
    ($row:ty, $get:path) => {
        impl super::Cols for $row {
            fn text(&self, i: usize) -> Result<String, StoreError> {
                $get(self, i)
            }
            fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
                $get(self, i)
            }
            fn int(&self, i: usize) -> Result<i64, StoreError> {
                $get(self, i)
            }
            fn flag(&self, i: usize) -> Result<bool, StoreError> {
                $get(self, i)
            }
            fn bytes(&self, i: usize) -> Result<Vec<u8>, StoreError> {
                $get(self, i)
            }
        }
    };
}

mod postgres;
mod sqlite;

use std::path::Path;

use sync::wire::{DeviceInfo, Incoming, ItemResult, ItemStatus, Receipt, RecordMeta};

use crate::config::PgOptions;

pub use postgres::{pg_transport, PgTransport};

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
    pub public_key: String,
    pub revoked: bool,
    pub wipe: bool,
}

/// A device to register, with the one-time code it presented (hashed).
/// One enrollment attempt for (`scope`, `key`) at `now`, in a window that restarts at `now` when it
/// began before `window_floor`.
pub struct Attempt<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub now: &'a str,
    pub window_floor: &'a str,
}

/// A one-time enrollment code as stored: hashed, with its officer id only when the hub keeps them.
pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub officer: Option<&'a str>,
    pub now: &'a str,
    pub expires: &'a str,
}

pub struct NewDevice<'a> {
    pub code_hash: &'a str,
    pub device_id: &'a str,
    pub public_key: &'a str,
    /// Copy the officer id the code was made for into the registry (`keep_officer_id`).
    pub keep_officer_id: bool,
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

/// One authenticated push: the device, the request's nonce (stored in the same transaction as
/// the records), the records and the time.
pub struct Push<'a> {
    pub device: &'a str,
    pub nonce: Nonce<'a>,
    pub items: Vec<Incoming>,
    pub now: &'a str,
}

/// The last published unit configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUnit {
    pub serial: i64,
    pub document: Vec<u8>,
    pub signature: String,
}

/// Enrollment attempts counted in the current window for one source address or one code.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Attempts {
    pub scope: String,
    /// The source address; for a code, its hash is not shown.
    pub key: Option<String>,
    pub window_start: String,
    pub attempts: i64,
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

/// Every table the hub keeps, in the order `docs/sync.md` lists them.
pub const TABLES: [&str; 6] = ["devices", "enroll_codes", "records", "nonces", "unit_config", "enroll_attempts"];

/// The tables, in either backend's words for an auto-numbered key and a byte string (SQLite
/// reads `BOOLEAN` and `BIGINT` as integers). Each backend adds its trigger that refuses
/// updates of stored records.
pub(crate) fn tables(serial_key: &str, bytes: &str) -> String {
    format!(
        "
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    officer_id TEXT,
    public_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    wipe BOOLEAN NOT NULL DEFAULT FALSE,
    wipe_reported_at TEXT
);
CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash TEXT PRIMARY KEY,
    officer_id TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS records (
    seq {serial_key},
    record_id TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    envelope {bytes} NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    signer TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (signer, nonce)
);
CREATE TABLE IF NOT EXISTS unit_config (
    serial BIGINT PRIMARY KEY,
    document {bytes} NOT NULL,
    signature TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS enroll_attempts (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
"
    )
}

/// The statements both backends run. SQLite reads `$N` as numbered parameters.
pub(crate) mod sql {
    pub const ADD_CODE: &str =
        "INSERT INTO enroll_codes (code_hash, officer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    pub const CODE: &str = "SELECT expires_at, used_by, officer_id FROM enroll_codes WHERE code_hash = $1";
    pub const DEVICE_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM devices WHERE device_id = $1)";
    /// A used code keeps no officer id: the registry holds it, if anything does.
    pub const DEVICE_KEY: &str = "SELECT public_key, revoked_at FROM devices WHERE device_id = $1";
    pub const USE_CODE: &str = "UPDATE enroll_codes SET used_by = $1, officer_id = NULL WHERE code_hash = $2";
    pub const INSERT_DEVICE: &str =
        "INSERT INTO devices (device_id, officer_id, public_key, enrolled_at) VALUES ($1, $2, $3, $4)";
    pub const DEVICE: &str =
        "SELECT device_id, public_key, revoked_at IS NOT NULL, wipe FROM devices WHERE device_id = $1";
    pub const DEVICES: &str =
        "SELECT d.device_id, d.officer_id, d.public_key, d.enrolled_at, d.revoked_at, d.wipe, d.wipe_reported_at,
            (SELECT count(*) FROM records r WHERE r.device_id = d.device_id),
            (SELECT CAST(COALESCE(sum(size), 0) AS BIGINT) FROM records r WHERE r.device_id = d.device_id)
         FROM devices d ORDER BY d.enrolled_at, d.device_id";
    pub const REVOKE: &str = "UPDATE devices SET revoked_at = COALESCE(revoked_at, $1), wipe = $2 WHERE device_id = $3";
    pub const WIPE_REPORTED: &str =
        "UPDATE devices SET wipe_reported_at = COALESCE(wipe_reported_at, $1) WHERE device_id = $2";
    pub const INSERT_NONCE: &str =
        "INSERT INTO nonces (signer, nonce, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    pub const INSERT_RECORD: &str = "INSERT INTO records (record_id, device_id, size, sha256, received_at, envelope) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (record_id) DO NOTHING RETURNING seq";
    pub const RECORD: &str = "SELECT device_id, sha256, size, received_at FROM records WHERE record_id = $1";
    pub const LIST: &str =
        "SELECT seq, record_id, device_id, size, sha256, received_at FROM records WHERE seq > $1 ORDER BY seq LIMIT $2";
    pub const ENVELOPE: &str =
        "SELECT seq, record_id, device_id, size, sha256, received_at, envelope FROM records WHERE record_id = $1";
    pub const UNIT: &str = "SELECT serial, document, signature FROM unit_config ORDER BY serial DESC LIMIT 1";
    pub const MAX_SERIAL: &str = "SELECT max(serial) FROM unit_config";
    pub const INSERT_UNIT: &str =
        "INSERT INTO unit_config (serial, document, signature, published_at) VALUES ($1, $2, $3, $4)";
    pub const PRUNE_NONCES: &str = "DELETE FROM nonces WHERE seen_at < $1";
    /// One more attempt; a window that began before `$4` starts again at `$3`.
    pub const ENROLL_ATTEMPT: &str =
        "INSERT INTO enroll_attempts (scope, key, window_start, attempts) VALUES ($1, $2, $3, 1)
         ON CONFLICT (scope, key) DO UPDATE SET
             attempts = CASE WHEN enroll_attempts.window_start < $4 THEN 1 ELSE enroll_attempts.attempts + 1 END,
             window_start = CASE WHEN enroll_attempts.window_start < $4 THEN $3 ELSE enroll_attempts.window_start END
         RETURNING attempts, window_start";
    pub const ATTEMPTS: &str = "SELECT scope, key, window_start, attempts FROM enroll_attempts WHERE window_start >= $1 ORDER BY scope, attempts DESC, key";
    pub const PRUNE_ATTEMPTS: &str = "DELETE FROM enroll_attempts WHERE window_start < $1";
    pub const FORGET_DEVICE_OFFICERS: &str = "UPDATE devices SET officer_id = NULL WHERE officer_id IS NOT NULL";
    pub const FORGET_CODE_OFFICERS: &str = "UPDATE enroll_codes SET officer_id = NULL WHERE officer_id IS NOT NULL";
    /// Records, active devices, revoked devices (the metrics' gauges).
    pub const COUNTS: &str = "SELECT (SELECT count(*) FROM records),
            (SELECT count(*) FROM devices WHERE revoked_at IS NULL),
            (SELECT count(*) FROM devices WHERE revoked_at IS NOT NULL)";
    /// Records with their envelopes, in order, a batch at a time (`fieldscreen-hub check`).
    pub const RECORDS_AFTER: &str = "SELECT seq, record_id, device_id, size, sha256, received_at, envelope FROM records
         WHERE seq > $1 ORDER BY seq LIMIT $2";
    /// Records whose device is not in the registry.
    pub const ORPHAN_RECORDS: &str =
        "SELECT r.record_id, r.device_id FROM records r WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = r.device_id)";
    /// Used codes whose device is not in the registry.
    pub const ORPHAN_CODES: &str = "SELECT substr(c.code_hash, 1, 12), c.used_by FROM enroll_codes c
         WHERE c.used_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = c.used_by)";
    /// Devices that no code enrolled (every enrollment uses one up).
    pub const DEVICES_WITHOUT_CODE: &str = "SELECT d.device_id, d.enrolled_at FROM devices d
         WHERE NOT EXISTS (SELECT 1 FROM enroll_codes c WHERE c.used_by = d.device_id)";
}

/// Every column the hub reads or writes, per table: the schema is current when a query naming
/// them all runs (`/readyz`).
pub const COLUMNS: [(&str, &str); 6] = [
    ("devices", "device_id, officer_id, public_key, enrolled_at, revoked_at, wipe, wipe_reported_at"),
    ("enroll_codes", "code_hash, officer_id, created_at, expires_at, used_by"),
    ("records", "seq, record_id, device_id, size, sha256, received_at, envelope"),
    ("nonces", "signer, nonce, seen_at"),
    ("unit_config", "serial, document, signature, published_at"),
    ("enroll_attempts", "scope, key, window_start, attempts"),
];

/// Why the storage is not ready to serve (`/readyz`). Says which part failed, never a URL,
/// host or row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// No statement could run: the database is down or unreachable.
    Unreachable,
    /// A table or column the hub uses is missing: migrations have not run.
    Schema(&'static str),
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::Unreachable => write!(f, "the storage is not reachable"),
            NotReady::Schema(t) => {
                write!(f, "the storage schema is not current: table `{t}` is missing or lacks a column")
            }
        }
    }
}

/// What the metrics report from the storage: records stored, devices active and revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub records: i64,
    pub active: i64,
    pub revoked: i64,
}

/// A result row of either backend, read by column position.
pub(crate) trait Cols {
    fn text(&self, i: usize) -> Result<String, StoreError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    fn flag(&self, i: usize) -> Result<bool, StoreError>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>, StoreError>;
}

pub(crate) fn device_row(r: &impl Cols) -> Result<Device, StoreError> {
    Ok(Device { device_id: r.text(0)?, public_key: r.text(1)?, revoked: r.flag(2)?, wipe: r.flag(3)? })
}

pub(crate) fn device_info_row(r: &impl Cols) -> Result<DeviceInfo, StoreError> {
    Ok(DeviceInfo {
        device_id: r.text(0)?,
        officer_id: r.opt_text(1)?,
        public_key: r.text(2)?,
        enrolled_at: r.text(3)?,
        revoked_at: r.opt_text(4)?,
        wipe: r.flag(5)?,
        wipe_reported_at: r.opt_text(6)?,
        records: r.int(7)?,
        bytes: r.int(8)?,
    })
}

pub(crate) fn meta_row(r: &impl Cols) -> Result<RecordMeta, StoreError> {
    Ok(RecordMeta {
        seq: r.int(0)?,
        id: r.text(1)?,
        device_id: r.text(2)?,
        size: r.int(3)? as u64,
        sha256: r.text(4)?,
        received_at: r.text(5)?,
    })
}

pub(crate) fn envelope_row(r: &impl Cols) -> Result<(RecordMeta, Vec<u8>), StoreError> {
    Ok((meta_row(r)?, r.bytes(6)?))
}

pub(crate) fn unit_row(r: &impl Cols) -> Result<StoredUnit, StoreError> {
    Ok(StoredUnit { serial: r.int(0)?, document: r.bytes(1)?, signature: r.text(2)? })
}

/// A stored record as [`item_result`] compares it: device, hash, size, received time.
pub(crate) type Existing = (String, String, u64, String);

pub(crate) fn existing_row(r: &impl Cols) -> Result<Existing, StoreError> {
    Ok((r.text(0)?, r.text(1)?, r.int(2)? as u64, r.text(3)?))
}

pub(crate) fn attempts_row(r: &impl Cols) -> Result<Attempts, StoreError> {
    let scope = r.text(0)?;
    let key = if scope == "source" { Some(r.text(1)?) } else { None };
    Ok(Attempts { scope, key, window_start: r.text(2)?, attempts: r.int(3)? })
}

/// A code as [`sql::CODE`] reads it: expiry, the device that used it, the officer id.
pub(crate) type CodeRow = (String, Option<String>, Option<String>);

pub(crate) fn code_row(r: &impl Cols) -> Result<CodeRow, StoreError> {
    Ok((r.text(0)?, r.opt_text(1)?, r.opt_text(2)?))
}

/// What a code allows: a new device (with the officer id to keep), or the repeat of an
/// enrollment it already made for this same device id.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CodeUse {
    Fresh(Option<String>),
    Repeat,
}

/// Whether a code may enroll a device now, or why not. (That the device id is new is checked
/// after, only for a fresh code; a repeat is checked against the key the device enrolled with.)
pub(crate) fn code_decision(code: Option<CodeRow>, d: &NewDevice<'_>, now: &str) -> Result<CodeUse, EnrollRefusal> {
    match code {
        None => Err(EnrollRefusal::UnknownCode),
        // The device's first answer was lost (or it locked before keeping it): it asks again
        // with the same code, id and key, and gets the same answer.
        Some((_, Some(by), _)) if by == d.device_id => Ok(CodeUse::Repeat),
        Some((_, Some(_), _)) => Err(EnrollRefusal::UsedCode),
        Some((expires, None, _)) if expires.as_str() < now => Err(EnrollRefusal::ExpiredCode),
        Some((_, None, officer)) => Ok(CodeUse::Fresh(officer.filter(|_| d.keep_officer_id))),
    }
}

/// A repeat enrollment stands only for the key the code enrolled, on a device not revoked:
/// anyone else holding the code gets "used".
pub(crate) fn repeat_decision(
    device: Option<(String, Option<String>)>,
    d: &NewDevice<'_>,
) -> Result<(), EnrollRefusal> {
    match device {
        Some((key, None)) if key == d.public_key => Ok(()),
        _ => Err(EnrollRefusal::UsedCode),
    }
}

/// What a pushed record gets back: `stored` (when this push inserted it, with its size and
/// time), the original receipt for the same bytes from the same device, or a conflict.
pub(crate) fn item_result(
    id: &str,
    device: &str,
    existing: Option<Existing>,
    sha: &str,
    stored_at: Option<(u64, &str)>,
) -> ItemResult {
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

/// Dispatches a call to whichever backend this is.
macro_rules! both {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            Store::Sqlite($s) => $call.await,
            Store::Postgres($s) => $call.await,
        }
    };
}

/// The file a `sqlite:PATH` storage URL names (relative to `base`); `None` for PostgreSQL.
pub fn sqlite_path(url: &str, base: &Path) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite:")?;
    let p = Path::new(path.trim_start_matches("//"));
    Some(if p.is_absolute() { p.to_path_buf() } else { base.join(p) })
}

impl Store {
    pub async fn open(url: &str, base: &Path, pg: &PgOptions) -> Result<Store, StoreError> {
        if describe(url) == "postgresql" {
            let ca = pg.ca.as_ref().map(|c| if c.is_absolute() { c.clone() } else { base.join(c) });
            Ok(Store::Postgres(postgres::Postgres::connect(url, ca.as_deref(), pg).await?))
        } else {
            let p = sqlite_path(url, base).ok_or_else(|| {
                StoreError::Refused(format!("storage `{url}` is neither sqlite:PATH nor postgres://..."))
            })?;
            Ok(Store::Sqlite(sqlite::Sqlite::open(&p)?))
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgresql",
        }
    }

    /// A code, hashed; with the officer id it was made for only when the hub keeps them.
    pub async fn add_code(&self, code: &NewCode<'_>) -> Result<(), StoreError> {
        both!(self, s => s.add_code(code))
    }

    /// Registers a device against an unused, unexpired code, and uses the code up, atomically. The
    /// same device asking again with the same code and key (its first answer lost) is told yes
    /// again, and nothing changes.
    pub async fn enroll(&self, d: &NewDevice<'_>, now: &str) -> Result<Result<(), EnrollRefusal>, StoreError> {
        both!(self, s => s.enroll(d, now))
    }

    pub async fn device(&self, id: &str) -> Result<Option<Device>, StoreError> {
        both!(self, s => s.device(id))
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError> {
        both!(self, s => s.devices())
    }

    /// Flags a device revoked (and whether it must wipe). False when there is no such device.
    pub async fn revoke(&self, id: &str, wipe: bool, now: &str) -> Result<bool, StoreError> {
        both!(self, s => s.revoke(id, wipe, now))
    }

    pub async fn report_wipe(&self, id: &str, nonce: &Nonce<'_>, at: &str) -> Result<bool, StoreError> {
        both!(self, s => s.report_wipe(id, nonce, at))
    }

    /// Consumes a nonce on its own (requests that write nothing). False when it was seen before.
    pub async fn use_nonce(&self, nonce: &Nonce<'_>, now: &str) -> Result<bool, StoreError> {
        both!(self, s => s.use_nonce(nonce, now))
    }

    /// Stores a push in one transaction with its nonce. `None` when the nonce was seen before
    /// (nothing is written then).
    pub async fn put_records(&self, push: Push<'_>) -> Result<Option<Vec<ItemResult>>, StoreError> {
        both!(self, s => s.put_records(push))
    }

    /// Records received after `after` (a sequence number), oldest first.
    pub async fn list_records(&self, after: i64, limit: i64) -> Result<Vec<RecordMeta>, StoreError> {
        both!(self, s => s.list_records(after, limit))
    }

    pub async fn envelope(&self, id: &str) -> Result<Option<(RecordMeta, Vec<u8>)>, StoreError> {
        both!(self, s => s.envelope(id))
    }

    pub async fn unit(&self) -> Result<Option<StoredUnit>, StoreError> {
        both!(self, s => s.unit())
    }

    /// Stores a newer unit configuration; false when `serial` is not above the current one.
    pub async fn publish_unit(&self, u: &StoredUnit, nonce: &Nonce<'_>, now: &str) -> Result<Option<bool>, StoreError> {
        both!(self, s => s.publish_unit(u, nonce, now))
    }

    /// Forgets nonces older than `before`: older requests fail the time check anyway.
    pub async fn prune_nonces(&self, before: &str) -> Result<u64, StoreError> {
        both!(self, s => s.exec(sql::PRUNE_NONCES, before))
    }

    /// Counts one enrollment attempt for (`scope`, `key`) in a window that restarts at `now`
    /// when it began before `window_floor`: (attempts in the window, when it began).
    pub async fn enroll_attempt(&self, a: &Attempt<'_>) -> Result<(i64, String), StoreError> {
        both!(self, s => s.enroll_attempt(a))
    }

    /// The attempts counted in windows that began at `since` or later.
    pub async fn enroll_attempts(&self, since: &str) -> Result<Vec<Attempts>, StoreError> {
        both!(self, s => s.enroll_attempts(since))
    }

    pub async fn prune_enroll_attempts(&self, before: &str) -> Result<u64, StoreError> {
        both!(self, s => s.exec(sql::PRUNE_ATTEMPTS, before))
    }

    /// Clears every officer id from the registry and the codes (a hub that keeps none); how
    /// many rows had one.
    pub async fn forget_officer_ids(&self) -> Result<u64, StoreError> {
        let a = both!(self, s => s.exec0(sql::FORGET_DEVICE_OFFICERS))?;
        let b = both!(self, s => s.exec0(sql::FORGET_CODE_OFFICERS))?;
        Ok(a + b)
    }

    /// Whether the storage answers and holds every table and column the hub uses.
    pub async fn ready(&self) -> Result<(), NotReady> {
        // A statement that names no table: it fails only when the database does not answer.
        if let Err(e) = both!(self, s => s.probe("SELECT 1")) {
            tracing::warn!(error = %e, "readiness: the storage does not answer");
            return Err(NotReady::Unreachable);
        }
        for (table, cols) in COLUMNS {
            let q = format!("SELECT {cols} FROM {table} LIMIT 0");
            if let Err(e) = both!(self, s => s.probe(&q)) {
                tracing::warn!(table, error = %e, "readiness: the schema is not current");
                return Err(NotReady::Schema(table));
            }
        }
        Ok(())
    }

    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let v = both!(self, s => s.ints(sql::COUNTS))?;
        match v[..] {
            [records, active, revoked] => Ok(Counts { records, active, revoked }),
            _ => Err(StoreError::Backend("the counts query returned another shape".into())),
        }
    }

    /// Records with their envelopes after `after` (a sequence number), oldest first.
    pub async fn records_after(&self, after: i64, limit: i64) -> Result<Vec<(RecordMeta, Vec<u8>)>, StoreError> {
        both!(self, s => s.records_after(after, limit))
    }

    /// Runs a query of text columns (a fixed statement of [`sql`]): every row.
    pub(crate) async fn texts(&self, q: &'static str) -> Result<Vec<Vec<Option<String>>>, StoreError> {
        both!(self, s => s.texts(q))
    }

    /// Copies the SQLite database, while it serves, into a new file `to` (SQLite's online
    /// backup API). PostgreSQL is backed up with `pg_dump` (docs/hub-ops.md).
    pub async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.backup(to).await,
            Store::Postgres(_) => Err(StoreError::Refused(
                "a PostgreSQL hub is backed up with pg_dump and restored with pg_restore (docs/hub-ops.md)".into(),
            )),
        }
    }

    /// Whether `from` is a SQLite file holding every table and column the hub uses.
    pub fn check_backup(from: &Path) -> Result<(), StoreError> {
        sqlite::check_backup(from).map(drop)
    }

    /// Replaces the SQLite database's content with the backup `from`, in one transaction.
    pub async fn restore(&self, from: &Path) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.restore(from).await,
            Store::Postgres(_) => Err(StoreError::Refused(
                "a PostgreSQL hub is restored with pg_restore from a pg_dump archive (docs/hub-ops.md)".into(),
            )),
        }
    }

    /// Every table's rows removed (tests only use this between runs on a shared PostgreSQL).
    pub async fn clear(&self) -> Result<(), StoreError> {
        both!(self, s => s.clear())
    }
}
