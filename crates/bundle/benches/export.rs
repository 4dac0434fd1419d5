//! Export throughput against Debian's `age` CLI encrypting the same bytes on the same machine,
//! as a ratio (goal: at least 0.8 of age's speed). Runs alternate ours and age's, median of
//! rounds. `cargo bench -p bundle`; `cargo test -p bundle --bench export` runs it once, small.
//! `EXPORT_BREAKDOWN=1` also times the parts (tar, hashing, copies) on their own.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bundle::{export, ProtocolRef, RecordIn, Seal, Signer};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let q = quick();
    let (n, size, rounds) = if q { (20, 1_000, 1) } else { (1_000, 8_000, 7) };
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
    let ours = || {
        let start = Instant::now();
        let mut it = records.iter().map(|(id, body, sig)| {
            Ok(RecordIn {
                id: id.clone(),
                body: body.clone(),
                signature: sig.clone(),
                device_key: dk.clone(),
                protocol: ProtocolRef { id: "adult-roadside".into(), version: "1.0.0".into(), content_hash: "ab".repeat(32) },
            })
        });
        let out = export(&mut it, n, ("bench", "bench"), &device, Seal::recipients(std::slice::from_ref(&recipient)).expect("recipient"), "2026-11-21T00:00:00Z", Vec::with_capacity(n * (size + 1024)), &mut |_, _| {})
            .expect("export");
        (start.elapsed(), out.len())
    };
    // The same plaintext bytes our export encrypts (the tar stream), for age to encrypt.
    let plain = {
        let mut it = records.iter().map(|(id, body, sig)| {
            Ok(RecordIn { id: id.clone(), body: body.clone(), signature: sig.clone(), device_key: dk.clone(), protocol: ProtocolRef { id: "p".into(), version: "1.0.0".into(), content_hash: String::new() } })
        });
        let id = age::x25519::Identity::generate();
        let r = id.to_public().to_string();
        let enc = export(&mut it, n, ("bench", "bench"), &device, Seal::recipients(&[r]).expect("r"), "2026-11-21T00:00:00Z", Vec::new(), &mut |_, _| {}).expect("export");
        let dec = age::Decryptor::new_buffered(std::io::Cursor::new(enc)).expect("age");
        let mut p = Vec::new();
        std::io::Read::read_to_end(&mut dec.decrypt(std::iter::once(&id as &dyn age::Identity)).expect("decrypt"), &mut p).expect("read");
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
        let t = Instant::now();
        let mut tb2 = tar::Builder::new(Vec::with_capacity(plain.len()));
        for (id, body, _) in &records {
            let mut h = tar::Header::new_ustar();
            h.set_size(body.len() as u64);
            h.set_mode(0o600);
            tb2.append_data(&mut h, format!("records/{id}.json"), body.as_slice()).expect("tar");
        }
        let _ = tb2.into_inner();
        println!("  tar only: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        for (_, body, _) in &records {
            std::hint::black_box(ring::digest::digest(&ring::digest::SHA256, body));
        }
        println!("  sha256 only: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        for (_, body, _) in &records {
            use sha2::Digest;
            std::hint::black_box(sha2::Sha256::digest(body));
        }
        println!("  sha2 crate only: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        for (_, body, sig) in &records {
            std::hint::black_box((body.clone(), sig.clone(), dk.clone()));
        }
        println!("  clones only: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    }
    // The age crate alone on the same plaintext: what the container itself costs beyond it.
    let crate_only = median(
        (0..rounds)
            .map(|_| {
                let start = Instant::now();
                let r: age::x25519::Recipient = recipient.parse().expect("r");
                let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).expect("enc");
                let mut w = enc.wrap_output(Vec::with_capacity(plain.len() + 4096)).expect("wrap");
                w.write_all(&plain).expect("write");
                w.finish().expect("finish");
                start.elapsed()
            })
            .collect(),
    );
    let mbps = |t: Duration| plain.len() as f64 / t.as_secs_f64() / 1e6;
    println!("bundle export benchmark{}", if q { " (smoke: tiny sizes)" } else { "" });
    println!("  {n} records, {:.1} MB plaintext, {:.1} MB bundle, median of {rounds}", plain.len() as f64 / 1e6, bytes as f64 / 1e6);
    println!("  fieldscreen export  {:>8.1} MB/s ({:.1} ms, includes building and signing the container)", mbps(ta), ta.as_secs_f64() * 1e3);
    println!("  age -e (Debian CLI) {:>8.1} MB/s ({:.1} ms, includes process start)", mbps(tb), tb.as_secs_f64() * 1e3);
    println!("  age crate alone     {:>8.1} MB/s ({:.1} ms, same bytes, in process)", mbps(crate_only), crate_only.as_secs_f64() * 1e3);
    println!("  ratio (ours / age)  {:>8.2}    goal at least 0.8", tb.as_secs_f64() / ta.as_secs_f64());
}
