//! The device side against a real hub running in this process (SQLite, loopback HTTP), reached
//! through a TCP proxy that can hang or refuse: a pass called off while the hub hangs loses and
//! doubles nothing; a wipe report lost to the network is retried until the hub acknowledges it;
//! an enrollment whose answer is lost completes when the device asks again.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::Utc;
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use sync::device::{self, sync_once, sync_pass};
use sync::{wire, KeySigner, RequestSigner, SyncError};
use vault::{CreateOptions, UnlockPolicy, Vault};

const SECRET: &str = "river lantern copper";

// ---- a hub in this process --------------------------------------------------------------------

struct Hub {
    rt: tokio::runtime::Runtime,
    running: Option<hub::serve::Running>,
    _dir: tempfile::TempDir,
    unit: KeySigner,
}

impl Hub {
    fn start() -> Hub {
        let dir = tempfile::tempdir().unwrap();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let unit = KeySigner::from_pkcs8_base64(wire::UNIT_SIGNER, &B64.encode(pkcs8.as_ref())).unwrap();
        let cfg = hub::config::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            storage: "sqlite:hub.db".into(),
            unit_key: Some(unit.public_key()),
            max_body: 4 << 20,
            code_ttl_hours: 24,
            keep_officer_id: false,
            limits: Default::default(),
            enroll_limits: Default::default(),
            postgres: Default::default(),
            metrics: Default::default(),
            tls: None,
            base: dir.path().to_path_buf(),
        };
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let running = rt.block_on(hub::serve::start(&cfg)).unwrap();
        Hub { rt, running: Some(running), _dir: dir, unit }
    }

    fn addr(&self) -> SocketAddr {
        self.running.as_ref().unwrap().addr
    }

    fn store(&self) -> &hub::store::Store {
        &self.running.as_ref().unwrap().hub.store
    }

    fn code(&self) -> String {
        self.rt.block_on(hub::admin::new_code(self.store(), None, 24, Utc::now())).unwrap()
    }

    fn device(&self, id: &str) -> wire::DeviceInfo {
        self.rt.block_on(self.store().devices()).unwrap().into_iter().find(|d| d.device_id == id).unwrap()
    }

    /// Every record id the hub holds, in arrival order (a record twice would show twice).
    fn record_ids(&self) -> Vec<String> {
        let client = sync::HubClient::new(&format!("http://{}", self.addr()), &[]).unwrap();
        client.list(&self.unit, 0, 1000).unwrap().records.into_iter().map(|m| m.id).collect()
    }

    /// A unit configuration naming one custodian, so that devices can seal.
    fn publish_unit(&self) {
        let recipient = age::x25519::Identity::generate().to_public().to_string();
        let doc = wire::UnitDocument {
            format: wire::UNIT_FORMAT.into(),
            unit: "test unit".into(),
            serial: 1,
            published: Utc::now().to_rfc3339(),
            recipients: vec![recipient],
            files: Default::default(),
        };
        let bytes = serde_json::to_vec(&doc).unwrap();
        let signature = B64.encode(self.unit.sign(&bytes).unwrap());
        let client = sync::HubClient::new(&format!("http://{}", self.addr()), &[]).unwrap();
        client.publish_unit(&self.unit, &wire::SignedUnit { document: B64.encode(&bytes), signature }).unwrap();
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop());
        }
    }
}

// ---- the network between device and hub ------------------------------------------------------

const FORWARD: u8 = 0;
/// New connections are accepted and then never answered nor forwarded.
const HANG: u8 = 1;
/// New connections are closed at once: the hub is unreachable.
const REFUSE: u8 = 2;
/// Requests reach the hub, but nothing comes back once a push was sent on a connection: the
/// hub stored the records and its answer is lost.
const MUTE_PUSH: u8 = 3;
/// An enrollment reaches the hub, and the connection is cut as its answer starts back: the hub
/// registered the device, the device never heard so.
const CUT_ENROLL: u8 = 4;

struct Proxy {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
}

impl Proxy {
    fn to(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(FORWARD));
        let m = mode.clone();
        let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                match m.load(Ordering::SeqCst) {
                    HANG => held.lock().unwrap().push(conn),
                    REFUSE => drop(conn),
                    mode => {
                        let Ok(up) = TcpStream::connect(target) else { continue };
                        let (trigger, cut): (Option<&'static [u8]>, bool) = match mode {
                            MUTE_PUSH => (Some(b"POST /v1/records"), false),
                            CUT_ENROLL => (Some(b"POST /v1/enroll"), true),
                            _ => (None, false),
                        };
                        pipe(conn, up, trigger, cut);
                    }
                }
            }
        });
        Proxy { addr, mode }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

