//! Applying a verified unit configuration on the device: its content files must load and check
//! as a library before anything changes; they are written to `unit/<serial>.partial`, synced,
//! renamed to `unit/<serial>`, and only then put in force in the vault. Earlier folders stay,
//! so a draft keeps the protocol version it started with.

use std::path::Path;

use chrono::{DateTime, Utc};
use vault::enrollment::UnitState;
use vault::Vault;

use crate::client::SyncError;
use crate::wire::UnitDocument;

fn io(what: &str, e: std::io::Error) -> SyncError {
    SyncError::Invalid(format!("{what}: {e}"))
}

fn file(what: &str, e: durable::Error) -> SyncError {
    SyncError::Invalid(format!("{what}: {e}"))
}

/// Checks that the content files load as a library (protocols, policy, resources).
pub fn check_library(doc: &UnitDocument) -> Result<(), SyncError> {
    let sources: Vec<screening::Source> = doc
        .files
        .iter()
        .filter(|(p, _)| durable::is_content_path(Path::new(p.as_str())))
        .map(|(p, t)| screening::Source { path: p.clone(), text: t.clone() })
        .collect();
    if sources.is_empty() {
        return Ok(());
    }
    screening::load(&sources).map(|_| ()).map_err(|problems| {
        let shown: Vec<String> = problems.iter().take(5).map(|p| p.to_string()).collect();
        SyncError::Invalid(format!(
            "the unit configuration's content does not check ({} problems): {}",
            problems.len(),
            shown.join("; ")
        ))
    })
}

pub fn apply(
    vault: &Vault,
    doc: &UnitDocument,
    document: &[u8],
    signature: &str,
    now: DateTime<Utc>,
) -> Result<UnitState, SyncError> {
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
        durable::rename(&partial, &dir).map_err(|e| file("putting the unit folder in place", e))?;
    }
    let state =
        UnitState { serial: doc.serial, unit: doc.unit.clone(), recipients: doc.recipients.clone(), library: rel };
    vault.set_unit_state(&state, now)?;
    Ok(state)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SyncError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io("creating the unit folder", e))?;
    }
    durable::write_private(path, bytes).map_err(|e| file("writing a unit file", e))
}
