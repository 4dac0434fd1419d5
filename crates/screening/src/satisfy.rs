//! Static questions about a protocol, answered by enumerating the small domains that conditions
//! read: can an item ever be shown, can a rule ever hold. The answers over-approximate: "can hold"
//! may be said of a rule that cannot, never the reverse, so the validator raises no false alarm.

use crate::answer::Answer;
use crate::condition::{Cond, Facts, Value};
use crate::model::{AnswerSpec, Group, Population, Protocol};

/// Beyond this many combinations a condition is assumed satisfiable.
const MAX_COMBINATIONS: usize = 200_000;

pub struct Reach {
    /// Items that some answers make visible.
    pub items: Vec<bool>,
    /// Groups (as bits) that some reachable item can indicate.
    pub producible: u8,
}

impl Reach {
    pub fn of(p: &Protocol) -> Reach {
        let mut items = vec![false; p.items.len()];
        for i in 0..p.items.len() {
            items[i] = match &p.items[i].when {
                None => true,
                Some(c) => satisfiable(p, c, &items, 0),
            };
        }
        let mut producible = 0u8;
        if p.population == Population::Minor {
            producible |= Group::Minor.bit();
        }
        for (i, it) in p.items.iter().enumerate() {
            if !items[i] {
                continue;
            }
            for (_, gs) in &it.indicates {
                gs.iter().for_each(|g| producible |= g.bit());
            }
            for (c, gs) in &it.indicates_if {
                if satisfiable(p, c, &items, 0) {
                    gs.iter().for_each(|g| producible |= g.bit());
                }
            }
        }
        Reach { items, producible }
    }

    pub fn can_hold(&self, p: &Protocol, c: &Cond) -> bool {
        satisfiable(p, c, &self.items, self.producible)
    }
}

struct Trial<'a> {
    answers: &'a [(usize, Option<Answer>)],
    groups: u8,
}

impl Facts for Trial<'_> {
    fn answer(&self, item: usize) -> Option<&Answer> {
        self.answers.iter().find(|(i, _)| *i == item).and_then(|(_, a)| a.as_ref())
    }
    fn has_group(&self, g: Group) -> bool {
        self.groups & g.bit() != 0
    }
}

fn domain(p: &Protocol, c: &Cond, item: usize, reachable: bool) -> Vec<Option<Answer>> {
    let mut d = vec![None];
    if !reachable {
        return d;
    }
    let spec = &p.items[item].answer;
    let mut lits = Vec::new();
    c.literals_for(item, &mut lits);
    match spec {
        AnswerSpec::Choice(cs) => d.extend(cs.iter().map(|c| Some(Answer::Choice(c.id.clone())))),
        AnswerSpec::Number { min, max } => {
            let mut pts: Vec<f64> =
                lits.iter().filter_map(|v| if let Value::Num(n) = v { Some(*n) } else { None }).collect();
            pts.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            let mut cand = Vec::new();
            for (k, v) in pts.iter().enumerate() {
                cand.extend([v - 1.0, *v, v + 1.0]);
                if let Some(next) = pts.get(k + 1) {
                    cand.push((v + next) / 2.0);
                }
            }
            cand.extend(min.iter().chain(max.iter()).copied());
            if cand.is_empty() {
                cand.push(0.0);
            }
            d.extend(
                cand.into_iter()
                    .filter(|n| min.is_none_or(|lo| *n >= lo) && max.is_none_or(|hi| *n <= hi))
                    .map(|n| Some(Answer::Number(n))),
            );
        }
        AnswerSpec::Text => {
            d.push(Some(Answer::Text("\u{1}".into())));
            d.extend(lits.iter().filter_map(|v| {
                if let Value::Text(t) = v {
                    Some(Some(Answer::Text(t.clone())))
                } else {
                    None
                }
            }));
        }
        _ => {}
    }
    for k in spec.tokens() {
        let a = match k {
            crate::answer::AnswerKind::Yes => Answer::Yes,
            crate::answer::AnswerKind::No => Answer::No,
            crate::answer::AnswerKind::NotSure => Answer::NotSure,
            crate::answer::AnswerKind::Declined => Answer::Declined,
            crate::answer::AnswerKind::Seen => Answer::Seen,
            crate::answer::AnswerKind::NotSeen => Answer::NotSeen,
            crate::answer::AnswerKind::Read => Answer::Read,
            _ => continue,
        };
        d.push(Some(a));
    }
    d
}

/// Whether some answers to the items `c` reads, and some producible groups, make `c` hold.
fn satisfiable(p: &Protocol, c: &Cond, reach: &[bool], producible: u8) -> bool {
    let mut items = Vec::new();
    c.items(&mut items);
    let mut groups = Vec::new();
    c.groups(&mut groups);
    let free: Vec<Group> = groups.into_iter().filter(|g| producible & g.bit() != 0).collect();
    let domains: Vec<Vec<Option<Answer>>> =
        items.iter().map(|&i| domain(p, c, i, reach.get(i).copied().unwrap_or(false))).collect();
    let mut total: usize = 1usize << free.len();
    for d in &domains {
        total = total.saturating_mul(d.len());
    }
    if total > MAX_COMBINATIONS {
        return true;
    }
    let mut pick = vec![0usize; domains.len()];
    let mut answers: Vec<(usize, Option<Answer>)> = items.iter().map(|&i| (i, None)).collect();
    loop {
        for (k, d) in domains.iter().enumerate() {
            answers[k].1 = d[pick[k]].clone();
        }
        for mask in 0..(1u32 << free.len()) {
            let mut bits = 0u8;
            for (b, g) in free.iter().enumerate() {
                if mask & (1 << b) != 0 {
                    bits |= g.bit();
                }
            }
            if c.eval(&Trial { answers: &answers, groups: bits }) {
                return true;
            }
        }
        // next combination
        let mut k = 0;
        loop {
            if k == domains.len() {
                return false;
            }
            pick[k] += 1;
            if pick[k] < domains[k].len() {
                break;
            }
            pick[k] = 0;
            k += 1;
        }
    }
}
