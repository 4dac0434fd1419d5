//! The officer app over a real vault (SQLCipher in a temporary folder): setup, lock, drafts that
//! survive a closed app, the hand-over view, the outcome's records, and every command refusing
//! while locked, checked through Tauri's IPC on the mock runtime.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::Manager;

use screening::encounter::Encounter;
use screening::{Answer, Status};

use crate::dto::*;
use crate::field::{Field, FOCUS_GRACE};
use crate::training::Training;
use crate::AppState;

const SECRET: &str = "correct horse battery";

fn library() -> screening::Library {
    crate::content::shipped().expect("shipped content is valid")
}

fn field(dir: &std::path::Path) -> Field {
    Field::new(dir.to_path_buf(), library()).unwrap()
}

fn setup_args() -> SetupArgs {
    SetupArgs {
        officer_id: "B-1042".into(),
        secret: SECRET.into(),
        recovery_recipient: None,
        policy_id: "default".into(),
        protocols: vec!["adult-roadside".into(), "minors".into()],
    }
}

fn encounter() -> Encounter {
    Encounter { kind: "traffic-stop".into(), setting: "agriculture".into(), interpreter: "screen".into() }
}

fn start(f: &mut Field, protocol: &str, lang: &str) -> SessionView {
    f.start(StartArgs { protocol_id: protocol.into(), language: lang.into(), encounter: encounter() }).unwrap()
}

/// An answer the item accepts: `declined` for questions, `read` for scripts, `not-seen` for observations.
fn some_answer(item: &ItemView) -> Answer {
    use AnswerToken::*;
    match item.options.iter().find(|o| [Declined, Read, NotSeen].contains(o)) {
        Some(Declined) => Answer::Declined,
        Some(Read) => Answer::Read,
        _ => Answer::NotSeen,
    }
}

#[test]
fn setup_then_unlock_and_setup_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    assert_eq!(f.status().phase, Phase::Setup);
    assert!(f.setup_options().unwrap().policies.iter().any(|p| p.id == "default"));
    let short = f.setup(SetupArgs { secret: "short".into(), ..setup_args() }).unwrap_err();
    assert_eq!(short.kind, "policy", "{short:?}");
    assert_eq!(f.setup(SetupArgs { protocols: vec![], ..setup_args() }).unwrap_err().kind, "invalid");
    assert_eq!(
        f.setup(SetupArgs { protocols: vec!["nope".into()], ..setup_args() }).unwrap_err().kind,
        "unknown-protocol"
    );
    let s = f.setup(setup_args()).unwrap();
    assert_eq!(s.phase, Phase::Unlocked);
    assert_eq!(s.officer_id.as_deref(), Some("B-1042"));
    assert_eq!(f.setup(setup_args()).unwrap_err().kind, "already-set-up");
    assert_eq!(f.setup_options().unwrap_err().kind, "already-set-up");
    assert!(f.lock());
    drop(f);
    let mut f = field(dir.path());
    assert_eq!(f.status().phase, Phase::Locked, "a restarted app starts locked");
    assert_eq!(f.unlock("not the secret at all").unwrap_err().kind, "wrong-secret");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(f.unlock(SECRET).unwrap().phase, Phase::Unlocked);
}

#[test]
fn ta_a_draft_survives_a_closed_app_and_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let mut v = start(&mut f, "adult-roadside", "es");
    for n in 1..=4 {
        let item = v.current.clone().unwrap();
        v = f.answer(&item.id, some_answer(&item)).unwrap();
        assert_eq!(v.saved_events, n, "saved_events counts what the vault committed");
    }
    let here = v.current.clone().unwrap().id;
    // The window closes without finalizing: nothing but the vault remembers.
    drop(f);
    let mut f = field(dir.path());
    assert_eq!(f.home().unwrap_err().kind, "locked");
    f.unlock(SECRET).unwrap();
    let home = f.home().unwrap();
    assert_eq!(home.drafts.len(), 1);
    assert_eq!(home.drafts[0].saved_events, 4);
    assert_eq!(home.drafts[0].language, "es");
    assert!(home.resources.iter().any(|r| r.phone.as_deref() == Some("911")), "the policy's referrals, from content");
    let v = f.resume(&home.drafts[0].id).unwrap();
    assert_eq!(v.current.unwrap().id, here, "resumes on the item it stopped at");
    assert_eq!(v.saved_events, 4);
}

#[test]
fn ta_handover_shows_only_the_current_question_and_needs_the_secret_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let v = start(&mut f, "adult-roadside", "es");
    let first = v.current.unwrap();
    let v = f.handover_start().unwrap();
    assert!(v.handover && f.status().handover);
    for (what, kind) in [
        ("home", f.home().map(|_| ()).unwrap_err().kind),
        ("outcome", f.outcome().map(|_| ()).unwrap_err().kind),
        ("back", f.back().map(|_| ()).unwrap_err().kind),
        ("card", f.resource_card().map(|_| ()).unwrap_err().kind),
        ("finalize", f.finalize().map(|_| ()).unwrap_err().kind),
        ("close", f.close().unwrap_err().kind),
        (
            "start",
            f.start(StartArgs { protocol_id: "minors".into(), language: "en".into(), encounter: encounter() })
                .map(|_| ())
                .unwrap_err()
                .kind,
        ),
    ] {
        assert_eq!(kind, "handover", "{what} is out of reach in the hand-over view");
    }
    assert_eq!(f.answer("under-18", Answer::Yes).unwrap_err().kind, "handover", "only the question on screen");
    let v = f.answer(&first.id, Answer::No).unwrap();
    assert!(v.handover, "the next question stays in the hand-over view");
    assert_eq!(f.handover_end("not the secret at all").unwrap_err().kind, "wrong-secret");
    assert!(f.status().handover);
    std::thread::sleep(Duration::from_millis(1100));
    let v = f.handover_end(SECRET).unwrap();
    assert!(!v.handover);
    assert!(f.home().is_ok());
}

