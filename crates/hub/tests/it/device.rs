//! A real device vault syncing with the hub: sealing, receipts, ordering, revocation, the unit
//! configuration, and what the hub's files hold.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::Utc;
use sync::device::{self, sync_once};
use sync::wire;
use sync::{RequestSigner, SyncError};

use crate::support::*;

/// Every record the hub holds for this device, opened with the custodian identity and checked
/// against the device key: id -> body.
fn opened_on_hub(h: &TestHub, c: &Custodian, device_key: &str) -> BTreeMap<String, String> {
    let client = h.client();
    let key = bundle::Key::Identities(vec![c.identity.clone()]);
    let expected = B64.decode(device_key).unwrap();
    let mut out = BTreeMap::new();
    for m in client.list(h.unit.as_ref(), 0, 1000).unwrap().records {
        let (bytes, _, _) = client.envelope(h.unit.as_ref(), &m.id).unwrap();
        let opened = bundle::open(&bytes[..], &key, Some(&expected)).unwrap();
        assert_eq!(opened.records.len(), 1);
        assert!(
            out.insert(m.id.clone(), String::from_utf8(opened.records[0].body.clone()).unwrap()).is_none(),
            "{} twice",
            m.id
        );
    }
    out
}

#[test]
fn nw_05_records_reach_the_hub_sealed_and_are_marked_synced_only_on_its_receipt() {
    for b in backends() {
        let h = TestHub::start(&b);
        let dir = tempfile::tempdir().unwrap();
        let v = new_vault(dir.path());
        let lib = library();
        assert!(matches!(sync_once(&v, Utc::now), Err(SyncError::NotEnrolled)));
        enroll(&h, &v);
        let ids = add_records(&v, &lib, 3);
        let r = sync_once(&v, Utc::now).unwrap();
        assert_eq!(
            (r.sent, r.pending),
            (0, 3),
            "{}: no unit configuration yet: nothing can be sealed, all stay queued",
            b.name()
        );
        let c = Custodian::new();
        publish_unit(&h, &c, 1);
        let r = sync_once(&v, Utc::now).unwrap();
        assert_eq!((r.sent, r.already, r.pending, r.unit_serial), (3, 0, 0, Some(1)), "{}: {r:?}", b.name());
        assert!(v.records().unwrap().iter().all(|s| s.synced && !s.queued));
        for id in &ids {
            assert_eq!(v.sync_receipt(id).unwrap().map(|r| r.len()), Some(64), "the receipt hash is kept");
            assert_eq!(v.sync_envelope(id).unwrap(), None, "the envelope is dropped once synced");
        }
        assert!(v.last_sync().unwrap().is_some());
        let again = sync_once(&v, Utc::now).unwrap();
        assert_eq!((again.sent, again.pending), (0, 0));
        let on_hub = opened_on_hub(&h, &c, &v.device_public_key().unwrap());
        let mut want = ids.clone();
        want.sort();
        assert_eq!(on_hub.keys().cloned().collect::<Vec<_>>(), want, "record ids are random: compared as sets");
        for (id, body) in &on_hub {
            assert_eq!(
                body,
                &v.sealed(std::slice::from_ref(id)).unwrap()[0].body,
                "the custodian gets the exact signed bytes"
            );
            assert!(body.contains(MARKER));
        }
        let st = device::status(&v, true).unwrap();
        assert!(st.enrolled && st.online && st.pending == 0 && st.errors.is_empty(), "{st:?}");
    }
}

#[test]
fn the_hub_storage_holds_no_plaintext_marker_scan() {
    let h = TestHub::start(&Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&h, &v);
    let c = Custodian::new();
    publish_unit(&h, &c, 1);
    add_records(&v, &library(), 5);
    assert_eq!(sync_once(&v, Utc::now).unwrap().sent, 5);
    assert!(v.sealed(&v.outbox().unwrap()).unwrap().is_empty());
    let body = &v.sealed(&[v.records().unwrap()[0].id.clone()]).unwrap()[0].body;
    // The officer id is registry metadata (enrollment names it); what a record says is not.
    let needles: Vec<Vec<u8>> = vec![
        body.as_bytes()[..40].to_vec(),
        b"fieldscreen-record/1".to_vec(),
        b"adult-roadside".to_vec(),
        b"finalized_at".to_vec(),
        b"manifest.json".to_vec(),
        B64.encode(&body.as_bytes()[..30]).into_bytes(),
    ];
    let mut scanned = 0;
    for e in std::fs::read_dir(h.dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("hub.db") {
            let bytes = std::fs::read(&p).unwrap();
            scanned += bytes.len();
            for n in &needles {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == n.as_slice()),
                    "{} holds plaintext `{}`",
                    p.display(),
                    String::from_utf8_lossy(n)
                );
            }
        }
    }
    assert!(scanned > 5 * 1000, "the scan read the database files ({scanned} bytes)");
    let on_hub = opened_on_hub(&h, &c, &v.device_public_key().unwrap());
    assert!(
        on_hub.values().all(|b| b.contains("fieldscreen-record/1") && b.contains("adult-roadside")),
        "positive control: the custodian does see them"
    );
}

