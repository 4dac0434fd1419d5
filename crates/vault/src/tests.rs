//! The vault's tests. They live inside the crate so that they may use a reduced KDF
//! (`cfg(test)`); requirement ids from security-requirements.md are named where a test proves one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use screening::{Answer, Event, Protocol, Source};

use crate::keys::Step;
use crate::*;

const SECRET: &str = "river lantern copper";
const NEW_SECRET: &str = "harbor violet anchor";
const ITER: u32 = 1000;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
}

const PROTOCOL: &str = r#"
[protocol]
id = "vault-test"
version = "1.0.0"
title = "Vault test"
population = "adult"
languages = ["en", "es"]

[[section]]
id = "safety"
title = "Safety"
safety = true

[[section.item]]
id = "danger"
kind = "question"
label = "In danger"
answer = "yes-no"
text.en = "Are you in danger?"
text.es = "¿Está en peligro?"
guidance.why = "w"
guidance.how = "h"
guidance.avoid = "a"
indicates.yes = ["safety"]
sources = ["test"]

[[section.item]]
id = "where"
kind = "question"
label = "Where they sleep"
answer = "text"
text.en = "Where do you sleep?"
text.es = "¿Dónde duerme?"
guidance.why = "w"
guidance.how = "h"
guidance.avoid = "a"
sources = ["test"]

[[level]]
id = "none"
rank = 0
title = "None"
meaning = "m"

[[level]]
id = "stopped"
rank = 1
title = "Stopped"
meaning = "m"

[[level]]
id = "urgent"
rank = 2
title = "Urgent"
meaning = "m"

[[level]]
id = "minor"
rank = 3
title = "Minor"
meaning = "m"

[[action]]
id = "call"
kind = "emergency"
text = "Call for help."

[[outcome]]
when = "has(safety)"
level = "urgent"
actions = ["call"]

[minor_rule]
level = "minor"
actions = ["call"]

[stopped_rule]
level = "stopped"
actions = ["call"]
"#;

fn protocol() -> Arc<Protocol> {
    let lib = screening::load(&[Source { path: "p.toml".into(), text: PROTOCOL.into() }]).unwrap();
    Arc::new(lib.protocols[0].clone())
}

fn opts() -> CreateOptions<'static> {
    CreateOptions { officer_id: "officer-7", recovery_recipient: None, iterations: ITER }
}

fn new_vault(dir: &Path) -> Vault {
    Vault::create(dir, SECRET, &opts(), &UnlockPolicy::default(), t(0)).unwrap()
}

fn answer(v: &Vault, p: &Arc<Protocol>, draft: &str, item: &str, a: Answer, at: i64) -> u64 {
    v.append(draft, p, &Event::Answer { item: item.into(), answer: a }, t(at)).unwrap()
}

/// A sealed record on a fresh vault.
fn sealed(dir: &Path) -> (Vault, String) {
    let v = new_vault(dir);
    let p = protocol();
    let d = v.create_draft(&p, "es", None, t(1)).unwrap();
    answer(&v, &p, &d, "danger", Answer::Yes, 2);
    answer(&v, &p, &d, "where", Answer::Text("a friend's place".into()), 3);
    let r = v.finalize(&d, &p, None, t(4)).unwrap();
    (v, r)
}

#[test]
fn create_unlock_and_wrong_secret() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    let device = v.device_id().to_string();
    v.lock();
    let v = Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(10)).unwrap();
    assert_eq!(v.device_id(), device);
    assert_eq!(v.officer_id(), "officer-7");
    v.lock();
    let e = Vault::unlock(dir.path(), "wrong lantern copper", &UnlockPolicy::default(), t(20)).err().unwrap();
    assert_eq!(e, VaultError::WrongSecret);
    assert!(
        matches!(Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(20)), Err(VaultError::Delayed(_))),
        "a delay follows a failure"
    );
    let v = Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(22)).unwrap();
    let kinds: Vec<String> = v.audit_events().unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["create-vault", "unlock", "unlock-failure", "unlock"]);
    assert!(matches!(
        Vault::create(dir.path(), SECRET, &opts(), &UnlockPolicy::default(), t(0)),
        Err(VaultError::Busy(_))
    ));
}