#[test]
fn the_person_can_stop_from_the_handover_view_and_the_outcome_is_partial() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    start(&mut f, "adult-roadside", "en");
    f.handover_start().unwrap();
    let v = f.stop().unwrap();
    assert_eq!(v.status, Status::Stopped);
    f.handover_end(SECRET).unwrap();
    let o = f.outcome().unwrap().outcome;
    assert!(o.stopped && o.partial);
}

#[test]
fn outcome_referrals_notes_card_and_finalize_make_one_sealed_queued_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let mut v = start(&mut f, "adult-roadside", "es");
    let mut declined = None;
    while let Some(item) = v.current.clone() {
        let a = some_answer(&item);
        if a == Answer::Declined && declined.is_none() {
            declined = Some(item.id.clone());
        }
        v = f.answer(&item.id, a).unwrap();
    }
    let o = f.outcome().unwrap();
    assert!(
        o.outcome.declined.iter().any(|d| Some(&d.item) == declined.as_ref()),
        "declined items are listed as declined"
    );
    assert!(o.referrals.iter().all(|r| r.choice == ReferralChoice::NotOffered));
    let nhth = o.referrals.iter().find(|r| r.resource_id == "nhth").expect("the hotline is a policy referral");
    assert!(nhth.contact.is_some());
    let o = f.set_referral("nhth", ReferralChoice::Declined).unwrap();
    assert_eq!(o.referrals.iter().find(|r| r.resource_id == "nhth").unwrap().choice, ReferralChoice::Declined);
    assert_eq!(f.set_referral("nowhere", ReferralChoice::Accepted).unwrap_err().kind, "unknown-resource");
    // The live language check flags a harmful term and suggests a better one.
    let flags = f.check_notes("Said she was a prostitute.").unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(!flags[0].prefer.is_empty());
    let o = f.save_notes("Person said she was a prostitute.").unwrap();
    assert_eq!(o.note_flags.len(), 1);
    assert_eq!(f.save_notes(&"x".repeat(Field::NOTES_MAX + 1)).unwrap_err().kind, "too-long");
    let card = f.resource_card().unwrap();
    assert_eq!(card.language, "es");
    assert!(
        card.resources.iter().any(|r| r.description.chars().any(|c| "áéíóúñ".contains(c))),
        "descriptions in Spanish"
    );
    assert_eq!(card.qr.modules.len(), card.qr.size * card.qr.size);
    assert!(card.qr.text.contains("tel:"), "{}", card.qr.text);
    let done = f.finalize().unwrap();
    assert_eq!(done.pending, 1);
    assert_eq!(f.view().unwrap_err().kind, "no-session", "the screen closes");
    let home = f.home().unwrap();
    assert!(home.drafts.is_empty());
    assert_eq!(home.records.len(), 1);
    assert!(home.records[0].queued && !home.records[0].synced);
    assert_eq!(home.pending, 1);
}

#[test]
fn a_minor_who_discloses_is_referred_to_child_protection() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let mut v = start(&mut f, "minors", "en");
    let mut steps = 0;
    while let Some(item) = v.current.clone() {
        let a = if item.options.contains(&AnswerToken::Yes) { Answer::Yes } else { some_answer(&item) };
        v = f.answer(&item.id, a).unwrap();
        steps += 1;
        assert!(steps < 100);
    }
    let o = f.outcome().unwrap().outcome;
    assert!(!o.indicators.minor.is_empty());
    assert!(o.actions.iter().any(|a| a.text.to_lowercase().contains("child")), "{:?}", o.actions);
}

#[test]
fn bad_input_names_the_problem_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let bad = Encounter { setting: "Main Street".into(), ..encounter() };
    let e =
        f.start(StartArgs { protocol_id: "adult-roadside".into(), language: "en".into(), encounter: bad }).unwrap_err();
    assert_eq!(e.kind, "invalid-encounter");
    assert!(e.message.contains("Main Street"));
    let e = f
        .start(StartArgs { protocol_id: "adult-roadside".into(), language: "xh".into(), encounter: encounter() })
        .unwrap_err();
    assert_eq!(e.kind, "unknown-language");
    assert!(f.home().unwrap().drafts.is_empty(), "no draft was opened by a refused start");
    let v = start(&mut f, "adult-roadside", "en");
    let item = v.current.unwrap();
    assert_eq!(f.answer(&item.id, Answer::Seen).unwrap_err().kind, "invalid-answer");
    assert_eq!(f.view().unwrap().saved_events, 0, "a refused answer is not saved");
    assert_eq!(f.resume("no-such-draft").unwrap_err().kind, "not-found");
}

#[test]
fn au_inactivity_and_focus_loss_lock_on_the_monotonic_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let timeout = Duration::from_secs(f.status().lock_timeout_seconds as u64);
    assert_eq!(timeout, Duration::from_secs(5 * 60), "the default policy's five minutes");
    let t0 = Instant::now();
    f.touch(t0);
    assert!(!f.tick(t0 + timeout - Duration::from_secs(1)));
    f.touch(t0 + timeout - Duration::from_secs(1));
    assert!(!f.tick(t0 + timeout + Duration::from_secs(1)), "activity resets the timer");
    assert!(f.tick(t0 + 2 * timeout), "idle for the policy's time: locked");
    assert_eq!(f.home().unwrap_err().kind, "locked");
    std::thread::sleep(Duration::from_millis(10));
    f.unlock(SECRET).unwrap();
    let t1 = Instant::now();
    f.touch(t1);
    f.focus_changed(false, t1);
    assert!(!f.tick(t1 + FOCUS_GRACE - Duration::from_secs(1)));
    f.focus_changed(true, t1 + FOCUS_GRACE - Duration::from_secs(1));
    assert!(!f.tick(t1 + FOCUS_GRACE + Duration::from_secs(1)), "focus came back within the grace");
    f.focus_changed(false, t1 + FOCUS_GRACE + Duration::from_secs(1));
    assert!(f.tick(t1 + 2 * FOCUS_GRACE + Duration::from_secs(2)), "away past the grace: locked");
}

