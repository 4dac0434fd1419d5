//! `fieldscreen device enroll|sync` and `fieldscreen unit publish|pull` against a real hub
//! (TLS, the configuration `fieldscreen-hub init` writes), run as processes; a device killed
//! mid-sync.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

const SECRET: &str = "river lantern copper";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fieldscreen"));
    c.args(args).current_dir(repo()).env_remove("FIELDSCREEN_PROTOCOLS").env("FIELDSCREEN_SECRET", SECRET);
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn run(args: &[&str]) -> Output {
    cmd(args).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(code(&o), 0, "{args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct Hub {
    rt: tokio::runtime::Runtime,
    running: Option<hub::serve::Running>,
    url: String,
    ca: PathBuf,
}

impl Hub {
    /// `fieldscreen-hub init` into `dir` (on a free port), then serve it.
    fn init(dir: &Path, unit_key: &str) -> Hub {
        Hub::init_limited(dir, unit_key, None)
    }

    /// The same, with the hub's request body limit (`max_body`) set.
    fn init_limited(dir: &Path, unit_key: &str, max_body: Option<usize>) -> Hub {
        let path = hub::config::init(dir, Some(unit_key), &[], Some("127.0.0.1:0".parse().unwrap())).unwrap();
        let mut cfg = hub::config::Config::read(&path).unwrap();
        if let Some(m) = max_body {
            cfg.max_body = m;
        }
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let running = rt.block_on(hub::serve::start(&cfg)).unwrap();
        let url = running.url(true);
        Hub { rt, running: Some(running), url, ca: dir.join("tls/ca.pem") }
    }

    fn store(&self) -> &hub::store::Store {
        &self.running.as_ref().unwrap().hub.store
    }

    fn code(&self) -> String {
        self.rt.block_on(hub::admin::new_code(self.store(), "4471", 1, Utc::now())).unwrap()
    }

    fn records(&self) -> Vec<sync::wire::RecordMeta> {
        self.rt.block_on(self.store().list_records(0, 1000)).unwrap()
    }

    fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop());
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `keys new`: (recipient, signing key, folder).
fn custodian(tmp: &Path) -> (String, String, PathBuf) {
    let dir = tmp.join("custodian");
    let out = ok(&["keys", "new", "--out", dir.to_str().unwrap()]);
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no `{name}` in {out}"))
            .trim()
            .to_string()
    };
    (field("recipient:"), field("signing key:"), dir)
}

fn library() -> screening::Library {
    let files = durable::read_toml_files(&repo().join("screening-protocols")).unwrap();
    let s: Vec<_> =
        files.into_iter().map(|(p, text)| screening::Source { path: p.display().to_string(), text }).collect();
    screening::load(&s).unwrap()
}

/// Seals `n` stopped screenings into the vault's outbox (the vault is closed again after).
fn add_records(data: &Path, lib: &screening::Library, n: usize) -> Vec<String> {
    (0..n).map(|_| add_record_with_notes(data, lib, 0)).collect()
}

/// Seals one stopped screening whose notes hold `notes` bytes of text that does not compress.
fn add_record_with_notes(data: &Path, lib: &screening::Library, notes: usize) -> String {
    let policy = vault::UnlockPolicy::from(&lib.policy("default").unwrap().unlock);
    let v = vault::Vault::unlock(data, SECRET, &policy, Utc::now()).unwrap();
    let p = Arc::new(lib.protocol("adult-roadside").unwrap().clone());
    let d = v.create_draft(&p, "en", None, Utc::now()).unwrap();
    v.append(&d, &p, &screening::Event::Stop, Utc::now()).unwrap();
    if notes > 0 {
        let mut text = String::new();
        while text.len() < notes {
            text.push_str(&vault::random_id().unwrap());
        }
        text.truncate(notes);
        v.set_draft_context(&d, "notes", serde_json::Value::String(text)).unwrap();
    }
    v.finalize(&d, &p, None, Utc::now()).unwrap()
}

fn publish(tmp: &Path, h: &Hub, recipient: &str, cust: &Path, serial: u64) -> Output {
    publish_with(tmp, h, recipient, cust, serial, true)
}

