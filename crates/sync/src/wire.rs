//! What travels between a device (or the unit custodian) and the hub, and the checks both ends
//! apply to it. No IO here: the hub and the device side both build on these types.
//!
//! Every request after enrollment is signed with Ed25519 over [`signing_input`]: the protocol
//! name, method, path, signer, time, a random nonce and the SHA-256 of the body. The hub refuses
//! a time outside [`MAX_SKEW_SECS`] and a nonce it has seen.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::signature::{UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

pub const PROTOCOL: &str = "fieldscreen-sync/1";
pub const UNIT_FORMAT: &str = "fieldscreen-unit/1";
pub const RECEIPT_FORMAT: &str = "fieldscreen-receipt/1";

pub const H_SIGNER: &str = "x-fs-signer";
pub const H_TIME: &str = "x-fs-time";
pub const H_NONCE: &str = "x-fs-nonce";
pub const H_SIGNATURE: &str = "x-fs-signature";
/// The record's device and content hash, on a downloaded envelope.
pub const H_DEVICE: &str = "x-fs-device";
pub const H_SHA256: &str = "x-fs-sha256";

/// The signer name of requests signed with the unit key (the custodian).
pub const UNIT_SIGNER: &str = "unit";
/// How far a request's time may be from the hub's clock.
pub const MAX_SKEW_SECS: i64 = 300;
/// The largest sealed record the hub takes.
pub const MAX_ENVELOPE: usize = 1 << 20;
/// The most records in one push.
pub const MAX_BATCH: usize = 64;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Invalid(String),
    #[error("the signature does not verify")]
    BadSignature,
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, b))
}

/// The SHA-256 fingerprint of a certificate (DER), as people read and compare it: 64 upper-case
/// hex digits in groups of four. `fieldscreen-hub enroll` prints the unit CA's beside the code.
pub fn fingerprint(der: &[u8]) -> String {
    let hex = hex::encode_upper(ring::digest::digest(&ring::digest::SHA256, der));
    hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// A fingerprint as typed: hex digits in any case, with spaces or colons between them or not.
pub fn parse_fingerprint(typed: &str) -> Result<[u8; 32], WireError> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != ':').collect();
    let bytes = hex::decode(&digits).map_err(|_| {
        WireError::Invalid("the CA fingerprint has characters that are not hex digits (0-9, A-F)".into())
    })?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        WireError::Invalid(format!("the CA fingerprint has {} hex digits; it should have 64", digits.len()))
    })
}

/// The bytes a request signature covers.
pub fn signing_input(method: &str, path: &str, signer: &str, time: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
    format!("{PROTOCOL}\n{method}\n{path}\n{signer}\n{time}\n{nonce}\n{}", sha256_hex(body)).into_bytes()
}

/// What an enrolling device signs to prove it holds the key it registers.
pub fn enroll_proof_input(code: &str, device_id: &str, public_key: &str) -> Vec<u8> {
    format!("{PROTOCOL}\nenroll\n{code}\n{device_id}\n{public_key}").into_bytes()
}

/// An Ed25519 public key in base64: 32 bytes.
pub fn public_key(b64: &str) -> Result<Vec<u8>, WireError> {
    let key = B64.decode(b64.trim()).map_err(|_| WireError::Invalid("the public key is not base64".into()))?;
    if key.len() != 32 {
        return Err(WireError::Invalid(format!("an Ed25519 public key has 32 bytes, not {}", key.len())));
    }
    Ok(key)
}

/// Ed25519 over `msg` with a base64 public key and signature.
pub fn verify(public_key_b64: &str, msg: &[u8], signature_b64: &str) -> Result<(), WireError> {
    let key = public_key(public_key_b64)?;
    let sig = B64.decode(signature_b64).map_err(|_| WireError::Invalid("the signature is not base64".into()))?;
    UnparsedPublicKey::new(&ED25519, key).verify(msg, &sig).map_err(|_| WireError::BadSignature)
}

/// Record and device ids: 1 to 64 letters, digits and `-` (uuids in practice).
pub fn check_id(what: &str, id: &str) -> Result<(), WireError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(WireError::Invalid(format!(
            "{what} `{}` is not a plain id (1 to 64 letters, digits, `-`)",
            truncate(id)
        )));
    }
    Ok(())
}

