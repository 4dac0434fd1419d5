//! Embedded SQLite: one connection, WAL with `synchronous=FULL`, so a commit is on disk before
//! the hub answers. Work runs on tokio's blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::types::FromSql;
use rusqlite::{params, Connection, OptionalExtension, Params, TransactionBehavior};
use sync::wire::{DeviceInfo, ItemResult, RecordMeta};

use super::{
    sql, Attempt, Attempts, Cols, Device, EnrollRefusal, NewCode, NewDevice, Nonce, Push, StoreError, StoredUnit,
};

const TRIGGER: &str = "
CREATE TRIGGER IF NOT EXISTS records_never_overwritten BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'stored records are never overwritten'); END;
";

/// Databases made before officer ids became optional hold them as NOT NULL: those two tables
/// are rebuilt once, with their rows, in one transaction.
const RELAX_OFFICER_ID: &str = "
CREATE TABLE devices_new (
    device_id TEXT PRIMARY KEY,
    officer_id TEXT,
    public_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    wipe INTEGER NOT NULL DEFAULT 0,
    wipe_reported_at TEXT
);
INSERT INTO devices_new SELECT device_id, officer_id, public_key, enrolled_at, revoked_at, wipe, wipe_reported_at FROM devices;
DROP TABLE devices;
ALTER TABLE devices_new RENAME TO devices;
CREATE TABLE enroll_codes_new (
    code_hash TEXT PRIMARY KEY,
    officer_id TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by TEXT
);
INSERT INTO enroll_codes_new SELECT code_hash, officer_id, created_at, expires_at, used_by FROM enroll_codes;
DROP TABLE enroll_codes;
ALTER TABLE enroll_codes_new RENAME TO enroll_codes;
";

