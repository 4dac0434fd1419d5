//! Drafts (an append-only answer log, each event committed before it may show as saved) and
//! sealed records (immutable, signed with the device key, queued in the outbox in the same
//! transaction as their audit event).

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use ring::signature::{KeyPair, UnparsedPublicKey, ED25519};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use screening::outcome::ProtocolRef;
use screening::{Event, ItemKind, Policy, Protocol, Session};

use crate::{audit, sql, Vault, VaultError};

pub const RECORD_FORMAT: &str = "fieldscreen-record/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftSummary {
    pub id: String,
    pub protocol_id: String,
    pub protocol_version: String,
    pub content_hash: String,
    pub language: String,
    pub started_at: String,
    pub events: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemAnswer {
    pub item: String,
    pub answer: screening::Answer,
}

/// What a sealed record holds. Serialized once, signed as those bytes, stored as those bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordBody {
    pub format: String,
    pub id: String,
    pub amends: Option<String>,
    pub protocol: ProtocolRef,
    pub language: String,
    pub answers: Vec<ItemAnswer>,
    pub observations: Vec<ItemAnswer>,
    pub outcome: serde_json::Value,
    pub officer_id: String,
    pub device_id: String,
    pub started_at: String,
    pub finalized_at: String,
    /// The encounter, the person's referral choices and the officer's notes, as the app
    /// recorded them on the draft.
    #[serde(default)]
    pub context: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordSummary {
    pub id: String,
    pub protocol_id: String,
    pub created_at: String,
    pub amends: Option<String>,
    pub level: String,
    pub synced: bool,
    pub queued: bool,
}

