//! Answers, and how raw input (a token, a number, text) becomes one for a given item.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest short-text answer. Fieldscreen never takes narratives.
pub const MAX_TEXT: usize = 200;

/// One answer to one item. `Declined` and `NotSure` are answers in their own right, never `No`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Answer {
    Yes,
    No,
    NotSure,
    Declined,
    Seen,
    NotSeen,
    Read,
    Choice(String),
    Number(f64),
    Text(String),
}

/// The kind of an answer, without its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AnswerKind {
    Yes,
    No,
    NotSure,
    Declined,
    Seen,
    NotSeen,
    Read,
    Choice,
    Number,
    Text,
}

impl AnswerKind {
    /// The tokens that can be written in conditions, files and the CLI.
    pub fn parse_token(s: &str) -> Option<AnswerKind> {
        Some(match s {
            "yes" => AnswerKind::Yes,
            "no" => AnswerKind::No,
            "not-sure" => AnswerKind::NotSure,
            "declined" => AnswerKind::Declined,
            "seen" => AnswerKind::Seen,
            "not-seen" => AnswerKind::NotSeen,
            "read" => AnswerKind::Read,
            _ => return None,
        })
    }

    pub fn token(self) -> &'static str {
        match self {
            AnswerKind::Yes => "yes",
            AnswerKind::No => "no",
            AnswerKind::NotSure => "not-sure",
            AnswerKind::Declined => "declined",
            AnswerKind::Seen => "seen",
            AnswerKind::NotSeen => "not-seen",
            AnswerKind::Read => "read",
            AnswerKind::Choice => "choice",
            AnswerKind::Number => "number",
            AnswerKind::Text => "text",
        }
    }
}

impl Answer {
    pub fn kind(&self) -> AnswerKind {
        match self {
            Answer::Yes => AnswerKind::Yes,
            Answer::No => AnswerKind::No,
            Answer::NotSure => AnswerKind::NotSure,
            Answer::Declined => AnswerKind::Declined,
            Answer::Seen => AnswerKind::Seen,
            Answer::NotSeen => AnswerKind::NotSeen,
            Answer::Read => AnswerKind::Read,
            Answer::Choice(_) => AnswerKind::Choice,
            Answer::Number(_) => AnswerKind::Number,
            Answer::Text(_) => AnswerKind::Text,
        }
    }

    fn from_kind(k: AnswerKind) -> Option<Answer> {
        Some(match k {
            AnswerKind::Yes => Answer::Yes,
            AnswerKind::No => Answer::No,
            AnswerKind::NotSure => Answer::NotSure,
            AnswerKind::Declined => Answer::Declined,
            AnswerKind::Seen => Answer::Seen,
            AnswerKind::NotSeen => Answer::NotSeen,
            AnswerKind::Read => Answer::Read,
            _ => return None,
        })
    }

    /// The key this answer is looked up by in an item's `indicates` table.
    pub fn key(&self) -> String {
        match self {
            Answer::Choice(c) => c.clone(),
            other => other.kind().token().to_string(),
        }
    }

    /// Short human form, for outcomes and the CLI.
    pub fn display(&self) -> String {
        match self {
            Answer::Number(n) => format_number(*n),
            Answer::Text(t) => t.clone(),
            other => other.key(),
        }
    }

    /// Reads an answer written as text (a token, a choice id, a number or short text) for an item.
    pub fn from_input(spec: &AnswerSpec, raw: &str) -> Result<Answer, String> {
        let raw = raw.trim();
        if let Some(k) = AnswerKind::parse_token(raw) {
            if spec.tokens().contains(&k) {
                return Answer::from_kind(k).ok_or_else(|| "unreachable".into());
            }
            if !matches!(spec, AnswerSpec::Text) {
                return Err(format!("`{raw}` is not an answer here; it takes {}", spec.describe()));
            }
        }
        let a = match spec {
            AnswerSpec::Choice(choices) if choices.iter().any(|c| c.id == raw) => Answer::Choice(raw.to_string()),
            AnswerSpec::Number { .. } => match raw.parse::<f64>() {
                Ok(n) => Answer::Number(n),
                Err(_) => return Err(format!("`{raw}` is not a number; it takes {}", spec.describe())),
            },
            AnswerSpec::Text => Answer::Text(raw.to_string()),
            _ => return Err(format!("`{raw}` is not an answer here; it takes {}", spec.describe())),
        };
        a.check(spec)?;
        Ok(a)
    }