#[test]
fn au_lockout_survives_a_restart_and_a_clock_set_back() {
    let dir = tempfile::tempdir().unwrap();
    new_vault(dir.path()).lock();
    let policy = UnlockPolicy::default();
    for i in 0..5 {
        let e = Vault::unlock(dir.path(), "wrong lantern copper", &policy, t(1000 * (i + 1))).err().unwrap();
        if i < 4 {
            assert_eq!(e, VaultError::WrongSecret);
        } else {
            assert!(matches!(e, VaultError::LockedOut(_)), "{e}");
        }
    }
    // The right secret is refused during the lockout, after a "restart" and with the clock set back.
    for now in [t(5001), t(5000 - 86_400)] {
        let e = Vault::unlock(dir.path(), SECRET, &policy, now).err().unwrap();
        assert!(matches!(&e, VaultError::LockedOut(d) if d.contains("minutes")), "{e}");
    }
    let v = Vault::unlock(dir.path(), SECRET, &policy, t(5000 + 601)).unwrap();
    let kinds: Vec<String> = v.audit_events().unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "unlock-failure").count(), 5);
    assert!(kinds.contains(&"lockout".to_string()));
}

#[test]
fn optional_crypto_wipe_after_n_failures() {
    let dir = tempfile::tempdir().unwrap();
    new_vault(dir.path()).lock();
    let policy = UnlockPolicy { wipe_after: Some(2), base_delay: Duration::zero(), ..Default::default() };
    assert_eq!(Vault::unlock(dir.path(), "wrong lantern copper", &policy, t(1)).err(), Some(VaultError::WrongSecret));
    assert_eq!(Vault::unlock(dir.path(), "wrong lantern copper", &policy, t(2)).err(), Some(VaultError::Wiped));
    assert!(!dir.path().join("key.json").exists() && !dir.path().join("vault.db").exists());
    assert_eq!(Vault::unlock(dir.path(), SECRET, &policy, t(3)).err(), Some(VaultError::Wiped));
}