/// Forwards both ways; once a request starting with `trigger` went up, the answer is dropped
/// (or, with `cut`, the connection is closed as it starts back).
fn pipe(down: TcpStream, up: TcpStream, trigger: Option<&'static [u8]>, cut: bool) {
    let muted = Arc::new(AtomicBool::new(false));
    let (mut d_read, mut u_write) = (down.try_clone().unwrap(), up.try_clone().unwrap());
    let m = muted.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 << 10];
        while let Ok(n) = d_read.read(&mut buf) {
            if n == 0 {
                break;
            }
            if trigger.is_some_and(|t| buf[..n].windows(t.len()).any(|w| w == t)) {
                m.store(true, Ordering::SeqCst);
            }
            if u_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    let (mut u_read, mut d_write) = (up, down);
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 << 10];
        while let Ok(n) = u_read.read(&mut buf) {
            if n == 0 {
                break;
            }
            if muted.load(Ordering::SeqCst) {
                if cut {
                    let _ = d_write.shutdown(std::net::Shutdown::Both);
                    break;
                }
                continue;
            }
            if d_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
}

// ---- a device ---------------------------------------------------------------------------------

fn library() -> screening::Library {
    let mut sources = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../screening-protocols");
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "toml") {
                sources.push(screening::Source {
                    path: p.display().to_string(),
                    text: std::fs::read_to_string(&p).unwrap(),
                });
            }
        }
    }
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    screening::load(&sources).unwrap_or_else(|p| panic!("the shipped library: {p:?}"))
}

/// A device vault enrolled with the hub through `url`, with `n` sealed records queued.
fn device(dir: &Path, hub: &Hub, url: &str, n: usize) -> (Vault, Vec<String>) {
    let opts = CreateOptions { officer_id: "B-7", recovery_recipient: None, iterations: vault::MIN_ITERATIONS };
    let v = Vault::create(dir, SECRET, &opts, &UnlockPolicy::default(), Utc::now()).unwrap();
    device::enroll(&v, url, &hub.code(), vec![], None, Utc::now()).unwrap();
    let lib = library();
    let p = Arc::new(lib.protocol("adult-roadside").unwrap().clone());
    let ids = (0..n)
        .map(|_| {
            let d = v.create_draft(&p, "en", None, Utc::now()).unwrap();
            v.append(&d, &p, &screening::Event::Stop, Utc::now()).unwrap();
            v.finalize(&d, &p, None, Utc::now()).unwrap()
        })
        .collect();
    (v, ids)
}

/// Runs a pass and sets its cancel flag `after`: (the outcome, how long the pass took after the
/// flag was set).
fn pass_called_off(v: &Vault, after: Duration) -> (Result<device::Report, SyncError>, Duration) {
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    let set_at = Arc::new(Mutex::new(None));
    let s = set_at.clone();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        *s.lock().unwrap() = Some(Instant::now());
        c.store(true, Ordering::SeqCst);
    });
    let outcome = sync_pass(v, cancel, Utc::now);
    let ended = Instant::now();
    let set = set_at.lock().unwrap().expect("the pass ended before it was called off");
    (outcome, ended.saturating_duration_since(set))
}

/// Well under the client's 3 s probe and 30 s request timeouts.
const BOUND: Duration = Duration::from_millis(500);

#[test]
fn nw_04_a_pass_against_a_hung_hub_is_called_off_at_once_and_loses_and_doubles_nothing() {
    let hub = Hub::start();
    let proxy = Proxy::to(hub.addr());
    let dir = tempfile::tempdir().unwrap();
    let (v, ids) = device(dir.path(), &hub, &proxy.url(), 3);
    hub.publish_unit();

    // The hub takes the connection and never answers: the pass is called off within the bound.
    proxy.set(HANG);
    let (outcome, late) = pass_called_off(&v, Duration::from_millis(300));
    assert!(matches!(outcome, Err(SyncError::Cancelled)), "{outcome:?}");
    assert!(late < BOUND, "the pass ended {late:?} after it was called off");
    assert_eq!(v.outbox().unwrap().len(), 3, "nothing lost: every record stays queued");
    assert!(hub.record_ids().is_empty());

    // Worse: the hub stores the push, and its answer never comes back.
    proxy.set(MUTE_PUSH);
    let (outcome, late) = pass_called_off(&v, Duration::from_millis(1500));
    assert!(matches!(outcome, Err(SyncError::Cancelled)), "{outcome:?}");
    assert!(late < BOUND, "the pass ended {late:?} after it was called off");
    assert_eq!(v.outbox().unwrap().len(), 3, "no receipt came back: still queued");
    assert_eq!(hub.record_ids().len(), 3, "the hub stored the push whose answer was lost");
    let envelopes: Vec<_> = ids.iter().map(|id| v.sync_envelope(id).unwrap().expect("kept")).collect();

    // The network comes back: the same bytes go again and the hub answers with its receipts.
    proxy.set(FORWARD);
    let r = sync_once(&v, Utc::now).unwrap();
    assert_eq!((r.sent, r.already, r.pending), (0, 3, 0), "{r:?}");
    assert!(v.records().unwrap().iter().all(|s| s.synced && !s.queued));
    let mut on_hub = hub.record_ids();
    on_hub.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(on_hub, want, "every record exactly once");
    assert_eq!(envelopes.len(), 3);
}

