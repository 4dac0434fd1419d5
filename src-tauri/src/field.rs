//! The officer app's state: setup, lock and unlock, and the screening saved in the vault as it
//! goes. Plain Rust over the crates; the Tauri commands in `lib.rs` only forward here.
//!
//! Invariants:
//! - Every data method starts with `self.unlocked()`: while locked (or before setup) it refuses
//!   with kind `locked`, whatever the UI believes.
//! - Locking drops the vault (database closed, keys zeroed) and the open screening.
//! - An answer is committed to the vault before the view that shows it saved is returned.
//! - In the hand-over view only the current question, stopping, and leaving with the officer's
//!   secret are reachable.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use screening::encounter;
use screening::{Answer, Event, Library, Policy, Session};
use vault::{CreateOptions, UnlockPolicy, Vault, VaultError, MIN_ITERATIONS};

use crate::dto::*;
use crate::speech::Speech;
use crate::view::{language_view, protocol_summary, session_view};

/// Settings chosen at setup that are needed before unlocking (which unlock rules apply). Not
/// secret; the key file beside it already names the officer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeviceSettings {
    pub policy_id: String,
    pub protocols: Vec<String>,
}

const SETTINGS_FILE: &str = "device.json";
pub const FOCUS_GRACE: Duration = Duration::from_secs(30);

/// The screening on screen, saved as draft `draft`.
struct Open {
    draft: String,
    session: Session,
    language: String,
    saved_events: u64,
    handover: bool,
    /// Read aloud was used in this screening (recorded on the draft once, never what was said).
    read_aloud: bool,
}

struct Unlocked {
    vault: Vault,
    open: Option<Open>,
    /// The hub answered the last probe; why the last pass failed, if it did.
    online: bool,
    last_error: Option<String>,
    /// Calls off the sync pass in flight: set when this unlocked session ends.
    sync_cancel: Arc<AtomicBool>,
}

impl Unlocked {
    fn new(vault: Vault) -> Unlocked {
        Unlocked { vault, open: None, online: false, last_error: None, sync_cancel: Arc::new(AtomicBool::new(false)) }
    }
}

pub struct Field {
    dir: PathBuf,
    /// The content in force: the unit's configuration from the hub once one is applied,
    /// otherwise what the app shipped with (`base`).
    library: Library,
    base: Library,
    /// The serial of the unit configuration in force, if any.
    unit_serial: Option<u64>,
    settings: Option<DeviceSettings>,
    unlocked: Option<Unlocked>,
    last_activity: Instant,
    blurred_at: Option<Instant>,
    /// How many times the app was locked: an unlock that asked the hub meanwhile gives way.
    locks: u64,
}

fn locked() -> CommandError {
    CommandError::new(ErrorKind::Locked, "the app is locked; unlock it with your secret")
}

fn no_screening() -> CommandError {
    CommandError::new(ErrorKind::NoSession, "no screening is open; start or resume one first")
}

fn in_handover() -> CommandError {
    CommandError::new(ErrorKind::Handover, "the person has the device; the officer's secret is needed to go back")
}

