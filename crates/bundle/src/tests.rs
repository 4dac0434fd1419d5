//! Bundle tests. Debian's `age` CLI (installed by scripts/bootstrap.sh) is the independent tool
//! the format promises to work with.

use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::process::Command;

use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

use super::*;

/// The exporter every test bundle names.
fn origin(signer: &dyn Signer) -> Origin<'_> {
    Origin { officer_id: "officer-7", device_id: "device-1", signer, created: "2026-11-21T06:00:00Z" }
}

fn keypair() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

struct Fixture {
    device: Ed25519KeyPair,
    records: Vec<(String, Vec<u8>, String)>,
}

impl Fixture {
    /// `n` sealed records of about `size` bytes each, signed by a device key.
    fn new(n: usize, size: usize) -> Fixture {
        let device = keypair();
        let records = (0..n)
            .map(|i| {
                let id = format!("0190a0b0-0000-7000-8000-{i:012}");
                let pad = "x".repeat(size);
                let body = format!(
                    r#"{{"format":"fieldscreen-record/1","id":"{id}","outcome":{{"level":{{"title":"Indicators present"}},"indicators":{{"coercion":[{{"label":"Someone else holds the person's papers"}}]}},"declined":[]}},"finalized_at":"2026-11-21T06:00:00Z","pad":"{pad}"}}"#
                );
                let sig = B64.encode(Signer::sign(&device, body.as_bytes()).unwrap());
                (id, body.into_bytes(), sig)
            })
            .collect();
        Fixture { device, records }
    }

    fn export(&self, signer: &dyn Signer, seal: Seal) -> Vec<u8> {
        let mut it = self.records_in().into_iter();
        let mut calls = 0;
        let out =
            export(&mut it, self.records.len(), &origin(signer), seal, Vec::new(), &mut |_, _| calls += 1).unwrap();
        assert_eq!(calls, self.records.len(), "progress is reported per record");
        out
    }
}

fn custodian() -> (age::x25519::Identity, String) {
    let id = age::x25519::Identity::generate();
    let r = id.to_public().to_string();
    (id, r)
}

fn key_of(id: &age::x25519::Identity) -> Key {
    Key::Identities(vec![id.clone()])
}

#[test]
fn round_trip_to_several_recipients_with_summary() {
    let f = Fixture::new(3, 100);
    let (a, ra) = custodian();
    let (b, rb) = custodian();
    let bytes = f.export(&f.device, Seal::recipients(&[ra, rb]).unwrap());
    for id in [&a, &b] {
        let o = open(Cursor::new(&bytes), &key_of(id), Some(&Signer::public_key(&f.device))).unwrap();
        assert_eq!(o.records.len(), 3);
        assert_eq!(o.records[1].body, f.records[1].1);
        assert_eq!(o.manifest.exporter.officer_id, "officer-7");
        let s = summary(&o);
        assert!(s.contains("Records: 3") && s.contains("coercion") && s.contains("Someone else holds"), "{s}");
    }
}

fn age_cli() -> &'static str {
    "age"
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn debian_age_decrypts_our_bundle_and_the_manifest_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new(2, 50);
    let (id, r) = custodian();
    let bundle = write(dir.path(), "case.age", &f.export(&f.device, Seal::recipients(&[r]).unwrap()));
    let idfile = write(
        dir.path(),
        "custodian.txt",
        format!("# custodian\n{}\n", age::secrecy::ExposeSecret::expose_secret(&id.to_string())).as_bytes(),
    );
    let out = Command::new(age_cli())
        .args(["-d", "-i"])
        .arg(&idfile)
        .arg(&bundle)
        .output()
        .expect("Debian's age is installed by scripts/bootstrap.sh");
    assert!(out.status.success(), "age -d: {}", String::from_utf8_lossy(&out.stderr));
    // The plaintext is an ordinary tar: records, then the manifest and its signature.
    let mut ar = tar::Archive::new(Cursor::new(out.stdout));
    let mut names = Vec::new();
    let mut manifest = None;
    let mut bodies = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut b = Vec::new();
        e.read_to_end(&mut b).unwrap();
        if name == MANIFEST {
            manifest = Some(serde_json::from_slice::<Manifest>(&b).unwrap());
        } else if name.starts_with("records/") {
            bodies.push((name.clone(), b));
        }
        names.push(name);
    }
    assert_eq!(names.last().unwrap(), SIGNATURE);
    let m = manifest.unwrap();
    for ((name, b), e) in bodies.iter().zip(&m.entries) {
        assert_eq!(*name, e.path);
        assert_eq!(sha256(b), e.sha256);
    }
}

