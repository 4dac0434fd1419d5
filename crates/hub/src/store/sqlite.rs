//! Embedded SQLite: one connection, WAL with `synchronous=FULL`, so a commit is on disk before
//! the hub answers. Work runs on tokio's blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sync::wire::{DeviceInfo, Incoming, ItemResult, RecordMeta};

use super::{item_result, Device, EnrollRefusal, NewDevice, Nonce, StoreError, StoredUnit};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    officer_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    wipe INTEGER NOT NULL DEFAULT 0,
    wipe_reported_at TEXT
);
CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash TEXT PRIMARY KEY,
    officer_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    envelope BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    signer TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (signer, nonce)
);
CREATE TABLE IF NOT EXISTS unit_config (
    serial INTEGER PRIMARY KEY,
    document BLOB NOT NULL,
    signature TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS records_never_overwritten BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'stored records are never overwritten'); END;
";

fn be(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend(format!("creating {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path).map_err(be)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(be)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(be)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!("{} could not switch to WAL (got {mode})", path.display())));
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(be)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(be)?;
        conn.execute_batch(SCHEMA).map_err(be)?;
        Ok(Sqlite { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn.lock().map_err(|_| StoreError::Backend("the storage lock is poisoned".into()))?;
            f(&mut c)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("storage task: {e}")))?
    }

    pub async fn add_code(&self, code_hash: &str, officer: &str, now: &str, expires: &str) -> Result<(), StoreError> {
        let (h, o, n, x) = (code_hash.to_string(), officer.to_string(), now.to_string(), expires.to_string());
        self.run(move |c| {
            c.execute("INSERT INTO enroll_codes (code_hash, officer_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)", params![h, o, n, x]).map_err(be)?;
            Ok(())
        })
        .await
    }

    pub async fn enroll(&self, d: &NewDevice<'_>, now: &str) -> Result<Result<(), EnrollRefusal>, StoreError> {
        let (h, id, off, key, now) = (d.code_hash.to_string(), d.device_id.to_string(), d.officer_id.to_string(), d.public_key.to_string(), now.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            let code: Option<(String, Option<String>)> =
                tx.query_row("SELECT expires_at, used_by FROM enroll_codes WHERE code_hash = ?1", [&h], |r| Ok((r.get(0)?, r.get(1)?))).optional().map_err(be)?;
            let refusal = match code {
                None => Some(EnrollRefusal::UnknownCode),
                Some((_, Some(_))) => Some(EnrollRefusal::UsedCode),
                Some((exp, None)) if exp < now => Some(EnrollRefusal::ExpiredCode),
                Some(_) => {
                    let exists: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM devices WHERE device_id = ?1)", [&id], |r| r.get(0)).map_err(be)?;
                    exists.then_some(EnrollRefusal::DeviceExists)
                }
            };
            if let Some(r) = refusal {
                return Ok(Err(r));
            }
            tx.execute("UPDATE enroll_codes SET used_by = ?1 WHERE code_hash = ?2", params![id, h]).map_err(be)?;
            tx.execute("INSERT INTO devices (device_id, officer_id, public_key, enrolled_at) VALUES (?1, ?2, ?3, ?4)", params![id, off, key, now]).map_err(be)?;
            tx.commit().map_err(be)?;
            Ok(Ok(()))
        })
        .await
    }

    pub async fn device(&self, id: &str) -> Result<Option<Device>, StoreError> {
        let id = id.to_string();
        self.run(move |c| {
            c.query_row("SELECT device_id, officer_id, public_key, revoked_at IS NOT NULL, wipe FROM devices WHERE device_id = ?1", [&id], |r| {
                Ok(Device { device_id: r.get(0)?, officer_id: r.get(1)?, public_key: r.get(2)?, revoked: r.get(3)?, wipe: r.get(4)? })
            })
            .optional()
            .map_err(be)
        })
        .await
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError> {
        self.run(|c| {
            let mut st = c
                .prepare(
                    "SELECT d.device_id, d.officer_id, d.public_key, d.enrolled_at, d.revoked_at, d.wipe, d.wipe_reported_at,
                            (SELECT count(*) FROM records r WHERE r.device_id = d.device_id),
                            (SELECT COALESCE(sum(size), 0) FROM records r WHERE r.device_id = d.device_id)
                     FROM devices d ORDER BY d.enrolled_at, d.device_id",
                )
                .map_err(be)?;
            let rows = st
                .query_map([], |r| {
                    Ok(DeviceInfo {
                        device_id: r.get(0)?,
                        officer_id: r.get(1)?,
                        public_key: r.get(2)?,
                        enrolled_at: r.get(3)?,
                        revoked_at: r.get(4)?,
                        wipe: r.get(5)?,
                        wipe_reported_at: r.get(6)?,
                        records: r.get(7)?,
                        bytes: r.get(8)?,
                    })
                })
                .map_err(be)?;
            rows.collect::<Result<_, _>>().map_err(be)
        })
        .await
    }

    pub async fn revoke(&self, id: &str, wipe: bool, now: &str) -> Result<bool, StoreError> {
        let (id, now) = (id.to_string(), now.to_string());
        self.run(move |c| {
            let n = c.execute("UPDATE devices SET revoked_at = COALESCE(revoked_at, ?1), wipe = ?2 WHERE device_id = ?3", params![now, wipe, id]).map_err(be)?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn report_wipe(&self, id: &str, nonce: &Nonce<'_>, at: &str) -> Result<bool, StoreError> {
        let (id, s, n, at) = (id.to_string(), nonce.signer.to_string(), nonce.nonce.to_string(), at.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            if !insert_nonce(&tx, &s, &n, &at)? {
                return Ok(false);
            }
            tx.execute("UPDATE devices SET wipe_reported_at = COALESCE(wipe_reported_at, ?1) WHERE device_id = ?2", params![at, id]).map_err(be)?;
            tx.commit().map_err(be)?;
            Ok(true)
        })
        .await
    }

    pub async fn use_nonce(&self, nonce: &Nonce<'_>, now: &str) -> Result<bool, StoreError> {
        let (s, n, now) = (nonce.signer.to_string(), nonce.nonce.to_string(), now.to_string());
        self.run(move |c| insert_nonce(c, &s, &n, &now)).await
    }

    pub async fn put_records(&self, device: &str, nonce: &Nonce<'_>, items: Vec<Incoming>, now: &str) -> Result<Option<Vec<ItemResult>>, StoreError> {
        let (dev, s, n, now) = (device.to_string(), nonce.signer.to_string(), nonce.nonce.to_string(), now.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            if !insert_nonce(&tx, &s, &n, &now)? {
                return Ok(None);
            }
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                let existing: Option<(String, String, u64, String)> = tx
                    .query_row("SELECT device_id, sha256, size, received_at FROM records WHERE record_id = ?1", [&it.id], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64, r.get(3)?))
                    })
                    .optional()
                    .map_err(be)?;
                let size = it.envelope.len() as i64;
                let stored = if existing.is_none() {
                    tx.execute(
                        "INSERT INTO records (record_id, device_id, size, sha256, received_at, envelope) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![it.id, dev, size, it.sha256, now, it.envelope],
                    )
                    .map_err(be)?;
                    Some((size as u64, now.as_str()))
                } else {
                    None
                };
                out.push(item_result(&it.id, &dev, existing, &it.sha256, stored));
            }
            tx.commit().map_err(be)?;
            Ok(Some(out))
        })
        .await
    }

    pub async fn list_records(&self, after: i64, limit: i64) -> Result<Vec<RecordMeta>, StoreError> {
        self.run(move |c| {
            let mut st = c
                .prepare("SELECT seq, record_id, device_id, size, sha256, received_at FROM records WHERE seq > ?1 ORDER BY seq LIMIT ?2")
                .map_err(be)?;
            let rows = st.query_map(params![after, limit], meta).map_err(be)?;
            rows.collect::<Result<_, _>>().map_err(be)
        })
        .await
    }

    pub async fn envelope(&self, id: &str) -> Result<Option<(RecordMeta, Vec<u8>)>, StoreError> {
        let id = id.to_string();
        self.run(move |c| {
            c.query_row("SELECT seq, record_id, device_id, size, sha256, received_at, envelope FROM records WHERE record_id = ?1", [&id], |r| {
                Ok((meta(r)?, r.get(6)?))
            })
            .optional()
            .map_err(be)
        })
        .await
    }

    pub async fn unit(&self) -> Result<Option<StoredUnit>, StoreError> {
        self.run(|c| {
            c.query_row("SELECT serial, document, signature FROM unit_config ORDER BY serial DESC LIMIT 1", [], |r| {
                Ok(StoredUnit { serial: r.get(0)?, document: r.get(1)?, signature: r.get(2)? })
            })
            .optional()
            .map_err(be)
        })
        .await
    }

    pub async fn publish_unit(&self, u: &StoredUnit, nonce: &Nonce<'_>, now: &str) -> Result<Option<bool>, StoreError> {
        let (u, s, n, now) = (u.clone(), nonce.signer.to_string(), nonce.nonce.to_string(), now.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            if !insert_nonce(&tx, &s, &n, &now)? {
                return Ok(None);
            }
            let current: Option<i64> = tx.query_row("SELECT max(serial) FROM unit_config", [], |r| r.get(0)).map_err(be)?;
            if current.is_some_and(|c| c >= u.serial) {
                return Ok(Some(false));
            }
            tx.execute("INSERT INTO unit_config (serial, document, signature, published_at) VALUES (?1, ?2, ?3, ?4)", params![u.serial, u.document, u.signature, now])
                .map_err(be)?;
            tx.commit().map_err(be)?;
            Ok(Some(true))
        })
        .await
    }

    pub async fn prune_nonces(&self, before: &str) -> Result<u64, StoreError> {
        let before = before.to_string();
        self.run(move |c| Ok(c.execute("DELETE FROM nonces WHERE seen_at < ?1", [before]).map_err(be)? as u64)).await
    }

    pub async fn clear(&self) -> Result<(), StoreError> {
        self.run(|c| {
            c.execute_batch("DELETE FROM records; DELETE FROM nonces; DELETE FROM unit_config; DELETE FROM enroll_codes; DELETE FROM devices;").map_err(be)
        })
        .await
    }
}

fn meta(r: &rusqlite::Row) -> rusqlite::Result<RecordMeta> {
    Ok(RecordMeta { seq: r.get(0)?, id: r.get(1)?, device_id: r.get(2)?, size: r.get::<_, i64>(3)? as u64, sha256: r.get(4)?, received_at: r.get(5)? })
}

/// False when this signer used this nonce before.
fn insert_nonce(c: &Connection, signer: &str, nonce: &str, now: &str) -> Result<bool, StoreError> {
    let n = c.execute("INSERT OR IGNORE INTO nonces (signer, nonce, seen_at) VALUES (?1, ?2, ?3)", params![signer, nonce, now]).map_err(be)?;
    Ok(n == 1)
}
