//! What the device keeps about its hub, inside the encrypted database (`meta` rows under
//! `sync.` and `unit.`): the hub URL, the pinned CA certificates, the pinned unit key, the unit
//! configuration in force, each queued record's sealed envelope (sealed once, so that a retry
//! sends the same bytes), per-record errors and the last sync.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::{audit, sql, Vault, VaultError};

const ENROLLMENT: &str = "sync.enrollment";
const LAST_SYNC: &str = "sync.last_sync";
const LAST_CONTACT: &str = "sync.last_contact";
const UNIT: &str = "unit.config";
const ENVELOPE: &str = "sync.envelope.";
const ERROR: &str = "sync.error.";
const RECEIPT: &str = "sync.receipt.";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    pub hub_url: String,
    /// PEM certificates of the CAs the hub's certificate must chain to (the second is a
    /// rotation pin). Empty only for a plain-HTTP loopback hub.
    pub ca_pems: Vec<String>,
    /// The unit's Ed25519 key (base64) that signs its configuration.
    pub unit_key: Option<String>,
    pub enrolled_at: String,
}

/// The unit configuration in force on this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitState {
    pub serial: u64,
    pub unit: String,
    pub recipients: Vec<String>,
    /// The folder (relative to the data folder) holding its content files.
    pub library: String,
}

/// Why a queued record was not accepted, as the hub or the sealing step said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordError {
    pub record_id: String,
    pub kind: String,
    pub message: String,
    pub at: String,
}

impl Vault {
    fn meta_get(&self, key: &str) -> Result<Option<String>, VaultError> {
        self.conn().query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(sql)
    }

    fn meta_json<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, VaultError> {
        self.meta_get(key)?
            .map(|v| serde_json::from_str(&v).map_err(|e| VaultError::Damaged(format!("meta `{key}`: {e}"))))
            .transpose()
    }

    pub fn enrollment(&self) -> Result<Option<Enrollment>, VaultError> {
        self.meta_json(ENROLLMENT)
    }

    /// Records the hub this device enrolled with (audited as `enroll`).
    pub fn set_enrollment(&self, e: &Enrollment, now: DateTime<Utc>) -> Result<(), VaultError> {
        let json = serde_json::to_string(e).map_err(|e| VaultError::Invalid(e.to_string()))?;
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![ENROLLMENT, json])
            .map_err(sql)?;
        audit::append(&tx, "enroll", Some(&e.hub_url), now)?;
        tx.commit().map_err(sql)
    }

    pub fn unit_state(&self) -> Result<Option<UnitState>, VaultError> {
        self.meta_json(UNIT)
    }

    /// Puts a verified unit configuration in force (audited as `unit-config`).
    pub fn set_unit_state(&self, u: &UnitState, now: DateTime<Utc>) -> Result<(), VaultError> {
        let json = serde_json::to_string(u).map_err(|e| VaultError::Invalid(e.to_string()))?;
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![UNIT, json]).map_err(sql)?;
        audit::append(&tx, "unit-config", Some(&u.serial.to_string()), now)?;
        tx.commit().map_err(sql)
    }

    /// The sealed envelope made for a queued record, if one was made.
    pub fn sync_envelope(&self, record: &str) -> Result<Option<String>, VaultError> {
        self.meta_get(&format!("{ENVELOPE}{record}"))
    }

    /// Keeps sealed envelopes (base64) before they are first sent, in one transaction.
    pub fn store_sync_envelopes(&self, envelopes: &[(String, String)]) -> Result<(), VaultError> {
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        for (id, b64) in envelopes {
            tx.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                params![format!("{ENVELOPE}{id}"), b64],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    /// The hub's durable receipts: each record leaves the outbox, is marked synced, keeps its
    /// receipt hash and drops its envelope and error, all in one transaction.
    pub fn mark_synced_with_receipts(
        &self,
        receipts: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<(), VaultError> {
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        for (id, receipt) in receipts {
            let n = tx
                .execute(
                    "UPDATE records SET synced_at = ?1 WHERE id = ?2 AND synced_at IS NULL",
                    params![now.to_rfc3339(), id],
                )
                .map_err(sql)?;
            if n == 0 {
                let known: bool = tx
                    .query_row("SELECT EXISTS (SELECT 1 FROM records WHERE id = ?1)", [id], |r| r.get(0))
                    .map_err(sql)?;
                if !known {
                    return Err(VaultError::NotFound(format!("no record `{id}`")));
                }
            }
            tx.execute("DELETE FROM outbox WHERE record_id = ?1", [id]).map_err(sql)?;
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![format!("{RECEIPT}{id}"), receipt],
            )
            .map_err(sql)?;
            tx.execute(
                "DELETE FROM meta WHERE key IN (?1, ?2)",
                params![format!("{ENVELOPE}{id}"), format!("{ERROR}{id}")],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }

    /// The hub's receipt hash for a synced record.
    pub fn sync_receipt(&self, record: &str) -> Result<Option<String>, VaultError> {
        self.meta_get(&format!("{RECEIPT}{record}"))
    }

    pub fn set_record_error(&self, e: &RecordError) -> Result<(), VaultError> {
        let json = serde_json::to_string(e).map_err(|e| VaultError::Invalid(e.to_string()))?;
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![format!("{ERROR}{}", e.record_id), json],
            )
            .map_err(sql)?;
        Ok(())
    }

    /// Per-record errors of records still queued.
    pub fn record_errors(&self) -> Result<Vec<RecordError>, VaultError> {
        let mut st =
            self.conn().prepare("SELECT value FROM meta WHERE key >= ?1 AND key < ?2 ORDER BY key").map_err(sql)?;
        let rows = st.query_map(params![ERROR, "sync.error/"], |r| r.get::<_, String>(0)).map_err(sql)?;
        rows.map(|r| {
            serde_json::from_str(&r.map_err(sql)?).map_err(|e| VaultError::Damaged(format!("a sync error: {e}")))
        })
        .collect()
    }

    pub fn last_sync(&self) -> Result<Option<String>, VaultError> {
        self.meta_get(LAST_SYNC)
    }

    pub fn set_last_sync(&self, now: DateTime<Utc>) -> Result<(), VaultError> {
        self.conn()
            .execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![LAST_SYNC, now.to_rfc3339()])
            .map_err(sql)?;
        Ok(())
    }

    /// When the hub last answered this device's signed request.
    pub fn last_contact(&self) -> Result<Option<String>, VaultError> {
        self.meta_get(LAST_CONTACT)
    }

    pub fn set_last_contact(&self, now: DateTime<Utc>) -> Result<(), VaultError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![LAST_CONTACT, now.to_rfc3339()],
            )
            .map_err(sql)?;
        Ok(())
    }

    /// The hub's certificate did not chain to the pinned CA or name (audited as `untrusted-hub`,
    /// with the hub URL).
    pub fn audit_untrusted_hub(&self, hub_url: &str, now: DateTime<Utc>) -> Result<(), VaultError> {
        self.audit("untrusted-hub", Some(hub_url), now)
    }

    /// Records the hub's revocation before the wipe (audited as `revoked`).
    pub fn audit_revocation(&self, now: DateTime<Utc>) -> Result<(), VaultError> {
        self.audit("revoked", Some(self.device_id()), now)
    }
}
