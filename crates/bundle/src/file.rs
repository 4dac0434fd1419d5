//! Writing a bundle to a file so that nothing half-done passes as a bundle (EX-05): the export
//! goes to `F.partial` (created new, owner-only), already encrypted (no plaintext is ever
//! staged, EX-04); it becomes `F` only once complete and synced, and the folder is synced after
//! the rename. On an error or a cancel the partial file is removed. The caller records the
//! export (its audit event) and then calls [`Written::keep`]; a bundle whose audit failed is
//! removed when the `Written` is dropped.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use crate::{export, BundleError, Origin, Progress, RecordIn, Seal};

/// A bundle in place at `path`, removed on drop unless kept.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    /// SHA-256 of the bundle file (hex), for the audit event.
    pub sha256: String,
    keep: bool,
}

impl Written {
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn io(what: &'static str, p: &Path, e: std::io::Error) -> BundleError {
    durable::Error::io(what, p, e).into()
}

/// `F.partial` beside `F`; refuses when either exists.
pub fn partial_path(path: &Path) -> Result<PathBuf, BundleError> {
    let mut name = path
        .file_name()
        .ok_or_else(|| BundleError::Input(format!("{} does not name a file", path.display())))?
        .to_os_string();
    name.push(".partial");
    let partial = path.with_file_name(name);
    if path.symlink_metadata().is_ok() {
        return Err(BundleError::Input(format!("{} already exists; not overwriting it", path.display())));
    }
    if partial.symlink_metadata().is_ok() {
        return Err(BundleError::Input(format!(
            "{} exists, left by an interrupted run; remove it first",
            partial.display()
        )));
    }
    Ok(partial)
}

pub fn sha256_file(p: &Path) -> Result<String, BundleError> {
    let mut h = Sha256::new();
    let mut f = File::open(p).map_err(|e| io("cannot read", p, e))?;
    std::io::copy(&mut f, &mut h).map_err(|e| io("reading", p, e))?;
    Ok(hex::encode(h.finalize()))
}

/// The error a cancelled export ends with.
pub fn cancelled_error() -> BundleError {
    BundleError::Interrupted("cancelled: no bundle was written".into())
}

/// Exports to `path` as the module says. `cancel` is checked before each record; once set, the
/// export stops and leaves nothing behind.
pub fn export_to_path(
    path: &Path,
    records: &mut dyn Iterator<Item = Result<RecordIn, BundleError>>,
    total: usize,
    origin: &Origin,
    seal: Seal,
    progress: Progress,
    cancel: &AtomicBool,
) -> Result<Written, BundleError> {
    let partial = partial_path(path)?;
    let file = durable::create_private(&partial)?;
    let staged = durable::Staged::new(partial.clone());
    let mut guarded = records.map(|r| if cancel.load(Ordering::SeqCst) { Err(cancelled_error()) } else { r });
    let out = export(&mut guarded, total, origin, seal, BufWriter::new(file), progress);
    if cancel.load(Ordering::SeqCst) {
        return Err(cancelled_error());
    }
    let mut out = out?;
    out.flush().map_err(|e| io("cannot write", &partial, e))?;
    let file = out.into_inner().map_err(|e| io("cannot write", &partial, e.into_error()))?;
    file.sync_all().map_err(|e| io("cannot sync", &partial, e))?;
    drop(file);
    let sha256 = sha256_file(&partial)?;
    if path.symlink_metadata().is_ok() {
        return Err(BundleError::Input(format!("{} appeared while exporting; not overwriting it", path.display())));
    }
    staged.put_in_place(path)?;
    Ok(Written { path: path.to_path_buf(), sha256, keep: false })
}