// ---- through Tauri's IPC, command by command ----------------------------------------------

/// Commands that work whatever the lock state: they open, lock or describe the app, or run
/// training, which never touches the vault.
const OPEN_WHILE_LOCKED: &[&str] = &["status", "setup_options", "setup", "unlock", "lock", "touch"];

fn registered_commands() -> Vec<String> {
    let lib = include_str!("lib.rs");
    let handler = &lib[lib.find("generate_handler![").unwrap() + "generate_handler![".len()..];
    let handler = &handler[..handler.find(']').unwrap()];
    handler.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn invoke(webview: &tauri::WebviewWindow<tauri::test::MockRuntime>, cmd: &str, body: Value) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        tauri::webview::InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

/// Arguments every command can deserialize, so that a refusal is the lock and not the input.
fn any_args() -> Value {
    json!({
        "args": {
            "protocol_id": "adult-roadside", "language": "en", "encounter": {"type": "traffic-stop", "setting": "unknown", "interpreter": "not-needed"},
            "record_ids": ["r"], "recipients": ["Trafficking unit custodian"], "secret": "wrong secret here", "path": "/tmp/case.age",
            "hub_url": "https://127.0.0.1:1", "code": "c", "fingerprint": "00"
        },
        "itemId": "in-danger", "answer": {"kind": "no"}, "draftId": "x", "secret": "wrong secret here",
        "resourceId": "nhth", "choice": "offered", "text": "note", "protocolId": "adult-roadside", "language": "en",
        "part": "question"
    })
}

#[test]
fn au_every_data_command_refuses_while_locked_through_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    f.lock();
    let app = crate::app(mock_builder())
        .manage(AppState { field: Mutex::new(f), training: Mutex::new(Training::new(library())) })
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let commands = registered_commands();
    assert!(commands.len() > 20, "{commands:?}");
    let mut checked = 0;
    for cmd in commands.iter().filter(|c| !OPEN_WHILE_LOCKED.contains(&c.as_str()) && !c.starts_with("training_")) {
        let err = invoke(&webview, cmd, any_args()).expect_err(&format!("`{cmd}` answered while locked"));
        assert_eq!(err["kind"], "locked", "`{cmd}`: {err}");
        checked += 1;
    }
    assert!(checked >= 17);
    // The same commands get past the lock once unlocked: the refusal above was the lock.
    let s = invoke(&webview, "unlock", json!({"secret": SECRET})).unwrap();
    assert_eq!(s["phase"], "unlocked");
    assert!(invoke(&webview, "home", json!({})).is_ok());
    assert!(invoke(&webview, "start_screening", any_args()).is_ok());
    assert!(invoke(&webview, "answer", any_args()).is_ok());
    invoke(&webview, "lock", json!({})).unwrap();
    assert_eq!(
        invoke(&webview, "current_view", json!({})).unwrap_err()["kind"],
        "locked",
        "locking dropped the open screening"
    );
}

#[test]
fn navigation_stays_inside_the_app() {
    for ok in ["tauri://localhost/", "http://tauri.localhost/index.html"] {
        assert!(crate::navigation_allowed(&ok.parse().unwrap()), "{ok}");
    }
    for bad in [
        "https://example.org/",
        "http://192.168.1.10/",
        "file:///etc/passwd",
        "http://localhost:8080/",
        "https://tauri.localhost.evil.org/",
    ] {
        assert!(!crate::navigation_allowed(&bad.parse().unwrap()), "{bad}");
    }
}

#[test]
fn every_command_the_ui_calls_is_registered() {
    let ipc = include_str!("../../ui/src/lib/ipc.ts");
    let mut called: Vec<String> =
        ipc.split("invoke('").skip(1).map(|s| s[..s.find('\'').unwrap()].to_string()).collect();
    let mut registered = registered_commands();
    called.sort();
    registered.sort();
    assert_eq!(called, registered, "ui/src/lib/ipc.ts and the registered commands differ");
}

fn snapshot(dir: &std::path::Path) -> Vec<(String, u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let m = e.metadata().unwrap();
        let bytes = if m.is_file() { std::fs::read(e.path()).unwrap() } else { Vec::new() };
        out.push((e.file_name().to_string_lossy().to_string(), m.len(), m.modified().unwrap(), bytes));
    }
    out.sort();
    out
}

#[test]
fn tr_a_whole_training_run_writes_nothing_to_the_data_folder_and_needs_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    f.lock();
    let before = snapshot(dir.path());
    assert!(!before.is_empty());
    let app = crate::app(mock_builder())
        .manage(AppState { field: Mutex::new(f), training: Mutex::new(Training::new(library())) })
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let list = invoke(&webview, "training_scenarios", json!({})).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_string();
    let mut v = invoke(&webview, "training_begin", json!({"scenarioId": id})).unwrap();
    let mut steps = 0;
    while !v["session"]["current"].is_null() && steps < 200 {
        let item = v["session"]["current"]["id"].as_str().unwrap().to_string();
        let says = v["person"]["says"].clone();
        let answer = if says.is_null() { json!({"kind": "declined"}) } else { says };
        v = match invoke(&webview, "training_answer", json!({"itemId": item, "answer": answer})) {
            Ok(v) => v,
            Err(_) => {
                invoke(&webview, "training_answer", json!({"itemId": item, "answer": {"kind": "not-seen"}})).unwrap()
            }
        };
        steps += 1;
    }
    let d = invoke(&webview, "training_debrief", json!({"notes": "Notes in class."})).unwrap();
    assert!(d["debrief"]["outcome"].is_object());
    invoke(&webview, "training_end", json!({})).unwrap();
    assert_eq!(invoke(&webview, "home", json!({})).unwrap_err()["kind"], "locked", "training did not unlock anything");
    drop(webview);
    drop(app);
    assert_eq!(snapshot(dir.path()), before, "the data folder is byte for byte as it was");
}