    /// Checks that this answer fits an item's answer type.
    pub fn check(&self, spec: &AnswerSpec) -> Result<(), String> {
        let ok = match (self, spec) {
            (Answer::Choice(c), AnswerSpec::Choice(choices)) => {
                if !choices.iter().any(|x| &x.id == c) {
                    return Err(format!("`{c}` is not one of the choices ({})", spec.describe()));
                }
                true
            }
            (Answer::Number(n), AnswerSpec::Number { min, max }) => {
                if !n.is_finite() {
                    return Err("the number is not finite".into());
                }
                if let Some(lo) = min.filter(|lo| n < lo) {
                    return Err(format!("{} is below the minimum {}", format_number(*n), format_number(lo)));
                }
                if let Some(hi) = max.filter(|hi| n > hi) {
                    return Err(format!("{} is above the maximum {}", format_number(*n), format_number(hi)));
                }
                true
            }
            (Answer::Text(t), AnswerSpec::Text) => {
                if t.trim().is_empty() {
                    return Err("the text is empty; use `declined` if the person chose not to answer".into());
                }
                if t.chars().count() > MAX_TEXT {
                    return Err(format!(
                        "the text is longer than {MAX_TEXT} characters; this is a short answer, not a narrative"
                    ));
                }
                true
            }
            (a, spec) => spec.tokens().contains(&a.kind()),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("`{}` is not an answer here; it takes {}", self.key(), spec.describe()))
        }
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub id: String,
    /// Words per language (for observations: `en` only, the label).
    pub text: BTreeMap<String, String>,
}

/// What an item takes as an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AnswerSpec {
    YesNo,
    Choice(Vec<Choice>),
    Number { min: Option<f64>, max: Option<f64> },
    Text,
    Observation,
    Read,
}

impl AnswerSpec {
    /// Answer tokens (not values) this type accepts.
    pub fn tokens(&self) -> &'static [AnswerKind] {
        use AnswerKind::*;
        match self {
            AnswerSpec::YesNo => &[Yes, No, NotSure, Declined],
            AnswerSpec::Choice(_) | AnswerSpec::Number { .. } => &[NotSure, Declined],
            AnswerSpec::Text => &[Declined],
            AnswerSpec::Observation => &[Seen, NotSeen, NotSure],
            AnswerSpec::Read => &[Read],
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            AnswerSpec::YesNo => "yes-no",
            AnswerSpec::Choice(_) => "choice",
            AnswerSpec::Number { .. } => "number",
            AnswerSpec::Text => "text",
            AnswerSpec::Observation => "observation",
            AnswerSpec::Read => "read",
        }
    }

    /// "yes, no, not-sure or declined" and the like, for error messages.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        match self {
            AnswerSpec::Choice(c) => parts.extend(c.iter().map(|c| c.id.clone())),
            AnswerSpec::Number { min, max } => parts.push(match (min, max) {
                (Some(a), Some(b)) => format!("a number from {a} to {b}"),
                (Some(a), None) => format!("a number of at least {a}"),
                (None, Some(b)) => format!("a number up to {b}"),
                (None, None) => "a number".into(),
            }),
            AnswerSpec::Text => parts.push("short text".into()),
            _ => {}
        }
        parts.extend(self.tokens().iter().map(|t| t.token().to_string()));
        match parts.len() {
            0 => String::new(),
            1 => parts.remove(0),
            n => format!("{} or {}", parts[..n - 1].join(", "), parts[n - 1]),
        }
    }
}
