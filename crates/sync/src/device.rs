//! The officer's device: enrollment, one sync pass, the background loop, status, revocation.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vault::enrollment::{Enrollment, RecordError};
use vault::Vault;

use crate::backoff::{os_random, Backoff};
use crate::client::{HubClient, Prepared, RequestSigner, SyncError};
use crate::wire::{self, EnrollRequest, EnrollResponse, ItemResult, ItemStatus, PushItem, SignedUnit, WipeReport};

/// Registers this device's key with the hub using a one-time code, and pins the hub's CA and
/// the unit key (`unit_key` when given must match what the hub reports). The three steps
/// ([`enroll_request`], the request, [`finish_enroll`]) are public so that a caller holding the
/// vault under a lock can leave it free while the request is on the network.
pub fn enroll(
    vault: &Vault,
    hub_url: &str,
    code: &str,
    ca_pems: Vec<String>,
    unit_key: Option<String>,
    now: DateTime<Utc>,
) -> Result<EnrollResponse, SyncError> {
    let req = enroll_request(vault, code, unit_key.as_deref())?;
    let client = HubClient::new(hub_url, &ca_pems)?;
    let resp = client.enroll(&req)?;
    finish_enroll(vault, client.url(), ca_pems, unit_key, &resp, now)?;
    Ok(resp)
}

/// The enrollment request for this device: its key and the proof that it holds it, bound to
/// the code. Refuses a device already enrolled and a unit key that is not one.
pub fn enroll_request(vault: &Vault, code: &str, unit_key: Option<&str>) -> Result<EnrollRequest, SyncError> {
    if let Some(e) = vault.enrollment()? {
        return Err(SyncError::Invalid(format!("this device is already enrolled with {}", e.hub_url)));
    }
    if let Some(k) = unit_key {
        wire::public_key(k).map_err(|e| SyncError::Invalid(format!("the unit key: {e}")))?;
    }
    let public_key = vault.device_public_key()?;
    let proof = B64.encode(vault.sign(&wire::enroll_proof_input(code, vault.device_id(), &public_key))?);
    Ok(EnrollRequest {
        code: code.to_string(),
        device_id: vault.device_id().into(),
        officer_id: None,
        public_key,
        proof,
    })
}

/// Keeps what the hub's answer to [`enroll_request`] settles: the hub URL, the pinned CAs and
/// the unit key.
pub fn finish_enroll(
    vault: &Vault,
    hub_url: &str,
    ca_pems: Vec<String>,
    unit_key: Option<String>,
    resp: &EnrollResponse,
    now: DateTime<Utc>,
) -> Result<(), SyncError> {
    let pinned = match (unit_key, &resp.unit_key) {
        (Some(given), Some(hub)) if given.trim() != hub => {
            return Err(SyncError::Invalid(
                "the hub reports another unit key than the one given; not pinning it".into(),
            ));
        }
        (Some(given), _) => Some(given.trim().to_string()),
        (None, hub) => hub.clone(),
    };
    vault.set_enrollment(
        &Enrollment { hub_url: hub_url.to_string(), ca_pems, unit_key: pinned, enrolled_at: now.to_rfc3339() },
        now,
    )?;
    Ok(())
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Records the hub stored now.
    pub sent: usize,
    /// Records the hub already had with the same content (a retry after a lost answer).
    pub already: usize,
    /// Records still queued after the pass.
    pub pending: usize,
    pub errors: Vec<RecordError>,
    /// The unit configuration in force after the pass.
    pub unit_serial: Option<u64>,
    /// Something about the unit configuration worth showing (refused, older, unpinned key).
    pub unit_note: Option<String>,
    /// Records are queued but no unit configuration with custodians is in force, so nothing
    /// could be sealed: they wait for the unit ([`Report::waiting_reason`] says it in words).
    pub waiting_for_unit: bool,
}

impl Report {
    /// Why nothing was sent, when records wait for the unit's configuration.
    pub fn waiting_reason(&self) -> Option<String> {
        if !self.waiting_for_unit {
            return None;
        }
        let why = match &self.unit_note {
            Some(n) => format!("the unit configuration was not applied ({n})"),
            None => "the unit has not published its configuration yet".into(),
        };
        Some(format!("nothing can be sealed: {why}, so this device knows no custodians to seal records to; {} records stay queued", self.pending))
    }
}