#[test]
fn drafts_are_durable_logs_and_records_are_sealed_signed_and_queued() {
    let dir = tempfile::tempdir().unwrap();
    let p = protocol();
    let v = new_vault(dir.path());
    let d = v.create_draft(&p, "en", None, t(1)).unwrap();
    answer(&v, &p, &d, "danger", Answer::No, 2);
    answer(&v, &p, &d, "danger", Answer::Yes, 3);
    // An event the engine refuses is not stored.
    let bad = v.append(&d, &p, &Event::Answer { item: "danger".into(), answer: Answer::Seen }, t(4));
    assert!(matches!(bad, Err(VaultError::Invalid(_))));
    v.lock();
    let v = Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(5)).unwrap();
    assert_eq!(v.drafts().unwrap()[0].events, 2, "the draft resumes where it stopped");
    answer(&v, &p, &d, "where", Answer::Declined, 6);
    v.set_draft_context(&d, "encounter", serde_json::json!({"type": "traffic-stop"})).unwrap();
    v.set_draft_context(&d, "notes", serde_json::json!("first")).unwrap();
    v.set_draft_context(&d, "notes", serde_json::json!("kept")).unwrap();
    assert_eq!(v.draft_context(&d).unwrap()["notes"], "kept", "a key is replaced, the others kept");
    let r = v.finalize(&d, &p, None, t(7)).unwrap();
    assert!(v.set_draft_context(&d, "notes", serde_json::json!("late")).is_err(), "a sealed draft's context is sealed");
    assert!(v.drafts().unwrap().is_empty());
    assert_eq!(v.outbox().unwrap(), std::slice::from_ref(&r), "the record is queued in the same transaction");
    let body = v.record(&r, t(8)).unwrap();
    assert_eq!(body.outcome["level"]["id"], "urgent");
    assert_eq!(body.answers.len(), 2);
    assert_eq!(body.device_id, v.device_id());
    assert_eq!(body.protocol.content_hash, p.content_hash);
    assert_eq!(body.context["encounter"]["type"], "traffic-stop");
    assert_eq!(body.context["notes"], "kept");
    assert!(v.append(&d, &p, &Event::Stop, t(9)).is_err(), "a sealed draft takes no more events");
    assert!(v.finalize(&d, &p, None, t(9)).is_err());
    // An amendment is a new record naming the one it amends.
    let d2 = v.create_draft(&p, "en", Some(&r), t(10)).unwrap();
    answer(&v, &p, &d2, "danger", Answer::No, 11);
    let r2 = v.finalize(&d2, &p, None, t(12)).unwrap();
    let list = v.records().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].amends.as_deref(), Some(r.as_str()));
    let kinds: Vec<String> = v.audit_events().unwrap().into_iter().map(|e| e.kind).collect();
    for k in ["create", "finalize", "view", "amend"] {
        assert!(kinds.contains(&k.to_string()), "{k} in {kinds:?}");
    }
    assert_eq!(v.verify_records().unwrap(), 2);
    assert_eq!(v.verify().unwrap() as usize, kinds.len());
    // Sealed records cannot be changed, even from inside.
    let e = v.conn().execute("UPDATE records SET body = 'x' WHERE id = ?1", [&r2]).unwrap_err();
    assert!(e.to_string().contains("immutable"));
}

#[test]
fn au_audit_chain_reports_the_first_break() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = sealed(dir.path());
    let n = v.verify().unwrap();
    assert_eq!(n, 3, "create-vault, create, finalize");
    assert!(v.conn().execute("DELETE FROM audit WHERE seq = 2", []).unwrap_err().to_string().contains("append-only"));
    v.conn()
        .execute_batch("DROP TRIGGER audit_no_update; UPDATE audit SET subject = 'someone-else' WHERE seq = 3;")
        .unwrap();
    let e = v.verify().unwrap_err().to_string();
    assert!(e.contains("event 3") && e.contains("do not match its hash"), "{e}");
}

#[test]
fn purge_removes_synced_records_past_retention_and_audits_it() {
    let dir = tempfile::tempdir().unwrap();
    let (v, r) = sealed(dir.path());
    assert_eq!(v.purge(0, t(100)).unwrap(), 0, "a record still queued is never purged");
    v.mark_synced(&r, t(50)).unwrap();
    assert!(v.outbox().unwrap().is_empty());
    assert_eq!(v.purge(30, t(100)).unwrap(), 0, "inside the retention window");
    assert_eq!(v.purge(30, t(100 + 31 * 86_400)).unwrap(), 1);
    assert!(v.records().unwrap().is_empty());
    assert!(v.audit_events().unwrap().iter().any(|e| e.kind == "purge" && e.subject.as_deref() == Some(r.as_str())));
    v.verify().unwrap();
}