/// `unit publish`, with the shipped content as the unit's library or with custodians only.
fn publish_with(tmp: &Path, h: &Hub, recipient: &str, cust: &Path, serial: u64, library: bool) -> Output {
    let unit = tmp.join("unit.toml");
    let mut toml = format!("unit = \"test unit\"\nserial = {serial}\nrecipients = [\"{recipient}\"]\n");
    if library {
        toml.push_str(&format!("library = \"{}\"\n", repo().join("screening-protocols").display()));
    }
    std::fs::write(&unit, toml).unwrap();
    run(&[
        "unit",
        "publish",
        "--hub",
        &h.url,
        "--signing-key",
        cust.join("custodian-signing.key").to_str().unwrap(),
        "--config",
        unit.to_str().unwrap(),
        "--ca",
        h.ca.to_str().unwrap(),
    ])
}

#[test]
fn enroll_publish_sync_pull_then_revoke_over_tls() {
    let tmp = tempfile::tempdir().unwrap();
    let (recipient, signing_key, cust) = custodian(tmp.path());
    let mut h = Hub::init(&tmp.path().join("hub"), &signing_key);
    let data = tmp.path().join("device");
    let d = data.to_str().unwrap();
    ok(&["device", "init", "--data-dir", d, "--officer", "4471"]);

    let o = run(&["device", "sync", "--data-dir", d]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("not enrolled"), "{}", text(&o));
    let c = h.code();
    let o = run(&["device", "enroll", "--data-dir", d, "--hub", &h.url, "--code", &c]);
    assert_eq!(code(&o), 2, "an https hub needs a pinned CA: {}", text(&o));
    assert!(text(&o).contains("CA"), "{}", text(&o));
    let o = run(&[
        "device",
        "enroll",
        "--data-dir",
        d,
        "--hub",
        &h.url,
        "--code",
        "AAAAA-AAAAA-AAAAA-AAAAA",
        "--ca",
        h.ca.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("not known"), "{}", text(&o));
    let out = ok(&["device", "enroll", "--data-dir", d, "--hub", &h.url, "--code", &c, "--ca", h.ca.to_str().unwrap()]);
    assert!(out.contains(&format!("unit key pinned: {signing_key}")), "{out}");

    let lib = library();
    let ids = add_records(&data, &lib, 3);
    // No unit configuration yet: nothing can be sealed, and the device says why (exit 5).
    let o = run(&["device", "sync", "--data-dir", d, "--json"]);
    assert_eq!(code(&o), 5, "no unit configuration yet: records wait: {}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((report["waiting_for_unit"].as_bool(), report["pending"].as_u64()), (Some(true), Some(3)), "{report}");
    let said = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        said.contains("nothing can be sealed")
            && said.contains("the unit has not published its configuration yet")
            && said.contains("3 records stay queued"),
        "{said}"
    );
    assert!(h.records().is_empty());

    let o = publish(tmp.path(), &h, &recipient, &cust, 1);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("published unit configuration 1"), "{}", text(&o));
    let o = publish(tmp.path(), &h, &recipient, &cust, 1);
    assert_eq!(code(&o), 1, "the same serial again is refused: {}", text(&o));

    let report: serde_json::Value = serde_json::from_str(&ok(&["device", "sync", "--data-dir", d, "--json"])).unwrap();
    assert_eq!(
        (report["sent"].as_u64(), report["pending"].as_u64(), report["unit_serial"].as_u64()),
        (Some(3), Some(0), Some(1)),
        "{report}"
    );
    assert!(data.join("unit/1/adult-roadside/protocol.toml").exists(), "the unit's content was applied");
    let list: serde_json::Value = serde_json::from_str(&ok(&["device", "list", "--data-dir", d, "--json"])).unwrap();
    assert!(list.to_string().contains("\"synced\":true"), "{list}");

    let pulled = tmp.path().join("pulled");
    let pull = || {
        run(&[
            "unit",
            "pull",
            "--hub",
            &h.url,
            "--identity",
            cust.join("custodian.age-identity").to_str().unwrap(),
            "--out",
            pulled.to_str().unwrap(),
            "--ca",
            h.ca.to_str().unwrap(),
        ])
    };
    let o = pull();
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("pulled 3 records"), "{}", text(&o));
    let o = pull();
    assert!(text(&o).contains("pulled 0 records"), "a second pull fetches nothing new: {}", text(&o));
    for id in &ids {
        let body = std::fs::read_to_string(pulled.join("records").join(format!("{id}.json"))).unwrap();
        assert!(body.contains(id) && body.contains("\"officer_id\":\"4471\""), "{body}");
    }
    let o = run(&[
        "unit",
        "pull",
        "--hub",
        &h.url,
        "--identity",
        cust.join("custodian.age-identity").to_str().unwrap(),
        "--out",
        pulled.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "pull without the CA: {}", text(&o));

    // NW-03/NW-06: revoked on the hub; the next contact wipes the vault and reports it.
    let device = h.rt.block_on(h.store().devices()).unwrap()[0].device_id.clone();
    assert!(h.rt.block_on(h.store().revoke(&device, true, &hub::stamp(Utc::now()))).unwrap());
    let o = run(&["device", "sync", "--data-dir", d]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(
        text(&o).contains("revoked") && text(&o).contains("crypto-wiped") && text(&o).contains("the hub was told"),
        "{}",
        text(&o)
    );
    let o = run(&["device", "list", "--data-dir", d]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("crypto-wiped"), "{}", text(&o));
    assert!(h.rt.block_on(h.store().devices()).unwrap()[0].wipe_reported_at.is_some());
    h.stop();
}

#[test]
fn sync_exits_4_with_records_queued_when_the_hub_is_unreachable() {
    let tmp = tempfile::tempdir().unwrap();
    let (recipient, signing_key, cust) = custodian(tmp.path());
    let mut h = Hub::init(&tmp.path().join("hub"), &signing_key);
    let data = tmp.path().join("device");
    let d = data.to_str().unwrap();
    ok(&["device", "init", "--data-dir", d, "--officer", "4471"]);
    ok(&["device", "enroll", "--data-dir", d, "--hub", &h.url, "--code", &h.code(), "--ca", h.ca.to_str().unwrap()]);
    assert_eq!(code(&publish(tmp.path(), &h, &recipient, &cust, 1)), 0);
    add_records(&data, &library(), 2);
    h.stop();
    let o = run(&["device", "sync", "--data-dir", d]);
    assert_eq!(code(&o), 4, "{}", text(&o));
    assert!(text(&o).contains("not reachable") && text(&o).contains("2 records queued"), "{}", text(&o));
}

#[test]
fn rl_06_a_device_killed_mid_sync_loses_and_doubles_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (recipient, signing_key, cust) = custodian(tmp.path());
    let h = Hub::init(&tmp.path().join("hub"), &signing_key);
    let data = tmp.path().join("device");
    let d = data.to_str().unwrap();
    ok(&["device", "init", "--data-dir", d, "--officer", "4471"]);
    ok(&["device", "enroll", "--data-dir", d, "--hub", &h.url, "--code", &h.code(), "--ca", h.ca.to_str().unwrap()]);
    assert_eq!(code(&publish(tmp.path(), &h, &recipient, &cust, 1)), 0);
    let lib = library();
    let kills: u64 = std::env::var("FIELDSCREEN_DEVICE_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut ids = Vec::new();
    let (mut interrupted, mut acked_not_marked) = (0, 0);
    let policy = vault::UnlockPolicy::from(&lib.policy("default").unwrap().unlock);
    ids.extend(add_records(&data, &lib, 40));
    ok(&["device", "sync", "--data-dir", d]);
    for _ in 0..kills {
        ids.extend(add_records(&data, &lib, 40));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // The kill lands mid-sync whatever the machine's speed: once the hub has stored a seeded
        // number (1 to 39) of this batch's records.
        let target = h.records().len() + 1 + (seed % 39) as usize;
        let mut child = cmd(&["device", "sync", "--data-dir", d]).spawn().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while h.records().len() < target && child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // What the kill left: records still queued, and records the hub holds that the device
        // has not marked synced (killed between the hub's receipt and the device's commit).
        let v = vault::Vault::unlock(&data, SECRET, &policy, Utc::now()).unwrap();
        let synced = v.records().unwrap().iter().filter(|r| r.synced).count();
        if !v.outbox().unwrap().is_empty() {
            interrupted += 1;
        }
        if h.records().len() > synced {
            acked_not_marked += 1;
        }
    }
    let o = run(&["device", "sync", "--data-dir", d]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(interrupted > 0, "no kill interrupted a sync");
    let on_hub: Vec<String> = h.records().into_iter().map(|m| m.id).collect();
    let mut sorted = on_hub.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), on_hub.len(), "duplicates on the hub");
    let mut want = ids.clone();
    want.sort();
    assert_eq!(sorted, want, "the hub holds exactly the records sealed on the device");
    ok(&["device", "verify", "--data-dir", d]);
    eprintln!("{kills} device kills: {interrupted} left records queued, {acked_not_marked} after the hub stored records the device had not yet marked; {} records", ids.len());
}