/// The status the app shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub enrolled: bool,
    pub hub_url: Option<String>,
    pub online: bool,
    pub pending: usize,
    pub last_sync: Option<String>,
    pub errors: Vec<RecordError>,
    pub unit_serial: Option<u64>,
    /// Records are queued but no unit configuration (with its custodians) is in force, so
    /// nothing can be sealed for the unit yet.
    pub waiting_for_unit: bool,
}

fn client(vault: &Vault) -> Result<HubClient, SyncError> {
    let e = vault.enrollment()?.ok_or(SyncError::NotEnrolled)?;
    HubClient::new(&e.hub_url, &e.ca_pems)
}

/// Online or not (probed now when `probe`), pending records, last sync, per-record errors.
pub fn status(vault: &Vault, probe: bool) -> Result<Status, SyncError> {
    let e = vault.enrollment()?;
    let online = match (&e, probe) {
        (Some(_), true) => client(vault)?.probe().is_ok(),
        _ => false,
    };
    let pending = vault.outbox()?.len();
    let unit = vault.unit_state()?;
    Ok(Status {
        enrolled: e.is_some(),
        hub_url: e.as_ref().map(|e| e.hub_url.clone()),
        online,
        pending,
        last_sync: vault.last_sync()?,
        errors: vault.record_errors()?,
        unit_serial: unit.as_ref().map(|u| u.serial),
        waiting_for_unit: e.is_some() && pending > 0 && unit.is_none_or(|u| u.recipients.is_empty()),
    })
}

/// Seals one record for the hub: a one-record bundle (`fieldscreen-bundle/1`) encrypted to the
/// unit's custodians and signed by the device key.
fn seal(vault: &Vault, id: &str, recipients: &[String], now: DateTime<Utc>) -> Result<Vec<u8>, SyncError> {
    let sealed = vault.sealed(&[id.to_string()])?.remove(0);
    let device_key = vault.device_public_key()?;
    let signer = vault::export::DeviceSigner::new(vault)?;
    let rec = bundle::RecordIn {
        id: sealed.id,
        body: sealed.body.into_bytes(),
        signature: sealed.signature,
        device_key,
        protocol: sealed.protocol,
    };
    let seal =
        bundle::Seal::recipients(recipients).map_err(|e| SyncError::Invalid(format!("the unit's recipients: {e}")))?;
    let created = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let origin = bundle::Origin {
        officer_id: vault.officer_id(),
        device_id: vault.device_id(),
        signer: &signer,
        created: &created,
    };
    // Padded to a size bucket: the hub cannot tell records apart by their size.
    bundle::seal_record(rec, &origin, seal).map_err(|e| SyncError::Invalid(format!("sealing record `{id}`: {e}")))
}

/// Where a pass finds the vault. It takes the vault only for a moment at a time (to prepare,
/// to commit, to sign one request), never across network IO: in the app the vault lives behind
/// the state mutex that the lock timer, the Lock command and window events also need.
pub trait VaultAccess {
    /// A pass begins: the flag that calls it off (set when the app locks, or on Ctrl-C), or
    /// `None` when there is nothing to sync now (the app is locked, or not enrolled).
    fn begin_pass(&self) -> Option<Arc<AtomicBool>>;
    /// Runs `f` on the vault; [`SyncError::Cancelled`] once it is gone (the app locked).
    fn with_vault<R>(&self, f: impl FnOnce(&Vault) -> Result<R, SyncError>) -> Result<R, SyncError>;
    /// The data folder, where a wipe report waits across a wipe ([`retry_wipe_report`]).
    fn data_dir(&self) -> PathBuf;
}

/// A vault owned by the caller (the `fieldscreen` command, tests): passes are never called off.
impl VaultAccess for Vault {
    fn begin_pass(&self) -> Option<Arc<AtomicBool>> {
        Some(Arc::new(AtomicBool::new(false)))
    }
    fn with_vault<R>(&self, f: impl FnOnce(&Vault) -> Result<R, SyncError>) -> Result<R, SyncError> {
        f(self)
    }
    fn data_dir(&self) -> PathBuf {
        self.dir().to_path_buf()
    }
}

/// A vault owned by the caller whose passes `stop` calls off (`device sync --watch` on Ctrl-C).
pub struct Stoppable<'a> {
    pub vault: &'a Vault,
    pub stop: Arc<AtomicBool>,
}

