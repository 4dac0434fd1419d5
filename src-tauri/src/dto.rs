//! Every type that crosses the IPC boundary. TypeScript declarations are generated from these
//! into `ui/src/bindings/` (see `bindings.rs`); the UI imports them from there.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use screening::encounter::{Choice, Encounter};
use screening::training::{Debrief, Learning, Trainer};
use screening::model::{Guidance, ItemKind, Population};
use screening::{Answer, Flag, Outcome, Status};

/// Every command error: the UI matches on `kind`, never on the message.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CommandError {
    pub kind: String,
    pub message: String,
}

impl CommandError {
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        CommandError { kind: kind.to_string(), message: message.into() }
    }
}

impl From<screening::EngineError> for CommandError {
    fn from(e: screening::EngineError) -> Self {
        use screening::EngineError::*;
        let kind = match &e {
            UnknownItem(_) => "unknown-item",
            NotShown(_) => "not-shown",
            InvalidAnswer { .. } => "invalid-answer",
            Stopped => "stopped",
            Concluded(_) => "concluded",
            AtStart => "at-start",
        };
        CommandError::new(kind, e.to_string())
    }
}

impl From<vault::VaultError> for CommandError {
    fn from(e: vault::VaultError) -> Self {
        CommandError::new(e.kind(), e.to_string())
    }
}