/// Every file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out)
            } else {
                out.push(p)
            }
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn st_marker_is_nowhere_on_disk_raw_base64_or_hex() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let started = std::time::SystemTime::now();
    let marker = format!("MARKER-{}", crate::random_id().unwrap().replace('-', ""));
    let p = protocol();
    let v = new_vault(dir.path());
    let d = v.create_draft(&p, "en", None, t(1)).unwrap();
    answer(&v, &p, &d, "danger", Answer::No, 2);
    answer(&v, &p, &d, "where", Answer::Text(marker.clone()), 3);
    let r = v.finalize(&d, &p, None, t(4)).unwrap();
    assert_eq!(v.record(&r, t(5)).unwrap().answers[1].answer, Answer::Text(marker.clone()), "the marker is stored");
    let forms: Vec<Vec<u8>> = vec![
        marker.as_bytes().to_vec(),
        base64::engine::general_purpose::STANDARD.encode(&marker).into_bytes(),
        hex::encode(&marker).into_bytes(),
        hex::encode_upper(&marker).into_bytes(),
    ];
    let scan = |when: &str| {
        let mut all = Vec::new();
        files(dir.path(), &mut all);
        files(tmp.path(), &mut all);
        assert!(all.iter().any(|f| f.ends_with("vault.db")));
        // The system temp folder is shared with other processes: its files made since this test
        // began (where SQLite would spill temp tables, were temp_store not MEMORY).
        for e in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
            let m = e.metadata().unwrap();
            if m.is_file() && m.modified().is_ok_and(|t| t >= started) {
                all.push(e.path());
            }
        }
        for f in &all {
            let Ok(bytes) = std::fs::read(f) else { continue }; // gone meanwhile (another process's temp file)
            for form in &forms {
                assert!(!contains(&bytes, form), "{when}: marker found in {}", f.display());
            }
        }
    };
    scan("while open (WAL present)");
    assert!(dir.path().join("vault.db-wal").exists());
    v.lock();
    scan("after lock");
    let head = std::fs::read(dir.path().join("vault.db")).unwrap();
    assert_ne!(&head[..16], b"SQLite format 3\0", "ST: the database has no plaintext header");
}

#[test]
fn st_stock_sqlite_cannot_read_it_and_an_independent_sqlcipher_client_can() {
    let dir = tempfile::tempdir().unwrap();
    let (v, r) = sealed(dir.path());
    v.lock();
    let db = dir.path().join("vault.db");
    // Stock sqlite3 (Debian's CLI) refuses the file.
    let out = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT count(*) FROM sqlite_master;")
        .output()
        .expect("sqlite3 is installed by scripts/bootstrap.sh");
    assert!(!out.status.success(), "stock sqlite3 read the vault");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An independent SQLCipher client (Python sqlcipher3) opens it with the data key.
    let kf = KeyFile::read(dir.path()).unwrap();
    let dek = kf.secret.open(SECRET).unwrap().unwrap();
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/sqlcipher-venv/bin/python");
    let script = format!(
        "import sqlcipher3,sys\nc=sqlcipher3.connect(sys.argv[1])\nc.execute(\"PRAGMA key = \\\"x'{}'\\\"\")\nprint(c.execute('SELECT id FROM records').fetchone()[0])",
        dek.hex().as_str()
    );
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(&script)
        .arg(&db)
        .output()
        .expect("the sqlcipher3 venv is made by scripts/bootstrap.sh");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), r);
}

#[test]
fn st_refuses_a_plaintext_database() {
    let dir = tempfile::tempdir().unwrap();
    new_vault(dir.path()).lock();
    let db = dir.path().join("vault.db");
    std::fs::remove_file(&db).unwrap();
    let _ = std::fs::remove_file(dir.path().join("vault.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("vault.db-shm"));
    rusqlite::Connection::open(&db).unwrap().execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
    let e = Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(5)).err().unwrap();
    assert!(matches!(e, VaultError::Plaintext(_)), "{e}");
    assert!(db.exists());
}

fn flip(path: &Path, offset: u64) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    let mut b = [0u8; 1];
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.read_exact(&mut b).unwrap();
    b[0] ^= 0x5a;
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(&b).unwrap();
}

#[test]
fn st_a_flipped_byte_is_reported_damaged_and_the_file_is_kept() {
    for page in [0u64, 2] {
        let dir = tempfile::tempdir().unwrap();
        let (v, _) = sealed(dir.path());
        // Checkpoint so every page lives in the main file, then close.
        v.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        v.lock();
        let db = dir.path().join("vault.db");
        let len = std::fs::metadata(&db).unwrap().len();
        assert!(len >= 4096 * 3, "{len}");
        flip(&db, page * 4096 + 200);
        let result =
            Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(10)).and_then(|v| v.verify().map(|_| ()));
        let e = result.err().unwrap_or_else(|| panic!("page {page}: tampering went unnoticed"));
        assert!(matches!(e, VaultError::Damaged(_)), "page {page}: {e}");
        assert!(e.to_string().contains("damaged"));
        assert_eq!(std::fs::metadata(&db).unwrap().len(), len, "the damaged file is kept as it was");
    }
}

