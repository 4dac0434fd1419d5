//! The officer's device: enrollment, one sync pass, the background loop, status, revocation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vault::enrollment::{Enrollment, RecordError};
use vault::Vault;

use crate::backoff::{os_random, Backoff};
use crate::client::{HubClient, SyncError};
use crate::wire::{self, EnrollRequest, EnrollResponse, ItemResult, ItemStatus, PushItem, WipeReport};

/// Registers this device's key with the hub using a one-time code, and pins the hub's CA and
/// the unit key (`unit_key` when given must match what the hub reports).
pub fn enroll(vault: &Vault, hub_url: &str, code: &str, ca_pems: Vec<String>, unit_key: Option<String>, now: DateTime<Utc>) -> Result<EnrollResponse, SyncError> {
    if let Some(e) = vault.enrollment()? {
        return Err(SyncError::Invalid(format!("this device is already enrolled with {}", e.hub_url)));
    }
    if let Some(k) = &unit_key {
        wire::public_key(k).map_err(|e| SyncError::Invalid(format!("the unit key: {e}")))?;
    }
    let client = HubClient::new(hub_url, &ca_pems)?;
    let public_key = vault.device_public_key()?;
    let proof = B64.encode(vault.sign(&wire::enroll_proof_input(code, vault.device_id(), &public_key))?);
    let req = EnrollRequest { code: code.to_string(), device_id: vault.device_id().into(), officer_id: None, public_key, proof };
    let resp = client.enroll(&req)?;
    let pinned = match (unit_key, &resp.unit_key) {
        (Some(given), Some(hub)) if given.trim() != hub => {
            return Err(SyncError::Invalid("the hub reports another unit key than the one given; not pinning it".into()));
        }
        (Some(given), _) => Some(given.trim().to_string()),
        (None, hub) => hub.clone(),
    };
    vault.set_enrollment(&Enrollment { hub_url: client.url().to_string(), ca_pems, unit_key: pinned, enrolled_at: now.to_rfc3339() }, now)?;
    Ok(resp)
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
    let rec = bundle::RecordIn { id: sealed.id, body: sealed.body.into_bytes(), signature: sealed.signature, device_key, protocol: sealed.protocol };
    let seal = bundle::Seal::recipients(recipients).map_err(|e| SyncError::Invalid(format!("the unit's recipients: {e}")))?;
    let created = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    bundle::export(&mut std::iter::once(Ok(rec)), 1, (vault.officer_id(), vault.device_id()), &signer, seal, &created, Vec::new(), &mut |_, _| {})
        .map_err(|e| SyncError::Invalid(format!("sealing record `{id}`: {e}")))
}

/// Pulls the unit configuration and applies it when it is newer and verifies.
fn pull_unit(vault: &Vault, client: &HubClient, now: DateTime<Utc>) -> Result<Option<String>, SyncError> {
    let Some(signed) = client.unit(vault)? else {
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
        Some(c) if doc.serial < c => Ok(Some(format!("the hub offers unit configuration {} but {c} is in force; the older one is refused", doc.serial))),
        Some(c) if doc.serial == c => Ok(None),
        _ => match crate::unit::apply(vault, &doc, &bytes, &signed.signature, now) {
            Ok(_) => Ok(None),
            Err(SyncError::Invalid(m)) => Ok(Some(m)),
            Err(e) => Err(e),
        },
    }
}

/// One pass: the unit configuration, then the outbox in order. A record is marked synced only
/// when the hub's receipt confirms exactly the bytes sent. Network trouble ends the pass with
/// the records still queued. A hub whose certificate does not check is audited in the vault
/// (`untrusted-hub`). Records queued while no unit configuration with custodians is in force
/// stay queued, and the report says they wait for the unit (`waiting_for_unit`).
pub fn sync_once(vault: &Vault, now: impl Fn() -> DateTime<Utc>) -> Result<Report, SyncError> {
    let client = client(vault)?;
    let result = pass(vault, &client, &now);
    if let Err(SyncError::Untrusted(_)) = &result {
        vault.audit_untrusted_hub(client.url(), now())?;
    }
    result
}

