//! Case bundles: sealed records in a tar container with a signed manifest, encrypted with age
//! (format age-encryption.org/v1) to X25519 recipients or to one passphrase, never both.
//!
//! Inside the encryption, in order: `records/<id>.json` for each record (its sealed bytes, as
//! the device signed them), then `manifest.json` (every entry's SHA-256, the records, the
//! exporter), then `manifest.sig` (Ed25519 over the manifest's bytes). age alone does not say
//! who wrote a file; the signature does. After `age -d`, plain `tar` lists and extracts it.
//!
//! A record sealed for the hub ([`seal_record`]) is padded to a size bucket ([`padded_size`]):
//! zero blocks after the tar's end-of-archive marker, where tar already puts the zeros that
//! fill its last record. The manifest does not list them and nothing signs them; every tar
//! reader stops at the marker, and [`open`] reads them only to let age check its final chunk.
//!
//! No storage, no network: callers hand in records and a signer, and a writer or reader.

use std::io::{self, BufRead, Read, Write};
use std::iter;

use age::secrecy::SecretString;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::signature::{UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

/// The protocol a record was taken with (id, version, content hash).
pub use screening::outcome::ProtocolRef;

pub mod file;
pub use file::{export_to_path, Written};

pub const FORMAT: &str = "fieldscreen-bundle/1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
/// Largest entry a reader accepts; sealed records are a few kilobytes.
pub const MAX_ENTRY: u64 = 16 * 1024 * 1024;
/// Bundle passphrases: CJIS asks at least 10 characters with upper and lower case, a digit and a
/// special character for a passphrase that unlocks encrypted data at rest.
pub const MIN_PASSPHRASE: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0}")]
    Input(String),
    #[error("the passphrase does not meet the policy: {0}")]
    Passphrase(String),
    #[error("cannot decrypt: {0}")]
    Decrypt(String),
    #[error("the bundle is damaged or was altered: {0}")]
    Damaged(String),
    #[error("the bundle was not signed by the expected key: {0}")]
    WrongSigner(String),
    #[error("signing the manifest failed: {0}")]
    Signing(String),
    /// Reading or writing the stream failed.
    #[error("{0}")]
    Io(#[source] io::Error),
    /// A file step failed; the message names the step and the path.
    #[error(transparent)]
    File(#[from] durable::Error),
    /// The export stopped before it was complete (cancelled, or a worker thread failed).
    #[error("{0}")]
    Interrupted(String),
}

impl BundleError {
    pub fn kind(&self) -> &'static str {
        match self {
            BundleError::Input(_) => "input",
            BundleError::Passphrase(_) => "passphrase",
            BundleError::Decrypt(_) => "decrypt",
            BundleError::Damaged(_) => "damaged",
            BundleError::WrongSigner(_) => "wrong-signer",
            BundleError::Signing(_) => "signing",
            BundleError::Io(_) | BundleError::File(_) | BundleError::Interrupted(_) => "io",
        }
    }
}

fn io_err(e: io::Error) -> BundleError {
    BundleError::Io(e)
}

/// Who the bundle is for: recipients or one passphrase, never both.
pub enum Seal {
    Recipients(Vec<age::x25519::Recipient>),
    Passphrase(SecretString),
}