impl VaultAccess for Stoppable<'_> {
    fn begin_pass(&self) -> Option<Arc<AtomicBool>> {
        Some(self.stop.clone())
    }
    fn with_vault<R>(&self, f: impl FnOnce(&Vault) -> Result<R, SyncError>) -> Result<R, SyncError> {
        f(self.vault)
    }
    fn data_dir(&self) -> PathBuf {
        self.vault.dir().to_path_buf()
    }
}

/// `f` under the vault, unless the pass was called off.
fn under<A: VaultAccess, R>(
    access: &A,
    cancel: &AtomicBool,
    f: impl FnOnce(&Vault) -> Result<R, SyncError>,
) -> Result<R, SyncError> {
    if cancel.load(Ordering::SeqCst) {
        return Err(SyncError::Cancelled);
    }
    access.with_vault(f)
}

/// Signs the requests the send step makes up as it goes (the halves of a push the hub found too
/// large), taking the vault for one signature at a time.
struct AccessSigner<'a, A> {
    access: &'a A,
    cancel: &'a AtomicBool,
    device: String,
}

impl<A: VaultAccess> RequestSigner for AccessSigner<'_, A> {
    fn signer_id(&self) -> String {
        self.device.clone()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SyncError> {
        under(self.access, self.cancel, |v| Ok(v.sign(msg)?))
    }
}

/// Checks a unit configuration from the hub and applies it when it is newer and verifies.
fn apply_unit(vault: &Vault, signed: Option<SignedUnit>, now: DateTime<Utc>) -> Result<Option<String>, SyncError> {
    let Some(signed) = signed else {
        return Ok(None);
    };
    let Some(key) = vault.enrollment()?.and_then(|e| e.unit_key) else {
        return Ok(Some("no unit key is pinned on this device; the unit configuration is not applied".into()));
    };
    let (doc, bytes) = match signed.open(&key) {
        Ok(d) => d,
        Err(e) => return Ok(Some(format!("the hub's unit configuration was refused: {e}"))),
    };
    let current = vault.unit_state()?.map(|u| u.serial);
    match current {
        Some(c) if doc.serial < c => Ok(Some(format!(
            "the hub offers unit configuration {} but {c} is in force; the older one is refused",
            doc.serial
        ))),
        Some(c) if doc.serial == c => Ok(None),
        _ => match crate::unit::apply(vault, &doc, &bytes, &signed.signature, now) {
            Ok(_) => Ok(None),
            Err(SyncError::Invalid(m)) => Ok(Some(m)),
            Err(e) => Err(e),
        },
    }
}

/// One pass, for a vault the caller owns: [`sync_pass`] never called off.
pub fn sync_once(vault: &Vault, now: impl Fn() -> DateTime<Utc>) -> Result<Report, SyncError> {
    sync_pass(vault, Arc::new(AtomicBool::new(false)), now)
}

