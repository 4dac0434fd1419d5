//! Exporting sealed records into a case bundle file: every id checked before a file is made
//! (EX-04), each record read, its signature checked and dropped as the export reaches it (memory
//! bounded by one record), the manifest signed with the device key, the file written all or
//! nothing (`bundle::export_to_path`, EX-05), and the export audited with the bundle's SHA-256.
//! A bundle whose audit event cannot be written is removed.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bundle::{BundleError, RecordIn, Seal};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::{Vault, VaultError};

/// The device key as a bundle signer.
pub struct DeviceSigner<'a> {
    vault: &'a Vault,
    public: Vec<u8>,
}

impl<'a> DeviceSigner<'a> {
    pub fn new(vault: &'a Vault) -> Result<Self, VaultError> {
        let public = B64
            .decode(vault.device_public_key()?)
            .map_err(|_| VaultError::Damaged("the device public key is not base64".into()))?;
        Ok(DeviceSigner { vault, public })
    }
}

impl bundle::Signer for DeviceSigner<'_> {
    fn public_key(&self) -> Vec<u8> {
        self.public.clone()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        self.vault.sign(msg).map_err(|e| e.to_string())
    }
}

fn from_bundle(e: BundleError) -> VaultError {
    match e {
        BundleError::Input(m) => VaultError::Invalid(m),
        e @ (BundleError::Io(_) | BundleError::File(_) | BundleError::Interrupted(_)) => {
            VaultError::Io { message: e.to_string(), source: Box::new(e) }
        }
        other => VaultError::crypto_from("", other),
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// SHA-256 of the bundle file, as audited.
    pub sha256: String,
    pub records: usize,
}

impl Vault {
    /// Exports the sealed records `ids` to a new bundle file at `path`, sealed as `seal` says.
    pub fn export_bundle(
        &self,
        ids: &[String],
        seal: Seal,
        path: &Path,
        progress: bundle::Progress,
        cancel: &AtomicBool,
        now: DateTime<Utc>,
    ) -> Result<Exported, VaultError> {
        if ids.is_empty() {
            return Err(VaultError::Invalid("choose at least one record to export".into()));
        }
        if let Some((_, dup)) = ids.iter().enumerate().find(|(i, r)| ids[..*i].contains(r)) {
            return Err(VaultError::Invalid(format!("record `{dup}` is named twice")));
        }
        let known: std::collections::HashSet<String> = self.records()?.into_iter().map(|r| r.id).collect();
        let missing: Vec<String> = ids.iter().filter(|id| !known.contains(*id)).map(|m| format!("`{m}`")).collect();
        if !missing.is_empty() {
            return Err(VaultError::NotFound(format!("no record {}", missing.join(", "))));
        }
        let signer = DeviceSigner::new(self)?;
        let device_key = self.device_public_key()?;
        let mut records = ids.iter().map(|id| {
            let s = self.sealed(std::slice::from_ref(id)).map_err(|e| BundleError::Input(e.to_string()))?.remove(0);
            Ok(RecordIn {
                id: s.id,
                body: s.body.into_bytes(),
                signature: s.signature,
                device_key: device_key.clone(),
                protocol: s.protocol,
            })
        });
        let created = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let origin = bundle::Origin {
            officer_id: self.officer_id(),
            device_id: self.device_id(),
            signer: &signer,
            created: &created,
        };
        let written = bundle::export_to_path(path, &mut records, ids.len(), &origin, seal, progress, cancel)
            .map_err(from_bundle)?;
        // Dropping `written` on an error here removes the bundle: it must not outlive its audit.
        self.audit_export(&written.sha256, now)?;
        let sha256 = written.sha256.clone();
        written.keep();
        Ok(Exported { sha256, records: ids.len() })
    }
}
