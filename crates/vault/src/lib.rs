//! Fieldscreen's encrypted local store. The only crate that opens the database.
//!
//! A data folder holds `key.json` (the wrapped data key), `unlock-guard.json` (the failed-unlock
//! counter), `vault.db` (SQLCipher, WAL) and a lock file. Times are passed in by the caller.

pub mod audit;
pub mod db;
pub mod enrollment;
pub mod export;
pub mod guard;
pub mod keys;
pub mod records;

use std::fs::File;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use rusqlite::{params, Connection, OptionalExtension};
use zeroize::Zeroizing;

pub use guard::{Gate, UnlockPolicy};
pub use keys::{Dek, KeyFile, MIN_ITERATIONS};

const LOCK_FILE: &str = ".lock";

/// A new id for a device, draft or record: a random UUID (version 4) from the OS CSPRNG, so
/// that an id says nothing of when it was made (record and device ids reach the hub). Ids made
/// before this rule (time-ordered UUIDv7) stay valid; nothing orders by id.
pub fn random_id() -> Result<String, VaultError> {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut b)
        .map_err(|_| VaultError::crypto("the system random source failed"))?;
    Ok(uuid::Builder::from_random_bytes(b).into_uuid().to_string())
}

/// The cause kept behind an error, as its `source()`.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault in {0}; create one with `fieldscreen device init`")]
    NotInitialized(String),
    #[error("a vault already exists in {0}")]
    AlreadyExists(String),
    #[error("the secret is not correct")]
    WrongSecret,
    #[error("too many failed attempts: the vault stays locked for {0}")]
    LockedOut(String),
    #[error("wait {0} before the next attempt")]
    Delayed(String),
    #[error("this vault was crypto-wiped: its data key is destroyed and its records cannot be read")]
    Wiped,
    #[error("{0}")]
    Policy(String),
    #[error("another process has this vault open ({0})")]
    Busy(String),
    #[error("{0} is an unencrypted SQLite file; refusing to open it")]
    Plaintext(String),
    #[error("the vault is damaged: {0}. The files are kept as they are for recovery.")]
    Damaged(String),
    #[error("key file: {0}")]
    KeyFile(String),
    #[error("crypto: {message}")]
    Crypto {
        message: String,
        #[source]
        source: Option<Cause>,
    },
    #[error("database: {0}")]
    Sql(#[source] rusqlite::Error),
    /// A file step failed; the message names the step and the path.
    #[error("{message}")]
    Io {
        message: String,
        #[source]
        source: Cause,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

impl VaultError {
    pub(crate) fn from_sqlite(e: rusqlite::Error) -> VaultError {
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) =>
            {
                VaultError::Damaged(e.to_string())
            }
            _ => VaultError::Sql(e),
        }
    }

    /// A crypto failure with nothing more to say than `message` (ring's errors carry no cause).
    pub fn crypto(message: impl Into<String>) -> VaultError {
        VaultError::Crypto { message: message.into(), source: None }
    }

    /// A crypto failure caused by `e` (age, a bundle).
    pub fn crypto_from(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> VaultError {
        VaultError::Crypto { message: format!("{what}{e}"), source: Some(Box::new(e)) }
    }

    /// An IO failure of `what` on `path`.
    pub fn io(what: &'static str, path: &Path, e: std::io::Error) -> VaultError {
        durable::Error::io(what, path, e).into()
    }

    /// A stable name for matching (IPC `kind`, CLI exit codes).
    pub fn kind(&self) -> &'static str {
        match self {
            VaultError::NotInitialized(_) => "not-initialized",
            VaultError::AlreadyExists(_) => "already-exists",
            VaultError::WrongSecret => "wrong-secret",
            VaultError::LockedOut(_) => "locked-out",
            VaultError::Delayed(_) => "delayed",
            VaultError::Wiped => "wiped",
            VaultError::Policy(_) => "policy",
            VaultError::Busy(_) => "busy",
            VaultError::Plaintext(_) => "plaintext",
            VaultError::Damaged(_) => "damaged",
            VaultError::KeyFile(_) => "key-file",
            VaultError::Crypto { .. } => "crypto",
            VaultError::Sql(_) => "database",
            VaultError::Io { .. } => "io",
            VaultError::NotFound(_) => "not-found",
            VaultError::Invalid(_) => "invalid",
        }
    }
}

impl From<durable::Error> for VaultError {
    fn from(e: durable::Error) -> VaultError {
        VaultError::Io { message: e.to_string(), source: Box::new(e) }
    }
}

/// Two errors are equal when they are the same kind with the same message (their causes are
/// not compared).
impl PartialEq for VaultError {
    fn eq(&self, other: &VaultError) -> bool {
        self.kind() == other.kind() && self.to_string() == other.to_string()
    }
}