// ---- case bundles ---------------------------------------------------------------------------

/// The shipped content with one unit custodian added to the default policy.
fn library_with_recipient(recipient: &str) -> screening::Library {
    let mut sources = crate::content::shipped_sources();
    let policy = sources.iter_mut().find(|s| s.path.ends_with("policy/default.toml")).unwrap();
    policy.text += &format!("\n[[policy.recipients]]\nname = \"Trafficking unit custodian\"\nage = \"{recipient}\"\n");
    screening::load(&sources).unwrap()
}

fn finalized_record(f: &mut Field) -> String {
    let mut v = start(f, "adult-roadside", "en");
    while let Some(item) = v.current.clone() {
        v = f.answer(&item.id, some_answer(&item)).unwrap();
    }
    f.finalize().unwrap().record_id
}

#[test]
fn ex_au_08_export_asks_the_secret_again_and_opens_with_debian_age() {
    use std::sync::atomic::AtomicBool;
    let keys = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(keys.path().join("id.txt"))
        .output()
        .expect("Debian's age-keygen (scripts/bootstrap.sh installs age)");
    let recipient = String::from_utf8_lossy(&out.stderr).split("Public key: ").nth(1).unwrap().trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    // Without unit recipients in the policy there is nobody to export to.
    let mut plain = field(dir.path());
    plain.setup(setup_args()).unwrap();
    let rec = finalized_record(&mut plain);
    let no = AtomicBool::new(false);
    let args = |secret: &str, path: &std::path::Path, who: &str| ExportArgs {
        record_ids: vec![rec.clone()],
        recipients: vec![who.into()],
        secret: secret.into(),
        path: path.display().to_string(),
    };
    let target = dir.path().join("out");
    std::fs::create_dir(&target).unwrap();
    let bundle_path = target.join("case.age");
    assert_eq!(plain.export(args(SECRET, &bundle_path, "x"), &mut |_, _| {}, &no).unwrap_err().kind, "no-recipients");
    plain.lock();
    drop(plain);

    let mut f = Field::new(dir.path().to_path_buf(), library_with_recipient(&recipient)).unwrap();
    f.unlock(SECRET).unwrap();
    let opts = f.export_options(&target).unwrap();
    assert_eq!(opts.recipients.len(), 1);
    assert_eq!(opts.records.len(), 1);
    assert!(opts.suggested_path.ends_with(".age"));
    let who = opts.recipients[0].name.clone();
    assert_eq!(
        f.export(args(SECRET, &bundle_path, "Someone else"), &mut |_, _| {}, &no).unwrap_err().kind,
        "unknown-recipient"
    );
    assert_eq!(
        f.export(args(SECRET, std::path::Path::new("relative.age"), &who), &mut |_, _| {}, &no).unwrap_err().kind,
        "invalid-path"
    );
    assert_eq!(
        f.export(args("not the secret at all", &bundle_path, &who), &mut |_, _| {}, &no).unwrap_err().kind,
        "wrong-secret"
    );
    assert!(!bundle_path.exists(), "a refused export writes nothing");
    std::thread::sleep(Duration::from_millis(1100));
    let mut steps = Vec::new();
    let done = f.export(args(SECRET, &bundle_path, &who), &mut |k, n| steps.push((k, n)), &no).unwrap();
    assert_eq!(done.records, 1);
    assert_eq!(steps.last(), Some(&(1, 1)), "progress reaches the end");
    // The standard tool opens it with the custodian's identity: a tar with the manifest.
    let tar = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(keys.path().join("id.txt"))
        .arg(&bundle_path)
        .output()
        .unwrap();
    assert!(tar.status.success(), "{}", String::from_utf8_lossy(&tar.stderr));
    assert!(tar.stdout.windows(13).any(|w| w == b"manifest.json"));
    assert_eq!(
        f.export(args(SECRET, &bundle_path, &who), &mut |_, _| {}, &no).unwrap_err().kind,
        "invalid",
        "never overwrites"
    );
}

#[test]
fn sync_status_without_a_hub_keeps_records_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    finalized_record(&mut f);
    let s = f.sync_status().unwrap();
    assert!(!s.enrolled && !s.online);
    assert_eq!(s.pending, 1);
    let f = Mutex::new(f);
    assert_eq!(crate::sync_pass(&f), None, "nothing to do before enrollment");
    f.lock().unwrap().lock();
    assert_eq!(f.lock().unwrap().sync_status().unwrap_err().kind, "locked");
    assert_eq!(crate::sync_pass(&f), None, "never while locked");
}

