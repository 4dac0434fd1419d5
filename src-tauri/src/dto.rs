//! Every type that crosses the IPC boundary. TypeScript declarations are generated from these
//! into `ui/src/bindings/` (see `bindings.rs`); the UI imports them from there.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use screening::answer::AnswerKind;
use screening::encounter::{Choice, Encounter};
use screening::model::{AnswerSpec, Guidance, ItemKind, Population};
use screening::training::{Debrief, Learning, Trainer};
use screening::{Answer, Direction, Flag, Outcome, Status, TranslationStatus};

/// Why a command failed: a closed set, generated to TypeScript, that the UI matches
/// exhaustively. The wire names are the ones the UI has always seen (the vault's
/// `VaultError::kind` among them); `kinds_keep_their_wire_names` holds them to that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    // The app's state.
    /// The app is locked: every data command answers this until unlock.
    Locked,
    /// No screening (or training run) is open.
    NoSession,
    /// The person holds the device: only the current item gets through.
    Handover,
    AlreadySetUp,
    /// The hub revoked this device.
    Revoked,
    /// No contact with the hub for longer than the policy allows.
    OfflineTooLong,
    // The officer's input.
    Invalid,
    InvalidEncounter,
    InvalidPath,
    TooLong,
    UnknownPolicy,
    UnknownProtocol,
    UnknownLanguage,
    /// No offline voice (and no recorded audio) for the person's language, or the speech engine
    /// failed.
    NoVoice,
    UnknownResource,
    UnknownRecipient,
    UnknownScenario,
    NoRecipients,
    /// A draft's protocol version is no longer in the app.
    ProtocolMissing,
    // The engine (`screening::EngineError`).
    UnknownItem,
    NotShown,
    InvalidAnswer,
    Stopped,
    Concluded,
    AtStart,
    // The vault (`vault::VaultError`).
    NotInitialized,
    AlreadyExists,
    WrongSecret,
    LockedOut,
    Delayed,
    Wiped,
    Policy,
    Busy,
    Plaintext,
    Damaged,
    KeyFile,
    Crypto,
    Database,
    Io,
    NotFound,
    // The unit's hub (`sync::SyncError`).
    Unreachable,
    Untrusted,
    /// The hub answered with an error; the message names the hub's own reason.
    Hub,
    NotEnrolled,
    /// A sync pass called off because the app locked.
    Cancelled,
    /// A fault in the app itself.
    Internal,
}

/// Tests compare a kind with the name the UI sees.
#[cfg(test)]
impl PartialEq<&str> for ErrorKind {
    fn eq(&self, other: &&str) -> bool {
        serde_json::to_value(self).unwrap() == *other
    }
}

impl From<&vault::VaultError> for ErrorKind {
    fn from(e: &vault::VaultError) -> Self {
        use vault::VaultError as V;
        match e {
            V::NotInitialized(..) => ErrorKind::NotInitialized,
            V::AlreadyExists(..) => ErrorKind::AlreadyExists,
            V::WrongSecret => ErrorKind::WrongSecret,
            V::LockedOut(..) => ErrorKind::LockedOut,
            V::Delayed(..) => ErrorKind::Delayed,
            V::Wiped => ErrorKind::Wiped,
            V::Policy(..) => ErrorKind::Policy,
            V::Busy(..) => ErrorKind::Busy,
            V::Plaintext(..) => ErrorKind::Plaintext,
            V::Damaged(..) => ErrorKind::Damaged,
            V::KeyFile(..) => ErrorKind::KeyFile,
            V::Crypto { .. } => ErrorKind::Crypto,
            V::Sql(..) => ErrorKind::Database,
            V::Io { .. } => ErrorKind::Io,
            V::NotFound(..) => ErrorKind::NotFound,
            V::Invalid(..) => ErrorKind::Invalid,
        }
    }
}

impl From<&sync::SyncError> for ErrorKind {
    fn from(e: &sync::SyncError) -> Self {
        use sync::SyncError as S;
        match e {
            S::Unreachable(..) | S::Cut(..) => ErrorKind::Unreachable,
            S::Untrusted(..) => ErrorKind::Untrusted,
            S::Hub { .. } => ErrorKind::Hub,
            S::Revoked { .. } => ErrorKind::Revoked,
            S::NotEnrolled => ErrorKind::NotEnrolled,
            S::Vault(v) => ErrorKind::from(v),
            S::Invalid(..) => ErrorKind::Invalid,
            S::Cancelled => ErrorKind::Cancelled,
        }
    }
}

