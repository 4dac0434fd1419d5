//! Resource directories (hotlines, tip lines, local services) and the agency policy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{FileCtx, Problem};
use crate::load::check_id;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDirectory {
    directory: RawDirHeader,
    #[serde(default)]
    resource: Vec<RawResource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDirHeader {
    id: Spanned<String>,
    scope: Spanned<String>,
    region: String,
    updated: String,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    id: Spanned<String>,
    name: String,
    kind: String,
    phone: Option<String>,
    text: Option<String>,
    tty: Option<String>,
    url: Option<String>,
    hours: Option<String>,
    #[serde(default)]
    languages: Vec<String>,
    note: Option<String>,
    #[serde(default)]
    description: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub phone: Option<String>,
    pub text: Option<String>,
    pub tty: Option<String>,
    pub url: Option<String>,
    pub hours: Option<String>,
    pub languages: Vec<String>,
    pub note: Option<String>,
    /// What it is, per language, for the person's resource card.
    pub description: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Directory {
    pub id: String,
    pub scope: String,
    pub region: String,
    pub updated: String,
    pub title: Option<String>,
    pub resources: Vec<Resource>,
}

pub(crate) fn compile_directory(cx: &FileCtx, raw: RawDirectory, out: &mut Vec<Problem>) -> Option<Directory> {
    let before = out.len();
    check_id(cx, &raw.directory.id, out);
    if !["national", "state", "local"].contains(&raw.directory.scope.get_ref().as_str()) {
        out.push(cx.problem(raw.directory.scope.span().start, format!("unknown scope `{}`", raw.directory.scope.get_ref()), Some("\"national\", \"state\" or \"local\"".into())));
    }
    let mut resources = Vec::new();
    for r in raw.resource {
        check_id(cx, &r.id, out);
        if resources.iter().any(|x: &Resource| x.id == *r.id.get_ref()) {
            out.push(cx.problem(r.id.span().start, format!("resource `{}` is listed twice", r.id.get_ref()), None));
        }
        if r.phone.is_none() && r.text.is_none() && r.url.is_none() && r.note.is_none() {
            out.push(cx.problem(r.id.span().start, format!("resource `{}` gives no way to reach it", r.id.get_ref()), Some("add phone, text, tty, url or a note".into())));
        }
        for must in ["en", "es"] {
            if !r.description.contains_key(must) {
                out.push(cx.problem(r.id.span().start, format!("resource `{}` has no `{must}` description", r.id.get_ref()), Some(format!("add description.{must}: the person's card shows it"))));
            }
        }
        resources.push(Resource {
            id: r.id.into_inner(),
            name: r.name,
            kind: r.kind,
            phone: r.phone,
            text: r.text,
            tty: r.tty,
            url: r.url,
            hours: r.hours,
            languages: r.languages,
            note: r.note,
            description: r.description,
        });
    }
    (out.len() == before).then(|| Directory {
        id: raw.directory.id.into_inner(),
        scope: raw.directory.scope.into_inner(),
        region: raw.directory.region,
        updated: raw.directory.updated,
        title: raw.directory.title,
        resources,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    policy: RawPolicyBody,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicyBody {
    id: Spanned<String>,
    retention_days: Spanned<u32>,
    lock_timeout_minutes: Spanned<u32>,
    non_arrest_guidance: Spanned<String>,
    #[serde(default)]
    referrals: Vec<Spanned<String>>,
    #[serde(default)]
    unlock: Option<Spanned<UnlockRules>>,
}

/// The agency's rules for the officer's secret and failed unlocks (`[policy.unlock]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockRules {
    /// Shortest secret; CJIS asks at least 10 characters for a passphrase that unlocks
    /// at-rest encryption.
    #[serde(default = "UnlockRules::default_min_length")]
    pub min_length: u32,
    #[serde(default = "UnlockRules::default_max_failures")]
    pub max_failures: u32,
    #[serde(default = "UnlockRules::default_lockout_minutes")]
    pub lockout_minutes: u32,
    /// The first delay after a failure; it doubles with each further failure.
    #[serde(default = "UnlockRules::default_base_delay_seconds")]
    pub base_delay_seconds: u32,
    /// Crypto-wipe after this many failures (off when absent).
    #[serde(default)]
    pub wipe_after_failures: Option<u32>,
    /// Secrets refused on top of the built-in list of common ones.
    #[serde(default)]
    pub blocklist: Vec<String>,
}

impl UnlockRules {
    fn default_min_length() -> u32 {
        10
    }
    fn default_max_failures() -> u32 {
        5
    }
    fn default_lockout_minutes() -> u32 {
        10
    }
    fn default_base_delay_seconds() -> u32 {
        1
    }
}

impl Default for UnlockRules {
    fn default() -> Self {
        UnlockRules {
            min_length: Self::default_min_length(),
            max_failures: Self::default_max_failures(),
            lockout_minutes: Self::default_lockout_minutes(),
            base_delay_seconds: Self::default_base_delay_seconds(),
            wipe_after_failures: None,
            blocklist: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub id: String,
    pub retention_days: u32,
    pub lock_timeout_minutes: u32,
    pub non_arrest_guidance: String,
    pub referrals: Vec<String>,
    pub unlock: UnlockRules,
}

pub(crate) fn compile_policy(cx: &FileCtx, raw: RawPolicy, dirs: &[Directory], out: &mut Vec<Problem>) -> Option<Policy> {
    let before = out.len();
    let p = raw.policy;
    check_id(cx, &p.id, out);
    if *p.lock_timeout_minutes.get_ref() == 0 || *p.lock_timeout_minutes.get_ref() > 30 {
        out.push(cx.problem(p.lock_timeout_minutes.span().start, "lock_timeout_minutes must be 1 to 30", Some("CJIS caps an inactive session at 30 minutes".into())));
    }
    if *p.retention_days.get_ref() == 0 {
        out.push(cx.problem(p.retention_days.span().start, "retention_days must be at least 1", None));
    }
    if p.non_arrest_guidance.get_ref().trim().is_empty() {
        out.push(cx.problem(p.non_arrest_guidance.span().start, "non_arrest_guidance is empty", Some("the outcome shows it wherever indicators are seen".into())));
    }
    for r in &p.referrals {
        if !dirs.iter().any(|d| d.resources.iter().any(|x| x.id == *r.get_ref())) {
            out.push(cx.problem(r.span().start, format!("unknown resource `{}`", r.get_ref()), Some("referrals name resources in resources/*.toml".into())));
        }
    }
    let unlock = p.unlock.map(|u| {
        let span = u.span();
        let u = u.into_inner();
        if u.min_length < 8 {
            out.push(cx.problem(span.start, format!("unlock.min_length {} is below 8", u.min_length), Some("CJIS asks at least 10 characters for a passphrase that unlocks at-rest encryption".into())));
        }
        if u.max_failures == 0 || u.max_failures > 100 {
            out.push(cx.problem(span.start, "unlock.max_failures must be 1 to 100", Some("NIST SP 800-63B limits failed attempts to at most 100".into())));
        }
        if u.wipe_after_failures.is_some_and(|w| w < u.max_failures) {
            out.push(cx.problem(span.start, "unlock.wipe_after_failures is below max_failures", Some("a wipe should only follow a lockout".into())));
        }
        u
    });
    (out.len() == before).then(|| Policy {
        id: p.id.into_inner(),
        retention_days: p.retention_days.into_inner(),
        lock_timeout_minutes: p.lock_timeout_minutes.into_inner(),
        non_arrest_guidance: p.non_arrest_guidance.into_inner(),
        referrals: p.referrals.into_iter().map(|r| r.into_inner()).collect(),
        unlock: unlock.unwrap_or_default(),
    })
}