/// Enrolled, with records queued and no unit configuration in force: the status the sync panel
/// reads says the records wait for the unit (nothing can be sealed without its custodians),
/// through a pass that cannot reach the hub too; a configuration with custodians ends the wait.
#[test]
fn sync_status_says_records_wait_for_the_unit_until_it_publishes_its_custodians() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    finalized_record(&mut f);
    assert!(!f.sync_status().unwrap().waiting_for_unit, "not enrolled: nothing is expected from a unit");
    f.lock();
    // What `fieldscreen device enroll` leaves in the vault (a loopback hub that is not running).
    let v = vault::Vault::unlock(dir.path(), SECRET, &vault::UnlockPolicy::default(), chrono::Utc::now()).unwrap();
    let enrollment = vault::enrollment::Enrollment {
        hub_url: "http://127.0.0.1:9".into(),
        ca_pems: vec![],
        unit_key: None,
        enrolled_at: chrono::Utc::now().to_rfc3339(),
    };
    v.set_enrollment(&enrollment, chrono::Utc::now()).unwrap();
    v.lock();
    f.unlock(SECRET).unwrap();
    let s = f.sync_status().unwrap();
    assert!(s.enrolled && s.waiting_for_unit && s.pending == 1, "{s:?}");
    let m = Mutex::new(f);
    assert_eq!(crate::sync_pass(&m), Some(false), "the hub is not running");
    let mut f = m.into_inner().unwrap();
    assert!(f.sync_status().unwrap().waiting_for_unit);
    f.lock();
    let v = vault::Vault::unlock(dir.path(), SECRET, &vault::UnlockPolicy::default(), chrono::Utc::now()).unwrap();
    let unit = vault::enrollment::UnitState {
        serial: 1,
        unit: "test unit".into(),
        recipients: vec![],
        library: "unit/1".into(),
    };
    v.set_unit_state(&unit, chrono::Utc::now()).unwrap();
    v.lock();
    f.unlock(SECRET).unwrap();
    assert!(f.sync_status().unwrap().waiting_for_unit, "a configuration without custodians still seals nothing");
    f.lock();
    let v = vault::Vault::unlock(dir.path(), SECRET, &vault::UnlockPolicy::default(), chrono::Utc::now()).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(keys.path().join("id.txt"))
        .output()
        .expect("Debian's age-keygen");
    let recipient = String::from_utf8_lossy(&out.stderr).split("Public key: ").nth(1).unwrap().trim().to_string();
    v.set_unit_state(
        &vault::enrollment::UnitState { serial: 2, recipients: vec![recipient], ..unit },
        chrono::Utc::now(),
    )
    .unwrap();
    v.lock();
    f.unlock(SECRET).unwrap();
    let s = f.sync_status().unwrap();
    assert!(!s.waiting_for_unit && s.pending == 1, "{s:?}");
}

#[test]
fn a_unit_configuration_in_force_replaces_the_content_and_drafts_keep_their_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(SetupArgs { protocols: vec!["adult-roadside".into()], ..setup_args() }).unwrap();
    let v = start(&mut f, "adult-roadside", "en");
    let first = v.current.unwrap();
    f.answer(&first.id, some_answer(&first)).unwrap();
    let old_version = v.protocol.version.clone();
    f.close().unwrap();
    f.lock();
    // What the sync crate leaves after applying a verified unit configuration: its files in
    // unit/<serial>/ and the state in the vault.
    let unit = dir.path().join("unit/7");
    for s in crate::content::shipped_sources() {
        let rel = s.path.trim_start_matches("screening-protocols/");
        let text = if rel == "adult-roadside/protocol.toml" {
            s.text.replacen(&format!("version = \"{old_version}\""), "version = \"9.0.0\"", 1).replacen(
                "title = \"Adult roadside screening\"",
                "title = \"Adult roadside screening (unit edition)\"",
                1,
            )
        } else {
            s.text
        };
        std::fs::create_dir_all(unit.join(rel).parent().unwrap()).unwrap();
        std::fs::write(unit.join(rel), text).unwrap();
    }
    let v = vault::Vault::unlock(dir.path(), SECRET, &vault::UnlockPolicy::default(), chrono::Utc::now()).unwrap();
    let state = vault::enrollment::UnitState {
        serial: 7,
        unit: "test unit".into(),
        recipients: vec![],
        library: "unit/7".into(),
    };
    v.set_unit_state(&state, chrono::Utc::now()).unwrap();
    v.lock();

    f.unlock(SECRET).unwrap();
    let opts = f.new_screening_options().unwrap();
    let adult = opts.protocols.iter().find(|p| p.id == "adult-roadside").unwrap();
    assert_eq!((adult.version.as_str(), adult.title.as_str()), ("9.0.0", "Adult roadside screening (unit edition)"));
    assert!(opts.protocols.iter().any(|p| p.id == "minors"), "the unit's protocols are all offered");
    let draft = f.home().unwrap().drafts[0].id.clone();
    let resumed = f.resume(&draft).unwrap();
    assert_eq!(resumed.protocol.version, old_version, "the draft goes on with the version it started with");
    assert_eq!(resumed.saved_events, 1);
    f.close().unwrap();
    assert_eq!(
        start(&mut f, "adult-roadside", "en").protocol.version,
        "9.0.0",
        "new screenings use the unit's version"
    );
}

// ---- locked means locked while the hub hangs ----------------------------------------------

/// The real hub (`fieldscreen-hub`, SQLite, loopback HTTP) as a process. Its binary is built
/// beside this test binary by `cargo test --workspace` (make test's `rust-test`, which runs
/// before `app-test`) or `cargo build -p hub`.
struct HubProcess {
    child: std::process::Child,
    dir: tempfile::TempDir,
    addr: std::net::SocketAddr,
    unit: sync::KeySigner,
}

impl HubProcess {
    fn binary() -> std::path::PathBuf {
        let exe = std::env::current_exe().unwrap();
        let bin = exe.parent().and_then(|d| d.parent()).unwrap().join("fieldscreen-hub");
        assert!(
            bin.exists(),
            "{} is missing: build the hub first (`cargo build -p hub`; make test does it before the app's tests)",
            bin.display()
        );
        bin
    }

