//! Recorded audio beside a protocol (`audio/<lang>/<item-id>.wav` in the protocol file's
//! folder): every file an item refers to exists and checks as a WAV (`voice::check_wav`), and
//! every `.wav` under the folder's `audio/` belongs to an item of a protocol in that folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use screening::{Library, Problem};

use crate::library::display;
use crate::Exit;

/// The audio problems of every protocol in `lib` read from a file, at the reference
/// (`protocol.toml:line:col`) or at the file nobody refers to (`file.wav:1:1`).
pub fn check(lib: &Library) -> Result<Vec<Problem>, Exit> {
    let mut problems = Vec::new();
    // Folder -> the files its protocols refer to (several protocol files may share a folder).
    let mut folders: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for p in &lib.protocols {
        let file = Path::new(&p.path);
        if !file.is_file() {
            continue;
        }
        let folder = match file.parent() {
            Some(f) if !f.as_os_str().is_empty() => f.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let referred = folders.entry(folder.clone()).or_default();
        for r in p.audio_refs() {
            let wav = folder.join(&r.path);
            referred.insert(wav.clone());
            let Some(message) = file_problem(&wav, &r.path) else { continue };
            problems.push(Problem { path: p.path.clone(), line: r.line, col: r.col, message, hint: None });
        }
    }
    for (folder, referred) in &folders {
        let audio = folder.join("audio");
        if !audio.is_dir() {
            continue;
        }
        let files = durable::files_ending(&audio, "wav").map_err(|e| Exit::new(2, e.to_string()))?;
        for wav in files.into_iter().filter(|f| !referred.contains(f)) {
            problems.push(Problem {
                path: display(&wav),
                line: 1,
                col: 1,
                message: "audio file belongs to no item".into(),
                hint: None,
            });
        }
    }
    Ok(problems)
}

/// What is wrong with the referenced file `wav` (written `written` in the protocol), if anything.
fn file_problem(wav: &Path, written: &str) -> Option<String> {
    match std::fs::symlink_metadata(wav) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(format!("audio file {written} is missing")),
        Err(e) => return Some(format!("audio file {written} cannot be read: {e}")),
        Ok(m) if m.file_type().is_symlink() => {
            return Some(format!("audio file {written} is a symbolic link; ship the file itself"))
        }
        Ok(m) if !m.is_file() => return Some(format!("audio file {written} is not a file")),
        Ok(_) => {}
    }
    match std::fs::read(wav) {
        Err(e) => Some(format!("audio file {written} cannot be read: {e}")),
        Ok(bytes) => voice::check_wav(&bytes).err().map(|e| format!("audio file {written} does not play: {e}")),
    }
}