/// Where the app stands. Only `unlocked` lets data commands through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// No vault yet: first-run setup.
    Setup,
    Locked,
    Unlocked,
    /// The vault was crypto-wiped; nothing can be read. Setup starts over.
    Wiped,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AppStatus {
    pub phase: Phase,
    pub officer_id: Option<String>,
    pub policy_id: Option<String>,
    /// Inactivity lock, from the policy.
    pub lock_timeout_seconds: u32,
    /// After the window loses focus, it locks when this passes without focus coming back.
    pub focus_grace_seconds: u32,
    pub min_secret_length: u32,
    /// A screening is open (it survives in the vault as a draft either way).
    pub screening_open: bool,
    /// The person holds the device: only the current question is reachable.
    pub handover: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PolicySummary {
    pub id: String,
    pub lock_timeout_minutes: u32,
    pub min_secret_length: u32,
    pub retention_days: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProtocolSummary {
    pub id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    pub population: Population,
    pub languages: Vec<String>,
    pub asked_items: usize,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SetupOptions {
    pub protocols: Vec<ProtocolSummary>,
    pub policies: Vec<PolicySummary>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetupArgs {
    pub officer_id: String,
    pub secret: String,
    /// The unit custodian's age recipient (`age1...`), for a recovery wrap of the data key.
    pub recovery_recipient: Option<String>,
    pub policy_id: String,
    /// Protocols this device offers; at least one.
    pub protocols: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DraftView {
    pub id: String,
    pub protocol_id: String,
    pub protocol_title: String,
    pub language: String,
    pub started_at: String,
    /// Events saved so far (answers, changes, back, stop).
    #[ts(type = "number")]
    pub saved_events: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RecordView {
    pub id: String,
    pub protocol_id: String,
    pub created_at: String,
    pub level: String,
    pub amends: Option<String>,
    /// Acknowledged by the unit's hub.
    pub synced: bool,
    /// Waiting in the outbox.
    pub queued: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Home {
    pub officer_id: String,
    pub device_id: String,
    pub drafts: Vec<DraftView>,
    pub records: Vec<RecordView>,
    /// Records waiting to sync.
    pub pending: usize,
    /// The agency policy's referrals, in English, for the officer.
    pub resources: Vec<CardResource>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct LanguageName {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct NewScreeningOptions {
    pub protocols: Vec<ProtocolSummary>,
    pub languages: Vec<LanguageName>,
    pub encounter_types: Vec<Choice>,
    pub settings: Vec<Choice>,
    pub interpreters: Vec<Choice>,
    pub interpreter_warning: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct StartArgs {
    pub protocol_id: String,
    pub language: String,
    pub encounter: Encounter,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProtocolHeading {
    pub id: String,
    pub version: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SectionView {
    pub id: String,
    pub title: String,
    pub safety: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ChoiceView {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AnswerView {
    #[serde(rename = "type")]
    pub kind: String,
    pub choices: Vec<ChoiceView>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ItemView {
    pub id: String,
    pub kind: ItemKind,
    pub label: String,
    pub section: SectionView,
    /// The person's words in the chosen language; for an observation, its label.
    pub text: String,
    pub guidance: Guidance,
    pub answer: AnswerView,
    /// Answer tokens offered besides the choices.
    pub options: Vec<String>,
    pub current: Option<Answer>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Position {
    pub index: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct StopView {
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionView {
    /// The draft this screening is saved in; `None` in training (nothing is saved).
    pub draft_id: Option<String>,
    pub protocol: ProtocolHeading,
    pub language: String,
    pub current: Option<ItemView>,
    pub position: Position,
    pub can_go_back: bool,
    pub status: Status,
    pub stop_rule: Option<StopView>,
    /// Events durably saved for this draft; the UI shows "saved" only from this.
    #[ts(type = "number")]
    pub saved_events: u64,
    pub handover: bool,
}

/// The person's choice about one referral, recorded as theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ReferralChoice {
    NotOffered,
    Offered,
    Accepted,
    Declined,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ReferralView {
    pub resource_id: String,
    pub name: String,
    pub contact: Option<String>,
    pub choice: ReferralChoice,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OutcomeView {
    pub outcome: Outcome,
    pub referrals: Vec<ReferralView>,
    pub notes: String,
    pub note_flags: Vec<Flag>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CardResource {
    pub name: String,
    pub phone: Option<String>,
    pub text: Option<String>,
    pub url: Option<String>,
    pub hours: Option<String>,
    /// What it is, in the person's language (English when there is no translation).
    pub description: String,
}

/// A QR code as a square of modules, `true` dark; drawn by the UI as SVG rectangles.
#[derive(Debug, Clone, Serialize, TS)]
pub struct QrCode {
    pub size: usize,
    pub modules: Vec<bool>,
    /// What the code holds, also printed under it.
    pub text: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ResourceCard {
    pub language: String,
    pub resources: Vec<CardResource>,
    pub qr: QrCode,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Finalized {
    pub record_id: String,
    /// Waiting to sync, this one included.
    pub pending: usize,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ScenarioSummary {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub protocol_id: String,
    pub protocol_title: String,
    /// The person's language.
    pub language: String,
    /// For the trainer, before the run starts (hidden in presenter mode).
    pub trainer: Trainer,
    pub learning: Vec<Learning>,
}

/// The scenario as the trainer sees it; presenter mode hides `trainer`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ScenarioBrief {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub language: String,
    pub trainer: Trainer,
    pub learning: Vec<Learning>,
}

/// How the scenario's person meets the item on screen.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PersonCue {
    /// What the person answers when asked; `None` when they give no answer to it.
    pub says: Option<Answer>,
    /// For an observation: what the officer can see.
    pub observe: Option<String>,
    /// The person asks to stop after this item.
    pub stops_here: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TrainingView {
    pub scenario: ScenarioBrief,
    pub session: SessionView,
    pub person: Option<PersonCue>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SectionTime {
    pub id: String,
    pub title: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TrainingDebrief {
    pub debrief: Debrief,
    pub note_flags: Vec<Flag>,
    pub sections: Vec<SectionTime>,
    pub total_seconds: f64,
}

/// A unit custodian from the agency policy, offered as a bundle recipient.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RecipientView {
    pub name: String,
    pub age: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportOptions {
    pub recipients: Vec<RecipientView>,
    pub records: Vec<RecordView>,
    /// A new file name in the officer's documents folder; the officer may choose another.
    pub suggested_path: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportArgs {
    pub record_ids: Vec<String>,
    /// Names of unit recipients from the policy.
    pub recipients: Vec<String>,
    /// Asked again for every export (step-up, AU-08).
    pub secret: String,
    /// The bundle file to create; it must not exist.
    pub path: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportProgress {
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportDone {
    pub path: String,
    pub sha256: String,
    pub records: usize,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RecordErrorView {
    pub record_id: String,
    pub kind: String,
    pub message: String,
    pub at: String,
}

/// What the app shows about the unit's hub.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncView {
    /// Enrolled with a hub (`fieldscreen device enroll`); without it records wait on the device.
    pub enrolled: bool,
    pub hub_url: Option<String>,
    /// The hub answered the last probe.
    pub online: bool,
    /// Sealed records waiting to be sent.
    pub pending: usize,
    pub last_sync: Option<String>,
    /// Per record: why the hub did not take it (it stays queued).
    pub errors: Vec<RecordErrorView>,
    /// Why the last pass stopped, when it did.
    pub last_error: Option<String>,
    /// Records are waiting but the unit has not published its configuration (the custodians
    /// records are sealed to), so nothing can be sent yet.
    pub waiting_for_unit: bool,
}
