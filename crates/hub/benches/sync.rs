//! Sync benchmark (not a timed test), over TLS on loopback, for SQLite and, when
//! `FIELDSCREEN_PG_URL` is set, PostgreSQL:
//!
//! - one device draining 10,000 sealed records (sealing each to the custodian, pushing in
//!   batches, the hub's durable commits, marking synced on the device): goal under 10 s;
//! - 200 simulated devices pushing 20 records each at once: throughput and request latency.
//!
//! `cargo bench -p hub --bench sync`; `cargo test -p hub --bench sync` runs it once, tiny.

use std::sync::{Arc, Barrier};
use std::time::Instant;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use benchkit::Better;
use chrono::Utc;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::Ed25519KeyPair;
use sync::wire::{self, EnrollRequest};
use sync::{HubClient, KeySigner, RequestSigner};
use vault::{CreateOptions, UnlockPolicy, Vault, MIN_ITERATIONS};

const SECRET: &str = "river lantern copper";

struct Hub {
    rt: tokio::runtime::Runtime,
    running: Option<hub::serve::Running>,
    _dir: tempfile::TempDir,
    url: String,
    ca: String,
    unit: KeySigner,
}

fn key(id: &str) -> KeySigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    KeySigner::from_pkcs8_base64(id, &B64.encode(pkcs8.as_ref())).expect("key")
}

fn start(storage: &str) -> Hub {
    let dir = tempfile::tempdir().expect("tempdir");
    let unit = key("unit");
    let path = hub::config::init(dir.path(), Some(&unit.public_key()), &[], Some("127.0.0.1:0".parse().expect("addr"))).expect("init");
    let mut cfg = hub::config::Config::read(&path).expect("config");
    cfg.storage = storage.to_string();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let running = rt.block_on(hub::serve::start(&cfg)).expect("hub");
    let url = running.url(true);
    let ca = std::fs::read_to_string(dir.path().join("tls/ca.pem")).expect("ca");
    Hub { rt, running: Some(running), _dir: dir, url, ca, unit }
}

impl Hub {
    fn code(&self) -> String {
        self.rt.block_on(hub::admin::new_code(&self.running.as_ref().expect("running").hub.store, "bench", 1, Utc::now())).expect("code")
    }
    fn client(&self) -> HubClient {
        HubClient::new(&self.url, std::slice::from_ref(&self.ca)).expect("client")
    }
    fn publish(&self, recipient: &str) {
        let doc = wire::UnitDocument {
            format: wire::UNIT_FORMAT.into(),
            unit: "bench".into(),
            serial: 1,
            published: Utc::now().to_rfc3339(),
            recipients: vec![recipient.into()],
            files: Default::default(),
        };
        let bytes = serde_json::to_vec(&doc).expect("json");
        let signature = B64.encode(self.unit.sign(&bytes).expect("sign"));
        self.client().publish_unit(&self.unit, &wire::SignedUnit { document: B64.encode(&bytes), signature }).expect("publish");
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop());
        }
    }
}

fn library() -> screening::Library {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols");
    let sources: Vec<screening::Source> = ["adult-roadside/protocol.toml", "observations/checklist.toml", "glossary.toml"]
        .iter()
        .filter_map(|s| std::fs::read_to_string(root.join(s)).ok().map(|text| screening::Source { path: s.to_string(), text }))
        .collect();
    screening::load(&sources).expect("shipped content")
}

/// A vault with `n` sealed records in its outbox, made once and copied for each backend.
fn device_with_records(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = library();
    let opts = CreateOptions { officer_id: "bench", recovery_recipient: None, iterations: MIN_ITERATIONS };
    let v = Vault::create(dir.path(), SECRET, &opts, &UnlockPolicy::default(), Utc::now()).expect("vault");
    let p = Arc::new(lib.protocol("adult-roadside").expect("protocol").clone());
    for _ in 0..n {
        let d = v.create_draft(&p, "en", None, Utc::now()).expect("draft");
        v.append(&d, &p, &screening::Event::Stop, Utc::now()).expect("event");
        v.finalize(&d, &p, None, Utc::now()).expect("seal");
    }
    dir
}

fn copy_dir(from: &std::path::Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(from).expect("read") {
        let p = e.expect("entry").path();
        if p.is_file() {
            std::fs::copy(&p, to.path().join(p.file_name().expect("name"))).expect("copy");
        }
    }
    to
}

