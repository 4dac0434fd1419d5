//! The checked, compiled form of a protocol: what the engine runs.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

pub use crate::answer::{AnswerSpec, Choice};
use crate::condition::Cond;
pub use crate::group::Group;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Population {
    Adult,
    Minor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ItemKind {
    Question,
    Observation,
    Script,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Guidance {
    pub why: String,
    pub how: String,
    pub avoid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Section {
    pub id: String,
    pub title: String,
    pub safety: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    pub label: String,
    pub section: usize,
    /// The person's words per language (questions and scripts).
    pub text: BTreeMap<String, String>,
    /// Recorded audio per language, relative to the protocol file's folder
    /// (`audio/<lang>/<item-id>.wav`); where there is none, the text is spoken.
    pub audio: BTreeMap<String, String>,
    pub guidance: Guidance,
    pub answer: AnswerSpec,
    pub when: Option<Cond>,
    /// `when` as written.
    pub when_src: Option<String>,
    /// Answer key (token or choice id) -> groups.
    pub indicates: Vec<(String, Vec<Group>)>,
    pub indicates_if: Vec<(Cond, Vec<Group>)>,
    pub sources: Vec<String>,
}

impl Item {
    pub fn is_asked(&self) -> bool {
        matches!(self.kind, ItemKind::Question | ItemKind::Script)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Level {
    pub id: String,
    pub rank: u32,
    pub title: String,
    pub meaning: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ActionKind {
    Emergency,
    Medical,
    Service,
    Hotline,
    Unit,
    ChildProtection,
    Legal,
    Labor,
    Guidance,
}

impl ActionKind {
    pub const HINT: &'static str =
        "kinds are emergency, medical, service, hotline, unit, child-protection, legal, labor, guidance";
    pub fn parse(s: &str) -> Option<ActionKind> {
        use ActionKind::*;
        Some(match s {
            "emergency" => Emergency,
            "medical" => Medical,
            "service" => Service,
            "hotline" => Hotline,
            "unit" => Unit,
            "child-protection" => ChildProtection,
            "legal" => Legal,
            "labor" => Labor,
            "guidance" => Guidance,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Action {
    pub id: String,
    pub kind: ActionKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StopRule {
    pub id: String,
    pub when: Cond,
    pub when_src: String,
    pub reason: String,
    pub actions: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeRule {
    pub when: Cond,
    pub when_src: String,
    pub level: usize,
    pub actions: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MinorRule {
    pub level: usize,
    pub actions: Vec<usize>,
}

/// The level a stopped or unfinished screening gets in place of the no-indicators level, and
/// the actions that go with it (`[stopped_rule]`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoppedRule {
    pub level: usize,
    pub actions: Vec<usize>,
}

/// A recorded audio file an item refers to, and where the reference is written (1-based line
/// and column in the protocol file), so a caller that looks for the file can say where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioRef {
    pub item: String,
    pub lang: String,
    /// Relative to the protocol file's folder, always `audio/<lang>/...wav`.
    pub path: String,
    pub line: usize,
    pub col: usize,
}

/// A loaded, validated protocol.
#[derive(Debug, Clone)]
pub struct Protocol {
    pub id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    pub population: Population,
    pub languages: Vec<String>,
    pub sections: Vec<Section>,
    pub items: Vec<Item>,
    pub stops: Vec<StopRule>,
    pub levels: Vec<Level>,
    pub actions: Vec<Action>,
    pub outcomes: Vec<OutcomeRule>,
    pub minor_rule: MinorRule,
    pub stopped_rule: StoppedRule,
    /// SHA-256 over the protocol's source and every checklist it includes.
    pub content_hash: String,
    /// Where it was loaded from.
    pub path: String,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) audio_refs: Vec<AudioRef>,
    /// For each item, the items whose `when` reads it directly.
    pub(crate) dependents: Vec<Vec<usize>>,
}

impl Protocol {
    pub fn item_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.item_index(id).map(|i| &self.items[i])
    }

    /// Every recorded audio file the items refer to, in item order, then by language.
    pub fn audio_refs(&self) -> &[AudioRef] {
        &self.audio_refs
    }

    /// Items read aloud or asked of the person (observations are not asked).
    pub fn asked_items(&self) -> usize {
        self.items.iter().filter(|i| i.is_asked()).count()
    }

    /// The level shown when no outcome rule holds: the no-indicators level, rank 0.
    pub fn base_level(&self) -> usize {
        self.levels.iter().position(|l| l.rank == 0).unwrap_or(0)
    }
}