#[test]
fn recovery_wrap_opens_the_database_with_the_custodian_identity() {
    let dir = tempfile::tempdir().unwrap();
    let id = age::x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    let o = CreateOptions { recovery_recipient: Some(&recipient), ..opts() };
    Vault::create(dir.path(), SECRET, &o, &UnlockPolicy::default(), t(0)).unwrap().lock();
    let kf = KeyFile::read(dir.path()).unwrap();
    let armored = kf.recovery.unwrap().age;
    let dec = age::Decryptor::new(age::armor::ArmoredReader::new(armored.as_bytes())).unwrap();
    let mut k = Vec::new();
    std::io::Read::read_to_end(&mut dec.decrypt(std::iter::once(&id as &dyn age::Identity)).unwrap(), &mut k).unwrap();
    let dek = Dek(k.try_into().unwrap());
    let conn = db::open(dir.path(), &dek, false).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap();
    assert!(n >= 1);
}

#[test]
fn rl_changing_the_secret_rewraps_only() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = sealed(dir.path());
    v.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let db = dir.path().join("vault.db");
    let before = std::fs::read(&db).unwrap();
    assert!(matches!(v.change_secret(SECRET, "short", &UnlockPolicy::default(), t(5)), Err(VaultError::Policy(_))));
    assert_eq!(
        v.change_secret("wrong lantern copper", NEW_SECRET, &UnlockPolicy::default(), t(5)),
        Err(VaultError::WrongSecret)
    );
    v.change_secret(SECRET, NEW_SECRET, &UnlockPolicy::default(), t(5)).unwrap();
    assert_eq!(std::fs::read(&db).unwrap(), before, "the database file is untouched by a re-wrap");
    v.lock();
    assert!(Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(6)).is_err());
    Vault::unlock(dir.path(), NEW_SECRET, &UnlockPolicy { base_delay: Duration::zero(), ..Default::default() }, t(7))
        .unwrap();
}

#[test]
fn rl_04_a_crash_at_every_step_of_a_secret_change_leaves_one_secret_working() {
    for step in Step::ALL {
        let dir = tempfile::tempdir().unwrap();
        let v = new_vault(dir.path());
        v.change_secret_stopping(SECRET, NEW_SECRET, &UnlockPolicy::default(), t(1), Some(step)).unwrap();
        v.lock();
        let policy = UnlockPolicy { base_delay: Duration::zero(), ..Default::default() };
        let old = Vault::unlock(dir.path(), SECRET, &policy, t(2)).map(Vault::lock).is_ok();
        let new = Vault::unlock(dir.path(), NEW_SECRET, &policy, t(3)).map(Vault::lock).is_ok();
        assert!(old ^ new, "{step:?}: old works {old}, new works {new}");
        assert_eq!(new, step == Step::Renamed, "{step:?}");
    }
}

#[test]
fn wipe_destroys_every_wrap_then_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = sealed(dir.path());
    v.lock();
    wipe(dir.path()).unwrap();
    for f in ["key.json", "vault.db", "vault.db-wal", "vault.db-shm", "unlock-guard.json"] {
        assert!(!dir.path().join(f).exists(), "{f} survived the wipe");
    }
    assert_eq!(Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(9)).err(), Some(VaultError::Wiped));
}