    fn start() -> HubProcess {
        use base64::Engine;
        let dir = tempfile::tempdir().unwrap();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let unit = sync::KeySigner::from_pkcs8_base64(
            sync::wire::UNIT_SIGNER,
            &base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref()),
        )
        .unwrap();
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        std::fs::write(
            dir.path().join("hub.toml"),
            format!("listen = \"{addr}\"\nstorage = \"sqlite:hub.db\"\nunit_key = \"{}\"\n", unit.public_key()),
        )
        .unwrap();
        let child = std::process::Command::new(Self::binary())
            .args(["serve", "--config"])
            .arg(dir.path().join("hub.toml"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let hub = HubProcess { child, dir, addr, unit };
        let t0 = Instant::now();
        while hub.client().probe().is_err() {
            assert!(t0.elapsed() < Duration::from_secs(20), "the hub did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        hub
    }

    fn client(&self) -> sync::HubClient {
        sync::HubClient::new(&format!("http://{}", self.addr), &[]).unwrap()
    }

    fn code(&self) -> String {
        let out = std::process::Command::new(Self::binary())
            .args(["enroll", "--config"])
            .arg(self.dir.path().join("hub.toml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn publish_unit(&self, recipient: &str) {
        use base64::Engine;
        use sync::RequestSigner;
        let b64 = base64::engine::general_purpose::STANDARD;
        let doc = sync::wire::UnitDocument {
            format: sync::wire::UNIT_FORMAT.into(),
            unit: "test unit".into(),
            serial: 1,
            published: chrono::Utc::now().to_rfc3339(),
            recipients: vec![recipient.to_string()],
            files: Default::default(),
        };
        let bytes = serde_json::to_vec(&doc).unwrap();
        let signature = b64.encode(self.unit.sign(&bytes).unwrap());
        let signed = sync::wire::SignedUnit { document: b64.encode(&bytes), signature };
        self.client().publish_unit(&self.unit, &signed).unwrap();
    }

    /// Every record id the hub holds (one stored twice would show twice).
    fn record_ids(&self) -> Vec<String> {
        self.client().list(&self.unit, 0, 1000).unwrap().records.into_iter().map(|m| m.id).collect()
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Between the app and the hub: forwards, or plays a hub that answers its health check and
/// then hangs on every other request (the connection is accepted and kept, nothing comes back).
struct Proxy {
    addr: std::net::SocketAddr,
    hang: Arc<AtomicBool>,
    /// The hanging hub hangs on the device's standing too (what an unlock asks).
    hang_status: Arc<AtomicBool>,
    /// Requests held without an answer so far.
    hung: Arc<AtomicUsize>,
    /// The connections held, to cut them when the test is done waiting.
    held: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    fn to(target: std::net::SocketAddr) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let proxy = Proxy {
            addr,
            hang: Arc::default(),
            hang_status: Arc::default(),
            hung: Arc::default(),
            held: Arc::default(),
        };
        let (h, s, n, held) = (proxy.hang.clone(), proxy.hang_status.clone(), proxy.hung.clone(), proxy.held.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                if h.load(Ordering::SeqCst) {
                    let (s, n, held) = (s.clone(), n.clone(), held.clone());
                    std::thread::spawn(move || hang_after_health(conn, target, &s, &n, &held));
                } else {
                    pipe(conn, target, &[]);
                }
            }
        });
        proxy
    }

    /// Cuts every connection held so far: the requests waiting on them fail at once.
    fn cut_held(&self) {
        for c in self.held.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on new connections meet the hanging hub.
    fn hang(&self) {
        self.hang.store(true, Ordering::SeqCst);
    }

    /// Returns once one more request hangs than `before`.
    fn wait_hung(&self, before: usize) {
        let t0 = Instant::now();
        while self.hung.load(Ordering::SeqCst) == before {
            assert!(t0.elapsed() < Duration::from_secs(30), "no sync pass reached the hanging hub");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn forward(&self) {
        self.hang.store(false, Ordering::SeqCst);
    }
}

/// Forwards `conn` to the hub, `first` (bytes already read from it) ahead.
fn pipe(conn: std::net::TcpStream, target: std::net::SocketAddr, first: &[u8]) {
    use std::io::Write;
    let Ok(mut up) = std::net::TcpStream::connect(target) else { return };
    if up.write_all(first).is_err() {
        return;
    }
    for (mut from, mut to) in
        [(conn.try_clone().unwrap(), up.try_clone().unwrap()), (up.try_clone().unwrap(), conn.try_clone().unwrap())]
    {
        std::thread::spawn(move || std::io::copy(&mut from, &mut to));
    }
}

/// The hanging hub: answers its health check, lets the device's standing through (what an
/// unlock asks first), and hangs on everything else.
fn hang_after_health(
    mut conn: std::net::TcpStream,
    target: std::net::SocketAddr,
    hang_status: &AtomicBool,
    hung: &AtomicUsize,
    held: &Mutex<Vec<std::net::TcpStream>>,
) {
    use std::io::{Read, Write};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        if buf.starts_with(b"GET /health ") {
            buf.drain(..end + 4);
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            continue;
        }
        if buf.starts_with(b"GET /v1/status ") && !hang_status.load(Ordering::SeqCst) {
            return pipe(conn, target, &buf);
        }
        held.lock().unwrap().push(conn.try_clone().unwrap());
        hung.fetch_add(1, Ordering::SeqCst);
        // Never answers; the connection stays open until the client gives up.
        while conn.read(&mut chunk).is_ok_and(|n| n > 0) {}
        return;
    }
}

/// Well under the client's 3 s probe and 30 s request timeouts; the lock timer looks at its
/// clocks every `LOCK_TICK` (1 s), so a clock that ran out locks within this.
const ON_TIME: Duration = Duration::from_millis(1500);

fn wait_locked(state: &AppState, since: Instant, what: &str) {
    loop {
        if state.field.lock().unwrap().status().phase == Phase::Locked {
            return;
        }
        assert!(since.elapsed() < ON_TIME, "{what}: still unlocked after {:?}", since.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Issue 17: the app's sync loop never holds the state lock across network IO, so while a pass
/// hangs on the hub, the Lock command, the inactivity lock and the focus lock take effect on
/// time; the pass called off by the lock loses and doubles nothing.
#[test]
fn au_06_locked_means_locked_while_the_hub_hangs_and_the_called_off_pass_loses_and_doubles_nothing() {
    let hub = HubProcess::start();
    let proxy = Proxy::to(hub.addr);
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(keys.path().join("id.txt"))
        .output()
        .expect("Debian's age-keygen");
    let recipient = String::from_utf8_lossy(&out.stderr).split("Public key: ").nth(1).unwrap().trim().to_string();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let mut ids: Vec<String> = (0..3).map(|_| finalized_record(&mut f)).collect();
    f.lock();
    // What `fieldscreen device enroll` leaves in the vault, through the proxy.
    let v = vault::Vault::unlock(dir.path(), SECRET, &vault::UnlockPolicy::default(), chrono::Utc::now()).unwrap();
    sync::device::enroll(&v, &proxy.url(), &hub.code(), vec![], None, chrono::Utc::now()).unwrap();
    v.lock();
    hub.publish_unit(&recipient);

    let app = crate::app(mock_builder())
        .manage(AppState { field: Mutex::new(f), training: Mutex::new(Training::new(library())) })
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    // The background threads `run` starts: the lock timer and the sync loop.
    crate::spawn_lock_timer(app.handle().clone());
    crate::spawn_sync_loop(app.handle().clone());
    let state = app.state::<AppState>();
    // Unlocked with the hub hanging; returns once a sync pass waits on it.
    let unlock = || {
        proxy.hang();
        let before = proxy.hung.load(Ordering::SeqCst);
        assert_eq!(invoke(&webview, "unlock", json!({"secret": SECRET})).unwrap()["phase"], "unlocked");
        proxy.wait_hung(before);
    };

    // 0. An unlock asks the hub first (NW-06); while that hangs, the rest of the app answers,
    // and a lock meanwhile (the window closed) wins over the unlock.
    proxy.hang();
    proxy.hang_status.store(true, Ordering::SeqCst);
    let before = proxy.hung.load(Ordering::SeqCst);
    let w = webview.clone();
    let unlocking = std::thread::spawn(move || invoke(&w, "unlock", json!({"secret": SECRET})));
    proxy.wait_hung(before);
    let t = Instant::now();
    assert_eq!(invoke(&webview, "status", json!({})).unwrap()["phase"], "locked");
    crate::window_event(&state, &tauri::WindowEvent::Destroyed);
    assert!(t.elapsed() < ON_TIME, "the app waited {:?} for the unlock's hub", t.elapsed());
    proxy.hang_status.store(false, Ordering::SeqCst);
    proxy.cut_held();
    assert_eq!(unlocking.join().unwrap().unwrap()["phase"], "locked", "the lock during the unlock won");

    // 1. The Lock command, while a pass waits on the hung hub.
    unlock();
    let t = Instant::now();
    assert_eq!(invoke(&webview, "lock", json!({})).unwrap()["phase"], "locked");
    assert!(t.elapsed() < ON_TIME, "the Lock command took {:?}", t.elapsed());
    assert_eq!(invoke(&webview, "home", json!({})).unwrap_err()["kind"], "locked");

    // 2. The inactivity lock: the policy's time has passed (the clock set back), a pass hangs.
    unlock();
    let t = Instant::now();
    {
        let mut f = state.field.lock().unwrap();
        let idle = Duration::from_secs(f.status().lock_timeout_seconds as u64);
        f.touch(Instant::now() - idle);
    }
    wait_locked(&state, t, "the inactivity lock");

    // 3. The focus lock: the window loses focus and stays away past the grace, a pass hangs.
    unlock();
    let t = Instant::now();
    crate::window_event(&state, &tauri::WindowEvent::Focused(false));
    assert!(t.elapsed() < ON_TIME, "the focus event waited {:?}", t.elapsed());
    state.field.lock().unwrap().focus_changed(false, Instant::now() - FOCUS_GRACE);
    wait_locked(&state, t, "the focus lock");

    // Three passes were called off by a lock: every record is still queued, none is lost.
    assert!(hub.record_ids().is_empty());
    let v = vault::Vault::unlock(dir.path(), SECRET, &vault::UnlockPolicy::default(), chrono::Utc::now()).unwrap();
    assert_eq!(v.outbox().unwrap().len(), 3);
    v.lock();
    std::thread::sleep(Duration::from_millis(1100));

    // 4. Unlocked again with the real hub reachable: each record arrives exactly once.
    proxy.forward();
    assert_eq!(invoke(&webview, "unlock", json!({"secret": SECRET})).unwrap()["phase"], "unlocked");
    assert_eq!(crate::sync_pass(&state.field), Some(true));
    let home = invoke(&webview, "home", json!({})).unwrap();
    assert_eq!(home["pending"], 0, "{home}");
    assert!(home["records"].as_array().unwrap().iter().all(|r| r["synced"] == true), "{home}");
    let mut on_hub = hub.record_ids();
    on_hub.sort();
    ids.sort();
    assert_eq!(on_hub, ids, "every record exactly once");
}

#[test]
fn a_wiped_folder_shows_wiped_and_setup_makes_a_new_vault_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    assert!(f.lock());
    drop(f);
    vault::wipe(dir.path()).unwrap();
    let mut f = field(dir.path());
    assert_eq!(f.status().phase, Phase::Wiped);
    assert_eq!(f.setup(setup_args()).unwrap().phase, Phase::Unlocked);
    assert!(f.lock());
    drop(f);
    assert_eq!(field(dir.path()).status().phase, Phase::Locked, "the new vault replaced the wiped mark");
}

/// NW-01, NW-02: enrolling from the app with what the unit gives (the hub's TLS address, a
/// one-time code and the CA fingerprint `fieldscreen-hub enroll` prints), against the real hub:
/// a wrong fingerprint is refused and leaves the device unenrolled; the right one enrolls, pins
/// the unit CA and the hub knows the device.
#[test]
fn nw_01_the_app_enrolls_from_the_hub_address_a_code_and_the_unit_ca_fingerprint() {
    let hub_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(HubProcess::binary()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let dir_arg = hub_dir.path().to_str().unwrap();
    run(&["init", "--dir", dir_arg, "--listen", &format!("127.0.0.1:{port}")]);
    let config = hub_dir.path().join("hub.toml");
    let mut child = std::process::Command::new(HubProcess::binary())
        .args(["serve", "--config", config.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("https://127.0.0.1:{port}");
    let ca = std::fs::read_to_string(hub_dir.path().join("tls/ca.pem")).unwrap();
    let t0 = Instant::now();
    while sync::HubClient::new(&url, std::slice::from_ref(&ca)).unwrap().probe().is_err() {
        assert!(t0.elapsed() < Duration::from_secs(20), "the hub did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = run(&["enroll", "--config", config.to_str().unwrap()]);
    let code = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    let fingerprint = said.lines().skip_while(|l| !l.contains("fingerprint")).nth(1).unwrap().trim().to_string();
    assert_eq!(fingerprint.split(' ').count(), 16, "{said}");

    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let app = crate::app(mock_builder())
        .manage(AppState { field: Mutex::new(f), training: Mutex::new(Training::new(library())) })
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let enroll = |fp: &str| {
        invoke(&webview, "enroll_device", json!({"args": {"hub_url": url, "code": code, "fingerprint": fp}}))
    };
    let other = fingerprint.replace(&fingerprint[..4], if &fingerprint[..4] == "0000" { "1111" } else { "0000" });
    let err = enroll(&other).expect_err("another fingerprint");
    assert_eq!(err["kind"], "untrusted", "{err}");
    assert!(err["message"].as_str().unwrap().contains("fingerprint"), "{err}");
    let err = enroll("12 34").expect_err("a short fingerprint");
    assert_eq!(err["kind"], "invalid", "{err}");
    assert_eq!(invoke(&webview, "sync_status", json!({})).unwrap()["enrolled"], false, "nothing kept after a refusal");

    let view = enroll(&fingerprint.to_lowercase()).unwrap();
    assert_eq!(view["enrolled"], true, "{view}");
    assert_eq!(view["hub_url"], url.as_str());
    let state = app.state::<AppState>();
    let pinned = state.field.lock().unwrap().pinned_cas_for_test();
    let body = |p: &str| p.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
    assert_eq!(pinned.iter().map(|p| body(p)).collect::<Vec<_>>(), vec![body(&ca)], "the unit CA is the pin");
    let err = enroll(&fingerprint).expect_err("a second enrollment");
    assert!(err["message"].as_str().unwrap().contains("already enrolled"), "{err}");
    let status = run(&["status", "--config", config.to_str().unwrap(), "--json"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains(&view_device_id(&state)), "the hub lists the device");
    child.kill().unwrap();
    child.wait().unwrap();
}

fn view_device_id(state: &tauri::State<'_, AppState>) -> String {
    state.field.lock().unwrap().device_id_for_test()
}

/// Every file under `dir`, by path, with its size: what a step may not add to.
fn files_under(dir: &std::path::Path) -> std::collections::BTreeSet<std::path::PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p);
            }
        }
    }
    out
}

#[test]
fn read_aloud_in_the_handover_view_plays_the_current_item_in_memory_and_the_outcome_says_it_was_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let v = start(&mut f, "adult-roadside", "ar");
    assert_eq!(v.language_info.direction, screening::Direction::Rtl);
    assert_eq!(v.language_info.status, screening::TranslationStatus::Unreviewed);
    assert!(v.language_info.read_aloud);
    let item = v.current.unwrap();
    f.handover_start().unwrap();
    let before = files_under(dir.path());
    let tmp_before = files_under(&std::env::temp_dir());
    let mut bytes = 0;
    for part in [SpeakPart::Question, SpeakPart::Answers, SpeakPart::Stop] {
        let speech = f.speech(part).expect("read aloud is allowed on the person's screen");
        if part == SpeakPart::Question {
            assert_eq!(
                speech,
                crate::speech::Speech::Synthesize { voice: "ar".into(), text: item.text.clone() },
                "the current item's own words, in Arabic"
            );
        }
        let wav = crate::speech::render(speech).unwrap();
        let info = voice::check_wav(&wav).expect("a playable WAV");
        assert!(info.frames > 0);
        bytes += wav.len();
    }
    assert!(bytes > 10_000, "audio was produced: {bytes} bytes");
    let new: Vec<_> = files_under(dir.path()).difference(&before).cloned().collect();
    assert!(new.is_empty(), "nothing new in the data folder: {new:?}");
    let tmp_new: Vec<_> = files_under(&std::env::temp_dir())
        .difference(&tmp_before)
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .cloned()
        .collect();
    assert!(tmp_new.is_empty(), "no audio file in the temp folder: {tmp_new:?}");
    // Only the current item: after the person answers, the words are the next item's.
    f.answer(&item.id, Answer::No).unwrap();
    f.handover_end(SECRET).unwrap();
    let o = f.outcome().unwrap();
    assert!(o.read_aloud, "the outcome records that read aloud was used");
    // Locked means locked: no words to read.
    f.lock();
    assert_eq!(f.speech(SpeakPart::Question).unwrap_err().kind, "locked");
}

#[test]
fn a_language_without_an_offline_voice_is_refused_with_its_reason_and_nothing_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = field(dir.path());
    f.setup(setup_args()).unwrap();
    let v = start(&mut f, "adult-roadside", "tl");
    assert!(!v.language_info.read_aloud);
    let e = f.speech(SpeakPart::Question).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoVoice);
    assert!(e.message.contains("tl"), "{}", e.message);
    assert!(!f.outcome().unwrap().read_aloud);
}