fn pass(vault: &Vault, client: &HubClient, now: &impl Fn() -> DateTime<Utc>) -> Result<Report, SyncError> {
    let mut report = Report { unit_note: pull_unit(vault, client, now())?, ..Report::default() };
    let unit = vault.unit_state()?;
    report.unit_serial = unit.as_ref().map(|u| u.serial);
    let outbox = vault.outbox()?;
    if outbox.is_empty() {
        report.errors = vault.record_errors()?;
        vault.set_last_sync(now())?;
        vault.set_last_contact(now())?;
        return Ok(report);
    }
    let Some(unit) = unit.filter(|u| !u.recipients.is_empty()) else {
        report.pending = outbox.len();
        report.errors = vault.record_errors()?;
        report.waiting_for_unit = true;
        vault.set_last_contact(now())?;
        return Ok(report);
    };
    let device = vault.device_id().to_string();
    let mut ceiling = None;
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
                        vault.set_record_error(&RecordError { record_id: id.clone(), kind: e.kind().into(), message: e.to_string(), at: now().to_rfc3339() })?;
                        continue;
                    }
                },
            };
            let bytes = B64.decode(&b64).map_err(|_| SyncError::Invalid(format!("the stored envelope of `{id}` is damaged")))?;
            if bytes.len() > wire::MAX_ENVELOPE {
                // The hub refuses a whole push over one such envelope: it stays here, named.
                vault.set_record_error(&too_large(id, bytes.len(), Some(wire::MAX_ENVELOPE as u64), "the largest sealed record a hub takes", now()))?;
                continue;
            }
            items.push(PushItem { id: id.clone(), sha256: wire::sha256_hex(&bytes), envelope: b64 });
        }
        // Sealed once, kept before the first send: a retry sends the very same bytes.
        vault.store_sync_envelopes(&fresh)?;
        push_split(vault, client, &device, &items, &mut ceiling, &mut report, now)?;
    }
    report.pending = vault.outbox()?.len();
    report.errors = vault.record_errors()?;
    vault.set_last_sync(now())?;
    vault.set_last_contact(now())?;
    Ok(report)
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
fn push_split(vault: &Vault, client: &HubClient, device: &str, items: &[PushItem], ceiling: &mut Option<usize>, report: &mut Report, now: &impl Fn() -> DateTime<Utc>) -> Result<(), SyncError> {
    if items.is_empty() {
        return Ok(());
    }
    let size = push_size(items);
    let known_too_large = ceiling.is_some_and(|c| size >= c);
    let refused = if known_too_large {
        None
    } else {
        match client.push(vault, items.to_vec()) {
            Ok(resp) => return settle(vault, device, items, &resp.results, report, now),
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
        push_split(vault, client, device, first, ceiling, report, now)?;
        return push_split(vault, client, device, second, ceiling, report, now);
    }
    let item = &items[0];
    let bytes = B64.decode(&item.envelope).map_err(|_| SyncError::Invalid(format!("the stored envelope of `{}` is damaged", item.id)))?;
    let envelope = bytes.len();
    let which = "the hub's request limit (`max_body` in its hub.toml)";
    if ceiling.is_some_and(|c| envelope >= c) {
        return vault.set_record_error(&too_large(&item.id, envelope, refused, which, now())).map_err(Into::into);
    }
    // A cut alone could be the network: a record is called too large on a 413, or on a second
    // cut in a row while the hub answers in between.
    let mut cut_before = false;
    loop {
        match client.put_record(vault, &item.id, bytes.clone()) {
            Ok(r) => return settle(vault, device, items, &[r], report, now),
            Err(SyncError::Hub { status: 409, message, .. }) => {
                return vault.set_record_error(&RecordError { record_id: item.id.clone(), kind: "conflict".into(), message, at: now().to_rfc3339() }).map_err(Into::into);
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
                return vault.set_record_error(&too_large(&item.id, envelope, limit.or(refused), which, now())).map_err(Into::into);
            }
        }
    }
}

/// The hub's answers for records sent: those whose receipt confirms exactly the bytes sent are
/// marked synced (one vault transaction); the others keep a per-record error.
fn settle(vault: &Vault, device: &str, sent: &[PushItem], results: &[ItemResult], report: &mut Report, now: &impl Fn() -> DateTime<Utc>) -> Result<(), SyncError> {
    let mut confirmed = Vec::new();
    for PushItem { id, sha256: sha, .. } in sent {
        let r = results.iter().find(|r| &r.id == id);
        match r {
            Some(r) if matches!(r.status, ItemStatus::Stored | ItemStatus::Duplicate) && r.receipt.as_ref().is_some_and(|rc| rc.confirms(id, device, sha)) => {
                if r.status == ItemStatus::Stored {
                    report.sent += 1;
                } else {
                    report.already += 1;
                }
                confirmed.push((id.clone(), r.receipt.as_ref().map(|rc| rc.receipt.clone()).unwrap_or_default()));
            }
            other => {
                let message = other.and_then(|r| r.error.clone()).unwrap_or_else(|| "the hub gave no valid receipt for this record".into());
                let kind = other.map(|r| if r.status == ItemStatus::Conflict { "conflict" } else { "bad-receipt" }).unwrap_or("missing");
                vault.set_record_error(&RecordError { record_id: id.clone(), kind: kind.into(), message, at: now().to_rfc3339() })?;
            }
        }
    }
    vault.mark_synced_with_receipts(&confirmed, now()).map_err(Into::into)
}

/// What happened when the hub said the device is revoked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revocation {
    pub wiped: bool,
    /// The signed report reached the hub.
    pub reported: bool,
}