/// One pass in three steps, so that nothing holds the vault while the network is used:
///
/// 1. **prepare** (under the vault): sign the request for the unit configuration; after its
///    answer, apply it, read the outbox, seal each record not sealed yet and keep its envelope
///    before anything is sent (a retry sends the very same bytes);
/// 2. **send** (no vault): push in order, halving a push the hub finds too large; `cancel` is
///    looked at between requests and while one waits, so a pass against a hung hub ends within
///    [`crate::client::CANCEL_POLL`] of it being set;
/// 3. **commit** (under the vault): mark synced what a receipt confirms (the exact bytes sent),
///    keep per-record errors, note the contact.
///
/// A record is marked synced only on a receipt; a pass called off or cut keeps what was
/// confirmed and leaves the rest queued. Two passes at once are safe: sealing happens under the
/// vault, and the hub answers a repeat with the original receipt. A hub whose certificate does
/// not check is audited (`untrusted-hub`). Records queued while no unit configuration with
/// custodians is in force stay queued, and the report says they wait for the unit.
pub fn sync_pass(
    access: &impl VaultAccess,
    cancel: Arc<AtomicBool>,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<Report, SyncError> {
    let (client, unit_request) = under(access, &cancel, |v| {
        let c = client(v)?;
        let p = c.prepare("GET", "/v1/unit", Vec::new(), v)?;
        Ok((c, p))
    })?;
    let client = client.cancellable(cancel.clone());
    let result = exchange(access, &cancel, &client, &unit_request, &now);
    if let Err(SyncError::Untrusted(_)) = &result {
        under(access, &cancel, |v| Ok(v.audit_untrusted_hub(client.url(), now())?))?;
    }
    result
}

/// What prepare leaves for send: the report so far, or the pushes to make.
enum Plan {
    Done(Report),
    Push { report: Report, device: String, chunks: Vec<Vec<PushItem>> },
}

/// What the hub answered during send, committed afterwards in one go.
#[derive(Default)]
struct Answers {
    /// (record id, receipt) confirmed by the hub.
    confirmed: Vec<(String, String)>,
    errors: Vec<RecordError>,
    sent: usize,
    already: usize,
}

fn exchange<A: VaultAccess>(
    access: &A,
    cancel: &AtomicBool,
    client: &HubClient,
    unit_request: &Prepared,
    now: &impl Fn() -> DateTime<Utc>,
) -> Result<Report, SyncError> {
    // send: the unit configuration
    let signed = match client.execute(unit_request) {
        Ok(a) => Some(
            serde_json::from_slice::<SignedUnit>(&a.body)
                .map_err(|e| SyncError::Invalid(format!("the hub's answer is not valid: {e}")))?,
        ),
        Err(SyncError::Hub { status: 404, .. }) => None,
        Err(e) => return Err(e),
    };
    // commit it, prepare the outbox
    let plan = under(access, cancel, |v| {
        let unit_note = apply_unit(v, signed, now())?;
        prepare(v, unit_note, now)
    })?;
    let (mut report, device, chunks) = match plan {
        Plan::Done(r) => return Ok(r),
        Plan::Push { report, device, chunks } => (report, device, chunks),
    };
    // send: the records
    let signer = AccessSigner { access, cancel, device: device.clone() };
    let mut answers = Answers::default();
    let mut ceiling = None;
    let mut sent = Ok(());
    for chunk in &chunks {
        sent = push_split(client, &signer, &device, chunk, &mut ceiling, &mut answers, now);
        if sent.is_err() {
            break;
        }
    }
    // commit: whatever the hub confirmed, even when the send step ended early or was called
    // off (while the vault is still there to take it)
    access.with_vault(|v| {
        for e in &answers.errors {
            v.set_record_error(e)?;
        }
        v.mark_synced_with_receipts(&answers.confirmed, now())?;
        if sent.is_ok() {
            report.sent = answers.sent;
            report.already = answers.already;
            report.pending = v.outbox()?.len();
            report.errors = v.record_errors()?;
            v.set_last_sync(now())?;
            v.set_last_contact(now())?;
        }
        Ok(())
    })?;
    sent.map(|()| report)
}

/// The prepare step for the outbox: records sealed once (kept before the first send), the
/// pushes cut into batches. Records that cannot go get their per-record error here.
fn prepare(vault: &Vault, unit_note: Option<String>, now: &impl Fn() -> DateTime<Utc>) -> Result<Plan, SyncError> {
    let mut report = Report { unit_note, ..Report::default() };
    let unit = vault.unit_state()?;
    report.unit_serial = unit.as_ref().map(|u| u.serial);
    let outbox = vault.outbox()?;
    if outbox.is_empty() {
        report.errors = vault.record_errors()?;
        vault.set_last_sync(now())?;
        vault.set_last_contact(now())?;
        return Ok(Plan::Done(report));
    }
    let Some(unit) = unit.filter(|u| !u.recipients.is_empty()) else {
        report.pending = outbox.len();
        report.errors = vault.record_errors()?;
        report.waiting_for_unit = true;
        vault.set_last_contact(now())?;
        return Ok(Plan::Done(report));
    };
    let mut chunks = Vec::new();
    for chunk in outbox.chunks(wire::MAX_BATCH) {
        let mut items = Vec::with_capacity(chunk.len());
        let mut fresh = Vec::new();
        for id in chunk {
            let b64 = match vault.sync_envelope(id)? {
                Some(b) => b,
                None => match seal(vault, id, &unit.recipients, now()) {
                    Ok(bytes) => {
                        let b = B64.encode(&bytes);
                        fresh.push((id.clone(), b.clone()));
                        b
                    }
                    Err(e) => {
                        vault.set_record_error(&RecordError {
                            record_id: id.clone(),
                            kind: e.kind().into(),
                            message: e.to_string(),
                            at: now().to_rfc3339(),
                        })?;
                        continue;
                    }
                },
            };
            let bytes = B64
                .decode(&b64)
                .map_err(|_| SyncError::Invalid(format!("the stored envelope of `{id}` is damaged")))?;
            if bytes.len() > wire::MAX_ENVELOPE {
                // The hub refuses a whole push over one such envelope: it stays here, named.
                vault.set_record_error(&too_large(
                    id,
                    bytes.len(),
                    Some(wire::MAX_ENVELOPE as u64),
                    "the largest sealed record a hub takes",
                    now(),
                ))?;
                continue;
            }
            items.push(PushItem { id: id.clone(), sha256: wire::sha256_hex(&bytes), envelope: b64 });
        }
        // Sealed once, kept before the first send: a retry sends the very same bytes.
        vault.store_sync_envelopes(&fresh)?;
        chunks.push(items);
    }
    Ok(Plan::Push { report, device: vault.device_id().to_string(), chunks })
}

/// The per-record error of a record the hub cannot take for its size. It stays queued (and is
/// tried again: the limit may be raised).
fn too_large(id: &str, size: usize, limit: Option<u64>, which: &str, at: DateTime<Utc>) -> RecordError {
    let limit = match limit {
        Some(l) => format!("{which}: {l} bytes"),
        None => format!("{which}, which it did not state"),
    };
    RecordError {
        record_id: id.to_string(),
        kind: "too-large".into(),
        message: format!("record `{id}` is too large for the hub: its sealed envelope is {size} bytes, over {limit}; it stays queued on this device"),
        at: at.to_rfc3339(),
    }
}

/// Whether an error says the request was too large for the hub.
enum TooLarge {
    /// A 413, with the limit when the hub states it.
    Said(Option<u64>),
    /// The connection cut while the body was sent, by a hub that answers right after: a hub
    /// closes on a body over its limit, often before its 413 can be read.
    Cut,
}

fn too_large_for_hub(client: &HubClient, e: &SyncError) -> Option<TooLarge> {
    match e {
        SyncError::Hub { status: 413, limit, .. } => Some(TooLarge::Said(*limit)),
        SyncError::Cut(_) if client.probe().is_ok() => Some(TooLarge::Cut),
        _ => None,
    }
}

/// At least the size of the push request carrying `items` (JSON, envelopes in base64).
fn push_size(items: &[PushItem]) -> usize {
    16 + items.iter().map(|i| i.id.len() + i.sha256.len() + i.envelope.len() + 40).sum::<usize>()
}

/// Pushes `items` in order. A push the hub finds too large is halved and each half pushed in
/// turn, down to one record, which then goes alone as its raw envelope; a record too large
/// even so gets a per-record error naming it and the limit, and the others go on. `ceiling` is
/// the smallest request the hub refused with a 413 in this pass: anything that large is split
/// (or, for one record, refused) without being sent again.
fn push_split(
    client: &HubClient,
    signer: &dyn RequestSigner,
    device: &str,
    items: &[PushItem],
    ceiling: &mut Option<usize>,
    answers: &mut Answers,
    now: &impl Fn() -> DateTime<Utc>,
) -> Result<(), SyncError> {
    if items.is_empty() {
        return Ok(());
    }
    let size = push_size(items);
    let known_too_large = ceiling.is_some_and(|c| size >= c);
    let refused = if known_too_large {
        None
    } else {
        match client.push(signer, items.to_vec()) {
            Ok(resp) => return settle(device, items, &resp.results, answers, now),
            Err(e) => match too_large_for_hub(client, &e) {
                Some(TooLarge::Said(limit)) => {
                    *ceiling = Some(ceiling.map_or(size, |c| c.min(size)));
                    limit
                }
                Some(TooLarge::Cut) => None,
                None => return Err(e),
            },
        }
    };
    if items.len() > 1 {
        let (first, second) = items.split_at(items.len() / 2);
        push_split(client, signer, device, first, ceiling, answers, now)?;
        return push_split(client, signer, device, second, ceiling, answers, now);
    }
    let item = &items[0];
    let bytes = B64
        .decode(&item.envelope)
        .map_err(|_| SyncError::Invalid(format!("the stored envelope of `{}` is damaged", item.id)))?;
    let envelope = bytes.len();
    let which = "the hub's request limit (`max_body` in its hub.toml)";
    if ceiling.is_some_and(|c| envelope >= c) {
        answers.errors.push(too_large(&item.id, envelope, refused, which, now()));
        return Ok(());
    }
    // A cut alone could be the network: a record is called too large on a 413, or on a second
    // cut in a row while the hub answers in between.
    let mut cut_before = false;
    loop {
        match client.put_record(signer, &item.id, bytes.clone()) {
            Ok(r) => return settle(device, items, &[r], answers, now),
            Err(SyncError::Hub { status: 409, message, .. }) => {
                answers.errors.push(RecordError {
                    record_id: item.id.clone(),
                    kind: "conflict".into(),
                    message,
                    at: now().to_rfc3339(),
                });
                return Ok(());
            }
            Err(e) => {
                let limit = match too_large_for_hub(client, &e) {
                    Some(TooLarge::Cut) if !cut_before => {
                        cut_before = true;
                        continue;
                    }
                    Some(TooLarge::Cut) => None,
                    Some(TooLarge::Said(limit)) => {
                        *ceiling = Some(ceiling.map_or(envelope, |c| c.min(envelope)));
                        limit
                    }
                    None => return Err(e),
                };
                answers.errors.push(too_large(&item.id, envelope, limit.or(refused), which, now()));
                return Ok(());
            }
        }
    }
}

/// The hub's answers for records sent: those whose receipt confirms exactly the bytes sent are
/// to be marked synced (in one vault transaction, at commit); the others keep a per-record error.
fn settle(
    device: &str,
    sent: &[PushItem],
    results: &[ItemResult],
    answers: &mut Answers,
    now: &impl Fn() -> DateTime<Utc>,
) -> Result<(), SyncError> {
    for PushItem { id, sha256: sha, .. } in sent {
        let r = results.iter().find(|r| &r.id == id);
        match r {
            Some(r)
                if matches!(r.status, ItemStatus::Stored | ItemStatus::Duplicate)
                    && r.receipt.as_ref().is_some_and(|rc| rc.confirms(id, device, sha)) =>
            {
                if r.status == ItemStatus::Stored {
                    answers.sent += 1;
                } else {
                    answers.already += 1;
                }
                answers
                    .confirmed
                    .push((id.clone(), r.receipt.as_ref().map(|rc| rc.receipt.clone()).unwrap_or_default()));
            }
            other => {
                let message = other
                    .and_then(|r| r.error.clone())
                    .unwrap_or_else(|| "the hub gave no valid receipt for this record".into());
                let kind = other
                    .map(|r| if r.status == ItemStatus::Conflict { "conflict" } else { "bad-receipt" })
                    .unwrap_or("missing");
                answers.errors.push(RecordError {
                    record_id: id.clone(),
                    kind: kind.into(),
                    message,
                    at: now().to_rfc3339(),
                });
            }
        }
    }
    Ok(())
}

/// What happened when the hub said the device is revoked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revocation {
    pub wiped: bool,
    /// The signed report reached the hub (else it is retried from [`WIPE_REPORT_FILE`]).
    pub reported: bool,
}

