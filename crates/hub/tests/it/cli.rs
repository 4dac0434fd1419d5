//! `fieldscreen-hub` as a process: init writes a working configuration, enroll prints a code,
//! status counts per device, revoke, and bad input exits 2.

use std::process::{Command, Output};

use crate::support::*;

fn hub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldscreen-hub")).args(args).env("FIELDSCREEN_HUB_LOG", "warn").output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn init_enroll_status_revoke() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hub");
    let unit = new_key("unit").public_key();
    let o = hub(&["init", "--dir", dir.to_str().unwrap(), "--unit-key", &unit]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let config = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(config, dir.join("hub.toml").display().to_string());
    let cfg = hub::config::Config::read(std::path::Path::new(&config)).unwrap();
    assert_eq!(
        (cfg.listen.to_string().as_str(), cfg.storage.as_str(), cfg.unit_key.as_deref()),
        ("127.0.0.1:8443", "sqlite:hub.db", Some(unit.as_str()))
    );
    for f in ["tls/ca.pem", "tls/hub.pem"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(dir.join("tls/hub.key")).unwrap().permissions().mode() & 0o777, 0o600);
    let o = hub(&["init", "--dir", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "never overwrites: {}", text(&o));

    let o = hub(&["enroll", "--config", &config, "--officer", "4471"]);
    assert_eq!(o.status.code(), Some(2), "PR-01: a hub that keeps no officer ids refuses one: {}", text(&o));
    assert!(text(&o).contains("keep_officer_id = false"), "{}", text(&o));
    let o = hub(&["enroll", "--config", &config]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let code = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(code.len(), 23, "{code}");
    assert_eq!(code.matches('-').count(), 3);

    let mut cfg = cfg;
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let running = rt.block_on(hub::serve::start(&cfg)).unwrap();
    let url = running.url(true);
    let ca = std::fs::read_to_string(dir.join("tls/ca.pem")).unwrap();
    let vdir = tmp.path().join("device");
    let v = new_vault(&vdir);
    sync::device::enroll(&v, &url, &code, vec![ca], None, chrono::Utc::now()).unwrap();
    rt.block_on(running.stop());

    let o = hub(&["status", "--config", &config, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["storage"], "sqlite");
    assert_eq!(s["devices"][0]["device_id"], v.device_id());
    assert_eq!(s["devices"][0]["officer_id"], serde_json::Value::Null, "PR-01: no officer id kept by default");
    assert_eq!(s["enrollment"]["per_source"], 30);
    assert_eq!(s["enrollment"]["sources"][0]["source"], "127.0.0.1", "{s}");
    assert_eq!(s["devices"][0]["records"], 0);

    let o = hub(&["revoke", "--config", &config, "--device", v.device_id()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("crypto-wipe"));
    let o = hub(&["revoke", "--config", &config, "--device", "no-such-device"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no device"), "{}", text(&o));
    let o = hub(&["status", "--config", &config]);
    assert!(text(&o).contains("revoked"), "{}", text(&o));

    std::fs::write(tmp.path().join("bad.toml"), "listen = \"0.0.0.0:80\"\nstorage = \"sqlite:x.db\"\n").unwrap();
    let o = hub(&["serve", "--config", tmp.path().join("bad.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("plain HTTP is only allowed on a loopback address"), "{}", text(&o));
    let o = hub(&["init", "--dir", tmp.path().join("x").to_str().unwrap(), "--unit-key", "not-a-key"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