/// The device was revoked: audit it, sign the report while the key is still here, close the
/// vault, crypto-wipe it when the unit says so, then send the report.
pub fn carry_out_revocation(vault: Vault, wipe: bool, now: DateTime<Utc>) -> Result<Revocation, SyncError> {
    let client = client(&vault)?;
    vault.audit_revocation(now)?;
    let report = WipeReport { device_id: vault.device_id().into(), wiped_at: now.to_rfc3339(), wiped: wipe };
    let body = serde_json::to_vec(&report).map_err(|e| SyncError::Invalid(e.to_string()))?;
    let prepared = client.prepare("POST", "/v1/wipe-report", body, &vault)?;
    let dir = vault.dir().to_path_buf();
    vault.lock();
    if wipe {
        vault::wipe(&dir)?;
    }
    let reported = client.execute(&prepared).is_ok();
    Ok(Revocation { wiped: wipe, reported })
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
            let last = DateTime::parse_from_rfc3339(&last).map_err(|_| SyncError::Invalid("the last contact time is damaged".into()))?.with_timezone(&Utc);
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

/// How the loop paces itself.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Between passes while everything goes well.
    pub poll: Duration,
    /// After a failure (offline or the hub's trouble): doubling with jitter up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions { poll: Duration::from_secs(30), first_delay: Duration::from_secs(1), max_delay: Duration::from_secs(300) }
    }
}

/// Syncs until `stop` is set: probes the hub, runs a pass as soon as it is reachable, backs off
/// with jitter on failure and never gives up. Each pass's outcome goes to `on_pass`. Returns
/// on `stop`, on revocation (the caller then calls [`carry_out_revocation`]) or on an error
/// that retrying cannot fix (the vault).
pub fn run(vault: &Vault, opts: &RunOptions, stop: &AtomicBool, mut on_pass: impl FnMut(&Result<Report, SyncError>)) -> Result<(), SyncError> {
    let client = client(vault)?;
    let mut backoff = Backoff::new(opts.first_delay, opts.max_delay);
    while !stop.load(Ordering::Relaxed) {
        let outcome = match client.probe() {
            Ok(()) => sync_once(vault, Utc::now),
            Err(e) => Err(e),
        };
        on_pass(&outcome);
        let wait = match outcome {
            Ok(_) => {
                backoff.reset();
                opts.poll
            }
            Err(SyncError::Revoked { wipe }) => return Err(SyncError::Revoked { wipe }),
            Err(e) if e.is_retryable() || matches!(e, SyncError::Untrusted(_)) => backoff.next(os_random()),
            Err(e) => return Err(e),
        };
        let until = std::time::Instant::now() + wait;
        while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50).min(until - std::time::Instant::now()));
        }
    }
    Ok(())
}