#[test]
fn a_file_encrypted_by_age_to_our_custodian_opens_with_our_code() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new(2, 50);
    let (id, r) = custodian();
    // Our plaintext container, encrypted by Debian's age instead of by us.
    let ours = f.export(&f.device, Seal::recipients(std::slice::from_ref(&r)).unwrap());
    let dec = age::Decryptor::new_buffered(Cursor::new(&ours)).unwrap();
    let mut plain = Vec::new();
    dec.decrypt(std::iter::once(&id as &dyn age::Identity)).unwrap().read_to_end(&mut plain).unwrap();
    let tarfile = write(dir.path(), "case.tar", &plain);
    let out = Command::new(age_cli())
        .args(["-e", "-r", &r, "-o"])
        .arg(dir.path().join("by-age.age"))
        .arg(&tarfile)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs = std::fs::read(dir.path().join("by-age.age")).unwrap();
    let o = open(Cursor::new(theirs), &key_of(&id), None).unwrap();
    assert_eq!(o.records.len(), 2);
}

/// Where the STREAM payload starts: after the header's `--- ` MAC line and the 16-byte nonce.
fn payload_start(b: &[u8]) -> usize {
    let mac = b.windows(4).position(|w| w == b"\n---").unwrap() + 1;
    let eol = mac + b[mac..].iter().position(|c| *c == b'\n').unwrap() + 1;
    eol + 16
}

const CHUNK: usize = 64 * 1024 + 16;

#[test]
fn ex_any_alteration_is_a_clear_error() {
    let f = Fixture::new(4, 60_000); // several 64 KiB chunks
    let (id, r) = custodian();
    let good = f.export(&f.device, Seal::recipients(&[r]).unwrap());
    let start = payload_start(&good);
    assert!(good.len() > start + 3 * CHUNK, "the bundle spans several chunks");
    let key = key_of(&id);
    let expect_err = |name: &str, bytes: Vec<u8>| {
        let e = open(Cursor::new(bytes), &key, None).err().unwrap_or_else(|| panic!("{name}: opened"));
        assert!(matches!(e, BundleError::Decrypt(_) | BundleError::Damaged(_)), "{name}: {e}");
        assert!(!e.to_string().is_empty());
    };
    for at in [10, start - 5, start + 100, start + CHUNK + 7, good.len() - 3] {
        let mut b = good.clone();
        b[at] ^= 0x01;
        expect_err(&format!("flip at {at}"), b);
    }
    expect_err("truncated to a chunk boundary", good[..start + 2 * CHUNK].to_vec());
    expect_err("truncated mid-chunk", good[..good.len() - 100].to_vec());
    let mut dropped = good[..start + CHUNK].to_vec();
    dropped.extend_from_slice(&good[start + 2 * CHUNK..]);
    expect_err("dropped chunk", dropped);
    let mut swapped = good[..start].to_vec();
    swapped.extend_from_slice(&good[start + CHUNK..start + 2 * CHUNK]);
    swapped.extend_from_slice(&good[start..start + CHUNK]);
    swapped.extend_from_slice(&good[start + 2 * CHUNK..]);
    expect_err("reordered chunks", swapped);
    let mut dup = good[..start + CHUNK].to_vec();
    dup.extend_from_slice(&good[start..]);
    expect_err("duplicated chunk", dup);
}

/// Decrypts to the inner tar's entries.
fn entries(bytes: &[u8], id: &age::x25519::Identity) -> Vec<(String, Vec<u8>)> {
    let dec = age::Decryptor::new_buffered(Cursor::new(bytes)).unwrap();
    let mut ar = tar::Archive::new(dec.decrypt(std::iter::once(id as &dyn age::Identity)).unwrap());
    ar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            (e.path().unwrap().to_string_lossy().into_owned(), b)
        })
        .collect()
}

