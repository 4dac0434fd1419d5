//! Several `fieldscreen-hub serve` replicas on one PostgreSQL behave as one hub (NW-03, NW-04,
//! RL-06): a nonce used at one is refused at the other, an enrollment code works once across all,
//! a revocation takes effect everywhere at once, and record puts are idempotent across replicas.
//! Under faults (a round-robin proxy that refuses, delays, cuts and duplicates traffic, one
//! replica SIGKILLed mid-push and restarted, PostgreSQL itself crashed and restarted once) every
//! record arrives exactly once, no replay is accepted, and `fieldscreen-hub check` finds the
//! store consistent.
//!
//! The fault run uses a PostgreSQL cluster of its own, in a temporary folder, so restarting it
//! disturbs no other test. `FIELDSCREEN_REPLICA_SEEDS` sets the number of seeded runs (default
//! 2; the longer run is `FIELDSCREEN_REPLICA_SEEDS=100`).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sync::device::sync_once;
use sync::wire::{self, EnrollRequest, ItemStatus, PushRequest};
use sync::{HubClient, KeySigner, RequestSigner, SyncError};

use crate::faults::{check_exactly_once, env_count, spawn_hub, wait_up, Proxy, TestHubView};
use crate::support::*;

/// The PostgreSQL URL of the shared test cluster, when the suite has one.
fn shared_pg() -> Option<String> {
    backends().into_iter().find_map(|b| match b {
        Backend::Postgres(url) => Some(url),
        Backend::Sqlite => None,
    })
}

/// A hub in this process on the given storage, signed for by `unit`.
fn replica(storage: &str, unit: &Arc<KeySigner>) -> TestHub {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), storage.to_string(), Some(unit.public_key()), false);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let running = rt.block_on(hub::serve::start(&cfg)).unwrap();
    let url = running.url(false);
    TestHub { rt, running: Some(running), dir, cfg, url, unit: unit.clone() }
}

fn enroll_at(h: &TestHub, key: &KeySigner, code: &str) -> Result<(), SyncError> {
    let public_key = key.public_key();
    let proof = B64.encode(key.sign(&wire::enroll_proof_input(code, &key.id, &public_key)).unwrap());
    let req = EnrollRequest { code: code.into(), device_id: key.id.clone(), officer_id: None, public_key, proof };
    h.client().enroll(&req).map(|_| ())
}

fn listed(h: &TestHub) -> Vec<(i64, String)> {
    h.client().list(h.unit.as_ref(), 0, 1000).unwrap().records.into_iter().map(|m| (m.seq, m.id)).collect()
}

#[test]
fn nw_03_nw_04_two_replicas_on_one_postgresql_act_as_one_hub() {
    let Some(url) = shared_pg() else {
        eprintln!("replica suite skipped: no PostgreSQL (FIELDSCREEN_PG_URL)");
        return;
    };
    let storage = pg_schema_url(&url);
    let unit = Arc::new(new_key("unit"));
    let (a, b) = (replica(&storage, &unit), replica(&storage, &unit));

    // An enrollment code made at one replica works once, at either.
    let code = a.code(MARKER);
    let dev = new_key(&uuid::Uuid::now_v7().to_string());
    enroll_at(&b, &dev, &code).expect("the code made at A enrolls at B");
    for (h, name) in [(&a, "A"), (&b, "B")] {
        let other = new_key(&uuid::Uuid::now_v7().to_string());
        match enroll_at(h, &other, &code) {
            Err(SyncError::Hub { status, .. }) if (400..500).contains(&status) => {}
            other => panic!("a used code enrolled again at {name}: {other:?}"),
        }
    }

    // A nonce used at one replica is refused at the other.
    let body = serde_json::to_vec(&PushRequest { records: vec![item("r-1", &fake_envelope("1"))] }).unwrap();
    let raw = Raw::now(&dev, "POST", "/v1/records", body);
    assert_eq!(raw.send(&a.url).0, 200);
    let (s, kind, _) = raw.refused(&b.url);
    assert_eq!((s, kind.as_str()), (401, "replay"), "a request replayed at the other replica");

    // Record puts are idempotent across replicas: the same id and bytes at the other replica are
    // a duplicate with the original receipt; other bytes under the same id are refused there too.
    let e2 = fake_envelope("2");
    let first = a.client().push(&dev, vec![item("r-2", &e2)]).unwrap().results.remove(0);
    assert_eq!(first.status, ItemStatus::Stored);
    let again = b.client().push(&dev, vec![item("r-2", &e2)]).unwrap().results.remove(0);
    assert_eq!(again.status, ItemStatus::Duplicate);
    assert_eq!(again.receipt, first.receipt, "the other replica gives the original receipt");
    let other = b.client().push(&dev, vec![item("r-2", &fake_envelope("x"))]).unwrap().results.remove(0);
    assert_eq!(other.status, ItemStatus::Conflict);
    assert_eq!(listed(&a), listed(&b), "both replicas list the same records in the same order");
    assert_eq!(listed(&a).len(), 2);

    // A revocation made through one replica holds at the other at once.
    a.revoke(&dev.id, false);
    match b.client().push(&dev, vec![item("r-3", &fake_envelope("3"))]) {
        Err(SyncError::Revoked { wipe: false }) => {}
        other => panic!("B accepted a push from a device revoked at A: {other:?}"),
    }
    assert_eq!(a.record_count(), 2, "nothing was stored after the revocation");
}

