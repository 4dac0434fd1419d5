//! Hubs, devices and raw requests for the tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::Utc;
use hub::config::Config;
use hub::serve::Running;
use hub::store::Store;
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use screening::{Library, Source};
use sync::wire::{self, EnrollRequest, ErrorBody};
use sync::{HubClient, KeySigner, RequestSigner};
use vault::{CreateOptions, UnlockPolicy, Vault};

pub const SECRET: &str = "river lantern copper";
/// The officer id of test devices.
pub const MARKER: &str = "OFFICER-MARKER-Q7ZK";

/// A storage backend under test.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgresql",
        }
    }
}

/// SQLite, and PostgreSQL when configured. With FIELDSCREEN_REQUIRE_PG=1 a missing URL or an
/// unreachable server fails the test run.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    let require = std::env::var("FIELDSCREEN_REQUIRE_PG").is_ok_and(|v| v == "1");
    match std::env::var("FIELDSCREEN_PG_URL") {
        Ok(url) if !url.is_empty() => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            match rt.block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls)) {
                Ok(_) => out.push(Backend::Postgres(url)),
                Err(e) if require => {
                    panic!("FIELDSCREEN_REQUIRE_PG=1 but PostgreSQL at FIELDSCREEN_PG_URL is not reachable: {e}")
                }
                Err(e) => eprintln!("PostgreSQL suite skipped: {e}"),
            }
        }
        _ if require => {
            panic!("FIELDSCREEN_REQUIRE_PG=1 but FIELDSCREEN_PG_URL is not set (scripts/postgres.sh prints it)")
        }
        _ => {}
    }
    out
}

/// A fresh schema per hub on the shared PostgreSQL database, so tests do not see each other.
pub fn pg_schema_url(url: &str) -> String {
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("PostgreSQL");
        tokio::spawn(conn);
        c.batch_execute(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
    });
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

pub fn storage_url(b: &Backend) -> String {
    match b {
        Backend::Sqlite => "sqlite:hub.db".into(),
        Backend::Postgres(url) => pg_schema_url(url),
    }
}

pub fn config(dir: &Path, storage: String, unit_key: Option<String>, tls: bool) -> Config {
    let tls = tls.then(|| {
        let ca = hub::tls::Authority::new("test CA").unwrap();
        let issued = ca.issue(&["127.0.0.1".into(), "localhost".into()], (2024, 1, 1), (2036, 1, 1)).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
        std::fs::write(dir.join("hub.pem"), issued.cert_pem).unwrap();
        std::fs::write(dir.join("hub.key"), issued.key_pem).unwrap();
        hub::config::Tls { cert: "hub.pem".into(), key: "hub.key".into(), ca: "ca.pem".into() }
    });
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        storage,
        unit_key,
        max_body: 4 << 20,
        code_ttl_hours: 24,
        keep_officer_id: false,
        limits: Default::default(),
        enroll_limits: Default::default(),
        postgres: Default::default(),
        metrics: Default::default(),
        tls,
        base: dir.to_path_buf(),
    }
}

/// A hub running in this process.
pub struct TestHub {
    pub rt: tokio::runtime::Runtime,
    pub running: Option<Running>,
    pub dir: tempfile::TempDir,
    pub cfg: Config,
    pub url: String,
    pub unit: Arc<KeySigner>,
}

impl TestHub {
    pub fn start(b: &Backend) -> TestHub {
        TestHub::start_with(b, false)
    }

    pub fn start_with(b: &Backend, tls: bool) -> TestHub {
        TestHub::start_cfg(b, tls, |_| {})
    }

    /// A hub whose configuration `change` adjusts first.
    pub fn start_cfg(b: &Backend, tls: bool, change: impl FnOnce(&mut Config)) -> TestHub {
        let dir = tempfile::tempdir().unwrap();
        let unit = Arc::new(new_key("unit"));
        let mut cfg = config(dir.path(), storage_url(b), Some(unit.public_key()), tls);
        change(&mut cfg);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let running = rt.block_on(hub::serve::start(&cfg)).unwrap();
        let url = running.url(tls);
        TestHub { rt, running: Some(running), dir, cfg, url, unit }
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.as_ref().unwrap().addr
    }