/// Re-packs entries and encrypts them to `r`, as an attacker holding the recipient could.
fn repack(list: &[(String, Vec<u8>)], r: &str) -> Vec<u8> {
    let enc = age::Encryptor::with_recipients(std::iter::once(
        &r.parse::<age::x25519::Recipient>().unwrap() as &dyn age::Recipient
    ))
    .unwrap();
    let mut s = enc.wrap_output(Vec::new()).unwrap();
    for (name, b) in list {
        tar_entry(&mut s, name, b, 0).unwrap();
    }
    s.write_all(&TAR_END).unwrap();
    s.finish().unwrap()
}

#[test]
fn the_container_is_byte_for_byte_what_tar_builder_writes() {
    let long = format!("records/{}.json", "a1-".repeat(60));
    let list: Vec<(String, Vec<u8>)> = vec![
        ("records/0190a0b0-0000-7000-8000-000000000001.json".into(), b"{}".to_vec()),
        ("records/0190a0b0-0000-7000-8000-000000000002.json".into(), vec![b'x'; 512]),
        ("records/0190a0b0-0000-7000-8000-000000000003.json".into(), vec![b'y'; 1025]),
        (long, vec![b'z'; 3000]),
        (MANIFEST.into(), Vec::new()),
    ];
    let mut ours = Vec::new();
    let mut theirs = tar::Builder::new(Vec::new());
    for (path, bytes) in &list {
        tar_entry(&mut ours, path, bytes, 1_795_000_000).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o600);
        h.set_mtime(1_795_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        theirs.append_data(&mut h, path, bytes.as_slice()).unwrap();
    }
    ours.extend_from_slice(&TAR_END);
    assert_eq!(ours, theirs.into_inner().unwrap());
    let names: Vec<String> = tar::Archive::new(Cursor::new(&ours))
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, list.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>());
}

#[test]
fn ex_03_swapped_manifest_wrong_signer_wrong_recipient() {
    let (id, r) = custodian();
    let a = Fixture::new(2, 50);
    let b = Fixture::new(3, 50);
    let ea = entries(&a.export(&a.device, Seal::recipients(std::slice::from_ref(&r)).unwrap()), &id);
    let eb = entries(&b.export(&b.device, Seal::recipients(std::slice::from_ref(&r)).unwrap()), &id);
    // A's records under B's (validly signed) manifest.
    let mut mixed: Vec<_> = ea[..ea.len() - 2].to_vec();
    mixed.extend_from_slice(&eb[eb.len() - 2..]);
    let e = open(Cursor::new(repack(&mixed, &r)), &key_of(&id), None).unwrap_err();
    assert!(matches!(e, BundleError::Damaged(_)), "{e}");
    // A record replaced, manifest kept: its hash no longer matches.
    let mut forged = ea.clone();
    forged[0].1 = b"{\"forged\":true}".to_vec();
    assert!(matches!(open(Cursor::new(repack(&forged, &r)), &key_of(&id), None), Err(BundleError::Damaged(_))));
    // A manifest re-signed by someone else is caught when the signer is pinned.
    let other = keypair();
    let good = a.export(&other, Seal::recipients(std::slice::from_ref(&r)).unwrap());
    let e = open(Cursor::new(&good), &key_of(&id), Some(&Signer::public_key(&a.device))).unwrap_err();
    assert!(matches!(e, BundleError::WrongSigner(_)), "{e}");
    // Not a recipient.
    let (stranger, _) = custodian();
    let e = open(Cursor::new(&good), &key_of(&stranger), None).unwrap_err();
    assert!(matches!(e, BundleError::Decrypt(_)), "{e}");
}

#[test]
fn ex_01_two_exports_of_the_same_records_share_no_ciphertext() {
    let f = Fixture::new(3, 2000);
    let (_, r) = custodian();
    let x = f.export(&f.device, Seal::recipients(std::slice::from_ref(&r)).unwrap());
    let y = f.export(&f.device, Seal::recipients(std::slice::from_ref(&r)).unwrap());
    // age's header text is fixed ("age-encryption.org/v1", "-> X25519 "); everything it
    // carries (ephemeral share, wrapped file key, MAC) and the whole payload must differ.
    let (px, py) = (payload_start(&x), payload_start(&y));
    let (a, b) = (&x[px - 16..], &y[py - 16..]);
    let n = a.len().min(b.len());
    let same = (0..n).filter(|i| a[*i] == b[*i]).count();
    assert!((same as f64) < n as f64 * 0.01 + 8.0, "{same} of {n} payload bytes equal");
    let stanza = |v: &[u8]| v[..px.min(py) - 16].to_vec();
    assert_ne!(stanza(&x), stanza(&y));
}