impl Field {
    /// The app over the data folder `dir` (made if missing).
    pub fn new(dir: PathBuf, library: Library) -> Result<Field, String> {
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create the data folder {}: {e}", dir.display()))?;
        let settings = match std::fs::read(dir.join(SETTINGS_FILE)) {
            Ok(b) => {
                Some(serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", dir.join(SETTINGS_FILE).display()))?)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", dir.join(SETTINGS_FILE).display())),
        };
        Ok(Field {
            dir,
            base: library.clone(),
            library,
            unit_serial: None,
            settings,
            unlocked: None,
            last_activity: Instant::now(),
            blurred_at: None,
            locks: 0,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    fn policy(&self) -> Option<&Policy> {
        let id = self.settings.as_ref().map(|s| s.policy_id.as_str()).unwrap_or("default");
        self.library.policy(id).or_else(|| self.library.policies.first())
    }

    fn unlock_policy(&self) -> UnlockPolicy {
        self.policy().map(|p| UnlockPolicy::from(&p.unlock)).unwrap_or_default()
    }

    fn lock_timeout(&self) -> Duration {
        Duration::from_secs(60 * self.policy().map(|p| p.lock_timeout_minutes).unwrap_or(5) as u64)
    }

    fn phase(&self) -> Phase {
        if self.unlocked.is_some() {
            return Phase::Unlocked;
        }
        match vault::status(&self.dir) {
            vault::Status::SetUp => Phase::Locked,
            vault::Status::Wiped => Phase::Wiped,
            vault::Status::NotSetUp => Phase::Setup,
        }
    }

    pub fn status(&self) -> AppStatus {
        let open = self.unlocked.as_ref().and_then(|u| u.open.as_ref());
        AppStatus {
            phase: self.phase(),
            officer_id: vault::KeyFile::read(&self.dir).ok().map(|k| k.officer_id),
            policy_id: self.settings.as_ref().map(|s| s.policy_id.clone()),
            lock_timeout_seconds: self.lock_timeout().as_secs() as u32,
            focus_grace_seconds: FOCUS_GRACE.as_secs() as u32,
            min_secret_length: self.unlock_policy().min_length as u32,
            screening_open: open.is_some(),
            handover: open.is_some_and(|o| o.handover),
        }
    }

    // ---- setup, unlock, lock ------------------------------------------------------------

    fn require_setup(&self) -> Result<(), CommandError> {
        match self.phase() {
            Phase::Setup | Phase::Wiped => Ok(()),
            _ => Err(CommandError::new(ErrorKind::AlreadySetUp, "this device is already set up")),
        }
    }

    pub fn setup_options(&self) -> Result<SetupOptions, CommandError> {
        self.require_setup()?;
        Ok(SetupOptions {
            protocols: self.library.protocols.iter().map(protocol_summary).collect(),
            policies: self
                .library
                .policies
                .iter()
                .map(|p| PolicySummary {
                    id: p.id.clone(),
                    lock_timeout_minutes: p.lock_timeout_minutes,
                    min_secret_length: p.unlock.min_length,
                    retention_days: p.retention_days,
                })
                .collect(),
        })
    }

    pub fn setup(&mut self, args: SetupArgs) -> Result<AppStatus, CommandError> {
        self.require_setup()?;
        let officer = args.officer_id.trim();
        if officer.is_empty() || officer.len() > 64 || officer.chars().any(|c| c.is_control()) {
            return Err(CommandError::new(ErrorKind::Invalid, "the officer id must be 1 to 64 printable characters"));
        }
        let policy = self
            .library
            .policy(&args.policy_id)
            .ok_or_else(|| CommandError::new(ErrorKind::UnknownPolicy, format!("no policy `{}`", args.policy_id)))?;
        if args.protocols.is_empty() {
            return Err(CommandError::new(ErrorKind::Invalid, "choose at least one protocol for this device"));
        }
        if let Some(p) = args.protocols.iter().find(|p| self.library.protocol(p).is_none()) {
            return Err(CommandError::new(ErrorKind::UnknownProtocol, format!("no protocol `{p}`")));
        }
        let recovery = args.recovery_recipient.as_deref().map(str::trim).filter(|r| !r.is_empty());
        let unlock = UnlockPolicy::from(&policy.unlock);
        let opts = CreateOptions { officer_id: officer, recovery_recipient: recovery, iterations: MIN_ITERATIONS };
        let v = Vault::create(&self.dir, &args.secret, &opts, &unlock, Utc::now())?;
        let settings = DeviceSettings { policy_id: policy.id.clone(), protocols: args.protocols };
        let bytes =
            serde_json::to_vec_pretty(&settings).map_err(|e| CommandError::new(ErrorKind::Internal, e.to_string()))?;
        durable::write_atomic(&self.dir.join(SETTINGS_FILE), &bytes).map_err(vault::VaultError::from)?;
        self.settings = Some(settings);
        self.unlocked = Some(Unlocked::new(v));
        self.touch(Instant::now());
        Ok(self.status())
    }

    pub fn unlock(&mut self, secret: &str) -> Result<AppStatus, CommandError> {
        let Some((v, locks)) = self.open_vault(secret)? else {
            return Ok(self.status());
        };
        self.finish_unlock(sync::device::check_in(v, None, Utc::now()), locks)
    }

    /// The first half of an unlock: the secret checked and the vault opened (`None` when already
    /// unlocked). The Tauri command then asks the hub ([`sync::device::check_in`]) without the
    /// app's state lock and calls [`Field::finish_unlock`] with the answer and the returned count
    /// of locks.
    pub fn open_vault(&mut self, secret: &str) -> Result<Option<(Vault, u64)>, CommandError> {
        if self.unlocked.is_some() {
            return Ok(None);
        }
        let v = Vault::unlock(&self.dir, secret, &self.unlock_policy(), Utc::now())?;
        Ok(Some((v, self.locks)))
    }

    /// The second half of an unlock. A lock in between (the window closed while the hub was
    /// asked) wins: the vault is dropped and the app stays locked.
    pub fn finish_unlock(
        &mut self,
        checked: Result<sync::device::CheckIn, sync::SyncError>,
        locks: u64,
    ) -> Result<AppStatus, CommandError> {
        // NW-06: an enrolled device asks the hub first; a revoked one is wiped as the unit says
        // before anything is shown. An unreachable hub does not stop the officer.
        let v = match checked {
            Ok(sync::device::CheckIn::Open(v)) => *v,
            Ok(sync::device::CheckIn::Revoked(r)) => {
                let what = if r.wiped { "its data was crypto-wiped as the unit asked" } else { "it stays locked" };
                return Err(CommandError::new(ErrorKind::Revoked, format!("the unit revoked this device; {what}")));
            }
            Ok(sync::device::CheckIn::Locked { offline_days }) => {
                return Err(CommandError::new(
                    ErrorKind::OfflineTooLong,
                    format!("no contact with the unit's hub for {offline_days} days; connect to unlock"),
                ));
            }
            Err(e) => return Err(CommandError::from(e)),
        };
        if self.locks != locks || self.unlocked.is_some() {
            return Ok(self.status());
        }
        self.unlocked = Some(Unlocked::new(v));
        self.touch(Instant::now());
        self.blurred_at = None;
        self.refresh_library();
        Ok(self.status())
    }

    /// Drops the vault and everything on screen, and calls off a sync pass in flight. Returns
    /// whether anything was unlocked.
    pub fn lock(&mut self) -> bool {
        self.locks += 1;
        match self.unlocked.take() {
            Some(u) => {
                u.sync_cancel.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// Someone used the app.
    pub fn touch(&mut self, now: Instant) {
        self.last_activity = now;
    }

    pub fn focus_changed(&mut self, focused: bool, now: Instant) {
        self.blurred_at = if focused { None } else { Some(now) };
    }

    /// Locks when the policy's inactivity time or the focus grace has passed (monotonic clock).
    /// Returns true when this call locked the app.
    pub fn tick(&mut self, now: Instant) -> bool {
        if self.unlocked.is_none() {
            return false;
        }
        let idle = now.saturating_duration_since(self.last_activity) >= self.lock_timeout();
        let away = self.blurred_at.is_some_and(|t| now.saturating_duration_since(t) >= FOCUS_GRACE);
        (idle || away) && self.lock()
    }

    // ---- home -----------------------------------------------------------------------------

    fn unlocked(&self) -> Result<&Unlocked, CommandError> {
        self.unlocked.as_ref().ok_or_else(locked)
    }

    fn unlocked_mut(&mut self) -> Result<&mut Unlocked, CommandError> {
        self.unlocked.as_mut().ok_or_else(locked)
    }

    /// Unlocked and not in the hand-over view.
    fn officer(&self) -> Result<&Unlocked, CommandError> {
        let u = self.unlocked()?;
        if u.open.as_ref().is_some_and(|o| o.handover) {
            return Err(in_handover());
        }
        Ok(u)
    }

    fn officer_mut(&mut self) -> Result<&mut Unlocked, CommandError> {
        self.officer()?;
        self.unlocked_mut()
    }

    /// Enrolling from the app, first step (under the state lock, no network): checks what the
    /// officer typed and makes the request for the hub, signed by this device's key.
    pub fn enroll_request(&self, args: &EnrollArgs) -> Result<sync::wire::EnrollRequest, CommandError> {
        let u = self.officer()?;
        let bad = |m: &str| CommandError::new(ErrorKind::Invalid, m);
        let url = args.hub_url.trim();
        if !url.starts_with("https://") || url.len() > 300 {
            return Err(bad("the hub's address starts with https:// (the unit gives it with the code)"));
        }
        let code = args.code.trim();
        if code.is_empty() || code.len() > 100 {
            return Err(bad("give the one-time code the unit gave for this device"));
        }
        sync::wire::parse_fingerprint(&args.fingerprint).map_err(|e| bad(&e.to_string()))?;
        sync::device::enroll_request(&u.vault, code, None).map_err(CommandError::from)
    }

    /// Enrolling from the app, last step (under the state lock): keeps the hub, the unit CA it
    /// was checked against and the unit key the hub gave.
    pub fn finish_enroll(
        &mut self,
        hub_url: &str,
        ca_pem: String,
        resp: &sync::wire::EnrollResponse,
    ) -> Result<SyncView, CommandError> {
        let u = self.officer()?;
        sync::device::finish_enroll(&u.vault, hub_url, vec![ca_pem], None, resp, Utc::now())?;
        self.sync_status()
    }

    pub fn home(&self) -> Result<Home, CommandError> {
        let u = self.officer()?;
        let v = &u.vault;
        let drafts = v
            .drafts()?
            .into_iter()
            .map(|d| DraftView {
                protocol_title: self
                    .library
                    .protocol(&d.protocol_id)
                    .map(|p| p.title.clone())
                    .unwrap_or_else(|| d.protocol_id.clone()),
                id: d.id,
                protocol_id: d.protocol_id,
                language: d.language,
                started_at: d.started_at,
                saved_events: d.events,
            })
            .collect();
        let records: Vec<RecordView> = v
            .records()?
            .into_iter()
            .map(|r| RecordView {
                id: r.id,
                protocol_id: r.protocol_id,
                created_at: r.created_at,
                level: r.level,
                amends: r.amends,
                synced: r.synced,
                queued: r.queued,
            })
            .collect();
        Ok(Home {
            resources: self.card_resources("en"),
            officer_id: v.officer_id().to_string(),
            device_id: v.device_id().to_string(),
            pending: records.iter().filter(|r| r.queued).count(),
            drafts,
            records,
        })
    }

    /// Offered for new screenings: the device's choice at setup, or every protocol of the
    /// unit's configuration once one is in force (the unit decides).
    fn offered(&self, protocol_id: &str) -> bool {
        self.unit_serial.is_some()
            || self.settings.as_ref().is_none_or(|s| s.protocols.iter().any(|p| p == protocol_id))
    }

    pub fn new_screening_options(&self) -> Result<NewScreeningOptions, CommandError> {
        self.officer()?;
        let protocols: Vec<ProtocolSummary> =
            self.library.protocols.iter().filter(|p| self.offered(&p.id)).map(protocol_summary).collect();
        let mut codes: Vec<String> = protocols.iter().flat_map(|p| p.languages.clone()).collect();
        codes.sort();
        codes.dedup();
        Ok(NewScreeningOptions {
            languages: codes.into_iter().map(|code| language_view(&self.library, &code)).collect(),
            protocols,
            encounter_types: encounter::ENCOUNTER_TYPES.to_vec(),
            settings: encounter::SETTINGS.to_vec(),
            interpreters: encounter::INTERPRETERS.to_vec(),
            interpreter_warning: encounter::INTERPRETER_WARNING.to_string(),
        })
    }

    // ---- the screening ----------------------------------------------------------------------

    pub fn start(&mut self, args: StartArgs) -> Result<SessionView, CommandError> {
        self.officer()?;
        if !self.offered(&args.protocol_id) {
            return Err(CommandError::new(
                ErrorKind::UnknownProtocol,
                format!("protocol `{}` is not offered on this device", args.protocol_id),
            ));
        }
        let p = Arc::new(
            self.library
                .protocol(&args.protocol_id)
                .ok_or_else(|| {
                    CommandError::new(ErrorKind::UnknownProtocol, format!("no protocol `{}`", args.protocol_id))
                })?
                .clone(),
        );
        args.encounter.validate().map_err(|e| CommandError::new(ErrorKind::InvalidEncounter, e.to_string()))?;
        if !p.languages.contains(&args.language) {
            return Err(CommandError::new(
                ErrorKind::UnknownLanguage,
                format!("protocol `{}` has no `{}`; it has {}", p.id, args.language, p.languages.join(", ")),
            ));
        }
        let u = self.unlocked_mut()?;
        let now = Utc::now();
        let draft = u.vault.create_draft(&p, &args.language, None, now)?;
        u.vault.set_draft_context(&draft, "encounter", serde_json::to_value(&args.encounter).map_err(internal)?)?;
        u.open = Some(Open {
            draft,
            session: Session::new(p),
            language: args.language,
            saved_events: 0,
            handover: false,
            read_aloud: false,
        });
        self.view()
    }

    /// Opens a draft where it stopped: its log replayed on the protocol version it started with.
    pub fn resume(&mut self, draft_id: &str) -> Result<SessionView, CommandError> {
        let u = self.officer()?;
        let d = u.vault.draft(draft_id)?;
        let events = u.vault.draft_events(draft_id)?;
        // A draft keeps the protocol version it started with, even after the unit's update.
        let p = [&self.library, &self.base]
            .into_iter()
            .flat_map(|l| l.protocols.iter())
            .find(|p| p.id == d.protocol_id && p.version == d.protocol_version && p.content_hash == d.content_hash)
            .ok_or_else(|| {
                CommandError::new(
                    ErrorKind::ProtocolMissing,
                    format!(
                        "draft `{draft_id}` was started with {} {}, which this app no longer has",
                        d.protocol_id, d.protocol_version
                    ),
                )
            })?;
        let session = Session::replay(Arc::new(p.clone()), &events)?;
        let read_aloud = self.unlocked()?.vault.draft_context(&d.id)?["read_aloud"] == serde_json::Value::Bool(true);
        self.unlocked_mut()?.open = Some(Open {
            draft: d.id,
            session,
            language: d.language,
            saved_events: events.len() as u64,
            handover: false,
            read_aloud,
        });
        self.view()
    }

    fn open(&self) -> Result<&Open, CommandError> {
        self.unlocked()?.open.as_ref().ok_or_else(no_screening)
    }

    pub fn view(&self) -> Result<SessionView, CommandError> {
        let o = self.open()?;
        Ok(session_view(
            &o.session,
            language_view(&self.library, &o.language),
            Some(o.draft.clone()),
            o.saved_events,
            o.handover,
        ))
    }

    /// Applies an event in memory, saves it, and only then keeps it.
    fn record(&mut self, event: Event) -> Result<SessionView, CommandError> {
        let u = self.unlocked_mut()?;
        let o = u.open.as_mut().ok_or_else(no_screening)?;
        let mut next = o.session.clone();
        next.apply(event.clone())?;
        let seq = u.vault.append(&o.draft, next.protocol_arc(), &event, Utc::now())?;
        o.session = next;
        o.saved_events = seq;
        self.view()
    }

    pub fn answer(&mut self, item_id: &str, answer: Answer) -> Result<SessionView, CommandError> {
        let o = self.open()?;
        if o.handover && o.session.current().map(|i| i.id.as_str()) != Some(item_id) {
            return Err(in_handover());
        }
        self.record(Event::Answer { item: item_id.to_string(), answer })
    }

    pub fn back(&mut self) -> Result<SessionView, CommandError> {
        self.officer()?;
        self.record(Event::Back)
    }

    /// The person wants to stop: allowed in the hand-over view too.
    pub fn stop(&mut self) -> Result<SessionView, CommandError> {
        self.open()?;
        self.record(Event::Stop)
    }

    /// The words of `part` of the current item to read aloud, allowed in the hand-over view (it
    /// is the current item). The draft records that read aloud was used, not what was played.
    pub fn speech(&mut self, part: SpeakPart) -> Result<Speech, CommandError> {
        let o = self.open()?;
        let speech = crate::speech::prepare(&self.library, &o.session, &o.language, part)?;
        if !o.read_aloud {
            let draft = o.draft.clone();
            let u = self.unlocked_mut()?;
            u.vault.set_draft_context(&draft, "read_aloud", serde_json::Value::Bool(true))?;
            if let Some(o) = u.open.as_mut() {
                o.read_aloud = true;
            }
        }
        Ok(speech)
    }

    pub fn handover_start(&mut self) -> Result<SessionView, CommandError> {
        self.officer()?;
        let u = self.unlocked_mut()?;
        let o = u.open.as_mut().ok_or_else(no_screening)?;
        o.handover = true;
        self.view()
    }

    /// Back to the officer's view: only with the officer's secret (counted like an unlock).
    pub fn handover_end(&mut self, secret: &str) -> Result<SessionView, CommandError> {
        let policy = self.unlock_policy();
        match self.unlocked()?.vault.confirm_secret(secret, &policy, Utc::now()) {
            Ok(()) => {}
            Err(e @ (VaultError::LockedOut(_) | VaultError::Wiped)) => {
                self.lock();
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(o) = self.unlocked_mut()?.open.as_mut() {
            o.handover = false;
        }
        self.view()
    }

    fn policy_referrals(&self) -> Vec<&screening::Resource> {
        let ids = self.policy().map(|p| p.referrals.clone()).unwrap_or_default();
        ids.iter()
            .filter_map(|id| self.library.directories.iter().flat_map(|d| d.resources.iter()).find(|r| &r.id == id))
            .collect()
    }

    pub fn outcome(&self) -> Result<OutcomeView, CommandError> {
        self.officer()?;
        let o = self.open()?;
        let ctx = self.unlocked()?.vault.draft_context(&o.draft)?;
        let chosen: std::collections::BTreeMap<String, ReferralChoice> =
            serde_json::from_value(ctx["referrals"].clone()).unwrap_or_default();
        let referrals = self
            .policy_referrals()
            .into_iter()
            .map(|r| ReferralView {
                resource_id: r.id.clone(),
                name: r.name.clone(),
                contact: r.phone.clone().or_else(|| r.text.clone()).or_else(|| r.url.clone()),
                choice: chosen.get(&r.id).copied().unwrap_or(ReferralChoice::NotOffered),
            })
            .collect();
        let notes = ctx["notes"].as_str().unwrap_or_default().to_string();
        Ok(OutcomeView {
            outcome: o.session.outcome(self.policy()),
            referrals,
            note_flags: self.library.glossary.check(&notes, "en"),
            notes,
            read_aloud: ctx["read_aloud"] == serde_json::Value::Bool(true),
        })
    }

    pub fn set_referral(&mut self, resource_id: &str, choice: ReferralChoice) -> Result<OutcomeView, CommandError> {
        self.officer()?;
        if !self.policy_referrals().iter().any(|r| r.id == resource_id) {
            return Err(CommandError::new(
                ErrorKind::UnknownResource,
                format!("`{resource_id}` is not one of the policy's referrals"),
            ));
        }
        let u = self.unlocked()?;
        let draft = self.open()?.draft.clone();
        let mut map = u.vault.draft_context(&draft)?["referrals"].as_object().cloned().unwrap_or_default();
        map.insert(resource_id.to_string(), serde_json::to_value(choice).map_err(internal)?);
        u.vault.set_draft_context(&draft, "referrals", serde_json::Value::Object(map))?;
        self.outcome()
    }

    /// The language check alone, as the officer types.
    pub fn check_notes(&self, text: &str) -> Result<Vec<screening::Flag>, CommandError> {
        self.officer()?;
        Ok(self.library.glossary.check(text, "en"))
    }

    pub const NOTES_MAX: usize = 2000;

    pub fn save_notes(&mut self, text: &str) -> Result<OutcomeView, CommandError> {
        self.officer()?;
        if text.chars().count() > Self::NOTES_MAX {
            return Err(CommandError::new(
                ErrorKind::TooLong,
                format!("notes are kept brief: at most {} characters", Self::NOTES_MAX),
            ));
        }
        let draft = self.open()?.draft.clone();
        self.unlocked()?.vault.set_draft_context(
            &draft,
            "notes",
            serde_json::Value::String(text.trim().to_string()),
        )?;
        self.outcome()
    }

    /// The policy's referrals, described in `lang` (English when there is no translation).
    fn card_resources(&self, lang: &str) -> Vec<CardResource> {
        self.policy_referrals()
            .into_iter()
            .map(|r| CardResource {
                name: r.name.clone(),
                phone: r.phone.clone(),
                text: r.text.clone(),
                url: r.url.clone(),
                hours: r.hours.clone(),
                description: r.description.get(lang).or_else(|| r.description.get("en")).cloned().unwrap_or_default(),
            })
            .collect()
    }

    /// The person's resource card: the policy's referrals, in their language, with a QR code.
    pub fn resource_card(&self) -> Result<ResourceCard, CommandError> {
        self.officer()?;
        let lang = self.open()?.language.clone();
        let resources = self.card_resources(&lang);
        let text = resources
            .iter()
            .filter(|r| r.phone.is_some() || r.text.is_some())
            .map(|r| {
                let mut line = r.name.clone();
                if let Some(p) = &r.phone {
                    line += &format!(" tel:{p}");
                }
                if let Some(t) = &r.text {
                    line += &format!(" text:{t}");
                }
                line
            })
            .collect::<Vec<_>>()
            .join("\n");
        Ok(ResourceCard { language: lang, resources, qr: crate::view::qr(&text)? })
    }

    /// Seals the open screening: signed, immutable, queued to sync. The screen closes.
    pub fn finalize(&mut self) -> Result<Finalized, CommandError> {
        self.officer()?;
        let policy = self.policy().cloned();
        let u = self.unlocked_mut()?;
        let o = u.open.as_ref().ok_or_else(no_screening)?;
        let record_id = u.vault.finalize(&o.draft, o.session.protocol_arc(), policy.as_ref(), Utc::now())?;
        u.open = None;
        let pending = u.vault.outbox()?.len();
        Ok(Finalized { record_id, pending })
    }

    // ---- case bundles ------------------------------------------------------------------------

    fn unit_recipients(&self) -> Vec<RecipientView> {
        self.policy()
            .map(|p| p.recipients.iter().map(|r| RecipientView { name: r.name.clone(), age: r.age.clone() }).collect())
            .unwrap_or_default()
    }

    /// What an export can offer: the policy's unit recipients, the sealed records, and a new file
    /// name in `folder`.
    pub fn export_options(&self, folder: &Path) -> Result<ExportOptions, CommandError> {
        let records = self.home()?.records;
        let stamp = Utc::now().format("%Y-%m-%d-%H%M");
        let mut path = folder.join(format!("fieldscreen-case-{stamp}.age"));
        for n in 2.. {
            if !path.exists() {
                break;
            }
            path = folder.join(format!("fieldscreen-case-{stamp}-{n}.age"));
        }
        Ok(ExportOptions { recipients: self.unit_recipients(), records, suggested_path: path.display().to_string() })
    }

    /// Seals the chosen records into a bundle for the chosen unit recipients. The secret is asked
    /// again (counted like an unlock); the file is written all or nothing and the export audited.
    pub fn export(
        &mut self,
        args: ExportArgs,
        progress: bundle::Progress,
        cancel: &AtomicBool,
    ) -> Result<ExportDone, CommandError> {
        self.officer()?;
        let known = self.unit_recipients();
        if known.is_empty() {
            return Err(CommandError::new(
                ErrorKind::NoRecipients,
                "the agency policy lists no unit recipients: ask the unit to add its custodians ([[policy.recipients]])",
            ));
        }
        if args.recipients.is_empty() {
            return Err(CommandError::new(ErrorKind::Invalid, "choose at least one recipient"));
        }
        let mut ages = Vec::new();
        for name in &args.recipients {
            let r = known.iter().find(|r| &r.name == name).ok_or_else(|| {
                CommandError::new(
                    ErrorKind::UnknownRecipient,
                    format!("`{name}` is not a unit recipient in the policy"),
                )
            })?;
            ages.push(r.age.clone());
        }
        let path = PathBuf::from(args.path.trim());
        if !path.is_absolute() || path.file_name().is_none() {
            return Err(CommandError::new(
                ErrorKind::InvalidPath,
                format!("`{}` is not a full path to a new file", args.path),
            ));
        }
        if !path.parent().is_some_and(|d| d.is_dir()) {
            return Err(CommandError::new(
                ErrorKind::InvalidPath,
                format!("the folder of `{}` does not exist", path.display()),
            ));
        }
        let seal = bundle::Seal::recipients(&ages).map_err(|e| CommandError::new(ErrorKind::Invalid, e.to_string()))?;
        let policy = self.unlock_policy();
        let v = &self.unlocked()?.vault;
        if let Err(e) = v.confirm_secret(&args.secret, &policy, Utc::now()) {
            if matches!(e, VaultError::LockedOut(_) | VaultError::Wiped) {
                self.lock();
            }
            return Err(e.into());
        }
        let done = v.export_bundle(&args.record_ids, seal, &path, progress, cancel, Utc::now())?;
        Ok(ExportDone { path: path.display().to_string(), sha256: done.sha256, records: done.records })
    }

    // ---- sync ---------------------------------------------------------------------------------

    /// Puts the unit configuration the vault has in force (verified and written whole by the
    /// sync crate) into use, if it is new here. Content that does not load is not used: the
    /// current library stays and the problem is shown with the sync status.
    fn refresh_library(&mut self) {
        let Some(u) = self.unlocked.as_ref() else { return };
        let Ok(Some(state)) = u.vault.unit_state() else { return };
        if self.unit_serial == Some(state.serial) {
            return;
        }
        match crate::content::from_folder(&self.dir.join(&state.library)) {
            Ok(lib) => {
                self.library = lib;
                self.unit_serial = Some(state.serial);
            }
            Err(e) => {
                if let Some(u) = self.unlocked.as_mut() {
                    u.last_error =
                        Some(format!("the unit configuration {} does not load, so it is not used:\n{e}", state.serial));
                }
            }
        }
    }

    pub fn sync_status(&self) -> Result<SyncView, CommandError> {
        let u = self.unlocked()?;
        let s = sync::device::status(&u.vault, false).map_err(CommandError::from)?;
        Ok(SyncView {
            enrolled: s.enrolled,
            hub_url: s.hub_url,
            online: u.online,
            pending: s.pending,
            last_sync: s.last_sync,
            errors: s
                .errors
                .into_iter()
                .map(|e| RecordErrorView { record_id: e.record_id, kind: e.kind, message: e.message, at: e.at })
                .collect(),
            last_error: u.last_error.clone(),
            waiting_for_unit: s.waiting_for_unit,
        })
    }

    /// A sync pass may begin: unlocked and enrolled. The flag calls the pass off when this
    /// session locks. The pass itself runs outside the app's state lock (`crate::sync_pass`).
    pub fn sync_begin(&self) -> Option<Arc<AtomicBool>> {
        let u = self.unlocked.as_ref()?;
        matches!(u.vault.enrollment(), Ok(Some(_))).then(|| u.sync_cancel.clone())
    }

    /// The vault, for the prepare and commit steps of a sync pass (not refused in the hand-over
    /// view: the pass runs in the background and shows nothing).
    pub fn sync_vault(&self) -> Option<&Vault> {
        self.unlocked.as_ref().filter(|u| !u.sync_cancel.load(Ordering::SeqCst)).map(|u| &u.vault)
    }

    /// What a finished pass means for the sync panel: online or not, the last error, and the
    /// unit configuration put in force when a new one arrived.
    pub fn sync_done(&mut self, outcome: &Result<sync::device::Report, sync::SyncError>) {
        let Some(u) = self.unlocked.as_mut() else { return };
        match outcome {
            Ok(_) => {
                u.online = true;
                u.last_error = None;
                self.refresh_library();
            }
            Err(sync::SyncError::Cancelled) => {}
            Err(e) => {
                u.online = !e.is_retryable();
                u.last_error = Some(if e.is_retryable() { format!("{e}; records stay queued") } else { e.to_string() });
            }
        }
    }

    /// The unit revoked the device: the app locks and hands the vault over, to be wiped and
    /// reported outside the state lock (`sync::device::carry_out_revocation`).
    pub fn take_for_revocation(&mut self) -> Option<Vault> {
        let u = self.unlocked.take()?;
        u.sync_cancel.store(true, Ordering::SeqCst);
        Some(u.vault)
    }

    /// Leaves the screening on screen; it stays a draft to resume.
    pub fn close(&mut self) -> Result<(), CommandError> {
        self.officer_mut()?.open = None;
        Ok(())
    }
}

fn internal(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorKind::Internal, e.to_string())
}

#[cfg(test)]
impl Field {
    /// The CAs the vault pins for its hub, for tests.
    pub fn pinned_cas_for_test(&self) -> Vec<String> {
        let e = self.unlocked.as_ref().and_then(|u| u.vault.enrollment().ok().flatten());
        e.map(|e| e.ca_pems).unwrap_or_default()
    }

    /// This device's id, for tests.
    pub fn device_id_for_test(&self) -> String {
        self.unlocked.as_ref().map(|u| u.vault.device_id().to_string()).unwrap_or_default()
    }
}