#[test]
fn nw_06_a_wipe_report_lost_to_the_network_is_retried_until_the_hub_acknowledges_it() {
    let hub = Hub::start();
    let proxy = Proxy::to(hub.addr());
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = device(dir.path(), &hub, &proxy.url(), 1);
    let device_id = v.device_id().to_string();
    hub.rt.block_on(hub.store().revoke(&device_id, true, &hub::stamp(Utc::now()))).unwrap();
    let wipe = match sync_once(&v, Utc::now) {
        Err(SyncError::Revoked { wipe }) => wipe,
        other => panic!("{other:?}"),
    };

    // The report is lost: the hub cannot be reached right after the wipe.
    proxy.set(REFUSE);
    let r = device::carry_out_revocation(v, wipe, Utc::now()).unwrap();
    assert!(r.wiped && !r.reported, "{r:?}");
    assert!(dir.path().join("WIPED").exists());
    let marker = dir.path().join(device::WIPE_REPORT_FILE);
    let kept = std::fs::read(&marker).expect("the report waits beside the wiped vault");
    let text = String::from_utf8_lossy(&kept);
    assert!(!text.contains("B-7"), "the marker names no officer");
    assert!(text.contains(&device_id));
    assert!(hub.device(&device_id).wipe_reported_at.is_none());
    assert_eq!(device::retry_wipe_report(dir.path(), Utc::now()).unwrap(), Some(false), "still unreachable");
    assert!(marker.exists());

    // The next pass or start retries it; the hub acknowledges, and the marker goes.
    proxy.set(FORWARD);
    assert_eq!(device::retry_wipe_report(dir.path(), Utc::now()).unwrap(), Some(true));
    assert!(!marker.exists());
    assert!(hub.device(&device_id).wipe_reported_at.is_some());
    assert_eq!(device::retry_wipe_report(dir.path(), Utc::now()).unwrap(), None, "nothing left to send");

    // An answer lost after the hub recorded it: the hub knows the very report (its nonce), and
    // that is an acknowledgement too.
    std::fs::write(&marker, &kept).unwrap();
    assert_eq!(device::retry_wipe_report(dir.path(), Utc::now()).unwrap(), Some(true));
    assert!(!marker.exists());

    // Days later another signed report is sent (the hub takes a time within minutes of its
    // clock; the one for now is chosen); past the last one the marker is given up, saying so.
    std::fs::write(&marker, &kept).unwrap();
    let later = Utc::now() + chrono::Duration::days(3);
    assert_eq!(device::retry_wipe_report(dir.path(), later).unwrap(), Some(false), "the hub's clock says now");
    assert!(marker.exists());
    let e = device::retry_wipe_report(dir.path(), Utc::now() + chrono::Duration::days(device::WIPE_REPORT_DAYS + 1))
        .unwrap_err();
    assert!(e.to_string().contains("can no longer be sent"), "{e}");
    assert!(!marker.exists());
}

#[test]
fn nw_07_an_enrollment_whose_answer_is_lost_completes_when_the_device_asks_again() {
    let hub = Hub::start();
    hub.publish_unit();
    let proxy = Proxy::to(hub.addr());
    let dir = tempfile::tempdir().unwrap();
    let opts = CreateOptions { officer_id: "B-7", recovery_recipient: None, iterations: vault::MIN_ITERATIONS };
    let v = Vault::create(dir.path(), SECRET, &opts, &UnlockPolicy::default(), Utc::now()).unwrap();
    let code = hub.code();

    proxy.set(CUT_ENROLL);
    let lost = device::enroll(&v, &proxy.url(), &code, vec![], None, Utc::now());
    assert!(lost.is_err(), "the answer was cut: {lost:?}");
    assert!(v.enrollment().unwrap().is_none(), "nothing is kept without the hub's answer");
    assert_eq!(hub.device(v.device_id()).device_id, v.device_id(), "the hub registered the device");

    // The officer tries again with the same code: the hub answers yes again, once.
    proxy.set(FORWARD);
    let again = device::enroll(&v, &proxy.url(), &code, vec![], None, Utc::now()).unwrap();
    assert_eq!(again.device_id, v.device_id());
    assert!(v.enrollment().unwrap().is_some());
    let devices = hub.rt.block_on(hub.store().devices()).unwrap();
    assert_eq!(devices.iter().filter(|d| d.device_id == v.device_id()).count(), 1);

    // And the device syncs like any other.
    let lib = library();
    let p = Arc::new(lib.protocol("adult-roadside").unwrap().clone());
    let d = v.create_draft(&p, "en", None, Utc::now()).unwrap();
    v.append(&d, &p, &screening::Event::Stop, Utc::now()).unwrap();
    let id = v.finalize(&d, &p, None, Utc::now()).unwrap();
    sync_once(&v, Utc::now).unwrap();
    assert_eq!(hub.record_ids(), vec![id]);
}
