//! Sync benchmark (not a timed test), over TLS on loopback, for SQLite and, when
//! `FIELDSCREEN_PG_URL` is set, PostgreSQL:
//!
//! - one device draining 10,000 sealed records (sealing each to the custodian, pushing in
//!   batches, the hub's durable commits, marking synced on the device): goal under 10 s;
//! - 200 simulated devices pushing 20 records each at once: throughput and request latency
//!   (goal: p99 at most 250 ms).
//!
//! On PostgreSQL both run against one hub and against two replicas on the same database behind
//! a TCP round-robin balancer (as a load balancer in pass-through mode would sit), each replica
//! with its own certificate from the unit CA (`init-replica`).
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
    running: Vec<hub::serve::Running>,
    _dir: tempfile::TempDir,
    /// Where devices connect: the hub, or the balancer in front of the replicas.
    url: String,
    ca: String,
    unit: KeySigner,
    _balancer: Option<Balancer>,
}

/// A TCP round-robin balancer on loopback: each new connection goes to the next replica, bytes
/// copied both ways (TLS passes through).
struct Balancer {
    addr: std::net::SocketAddr,
}

impl Balancer {
    fn start(upstreams: Vec<std::net::SocketAddr>) -> Balancer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            for (n, c) in listener.incoming().enumerate() {
                let Ok(c) = c else { continue };
                let Ok(u) = std::net::TcpStream::connect(upstreams[n % upstreams.len()]) else { continue };
                let _ = (c.set_nodelay(true), u.set_nodelay(true));
                let (Ok(c2), Ok(u2)) = (c.try_clone(), u.try_clone()) else { continue };
                let pipe = |mut from: std::net::TcpStream, mut to: std::net::TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                };
                pipe(c, u2);
                pipe(u, c2);
            }
        });
        Balancer { addr }
    }
}

fn key(id: &str) -> KeySigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    KeySigner::from_pkcs8_base64(id, &B64.encode(pkcs8.as_ref())).expect("key")
}