#[test]
fn rl_07_an_amendment_reaches_the_hub_after_the_record_it_amends() {
    for b in backends() {
        let h = TestHub::start(&b);
        let dir = tempfile::tempdir().unwrap();
        let v = new_vault(dir.path());
        enroll(&h, &v);
        publish_unit(&h, &Custodian::new(), 1);
        let lib = library();
        let p = Arc::new(lib.protocol("adult-roadside").unwrap().clone());
        let first = add_records(&v, &lib, 1).remove(0);
        let d = v.create_draft(&p, "en", Some(&first), Utc::now()).unwrap();
        v.append(&d, &p, &screening::Event::Stop, Utc::now()).unwrap();
        let amend = v.finalize(&d, &p, None, Utc::now()).unwrap();
        assert_eq!(sync_once(&v, Utc::now).unwrap().sent, 2);
        let order: Vec<String> =
            h.client().list(h.unit.as_ref(), 0, 10).unwrap().records.into_iter().map(|m| m.id).collect();
        assert_eq!(order, [first, amend], "{}", b.name());
    }
}

#[test]
fn nw_06_a_revoked_device_crypto_wipes_and_reports_it() {
    for b in backends() {
        let h = TestHub::start(&b);
        let dir = tempfile::tempdir().unwrap();
        let v = new_vault(dir.path());
        enroll(&h, &v);
        publish_unit(&h, &Custodian::new(), 1);
        add_records(&v, &library(), 2);
        h.revoke(v.device_id(), true);
        let Err(SyncError::Revoked { wipe: true }) = sync_once(&v, Utc::now) else {
            panic!("{}: expected revocation", b.name())
        };
        let device_id = v.device_id().to_string();
        let r = device::carry_out_revocation(v, true, Utc::now()).unwrap();
        assert!(r.wiped && r.reported, "{r:?}");
        assert!(dir.path().join("WIPED").exists());
        assert!(!dir.path().join("vault.db").exists() && !dir.path().join("key.json").exists());
        assert_eq!(
            vault::Vault::unlock(dir.path(), SECRET, &unlock_policy(), Utc::now()).err(),
            Some(vault::VaultError::Wiped)
        );
        let info = h.devices().into_iter().find(|d| d.device_id == device_id).unwrap();
        assert!(info.wipe_reported_at.is_some(), "the hub recorded the report");
        assert_eq!(info.records, 0, "nothing was accepted from the revoked device");
    }
}

#[test]
fn the_unit_configuration_is_verified_applied_atomically_and_never_rolled_back() {
    let h = TestHub::start(&Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&h, &v);
    let c = Custodian::new();
    let mut files = BTreeMap::new();
    let root = repo().join("screening-protocols");
    for rel in ["adult-roadside/protocol.toml", "observations/checklist.toml", "glossary.toml"] {
        if let Ok(t) = std::fs::read_to_string(root.join(rel)) {
            files.insert(rel.to_string(), t);
        }
    }
    let publish = |serial: u64, files: BTreeMap<String, String>, signer: &dyn RequestSigner| {
        let doc = wire::UnitDocument {
            format: wire::UNIT_FORMAT.into(),
            unit: "u".into(),
            serial,
            published: Utc::now().to_rfc3339(),
            recipients: vec![c.recipient()],
            files,
        };
        let bytes = serde_json::to_vec(&doc).unwrap();
        let su = wire::SignedUnit { document: B64.encode(&bytes), signature: B64.encode(signer.sign(&bytes).unwrap()) };
        h.rt.block_on(h.store().publish_unit(
            &hub::store::StoredUnit { serial: serial as i64, document: bytes, signature: su.signature.clone() },
            &hub::store::Nonce { signer: "test", nonce: &format!("{serial:016x}") },
            &hub::stamp(Utc::now()),
        ))
        .unwrap();
    };
    publish(3, files.clone(), h.unit.as_ref());
    let r = sync_once(&v, Utc::now).unwrap();
    assert_eq!(r.unit_serial, Some(3), "{r:?}");
    let state = v.unit_state().unwrap().unwrap();
    for rel in files.keys() {
        assert_eq!(std::fs::read_to_string(dir.path().join(&state.library).join(rel)).unwrap(), files[rel]);
    }
    publish(4, files.clone(), &new_key("unit"));
    let r = sync_once(&v, Utc::now).unwrap();
    assert_eq!(r.unit_serial, Some(3));
    assert!(r.unit_note.unwrap().contains("refused"), "a document not signed by the pinned unit key is refused");
    let mut broken = files.clone();
    broken.insert("adult-roadside/protocol.toml".into(), "id = \"adult-roadside\"\n".into());
    publish(5, broken, h.unit.as_ref());
    let r = sync_once(&v, Utc::now).unwrap();
    assert_eq!(r.unit_serial, Some(3), "content that does not check is not applied");
    assert!(r.unit_note.unwrap().contains("does not check"));
    assert!(!dir.path().join("unit/5").exists());
    publish(6, files, h.unit.as_ref());
    assert_eq!(sync_once(&v, Utc::now).unwrap().unit_serial, Some(6));
    assert!(dir.path().join("unit/3").exists(), "the earlier version stays for drafts taken with it");
}

