//! Finding and reading content files from disk.

use std::path::{Path, PathBuf};

use screening::load::{file_kind, FileKind};
use screening::{Library, Source};

use crate::Exit;

/// The content folder: `--protocols` or `FIELDSCREEN_PROTOCOLS`, else the repository's.
pub fn root(given: Option<&Path>) -> PathBuf {
    match given {
        Some(p) => p.to_path_buf(),
        None => {
            let local = PathBuf::from("screening-protocols");
            if local.is_dir() {
                local
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols")
            }
        }
    }
}

/// Shows a path relative to the working folder when it is under it.
pub fn display(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    match std::env::current_dir().ok().and_then(|cwd| abs.strip_prefix(cwd).ok().map(Path::to_path_buf)) {
        Some(rel) => rel.display().to_string(),
        None => path.display().to_string(),
    }
}

/// Every content file under `dir` (`durable::toml_files` says which, in what order).
fn folder(dir: &Path) -> Result<Vec<Source>, Exit> {
    let files = durable::read_toml_files(dir).map_err(|e| Exit::new(2, e.to_string()))?;
    Ok(files.into_iter().map(|(p, text)| Source { path: display(&p), text }).collect())
}

fn read(path: &Path) -> Result<Source, Exit> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Exit::new(2, format!("cannot read {}: {e}", path.display())))?;
    Ok(Source { path: display(path), text })
}

/// Reads every content file under `root`.
pub fn sources(root: &Path) -> Result<Vec<Source>, Exit> {
    if !root.is_dir() {
        return Err(Exit::new(
            2,
            format!("protocol folder {} does not exist (set --protocols or FIELDSCREEN_PROTOCOLS)", root.display()),
        ));
    }
    folder(root)
}

/// The files named on the command line, with the library's supporting files (glossary,
/// checklists, resources) for those the named files do not bring themselves.
pub fn sources_for(root: &Path, paths: &[PathBuf]) -> Result<Vec<Source>, Exit> {
    if paths.is_empty() {
        return sources(root);
    }
    let mut named = Vec::new();
    for p in paths {
        if p.is_dir() {
            named.extend(folder(p)?);
        } else if p.exists() {
            named.push(read(p)?);
        } else {
            return Err(Exit::new(2, format!("{} does not exist", p.display())));
        }
    }
    let has = |k: FileKind, v: &[Source]| v.iter().any(|s| file_kind(&s.text) == Some(k));
    let support: Vec<Source> = if root.is_dir() { sources(root)? } else { Vec::new() };
    let mut out = named;
    for (kind, needed) in [
        (FileKind::Glossary, !has(FileKind::Glossary, &out)),
        (FileKind::Checklist, !has(FileKind::Checklist, &out)),
        (FileKind::Directory, !has(FileKind::Directory, &out) && has(FileKind::Policy, &out)),
    ] {
        if needed {
            let extra: Vec<Source> = support.iter().filter(|s| file_kind(&s.text) == Some(kind)).cloned().collect();
            out.extend(extra);
        }
    }
    Ok(out)
}

/// Problems, one line each, then exit 1.
pub fn report(problems: &[screening::Problem]) -> Exit {
    for p in problems {
        println!("{p}");
    }
    Exit::new(1, format!("{} problem{} found", problems.len(), if problems.len() == 1 { "" } else { "s" }))
}

pub fn load_library(root: &Path) -> Result<Library, Exit> {
    let srcs = sources(root)?;
    screening::load(&srcs).map_err(|p| report(&p))
}

/// A protocol by id, or exit 2 naming the ones there are.
pub fn find_protocol<'a>(lib: &'a Library, id: &str) -> Result<&'a screening::Protocol, Exit> {
    lib.protocol(id).ok_or_else(|| {
        let known: Vec<&str> = lib.protocols.iter().map(|p| p.id.as_str()).collect();
        Exit::new(2, format!("unknown protocol `{id}`; known: {}", known.join(", ")))
    })
}
