//! Sync under faults, seeded and repeatable (RL-06, NW-04, NW-05): a proxy between device and
//! hub that refuses, delays, duplicates and cuts requests and answers mid-body, and a hub that
//! is SIGKILLed and restarted during pushes. After healing, every record acknowledged on the
//! device is on the hub exactly once and nothing marked synced is missing.
//!
//! `FIELDSCREEN_FAULT_RUNS` sets the number of seeded proxy runs (default 50);
//! `FIELDSCREEN_HUB_KILLS` the number of hub kills (default 6).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sync::device::sync_once;
use sync::HubClient;

use crate::support::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Fault {
    Pass,
    /// Close the connection before anything reaches the hub.
    Refuse,
    Delay(u64),
    /// Send part of the request body to the hub, then cut both sides.
    CutRequest,
    /// The hub commits and answers; the answer is lost.
    DropAnswer,
    /// Half of the answer reaches the device.
    CutAnswer,
    /// The request reaches the hub twice (a duplicated packet); the first answer is returned.
    Duplicate,
}

fn pick(rng: &mut StdRng) -> Fault {
    match rng.gen_range(0..100) {
        0..=39 => Fault::Pass,
        40..=49 => Fault::Refuse,
        50..=59 => Fault::Delay(rng.gen_range(1..150)),
        60..=69 => Fault::CutRequest,
        70..=81 => Fault::DropAnswer,
        82..=89 => Fault::CutAnswer,
        _ => Fault::Duplicate,
    }
}

/// A one-request-per-connection HTTP proxy with seeded faults, in front of one hub or, round
/// robin, several replicas.
pub(crate) struct Proxy {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub faults: Arc<Mutex<Vec<Fault>>>,
    /// Each duplicated request's line and the statuses of its two deliveries (0: no answer).
    pub second_deliveries: Arc<Mutex<Vec<(String, u16, u16)>>>,
}

fn read_request(s: &mut TcpStream) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    // One request per connection: ask the hub to close after answering.
    let head: String = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:") && !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect();
    Some((format!("{head}connection: close\r\n\r\n").into_bytes(), buf[head_end..head_end + len].to_vec()))
}

fn forward(upstream: SocketAddr, head: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    let mut u = TcpStream::connect(upstream).ok()?;
    u.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    u.write_all(head).ok()?;
    u.write_all(body).ok()?;
    let mut answer = Vec::new();
    u.read_to_end(&mut answer).ok()?;
    Some(answer)
}

