//! `fieldscreen-hub check`: reads the whole store and reports what does not hold.
//!
//! - every record: its SHA-256 and size match its ciphertext, the ciphertext is an age file,
//!   its id is a plain id, its received time is a time, and its device is in the registry. A
//!   receipt is computed from exactly these columns (`sync::wire::Receipt`), so a record that
//!   passes gives back the receipt its device kept;
//! - the registry: every device's id and public key are well formed, revocation and wipe
//!   flags agree, every device was enrolled by a code that names it and every used code names
//!   an enrolled device;
//! - the unit configuration: the newest one verifies with the configured unit key.
//!
//! The report names records and devices by id: it is for the hub admin's terminal, not a log.

use sync::wire;

use crate::store::{sql, Store, StoreError};

/// What `check` found.
#[derive(Debug, Default)]
pub struct Report {
    pub records: u64,
    pub devices: u64,
    pub problems: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Records are read this many at a time.
const BATCH: i64 = 200;

pub async fn check(store: &Store, unit_key: Option<&str>) -> Result<Report, StoreError> {
    let mut r = Report::default();
    let mut after = 0;
    loop {
        let batch = store.records_after(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.0.seq;
        for (m, envelope) in &batch {
            r.records += 1;
            let id = &m.id;
            if wire::check_id("record id", id).is_err() {
                r.problems.push(format!("record at seq {}: its id `{id}` is not a plain id", m.seq));
            }
            if envelope.len() as u64 != m.size {
                r.problems.push(format!(
                    "record `{id}`: {} bytes stored, its size column says {}",
                    envelope.len(),
                    m.size
                ));
            }
            if wire::sha256_hex(envelope) != m.sha256 {
                r.problems.push(format!("record `{id}`: the stored SHA-256 does not match its ciphertext"));
            }
            if !envelope.starts_with(b"age-encryption.org/v1\n") {
                r.problems.push(format!("record `{id}`: the ciphertext is not an age-encrypted file"));
            }
            if chrono::DateTime::parse_from_rfc3339(&m.received_at).is_err() {
                r.problems.push(format!("record `{id}`: its received time `{}` is not a time", m.received_at));
            }
        }
    }
    for row in store.texts(sql::ORPHAN_RECORDS).await? {
        r.problems.push(format!(
            "record `{}`: its device `{}` is not in the registry",
            row[0].as_deref().unwrap_or("?"),
            row[1].as_deref().unwrap_or("?")
        ));
    }
    let devices = store.devices().await?;
    r.devices = devices.len() as u64;
    for d in &devices {
        let id = &d.device_id;
        if wire::check_id("device id", id).is_err() {
            r.problems.push(format!("device `{id}`: its id is not a plain id"));
        }
        if wire::public_key(&d.public_key).is_err() {
            r.problems.push(format!("device `{id}`: its public key is not an Ed25519 key"));
        }
        if d.revoked_at.is_none() && (d.wipe || d.wipe_reported_at.is_some()) {
            r.problems.push(format!("device `{id}`: a wipe is asked for or reported but the device is not revoked"));
        }
        if d.revoked_at.as_deref().is_some_and(|t| t < d.enrolled_at.as_str()) {
            r.problems.push(format!("device `{id}`: revoked before it was enrolled"));
        }
    }
    for row in store.texts(sql::DEVICES_WITHOUT_CODE).await? {
        r.problems.push(format!(
            "device `{}`: no enrollment code names it (enrolled {})",
            row[0].as_deref().unwrap_or("?"),
            row[1].as_deref().unwrap_or("?")
        ));
    }
    for row in store.texts(sql::ORPHAN_CODES).await? {
        r.problems.push(format!(
            "enrollment code {}...: used by device `{}`, which is not in the registry",
            row[0].as_deref().unwrap_or("?"),
            row[1].as_deref().unwrap_or("?")
        ));
    }
    if let Some(u) = store.unit().await? {
        match unit_key {
            None => r
                .problems
                .push(format!("unit configuration {}: stored, but no unit_key is configured to verify it", u.serial)),
            Some(k) => {
                if wire::verify(k, &u.document, &u.signature).is_err() {
                    r.problems
                        .push(format!("unit configuration {}: its signature does not verify with unit_key", u.serial));
                }
            }
        }
    }
    Ok(r)
}