/// A hub in this process from a configuration file.
fn serve_file(path: &Path, unit: &Arc<KeySigner>) -> TestHub {
    let cfg = hub::config::Config::read(path).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let running = rt.block_on(hub::serve::start(&cfg)).unwrap();
    let url = running.url(true);
    TestHub { rt, running: Some(running), dir: tempfile::tempdir().unwrap(), cfg, url, unit: unit.clone() }
}

#[test]
fn nw_01_a_replica_made_from_the_first_hub_serves_devices_that_pin_the_unit_ca() {
    let Some(url) = shared_pg() else { return };
    let root = tempfile::tempdir().unwrap();
    let (first, second) = (root.path().join("a"), root.path().join("b"));
    let unit = Arc::new(new_key("unit"));
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let path = hub::config::init(&first, Some(&unit.public_key()), &[], Some(any)).unwrap();
    let e = hub::replica::init_replica(&first, &second, &[], None).unwrap_err().to_string();
    assert!(e.contains("replicas share one PostgreSQL") && e.contains("sqlite:hub.db"), "a SQLite hub: {e}");
    assert!(!second.join("hub.toml").exists(), "nothing written for a refused replica");

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("storage = \"sqlite:hub.db\""), "{text}");
    let text = text.replace("storage = \"sqlite:hub.db\"", &format!("storage = \"{}\"", pg_schema_url(&url)));
    std::fs::write(&path, text).unwrap();
    let replica_path = hub::replica::init_replica(&first, &second, &["replica-b.example".into()], Some(any)).unwrap();
    assert!(
        second.join("tls/hub.key").exists() && !second.join("tls/ca.key").exists(),
        "the CA key stays with the first hub"
    );
    let again = hub::replica::init_replica(&first, &second, &[], None).unwrap_err().to_string();
    assert!(again.contains("already exists"), "{again}");

    let (a, b) = (serve_file(&path, &unit), serve_file(&replica_path, &unit));
    // One pinned CA (the first hub's, which devices got at enrollment) reaches both.
    let pinned = vec![std::fs::read_to_string(first.join("tls/ca.pem")).unwrap()];
    for h in [&a, &b] {
        HubClient::new(&h.url, &pinned).unwrap().probe().unwrap_or_else(|e| panic!("{}: {e}", h.url));
    }
    let dev = a.sim_device(MARKER);
    let pushed = HubClient::new(&b.url, &pinned).unwrap().push(&dev, vec![item("r-1", &fake_envelope("1"))]).unwrap();
    assert_eq!(pushed.results[0].status, ItemStatus::Stored, "a device enrolled at A pushes at B");
    assert_eq!(listed(&a), listed(&b));
    assert_eq!(a.record_count(), 1);
}