/// The status code of an HTTP answer, 0 when there is none.
fn status_of(answer: &[u8]) -> u16 {
    std::str::from_utf8(answer.get(9..12).unwrap_or_default()).ok().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn handle(mut c: TcpStream, upstream: SocketAddr, fault: Fault, second: &Mutex<Vec<(String, u16, u16)>>) {
    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
    let Some((head, body)) = read_request(&mut c) else { return };
    match fault {
        Fault::Refuse => {}
        Fault::CutRequest => {
            if let Ok(mut u) = TcpStream::connect(upstream) {
                let _ = u.write_all(&head);
                let _ = u.write_all(&body[..body.len() / 2]);
                let _ = u.shutdown(Shutdown::Both);
            }
        }
        Fault::DropAnswer => {
            let _ = forward(upstream, &head, &body);
        }
        Fault::CutAnswer => {
            if let Some(a) = forward(upstream, &head, &body) {
                let _ = c.write_all(&a[..a.len() / 2]);
            }
        }
        Fault::Duplicate => {
            let first = forward(upstream, &head, &body);
            let again = forward(upstream, &head, &body);
            let line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
            let statuses = (first.as_deref().map_or(0, status_of), again.as_deref().map_or(0, status_of));
            second.lock().unwrap().push((line, statuses.0, statuses.1));
            if let Some(a) = first {
                let _ = c.write_all(&a);
            }
        }
        Fault::Pass | Fault::Delay(_) => {
            if let Fault::Delay(ms) = fault {
                std::thread::sleep(Duration::from_millis(ms));
            }
            if let Some(a) = forward(upstream, &head, &body) {
                let _ = c.write_all(&a);
            }
        }
    }
    let _ = c.shutdown(Shutdown::Both);
}

impl Proxy {
    pub fn start(upstream: SocketAddr, seed: u64) -> Proxy {
        Proxy::round_robin(vec![upstream], seed)
    }

    /// Each new connection goes to the next upstream in turn.
    pub fn round_robin(upstreams: Vec<SocketAddr>, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let faults = Arc::new(Mutex::new(Vec::new()));
        let second_deliveries = Arc::new(Mutex::new(Vec::new()));
        let (s, f, d) = (stop.clone(), faults.clone(), second_deliveries.clone());
        std::thread::spawn(move || {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut n = 0;
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((c, _)) => {
                        let _ = c.set_nonblocking(false);
                        let fault = pick(&mut rng);
                        f.lock().unwrap().push(fault);
                        let (upstream, d) = (upstreams[n % upstreams.len()], d.clone());
                        n += 1;
                        std::thread::spawn(move || handle(c, upstream, fault, &d));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Proxy { addr, stop, faults, second_deliveries }
    }
}

impl Proxy {
    /// NW-03: a signed request delivered twice is never carried out twice: at most one of the
    /// two deliveries succeeds (the first may have failed before the hub committed it, when a
    /// replica was killed or the database was down). Only the unsigned probes may succeed twice.
    pub fn assert_no_replay_accepted(&self, what: &str) -> usize {
        let seconds = self.second_deliveries.lock().unwrap();
        let ok = |s: &u16| (200..300).contains(s);
        for (line, first, again) in seconds.iter() {
            if ["/health", "/healthz", "/readyz"].contains(&line.split(' ').nth(1).unwrap_or_default()) {
                continue;
            }
            assert!(
                !(ok(first) && ok(again)),
                "{what}: `{line}` delivered twice was carried out twice ({first}, {again})"
            );
        }
        seconds.len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub(crate) fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The hub's records for a device, with how often each id appears.
fn hub_ids(client: &HubClient, h: &TestHub, device: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = client.list(h.unit.as_ref(), after, 1000).unwrap().records;
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(page.into_iter().filter(|m| m.device_id == device).map(|m| m.id));
    }
    out
}

/// Checks the set workload after healing: lost = acked - hub = {}; no duplicates; every
/// record marked synced on the device is on the hub.
pub(crate) fn check_exactly_once(v: &vault::Vault, on_hub: &[String], what: &str) {
    let acked: BTreeSet<String> = v.records().unwrap().into_iter().map(|r| r.id).collect();
    let synced: BTreeSet<String> = v.records().unwrap().into_iter().filter(|r| r.synced).map(|r| r.id).collect();
    let hub: BTreeSet<String> = on_hub.iter().cloned().collect();
    assert_eq!(hub.len(), on_hub.len(), "{what}: duplicates on the hub");
    let lost: Vec<_> = acked.difference(&hub).collect();
    assert!(lost.is_empty(), "{what}: acknowledged on the device but not on the hub: {lost:?}");
    let missing: Vec<_> = synced.difference(&hub).collect();
    assert!(missing.is_empty(), "{what}: marked synced but missing on the hub: {missing:?}");
    assert_eq!(hub, acked, "{what}: the hub holds exactly what the device sealed");
    assert!(v.outbox().unwrap().is_empty(), "{what}: the outbox drained");
}

#[test]
fn rl_06_nw_04_seeded_proxy_faults_lose_and_double_nothing() {
    let runs = env_count("FIELDSCREEN_FAULT_RUNS", 50);
    for b in backends() {
        let h = TestHub::start(&b);
        let dir = tempfile::tempdir().unwrap();
        let v = new_vault(dir.path());
        enroll(&h, &v);
        publish_unit(&h, &Custodian::new(), 1);
        let lib = library();
        let direct = h.client();
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        let mut already = 0;
        let t = Instant::now();
        for seed in 0..runs as u64 {
            let proxy = Proxy::start(h.addr(), seed);
            let mut e = v.enrollment().unwrap().unwrap();
            e.hub_url = format!("http://{}", proxy.addr);
            v.set_enrollment(&e, Utc::now()).unwrap();
            let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
            add_records(&v, &lib, rng.gen_range(1..=4));
            let mut passes = 0;
            while !v.outbox().unwrap().is_empty() {
                passes += 1;
                assert!(passes <= 200, "{} seed {seed}: the outbox did not drain in 200 passes", b.name());
                match sync_once(&v, Utc::now) {
                    Ok(r) => already += r.already,
                    Err(e) if e.is_retryable() || e.kind() == "replay" || e.kind() == "invalid" => {}
                    Err(e) => panic!("{} seed {seed}: {e}", b.name()),
                }
            }
            proxy.assert_no_replay_accepted(&format!("{} seed {seed}", b.name()));
            for f in proxy.faults.lock().unwrap().iter() {
                *seen.entry(format!("{f:?}").split('(').next().unwrap().to_string()).or_default() += 1;
            }
            check_exactly_once(&v, &hub_ids(&direct, &h, v.device_id()), &format!("{} seed {seed}", b.name()));
        }
        for f in ["Pass", "Refuse", "Delay", "CutRequest", "DropAnswer", "CutAnswer", "Duplicate"] {
            assert!(
                seen.get(f).copied().unwrap_or(0) > 0,
                "{}: fault {f} never happened in {runs} runs: {seen:?}",
                b.name()
            );
        }
        if runs >= 20 {
            assert!(already > 0, "{}: NW-04: no record was ever acknowledged again after a lost answer", b.name());
        }
        eprintln!("{}: {runs} seeded fault runs in {:.1} s, {already} records acknowledged again after a lost answer, faults {seen:?}", b.name(), t.elapsed().as_secs_f64());
    }
}

pub(crate) fn spawn_hub(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_fieldscreen-hub"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("FIELDSCREEN_HUB_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub(crate) fn wait_up(client: &HubClient) {
    let t = Instant::now();
    while client.probe().is_err() {
        assert!(t.elapsed() < Duration::from_secs(20), "the hub did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn nw_05_rl_06_a_hub_killed_with_sigkill_during_pushes_loses_nothing_it_acknowledged() {
    let kills = env_count("FIELDSCREEN_HUB_KILLS", 6);
    for b in backends() {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let unit = new_key("unit");
        let mut cfg = config(dir.path(), storage_url(&b), Some(unit.public_key()), false);
        cfg.listen = format!("127.0.0.1:{port}").parse().unwrap();
        let path = dir.path().join("hub.toml");
        std::fs::write(&path, toml::to_string(&cfg).unwrap()).unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let client = HubClient::new(&url, &[]).unwrap();
        let mut child = spawn_hub(&path);
        wait_up(&client);
        let vdir = tempfile::tempdir().unwrap();
        let v = new_vault(vdir.path());
        let code = {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let store = hub::store::Store::open(&cfg.storage, dir.path(), &cfg.postgres).await.unwrap();
                hub::admin::new_code(&store, MARKER, 1, Utc::now()).await.unwrap()
            })
        };
        sync::device::enroll(&v, &url, &code, vec![], None, Utc::now()).unwrap();
        let c = Custodian::new();
        {
            let doc = sync::wire::UnitDocument {
                format: sync::wire::UNIT_FORMAT.into(),
                unit: "u".into(),
                serial: 1,
                published: Utc::now().to_rfc3339(),
                recipients: vec![c.recipient()],
                files: Default::default(),
            };
            use base64::Engine;
            use sync::RequestSigner;
            let bytes = serde_json::to_vec(&doc).unwrap();
            let sig = base64::engine::general_purpose::STANDARD.encode(unit.sign(&bytes).unwrap());
            client
                .publish_unit(
                    &unit,
                    &sync::wire::SignedUnit {
                        document: base64::engine::general_purpose::STANDARD.encode(&bytes),
                        signature: sig,
                    },
                )
                .unwrap();
        }
        let lib = library();
        let mut rng = StdRng::seed_from_u64(42);
        let done = Arc::new(AtomicBool::new(false));
        let passes = Arc::new(AtomicUsize::new(0));
        let killer = {
            let (done, path) = (done.clone(), path.clone());
            let delays: Vec<u64> = (0..kills).map(|_| rng.gen_range(20..250)).collect();
            std::thread::spawn(move || {
                for d in delays {
                    std::thread::sleep(Duration::from_millis(d));
                    // SIGKILL: no shutdown, no flush; only what was committed survives.
                    child.kill().unwrap();
                    child.wait().unwrap();
                    child = spawn_hub(&path);
                    std::thread::sleep(Duration::from_millis(50));
                }
                done.store(true, Ordering::Relaxed);
                child
            })
        };
        while !done.load(Ordering::Relaxed) {
            add_records(&v, &lib, 3);
            passes.fetch_add(1, Ordering::Relaxed);
            let _ = sync_once(&v, Utc::now);
        }
        let mut child = killer.join().unwrap();
        wait_up(&client);
        for _ in 0..50 {
            if v.outbox().unwrap().is_empty() {
                break;
            }
            let _ = sync_once(&v, Utc::now);
        }
        let h = TestHubView { client: &client, unit: &unit };
        check_exactly_once(&v, &h.ids(v.device_id()), &format!("{} after {kills} hub kills", b.name()));
        assert!(v.records().unwrap().len() >= 3 * kills.min(1), "records were written during the kills");
        child.kill().unwrap();
        child.wait().unwrap();
        eprintln!(
            "{}: {kills} SIGKILLs, {} records, {} device passes",
            b.name(),
            v.records().unwrap().len(),
            passes.load(Ordering::Relaxed)
        );
    }
}

/// The custodian's view of a hub running in another process.
pub(crate) struct TestHubView<'a> {
    pub client: &'a HubClient,
    pub unit: &'a sync::KeySigner,
}

impl TestHubView<'_> {
    pub fn ids(&self, device: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let page = self.client.list(self.unit, after, 1000).unwrap().records;
            let Some(last) = page.last() else { break };
            after = last.seq;
            out.extend(page.into_iter().filter(|m| m.device_id == device).map(|m| m.id));
        }
        out
    }
}
