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
                out.push(Source {
                    path: format!("screening-protocols/{}", f.path().display()),
                    text: text.to_string(),
                });
            }
        }
    }
    for d in dir.dirs() {
        embedded(d, out);
    }
}

fn from_disk(dir: &Path) -> Result<Vec<Source>, String> {
    let files = durable::read_toml_files(dir).map_err(|e| e.to_string())?;
    Ok(files.into_iter().map(|(p, text)| Source { path: p.display().to_string(), text }).collect())
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
    screening::load(&from_disk(dir)?).map_err(problems)
}

/// The library the app should run with.
pub fn load() -> Result<Library, String> {
    match std::env::var_os("FIELDSCREEN_PROTOCOLS") {
        Some(dir) => screening::load(&from_disk(Path::new(&dir))?).map_err(problems),
        None => shipped(),
    }
}

fn problems(p: Vec<screening::Problem>) -> String {
    p.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}