pub(crate) fn sql(e: rusqlite::Error) -> VaultError {
    VaultError::from_sqlite(e)
}

/// How to create a vault.
pub struct CreateOptions<'a> {
    pub officer_id: &'a str,
    /// The unit custodian's age recipient for a recovery wrap, if any.
    pub recovery_recipient: Option<&'a str>,
    pub iterations: u32,
}

/// An unlocked vault. Dropping it (or [`Vault::lock`]) closes the database and zeroes the keys.
pub struct Vault {
    dir: PathBuf,
    conn: Connection,
    device_id: String,
    officer_id: String,
    signing_pkcs8: Zeroizing<Vec<u8>>,
    _lock: File,
}

fn fmt_duration(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(1);
    match s {
        1 => "1 second".into(),
        2..=119 => format!("{s} seconds"),
        _ => format!("{} minutes", (s + 59) / 60),
    }
}

fn take_lock(dir: &Path) -> Result<File, VaultError> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(|e| VaultError::io("cannot open the lock file", &dir.join(LOCK_FILE), e))?;
    // A process that just closed the vault can leave the lock held for a moment (a process
    // forked elsewhere shares the open file until it execs), so a busy lock is tried again
    // for up to a second before the vault is reported as open elsewhere.
    for attempt in 0..=LOCK_RETRIES {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(std::fs::TryLockError::WouldBlock) if attempt < LOCK_RETRIES => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            Err(std::fs::TryLockError::WouldBlock) => break,
            Err(std::fs::TryLockError::Error(e)) => return Err(VaultError::io("cannot lock", &dir.join(LOCK_FILE), e)),
        }
    }
    Err(VaultError::Busy(dir.display().to_string()))
}

const LOCK_RETRIES: u32 = 20;