#[test]
fn ex_02_passphrase_bundles_follow_the_policy_and_never_mix_with_recipients() {
    for (p, why) in [
        ("short1!A", "at least 10"),
        ("alllowercase1!", "upper-case"),
        ("NoDigitsHere!!", "a digit"),
        ("NoSpecial12345", "special"),
    ] {
        let e = Seal::passphrase(p).err().unwrap();
        assert!(e.to_string().contains(why), "{p}: {e}");
    }
    let f = Fixture::new(1, 10);
    let bytes = f.export(&f.device, Seal::passphrase("Harbor-Lantern-42").unwrap());
    let o =
        open(Cursor::new(&bytes), &Key::Passphrase(SecretString::from("Harbor-Lantern-42".to_string())), None).unwrap();
    assert_eq!(o.records.len(), 1);
    let (id, _) = custodian();
    assert!(open(Cursor::new(&bytes), &key_of(&id), None).unwrap_err().to_string().contains("passphrase"));
    assert!(
        open(Cursor::new(&bytes), &Key::Passphrase(SecretString::from("Wrong-Lantern-42".to_string())), None).is_err()
    );
}

#[test]
fn identity_files_and_bad_input_give_clear_errors() {
    let (id, _) = custodian();
    let text =
        format!("# created: today\n# public key: x\n{}\n", age::secrecy::ExposeSecret::expose_secret(&id.to_string()));
    assert!(matches!(Key::identity_file(&text).unwrap(), Key::Identities(v) if v.len() == 1));
    assert!(Key::identity_file("# nothing\n").err().unwrap().to_string().contains("no AGE-SECRET-KEY"));
    assert!(Key::identity_file("AGE-SECRET-KEY-1NOPE").is_err());
    assert!(Seal::recipients(&[]).is_err());
    assert!(Seal::recipients(&["age1nope".into()]).err().unwrap().to_string().contains("not an age X25519 recipient"));
    assert!(open(Cursor::new(b"not an age file".to_vec()), &key_of(&id), None)
        .unwrap_err()
        .to_string()
        .contains("cannot decrypt"));
}