    pub fn store(&self) -> &Store {
        &self.running.as_ref().unwrap().hub.store
    }

    pub fn code(&self, officer: &str) -> String {
        self.rt
            .block_on(hub::admin::new_code(self.store(), self.cfg.keep_officer_id.then_some(officer), 24, Utc::now()))
            .unwrap()
    }

    pub fn client(&self) -> HubClient {
        let cas: Vec<String> = self
            .cfg
            .tls
            .as_ref()
            .map(|t| vec![std::fs::read_to_string(self.cfg.path(&t.ca)).unwrap()])
            .unwrap_or_default();
        HubClient::new(&self.url, &cas).unwrap()
    }

    pub fn ca_pems(&self) -> Vec<String> {
        self.cfg.tls.as_ref().map(|t| vec![std::fs::read_to_string(self.cfg.path(&t.ca)).unwrap()]).unwrap_or_default()
    }

    pub fn devices(&self) -> Vec<wire::DeviceInfo> {
        self.rt.block_on(self.store().devices()).unwrap()
    }

    pub fn record_count(&self) -> i64 {
        self.devices().iter().map(|d| d.records).sum()
    }

    pub fn revoke(&self, device: &str, wipe: bool) {
        assert!(self.rt.block_on(self.store().revoke(device, wipe, &hub::stamp(Utc::now()))).unwrap());
    }

    /// Enrolls a simulated device (an in-memory key) and returns its signer.
    pub fn sim_device(&self, officer: &str) -> KeySigner {
        let key = new_key(&uuid::Uuid::now_v7().to_string());
        let code = self.code(officer);
        let public_key = key.public_key();
        let proof = B64.encode(key.sign(&wire::enroll_proof_input(&code, &key.id, &public_key)).unwrap());
        self.client()
            .enroll(&EnrollRequest { code, device_id: key.id.clone(), officer_id: None, public_key, proof })
            .unwrap();
        key
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop());
        }
    }
}

pub fn new_key(id: &str) -> KeySigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    KeySigner::from_pkcs8_base64(id, &B64.encode(pkcs8.as_ref())).unwrap()
}

/// An envelope as the hub sees one: an age header and opaque bytes.
pub fn fake_envelope(seed: &str) -> Vec<u8> {
    let mut v = b"age-encryption.org/v1\n-> X25519 ".to_vec();
    v.extend_from_slice(wire::sha256_hex(seed.as_bytes()).as_bytes());
    v
}

pub fn item(id: &str, envelope: &[u8]) -> wire::PushItem {
    wire::PushItem { id: id.into(), sha256: wire::sha256_hex(envelope), envelope: B64.encode(envelope) }
}

/// A request as sent, headers and all, for the tests that break one part of it.
pub struct Raw {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn signed(signer: &dyn RequestSigner, method: &str, path: &str, body: Vec<u8>, time: i64, nonce: &str) -> Raw {
        let id = signer.signer_id();
        let sig = signer.sign(&wire::signing_input(method, path, &id, time, nonce, &body)).unwrap();
        Raw {
            method: method.into(),
            path: path.into(),
            headers: vec![
                (wire::H_SIGNER.into(), id),
                (wire::H_TIME.into(), time.to_string()),
                (wire::H_NONCE.into(), nonce.into()),
                (wire::H_SIGNATURE.into(), B64.encode(sig)),
            ],
            body,
        }
    }

    pub fn now(signer: &dyn RequestSigner, method: &str, path: &str, body: Vec<u8>) -> Raw {
        Raw::signed(
            signer,
            method,
            path,
            body,
            Utc::now().timestamp(),
            &wire::sha256_hex(uuid::Uuid::now_v7().as_bytes())[..32],
        )
    }

    pub fn without(mut self, name: &str) -> Raw {
        self.headers.retain(|(k, _)| k != name);
        self
    }

