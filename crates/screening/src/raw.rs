//! The raw TOML shapes of protocol and checklist files, as serde reads them, with spans for
//! error positions. Compiling them is `protocol.rs` and `checklist.rs`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProtocolFile {
    pub(crate) protocol: RawHeader,
    #[serde(default)]
    pub(crate) section: Vec<RawSection>,
    #[serde(default)]
    pub(crate) stop: Vec<RawStop>,
    #[serde(default)]
    pub(crate) level: Vec<RawLevel>,
    #[serde(default)]
    pub(crate) action: Vec<RawAction>,
    #[serde(default)]
    pub(crate) outcome: Vec<RawOutcome>,
    pub(crate) minor_rule: Option<RawLevelRule>,
    pub(crate) stopped_rule: Option<RawLevelRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHeader {
    pub(crate) id: S<String>,
    pub(crate) version: S<String>,
    pub(crate) title: S<String>,
    pub(crate) population: S<String>,
    pub(crate) languages: S<Vec<String>>,
    #[serde(default)]
    pub(crate) summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSection {
    pub(crate) id: S<String>,
    pub(crate) title: S<String>,
    #[serde(default)]
    pub(crate) safety: bool,
    pub(crate) include: Option<S<String>>,
    #[serde(default)]
    pub(crate) item: Vec<RawItem>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawItem {
    pub(crate) id: S<String>,
    pub(crate) kind: S<String>,
    pub(crate) label: Option<S<String>>,
    pub(crate) answer: Option<S<String>>,
    #[serde(default)]
    pub(crate) text: BTreeMap<String, S<String>>,
    /// Recorded audio per language: `audio/<lang>/<file>.wav`, relative to the protocol's folder.
    #[serde(default)]
    pub(crate) audio: BTreeMap<String, S<String>>,
    pub(crate) guidance: Option<RawGuidance>,
    #[serde(default)]
    pub(crate) choices: Vec<RawChoice>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) when: Option<S<String>>,
    pub(crate) indicates: Option<BTreeMap<String, S<Vec<S<String>>>>>,
    #[serde(default)]
    pub(crate) indicates_if: Vec<RawIndicatesIf>,
    pub(crate) sources: Option<S<Vec<String>>>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGuidance {
    pub(crate) why: S<String>,
    pub(crate) how: S<String>,
    pub(crate) avoid: S<String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChoice {
    pub(crate) id: S<String>,
    #[serde(default)]
    pub(crate) text: BTreeMap<String, S<String>>,
    pub(crate) label: Option<S<String>>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIndicatesIf {
    pub(crate) when: S<String>,
    pub(crate) groups: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStop {
    pub(crate) id: S<String>,
    pub(crate) when: S<String>,
    pub(crate) reason: S<String>,
    #[serde(default)]
    pub(crate) actions: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevel {
    pub(crate) id: S<String>,
    pub(crate) rank: S<u32>,
    pub(crate) title: S<String>,
    pub(crate) meaning: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAction {
    pub(crate) id: S<String>,
    pub(crate) kind: S<String>,
    pub(crate) text: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutcome {
    pub(crate) when: S<String>,
    pub(crate) level: S<String>,
    #[serde(default)]
    pub(crate) actions: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevelRule {
    pub(crate) level: S<String>,
    #[serde(default)]
    pub(crate) actions: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChecklistFile {
    pub(crate) checklist: RawChecklistHeader,
    #[serde(default)]
    pub(crate) item: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChecklistHeader {
    pub(crate) id: S<String>,
    pub(crate) version: S<String>,
    pub(crate) title: S<String>,
}