impl Seal {
    /// Parses `age1...` recipients; at least one.
    pub fn recipients(list: &[String]) -> Result<Seal, BundleError> {
        if list.is_empty() {
            return Err(BundleError::Input("name at least one recipient".into()));
        }
        let parsed = list
            .iter()
            .map(|r| {
                r.trim()
                    .parse::<age::x25519::Recipient>()
                    .map_err(|e| BundleError::Input(format!("`{r}` is not an age X25519 recipient: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Seal::Recipients(parsed))
    }

    pub fn passphrase(p: &str) -> Result<Seal, BundleError> {
        check_passphrase(p)?;
        Ok(Seal::Passphrase(SecretString::from(p.to_string())))
    }
}

/// The passphrase rules for bundles (CJIS at-rest passphrase rules; EX-02).
pub fn check_passphrase(p: &str) -> Result<(), BundleError> {
    let n = p.chars().count();
    let missing: Vec<&str> = [
        (p.chars().any(|c| c.is_lowercase()), "a lower-case letter"),
        (p.chars().any(|c| c.is_uppercase()), "an upper-case letter"),
        (p.chars().any(|c| c.is_ascii_digit()), "a digit"),
        (p.chars().any(|c| !c.is_alphanumeric()), "a special character"),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, what)| what)
    .collect();
    if n < MIN_PASSPHRASE {
        return Err(BundleError::Passphrase(format!("it has {n} characters; at least {MIN_PASSPHRASE} are needed")));
    }
    if !missing.is_empty() {
        return Err(BundleError::Passphrase(format!("it needs {}", missing.join(", "))));
    }
    Ok(())
}

/// One sealed record to export: its bytes exactly as the device signed them. Owned, so that a
/// caller can fetch each record as the export reaches it and drop it after.
pub struct RecordIn {
    pub id: String,
    pub body: Vec<u8>,
    /// The device's signature over `body` (base64).
    pub signature: String,
    /// The device's Ed25519 public key (base64).
    pub device_key: String,
    pub protocol: ProtocolRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordRef {
    pub id: String,
    pub path: String,
    pub protocol: ProtocolRef,
    /// The device's signature over the record's bytes (base64), and its public key.
    pub device_signature: String,
    pub device_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exporter {
    pub officer_id: String,
    pub device_id: String,
    /// Ed25519 public key that signed the manifest (base64).
    pub signing_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub created: String,
    pub exporter: Exporter,
    pub entries: Vec<Entry>,
    pub records: Vec<RecordRef>,
}

/// Signs manifest bytes: the device key, or the custodian's when a unit exports.
pub trait Signer {
    fn public_key(&self) -> Vec<u8>;
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String>;
}

impl Signer for ring::signature::Ed25519KeyPair {
    fn public_key(&self) -> Vec<u8> {
        ring::signature::KeyPair::public_key(self).as_ref().to_vec()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        Ok(ring::signature::Ed25519KeyPair::sign(self, msg).as_ref().to_vec())
    }
}

fn sha256(b: &[u8]) -> String {
    // ring's SHA-256 is assembly-optimized: hashing every record must not slow the export.
    hex::encode(ring::digest::digest(&ring::digest::SHA256, b))
}

/// One tar entry (ustar header, the bytes, zero padding to a 512-byte block): the same bytes as
/// `tar::Builder::append_data`, without its copy through a stack buffer.
fn tar_entry<W: Write>(w: &mut W, path: &str, bytes: &[u8], mtime: u64) -> Result<(), BundleError> {
    tar_head(w, path, bytes.len(), mtime)?;
    w.write_all(bytes).map_err(io_err)?;
    w.write_all(tar_pad(bytes.len())).map_err(io_err)
}

/// An entry's header block. A path too long for a ustar header gets the GNU long-name entry
/// before it, as `tar::Builder` writes it.
fn tar_head<W: Write>(w: &mut W, path: &str, size: usize, mtime: u64) -> Result<(), BundleError> {
    let mut h = tar::Header::new_ustar();
    h.set_size(size as u64);
    h.set_mode(0o600);
    h.set_mtime(mtime);
    h.set_entry_type(tar::EntryType::Regular);
    if h.set_path(path).is_ok() {
        h.set_cksum();
        return w.write_all(h.as_bytes()).map_err(io_err);
    }
    let mut b = tar::Builder::new(Vec::new());
    b.append_data(&mut h, path, io::empty()).map_err(io_err)?;
    let mut head = b.into_inner().map_err(io_err)?;
    head.truncate(head.len() - TAR_END.len());
    w.write_all(&head).map_err(io_err)
}

/// The zeros that fill an entry of `size` bytes to a whole block.
fn tar_pad(size: usize) -> &'static [u8] {
    &TAR_END[..(TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK]
}

const TAR_BLOCK: usize = 512;
/// A tar archive ends with two zero blocks.
const TAR_END: [u8; 2 * TAR_BLOCK] = [0; 2 * TAR_BLOCK];

/// The smallest size bucket of a padded envelope's plaintext.
pub const PAD_MIN: u64 = 16 * 1024;

/// The size a sealed record's plaintext (the tar stream) is padded to: the next power of two
/// from 16 KiB (16, 32, 64 KiB...). The tar of one record holds about 5 KiB of headers, manifest
/// and signature besides the record; records of the shipped protocols are 2 to 9 KB (stopped at
/// once, or answered to the end), so they all share the first bucket: a smaller one would tell a
/// stopped screening from a completed one. Padding adds less than the plaintext's own size (at
/// most double); a tar that already fills its bucket gets none.
pub fn padded_size(n: u64) -> u64 {
    n.max(PAD_MIN).next_power_of_two()
}

/// Counts what passes through to the writer: the tar stream's length, for padding.
struct Counted<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(b)?;
        self.n += k as u64;
        Ok(k)
    }
    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        self.inner.write_all(b)?;
        self.n += b.len() as u64;
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Seals one record for the hub: a bundle of that record, its plaintext padded to
/// [`padded_size`] so that records of different sizes within a bucket give envelopes of the
/// same length.
pub fn seal_record(record: RecordIn, origin: &Origin, seal: Seal) -> Result<Vec<u8>, BundleError> {
    write_bundle(&mut iter::once(Ok(record)), 1, origin, seal, Vec::new(), &mut |_, _| {}, true)
}

/// Progress while exporting: called with (records written, records in all).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// Who exports, with which key, and when: the exporter named and signing the manifest.
pub struct Origin<'a> {
    pub officer_id: &'a str,
    pub device_id: &'a str,
    pub signer: &'a dyn Signer,
    /// RFC 3339 time written into the manifest and the tar entries.
    pub created: &'a str,
}

/// Writes a bundle to `out`. Each record passes through once; memory stays bounded by one record,
/// a few batches of records on their way to be hashed, and the manifest. `created` is an RFC 3339
/// time.
///
/// The calling thread pulls the records and writes the tar stream straight into age's chunk
/// buffer, where it is encrypted in place; a second thread hashes the records meanwhile and
/// builds the manifest, then encrypts it while the calling thread signs it. The stream is finished (age's last chunk written) only after the
/// signature entry: an export stopped by an error ends without it, and no age tool accepts it.
pub fn export<W: Write + Send>(
    records: &mut dyn Iterator<Item = Result<RecordIn, BundleError>>,
    total: usize,
    origin: &Origin,
    seal: Seal,
    out: W,
    progress: Progress,
) -> Result<W, BundleError> {
    write_bundle(records, total, origin, seal, out, progress, false)
}

/// [`export`], with the plaintext padded to [`padded_size`] when `pad` is set.
fn write_bundle<W: Write + Send>(
    records: &mut dyn Iterator<Item = Result<RecordIn, BundleError>>,
    total: usize,
    origin: &Origin,
    seal: Seal,
    out: W,
    progress: Progress,
    pad: bool,
) -> Result<W, BundleError> {
    let Origin { officer_id, device_id, signer, created } = *origin;
    let encryptor = match seal {
        Seal::Recipients(rs) => age::Encryptor::with_recipients(rs.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| BundleError::Input(format!("age: {e}")))?,
        Seal::Passphrase(p) => age::Encryptor::with_user_passphrase(p),
    };
    let mut stream = Counted { inner: encryptor.wrap_output(out).map_err(io_err)?, n: 0 };
    let mtime = chrono::DateTime::parse_from_rfc3339(created).map(|t| t.timestamp().max(0) as u64).unwrap_or(0);
    let exporter = Exporter {
        officer_id: officer_id.into(),
        device_id: device_id.into(),
        signing_key: B64.encode(signer.public_key()),
    };
    // Records go to the hashing thread in batches of about 256 KiB (a handoff per record costs
    // more than the hashing; a small batch keeps the wait for the last one short); the bounded
    // channel keeps at most a few batches in memory.
    const BATCH: usize = 256 * 1024;
    let mbytes = std::thread::scope(|scope| -> Result<Vec<u8>, BundleError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(RecordRef, Vec<u8>)>>(2);
        let manifest = scope.spawn(move || {
            let (mut entries, mut refs) = (Vec::new(), Vec::new());
            for (r, body) in rx.into_iter().flatten() {
                entries.push(Entry { path: r.path.clone(), size: body.len() as u64, sha256: sha256(&body) });
                refs.push(r);
            }
            let manifest =
                Manifest { format: FORMAT.into(), created: created.to_string(), exporter, entries, records: refs };
            serde_json::to_vec_pretty(&manifest).map(|m| (m, manifest.records.len()))
        });
        let written = (|| {
            let send =
                |batch| tx.send(batch).map_err(|_| BundleError::Interrupted("the hashing thread stopped".into()));
            let (mut batch, mut batch_bytes, mut n) = (Vec::new(), 0, 0);
            for r in records {
                let r = r?;
                if r.id.is_empty() || !r.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(BundleError::Input(format!("record id `{}` is not a plain id", r.id)));
                }
                let path = format!("records/{}.json", r.id);
                tar_entry(&mut stream, &path, &r.body, mtime)?;
                batch_bytes += r.body.len();
                batch.push((
                    RecordRef {
                        id: r.id,
                        path,
                        protocol: r.protocol,
                        device_signature: r.signature,
                        device_key: r.device_key,
                    },
                    r.body,
                ));
                if batch_bytes >= BATCH {
                    send(std::mem::take(&mut batch))?;
                    batch_bytes = 0;
                }
                n += 1;
                progress(n, total);
            }
            send(batch)
        })();
        drop(tx);
        let manifest = manifest.join().map_err(|_| BundleError::Interrupted("the hashing thread failed".into()))?;
        written?;
        match manifest {
            Ok((_, 0)) => Err(BundleError::Input("no records to export".into())),
            Ok((m, _)) => Ok(m),
            Err(e) => Err(BundleError::Io(e.into())),
        }
    })?;
    // The manifest is encrypted on the second thread while this one signs it.
    let (sig, stream) = std::thread::scope(|scope| {
        let encrypting = scope.spawn(|| tar_entry(&mut stream, MANIFEST, &mbytes, mtime).map(|()| stream));
        let sig = signer.sign(&mbytes).map_err(BundleError::Signing);
        let stream = encrypting.join().map_err(|_| BundleError::Interrupted("the encrypting thread failed".into()));
        (sig, stream)
    });
    let (sig, mut stream) = (B64.encode(sig?), stream??);
    tar_entry(&mut stream, SIGNATURE, sig.as_bytes(), mtime)?;
    stream.write_all(&TAR_END).map_err(io_err)?;
    if pad {
        let mut rest = padded_size(stream.n) - stream.n;
        while rest > 0 {
            let k = rest.min(TAR_END.len() as u64) as usize;
            stream.write_all(&TAR_END[..k]).map_err(io_err)?;
            rest -= k as u64;
        }
    }
    stream.inner.finish().map_err(io_err)
}

/// Identities that may open a bundle: X25519 identities, or a passphrase.
pub enum Key {
    Identities(Vec<age::x25519::Identity>),
    Passphrase(SecretString),
}

impl Key {
    /// Reads an identity file as `age-keygen` writes it (comments and `AGE-SECRET-KEY-1...` lines).
    pub fn identity_file(text: &str) -> Result<Key, BundleError> {
        let ids: Vec<age::x25519::Identity> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                l.parse::<age::x25519::Identity>().map_err(|e| BundleError::Input(format!("not an age identity: {e}")))
            })
            .collect::<Result<_, _>>()?;
        if ids.is_empty() {
            return Err(BundleError::Input("the identity file holds no AGE-SECRET-KEY line".into()));
        }
        Ok(Key::Identities(ids))
    }
}

