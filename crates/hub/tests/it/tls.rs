//! TLS: the device trusts only the pinned CA, checks the name and the validity period, and
//! accepts a rotation pin.

use hub::tls::Authority;
use sync::{HubClient, SyncError};

use crate::support::*;

/// A TLS hub whose certificate is issued by `ca` for `names`, valid `from`..`until`.
fn hub_with(ca: &Authority, names: &[&str], from: (i32, u8, u8), until: (i32, u8, u8)) -> TestHub {
    let dir = tempfile::tempdir().unwrap();
    let issued = ca.issue(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>(), from, until).unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.cert_pem()).unwrap();
    std::fs::write(dir.path().join("hub.pem"), issued.cert_pem).unwrap();
    std::fs::write(dir.path().join("hub.key"), issued.key_pem).unwrap();
    let unit = std::sync::Arc::new(new_key("unit"));
    let mut cfg = config(dir.path(), "sqlite:hub.db".into(), Some(unit.public_key()), false);
    cfg.tls = Some(hub::config::Tls { cert: "hub.pem".into(), key: "hub.key".into(), ca: "ca.pem".into() });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let running = rt.block_on(hub::serve::start(&cfg)).unwrap();
    let url = running.url(true);
    TestHub { rt, running: Some(running), dir, cfg, url, unit }
}

#[test]
fn nw_01_a_tls_hub_with_the_pinned_ca_works_end_to_end() {
    let h = TestHub::start_with(&Backend::Sqlite, true);
    assert!(h.url.starts_with("https://"));
    h.client().probe().unwrap();
    let dev = h.sim_device("4471");
    assert_eq!(h.client().push(&dev, vec![item("r1", &fake_envelope("1"))]).unwrap().results.len(), 1);
}

#[test]
fn nw_01_nw_02_another_ca_a_wrong_name_or_an_expired_certificate_all_fail() {
    let ca = Authority::new("unit CA").unwrap();
    let other = Authority::new("someone else's CA").unwrap();
    let untrusted = |h: &TestHub, pins: Vec<String>, what: &str| match HubClient::new(&h.url, &pins).unwrap().probe() {
        Err(SyncError::Untrusted(m)) => m,
        other => panic!("{what}: expected an untrusted hub, got {other:?}"),
    };
    let good = hub_with(&ca, &["127.0.0.1"], (2024, 1, 1), (2036, 1, 1));
    HubClient::new(&good.url, &[ca.cert_pem()]).unwrap().probe().unwrap();
    let m = untrusted(&good, vec![other.cert_pem()], "a CA that is not pinned (a user-installed root, a proxy)");
    assert!(m.contains("UnknownIssuer") || m.contains("issuer"), "{m}");
    let wrong_name = hub_with(&ca, &["hub.example.org"], (2024, 1, 1), (2036, 1, 1));
    let m = untrusted(&wrong_name, vec![ca.cert_pem()], "a certificate for another name");
    assert!(m.contains("NotValidForName") || m.contains("name"), "{m}");
    let expired = hub_with(&ca, &["127.0.0.1"], (2020, 1, 1), (2021, 1, 1));
    let m = untrusted(&expired, vec![ca.cert_pem()], "an expired certificate");
    assert!(m.contains("Expired") || m.contains("expired"), "{m}");
    HubClient::new(&good.url, &[other.cert_pem(), ca.cert_pem()]).unwrap().probe().expect("NW-02: a rotation pin is accepted");
}

#[test]
fn nw_01_there_is_no_way_to_skip_certificate_checks() {
    let src = ["src/client.rs", "src/device.rs", "src/lib.rs"]
        .iter()
        .map(|f| std::fs::read_to_string(repo().join("crates/sync").join(f)).unwrap())
        .chain(std::fs::read_dir(repo().join("crates/hub/src")).unwrap().filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok()))
        .collect::<String>();
    for bad in ["danger", "disable_verification", "accept_invalid"] {
        assert!(!src.contains(bad), "`{bad}` found in the sync or hub sources");
    }
}

#[test]
fn nw_02_a_hub_presenting_another_ca_is_refused_and_audited_on_the_device() {
    let real = TestHub::start_with(&Backend::Sqlite, true);
    let impostor = TestHub::start_with(&Backend::Sqlite, true);
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&real, &v);
    add_records(&v, &library(), 1);
    let mut e = v.enrollment().unwrap().unwrap();
    e.hub_url = impostor.url.clone();
    v.set_enrollment(&e, chrono::Utc::now()).unwrap();
    match sync::device::sync_once(&v, chrono::Utc::now) {
        Err(SyncError::Untrusted(_)) => {}
        other => panic!("expected an untrusted hub, got {other:?}"),
    }
    assert!(v.audit_events().unwrap().iter().any(|a| a.kind == "untrusted-hub" && a.subject.as_deref() == Some(impostor.url.as_str())));
    assert_eq!(v.outbox().unwrap().len(), 1, "nothing was sent");
    assert_eq!(impostor.record_count(), 0);
}