#[test]
fn status_says_offline_with_pending_records_when_the_hub_is_down() {
    let mut h = TestHub::start(&Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&h, &v);
    publish_unit(&h, &Custodian::new(), 1);
    sync_once(&v, Utc::now).unwrap();
    add_records(&v, &library(), 2);
    let running = h.running.take().unwrap();
    h.rt.block_on(running.stop());
    let st = device::status(&v, true).unwrap();
    assert!(!st.online && st.pending == 2 && st.last_sync.is_some(), "{st:?}");
    let e = sync_once(&v, Utc::now).unwrap_err();
    assert!(e.is_retryable() && e.kind() == "unreachable", "{e}");
    assert_eq!(v.outbox().unwrap().len(), 2, "RL-07: records stay queued");
}

#[test]
fn rl_07_the_loop_syncs_as_soon_as_the_hub_becomes_reachable_and_never_gives_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let tmp = tempfile::tempdir().unwrap();
    let unit = std::sync::Arc::new(new_key("unit"));
    let mut cfg = config(tmp.path(), "sqlite:hub.db".into(), Some(unit.public_key()), false);
    cfg.listen = format!("127.0.0.1:{port}").parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let running = rt.block_on(hub::serve::start(&cfg)).unwrap();
    let h = TestHub {
        rt,
        running: Some(running),
        dir: tmp,
        cfg: cfg.clone(),
        url: format!("http://127.0.0.1:{port}"),
        unit,
    };
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&h, &v);
    publish_unit(&h, &Custodian::new(), 1);
    let ids = add_records(&v, &library(), 4);
    let running = h.running.as_ref().map(|r| r.addr).unwrap();
    assert_eq!(running.port(), port);
    // Offline: stop the hub, then let the loop fail and back off a while.
    let mut h = h;
    let r = h.running.take().unwrap();
    h.rt.block_on(r.stop());
    let stop = std::sync::atomic::AtomicBool::new(false);
    let passes = std::sync::Mutex::new(Vec::new());
    let opts = device::RunOptions {
        poll: std::time::Duration::from_millis(100),
        first_delay: std::time::Duration::from_millis(50),
        max_delay: std::time::Duration::from_millis(400),
        ..Default::default()
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            h.running = Some(h.rt.block_on(hub::serve::start(&h.cfg)).unwrap());
            let t = std::time::Instant::now();
            while h.record_count() < 4 {
                assert!(
                    t.elapsed() < std::time::Duration::from_secs(10),
                    "the loop did not sync after the hub came back"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        device::run(&v, &opts, &stop, |r| {
            passes.lock().unwrap().push(r.as_ref().map(|r| r.sent).map_err(|e| e.kind().to_string()))
        })
        .unwrap();
    });
    let passes = passes.into_inner().unwrap();
    let offline = passes.iter().filter(|p| p.as_ref().err().is_some_and(|k| k == "unreachable")).count();
    assert!(offline >= 3, "it kept trying while offline: {passes:?}");
    assert_eq!(passes.iter().filter_map(|p| p.as_ref().ok()).sum::<usize>(), 4, "{passes:?}");
    assert!(v.outbox().unwrap().is_empty());
    assert_eq!(h.record_count(), ids.len() as i64);
}