/// A checked record from a bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordOut {
    pub id: String,
    pub body: Vec<u8>,
}

/// What a verified bundle holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub manifest: Manifest,
    /// `manifest.json` exactly as signed, and `manifest.sig` (base64).
    pub manifest_bytes: Vec<u8>,
    pub signature: String,
    pub records: Vec<RecordOut>,
}

/// Decrypts and checks a bundle: every entry against its hash, nothing missing or extra or out
/// of order, the manifest's signature (against `signer` when given), and each record's device
/// signature. Nothing is returned unless all of it holds.
pub fn open<R: BufRead>(input: R, key: &Key, signer: Option<&[u8]>) -> Result<Opened, BundleError> {
    let decryptor = age::Decryptor::new_buffered(input).map_err(|e| BundleError::Decrypt(e.to_string()))?;
    let reader: Box<dyn Read> = match key {
        Key::Identities(ids) => {
            if decryptor.is_scrypt() {
                return Err(BundleError::Decrypt("this bundle is sealed with a passphrase, not to recipients".into()));
            }
            Box::new(
                decryptor
                    .decrypt(ids.iter().map(|i| i as &dyn age::Identity))
                    .map_err(|e| BundleError::Decrypt(e.to_string()))?,
            )
        }
        Key::Passphrase(p) => {
            if !decryptor.is_scrypt() {
                return Err(BundleError::Decrypt("this bundle is sealed to recipients, not with a passphrase".into()));
            }
            let id = age::scrypt::Identity::new(p.clone());
            Box::new(
                decryptor
                    .decrypt(iter::once(&id as &dyn age::Identity))
                    .map_err(|e| BundleError::Decrypt(e.to_string()))?,
            )
        }
    };
    let mut archive = tar::Archive::new(reader);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in archive.entries().map_err(|e| BundleError::Damaged(e.to_string()))? {
        let mut entry = entry.map_err(|e| BundleError::Damaged(e.to_string()))?;
        let path = entry.path().map_err(|e| BundleError::Damaged(e.to_string()))?.to_string_lossy().into_owned();
        let size = entry.header().size().map_err(|e| BundleError::Damaged(e.to_string()))?;
        if size > MAX_ENTRY {
            return Err(BundleError::Damaged(format!("entry `{path}` is {size} bytes, more than a record can be")));
        }
        let mut buf = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut buf).map_err(|e| BundleError::Damaged(format!("{path}: {e}")))?;
        files.push((path, buf));
    }
    // Reading to the end makes age check the final chunk: a truncated file fails here. After
    // the end-of-archive marker only zeros may follow (tar's own fill, or a sealed record's
    // padding); they are read and dropped.
    let mut rest = archive.into_inner().take(MAX_ENTRY + 1);
    let (mut buf, mut trailing) = ([0u8; 8192], 0u64);
    loop {
        let k = rest.read(&mut buf).map_err(|e| BundleError::Damaged(e.to_string()))?;
        if k == 0 {
            break;
        }
        trailing += k as u64;
        if trailing > MAX_ENTRY || buf[..k].iter().any(|b| *b != 0) {
            return Err(BundleError::Damaged("something other than padding follows the end of the archive".into()));
        }
    }
    let n = files.len();
    if n < 3 || files[n - 2].0 != MANIFEST || files[n - 1].0 != SIGNATURE {
        return Err(BundleError::Damaged(
            "the manifest and its signature are not where they belong (at the end)".into(),
        ));
    }
    let sig = B64
        .decode(String::from_utf8_lossy(&files[n - 1].1).trim())
        .map_err(|_| BundleError::Damaged("the manifest signature is not base64".into()))?;
    let mbytes = &files[n - 2].1;
    let manifest: Manifest =
        serde_json::from_slice(mbytes).map_err(|e| BundleError::Damaged(format!("manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(BundleError::Damaged(format!("unknown bundle format `{}`", manifest.format)));
    }
    let key_bytes = B64
        .decode(&manifest.exporter.signing_key)
        .map_err(|_| BundleError::Damaged("the signing key is not base64".into()))?;
    if let Some(expected) = signer {
        if expected != key_bytes.as_slice() {
            return Err(BundleError::WrongSigner(format!(
                "signed by {}, expected {}",
                manifest.exporter.signing_key,
                B64.encode(expected)
            )));
        }
    }
    UnparsedPublicKey::new(&ED25519, &key_bytes)
        .verify(mbytes, &sig)
        .map_err(|_| BundleError::Damaged("the manifest's signature does not match it".into()))?;
    let body = &files[..n - 2];
    if body.len() != manifest.entries.len() {
        return Err(BundleError::Damaged(format!(
            "{} entries in the bundle, {} in the manifest",
            body.len(),
            manifest.entries.len()
        )));
    }
    for ((path, bytes), e) in body.iter().zip(&manifest.entries) {
        if *path != e.path {
            return Err(BundleError::Damaged(format!("entry `{path}` where the manifest has `{}`", e.path)));
        }
        if bytes.len() as u64 != e.size || sha256(bytes) != e.sha256 {
            return Err(BundleError::Damaged(format!("entry `{path}` does not match its hash in the manifest")));
        }
    }
    let mut records = Vec::new();
    for r in &manifest.records {
        let Some((_, bytes)) = body.iter().find(|(p, _)| *p == r.path) else {
            return Err(BundleError::Damaged(format!("record `{}` is listed but missing", r.id)));
        };
        let (Ok(dk), Ok(ds)) = (B64.decode(&r.device_key), B64.decode(&r.device_signature)) else {
            return Err(BundleError::Damaged(format!("record `{}`: its device key or signature is not base64", r.id)));
        };
        UnparsedPublicKey::new(&ED25519, &dk)
            .verify(bytes, &ds)
            .map_err(|_| BundleError::Damaged(format!("record `{}`: the device signature does not match it", r.id)))?;
        records.push(RecordOut { id: r.id.clone(), body: bytes.clone() });
    }
    let signature = String::from_utf8_lossy(&files[n - 1].1).trim().to_string();
    Ok(Opened { manifest, manifest_bytes: mbytes.clone(), signature, records })
}

/// A plain-text summary of an opened bundle, for the person who opens it.
pub fn summary(o: &Opened) -> String {
    let m = &o.manifest;
    let mut s = format!(
        "Fieldscreen case bundle ({})\nCreated: {}\nExported by officer {} on device {}\nManifest signed by Ed25519 key {}\nRecords: {}\n\n",
        m.format,
        m.created,
        m.exporter.officer_id,
        m.exporter.device_id,
        m.exporter.signing_key,
        m.records.len()
    );
    for r in &o.records {
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let level = v["outcome"]["level"]["title"].as_str().unwrap_or("(no outcome)");
        let proto = m
            .records
            .iter()
            .find(|x| x.id == r.id)
            .map(|x| format!("{} {}", x.protocol.id, x.protocol.version))
            .unwrap_or_default();
        s += &format!("- {}  {}  {}  finalized {}\n", r.id, proto, level, v["finalized_at"].as_str().unwrap_or("?"));
        for group in ["force", "fraud", "coercion", "purpose", "minor", "safety"] {
            for i in v["outcome"]["indicators"][group].as_array().into_iter().flatten() {
                s += &format!("    {group:<9} {}\n", i["label"].as_str().unwrap_or(""));
            }
        }
        for d in v["outcome"]["declined"].as_array().into_iter().flatten() {
            s += &format!("    declined  {}\n", d["label"].as_str().unwrap_or(""));
        }
    }
    s
}

#[cfg(test)]
mod tests;
