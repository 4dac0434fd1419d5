//! Applying a verified unit configuration on the device: its content files must load and check
//! as a library before anything changes; they are written to `unit/<serial>.partial`, synced,
//! renamed to `unit/<serial>`, and only then put in force in the vault. Earlier folders stay,
//! so a draft keeps the protocol version it started with.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use vault::enrollment::UnitState;
use vault::Vault;

use crate::client::SyncError;
use crate::wire::UnitDocument;

fn io(what: &str, e: std::io::Error) -> SyncError {
    SyncError::Invalid(format!("{what}: {e}"))
}

/// Checks that the content files load as a library (protocols, policy, resources).
pub fn check_library(doc: &UnitDocument) -> Result<(), SyncError> {
    let sources: Vec<screening::Source> =
        doc.files.iter().filter(|(p, _)| p.ends_with(".toml")).map(|(p, t)| screening::Source { path: p.clone(), text: t.clone() }).collect();
    if sources.is_empty() {
        return Ok(());
    }
    screening::load(&sources).map(|_| ()).map_err(|problems| {
        let shown: Vec<String> = problems.iter().take(5).map(|p| p.to_string()).collect();
        SyncError::Invalid(format!("the unit configuration's content does not check ({} problems): {}", problems.len(), shown.join("; ")))
    })
}

pub fn apply(vault: &Vault, doc: &UnitDocument, document: &[u8], signature: &str, now: DateTime<Utc>) -> Result<UnitState, SyncError> {
    check_library(doc)?;
    let rel = format!("unit/{}", doc.serial);
    let dir = vault.dir().join(&rel);
    if !dir.exists() {
        let partial = vault.dir().join(format!("{rel}.partial"));
        if partial.exists() {
            std::fs::remove_dir_all(&partial).map_err(|e| io("clearing an unfinished unit folder", e))?;
        }
        for (path, text) in &doc.files {
            write_synced(&partial.join(path), text.as_bytes())?;
        }
        write_synced(&partial.join("unit.json"), document)?;
        write_synced(&partial.join("unit.sig"), signature.as_bytes())?;
        std::fs::rename(&partial, &dir).map_err(|e| io("putting the unit folder in place", e))?;
        sync_dir(dir.parent().unwrap_or(Path::new(".")))?;
    }
    let state = UnitState { serial: doc.serial, unit: doc.unit.clone(), recipients: doc.recipients.clone(), library: rel };
    vault.set_unit_state(&state, now)?;
    Ok(state)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SyncError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io("creating the unit folder", e))?;
    }
    let mut f = std::fs::File::create(path).map_err(|e| io("writing a unit file", e))?;
    f.write_all(bytes).map_err(|e| io("writing a unit file", e))?;
    f.sync_all().map_err(|e| io("syncing a unit file", e))
}

fn sync_dir(dir: &Path) -> Result<(), SyncError> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io("syncing the unit folder", e))
}
