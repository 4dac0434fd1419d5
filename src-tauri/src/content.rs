//! The content library the app runs: the shipped `screening-protocols/`, embedded at build
//! time, or a folder named by `FIELDSCREEN_PROTOCOLS`.

use std::path::Path;

use include_dir::{include_dir, Dir};
use screening::{Library, Source};

static SHIPPED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../screening-protocols");

fn embedded(dir: &Dir<'_>, out: &mut Vec<Source>) {
    for f in dir.files() {
        if f.path().extension().is_some_and(|e| e == "toml") {
            if let Some(text) = f.contents_utf8() {
                out.push(Source { path: format!("screening-protocols/{}", f.path().display()), text: text.to_string() });
            }
        }
    }
    for d in dir.dirs() {
        embedded(d, out);
    }
}

fn from_disk(dir: &Path, out: &mut Vec<Source>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            from_disk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            out.push(Source { path: p.display().to_string(), text });
        }
    }
    Ok(())
}

/// The shipped content files, in path order.
pub fn shipped_sources() -> Vec<Source> {
    let mut sources = Vec::new();
    embedded(&SHIPPED, &mut sources);
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    sources
}

/// The shipped library only.
pub fn shipped() -> Result<Library, String> {
    screening::load(&shipped_sources()).map_err(problems)
}

/// A library from a folder of content files (a unit configuration pulled from the hub).
pub fn from_folder(dir: &Path) -> Result<Library, String> {
    let mut sources = Vec::new();
    from_disk(dir, &mut sources)?;
    screening::load(&sources).map_err(problems)
}

/// The library the app should run with.
pub fn load() -> Result<Library, String> {
    match std::env::var_os("FIELDSCREEN_PROTOCOLS") {
        Some(dir) => {
            let mut sources = Vec::new();
            from_disk(Path::new(&dir), &mut sources)?;
            screening::load(&sources).map_err(problems)
        }
        None => shipped(),
    }
}

fn problems(p: Vec<screening::Problem>) -> String {
    p.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}
