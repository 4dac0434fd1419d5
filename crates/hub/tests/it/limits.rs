//! The listener's limits (NW-08): slow or silent connections are closed on time, TLS and plain
//! HTTP alike, while a real device still syncs; the connection cap, the pause after a failed
//! `accept()` and the drain on shutdown, on the `fieldscreen-hub` process itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use sync::device::sync_once;

use crate::support::*;

fn short(cfg: &mut hub::config::Config) {
    cfg.limits.header_timeout_ms = 800;
    cfg.limits.body_timeout_ms = 1200;
    cfg.limits.idle_timeout_ms = 1500;
    cfg.limits.handshake_timeout_ms = 800;
}

/// A TLS connection to the hub with the handshake done.
fn tls_to(addr: SocketAddr, ca_pem: &str) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn = rustls::ClientConnection::new(Arc::new(cfg), ServerName::try_from("127.0.0.1").unwrap()).unwrap();
    let mut s = rustls::StreamOwned::new(conn, TcpStream::connect(addr).unwrap());
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).unwrap();
    }
    s
}

/// Reads until the hub closes the connection: how long that took and what it sent (panics
/// after `within`).
fn until_closed(s: &mut impl Read, t: Instant, within: Duration, what: &str) -> (Duration, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (t.elapsed(), got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                panic!("{what}: still open after {:?}", t.elapsed())
            }
            Err(_) => return (t.elapsed(), got),
        }
        assert!(t.elapsed() < within, "{what}: still open after {:?}", t.elapsed());
    }
}

#[test]
fn nw_08_silent_and_half_sent_tls_connections_are_closed_on_time_while_a_device_syncs() {
    let h = TestHub::start_cfg(&Backend::Sqlite, true, short);
    let dir = tempfile::tempdir().unwrap();
    let v = new_vault(dir.path());
    enroll(&h, &v);
    publish_unit(&h, &Custodian::new(), 1);
    add_records(&v, &library(), 3);
    let ca = h.ca_pems().remove(0);
    let addr = h.addr();
    let t = Instant::now();
    let mut slow: Vec<_> = (0..30).map(|_| tls_to(addr, &ca)).collect();
    for s in slow.iter_mut().step_by(2) {
        s.write_all(b"POST /v1/records HTTP/1.1\r\nhost: 127.0.0.1\r\n").unwrap();
        s.flush().unwrap();
    }
    let r = sync_once(&v, Utc::now).unwrap();
    let synced = t.elapsed();
    assert_eq!((r.sent, r.pending), (3, 0), "the device syncs while 30 slow connections are open: {r:?}");
    for (i, s) in slow.iter_mut().enumerate() {
        s.sock.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
        let (took, _) = until_closed(s, t, Duration::from_secs(4), &format!("slow TLS connection {i}"));
        assert!(took >= Duration::from_millis(700), "connection {i} closed too early ({took:?})");
        assert!(took > synced, "connection {i} was still open when the sync finished ({synced:?})");
        assert!(
            took < Duration::from_millis(2500),
            "connection {i}: closed after {took:?}, the header timeout is 800 ms"
        );
    }
    assert_eq!(h.record_count(), 3);
}

#[test]
fn nw_08_a_trickled_body_gets_408_and_an_idle_connection_is_closed_on_plain_http_too() {
    let h = TestHub::start_cfg(&Backend::Sqlite, false, short);
    let addr = h.addr();
    // A body announced as 400 bytes, sent one byte every 100 ms (40 s in all).
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let t = Instant::now();
    s.write_all(
        b"POST /v1/enroll HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n",
    )
    .unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..400 {
            if w.write_all(b" ").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let (took, answer) = until_closed(&mut s, t, Duration::from_secs(5), "the trickled body");
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"kind\":\"timeout\"") && answer.contains("body_timeout_ms"), "{answer}");
    assert!(
        took >= Duration::from_millis(1100) && took < Duration::from_millis(3000),
        "closed after {took:?}; the body timeout is 1200 ms"
    );
    writer.join().unwrap();

    // A keep-alive connection after one request: closed once idle.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n").unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let t = Instant::now();
    let (took, _) = until_closed(&mut s, t, Duration::from_secs(5), "an idle keep-alive connection");
    assert!(took < Duration::from_millis(2500), "idle connection closed after {took:?}");

    // A plain connection that never sends anything.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (took, _) = until_closed(&mut s, Instant::now(), Duration::from_secs(5), "a silent plain connection");
    assert!(took < Duration::from_millis(2500), "closed after {took:?}");
    assert_eq!(ureq::get(&format!("{}/health", h.url)).call().unwrap().status(), 200, "the hub still answers");
}