impl Vault {
    /// Creates a vault in `dir` (made if missing): a fresh data key, device identity and database.
    pub fn create(
        dir: &Path,
        secret: &str,
        opts: &CreateOptions,
        policy: &UnlockPolicy,
        now: DateTime<Utc>,
    ) -> Result<Vault, VaultError> {
        policy.check_secret(secret)?;
        if opts.iterations < MIN_ITERATIONS && !cfg!(test) {
            return Err(VaultError::Policy(format!(
                "at least {MIN_ITERATIONS} key-derivation iterations are required"
            )));
        }
        if opts.officer_id.trim().is_empty() {
            return Err(VaultError::Invalid("an officer id is required".into()));
        }
        if let Some(r) = opts.recovery_recipient {
            r.parse::<age::x25519::Recipient>()
                .map_err(|e| VaultError::Policy(format!("`{r}` is not an age recipient: {e}")))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| VaultError::io("cannot create", dir, e))?;
        let lock = take_lock(dir)?;
        if status(dir) == Status::SetUp {
            return Err(VaultError::AlreadyExists(dir.display().to_string()));
        }
        let dek = Dek::generate()?;
        let kf =
            KeyFile::new(&dek, secret, opts.officer_id, opts.iterations, opts.recovery_recipient, &now.to_rfc3339())?;
        let conn = db::open(dir, &dek, true)?;
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| VaultError::crypto("generating the device key failed"))?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| VaultError::crypto("device key"))?;
        conn.execute("INSERT INTO meta (key, value) VALUES ('device_signing_pkcs8', ?1), ('device_public_key', ?2), ('device_id', ?3)",
            params![B64.encode(pkcs8.as_ref()), B64.encode(pair.public_key().as_ref()), kf.device_id])
            .map_err(sql)?;
        // The key file last: a vault exists once it can be unlocked.
        kf.write(dir)?;
        clear_wiped(dir)?;
        let v = Vault {
            dir: dir.to_path_buf(),
            conn,
            device_id: kf.device_id.clone(),
            officer_id: kf.officer_id.clone(),
            signing_pkcs8: Zeroizing::new(pkcs8.as_ref().to_vec()),
            _lock: lock,
        };
        v.audit("create-vault", Some(&v.device_id), now)?;
        Ok(v)
    }

    /// Unlocks with the officer's secret, under the unlock policy.
    pub fn unlock(dir: &Path, secret: &str, policy: &UnlockPolicy, now: DateTime<Utc>) -> Result<Vault, VaultError> {
        let kf = match KeyFile::read(dir) {
            Err(VaultError::NotInitialized(d)) if dir.join(db::DB_FILE).exists() => {
                return Err(VaultError::Damaged(format!("the key file in {d} is missing")))
            }
            Err(VaultError::NotInitialized(_)) if dir.join(WIPED_MARK).exists() => return Err(VaultError::Wiped),
            other => other?,
        };
        let lock = take_lock(dir)?;
        let gkey = kf.guard_key()?;
        let g = guard::Guard::new(dir, &gkey, policy);
        let state = g.load(now)?;
        if let Gate::Wait { remaining, locked_out } = g.gate(&state, now) {
            return Err(if locked_out {
                VaultError::LockedOut(fmt_duration(remaining))
            } else {
                VaultError::Delayed(fmt_duration(remaining))
            });
        }
        let dek = match kf.secret.open(secret)? {
            Some(d) => d,
            None => {
                let state = g.fail(state, now)?;
                if policy.wipe_after.is_some_and(|n| state.failures >= n) {
                    drop(lock);
                    wipe(dir)?;
                    return Err(VaultError::Wiped);
                }
                return Err(if state.locked_out {
                    VaultError::LockedOut(fmt_duration(policy.lockout))
                } else {
                    VaultError::WrongSecret
                });
            }
        };
        let conn = db::open(dir, &dek, false)?;
        let pkcs8: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'device_signing_pkcs8'", [], |r| r.get(0))
            .map_err(sql)?;
        let v = Vault {
            dir: dir.to_path_buf(),
            conn,
            device_id: kf.device_id.clone(),
            officer_id: kf.officer_id.clone(),
            signing_pkcs8: Zeroizing::new(
                B64.decode(pkcs8).map_err(|_| VaultError::Damaged("device key is malformed".into()))?,
            ),
            _lock: lock,
        };
        for _ in 0..state.failures {
            v.audit("unlock-failure", None, now)?;
        }
        if state.locked_out {
            v.audit("lockout", None, now)?;
        }
        g.succeed(state, now)?;
        v.audit("unlock", None, now)?;
        Ok(v)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn device_id(&self) -> &str {
        &self.device_id
    }
    pub fn officer_id(&self) -> &str {
        &self.officer_id
    }
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn signing_key(&self) -> Result<Ed25519KeyPair, VaultError> {
        Ed25519KeyPair::from_pkcs8(&self.signing_pkcs8)
            .map_err(|_| VaultError::Damaged("device key is malformed".into()))
    }

    /// The device's Ed25519 public key (base64), derived from the key that signs.
    pub fn device_public_key(&self) -> Result<String, VaultError> {
        Ok(B64.encode(self.signing_key()?.public_key().as_ref()))
    }

    /// Closes the database and zeroes every key held in memory.
    pub fn lock(self) {
        drop(self);
    }

    /// Re-wraps the data key under a new secret. The database file is not touched; the key file
    /// is replaced atomically, so a crash leaves the old or the new secret working.
    pub fn change_secret(
        &self,
        old: &str,
        new: &str,
        policy: &UnlockPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), VaultError> {
        self.change_secret_stopping(old, new, policy, now, None)
    }

    /// `change_secret`, optionally stopping after a step of the key-file replace as a crash there
    /// would (crash tests only; not part of the public API).
    pub(crate) fn change_secret_stopping(
        &self,
        old: &str,
        new: &str,
        policy: &UnlockPolicy,
        now: DateTime<Utc>,
        stop: Option<keys::Step>,
    ) -> Result<(), VaultError> {
        policy.check_secret(new)?;
        let mut kf = KeyFile::read(&self.dir)?;
        let dek = kf.secret.open(old)?.ok_or(VaultError::WrongSecret)?;
        kf.secret = keys::SecretWrap::new(
            &dek,
            new,
            kf.secret.kdf.iterations.max(if cfg!(test) { 1 } else { MIN_ITERATIONS }),
        )?;
        let bytes = serde_json::to_vec_pretty(&kf).map_err(|e| VaultError::KeyFile(e.to_string()))?;
        durable::write_atomic_until(&self.dir.join(keys::KEY_FILE), &bytes, stop)?;
        if stop.is_none() {
            self.audit("settings-change", Some("secret"), now)?;
        }
        Ok(())
    }

    /// Asks for the secret again while unlocked (leaving the hand-over view, an export). Goes
    /// through the same delays and lockout as unlocking; a wipe policy applies here too.
    pub fn confirm_secret(&self, secret: &str, policy: &UnlockPolicy, now: DateTime<Utc>) -> Result<(), VaultError> {
        let kf = KeyFile::read(&self.dir)?;
        let gkey = kf.guard_key()?;
        let g = guard::Guard::new(&self.dir, &gkey, policy);
        let state = g.load(now)?;
        if let Gate::Wait { remaining, locked_out } = g.gate(&state, now) {
            return Err(if locked_out {
                VaultError::LockedOut(fmt_duration(remaining))
            } else {
                VaultError::Delayed(fmt_duration(remaining))
            });
        }
        if kf.secret.open(secret)?.is_none() {
            let state = g.fail(state, now)?;
            self.audit("confirm-failure", None, now)?;
            if policy.wipe_after.is_some_and(|n| state.failures >= n) {
                wipe(&self.dir)?;
                return Err(VaultError::Wiped);
            }
            return Err(if state.locked_out {
                VaultError::LockedOut(fmt_duration(policy.lockout))
            } else {
                VaultError::WrongSecret
            });
        }
        g.succeed(state, now)?;
        self.audit("confirm", None, now)
    }

    /// SQLCipher page HMACs, SQLite's check, and the audit chain.
    pub fn verify(&self) -> Result<u64, VaultError> {
        db::integrity(&self.conn)?;
        audit::verify(&self.conn).map_err(|b| VaultError::Damaged(b.to_string()))
    }

    /// Deletes sealed records that are synced and older than the retention window (audited).
    pub fn purge(&self, retention_days: u32, now: DateTime<Utc>) -> Result<usize, VaultError> {
        let cutoff = (now - chrono::Duration::days(retention_days as i64)).to_rfc3339();
        let tx = self.conn.unchecked_transaction().map_err(sql)?;
        let ids: Vec<String> = {
            let mut st = tx
                .prepare("SELECT id FROM records WHERE synced_at IS NOT NULL AND created_at < ?1 AND id NOT IN (SELECT record_id FROM outbox)")
                .map_err(sql)?;
            let rows = st.query_map([&cutoff], |r| r.get(0)).map_err(sql)?;
            rows.collect::<Result<_, _>>().map_err(sql)?
        };
        for id in &ids {
            let draft: Option<String> = tx
                .query_row("SELECT draft_id FROM records WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            tx.execute("DELETE FROM records WHERE id = ?1", [id]).map_err(sql)?;
            if let Some(d) = draft {
                tx.execute("DELETE FROM draft_events WHERE draft_id = ?1", [&d]).map_err(sql)?;
                tx.execute("DELETE FROM drafts WHERE id = ?1", [&d]).map_err(sql)?;
            }
            audit::append(&tx, "purge", Some(id), now)?;
        }
        tx.commit().map_err(sql)?;
        Ok(ids.len())
    }

    pub(crate) fn audit(&self, kind: &str, subject: Option<&str>, now: DateTime<Utc>) -> Result<(), VaultError> {
        let tx = self.conn.unchecked_transaction().map_err(sql)?;
        audit::append(&tx, kind, subject, now)?;
        tx.commit().map_err(sql)
    }
}

/// Left in the folder after a wipe, so that unlocking says what happened.
const WIPED_MARK: &str = "WIPED";

/// The files a vault keeps in its folder, in the order a wipe deletes them.
const FILES: [&str; 5] = [keys::KEY_FILE, guard::GUARD_FILE, db::DB_FILE, "vault.db-wal", "vault.db-shm"];

/// What a data folder holds, without unlocking anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No vault: set one up.
    NotSetUp,
    /// A vault (its key file or its database) is there: unlock it.
    SetUp,
    /// Crypto-wiped: nothing can be read; a new vault may be set up.
    Wiped,
}

