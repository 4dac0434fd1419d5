//! The audit log: append-only (triggers refuse updates and deletes) and hash-chained, each event
//! holding the hash of the one before. Events carry ids only, never victim data.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::{sql, VaultError};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn hash(prev: &str, seq: i64, at: &str, kind: &str, subject: Option<&str>) -> String {
    let mut h = Sha256::new();
    for part in [prev, &seq.to_string(), at, kind, subject.unwrap_or("")] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction.
pub fn append(conn: &Connection, kind: &str, subject: Option<&str>, now: DateTime<Utc>) -> Result<(), VaultError> {
    let last: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(sql)?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let at = now.to_rfc3339();
    let h = hash(&prev, seq, &at, kind, subject);
    conn.execute(
        "INSERT INTO audit (seq, at, kind, subject, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, at, kind, subject, prev, h],
    )
    .map_err(sql)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub subject: Option<String>,
}

pub fn events(conn: &Connection) -> Result<Vec<Event>, VaultError> {
    let mut st = conn.prepare("SELECT seq, at, kind, subject FROM audit ORDER BY seq").map_err(sql)?;
    let rows = st
        .query_map([], |r| Ok(Event { seq: r.get(0)?, at: r.get(1)?, kind: r.get(2)?, subject: r.get(3)? }))
        .map_err(sql)?;
    rows.collect::<Result<_, _>>().map_err(sql)
}

/// Where the chain breaks first.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("audit chain broken at event {seq}: {reason}")]
pub struct Break {
    pub seq: i64,
    pub reason: String,
}

/// Walks the chain; returns how many events hold, or the first break.
pub fn verify(conn: &Connection) -> Result<u64, Break> {
    let broken = |seq, reason: String| Break { seq, reason };
    let mut st = conn
        .prepare("SELECT seq, at, kind, subject, prev_hash, hash FROM audit ORDER BY seq")
        .map_err(|e| broken(0, e.to_string()))?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(|e| broken(0, e.to_string()))?;
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    for (expect_seq, row) in (1..).zip(rows) {
        let (seq, at, kind, subject, prev_hash, h) = row.map_err(|e| broken(expect_seq, e.to_string()))?;
        if seq != expect_seq {
            return Err(broken(expect_seq, format!("event {expect_seq} is missing (next is {seq})")));
        }
        if prev_hash != prev {
            return Err(broken(seq, "it does not name the hash of the event before".into()));
        }
        if hash(&prev_hash, seq, &at, &kind, subject.as_deref()) != h {
            return Err(broken(seq, "its contents do not match its hash".into()));
        }
        prev = h;
        n += 1;
    }
    Ok(n)
}
