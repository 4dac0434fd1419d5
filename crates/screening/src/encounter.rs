//! The context of an encounter, recorded before the first question: how the officer met the
//! person, the kind of setting, and how language is bridged. Minimal by design: no names, no
//! places, no free text.

use serde::{Deserialize, Serialize};

/// An option the officer picks from: a stable id and the words shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Choice {
    pub id: &'static str,
    pub label: &'static str,
}

const fn c(id: &'static str, label: &'static str) -> Choice {
    Choice { id, label }
}

/// How the officer came to meet the person.
pub const ENCOUNTER_TYPES: &[Choice] = &[
    c("traffic-stop", "Traffic stop"),
    c("pedestrian-contact", "Pedestrian contact"),
    c("call-for-service", "Call for service"),
    c("welfare-check", "Welfare check"),
    c("business-inspection", "Business or workplace visit"),
    c("person-came-forward", "The person came forward"),
    c("other", "Other"),
];

/// Where the person seemed to live or work: the 25 types of the Polaris Project's Typology of
/// Modern Slavery (2017), drawn from more than 32,000 U.S. hotline cases, plus "not known".
/// Each type has its own recruitment and control patterns, which is why the setting is asked.
pub const SETTINGS: &[Choice] = &[
    c("unknown", "Not known"),
    c("escort-services", "Escort services"),
    c("illicit-massage", "Illicit massage, health or beauty business"),
    c("outdoor-solicitation", "Outdoor solicitation"),
    c("residential", "Residential (sex in a private home)"),
    c("domestic-work", "Domestic work"),
    c("bars-clubs", "Bars, strip clubs, cantinas"),
    c("pornography", "Pornography"),
    c("traveling-sales", "Traveling sales crew"),
    c("restaurants", "Restaurant or food service"),
    c("peddling-begging", "Peddling or begging"),
    c("agriculture", "Agriculture or animal husbandry"),
    c("personal-sexual-servitude", "Personal sexual servitude"),
    c("health-beauty", "Health and beauty services"),
    c("construction", "Construction"),
    c("hospitality", "Hotels and hospitality"),
    c("landscaping", "Landscaping"),
    c("illicit-activities", "Illicit activities (forced to commit crimes)"),
    c("arts-entertainment", "Arts and entertainment"),
    c("commercial-cleaning", "Commercial cleaning"),
    c("manufacturing", "Factories and manufacturing"),
    c("remote-sexual-acts", "Remote interactive sexual acts"),
    c("carnivals", "Carnivals"),
    c("forestry-logging", "Forestry and logging"),
    c("health-care", "Health care"),
    c("recreational-facilities", "Recreational facilities"),
];

/// How the officer and the person understand each other. A companion, relative or anyone tied
/// to the person is never an interpreter (OVC Human Trafficking Task Force e-Guide, 3.4), so it
/// is not offered as a choice at all.
pub const INTERPRETERS: &[Choice] = &[
    c("not-needed", "Not needed: we share a language"),
    c("screen", "The person reads the questions on screen in their language"),
    c("phone", "Professional interpreter by phone"),
    c("in-person", "Professional interpreter in person"),
];

/// The warning shown beside the interpreter choice.
pub const INTERPRETER_WARNING: &str =
    "Never use a companion, relative, employer or another person from the scene as an interpreter: \
they may be the one in control, and the person cannot speak freely in front of them. Use a \
professional interpreter with no tie to anyone involved, or let the person read the questions \
in their language.";

pub const SOURCES: &[&str] = &[
    "Polaris Project, The Typology of Modern Slavery (2017)",
    "OVC Human Trafficking Task Force e-Guide, 3.4 Interpreters: https://ovcttac.gov/taskforceguide/eguide/3-operating-a-task-force/34-addressing-common-operational-challenges/interpreters",
];

/// What the officer recorded about the encounter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Encounter {
    #[serde(rename = "type")]
    pub kind: String,
    pub setting: String,
    pub interpreter: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncounterError {
    #[error("unknown encounter type `{0}`; expected one of {1}")]
    Type(String, String),
    #[error("unknown setting `{0}`; expected one of {1}")]
    Setting(String, String),
    #[error("unknown interpreter choice `{0}`; expected one of {1}")]
    Interpreter(String, String),
}

fn ids(list: &[Choice]) -> String {
    list.iter().map(|c| c.id).collect::<Vec<_>>().join(", ")
}

impl Encounter {
    /// Every field must be one of the listed ids: the record holds no free text from here.
    pub fn validate(&self) -> Result<(), EncounterError> {
        let has = |list: &[Choice], v: &str| list.iter().any(|c| c.id == v);
        if !has(ENCOUNTER_TYPES, &self.kind) {
            return Err(EncounterError::Type(self.kind.clone(), ids(ENCOUNTER_TYPES)));
        }
        if !has(SETTINGS, &self.setting) {
            return Err(EncounterError::Setting(self.setting.clone(), ids(SETTINGS)));
        }
        if !has(INTERPRETERS, &self.interpreter) {
            return Err(EncounterError::Interpreter(self.interpreter.clone(), ids(INTERPRETERS)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typology_has_its_25_types_and_ids_are_unique() {
        assert_eq!(SETTINGS.len(), 26, "25 Polaris types and `unknown`");
        for list in [ENCOUNTER_TYPES, SETTINGS, INTERPRETERS] {
            let mut seen = std::collections::BTreeSet::new();
            for c in list {
                assert!(seen.insert(c.id), "duplicate id {}", c.id);
            }
        }
    }

    #[test]
    fn a_companion_is_never_an_interpreter_choice() {
        assert!(INTERPRETERS.iter().all(|c| !c.label.to_lowercase().contains("companion")));
        assert!(INTERPRETER_WARNING.contains("companion"));
    }

    #[test]
    fn validation_names_the_bad_field() {
        let ok = Encounter { kind: "traffic-stop".into(), setting: "agriculture".into(), interpreter: "phone".into() };
        assert_eq!(ok.validate(), Ok(()));
        let bad = Encounter { interpreter: "companion".into(), ..ok.clone() };
        assert!(bad.validate().unwrap_err().to_string().starts_with("unknown interpreter choice `companion`"));
        let bad = Encounter { setting: "Main St".into(), ..ok };
        assert!(matches!(bad.validate(), Err(EncounterError::Setting(..))));
    }
}