/// `fieldscreen-hub serve` on a plain loopback port with these extra `hub.toml` lines; stderr
/// lines are collected as they come.
struct HubProcess {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl HubProcess {
    fn start(extra: &str, nofile: Option<u64>) -> HubProcess {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("hub.toml");
        std::fs::write(&cfg, format!("listen = \"127.0.0.1:0\"\nstorage = \"sqlite:hub.db\"\n{extra}")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fieldscreen-hub"));
        cmd.args(["serve", "--config", cfg.to_str().unwrap()])
            .env("FIELDSCREEN_HUB_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(n) = nofile {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    let lim = libc::rlimit { rlim_cur: n, rlim_max: n };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let sink = log.clone();
        std::thread::spawn(move || {
            for l in lines.lines().map_while(Result::ok) {
                if let Some(rest) = l.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap().to_string());
                }
                sink.lock().unwrap().push(l);
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(20)).expect("the hub did not start").parse().unwrap();
        HubProcess { child, addr, log, _dir: dir }
    }

    fn lines_with(&self, s: &str) -> usize {
        self.log.lock().unwrap().iter().filter(|l| l.contains(s)).count()
    }

    /// User and system CPU time so far (clock ticks, usually 1/100 s).
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }

    fn health(&self) -> u16 {
        ureq::get(&format!("http://{}/health", self.addr))
            .timeout(Duration::from_secs(10))
            .call()
            .map(|r| r.status())
            .unwrap_or(0)
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn nw_08_the_connection_cap_is_logged_once_and_shutdown_drains() {
    let p =
        HubProcess::start("[limits]\nmax_connections = 3\nheader_timeout_ms = 1000\nidle_timeout_ms = 1000\n", None);
    let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(p.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    assert_eq!(p.health(), 200, "a fourth connection is served once a slot frees");
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(500), "it waited for a slot ({waited:?})");
    assert_eq!(
        p.lines_with("connection limit reached"),
        1,
        "one log line when the cap is reached: {:?}",
        p.log.lock().unwrap()
    );
    drop(held);
    // An idle keep-alive connection does not hold up shutdown.
    let mut idle = TcpStream::connect(p.addr).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
    let mut buf = [0u8; 512];
    assert!(idle.read(&mut buf).unwrap() > 0);
    let mut p = p;
    let t = Instant::now();
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGINT) };
    let status = p.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "the drain closed the idle connection at once ({:?})",
        t.elapsed()
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(p.lines_with("hub stopped"), 1);
}

/// `systemctl stop` sends SIGTERM: the hub drains and exits cleanly, as on Ctrl-C.
#[test]
fn sigterm_drains_the_hub_and_it_exits_cleanly() {
    let mut p = HubProcess::start("", None);
    assert_eq!(p.health(), 200);
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGTERM) };
    let status = p.child.wait().unwrap();
    assert!(status.success(), "SIGTERM: {status:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(p.lines_with("hub stopped"), 1, "{:?}", p.log.lock().unwrap());
}

#[test]
fn nw_08_running_out_of_file_descriptors_does_not_spin() {
    let p = HubProcess::start(
        "[limits]\nmax_connections = 1000\nheader_timeout_ms = 4000\nidle_timeout_ms = 4000\n",
        Some(48),
    );
    let held: Vec<TcpStream> = (0..80).map(|_| TcpStream::connect(p.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let (c0, t0) = (p.cpu_ticks(), Instant::now());
    std::thread::sleep(Duration::from_millis(2000));
    let ticks = p.cpu_ticks() - c0;
    let failures = p.lines_with("accept failed");
    assert!(failures >= 1, "the descriptor limit was reached: {:?}", p.log.lock().unwrap().last());
    assert!(failures < 40, "{failures} accept failures logged: it retries without pausing");
    assert!(ticks < 40, "{ticks} CPU ticks in {:?} while out of descriptors: it spins", t0.elapsed());
    drop(held);
    assert_eq!(p.health(), 200, "it serves again once descriptors free up");
}