impl Vault {
    /// Opens a draft for a screening (audited as `create`).
    pub fn create_draft(
        &self,
        p: &Protocol,
        language: &str,
        amends: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, VaultError> {
        if !p.languages.iter().any(|l| l == language) {
            return Err(VaultError::Invalid(format!("protocol `{}` has no `{language}`", p.id)));
        }
        if let Some(a) = amends {
            self.record_body(a)?;
        }
        let id = crate::random_id()?;
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        tx.execute(
            "INSERT INTO drafts (id, protocol_id, protocol_version, content_hash, language, started_at, amends) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, p.id, p.version, p.content_hash, language, now.to_rfc3339(), amends],
        )
        .map_err(sql)?;
        audit::append(&tx, "create", Some(&id), now)?;
        tx.commit().map_err(sql)?;
        Ok(id)
    }

    /// Appends one event to a draft and commits it (WAL, synchronous=FULL): when this returns,
    /// the event is durable and the UI may say it is saved. The event must apply to the session.
    pub fn append(
        &self,
        draft: &str,
        protocol: &Arc<Protocol>,
        event: &Event,
        now: DateTime<Utc>,
    ) -> Result<u64, VaultError> {
        let (sealed, pid): (Option<String>, String) = self
            .conn()
            .query_row("SELECT record_id, protocol_id FROM drafts WHERE id = ?1", [draft], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(sql)?
            .ok_or_else(|| VaultError::NotFound(format!("no draft `{draft}`")))?;
        if sealed.is_some() {
            return Err(VaultError::Invalid(format!("draft `{draft}` is sealed; amend its record instead")));
        }
        if pid != protocol.id {
            return Err(VaultError::Invalid(format!("draft `{draft}` is for protocol `{pid}`, not `{}`", protocol.id)));
        }
        let mut session = Session::replay(protocol.clone(), &self.draft_events(draft)?)
            .map_err(|e| VaultError::Invalid(e.to_string()))?;
        session.apply(event.clone()).map_err(|e| VaultError::Invalid(e.to_string()))?;
        let json = serde_json::to_string(event).map_err(|e| VaultError::Invalid(e.to_string()))?;
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        let seq: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM draft_events WHERE draft_id = ?1", [draft], |r| r.get(0))
            .map_err(sql)?;
        tx.execute(
            "INSERT INTO draft_events (draft_id, seq, at, event) VALUES (?1, ?2, ?3, ?4)",
            params![draft, seq, now.to_rfc3339(), json],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(seq as u64)
    }

    pub fn draft_events(&self, draft: &str) -> Result<Vec<Event>, VaultError> {
        let mut st =
            self.conn().prepare("SELECT event FROM draft_events WHERE draft_id = ?1 ORDER BY seq").map_err(sql)?;
        let rows = st.query_map([draft], |r| r.get::<_, String>(0)).map_err(sql)?;
        rows.map(|r| {
            let s = r.map_err(sql)?;
            serde_json::from_str(&s).map_err(|e| VaultError::Damaged(format!("draft event: {e}")))
        })
        .collect()
    }

    /// Replaces one key of a draft's context object (committed before returning). Sealed drafts
    /// refuse: their record is immutable.
    pub fn set_draft_context(&self, draft: &str, key: &str, value: serde_json::Value) -> Result<(), VaultError> {
        let mut ctx = self.draft_context(draft)?;
        if self.draft_sealed(draft)? {
            return Err(VaultError::Invalid(format!("draft `{draft}` is sealed; amend its record instead")));
        }
        let obj = ctx
            .as_object_mut()
            .ok_or_else(|| VaultError::Damaged(format!("draft `{draft}`: context is not an object")))?;
        obj.insert(key.to_string(), value);
        let json = serde_json::to_string(&ctx).map_err(|e| VaultError::Invalid(e.to_string()))?;
        self.conn().execute("UPDATE drafts SET context = ?1 WHERE id = ?2", params![json, draft]).map_err(sql)?;
        Ok(())
    }

    /// A draft's context object (`{}` until something is set).
    pub fn draft_context(&self, draft: &str) -> Result<serde_json::Value, VaultError> {
        let s: String = self
            .conn()
            .query_row("SELECT context FROM drafts WHERE id = ?1", [draft], |r| r.get(0))
            .optional()
            .map_err(sql)?
            .ok_or_else(|| VaultError::NotFound(format!("no draft `{draft}`")))?;
        serde_json::from_str(&s).map_err(|e| VaultError::Damaged(format!("draft `{draft}` context: {e}")))
    }

    fn draft_sealed(&self, draft: &str) -> Result<bool, VaultError> {
        self.conn()
            .query_row("SELECT record_id IS NOT NULL FROM drafts WHERE id = ?1", [draft], |r| r.get(0))
            .map_err(sql)
    }

    /// One draft not yet sealed.
    pub fn draft(&self, draft: &str) -> Result<DraftSummary, VaultError> {
        self.drafts()?
            .into_iter()
            .find(|d| d.id == draft)
            .ok_or_else(|| VaultError::NotFound(format!("no open draft `{draft}`")))
    }

    /// Drafts not yet sealed, to resume.
    pub fn drafts(&self) -> Result<Vec<DraftSummary>, VaultError> {
        let mut st = self
            .conn()
            .prepare(
                "SELECT d.id, d.protocol_id, d.protocol_version, d.content_hash, d.language, d.started_at, (SELECT count(*) FROM draft_events e WHERE e.draft_id = d.id)
                 FROM drafts d WHERE d.record_id IS NULL ORDER BY d.started_at, d.rowid",
            )
            .map_err(sql)?;
        let rows = st
            .query_map([], |r| {
                Ok(DraftSummary {
                    id: r.get(0)?,
                    protocol_id: r.get(1)?,
                    protocol_version: r.get(2)?,
                    content_hash: r.get(3)?,
                    language: r.get(4)?,
                    started_at: r.get(5)?,
                    events: r.get(6)?,
                })
            })
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// Seals a draft into a signed, immutable record; the record, its audit event (`finalize`, or
    /// `amend` when it amends another) and its outbox row go in one transaction.
    pub fn finalize(
        &self,
        draft: &str,
        protocol: &Arc<Protocol>,
        policy: Option<&Policy>,
        now: DateTime<Utc>,
    ) -> Result<String, VaultError> {
        let (pid, version, hash, language, started, amends, sealed): (String, String, String, String, String, Option<String>, Option<String>) = self
            .conn()
            .query_row(
                "SELECT protocol_id, protocol_version, content_hash, language, started_at, amends, record_id FROM drafts WHERE id = ?1",
                [draft],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
            )
            .optional()
            .map_err(sql)?
            .ok_or_else(|| VaultError::NotFound(format!("no draft `{draft}`")))?;
        if let Some(r) = sealed {
            return Err(VaultError::Invalid(format!("draft `{draft}` is already sealed as record `{r}`")));
        }
        if pid != protocol.id || version != protocol.version || hash != protocol.content_hash {
            return Err(VaultError::Invalid(format!(
                "draft `{draft}` was taken with {pid} {version} ({}), not the protocol given",
                &hash[..12.min(hash.len())]
            )));
        }
        let session = Session::replay(protocol.clone(), &self.draft_events(draft)?)
            .map_err(|e| VaultError::Invalid(e.to_string()))?;
        let outcome = serde_json::to_value(session.outcome(policy)).map_err(|e| VaultError::Invalid(e.to_string()))?;
        let mut answers = Vec::new();
        let mut observations = Vec::new();
        for it in &protocol.items {
            if let Some(a) = session.answer_of(&it.id) {
                let entry = ItemAnswer { item: it.id.clone(), answer: a.clone() };
                if it.kind == ItemKind::Observation {
                    observations.push(entry)
                } else {
                    answers.push(entry)
                }
            }
        }
        let id = crate::random_id()?;
        let body = RecordBody {
            format: RECORD_FORMAT.into(),
            id: id.clone(),
            amends: amends.clone(),
            protocol: ProtocolRef { id: pid, version, content_hash: hash },
            language,
            answers,
            observations,
            outcome,
            officer_id: self.officer_id().to_string(),
            device_id: self.device_id().to_string(),
            started_at: started,
            finalized_at: now.to_rfc3339(),
            context: self.draft_context(draft)?,
        };
        let bytes = serde_json::to_string(&body).map_err(|e| VaultError::Invalid(e.to_string()))?;
        let sig = self.signing_key()?.sign(bytes.as_bytes());
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        tx.execute(
            "INSERT INTO records (id, draft_id, body, signature, created_at, amends) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, draft, bytes, B64.encode(sig.as_ref()), now.to_rfc3339(), amends],
        )
        .map_err(sql)?;
        tx.execute("UPDATE drafts SET record_id = ?1 WHERE id = ?2", params![id, draft]).map_err(sql)?;
        tx.execute("INSERT INTO outbox (record_id, queued_at) VALUES (?1, ?2)", params![id, now.to_rfc3339()])
            .map_err(sql)?;
        audit::append(&tx, if amends.is_some() { "amend" } else { "finalize" }, Some(&id), now)?;
        tx.commit().map_err(sql)?;
        Ok(id)
    }

    fn record_body(&self, id: &str) -> Result<(String, String), VaultError> {
        self.conn()
            .query_row("SELECT body, signature FROM records WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(sql)?
            .ok_or_else(|| VaultError::NotFound(format!("no record `{id}`")))
    }

    /// A sealed record, its signature checked (audited as `view`).
    pub fn record(&self, id: &str, now: DateTime<Utc>) -> Result<RecordBody, VaultError> {
        let (body, sig) = self.record_body(id)?;
        self.check_signature(&body, &sig)?;
        self.audit("view", Some(id), now)?;
        serde_json::from_str(&body).map_err(|e| VaultError::Damaged(format!("record `{id}`: {e}")))
    }

    fn check_signature(&self, body: &str, sig: &str) -> Result<(), VaultError> {
        let public = self.signing_key()?.public_key().as_ref().to_vec();
        let sig = B64.decode(sig).map_err(|_| VaultError::Damaged("a record signature is malformed".into()))?;
        UnparsedPublicKey::new(&ED25519, public)
            .verify(body.as_bytes(), &sig)
            .map_err(|_| VaultError::Damaged("a record's signature does not match its contents".into()))
    }

    /// Every sealed record, newest last, with its sync state.
    pub fn records(&self) -> Result<Vec<RecordSummary>, VaultError> {
        let mut st = self
            .conn()
            .prepare(
                "SELECT r.id, r.body, r.created_at, r.amends, r.synced_at IS NOT NULL, EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = r.id)
                 FROM records r ORDER BY r.created_at, r.rowid",
            )
            .map_err(sql)?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .map_err(sql)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body, created_at, amends, synced, queued) = row.map_err(sql)?;
            let b: RecordBody =
                serde_json::from_str(&body).map_err(|e| VaultError::Damaged(format!("record `{id}`: {e}")))?;
            let level = b.outcome["level"]["id"].as_str().unwrap_or_default().to_string();
            out.push(RecordSummary { id, protocol_id: b.protocol.id, created_at, amends, level, synced, queued });
        }
        Ok(out)
    }

    /// Checks every record's signature; returns how many hold.
    pub fn verify_records(&self) -> Result<usize, VaultError> {
        let mut st = self.conn().prepare("SELECT id, body, signature FROM records").map_err(sql)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .map_err(sql)?;
        let mut n = 0;
        for row in rows {
            let (id, body, sig) = row.map_err(sql)?;
            self.check_signature(&body, &sig)
                .map_err(|_| VaultError::Damaged(format!("record `{id}`: signature does not match")))?;
            n += 1;
        }
        Ok(n)
    }

    /// Record ids waiting to be sent, in the order they were queued (the outbox's own sequence:
    /// ids are random and clocks can be set back, so neither orders it).
    pub fn outbox(&self) -> Result<Vec<String>, VaultError> {
        let mut st = self.conn().prepare("SELECT record_id FROM outbox ORDER BY seq").map_err(sql)?;
        let rows = st.query_map([], |r| r.get(0)).map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// The hub acknowledged a record: it leaves the outbox and is marked synced.
    pub fn mark_synced(&self, record: &str, now: DateTime<Utc>) -> Result<(), VaultError> {
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        let n = tx
            .execute(
                "UPDATE records SET synced_at = ?1 WHERE id = ?2 AND synced_at IS NULL",
                params![now.to_rfc3339(), record],
            )
            .map_err(sql)?;
        if n == 0 {
            return Err(VaultError::NotFound(format!("no unsynced record `{record}`")));
        }
        tx.execute("DELETE FROM outbox WHERE record_id = ?1", [record]).map_err(sql)?;
        tx.commit().map_err(sql)
    }

    pub fn audit_events(&self) -> Result<Vec<audit::Event>, VaultError> {
        audit::events(self.conn())
    }
}

/// A sealed record as stored: the exact bytes the device signed, and the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    pub id: String,
    pub body: String,
    /// Base64 Ed25519 signature over `body`.
    pub signature: String,
    pub protocol: ProtocolRef,
}

impl Vault {
    /// Sealed records for export, signatures checked, in the order asked. Unknown ids are an
    /// error that names them.
    pub fn sealed(&self, ids: &[String]) -> Result<Vec<Sealed>, VaultError> {
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.record_body(id) {
                Ok((body, signature)) => {
                    self.check_signature(&body, &signature)?;
                    let b: RecordBody =
                        serde_json::from_str(&body).map_err(|e| VaultError::Damaged(format!("record `{id}`: {e}")))?;
                    out.push(Sealed { id: id.clone(), body, signature, protocol: b.protocol });
                }
                Err(VaultError::NotFound(_)) => missing.push(id.as_str()),
                Err(e) => return Err(e),
            }
        }
        if !missing.is_empty() {
            return Err(VaultError::NotFound(format!(
                "no record {}",
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(out)
    }

    /// Signs with the device key (a bundle manifest).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, VaultError> {
        Ok(self.signing_key()?.sign(msg).as_ref().to_vec())
    }

    /// The audit event of an export: the bundle's SHA-256 (ids only, as every audit event).
    pub fn audit_export(&self, bundle_sha256: &str, now: DateTime<Utc>) -> Result<(), VaultError> {
        self.audit("export", Some(bundle_sha256), now)
    }
}
