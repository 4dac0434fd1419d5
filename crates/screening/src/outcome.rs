//! The outcome of a session, available at any point. It says which indicators were seen and
//! what to offer; it never labels the person, and a partial outcome says it is partial: a
//! stopped or unfinished screening gets the protocol's stopped level, never the no-indicators
//! level.

use serde::Serialize;

use crate::answer::AnswerKind;
use crate::engine::{Session, Status};
use crate::model::{Action, ActionKind, Group, ItemKind, Level, Population};
use crate::resources::Policy;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Indicator {
    pub item: String,
    pub label: String,
    /// The answer as given (`yes`, `seen`, a choice id, a number).
    pub answer: String,
    /// For purpose indicators: `sex` or `labor`.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Indicators {
    pub force: Vec<Indicator>,
    pub fraud: Vec<Indicator>,
    pub coercion: Vec<Indicator>,
    pub purpose: Vec<Indicator>,
    pub minor: Vec<Indicator>,
    pub safety: Vec<Indicator>,
}

impl Indicators {
    fn push(&mut self, g: Group, ind: Indicator) {
        match g {
            Group::Force => self.force.push(ind),
            Group::Fraud => self.fraud.push(ind),
            Group::Coercion => self.coercion.push(ind),
            Group::PurposeSex => self.purpose.push(Indicator { detail: Some("sex".into()), ..ind }),
            Group::PurposeLabor => self.purpose.push(Indicator { detail: Some("labor".into()), ..ind }),
            Group::Minor => self.minor.push(ind),
            Group::Safety => self.safety.push(ind),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemRef {
    pub item: String,
    pub label: String,
}

/// Which protocol, exactly: id, version and the hash of its content (with its checklists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProtocolRef {
    pub id: String,
    pub version: String,
    pub content_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StopRef {
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Outcome {
    pub protocol: ProtocolRef,
    pub status: Status,
    pub level: Level,
    /// Groups with at least one indicator, in a fixed order.
    pub groups: Vec<Group>,
    pub indicators: Indicators,
    /// Items the person chose not to answer. Never counted as `no`.
    pub declined: Vec<ItemRef>,
    pub not_sure: Vec<ItemRef>,
    /// The person stopped.
    pub stopped: bool,
    /// Not every item was covered: this concludes nothing about what was not asked.
    pub partial: bool,
    /// The stop rule that concluded the screening, if one did.
    pub stop_rule: Option<StopRef>,
    /// The minors rule applied: a minor in commercial sex is trafficking by law.
    pub minor_rule: bool,
    /// Items shown but not answered (only when partial).
    pub unanswered: Vec<String>,
    pub actions: Vec<Action>,
    /// The agency's non-arrest guidance, where indicators were seen.
    pub non_arrest_guidance: Option<String>,
}

impl Session {
    pub fn outcome(&self, policy: Option<&Policy>) -> Outcome {
        let p = self.protocol();
        let mut indicators = Indicators::default();
        let mut groups = Vec::new();
        if p.population == Population::Minor {
            indicators.push(
                Group::Minor,
                Indicator {
                    item: "population".into(),
                    label: format!("Screened with the minors protocol ({})", p.id),
                    answer: "minor".into(),
                    detail: None,
                },
            );
        }
        let mut declined = Vec::new();
        let mut not_sure = Vec::new();
        for (i, a) in self.answers_raw() {
            let it = &p.items[i];
            let r = ItemRef { item: it.id.clone(), label: it.label.clone() };
            match a.kind() {
                AnswerKind::Declined => declined.push(r),
                AnswerKind::NotSure => not_sure.push(r),
                _ => {}
            }
            for g in self.item_groups(i) {
                indicators.push(
                    g,
                    Indicator { item: it.id.clone(), label: it.label.clone(), answer: a.display(), detail: None },
                );
            }
        }
        for g in Group::ALL {
            if self.has_group(g) {
                groups.push(g);
            }
        }
        let minor_rule = self.has_group(Group::Minor) && self.has_group(Group::PurposeSex);
        let status = self.status();
        let stop = if status == Status::Concluded { self.stop_rule() } else { None };

        let fired: Vec<_> = p.outcomes.iter().filter(|o| o.when.eval(&crate::engine::View(self))).collect();
        let partial = matches!(status, Status::Stopped | Status::InProgress);
        let mut level_ix = if minor_rule {
            p.minor_rule.level
        } else {
            fired.iter().map(|o| o.level).max_by_key(|l| p.levels[*l].rank).unwrap_or_else(|| p.base_level())
        };
        // A stopped or unfinished screening concludes nothing past what was seen: it never gets
        // the no-indicators level, whatever the rules say. What was seen still raises the level.
        let nothing_concluded = partial && level_ix == p.base_level();
        if nothing_concluded {
            level_ix = p.stopped_rule.level;
        }
        let mut action_ix: Vec<usize> = Vec::new();
        let mut add = |list: &[usize]| {
            for a in list {
                if !action_ix.contains(a) {
                    action_ix.push(*a);
                }
            }
        };
        if minor_rule {
            add(&p.minor_rule.actions);
        }
        if nothing_concluded {
            add(&p.stopped_rule.actions);
        }
        if let Some(s) = stop {
            add(&s.actions);
        }
        for o in &fired {
            add(&o.actions);
        }
        // Safety and medical needs come first, whichever rule named them; the rest keep their order.
        action_ix.sort_by_key(|a| match p.actions[*a].kind {
            ActionKind::Emergency => 0,
            ActionKind::Medical => 1,
            _ => 2,
        });

        let unanswered = if partial {
            p.items
                .iter()
                .enumerate()
                .filter(|(i, it)| {
                    self.visible_at(*i) && self.answer_of(&it.id).is_none() && it.kind != ItemKind::Script
                })
                .map(|(_, it)| it.id.clone())
                .collect()
        } else {
            Vec::new()
        };
        Outcome {
            protocol: ProtocolRef {
                id: p.id.clone(),
                version: p.version.clone(),
                content_hash: p.content_hash.clone(),
            },
            status,
            level: p.levels[level_ix].clone(),
            groups: groups.clone(),
            indicators,
            declined,
            not_sure,
            stopped: status == Status::Stopped,
            partial,
            stop_rule: stop.map(|s| StopRef { id: s.id.clone(), reason: s.reason.clone() }),
            minor_rule,
            unanswered,
            actions: action_ix.into_iter().map(|a| p.actions[a].clone()).collect(),
            non_arrest_guidance: if groups.is_empty() { None } else { policy.map(|p| p.non_arrest_guidance.clone()) },
        }
    }
}