/// A PostgreSQL cluster of the test's own, in a temporary folder, that it may crash and restart.
struct PrivateCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// Running as root: PostgreSQL's programs run as the `postgres` user.
    as_postgres: bool,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PrivateCluster {
    /// `None` (skipped) when Debian's PostgreSQL server is not installed, unless
    /// FIELDSCREEN_REQUIRE_PG=1 makes that a failure.
    fn start() -> Option<PrivateCluster> {
        let require = std::env::var("FIELDSCREEN_REQUIRE_PG").is_ok_and(|v| v == "1");
        let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| {
                d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|b| b.join("initdb").exists()).collect()
            })
            .unwrap_or_default();
        bins.sort_by_key(|b| b.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0));
        let Some(bin) = bins.pop() else {
            assert!(!require, "FIELDSCREEN_REQUIRE_PG=1 but no PostgreSQL server under /usr/lib/postgresql (scripts/postgres.sh installs it)");
            eprintln!("replica fault run skipped: no PostgreSQL server installed");
            return None;
        };
        let uid = Command::new("id").arg("-u").output().unwrap();
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        let dir = tempfile::Builder::new().prefix("fieldscreen-pg-").tempdir().unwrap();
        if as_postgres {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(ok.success(), "chown of the private cluster's folder");
        }
        let c = PrivateCluster { dir, bin, port: free_port(), as_postgres };
        c.run("initdb", &["-D", &c.data(), "-U", "fieldscreen", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        c.pg_ctl(&["start"]);
        Some(c)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).stdin(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl(&self, action: &[&str]) {
        let log = self.dir.path().join("log").display().to_string();
        let sock = self.dir.path().display().to_string();
        let opts = format!("-p {} -c listen_addresses=127.0.0.1 -k {sock} -c fsync=off", self.port);
        let data = self.data();
        let mut args = vec!["-D", &data, "-l", &log, "-w", "-t", "30", "-o", &opts];
        args.extend_from_slice(action);
        self.run("pg_ctl", &args);
    }

    /// PostgreSQL killed without a shutdown (`immediate`: recovery from the WAL at start), then
    /// started again.
    fn crash_and_restart(&self) {
        self.pg_ctl(&["restart", "-m", "immediate"]);
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://fieldscreen@127.0.0.1:{}/{db}", self.port)
    }

    fn create_database(&self, name: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (c, conn) = tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            c.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        });
        self.url(name)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
    }
}

/// One replica process: its config file, address and client.
struct Replica {
    path: PathBuf,
    addr: SocketAddr,
    client: HubClient,
}

impl Replica {
    fn new(dir: &Path, name: &str, storage: &str, unit: &KeySigner) -> Replica {
        let here = dir.join(name);
        std::fs::create_dir_all(&here).unwrap();
        let mut cfg = config(&here, storage.to_string(), Some(unit.public_key()), false);
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        cfg.listen = addr;
        let path = here.join("hub.toml");
        std::fs::write(&path, toml::to_string(&cfg).unwrap()).unwrap();
        Replica { path, addr, client: HubClient::new(&format!("http://{addr}"), &[]).unwrap() }
    }

    fn spawn(&self) -> Child {
        let c = spawn_hub(&self.path);
        wait_up(&self.client);
        c
    }
}