/// The wipe report waiting for the hub's answer, in the data folder beside the vault (which
/// the wipe leaves alone). It holds only what the hub already knows: its own URL and CA, the
/// device id, and reports signed by the device key before the wipe. Never the key itself: the
/// hub accepts a request only within [`wire::MAX_SKEW_SECS`] of its time, so the device signs
/// one report for every [`WIPE_REPORT_STEP_SECS`] of the next [`WIPE_REPORT_DAYS`] days, and a
/// retry sends the one whose time is nearest.
pub const WIPE_REPORT_FILE: &str = "wipe-report.json";
pub const WIPE_REPORT_DAYS: i64 = 7;
/// Twice the hub's allowed skew less a minute either side, so consecutive reports overlap.
pub const WIPE_REPORT_STEP_SECS: i64 = 2 * (wire::MAX_SKEW_SECS - 60);
const WIPE_REPORT_FORMAT: &str = "fieldscreen-wipe-report/1";
const WIPE_REPORT_PATH: &str = "/v1/wipe-report";

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct WipeReportFile {
    format: String,
    hub_url: String,
    ca_pems: Vec<String>,
    device_id: String,
    /// The report's JSON, the same bytes under every signature.
    body: String,
    signed: Vec<SignedAt>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct SignedAt {
    time: i64,
    nonce: String,
    signature: String,
}

/// The device was revoked: audit it, sign the reports while the key is still here and keep them
/// in [`WIPE_REPORT_FILE`], close the vault, crypto-wipe it when the unit says so, then send the
/// report. The file goes once the hub acknowledges; until then every pass and every start
/// retries it ([`retry_wipe_report`]).
pub fn carry_out_revocation(vault: Vault, wipe: bool, now: DateTime<Utc>) -> Result<Revocation, SyncError> {
    let enrollment = vault.enrollment()?.ok_or(SyncError::NotEnrolled)?;
    vault.audit_revocation(now)?;
    let report = WipeReport { device_id: vault.device_id().into(), wiped_at: now.to_rfc3339(), wiped: wipe };
    let body = serde_json::to_string(&report).map_err(|e| SyncError::Invalid(e.to_string()))?;
    let device = vault.device_id().to_string();
    let start = now.timestamp();
    let mut signed = Vec::new();
    let mut time = start;
    while time <= start + WIPE_REPORT_DAYS * 86_400 {
        let nonce = crate::client::nonce();
        let msg = wire::signing_input("POST", WIPE_REPORT_PATH, &device, time, &nonce, body.as_bytes());
        signed.push(SignedAt { time, nonce, signature: B64.encode(vault.sign(&msg)?) });
        time += WIPE_REPORT_STEP_SECS;
    }
    let file = WipeReportFile {
        format: WIPE_REPORT_FORMAT.into(),
        hub_url: enrollment.hub_url,
        ca_pems: enrollment.ca_pems,
        device_id: device,
        body,
        signed,
    };
    let dir = vault.dir().to_path_buf();
    let bytes = serde_json::to_vec(&file).map_err(|e| SyncError::Invalid(e.to_string()))?;
    durable::write_atomic(&dir.join(WIPE_REPORT_FILE), &bytes)
        .map_err(|e| SyncError::Invalid(format!("the wipe report cannot be kept for retrying: {e}")))?;
    vault.lock();
    if wipe {
        vault::wipe(&dir)?;
    }
    let reported = matches!(retry_wipe_report(&dir, now), Ok(Some(true)));
    Ok(Revocation { wiped: wipe, reported })
}

/// Sends the wipe report waiting in `dir`, if there is one: `None` when there is none,
/// `Some(true)` when the hub acknowledged it now (the file is removed), `Some(false)` when it
/// could not be sent and stays for the next try. A hub that says it already has this very
/// report (its nonce is used: an earlier answer was lost) acknowledged it. Reports past their
/// last signed time cannot be sent any more: the file is removed and the error says so.
pub fn retry_wipe_report(dir: &Path, now: DateTime<Utc>) -> Result<Option<bool>, SyncError> {
    let path = dir.join(WIPE_REPORT_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SyncError::Invalid(format!("cannot read {}: {e}", path.display()))),
    };
    let file: WipeReportFile = serde_json::from_slice(&bytes)
        .ok()
        .filter(|f: &WipeReportFile| f.format == WIPE_REPORT_FORMAT)
        .ok_or_else(|| SyncError::Invalid(format!("{} is damaged; the wipe cannot be reported", path.display())))?;
    let t = now.timestamp();
    let window = wire::MAX_SKEW_SECS - 60;
    let Some(s) = file.signed.iter().min_by_key(|s| (s.time - t).abs()) else {
        return Err(SyncError::Invalid(format!("{} holds no signed report", path.display())));
    };
    if (s.time - t).abs() > window {
        if t > s.time {
            remove_wipe_report(&path)?;
            return Err(SyncError::Invalid(format!(
                "the wipe report could not reach the hub within {WIPE_REPORT_DAYS} days and can no longer be sent; the hub still shows the device revoked"
            )));
        }
        return Ok(Some(false));
    }
    let client = HubClient::new(&file.hub_url, &file.ca_pems)?;
    let p = Prepared::presigned(
        "POST",
        WIPE_REPORT_PATH,
        file.body.into_bytes(),
        &file.device_id,
        s.time,
        &s.nonce,
        &s.signature,
    );
    let acknowledged = match client.execute(&p) {
        Ok(_) => true,
        Err(SyncError::Hub { status: 401, kind, .. }) if kind == "replay" => true,
        Err(_) => false,
    };
    if acknowledged {
        remove_wipe_report(&path)?;
    }
    Ok(Some(acknowledged))
}

