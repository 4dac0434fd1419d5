//! Running the hub as agency IT does: `/healthz` and `/readyz`, Prometheus metrics, JSON logs
//! that name no record, device, officer or answer, the systemd unit `init` writes,
//! `fieldscreen-hub check`, and backup and restore.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::Utc;
use sync::device::sync_once;
use sync::HubClient;

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_fieldscreen-hub");

fn hub(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("FIELDSCREEN_HUB_LOG", "warn").output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A plain GET: (status, body).
fn get(url: &str) -> (u16, String) {
    match ureq::get(url).timeout(Duration::from_secs(10)).call() {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap()),
        Err(e) => panic!("{url}: {e}"),
    }
}

/// Runs a statement on the hub's own storage, behind its back.
fn tamper(h: &TestHub, b: &Backend, sql: &str) {
    match b {
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(h.dir.path().join("hub.db")).unwrap();
            c.execute_batch(sql).unwrap();
        }
        Backend::Postgres(_) => tamper_pg(&h.cfg.storage, sql),
    }
}

fn tamper_pg(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        c.batch_execute(sql).await.unwrap();
    });
}

#[test]
fn healthz_answers_without_the_store_and_readyz_names_what_is_missing() {
    for b in backends() {
        let h = TestHub::start(&b);
        assert_eq!(get(&format!("{}/healthz", h.url)), (200, r#"{"status":"ok"}"#.into()), "{}", b.name());
        assert_eq!(get(&format!("{}/readyz", h.url)), (200, r#"{"status":"ready"}"#.into()), "{}", b.name());
        // A table the hub needs goes missing, as when a migration has not run.
        tamper(&h, &b, "DROP TABLE enroll_attempts");
        let (status, body) = get(&format!("{}/readyz", h.url));
        assert_eq!(status, 503, "{}: {body}", b.name());
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["reason", "status"], "{body}");
        assert_eq!(v["status"], "unavailable");
        assert!(v["reason"].as_str().unwrap().contains("`enroll_attempts`"), "{body}");
        for secret in ["127.0.0.1", "postgres", "fieldscreen-test", "hub.db", "search_path"] {
            assert!(!body.contains(secret), "readyz reveals `{secret}`: {body}");
        }
        assert_eq!(get(&format!("{}/healthz", h.url)).0, 200, "liveness does not ask the store");
    }
}

#[test]
fn metrics_are_on_the_api_listener_only_when_it_is_loopback_or_on_their_own() {
    let h = TestHub::start(&Backend::Sqlite);
    let (s, body) = get(&format!("{}/metrics", h.url));
    assert_eq!(s, 200);
    assert!(body.contains("# TYPE fieldscreen_hub_requests_total counter"), "{body}");
    let off = TestHub::start_cfg(&Backend::Sqlite, false, |c| c.metrics.enabled = false);
    assert_eq!(get(&format!("{}/metrics", off.url)).0, 404);
    let apart =
        TestHub::start_cfg(&Backend::Sqlite, false, |c| c.metrics.listen = Some("127.0.0.1:0".parse().unwrap()));
    assert_eq!(get(&format!("{}/metrics", apart.url)).0, 404, "with metrics.listen, not on the API listener");
    let m = apart.running.as_ref().unwrap().metrics_addr.unwrap();
    assert_eq!(get(&format!("http://{m}/metrics")).0, 200);
    assert_eq!(get(&format!("http://{m}/readyz")).0, 200);
    // A hub on a public address (TLS) serves no metrics unless metrics.listen says where.
    let mut cfg = h.cfg.clone();
    cfg.listen = "0.0.0.0:8443".parse().unwrap();
    assert!(!cfg.metrics_on_api());
}

/// A `fieldscreen-hub serve` process and every line it writes to standard error.
struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    url: String,
    metrics: String,
}

impl Served {
    fn start(config: &Path) -> Served {
        let mut child = Command::new(BIN)
            .args(["serve", "--config", config.to_str().unwrap()])
            .env("FIELDSCREEN_HUB_LOG", "trace")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines() {
                if tx.send(l.unwrap()).is_err() {
                    break;
                }
            }
        });
        let mut s = Served { child, lines, seen: Vec::new(), url: String::new(), metrics: String::new() };
        while s.url.is_empty() || s.metrics.is_empty() {
            let l = s.lines.recv_timeout(Duration::from_secs(20)).expect("the hub starts");
            if let Some(u) = l.strip_prefix("fieldscreen-hub: listening on ") {
                s.url = u.split(' ').next().unwrap().to_string();
            }
            if let Some(m) = l.strip_prefix("fieldscreen-hub: metrics on ") {
                s.metrics = m.trim().to_string();
            }
            s.seen.push(l);
        }
        s
    }

    fn scrape(&self) -> String {
        let (s, body) = get(&self.metrics);
        assert_eq!(s, 200);
        body
    }

    /// Stops the process (SIGINT, as systemd and a terminal do) and returns every line.
    fn stop(mut self) -> Vec<String> {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let st = self.child.wait().unwrap();
        assert!(st.success(), "{st:?}");
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Served {
    /// A test that fails before `stop` leaves no hub running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of one sample line, 0 when absent.
fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map(|v| v.parse().unwrap())
        .unwrap_or(0.0)
}

/// Every JSON string in a record body that could identify it or the person: ids, labels,
/// answers (times are left out: log lines carry times of their own).
fn strings_of(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.len() >= 8 && chrono::DateTime::parse_from_rfc3339(s).is_err() => {
            out.push(s.clone())
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings_of(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings_of(x, out)),
        _ => {}
    }
}

#[test]
fn st_11_a_scrape_during_a_real_sync_moves_the_counters_and_no_label_or_log_line_names_a_record_device_officer_or_answer(
) {
    let dir = tempfile::tempdir().unwrap();
    let unit = new_key("unit");
    let mut cfg = config(dir.path(), "sqlite:hub.db".into(), Some(unit.public_key()), false);
    cfg.keep_officer_id = true;
    cfg.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
    let config_path = dir.path().join("hub.toml");
    std::fs::write(&config_path, toml::to_string(&cfg).unwrap()).unwrap();
    let served = Served::start(&config_path);
    let before = served.scrape();

    let o = hub(&["enroll", "--config", config_path.to_str().unwrap(), "--officer", MARKER]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let code = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let vdir = tempfile::tempdir().unwrap();
    let v = new_vault(vdir.path());
    sync::device::enroll(&v, &served.url, &code, vec![], None, Utc::now()).unwrap();
    let client = HubClient::new(&served.url, &[]).unwrap();
    let c = Custodian::new();
    publish_unit_with(&client, &unit, &c, 1);
    let ids = add_records(&v, &library(), 4);
    let r = sync_once(&v, Utc::now).unwrap();
    assert_eq!(r.sent, 4, "{r:?}");
    let after = served.scrape();

    let moved = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(moved("fieldscreen_hub_records_received_total{result=\"stored\"}"), 4.0, "{after}");
    assert_eq!(sample(&after, "fieldscreen_hub_records"), 4.0);
    assert_eq!(moved("fieldscreen_hub_enrollments_total"), 1.0);
    assert_eq!(sample(&after, "fieldscreen_hub_devices{state=\"active\"}"), 1.0);
    assert!(moved("fieldscreen_hub_push_duration_seconds_count") >= 1.0, "{after}");
    let pushes: f64 = after
        .lines()
        .filter(|l| l.starts_with("fieldscreen_hub_requests_total{route=\"/v1/records"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
        .sum();
    assert!(pushes >= 1.0, "{after}");

    // Bad input of every kind, carrying the ids the logs must not repeat.
    let device = v.device_id().to_string();
    let rid = ids[0].clone();
    let push = format!("/v1/records/{rid}");
    let mut forged = Raw::now(&v, "PUT", &push, b"age-encryption.org/v1\nforged".to_vec());
    forged.headers.iter_mut().find(|(k, _)| k == sync::wire::H_SIGNATURE).unwrap().1 = B64.encode([7u8; 64]);
    assert_eq!(forged.refused(&served.url).1, "bad-signature");
    let once = Raw::now(&v, "GET", "/v1/status", vec![]);
    assert_eq!(once.send(&served.url).0, 200);
    assert_eq!(once.refused(&served.url).1, "replay");
    assert_eq!(Raw::now(&v, "GET", &push, vec![]).refused(&served.url).1, "forbidden");
    assert_eq!(Raw::now(&v, "PUT", &push, format!("{MARKER} {rid}").into_bytes()).refused(&served.url).1, "invalid");
    let stranger = new_key(&format!("{device}-x"));
    assert_eq!(Raw::now(&stranger, "GET", "/v1/status", vec![]).refused(&served.url).1, "unknown-device");
    let stale = Raw::signed(&v, "GET", "/v1/status", vec![], Utc::now().timestamp() - 86_400, &"ab".repeat(16));
    assert_eq!(stale.refused(&served.url).1, "stale");
    let (s, _) = Raw::now(&v, "GET", &format!("/v1/nothing/{rid}/{device}"), vec![]).send(&served.url);
    assert_eq!(s, 404);
    let enroll = serde_json::json!({"code": code, "device_id": device, "officer_id": MARKER, "public_key": v.device_public_key().unwrap(), "proof": "AA=="});
    let (s, _) = Raw {
        method: "POST".into(),
        path: "/v1/enroll".into(),
        headers: vec![],
        body: enroll.to_string().into_bytes(),
    }
    .send(&served.url);
    assert!((400..500).contains(&s), "{s}");
    let last = served.scrape();
    assert!(sample(&last, "fieldscreen_hub_refused_total{reason=\"bad-signature\"}") >= 1.0, "{last}");
    assert!(sample(&last, "fieldscreen_hub_refused_total{reason=\"replay\"}") >= 1.0, "{last}");
    assert!(sample(&last, "fieldscreen_hub_refused_total{reason=\"stale\"}") >= 1.0, "{last}");
    assert!(sample(&last, "fieldscreen_hub_refused_total{reason=\"unknown-device\"}") >= 1.0, "{last}");
    assert!(last.contains("route=\"/v1/records/{id}\""), "the template, not the path: {last}");
    let lines = served.stop();

    let mut needles: Vec<String> = ids.clone();
    needles.extend([device.clone(), MARKER.to_string(), code.clone(), SECRET.to_string()]);
    needles.push(v.device_public_key().unwrap());
    for s in v.sealed(&ids).unwrap() {
        let body: serde_json::Value = serde_json::from_str(&s.body).unwrap();
        strings_of(&body, &mut needles);
    }
    needles.retain(|n| n != "fieldscreen");
    needles.sort();
    needles.dedup();
    assert!(needles.len() > 10, "{needles:?}");
    let mut json_lines = 0;
    for l in &lines {
        if !l.starts_with("fieldscreen-hub: ") {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"));
            assert!(v["timestamp"].is_string() && v["level"].is_string(), "{l}");
            assert!(v["fields"]["message"].is_string(), "{l}");
            json_lines += 1;
        }
    }
    assert!(json_lines >= 15, "the run was logged: {json_lines} lines");
    for route in ["/v1/enroll", "/v1/records", "/v1/records/{id}", "/v1/status", "unmatched"] {
        assert!(lines.iter().any(|l| l.contains(&format!("\"route\":\"{route}\""))), "no request line for {route}");
    }
    for text in lines.iter().map(String::as_str).chain([before.as_str(), after.as_str(), last.as_str()]) {
        for n in &needles {
            assert!(!text.contains(n.as_str()), "`{n}` appears in: {text}");
        }
    }
}

fn init_dir(tmp: &Path, listen: &str) -> PathBuf {
    let dir = tmp.join("hub");
    let o = hub(&["init", "--dir", dir.to_str().unwrap(), "--listen", listen]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    dir
}

#[test]
fn init_writes_a_hardened_systemd_unit_that_systemd_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_dir(tmp.path(), "127.0.0.1:8443");
    let dir = std::fs::canonicalize(dir).unwrap();
    let unit = std::fs::read_to_string(dir.join("fieldscreen-hub.service")).unwrap();
    let keys: Vec<(&str, &str)> = unit.lines().filter_map(|l| l.split_once('=')).collect();
    let has = |k: &str, v: &str| keys.iter().any(|(a, b)| *a == k && *b == v);
    let exe = std::fs::canonicalize(BIN).unwrap();
    for (k, v) in [
        ("ExecStart", format!("{} serve --config {}/hub.toml", exe.display(), dir.display()).as_str()),
        ("User", "fieldscreen-hub"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("ReadWritePaths", dir.to_str().unwrap()),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("SystemCallFilter", "@system-service"),
    ] {
        assert!(has(k, v), "{k}={v} missing in\n{unit}");
    }
    let users = std::fs::read_to_string(dir.join("fieldscreen-hub.sysusers.conf")).unwrap();
    let line = users.lines().find(|l| !l.starts_with('#')).unwrap();
    let f: Vec<&str> = line.splitn(4, ' ').collect();
    assert_eq!(&f[..3], ["u", "fieldscreen-hub", "-"], "{line}");
    assert!(line.ends_with(&format!("{} /usr/sbin/nologin", dir.display())), "{line}");

    // systemd's own parser (Debian's systemd package) checks every directive.
    if let Ok(o) = Command::new("systemd-analyze").arg("verify").arg(dir.join("fieldscreen-hub.service")).output() {
        let err = String::from_utf8_lossy(&o.stderr);
        let own: Vec<&str> = err.lines().filter(|l| l.contains("fieldscreen-hub.service")).collect();
        assert!(own.is_empty(), "systemd-analyze verify: {err}");
    }

    let low = init_dir(&tmp.path().join("low"), "127.0.0.1:443");
    let unit = std::fs::read_to_string(low.join("fieldscreen-hub.service")).unwrap();
    assert!(unit.contains("\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"), "{unit}");
    let o = hub(&["init", "--dir", low.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "never overwrites: {}", text(&o));
}

/// A hub configuration on `storage` (written for the CLI), a device with `n` records synced to
/// it: (config path, the hub's running handle, the record ids).
fn synced_hub(b: &Backend, n: usize) -> (TestHub, PathBuf, Vec<String>) {
    let h = TestHub::start(b);
    let path = h.dir.path().join("hub.toml");
    std::fs::write(&path, toml::to_string(&h.cfg).unwrap()).unwrap();
    let vdir = tempfile::tempdir().unwrap();
    let v = new_vault(vdir.path());
    enroll(&h, &v);
    publish_unit(&h, &Custodian::new(), 1);
    let ids = add_records(&v, &library(), n);
    assert_eq!(sync_once(&v, Utc::now).unwrap().sent, n);
    (h, path, ids)
}

#[test]
fn check_passes_on_a_synced_store_and_names_a_corrupted_row() {
    for b in backends() {
        let (h, config, ids) = synced_hub(&b, 3);
        let c = config.to_str().unwrap();
        let o = hub(&["check", "--config", c]);
        assert_eq!(o.status.code(), Some(0), "{}: {}", b.name(), text(&o));
        assert!(text(&o).contains("3 records, 1 devices, 0 problems"), "{}", text(&o));
        // One ciphertext cut short by a byte; the trigger that refuses updates is dropped first.
        let drop_trigger = match b {
            Backend::Sqlite => "DROP TRIGGER records_never_overwritten",
            Backend::Postgres(_) => "DROP TRIGGER records_never_overwritten ON records",
        };
        let cut = format!(
            "UPDATE records SET envelope = substr(envelope, 1, length(envelope) - 1) WHERE record_id = '{}'",
            ids[1]
        );
        tamper(&h, &b, &format!("{drop_trigger}; {cut}; UPDATE devices SET wipe = TRUE"));
        let o = hub(&["check", "--config", c]);
        assert_eq!(o.status.code(), Some(1), "{}: {}", b.name(), text(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains(&format!("record `{}`: the stored SHA-256 does not match its ciphertext", ids[1])),
            "{out}"
        );
        assert!(out.contains(&format!("record `{}`: ", ids[1])) && out.contains("size column says"), "{out}");
        assert!(out.contains("a wipe is asked for or reported but the device is not revoked"), "{out}");
        assert!(!out.contains(&ids[0]) && !out.contains(&ids[2]), "only the bad row is named: {out}");
        assert!(text(&o).contains("3 problems"), "{}", text(&o));
    }
}

#[test]
fn a_sqlite_backup_taken_while_serving_restores_every_record_and_checks() {
    let (h, config, ids) = synced_hub(&Backend::Sqlite, 5);
    let c = config.to_str().unwrap();
    let backup = h.dir.path().join("backup.db");
    // The hub keeps serving (and writing) while the backup runs.
    let pusher = h.sim_device("x");
    let client = h.client();
    let o = hub(&["backup", "--config", c, "--to", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    client.push(&pusher, vec![item("after-the-backup", &fake_envelope("late"))]).unwrap();
    let o = hub(&["backup", "--config", c, "--to", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "never overwrites: {}", text(&o));

    // Disaster: a fresh folder with the same configuration, restored from the backup.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_config = fresh.path().join("hub.toml");
    std::fs::copy(&config, &fresh_config).unwrap();
    let f = fresh_config.to_str().unwrap();
    let o = hub(&["restore", "--config", f, "--from", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("restored 5 records and 2 devices") && text(&o).contains("check passed"), "{}", text(&o));
    let o = hub(&["check", "--config", f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cfg = hub::config::Config::read(&fresh_config).unwrap();
    let store = rt.block_on(hub::store::Store::open(&cfg.storage, &cfg.base, &cfg.postgres)).unwrap();
    let mut got: Vec<String> = rt.block_on(store.list_records(0, 100)).unwrap().into_iter().map(|m| m.id).collect();
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want, "every record synced before the backup, and only those");
    drop(store);

    // Restoring over a store that holds data keeps that data aside first.
    let o = hub(&["restore", "--config", c, "--from", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let kept: Vec<PathBuf> = std::fs::read_dir(h.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("hub.db.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let o = hub(&["restore", "--config", c, "--from", config.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "a file that is not a backup: {}", text(&o));
}

#[test]
fn a_postgresql_dump_restores_every_record_and_checks() {
    let Some(b) = backends().into_iter().find(|b| matches!(b, Backend::Postgres(_))) else { return };
    let (h, config, ids) = synced_hub(&b, 4);
    let url = h.cfg.storage.clone();
    let schema = url.rsplit("search_path%3D").next().unwrap().to_string();
    let base = url.split('?').next().unwrap().to_string();
    // The dump and the configuration outlive the hub's folder.
    let keep = tempfile::tempdir().unwrap();
    let dump = keep.path().join("hub.dump");
    let config = {
        let c = keep.path().join("hub.toml");
        std::fs::copy(&config, &c).unwrap();
        c
    };
    let o = Command::new("pg_dump")
        .args(["--format=custom", "--schema", &schema, "--file"])
        .arg(&dump)
        .arg(&base)
        .output()
        .expect("Debian's pg_dump");
    assert!(o.status.success(), "pg_dump: {}", text(&o));
    drop(h);
    // The schema is lost, then restored from the dump alone.
    tamper_pg(&base, &format!("DROP SCHEMA {schema} CASCADE"));
    let o = Command::new("pg_restore").args(["--no-owner", "--dbname", &base]).arg(&dump).output().unwrap();
    assert!(o.status.success(), "pg_restore: {}", text(&o));
    let o = hub(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("4 records, 1 devices, 0 problems"), "{}", text(&o));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = rt.block_on(hub::store::Store::open(&url, Path::new("/"), &Default::default())).unwrap();
    let mut got: Vec<String> = rt.block_on(store.list_records(0, 100)).unwrap().into_iter().map(|m| m.id).collect();
    got.sort();
    let mut want = ids;
    want.sort();
    assert_eq!(got, want);
    // The restored table still refuses to overwrite a record.
    let r = rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        c.batch_execute("UPDATE records SET size = size + 1").await
    });
    assert!(r.is_err(), "the trigger came back with the dump");
}

/// A TCP relay to PostgreSQL that can cut every connection and refuse new ones.
struct Relay {
    addr: std::net::SocketAddr,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    fn start(upstream: std::net::SocketAddr) -> Relay {
        use std::sync::atomic::{AtomicBool, Ordering};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let cut = std::sync::Arc::new(AtomicBool::new(false));
        let c = cut.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(down) = conn else { continue };
                if c.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let Ok(up) = std::net::TcpStream::connect(upstream) else { continue };
                for (mut from, mut to) in [
                    (down.try_clone().unwrap(), up.try_clone().unwrap()),
                    (up.try_clone().unwrap(), down.try_clone().unwrap()),
                ] {
                    let c = c.clone();
                    std::thread::spawn(move || {
                        use std::io::{Read, Write};
                        let mut buf = [0u8; 16384];
                        from.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
                        loop {
                            if c.load(Ordering::SeqCst) {
                                let _ = from.shutdown(std::net::Shutdown::Both);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                            match from.read(&mut buf) {
                                Ok(0) => {
                                    let _ = to.shutdown(std::net::Shutdown::Both);
                                    return;
                                }
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        return;
                                    }
                                }
                                Err(e)
                                    if matches!(
                                        e.kind(),
                                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                    ) => {}
                                Err(_) => return,
                            }
                        }
                    });
                }
            }
        });
        Relay { addr, cut }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.store(cut, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn readyz_says_the_store_is_unreachable_while_postgresql_is_cut_off_and_recovers() {
    let Some(Backend::Postgres(url)) = backends().into_iter().find(|b| matches!(b, Backend::Postgres(_))) else {
        return;
    };
    let cfg = tokio_postgres::Config::from_str(&url).unwrap();
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    let relay = Relay::start(format!("127.0.0.1:{port}").parse().unwrap());
    let through = pg_schema_url(&url).replacen(&format!("127.0.0.1:{port}"), &relay.addr.to_string(), 1);
    assert!(through.contains(&relay.addr.to_string()), "{through}");
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), through, None, false);
    c.postgres.connect_timeout_ms = 1000;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let running = rt.block_on(hub::serve::start(&c)).unwrap();
    let base = running.url(false);
    assert_eq!(get(&format!("{base}/readyz")).0, 200);
    relay.set_cut(true);
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = get(&format!("{base}/readyz"));
    assert_eq!((status, body.as_str()), (503, r#"{"reason":"the storage is not reachable","status":"unavailable"}"#));
    assert_eq!(get(&format!("{base}/healthz")).0, 200, "liveness does not ask the store");
    assert!(get(&format!("{base}/metrics")).1.contains("fieldscreen_hub_storage_up 0"));
    relay.set_cut(false);
    let t = std::time::Instant::now();
    while get(&format!("{base}/readyz")).0 != 200 {
        assert!(t.elapsed() < Duration::from_secs(10), "ready again once PostgreSQL answers");
        std::thread::sleep(Duration::from_millis(100));
    }
    rt.block_on(running.stop());
}