#[test]
fn status_says_not_set_up_set_up_then_wiped_and_a_new_vault_clears_the_mark() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(status(dir.path()), Status::NotSetUp);
    let (v, _) = sealed(dir.path());
    assert_eq!(status(dir.path()), Status::SetUp);
    v.lock();
    let deleted = wipe(dir.path()).unwrap();
    assert!(deleted.contains(&"key.json") && deleted.contains(&"vault.db"), "{deleted:?}");
    assert_eq!(status(dir.path()), Status::Wiped);
    assert!(matches!(Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(9)), Err(VaultError::Wiped)));
    let opts = CreateOptions { officer_id: "officer-2", recovery_recipient: None, iterations: ITER };
    let v = Vault::create(dir.path(), SECRET, &opts, &UnlockPolicy::default(), t(10)).unwrap();
    assert_eq!(status(dir.path()), Status::SetUp);
    assert!(!dir.path().join(WIPED_MARK).exists(), "the new vault clears the wiped mark");
    v.lock();
    assert!(Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(11)).is_ok(), "the new vault opens");
    // A database without its key file is still a vault (unlocking says it is damaged).
    std::fs::remove_file(dir.path().join(keys::KEY_FILE)).unwrap();
    assert_eq!(status(dir.path()), Status::SetUp);
    assert!(matches!(Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(12)), Err(VaultError::Damaged(_))));
}

#[test]
fn io_sql_and_crypto_errors_keep_their_cause() {
    use std::error::Error;
    let dir = tempfile::tempdir().unwrap();
    // A key file that is a folder: reading it fails with an IO error, kept as the source.
    std::fs::create_dir(dir.path().join(keys::KEY_FILE)).unwrap();
    let e = Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(1)).err().unwrap();
    assert_eq!(e.kind(), "io");
    assert!(e.to_string().contains("key.json"), "the message names the file: {e}");
    assert!(e.source().and_then(|s| s.downcast_ref::<durable::Error>()).is_some(), "{e:?}");
    let sql = VaultError::from_sqlite(rusqlite::Error::InvalidQuery);
    assert_eq!(sql.kind(), "database");
    assert!(sql.source().and_then(|s| s.downcast_ref::<rusqlite::Error>()).is_some());
    let bad = keys::RecoveryWrap::new(&Dek::generate().unwrap(), "age1notarecipient");
    assert!(matches!(bad, Err(VaultError::Policy(_))), "a bad recipient is a policy error, not a crypto one");
    let crypto = VaultError::crypto_from("age: ", std::io::Error::other("stream closed"));
    assert_eq!(crypto.to_string(), "crypto: age: stream closed");
    assert!(crypto.source().is_some());
    assert!(VaultError::crypto("the system random source failed").source().is_none());
}

