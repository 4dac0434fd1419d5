//! The session engine. A session is a function of (protocol, event log): [`Session::replay`] of
//! the same log always gives the same state. Nothing here reads a clock, a file or randomness.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::condition::Facts;
use crate::model::{Group, Item, Population, Protocol, StopRule};

/// One step in a session's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// Records (or changes) the answer to an item.
    Answer { item: String, answer: Answer },
    /// Moves to the previous item shown.
    Back,
    /// The person wants to stop. The session is kept as it is, marked stopped.
    Stop,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("unknown item `{0}`")]
    UnknownItem(String),
    #[error("item `{0}` is not shown with the answers given so far")]
    NotShown(String),
    #[error("invalid answer for `{item}`: {reason}")]
    InvalidAnswer { item: String, reason: String },
    #[error("the person stopped the screening; it is kept as it was")]
    Stopped,
    #[error("the screening concluded (stop rule `{0}`); go back to change an earlier answer")]
    Concluded(String),
    #[error("this is the first item; there is nothing before it")]
    AtStart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Status {
    InProgress,
    /// Every item shown has an answer.
    Complete,
    /// The person stopped.
    Stopped,
    /// A stop rule holds: the protocol ends here by design.
    Concluded,
}

#[derive(Debug, Clone)]
pub struct Session {
    protocol: Arc<Protocol>,
    answers: Vec<Option<Answer>>,
    visible: Vec<bool>,
    /// Groups (bits) each item currently indicates.
    contrib: Vec<u8>,
    group_counts: [u32; 7],
    position: Option<usize>,
    stopped: bool,
    log: Vec<Event>,
}

pub(crate) struct View<'a>(pub(crate) &'a Session);

impl Facts for View<'_> {
    fn answer(&self, item: usize) -> Option<&Answer> {
        self.0.answer_at(item)
    }
    fn has_group(&self, g: Group) -> bool {
        self.0.has_group(g)
    }
}

impl Session {
    pub fn new(protocol: Arc<Protocol>) -> Session {
        let n = protocol.items.len();
        let mut s = Session {
            protocol,
            answers: vec![None; n],
            visible: vec![false; n],
            contrib: vec![0; n],
            group_counts: [0; 7],
            position: None,
            stopped: false,
            log: Vec::new(),
        };
        for i in 0..n {
            s.visible[i] = s.eval_when(i);
        }
        s.position = s.visible.iter().position(|v| *v);
        s
    }

    /// Rebuilds a session from its log.
    pub fn replay(protocol: Arc<Protocol>, log: &[Event]) -> Result<Session, EngineError> {
        let mut s = Session::new(protocol);
        for e in log {
            s.apply(e.clone())?;
        }
        Ok(s)
    }

    pub fn apply(&mut self, e: Event) -> Result<(), EngineError> {
        match &e {
            Event::Answer { item, answer } => self.do_answer(item, answer.clone())?,
            Event::Back => self.do_back()?,
            Event::Stop => self.do_stop()?,
        }
        self.log.push(e);
        Ok(())
    }

    pub fn answer(&mut self, item: &str, answer: Answer) -> Result<(), EngineError> {
        self.apply(Event::Answer { item: item.to_string(), answer })
    }
    pub fn back(&mut self) -> Result<(), EngineError> {
        self.apply(Event::Back)
    }
    pub fn stop(&mut self) -> Result<(), EngineError> {
        self.apply(Event::Stop)
    }

    pub fn protocol(&self) -> &Protocol {
        &self.protocol
    }
    pub fn protocol_arc(&self) -> &Arc<Protocol> {
        &self.protocol
    }
    pub fn log(&self) -> &[Event] {
        &self.log
    }

    /// The item on screen, if any.
    pub fn current(&self) -> Option<&Item> {
        self.position.map(|i| &self.protocol.items[i])
    }

    /// The recorded answer to an item, if it is shown and answered.
    pub fn answer_of(&self, id: &str) -> Option<&Answer> {
        self.protocol.item_index(id).and_then(|i| self.answer_at(i))
    }

    fn answer_at(&self, i: usize) -> Option<&Answer> {
        if self.visible[i] {
            self.answers[i].as_ref()
        } else {
            None
        }
    }