    /// Sends over plain HTTP: (status, body).
    pub fn send(&self, base: &str) -> (u16, Vec<u8>) {
        let mut req = ureq::request(&self.method, &format!("{base}{}", self.path));
        for (k, v) in &self.headers {
            req = req.set(k, v);
        }
        let res = if self.method == "GET" { req.call() } else { req.send_bytes(&self.body) };
        match res {
            Ok(r) => {
                let s = r.status();
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut r.into_reader(), &mut b).unwrap();
                (s, b)
            }
            Err(ureq::Error::Status(s, r)) => {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut r.into_reader(), &mut b).unwrap();
                (s, b)
            }
            Err(e) => panic!("transport: {e}"),
        }
    }

    /// Sends and expects a refusal: (status, kind, message).
    pub fn refused(&self, base: &str) -> (u16, String, String) {
        let (s, b) = self.send(base);
        let e: ErrorBody = serde_json::from_slice(&b)
            .unwrap_or_else(|_| panic!("{s}: not an error body: {}", String::from_utf8_lossy(&b)));
        (s, e.kind, e.message)
    }
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn library() -> Library {
    let files = durable::read_toml_files(&repo().join("screening-protocols")).unwrap();
    let sources: Vec<Source> =
        files.into_iter().map(|(p, text)| Source { path: p.display().to_string(), text }).collect();
    screening::load(&sources).unwrap_or_else(|p| panic!("the shipped library: {p:?}"))
}

pub fn unlock_policy() -> UnlockPolicy {
    UnlockPolicy::from(&library().policy("default").unwrap().unlock)
}

/// A device vault for the test officer.
pub fn new_vault(dir: &Path) -> Vault {
    let opts = CreateOptions { officer_id: MARKER, recovery_recipient: None, iterations: vault::MIN_ITERATIONS };
    Vault::create(dir, SECRET, &opts, &unlock_policy(), Utc::now()).unwrap()
}

/// Seals `n` records (an adult-roadside screening stopped at once) into the outbox.
pub fn add_records(v: &Vault, lib: &Library, n: usize) -> Vec<String> {
    let p = Arc::new(lib.protocol("adult-roadside").unwrap().clone());
    (0..n)
        .map(|_| {
            let d = v.create_draft(&p, "en", None, Utc::now()).unwrap();
            v.append(&d, &p, &screening::Event::Stop, Utc::now()).unwrap();
            v.finalize(&d, &p, None, Utc::now()).unwrap()
        })
        .collect()
}

/// The custodian's keys: an age identity (whose recipient devices seal to) and the unit key.
pub struct Custodian {
    pub identity: age::x25519::Identity,
}

impl Custodian {
    pub fn new() -> Custodian {
        Custodian { identity: age::x25519::Identity::generate() }
    }
    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }
}

/// Publishes a unit configuration naming the custodian, signed with the hub's unit key.
pub fn publish_unit(h: &TestHub, c: &Custodian, serial: u64) {
    publish_unit_with(&h.client(), h.unit.as_ref(), c, serial)
}

/// Publishes a unit configuration naming the custodian through `client`, signed with `unit`.
pub fn publish_unit_with(client: &HubClient, unit: &KeySigner, c: &Custodian, serial: u64) {
    let doc = wire::UnitDocument {
        format: wire::UNIT_FORMAT.into(),
        unit: "test unit".into(),
        serial,
        published: Utc::now().to_rfc3339(),
        recipients: vec![c.recipient()],
        files: Default::default(),
    };
    let bytes = serde_json::to_vec(&doc).unwrap();
    let signature = B64.encode(unit.sign(&bytes).unwrap());
    client.publish_unit(unit, &wire::SignedUnit { document: B64.encode(&bytes), signature }).unwrap();
}

/// Enrolls a real vault with the hub.
pub fn enroll(h: &TestHub, v: &Vault) {
    sync::device::enroll(v, &h.url, &h.code(MARKER), h.ca_pems(), None, Utc::now()).unwrap();
}
