//! Indicator groups: the means (force, fraud, coercion), the purpose, a minor, and safety; and
//! reading a list of them from a content file.

use serde::Serialize;
use toml::Spanned;

use crate::diag::{FileCtx, Problem};

/// Indicator groups: the means (force, fraud, coercion), the purpose, a minor, and safety.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Group {
    Force,
    Fraud,
    Coercion,
    PurposeSex,
    PurposeLabor,
    Minor,
    Safety,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Force,
        Group::Fraud,
        Group::Coercion,
        Group::PurposeSex,
        Group::PurposeLabor,
        Group::Minor,
        Group::Safety,
    ];
    pub const HINT: &'static str = "groups are force, fraud, coercion, purpose-sex, purpose-labor, minor, safety";

    pub fn parse(s: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Group::Force => "force",
            Group::Fraud => "fraud",
            Group::Coercion => "coercion",
            Group::PurposeSex => "purpose-sex",
            Group::PurposeLabor => "purpose-labor",
            Group::Minor => "minor",
            Group::Safety => "safety",
        }
    }

    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Reads group names, reporting each unknown one where it is written.
pub(crate) fn compile_groups(cx: &FileCtx, groups: &[Spanned<String>], out: &mut Vec<Problem>) -> Vec<Group> {
    groups
        .iter()
        .filter_map(|g| {
            let parsed = Group::parse(g.get_ref());
            if parsed.is_none() {
                out.push(cx.problem(
                    g.span().start,
                    format!("unknown indicator group `{}`", g.get_ref()),
                    Some(Group::HINT.into()),
                ));
            }
            parsed
        })
        .collect()
}