    pub fn is_visible(&self, id: &str) -> bool {
        self.protocol.item_index(id).is_some_and(|i| self.visible[i])
    }

    /// (1-based place of the current item among items shown, how many are shown).
    pub fn progress(&self) -> (usize, usize) {
        let total = self.visible.iter().filter(|v| **v).count();
        let index = match self.position {
            Some(p) => self.visible[..=p].iter().filter(|v| **v).count(),
            None => total,
        };
        (index, total)
    }

    pub fn can_go_back(&self) -> bool {
        !self.stopped && self.previous().is_some()
    }

    pub fn status(&self) -> Status {
        if self.stopped {
            Status::Stopped
        } else if self.position.is_some() {
            Status::InProgress
        } else if self.stop_rule().is_some() {
            Status::Concluded
        } else {
            Status::Complete
        }
    }

    /// The first stop rule that holds now.
    pub fn stop_rule(&self) -> Option<&StopRule> {
        self.protocol.stops.iter().find(|s| s.when.eval(&View(self)))
    }

    pub fn has_group(&self, g: Group) -> bool {
        self.group_counts[g as usize] > 0 || (g == Group::Minor && self.protocol.population == Population::Minor)
    }

    /// Groups the item's current answer indicates (empty when hidden or unanswered).
    pub fn item_groups(&self, i: usize) -> impl Iterator<Item = Group> + '_ {
        let bits = self.contrib[i];
        Group::ALL.into_iter().filter(move |g| bits & g.bit() != 0)
    }

    pub(crate) fn answers_raw(&self) -> impl Iterator<Item = (usize, &Answer)> {
        (0..self.answers.len()).filter_map(|i| self.answer_at(i).map(|a| (i, a)))
    }

    pub(crate) fn visible_at(&self, i: usize) -> bool {
        self.visible[i]
    }

    fn eval_when(&self, i: usize) -> bool {
        match &self.protocol.items[i].when {
            None => true,
            Some(c) => c.eval(&View(self)),
        }
    }

    fn refresh_contrib(&mut self, i: usize) {
        let old = self.contrib[i];
        let mut new = 0u8;
        if let Some(a) = self.answer_at(i) {
            let it = &self.protocol.items[i];
            let key = a.key();
            for (k, gs) in &it.indicates {
                if *k == key {
                    gs.iter().for_each(|g| new |= g.bit());
                }
            }
            for (c, gs) in &it.indicates_if {
                if c.eval(&View(self)) {
                    gs.iter().for_each(|g| new |= g.bit());
                }
            }
        }
        if new != old {
            for g in Group::ALL {
                let (was, is) = (old & g.bit() != 0, new & g.bit() != 0);
                if was && !is {
                    self.group_counts[g as usize] -= 1;
                } else if is && !was {
                    self.group_counts[g as usize] += 1;
                }
            }
            self.contrib[i] = new;
        }
    }

    fn do_answer(&mut self, id: &str, answer: Answer) -> Result<(), EngineError> {
        if self.stopped {
            return Err(EngineError::Stopped);
        }
        if self.position.is_none() {
            if let Some(rule) = self.stop_rule() {
                return Err(EngineError::Concluded(rule.id.clone()));
            }
        }
        let i = self.protocol.item_index(id).ok_or_else(|| EngineError::UnknownItem(id.to_string()))?;
        if !self.visible[i] {
            return Err(EngineError::NotShown(id.to_string()));
        }
        answer
            .check(&self.protocol.items[i].answer)
            .map_err(|reason| EngineError::InvalidAnswer { item: id.to_string(), reason })?;
        self.answers[i] = Some(answer);
        self.refresh_contrib(i);
        // Items whose `when` reads this one may appear or disappear, and so on down the chain.
        let mut work: BTreeSet<usize> = self.protocol.dependents[i].iter().copied().collect();
        while let Some(j) = work.pop_first() {
            let v = self.eval_when(j);
            if v != self.visible[j] {
                self.visible[j] = v;
                self.refresh_contrib(j);
                work.extend(self.protocol.dependents[j].iter().copied());
            }
        }
        self.position = if self.stop_rule().is_some() {
            None
        } else {
            let open = |j: &usize| self.visible[*j] && self.answers[*j].is_none();
            (i + 1..self.answers.len()).find(open).or_else(|| (0..i).find(open))
        };
        Ok(())
    }

    fn previous(&self) -> Option<usize> {
        match self.position {
            Some(p) => (0..p).rev().find(|j| self.visible[*j]),
            None => (0..self.answers.len()).rev().find(|j| self.visible[*j] && self.answers[*j].is_some()),
        }
    }

    fn do_back(&mut self) -> Result<(), EngineError> {
        if self.stopped {
            return Err(EngineError::Stopped);
        }
        let p = self.previous().ok_or(EngineError::AtStart)?;
        self.position = Some(p);
        Ok(())
    }

    fn do_stop(&mut self) -> Result<(), EngineError> {
        if self.stopped {
            return Err(EngineError::Stopped);
        }
        self.stopped = true;
        Ok(())
    }
}

