//! Opening the SQLCipher database: raw key, the settings Fieldscreen relies on (asserted, not
//! assumed), and forward-only migrations. Refuses to create or open a plaintext file.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::keys::Dek;
use crate::VaultError;

pub const DB_FILE: &str = "vault.db";
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Forward-only migrations; `user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    // 1: drafts as an append-only answer log, sealed records, the audit chain, the outbox.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE drafts (
        id TEXT PRIMARY KEY,
        protocol_id TEXT NOT NULL,
        protocol_version TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        language TEXT NOT NULL,
        started_at TEXT NOT NULL,
        amends TEXT,
        record_id TEXT
     );
     CREATE TABLE draft_events (
        draft_id TEXT NOT NULL REFERENCES drafts(id),
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (draft_id, seq)
     );
     CREATE TRIGGER draft_events_append_only BEFORE UPDATE ON draft_events
        BEGIN SELECT RAISE(ABORT, 'draft events are append-only'); END;
     CREATE TABLE records (
        id TEXT PRIMARY KEY,
        draft_id TEXT NOT NULL,
        body TEXT NOT NULL,
        signature TEXT NOT NULL,
        created_at TEXT NOT NULL,
        amends TEXT REFERENCES records(id),
        synced_at TEXT
     );
     CREATE TRIGGER records_immutable BEFORE UPDATE OF id, draft_id, body, signature, created_at, amends ON records
        BEGIN SELECT RAISE(ABORT, 'sealed records are immutable'); END;
     CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
     );
     CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
     CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
     CREATE TABLE outbox (
        record_id TEXT PRIMARY KEY REFERENCES records(id),
        queued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
     );",
    // 2: what the officer records around the answers (encounter, referral choices, notes), as a
    //    JSON object, kept with the draft and sealed into its record.
    "ALTER TABLE drafts ADD COLUMN context TEXT NOT NULL DEFAULT '{}';",
    // 3: the outbox keeps its own insertion order (`seq`), since record ids are random from now
    //    on. Rows already queued keep the order they had (queue time, then their time-ordered
    //    UUIDv7 id).
    "CREATE TABLE outbox_seq (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL UNIQUE REFERENCES records(id),
        queued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
     );
     INSERT INTO outbox_seq (record_id, queued_at, attempts) SELECT record_id, queued_at, attempts FROM outbox ORDER BY queued_at, record_id;
     DROP TABLE outbox;
     ALTER TABLE outbox_seq RENAME TO outbox;",
];

fn sql(e: rusqlite::Error) -> VaultError {
    VaultError::from_sqlite(e)
}

/// True when the file starts like an unencrypted SQLite database.
pub fn is_plaintext(path: &Path) -> Result<bool, VaultError> {
    use std::io::Read;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(VaultError::io("cannot read", path, e)),
    };
    let mut head = [0u8; 16];
    match f.read_exact(&mut head) {
        Ok(()) => Ok(&head == PLAINTEXT_HEADER),
        Err(_) => Ok(false),
    }
}

/// Opens (or, with `create`, creates) the encrypted database and asserts its settings.
pub fn open(dir: &Path, dek: &Dek, create: bool) -> Result<Connection, VaultError> {
    let path = dir.join(DB_FILE);
    let exists = path.exists();
    if exists && is_plaintext(&path)? {
        return Err(VaultError::Plaintext(path.display().to_string()));
    }
    if !exists && !create {
        return Err(VaultError::Damaged(format!("{} is missing", path.display())));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(&path, flags).map_err(sql)?;
    // Damage is reported through our errors; SQLCipher's own log lines would only add noise.
    let _ = conn.pragma_update(None, "cipher_log_level", "NONE");
    // The raw key goes in as a bound string value, never spliced into SQL text.
    conn.pragma_update(None, "key", dek.sqlcipher_literal().as_str()).map_err(sql)?;
    let cipher: String = conn
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .map_err(|_| VaultError::Damaged("this build has no SQLCipher; refusing to store data unencrypted".into()))?;
    if cipher.is_empty() {
        return Err(VaultError::Damaged("SQLCipher is not active".into()));
    }
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            VaultError::Damaged(format!(
                "{} cannot be read with this vault's key: it is damaged or not this vault's database",
                path.display()
            ))
        }
        other => sql(other),
    })?;
    conn.pragma_update(None, "temp_store", "MEMORY").map_err(sql)?;
    conn.pragma_update(None, "secure_delete", "ON").map_err(sql)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(sql)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(sql)?;
    conn.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
    assert_settings(&conn, &mode)?;
    migrate(&conn)?;
    Ok(conn)
}

/// What the vault's promises rest on, read back from the database itself.
fn assert_settings(conn: &Connection, journal_mode: &str) -> Result<(), VaultError> {
    let get = |p: &str| -> Result<String, VaultError> {
        conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, rusqlite::types::Value>(0))
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .map_err(sql)
    };
    let checks = [
        ("journal_mode", journal_mode.to_string(), "wal"),
        ("synchronous", get("synchronous")?, "2"),
        ("temp_store", get("temp_store")?, "2"),
        ("secure_delete", get("secure_delete")?, "1"),
    ];
    for (name, got, want) in checks {
        if !got.eq_ignore_ascii_case(want) {
            return Err(VaultError::Damaged(format!("PRAGMA {name} is {got}, expected {want}")));
        }
    }
    let hmac = get("cipher_hmac_algorithm")?;
    if !hmac.to_uppercase().contains("HMAC") {
        return Err(VaultError::Damaged(format!("page HMAC is off ({hmac})")));
    }
    Ok(())
}

fn migrate(conn: &Connection) -> Result<(), VaultError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(VaultError::Damaged(format!(
            "the database is at version {version}, newer than this app ({known}); update the app"
        )));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {m}; PRAGMA user_version = {}; COMMIT;", i + 1)).map_err(sql)?;
    }
    Ok(())
}

/// SQLCipher's page-HMAC check over the whole file, then SQLite's own.
pub fn integrity(conn: &Connection) -> Result<(), VaultError> {
    let mut stmt = conn.prepare("PRAGMA cipher_integrity_check").map_err(sql)?;
    let problems: Vec<String> =
        stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql)?.collect::<Result<_, _>>().map_err(sql)?;
    if !problems.is_empty() {
        return Err(VaultError::Damaged(format!("SQLCipher integrity check: {}", problems.join("; "))));
    }
    let ok: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(sql)?;
    if ok != "ok" {
        return Err(VaultError::Damaged(format!("SQLite quick check: {ok}")));
    }
    Ok(())
}