fn remove_wipe_report(path: &Path) -> Result<(), SyncError> {
    std::fs::remove_file(path).map_err(|e| SyncError::Invalid(format!("cannot remove {}: {e}", path.display())))?;
    durable::sync_parent(path).map_err(|e| SyncError::Invalid(e.to_string()))
}
/// What may happen right after an unlock, before anything is shown.
pub enum CheckIn {
    /// Go on.
    Open(Box<Vault>),
    /// The unit revoked the device: it was handled (wiped when asked) before anything was shown.
    Revoked(Revocation),
    /// No contact with the hub for longer than allowed: the vault was closed; it opens again
    /// once the hub can be reached.
    Locked { offline_days: i64 },
}

/// NW-06: contact the hub right after unlocking. A revoked device is wiped (as the unit says)
/// before any data is shown; an unreachable hub is fine unless the last contact is older than
/// `max_offline` (the offline time-bomb), measured with `now` from the caller's trusted clock.
pub fn check_in(vault: Vault, max_offline: Option<chrono::Duration>, now: DateTime<Utc>) -> Result<CheckIn, SyncError> {
    let Some(enrollment) = vault.enrollment()? else {
        return Ok(CheckIn::Open(Box::new(vault)));
    };
    let client = HubClient::new(&enrollment.hub_url, &enrollment.ca_pems)?;
    match client.status(&vault) {
        Ok(_) => {
            vault.set_last_contact(now)?;
            Ok(CheckIn::Open(Box::new(vault)))
        }
        Err(SyncError::Revoked { wipe }) => Ok(CheckIn::Revoked(carry_out_revocation(vault, wipe, now)?)),
        Err(e) if e.is_retryable() || matches!(e, SyncError::Untrusted(_)) => {
            if let SyncError::Untrusted(_) = e {
                vault.audit_untrusted_hub(client.url(), now)?;
            }
            let last = vault.last_contact()?.unwrap_or(enrollment.enrolled_at);
            let last = DateTime::parse_from_rfc3339(&last)
                .map_err(|_| SyncError::Invalid("the last contact time is damaged".into()))?
                .with_timezone(&Utc);
            match max_offline {
                Some(max) if now - last > max => {
                    vault.lock();
                    Ok(CheckIn::Locked { offline_days: (now - last).num_days() })
                }
                _ => Ok(CheckIn::Open(Box::new(vault))),
            }
        }
        Err(e) => Err(e),
    }
}