/// Nonces: 16 to 64 lower-case hex digits.
pub fn check_nonce(n: &str) -> Result<(), WireError> {
    if n.len() < 16 || n.len() > 64 || !n.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(WireError::Invalid("the nonce must be 16 to 64 lower-case hex digits".into()));
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    s.chars().take(70).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub code: String,
    pub device_id: String,
    /// Not needed by the hub, which keeps (only if so configured) the officer id its admin gave
    /// with the code; accepted from older devices and dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer_id: Option<String>,
    /// The device's Ed25519 public key (base64).
    pub public_key: String,
    /// Signature by that key over [`enroll_proof_input`].
    pub proof: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: String,
    /// The unit's Ed25519 public key that signs its configuration, when the hub has one.
    pub unit_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub records: Vec<PushItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushItem {
    pub id: String,
    /// SHA-256 (hex) of the envelope bytes; the idempotency key is (id, sha256).
    pub sha256: String,
    /// The sealed record (a one-record `fieldscreen-bundle/1`), base64.
    pub envelope: String,
}

/// A push checked for shape, sizes and hashes, envelopes decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub id: String,
    pub sha256: String,
    pub envelope: Vec<u8>,
}

impl PushRequest {
    /// Parses and checks a push body. Any bad item fails the whole push, naming the item.
    pub fn parse(body: &[u8]) -> Result<Vec<Incoming>, WireError> {
        let req: PushRequest =
            serde_json::from_slice(body).map_err(|e| WireError::Invalid(format!("the push body is not valid: {e}")))?;
        if req.records.is_empty() {
            return Err(WireError::Invalid("the push holds no records".into()));
        }
        if req.records.len() > MAX_BATCH {
            return Err(WireError::Invalid(format!(
                "the push holds {} records; at most {MAX_BATCH} are allowed",
                req.records.len()
            )));
        }
        let mut out: Vec<Incoming> = Vec::with_capacity(req.records.len());
        for (i, r) in req.records.into_iter().enumerate() {
            check_id("record id", &r.id).map_err(|e| WireError::Invalid(format!("record {i}: {e}")))?;
            if out.iter().any(|o| o.id == r.id) {
                return Err(WireError::Invalid(format!("record {i}: `{}` appears twice in the push", r.id)));
            }
            let envelope = Incoming::decode(&r.id, &r.envelope)?;
            let sha = sha256_hex(&envelope);
            if sha != r.sha256 {
                return Err(WireError::Invalid(format!(
                    "record `{}`: sha256 {} does not match its envelope",
                    r.id,
                    truncate(&r.sha256)
                )));
            }
            out.push(Incoming { id: r.id, sha256: sha, envelope });
        }
        Ok(out)
    }
}

impl Incoming {
    fn decode(id: &str, b64: &str) -> Result<Vec<u8>, WireError> {
        if b64.len() > MAX_ENVELOPE / 3 * 4 + 4 {
            return Err(WireError::Invalid(format!("record `{id}`: the envelope is larger than {MAX_ENVELOPE} bytes")));
        }
        let bytes =
            B64.decode(b64).map_err(|_| WireError::Invalid(format!("record `{id}`: the envelope is not base64")))?;
        Incoming::check_envelope(id, &bytes)?;
        Ok(bytes)
    }

    /// An envelope is an age file: anything else is refused, so that nothing readable is stored.
    pub fn check_envelope(id: &str, bytes: &[u8]) -> Result<(), WireError> {
        if bytes.len() > MAX_ENVELOPE {
            return Err(WireError::Invalid(format!("record `{id}`: the envelope is larger than {MAX_ENVELOPE} bytes")));
        }
        if !bytes.starts_with(b"age-encryption.org/v1\n") {
            return Err(WireError::Invalid(format!("record `{id}`: the envelope is not an age-encrypted file")));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// Stored now.
    Stored,
    /// Stored before with the same content hash: the original receipt.
    Duplicate,
    /// A record with this id and another content exists; nothing was overwritten.
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub id: String,
    pub status: ItemStatus,
    pub receipt: Option<Receipt>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<ItemResult>,
}

/// The hub's durable receipt: given only after its commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub record_id: String,
    pub device_id: String,
    pub sha256: String,
    pub size: u64,
    pub received_at: String,
    /// [`receipt_hash`] of the fields above.
    pub receipt: String,
}

pub fn receipt_hash(record_id: &str, device_id: &str, sha256: &str, size: u64, received_at: &str) -> String {
    sha256_hex(format!("{RECEIPT_FORMAT}\n{record_id}\n{device_id}\n{sha256}\n{size}\n{received_at}").as_bytes())
}

impl Receipt {
    pub fn new(record_id: &str, device_id: &str, sha256: &str, size: u64, received_at: &str) -> Receipt {
        Receipt {
            record_id: record_id.into(),
            device_id: device_id.into(),
            sha256: sha256.into(),
            size,
            received_at: received_at.into(),
            receipt: receipt_hash(record_id, device_id, sha256, size, received_at),
        }
    }