fn one_device(name: &str, storage: &str, template: &std::path::Path, n: usize) {
    let h = start(storage);
    let custodian = age::x25519::Identity::generate();
    h.publish(&custodian.to_public().to_string());
    let dir = copy_dir(template);
    let v = Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), Utc::now()).expect("unlock");
    sync::device::enroll(&v, &h.url, &h.code(), vec![h.ca.clone()], None, Utc::now()).expect("enroll");
    let t = Instant::now();
    let r = sync::device::sync_once(&v, Utc::now).expect("sync");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!((r.sent, r.pending), (n, 0), "{r:?}");
    benchkit::report(&format!("sync: {n} records, one device, TLS loopback ({name})"), secs, "s", Some(benchkit::size(10.0, 60.0)), Better::Lower, "");
    benchkit::report(&format!("sync: one device throughput ({name})"), n as f64 / secs, "rec/s", None, Better::Higher, "");
}

fn many_devices(name: &str, storage: &str, devices: usize, per: usize) {
    let h = Arc::new(start(storage));
    let client = h.client();
    let mut rng = [0u8; 4096];
    let sims: Vec<(KeySigner, Vec<wire::PushItem>)> = (0..devices)
        .map(|_| {
            let k = key(&uuid::Uuid::now_v7().to_string());
            let code = h.code();
            let public_key = k.public_key();
            let proof = B64.encode(k.sign(&wire::enroll_proof_input(&code, &k.id, &public_key)).expect("sign"));
            client.enroll(&EnrollRequest { code, device_id: k.id.clone(), officer_id: None, public_key, proof }).expect("enroll");
            let items = (0..per)
                .map(|_| {
                    SystemRandom::new().fill(&mut rng).expect("random");
                    let mut env = b"age-encryption.org/v1\n".to_vec();
                    env.extend_from_slice(&rng);
                    wire::PushItem { id: uuid::Uuid::now_v7().to_string(), sha256: wire::sha256_hex(&env), envelope: B64.encode(&env) }
                })
                .collect();
            (k, items)
        })
        .collect();
    let barrier = Arc::new(Barrier::new(devices + 1));
    let threads: Vec<_> = sims
        .into_iter()
        .map(|(k, items)| {
            let (barrier, h) = (barrier.clone(), h.clone());
            std::thread::spawn(move || {
                let c = h.client();
                barrier.wait();
                let t = Instant::now();
                let r = c.push(&k, items).expect("push");
                assert!(r.results.iter().all(|x| x.status == wire::ItemStatus::Stored));
                t.elapsed().as_secs_f64() * 1000.0
            })
        })
        .collect();
    barrier.wait();
    let t = Instant::now();
    let lat: Vec<f64> = threads.into_iter().map(|t| t.join().expect("device")).collect();
    let wall = t.elapsed().as_secs_f64();
    let total = (devices * per) as f64;
    benchkit::report(&format!("sync: {devices} devices x {per} records at once ({name})"), total / wall, "rec/s", None, Better::Higher, "");
    benchkit::report(&format!("sync: push latency p50, {devices} devices ({name})"), benchkit::median(&lat), "ms", None, Better::Lower, "one request of 20, TLS handshake included");
    benchkit::report(&format!("sync: push latency p99, {devices} devices ({name})"), benchkit::quantile(&lat, 0.99), "ms", None, Better::Lower, "");
}

fn main() {
    let n = benchkit::size(10_000, 20);
    let (devices, per) = benchkit::size((200, 20), (4, 3));
    let mut backends = vec![("sqlite", "sqlite:hub.db".to_string())];
    if let Ok(url) = std::env::var("FIELDSCREEN_PG_URL") {
        if !url.is_empty() {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("FIELDSCREEN_PG_URL is not reachable");
                tokio::spawn(conn);
                c.batch_execute("DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench").await.expect("schema");
            });
            let sep = if url.contains('?') { '&' } else { '?' };
            backends.push(("postgresql", format!("{url}{sep}options=-c%20search_path%3Dbench")));
        }
    }
    let t = Instant::now();
    let template = device_with_records(n);
    eprintln!("(setup: {n} sealed records in a vault in {:.1} s)", t.elapsed().as_secs_f64());
    for (name, storage) in &backends {
        one_device(name, storage, template.path(), n);
        many_devices(name, storage, devices, per);
    }
}