fn be(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn get<T: FromSql>(r: &rusqlite::Row, i: usize) -> Result<T, StoreError> {
    r.get(i).map_err(be)
}

cols_via!(rusqlite::Row<'_>, get);

/// Every row of a query, each read with `f`.
fn all<T, P: Params>(
    c: &Connection,
    q: &str,
    p: P,
    f: impl Fn(&rusqlite::Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut st = c.prepare_cached(q).map_err(be)?;
    let mut rows = st.query(p).map_err(be)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(be)? {
        out.push(f(r)?);
    }
    Ok(out)
}

/// The first row of a query, if any, read with `f`.
fn first<T, P: Params>(
    c: &Connection,
    q: &str,
    p: P,
    f: impl Fn(&rusqlite::Row) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut st = c.prepare_cached(q).map_err(be)?;
    let mut rows = st.query(p).map_err(be)?;
    rows.next().map_err(be)?.map(f).transpose()
}

#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Backend(format!("creating {}: {e}", dir.display())))?;
        }
        let mut conn = Connection::open(path).map_err(be)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(be)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(be)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!("{} could not switch to WAL (got {mode})", path.display())));
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(be)?;
        let strict: Option<bool> = conn
            .query_row("SELECT \"notnull\" FROM pragma_table_info('devices') WHERE name = 'officer_id'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(be)?;
        if strict == Some(true) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            tx.execute_batch(RELAX_OFFICER_ID).map_err(be)?;
            tx.commit().map_err(be)?;
        }
        conn.pragma_update(None, "foreign_keys", "ON").map_err(be)?;
        conn.execute_batch(&format!("{}{TRIGGER}", super::tables("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB")))
            .map_err(be)?;
        Ok(Sqlite { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn.lock().map_err(|_| StoreError::Backend("the storage lock is poisoned".into()))?;
            f(&mut c)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("storage task: {e}")))?
    }

    /// Runs a statement with one text parameter: rows changed.
    pub async fn exec(&self, q: &'static str, p: &str) -> Result<u64, StoreError> {
        let p = p.to_string();
        self.run(move |c| Ok(c.execute(q, [p]).map_err(be)? as u64)).await
    }

    /// Runs a statement without parameters: rows changed.
    pub async fn exec0(&self, q: &'static str) -> Result<u64, StoreError> {
        self.run(move |c| Ok(c.execute(q, []).map_err(be)? as u64)).await
    }

    pub async fn add_code(&self, code: &NewCode<'_>) -> Result<(), StoreError> {
        let (h, o, n, x) = (
            code.code_hash.to_string(),
            code.officer.map(str::to_string),
            code.now.to_string(),
            code.expires.to_string(),
        );
        self.run(move |c| {
            c.execute(sql::ADD_CODE, params![h, o, n, x]).map_err(be)?;
            Ok(())
        })
        .await
    }

    pub async fn enroll(&self, d: &NewDevice<'_>, now: &str) -> Result<Result<(), EnrollRefusal>, StoreError> {
        let (h, id, key, keep, now) = (
            d.code_hash.to_string(),
            d.device_id.to_string(),
            d.public_key.to_string(),
            d.keep_officer_id,
            now.to_string(),
        );
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            let code = first(&tx, sql::CODE, [&h], |r| super::code_row(r))?;
            let d = NewDevice { code_hash: &h, device_id: &id, public_key: &key, keep_officer_id: keep };
            let officer = match super::code_decision(code, &d, &now) {
                Ok(super::CodeUse::Fresh(o)) => o,
                Ok(super::CodeUse::Repeat) => {
                    let dev = first(&tx, sql::DEVICE_KEY, [&id], |r| Ok((r.text(0)?, r.opt_text(1)?)))?;
                    return Ok(super::repeat_decision(dev, &d));
                }
                Err(r) => return Ok(Err(r)),
            };
            if tx.query_row(sql::DEVICE_EXISTS, [&id], |r| r.get::<_, bool>(0)).map_err(be)? {
                return Ok(Err(EnrollRefusal::DeviceExists));
            }
            tx.execute(sql::USE_CODE, params![id, h]).map_err(be)?;
            tx.execute(sql::INSERT_DEVICE, params![id, officer, key, now]).map_err(be)?;
            tx.commit().map_err(be)?;
            Ok(Ok(()))
        })
        .await
    }

    pub async fn device(&self, id: &str) -> Result<Option<Device>, StoreError> {
        let id = id.to_string();
        self.run(move |c| first(c, sql::DEVICE, [&id], |r| super::device_row(r))).await
    }

    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError> {
        self.run(|c| all(c, sql::DEVICES, [], |r| super::device_info_row(r))).await
    }

    pub async fn revoke(&self, id: &str, wipe: bool, now: &str) -> Result<bool, StoreError> {
        let (id, now) = (id.to_string(), now.to_string());
        self.run(move |c| Ok(c.execute(sql::REVOKE, params![now, wipe, id]).map_err(be)? == 1)).await
    }

    pub async fn report_wipe(&self, id: &str, nonce: &Nonce<'_>, at: &str) -> Result<bool, StoreError> {
        let (id, s, n, at) = (id.to_string(), nonce.signer.to_string(), nonce.nonce.to_string(), at.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            if !insert_nonce(&tx, &s, &n, &at)? {
                return Ok(false);
            }
            tx.execute(sql::WIPE_REPORTED, params![at, id]).map_err(be)?;
            tx.commit().map_err(be)?;
            Ok(true)
        })
        .await
    }

    pub async fn use_nonce(&self, nonce: &Nonce<'_>, now: &str) -> Result<bool, StoreError> {
        let (s, n, now) = (nonce.signer.to_string(), nonce.nonce.to_string(), now.to_string());
        self.run(move |c| insert_nonce(c, &s, &n, &now)).await
    }

    pub async fn put_records(&self, push: Push<'_>) -> Result<Option<Vec<ItemResult>>, StoreError> {
        let Push { device, nonce, items, now } = push;
        let nonce = &nonce;
        let (dev, s, n, now) = (device.to_string(), nonce.signer.to_string(), nonce.nonce.to_string(), now.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            if !insert_nonce(&tx, &s, &n, &now)? {
                return Ok(None);
            }
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                let size = it.envelope.len() as i64;
                let inserted =
                    first(&tx, sql::INSERT_RECORD, params![it.id, dev, size, it.sha256, now, it.envelope], |r| {
                        r.int(0)
                    })?;
                let r = if inserted.is_some() {
                    super::item_result(&it.id, &dev, None, &it.sha256, Some((size as u64, now.as_str())))
                } else {
                    let existing = first(&tx, sql::RECORD, [&it.id], |r| super::existing_row(r))?;
                    super::item_result(&it.id, &dev, existing, &it.sha256, None)
                };
                out.push(r);
            }
            tx.commit().map_err(be)?;
            Ok(Some(out))
        })
        .await
    }

    pub async fn list_records(&self, after: i64, limit: i64) -> Result<Vec<RecordMeta>, StoreError> {
        self.run(move |c| all(c, sql::LIST, params![after, limit], |r| super::meta_row(r))).await
    }

    pub async fn envelope(&self, id: &str) -> Result<Option<(RecordMeta, Vec<u8>)>, StoreError> {
        let id = id.to_string();
        self.run(move |c| first(c, sql::ENVELOPE, [&id], |r| super::envelope_row(r))).await
    }

    pub async fn unit(&self) -> Result<Option<StoredUnit>, StoreError> {
        self.run(|c| first(c, sql::UNIT, [], |r| super::unit_row(r))).await
    }

    pub async fn publish_unit(&self, u: &StoredUnit, nonce: &Nonce<'_>, now: &str) -> Result<Option<bool>, StoreError> {
        let (u, s, n, now) = (u.clone(), nonce.signer.to_string(), nonce.nonce.to_string(), now.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(be)?;
            if !insert_nonce(&tx, &s, &n, &now)? {
                return Ok(None);
            }
            let current: Option<i64> = tx.query_row(sql::MAX_SERIAL, [], |r| r.get(0)).map_err(be)?;
            if current.is_some_and(|c| c >= u.serial) {
                return Ok(Some(false));
            }
            tx.execute(sql::INSERT_UNIT, params![u.serial, u.document, u.signature, now]).map_err(be)?;
            tx.commit().map_err(be)?;
            Ok(Some(true))
        })
        .await
    }

    pub async fn enroll_attempt(&self, a: &Attempt<'_>) -> Result<(i64, String), StoreError> {
        let (scope, key, now, floor) =
            (a.scope.to_string(), a.key.to_string(), a.now.to_string(), a.window_floor.to_string());
        self.run(move |c| {
            c.query_row(sql::ENROLL_ATTEMPT, params![scope, key, now, floor], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(be)
        })
        .await
    }

    pub async fn enroll_attempts(&self, since: &str) -> Result<Vec<Attempts>, StoreError> {
        let since = since.to_string();
        self.run(move |c| all(c, sql::ATTEMPTS, [&since], |r| super::attempts_row(r))).await
    }

    /// Runs a query and reads no row.
    pub async fn probe(&self, q: &str) -> Result<(), StoreError> {
        let q = q.to_string();
        self.run(move |c| {
            let mut st = c.prepare(&q).map_err(be)?;
            let mut rows = st.query([]).map_err(be)?;
            rows.next().map_err(be)?;
            Ok(())
        })
        .await
    }

    /// The first row of a query of integer columns.
    pub async fn ints(&self, q: &'static str) -> Result<Vec<i64>, StoreError> {
        self.run(move |c| {
            let mut st = c.prepare_cached(q).map_err(be)?;
            let n = st.column_count();
            st.query_row([], |r| (0..n).map(|i| r.get(i)).collect()).map_err(be)
        })
        .await
    }

    pub async fn texts(&self, q: &'static str) -> Result<Vec<Vec<Option<String>>>, StoreError> {
        self.run(move |c| {
            let mut st = c.prepare_cached(q).map_err(be)?;
            let n = st.column_count();
            let mut rows = st.query([]).map_err(be)?;
            let mut out: Vec<Vec<Option<String>>> = Vec::new();
            while let Some(r) = rows.next().map_err(be)? {
                out.push((0..n).map(|i| r.get(i)).collect::<Result<_, _>>().map_err(be)?);
            }
            Ok(out)
        })
        .await
    }

    pub async fn records_after(&self, after: i64, limit: i64) -> Result<Vec<(RecordMeta, Vec<u8>)>, StoreError> {
        self.run(move |c| all(c, sql::RECORDS_AFTER, params![after, limit], |r| super::envelope_row(r))).await
    }

    /// The online backup API, all pages in one step (one read transaction: a consistent copy
    /// while writers go on), into a temporary file beside `to` that is synced and renamed.
    pub async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        let to = to.to_path_buf();
        if to.exists() {
            return Err(StoreError::Refused(format!("{} already exists; not overwriting it", to.display())));
        }
        let tmp = to.with_file_name(format!(
            ".{}.partial",
            to.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "backup".into())
        ));
        self.run(move |c| {
            let _ = std::fs::remove_file(&tmp);
            let io = |what: &str, e: std::io::Error| StoreError::Backend(format!("{what} {}: {e}", tmp.display()));
            {
                let mut dst = Connection::open(&tmp).map_err(be)?;
                copy_all(&rusqlite::backup::Backup::new(c, &mut dst).map_err(be)?)?;
            }
            std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| io("syncing", e))?;
            std::fs::rename(&tmp, &to).map_err(|e| io("renaming", e))?;
            if let Some(dir) = to.parent() {
                std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| io("syncing the folder of", e))?;
            }
            Ok(())
        })
        .await
    }

    /// Copies the backup `from` over this database (the backup API, one transaction). `from`
    /// must hold the hub's tables; it is opened read-only.
    pub async fn restore(&self, from: &Path) -> Result<(), StoreError> {
        let from = from.to_path_buf();
        self.run(move |c| {
            let src = check_backup(&from)?;
            copy_all(&rusqlite::backup::Backup::new(&src, c).map_err(be)?)?;
            Ok(())
        })
        .await
    }

    pub async fn clear(&self) -> Result<(), StoreError> {
        self.run(|c| {
            c.execute_batch("DELETE FROM records; DELETE FROM nonces; DELETE FROM unit_config; DELETE FROM enroll_codes; DELETE FROM devices; DELETE FROM enroll_attempts;")
                .map_err(be)
        })
        .await
    }
}