/// A hub on `storage`, or `replicas` of them on one PostgreSQL behind a [`Balancer`].
fn start(storage: &str, replicas: usize) -> Hub {
    let dir = tempfile::tempdir().expect("tempdir");
    let unit = key("unit");
    let any = Some("127.0.0.1:0".parse().expect("addr"));
    let first = dir.path().join("hub-1");
    let path = hub::config::init(&first, Some(&unit.public_key()), &[], any).expect("init");
    let text = std::fs::read_to_string(&path).expect("hub.toml");
    std::fs::write(&path, text.replace("storage = \"sqlite:hub.db\"", &format!("storage = {storage:?}")))
        .expect("hub.toml");
    let mut paths = vec![path];
    for i in 2..=replicas {
        paths
            .push(hub::replica::init_replica(&first, &dir.path().join(format!("hub-{i}")), &[], any).expect("replica"));
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let running: Vec<_> = paths
        .iter()
        .map(|p| {
            let mut cfg = hub::config::Config::read(p).expect("config");
            // Every simulated device enrolls from this one address.
            cfg.enroll_limits.per_source = 1_000_000;
            rt.block_on(hub::serve::start(&cfg)).expect("hub")
        })
        .collect();
    let balancer = (replicas > 1).then(|| Balancer::start(running.iter().map(|r| r.addr).collect()));
    let url = match &balancer {
        Some(b) => format!("https://{}", b.addr),
        None => running[0].url(true),
    };
    let ca = std::fs::read_to_string(first.join("tls/ca.pem")).expect("ca");
    Hub { rt, running, _dir: dir, url, ca, unit, _balancer: balancer }
}

impl Hub {
    fn code(&self) -> String {
        self.rt.block_on(hub::admin::new_code(&self.running[0].hub.store, "bench", 1, Utc::now())).expect("code")
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
        self.client()
            .publish_unit(&self.unit, &wire::SignedUnit { document: B64.encode(&bytes), signature })
            .expect("publish");
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        for r in self.running.drain(..) {
            self.rt.block_on(r.stop());
        }
    }
}

fn library() -> screening::Library {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols");
    let sources: Vec<screening::Source> =
        ["adult-roadside/protocol.toml", "observations/checklist.toml", "glossary.toml"]
            .iter()
            .filter_map(|s| {
                std::fs::read_to_string(root.join(s)).ok().map(|text| screening::Source { path: s.to_string(), text })
            })
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

fn one_device(name: &str, storage: &str, replicas: usize, template: &std::path::Path, n: usize) {
    let h = start(storage, replicas);
    let custodian = age::x25519::Identity::generate();
    h.publish(&custodian.to_public().to_string());
    let dir = copy_dir(template);
    let v = Vault::unlock(dir.path(), SECRET, &UnlockPolicy::default(), Utc::now()).expect("unlock");
    sync::device::enroll(&v, &h.url, &h.code(), vec![h.ca.clone()], None, Utc::now()).expect("enroll");
    let t = Instant::now();
    let r = sync::device::sync_once(&v, Utc::now).expect("sync");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!((r.sent, r.pending), (n, 0), "{r:?}");
    benchkit::report(
        &format!("sync: {n} records, one device, TLS loopback ({name})"),
        secs,
        "s",
        Some(benchkit::size(10.0, 60.0)),
        Better::Lower,
        "",
    );
    benchkit::report(
        &format!("sync: one device throughput ({name})"),
        n as f64 / secs,
        "rec/s",
        None,
        Better::Higher,
        "",
    );
}

fn many_devices(name: &str, storage: &str, replicas: usize, devices: usize, per: usize) {
    let h = Arc::new(start(storage, replicas));
    let client = h.client();
    let mut rng = [0u8; 4096];
    let sims: Vec<(KeySigner, Vec<wire::PushItem>)> = (0..devices)
        .map(|_| {
            let k = key(&uuid::Uuid::now_v7().to_string());
            let code = h.code();
            let public_key = k.public_key();
            let proof = B64.encode(k.sign(&wire::enroll_proof_input(&code, &k.id, &public_key)).expect("sign"));
            client
                .enroll(&EnrollRequest { code, device_id: k.id.clone(), officer_id: None, public_key, proof })
                .expect("enroll");
            let items = (0..per)
                .map(|_| {
                    SystemRandom::new().fill(&mut rng).expect("random");
                    let mut env = b"age-encryption.org/v1\n".to_vec();
                    env.extend_from_slice(&rng);
                    wire::PushItem {
                        id: uuid::Uuid::now_v7().to_string(),
                        sha256: wire::sha256_hex(&env),
                        envelope: B64.encode(&env),
                    }
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
    benchkit::report(
        &format!("sync: {devices} devices x {per} records at once ({name})"),
        total / wall,
        "rec/s",
        None,
        Better::Higher,
        "",
    );
    benchkit::report(
        &format!("sync: push latency p50, {devices} devices ({name})"),
        benchkit::median(&lat),
        "ms",
        None,
        Better::Lower,
        "one request of 20, TLS handshake included",
    );
    benchkit::report(
        &format!("sync: push latency p99, {devices} devices ({name})"),
        benchkit::quantile(&lat, 0.99),
        "ms",
        Some(benchkit::size(250.0, 5000.0)),
        Better::Lower,
        "",
    );
}

fn main() {
    let n = benchkit::size(10_000, 20);
    let (devices, per) = benchkit::size((200, 20), (4, 3));
    let mut backends = vec![("sqlite".to_string(), "sqlite:hub.db".to_string(), 1)];
    if let Ok(url) = std::env::var("FIELDSCREEN_PG_URL") {
        if !url.is_empty() {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("FIELDSCREEN_PG_URL is not reachable");
                tokio::spawn(conn);
                // A schema per run: the device copied from the template enrolls afresh in each.
                for replicas in [1, 2] {
                    let q = format!("DROP SCHEMA IF EXISTS bench_{replicas} CASCADE; CREATE SCHEMA bench_{replicas}");
                    c.batch_execute(&q).await.expect("schema");
                }
            });
            let sep = if url.contains('?') { '&' } else { '?' };
            for (name, replicas) in [("postgresql", 1), ("postgresql, 2 replicas", 2)] {
                let storage = format!("{url}{sep}options=-c%20search_path%3Dbench_{replicas}");
                backends.push((name.into(), storage, replicas));
            }
        }
    }
    let t = Instant::now();
    let template = device_with_records(n);
    eprintln!("(setup: {n} sealed records in a vault in {:.1} s)", t.elapsed().as_secs_f64());
    for (name, storage, replicas) in &backends {
        one_device(name, storage, *replicas, template.path(), n);
        many_devices(name, storage, *replicas, devices, per);
    }
}
