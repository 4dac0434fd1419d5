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
    HubClient::new(&good.url, &[other.cert_pem(), ca.cert_pem()])
        .unwrap()
        .probe()
        .expect("NW-02: a rotation pin is accepted");
}

#[test]
fn nw_01_there_is_no_way_to_skip_certificate_checks() {
    let files = |dir: &str| -> Vec<(String, String)> {
        std::fs::read_dir(repo().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
            .collect()
    };
    for (path, src) in files("crates/sync/src").into_iter().chain(files("crates/hub/src")) {
        for bad in ["danger_", "disable_verification", "accept_invalid", "NoVerif"] {
            assert!(!src.contains(bad), "`{bad}` found in {path}");
        }
        // One custom verifier exists: enrolling from a CA fingerprint. It takes its one trust
        // anchor from the fingerprint and checks the hub's certificate with webpki like every
        // other connection (`nw_01_enrolling_from_a_fingerprint_…` shows it refusing).
        if src.contains("danger") {
            assert!(path.ends_with("crates/sync/src/pin.rs"), "a custom certificate verifier in {path}");
            assert!(src.contains("webpki.verify_server_cert(end_entity"), "pin.rs must check the chain with webpki");
        }
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
    assert!(v
        .audit_events()
        .unwrap()
        .iter()
        .any(|a| a.kind == "untrusted-hub" && a.subject.as_deref() == Some(impostor.url.as_str())));
    assert_eq!(v.outbox().unwrap().len(), 1, "nothing was sent");
    assert_eq!(impostor.record_count(), 0);
}

/// NW-01, NW-02: enrolling from the unit CA's fingerprint instead of its file. The hub presents
/// its CA after its own certificate; the device accepts only a CA with the fingerprint given
/// (the one `fieldscreen-hub enroll` prints) that issued the hub's certificate for this host.
#[test]
fn nw_01_enrolling_from_a_fingerprint_pins_the_unit_ca_and_refuses_anything_else() {
    let h = TestHub::start_with(&Backend::Sqlite, true);
    let path = h.dir.path().join("hub.toml");
    std::fs::write(&path, toml::to_string(&h.cfg).unwrap()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fieldscreen-hub"))
        .args(["enroll", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let code = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    let fp = hub::tls::ca_fingerprint(&h.cfg.path(&h.cfg.tls.as_ref().unwrap().ca)).unwrap();
    assert!(said.contains(&fp), "enroll prints the unit CA fingerprint: {said}");

    // Typed in lower case with colons, as someone might.
    let typed = fp.to_lowercase().replace(' ', ":");
    let pem = sync::pin::ca_from_fingerprint(&h.url, &typed).unwrap();
    let body = |p: &str| p.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
    assert_eq!(body(&pem), body(&h.ca_pems()[0]), "the CA kept is the unit CA itself");
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    sync::device::enroll(&v, &h.url, &code, vec![pem], None, chrono::Utc::now()).unwrap();
    assert!(v.enrollment().unwrap().is_some());

    // Another CA's fingerprint: refused, naming the fingerprint.
    let other = Authority::new("someone else's CA").unwrap();
    let other_fp = sync::wire::fingerprint(&pem_der(&other.cert_pem()));
    match sync::pin::ca_from_fingerprint(&h.url, &other_fp) {
        Err(SyncError::Untrusted(m)) => assert!(m.contains("fingerprint"), "{m}"),
        other => panic!("another CA's fingerprint: {other:?}"),
    }
    // The right fingerprint, but the hub's certificate is not for this host: webpki refuses it.
    let ca = Authority::new("unit CA").unwrap();
    let wrong_name = hub_with(&ca, &["hub.elsewhere.example"], (2024, 1, 1), (2036, 1, 1));
    let ca_fp = sync::wire::fingerprint(&pem_der(&ca.cert_pem()));
    match sync::pin::ca_from_fingerprint(&wrong_name.url, &ca_fp) {
        Err(SyncError::Untrusted(m)) => assert!(!m.contains("fingerprint"), "{m}"),
        other => panic!("a certificate for another host: {other:?}"),
    }
    // Bad input says what is wrong.
    for (url, fp, says) in
        [(h.url.as_str(), "1234", "64"), (h.url.as_str(), "zz", "hex"), ("http://127.0.0.1:1", ca_fp.as_str(), "https")]
    {
        match sync::pin::ca_from_fingerprint(url, fp) {
            Err(SyncError::Invalid(m)) => assert!(m.contains(says), "{m}"),
            other => panic!("{url} {fp}: {other:?}"),
        }
    }
}

fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}
