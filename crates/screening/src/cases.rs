//! A protocol's own test cases: answers in, expected outcome out.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{line_col, parse_toml, FileCtx, Problem};
use crate::engine::{run_answer_map, RawAnswer};
use crate::group::compile_groups;
use crate::model::{Group, Protocol};
use crate::outcome::Outcome;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCases {
    protocol: Option<Spanned<String>>,
    case: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: Spanned<String>,
    #[serde(default)]
    answers: BTreeMap<String, toml::Value>,
    stop_after: Option<String>,
    expect: RawExpect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    level: Spanned<String>,
    groups: Option<Vec<Spanned<String>>>,
    declined: Option<Vec<String>>,
    stopped: Option<bool>,
    partial: Option<bool>,
    stop_rule: Option<String>,
    actions: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Expect {
    pub level: String,
    pub groups: Option<Vec<Group>>,
    pub declined: Option<Vec<String>>,
    pub stopped: Option<bool>,
    pub partial: Option<bool>,
    pub stop_rule: Option<String>,
    pub actions: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub line: usize,
    pub answers: Vec<(String, RawAnswer)>,
    pub stop_after: Option<String>,
    pub expect: Expect,
}

#[derive(Debug, Clone)]
pub struct CaseFile {
    pub path: String,
    pub protocol: String,
    pub cases: Vec<Case>,
}

/// The result of running one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub line: usize,
    /// Empty when the case passed.
    pub mismatches: Vec<Mismatch>,
    pub outcome: Option<Outcome>,
}

/// Reads one cases file. Its protocol is named at the top or is the protocol file `beside` it.
pub(crate) fn compile(
    cx: &FileCtx,
    beside: Option<&str>,
    protocols: &[Protocol],
    out: &mut Vec<Problem>,
) -> Option<CaseFile> {
    let raw = parse_toml::<RawCases>(cx, out)?;
    let before = out.len();
    let proto = match (&raw.protocol, beside) {
        (Some(id), _) => {
            let p = protocols.iter().find(|p| p.id == *id.get_ref());
            if p.is_none() {
                out.push(cx.problem(id.span().start, format!("unknown protocol `{}`", id.get_ref()), None));
            }
            p
        }
        // None: the protocol beside it has problems of its own, reported there.
        (None, Some(path)) => protocols.iter().find(|p| p.path == path),
        (None, None) => {
            out.push(cx.problem(
                0,
                "cases name no protocol",
                Some("put them beside a protocol.toml, or add `protocol = \"id\"` at the top".into()),
            ));
            None
        }
    }?;
    let arc = Arc::new(proto.clone());
    let cases = raw
        .case
        .into_iter()
        .map(|c| compile_case(cx, &arc, &c.name, &c.answers, c.stop_after, c.expect, out))
        .collect();
    (out.len() == before).then(|| CaseFile { path: cx.path.to_string(), protocol: proto.id.clone(), cases })
}

/// Checks one case (answers, stop point, expectation) against its protocol. Problems point at
/// the case's name.
pub(crate) fn compile_case(
    cx: &FileCtx,
    arc: &Arc<Protocol>,
    name: &Spanned<String>,
    raw_answers: &BTreeMap<String, toml::Value>,
    stop_after: Option<String>,
    e: RawExpect,
    out: &mut Vec<Problem>,
) -> Case {
    let proto: &Protocol = arc;
    let at = name.span().start;
    let mut answers = Vec::new();
    for (k, v) in raw_answers {
        match RawAnswer::from_toml(v) {
            Some(a) => answers.push((k.clone(), a)),
            None => out.push(cx.problem(
                at,
                format!("`{}`: answer for `{k}` must be a string or a number", name.get_ref()),
                None,
            )),
        }
    }
    if let Err(errs) = run_answer_map(arc.clone(), &answers, stop_after.as_deref()) {
        for err in errs {
            out.push(cx.problem(at, format!("`{}`: {err}", name.get_ref()), None));
        }
    }
    if !proto.levels.iter().any(|l| l.id == *e.level.get_ref()) {
        out.push(cx.problem(e.level.span().start, format!("unknown level `{}`", e.level.get_ref()), None));
    }
    let groups = e.groups.map(|gs| compile_groups(cx, &gs, out));
    for id in e.declined.iter().flatten() {
        if proto.item(id).is_none() {
            out.push(cx.problem(at, format!("`{}`: expect.declined names unknown item `{id}`", name.get_ref()), None));
        }
    }
    for id in e.actions.iter().flatten() {
        if !proto.actions.iter().any(|a| a.id == *id) {
            out.push(cx.problem(at, format!("`{}`: expect.actions names unknown action `{id}`", name.get_ref()), None));
        }
    }
    if let Some(st) = &e.stop_rule {
        if !proto.stops.iter().any(|r| r.id == *st) {
            out.push(cx.problem(at, format!("`{}`: unknown stop rule `{st}`", name.get_ref()), None));
        }
    }
    Case {
        name: name.get_ref().clone(),
        line: line_col(cx.text, at).0,
        answers,
        stop_after,
        expect: Expect {
            level: e.level.into_inner(),
            groups,
            declined: e.declined,
            stopped: e.stopped,
            partial: e.partial,
            stop_rule: e.stop_rule,
            actions: e.actions,
        },
    }
}