/// RL-03: a child process appends answers and logs each acknowledged one to a side file; it is
/// killed at random points; after each restart every acknowledged answer is there and the
/// integrity checks pass. 200 kills by default, FIELDSCREEN_TORTURE_KILLS for more.
#[test]
fn rl_03_kill_9_torture_loses_no_acknowledged_answer() {
    if let Ok(dir) = std::env::var("FIELDSCREEN_TORTURE_CHILD") {
        return torture_child(Path::new(&dir));
    }
    let kills: usize = std::env::var("FIELDSCREEN_TORTURE_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let p = protocol();
    let draft = {
        let v = new_vault(dir.path());
        v.create_draft(&p, "en", None, t(1)).unwrap()
    };
    std::fs::write(dir.path().join("draft-id"), &draft).unwrap();
    let exe = std::env::current_exe().unwrap();
    let rng = ring::rand::SystemRandom::new();
    let policy = UnlockPolicy { base_delay: Duration::zero(), ..Default::default() };
    let mut max_acked = 0usize;
    for i in 0..kills {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "tests::rl_03_kill_9_torture_loses_no_acknowledged_answer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FIELDSCREEN_TORTURE_CHILD", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut b = [0u8; 2];
        ring::rand::SecureRandom::fill(&rng, &mut b).unwrap();
        let wait_ms = 20 + (u16::from_le_bytes(b) % 180) as u64;
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let acked = std::fs::read_to_string(dir.path().join("acked")).unwrap_or_default().lines().count();
        let v =
            Vault::unlock(dir.path(), SECRET, &policy, t(10 + i as i64)).unwrap_or_else(|e| panic!("kill {i}: {e}"));
        let stored = v.draft_events(&draft).unwrap().len();
        assert!(stored >= acked, "kill {i}: {acked} acknowledged, {stored} stored");
        if i % 20 == 0 || i + 1 == kills {
            v.verify().unwrap_or_else(|e| panic!("kill {i}: {e}"));
        }
        max_acked = acked;
    }
    assert!(max_acked > kills / 2, "the child made progress: {max_acked} answers acknowledged");
}

fn torture_child(dir: &Path) {
    use std::io::Write;
    let p = protocol();
    let draft = std::fs::read_to_string(dir.join("draft-id")).unwrap();
    let policy = UnlockPolicy { base_delay: Duration::zero(), ..Default::default() };
    let v = Vault::unlock(dir, SECRET, &policy, t(1)).unwrap();
    let mut ack = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("acked")).unwrap();
    for n in 0.. {
        let a = if n % 2 == 0 { Answer::Yes } else { Answer::No };
        let seq = v.append(&draft, &p, &Event::Answer { item: "danger".into(), answer: a }, t(2)).unwrap();
        // Only now may the UI say "saved": log the acknowledgement.
        writeln!(ack, "{seq}").unwrap();
    }
}

#[test]
fn au_confirming_the_secret_while_unlocked_counts_failures_like_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    let policy = UnlockPolicy { max_failures: 2, ..UnlockPolicy::default() };
    assert!(v.confirm_secret(SECRET, &policy, t(1)).is_ok());
    assert_eq!(v.confirm_secret("not the secret at all", &policy, t(2)), Err(VaultError::WrongSecret));
    // The doubling delay applies before the next try, as at the unlock screen.
    assert!(matches!(v.confirm_secret(SECRET, &policy, t(2)), Err(VaultError::Delayed(_))));
    assert!(matches!(v.confirm_secret("still not the secret", &policy, t(60)), Err(VaultError::LockedOut(_))));
    assert!(
        matches!(v.confirm_secret(SECRET, &policy, t(61)), Err(VaultError::LockedOut(_))),
        "locked out even with the right secret"
    );
    let kinds: Vec<String> = v.audit_events().unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "confirm-failure").count(), 2);
    assert!(kinds.contains(&"confirm".to_string()));
}

#[test]
fn ex_export_bundle_checks_ids_signs_with_the_device_and_audits_the_hash() {
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().unwrap();
    let (v, r1) = sealed(dir.path());
    let out = tempfile::tempdir().unwrap();
    let id = age::x25519::Identity::generate();
    let seal = || bundle::Seal::recipients(&[id.to_public().to_string()]).unwrap();
    let path = out.path().join("case.age");
    let no = AtomicBool::new(false);
    let e = v.export_bundle(&[r1.clone(), "ghost".into()], seal(), &path, &mut |_, _| {}, &no, t(20)).unwrap_err();
    assert!(matches!(e, VaultError::NotFound(ref m) if m.contains("`ghost`")), "{e}");
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "no file for a refused export");
    let e = v.export_bundle(&[r1.clone(), r1.clone()], seal(), &path, &mut |_, _| {}, &no, t(20)).unwrap_err();
    assert!(e.to_string().contains("named twice"));
    let done = v.export_bundle(std::slice::from_ref(&r1), seal(), &path, &mut |_, _| {}, &no, t(21)).unwrap();
    let device = B64.decode(v.device_public_key().unwrap()).unwrap();
    let opened = bundle::open(
        std::io::BufReader::new(std::fs::File::open(&path).unwrap()),
        &bundle::Key::Identities(vec![id]),
        Some(&device),
    )
    .unwrap();
    assert_eq!(opened.records.len(), 1);
    assert_eq!(opened.manifest.exporter.officer_id, v.officer_id());
    let audit = v.audit_events().unwrap();
    let last = audit.last().unwrap();
    assert_eq!((last.kind.as_str(), last.subject.as_deref()), ("export", Some(done.sha256.as_str())));
}