/// Every page in one step (`sqlite3_backup_step(-1)`), retried while the other side is busy
/// (up to the busy timeout's 10 s).
fn copy_all(b: &rusqlite::backup::Backup) -> Result<(), StoreError> {
    use rusqlite::backup::StepResult;
    for _ in 0..200 {
        match b.step(-1).map_err(be)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    Err(StoreError::Backend("the backup could not finish: the database stayed busy for 10 s".into()))
}

/// Opens `from` read-only and checks that it holds every table and column the hub uses.
pub fn check_backup(from: &Path) -> Result<Connection, StoreError> {
    let src = Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::Refused(format!("{}: {e}", from.display())))?;
    for (table, cols) in super::COLUMNS {
        src.prepare(&format!("SELECT {cols} FROM {table} LIMIT 0")).map_err(|e| {
            StoreError::Refused(format!(
                "{} is not a hub backup: table `{table}` is missing or lacks a column ({e})",
                from.display()
            ))
        })?;
    }
    Ok(src)
}

/// False when this signer used this nonce before.
fn insert_nonce(c: &Connection, signer: &str, nonce: &str, now: &str) -> Result<bool, StoreError> {
    Ok(c.execute(sql::INSERT_NONCE, params![signer, nonce, now]).map_err(be)? == 1)
}
