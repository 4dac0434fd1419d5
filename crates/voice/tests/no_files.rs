//! Speech never touches the disk: with the working folder and TMPDIR pointed at empty folders,
//! synthesizing leaves them empty, and the system's temp folder gains nothing either. The one
//! test in its binary, so no other test writes while it lists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn list(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect()
}

fn speak_all() {
    for (voice, text) in
        [("en", "Do you have your papers with you?"), ("ar", "هل معك أوراقك؟"), ("cmn", "你的证件在你身上吗？")]
    {
        voice::synthesize(voice, text).unwrap_or_else(|e| panic!("{voice}: {e}"));
    }
}

#[test]
fn synthesizing_leaves_the_temp_folder_and_the_working_folder_unchanged() {
    let system_tmp = std::env::temp_dir();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("voice-no-files-{}", std::process::id()));
    let (cwd, tmp) = (root.join("cwd"), root.join("tmp"));
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    std::env::set_current_dir(&cwd).unwrap();
    std::env::set_var("TMPDIR", &tmp);

    // The system temp folder is shared with other processes on the machine (a linker, another
    // build): new entries there fail the test only if a second run finds new ones again.
    for attempt in 0..2 {
        let before = list(&system_tmp);
        speak_all();
        let new: BTreeSet<PathBuf> = list(&system_tmp).difference(&before).cloned().collect();
        assert_eq!(list(&cwd), BTreeSet::new(), "the working folder");
        assert_eq!(list(&tmp), BTreeSet::new(), "TMPDIR");
        if new.is_empty() {
            break;
        }
        assert!(attempt == 0, "new in {}: {new:?}", system_tmp.display());
    }
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    std::fs::remove_dir_all(&root).unwrap();
}