/// How the loop paces itself: the one set of constants the app and `device sync --watch` share.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Between passes while everything goes well.
    pub poll: Duration,
    /// After a failure (offline or the hub's trouble): doubling with jitter up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// While there is nothing to sync (the app locked, not enrolled), how often to look again.
    pub idle: Duration,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            poll: Duration::from_secs(30),
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(300),
            idle: Duration::from_secs(5),
        }
    }
}

/// The one sync loop, for the app and `device sync --watch`: until `stop` is set, retries a
/// waiting wipe report, runs a pass ([`sync_pass`], called off by the access's flag), backs off
/// with jitter on failure (the network, the hub's trouble, an untrusted certificate) and never
/// gives up. Each pass's outcome goes to `on_pass`, except a pass called off. Returns on `stop`,
/// on revocation (the caller then calls [`carry_out_revocation`] without holding anything) or on
/// an error that retrying cannot fix (the vault).
pub fn run(
    access: &impl VaultAccess,
    opts: &RunOptions,
    stop: &AtomicBool,
    mut on_pass: impl FnMut(&Result<Report, SyncError>),
) -> Result<(), SyncError> {
    let mut backoff = Backoff::new(opts.first_delay, opts.max_delay);
    while !stop.load(Ordering::SeqCst) {
        let _ = retry_wipe_report(&access.data_dir(), Utc::now());
        let wait = match access.begin_pass() {
            None => opts.idle,
            Some(cancel) => match sync_pass(access, cancel, Utc::now) {
                Err(SyncError::Cancelled) => opts.idle,
                outcome => {
                    on_pass(&outcome);
                    match outcome {
                        Ok(_) => {
                            backoff.reset();
                            opts.poll
                        }
                        Err(SyncError::Revoked { wipe }) => return Err(SyncError::Revoked { wipe }),
                        Err(e) if e.is_retryable() || matches!(e, SyncError::Untrusted(_)) => backoff.next(os_random()),
                        Err(e) => return Err(e),
                    }
                }
            },
        };
        let until = std::time::Instant::now() + wait;
        while !stop.load(Ordering::SeqCst) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50).min(until - std::time::Instant::now()));
        }
    }
    Ok(())
}