#[test]
fn nw_06_check_in_wipes_a_revoked_device_before_showing_anything_and_locks_after_too_long_offline() {
    let mut h = TestHub::start(&Backend::Sqlite);
    let lib = library();
    let days = |d| chrono::Duration::days(d);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = new_vault(dir_a.path());
    enroll(&h, &a);
    add_records(&a, &lib, 1);
    let b = new_vault(dir_b.path());
    enroll(&h, &b);
    let device::CheckIn::Open(b) = device::check_in(b, Some(days(3)), Utc::now()).unwrap() else {
        panic!("b stays open")
    };
    let b = *b;
    let device_a = a.device_id().to_string();
    h.revoke(&device_a, true);
    match device::check_in(a, Some(days(3)), Utc::now()).unwrap() {
        device::CheckIn::Revoked(r) => assert!(r.wiped && r.reported, "{r:?}"),
        _ => panic!("a revoked device must not open"),
    }
    assert!(dir_a.path().join("WIPED").exists() && !dir_a.path().join("vault.db").exists());
    assert!(h.devices().iter().any(|d| d.device_id == device_a && d.wipe_reported_at.is_some()));

    let r = h.running.take().unwrap();
    h.rt.block_on(r.stop());
    let device::CheckIn::Open(b) = device::check_in(b, Some(days(3)), Utc::now() + days(2)).unwrap() else {
        panic!("two days offline is allowed")
    };
    let b = *b;
    let device::CheckIn::Open(b) = device::check_in(b, None, Utc::now() + days(30)).unwrap() else {
        panic!("no time-bomb configured")
    };
    let b = *b;
    match device::check_in(b, Some(days(3)), Utc::now() + days(4)).unwrap() {
        device::CheckIn::Locked { offline_days } => assert_eq!(offline_days, 4),
        _ => panic!("four days without contact must require the hub"),
    }
    assert!(dir_b.path().join("vault.db").exists(), "locked, not wiped");
}

/// Seals a record of `protocol` answered until it ends, each item getting the first answer
/// of `prefer` it accepts (then whatever plain answer it does).
fn add_answered_record(
    v: &vault::Vault,
    lib: &screening::Library,
    protocol: &str,
    prefer: &[screening::Answer],
) -> String {
    use screening::{Answer, Event, Session};
    let p = Arc::new(lib.protocol(protocol).unwrap().clone());
    let d = v.create_draft(&p, "en", None, Utc::now()).unwrap();
    let mut s = Session::new(p.clone());
    let fallback =
        [Answer::Yes, Answer::Seen, Answer::Read, Answer::Declined, Answer::NotSure, Answer::No, Answer::NotSeen];
    while let Some(item) = s.current().map(|i| i.id.clone()) {
        let mut choices: Vec<Answer> = prefer.iter().chain(&fallback).cloned().collect();
        match s.current().map(|i| &i.answer) {
            Some(screening::answer::AnswerSpec::Choice(cs)) => {
                choices.extend(cs.iter().map(|c| Answer::Choice(c.id.clone())))
            }
            Some(screening::answer::AnswerSpec::Number { min, .. }) => {
                choices.push(Answer::Number(min.unwrap_or(30.0)))
            }
            Some(screening::answer::AnswerSpec::Text) => choices.push(Answer::Text("ANSWER-TEXT-7Q".into())),
            _ => {}
        }
        let a = choices
            .into_iter()
            .find(|a| s.clone().answer(&item, a.clone()).is_ok())
            .unwrap_or_else(|| panic!("no plain answer fits `{item}`"));
        s.answer(&item, a.clone()).unwrap();
        v.append(&d, &p, &Event::Answer { item, answer: a }, Utc::now()).unwrap();
    }
    v.finalize(&d, &p, None, Utc::now()).unwrap()
}

#[test]
fn stopped_and_fully_answered_records_reach_the_hub_as_envelopes_of_one_size() {
    use screening::Answer;
    let h = TestHub::start(&Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&h, &v);
    let c = Custodian::new();
    publish_unit(&h, &c, 1);
    let lib = library();
    let mut ids = add_records(&v, &lib, 1);
    for protocol in ["adult-roadside", "minors"] {
        ids.push(add_answered_record(&v, &lib, protocol, &[Answer::Yes, Answer::Seen]));
        ids.push(add_answered_record(&v, &lib, protocol, &[Answer::Declined]));
    }
    let bodies: Vec<usize> = v.sealed(&ids).unwrap().iter().map(|s| s.body.len()).collect();
    let (min, max) = (bodies.iter().min().unwrap(), bodies.iter().max().unwrap());
    assert!(*max > min + 1000, "the records differ in size: {bodies:?}");
    assert_eq!(sync_once(&v, Utc::now).unwrap().sent, ids.len());
    let client = h.client();
    // age's header carries a random-length stanza whatever the content; the payload after it
    // is what the record's size shows through.
    let payload = |id: &str| {
        let (b, _, _) = client.envelope(h.unit.as_ref(), id).unwrap();
        let mac = b.windows(4).position(|w| w == b"\n---").unwrap() + 1;
        b.len() - (mac + b[mac..].iter().position(|c| *c == b'\n').unwrap() + 1 + 16)
    };
    let sizes: Vec<usize> = ids.iter().map(|id| payload(id)).collect();
    assert!(
        sizes.iter().all(|s| *s == bundle::PAD_MIN as usize + 16),
        "bodies of {bodies:?} bytes: payloads {sizes:?}"
    );
    assert_eq!(opened_on_hub(&h, &c, &v.device_public_key().unwrap()).len(), ids.len(), "all open");
}
