//! Writing files so that a crash leaves the old or the new content, never half of one, and
//! finding content files in a folder. Every crate that writes a file that matters, or walks a
//! content folder, does it through here.
//!
//! - [`write_atomic`]: temp file beside the target, write, fsync the file, rename over the
//!   target, fsync the folder. The file is owner-only (0600 on Unix).
//! - [`create_private`] / [`write_private`]: a new owner-only file, never an existing one.
//! - [`Staged`]: streamed output under a temporary name, removed unless put in place whole.
//! - [`rename`]: a rename made durable by syncing the folder it lands in; [`sync_dir`] and
//!   [`sync_parent`] alone.
//! - [`toml_files`] / [`read_toml_files`]: every `.toml` file under a folder, in a fixed order;
//!   [`files_ending`]: the same walk for another extension (a protocol's `.wav` audio).
//!
//! No clock and no randomness: the same folder gives the same answer.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file-system step that failed, with the path it was about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot rename {} to {}: {source}", from.display(), to.display())]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is a symbolic link; content files are read only from inside the folder", path.display())]
    Link { path: PathBuf },
}

impl Error {
    /// An IO error about `path`, for callers whose own file steps fail.
    pub fn io(what: &'static str, path: &Path, source: io::Error) -> Error {
        Error::Io { what, path: path.to_path_buf(), source }
    }

    /// The underlying IO error, if there is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io { source, .. } | Error::Rename { source, .. } => Some(source),
            Error::Link { .. } => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Steps of an atomic replace, for crash tests: stopping after a step leaves the disk as a crash
/// there would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Half of the temp file written.
    PartialTemp,
    /// Temp file written, not yet synced.
    TempWritten,
    /// Temp file synced.
    TempSynced,
    /// Renamed over the old file, folder not yet synced.
    Renamed,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::PartialTemp, Step::TempWritten, Step::TempSynced, Step::Renamed];
}

/// The temp file [`write_atomic`] stages `path` in: `NAME.tmp` beside it.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// The folder that holds `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Replaces `path` so that a crash leaves either the old or the new file: temp file beside it,
/// write, fsync, rename, fsync the folder. The file is owner-only. On an error the temp file is
/// removed and the old file is left as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_until(path, bytes, None)
}

/// [`write_atomic`] that ends early after `stop_after` (crash tests only).
pub fn write_atomic_until(path: &Path, bytes: &[u8], stop_after: Option<Step>) -> Result<()> {
    let tmp = temp_path(path);
    let result = stage(&tmp, bytes, stop_after);
    let result = match result {
        Ok(true) => {
            fs::rename(&tmp, path).map_err(|source| Error::Rename { from: tmp.clone(), to: path.to_path_buf(), source })
        }
        Ok(false) => return Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if stop_after == Some(Step::Renamed) {
        return Ok(());
    }
    sync_parent(path)
}

/// Writes and syncs the temp file; `false` when a crash test stops before the rename.
fn stage(tmp: &Path, bytes: &[u8], stop_after: Option<Step>) -> Result<bool> {
    // A temp file left by a crash (or anything put in its place, a link included) is removed,
    // and the temp file is always made new, owner-only.
    match fs::remove_file(tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("cannot remove", tmp, e)),
    }
    let mut f = create_private(tmp)?;
    let write = |f: &mut File, b: &[u8]| f.write_all(b).map_err(|e| Error::io("cannot write", tmp, e));
    if stop_after == Some(Step::PartialTemp) {
        write(&mut f, &bytes[..bytes.len() / 2])?;
        return Ok(false);
    }
    write(&mut f, bytes)?;
    if stop_after == Some(Step::TempWritten) {
        return Ok(false);
    }
    f.sync_all().map_err(|e| Error::io("cannot sync", tmp, e))?;
    Ok(stop_after != Some(Step::TempSynced))
}

/// A new file only its owner can read (0600 on Unix); refuses an existing file.
pub fn create_private(path: &Path) -> Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| Error::io("cannot create", path, e))
}