/// An answer as written in an answers file or a test case, before it is read for its item.
#[derive(Debug, Clone, PartialEq)]
pub enum RawAnswer {
    Text(String),
    Number(f64),
}

impl RawAnswer {
    pub fn from_json(v: &serde_json::Value) -> Option<RawAnswer> {
        match v {
            serde_json::Value::String(s) => Some(RawAnswer::Text(s.clone())),
            serde_json::Value::Number(n) => n.as_f64().map(RawAnswer::Number),
            _ => None,
        }
    }
    pub fn from_toml(v: &toml::Value) -> Option<RawAnswer> {
        match v {
            toml::Value::String(s) => Some(RawAnswer::Text(s.clone())),
            toml::Value::Integer(n) => Some(RawAnswer::Number(*n as f64)),
            toml::Value::Float(n) => Some(RawAnswer::Number(*n)),
            _ => None,
        }
    }
}

/// A session built from an answers map, and what in the map was not used.
#[derive(Debug, Clone)]
pub struct MapRun {
    pub session: Session,
    /// Answered, but hidden by skip logic with the other answers given.
    pub not_shown: Vec<String>,
    /// Answered, but after the person stopped or a stop rule concluded the screening.
    pub not_asked: Vec<String>,
}

/// Plays an answers map (item id -> answer) through the engine in protocol order, the way an
/// officer would walk it. Unknown ids and invalid answers are all reported, none applied.
pub fn run_answer_map(
    protocol: Arc<Protocol>,
    answers: &[(String, RawAnswer)],
    stop_after: Option<&str>,
) -> Result<MapRun, Vec<String>> {
    let mut errors = Vec::new();
    let mut parsed: Vec<Option<Answer>> = vec![None; protocol.items.len()];
    for (id, raw) in answers {
        let Some(i) = protocol.item_index(id) else {
            errors.push(format!("unknown item `{id}` (not in protocol `{}`)", protocol.id));
            continue;
        };
        let spec = &protocol.items[i].answer;
        let a = match raw {
            RawAnswer::Text(s) => Answer::from_input(spec, s),
            RawAnswer::Number(n) => {
                let a = Answer::Number(*n);
                a.check(spec).map(|_| a)
            }
        };
        match a {
            Ok(a) => parsed[i] = Some(a),
            Err(e) => errors.push(format!("invalid answer for `{id}`: {e}")),
        }
    }
    let stop_ix = match stop_after {
        Some(s) => match protocol.item_index(s) {
            Some(i) => Some(i),
            None => {
                errors.push(format!("unknown item `{s}` in stop_after"));
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut session = Session::new(protocol.clone());
    let (mut not_shown, mut not_asked) = (Vec::new(), Vec::new());
    for (i, slot) in parsed.into_iter().enumerate() {
        let id = &protocol.items[i].id;
        let halted = matches!(session.status(), Status::Stopped | Status::Concluded);
        if let Some(a) = slot {
            if halted {
                not_asked.push(id.clone());
            } else if !session.visible_at(i) {
                not_shown.push(id.clone());
            } else {
                session.answer(id, a).map_err(|e| vec![e.to_string()])?;
            }
        }
        if stop_ix == Some(i) && !matches!(session.status(), Status::Stopped | Status::Concluded) {
            session.stop().map_err(|e| vec![e.to_string()])?;
        }
    }
    Ok(MapRun { session, not_shown, not_asked })
}