/// The folder's [`Status`]. A folder with a database but no key file counts as set up, so that
/// unlocking reports it damaged instead of offering to set up over it.
pub fn status(dir: &Path) -> Status {
    if dir.join(keys::KEY_FILE).exists() || dir.join(db::DB_FILE).exists() {
        Status::SetUp
    } else if dir.join(WIPED_MARK).exists() {
        Status::Wiped
    } else {
        Status::NotSetUp
    }
}

/// A new vault in a wiped folder: the marker goes once the new key file is in place.
fn clear_wiped(dir: &Path) -> Result<(), VaultError> {
    let mark = dir.join(WIPED_MARK);
    match std::fs::remove_file(&mark) {
        Ok(()) => Ok(durable::sync_dir(dir)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(VaultError::io("cannot delete", &mark, e)),
    }
}

/// Crypto-wipe: destroys every wrap of the data key (overwritten, synced, deleted), then the
/// database, WAL and SHM. Without a wrap the database cannot be read by anyone. Returns the names
/// of the files it deleted.
pub fn wipe(dir: &Path) -> Result<Vec<&'static str>, VaultError> {
    let _lock = take_lock(dir)?;
    let key = dir.join(keys::KEY_FILE);
    if let Ok(meta) = std::fs::metadata(&key) {
        let zeros = vec![0u8; meta.len() as usize];
        durable::write_atomic(&key, &zeros)?;
    }
    let mut deleted = Vec::new();
    let tmp = durable::temp_path(&key);
    for path in FILES.iter().map(|name| dir.join(name)).chain([tmp]) {
        match std::fs::remove_file(&path) {
            Ok(()) => deleted.extend(FILES.iter().find(|n| path.ends_with(n))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(VaultError::io("cannot delete", &path, e)),
        }
    }
    durable::write_atomic(&dir.join(WIPED_MARK), b"This vault was crypto-wiped.\n")?;
    Ok(deleted)
}

#[cfg(test)]
mod tests;