/// Runs one case against its protocol.
pub fn run_case(protocol: &Arc<Protocol>, case: &Case) -> CaseResult {
    let run = match run_answer_map(protocol.clone(), &case.answers, case.stop_after.as_deref()) {
        Ok(r) => r,
        Err(errs) => {
            let mismatches = errs.into_iter().map(|problem| Mismatch::Answers { problem }).collect();
            return CaseResult { name: case.name.clone(), line: case.line, mismatches, outcome: None };
        }
    };
    let o = run.session.outcome(None);
    let mismatches = check_expect(&case.expect, &o);
    CaseResult { name: case.name.clone(), line: case.line, mismatches, outcome: Some(o) }
}

/// One way an outcome differs from what a case or training scenario expected. The fields are
/// the facts (ids, not wording): the training debrief words them for a trainee, and `Display`
/// gives the one-line form the CLI prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "what", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Mismatch {
    /// The answers could not be played (an unknown item, an answer the item does not take).
    Answers {
        problem: String,
    },
    /// Level ids.
    Level {
        expected: String,
        got: String,
    },
    /// Indicator groups, sorted.
    Groups {
        expected: Vec<Group>,
        got: Vec<Group>,
    },
    /// Ids of the items declined, sorted.
    Declined {
        expected: Vec<String>,
        got: Vec<String>,
    },
    Stopped {
        expected: bool,
        got: bool,
    },
    Partial {
        expected: bool,
        got: bool,
    },
    /// Stop-rule ids; `got` is `None` when no stop rule ended the run.
    StopRule {
        expected: String,
        got: Option<String>,
    },
    /// An expected action id missing from the outcome's actions (`got`, their ids).
    Action {
        expected: String,
        got: Vec<String>,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |v: &[Group]| v.iter().map(|g| g.name()).collect::<Vec<_>>().join(", ");
        match self {
            Mismatch::Answers { problem } => write!(f, "{problem}"),
            Mismatch::Level { expected, got } => write!(f, "level: expected `{expected}`, got `{got}`"),
            Mismatch::Groups { expected, got } => {
                write!(f, "groups: expected [{}], got [{}]", names(expected), names(got))
            }
            Mismatch::Declined { expected, got } => write!(f, "declined: expected {expected:?}, got {got:?}"),
            Mismatch::Stopped { expected, got } => write!(f, "stopped: expected {expected}, got {got}"),
            Mismatch::Partial { expected, got } => write!(f, "partial: expected {expected}, got {got}"),
            Mismatch::StopRule { expected, got } => {
                write!(f, "stop rule: expected `{expected}`, got {:?}", got.as_deref())
            }
            Mismatch::Action { expected, got } => write!(f, "actions: expected `{expected}` among {got:?}"),
        }
    }
}

/// How an outcome differs from what was expected, one entry per difference.
pub fn check_expect(e: &Expect, o: &Outcome) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    if o.level.id != e.level {
        mismatches.push(Mismatch::Level { expected: e.level.clone(), got: o.level.id.clone() });
    }
    if let Some(want) = &e.groups {
        let mut want: Vec<Group> = want.clone();
        want.sort();
        want.dedup();
        if want != o.groups {
            mismatches.push(Mismatch::Groups { expected: want, got: o.groups.clone() });
        }
    }
    if let Some(want) = &e.declined {
        let mut got: Vec<String> = o.declined.iter().map(|d| d.item.clone()).collect();
        let mut want = want.clone();
        got.sort();
        want.sort();
        if got != want {
            mismatches.push(Mismatch::Declined { expected: want, got });
        }
    }
    if let Some(want) = e.stopped {
        if want != o.stopped {
            mismatches.push(Mismatch::Stopped { expected: want, got: o.stopped });
        }
    }
    if let Some(want) = e.partial {
        if want != o.partial {
            mismatches.push(Mismatch::Partial { expected: want, got: o.partial });
        }
    }
    if let Some(want) = &e.stop_rule {
        let got = o.stop_rule.as_ref().map(|s| s.id.clone());
        if got.as_deref() != Some(want.as_str()) {
            mismatches.push(Mismatch::StopRule { expected: want.clone(), got });
        }
    }
    for a in e.actions.iter().flatten() {
        if !o.actions.iter().any(|x| x.id == *a) {
            mismatches
                .push(Mismatch::Action { expected: a.clone(), got: o.actions.iter().map(|x| x.id.clone()).collect() });
        }
    }
    mismatches
}