/// Every command error: the UI matches on `kind`, never on the message.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
}

impl CommandError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CommandError { kind, message: message.into() }
    }
}

impl From<screening::EngineError> for CommandError {
    fn from(e: screening::EngineError) -> Self {
        use screening::EngineError::*;
        let kind = match &e {
            UnknownItem(_) => ErrorKind::UnknownItem,
            NotShown(_) => ErrorKind::NotShown,
            InvalidAnswer { .. } => ErrorKind::InvalidAnswer,
            Stopped => ErrorKind::Stopped,
            Concluded(_) => ErrorKind::Concluded,
            AtStart => ErrorKind::AtStart,
        };
        CommandError::new(kind, e.to_string())
    }
}

impl From<vault::VaultError> for CommandError {
    fn from(e: vault::VaultError) -> Self {
        CommandError::new(ErrorKind::from(&e), e.to_string())
    }
}

impl From<sync::SyncError> for CommandError {
    fn from(e: sync::SyncError) -> Self {
        CommandError::new(ErrorKind::from(&e), e.to_string())
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

/// Which of the current item's words to read aloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum SpeakPart {
    Question,
    Answers,
    Stop,
}

/// A language as the officer and the person see it: its own name, which way it is written, how
/// far its translation can be trusted, and whether it can be read aloud.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LanguageView {
    pub code: String,
    /// In its own script ("العربية").
    pub name: String,
    /// Its English name, for the officer.
    pub english: String,
    pub direction: Direction,
    pub status: TranslationStatus,
    /// An offline voice (or recorded audio) can read the person's words aloud.
    pub read_aloud: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct NewScreeningOptions {
    pub protocols: Vec<ProtocolSummary>,
    pub languages: Vec<LanguageView>,
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

/// An item's answer type, as the protocol file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerType {
    YesNo,
    Choice,
    Number,
    Text,
    Observation,
    Read,
}

impl From<&AnswerSpec> for AnswerType {
    fn from(a: &AnswerSpec) -> Self {
        match a {
            AnswerSpec::YesNo => AnswerType::YesNo,
            AnswerSpec::Choice(_) => AnswerType::Choice,
            AnswerSpec::Number { .. } => AnswerType::Number,
            AnswerSpec::Text => AnswerType::Text,
            AnswerSpec::Observation => AnswerType::Observation,
            AnswerSpec::Read => AnswerType::Read,
        }
    }
}

/// An answer that is a word, not a value: what an item offers besides its choices. The same
/// names as the unit variants of `Answer`, so `{kind: token}` is an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerToken {
    Yes,
    No,
    NotSure,
    Declined,
    Seen,
    NotSeen,
    Read,
}