/// NW-08: records whose push exceeds the hub's body limit (413) are split until each push fits;
/// one that fits only as a raw envelope goes alone; one too large for the hub is named with the
/// limit and stays queued while the others go on. The hub receives them in the order sealed,
/// though record ids are random (PR-01).
#[test]
fn nw_08_a_push_over_the_hubs_body_limit_is_split_and_a_record_too_large_is_named() {
    // Envelopes are padded to power-of-two buckets from 16 KiB: a 40 KiB limit takes one
    // first-bucket record per push and a 32 KiB envelope only raw.
    const LIMIT: usize = 40 << 10;
    let tmp = tempfile::tempdir().unwrap();
    let (recipient, signing_key, cust) = custodian(tmp.path());
    let h = Hub::init_limited(&tmp.path().join("hub"), &signing_key, Some(LIMIT));
    let data = tmp.path().join("device");
    let d = data.to_str().unwrap();
    ok(&["device", "init", "--data-dir", d, "--officer", "4471"]);
    ok(&["device", "enroll", "--data-dir", d, "--hub", &h.url, "--code", &h.code(), "--ca", h.ca.to_str().unwrap()]);
    // The custodians only: the shipped library alone is larger than this hub's limit.
    let o = publish_with(tmp.path(), &h, &recipient, &cust, 1, false);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let lib = library();
    let mut ids = add_records(&data, &lib, 5);
    // 32 KiB sealed (padded): over the limit in base64 inside a push, under it as a raw envelope.
    let medium = add_record_with_notes(&data, &lib, 22 << 10);
    ids.push(medium.clone());
    ids.extend(add_records(&data, &lib, 3));
    let big = add_record_with_notes(&data, &lib, 64 << 10);
    ids.extend(add_records(&data, &lib, 7));

    let o = run(&["device", "sync", "--data-dir", d, "--json"]);
    assert_eq!(code(&o), 1, "one record is refused: {}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((report["sent"].as_u64(), report["pending"].as_u64()), (Some(16), Some(1)), "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!((errors[0]["record_id"].as_str(), errors[0]["kind"].as_str()), (Some(big.as_str()), Some("too-large")));
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("record `{big}` is too large for the hub"))
            && message.contains("max_body")
            && message.contains(" bytes"),
        "{message}"
    );

    let on_hub: Vec<String> = h.records().into_iter().map(|m| m.id).collect();
    let want: Vec<String> = ids.iter().filter(|i| **i != big).cloned().collect();
    assert_eq!(on_hub, want, "every other record reached the hub, in the order sealed");
    let sizes: Vec<u64> = h.records().into_iter().map(|m| m.size).collect();
    let medium_size = h.records().into_iter().find(|m| m.id == medium).unwrap().size as usize;
    assert!(
        medium_size < LIMIT && medium_size * 4 / 3 > LIMIT,
        "the medium record fits only raw: {medium_size} bytes ({sizes:?})"
    );

    // The refused record stays queued, and the next pass says the same again without doubling
    // anything on the hub.
    let o = run(&["device", "sync", "--data-dir", d]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains(&format!("record {big}: record `{big}` is too large for the hub")), "{}", text(&o));
    assert!(text(&o).contains("sent 0, already on the hub 0, still queued 1"), "{}", text(&o));
    assert_eq!(h.records().len(), 16);
    let list: serde_json::Value = serde_json::from_str(&ok(&["device", "list", "--data-dir", d, "--json"])).unwrap();
    let queued: Vec<&str> = list["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["queued"] == true)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(queued, [big.as_str()], "{list}");
}