    /// True when this receipt is for exactly these bytes from this device, and hashes right.
    pub fn confirms(&self, record_id: &str, device_id: &str, sha256: &str) -> bool {
        self.record_id == record_id
            && self.device_id == device_id
            && self.sha256 == sha256
            && self.receipt
                == receipt_hash(&self.record_id, &self.device_id, &self.sha256, self.size, &self.received_at)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordMeta {
    pub seq: i64,
    pub id: String,
    pub device_id: String,
    pub size: u64,
    pub sha256: String,
    pub received_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordList {
    pub records: Vec<RecordMeta>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_id: String,
    /// Only on a hub that keeps officer ids (`keep_officer_id`).
    #[serde(default)]
    pub officer_id: Option<String>,
    pub public_key: String,
    pub enrolled_at: String,
    pub revoked_at: Option<String>,
    pub wipe: bool,
    pub wipe_reported_at: Option<String>,
    pub records: i64,
    pub bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub device_id: String,
    pub records: i64,
}

/// The body of every error answer: the device and the CLI match on `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub kind: String,
    pub message: String,
    /// On `revoked`: whether the device must crypto-wipe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wipe: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WipeReport {
    pub device_id: String,
    pub wiped_at: String,
    pub wiped: bool,
}

/// The unit's configuration, as the custodian signs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitDocument {
    pub format: String,
    pub unit: String,
    /// Grows with every publication; devices refuse an older one.
    pub serial: u64,
    pub published: String,
    /// The custodians' age recipients: devices seal records to these.
    pub recipients: Vec<String>,
    /// Content files (protocols, policy, resources) by relative path.
    pub files: BTreeMap<String, String>,
}

/// A unit document's exact bytes and the unit key's signature over them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedUnit {
    pub document: String,
    pub signature: String,
}

impl SignedUnit {
    /// Checks the signature against the unit key, then the document's shape.
    pub fn open(&self, unit_key: &str) -> Result<(UnitDocument, Vec<u8>), WireError> {
        let bytes =
            B64.decode(&self.document).map_err(|_| WireError::Invalid("the unit document is not base64".into()))?;
        verify(unit_key, &bytes, &self.signature)?;
        let doc: UnitDocument =
            serde_json::from_slice(&bytes).map_err(|e| WireError::Invalid(format!("the unit document: {e}")))?;
        doc.check()?;
        Ok((doc, bytes))
    }
}

impl UnitDocument {
    pub fn check(&self) -> Result<(), WireError> {
        if self.format != UNIT_FORMAT {
            return Err(WireError::Invalid(format!("unknown unit document format `{}`", truncate(&self.format))));
        }
        if self.recipients.is_empty() {
            return Err(WireError::Invalid("the unit document names no custodian recipient".into()));
        }
        for r in &self.recipients {
            if !r.starts_with("age1") || r.len() > 100 {
                return Err(WireError::Invalid(format!("`{}` is not an age recipient", truncate(r))));
            }
        }
        for p in self.files.keys() {
            let plain = !p.is_empty()
                && !p.starts_with('/')
                && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
                && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
            if !plain {
                return Err(WireError::Invalid(format!("file path `{}` is not a plain relative path", truncate(p))));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn envelope(tail: &[u8]) -> Vec<u8> {
        let mut v = b"age-encryption.org/v1\n".to_vec();
        v.extend_from_slice(tail);
        v
    }

    fn push(items: &[(&str, &[u8])]) -> Vec<u8> {
        let records: Vec<PushItem> = items
            .iter()
            .map(|(id, e)| PushItem { id: id.to_string(), sha256: sha256_hex(e), envelope: B64.encode(e) })
            .collect();
        serde_json::to_vec(&PushRequest { records }).unwrap()
    }

    #[test]
    fn nw_08_a_good_push_parses() {
        let e = envelope(b"x");
        let got = PushRequest::parse(&push(&[("a-1", &e), ("b-2", &e)])).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].envelope, e);
    }

    #[test]
    fn nw_08_each_bad_push_is_refused_with_its_reason() {
        let e = envelope(b"x");
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"{".to_vec(), "not valid"),
            (br#"{"records":[]}"#.to_vec(), "no records"),
            (push(&[("a b", &e)]), "not a plain id"),
            (push(&[("a", &e), ("a", &e)]), "appears twice"),
            (push(&[("a", b"plaintext record")]), "not an age-encrypted file"),
            (br#"{"records":[{"id":"a","sha256":"00","envelope":"YWdl"}]}"#.to_vec(), "not an age-encrypted"),
            (br#"{"records":[{"id":"a","sha256":"00","envelope":"!!"}]}"#.to_vec(), "not base64"),
            (
                br#"{"records":[{"id":"a","sha256":"00","envelope":"YWdlLWVuY3J5cHRpb24ub3JnL3YxCg=="}]}"#.to_vec(),
                "does not match",
            ),
            (br#"{"records":[],"extra":1}"#.to_vec(), "unknown field"),
        ];
        for (body, want) in cases {
            let err = PushRequest::parse(&body).unwrap_err().to_string();
            assert!(err.contains(want), "{err} should say {want}");
        }
        let many: Vec<(String, Vec<u8>)> = (0..=MAX_BATCH).map(|i| (format!("r{i}"), e.clone())).collect();
        let refs: Vec<(&str, &[u8])> = many.iter().map(|(a, b)| (a.as_str(), b.as_slice())).collect();
        assert!(PushRequest::parse(&push(&refs)).unwrap_err().to_string().contains("at most"));
    }

    #[test]
    fn receipts_bind_record_device_and_hash() {
        let r = Receipt::new("r1", "d1", "ab", 10, "2026-01-01T00:00:00Z");
        assert!(r.confirms("r1", "d1", "ab"));
        assert!(!r.confirms("r1", "d2", "ab"));
        assert!(!r.confirms("r1", "d1", "ac"));
        let mut forged = r.clone();
        forged.size = 11;
        assert!(!forged.confirms("r1", "d1", "ab"));
    }

    #[test]
    fn unit_documents_refuse_paths_that_leave_their_folder() {
        let mut d = UnitDocument {
            format: UNIT_FORMAT.into(),
            unit: "u".into(),
            serial: 1,
            published: "t".into(),
            recipients: vec!["age1abc".into()],
            files: BTreeMap::new(),
        };
        d.check().unwrap();
        for bad in ["../x.toml", "/etc/x", "a//b", "a/./b", "a\\b"] {
            d.files = BTreeMap::from([(bad.to_string(), String::new())]);
            assert!(d.check().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn nw_08_the_push_parser_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = PushRequest::parse(&body);
        }

        #[test]
        fn nw_08_the_push_parser_never_panics_on_near_json(id in ".{0,80}", sha in ".{0,70}", env in ".{0,200}") {
            let body = serde_json::json!({"records": [{"id": id, "sha256": sha, "envelope": env}]}).to_string();
            let _ = PushRequest::parse(body.as_bytes());
        }

        #[test]
        fn nw_08_unit_documents_never_panic(doc in ".{0,300}", sig in ".{0,100}") {
            let s = SignedUnit { document: doc, signature: sig };
            let _ = s.open("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        }
    }
}

#[cfg(test)]
mod fingerprint_tests {
    use super::*;

    #[test]
    fn a_fingerprint_reads_back_however_it_is_typed() {
        let fp = fingerprint(b"a certificate");
        assert_eq!(fp.split(' ').count(), 16);
        let want = parse_fingerprint(&fp).unwrap();
        assert_eq!(parse_fingerprint(&fp.to_lowercase().replace(' ', ":")).unwrap(), want);
        assert_eq!(parse_fingerprint(&fp.replace(' ', "")).unwrap(), want);
        let e = parse_fingerprint(&fp[..fp.len() - 5]).unwrap_err().to_string();
        assert!(e.contains("60 hex digits") && e.contains("64"), "{e}");
        let e = parse_fingerprint(&format!("{}ZZ", &fp[..fp.len() - 2])).unwrap_err().to_string();
        assert!(e.contains("not hex digits"), "{e}");
        assert!(parse_fingerprint("not hex at all, not hex at all, not hex at all, not hex at all").is_err());
    }
}
