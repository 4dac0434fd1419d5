//! Resource directories (hotlines, tip lines, local services) and the agency policy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{parse_toml, FileCtx, Problem};
use crate::ids::check_id;
use crate::translations::{check_fixed_parts, Language};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDirectory {
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
    description: BTreeMap<String, Spanned<String>>,
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

/// Reads and checks one resource directory file.
pub(crate) fn compile_directory(cx: &FileCtx, registry: &[Language], out: &mut Vec<Problem>) -> Option<Directory> {
    let raw = parse_toml::<RawDirectory>(cx, out)?;
    let before = out.len();
    check_id(cx, &raw.directory.id, out);
    if !["national", "state", "local"].contains(&raw.directory.scope.get_ref().as_str()) {
        out.push(cx.problem(
            raw.directory.scope.span().start,
            format!("unknown scope `{}`", raw.directory.scope.get_ref()),
            Some("\"national\", \"state\" or \"local\"".into()),
        ));
    }
    let mut resources = Vec::new();
    for r in raw.resource {
        check_id(cx, &r.id, out);
        if resources.iter().any(|x: &Resource| x.id == *r.id.get_ref()) {
            out.push(cx.problem(r.id.span().start, format!("resource `{}` is listed twice", r.id.get_ref()), None));
        }
        if r.phone.is_none() && r.text.is_none() && r.url.is_none() && r.note.is_none() {
            out.push(cx.problem(
                r.id.span().start,
                format!("resource `{}` gives no way to reach it", r.id.get_ref()),
                Some("add phone, text, tty, url or a note".into()),
            ));
        }
        for must in ["en", "es"] {
            if !r.description.contains_key(must) {
                out.push(cx.problem(
                    r.id.span().start,
                    format!("resource `{}` has no `{must}` description", r.id.get_ref()),
                    Some(format!("add description.{must}: the person's card shows it")),
                ));
            }
        }
        for (lang, t) in &r.description {
            if !registry.is_empty() && !registry.iter().any(|l| l.code == *lang) {
                out.push(cx.problem(
                    t.span().start,
                    format!("description in `{lang}`, which the language registry does not list"),
                    Some("register the language in screening-protocols/languages.toml or remove this text".into()),
                ));
            }
        }
        let texts: Vec<(&str, &Spanned<String>)> = r.description.iter().map(|(l, t)| (l.as_str(), t)).collect();
        check_fixed_parts(cx, &format!("resource `{}`", r.id.get_ref()), &texts, "en", out);
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
            description: r.description.into_iter().map(|(l, t)| (l, t.into_inner())).collect(),
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
struct RawPolicy {
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
    #[serde(default)]
    recipients: Vec<RawRecipient>,
    #[serde(default)]
    small_cell_threshold: Option<Spanned<u32>>,
}

/// The unit figures' small-cell threshold when the policy names none: counts of 1 to 4 show as
/// "fewer than 5".
pub const DEFAULT_SMALL_CELL_THRESHOLD: u32 = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    name: Spanned<String>,
    age: Spanned<String>,
    #[serde(default)]
    signing_key: Option<Spanned<String>>,
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
    /// The unit directory: custodians an officer may seal a bundle to (`[[policy.recipients]]`).
    pub recipients: Vec<UnitRecipient>,
    /// In the unit's de-identified figures, a count below this shows as "fewer than N".
    pub small_cell_threshold: u32,
}

/// A unit custodian from the policy's directory, as the app offers it for a bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRecipient {
    /// Shown to the officer, e.g. "Trafficking unit custodian"; unique in the policy.
    pub name: String,
    /// The custodian's age X25519 recipient (`age1...`), what `fieldscreen keys new` prints
    /// as `recipient:`.
    pub age: String,
    /// The custodian's Ed25519 public key (32 bytes, standard base64), what `fieldscreen keys
    /// new` prints as `signing key:`: bundles the custodian signs are checked against it.
    pub signing_key: Option<String>,
}

/// Reads and checks one agency policy file; its referrals name resources in `dirs`.
pub(crate) fn compile_policy(cx: &FileCtx, dirs: &[Directory], out: &mut Vec<Problem>) -> Option<Policy> {
    let raw = parse_toml::<RawPolicy>(cx, out)?;
    let before = out.len();
    let p = raw.policy;
    check_id(cx, &p.id, out);
    if *p.lock_timeout_minutes.get_ref() == 0 || *p.lock_timeout_minutes.get_ref() > 30 {
        out.push(cx.problem(
            p.lock_timeout_minutes.span().start,
            "lock_timeout_minutes must be 1 to 30",
            Some("CJIS caps an inactive session at 30 minutes".into()),
        ));
    }
    if let Some(t) = &p.small_cell_threshold {
        if *t.get_ref() < 3 {
            out.push(cx.problem(
                t.span().start,
                "small_cell_threshold must be at least 3",
                Some("with 2, a hidden count that is not 0 can only be 1; the default is 5".into()),
            ));
        }
    }
    if *p.retention_days.get_ref() == 0 {
        out.push(cx.problem(p.retention_days.span().start, "retention_days must be at least 1", None));
    }
    if p.non_arrest_guidance.get_ref().trim().is_empty() {
        out.push(cx.problem(
            p.non_arrest_guidance.span().start,
            "non_arrest_guidance is empty",
            Some("the outcome shows it wherever indicators are seen".into()),
        ));
    }
    for r in &p.referrals {
        if !dirs.iter().any(|d| d.resources.iter().any(|x| x.id == *r.get_ref())) {
            out.push(cx.problem(
                r.span().start,
                format!("unknown resource `{}`", r.get_ref()),
                Some("referrals name resources in resources/*.toml".into()),
            ));
        }
    }
    let unlock = p.unlock.map(|u| {
        let span = u.span();
        let u = u.into_inner();
        if u.min_length < 8 {
            out.push(cx.problem(
                span.start,
                format!("unlock.min_length {} is below 8", u.min_length),
                Some("CJIS asks at least 10 characters for a passphrase that unlocks at-rest encryption".into()),
            ));
        }
        if u.max_failures == 0 || u.max_failures > 100 {
            out.push(cx.problem(
                span.start,
                "unlock.max_failures must be 1 to 100",
                Some("NIST SP 800-63B limits failed attempts to at most 100".into()),
            ));
        }
        if u.wipe_after_failures.is_some_and(|w| w < u.max_failures) {
            out.push(cx.problem(
                span.start,
                "unlock.wipe_after_failures is below max_failures",
                Some("a wipe should only follow a lockout".into()),
            ));
        }
        u
    });
    let mut recipients: Vec<UnitRecipient> = Vec::new();
    for r in p.recipients {
        let name = r.name.get_ref().trim();
        if name.is_empty() {
            out.push(cx.problem(
                r.name.span().start,
                "a unit recipient has no name",
                Some("the officer picks recipients by name".into()),
            ));
        } else if recipients.iter().any(|x| x.name.trim().eq_ignore_ascii_case(name)) {
            out.push(cx.problem(
                r.name.span().start,
                format!("unit recipient `{name}` is listed twice"),
                Some("each name must pick one custodian".into()),
            ));
        }
        if let Err((at, why, hint)) = check_age_recipient(r.age.get_ref()) {
            let offset = at.map_or(r.age.span().start, |i| cx.string_start(r.age.span().start) + i);
            out.push(cx.problem(offset, format!("unit recipient `{name}`: {why}"), Some(hint.into())));
        }
        if let Some(k) = &r.signing_key {
            if let Err((why, hint)) = check_signing_key(k.get_ref()) {
                out.push(cx.problem(k.span().start, format!("unit recipient `{name}`: {why}"), Some(hint.into())));
            }
        }
        recipients.push(UnitRecipient {
            name: name.to_string(),
            age: r.age.into_inner(),
            signing_key: r.signing_key.map(Spanned::into_inner),
        });
    }
    (out.len() == before).then(|| Policy {
        id: p.id.into_inner(),
        retention_days: p.retention_days.into_inner(),
        lock_timeout_minutes: p.lock_timeout_minutes.into_inner(),
        small_cell_threshold: p.small_cell_threshold.map_or(DEFAULT_SMALL_CELL_THRESHOLD, Spanned::into_inner),
        non_arrest_guidance: p.non_arrest_guidance.into_inner(),
        referrals: p.referrals.into_iter().map(|r| r.into_inner()).collect(),
        unlock: unlock.unwrap_or_default(),
        recipients,
    })
}

const KEYS_NEW: &str =
    "use the `recipient: age1...` line that `fieldscreen keys new` prints, or age-keygen's public key";

/// Checks that `s` is an age X25519 recipient: Bech32 (BIP 173) with the prefix `age` and 32
/// bytes of key, 62 characters in all, checksum included. This is a format check only; the
/// bundle crate parses the key when it seals. On a problem: the byte offset it is at (if one
/// character is to blame), what is wrong, and a hint.
pub(crate) fn check_age_recipient(s: &str) -> Result<(), (Option<usize>, String, &'static str)> {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const LEN: usize = 62;
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("age-secret-key-1") {
        return Err((
            None,
            "this is an age secret key, not a recipient: it must not be in the policy".into(),
            "keep the identity file with the custodian only; the policy takes its public recipient (`age1...`)",
        ));
    }
    if !lower.trim_start().starts_with("age1") {
        return Err((None, format!("`{s}` is not an age recipient (those start with `age1`)"), KEYS_NEW));
    }
    if let Some(i) = s.find(|c: char| c.is_whitespace()) {
        return Err((Some(i), "the recipient has a space or line break in it".into(), KEYS_NEW));
    }
    if s != lower && s != s.to_ascii_uppercase() {
        return Err((None, format!("`{s}` mixes upper and lower case, which Bech32 does not allow"), KEYS_NEW));
    }
    // Bech32 puts the prefix before the last `1`: `age` for X25519, longer for plugins.
    let sep = lower.rfind('1').unwrap_or(3);
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp != "age" {
        return Err((
            None,
            format!(
                "`{}...` is an age plugin or post-quantum recipient; the unit directory takes X25519 recipients",
                &s[..sep + 1]
            ),
            KEYS_NEW,
        ));
    }
    let mut values = Vec::with_capacity(data.len());
    for (i, c) in data.bytes().enumerate() {
        let Some(v) = CHARSET.iter().position(|x| *x == c) else {
            let at = sep + 1 + i;
            let ch = s[at..].chars().next().unwrap_or('?');
            return Err((
                Some(at),
                format!(
                    "`{ch}` cannot appear in an age recipient (Bech32 has no `1`, `b`, `i` or `o` after the prefix)"
                ),
                KEYS_NEW,
            ));
        };
        values.push(v as u8);
    }
    if s.len() != LEN {
        return Err((
            None,
            format!("the recipient has {} characters; an age X25519 recipient has {LEN}", s.chars().count()),
            KEYS_NEW,
        ));
    }
    // BIP 173 checksum over the expanded prefix and the data.
    let mut chk: u32 = 1;
    let expanded = hrp.bytes().map(|b| b >> 5).chain(std::iter::once(0)).chain(hrp.bytes().map(|b| b & 31));
    for v in expanded.chain(values.iter().copied()) {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3].into_iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    if chk != 1 {
        return Err((
            None,
            "the recipient's checksum does not match: a character is wrong, missing or swapped".into(),
            KEYS_NEW,
        ));
    }
    // 52 five-bit groups carry the 32-byte key; the 4 bits left over must be zero.
    if values[51] & 0b1111 != 0 {
        return Err((None, "the recipient does not encode a 32-byte key".into(), KEYS_NEW));
    }
    Ok(())
}

/// Checks that `s` is an Ed25519 public key in standard base64 with padding (44 characters,
/// 32 bytes), as `fieldscreen keys new` prints it.
pub(crate) fn check_signing_key(s: &str) -> Result<(), (String, &'static str)> {
    const HINT: &str =
        "use the `signing key:` line that `fieldscreen keys new` prints: 32 bytes in base64, 44 characters";
    // ring's PKCS#8 documents for Ed25519 (v2 and v1) start like this in base64.
    if s.starts_with("MFMCAQEwBQYDK2Vw") || s.starts_with("MC4CAQAwBQYDK2Vw") {
        return Err((
            "this is a private signing key (custodian-signing.key), not the public key: it must not be in the policy"
                .into(),
            HINT,
        ));
    }
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let b = s.as_bytes();
    if b.len() != 44 || b[43] != b'=' || !b[..43].iter().all(|c| b64(*c)) {
        return Err((format!("`{s}` is not an Ed25519 public key in base64"), HINT));
    }
    // The 43rd character carries 2 bits of padding that canonical base64 leaves at zero.
    let last = b[42];
    let v = match last {
        b'A'..=b'Z' => last - b'A',
        b'a'..=b'z' => last - b'a' + 26,
        b'0'..=b'9' => last - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    if v & 0b11 != 0 {
        return Err((format!("`{s}` is not an Ed25519 public key in base64"), HINT));
    }
    Ok(())
}
