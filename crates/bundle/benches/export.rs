//! Export throughput against Debian's `age` CLI encrypting the same bytes on the same machine,
//! as a ratio (goal: at least 0.8 of age's speed). Both start from the data in memory and
//! discard the ciphertext; after one untimed run of each, runs alternate ours and age's, and
//! each side's median counts. `cargo bench -p bundle`; `cargo test -p bundle --bench export`
//! runs it once, small. `EXPORT_BREAKDOWN=1` also times the parts (hashing, signing the
//! manifest) on their own; `EXPORT_PROFILE=N` runs only our export N times, for a profiler.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use benchkit::Better;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bundle::{export, Origin, ProtocolRef, RecordIn, Seal, Signer};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

/// A writer that keeps nothing and counts the bytes.
struct Counted(usize);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn origin(signer: &dyn Signer) -> Origin<'_> {
    Origin { officer_id: "bench", device_id: "bench", signer, created: "2026-11-21T00:00:00Z" }
}

fn quick() -> bool {
    benchkit::smoke()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let q = quick();
    let (n, size, rounds) = if q { (20, 1_000, 1) } else { (1_000, 8_000, 11) };
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    let device = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
    let dk = B64.encode(Signer::public_key(&device));
    let records: Vec<(String, Vec<u8>, String)> = (0..n)
        .map(|i| {
            let id = format!("0190a0b0-0000-7000-8000-{i:012}");
            let body = format!("{{\"id\":\"{id}\",\"pad\":\"{}\"}}", "r".repeat(size)).into_bytes();
            let sig = B64.encode(Signer::sign(&device, &body).expect("sign"));
            (id, body, sig)
        })
        .collect();
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    let inputs = || -> Vec<RecordIn> {
        records
            .iter()
            .map(|(id, body, sig)| RecordIn {
                id: id.clone(),
                body: body.clone(),
                signature: sig.clone(),
                device_key: dk.clone(),
                protocol: ProtocolRef {
                    id: "adult-roadside".into(),
                    version: "1.0.0".into(),
                    content_hash: "ab".repeat(32),
                },
            })
            .collect()
    };
    // Both sides start from bytes in memory and throw the ciphertext away (age writes to
    // /dev/null, ours to a sink that only counts), so neither pays for storing the output.
    let ours = || {
        let input = inputs();
        let start = Instant::now();
        let mut it = input.into_iter().map(Ok);
        let out = export(
            &mut it,
            n,
            &origin(&device),
            Seal::recipients(std::slice::from_ref(&recipient)).expect("recipient"),
            Counted(0),
            &mut |_, _| {},
        )
        .expect("export");
        (start.elapsed(), out.0)
    };
    // The same plaintext bytes our export encrypts (the tar stream, from the same records), for
    // age to encrypt.
    let plain = {
        let id = age::x25519::Identity::generate();
        let r = id.to_public().to_string();
        let mut it = inputs().into_iter().map(Ok);
        let enc = export(&mut it, n, &origin(&device), Seal::recipients(&[r]).expect("r"), Vec::new(), &mut |_, _| {})
            .expect("export");
        let dec = age::Decryptor::new_buffered(std::io::Cursor::new(enc)).expect("age");
        let mut p = Vec::new();
        std::io::Read::read_to_end(
            &mut dec.decrypt(std::iter::once(&id as &dyn age::Identity)).expect("decrypt"),
            &mut p,
        )
        .expect("read");
        p
    };
    let theirs = || {
        let start = Instant::now();
        let mut child = Command::new("age")
            .args(["-e", "-r", &recipient])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("Debian's age is installed by scripts/bootstrap.sh");
        child.stdin.take().expect("stdin").write_all(&plain).expect("write");
        assert!(child.wait().expect("age").success());
        start.elapsed()
    };
    if let Some(k) = std::env::var("EXPORT_PROFILE").ok().and_then(|v| v.parse::<usize>().ok()) {
        let t: Duration = (0..k).map(|_| ours().0).sum();
        println!("  {k} exports: {:.1} ms each", t.as_secs_f64() * 1e3 / k as f64);
        return;
    }
    // One untimed run of each: page cache, allocator, lazy CPU feature detection.
    let _ = (ours(), theirs());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for r in 0..rounds {
        if r % 2 == 0 {
            let (t, len) = ours();
            bytes = len;
            a.push(t);
            b.push(theirs());
        } else {
            b.push(theirs());
            let (t, len) = ours();
            bytes = len;
            a.push(t);
        }
    }
    let (ta, tb) = (median(a), median(b));
    if std::env::var_os("EXPORT_BREAKDOWN").is_some() {
        let time = |what: &str, f: &mut dyn FnMut()| {
            let t = median(
                (0..rounds)
                    .map(|_| {
                        let start = Instant::now();
                        f();
                        start.elapsed()
                    })
                    .collect(),
            );
            println!("  {what}: {:.1} ms", t.as_secs_f64() * 1e3);
        };
        time("sha256 of every record, ring", &mut || {
            for (_, body, _) in &records {
                std::hint::black_box(ring::digest::digest(&ring::digest::SHA256, body));
            }
        });
        time("sha256 of every record, sha2 crate", &mut || {
            for (_, body, _) in &records {
                use sha2::Digest;
                std::hint::black_box(sha2::Sha256::digest(body));
            }
        });
        let manifest = tar::Archive::new(plain.as_slice())
            .entries()
            .expect("tar")
            .map(|e| e.expect("entry"))
            .find(|e| e.path().expect("path").to_str() == Some(bundle::MANIFEST))
            .map(|mut e| {
                let mut v = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut v).expect("read");
                v
            })
            .expect("manifest");
        time(&format!("Ed25519 over the manifest ({} KB)", manifest.len() / 1000), &mut || {
            std::hint::black_box(Signer::sign(&device, &manifest).expect("sign"));
        });
        time("building the inputs (not timed in the export)", &mut || {
            std::hint::black_box(inputs());
        });
    }
    // The age crate alone on the same plaintext: what the container itself costs beyond it.
    let crate_only = median(
        (0..rounds)
            .map(|_| {
                let start = Instant::now();
                let r: age::x25519::Recipient = recipient.parse().expect("r");
                let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).expect("enc");
                let mut w = enc.wrap_output(Counted(0)).expect("wrap");
                w.write_all(&plain).expect("write");
                w.finish().expect("finish");
                start.elapsed()
            })
            .collect(),
    );
    let mbps = |t: Duration| plain.len() as f64 / t.as_secs_f64() / 1e6;
    println!("bundle export benchmark{}", if q { " (smoke: tiny sizes)" } else { "" });
    println!(
        "  {n} records, {:.1} MB plaintext, {:.1} MB bundle, median of {rounds}",
        plain.len() as f64 / 1e6,
        bytes as f64 / 1e6
    );
    println!(
        "  fieldscreen export  {:>8.1} MB/s ({:.1} ms, includes building and signing the container)",
        mbps(ta),
        ta.as_secs_f64() * 1e3
    );
    println!("  age -e (Debian CLI) {:>8.1} MB/s ({:.1} ms, includes process start)", mbps(tb), tb.as_secs_f64() * 1e3);
    println!(
        "  age crate alone     {:>8.1} MB/s ({:.1} ms, same bytes, in process)",
        mbps(crate_only),
        crate_only.as_secs_f64() * 1e3
    );
    benchkit::report(&format!("bundle export throughput ({n} records)"), mbps(ta), "MB/s", None, Better::Higher, "");
    benchkit::report(
        "bundle export / age CLI on the same bytes (speed ratio)",
        tb.as_secs_f64() / ta.as_secs_f64(),
        "x",
        Some(0.8),
        Better::Higher,
        "side by side, alternating, median",
    );
    // Both sides use a second core (ours to hash, age for the process feeding it); when other
    // work keeps the cores busy, the times say more about the machine than about the export.
    let load =
        std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| l.split_whitespace().next().map(str::to_string));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let busy = load.as_deref().and_then(|l| l.parse::<f64>().ok()).is_some_and(|l| l > cores as f64 / 2.0);
    println!(
        "  load average {} on {cores} cores{}",
        load.as_deref().unwrap_or("?"),
        if busy { " (busy: run again when it is quieter)" } else { "" }
    );
}