impl AnswerToken {
    /// `None` for the kinds that carry a value (choice, number, text).
    pub fn of(k: AnswerKind) -> Option<AnswerToken> {
        Some(match k {
            AnswerKind::Yes => AnswerToken::Yes,
            AnswerKind::No => AnswerToken::No,
            AnswerKind::NotSure => AnswerToken::NotSure,
            AnswerKind::Declined => AnswerToken::Declined,
            AnswerKind::Seen => AnswerToken::Seen,
            AnswerKind::NotSeen => AnswerToken::NotSeen,
            AnswerKind::Read => AnswerToken::Read,
            AnswerKind::Choice | AnswerKind::Number | AnswerKind::Text => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AnswerView {
    #[serde(rename = "type")]
    pub kind: AnswerType,
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
    pub options: Vec<AnswerToken>,
    pub current: Option<Answer>,
    /// The protocol ships a recording of this item's words in the person's language (played
    /// before any synthesized voice).
    pub recorded_audio: bool,
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
    /// The person's language: its name, direction and translation status.
    pub language_info: LanguageView,
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
    /// The person's words were read aloud at some point (the record says so, not what was said).
    pub read_aloud: bool,
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
    /// The languages the trainer may run it in instead (the protocol's).
    pub languages: Vec<LanguageView>,
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

/// Enrolling this device with the unit's hub from the app: the hub's address, the one-time code
/// and the unit CA's fingerprint, as the unit gave them (`fieldscreen-hub enroll` prints both).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct EnrollArgs {
    pub hub_url: String,
    pub code: String,
    pub fingerprint: String,
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

#[cfg(test)]
mod tests {
    use super::*;
    use vault::VaultError as V;

    /// The names the UI has always matched on stay as they were: the vault's and the sync
    /// crate's own `kind()` for each error, and the app's literals.
    #[test]
    fn kinds_keep_their_wire_names() {
        let s = || String::from("x");
        for e in [
            V::NotInitialized(s()),
            V::AlreadyExists(s()),
            V::WrongSecret,
            V::LockedOut(s()),
            V::Delayed(s()),
            V::Wiped,
            V::Policy(s()),
            V::Busy(s()),
            V::Plaintext(s()),
            V::Damaged(s()),
            V::KeyFile(s()),
            V::NotFound(s()),
            V::Invalid(s()),
        ] {
            assert_eq!(ErrorKind::from(&e), e.kind(), "{e:?}");
            let message = e.to_string();
            assert_eq!(CommandError::from(e).message, message);
        }
        for e in [
            sync::SyncError::Unreachable(s()),
            sync::SyncError::Cut(s()),
            sync::SyncError::Untrusted(s()),
            sync::SyncError::Revoked { wipe: false },
            sync::SyncError::NotEnrolled,
            sync::SyncError::Vault(V::Wiped),
            sync::SyncError::Invalid(s()),
            sync::SyncError::Cancelled,
        ] {
            assert_eq!(ErrorKind::from(&e), e.kind(), "{e:?}");
        }
        let hub = sync::SyncError::Hub { status: 403, kind: "forbidden".into(), message: s(), limit: None };
        assert_eq!(ErrorKind::from(&hub), ErrorKind::Hub);
        assert!(CommandError::from(hub).message.contains("forbidden"), "the hub's reason stays in the message");
        use ErrorKind::*;
        for (k, name) in [
            (Locked, "locked"),
            (NoSession, "no-session"),
            (Handover, "handover"),
            (AlreadySetUp, "already-set-up"),
            (Revoked, "revoked"),
            (OfflineTooLong, "offline-too-long"),
            (InvalidEncounter, "invalid-encounter"),
            (InvalidPath, "invalid-path"),
            (TooLong, "too-long"),
            (UnknownPolicy, "unknown-policy"),
            (UnknownProtocol, "unknown-protocol"),
            (UnknownLanguage, "unknown-language"),
            (NoVoice, "no-voice"),
            (UnknownResource, "unknown-resource"),
            (UnknownRecipient, "unknown-recipient"),
            (UnknownScenario, "unknown-scenario"),
            (NoRecipients, "no-recipients"),
            (ProtocolMissing, "protocol-missing"),
            (UnknownItem, "unknown-item"),
            (NotShown, "not-shown"),
            (InvalidAnswer, "invalid-answer"),
            (Stopped, "stopped"),
            (Concluded, "concluded"),
            (AtStart, "at-start"),
            (Crypto, "crypto"),
            (Database, "database"),
            (Io, "io"),
            (Internal, "internal"),
        ] {
            assert_eq!(k, name);
        }
        let wire = serde_json::to_value(CommandError::new(Locked, "m")).unwrap();
        assert_eq!(wire, serde_json::json!({"kind": "locked", "message": "m"}));
    }

    /// Answer types and tokens cross as the names the protocol files and the engine use.
    #[test]
    fn answer_types_and_tokens_keep_the_engine_names() {
        for spec in [
            AnswerSpec::YesNo,
            AnswerSpec::Choice(vec![]),
            AnswerSpec::Number { min: None, max: None },
            AnswerSpec::Text,
            AnswerSpec::Observation,
            AnswerSpec::Read,
        ] {
            assert_eq!(serde_json::to_value(AnswerType::from(&spec)).unwrap(), spec.name());
            for t in spec.tokens() {
                let token = AnswerToken::of(*t).expect("an offered token carries no value");
                assert_eq!(serde_json::to_value(token).unwrap(), t.token());
                // `{kind: token}` is the answer itself.
                let a: screening::Answer = serde_json::from_value(serde_json::json!({ "kind": token })).unwrap();
                assert_eq!(a.kind(), *t);
            }
        }
        for k in [AnswerKind::Choice, AnswerKind::Number, AnswerKind::Text] {
            assert_eq!(AnswerToken::of(k), None);
        }
    }
}