/// A new owner-only file holding `bytes`, synced before it returns.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = create_private(path)?;
    f.write_all(bytes).map_err(|e| Error::io("cannot write", path, e))?;
    f.sync_all().map_err(|e| Error::io("cannot sync", path, e))
}

/// Makes the entries of `dir` durable (after a create, rename or delete in it).
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io("cannot sync folder", dir, e))
}

/// Makes a create or rename of `path` durable: syncs the folder that holds it.
pub fn sync_parent(path: &Path) -> Result<()> {
    sync_dir(parent(path))
}

/// Renames `from` to `to` (a file or a folder) and syncs the folder `to` is in.
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|source| Error::Rename { from: from.to_path_buf(), to: to.to_path_buf(), source })?;
    sync_parent(to)
}

/// A file or folder being written under a temporary name: removed when dropped, unless
/// [`Staged::put_in_place`] moved it to its final name. For output too large to hold in memory
/// (a bundle streamed to disk, a folder of files) that must appear whole or not at all.
#[derive(Debug)]
pub struct Staged(Option<PathBuf>);

impl Staged {
    /// Takes charge of `path` (which the caller creates): it is removed unless put in place.
    pub fn new(path: PathBuf) -> Staged {
        Staged(Some(path))
    }

    /// Renames the staged file or folder to `to` and syncs the folder `to` is in. When the sync
    /// fails, `to` is removed too: nothing stays that a crash could lose.
    pub fn put_in_place(mut self, to: &Path) -> Result<()> {
        let from = self.0.take().unwrap_or_default();
        if let Err(source) = fs::rename(&from, to) {
            self.0 = Some(from.clone());
            return Err(Error::Rename { from, to: to.to_path_buf(), source });
        }
        self.0 = Some(to.to_path_buf());
        sync_parent(to)?;
        self.0 = None;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = if p.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
        }
    }
}

/// Every `.toml` file under `root`, depth first, each folder's entries in name order, so the
/// same folder always gives the same list. Entries whose name starts with `.` are passed over
/// (editor and version-control files, never content); a symbolic link inside the folder is an
/// error naming it, so a walk can neither loop nor read from outside the folder. `root` itself
/// may be a link. An unreadable folder is an error, never skipped.
pub fn toml_files(root: &Path) -> Result<Vec<PathBuf>> {
    files_ending(root, "toml")
}

/// The same walk as [`toml_files`] (order, hidden entries, links) for files with another
/// extension, such as a protocol's recorded `wav` audio.
pub fn files_ending(root: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(root, extension, &mut out)?;
    Ok(out)
}

/// The walk's rule for a path inside a content folder: it ends in `.toml` and no part of it
/// starts with `.`. For content that arrives as `(path, text)` pairs rather than on disk.
pub fn is_content_path(rel: &Path) -> bool {
    rel.extension().is_some_and(|e| e == "toml") && rel.components().all(|c| !hidden(c.as_os_str()))
}

fn hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) -> Result<()> {
    let what = "cannot read folder";
    let mut entries = Vec::new();
    for e in fs::read_dir(dir).map_err(|e| Error::io(what, dir, e))? {
        let e = e.map_err(|e| Error::io(what, dir, e))?;
        if hidden(&e.file_name()) {
            continue;
        }
        let kind = e.file_type().map_err(|err| Error::io("cannot read", &e.path(), err))?;
        entries.push((e.path(), kind));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (p, kind) in entries {
        if kind.is_symlink() {
            return Err(Error::Link { path: p });
        } else if kind.is_dir() {
            walk(&p, extension, out)?;
        } else if kind.is_file() && p.extension().is_some_and(|e| e == extension) {
            out.push(p);
        }
    }
    Ok(())
}

/// [`toml_files`] with each file's text.
pub fn read_toml_files(root: &Path) -> Result<Vec<(PathBuf, String)>> {
    toml_files(root)?
        .into_iter()
        .map(|p| fs::read_to_string(&p).map(|t| (p.clone(), t)).map_err(|e| Error::io("cannot read", &p, e)))
        .collect()
}

#[cfg(test)]
mod tests;
