//! The TypeScript declarations in `ui/src/bindings/` are generated from the DTOs. This test
//! regenerates them into a temporary folder and fails when the checked-in files differ;
//! `UPDATE_BINDINGS=1 cargo test -p fieldscreen-app bindings` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::TS;

use crate::dto::*;

fn export_all(dir: &Path) {
    macro_rules! export {
        ($($t:ty),* $(,)?) => {
            $( <$t>::export_all_to(dir).unwrap_or_else(|e| panic!("exporting {}: {e}", stringify!($t))); )*
        };
    }
    export!(
        CommandError,
        ErrorKind,
        AnswerType,
        AnswerToken,
        screening::training::Mismatch,
        AppStatus,
        SetupOptions,
        SetupArgs,
        Home,
        NewScreeningOptions,
        StartArgs,
        SessionView,
        ReferralChoice,
        OutcomeView,
        ResourceCard,
        Finalized,
        ExportOptions,
        EnrollArgs,
        SpeakPart,
        ExportArgs,
        ExportProgress,
        ExportDone,
        SyncView,
        ScenarioSummary,
        TrainingView,
        TrainingDebrief,
        screening::Answer,
        screening::Flag,
    );
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".ts") {
                out.insert(name, std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    out
}

fn checked_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings")
}

#[test]
fn ui_bindings_are_current() {
    let fresh = tempfile::tempdir().unwrap();
    export_all(fresh.path());
    let want = read_dir(fresh.path());
    for name in ["SessionView.ts", "Answer.ts", "ErrorKind.ts", "AnswerType.ts", "AnswerToken.ts", "Mismatch.ts"] {
        assert!(want.contains_key(name), "{name} is generated");
    }
    // The closed sets cross as unions of names, not as `string`.
    assert!(want["CommandError.ts"].contains("kind: ErrorKind"), "{}", want["CommandError.ts"]);
    assert!(want["ItemView.ts"].contains("Array<AnswerToken>"), "{}", want["ItemView.ts"]);
    assert!(want["AnswerView.ts"].contains("type: AnswerType"), "{}", want["AnswerView.ts"]);
    assert!(want["Debrief.ts"].contains("Array<Mismatch>"), "{}", want["Debrief.ts"]);
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let dir = checked_in();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &want {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let have = read_dir(&checked_in());
    let stale: Vec<&String> = want.keys().filter(|k| have.get(*k) != want.get(*k)).collect();
    let extra: Vec<&String> = have.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "ui/src/bindings is stale (changed or missing: {stale:?}; no longer generated: {extra:?}); \
         run `UPDATE_BINDINGS=1 cargo test -p fieldscreen-app bindings` and commit the result"
    );
}
