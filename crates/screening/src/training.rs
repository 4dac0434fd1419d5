//! Training scenarios: a person to play, how they answer, what the officer can observe, what
//! the screening should find, and what the class should learn. A scenario's answers and
//! observations play through the engine like a protocol test case; the debrief compares.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::answer::Answer;
/// How a run differs from the scenario: structured, with `Display` for the CLI.
pub use crate::cases::Mismatch;
use crate::cases::{check_expect, compile_case, run_case, Case, CaseResult, RawExpect};
use crate::diag::{parse_toml, FileCtx, Problem};
use crate::engine::{RawAnswer, Session};
use crate::ids::check_id;
use crate::language::Glossary;
use crate::model::{Group, ItemKind, Protocol};
use crate::outcome::{ItemRef, Outcome};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenarioFile {
    scenario: RawScenario,
    trainer: Trainer,
    #[serde(default)]
    answers: BTreeMap<String, toml::Value>,
    #[serde(default)]
    observe: Vec<RawObserve>,
    expect: RawExpect,
    #[serde(default)]
    learning: Vec<Learning>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: Spanned<String>,
    title: String,
    protocol: Spanned<String>,
    language: Spanned<String>,
    summary: String,
    stops_after: Option<String>,
}

/// For the trainer only: hidden in presenter mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Trainer {
    pub profile: String,
    pub story: String,
    pub notes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObserve {
    item: Spanned<String>,
    answer: String,
    cue: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Cue {
    pub item: String,
    pub answer: String,
    pub cue: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Learning {
    pub point: String,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub protocol: String,
    pub language: String,
    pub summary: String,
    pub trainer: Trainer,
    pub observe: Vec<Cue>,
    pub learning: Vec<Learning>,
    pub path: String,
    /// The answers, observations, stop point and expectation, as a protocol case.
    pub case: Case,
}

/// Reads one training scenario and checks it against its protocol, like a case.
pub(crate) fn compile(
    cx: &FileCtx,
    protocols: &[Protocol],
    glossary: &Glossary,
    out: &mut Vec<Problem>,
) -> Option<Scenario> {
    let raw = parse_toml::<RawScenarioFile>(cx, out)?;
    let before = out.len();
    let s = raw.scenario;
    check_id(cx, &s.id, out);
    let Some(proto) = protocols.iter().find(|p| p.id == *s.protocol.get_ref()) else {
        out.push(cx.problem(s.protocol.span().start, format!("unknown protocol `{}`", s.protocol.get_ref()), None));
        return None;
    };
    if !proto.languages.contains(s.language.get_ref()) {
        out.push(cx.problem(
            s.language.span().start,
            format!("protocol `{}` has no `{}`", proto.id, s.language.get_ref()),
            Some(format!("it has {}", proto.languages.join(", "))),
        ));
    }
    // Observations come from [[observe]], everything asked from [answers].
    let mut answers = raw.answers;
    for k in answers.keys() {
        if proto.item(k).is_some_and(|i| i.kind == ItemKind::Observation) {
            out.push(cx.problem(
                s.id.span().start,
                format!("`{k}` is an observation: list it under [[observe]] with its cue"),
                None,
            ));
        }
    }
    let mut observe = Vec::new();
    for o in raw.observe {
        match proto.item(o.item.get_ref()) {
            Some(i) if i.kind == ItemKind::Observation => {}
            Some(_) => out.push(cx.problem(
                o.item.span().start,
                format!("`{}` is asked, not observed: put it under [answers]", o.item.get_ref()),
                None,
            )),
            None => {} // reported as an unknown item by the case check below
        }
        if o.cue.trim().is_empty() {
            out.push(cx.problem(
                o.item.span().start,
                format!("`{}` has no cue: say what the officer sees", o.item.get_ref()),
                None,
            ));
        }
        answers.insert(o.item.get_ref().clone(), toml::Value::String(o.answer.clone()));
        observe.push(Cue { item: o.item.into_inner(), answer: o.answer, cue: o.cue });
    }
    if raw.learning.is_empty() || raw.learning.iter().any(|l| l.point.trim().is_empty() || l.source.trim().is_empty()) {
        out.push(cx.problem(s.id.span().start, "every scenario has learning points, each with its source", None));
    }
    let words = [&raw.trainer.profile, &raw.trainer.story, &raw.trainer.notes]
        .into_iter()
        .chain(raw.learning.iter().map(|l| &l.point))
        .chain(observe.iter().map(|c| &c.cue));
    for text in words {
        for f in glossary.check(text, "en") {
            out.push(cx.problem(
                s.id.span().start,
                format!("\"{}\" is on the glossary's avoid list", f.found),
                Some(format!("prefer \"{}\": {}", f.prefer, f.why)),
            ));
        }
    }
    let arc = Arc::new(proto.clone());
    let case = compile_case(cx, &arc, &s.id, &answers, s.stops_after, raw.expect, out);
    (out.len() == before).then(|| Scenario {
        id: s.id.into_inner(),
        title: s.title,
        protocol: proto.id.clone(),
        language: s.language.into_inner(),
        summary: s.summary,
        trainer: raw.trainer,
        observe,
        learning: raw.learning,
        path: cx.path.to_string(),
        case,
    })
}

/// What a training run found against what the scenario expected.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Debrief {
    pub scenario: String,
    pub title: String,
    pub protocol: String,
    /// The outcome matched every expectation.
    pub matched: bool,
    /// What differs from the expectation; the UI words each one from its fields.
    pub mismatches: Vec<Mismatch>,
    pub expected_level: String,
    pub expected_level_title: String,
    pub expected_groups: Option<Vec<Group>>,
    pub found_groups: Vec<Group>,
    /// Groups expected but not found, and found but not expected.
    pub missed_groups: Vec<Group>,
    pub extra_groups: Vec<Group>,
    /// Observations the scenario shows as seen that the run did not record as seen.
    pub observations_missed: Vec<ItemRef>,
    pub outcome: Option<Outcome>,
    pub learning: Vec<Learning>,
}

/// Plays a scenario through the engine with its own answers and observations.
impl Scenario {
    /// What the person answers when asked `item`, as the scenario plays them; `None` where the
    /// scenario leaves the item unanswered.
    pub fn person_answer(&self, protocol: &Protocol, item: &str) -> Option<Answer> {
        let (_, raw) = self.case.answers.iter().find(|(id, _)| id == item)?;
        let spec = &protocol.item(item)?.answer;
        match raw {
            RawAnswer::Text(t) => Answer::from_input(spec, t).ok(),
            RawAnswer::Number(n) => Some(Answer::Number(*n)),
        }
    }

    /// What the officer can see for an observation item.
    pub fn cue(&self, item: &str) -> Option<&Cue> {
        self.observe.iter().find(|c| c.item == item)
    }

    /// The item after which the person stops, if they do.
    pub fn stops_after(&self) -> Option<&str> {
        self.case.stop_after.as_deref()
    }
}

/// The scenario played as written, compared with what it expects.
pub fn run(s: &Scenario, protocol: &Arc<Protocol>) -> Debrief {
    let r = run_case(protocol, &s.case);
    compare(s, protocol, r.outcome, r.mismatches)
}

/// A trainee's own walk of a scenario, compared with what the scenario expects.
pub fn debrief_session(s: &Scenario, session: &Session) -> Debrief {
    let o = session.outcome(None);
    let mismatches = check_expect(&s.case.expect, &o);
    compare(s, session.protocol(), Some(o), mismatches)
}

fn compare(s: &Scenario, protocol: &Protocol, outcome: Option<Outcome>, mismatches: Vec<Mismatch>) -> Debrief {
    let r = CaseResult { name: s.id.clone(), line: 0, mismatches, outcome };
    let found = r.outcome.as_ref().map(|o| o.groups.clone()).unwrap_or_default();
    let expected = s.case.expect.groups.clone();
    let (missed, extra) = match &expected {
        Some(e) => (
            e.iter().filter(|g| !found.contains(g)).copied().collect(),
            found.iter().filter(|g| !e.contains(g)).copied().collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let recorded: Vec<String> = r
        .outcome
        .iter()
        .flat_map(|o| {
            [
                &o.indicators.force,
                &o.indicators.fraud,
                &o.indicators.coercion,
                &o.indicators.purpose,
                &o.indicators.minor,
                &o.indicators.safety,
            ]
        })
        .flatten()
        .map(|i| i.item.clone())
        .collect();
    let observations_missed = s
        .observe
        .iter()
        .filter(|c| c.answer == "seen")
        .filter(|c| protocol.item(&c.item).is_some_and(|i| !i.indicates.is_empty()))
        .filter(|c| !recorded.contains(&c.item))
        .map(|c| ItemRef {
            item: c.item.clone(),
            label: protocol.item(&c.item).map(|i| i.label.clone()).unwrap_or_default(),
        })
        .collect();
    Debrief {
        scenario: s.id.clone(),
        title: s.title.clone(),
        protocol: s.protocol.clone(),
        matched: r.mismatches.is_empty(),
        mismatches: r.mismatches,
        expected_level: s.case.expect.level.clone(),
        expected_level_title: protocol
            .levels
            .iter()
            .find(|l| l.id == s.case.expect.level)
            .map(|l| l.title.clone())
            .unwrap_or_default(),
        expected_groups: expected,
        found_groups: found,
        missed_groups: missed,
        extra_groups: extra,
        observations_missed,
        outcome: r.outcome,
        learning: s.learning.clone(),
    }
}