fn uuid_version(id: &str) -> Option<uuid::Version> {
    uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("`{id}`: {e}")).get_version()
}

/// PR-01: the ids that reach the hub (device, record) are random, so they tell nobody when a
/// screening was finalized or the device set up: version 4, not in the order they were made.
/// The outbox keeps its own order: the order records were sealed, whatever the ids or the clock.
#[test]
fn pr_01_ids_reveal_no_time_and_the_outbox_keeps_the_sealing_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = protocol();
    let v = new_vault(dir.path());
    assert_eq!(uuid_version(v.device_id()), Some(uuid::Version::Random), "device id {}", v.device_id());
    let mut ids = Vec::new();
    for _ in 0..24 {
        // One clock reading for all of them: only the outbox itself can order them.
        let d = v.create_draft(&p, "en", None, t(1)).unwrap();
        assert_eq!(uuid_version(&d), Some(uuid::Version::Random), "draft id {d}");
        answer(&v, &p, &d, "danger", Answer::No, 2);
        ids.push(v.finalize(&d, &p, None, t(3)).unwrap());
    }
    for id in &ids {
        assert_eq!(uuid_version(id), Some(uuid::Version::Random), "record id {id}");
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_ne!(sorted, ids, "ids made one after another are not in order");
    assert_eq!(v.outbox().unwrap(), ids, "the outbox drains in the order the records were sealed");
    let listed: Vec<String> = v.records().unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(listed, ids, "records list in the order they were sealed");
    // Sending the head keeps the rest in order; a record sealed later goes last, even with the
    // clock set back.
    v.mark_synced(&ids[0], t(4)).unwrap();
    let d = v.create_draft(&p, "en", None, t(0)).unwrap();
    let late = v.finalize(&d, &p, None, t(0)).unwrap();
    let mut want = ids[1..].to_vec();
    want.push(late);
    assert_eq!(v.outbox().unwrap(), want);
}

/// A vault made before ids were random (schema 2, UUIDv7 ids; `testdata/vault-v2` was written
/// by that version with this file's test protocol) opens, keeps its ids and its outbox order,
/// and queues a record sealed now after the old ones.
#[test]
fn a_vault_with_time_ordered_ids_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vault-v2");
    for f in ["key.json", "vault.db"] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let ids: Vec<String> =
        std::fs::read_to_string(fixture.join("ids.txt")).unwrap().lines().map(str::to_string).collect();
    let (old, draft) = (&ids[..3], &ids[3]);
    let v = Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), t(60)).unwrap();
    let schema: i64 = v.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(schema, 3);
    assert_eq!(uuid_version(v.device_id()), Some(uuid::Version::SortRand), "the device id made then stays");
    assert_eq!(v.outbox().unwrap(), old, "queued records keep their ids and order");
    assert_eq!(v.verify_records().unwrap(), 3);
    v.verify().unwrap();
    // The draft made then is still there; the fixture's protocol text has since changed (it
    // gained a `[stopped_rule]`), so the new record comes from a draft started now.
    assert_eq!(v.drafts().unwrap()[0].id, *draft);
    let p = protocol();
    let d = v.create_draft(&p, "en", None, t(61)).unwrap();
    assert_eq!(uuid_version(&d), Some(uuid::Version::Random));
    answer(&v, &p, &d, "danger", Answer::No, 62);
    let r = v.finalize(&d, &p, None, t(63)).unwrap();
    assert_eq!(uuid_version(&r), Some(uuid::Version::Random));
    let mut want = old.to_vec();
    want.push(r);
    assert_eq!(v.outbox().unwrap(), want);
}