/// One seeded run: three devices, two replicas, the proxy in front; replica A is SIGKILLed and
/// restarted and PostgreSQL crashed and restarted while the devices push.
fn replica_run(pg: &PrivateCluster, seed: u64) -> (usize, usize, usize) {
    let what = format!("replica seed {seed}");
    let storage = pg.create_database(&format!("replicas_{seed}_{}", uuid::Uuid::now_v7().simple()));
    let dir = tempfile::tempdir().unwrap();
    let unit = new_key("unit");
    let (ra, rb) = (Replica::new(dir.path(), "a", &storage, &unit), Replica::new(dir.path(), "b", &storage, &unit));
    let mut a = ra.spawn();
    let mut b = rb.spawn();
    publish_unit_with(&rb.client, &unit, &Custodian::new(), 1);

    let proxy = Proxy::round_robin(vec![ra.addr, rb.addr], seed);
    let lib = library();
    let vdirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let vaults: Vec<vault::Vault> = vdirs
        .iter()
        .map(|d| {
            let v = new_vault(d.path());
            let code = {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    let store = hub::store::Store::open(&storage, dir.path(), &Default::default()).await.unwrap();
                    hub::admin::new_code(&store, MARKER, 1, Utc::now()).await.unwrap()
                })
            };
            sync::device::enroll(&v, &format!("http://{}", ra.addr), &code, vec![], None, Utc::now()).unwrap();
            let mut e = v.enrollment().unwrap().unwrap();
            e.hub_url = format!("http://{}", proxy.addr);
            v.set_enrollment(&e, Utc::now()).unwrap();
            v
        })
        .collect();

    // The faults on a clock of their own while the devices push.
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7e11ca);
    let (kill_after, down_for, pg_after) =
        (rng.gen_range(20..300u64), rng.gen_range(50..400u64), rng.gen_range(100..600u64));
    let done = Arc::new(AtomicBool::new(false));
    let restarted = std::thread::scope(|scope| {
        let faults = scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(kill_after));
            // SIGKILL: no shutdown, no flush; only what PostgreSQL committed survives.
            a.kill().unwrap();
            a.wait().unwrap();
            std::thread::sleep(Duration::from_millis(down_for));
            let a = spawn_hub(&ra.path);
            std::thread::sleep(Duration::from_millis(pg_after));
            pg.crash_and_restart();
            std::thread::sleep(Duration::from_millis(200));
            done.store(true, Ordering::Relaxed);
            a
        });
        let mut passes = 0;
        while !done.load(Ordering::Relaxed) || passes < 6 {
            for v in &vaults {
                add_records(v, &lib, rng.gen_range(1..=2));
                let _ = sync_once(v, Utc::now);
            }
            passes += 1;
        }
        faults.join().unwrap()
    });
    a = restarted;
    wait_up(&ra.client);

    // Heal: the proxy keeps its faults; the devices keep syncing until their outboxes drain.
    let t = Instant::now();
    for v in &vaults {
        let mut passes = 0;
        while !v.outbox().unwrap().is_empty() {
            passes += 1;
            assert!(passes <= 300, "{what}: the outbox did not drain in 300 passes");
            match sync_once(v, Utc::now) {
                Ok(_) => {}
                Err(e) if e.is_retryable() || e.kind() == "replay" || e.kind() == "invalid" => {}
                Err(e) => panic!("{what}: {e}"),
            }
        }
    }
    let records: usize = vaults.iter().map(|v| v.records().unwrap().len()).sum();
    for v in &vaults {
        // Listed through each replica: the same records, each once.
        let via_a = TestHubView { client: &ra.client, unit: &unit }.ids(v.device_id());
        let via_b = TestHubView { client: &rb.client, unit: &unit }.ids(v.device_id());
        assert_eq!(via_a, via_b, "{what}: the replicas list the same records");
        check_exactly_once(v, &via_a, &what);
    }
    // The hub's own consistency check, through one replica's configuration, on the shared store.
    let check = Command::new(env!("CARGO_BIN_EXE_fieldscreen-hub"))
        .args(["check", "--config", ra.path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{what}: fieldscreen-hub check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let doubled = proxy.assert_no_replay_accepted(&what);
    let faults = proxy.faults.lock().unwrap().len();
    for c in [&mut a, &mut b] {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    eprintln!(
        "{what}: {records} records from 3 devices, {faults} proxied requests ({doubled} delivered twice), \
         A killed at {kill_after} ms for {down_for} ms, PostgreSQL crashed {pg_after} ms later; healed in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    (records, faults, doubled)
}

#[test]
fn rl_06_nw_04_replicas_under_faults_a_sigkill_and_a_postgresql_crash_lose_and_double_nothing() {
    let Some(pg) = PrivateCluster::start() else { return };
    let seeds = env_count("FIELDSCREEN_REPLICA_SEEDS", 2) as u64;
    let t = Instant::now();
    let (mut records, mut requests, mut doubled) = (0, 0, 0);
    for seed in 0..seeds {
        let (r, f, d) = replica_run(&pg, seed);
        (records, requests, doubled) = (records + r, requests + f, doubled + d);
    }
    eprintln!(
        "replicas: {seeds} seeded runs in {:.1} s: {records} records, {requests} proxied requests, {doubled} delivered twice, \
         none lost, none doubled, no replay accepted",
        t.elapsed().as_secs_f64()
    );
}