/// A writer whose bytes outlive the export, failing once it has taken `fail_after` bytes.
#[derive(Clone)]
struct Shared {
    bytes: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    fail_after: usize,
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut b = self.bytes.lock().unwrap();
        if b.len() + buf.len() > self.fail_after {
            return Err(std::io::Error::other("the drive is full"));
        }
        b.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn ex_04_a_stopped_export_leaves_nothing_that_opens() {
    let f = Fixture::new(40, 20_000);
    let (id, r) = custodian();
    let dk = &B64.encode(Signer::public_key(&f.device));
    let input = |stop_at: usize| {
        f.records.iter().enumerate().map(move |(i, (rid, body, sig))| {
            if i == stop_at {
                return Err(BundleError::Interrupted("interrupted".into()));
            }
            Ok(RecordIn {
                id: rid.clone(),
                body: body.clone(),
                signature: sig.clone(),
                device_key: dk.clone(),
                protocol: ProtocolRef { id: "p".into(), version: "1".into(), content_hash: String::new() },
            })
        })
    };
    // Cancelled by the caller after most records: its own error comes back, and what was
    // written is an age stream without its last chunk.
    let out = Shared { bytes: Default::default(), fail_after: usize::MAX };
    let seal = Seal::recipients(std::slice::from_ref(&r)).unwrap();
    let e = export(&mut input(30), 40, &origin(&f.device), seal, out.clone(), &mut |_, _| {}).err().unwrap();
    assert_eq!(e.to_string(), "interrupted");
    let written = out.bytes.lock().unwrap().clone();
    assert!(written.len() > 300_000, "records were already encrypted and written: {}", written.len());
    assert!(matches!(
        open(Cursor::new(&written), &key_of(&id), None),
        Err(BundleError::Damaged(_) | BundleError::Decrypt(_))
    ));
    let dir = tempfile::tempdir().unwrap();
    let partial = write(dir.path(), "case.fsb.partial", &written);
    let idfile = write(
        dir.path(),
        "custodian.txt",
        format!("{}\n", age::secrecy::ExposeSecret::expose_secret(&id.to_string())).as_bytes(),
    );
    let age = Command::new(age_cli()).args(["-d", "-i"]).arg(&idfile).arg(&partial).output().unwrap();
    assert!(!age.status.success(), "age accepted a cancelled export");
    // A failing writer: its error comes back, not a hang or a panic.
    let out = Shared { bytes: Default::default(), fail_after: 200_000 };
    let seal = Seal::recipients(std::slice::from_ref(&r)).unwrap();
    let e = export(&mut input(usize::MAX), 40, &origin(&f.device), seal, out, &mut |_, _| {}).err().unwrap();
    assert!(matches!(&e, BundleError::Io(source) if source.to_string().contains("the drive is full")), "{e}");
    assert!(std::error::Error::source(&e).is_some(), "the IO error is kept as the source");
}

#[test]
fn the_plaintext_is_the_same_tar_whatever_the_batching() {
    // Records smaller and larger than a batch, and one that ends exactly on a block.
    for (n, size) in [(1, 10), (3, 300_000), (600, 900), (2, 512 - 200)] {
        let f = Fixture::new(n, size);
        let (id, r) = custodian();
        let bytes = f.export(&f.device, Seal::recipients(&[r]).unwrap());
        let e = entries(&bytes, &id);
        assert_eq!(e.len(), n + 2);
        for ((path, body), (rid, want, _)) in e.iter().zip(&f.records) {
            assert_eq!(*path, format!("records/{rid}.json"));
            assert_eq!(body, want);
        }
        let o = open(Cursor::new(&bytes), &key_of(&id), Some(&Signer::public_key(&f.device))).unwrap();
        assert_eq!(o.records.len(), n);
    }
}

impl Fixture {
    fn records_in(&self) -> Vec<Result<RecordIn, BundleError>> {
        let dk = B64.encode(Signer::public_key(&self.device));
        self.records
            .iter()
            .map(|(id, body, sig)| {
                Ok(RecordIn {
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
            })
            .collect()
    }
}

#[test]
fn ex_05_export_to_a_file_is_all_or_nothing() {
    use std::sync::atomic::AtomicBool;
    let f = Fixture::new(20, 200);
    let (id, r) = custodian();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("case.age");
    let run = |cancel: &AtomicBool, after: Option<usize>| {
        let mut n = 0;
        let mut it = f.records_in().into_iter().inspect(|_| {
            n += 1;
            if after.is_some_and(|a| n > a) {
                cancel.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        });
        crate::export_to_path(
            &out,
            &mut it,
            20,
            &origin(&f.device),
            Seal::recipients(std::slice::from_ref(&r)).unwrap(),
            &mut |_, _| {},
            cancel,
        )
    };
    // Cancelled midway: no bundle, no partial file.
    let e = run(&AtomicBool::new(false), Some(5)).unwrap_err();
    assert!(e.to_string().contains("cancelled"), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing is left behind");
    // Complete but not kept (its audit failed): removed.
    let w = run(&AtomicBool::new(false), None).unwrap();
    assert!(out.exists());
    drop(w);
    assert!(!out.exists(), "a bundle whose export was not recorded does not stay");
    // Complete and kept: in place, owner-only, opens, and is never overwritten.
    let w = run(&AtomicBool::new(false), None).unwrap();
    assert_eq!(w.sha256, crate::file::sha256_file(&out).unwrap());
    w.keep();
    #[cfg(unix)]
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&out).unwrap().permissions()) & 0o777, 0o600);
    let opened = open(std::io::BufReader::new(std::fs::File::open(&out).unwrap()), &key_of(&id), None).unwrap();
    assert_eq!(opened.records.len(), 20);
    let e = run(&AtomicBool::new(false), None).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
}

impl Fixture {
    /// The first record sealed for the hub, padded.
    fn seal_first(&self, r: &str) -> Vec<u8> {
        let rec = self.records_in().remove(0).unwrap();
        seal_record(rec, &origin(&self.device), Seal::recipients(&[r.to_string()]).unwrap()).unwrap()
    }
}

#[test]
fn padded_sizes_are_powers_of_two_from_16_kib() {
    for (n, want) in [(0, 16384), (4608, 16384), (16384, 16384), (16896, 32768), (32768, 32768), (70_000, 131_072)] {
        assert_eq!(padded_size(n), want, "{n}");
    }
}

#[test]
fn records_of_very_different_sizes_in_one_bucket_seal_to_the_same_length() {
    let (id, r) = custodian();
    // A record of about 350 bytes and one of 9,300 (with the manifest, both under 16 KiB of
    // tar), and two in the 32 KiB bucket; the plain export of the same records differs in length.
    let small = [Fixture::new(1, 50), Fixture::new(1, 9_000)];
    let large = [Fixture::new(1, 14_000), Fixture::new(1, 24_000)];
    // age puts a random "grease" stanza of random length in every header, whatever the
    // content: the ciphertext that depends on the record is what follows the header.
    let payload = |b: &[u8]| b.len() - payload_start(b);
    let lens = |fs: &[Fixture]| fs.iter().map(|f| payload(&f.seal_first(&r))).collect::<Vec<_>>();
    let (a, b) = (lens(&small), lens(&large));
    assert_eq!(a[0], a[1], "one bucket, one length: {a:?}");
    assert_eq!(b[0], b[1], "one bucket, one length: {b:?}");
    assert!(b[0] > a[0], "different buckets differ: {a:?} {b:?}");
    assert_eq!(a[0], 16384 + 16, "one age chunk of 16 KiB and its tag");
    assert_eq!(b[0], 32768 + 16);
    let unpadded: Vec<usize> = small
        .iter()
        .map(|f| payload(&f.export(&f.device, Seal::recipients(std::slice::from_ref(&r)).unwrap())))
        .collect();
    assert_ne!(unpadded[0], unpadded[1], "without padding the sizes show");
    for f in small.iter().chain(&large) {
        let sealed = f.seal_first(&r);
        let o = open(Cursor::new(&sealed), &key_of(&id), Some(&Signer::public_key(&f.device))).unwrap();
        assert_eq!(o.records.len(), 1);
        assert_eq!(o.records[0].body, f.records[0].1);
        assert_eq!(o.manifest.entries.len(), 1, "the manifest lists the record only, not the padding");
        // A reader that stops at the end-of-archive marker (as every tar reader does) sees
        // the same three entries.
        let names: Vec<String> = entries(&sealed, &id).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [format!("records/{}.json", f.records[0].0), MANIFEST.into(), SIGNATURE.into()]);
    }
}

#[test]
fn debian_age_and_tar_open_a_padded_record() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new(1, 700);
    let (id, r) = custodian();
    let sealed = write(dir.path(), "record.age", &f.seal_first(&r));
    let idfile = write(
        dir.path(),
        "custodian.txt",
        format!("{}\n", age::secrecy::ExposeSecret::expose_secret(&id.to_string())).as_bytes(),
    );
    let out = Command::new(age_cli()).args(["-d", "-i"]).arg(&idfile).arg(&sealed).output().expect("Debian's age");
    assert!(out.status.success(), "age -d: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout.len() as u64, padded_size(out.stdout.len() as u64), "the plaintext fills its bucket");
    let tar_file = write(dir.path(), "record.tar", &out.stdout);
    let listed = Command::new("tar").arg("-tf").arg(&tar_file).output().expect("tar");
    assert!(listed.status.success(), "tar -t: {}", String::from_utf8_lossy(&listed.stderr));
    let names: Vec<&str> = std::str::from_utf8(&listed.stdout).unwrap().lines().collect();
    assert_eq!(names, [format!("records/{}.json", f.records[0].0).as_str(), MANIFEST, SIGNATURE]);
}

#[test]
fn anything_but_zeros_after_the_archive_is_refused() {
    let f = Fixture::new(1, 100);
    let (id, r) = custodian();
    let mut plain = Vec::new();
    for (name, b) in entries(&f.seal_first(&r), &id) {
        tar_entry(&mut plain, &name, &b, 0).unwrap();
    }
    plain.extend_from_slice(&TAR_END);
    plain.extend_from_slice(b"not padding");
    let enc = age::Encryptor::with_recipients(std::iter::once(
        &r.parse::<age::x25519::Recipient>().unwrap() as &dyn age::Recipient
    ))
    .unwrap();
    let mut s = enc.wrap_output(Vec::new()).unwrap();
    s.write_all(&plain).unwrap();
    let bytes = s.finish().unwrap();
    let e = open(Cursor::new(bytes), &key_of(&id), None).expect_err("refused");
    assert!(e.to_string().contains("follows the end of the archive"), "{e}");
}
